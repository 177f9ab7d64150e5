/*
 * check_mock_admin.c: end-to-end tests of ddmock's admin API.
 */
#include <check.h>

#include "mock_util.h"
#include "suites.h"

Suite *mock_admin_suite(void)
{
    Suite *s = suite_create("mock_admin");
    return s;
}
