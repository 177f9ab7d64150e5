/*
 * check_select.c: unit tests of conformance/select (which scenarios a
 * ddconform invocation runs, sharding, the expected-failures file, how
 * verdicts count and the exit status) and conformance/progress (the live
 * progress line). Expected values are written by hand from
 * conformance/README.md and harness.md "Exit status and the summary line".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"
#include "select.h"
#include "suites.h"

/* ---------------------------------------------------------------- data */

static const char *const kw_refund[] = {"unshipped-refund", "polling"};
static const char *const kw_return[] = {"return", "hook", "money-safety"};
static const char *const kw_push[] = {"push", "unshipped-refund"};

/* Given in a scrambled order on purpose: selection orders by id, path. */
static const struct conf_scenario_info fixture[] = {
    {"s/0035-poll-only.json", true, 35, "Poll only", kw_refund, 2},
    {"s/0003-return.json", true, 3, "Return", kw_return, 3},
    {"s/broken.json", false, 0, NULL, NULL, 0},
    {"s/0001-refund.json", true, 1, "Refund", kw_refund, 2},
    {"s/0002-push.json", true, 2, "Push", kw_push, 2},
    {"other/0002-copy.json", true, 2, "Push copy", kw_push, 2},
    {"s/0010-amount.json", true, 10, "Amount", kw_push, 2},
};
#define N_FIXTURE (sizeof fixture / sizeof *fixture)

/* Runs conf_select and returns the selected paths joined by spaces (a
 * static buffer, valid until the next call). */
static const char *selected(const char *const *filters, size_t nf, unsigned si,
                            unsigned sn, int *rc, size_t *bad)
{
    size_t out[N_FIXTURE], n = 99;
    *rc = conf_select(fixture, N_FIXTURE, filters, nf, si, sn, out, &n, bad);
    static char buf[1024];
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof buf; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                                i ? " " : "", fixture[out[i]].path);
    return buf;
}

/* ---------------------------------------------------------------- filters */

START_TEST(test_filter_kinds_follow_the_readme)
{
    ck_assert_int_eq(conf_filter_kind("7"), CONF_FILTER_ID);
    ck_assert_int_eq(conf_filter_kind("0007"), CONF_FILTER_ID);
    ck_assert_int_eq(conf_filter_kind("00*"), CONF_FILTER_GLOB);
    ck_assert_int_eq(conf_filter_kind("a?c"), CONF_FILTER_GLOB);
    ck_assert_int_eq(conf_filter_kind("[0-9]x"), CONF_FILTER_GLOB);
    ck_assert_int_eq(conf_filter_kind("polling"), CONF_FILTER_KEYWORD);
    ck_assert_int_eq(conf_filter_kind("7a"), CONF_FILTER_KEYWORD);
    ck_assert_int_eq(conf_filter_kind("-7"), CONF_FILTER_KEYWORD);
}
END_TEST

START_TEST(test_filter_matches_ids_globs_and_keywords)
{
    const struct conf_scenario_info *refund = &fixture[3];
    const struct conf_scenario_info *broken = &fixture[2];
    ck_assert(conf_filter_match("1", refund));
    ck_assert(conf_filter_match("0001", refund));
    ck_assert(conf_filter_match("000000001", refund));
    ck_assert(!conf_filter_match("10", refund));
    ck_assert(!conf_filter_match("99999999999999999999", refund));
    ck_assert(conf_filter_match("0001-*", refund));
    ck_assert(conf_filter_match("*refund.json", refund));
    ck_assert(!conf_filter_match("s/0001-*", refund)); /* base name only */
    ck_assert(conf_filter_match("polling", refund));
    ck_assert(!conf_filter_match("poll", refund)); /* keywords exactly */
    ck_assert(!conf_filter_match("Polling", refund));
    /* a file that did not load: only a glob on its name matches */
    ck_assert(conf_filter_match("broken*", broken));
    ck_assert(!conf_filter_match("0", broken));
    ck_assert(!conf_filter_match("polling", broken));
}
END_TEST

