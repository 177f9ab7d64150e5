/*
 * check_report.c: unit tests of ddconform's reports (conformance/report.h,
 * the formats in conformance/REPORTS.md).
 *
 * The inputs are hand-written report folders under tests/data/reports/:
 *   basic/     six runs: 0001 PASS (metrics; an erp.log with a terminal
 *              escape, "<script>", a URL and a byte that is not UTF-8),
 *              0029 FAIL (title and sentence with < > & "; a finding at
 *              5.000 s on a write-back answered 20000 and one at 42.000 s
 *              where no entry is, whose expectation opens at step
 *              "apply"), 0006 FUNDS_AT_RISK (a finding at 3.719 s on the
 *              write-back; a hook call), 0004 SKIP (metrics that must not
 *              count), 0099 ERROR (no verdict.json, no journal, a broken
 *              scenario.json), 0023 WARN (five identical polls, a rejected
 *              signature with its explain object, a truncated last line);
 *   expected/  an older summary without counts: an expected failure
 *              (xfail) and a ratchet, one run folder outside runs/;
 *   broken/    a summary.json that is not JSON.
 * Every expected value below is worked out by hand from those files (the
 * metrics: see test_metrics_lines_are_the_hand_computed_ones).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dd_buf.h"
#include "dd_json.h"
#include "report.h"
#include "suites.h"

/* ---------------------------------------------------------------- helpers */

static struct conf_report *load(const char *name)
{
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/reports/%s", dd_test_data_dir(), name);
    struct conf_report *r = conf_report_load(path, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    return r;
}

/* A fresh temporary folder (removed by rm_tree). */
static char *temp_dir(void)
{
    char tmpl[] = "/tmp/check_report_XXXXXX";
    char *d = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(d);
    return strdup(d);
}

static void rm_tree(char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    struct dd_buf b;
    dd_buf_init(&b, 0);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        dd_buf_append(&b, chunk, n);
    fclose(f);
    return dd_buf_steal(&b);
}

typedef int (*file_writer)(const struct conf_report *, const char *, char *,
                           size_t);

/* Writes r with `w` into a temporary file and returns its text. */
static char *write_to_text(const struct conf_report *r, file_writer w)
{
    char *dir = temp_dir();
    char path[1200], err[512] = "";
    snprintf(path, sizeof path, "%s/out", dir);
    ck_assert_msg(w(r, path, err, sizeof err) == 0, "%s", err);
    char *text = slurp(path);
    rm_tree(dir);
    return text;
}

static char *tap_text(const struct conf_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(conf_report_write_tap(r, f), 0);
    fclose(f);
    return buf;
}

static char *print_run_text(const struct conf_report *r, size_t index)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(conf_report_print_run(r, index, f), 0);
    fclose(f);
    return buf;
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL;
         p += strlen(needle))
        n++;
    return n;
}

#define ck_contains(hay, needle)                                               \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "missing: %s", (needle))
#define ck_lacks(hay, needle)                                                  \
    ck_assert_msg(strstr((hay), (needle)) == NULL, "unexpected: %s", (needle))

/* ---------------------------------------------------------------- loading */

START_TEST(test_load_fails_without_summary_json)
{
    char err[512] = "";
    ck_assert_ptr_null(
        conf_report_load("/nonexistent/report-folder", err, sizeof err));
    ck_contains(err, "summary.json");
    ck_contains(err, "No such file");
}
END_TEST

START_TEST(test_load_fails_on_a_summary_that_is_not_json)
{
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/reports/broken", dd_test_data_dir());
    ck_assert_ptr_null(conf_report_load(path, err, sizeof err));
    ck_contains(err, "broken/summary.json:2:");
}
END_TEST

START_TEST(test_broken_run_files_are_named_not_fatal)
{
    struct conf_report *r = load("basic");
    char *error_run = print_run_text(r, 4);
    ck_contains(error_run, "verdict.json: missing\n");
    ck_contains(error_run, "journal.jsonl: missing\n");
    ck_contains(error_run, "scenario.json:1:3:");
    ck_contains(error_run, "(no journal)");
    char *warn_run = print_run_text(r, 5);
    /* line 9 is the truncated one; the 8 lines before it are shown */
    ck_contains(warn_run, "journal.jsonl line 9:");
    free(error_run);
    free(warn_run);
    conf_report_free(r);
}
END_TEST

