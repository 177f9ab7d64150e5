/*
 * check_sign.c: unit tests of proto/dd_sign: the string to sign, digests,
 * constant-time comparison, verification over both canonical variants, the
 * explain output and push event-sign. Expected digests were computed outside
 * this code with python3's hashlib and hmac (the broad vector set is in
 * check_vectors.c).
 */
#include <stdlib.h>
#include <string.h>

#include "dd_err.h"
#include "dd_sign.h"
#include "suites.h"

#define KEY    "1234567890123456789"
#define SECRET "00000000-test-secret-0000-000000000000"

START_TEST(test_sign_method_defaults_to_md5_and_knows_hmac_sha256)
{
    enum dd_sign_method m = DD_SIGN_HMAC_SHA256;
    ck_assert_int_eq(dd_sign_method_parse(NULL, &m), 0);
    ck_assert_int_eq(m, DD_SIGN_MD5);
    ck_assert_int_eq(dd_sign_method_parse("", &m), 0);
    ck_assert_int_eq(m, DD_SIGN_MD5);
    ck_assert_int_eq(dd_sign_method_parse("hmac-sha256", &m), 0);
    ck_assert_int_eq(m, DD_SIGN_HMAC_SHA256);
    ck_assert_int_eq(dd_sign_method_parse("HMAC-SHA256", &m), DD_E_FORMAT);
    ck_assert_int_eq(dd_sign_method_parse("sha256", &m), DD_E_FORMAT);
    ck_assert_str_eq(dd_sign_method_name(DD_SIGN_MD5), "md5");
    ck_assert_str_eq(dd_sign_method_name(DD_SIGN_HMAC_SHA256), "hmac-sha256");
}

START_TEST(test_sign_string_wraps_the_five_parameters_in_the_secret)
{
    struct dd_sign_params p = {KEY, "afterSale.List", "{\"page\":0}",
                               "1700000000", NULL};
    struct dd_buf b;
    dd_buf_init(&b, 0);
    ck_assert_int_eq(dd_sign_string(&b, &p, "S", false), 0);
    ck_assert_str_eq(b.data, "Sapp_key" KEY "methodafterSale.List"
                             "param_json{\"page\":0}timestamp1700000000v2S");
    dd_buf_reset(&b);
    ck_assert_int_eq(dd_sign_string(&b, &p, "S", true), 0);
    ck_assert_str_eq(b.data, DD_SECRET_MASK
                     "app_key" KEY "methodafterSale.Listparam_json{\"page\":0}"
                     "timestamp1700000000v2" DD_SECRET_MASK);
    dd_buf_free(&b);
}

START_TEST(test_digests_match_python_hashlib)
{
    char hex[DD_SIGN_HEX_MAX];
    dd_digest_hex(DD_SIGN_MD5, "ignored", "abc", 3, hex);
    ck_assert_str_eq(hex, "900150983cd24fb0d6963f7d28e17f72");
    dd_digest_hex(DD_SIGN_HMAC_SHA256, "key", "abc", 3, hex);
    ck_assert_str_eq(
        hex,
        "9c196e32dc0175f86f4b1cb89289d6619de6bee699e4c378e68309ed97a1a6ab");
}

START_TEST(test_sign_compute_reproduces_the_spec_vector)
{
    /* doudian-open-api.md §1.5, first row of the vector table */
    struct dd_sign_params p = {KEY, "afterSale.List",
                               "{\"page\":0,\"size\":10}", "1700000000", "2"};
    char hex[DD_SIGN_HEX_MAX];
    ck_assert_int_eq(dd_sign_compute(&p, SECRET, DD_SIGN_MD5, hex), 0);
    ck_assert_str_eq(hex, "62996cd1e5e8d237fac70fa4573b42c8");
    ck_assert_int_eq(dd_sign_compute(&p, SECRET, DD_SIGN_HMAC_SHA256, hex), 0);
    ck_assert_str_eq(
        hex,
        "5a76290927fe130d2e4b12a163079aa298476f83fa5f7f79ec42cfb7e0f15549");
}

START_TEST(test_hex_equal_needs_the_exact_bytes)
{
    ck_assert(dd_hex_equal("abcd", "abcd"));
    ck_assert(!dd_hex_equal("abcd", "abce"));
    ck_assert(!dd_hex_equal("abcd", "ABCD"));
    ck_assert(!dd_hex_equal("abcd", "abc"));
    ck_assert(!dd_hex_equal("abc", "abcd"));
    ck_assert(!dd_hex_equal("abcd", ""));
    ck_assert(dd_hex_equal("", ""));
}

START_TEST(test_verify_accepts_an_unsorted_java_style_body_and_names_variant)
{
    /* The official Java SDK sends its fields unsorted with HTML escapes and
     * signs the sorted HTML-safe form: the spec's fourth vector. */
    const char *body = "{\"type\":201,\"items\":[{\"aftersale_id\":"
                       "\"7000000000000000001\",\"reason\":\"x\",\"remark\":"
                       "\"质检\\u003c不通过\\u003e\\u0026退回\"}]}";
    struct dd_sign_params p = {KEY, "afterSale.operate", NULL, "1700000000",
                               NULL};
    enum dd_variant v = DD_VARIANT_NONE;
    ck_assert_int_eq(dd_sign_verify(&p, SECRET, DD_SIGN_MD5, body, strlen(body),
                                    "c112122db3c723ddacb162b89314557a", &v,
                                    NULL, NULL),
                     0);
    ck_assert_int_eq(v, DD_VARIANT_HTML);
    /* the Go form of the same request: plain variant, hmac */
    ck_assert_int_eq(
        dd_sign_verify(
            &p, SECRET, DD_SIGN_HMAC_SHA256, body, strlen(body),
            "b4c84d4331ecdb3dc2cbee2eaa9593a5c5ab41d8de48eecac36a00ef"
            "f6db3a93",
            &v, NULL, NULL),
        0);
    ck_assert_int_eq(v, DD_VARIANT_PLAIN);
}

