/*
 * dd_envelope.h: the Doudian response envelope and its log_id.
 *
 * Every gateway answer, success or error, is HTTP 200 with
 *   {"code":10000,"msg":"success","sub_code":"","sub_msg":"",
 *    "log_id":"20211203091350010194059098259B567F","data":{...}}
 * (doudian-open-api.md §3.1). `code` is a JSON number; some clients read it
 * as a string, so the parser accepts both. The log_id has the real shape:
 * 34 characters, a 14-digit time (yyyyMMddHHmmss, Beijing time) and 20
 * upper-case hex digits.
 */
#ifndef DD_ENVELOPE_H
#define DD_ENVELOPE_H

#include <stdbool.h>
#include <stdint.h>

#include "dd_buf.h"
#include "dd_errtab.h"
#include "dd_json.h"

#define DD_LOG_ID_LEN 34

/* Writes a log_id for time `unix_seconds` whose 20 hex digits come from
 * `entropy` (80 bits: the low 16 bits of hi and all 64 of lo). Callers
 * choose the entropy (a counter, a seeded RNG). `out` gets 35 bytes. */
void dd_log_id_format(char out[DD_LOG_ID_LEN + 1], int64_t unix_seconds,
                      uint16_t hi, uint64_t lo);

/* True when s has the log_id shape. */
bool dd_log_id_valid(const char *s);

/*
 * Appends an envelope. `data_json` is raw JSON text placed as the `data`
 * value verbatim (the caller vouches that it is valid), or NULL for `{}`.
 * `msg`, `sub_code`, `sub_msg` are escaped as JSON strings. Returns 0 or
 * DD_E_TOO_LARGE.
 */
int dd_envelope_write(struct dd_buf *out, int code, const char *msg,
                      const char *sub_code, const char *sub_msg,
                      const char *log_id, const char *data_json);

/* Appends a success envelope around `data_json` (NULL for `{}`). */
int dd_envelope_write_ok(struct dd_buf *out, const char *log_id,
                         const char *data_json);

/* Appends the start of a success envelope, up to and including `"data":`,
 * so that a large `data` value can be written in place; the caller then
 * appends the value and the closing '}'. Same bytes as
 * dd_envelope_write_ok. Returns 0 or DD_E_TOO_LARGE (nothing written). */
int dd_envelope_open_ok(struct dd_buf *out, const char *log_id);

/* Appends the error envelope of a table row, with data `{}`. */
int dd_envelope_write_error(struct dd_buf *out, const struct dd_api_error *e,
                            const char *log_id);

/* A parsed envelope. Strings borrowed from `doc`; free with
 * dd_envelope_free. Absent string fields read as "". */
struct dd_envelope {
    int64_t code;
    const char *msg;
    const char *sub_code;
    const char *sub_msg;
    const char *log_id;
    const struct dd_json *data; /* NULL when absent or null */
    struct dd_json_doc doc;
};

/*
 * Parses a response body. `code` may be a number or a numeric string.
 * Returns 0, a JSON error (with `err`), DD_E_NOT_OBJECT, or DD_E_MISSING
 * when there is no `code`. On error `env` is empty.
 */
int dd_envelope_parse(const char *body, size_t len, struct dd_envelope *env,
                      struct dd_json_error *err);

void dd_envelope_free(struct dd_envelope *env);

#endif
