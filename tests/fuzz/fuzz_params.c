/*
 * fuzz_params.c: libFuzzer target for the common request parameters and
 * the signature checks (proto/dd_params.c, proto/dd_sign.c;
 * doudian-open-api.md §1.2, §1.4, §1.5, §5.1).
 *
 * The first byte picks what the rest of the input feeds ('0'..'4', modulo
 * 5, so seed files stay readable):
 *   0  a query string: dd_query_parse, dd_common_from_query, dd_common_check
 *      with and without a path method, dd_url_encode round trips;
 *   1  a timestamp: dd_timestamp_parse and the date form's round trip;
 *   2  a path or method: dd_method_from_path / dd_path_from_method;
 *   3  newline-separated fields for dd_sign_verify and the push signature;
 *   4  a sign_method value and an app_key.
 * Each mode checks the contracts in the headers, not just "no crash".
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_buf.h"
#include "dd_err.h"
#include "dd_json.h"
#include "dd_params.h"
#include "dd_sign.h"
#include "fuzz_check.h"

/* Returns a new NUL-terminated copy of the input up to its first NUL. */
static char *cstr(const uint8_t *p, size_t n)
{
    const uint8_t *z = memchr(p, 0, n);
    size_t len = z ? (size_t)(z - p) : n;
    char *s = malloc(len + 1);
    if (!s)
        abort();
    memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

/* ------------------------------------------------------------ mode 0 */

/* A value percent-encoded and parsed back as "k=<encoded>" is unchanged. */
static void check_url_round_trip(const char *value)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    CHECK(dd_buf_puts(&b, "k=") == 0);
    CHECK(dd_url_encode(&b, value, strlen(value)) == 0);
    for (size_t i = 2; i < b.len; i++)
        CHECK(b.data[i] != '&' && b.data[i] != '=' && b.data[i] != '+' &&
              b.data[i] != ' ');
    struct dd_query q;
    CHECK(dd_query_parse(b.data, b.len, &q) == 0);
    CHECK(q.n == 1);
    CHECK(str_eq(dd_query_get(&q, "k"), value));
    dd_query_free(&q);
    dd_buf_free(&b);
}

static void fuzz_query(const uint8_t *p, size_t n)
{
    struct dd_query q;
    int rc = dd_query_parse((const char *)p, n, &q);
    if (rc != 0) {
        CHECK(rc == DD_E_FORMAT || rc == DD_E_TOO_LARGE);
        CHECK(q.n == 0);
        dd_query_free(&q);
        return;
    }
    CHECK(q.n <= DD_QUERY_MAX_PARAMS);
    for (size_t i = 0; i < q.n; i++) {
        CHECK(q.kv[i].key != NULL && q.kv[i].value != NULL);
        /* The first pair of a name is the one dd_query_get returns. */
        const char *first = NULL;
        for (size_t j = 0; j < q.n && !first; j++)
            if (strcmp(q.kv[j].key, q.kv[i].key) == 0)
                first = q.kv[j].value;
        CHECK(dd_query_get(&q, q.kv[i].key) == first);
        check_url_round_trip(q.kv[i].value);
    }

    struct dd_common c0, c1, c2;
    dd_common_from_query(&c0, &q);
    CHECK(str_eq(c0.app_key, dd_query_get(&q, "app_key")));
    CHECK(str_eq(c0.sign, dd_query_get(&q, "sign")));
    c1 = c0;
    c2 = c0;
    const char *r_none = dd_common_check(&c1, NULL);
    const char *r_list = dd_common_check(&c2, "afterSale.List");
    /* Check 4 (method vs path) can only add a failure, and only its own. */
    if (r_list == NULL)
        CHECK(r_none == NULL);
    if (r_none == NULL)
        CHECK(r_list == NULL || strcmp(r_list, "isv.parameter-invalid") == 0);
    if (r_none != NULL)
        CHECK(strncmp(r_none, "isv.", 4) == 0);
    if (c0.method) {
        struct dd_common c3 = c0;
        const char *r_own = dd_common_check(&c3, c0.method);
        CHECK(str_eq(r_own, r_none));
    }
    if (r_none == NULL) {
        /* Everything the check promised holds. */
        CHECK(c0.app_key && dd_app_key_valid(c0.app_key));
        CHECK(c0.method && c0.timestamp && c0.sign);
        int64_t secs;
        enum dd_ts_form form;
        CHECK(dd_timestamp_parse(c0.timestamp, &secs, &form) == 0);
        CHECK(secs == c1.ts_seconds && form == c1.ts_form);
        enum dd_sign_method m;
        CHECK(dd_sign_method_parse(c0.sign_method, &m) == 0);
        CHECK(m == c1.sign_alg);
    }
    dd_query_free(&q);
}

