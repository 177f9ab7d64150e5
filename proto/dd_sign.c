/*
 * dd_sign.c: request signatures (md5 / hmac-sha256 over the string to sign
 * of doudian-open-api.md §1.5) and push event-sign (§5), through OpenSSL's
 * EVP_Digest and HMAC. Verification tries both canonical variants of
 * param_json (§1.6) and compares hex in constant time.
 */
#include "dd_sign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_err.h"

int dd_sign_method_parse(const char *s, enum dd_sign_method *out)
{
    if (!s || !*s || strcmp(s, "md5") == 0) {
        *out = DD_SIGN_MD5;
        return 0;
    }
    if (strcmp(s, "hmac-sha256") == 0) {
        *out = DD_SIGN_HMAC_SHA256;
        return 0;
    }
    return DD_E_FORMAT;
}

const char *dd_sign_method_name(enum dd_sign_method m)
{
    return m == DD_SIGN_HMAC_SHA256 ? "hmac-sha256" : "md5";
}

const char *dd_variant_name(enum dd_variant v)
{
    switch (v) {
    case DD_VARIANT_PLAIN:
        return "plain";
    case DD_VARIANT_HTML:
        return "html-safe";
    default:
        return "none";
    }
}

int dd_sign_string(struct dd_buf *out, const struct dd_sign_params *p,
                   const char *secret, bool mask)
{
    const char *sec = mask ? DD_SECRET_MASK : secret;
    const char *v = p->v ? p->v : "2";
    int rc = dd_buf_puts(out, sec);
    if (!rc)
        rc = dd_buf_printf(out, "app_key%smethod%sparam_json", p->app_key,
                           p->method);
    if (!rc)
        rc = dd_buf_puts(out, p->param_json);
    if (!rc)
        rc = dd_buf_printf(out, "timestamp%sv%s", p->timestamp, v);
    if (!rc)
        rc = dd_buf_puts(out, sec);
    return rc;
}

static void to_hex(const unsigned char *md, unsigned n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * n] = '\0';
}

void dd_digest_hex(enum dd_sign_method m, const char *secret, const void *data,
                   size_t len, char hex[DD_SIGN_HEX_MAX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (m == DD_SIGN_HMAC_SHA256) {
        if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), data, len, md, &n))
            abort();
    } else {
        if (!EVP_Digest(data, len, md, &n, EVP_md5(), NULL))
            abort();
    }
    to_hex(md, n, hex);
}

int dd_sign_compute(const struct dd_sign_params *p, const char *secret,
                    enum dd_sign_method m, char hex[DD_SIGN_HEX_MAX])
{
    struct dd_buf s;
    dd_buf_init(&s, 0);
    int rc = dd_sign_string(&s, p, secret, false);
    if (!rc)
        dd_digest_hex(m, secret, s.data, s.len, hex);
    dd_buf_free(&s);
    return rc;
}

bool dd_hex_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    /* Walk the received length whatever the expected one is. */
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < lb; i++)
        diff |= (unsigned char)((i < la ? (unsigned char)a[i] : 0) ^
                                (unsigned char)b[i]);
    return diff == 0;
}

void dd_sign_explain_free(struct dd_sign_explain *x)
{
    free(x->canonical_plain);
    free(x->canonical_html);
    free(x->string_to_sign);
    free(x->string_to_sign_html);
    memset(x, 0, sizeof *x);
}

int dd_sign_verify(const struct dd_sign_params *p, const char *secret,
                   enum dd_sign_method m, const char *raw_param_json,
                   size_t len, const char *received, enum dd_variant *matched,
                   struct dd_sign_explain *explain, struct dd_json_error *jerr)
{
    struct dd_buf plain, html;
    dd_buf_init(&plain, 0);
    dd_buf_init(&html, 0);
    if (explain)
        memset(explain, 0, sizeof *explain);
    int rc =
        dd_canonical_param_json(raw_param_json, len, NULL, &plain, &html, jerr);
    if (rc) {
        dd_buf_free(&plain);
        dd_buf_free(&html);
        return rc;
    }
    bool same = plain.len == html.len &&
                memcmp(dd_buf_str(&plain), dd_buf_str(&html), plain.len) == 0;
    struct dd_sign_params q = *p;
    char exp_plain[DD_SIGN_HEX_MAX], exp_html[DD_SIGN_HEX_MAX] = "";
    q.param_json = dd_buf_str(&plain);
    rc = dd_sign_compute(&q, secret, m, exp_plain);
    if (!rc && !same) {
        q.param_json = dd_buf_str(&html);
        rc = dd_sign_compute(&q, secret, m, exp_html);
    }
    enum dd_variant v = DD_VARIANT_NONE;
    if (!rc) {
        const char *got = received ? received : "";
        /* Both comparisons always run: timing does not reveal which. */
        bool ok_plain = dd_hex_equal(exp_plain, got);
        bool ok_html = !same && dd_hex_equal(exp_html, got);
        v = ok_plain ? DD_VARIANT_PLAIN
                     : (ok_html ? DD_VARIANT_HTML : DD_VARIANT_NONE);
    }
    if (!rc && explain) {
        struct dd_buf s;
        dd_buf_init(&s, 0);
        explain->method = m;
        explain->matched = v;
        memcpy(explain->expected_plain, exp_plain, sizeof exp_plain);
        memcpy(explain->expected_html, exp_html, sizeof exp_html);
        q.param_json = dd_buf_str(&plain);
        dd_sign_string(&s, &q, secret, true);
        explain->string_to_sign = dd_buf_steal(&s);
        if (!same) {
            q.param_json = dd_buf_str(&html);
            dd_sign_string(&s, &q, secret, true);
            explain->string_to_sign_html = dd_buf_steal(&s);
            explain->canonical_html = dd_buf_steal(&html);
        }
        explain->canonical_plain = dd_buf_steal(&plain);
        dd_buf_free(&s);
    }
    dd_buf_free(&plain);
    dd_buf_free(&html);
    if (rc)
        return rc;
    if (matched)
        *matched = v;
    return v == DD_VARIANT_NONE ? DD_E_MISMATCH : 0;
}

void dd_push_sign(const char *app_key, const char *body, size_t len,
                  const char *secret, char hex[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_md5(), NULL) ||
        !EVP_DigestUpdate(ctx, app_key, strlen(app_key)) ||
        !EVP_DigestUpdate(ctx, body, len) ||
        !EVP_DigestUpdate(ctx, secret, strlen(secret)) ||
        !EVP_DigestFinal_ex(ctx, md, &n))
        abort();
    EVP_MD_CTX_free(ctx);
    to_hex(md, n, hex);
}

bool dd_push_verify(const char *app_key, const char *body, size_t len,
                    const char *secret, const char *received)
{
    char hex[33];
    dd_push_sign(app_key, body, len, secret, hex);
    return dd_hex_equal(hex, received ? received : "");
}
