/*
 * ddsign.c: the `ddsign` command, for ERP vendors debugging their Doudian
 * request and push signatures.
 *
 * It computes nothing itself: every canonical form, string to sign and
 * digest it shows comes from the protocol library (proto/), so what it
 * prints is exactly what the dd-harness gateway checks. `sign` and `verify`
 * follow doudian-open-api.md §1.4-§1.6 (canonical param_json in its plain
 * and HTML-safe variants, MD5 or HMAC-SHA256, the three timestamp forms);
 * `push-sign` and `push-verify` follow §5.1 (event-sign).
 *
 * Exit status: 0 success or match, 1 mismatch, 2 bad usage or bad input
 * (then exactly one line on stderr, starting "ddsign: "). This file is a
 * main: it alone prints and exits.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dd_buf.h"
#include "dd_err.h"
#include "dd_json.h"
#include "dd_params.h"
#include "dd_sign.h"

enum { EXIT_MATCH = 0, EXIT_MISMATCH = 1, EXIT_BAD = 2 };

/* Largest --param-json-file or --body-file read (the canonicaliser has its
 * own, smaller, limit for param_json). */
#define FILE_MAX ((size_t)64 << 20)

/* What each canonical variant is called, and who signs it (§1.6). */
#define LABEL_PLAIN "plain, signed by the Go/PHP SDKs"
#define LABEL_HTML  "html-safe, signed by the Java SDK/Gson"

/* ------------------------------------------------------------ messages */

static _Noreturn void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Prints "ddsign: <message>" as one line on stderr and exits with 2: the
 * one way this program reports bad usage or bad input. */
static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    fputs("ddsign: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_BAD);
}

/*
 * Returns `s` made safe to show inside a one-line message: control bytes
 * and DEL become \xNN, everything else (UTF-8 included) is kept, and long
 * values are cut after SHOWN_MAX bytes with "...". The result lives in one
 * of four static slots, so up to four may appear in one message.
 */
#define SHOWN_MAX 160
static const char *shown(const char *s)
{
    static char ring[4][4 * SHOWN_MAX + 8];
    static unsigned next;
    char *out = ring[next++ % 4];
    size_t o = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= SHOWN_MAX && (c & 0xC0) != 0x80) {
            snprintf(out + o, sizeof ring[0] - o, "...");
            return out;
        }
        if (c < 0x20 || c == 0x7F) {
            snprintf(out + o, sizeof ring[0] - o, "\\x%02x", c);
            o += 4;
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}

/* Dies when a buffer append failed: only possible past the 64 MiB cap. */
static void must(int rc)
{
    if (rc != 0)
        die("output too large: %s", dd_strerror(rc));
}

/* ------------------------------------------------------------ options */

/* The options of every subcommand, NULL when not given. */
struct opts {
    const char *app_key;
    const char *app_secret;
    const char *method;
    const char *param_json;
    const char *param_json_file;
    const char *timestamp;
    const char *sign_method;
    const char *v;
    const char *sign;
    const char *body;
    const char *body_file;
    const char *event_sign;
};

/* One accepted option: its name without "--" and where its value goes. */
struct optdef {
    const char *name;
    const char **slot;
};

/*
 * Reads `--name value` and `--name=value` pairs into the slots of `defs`.
 * `-h`/`--help` prints the subcommand's usage and exits 0. An unknown
 * option, a stray argument, a missing value or an option given twice is
 * bad usage.
 */
static void parse_opts(int argc, char **argv, const char *cmd,
                       const struct optdef *defs, size_t ndefs,
                       void (*help)(void))
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            help();
            exit(EXIT_MATCH);
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0')
            die("unexpected argument '%s' (try 'ddsign %s --help')", shown(a),
                cmd);
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct optdef *d = NULL;
        for (size_t k = 0; k < ndefs; k++) {
            if (strlen(defs[k].name) == nlen &&
                memcmp(defs[k].name, name, nlen) == 0) {
                d = &defs[k];
                break;
            }
        }
        if (!d)
            die("unknown option '%s' for '%s' (try 'ddsign %s --help')",
                shown(a), cmd, cmd);
        const char *value;
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
            value = argv[++i];
        } else {
            die("option --%s needs a value (use --%s=VALUE for a value "
                "starting with '--')",
                d->name, d->name);
        }
        if (*d->slot)
            die("option --%s given twice", d->name);
        *d->slot = value;
    }
}

