/*
 * suites.h: every Check suite of the unit-test binary, one per module.
 *
 * check_main.c runs them all; CK_RUN_SUITE / CK_RUN_CASE pick one (see
 * README.md "Running one test"). Adding a module's tests means adding its
 * line here and a tests/check_<module>.c that defines the function.
 */
#ifndef DD_TEST_SUITES_H
#define DD_TEST_SUITES_H

#include <check.h>

#define DD_SUITES(X)                                                           \
    X(buf_suite)                                                               \
    X(json_suite)                                                              \
    X(params_suite)                                                            \
    X(sign_suite)                                                              \
    X(jw_suite)                                                                \
    X(vectors_suite)                                                           \
    X(errtab_suite)                                                            \
    X(envelope_suite)                                                          \
    X(worldfile_suite)                                                         \
    X(mock_front_suite)                                                        \
    X(mock_admin_suite)                                                        \
    X(mock_aftersale_suite)                                                    \
    X(mock_order_suite)                                                        \
    X(mock_actors_suite)                                                       \
    X(mock_push_suite)                                                         \
    X(mock_faults_suite)                                                       \
    X(client_suite)                                                            \
    X(mock_replay_suite)                                                       \
    X(scenario_suite)                                                          \
    X(judge_suite)                                                             \
    X(select_suite)                                                            \
    X(metrics_suite)                                                           \
    X(report_suite)                                                            \
    X(ddref_suite)

#define DD_SUITE_DECL(fn) Suite *fn(void);
DD_SUITES(DD_SUITE_DECL)
#undef DD_SUITE_DECL

/* The folder of golden data files: $DD_TEST_DATA, default "tests/data". */
const char *dd_test_data_dir(void);

/* Reads a whole file from the data folder into a new NUL-terminated buffer
 * (free with free()); aborts the test run when it cannot. */
char *dd_test_read_data(const char *name, size_t *len);

#endif