START_TEST(test_select_orders_by_id_then_path_and_keeps_broken_files)
{
    int rc;
    size_t bad = 99;
    ck_assert_str_eq(selected(NULL, 0, 0, 0, &rc, &bad),
                     "s/broken.json s/0001-refund.json other/0002-copy.json "
                     "s/0002-push.json s/0003-return.json s/0010-amount.json "
                     "s/0035-poll-only.json");
    ck_assert_int_eq(rc, 0);
}
END_TEST

START_TEST(test_select_ors_the_filters_and_keeps_files_that_did_not_load)
{
    int rc;
    size_t bad = 99;
    const char *const f1[] = {"35", "money-safety"};
    ck_assert_str_eq(selected(f1, 2, 0, 0, &rc, &bad),
                     "s/broken.json s/0003-return.json s/0035-poll-only.json");
    ck_assert_int_eq(rc, 0);
    const char *const f2[] = {"0002-*"};
    ck_assert_str_eq(selected(f2, 1, 0, 0, &rc, &bad),
                     "s/broken.json other/0002-copy.json s/0002-push.json");
    const char *const f3[] = {"push", "2"}; /* overlapping: each once */
    ck_assert_str_eq(selected(f3, 2, 0, 0, &rc, &bad),
                     "s/broken.json other/0002-copy.json s/0002-push.json "
                     "s/0010-amount.json");
}
END_TEST

START_TEST(test_a_filter_that_selects_nothing_is_named)
{
    int rc;
    size_t bad = 99;
    const char *const f[] = {"1", "nope", "77"};
    selected(f, 3, 0, 0, &rc, &bad);
    ck_assert_int_eq(rc, -1);
    ck_assert_uint_eq(bad, 1);
    const char *const g[] = {"zz*"};
    selected(g, 1, 0, 0, &rc, &bad);
    ck_assert_int_eq(rc, -1);
    ck_assert_uint_eq(bad, 0);
}
END_TEST

/* ---------------------------------------------------------------- shards */

START_TEST(test_shard_parse_accepts_i_of_n_and_rejects_the_rest)
{
    unsigned i = 0, n = 0;
    char err[200];
    ck_assert_int_eq(conf_shard_parse("1/1", &i, &n, err, sizeof err), 0);
    ck_assert_uint_eq(i, 1);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(conf_shard_parse("3/7", &i, &n, err, sizeof err), 0);
    ck_assert_uint_eq(i, 3);
    ck_assert_uint_eq(n, 7);
    static const char *const bad[] = {
        "",    "1",    "/3",   "1/",   "0/3",  "4/3",   "a/b",
        "1/0", "-1/3", "1/3x", " 1/3", "1/ 3", "1/2/3", "9999999/9999999"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        err[0] = '\0';
        ck_assert_msg(conf_shard_parse(bad[k], &i, &n, err, sizeof err) == -1,
                      "accepted \"%s\"", bad[k]);
        ck_assert_msg(strstr(err, "--shard") != NULL, "message: %s", err);
    }
}
END_TEST

START_TEST(test_shards_partition_the_selection)
{
    int rc;
    size_t bad;
    /* positions 0..6 of the ordered selection; shard I keeps p % 3 == I-1 */
    ck_assert_str_eq(selected(NULL, 0, 1, 3, &rc, &bad),
                     "s/broken.json s/0002-push.json s/0035-poll-only.json");
    ck_assert_str_eq(selected(NULL, 0, 2, 3, &rc, &bad),
                     "s/0001-refund.json s/0003-return.json");
    ck_assert_str_eq(selected(NULL, 0, 3, 3, &rc, &bad),
                     "other/0002-copy.json s/0010-amount.json");
    /* filters first, then shards over what they kept */
    const char *const f[] = {"push"};
    ck_assert_str_eq(selected(f, 1, 1, 2, &rc, &bad),
                     "s/broken.json s/0002-push.json");
    ck_assert_str_eq(selected(f, 1, 2, 2, &rc, &bad),
                     "other/0002-copy.json s/0010-amount.json");
    /* more shards than runs: an empty shard is not an error */
    ck_assert_str_eq(selected(NULL, 0, 9, 9, &rc, &bad), "");
    ck_assert_int_eq(rc, 0);
}
END_TEST