/* Returns the value of a required option, or dies naming it. */
static const char *need(const char *value, const char *name, const char *cmd)
{
    if (!value)
        die("missing --%s (try 'ddsign %s --help')", name, cmd);
    return value;
}

/* ------------------------------------------------------------ inputs */

/* Dies unless `k` is a Doudian app_key. */
static void check_app_key(const char *k)
{
    if (!dd_app_key_valid(k))
        die("--app-key '%s' is not a Doudian app_key: it must be exactly 19 "
            "digits (the gateway answers isv.app-id-invalid otherwise)",
            shown(k));
}

static void check_secret(const char *s)
{
    if (s[0] == '\0')
        die("--app-secret is empty");
}

/* Checks `method` and writes its URL path into `path`. */
static void check_method(const char *method, char path[DD_METHOD_MAX])
{
    int rc = dd_path_from_method(method, path);
    if (rc == DD_E_TOO_LARGE)
        die("--method is too long: its URL path must fit in %d characters",
            DD_METHOD_MAX - 1);
    if (rc != 0)
        die("--method '%s' is not a Doudian method name: dot-separated parts "
            "of letters, digits and '_', e.g. afterSale.List",
            shown(method));
}

static const char *ts_form_name(enum dd_ts_form f)
{
    switch (f) {
    case DD_TS_SECONDS:
        return "Unix seconds";
    case DD_TS_MILLIS:
        return "Unix milliseconds";
    case DD_TS_DATE:
        return "date, read as UTC+8";
    }
    return "?";
}

/* Checks a timestamp in any of the three forms (§1.4). */
static void check_timestamp(const char *ts, int64_t *secs,
                            enum dd_ts_form *form)
{
    if (dd_timestamp_parse(ts, secs, form) != 0)
        die("--timestamp '%s' is not Unix seconds (10 digits), Unix "
            "milliseconds (13 digits) or \"yyyy-MM-dd HH:mm:ss\" (UTC+8)",
            shown(ts));
}

static enum dd_sign_method check_sign_method(const char *s)
{
    enum dd_sign_method m = DD_SIGN_MD5;
    if (s && dd_sign_method_parse(s, &m) != 0)
        die("--sign-method '%s' is not md5 or hmac-sha256", shown(s));
    return m;
}

static const char *check_v(const char *v)
{
    if (!v)
        return "2";
    if (v[0] == '\0')
        die("--v is empty (Doudian's v is 2)");
    return v;
}

/*
 * Reads a whole file ("-" is standard input) into `out`. Returns 0 or an
 * errno value.
 */
static int read_file(const char *path, struct dd_buf *out)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return errno ? errno : EIO;
    char chunk[65536];
    size_t got;
    int err = 0;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (dd_buf_append(out, chunk, got) != 0) {
            err = EFBIG;
            break;
        }
    }
    if (!err && ferror(f))
        err = EIO;
    if (!is_stdin)
        fclose(f);
    return err;
}

/* Where a text input came from and its bytes (not NUL-terminated when it
 * came from a file with NUL bytes in it). */
struct input {
    const char *from; /* "--param-json" or a file name */
    bool is_file;
    const char *text; /* NULL = not given */
    size_t len;
    struct dd_buf file; /* owns the text when it came from a file */
};

/* Fills `in` from a --X / --X-file pair of options; at most one may be
 * given. */
static void load_input(struct input *in, const char *text, const char *file,
                       const char *text_opt, const char *file_opt)
{
    dd_buf_init(&in->file, FILE_MAX);
    in->from = text_opt;
    in->is_file = false;
    in->text = NULL;
    in->len = 0;
    if (text && file)
        die("give either --%s or --%s, not both", text_opt, file_opt);
    if (text) {
        in->text = text;
        in->len = strlen(text);
    } else if (file) {
        int err = read_file(file, &in->file);
        if (err == EFBIG)
            die("cannot read %s: larger than %zu MiB", shown(file),
                FILE_MAX >> 20);
        if (err)
            die("cannot read %s: %s", shown(file), strerror(err));
        in->from = file;
        in->is_file = true;
        in->text = in->file.data ? in->file.data : "";
        in->len = in->file.len;
    }
}

/* Reports a param_json that could not be canonicalised, with the byte
 * offset, line and column of the problem, and exits 2. */