/* ------------------------------------------------------------ mode 1 */

static void fuzz_timestamp(const uint8_t *p, size_t n)
{
    char *s = cstr(p, n);
    size_t len = strlen(s);
    int64_t secs = 0;
    enum dd_ts_form form;
    if (dd_timestamp_parse(s, &secs, &form) == 0) {
        char date[20];
        switch (form) {
        case DD_TS_SECONDS:
            CHECK(len == 10 && all_digits(s, len));
            CHECK(secs == strtoll(s, NULL, 10));
            break;
        case DD_TS_MILLIS:
            CHECK(len == 13 && all_digits(s, len));
            CHECK(secs == strtoll(s, NULL, 10) / 1000);
            break;
        case DD_TS_DATE:
            /* The date form reads back exactly as it is written. */
            CHECK(len == 19);
            dd_timestamp_format_date(secs, date);
            CHECK(strcmp(date, s) == 0);
            break;
        default:
            CHECK(!"unknown timestamp form");
        }
        /* Any parsed instant written as a date parses back to itself
         * (milliseconds are truncated to seconds first). */
        dd_timestamp_format_date(secs, date);
        int64_t back;
        enum dd_ts_form bform;
        CHECK(dd_timestamp_parse(date, &back, &bform) == 0);
        CHECK(back == secs && bform == DD_TS_DATE);
    }
    free(s);
}

/* ------------------------------------------------------------ mode 2 */

static void fuzz_path(const uint8_t *p, size_t n)
{
    char *s = cstr(p, n);
    char m[DD_METHOD_MAX], path[DD_METHOD_MAX], m2[DD_METHOD_MAX];
    int rc = dd_method_from_path(s, m);
    CHECK(rc == 0 || rc == DD_E_FORMAT || rc == DD_E_TOO_LARGE);
    if (rc == 0) {
        /* A method from a path maps to a path that maps back to it. */
        CHECK(memchr(m, '\0', sizeof m) != NULL && m[0] != '\0');
        CHECK(strchr(m, '/') == NULL);
        CHECK(dd_path_from_method(m, path) == 0);
        CHECK(path[0] == '/');
        CHECK(dd_method_from_path(path, m2) == 0);
        CHECK(strcmp(m, m2) == 0);
    }
    rc = dd_path_from_method(s, path);
    CHECK(rc == 0 || rc == DD_E_FORMAT || rc == DD_E_TOO_LARGE);
    if (rc == 0) {
        CHECK(memchr(path, '\0', sizeof path) != NULL && path[0] == '/');
        size_t sl = strlen(s);
        bool plain_dots = sl > 0 && s[0] != '.' && s[sl - 1] != '.' &&
                          strstr(s, "..") == NULL;
        if (plain_dots) {
            CHECK(dd_method_from_path(path, m2) == 0);
            CHECK(strcmp(s, m2) == 0);
        }
    }
    free(s);
}

/* ------------------------------------------------------------ mode 3 */

/*
 * Fields, newline-separated: app_key, method, timestamp, v, secret,
 * received sign, sign_method; the rest (NULs allowed) is the raw
 * param_json. A byte at the start picks the method when the sign_method
 * field does not parse.
 */
