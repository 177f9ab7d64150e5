/*
 * check_vectors.c: golden vectors for canonical param_json and request
 * signatures (doudian-open-api.md §1.5 signature, §1.6 canonicalisation).
 *
 * Every expected value comes from outside the code under test:
 *   - tests/data/sign_vectors.tsv is written by tests/data/gen_vectors.py, an
 *     independent Python implementation of §1.5-§1.6;
 *   - tests/data/spec_vectors.tsv is the §1.5 table typed by hand;
 *   - tests/data/json_errors.tsv holds malformed inputs whose error and
 *     position were decided by hand from the rules in dd_json.h.
 * The files are read with the small TSV and hex reader below, never with
 * dd_json. Loop tests run once per vector and name the vector on failure;
 * CK_RUN_SUITE=vectors_suite runs only this suite.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dd_buf.h"
#include "dd_err.h"
#include "dd_json.h"
#include "dd_sign.h"
#include "suites.h"

#define SIGN_FILE    "sign_vectors.tsv"
#define SPEC_FILE    "spec_vectors.tsv"
#define ERRORS_FILE  "json_errors.tsv"
#define SIGN_FIELDS  12
#define ERROR_FIELDS 6
#define MAX_FIELDS   16

/* ---------------------------------------------------------------- reader */

/* One data line of a TSV file: its fields point into the table's text. */
struct row {
    unsigned lineno;
    size_t nf; /* fields on the line; may exceed MAX_FIELDS (then truncated) */
    char *f[MAX_FIELDS];
};

struct table {
    char *text; /* owned, the whole file with TABs and newlines cut to NULs */
    struct row *rows;
    size_t n;
};

/* Loads a data file: blank lines and lines starting with '#' are skipped,
 * every other line is split at TABs (a trailing CR is dropped). Free with
 * table_free. Aborts the run when the file is missing. */
static void table_load(struct table *t, const char *name)
{
    size_t len, cap = 0;
    t->text = dd_test_read_data(name, &len);
    t->rows = NULL;
    t->n = 0;
    char *p = t->text, *end = t->text + len;
    unsigned lineno = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        char *next = nl ? nl + 1 : end;
        lineno++;
        if (eol > p && eol[-1] == '\r')
            eol--;
        *eol = '\0';
        if (*p != '\0' && *p != '#') {
            if (t->n == cap) {
                cap = cap ? cap * 2 : 64;
                t->rows = realloc(t->rows, cap * sizeof *t->rows);
                if (!t->rows)
                    abort();
            }
            struct row *r = &t->rows[t->n++];
            r->lineno = lineno;
            r->nf = 0;
            char *q = p;
            for (;;) {
                char *tab = strchr(q, '\t');
                if (r->nf < MAX_FIELDS)
                    r->f[r->nf] = q;
                r->nf++;
                if (!tab)
                    break;
                *tab = '\0';
                q = tab + 1;
            }
        }
        p = next;
    }
}

static void table_free(struct table *t)
{
    free(t->text);
    free(t->rows);
    t->text = NULL;
    t->rows = NULL;
    t->n = 0;
}

/* Number of data rows in a file (used to size the loop tests). */
static int table_count(const char *name)
{
    struct table t;
    table_load(&t, name);
    int n = (int)t.n;
    table_free(&t);
    return n;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* upper case is not allowed in the files */
}

/* Decodes a lowercase hex field ("-" means no bytes) into a new buffer that
 * is NUL-terminated after its `*len` bytes. Returns NULL on bad hex. */
static char *unhex(const char *s, size_t *len)
{
    size_t n = strcmp(s, "-") == 0 ? 0 : strlen(s);
    if (n % 2 != 0)
        return NULL;
    char *out = malloc(n / 2 + 1);
    if (!out)
        abort();
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i / 2] = (char)(hi << 4 | lo);
    }
    out[n / 2] = '\0';
    *len = n / 2;
    return out;
}

/* True when `needle` (nlen bytes) occurs in `hay` (hlen bytes). */
static bool contains(const char *hay, size_t hlen, const char *needle,
                     size_t nlen)
{
    if (nlen == 0)
        return true;
    for (size_t i = 0; i + nlen <= hlen; i++)
        if (memcmp(hay + i, needle, nlen) == 0)
            return true;
    return false;
}

/* Concatenates NUL-terminated parts into a new string; *len gets its length.
 * Built by hand so the expected string to sign does not use dd_buf. */