START_TEST(test_verify_rejects_one_character_off_and_explains_why)
{
    const char *body = "{\"size\":10,\"page\":0}";
    struct dd_sign_params p = {KEY, "afterSale.List", NULL, "1700000000", NULL};
    struct dd_sign_explain x;
    enum dd_variant v = DD_VARIANT_PLAIN;
    ck_assert_int_eq(dd_sign_verify(&p, SECRET, DD_SIGN_MD5, body, strlen(body),
                                    "62996cd1e5e8d237fac70fa4573b42c9", &v, &x,
                                    NULL),
                     DD_E_MISMATCH);
    ck_assert_int_eq(v, DD_VARIANT_NONE);
    ck_assert_int_eq(x.matched, DD_VARIANT_NONE);
    ck_assert_str_eq(x.canonical_plain, "{\"page\":0,\"size\":10}");
    ck_assert_ptr_null(x.canonical_html);
    ck_assert_str_eq(x.expected_plain, "62996cd1e5e8d237fac70fa4573b42c8");
    ck_assert_str_eq(x.expected_html, "");
    ck_assert_ptr_null(strstr(x.string_to_sign, SECRET));
    ck_assert_ptr_nonnull(strstr(x.string_to_sign, DD_SECRET_MASK));
    dd_sign_explain_free(&x);
}

START_TEST(test_verify_reports_bad_param_json_with_its_position)
{
    struct dd_sign_params p = {KEY, "afterSale.List", NULL, "1700000000", NULL};
    struct dd_json_error e;
    struct dd_sign_explain x;
    ck_assert_int_eq(dd_sign_verify(&p, SECRET, DD_SIGN_MD5, "{\"a\":}", 6,
                                    "00", NULL, &x, &e),
                     DD_E_SYNTAX);
    ck_assert_uint_eq(e.pos.offset, 5);
    ck_assert_ptr_null(x.canonical_plain);
    dd_sign_explain_free(&x);
    ck_assert_int_eq(
        dd_sign_verify(&p, SECRET, DD_SIGN_MD5, "[]", 2, "00", NULL, NULL, &e),
        DD_E_NOT_OBJECT);
}

START_TEST(test_verify_treats_an_absent_body_as_an_empty_object)
{
    struct dd_sign_params p = {KEY, "afterSale.List", "{}", "1700000000", NULL};
    char hex[DD_SIGN_HEX_MAX];
    ck_assert_int_eq(dd_sign_compute(&p, SECRET, DD_SIGN_MD5, hex), 0);
    ck_assert_int_eq(
        dd_sign_verify(&p, SECRET, DD_SIGN_MD5, NULL, 0, hex, NULL, NULL, NULL),
        0);
    ck_assert_int_eq(
        dd_sign_verify(&p, SECRET, DD_SIGN_MD5, "  ", 2, hex, NULL, NULL, NULL),
        0);
}

START_TEST(test_push_sign_is_md5_of_key_body_secret)
{
    const char *body = "[{\"tag\":\"200\",\"msg_id\":\"1\",\"data\":\"{}\"}]";
    char hex[33];
    dd_push_sign(KEY, body, strlen(body), SECRET, hex);
    ck_assert_str_eq(hex, "12b5dfd83017bf6594d0e19031a887d0");
    ck_assert(dd_push_verify(KEY, body, strlen(body), SECRET,
                             "12b5dfd83017bf6594d0e19031a887d0"));
    ck_assert(!dd_push_verify(KEY, body, strlen(body), SECRET,
                              "12b5dfd83017bf6594d0e19031a887d1"));
    ck_assert(!dd_push_verify(KEY, body, strlen(body), SECRET, NULL));
    ck_assert(!dd_push_verify(KEY, body, strlen(body) - 1, SECRET,
                              "12b5dfd83017bf6594d0e19031a887d0"));
}

Suite *sign_suite(void)
{
    Suite *s = suite_create("sign");
    TCase *tc = tcase_create("sign");
    tcase_add_test(tc, test_sign_method_defaults_to_md5_and_knows_hmac_sha256);
    tcase_add_test(tc,
                   test_sign_string_wraps_the_five_parameters_in_the_secret);
    tcase_add_test(tc, test_digests_match_python_hashlib);
    tcase_add_test(tc, test_sign_compute_reproduces_the_spec_vector);
    tcase_add_test(tc, test_hex_equal_needs_the_exact_bytes);
    tcase_add_test(
        tc, test_verify_accepts_an_unsorted_java_style_body_and_names_variant);
    tcase_add_test(tc, test_verify_rejects_one_character_off_and_explains_why);
    tcase_add_test(tc, test_verify_reports_bad_param_json_with_its_position);
    tcase_add_test(tc, test_verify_treats_an_absent_body_as_an_empty_object);
    tcase_add_test(tc, test_push_sign_is_md5_of_key_body_secret);
    suite_add_tcase(s, tc);
    return s;
}
