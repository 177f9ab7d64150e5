/*
 * dd_params.h: Doudian's common (system) request parameters.
 *
 * Implements doudian-open-api.md §1.2 and §1.4: the method name <-> URL path
 * mapping (with the repeated slashes of the official Go SDK collapsed), the
 * three timestamp forms, the 19-digit app_key, `v` and `sign_method`; and
 * the parsing of a raw query string into key/value pairs.
 *
 * dd_common_check applies the syntactic checks the mock gateway makes before
 * it looks anything up, in the mock's documented order (the real gateway's
 * order is not public; this order is a guess, see mock/README.md):
 *   1. app_key missing          -> 40001 isv.app-id-missing
 *   2. app_key not 19 digits    -> 40003 isv.app-id-invalid
 *   3. method missing           -> 40001 isv.parameter-missing
 *   4. method != path's method  -> 40003 isv.parameter-invalid
 *   5. timestamp missing        -> 40001 isv.parameter-missing
 *   6. timestamp malformed      -> 40003 isv.timestamp-format-error
 *      timestamp outside the skew window (when one is given)
 *                               -> 40003 isv.timestamp-invalid
 *   7. sign_method unknown      -> 40003 isv.parameter-invalid
 *   8. sign missing             -> 40001 isv.signature-missing
 * (then, outside this module: unknown app_key, skew window, signature,
 * unknown API, access_token, the API's own checks.)
 */
#ifndef DD_PARAMS_H
#define DD_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "dd_sign.h"

/* Longest method name or path we accept. */
#define DD_METHOD_MAX 128

/*
 * Derives the method name from a URL path: repeated slashes collapse, the
 * leading and trailing '/' go, the remaining '/' become '.'
 * ("//afterSale/List" -> "afterSale.List"). A query string ('?...') is
 * ignored. Returns 0, DD_E_FORMAT (empty, or a character other than
 * [A-Za-z0-9_]), or DD_E_TOO_LARGE (longer than DD_METHOD_MAX-1).
 */
int dd_method_from_path(const char *path, char out[DD_METHOD_MAX]);

/* The inverse: "afterSale.List" -> "/afterSale/List". Same returns. */
int dd_path_from_method(const char *method, char out[DD_METHOD_MAX]);

enum dd_ts_form {
    DD_TS_SECONDS, /* 10 digits, Unix seconds (Go, PHP) */
    DD_TS_MILLIS,  /* 13 digits, Unix milliseconds (official Java SDK) */
    DD_TS_DATE,    /* "yyyy-MM-dd HH:mm:ss" in UTC+8 (legacy clients) */
};

/*
 * Parses a `timestamp` value in any of the three forms into Unix seconds
 * (milliseconds are truncated). The date form is read as Beijing time,
 * UTC+8: the spec marks its zone NOT FOUND and the platform is in China.
 * Returns 0 or DD_E_FORMAT.
 */
int dd_timestamp_parse(const char *s, int64_t *unix_seconds,
                       enum dd_ts_form *form);

/* Formats Unix seconds as "yyyy-MM-dd HH:mm:ss" in UTC+8. */
void dd_timestamp_format_date(int64_t unix_seconds, char out[20]);

/* True when s is exactly 19 ASCII digits (what isv.app-id-invalid asks). */
int dd_app_key_valid(const char *s);

/* One decoded query parameter. */
struct dd_kv {
    char *key;
    char *value;
};

#define DD_QUERY_MAX_PARAMS 64

/* A parsed query string. Owned strings; free with dd_query_free. */
struct dd_query {
    struct dd_kv kv[DD_QUERY_MAX_PARAMS];
    size_t n;
};

/*
 * Parses an application/x-www-form-urlencoded string ("a=1&b=%E4%B8%AD+x")
 * into `q`: '+' is a space, %XX is decoded, a key without '=' has the value
 * "". Returns 0, DD_E_FORMAT (bad %-escape or a decoded NUL), or
 * DD_E_TOO_LARGE (more than DD_QUERY_MAX_PARAMS pairs). On error `q` is
 * empty.
 */
int dd_query_parse(const char *s, size_t len, struct dd_query *q);

void dd_query_free(struct dd_query *q);

/* Returns the value of the first pair named `key`, or NULL. Borrowed. */
const char *dd_query_get(const struct dd_query *q, const char *key);

/* Appends `s` percent-encoded for a query string (RFC 3986 unreserved kept).
 * Returns 0 or DD_E_TOO_LARGE. */
int dd_url_encode(struct dd_buf *out, const char *s, size_t len);

/* The common parameters of one request, borrowed from wherever they came
 * from (NULL = absent). */
struct dd_common {
    const char *app_key;
    const char *method;
    const char *access_token;
    const char *timestamp;
    const char *v;
    const char *sign;
    const char *sign_method;
    /* Inputs of the skew check: with skew_seconds > 0 the timestamp must
     * be within skew_seconds of now (Unix seconds). */
    int64_t now;
    int64_t skew_seconds;
    /* Filled by dd_common_check: */
    int64_t ts_seconds;
    enum dd_ts_form ts_form;
    enum dd_sign_method sign_alg;
};

/* Fills `c` from a parsed query (pointers borrowed from `q`). */
void dd_common_from_query(struct dd_common *c, const struct dd_query *q);

/*
 * Applies the syntactic checks listed in this header's comment, in that
 * order. `path_method` is the method derived from the URL path, or NULL to
 * skip check 4. Returns NULL when all pass (and fills ts_seconds, ts_form,
 * sign_alg), else the sub_code of the first failure (a static string such
 * as "isv.app-id-missing"), to be looked up in dd_errtab.h.
 */
const char *dd_common_check(struct dd_common *c, const char *path_method);

#endif
