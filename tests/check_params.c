/*
 * check_params.c: unit tests of proto/dd_params: method <-> path, the three
 * timestamp forms, app_key, query decoding and the gateway's syntactic
 * checks in their documented order. Expected epoch values were computed
 * outside this code (python3: datetime(..., tzinfo=timezone(timedelta(
 * hours=8))).timestamp()).
 */
#include <string.h>

#include "dd_err.h"
#include "dd_params.h"
#include "suites.h"

START_TEST(test_method_from_path_collapses_repeated_slashes)
{
    char m[DD_METHOD_MAX];
    ck_assert_int_eq(dd_method_from_path("/afterSale/List", m), 0);
    ck_assert_str_eq(m, "afterSale.List");
    ck_assert_int_eq(dd_method_from_path("//afterSale//List/", m), 0);
    ck_assert_str_eq(m, "afterSale.List");
    ck_assert_int_eq(dd_method_from_path("token/create", m), 0);
    ck_assert_str_eq(m, "token.create");
    ck_assert_int_eq(
        dd_method_from_path("/sendHome/afterSale/operateAfterSale?x=1", m), 0);
    ck_assert_str_eq(m, "sendHome.afterSale.operateAfterSale");
}

START_TEST(test_method_from_path_rejects_empty_and_strange_paths)
{
    char m[DD_METHOD_MAX];
    ck_assert_int_eq(dd_method_from_path("/", m), DD_E_FORMAT);
    ck_assert_int_eq(dd_method_from_path("", m), DD_E_FORMAT);
    ck_assert_int_eq(dd_method_from_path("/after.Sale/List", m), DD_E_FORMAT);
    ck_assert_int_eq(dd_method_from_path("/a/%2e", m), DD_E_FORMAT);
    char longp[300];
    memset(longp, 'a', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    ck_assert_int_eq(dd_method_from_path(longp, m), DD_E_TOO_LARGE);
}

START_TEST(test_path_from_method_is_the_inverse)
{
    char p[DD_METHOD_MAX];
    ck_assert_int_eq(dd_path_from_method("afterSale.CancelSendGoodsSuccess", p),
                     0);
    ck_assert_str_eq(p, "/afterSale/CancelSendGoodsSuccess");
    ck_assert_int_eq(dd_path_from_method("afterSale..List", p), DD_E_FORMAT);
    ck_assert_int_eq(dd_path_from_method(".List", p), DD_E_FORMAT);
    ck_assert_int_eq(dd_path_from_method("List.", p), DD_E_FORMAT);
    ck_assert_int_eq(dd_path_from_method("", p), DD_E_FORMAT);
    ck_assert_int_eq(dd_path_from_method("a/b", p), DD_E_FORMAT);
}

START_TEST(test_timestamp_reads_seconds_milliseconds_and_beijing_dates)
{
    int64_t t;
    enum dd_ts_form f;
    ck_assert_int_eq(dd_timestamp_parse("1700000000", &t, &f), 0);
    ck_assert(t == 1700000000 && f == DD_TS_SECONDS);
    ck_assert_int_eq(dd_timestamp_parse("1700000000999", &t, &f), 0);
    ck_assert(t == 1700000000 && f == DD_TS_MILLIS);
    /* 2023-11-15 06:13:20 +08:00 == 1700000000 */
    ck_assert_int_eq(dd_timestamp_parse("2023-11-15 06:13:20", &t, &f), 0);
    ck_assert(t == 1700000000 && f == DD_TS_DATE);
    /* 2024-02-29 00:00:00 +08:00 == 1709136000 */
    ck_assert_int_eq(dd_timestamp_parse("2024-02-29 00:00:00", &t, NULL), 0);
    ck_assert(t == 1709136000);
    /* 1970-01-01 08:00:00 +08:00 == 0 */
    ck_assert_int_eq(dd_timestamp_parse("1970-01-01 08:00:00", &t, NULL), 0);
    ck_assert(t == 0);
}

START_TEST(test_timestamp_rejects_every_other_shape)
{
    int64_t t;
    const char *bad[] = {"",
                         "170000000",
                         "17000000000",
                         "170000000000",
                         "17000000000000",
                         " 1700000000",
                         "1700000000 ",
                         "-170000000",
                         "1.70000000",
                         "2023-11-15T06:13:20",
                         "2023-11-15 06:13",
                         "2023-13-01 00:00:00",
                         "2023-02-29 00:00:00",
                         "2023-04-31 00:00:00",
                         "2023-11-15 24:00:00",
                         "2023-11-15 23:60:00",
                         "2023-11-15 23:59:60",
                         "2023-00-10 00:00:00",
                         "2023-1a-10 00:00:00",
                         "1969-12-31 23:59:59",
                         "abcdefghij"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(dd_timestamp_parse(bad[i], &t, NULL) == DD_E_FORMAT,
                      "accepted %s", bad[i]);
    ck_assert_int_eq(dd_timestamp_parse(NULL, &t, NULL), DD_E_FORMAT);
}

START_TEST(test_timestamp_formats_dates_in_beijing_time)
{
    char d[20];
    dd_timestamp_format_date(1700000000, d);
    ck_assert_str_eq(d, "2023-11-15 06:13:20");
    dd_timestamp_format_date(1709136000, d);
    ck_assert_str_eq(d, "2024-02-29 00:00:00");
    dd_timestamp_format_date(0, d);
    ck_assert_str_eq(d, "1970-01-01 08:00:00");
}

START_TEST(test_app_key_must_be_exactly_19_digits)
{
    ck_assert(dd_app_key_valid("1234567890123456789"));
    ck_assert(!dd_app_key_valid("123456789012345678"));
    ck_assert(!dd_app_key_valid("12345678901234567890"));
    ck_assert(!dd_app_key_valid("123456789012345678a"));
    ck_assert(!dd_app_key_valid(""));
    ck_assert(!dd_app_key_valid(NULL));
}

START_TEST(test_query_parse_decodes_percent_plus_and_bare_keys)
{
    struct dd_query q;
    const char *s = "a=1&b=%E4%B8%AD+x&&c&d=&e=%2b%2F";
    ck_assert_int_eq(dd_query_parse(s, strlen(s), &q), 0);
    ck_assert_uint_eq(q.n, 5);
    ck_assert_str_eq(dd_query_get(&q, "a"), "1");
    ck_assert_str_eq(dd_query_get(&q, "b"), "中 x");
    ck_assert_str_eq(dd_query_get(&q, "c"), "");
    ck_assert_str_eq(dd_query_get(&q, "d"), "");
    ck_assert_str_eq(dd_query_get(&q, "e"), "+/");
    ck_assert_ptr_null(dd_query_get(&q, "z"));
    dd_query_free(&q);
}

START_TEST(test_query_parse_rejects_bad_escapes_nul_and_too_many_pairs)
{
    struct dd_query q;
    const char *bad[] = {"a=%", "a=%4", "a=%zz", "a=%00", "%4=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(dd_query_parse(bad[i], strlen(bad[i]), &q),
                         DD_E_FORMAT);
        ck_assert_uint_eq(q.n, 0);
    }
    struct dd_buf b;
    dd_buf_init(&b, 0);
    for (int i = 0; i <= DD_QUERY_MAX_PARAMS; i++)
        dd_buf_printf(&b, "k%d=v&", i);
    ck_assert_int_eq(dd_query_parse(b.data, b.len, &q), DD_E_TOO_LARGE);
    ck_assert_uint_eq(q.n, 0);
    dd_buf_free(&b);
}

START_TEST(test_url_encode_keeps_only_unreserved_characters)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    const char *s = "{\"a\":\"中 &=+/~._-\"}";
    ck_assert_int_eq(dd_url_encode(&b, s, strlen(s)), 0);
    ck_assert_str_eq(b.data,
                     "%7B%22a%22%3A%22%E4%B8%AD%20%26%3D%2B%2F~._-%22%7D");
    dd_buf_free(&b);
}

