/*
 * check_envelope.c: tests of the response envelope and the log_id
 * (dd_envelope).
 *
 * Expected bytes are typed literals: the Beijing times were worked out
 * independently of the code (Python's datetime with a fixed +08:00 offset),
 * the envelopes follow doudian-open-api.md §3.1 key by key, and the parser
 * is fed the real response sample quoted there.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dd_buf.h"
#include "dd_envelope.h"
#include "dd_err.h"
#include "dd_errtab.h"
#include "dd_json.h"
#include "suites.h"

/* The real 2021 response sample of open-api §3.1. */
static const char real_sample[] =
    "{\"code\":10000,\"data\":[],\"err_no\":0,\"log_id\":"
    "\"20211203091350010194059098259B567F\",\"message\":\"success\","
    "\"msg\":\"success\",\"sub_code\":\"\",\"sub_msg\":\"\"}";

/* ---------------------------------------------------------------- log_id */

START_TEST(test_log_id_shows_beijing_time_then_upper_case_entropy)
{
    char id[DD_LOG_ID_LEN + 1];
    /* 1700000000 is 2023-11-14 22:13:20 UTC, 2023-11-15 06:13:20 Beijing. */
    dd_log_id_format(id, 1700000000, 0xABCD, UINT64_C(0x0123456789ABCDEF));
    ck_assert_str_eq(id, "20231115061320ABCD0123456789ABCDEF");
    ck_assert_uint_eq(strlen(id), 34);
    ck_assert(dd_log_id_valid(id));
}
END_TEST

static const struct {
    int64_t t;
    const char *digits;
} times[] = {
    {0, "19700101080000"},
    {-1, "19700101075959"},
    {1638494030, "20211203091350"}, /* the time of the §3.1 sample */
    {1709222399, "20240229235959"}, /* leap day */
    {1709222400, "20240301000000"},
    {1704038399, "20231231235959"}, /* Beijing new year ... */
    {1704038400, "20240101000000"}, /* ... is 16:00 UTC */
    {951753600, "20000229000000"},  /* 2000 is a leap year */
    {4102415999, "20991231235959"},
    {-2208988800, "19000101080000"},
    {253402271999, "99991231235959"},
};

START_TEST(test_log_id_time_digits_are_right_across_day_and_year_edges)
{
    char id[DD_LOG_ID_LEN + 1];
    dd_log_id_format(id, times[_i].t, 0, 0);
    ck_assert_msg(strncmp(id, times[_i].digits, 14) == 0, "t=%lld: %s vs %s",
                  (long long)times[_i].t, id, times[_i].digits);
    ck_assert_str_eq(id + 14, "00000000000000000000");
}
END_TEST

START_TEST(test_log_id_clamps_times_beyond_four_digit_years)
{
    char id[DD_LOG_ID_LEN + 1];
    dd_log_id_format(id, 253402272000, 1, 2);
    ck_assert_str_eq(id, "9999123123595900010000000000000002");
    dd_log_id_format(id, INT64_MAX, 0, 0);
    ck_assert_str_eq(id, "9999123123595900000000000000000000");
    dd_log_id_format(id, INT64_MIN, 0, 0);
    ck_assert_str_eq(id, "0000010100000000000000000000000000");
    ck_assert(dd_log_id_valid(id));
}
END_TEST

START_TEST(test_log_id_uses_all_80_bits_of_entropy)
{
    char id[DD_LOG_ID_LEN + 1];
    dd_log_id_format(id, 1700000000, 0xFFFF, UINT64_MAX);
    ck_assert_str_eq(id, "20231115061320FFFFFFFFFFFFFFFFFFFF");
    dd_log_id_format(id, 1700000000, 0x00F0, UINT64_C(0xA000000000000001));
    ck_assert_str_eq(id, "2023111506132000F0A000000000000001");
}
END_TEST

START_TEST(test_log_id_ignores_the_tz_environment_variable)
{
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    char id[DD_LOG_ID_LEN + 1];
    setenv("TZ", "America/Los_Angeles", 1);
    tzset();
    dd_log_id_format(id, 1700000000, 0, 0);
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
    ck_assert_str_eq(id, "2023111506132000000000000000000000");
}
END_TEST

START_TEST(test_log_id_valid_accepts_the_real_sample)
{
    ck_assert(dd_log_id_valid("20211203091350010194059098259B567F"));
}
END_TEST