static char *join(const char *const *parts, size_t nparts, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < nparts; i++)
        total += strlen(parts[i]);
    char *out = malloc(total + 1);
    if (!out)
        abort();
    size_t at = 0;
    for (size_t i = 0; i < nparts; i++) {
        size_t n = strlen(parts[i]);
        memcpy(out + at, parts[i], n);
        at += n;
    }
    out[at] = '\0';
    *len = at;
    return out;
}

/* ---------------------------------------------------------- sign vectors */

/* One row of sign_vectors.tsv or spec_vectors.tsv, decoded. */
struct sign_vec {
    struct table t;
    const char *name, *app_key, *secret, *method, *timestamp;
    char *input, *plain, *html; /* owned, NUL-terminated */
    size_t input_len, plain_len, html_len;
    const char *md5_plain, *md5_html, *hmac_plain, *hmac_html;
    bool same; /* plain and html canonical forms are identical */
};

static void check_digest_field(const struct sign_vec *v, const char *what,
                               const char *hex, size_t want_len)
{
    bool ok = strlen(hex) == want_len;
    for (size_t i = 0; ok && i < want_len; i++)
        ok = hexval(hex[i]) >= 0;
    ck_assert_msg(ok, "%s: %s is not %zu lowercase hex digits: %s", v->name,
                  what, want_len, hex);
}

/* Loads row `i` of a sign-vector file and checks that it is well formed. */
static void sign_vec_load(struct sign_vec *v, const char *file, int i)
{
    table_load(&v->t, file);
    ck_assert_msg((size_t)i < v->t.n, "%s: no row %d", file, i);
    struct row *r = &v->t.rows[i];
    ck_assert_msg(r->nf == SIGN_FIELDS, "%s:%u: %zu fields, want %d", file,
                  r->lineno, r->nf, SIGN_FIELDS);
    v->name = r->f[0];
    v->app_key = r->f[1];
    v->secret = r->f[2];
    v->method = r->f[3];
    v->timestamp = r->f[4];
    v->input = unhex(r->f[5], &v->input_len);
    v->plain = unhex(r->f[6], &v->plain_len);
    v->html = unhex(r->f[7], &v->html_len);
    ck_assert_msg(v->input && v->plain && v->html, "%s:%u: %s: bad hex field",
                  file, r->lineno, v->name);
    v->md5_plain = r->f[8];
    v->md5_html = r->f[9];
    v->hmac_plain = r->f[10];
    v->hmac_html = r->f[11];
    check_digest_field(v, "md5_plain", v->md5_plain, 32);
    check_digest_field(v, "md5_html", v->md5_html, 32);
    check_digest_field(v, "hmac_plain", v->hmac_plain, 64);
    check_digest_field(v, "hmac_html", v->hmac_html, 64);
    v->same = v->plain_len == v->html_len &&
              memcmp(v->plain, v->html, v->plain_len) == 0;
}

static void sign_vec_free(struct sign_vec *v)
{
    free(v->input);
    free(v->plain);
    free(v->html);
    table_free(&v->t);
}

static struct dd_sign_params sign_params(const struct sign_vec *v,
                                         const char *canonical)
{
    struct dd_sign_params p = {v->app_key, v->method, canonical, v->timestamp,
                               NULL};
    return p;
}

/* Both canonical variants equal the vector's bytes exactly. */
static void check_canonical(const char *file, int i)
{
    struct sign_vec v;
    sign_vec_load(&v, file, i);
    struct dd_buf plain, html;
    dd_buf_init(&plain, 0);
    dd_buf_init(&html, 0);
    struct dd_json_error err;
    memset(&err, 0, sizeof err);
    int rc = dd_canonical_param_json(v.input, v.input_len, NULL, &plain, &html,
                                     &err);
    ck_assert_msg(rc == 0,
                  "%s: canonicalising failed with %d at offset %zu "
                  "(line %u col %u): %s",
                  v.name, rc, err.pos.offset, err.pos.line, err.pos.col,
                  err.msg);
    ck_assert_msg(plain.len == v.plain_len &&
                      memcmp(dd_buf_str(&plain), v.plain, v.plain_len) == 0,
                  "%s: plain canonical form differs\n want %s\n got  %s",
                  v.name, v.plain, dd_buf_str(&plain));
    ck_assert_msg(html.len == v.html_len &&
                      memcmp(dd_buf_str(&html), v.html, v.html_len) == 0,
                  "%s: html canonical form differs\n want %s\n got  %s", v.name,
                  v.html, dd_buf_str(&html));
    dd_buf_free(&plain);
    dd_buf_free(&html);
    sign_vec_free(&v);
}

