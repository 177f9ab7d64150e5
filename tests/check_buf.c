/*
 * check_buf.c: unit tests of proto/dd_buf (growable buffer with a cap) and
 * proto/dd_err (the error-code table).
 */
#include <stdlib.h>
#include <string.h>

#include "dd_buf.h"
#include "dd_err.h"
#include "suites.h"

START_TEST(test_buf_appends_and_stays_nul_terminated)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    ck_assert_str_eq(dd_buf_str(&b), "");
    ck_assert_int_eq(dd_buf_puts(&b, "abc"), 0);
    ck_assert_int_eq(dd_buf_putc(&b, 'd'), 0);
    ck_assert_int_eq(dd_buf_printf(&b, "%d-%s", 42, "x"), 0);
    ck_assert_str_eq(b.data, "abcd42-x");
    ck_assert_uint_eq(b.len, 8);
    dd_buf_free(&b);
}

START_TEST(test_buf_holds_nul_bytes_by_length)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    ck_assert_int_eq(dd_buf_append(&b, "a\0b", 3), 0);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_int_eq(memcmp(b.data, "a\0b", 4), 0);
    dd_buf_free(&b);
}

START_TEST(test_buf_refuses_to_grow_past_its_cap_and_keeps_its_contents)
{
    struct dd_buf b;
    dd_buf_init(&b, 8);
    ck_assert_int_eq(dd_buf_puts(&b, "12345678"), 0);
    ck_assert_int_eq(dd_buf_putc(&b, '9'), DD_E_TOO_LARGE);
    ck_assert_int_eq(dd_buf_printf(&b, "%s", "x"), DD_E_TOO_LARGE);
    ck_assert_str_eq(b.data, "12345678");
    dd_buf_free(&b);
}

START_TEST(test_buf_grows_through_many_reallocations)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    for (int i = 0; i < 100000; i++)
        ck_assert_int_eq(dd_buf_putc(&b, (char)('a' + i % 26)), 0);
    ck_assert_uint_eq(b.len, 100000);
    ck_assert_int_eq(b.data[99999], 'a' + 99999 % 26);
    ck_assert_int_eq(b.data[100000], '\0');
    dd_buf_free(&b);
}

START_TEST(test_buf_steal_hands_over_the_string_and_empties_the_buffer)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    char *empty = dd_buf_steal(&b);
    ck_assert_str_eq(empty, "");
    free(empty);
    dd_buf_puts(&b, "hello");
    char *s = dd_buf_steal(&b);
    ck_assert_str_eq(s, "hello");
    ck_assert_uint_eq(b.len, 0);
    ck_assert_ptr_null(b.data);
    free(s);
    dd_buf_reset(&b);
    dd_buf_free(&b);
}

START_TEST(test_err_table_names_and_describes_every_code)
{
    ck_assert_str_eq(dd_err_name(DD_E_SYNTAX), "SYNTAX");
    ck_assert_str_eq(dd_err_name(DD_E_TOO_LARGE), "TOO_LARGE");
    ck_assert_str_eq(dd_err_name(0), "OK");
    ck_assert_str_eq(dd_err_name(-999), "UNKNOWN");
    ck_assert_str_eq(dd_strerror(DD_E_DEPTH), "nesting deeper than the limit");
    ck_assert_str_eq(dd_strerror(12345), "unknown error");
}

Suite *buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("buf");
    tcase_add_test(tc, test_buf_appends_and_stays_nul_terminated);
    tcase_add_test(tc, test_buf_holds_nul_bytes_by_length);
    tcase_add_test(
        tc, test_buf_refuses_to_grow_past_its_cap_and_keeps_its_contents);
    tcase_add_test(tc, test_buf_grows_through_many_reallocations);
    tcase_add_test(tc,
                   test_buf_steal_hands_over_the_string_and_empties_the_buffer);
    tcase_add_test(tc, test_err_table_names_and_describes_every_code);
    suite_add_tcase(s, tc);
    return s;
}