/* ---------------------------------------------------------------- metrics */

/*
 * Judged runs (not SKIP, not ERROR) of basic/: 0001 counted 2 automatic 2,
 * 0029 counted 2 automatic 1, 0006 counted 1 automatic 1, 0023 counted 2
 * automatic 1: 5 of 7 = 71.4 %. (0004 is SKIP: its 5 of 5 and its 100 s
 * return do not count.) apply_to_refund_s per flow: unshipped_refund 1.5,
 * 2.5 (0001), 3.5 (0006): median 2.5, worst 3.5; return 8.0 (0029), 11.0
 * (0023): median (8 + 11) / 2 = 9.5, worst 11.0; shipped_refund 6.0
 * (0023). The refused return and the cancelled refund of 0029 have no
 * time and are left out.
 */
START_TEST(test_metrics_lines_are_the_hand_computed_ones)
{
    struct conf_report *r = load("basic");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    conf_report_print_metrics(r, f);
    fclose(f);
    ck_assert_str_eq(buf, "handled automatically: 5 of 7 after-sales (71.4%)\n"
                          "application → refund, unshipped_refund: median "
                          "2.5 s, worst 3.5 s (3 refunds)\n"
                          "application → refund, return: median 9.5 s, "
                          "worst 11.0 s (2 refunds)\n"
                          "application → refund, shipped_refund: median "
                          "6.0 s, worst 6.0 s (1 refund)\n");
    free(buf);
    conf_report_free(r);
}
END_TEST

START_TEST(test_print_metrics_prints_nothing_without_metrics)
{
    struct conf_report *r = load("expected");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    conf_report_print_metrics(r, f);
    fclose(f);
    ck_assert_uint_eq(len, 0);
    free(buf);
    conf_report_free(r);
}
END_TEST

/* ---------------------------------------------------------------- JUnit */

START_TEST(test_junit_counts_verdicts_and_escapes)
{
    struct conf_report *r = load("basic");
    char *x = write_to_text(r, conf_report_write_junit);
    /* FAIL and FUNDS_AT_RISK are failures, ERROR an error, SKIP skipped */
    ck_contains(x, "<testsuite name=\"ddconform\" tests=\"6\" failures=\"2\" "
                   "errors=\"1\" skipped=\"1\"");
    ck_assert_uint_eq(count_of(x, "<testcase "), 6);
    ck_contains(x, "<property name=\"metric\" value=\"handled "
                   "automatically: 5 of 7 after-sales (71.4%)\"/>");
    ck_assert_uint_eq(count_of(x, "<property name=\"metric\""), 4);
    ck_contains(x, "<testcase classname=\"ddconform.push\" name=\"0029 "
                   "Write-back &lt;b&gt;&quot;timeout&quot;&lt;/b&gt; &amp; "
                   "retry\"");
    ck_contains(x, "<failure type=\"FAIL\" message=\"expected "
                   "afterSale.Detail &lt;after_sale_id 7100000000000029001&gt;"
                   " within 40 s of step &quot;apply&quot; (at 2.0 s); it "
                   "never came &amp; nothing else\">");
    ck_contains(x, "<failure type=\"FUNDS_AT_RISK\" message=\"money at risk");
    ck_contains(x, "<error type=\"ERROR\" message=\"the scenario does not "
                   "load");
    ck_contains(x, "<skipped message=\"needs a push listener (run without "
                   "--no-push)\"/>");
    /* the run that did not load has no mode */
    ck_contains(x, "<testcase classname=\"ddconform\" "
                   "name=\"scenarios/0099-broken.json\"");
    /* WARN passes, its sentence in system-out */
    ck_contains(x, "<system-out>WARN: polled afterSale.List 5 times");
    /* erp.log: escaped, the ESC byte (not allowed in XML 1.0) as text,
     * the byte that is not UTF-8 as U+FFFD */
    ck_contains(x, "\\x1B[31mred\\x1B[0m &lt;script&gt;alert(1)&lt;/script&gt;"
                   " &amp; base");
    ck_contains(x, "]]&gt; bad byte \xef\xbf\xbd end");
    ck_lacks(x, "\x1b");
    ck_lacks(x, "<script>");
    free(x);
    conf_report_free(r);
}
END_TEST