static void check_one_digest(const struct sign_vec *v, const char *canonical,
                             enum dd_sign_method m, const char *want,
                             const char *what)
{
    struct dd_sign_params p = sign_params(v, canonical);
    char hex[DD_SIGN_HEX_MAX];
    memset(hex, 'X', sizeof hex);
    int rc = dd_sign_compute(&p, v->secret, m, hex);
    ck_assert_msg(rc == 0, "%s: %s: dd_sign_compute returned %d", v->name, what,
                  rc);
    ck_assert_msg(memchr(hex, '\0', sizeof hex) != NULL,
                  "%s: %s: signature is not NUL-terminated", v->name, what);
    ck_assert_msg(strcmp(hex, want) == 0, "%s: %s\n want %s\n got  %s", v->name,
                  what, want, hex);
}

/* dd_sign_compute over each canonical variant gives the vector's digests. */
static void check_signatures(const char *file, int i)
{
    struct sign_vec v;
    sign_vec_load(&v, file, i);
    check_one_digest(&v, v.plain, DD_SIGN_MD5, v.md5_plain, "md5 plain");
    check_one_digest(&v, v.html, DD_SIGN_MD5, v.md5_html, "md5 html");
    check_one_digest(&v, v.plain, DD_SIGN_HMAC_SHA256, v.hmac_plain,
                     "hmac-sha256 plain");
    check_one_digest(&v, v.html, DD_SIGN_HMAC_SHA256, v.hmac_html,
                     "hmac-sha256 html");
    sign_vec_free(&v);
}

/* Verifies `received` against the vector's raw input. `jerr` may be NULL. */
static int verify(const struct sign_vec *v, enum dd_sign_method m,
                  const char *received, enum dd_variant *matched,
                  struct dd_json_error *jerr)
{
    struct dd_json_error local;
    if (!jerr)
        jerr = &local;
    memset(jerr, 0, sizeof *jerr);
    struct dd_sign_params p = sign_params(v, "ignored by dd_sign_verify");
    return dd_sign_verify(&p, v->secret, m, v->input, v->input_len, received,
                          matched, NULL, jerr);
}

static void check_verify_accepts(const struct sign_vec *v,
                                 enum dd_sign_method m, const char *sig,
                                 enum dd_variant want, const char *what)
{
    enum dd_variant got = DD_VARIANT_NONE;
    struct dd_json_error jerr;
    memset(&jerr, 0, sizeof jerr);
    int rc = verify(v, m, sig, &got, &jerr);
    ck_assert_msg(rc == 0, "%s: %s signature %s rejected with %d (%s)", v->name,
                  what, sig, rc, jerr.msg);
    ck_assert_msg(got == want, "%s: %s matched variant %d (%s), want %d (%s)",
                  v->name, what, (int)got, dd_variant_name(got), (int)want,
                  dd_variant_name(want));
}

/* dd_sign_verify accepts each of the vector's four signatures and reports
 * which canonical form matched; identical forms count as plain. */
static void check_verify(const char *file, int i)
{
    struct sign_vec v;
    sign_vec_load(&v, file, i);
    enum dd_variant html = v.same ? DD_VARIANT_PLAIN : DD_VARIANT_HTML;
    check_verify_accepts(&v, DD_SIGN_MD5, v.md5_plain, DD_VARIANT_PLAIN,
                         "md5 plain");
    check_verify_accepts(&v, DD_SIGN_MD5, v.md5_html, html, "md5 html");
    check_verify_accepts(&v, DD_SIGN_HMAC_SHA256, v.hmac_plain,
                         DD_VARIANT_PLAIN, "hmac-sha256 plain");
    check_verify_accepts(&v, DD_SIGN_HMAC_SHA256, v.hmac_html, html,
                         "hmac-sha256 html");
    sign_vec_free(&v);
}