static _Noreturn void die_json(const struct input *in, int rc,
                               const struct dd_json_error *e)
{
    const char *why = e->msg[0] ? shown(e->msg) : dd_strerror(rc);
    if (in->is_file)
        die("%s:%u:%u: param_json rejected (%s): %s, at byte offset %zu "
            "(line %u, column %u)",
            shown(in->from), e->pos.line, e->pos.col, dd_strerror(rc), why,
            e->pos.offset, e->pos.line, e->pos.col);
    die("--param-json rejected (%s): %s, at byte offset %zu (line %u, column "
        "%u)",
        dd_strerror(rc), why, e->pos.offset, e->pos.line, e->pos.col);
}

/* The validated inputs shared by `sign` and `verify`. */
struct req {
    const char *app_key;
    const char *secret;
    const char *method;
    char path[DD_METHOD_MAX];
    const char *timestamp;
    char ts_now[24];
    int64_t ts_secs;
    enum dd_ts_form ts_form;
    enum dd_sign_method alg;
    const char *v;
    struct input pj;
};

static void load_req(struct req *r, const struct opts *o, const char *cmd,
                     bool ts_required)
{
    r->app_key = need(o->app_key, "app-key", cmd);
    r->secret = need(o->app_secret, "app-secret", cmd);
    r->method = need(o->method, "method", cmd);
    check_app_key(r->app_key);
    check_secret(r->secret);
    check_method(r->method, r->path);
    if (ts_required)
        need(o->timestamp, "timestamp", cmd);
    if (o->timestamp) {
        r->timestamp = o->timestamp;
    } else {
        snprintf(r->ts_now, sizeof r->ts_now, "%lld", (long long)time(NULL));
        r->timestamp = r->ts_now;
    }
    check_timestamp(r->timestamp, &r->ts_secs, &r->ts_form);
    r->alg = check_sign_method(o->sign_method);
    r->v = check_v(o->v);
    load_input(&r->pj, o->param_json, o->param_json_file, "param-json",
               "param-json-file");
}

static void req_free(struct req *r)
{
    dd_buf_free(&r->pj.file);
}

static struct dd_sign_params req_params(const struct req *r, const char *pj)
{
    struct dd_sign_params p = {r->app_key, r->method, pj, r->timestamp, r->v};
    return p;
}

static void print_timestamp(const struct req *r)
{
    char date[20];
    dd_timestamp_format_date(r->ts_secs, date);
    printf("timestamp: %s (%s%s%s%s; signed exactly as given, no clock-skew "
           "window applied here)\n",
           r->timestamp, ts_form_name(r->ts_form),
           r->ts_form == DD_TS_DATE ? "" : "; ",
           r->ts_form == DD_TS_DATE ? "" : date,
           r->ts_form == DD_TS_DATE ? "" : " UTC+8");
    if (strcmp(r->v, "2") != 0)
        printf("note: v is '%s'; Doudian's protocol version is 2 and the "
               "official Java SDK always signs \"v2\"\n",
               shown(r->v));
}

/* Appends "&key=value" (no '&' when `first`), the value percent-encoded. */
static void add_query(struct dd_buf *b, const char *key, const char *value,
                      size_t len, bool first)
{
    if (!first)
        must(dd_buf_putc(b, '&'));
    must(dd_buf_puts(b, key));
    must(dd_buf_putc(b, '='));
    must(dd_url_encode(b, value, len));
}

/* ------------------------------------------------------------ sign */

static void help_sign(void)
{
    fputs(
        "usage: ddsign sign --app-key K --app-secret S --method M\n"
        "                   [--param-json JSON | --param-json-file F]\n"
        "                   [--timestamp T] [--sign-method md5|hmac-sha256]\n"
        "                   [--v 2]\n"
        "\n"
        "Computes a Doudian request signature (doudian-open-api.md 1.5-1.6)\n"
        "and shows every step: the canonical param_json (keys sorted at\n"
        "every depth, no whitespace, numbers as written) in its plain form\n"
        "(signed by the Go/PHP SDKs) and, when it differs, its HTML-safe\n"
        "form (signed by the Java SDK/Gson: < > & = ' as \\u00xx); the\n"
        "string to sign with the secret masked; the sign; and a ready URL.\n"
        "\n"
        "  --app-key K          19 digits\n"
        "  --app-secret S       never printed\n"
        "  --method M           e.g. afterSale.List (path /afterSale/List)\n"
        "  --param-json JSON    the business parameters; omitted = {}\n"
        "  --param-json-file F  read them from F ('-' = standard input)\n"
        "  --timestamp T        Unix seconds, Unix milliseconds or\n"
        "                       \"yyyy-MM-dd HH:mm:ss\" (UTC+8), signed\n"
        "                       exactly as written; default: now, in seconds\n"
        "  --sign-method M      md5 (default, what the gateway assumes when\n"
        "                       sign_method is absent) or hmac-sha256\n"
        "  --v V                protocol version, default 2\n"
        "\n"
        "Exit status: 0 done, 2 bad usage or bad input.\n",
        stdout);
}