START_TEST(test_log_id_valid_rejects_other_shapes)
{
    ck_assert(!dd_log_id_valid(NULL));
    ck_assert(!dd_log_id_valid(""));
    /* lower-case hex */
    ck_assert(!dd_log_id_valid("20211203091350010194059098259b567f"));
    /* 33 and 35 characters */
    ck_assert(!dd_log_id_valid("20211203091350010194059098259B567"));
    ck_assert(!dd_log_id_valid("20211203091350010194059098259B567F0"));
    /* a non-digit in the time, a non-hex digit in the tail */
    ck_assert(!dd_log_id_valid("2021120309135A010194059098259B567F"));
    ck_assert(!dd_log_id_valid("20211203091350010194059098259G567F"));
    /* month 13, day 00, hour 24, minute 60 */
    ck_assert(!dd_log_id_valid("20211303091350010194059098259B567F"));
    ck_assert(!dd_log_id_valid("20211200091350010194059098259B567F"));
    ck_assert(!dd_log_id_valid("20211203241350010194059098259B567F"));
    ck_assert(!dd_log_id_valid("20211203096050010194059098259B567F"));
}
END_TEST

/* ---------------------------------------------------------------- writing */

START_TEST(test_error_envelope_for_a_bad_signature_has_the_exact_bytes)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    const struct dd_api_error *e =
        dd_errtab_find("order.logisticsAdd", "isv.signature-invalid");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(
        dd_envelope_write_error(&b, e, "20231115061320ABCD0123456789ABCDEF"),
        0);
    ck_assert_str_eq(dd_buf_str(&b),
                     "{\"code\":40003,\"msg\":\"非法的参数\","
                     "\"sub_code\":\"isv.signature-invalid\","
                     "\"sub_msg\":\"签名校验失败\","
                     "\"log_id\":\"20231115061320ABCD0123456789ABCDEF\","
                     "\"data\":{}}");
    dd_buf_free(&b);
}
END_TEST

START_TEST(test_ok_envelope_wraps_data_verbatim)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    ck_assert_int_eq(dd_envelope_write_ok(&b,
                                          "20211203091350010194059098259B567F",
                                          "{\"total\":0,\"items\":[]}"),
                     0);
    ck_assert_str_eq(dd_buf_str(&b),
                     "{\"code\":10000,\"msg\":\"success\",\"sub_code\":\"\","
                     "\"sub_msg\":\"\","
                     "\"log_id\":\"20211203091350010194059098259B567F\","
                     "\"data\":{\"total\":0,\"items\":[]}}");
    dd_buf_free(&b);
}
END_TEST

START_TEST(test_ok_envelope_without_data_has_an_empty_object)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    ck_assert_int_eq(dd_buf_puts(&b, "HTTP body: "), 0);
    ck_assert_int_eq(dd_envelope_write_ok(&b, "X", NULL), 0);
    ck_assert_str_eq(dd_buf_str(&b),
                     "HTTP body: {\"code\":10000,\"msg\":\"success\","
                     "\"sub_code\":\"\",\"sub_msg\":\"\",\"log_id\":\"X\","
                     "\"data\":{}}");
    dd_buf_free(&b);
}
END_TEST

START_TEST(test_envelope_escapes_its_strings_the_plain_way)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    ck_assert_int_eq(dd_envelope_write(&b, 20000, "a\"b\\c\nd\x01", NULL,
                                       "<&>'=/", "L", "[]"),
                     0);
    ck_assert_str_eq(dd_buf_str(&b),
                     "{\"code\":20000,\"msg\":\"a\\\"b\\\\c\\nd\\u0001\","
                     "\"sub_code\":\"\",\"sub_msg\":\"<&>'=/\","
                     "\"log_id\":\"L\",\"data\":[]}");
    dd_buf_free(&b);
}
END_TEST

START_TEST(test_envelope_write_leaves_a_full_buffer_as_it_was)
{
    struct dd_buf b;
    dd_buf_init(&b, 40);
    ck_assert_int_eq(dd_buf_puts(&b, "keep"), 0);
    const struct dd_api_error *e =
        dd_errtab_find(NULL, "isv.signature-invalid");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(
        dd_envelope_write_error(&b, e, "20231115061320ABCD0123456789ABCDEF"),
        DD_E_TOO_LARGE);
    ck_assert_uint_eq(b.len, 4);
    ck_assert_str_eq(dd_buf_str(&b), "keep");
    dd_buf_free(&b);
}
END_TEST

START_TEST(test_envelope_write_error_refuses_a_null_row)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    ck_assert_int_eq(dd_envelope_write_error(&b, NULL, "L"), DD_E_USAGE);
    ck_assert_uint_eq(b.len, 0);
    dd_buf_free(&b);
}
END_TEST

/* ---------------------------------------------------------------- reading */

static int parse_str(const char *body, struct dd_envelope *env,
                     struct dd_json_error *err)
{
    return dd_envelope_parse(body, strlen(body), env, err);
}

