/*
 * ddc_err.h: the client's error codes and the status of one API call.
 *
 * Client functions return 0 or a negative code: the project's own codes of
 * proto/dd_err.h (bad JSON, too large, I/O, ...) or the client's codes
 * below, which start at -100 so the two tables never overlap. What a person
 * needs to know about a failed call (the envelope's code, sub_code and
 * sub_msg from doudian-open-api.md §3, the HTTP status, libcurl's message,
 * how many requests were sent) goes into a caller-supplied struct
 * ddc_status, which needs no freeing.
 */
#ifndef DDC_ERR_H
#define DDC_ERR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DDC_ERR_MAP(X)                                                         \
    X(API, -101, "the platform answered with an error envelope")               \
    X(TRANSPORT, -102,                                                         \
      "no usable answer (connection, timeout, HTTP status, unreadable body)")  \
    X(PROTOCOL, -103, "the answer does not have the documented shape")         \
    X(AUTH, -104, "no usable access token could be obtained")                  \
    X(CONFIG, -105, "configuration missing or invalid")                        \
    X(PAGE_CAP, -106, "paging past the platform's page*size cap of 50000")     \
    X(BUSY, -107, "the push queue is full")

enum ddc_err {
#define DDC_ERR_ENUM(name, value, msg) DDC_E_##name = (value),
    DDC_ERR_MAP(DDC_ERR_ENUM)
#undef DDC_ERR_ENUM
};

/* Returns a static English message for a client code or a dd_err.h code
 * ("success" for 0, "unknown error" otherwise). */
const char *ddc_strerror(int err);

/* Returns the code's name without prefix ("API", "SYNTAX", "OK"). */
const char *ddc_err_name(int err);

/*
 * What happened to one call, filled by every API function that takes one
 * (it may be NULL). Strings are always NUL-terminated, "" when unknown;
 * longer values are cut. `code` and the strings after it are the last
 * envelope's (code 10000 on success), 0 and "" when the last attempt got
 * none.
 */
struct ddc_status {
    int64_t code;
    char msg[128];
    char sub_code[128];
    char sub_msg[512];
    char log_id[48];
    long http_status;     /* of the last request; 0 when none arrived */
    unsigned attempts;    /* requests sent for this call, retries included */
    bool token_refreshed; /* an expired token was refreshed and retried */
    char detail[256];     /* the last failure's libcurl message, parse or
                             file error; kept when a retry then passed */
};

/* Empties a status (every field zero or ""). */
void ddc_status_clear(struct ddc_status *st);

/* Writes printf-formatted text into st->detail (no-op when st is NULL). */
void ddc_status_detail(struct ddc_status *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * True for the envelope codes a call is retried on with backoff: 20000
 * (系统错误, the platform's transient failure) and 60000 (rate limiting),
 * doudian-open-api.md §3.2. Business errors (40xxx, 50xxx, ...) are never
 * retried: the same request would fail the same way, or worse, act twice.
 */
bool ddc_code_retryable(int64_t code);

/* True for the token errors that a refresh and one retry cure (§2.4):
 * 40003 isv.access-token-expired and isv.access-token-no-existed. */
bool ddc_token_error(int64_t code, const char *sub_code);

#endif