static void check_verify_rejects(const struct sign_vec *v,
                                 enum dd_sign_method m, const char *sig,
                                 const char *what)
{
    char bad[DD_SIGN_HEX_MAX];
    size_t n = strlen(sig);
    ck_assert(n < sizeof bad);
    /* One hex digit changed: first, middle, last. */
    size_t where[3] = {0, n / 2, n - 1};
    for (size_t k = 0; k < 3; k++) {
        memcpy(bad, sig, n + 1);
        bad[where[k]] = bad[where[k]] == '0' ? '1' : '0';
        int rc = verify(v, m, bad, NULL, NULL);
        ck_assert_msg(rc == DD_E_MISMATCH,
                      "%s: %s signature with digit %zu changed (%s) gave %d, "
                      "want DD_E_MISMATCH",
                      v->name, what, where[k], bad, rc);
    }
    /* Upper-case hex is not the same signature (dd_sign.h). */
    memcpy(bad, sig, n + 1);
    bool changed = false;
    for (size_t k = 0; k < n; k++)
        if (bad[k] >= 'a' && bad[k] <= 'f') {
            bad[k] = (char)(bad[k] - 'a' + 'A');
            changed = true;
        }
    if (changed) {
        int rc = verify(v, m, bad, NULL, NULL);
        ck_assert_msg(rc == DD_E_MISMATCH,
                      "%s: upper-case %s signature %s gave %d, want "
                      "DD_E_MISMATCH",
                      v->name, what, bad, rc);
    }
    /* Truncated by one digit. */
    memcpy(bad, sig, n + 1);
    bad[n - 1] = '\0';
    int rc = verify(v, m, bad, NULL, NULL);
    ck_assert_msg(rc == DD_E_MISMATCH,
                  "%s: %s signature missing its last digit gave %d", v->name,
                  what, rc);
}

/* A signature with one hex digit changed, in upper case, or shortened is
 * rejected with DD_E_MISMATCH; so is a digest checked with the other
 * method. */
static void check_verify_mismatch(const char *file, int i)
{
    struct sign_vec v;
    sign_vec_load(&v, file, i);
    check_verify_rejects(&v, DD_SIGN_MD5, v.md5_plain, "md5 plain");
    check_verify_rejects(&v, DD_SIGN_MD5, v.md5_html, "md5 html");
    check_verify_rejects(&v, DD_SIGN_HMAC_SHA256, v.hmac_plain,
                         "hmac-sha256 plain");
    check_verify_rejects(&v, DD_SIGN_HMAC_SHA256, v.hmac_html,
                         "hmac-sha256 html");
    ck_assert_msg(verify(&v, DD_SIGN_HMAC_SHA256, v.md5_plain, NULL, NULL) ==
                      DD_E_MISMATCH,
                  "%s: an md5 signature passed as hmac-sha256", v.name);
    ck_assert_msg(verify(&v, DD_SIGN_MD5, v.hmac_plain, NULL, NULL) ==
                      DD_E_MISMATCH,
                  "%s: an hmac-sha256 signature passed as md5", v.name);
    sign_vec_free(&v);
}

/* The string to sign is exactly the §1.5 concatenation; masked, it shows
 * DD_SECRET_MASK where the secret was and never the secret itself. */
static void check_string_to_sign(const char *file, int i)
{
    struct sign_vec v;
    sign_vec_load(&v, file, i);
    struct dd_sign_params p = sign_params(&v, v.plain);
    const char *parts[] = {v.secret,    "app_key",    v.app_key, "method",
                           v.method,    "param_json", v.plain,   "timestamp",
                           v.timestamp, "v",          "2",       v.secret};
    size_t nparts = sizeof parts / sizeof parts[0];
    size_t want_len, mwant_len;
    char *want = join(parts, nparts, &want_len);
    parts[0] = parts[nparts - 1] = DD_SECRET_MASK;
    char *mwant = join(parts, nparts, &mwant_len);

    struct dd_buf b;
    dd_buf_init(&b, 0);
    ck_assert_int_eq(dd_sign_string(&b, &p, v.secret, false), 0);
    ck_assert_msg(b.len == want_len && memcmp(b.data, want, want_len) == 0,
                  "%s: string to sign\n want %s\n got  %s", v.name, want,
                  dd_buf_str(&b));
    dd_buf_reset(&b);
    ck_assert_int_eq(dd_sign_string(&b, &p, v.secret, true), 0);
    ck_assert_msg(
        contains(b.data, b.len, DD_SECRET_MASK, strlen(DD_SECRET_MASK)),
        "%s: masked string lacks %s: %s", v.name, DD_SECRET_MASK,
        dd_buf_str(&b));
    ck_assert_msg(!contains(b.data, b.len, v.secret, strlen(v.secret)),
                  "%s: masked string shows the secret: %s", v.name,
                  dd_buf_str(&b));
    ck_assert_msg(b.len == mwant_len && memcmp(b.data, mwant, mwant_len) == 0,
                  "%s: masked string to sign\n want %s\n got  %s", v.name,
                  mwant, dd_buf_str(&b));
    dd_buf_free(&b);
    free(want);
    free(mwant);
    sign_vec_free(&v);
}