START_TEST(test_parse_reads_the_real_response_sample)
{
    struct dd_envelope env;
    struct dd_json_error err;
    ck_assert_int_eq(parse_str(real_sample, &env, &err), 0);
    ck_assert_int_eq(env.code, 10000);
    ck_assert_str_eq(env.msg, "success");
    ck_assert_str_eq(env.sub_code, "");
    ck_assert_str_eq(env.sub_msg, "");
    ck_assert_str_eq(env.log_id, "20211203091350010194059098259B567F");
    ck_assert_ptr_nonnull(env.data);
    ck_assert_int_eq(env.data->type, DD_JSON_ARRAY);
    ck_assert_uint_eq(env.data->n, 0);
    dd_envelope_free(&env);
}
END_TEST

START_TEST(test_parse_accepts_code_as_a_numeric_string)
{
    struct dd_envelope env;
    ck_assert_int_eq(
        parse_str("{\"code\":\"10000\",\"msg\":\"success\"}", &env, NULL), 0);
    ck_assert_int_eq(env.code, 10000);
    ck_assert_str_eq(env.msg, "success");
    dd_envelope_free(&env);

    ck_assert_int_eq(parse_str("{\"code\":\"40003\"}", &env, NULL), 0);
    ck_assert_int_eq(env.code, 40003);
    dd_envelope_free(&env);
}
END_TEST

START_TEST(test_parse_reads_absent_strings_as_empty_and_absent_data_as_null)
{
    struct dd_envelope env;
    ck_assert_int_eq(parse_str("{\"code\":50002}", &env, NULL), 0);
    ck_assert_int_eq(env.code, 50002);
    ck_assert_str_eq(env.msg, "");
    ck_assert_str_eq(env.sub_code, "");
    ck_assert_str_eq(env.sub_msg, "");
    ck_assert_str_eq(env.log_id, "");
    ck_assert_ptr_null(env.data);
    dd_envelope_free(&env);

    ck_assert_int_eq(
        parse_str("{\"code\":10000,\"msg\":null,\"data\":null}", &env, NULL),
        0);
    ck_assert_str_eq(env.msg, "");
    ck_assert_ptr_null(env.data);
    dd_envelope_free(&env);
}
END_TEST

START_TEST(test_write_then_parse_round_trips_every_field)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    const struct dd_api_error *e = dd_errtab_find(
        "afterSale.returnGoodsToWareHouseSuccess", "isv.business-failed:12001");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(
        dd_envelope_write(&b, e->code, e->msg, e->sub_code, e->sub_msg,
                          "20240229235959ABCD0123456789ABCDEF",
                          "{\"aftersale_id\":\"7000000000000000001\"}"),
        0);
    struct dd_envelope env;
    struct dd_json_error err;
    ck_assert_int_eq(dd_envelope_parse(b.data, b.len, &env, &err), 0);
    ck_assert_int_eq(env.code, 50002);
    ck_assert_str_eq(env.msg, "业务处理失败");
    ck_assert_str_eq(env.sub_code, "isv.business-failed:12001");
    ck_assert_str_eq(env.sub_msg, "售后单类型与策略限制不符合，未命中此策略");
    ck_assert_str_eq(env.log_id, "20240229235959ABCD0123456789ABCDEF");
    ck_assert_ptr_nonnull(env.data);
    const struct dd_json *id = dd_json_get(env.data, "aftersale_id");
    ck_assert_ptr_nonnull(id);
    ck_assert_str_eq(id->text, "7000000000000000001");
    dd_envelope_free(&env);
    dd_buf_free(&b);
}
END_TEST

/* After a failed parse the envelope is empty and safe to free. */
static void assert_empty(struct dd_envelope *env)
{
    ck_assert_int_eq(env->code, 0);
    ck_assert_str_eq(env->msg, "");
    ck_assert_str_eq(env->sub_code, "");
    ck_assert_str_eq(env->log_id, "");
    ck_assert_ptr_null(env->data);
    ck_assert_ptr_null(env->doc.root);
    dd_envelope_free(env);
}

START_TEST(test_parse_rejects_text_that_is_not_json)
{
    struct dd_envelope env;
    struct dd_json_error err;
    ck_assert_int_eq(parse_str("not json", &env, &err), DD_E_SYNTAX);
    ck_assert_int_eq(err.code, DD_E_SYNTAX);
    assert_empty(&env);
    ck_assert_int_eq(parse_str("", &env, &err), DD_E_SYNTAX);
    assert_empty(&env);
    ck_assert_int_eq(parse_str("{\"code\":10000", &env, NULL), DD_E_SYNTAX);
    assert_empty(&env);
}
END_TEST

