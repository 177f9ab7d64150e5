/*
 * check_json.c: unit tests of proto/dd_json, the lexeme-preserving reader
 * and the canonical writer. The broad golden vectors (computed by python3
 * outside this code) are in check_vectors.c; this file pins the documented
 * edge-case decisions and the positions the reader reports, with expected
 * values typed by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "dd_err.h"
#include "dd_json.h"
#include "suites.h"

/* Canonicalises `in` and returns the plain (html=0) or HTML-safe variant as
 * a new string, or NULL on error (code in *rc). */
static char *canon(const char *in, int html, int *rc)
{
    struct dd_buf p, h;
    struct dd_json_error e;
    dd_buf_init(&p, 0);
    dd_buf_init(&h, 0);
    *rc = dd_canonical_param_json(in, strlen(in), NULL, &p, &h, &e);
    char *out = NULL;
    if (*rc == 0)
        out = dd_buf_steal(html ? &h : &p);
    dd_buf_free(&p);
    dd_buf_free(&h);
    return out;
}

static void expect_canon(const char *in, const char *plain, const char *html)
{
    int rc;
    char *got = canon(in, 0, &rc);
    ck_assert_msg(rc == 0, "canonicalising %s failed: %d", in, rc);
    ck_assert_str_eq(got, plain);
    free(got);
    got = canon(in, 1, &rc);
    ck_assert_str_eq(got, html);
    free(got);
}

START_TEST(test_canonical_json_sorts_nested_keys_by_byte_order)
{
    expect_canon("{\"b\":1,\"a\":{\"z\":[{\"y\":1,\"x\":2}],\"B\":0}}",
                 "{\"a\":{\"B\":0,\"z\":[{\"x\":2,\"y\":1}]},\"b\":1}",
                 "{\"a\":{\"B\":0,\"z\":[{\"x\":2,\"y\":1}]},\"b\":1}");
    /* byte order, not code point folding: "中" (E4...) after "z" */
    expect_canon("{\"中\":1,\"z\":2,\"é\":3}", "{\"z\":2,\"é\":3,\"中\":1}",
                 "{\"z\":2,\"é\":3,\"中\":1}");
    /* a key that is a prefix of another sorts first */
    expect_canon("{\"ab\":1,\"a\":2}", "{\"a\":2,\"ab\":1}",
                 "{\"a\":2,\"ab\":1}");
}

START_TEST(test_canonical_json_keeps_number_lexemes_exactly)
{
    expect_canon("{\"a\":-0,\"b\":1.50,\"c\":1e2,\"d\":1E+2,\"e\":"
                 "9223372036854775807,\"f\":-1.5e-3}",
                 "{\"a\":-0,\"b\":1.50,\"c\":1e2,\"d\":1E+2,\"e\":"
                 "9223372036854775807,\"f\":-1.5e-3}",
                 "{\"a\":-0,\"b\":1.50,\"c\":1e2,\"d\":1E+2,\"e\":"
                 "9223372036854775807,\"f\":-1.5e-3}");
}

START_TEST(test_canonical_json_removes_whitespace_and_keeps_null)
{
    expect_canon(" {\n\t\"a\" : null ,\r\n \"b\" : [ true , false ] } \n",
                 "{\"a\":null,\"b\":[true,false]}",
                 "{\"a\":null,\"b\":[true,false]}");
}

START_TEST(test_canonical_json_of_empty_or_blank_input_is_an_empty_object)
{
    expect_canon("", "{}", "{}");
    expect_canon(" \n\t\r ", "{}", "{}");
    struct dd_buf p;
    dd_buf_init(&p, 0);
    ck_assert_int_eq(dd_canonical_param_json(NULL, 0, NULL, &p, NULL, NULL), 0);
    ck_assert_str_eq(p.data, "{}");
    dd_buf_free(&p);
    expect_canon("{}", "{}", "{}");
    expect_canon("{\"a\":{},\"b\":[]}", "{\"a\":{},\"b\":[]}",
                 "{\"a\":{},\"b\":[]}");
}