START_TEST(test_junit_ratchet_fails_and_xfail_passes)
{
    struct conf_report *r = load("expected");
    char *x = write_to_text(r, conf_report_write_junit);
    ck_contains(x, "tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\"");
    ck_contains(x, "<failure type=\"ratchet\" message=\"listed in the "
                   "expected failures as FAIL but the run is PASS");
    ck_contains(x, "expected failure (listed as FAIL): FAIL still broken");
    free(x);
    conf_report_free(r);
}
END_TEST

/* ---------------------------------------------------------------- TAP */

START_TEST(test_tap_plan_and_result_lines)
{
    struct conf_report *r = load("basic");
    char *t = tap_text(r);
    ck_assert_msg(strncmp(t, "TAP version 14\n1..6\n", 20) == 0, "%s", t);
    ck_contains(t, "\nok 1 - 0001 A refund is found by polling (poll)\n");
    ck_contains(t, "\nnot ok 2 - 0029 Write-back <b>\"timeout\"</b> & retry "
                   "(push)\n");
    ck_contains(t, "\nnot ok 3 - 0006 The parcel already left (push)\n");
    ck_contains(t, "\nok 4 - 0004 A return learnt from pushes (push) # SKIP "
                   "needs a push listener (run without --no-push)\n");
    ck_contains(t, "\nnot ok 5 - scenarios/0099-broken.json\n");
    ck_contains(t, "\nok 6 - 0023 A forged push is ignored (push)\n");
    ck_contains(t, "  verdict: FUNDS_AT_RISK\n");
    ck_contains(t, "      rule: \"expect:reread\"\n      at_s: 42.000\n");
    ck_contains(t, "      at_s: null\n");
    /* the metrics as comments just before the counts (see the metrics
     * test for where the numbers come from) */
    ck_contains(t, "\n# handled automatically: 5 of 7 after-sales (71.4%)\n"
                   "# application → refund, unshipped_refund: median 2.5 s, "
                   "worst 3.5 s (3 refunds)\n");
    ck_contains(t, "\n# 2 passed, 3 failed, 1 skipped\n");
    free(t);
    conf_report_free(r);
}
END_TEST

START_TEST(test_tap_counts_an_older_summary_itself)
{
    struct conf_report *r = load("expected");
    char *t = tap_text(r);
    ck_contains(t, "\n1..2\n");
    ck_contains(t, "\nnot ok 1 - 0007 Listed and still failing (poll) # TODO "
                   "expected failure: still broken\n");
    ck_contains(t, "\nnot ok 2 - 0008 Listed but passes now (poll)\n");
    /* no counts in that summary: xfail counts as passed, ratchet failed */
    ck_contains(t, "\n# 1 passed, 1 failed, 0 skipped\n");
    free(t);
    conf_report_free(r);
}
END_TEST

/* ---------------------------------------------------------------- JSON */

static const struct dd_json *at(const struct dd_json *v, size_t i)
{
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v->type, DD_JSON_ARRAY);
    ck_assert_uint_gt(v->n, i);
    return &v->kids[i];
}

static void ck_lexeme(const struct dd_json *v, const char *want)
{
    ck_assert_ptr_nonnull(v);
    ck_assert_msg(v->text && strcmp(v->text, want) == 0, "got %s, want %s",
                  v->text ? v->text : "(no text)", want);
}