START_TEST(test_run_seeds_are_splitmix64_of_seed_and_id)
{
    /* values from an independent python3 splitmix64 (0xe220a8397b1dcdaf
     * is splitmix64's well-known first output for seed 0) */
    ck_assert_uint_eq(conf_run_seed(0, 1), UINT64_C(16294208416658607535));
    ck_assert_uint_eq(conf_run_seed(42, 7), UINT64_C(4028864712777624925));
    ck_assert_uint_eq(conf_run_seed(UINT64_MAX, 35),
                      UINT64_C(10692949844441417702));
    ck_assert_uint_ne(conf_run_seed(42, 7), conf_run_seed(42, 8));
    ck_assert_uint_ne(conf_run_seed(42, 7), conf_run_seed(43, 7));
}
END_TEST

/* ---------------------------------------------------------------- xfail */

static int parse(struct conf_xfail *x, const char *text, char *err)
{
    return conf_xfail_parse(x, "xf.txt", text, strlen(text), err, 200);
}

START_TEST(test_xfail_reads_lines_comments_and_modes)
{
    struct conf_xfail x;
    char err[200] = "";
    const char *text = "# known failures\n"
                       "\n"
                       "0007 FAIL\n"
                       "  29\tpoll  ERROR   # a mock gap\n"
                       "0029 push FAIL\r\n"
                       "0031 FAIL";
    ck_assert_int_eq(parse(&x, text, err), 0);
    ck_assert_uint_eq(x.n, 4);
    ck_assert_int_eq(x.v[0].id, 7);
    ck_assert_ptr_null(x.v[0].mode);
    ck_assert_int_eq(x.v[0].verdict, CONF_FAIL);
    ck_assert_int_eq(x.v[0].line, 3);
    ck_assert_int_eq(x.v[1].id, 29);
    ck_assert_str_eq(x.v[1].mode, "poll");
    ck_assert_int_eq(x.v[1].verdict, CONF_ERROR);
    ck_assert_int_eq(x.v[1].line, 4);
    ck_assert_str_eq(x.v[2].mode, "push");
    ck_assert_int_eq(x.v[2].line, 5);
    ck_assert_int_eq(x.v[3].id, 31);
    ck_assert_int_eq(x.v[3].line, 6);

    /* a line naming the mode wins over a line for any mode */
    ck_assert_int_eq(conf_xfail_find(&x, 29, "poll")->line, 4);
    ck_assert_int_eq(conf_xfail_find(&x, 29, "push")->line, 5);
    ck_assert_ptr_null(conf_xfail_find(&x, 29, NULL));
    ck_assert_int_eq(conf_xfail_find(&x, 7, "push")->line, 3);
    ck_assert_int_eq(conf_xfail_find(&x, 7, NULL)->line, 3);
    ck_assert_ptr_null(conf_xfail_find(&x, 8, "push"));
    conf_xfail_free(&x);
    ck_assert_uint_eq(x.n, 0);

    ck_assert_int_eq(parse(&x, "", err), 0);
    ck_assert_uint_eq(x.n, 0);
    conf_xfail_free(&x);
}
END_TEST