START_TEST(test_canonical_json_lets_the_last_duplicate_key_win)
{
    expect_canon("{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}",
                 "{\"a\":3,\"b\":2}");
    expect_canon("{\"x\":{\"k\":1,\"k\":{\"z\":1,\"y\":2}}}",
                 "{\"x\":{\"k\":{\"y\":2,\"z\":1}}}",
                 "{\"x\":{\"k\":{\"y\":2,\"z\":1}}}");
}

START_TEST(test_canonical_json_escapes_control_characters_as_documented)
{
    expect_canon("{\"s\":\"\\b\\f\\n\\r\\t\\u0001\\u001F\\u0000\\u007f\"}",
                 "{\"s\":\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u0000\x7f\"}",
                 "{\"s\":\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u0000\x7f\"}");
}

START_TEST(test_canonical_json_escapes_quote_and_backslash_but_not_slash)
{
    expect_canon("{\"s\":\"a\\\"b\\\\c\\/d/e\"}", "{\"s\":\"a\\\"b\\\\c/d/e\"}",
                 "{\"s\":\"a\\\"b\\\\c/d/e\"}");
}

START_TEST(test_canonical_json_html_variant_escapes_gson_characters)
{
    expect_canon("{\"k<\":\"<>&='\"}", "{\"k<\":\"<>&='\"}",
                 "{\"k\\u003c\":\"\\u003c\\u003e\\u0026\\u003d\\u0027\"}");
}

START_TEST(test_canonical_json_escapes_line_and_paragraph_separators)
{
    /* raw U+2028 and escaped U+2029 in the input */
    expect_canon("{\"s\":\"a\xe2\x80\xa8"
                 "b\\u2029c\xe2\x80\xa9\"}",
                 "{\"s\":\"a\\u2028b\\u2029c\\u2029\"}",
                 "{\"s\":\"a\\u2028b\\u2029c\\u2029\"}");
    /* other E2 sequences stay raw */
    expect_canon("{\"s\":\"\xe2\x82\xac\"}", "{\"s\":\"\xe2\x82\xac\"}",
                 "{\"s\":\"\xe2\x82\xac\"}");
}

START_TEST(test_canonical_json_decodes_unicode_escapes_to_raw_utf8)
{
    expect_canon("{\"s\":\"\\u4e2d\\u0041\\ud83d\\ude00\"}",
                 "{\"s\":\"中A\xf0\x9f\x98\x80\"}",
                 "{\"s\":\"中A\xf0\x9f\x98\x80\"}");
}

/* Parses `in`, expecting failure with `code` at offset/line/col. */
static void expect_error(const char *in, size_t len, int code, size_t offset,
                         unsigned line, unsigned col)
{
    struct dd_buf p;
    struct dd_json_error e;
    dd_buf_init(&p, 0);
    memset(&e, 0, sizeof e);
    int rc = dd_canonical_param_json(in, len, NULL, &p, NULL, &e);
    ck_assert_msg(rc == code, "input [%s]: got %s, want %s", in,
                  dd_err_name(rc), dd_err_name(code));
    ck_assert_int_eq(e.code, code);
    ck_assert_msg(
        e.pos.offset == offset && e.pos.line == line && e.pos.col == col,
        "input [%s]: error at %zu %u:%u, want %zu %u:%u (%s)", in, e.pos.offset,
        e.pos.line, e.pos.col, offset, line, col, e.msg);
    ck_assert(e.msg[0] != '\0');
    dd_buf_free(&p);
}

START_TEST(test_reader_reports_syntax_errors_with_offset_line_and_column)
{
    expect_error("{\"a\":1,}", 8, DD_E_SYNTAX, 7, 1, 8);
    expect_error("{\"a\" 1}", 7, DD_E_SYNTAX, 5, 1, 6);
    expect_error("{\"a\":01}", 8, DD_E_SYNTAX, 6, 1, 7);
    expect_error("{\"a\":\"x", 7, DD_E_SYNTAX, 7, 1, 8);
    expect_error("{} x", 4, DD_E_SYNTAX, 3, 1, 4);
    expect_error("{\n  \"中文\": 1,\n  \"b\": tru }", 29, DD_E_SYNTAX, 27, 3,
                 11);
    /* the column counts characters: 中文 are two columns, six bytes */
    expect_error("{\"中文\":x}", 12, DD_E_SYNTAX, 10, 1, 7);
}