/* Runs dd_common_check over a query string. */
static const char *check_query(const char *s, const char *path_method)
{
    static struct dd_query q;
    struct dd_common c;
    dd_query_free(&q);
    ck_assert_int_eq(dd_query_parse(s, strlen(s), &q), 0);
    dd_common_from_query(&c, &q);
    return dd_common_check(&c, path_method);
}

START_TEST(test_common_check_follows_the_documented_order)
{
    const char *ok = "app_key=1234567890123456789&method=afterSale.List&"
                     "timestamp=1700000000&v=2&sign=abc";
    ck_assert_ptr_null(check_query(ok, "afterSale.List"));
    ck_assert_ptr_null(check_query(ok, "aftersale.list"));
    ck_assert_str_eq(check_query("method=x", NULL), "isv.app-id-missing");
    ck_assert_str_eq(check_query("app_key=&method=x", NULL),
                     "isv.app-id-missing");
    ck_assert_str_eq(check_query("app_key=12&timestamp=x", NULL),
                     "isv.app-id-invalid");
    ck_assert_str_eq(
        check_query("app_key=1234567890123456789&timestamp=x", NULL),
        "isv.parameter-missing");
    ck_assert_str_eq(check_query("app_key=1234567890123456789&method=a.b&"
                                 "timestamp=x",
                                 "afterSale.List"),
                     "isv.parameter-invalid");
    ck_assert_str_eq(check_query("app_key=1234567890123456789&method=a.b&"
                                 "sign=x",
                                 NULL),
                     "isv.parameter-missing");
    ck_assert_str_eq(check_query("app_key=1234567890123456789&method=a.b&"
                                 "timestamp=17000&sign=x",
                                 NULL),
                     "isv.timestamp-format-error");
    ck_assert_str_eq(check_query("app_key=1234567890123456789&method=a.b&"
                                 "timestamp=1700000000&sign_method=sha1&"
                                 "sign=x",
                                 NULL),
                     "isv.parameter-invalid");
    ck_assert_str_eq(check_query("app_key=1234567890123456789&method=a.b&"
                                 "timestamp=1700000000&sign_method=md5",
                                 NULL),
                     "isv.signature-missing");
    check_query("", NULL); /* frees the static query */
}