START_TEST(test_canonical_forms_match_the_python_vectors)
{
    check_canonical(SIGN_FILE, _i);
}
END_TEST

START_TEST(test_signatures_match_the_python_vectors)
{
    check_signatures(SIGN_FILE, _i);
}
END_TEST

START_TEST(test_verify_accepts_every_python_vector_signature_and_its_variant)
{
    check_verify(SIGN_FILE, _i);
}
END_TEST

START_TEST(test_verify_rejects_python_vector_signatures_with_one_digit_changed)
{
    check_verify_mismatch(SIGN_FILE, _i);
}
END_TEST

START_TEST(test_string_to_sign_is_exact_and_masks_the_secret_for_python_vectors)
{
    check_string_to_sign(SIGN_FILE, _i);
}
END_TEST

START_TEST(test_canonical_forms_match_the_spec_table)
{
    check_canonical(SPEC_FILE, _i);
}
END_TEST

START_TEST(test_signatures_match_the_spec_table)
{
    check_signatures(SPEC_FILE, _i);
}
END_TEST

START_TEST(test_verify_accepts_every_spec_signature_and_its_variant)
{
    check_verify(SPEC_FILE, _i);
}
END_TEST

START_TEST(test_verify_rejects_spec_signatures_with_one_digit_changed)
{
    check_verify_mismatch(SPEC_FILE, _i);
}
END_TEST

START_TEST(test_string_to_sign_is_exact_and_masks_the_secret_for_spec_vectors)
{
    check_string_to_sign(SPEC_FILE, _i);
}
END_TEST

/* --------------------------------------------------------- error vectors */

/* Error names from the contract header itself, not from dd_err.c. */
static const struct {
    const char *name;
    int code;
} err_names[] = {
#define ERR_NAME(name, value, msg) {#name, value},
    DD_ERR_MAP(ERR_NAME)
#undef ERR_NAME
};

static int err_code(const char *name)
{
    for (size_t i = 0; i < sizeof err_names / sizeof err_names[0]; i++)
        if (strcmp(err_names[i].name, name) == 0)
            return err_names[i].code;
    return 0;
}

/* Reads a decimal field (strtoul with full-field check; atoi is banned). */
static unsigned long number_field(const struct row *r, size_t k)
{
    char *end;
    unsigned long n = strtoul(r->f[k], &end, 10);
    ck_assert_msg(*r->f[k] != '\0' && *end == '\0',
                  "%s:%u: field %zu is not a number: %s", ERRORS_FILE,
                  r->lineno, k + 1, r->f[k]);
    return n;
}

static void check_error_pos(const char *name, const char *who,
                            const struct dd_json_error *err,
                            unsigned long offset, unsigned long line,
                            unsigned long col)
{
    ck_assert_msg(err->pos.offset == offset && err->pos.line == line &&
                      err->pos.col == col,
                  "%s: %s: error at offset %zu line %u col %u, want offset "
                  "%lu line %lu col %lu (%s)",
                  name, who, err->pos.offset, err->pos.line, err->pos.col,
                  offset, line, col, err->msg);
}