static int cmd_sign(int argc, char **argv)
{
    struct opts o = {0};
    const struct optdef defs[] = {
        {"app-key", &o.app_key},
        {"app-secret", &o.app_secret},
        {"method", &o.method},
        {"param-json", &o.param_json},
        {"param-json-file", &o.param_json_file},
        {"timestamp", &o.timestamp},
        {"sign-method", &o.sign_method},
        {"v", &o.v},
    };
    parse_opts(argc, argv, "sign", defs, sizeof defs / sizeof defs[0],
               help_sign);
    struct req r;
    load_req(&r, &o, "sign", false);

    struct dd_buf plain, html;
    struct dd_json_error jerr;
    memset(&jerr, 0, sizeof jerr);
    dd_buf_init(&plain, 0);
    dd_buf_init(&html, 0);
    int rc = dd_canonical_param_json(r.pj.text, r.pj.len, NULL, &plain, &html,
                                     &jerr);
    if (rc != 0)
        die_json(&r.pj, rc, &jerr);
    bool differs =
        plain.len != html.len || memcmp(plain.data, html.data, plain.len) != 0;

    struct dd_sign_params pp = req_params(&r, dd_buf_str(&plain));
    struct dd_sign_params ph = req_params(&r, dd_buf_str(&html));
    struct dd_buf sts_plain, sts_html;
    dd_buf_init(&sts_plain, 0);
    dd_buf_init(&sts_html, 0);
    must(dd_sign_string(&sts_plain, &pp, r.secret, true));
    must(dd_sign_string(&sts_html, &ph, r.secret, true));
    char sign_plain[DD_SIGN_HEX_MAX], sign_html[DD_SIGN_HEX_MAX];
    must(dd_sign_compute(&pp, r.secret, r.alg, sign_plain));
    must(dd_sign_compute(&ph, r.secret, r.alg, sign_html));

    printf("param_json (" LABEL_PLAIN "): %s\n", dd_buf_str(&plain));
    if (differs)
        printf("param_json (" LABEL_HTML "): %s\n", dd_buf_str(&html));
    printf("string to sign (plain, secret masked): %s\n",
           dd_buf_str(&sts_plain));
    if (differs)
        printf("string to sign (html-safe, secret masked): %s\n",
               dd_buf_str(&sts_html));
    print_timestamp(&r);
    printf("sign_method: %s\n", dd_sign_method_name(r.alg));
    printf("sign (plain): %s\n", sign_plain);
    if (differs)
        printf("sign (html-safe): %s\n", sign_html);

    struct dd_buf url;
    dd_buf_init(&url, 0);
    must(dd_buf_puts(&url, r.path));
    must(dd_buf_putc(&url, '?'));
    add_query(&url, "app_key", r.app_key, strlen(r.app_key), true);
    add_query(&url, "method", r.method, strlen(r.method), false);
    add_query(&url, "param_json", plain.data ? plain.data : "", plain.len,
              false);
    add_query(&url, "timestamp", r.timestamp, strlen(r.timestamp), false);
    add_query(&url, "v", r.v, strlen(r.v), false);
    add_query(&url, "sign_method", dd_sign_method_name(r.alg),
              strlen(dd_sign_method_name(r.alg)), false);
    add_query(&url, "sign", sign_plain, strlen(sign_plain), false);
    printf("url: %s\n", dd_buf_str(&url));

    if (differs)
        printf("note: param_json contains < > & = or ', so the Go/PHP and "
               "Java SDKs sign different strings; the gateway accepts either "
               "sign, and the url carries the plain one\n");
    else
        printf("note: param_json has no < > & = or ' to escape, so every "
               "official SDK signs this same string\n");
    printf("note: param_json may instead be sent as the raw POST body (what "
           "the official SDKs do): then leave it out of the query string; "
           "access_token, when the API needs one, goes in the query and is "
           "not signed\n");

    dd_buf_free(&url);
    dd_buf_free(&sts_plain);
    dd_buf_free(&sts_html);
    dd_buf_free(&plain);
    dd_buf_free(&html);
    req_free(&r);
    return EXIT_MATCH;
}

