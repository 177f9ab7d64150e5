/*
 * fuzz_canonical.c: libFuzzer target for the JSON reader and the canonical
 * param_json writer (proto/dd_json.c, doudian-open-api.md §1.6).
 *
 * Every input goes to dd_canonical_param_json (both variants, and the plain
 * one alone) and to dd_json_parse. Beyond "never crash", it checks the
 * properties signatures depend on: a canonical output re-parses and
 * canonicalises to itself byte for byte in both variants; the plain and
 * HTML-safe forms describe the same value; the canonicaliser agrees with
 * the parser plus dd_json_write_canonical; duplicate keys resolve to the
 * last one; exact integers round-trip; errors point inside the input.
 * Built by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_buf.h"
#include "dd_err.h"
#include "dd_json.h"
#include "fuzz_check.h"

static bool same(const struct dd_buf *a, const struct dd_buf *b)
{
    return a->len == b->len &&
           (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Set by walk() when some object repeats a key. */
static bool saw_duplicate_key;

static bool is_json_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* An error must be one of the documented codes and point inside the
 * input, with a NUL-terminated message. */
static void check_error(int rc, const struct dd_json_error *e, size_t size)
{
    CHECK(rc < 0);
    CHECK(rc == DD_E_SYNTAX || rc == DD_E_DEPTH || rc == DD_E_TOO_LARGE ||
          rc == DD_E_UTF8 || rc == DD_E_NOT_OBJECT);
    CHECK(e->pos.offset <= size);
    CHECK(e->pos.line >= 1);
    CHECK(e->pos.col >= 1);
    CHECK(memchr(e->msg, '\0', sizeof e->msg) != NULL);
}

/* Canonicalises `in` again and requires both variants to come out as
 * `plain` and `html`. */
static void check_fixpoint(const struct dd_buf *in, const struct dd_buf *plain,
                           const struct dd_buf *html)
{
    struct dd_buf p2, h2;
    struct dd_json_error err;
    dd_buf_init(&p2, 0);
    dd_buf_init(&h2, 0);
    int rc = dd_canonical_param_json(in->data, in->len, NULL, &p2, &h2, &err);
    CHECK(rc == 0);
    CHECK(same(&p2, plain));
    CHECK(same(&h2, html));
    dd_buf_free(&p2);
    dd_buf_free(&h2);
}

/*
 * Walks a parsed tree checking what the header promises for each node:
 * dd_json_get returns the last of repeated keys; exact integers read by
 * dd_json_int64 print back as their lexeme (bar "-0"); strings have
 * text[len] == NUL.
 */