START_TEST(test_xfail_bad_lines_say_file_and_line)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"0007\n", "xf.txt:1: expected \"NNNN VERDICT\" or \"NNNN MODE "
                   "VERDICT\", found only \"0007\""},
        {"# c\n0007 push FAIL extra\n",
         "xf.txt:2: expected \"NNNN VERDICT\" or \"NNNN MODE VERDICT\", "
         "found 4 words"},
        {"x7 FAIL\n", "xf.txt:1: \"x7\" is not a scenario id (digits, such "
                      "as 0007)"},
        {"0000 FAIL\n", "xf.txt:1: \"0000\" is not a scenario id (digits, "
                        "such as 0007)"},
        {"7 FAIL\n\n7 pull FAIL\n",
         "xf.txt:3: mode \"pull\": expected push or poll"},
        {"7 fail\n", "xf.txt:1: verdict \"fail\": expected FAIL or ERROR"},
        {"7 PASS\n", "xf.txt:1: PASS is not a failure: expected FAIL or "
                     "ERROR"},
        {"7 WARN\n", "xf.txt:1: WARN is not a failure: expected FAIL or "
                     "ERROR"},
        {"7 FUNDS_AT_RISK\n",
         "xf.txt:1: FUNDS_AT_RISK can not be an expected failure: money at "
         "risk always fails the run"},
        {"0007 FAIL\n7 ERROR\n", "xf.txt:2: 0007 is already listed on line "
                                 "1"},
        {"7 poll FAIL\n7 push FAIL\n0007 poll ERROR\n",
         "xf.txt:3: 0007 poll is already listed on line 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct conf_xfail x;
        char err[200] = "";
        ck_assert_int_eq(parse(&x, cases[i].text, err), -1);
        ck_assert_str_eq(err, cases[i].message);
        ck_assert_uint_eq(x.n, 0);
        ck_assert_ptr_null(x.v);
    }
    /* NUL bytes and junk never crash */
    struct conf_xfail x;
    char err[200] = "";
    static const char nul[] = "7 FA\0IL\n";
    ck_assert_int_eq(
        conf_xfail_parse(&x, "xf.txt", nul, sizeof nul - 1, err, sizeof err),
        -1);
    ck_assert_str_eq(err, "xf.txt:1: a NUL byte: this is not a text file");
    /* a NUL inside a comment does not matter */
    static const char nul_comment[] = "7 FAIL # \0\n";
    ck_assert_int_eq(conf_xfail_parse(&x, "xf.txt", nul_comment,
                                      sizeof nul_comment - 1, err, sizeof err),
                     0);
    conf_xfail_free(&x);
}
END_TEST

START_TEST(test_xfail_load_names_a_missing_file)
{
    struct conf_xfail x;
    char err[300] = "";
    ck_assert_int_eq(
        conf_xfail_load(&x, "/nonexistent/xf.txt", err, sizeof err), -1);
    ck_assert_str_eq(err, "/nonexistent/xf.txt: No such file or directory");
}
END_TEST

/* ---------------------------------------------------------------- counts */

START_TEST(test_outcomes_of_listed_and_unlisted_runs)
{
    struct conf_xfail_entry fail = {7, NULL, CONF_FAIL, 3};
    struct conf_xfail_entry error = {7, NULL, CONF_ERROR, 4};
    ck_assert_int_eq(conf_run_outcome_of(CONF_PASS, false, NULL),
                     CONF_RUN_PASSED);
    ck_assert_int_eq(conf_run_outcome_of(CONF_WARN, false, NULL),
                     CONF_RUN_PASSED);
    ck_assert_int_eq(conf_run_outcome_of(CONF_WARN, true, NULL),
                     CONF_RUN_FAILED);
    ck_assert_int_eq(conf_run_outcome_of(CONF_SKIP, true, NULL),
                     CONF_RUN_SKIPPED);
    ck_assert_int_eq(conf_run_outcome_of(CONF_FAIL, false, NULL),
                     CONF_RUN_FAILED);
    ck_assert_int_eq(conf_run_outcome_of(CONF_ERROR, false, NULL),
                     CONF_RUN_FAILED);
    ck_assert_int_eq(conf_run_outcome_of(CONF_FUNDS_AT_RISK, false, NULL),
                     CONF_RUN_FAILED);
    /* listed */
    ck_assert_int_eq(conf_run_outcome_of(CONF_FAIL, false, &fail),
                     CONF_RUN_XFAIL);
    ck_assert_int_eq(conf_run_outcome_of(CONF_ERROR, false, &error),
                     CONF_RUN_XFAIL);
    ck_assert_int_eq(conf_run_outcome_of(CONF_PASS, false, &fail),
                     CONF_RUN_RATCHET);
    ck_assert_int_eq(conf_run_outcome_of(CONF_WARN, false, &fail),
                     CONF_RUN_RATCHET);
    ck_assert_int_eq(conf_run_outcome_of(CONF_WARN, true, &fail),
                     CONF_RUN_FAILED);
    ck_assert_int_eq(conf_run_outcome_of(CONF_ERROR, false, &fail),
                     CONF_RUN_FAILED);
    ck_assert_int_eq(conf_run_outcome_of(CONF_FUNDS_AT_RISK, false, &fail),
                     CONF_RUN_FAILED);
    ck_assert_int_eq(conf_run_outcome_of(CONF_SKIP, false, &fail),
                     CONF_RUN_SKIPPED);
    ck_assert_str_eq(conf_run_outcome_name(CONF_RUN_PASSED), "passed");
    ck_assert_str_eq(conf_run_outcome_name(CONF_RUN_FAILED), "failed");
    ck_assert_str_eq(conf_run_outcome_name(CONF_RUN_SKIPPED), "skipped");
    ck_assert_str_eq(conf_run_outcome_name(CONF_RUN_XFAIL), "xfail");
    ck_assert_str_eq(conf_run_outcome_name(CONF_RUN_RATCHET), "ratchet");
}
END_TEST