/* ------------------------------------------------------------ verify */

static void help_verify(void)
{
    fputs("usage: ddsign verify --app-key K --app-secret S --method M\n"
          "                     [--param-json JSON | --param-json-file F]\n"
          "                     --timestamp T --sign HEX\n"
          "                     [--sign-method md5|hmac-sha256] [--v 2]\n"
          "\n"
          "Checks a request signature the way the dd-harness gateway does: it\n"
          "canonicalises param_json (as received, in any key order) and\n"
          "accepts a sign over either the plain form (Go/PHP SDKs) or the\n"
          "HTML-safe form (Java SDK/Gson). Says which matched; on a mismatch\n"
          "it shows both expected signs and hints (upper-case hex, the other\n"
          "sign_method, another timestamp form, an uncanonicalised body).\n"
          "No clock-skew window is applied.\n"
          "\n"
          "Options as for 'ddsign sign' (see 'ddsign sign --help'), plus:\n"
          "  --timestamp T        required: the value exactly as sent\n"
          "  --sign HEX           the sign received\n"
          "\n"
          "Exit status: 0 match, 1 mismatch, 2 bad usage or bad input.\n",
          stdout);
}

/* True when `received` is a valid sign for these parameters with method
 * `m`; which variant matched goes into `*v`. */
static bool sign_ok(const struct dd_sign_params *p, const char *secret,
                    enum dd_sign_method m, const struct input *in,
                    const char *received, enum dd_variant *v)
{
    struct dd_json_error jerr;
    memset(&jerr, 0, sizeof jerr);
    *v = DD_VARIANT_NONE;
    return dd_sign_verify(p, secret, m, in->text, in->len, received, v, NULL,
                          &jerr) == 0;
}

static const char *variant_who(enum dd_variant v)
{
    return v == DD_VARIANT_HTML ? "html-safe (Java SDK/Gson form)"
                                : "plain (Go/PHP SDK form)";
}

static enum dd_sign_method other_method(enum dd_sign_method m)
{
    return m == DD_SIGN_MD5 ? DD_SIGN_HMAC_SHA256 : DD_SIGN_MD5;
}

/*
 * Looks for the usual reasons a sign does not match and prints one "hint:"
 * line per reason found: upper-case hex, the other sign_method, a different
 * timestamp text for the same instant, v other than 2, a sign over the raw
 * rather than the canonical param_json. Returns how many it found.
 */