static void fuzz_sign(const uint8_t *p, size_t n)
{
    char *f[7];
    size_t at = 0;
    for (int i = 0; i < 7; i++) {
        const uint8_t *nl = at < n ? memchr(p + at, '\n', n - at) : NULL;
        size_t end = nl ? (size_t)(nl - p) : n;
        f[i] = cstr(p + at, end - at);
        at = nl ? end + 1 : n;
    }
    const char *raw = (const char *)p + at;
    size_t raw_len = n - at;

    enum dd_sign_method m;
    if (dd_sign_method_parse(f[6], &m) != 0)
        m = (n > 0 && (p[0] & 1)) ? DD_SIGN_HMAC_SHA256 : DD_SIGN_MD5;
    struct dd_sign_params sp = {f[0], f[1], NULL, f[2], f[3][0] ? f[3] : NULL};
    const char *secret = f[4];
    size_t hexlen = m == DD_SIGN_MD5 ? 32 : 64;

    struct dd_sign_explain x;
    struct dd_json_error jerr;
    enum dd_variant v = DD_VARIANT_NONE;
    memset(&x, 0, sizeof x);
    memset(&jerr, 0, sizeof jerr);
    int rc = dd_sign_verify(&sp, secret, m, raw, raw_len, f[5], &v, &x, &jerr);
    if (rc == 0 || rc == DD_E_MISMATCH) {
        CHECK(x.canonical_plain && x.string_to_sign);
        CHECK(strlen(x.expected_plain) == hexlen);
        CHECK(x.method == m);
        size_t mask = strlen(DD_SECRET_MASK);
        size_t sl = strlen(x.string_to_sign);
        CHECK(sl >= 2 * mask);
        CHECK(memcmp(x.string_to_sign, DD_SECRET_MASK, mask) == 0);
        CHECK(memcmp(x.string_to_sign + sl - mask, DD_SECRET_MASK, mask) == 0);
        CHECK((x.canonical_html == NULL) == (x.expected_html[0] == '\0'));
        CHECK((x.canonical_html == NULL) == (x.string_to_sign_html == NULL));
        bool eq_plain = strcmp(f[5], x.expected_plain) == 0;
        bool eq_html = x.expected_html[0] && strcmp(f[5], x.expected_html) == 0;
        if (rc == 0) {
            CHECK(eq_plain || eq_html);
            CHECK(v == (eq_plain ? DD_VARIANT_PLAIN : DD_VARIANT_HTML));
            CHECK(x.matched == v);
        } else {
            CHECK(!eq_plain && !eq_html);
            CHECK(v == DD_VARIANT_NONE);
        }
        /* The expected signs are what dd_sign_compute gives... */
        struct dd_sign_params cp = sp;
        char hex[DD_SIGN_HEX_MAX];
        cp.param_json = x.canonical_plain;
        CHECK(dd_sign_compute(&cp, secret, m, hex) == 0);
        CHECK(strcmp(hex, x.expected_plain) == 0);
        /* ...and each one verifies as its own variant. */
        struct dd_json_error e2;
        enum dd_variant v2;
        CHECK(dd_sign_verify(&sp, secret, m, raw, raw_len, x.expected_plain,
                             &v2, NULL, &e2) == 0);
        CHECK(v2 == DD_VARIANT_PLAIN);
        if (x.canonical_html) {
            cp.param_json = x.canonical_html;
            CHECK(dd_sign_compute(&cp, secret, m, hex) == 0);
            CHECK(strcmp(hex, x.expected_html) == 0);
            CHECK(dd_sign_verify(&sp, secret, m, raw, raw_len, x.expected_html,
                                 &v2, NULL, &e2) == 0);
            CHECK(v2 == DD_VARIANT_HTML);
        }
        dd_sign_explain_free(&x);
    } else {
        CHECK(rc < 0);
        CHECK(jerr.pos.offset <= raw_len);
    }
    CHECK(dd_hex_equal(f[5], f[5]));

    /* Push signature over the raw tail. */
    char ev[33];
    dd_push_sign(f[0], raw, raw_len, secret, ev);
    CHECK(strlen(ev) == 32);
    CHECK(dd_push_verify(f[0], raw, raw_len, secret, ev));
    CHECK(dd_push_verify(f[0], raw, raw_len, secret, f[5]) ==
          (strcmp(ev, f[5]) == 0));
    ev[31] = ev[31] == '0' ? '1' : '0';
    CHECK(!dd_push_verify(f[0], raw, raw_len, secret, ev));
    for (int i = 0; i < 7; i++)
        free(f[i]);
}

/* ------------------------------------------------------------ mode 4 */

static void fuzz_small_values(const uint8_t *p, size_t n)
{
    char *s = cstr(p, n);
    enum dd_sign_method m;
    int rc = dd_sign_method_parse(s, &m);
    if (rc == 0)
        CHECK(s[0] == '\0' ? m == DD_SIGN_MD5
                           : strcmp(dd_sign_method_name(m), s) == 0);
    else
        CHECK(rc == DD_E_FORMAT);
    size_t len = strlen(s);
    CHECK(!!dd_app_key_valid(s) == (len == 19 && all_digits(s, len)));
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned mode = (unsigned)(uint8_t)(data[0] - '0') % 5;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    switch (mode) {
    case 0:
        fuzz_query(p, n);
        break;
    case 1:
        fuzz_timestamp(p, n);
        break;
    case 2:
        fuzz_path(p, n);
        break;
    case 3:
        fuzz_sign(p, n);
        break;
    default:
        fuzz_small_values(p, n);
        break;
    }
    return 0;
}