/* The exit status of runs given as (verdict, outcome) pairs. */
static int status_of(const enum conf_verdict *v, const enum conf_run_outcome *o,
                     size_t n, bool strict, bool fail_on_skip,
                     struct conf_tally *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < n; i++)
        conf_tally_add(t, v[i], o[i]);
    return conf_tally_exit_status(t, strict, fail_on_skip);
}

START_TEST(test_exit_status_and_counts_follow_harness_md)
{
    struct conf_tally t;
    {
        enum conf_verdict v[] = {CONF_PASS, CONF_WARN, CONF_SKIP};
        enum conf_run_outcome o[] = {CONF_RUN_PASSED, CONF_RUN_PASSED,
                                     CONF_RUN_SKIPPED};
        ck_assert_int_eq(status_of(v, o, 3, false, false, &t), 0);
        ck_assert_uint_eq(t.passed, 2);
        ck_assert_uint_eq(t.failed, 0);
        ck_assert_uint_eq(t.skipped, 1);
        ck_assert_int_eq(status_of(v, o, 3, false, true, &t), 1);
        ck_assert_int_eq(status_of(v, o, 3, true, false, &t), 1);
    }
    {
        enum conf_verdict v[] = {CONF_ERROR, CONF_PASS};
        enum conf_run_outcome o[] = {CONF_RUN_FAILED, CONF_RUN_PASSED};
        ck_assert_int_eq(status_of(v, o, 2, false, false, &t), 3);
        ck_assert_uint_eq(t.failed, 1);
    }
    {
        enum conf_verdict v[] = {CONF_ERROR, CONF_FAIL};
        enum conf_run_outcome o[] = {CONF_RUN_FAILED, CONF_RUN_FAILED};
        ck_assert_int_eq(status_of(v, o, 2, false, false, &t), 1);
    }
    {
        enum conf_verdict v[] = {CONF_FAIL, CONF_FUNDS_AT_RISK, CONF_ERROR};
        enum conf_run_outcome o[] = {CONF_RUN_FAILED, CONF_RUN_FAILED,
                                     CONF_RUN_FAILED};
        ck_assert_int_eq(status_of(v, o, 3, false, false, &t), 2);
        ck_assert_uint_eq(t.failed, 3);
        ck_assert_uint_eq(t.by[CONF_FUNDS_AT_RISK], 1);
    }
    {
        /* expected failures: xfail counts as passed and exits 0 */
        enum conf_verdict v[] = {CONF_FAIL, CONF_ERROR, CONF_PASS};
        enum conf_run_outcome o[] = {CONF_RUN_XFAIL, CONF_RUN_XFAIL,
                                     CONF_RUN_PASSED};
        ck_assert_int_eq(status_of(v, o, 3, false, false, &t), 0);
        ck_assert_uint_eq(t.passed, 3);
        ck_assert_uint_eq(t.failed, 0);
        ck_assert_uint_eq(t.xfail, 2);
        ck_assert_uint_eq(t.by[CONF_FAIL], 1);
    }
    {
        /* the ratchet: a listed run that passes counts as failed, exit 1 */
        enum conf_verdict v[] = {CONF_PASS, CONF_ERROR};
        enum conf_run_outcome o[] = {CONF_RUN_RATCHET, CONF_RUN_FAILED};
        ck_assert_int_eq(status_of(v, o, 2, false, false, &t), 1);
        ck_assert_uint_eq(t.passed, 0);
        ck_assert_uint_eq(t.failed, 2);
        ck_assert_uint_eq(t.ratchet, 1);
    }
    {
        enum conf_verdict v[] = {CONF_PASS};
        enum conf_run_outcome o[] = {CONF_RUN_PASSED};
        ck_assert_int_eq(status_of(v, o, 0, true, true, &t), 0);
        ck_assert_uint_eq(t.passed + t.failed + t.skipped, 0);
    }
}
END_TEST