START_TEST(test_reader_rejects_invalid_utf8_and_lone_surrogates)
{
    expect_error("{\"a\":\"\xff\"}", 9, DD_E_UTF8, 6, 1, 7);
    expect_error("{\"a\":\"\xc0\xaf\"}", 10, DD_E_UTF8, 6, 1, 7);
    expect_error("{\"a\":\"\xed\xa0\x80\"}", 11, DD_E_UTF8, 6, 1, 7);
    expect_error("{\"a\":\"\\ud800\"}", 14, DD_E_UTF8, 6, 1, 7);
    expect_error("{\"a\":\"\\udc00\"}", 14, DD_E_UTF8, 6, 1, 7);
    expect_error("{\"a\":\"\\ud800\\u0041\"}", 20, DD_E_UTF8, 6, 1, 7);
}

START_TEST(test_reader_rejects_a_top_level_that_is_not_an_object)
{
    expect_error("[1]", 3, DD_E_NOT_OBJECT, 0, 1, 1);
    expect_error("  \"s\"", 5, DD_E_NOT_OBJECT, 2, 1, 3);
    expect_error("null", 4, DD_E_NOT_OBJECT, 0, 1, 1);
    expect_error("12", 2, DD_E_NOT_OBJECT, 0, 1, 1);
}

START_TEST(test_reader_accepts_depth_64_and_rejects_depth_65)
{
    struct dd_buf in;
    dd_buf_init(&in, 0);
    dd_buf_puts(&in, "{\"a\":");
    for (int i = 0; i < 63; i++)
        dd_buf_putc(&in, '[');
    for (int i = 0; i < 63; i++)
        dd_buf_putc(&in, ']');
    dd_buf_putc(&in, '}');
    struct dd_buf out;
    dd_buf_init(&out, 0);
    ck_assert_int_eq(
        dd_canonical_param_json(in.data, in.len, NULL, &out, NULL, NULL), 0);
    ck_assert_str_eq(out.data, in.data);
    dd_buf_reset(&in);
    dd_buf_puts(&in, "{\"a\":");
    for (int i = 0; i < 64; i++)
        dd_buf_putc(&in, '[');
    for (int i = 0; i < 64; i++)
        dd_buf_putc(&in, ']');
    dd_buf_putc(&in, '}');
    /* the 65th container opens at offset 5 + 63 */
    expect_error(in.data, in.len, DD_E_DEPTH, 68, 1, 69);
    dd_buf_free(&in);
    dd_buf_free(&out);
}

START_TEST(test_reader_rejects_input_over_the_size_cap)
{
    struct dd_json_limits lim = {0, 16};
    struct dd_json_doc doc;
    struct dd_json_error e;
    const char *in = "{\"a\":\"0123456789\"}";
    ck_assert_int_eq(dd_json_parse(in, strlen(in), &lim, &doc, &e),
                     DD_E_TOO_LARGE);
    ck_assert_uint_eq(e.pos.offset, 16);
    ck_assert_ptr_null(doc.root);
    dd_json_doc_free(&doc);
    lim.max_bytes = strlen(in);
    ck_assert_int_eq(dd_json_parse(in, strlen(in), &lim, &doc, &e), 0);
    dd_json_doc_free(&doc);
    /* and the default cap applies to param_json */
    size_t big = DD_JSON_DEFAULT_MAX_BYTES + 1;
    char *s = malloc(big);
    memset(s, ' ', big);
    s[0] = '{';
    s[big - 1] = '}';
    struct dd_buf out;
    dd_buf_init(&out, 0);
    ck_assert_int_eq(dd_canonical_param_json(s, big, NULL, &out, NULL, &e),
                     DD_E_TOO_LARGE);
    free(s);
    dd_buf_free(&out);
}