START_TEST(test_malformed_json_fails_with_the_expected_error_and_position)
{
    struct table t;
    table_load(&t, ERRORS_FILE);
    ck_assert((size_t)_i < t.n);
    const struct row *r = &t.rows[_i];
    ck_assert_msg(r->nf == ERROR_FIELDS, "%s:%u: %zu fields, want %d",
                  ERRORS_FILE, r->lineno, r->nf, ERROR_FIELDS);
    const char *name = r->f[0];
    size_t len;
    char *input = unhex(r->f[1], &len);
    ck_assert_msg(input, "%s: bad input hex", name);
    int want = err_code(r->f[2]);
    ck_assert_msg(want < 0, "%s: unknown error name %s", name, r->f[2]);
    unsigned long offset = number_field(r, 3), line = number_field(r, 4),
                  col = number_field(r, 5);

    struct dd_buf plain, html;
    dd_buf_init(&plain, 0);
    dd_buf_init(&html, 0);
    struct dd_json_error err;
    memset(&err, 0, sizeof err);
    int rc = dd_canonical_param_json(input, len, NULL, &plain, &html, &err);
    ck_assert_msg(rc == want,
                  "%s: dd_canonical_param_json returned %d (%s), want %d "
                  "(%s); output %s",
                  name, rc, dd_err_name(rc), want, r->f[2], dd_buf_str(&plain));
    ck_assert_msg(err.code == rc, "%s: err.code %d, returned %d", name,
                  err.code, rc);
    ck_assert_msg(err.msg[0] != '\0', "%s: empty error message", name);
    check_error_pos(name, "dd_canonical_param_json", &err, offset, line, col);
    dd_buf_free(&plain);
    dd_buf_free(&html);

    /* The parser alone reports the same error, or accepts a non-object. */
    struct dd_json_doc doc;
    memset(&doc, 0, sizeof doc);
    memset(&err, 0, sizeof err);
    rc = dd_json_parse(input, len, NULL, &doc, &err);
    if (want == DD_E_NOT_OBJECT) {
        ck_assert_msg(rc == 0 && doc.root != NULL,
                      "%s: dd_json_parse rejected a valid non-object "
                      "with %d (%s)",
                      name, rc, err.msg);
        ck_assert_msg(doc.root->type != DD_JSON_OBJECT,
                      "%s: dd_json_parse says the top level is an object",
                      name);
    } else {
        ck_assert_msg(rc == want, "%s: dd_json_parse returned %d, want %d",
                      name, rc, want);
        ck_assert_msg(doc.root == NULL, "%s: failed parse left a root", name);
        check_error_pos(name, "dd_json_parse", &err, offset, line, col);
    }
    dd_json_doc_free(&doc);
    free(input);
    table_free(&t);
}
END_TEST

/* ------------------------------------------------------------ size limits */

/* `{"a":"xxx...x"}` of exactly n bytes (n >= 8). */
static char *object_of_size(size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, "{\"a\":\"", 6);
    memset(s + 6, 'x', n - 8);
    memcpy(s + n - 2, "\"}", 3);
    return s;
}

static int canonicalise(const char *s, size_t n,
                        const struct dd_json_limits *lim,
                        struct dd_json_error *err)
{
    struct dd_buf plain, html;
    dd_buf_init(&plain, 0);
    dd_buf_init(&html, 0);
    memset(err, 0, sizeof *err);
    int rc = dd_canonical_param_json(s, n, lim, &plain, &html, err);
    if (rc == 0)
        ck_assert_msg(plain.len == n && memcmp(plain.data, s, n) == 0,
                      "canonical form of a %zu-byte object changed", n);
    dd_buf_free(&plain);
    dd_buf_free(&html);
    return rc;
}

START_TEST(test_input_at_the_byte_limit_passes_and_one_byte_more_is_too_large)
{
    struct dd_json_limits lim = {0, 16};
    struct dd_json_error err;
    char *s = object_of_size(16);
    ck_assert_int_eq(canonicalise(s, 16, &lim, &err), 0);
    free(s);
    s = object_of_size(17);
    ck_assert_int_eq(canonicalise(s, 17, &lim, &err), DD_E_TOO_LARGE);
    ck_assert_int_eq(err.code, DD_E_TOO_LARGE);
    free(s);
}
END_TEST

START_TEST(test_default_limit_is_8_mib)
{
    struct dd_json_error err;
    size_t cap = DD_JSON_DEFAULT_MAX_BYTES;
    ck_assert_uint_eq(cap, (size_t)8 << 20);
    char *s = object_of_size(cap);
    ck_assert_int_eq(canonicalise(s, cap, NULL, &err), 0);
    free(s);
    s = object_of_size(cap + 1);
    ck_assert_int_eq(canonicalise(s, cap + 1, NULL, &err), DD_E_TOO_LARGE);
    free(s);
}
END_TEST

START_TEST(test_custom_depth_limit_rejects_the_first_bracket_past_it)
{
    struct dd_json_limits lim = {2, 0};
    struct dd_json_error err;
    const char *ok = "{\"a\":{\"b\":1}}";
    ck_assert_int_eq(canonicalise(ok, strlen(ok), &lim, &err), 0);
    const char *deep = "{\"a\":{\"b\":{}}}";
    ck_assert_int_eq(canonicalise(deep, strlen(deep), &lim, &err), DD_E_DEPTH);
    ck_assert_uint_eq(err.pos.offset, 10);
    ck_assert_uint_eq(err.pos.line, 1);
    ck_assert_uint_eq(err.pos.col, 11);
}
END_TEST