START_TEST(test_common_check_fills_the_parsed_timestamp_and_algorithm)
{
    struct dd_query q;
    const char *s = "app_key=1234567890123456789&method=afterSale.List&"
                    "timestamp=2023-11-15+06%3A13%3A20&sign_method=hmac-"
                    "sha256&sign=abc&access_token=tok";
    ck_assert_int_eq(dd_query_parse(s, strlen(s), &q), 0);
    struct dd_common c;
    dd_common_from_query(&c, &q);
    ck_assert_ptr_null(dd_common_check(&c, NULL));
    ck_assert(c.ts_seconds == 1700000000);
    ck_assert_int_eq(c.ts_form, DD_TS_DATE);
    ck_assert_int_eq(c.sign_alg, DD_SIGN_HMAC_SHA256);
    ck_assert_str_eq(c.access_token, "tok");
    dd_query_free(&q);
}

Suite *params_suite(void)
{
    Suite *s = suite_create("params");
    TCase *tc = tcase_create("params");
    tcase_add_test(tc, test_method_from_path_collapses_repeated_slashes);
    tcase_add_test(tc, test_method_from_path_rejects_empty_and_strange_paths);
    tcase_add_test(tc, test_path_from_method_is_the_inverse);
    tcase_add_test(tc,
                   test_timestamp_reads_seconds_milliseconds_and_beijing_dates);
    tcase_add_test(tc, test_timestamp_rejects_every_other_shape);
    tcase_add_test(tc, test_timestamp_formats_dates_in_beijing_time);
    tcase_add_test(tc, test_app_key_must_be_exactly_19_digits);
    tcase_add_test(tc, test_query_parse_decodes_percent_plus_and_bare_keys);
    tcase_add_test(tc,
                   test_query_parse_rejects_bad_escapes_nul_and_too_many_pairs);
    tcase_add_test(tc, test_url_encode_keeps_only_unreserved_characters);
    tcase_add_test(tc, test_common_check_follows_the_documented_order);
    tcase_add_test(tc,
                   test_common_check_fills_the_parsed_timestamp_and_algorithm);
    suite_add_tcase(s, tc);
    return s;
}