/* ---------------------------------------------------------------- progress */

START_TEST(test_progress_line_looks_like_the_readme)
{
    char line[200];
    struct conf_progress p = {.done = 12,
                              .total = 35,
                              .passed = 10,
                              .failed = 1,
                              .skipped = 1,
                              .elapsed_s = 42.9};
    size_t n = conf_progress_format(&p, 10, line, sizeof line);
    ck_assert_str_eq(line, "[###.......] 12/35  pass 10 fail 1 skip 1  0:42");
    ck_assert_uint_eq(n, strlen(line));

    struct conf_progress done = {
        .done = 3, .total = 3, .passed = 3, .elapsed_s = 3725};
    conf_progress_format(&done, 4, line, sizeof line);
    ck_assert_str_eq(line, "[####] 3/3  pass 3 fail 0 skip 0  1:02:05");

    struct conf_progress none = {.elapsed_s = -5};
    conf_progress_format(&none, 3, line, sizeof line);
    ck_assert_str_eq(line, "[###] 0/0  pass 0 fail 0 skip 0  0:00");

    struct conf_progress start = {.total = 2, .elapsed_s = 61};
    conf_progress_format(&start, 0, line, sizeof line); /* width 1 */
    ck_assert_str_eq(line, "[.] 0/2  pass 0 fail 0 skip 0  1:01");

    /* cut when short, the full length returned */
    char small[8];
    n = conf_progress_format(&p, 10, small, sizeof small);
    ck_assert_str_eq(small, "[###...");
    ck_assert_uint_eq(n, strlen("[###.......] 12/35  pass 10 fail 1 skip 1  "
                                "0:42"));
}
END_TEST

Suite *select_suite(void)
{
    Suite *s = suite_create("select");
    TCase *tc = tcase_create("select");
    tcase_add_test(tc, test_filter_kinds_follow_the_readme);
    tcase_add_test(tc, test_filter_matches_ids_globs_and_keywords);
    tcase_add_test(tc,
                   test_select_orders_by_id_then_path_and_keeps_broken_files);
    tcase_add_test(
        tc, test_select_ors_the_filters_and_keeps_files_that_did_not_load);
    tcase_add_test(tc, test_a_filter_that_selects_nothing_is_named);
    tcase_add_test(tc, test_shard_parse_accepts_i_of_n_and_rejects_the_rest);
    tcase_add_test(tc, test_shards_partition_the_selection);
    tcase_add_test(tc, test_run_seeds_are_splitmix64_of_seed_and_id);
    tcase_add_test(tc, test_xfail_reads_lines_comments_and_modes);
    tcase_add_test(tc, test_xfail_bad_lines_say_file_and_line);
    tcase_add_test(tc, test_xfail_load_names_a_missing_file);
    tcase_add_test(tc, test_outcomes_of_listed_and_unlisted_runs);
    tcase_add_test(tc, test_exit_status_and_counts_follow_harness_md);
    tcase_add_test(tc, test_progress_line_looks_like_the_readme);
    suite_add_tcase(s, tc);
    return s;
}
