/*
 * dd_jw.h: a small streaming JSON writer over struct dd_buf.
 *
 * Responses of the mock gateway and bodies of the client are built with it.
 * It tracks only whether a comma is due at each nesting level, so building
 * a document costs little more than the bytes written: integers are printed
 * directly (no double), strings go through dd_json_write_string. Keys are
 * written in the order the caller gives (canonical order is dd_json's job).
 *
 * Errors are sticky: after the buffer's cap is hit, every call is a no-op
 * and dd_jw_error returns DD_E_TOO_LARGE.
 */
#ifndef DD_JW_H
#define DD_JW_H

#include <stdbool.h>
#include <stdint.h>

#include "dd_buf.h"
#include "dd_json.h"

#define DD_JW_MAX_DEPTH 64

struct dd_jw {
    struct dd_buf *out; /* borrowed */
    int err;
    unsigned depth;
    bool need_comma[DD_JW_MAX_DEPTH + 1];
    bool after_key;
};

/* Starts writing into `out` (appending to what is there). */
void dd_jw_init(struct dd_jw *w, struct dd_buf *out);

/* Returns 0, or the first error met (DD_E_TOO_LARGE, DD_E_DEPTH). */
int dd_jw_error(const struct dd_jw *w);

void dd_jw_object_begin(struct dd_jw *w);
void dd_jw_object_end(struct dd_jw *w);
void dd_jw_array_begin(struct dd_jw *w);
void dd_jw_array_end(struct dd_jw *w);

/* Writes a member key; the next value call writes its value. */
void dd_jw_key(struct dd_jw *w, const char *key);

void dd_jw_int(struct dd_jw *w, int64_t v);
void dd_jw_bool(struct dd_jw *w, bool v);
void dd_jw_null(struct dd_jw *w);
/* A NUL-terminated UTF-8 string (NULL writes ""). */
void dd_jw_str(struct dd_jw *w, const char *s);
void dd_jw_strn(struct dd_jw *w, const char *s, size_t len);
/* An int64 written as a JSON string ("7000000000000000001"). */
void dd_jw_int_str(struct dd_jw *w, int64_t v);
/* Raw JSON text the caller vouches for (a canonical sub-document). */
void dd_jw_raw(struct dd_jw *w, const char *json, size_t len);

/* Shorthands: key + value. */
void dd_jw_kint(struct dd_jw *w, const char *key, int64_t v);
void dd_jw_kstr(struct dd_jw *w, const char *key, const char *s);
void dd_jw_kbool(struct dd_jw *w, const char *key, bool v);
void dd_jw_kint_str(struct dd_jw *w, const char *key, int64_t v);

/* Formats v in decimal into out (at least 21 bytes); returns the length. */
size_t dd_int64_to_str(int64_t v, char *out);

#endif