static int print_hints(const struct req *r, const char *received,
                       const char *canonical_plain)
{
    int found = 0;
    enum dd_variant v;
    enum dd_sign_method om = other_method(r->alg);
    struct dd_sign_params p = req_params(r, NULL);

    size_t n = strlen(received);
    char *lower = malloc(n + 1);
    if (!lower)
        abort();
    bool has_upper = false;
    for (size_t i = 0; i <= n; i++) {
        char c = received[i];
        if (c >= 'A' && c <= 'Z') {
            has_upper = true;
            c = (char)(c - 'A' + 'a');
        }
        lower[i] = c;
    }
    if (has_upper) {
        if (sign_ok(&p, r->secret, r->alg, &r->pj, lower, &v)) {
            printf("hint: the sign matches once lower-cased (%s): Doudian "
                   "signs are lowercase hex; whether the real gateway "
                   "accepts upper case is not known, dd-harness does not\n",
                   variant_who(v));
            found++;
        } else {
            printf("hint: the received sign has upper-case letters; Doudian "
                   "signs are lowercase hex\n");
        }
    }

    const char *cand = has_upper ? lower : received;
    if (sign_ok(&p, r->secret, om, &r->pj, cand, &v)) {
        printf("hint: this is a valid %s sign (%s): the request must then "
               "say sign_method=%s%s (verify with --sign-method %s)\n",
               dd_sign_method_name(om), variant_who(v), dd_sign_method_name(om),
               om == DD_SIGN_MD5 ? " or carry no sign_method" : "",
               dd_sign_method_name(om));
        found++;
    }

    /* The same instant written in the other timestamp forms. */
    char alt[3][24];
    size_t nalt = 0;
    if (r->ts_form != DD_TS_SECONDS)
        snprintf(alt[nalt++], sizeof alt[0], "%lld", (long long)r->ts_secs);
    if (r->ts_form != DD_TS_MILLIS)
        snprintf(alt[nalt++], sizeof alt[0], "%lld000", (long long)r->ts_secs);
    if (r->ts_form != DD_TS_DATE)
        dd_timestamp_format_date(r->ts_secs, alt[nalt++]);
    for (size_t i = 0; i < nalt; i++) {
        struct dd_sign_params pt = p;
        pt.timestamp = alt[i];
        enum dd_sign_method ms[2] = {r->alg, om};
        for (int k = 0; k < 2; k++) {
            if (sign_ok(&pt, r->secret, ms[k], &r->pj, cand, &v)) {
                printf("hint: the sign matches timestamp \"%s\" (%s, %s): "
                       "the client signed a different timestamp text from "
                       "the one given; it is signed exactly as sent\n",
                       alt[i], dd_sign_method_name(ms[k]), variant_who(v));
                found++;
                break;
            }
        }
    }

    if (strcmp(r->v, "2") != 0) {
        struct dd_sign_params pv = p;
        pv.v = "2";
        if (sign_ok(&pv, r->secret, r->alg, &r->pj, cand, &v)) {
            printf("hint: the sign matches v=2: the client signed \"v2\" "
                   "(as the official Java SDK always does)\n");
            found++;
        }
    }

    /* A sign over param_json exactly as given instead of canonicalised. */
    if (r->pj.text && strlen(r->pj.text) == r->pj.len &&
        strcmp(r->pj.text, canonical_plain) != 0) {
        struct dd_sign_params pr = p;
        pr.param_json = r->pj.text;
        enum dd_sign_method ms[2] = {r->alg, om};
        for (int k = 0; k < 2; k++) {
            char hex[DD_SIGN_HEX_MAX];
            if (dd_sign_compute(&pr, r->secret, ms[k], hex) == 0 &&
                dd_hex_equal(hex, cand)) {
                printf("hint: the sign is over param_json exactly as given "
                       "(%s), not over its canonical form: sign the "
                       "canonical param_json shown above (keys sorted at "
                       "every depth, no whitespace)\n",
                       dd_sign_method_name(ms[k]));
                found++;
                break;
            }
        }
    }

    if (!found) {
        size_t want = r->alg == DD_SIGN_MD5 ? 32 : 64;
        if (n != want)
            printf("hint: the received sign has %zu characters; %s gives %zu "
                   "hex digits\n",
                   n, dd_sign_method_name(r->alg), want);
        if (strspn(lower, "0123456789abcdef") != n)
            printf("hint: the received sign has characters that are not hex "
                   "digits\n");
        printf("hint: nothing simple explains it: check app_secret, and "
               "that the client signs app_key, method, param_json, timestamp "
               "and v exactly as sent (access_token, sign_method and sign "
               "are not signed)\n");
    }
    free(lower);
    return found;
}

static int cmd_verify(int argc, char **argv)
{
    struct opts o = {0};
    const struct optdef defs[] = {
        {"app-key", &o.app_key},
        {"app-secret", &o.app_secret},
        {"method", &o.method},
        {"param-json", &o.param_json},
        {"param-json-file", &o.param_json_file},
        {"timestamp", &o.timestamp},
        {"sign-method", &o.sign_method},
        {"v", &o.v},
        {"sign", &o.sign},
    };
    parse_opts(argc, argv, "verify", defs, sizeof defs / sizeof defs[0],
               help_verify);
    struct req r;
    load_req(&r, &o, "verify", true);
    const char *received = need(o.sign, "sign", "verify");
    if (received[0] == '\0')
        die("--sign is empty");

    struct dd_sign_params p = req_params(&r, NULL);
    struct dd_sign_explain x;
    struct dd_json_error jerr;
    enum dd_variant matched = DD_VARIANT_NONE;
    memset(&x, 0, sizeof x);
    memset(&jerr, 0, sizeof jerr);
    int rc = dd_sign_verify(&p, r.secret, r.alg, r.pj.text, r.pj.len, received,
                            &matched, &x, &jerr);
    if (rc != 0 && rc != DD_E_MISMATCH) {
        if (jerr.code != 0)
            die_json(&r.pj, rc, &jerr);
        die("cannot verify: %s", dd_strerror(rc));
    }

    const char *alg = dd_sign_method_name(r.alg);
    if (rc == 0) {
        printf("match: %s, %s\n", variant_who(matched), alg);
    } else {
        printf("mismatch: %s (%s)\n",
               x.canonical_html
                   ? "the sign matches neither the plain nor the html-safe form"
                   : "the sign does not match",
               alg);
        printf("received: %s\n", shown(received));
        printf("expected (plain, %s): %s\n", alg, x.expected_plain);
        if (x.expected_html[0])
            printf("expected (html-safe, %s): %s\n", alg, x.expected_html);
    }
    printf("param_json (" LABEL_PLAIN "): %s\n",
           x.canonical_plain ? x.canonical_plain : "");
    if (x.canonical_html)
        printf("param_json (" LABEL_HTML "): %s\n", x.canonical_html);
    printf("string to sign (plain, secret masked): %s\n",
           x.string_to_sign ? x.string_to_sign : "");
    if (x.string_to_sign_html)
        printf("string to sign (html-safe, secret masked): %s\n",
               x.string_to_sign_html);
    print_timestamp(&r);
    if (rc != 0)
        print_hints(&r, received, x.canonical_plain ? x.canonical_plain : "");

    dd_sign_explain_free(&x);
    req_free(&r);
    return rc == 0 ? EXIT_MATCH : EXIT_MISMATCH;
}