START_TEST(test_reader_keeps_the_position_of_every_value_and_key)
{
    const char *in = "{\n  \"id\": 7000000000000000001,\n  \"s\": [\"x\", "
                     "{\"k\": null}]\n}";
    struct dd_json_doc doc;
    ck_assert_int_eq(dd_json_parse(in, strlen(in), NULL, &doc, NULL), 0);
    const struct dd_json *id = dd_json_get(doc.root, "id");
    ck_assert_ptr_nonnull(id);
    ck_assert_uint_eq(id->pos.line, 2);
    ck_assert_uint_eq(id->pos.col, 9);
    ck_assert_uint_eq(id->key_pos.line, 2);
    ck_assert_uint_eq(id->key_pos.col, 3);
    ck_assert_str_eq(id->text, "7000000000000000001");
    const struct dd_json *s = dd_json_get(doc.root, "s");
    ck_assert_int_eq(s->type, DD_JSON_ARRAY);
    ck_assert_uint_eq(s->n, 2);
    ck_assert_uint_eq(s->kids[1].pos.line, 3);
    ck_assert_uint_eq(s->kids[1].pos.col, 14);
    const struct dd_json *k = dd_json_get(&s->kids[1], "k");
    ck_assert_int_eq(k->type, DD_JSON_NULL);
    ck_assert(dd_json_is_absent(k));
    ck_assert(dd_json_is_absent(dd_json_get(doc.root, "missing")));
    ck_assert_ptr_null(dd_json_get(s, "k"));
    dd_json_doc_free(&doc);
}

START_TEST(test_reader_get_returns_the_last_duplicate)
{
    const char *in = "{\"a\":1,\"a\":2}";
    struct dd_json_doc doc;
    ck_assert_int_eq(dd_json_parse(in, strlen(in), NULL, &doc, NULL), 0);
    ck_assert_str_eq(dd_json_get(doc.root, "a")->text, "2");
    ck_assert_uint_eq(doc.root->n, 2);
    dd_json_doc_free(&doc);
}

START_TEST(test_reader_keeps_nul_inside_strings_by_length)
{
    const char *in = "{\"a\":\"x\\u0000y\"}";
    struct dd_json_doc doc;
    ck_assert_int_eq(dd_json_parse(in, strlen(in), NULL, &doc, NULL), 0);
    const struct dd_json *a = dd_json_get(doc.root, "a");
    ck_assert_uint_eq(a->len, 3);
    ck_assert_int_eq(memcmp(a->text, "x\0y", 3), 0);
    dd_json_doc_free(&doc);
}

static int int64_of(const char *json, int64_t *out)
{
    struct dd_json_doc doc;
    if (dd_json_parse(json, strlen(json), NULL, &doc, NULL))
        return -100;
    int rc = dd_json_int64(doc.root, out);
    dd_json_doc_free(&doc);
    return rc;
}

START_TEST(test_int64_reader_reads_ids_as_numbers_or_strings_exactly)
{
    int64_t v = 0;
    ck_assert_int_eq(int64_of("7000000000000000001", &v), 0);
    ck_assert(v == INT64_C(7000000000000000001));
    ck_assert_int_eq(int64_of("\"7000000000000000001\"", &v), 0);
    ck_assert(v == INT64_C(7000000000000000001));
    ck_assert_int_eq(int64_of("9223372036854775807", &v), 0);
    ck_assert(v == INT64_MAX);
    ck_assert_int_eq(int64_of("-9223372036854775808", &v), 0);
    ck_assert(v == INT64_MIN);
    ck_assert_int_eq(int64_of("-0", &v), 0);
    ck_assert(v == 0);
    /* 2^53 + 1 would not survive a double */
    ck_assert_int_eq(int64_of("9007199254740993", &v), 0);
    ck_assert(v == INT64_C(9007199254740993));
}

