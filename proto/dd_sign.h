/*
 * dd_sign.h: Doudian request and push signatures.
 *
 * Request signature (doudian-open-api.md §1.5): the string to sign is
 *     secret + "app_key" + K + "method" + M + "param_json" + P
 *            + "timestamp" + T + "v" + V + secret
 * where P is the canonical param_json (dd_json.h), signed with MD5 (the
 * default when `sign_method` is absent) or HMAC-SHA256 keyed with the secret,
 * written as lowercase hex. access_token, sign_method and sign are not
 * signed. Because the official Java SDK signs the HTML-escaped canonical form
 * and the Go and PHP SDKs the plain one, verification accepts a signature
 * over either variant (§1.6, consequence 2).
 *
 * Push signature (§5): event-sign = md5(app_key + body + app_secret), hex.
 *
 * All comparisons of signatures run in constant time. Digests come from
 * OpenSSL's EVP_Digest and HMAC (MD5() is deprecated in OpenSSL 3).
 */
#ifndef DD_SIGN_H
#define DD_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "dd_buf.h"
#include "dd_json.h"

/* Longest signature in hex (HMAC-SHA256) plus NUL. */
#define DD_SIGN_HEX_MAX 65
/* What replaces the secret in a string to sign shown to people. */
#define DD_SECRET_MASK "<app_secret>"

enum dd_sign_method {
    DD_SIGN_MD5,
    DD_SIGN_HMAC_SHA256,
};

/* Reads a `sign_method` value: NULL or "" means md5 (what the gateway does
 * for the official Java SDK, which sends none), else exactly "md5" or
 * "hmac-sha256". Returns 0 or DD_E_FORMAT. */
int dd_sign_method_parse(const char *s, enum dd_sign_method *out);

/* Returns "md5" or "hmac-sha256". */
const char *dd_sign_method_name(enum dd_sign_method m);

/* The five signed parameters. All NUL-terminated; `v` NULL means "2".
 * `param_json` must already be canonical. */
struct dd_sign_params {
    const char *app_key;
    const char *method;
    const char *param_json;
    const char *timestamp;
    const char *v;
};

/* Appends the string to sign. With `mask` true the secret is replaced by
 * DD_SECRET_MASK (for showing to people). Returns 0 or DD_E_TOO_LARGE. */
int dd_sign_string(struct dd_buf *out, const struct dd_sign_params *p,
                   const char *secret, bool mask);

/* Digests `len` bytes of `data` with the method's algorithm (HMAC keyed by
 * `secret`; MD5 ignores it) into lowercase hex in `hex` (33 or 65 bytes
 * with the NUL). */
void dd_digest_hex(enum dd_sign_method m, const char *secret, const void *data,
                   size_t len, char hex[DD_SIGN_HEX_MAX]);

/* Computes a request's signature into `hex`. Returns 0 or DD_E_TOO_LARGE. */
int dd_sign_compute(const struct dd_sign_params *p, const char *secret,
                    enum dd_sign_method m, char hex[DD_SIGN_HEX_MAX]);

/* Compares two NUL-terminated hex strings in time that depends only on their
 * lengths. Exact bytes: upper-case hex does not match lower-case (whether
 * the real gateway accepts upper case is not known; we do not). */
bool dd_hex_equal(const char *a, const char *b);

enum dd_variant {
    DD_VARIANT_NONE,  /* neither matched */
    DD_VARIANT_PLAIN, /* Go/PHP form */
    DD_VARIANT_HTML,  /* Gson HTML-safe form */
};

/* Returns "plain", "html-safe" or "none". */
const char *dd_variant_name(enum dd_variant v);

/* Everything a person needs to see why a signature did or did not match.
 * Owned strings; free with dd_sign_explain_free. */
struct dd_sign_explain {
    char *canonical_plain;
    char *canonical_html;      /* NULL when identical to canonical_plain */
    char *string_to_sign;      /* plain variant, secret masked */
    char *string_to_sign_html; /* NULL when identical */
    char expected_plain[DD_SIGN_HEX_MAX];
    char expected_html[DD_SIGN_HEX_MAX]; /* "" when identical */
    enum dd_sign_method method;
    enum dd_variant matched; /* set by dd_sign_verify */
};

void dd_sign_explain_free(struct dd_sign_explain *x);

/*
 * Verifies a received request signature. `raw_param_json` is the body as
 * received (len bytes; NULL/empty = `{}`), canonicalised here in both
 * variants; `p->param_json` is ignored. `received` is the `sign` value.
 * Returns 0 when the signature matches either variant (which one goes into
 * `*matched` if non-NULL), DD_E_MISMATCH when neither does, or the
 * canonicaliser's error (with `jerr` filled) when param_json is not valid.
 * If `explain` is non-NULL it is filled in every case but a param_json
 * error, and must then be freed by the caller.
 */
int dd_sign_verify(const struct dd_sign_params *p, const char *secret,
                   enum dd_sign_method m, const char *raw_param_json,
                   size_t len, const char *received, enum dd_variant *matched,
                   struct dd_sign_explain *explain, struct dd_json_error *jerr);

/* Computes event-sign = md5(app_key + body + app_secret) into `hex`. */
void dd_push_sign(const char *app_key, const char *body, size_t len,
                  const char *secret, char hex[33]);

/* True when `received` equals the push signature of the body (constant
 * time in the received length). */
bool dd_push_verify(const char *app_key, const char *body, size_t len,
                    const char *secret, const char *received);

#endif