/* ------------------------------------------------------------ push */

static void help_push_sign(void)
{
    fputs("usage: ddsign push-sign --app-key K --app-secret S\n"
          "                        (--body TEXT | --body-file F)\n"
          "\n"
          "Computes the event-sign header of a Doudian message push\n"
          "(doudian-open-api.md 5.1): md5(app_key + body + app_secret) in\n"
          "lowercase hex, over the body's exact bytes, and prints the two\n"
          "headers the platform sends, app-id and event-sign.\n"
          "\n"
          "  --app-key K      19 digits (sent as the app-id header)\n"
          "  --app-secret S   never printed\n"
          "  --body TEXT      the raw request body\n"
          "  --body-file F    read it from F ('-' = standard input), byte\n"
          "                   for byte, a trailing newline included\n"
          "\n"
          "Exit status: 0 done, 2 bad usage or bad input.\n",
          stdout);
}

static void help_push_verify(void)
{
    fputs("usage: ddsign push-verify --app-key K --app-secret S\n"
          "                          (--body TEXT | --body-file F)\n"
          "                          --event-sign HEX\n"
          "\n"
          "Checks the event-sign header of a Doudian message push\n"
          "(doudian-open-api.md 5.1) against md5(app_key + body +\n"
          "app_secret). On a mismatch it shows the expected value and hints.\n"
          "Options as for 'ddsign push-sign', plus:\n"
          "  --event-sign HEX  the event-sign header received\n"
          "\n"
          "Exit status: 0 match, 1 mismatch, 2 bad usage or bad input.\n",
          stdout);
}

/* The validated inputs of `push-sign` and `push-verify`. */
struct push {
    const char *app_key;
    const char *secret;
    struct input body;
};

static void load_push(struct push *ps, const struct opts *o, const char *cmd)
{
    ps->app_key = need(o->app_key, "app-key", cmd);
    ps->secret = need(o->app_secret, "app-secret", cmd);
    check_app_key(ps->app_key);
    check_secret(ps->secret);
    if (!o->body && !o->body_file)
        die("missing --body or --body-file (try 'ddsign %s --help')", cmd);
    load_input(&ps->body, o->body, o->body_file, "body", "body-file");
}

static bool ends_with_newline(const struct input *in)
{
    return in->len > 0 && in->text[in->len - 1] == '\n';
}

static void print_push_basis(const struct push *ps)
{
    printf("signed: app_key + body (%zu bytes) + %s, md5, lowercase hex\n",
           ps->body.len, DD_SECRET_MASK);
    if (ends_with_newline(&ps->body))
        printf("note: the body ends with a newline, which is signed too\n");
}

static int cmd_push_sign(int argc, char **argv)
{
    struct opts o = {0};
    const struct optdef defs[] = {
        {"app-key", &o.app_key},
        {"app-secret", &o.app_secret},
        {"body", &o.body},
        {"body-file", &o.body_file},
    };
    parse_opts(argc, argv, "push-sign", defs, sizeof defs / sizeof defs[0],
               help_push_sign);
    struct push ps;
    load_push(&ps, &o, "push-sign");
    char hex[33];
    dd_push_sign(ps.app_key, ps.body.text, ps.body.len, ps.secret, hex);
    print_push_basis(&ps);
    printf("app-id: %s\n", ps.app_key);
    printf("event-sign: %s\n", hex);
    dd_buf_free(&ps.body.file);
    return EXIT_MATCH;
}