START_TEST(test_int64_reader_rejects_fractions_overflow_and_non_numbers)
{
    int64_t v;
    ck_assert_int_eq(int64_of("9223372036854775808", &v), DD_E_RANGE);
    ck_assert_int_eq(int64_of("\"-9223372036854775809\"", &v), DD_E_RANGE);
    ck_assert_int_eq(int64_of("1.0", &v), DD_E_TYPE);
    ck_assert_int_eq(int64_of("1e2", &v), DD_E_TYPE);
    ck_assert_int_eq(int64_of("\"\"", &v), DD_E_TYPE);
    ck_assert_int_eq(int64_of("\"12a\"", &v), DD_E_TYPE);
    ck_assert_int_eq(int64_of("\" 12\"", &v), DD_E_TYPE);
    ck_assert_int_eq(int64_of("\"+12\"", &v), DD_E_TYPE);
    ck_assert_int_eq(int64_of("true", &v), DD_E_TYPE);
    ck_assert_int_eq(int64_of("null", &v), DD_E_TYPE);
    ck_assert_int_eq(dd_json_int64(NULL, &v), DD_E_TYPE);
}

START_TEST(test_writer_string_escapes_into_a_buffer_with_a_cap)
{
    struct dd_buf b;
    dd_buf_init(&b, 5);
    ck_assert_int_eq(dd_json_write_string(&b, "abc", 3, DD_ESCAPE_PLAIN), 0);
    ck_assert_str_eq(b.data, "\"abc\"");
    ck_assert_int_eq(dd_json_write_string(&b, "", 0, DD_ESCAPE_PLAIN),
                     DD_E_TOO_LARGE);
    dd_buf_free(&b);
}

START_TEST(test_has_html_chars_looks_at_keys_and_nested_values)
{
    const char *cases[][2] = {{"{\"a\":[{\"b\":\"x=y\"}]}", "1"},
                              {"{\"a&\":1}", "1"},
                              {"{\"a\":\"plain 中文\"}", "0"},
                              {"{\"a\":1e2}", "0"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dd_json_doc doc;
        ck_assert_int_eq(
            dd_json_parse(cases[i][0], strlen(cases[i][0]), NULL, &doc, NULL),
            0);
        ck_assert_int_eq(dd_json_has_html_chars(doc.root),
                         cases[i][1][0] == '1');
        dd_json_doc_free(&doc);
    }
}

Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("canonical");
    tcase_add_test(tc, test_canonical_json_sorts_nested_keys_by_byte_order);
    tcase_add_test(tc, test_canonical_json_keeps_number_lexemes_exactly);
    tcase_add_test(tc, test_canonical_json_removes_whitespace_and_keeps_null);
    tcase_add_test(
        tc, test_canonical_json_of_empty_or_blank_input_is_an_empty_object);
    tcase_add_test(tc, test_canonical_json_lets_the_last_duplicate_key_win);
    tcase_add_test(
        tc, test_canonical_json_escapes_control_characters_as_documented);
    tcase_add_test(
        tc, test_canonical_json_escapes_quote_and_backslash_but_not_slash);
    tcase_add_test(tc,
                   test_canonical_json_html_variant_escapes_gson_characters);
    tcase_add_test(tc,
                   test_canonical_json_escapes_line_and_paragraph_separators);
    tcase_add_test(tc, test_canonical_json_decodes_unicode_escapes_to_raw_utf8);
    suite_add_tcase(s, tc);

    tc = tcase_create("reader");
    tcase_add_test(
        tc, test_reader_reports_syntax_errors_with_offset_line_and_column);
    tcase_add_test(tc, test_reader_rejects_invalid_utf8_and_lone_surrogates);
    tcase_add_test(tc, test_reader_rejects_a_top_level_that_is_not_an_object);
    tcase_add_test(tc, test_reader_accepts_depth_64_and_rejects_depth_65);
    tcase_add_test(tc, test_reader_rejects_input_over_the_size_cap);
    tcase_add_test(tc, test_reader_keeps_the_position_of_every_value_and_key);
    tcase_add_test(tc, test_reader_get_returns_the_last_duplicate);
    tcase_add_test(tc, test_reader_keeps_nul_inside_strings_by_length);
    tcase_add_test(tc,
                   test_int64_reader_reads_ids_as_numbers_or_strings_exactly);
    tcase_add_test(
        tc, test_int64_reader_rejects_fractions_overflow_and_non_numbers);
    tcase_add_test(tc, test_writer_string_escapes_into_a_buffer_with_a_cap);
    tcase_add_test(tc, test_has_html_chars_looks_at_keys_and_nested_values);
    suite_add_tcase(s, tc);
    return s;
}
