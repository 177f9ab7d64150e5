/*
 * check_jw.c: unit tests of proto/dd_jw, the streaming JSON writer.
 */
#include <stdint.h>

#include "dd_err.h"
#include "dd_jw.h"
#include "suites.h"

START_TEST(test_jw_writes_nested_documents_with_commas_in_the_right_places)
{
    struct dd_buf b;
    struct dd_jw w;
    dd_buf_init(&b, 0);
    dd_jw_init(&w, &b);
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "a", 1);
    dd_jw_key(&w, "b");
    dd_jw_array_begin(&w);
    dd_jw_int(&w, -2);
    dd_jw_object_begin(&w);
    dd_jw_object_end(&w);
    dd_jw_array_begin(&w);
    dd_jw_array_end(&w);
    dd_jw_null(&w);
    dd_jw_bool(&w, false);
    dd_jw_array_end(&w);
    dd_jw_kstr(&w, "c", "x\"y");
    dd_jw_kint_str(&w, "id", INT64_C(7000000000000000001));
    dd_jw_key(&w, "raw");
    dd_jw_raw(&w, "{\"k\":1}", 7);
    dd_jw_kbool(&w, "t", true);
    dd_jw_object_end(&w);
    ck_assert_int_eq(dd_jw_error(&w), 0);
    ck_assert_str_eq(b.data, "{\"a\":1,\"b\":[-2,{},[],null,false],\"c\":"
                             "\"x\\\"y\",\"id\":\"7000000000000000001\","
                             "\"raw\":{\"k\":1},\"t\":true}");
    dd_buf_free(&b);
}

START_TEST(test_jw_prints_int64_extremes_exactly)
{
    char s[24];
    ck_assert_uint_eq(dd_int64_to_str(INT64_MIN, s), 20);
    ck_assert_str_eq(s, "-9223372036854775808");
    dd_int64_to_str(INT64_MAX, s);
    ck_assert_str_eq(s, "9223372036854775807");
    dd_int64_to_str(0, s);
    ck_assert_str_eq(s, "0");
}

START_TEST(test_jw_errors_stick_once_the_buffer_is_full)
{
    struct dd_buf b;
    struct dd_jw w;
    dd_buf_init(&b, 4);
    dd_jw_init(&w, &b);
    dd_jw_array_begin(&w);
    dd_jw_int(&w, 12345);
    dd_jw_int(&w, 1);
    dd_jw_array_end(&w);
    ck_assert_int_eq(dd_jw_error(&w), DD_E_TOO_LARGE);
    ck_assert_str_eq(b.data, "[");
    dd_buf_free(&b);
}

Suite *jw_suite(void)
{
    Suite *s = suite_create("jw");
    TCase *tc = tcase_create("jw");
    tcase_add_test(
        tc, test_jw_writes_nested_documents_with_commas_in_the_right_places);
    tcase_add_test(tc, test_jw_prints_int64_extremes_exactly);
    tcase_add_test(tc, test_jw_errors_stick_once_the_buffer_is_full);
    suite_add_tcase(s, tc);
    return s;
}