START_TEST(test_json_schema_runs_and_metrics)
{
    struct conf_report *r = load("basic");
    char *j = write_to_text(r, conf_report_write_json);
    struct dd_json_doc doc = {0};
    struct dd_json_error je;
    ck_assert_msg(dd_json_parse(j, strlen(j), NULL, &doc, &je) == 0, "%s",
                  je.msg);
    const struct dd_json *root = doc.root;
    ck_lexeme(dd_json_get(root, "schema_version"), "1");
    ck_lexeme(dd_json_get(root, "exit_status"), "2");
    ck_lexeme(dd_json_get(dd_json_get(root, "invocation"), "seed"), "42");
    ck_lexeme(dd_json_get(dd_json_get(root, "counts"), "failed"), "3");
    ck_lexeme(dd_json_get(dd_json_get(root, "counts"), "FUNDS_AT_RISK"), "1");
    const struct dd_json *m = dd_json_get(root, "metrics");
    ck_lexeme(dd_json_get(m, "counted"), "7");
    ck_lexeme(dd_json_get(m, "share"), "0.714");
    const struct dd_json *flow0 = at(dd_json_get(m, "flows"), 0);
    ck_assert_str_eq(dd_json_get(flow0, "flow")->text, "unshipped_refund");
    ck_lexeme(dd_json_get(flow0, "median_s"), "2.500");
    ck_lexeme(dd_json_get(flow0, "refunds"), "3");
    const struct dd_json *runs = dd_json_get(root, "runs");
    const struct dd_json *fail = at(runs, 1);
    ck_assert_str_eq(dd_json_get(fail, "verdict")->text, "FAIL");
    ck_assert_str_eq(dd_json_get(fail, "name")->text, "0029-timeout-push");
    ck_lexeme(dd_json_get(at(dd_json_get(fail, "findings"), 0), "at_s"),
              "42.000");
    ck_assert_str_eq(
        dd_json_get(dd_json_get(at(runs, 0), "files"), "journal")->text,
        "runs/0001-refund-poll/journal.jsonl");
    const struct dd_json *error_files = dd_json_get(at(runs, 4), "files");
    ck_assert_int_eq(dd_json_get(error_files, "verdict")->type, DD_JSON_NULL);
    ck_assert_int_eq(dd_json_get(at(runs, 4), "id")->type, DD_JSON_NULL);
    ck_assert_int_eq(dd_json_get(at(runs, 4), "metrics")->type, DD_JSON_NULL);
    dd_json_doc_free(&doc);
    free(j);
    conf_report_free(r);
}
END_TEST

/* ---------------------------------------------------------------- HTML */