static void walk(const struct dd_json *v, unsigned depth)
{
    CHECK(depth <= DD_JSON_DEFAULT_MAX_DEPTH + 1);
    CHECK(v->pos.line >= 1 && v->pos.col >= 1);
    int64_t n;
    switch (v->type) {
    case DD_JSON_NUMBER:
        CHECK(v->text != NULL && v->len > 0);
        if (dd_json_int64(v, &n) == 0 &&
            !(v->len == 2 && memcmp(v->text, "-0", 2) == 0)) {
            char buf[32];
            snprintf(buf, sizeof buf, "%lld", (long long)n);
            CHECK(strlen(buf) == v->len && memcmp(buf, v->text, v->len) == 0);
        }
        break;
    case DD_JSON_STRING:
        CHECK(v->text != NULL && v->text[v->len] == '\0');
        (void)dd_json_int64(v, &n);
        break;
    case DD_JSON_OBJECT:
        for (size_t i = 0; i < v->n; i++) {
            const struct dd_json *kid = &v->kids[i];
            CHECK(kid->key != NULL && kid->key[kid->key_len] == '\0');
            const struct dd_json *last = NULL;
            for (size_t j = 0; j < v->n; j++)
                if (v->kids[j].key_len == kid->key_len &&
                    memcmp(v->kids[j].key, kid->key, kid->key_len) == 0)
                    last = &v->kids[j];
            if (last != kid)
                saw_duplicate_key = true;
            if (strlen(kid->key) == kid->key_len)
                CHECK(dd_json_get(v, kid->key) == last);
            walk(kid, depth + 1);
        }
        break;
    case DD_JSON_ARRAY:
        for (size_t i = 0; i < v->n; i++) {
            CHECK(v->kids[i].key == NULL);
            walk(&v->kids[i], depth + 1);
        }
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct dd_buf plain, html, plain_only;
    struct dd_json_error err, err2;
    memset(&err, 0, sizeof err);
    memset(&err2, 0, sizeof err2);
    dd_buf_init(&plain, 0);
    dd_buf_init(&html, 0);
    dd_buf_init(&plain_only, 0);

    int rc = dd_canonical_param_json(text, size, NULL, &plain, &html, &err);
    int rc2 =
        dd_canonical_param_json(text, size, NULL, &plain_only, NULL, &err2);
    CHECK(rc == rc2);

    bool blank = true;
    for (size_t i = 0; i < size && blank; i++)
        blank = is_json_ws(data[i]);

    if (rc == 0) {
        CHECK(plain.len > 0 && plain.data[0] == '{');
        CHECK(same(&plain, &plain_only));
        CHECK(plain.data[plain.len] == '\0');
        CHECK(html.data[html.len] == '\0');
        /* The html form only ever grows: each escape replaces one byte by
         * six. */
        CHECK(html.len >= plain.len && (html.len - plain.len) % 5 == 0);
        /* Idempotence, and both forms describe the same value. */
        check_fixpoint(&plain, &plain, &html);
        check_fixpoint(&html, &plain, &html);
        struct dd_json_doc d;
        CHECK(dd_json_parse(plain.data, plain.len, NULL, &d, NULL) == 0);
        CHECK(d.root && d.root->type == DD_JSON_OBJECT);
        dd_json_doc_free(&d);
        CHECK(dd_json_parse(html.data, html.len, NULL, &d, NULL) == 0);
        dd_json_doc_free(&d);
    } else {
        check_error(rc, &err, size);
        CHECK(err.code == rc);
        CHECK(err2.code == rc2 && err2.pos.offset == err.pos.offset);
    }

    /* The parser on its own must agree with the canonicaliser. */
    struct dd_json_doc doc;
    struct dd_json_error perr;
    memset(&perr, 0, sizeof perr);
    int prc = dd_json_parse(text, size, NULL, &doc, &perr);
    if (prc == 0) {
        CHECK(doc.root != NULL);
        saw_duplicate_key = false;
        walk(doc.root, 1);
        if (doc.root->type == DD_JSON_OBJECT) {
            CHECK(rc == 0);
            struct dd_buf w, wh;
            dd_buf_init(&w, 0);
            dd_buf_init(&wh, 0);
            CHECK(dd_json_write_canonical(&w, doc.root, DD_ESCAPE_PLAIN) == 0);
            CHECK(dd_json_write_canonical(&wh, doc.root, DD_ESCAPE_HTML) == 0);
            CHECK(same(&w, &plain));
            CHECK(same(&wh, &html));
            /* A shadowed duplicate member may hold the only HTML
             * character; dd_json_has_html_chars counting it costs only a
             * needless second write, so there only the safe direction is
             * required. */
            bool has = dd_json_has_html_chars(doc.root);
            if (!same(&plain, &html))
                CHECK(has);
            else if (!saw_duplicate_key)
                CHECK(!has);
            dd_buf_free(&w);
            dd_buf_free(&wh);
        } else {
            CHECK(rc == DD_E_NOT_OBJECT);
        }
    } else {
        check_error(prc, &perr, size);
        CHECK(prc != DD_E_NOT_OBJECT);
        CHECK(doc.root == NULL);
        if (blank) {
            CHECK(rc == 0 && plain.len == 2 &&
                  memcmp(plain.data, "{}", 2) == 0);
        } else {
            CHECK(rc == prc);
            CHECK(err.pos.offset == perr.pos.offset);
        }
    }
    dd_json_doc_free(&doc);

    dd_buf_free(&plain);
    dd_buf_free(&html);
    dd_buf_free(&plain_only);
    return 0;
}