static int cmd_push_verify(int argc, char **argv)
{
    struct opts o = {0};
    const struct optdef defs[] = {
        {"app-key", &o.app_key},
        {"app-secret", &o.app_secret},
        {"body", &o.body},
        {"body-file", &o.body_file},
        {"event-sign", &o.event_sign},
    };
    parse_opts(argc, argv, "push-verify", defs, sizeof defs / sizeof defs[0],
               help_push_verify);
    struct push ps;
    load_push(&ps, &o, "push-verify");
    const char *received = need(o.event_sign, "event-sign", "push-verify");
    if (received[0] == '\0')
        die("--event-sign is empty");

    const char *body = ps.body.text;
    size_t len = ps.body.len;
    char hex[33];
    dd_push_sign(ps.app_key, body, len, ps.secret, hex);
    int status;
    if (dd_push_verify(ps.app_key, body, len, ps.secret, received)) {
        printf("match: event-sign is md5(app_key + body + app_secret)\n");
        print_push_basis(&ps);
        printf("event-sign: %s\n", hex);
        status = EXIT_MATCH;
    } else {
        printf("mismatch: event-sign is not md5(app_key + body + "
               "app_secret)\n");
        printf("received: %s\n", shown(received));
        printf("expected: %s\n", hex);
        print_push_basis(&ps);

        size_t n = strlen(received);
        char lower[80];
        bool has_upper = false;
        if (n < sizeof lower) {
            for (size_t i = 0; i <= n; i++) {
                char c = received[i];
                if (c >= 'A' && c <= 'Z') {
                    has_upper = true;
                    c = (char)(c - 'A' + 'a');
                }
                lower[i] = c;
            }
        }
        int found = 0;
        if (has_upper &&
            dd_push_verify(ps.app_key, body, len, ps.secret, lower)) {
            printf("hint: it matches once lower-cased: send lowercase hex "
                   "(some receivers compare case-insensitively, dd-harness "
                   "does not)\n");
            found++;
        }
        const char *cand = has_upper ? lower : received;
        size_t cut = len;
        while (cut > 0 && (body[cut - 1] == '\n' || body[cut - 1] == '\r'))
            cut--;
        if (cut != len &&
            dd_push_verify(ps.app_key, body, cut, ps.secret, cand)) {
            printf("hint: it matches the body without its trailing "
                   "newline: sign the exact bytes sent\n");
            found++;
        }
        if (!found) {
            if (n != 32)
                printf("hint: the received event-sign has %zu characters; "
                       "md5 gives 32 hex digits\n",
                       n);
            printf("hint: check app_secret, that app_key is the app-id "
                   "header, and that the body is byte for byte the one "
                   "signed (no re-serialised JSON)\n");
        }
        status = EXIT_MISMATCH;
    }
    dd_buf_free(&ps.body.file);
    return status;
}

/* ------------------------------------------------------------ main */

static void help_main(void)
{
    fputs("usage: ddsign COMMAND [options]    (ddsign COMMAND --help)\n"
          "\n"
          "Debugs Doudian (抖店) open-platform signatures with the same code\n"
          "the dd-harness gateway uses (doudian-open-api.md 1.5-1.6, 5.1).\n"
          "\n"
          "commands:\n"
          "  sign         compute a request sign, showing every step\n"
          "  verify       check a request sign; say which SDK form matched\n"
          "  push-sign    compute a message push's event-sign header\n"
          "  push-verify  check a message push's event-sign header\n"
          "\n"
          "Exit status: 0 success or match, 1 mismatch, 2 bad usage or bad\n"
          "input (one line on stderr).\n",
          stdout);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("missing command: sign, verify, push-sign or push-verify (try "
            "'ddsign --help')");
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "help") == 0) {
        help_main();
        return EXIT_MATCH;
    }
    int rest = argc - 2;
    char **args = argv + 2;
    if (strcmp(cmd, "sign") == 0)
        return cmd_sign(rest, args);
    if (strcmp(cmd, "verify") == 0)
        return cmd_verify(rest, args);
    if (strcmp(cmd, "push-sign") == 0)
        return cmd_push_sign(rest, args);
    if (strcmp(cmd, "push-verify") == 0)
        return cmd_push_verify(rest, args);
    die("unknown command '%s': sign, verify, push-sign or push-verify (try "
        "'ddsign --help')",
        shown(cmd));
}