/* -------------------------------------------------------------- the files */

static void check_rows(const char *file, size_t nf, size_t at_least,
                       size_t exactly)
{
    struct table t;
    table_load(&t, file);
    if (exactly)
        ck_assert_msg(t.n == exactly, "%s: %zu rows, want exactly %zu", file,
                      t.n, exactly);
    ck_assert_msg(t.n >= at_least, "%s: %zu rows, want at least %zu", file, t.n,
                  at_least);
    for (size_t i = 0; i < t.n; i++) {
        ck_assert_msg(t.rows[i].nf == nf, "%s:%u: %zu fields, want %zu", file,
                      t.rows[i].lineno, t.rows[i].nf, nf);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(t.rows[i].f[0], t.rows[j].f[0]) != 0,
                          "%s:%u: duplicate name %s", file, t.rows[i].lineno,
                          t.rows[i].f[0]);
    }
    table_free(&t);
}

START_TEST(test_sign_vectors_file_holds_at_least_30_well_formed_vectors)
{
    check_rows(SIGN_FILE, SIGN_FIELDS, 30, 0);
}
END_TEST

START_TEST(test_spec_vectors_file_holds_exactly_the_4_published_vectors)
{
    check_rows(SPEC_FILE, SIGN_FIELDS, 4, 4);
}
END_TEST

START_TEST(test_json_errors_file_holds_at_least_30_well_formed_cases)
{
    check_rows(ERRORS_FILE, ERROR_FIELDS, 30, 0);
}
END_TEST

Suite *vectors_suite(void)
{
    Suite *s = suite_create("vectors");
    int nsign = table_count(SIGN_FILE);
    int nspec = table_count(SPEC_FILE);
    int nerr = table_count(ERRORS_FILE);

    TCase *tc = tcase_create("files");
    tcase_add_test(
        tc, test_sign_vectors_file_holds_at_least_30_well_formed_vectors);
    tcase_add_test(
        tc, test_spec_vectors_file_holds_exactly_the_4_published_vectors);
    tcase_add_test(tc,
                   test_json_errors_file_holds_at_least_30_well_formed_cases);
    suite_add_tcase(s, tc);

    tc = tcase_create("spec");
    tcase_add_loop_test(tc, test_canonical_forms_match_the_spec_table, 0,
                        nspec);
    tcase_add_loop_test(tc, test_signatures_match_the_spec_table, 0, nspec);
    tcase_add_loop_test(
        tc, test_verify_accepts_every_spec_signature_and_its_variant, 0, nspec);
    tcase_add_loop_test(
        tc, test_verify_rejects_spec_signatures_with_one_digit_changed, 0,
        nspec);
    tcase_add_loop_test(
        tc, test_string_to_sign_is_exact_and_masks_the_secret_for_spec_vectors,
        0, nspec);
    suite_add_tcase(s, tc);

    tc = tcase_create("python");
    tcase_add_loop_test(tc, test_canonical_forms_match_the_python_vectors, 0,
                        nsign);
    tcase_add_loop_test(tc, test_signatures_match_the_python_vectors, 0, nsign);
    tcase_add_loop_test(
        tc, test_verify_accepts_every_python_vector_signature_and_its_variant,
        0, nsign);
    tcase_add_loop_test(
        tc, test_verify_rejects_python_vector_signatures_with_one_digit_changed,
        0, nsign);
    tcase_add_loop_test(
        tc,
        test_string_to_sign_is_exact_and_masks_the_secret_for_python_vectors, 0,
        nsign);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_loop_test(
        tc, test_malformed_json_fails_with_the_expected_error_and_position, 0,
        nerr);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 60); /* 8 MiB inputs under sanitizers or valgrind */
    tcase_add_test(
        tc, test_input_at_the_byte_limit_passes_and_one_byte_more_is_too_large);
    tcase_add_test(tc, test_default_limit_is_8_mib);
    tcase_add_test(tc,
                   test_custom_depth_limit_rejects_the_first_bracket_past_it);
    suite_add_tcase(s, tc);
    return s;
}