START_TEST(test_parse_rejects_a_top_level_that_is_not_an_object)
{
    struct dd_envelope env;
    struct dd_json_error err;
    ck_assert_int_eq(parse_str("[{\"code\":10000}]", &env, &err),
                     DD_E_NOT_OBJECT);
    ck_assert_int_eq(err.code, DD_E_NOT_OBJECT);
    assert_empty(&env);
    ck_assert_int_eq(parse_str("10000", &env, NULL), DD_E_NOT_OBJECT);
    assert_empty(&env);
}
END_TEST

START_TEST(test_parse_reports_a_missing_code)
{
    struct dd_envelope env;
    struct dd_json_error err;
    ck_assert_int_eq(parse_str("{\"msg\":\"success\"}", &env, &err),
                     DD_E_MISSING);
    ck_assert_int_eq(err.code, DD_E_MISSING);
    assert_empty(&env);
    ck_assert_int_eq(parse_str("{\"code\":null}", &env, NULL), DD_E_MISSING);
    assert_empty(&env);
    /* the legacy pair alone is not an envelope */
    ck_assert_int_eq(
        parse_str("{\"err_no\":0,\"message\":\"success\"}", &env, NULL),
        DD_E_MISSING);
    assert_empty(&env);
}
END_TEST

START_TEST(test_parse_rejects_a_code_or_string_of_the_wrong_type)
{
    struct dd_envelope env;
    struct dd_json_error err;
    ck_assert_int_eq(parse_str("{\"code\":\"abc\"}", &env, &err), DD_E_TYPE);
    ck_assert_uint_eq(err.pos.offset, 8);
    assert_empty(&env);
    ck_assert_int_eq(parse_str("{\"code\":1.5}", &env, NULL), DD_E_TYPE);
    assert_empty(&env);
    ck_assert_int_eq(parse_str("{\"code\":true}", &env, NULL), DD_E_TYPE);
    assert_empty(&env);
    ck_assert_int_eq(parse_str("{\"code\":10000,\"sub_msg\":7}", &env, NULL),
                     DD_E_TYPE);
    assert_empty(&env);
}
END_TEST

START_TEST(test_envelope_free_is_safe_twice)
{
    struct dd_envelope env;
    ck_assert_int_eq(parse_str(real_sample, &env, NULL), 0);
    dd_envelope_free(&env);
    dd_envelope_free(&env);
    ck_assert_ptr_null(env.data);
    ck_assert_str_eq(env.msg, "");
}
END_TEST

Suite *envelope_suite(void)
{
    Suite *s = suite_create("envelope");

    TCase *tc = tcase_create("log_id");
    tcase_add_test(tc, test_log_id_shows_beijing_time_then_upper_case_entropy);
    tcase_add_loop_test(
        tc, test_log_id_time_digits_are_right_across_day_and_year_edges, 0,
        (int)(sizeof times / sizeof times[0]));
    tcase_add_test(tc, test_log_id_clamps_times_beyond_four_digit_years);
    tcase_add_test(tc, test_log_id_uses_all_80_bits_of_entropy);
    tcase_add_test(tc, test_log_id_ignores_the_tz_environment_variable);
    tcase_add_test(tc, test_log_id_valid_accepts_the_real_sample);
    tcase_add_test(tc, test_log_id_valid_rejects_other_shapes);
    suite_add_tcase(s, tc);

    tc = tcase_create("write");
    tcase_add_test(tc,
                   test_error_envelope_for_a_bad_signature_has_the_exact_bytes);
    tcase_add_test(tc, test_ok_envelope_wraps_data_verbatim);
    tcase_add_test(tc, test_ok_envelope_without_data_has_an_empty_object);
    tcase_add_test(tc, test_envelope_escapes_its_strings_the_plain_way);
    tcase_add_test(tc, test_envelope_write_leaves_a_full_buffer_as_it_was);
    tcase_add_test(tc, test_envelope_write_error_refuses_a_null_row);
    suite_add_tcase(s, tc);

    tc = tcase_create("parse");
    tcase_add_test(tc, test_parse_reads_the_real_response_sample);
    tcase_add_test(tc, test_parse_accepts_code_as_a_numeric_string);
    tcase_add_test(
        tc, test_parse_reads_absent_strings_as_empty_and_absent_data_as_null);
    tcase_add_test(tc, test_write_then_parse_round_trips_every_field);
    tcase_add_test(tc, test_parse_rejects_text_that_is_not_json);
    tcase_add_test(tc, test_parse_rejects_a_top_level_that_is_not_an_object);
    tcase_add_test(tc, test_parse_reports_a_missing_code);
    tcase_add_test(tc, test_parse_rejects_a_code_or_string_of_the_wrong_type);
    tcase_add_test(tc, test_envelope_free_is_safe_twice);
    suite_add_tcase(s, tc);
    return s;
}
