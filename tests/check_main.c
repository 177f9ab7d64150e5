/*
 * check_main.c: the one main of the unit tests. It adds every suite listed
 * in suites.h to one runner and exits non-zero when any test fails. Check
 * prints its summary line ("100%: Checks: N, Failures: 0, Errors: 0").
 * Environment: CK_FORK=no for gdb and valgrind, CK_RUN_SUITE and CK_RUN_CASE
 * to run one suite or case, DD_TEST_DATA for the golden data folder.
 */
#include <stdio.h>
#include <stdlib.h>

#include "dd_json.h"
#include "suites.h"

const char *dd_test_data_dir(void)
{
    const char *d = getenv("DD_TEST_DATA");
    return d && *d ? d : "tests/data";
}

char *dd_test_read_data(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dd_test_data_dir(), name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open test data %s\n", path);
        abort();
    }
    size_t cap = 4096, n = 0;
    char *data = malloc(cap);
    if (!data)
        abort();
    size_t got;
    while ((got = fread(data + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            data = realloc(data, cap);
            if (!data)
                abort();
        }
    }
    fclose(f);
    data[n] = '\0';
    if (len)
        *len = n;
    return data;
}

int main(void)
{
    SRunner *sr = srunner_create(NULL);
#define DD_SUITE_ADD(fn) srunner_add_suite(sr, fn());
    DD_SUITES(DD_SUITE_ADD)
#undef DD_SUITE_ADD
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    dd_json_release_cache();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