/* The text of the run section with this id, up to the next section. */
static char *section(const char *html, const char *name)
{
    char open[300];
    snprintf(open, sizeof open, "<section class=\"run-detail\" id=\"run-%s\"",
             name);
    const char *s = strstr(html, open);
    ck_assert_msg(s != NULL, "no section %s", name);
    const char *e = strstr(s + 1, "<section class=\"run-detail\"");
    size_t n = e ? (size_t)(e - s) : strlen(s);
    char *out = malloc(n + 1);
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

START_TEST(test_html_overview_and_failing_rows)
{
    struct conf_report *r = load("basic");
    char *h = write_to_text(r, conf_report_write_html);
    ck_contains(h, "<table id=\"overview\">");
    ck_assert_uint_eq(count_of(h, "<tr class=\"run "), 6);
    ck_contains(h, "<tr class=\"run v-FAIL\" data-run=\"0029-timeout-push\" "
                   "data-verdict=\"FAIL\">");
    ck_contains(h, "data-run=\"0099-broken\" data-verdict=\"ERROR\"");
    ck_contains(h, "<section class=\"run-detail\" id=\"run-0006-parcel-push\" "
                   "data-verdict=\"FUNDS_AT_RISK\">");
    /* 0029: the write-back at 5.000 s, the step "apply" that opened the
     * unmet expectation's window, and a row of its own at 42.000 s */
    char *fail = section(h, "0029-timeout-push");
    ck_assert_uint_eq(count_of(fail, "<div class=\"r failing\">"), 3);
    ck_contains(fail, "<div class=\"r failing\"><div class=\"t\">+5.000</div>");
    ck_contains(fail,
                "<div class=\"r failing\"><div class=\"t\">+42.000</div>");
    ck_contains(fail, "the window of this expectation opened here");
    ck_contains(fail, "Write-back &lt;b&gt;&quot;timeout&quot;&lt;/b&gt;");
    free(fail);
    /* 0006: the refund call at 3.719 s is the failing row */
    char *funds = section(h, "0006-parcel-push");
    ck_assert_uint_eq(count_of(funds, "<div class=\"r failing\">"), 1);
    ck_contains(funds, "<div class=\"r failing\"><div class=\"t\">+3.719</div>"
                       "<i class=\"ll l0\"></i><i class=\"ll l1\"></i>"
                       "<i class=\"ll l2\"></i><i class=\"ll l3\"></i>"
                       "<div class=\"a s0 e1 rt\">"
                       "afterSale.CancelSendGoodsSuccess");
    free(funds);
    /* 0023: the rejected call, its explain block, the folded polls */
    char *warn = section(h, "0023-forged-push");
    ck_contains(warn, "<div class=\"a s0 e1 rt rej\">token.create");
    ck_contains(warn, "<dt>first difference</dt><dd>at character 3: expected "
                      "&#39;d&#39;, got &#39;c&#39;</dd>");
    ck_contains(warn, "<dt>expected_sign</dt><dd>abd999</dd>");
    ck_contains(warn, "afterSale.List page 0 <span class=\"fold\">×5, +1.0 s "
                      "… +3.0 s</span>");
    free(warn);
    /* self-contained and escaped */
    ck_lacks(h, "<script");
    ck_lacks(h, "src=");
    ck_lacks(h, "http://");
    ck_lacks(h, "https://");
    ck_contains(h, "&lt;script&gt;alert(1)&lt;/script&gt;");
    ck_contains(h, "handled automatically: 5 of 7 after-sales (71.4%)");
    free(h);
    conf_report_free(r);
}
END_TEST

/* ---------------------------------------------------------------- long */

/* A run folder with 3000 polls alternating page 0 and page 1 (so nothing
 * folds) and a finding at the 1500th. */
static char *long_report(void)
{
    char *dir = temp_dir();
    char path[1200];
    snprintf(path, sizeof path, "%s/runs", dir);
    ck_assert_int_eq(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/runs/0042-long-poll", dir);
    ck_assert_int_eq(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"contract\":1,\"erp\":\"e\",\"runs\":[{\"id\":42,\"title\":\"Long"
          "\",\"file\":\"f\",\"mode\":\"poll\",\"verdict\":\"FAIL\","
          "\"sentence\":\"s\",\"seconds\":300,\"dir\":\"runs/0042-long-poll\"}"
          "]}\n",
          f);
    fclose(f);
    snprintf(path, sizeof path, "%s/runs/0042-long-poll/verdict.json", dir);
    f = fopen(path, "w");
    fputs("{\"judgement\":{\"findings\":[{\"verdict\":\"FAIL\",\"rule\":"
          "\"poll-interval\",\"at_s\":150.0,\"sentence\":\"a gap in the "
          "middle\"}],\"expects\":[]}}\n",
          f);
    fclose(f);
    snprintf(path, sizeof path, "%s/runs/0042-long-poll/journal.jsonl", dir);
    f = fopen(path, "w");
    fputs("{\"seq\":1,\"time_us\":0,\"kind\":\"run\",\"method\":\"run.start\"}"
          "\n",
          f);
    for (int i = 0; i < 3000; i++)
        fprintf(f,
                "{\"seq\":%d,\"time_us\":%d,\"kind\":\"api\",\"method\":"
                "\"afterSale.List\",\"code\":10000,\"params\":{\"page\":%d}}\n",
                i + 2, i * 100000, i % 2);
    fclose(f);
    return dir;
}

START_TEST(test_a_long_journal_is_cut_with_a_note_and_keeps_the_finding)
{
    char *dir = long_report();
    char err[512] = "";
    struct conf_report *r = conf_report_load(dir, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    char *h = write_to_text(r, conf_report_write_html);
    /* 3001 rows (run.start and the polls): the header row, the first 300,
     * 1201 left out, the failing one at 150.0 s, 1399 left out, the last
     * 100 */
    ck_assert_uint_eq(count_of(h, "<div class=\"r"), 1 + 300 + 1 + 100 + 2);
    ck_contains(h, "<div class=\"r failing\"><div class=\"t\">+150.000</div>");
    ck_contains(h, "1201 rows left out");
    ck_contains(h, "1399 rows left out");
    char *t = print_run_text(r, 0);
    ck_contains(t, "! +150.000 s  ERP → mock  afterSale.List page 0 → 10000");
    ck_contains(t, "!! FAIL poll-interval: a gap in the middle");
    free(t);
    free(h);
    conf_report_free(r);
    rm_tree(dir);
}
END_TEST

START_TEST(test_identical_repeated_calls_fold_into_one_row)
{
    struct conf_report *r = load("basic");
    char *t = print_run_text(r, 5);
    ck_contains(t, "    +1.000 s  ERP → mock  afterSale.List page 0 ×5, +1.0 s "
                   "… +3.0 s → 10000 (0 items)\n");
    ck_contains(t, "               first difference: at character 3: "
                   "expected 'd', got 'c'\n");
    free(t);
    conf_report_free(r);
}
END_TEST

/* ---------------------------------------------------------------- run */

START_TEST(test_print_run_shows_findings_timeline_hooks_and_log)
{
    struct conf_report *r = load("basic");
    char *t = print_run_text(r, 2);
    ck_contains(t, "0006 The parcel already left (push)\n");
    ck_contains(t, "verdict: FUNDS_AT_RISK (19.0 s)\n");
    ck_contains(t, "  FUNDS_AT_RISK invariant:1 at 3.719 s: money at risk");
    ck_contains(t, "    +1.200 s  hook → mock  reply to "
                   "warehouse.ship_request → {\"shipped\":true,"
                   "\"tracking_no\":\"ZT1\"}\n");
    ck_contains(t, "!   +3.719 s  ERP → mock  afterSale.CancelSendGoodsSuccess "
                   "aftersale_id 7100000000000006001 → 10000\n");
    ck_contains(t, "  event 1 warehouse.ship_request (53 ms): ok");
    ck_contains(t, "erp.log:\nerp output of 0006\n");
    free(t);
    char *pass = print_run_text(r, 0);
    ck_contains(pass, "\\x1B[31mred");
    ck_lacks(pass, "\x1b");
    free(pass);
    FILE *f = fopen("/dev/null", "w");
    ck_assert_int_eq(conf_report_print_run(r, 6, f), -1);
    fclose(f);
    conf_report_free(r);
}
END_TEST

START_TEST(test_a_run_folder_outside_runs_is_not_read)
{
    struct conf_report *r = load("expected");
    char *t = print_run_text(r, 1);
    ck_contains(t, "run folder \"../../etc\" is not runs/NAME: not read");
    free(t);
    char *x = print_run_text(r, 0);
    ck_contains(x, "no run folder (the scenario did not run)");
    free(x);
    conf_report_free(r);
}
END_TEST

START_TEST(test_a_writer_names_the_path_it_cannot_write)
{
    struct conf_report *r = load("basic");
    char err[512] = "";
    ck_assert_int_eq(
        conf_report_write_junit(r, "/nonexistent/dir/out.xml", err, sizeof err),
        -1);
    ck_contains(err, "cannot write /nonexistent/dir/out.xml");
    err[0] = '\0';
    ck_assert_int_eq(
        conf_report_write_html(r, "/nonexistent/x.html", err, sizeof err), -1);
    ck_contains(err, "/nonexistent/x.html");
    conf_report_free(r);
}
END_TEST

Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_load_fails_without_summary_json);
    tcase_add_test(tc, test_load_fails_on_a_summary_that_is_not_json);
    tcase_add_test(tc, test_broken_run_files_are_named_not_fatal);
    tcase_add_test(tc, test_metrics_lines_are_the_hand_computed_ones);
    tcase_add_test(tc, test_print_metrics_prints_nothing_without_metrics);
    tcase_add_test(tc, test_junit_counts_verdicts_and_escapes);
    tcase_add_test(tc, test_junit_ratchet_fails_and_xfail_passes);
    tcase_add_test(tc, test_tap_plan_and_result_lines);
    tcase_add_test(tc, test_tap_counts_an_older_summary_itself);
    tcase_add_test(tc, test_json_schema_runs_and_metrics);
    tcase_add_test(tc, test_html_overview_and_failing_rows);
    tcase_add_test(
        tc, test_a_long_journal_is_cut_with_a_note_and_keeps_the_finding);
    tcase_add_test(tc, test_identical_repeated_calls_fold_into_one_row);
    tcase_add_test(tc, test_print_run_shows_findings_timeline_hooks_and_log);
    tcase_add_test(tc, test_a_run_folder_outside_runs_is_not_read);
    tcase_add_test(tc, test_a_writer_names_the_path_it_cannot_write);
    suite_add_tcase(s, tc);
    return s;
}
