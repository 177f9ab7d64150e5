/*
 * check_metrics.c: unit tests of the seed's metrics (conformance/metrics.c;
 * the definitions are in conformance/metrics.h and conformance/README.md
 * "Metrics"). No server: every test measures a hand-written journal.
 *
 * tests/data/metrics/mixed.jsonl is one run (app_key 5000000000000000001,
 * t0 = 1700000000 s) with eleven after-sales, 71000000000000000NN for NN =
 * 01..11, built so that every rule has a case (times are seconds after
 * t0):
 *   01 pre-shipment, applied 1.0 (actor and step), a failed write-back at
 *      2.0, CancelSendGoodsSuccess 10000 at 2.5: refunded_by_writeback
 *   02 return in the world before the run, returnGoodsToWareHouseSuccess
 *      at 4.25: refunded_by_writeback, apply unknown
 *   03 pre-shipment, applied 1.5 (actor only), refunded by the platform's
 *      timer at 3.0; another run's write-back (1.6) and timer (1.7) for it
 *      do not count: refunded_otherwise
 *   04 pre-shipment, applied 1.25 (step only), a failed logisticsAdd with
 *      is_refund_reject "true" at 5.0, one answered 10000 at 6.0: refused
 *   05 pre-shipment, its order shipped with is_refund_reject at 0.5,
 *      before the application at 1.0: unresolved
 *   06 return, applied 1.0, operate 101 at 2.0, operate 111 at 7.0:
 *      refunded_otherwise
 *   07 return, applied 1.0, operate 112 at 8.0: refused
 *   08 pre-shipment, applied 1.0, cancelled by the buyer at 2.0, its order
 *      shipped with is_refund_reject at 3.0: cancelled_by_buyer
 *   09 shipped refund, applied 1.0, nothing else: unresolved
 *   10 pre-shipment refunded by the world file, final before the run: not
 *      counted
 *   11 return, applied 1.0, customer service agreed at 9.0:
 *      refunded_otherwise
 * Expected values are written here by hand from that list.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_buf.h"
#include "dd_json.h"
#include "dd_jw.h"
#include "judge.h"
#include "metrics.h"
#include "scenario.h"
#include "suites.h"

#define UNKNOWN -1.0

struct expected_row {
    const char *aftersale_id;
    const char *flow;
    enum conf_outcome outcome;
    const char *via; /* NULL: none */
    enum conf_automatic automatic;
    double apply_s, refund_s, apply_to_refund_s;
};

static const struct expected_row mixed_rows[] = {
    {"7100000000000000001", "unshipped_refund",
     CONF_OUTCOME_REFUNDED_BY_WRITEBACK, "CancelSendGoodsSuccess",
     CONF_AUTOMATIC_TRUE, 1.0, 2.5, 1.5},
    {"7100000000000000002", "return", CONF_OUTCOME_REFUNDED_BY_WRITEBACK,
     "returnGoodsToWareHouseSuccess", CONF_AUTOMATIC_TRUE, UNKNOWN, 4.25,
     UNKNOWN},
    {"7100000000000000003", "unshipped_refund", CONF_OUTCOME_REFUNDED_OTHERWISE,
     "timer:merchant_response", CONF_AUTOMATIC_FALSE, 1.5, 3.0, 1.5},
    {"7100000000000000004", "unshipped_refund", CONF_OUTCOME_REFUSED, NULL,
     CONF_AUTOMATIC_TRUE, 1.25, UNKNOWN, UNKNOWN},
    {"7100000000000000005", "unshipped_refund", CONF_OUTCOME_UNRESOLVED, NULL,
     CONF_AUTOMATIC_FALSE, 1.0, UNKNOWN, UNKNOWN},
    {"7100000000000000006", "return", CONF_OUTCOME_REFUNDED_OTHERWISE,
     "operate:111", CONF_AUTOMATIC_FALSE, 1.0, 7.0, 6.0},
    {"7100000000000000007", "return", CONF_OUTCOME_REFUSED, NULL,
     CONF_AUTOMATIC_TRUE, 1.0, UNKNOWN, UNKNOWN},
    {"7100000000000000008", "unshipped_refund", CONF_OUTCOME_CANCELLED_BY_BUYER,
     NULL, CONF_AUTOMATIC_NULL, 1.0, UNKNOWN, UNKNOWN},
    {"7100000000000000009", "shipped_refund", CONF_OUTCOME_UNRESOLVED, NULL,
     CONF_AUTOMATIC_FALSE, 1.0, UNKNOWN, UNKNOWN},
    {"7100000000000000010", "unshipped_refund", CONF_OUTCOME_REFUNDED_OTHERWISE,
     "world-file", CONF_AUTOMATIC_NULL, UNKNOWN, UNKNOWN, UNKNOWN},
    {"7100000000000000011", "return", CONF_OUTCOME_REFUNDED_OTHERWISE,
     "platform:agree", CONF_AUTOMATIC_FALSE, 1.0, 9.0, 8.0},
};
#define N_MIXED (sizeof mixed_rows / sizeof mixed_rows[0])

/* ---------------------------------------------------------------- helpers */

static char *read_mixed(size_t *len)
{
    return dd_test_read_data("metrics/mixed.jsonl", len);
}

static const char *automatic_name(enum conf_automatic a)
{
    return a == CONF_AUTOMATIC_TRUE    ? "true"
           : a == CONF_AUTOMATIC_FALSE ? "false"
                                       : "null";
}

static void expect_seconds(const char *id, const char *what, double got,
                           double want)
{
    if (want < 0)
        ck_assert_msg(got < 0, "%s %s: expected unknown, got %.6f", id, what,
                      got);
    else
        ck_assert_msg(fabs(got - want) < 1e-6, "%s %s: expected %.6f, got %.6f",
                      id, what, want, got);
}

static void expect_row(const struct conf_aftersale_metric *got,
                       const struct expected_row *want)
{
    const char *id = want->aftersale_id;
    ck_assert_str_eq(got->aftersale_id, id);
    ck_assert_msg(strcmp(got->flow, want->flow) == 0, "%s flow %s, not %s", id,
                  got->flow, want->flow);
    ck_assert_msg(got->outcome == want->outcome, "%s outcome %s, not %s", id,
                  conf_outcome_name(got->outcome),
                  conf_outcome_name(want->outcome));
    if (want->via)
        ck_assert_msg(got->via && strcmp(got->via, want->via) == 0,
                      "%s via %s, not %s", id, got->via ? got->via : "NULL",
                      want->via);
    else
        ck_assert_msg(!got->via, "%s via %s, not NULL", id, got->via);
    ck_assert_msg(got->automatic == want->automatic, "%s automatic %s, not %s",
                  id, automatic_name(got->automatic),
                  automatic_name(want->automatic));
    expect_seconds(id, "apply_s", got->apply_s, want->apply_s);
    expect_seconds(id, "refund_s", got->refund_s, want->refund_s);
    expect_seconds(id, "apply_to_refund_s", got->apply_to_refund_s,
                   want->apply_to_refund_s);
}

/* Measures `text` under `verdict` and checks it against the mixed run's
 * expected rows (with refusals automatic only when `refusal_counts`, and
 * write-backs not automatic under FUNDS_AT_RISK). */
static void expect_mixed(const char *text, size_t len,
                         enum conf_verdict verdict, bool refusal_counts)
{
    struct conf_metrics m;
    ck_assert_int_eq(conf_metrics_compute(NULL, text, len, verdict, &m),
                     CONF_METRICS_OK);
    ck_assert_uint_eq(m.n_aftersales, N_MIXED);
    bool at_risk = verdict == CONF_FUNDS_AT_RISK;
    ck_assert_uint_eq(m.counted, 9);
    ck_assert_uint_eq(m.automatic,
                      (refusal_counts ? 2 : 0) + (at_risk ? 0 : 2));
    for (size_t i = 0; i < N_MIXED; i++) {
        struct expected_row want = mixed_rows[i];
        if (want.outcome == CONF_OUTCOME_REFUSED && !refusal_counts)
            want.automatic = CONF_AUTOMATIC_FALSE;
        if (want.outcome == CONF_OUTCOME_REFUNDED_BY_WRITEBACK && at_risk)
            want.automatic = CONF_AUTOMATIC_FALSE;
        expect_row(&m.aftersales[i], &want);
    }
    conf_metrics_free(&m);
    ck_assert_uint_eq(m.n_aftersales, 0);
    ck_assert_ptr_null(m.aftersales);
}

/* One journal line of the run 5000000000000000001 at t0 + `t_s` seconds;
 * `rest` is the remaining members (without braces). */
static void entry(struct dd_buf *b, double t_s, const char *kind,
                  const char *method, const char *rest)
{
    dd_buf_printf(b,
                  "{\"time_us\":%lld,\"kind\":\"%s\",\"app_key\":"
                  "\"5000000000000000001\",\"method\":\"%s\"%s%s}\n",
                  1700000000000000LL + (long long)llround(t_s * 1e6), kind,
                  method, *rest ? "," : "", rest);
}

/* ------------------------------------------------------------------ tests */

START_TEST(test_every_outcome_of_a_run_with_a_passing_verdict)
{
    size_t len;
    char *text = read_mixed(&len);
    expect_mixed(text, len, CONF_PASS, true);
    expect_mixed(text, len, CONF_WARN, true);
    free(text);
}
END_TEST

START_TEST(test_a_refusal_is_not_automatic_when_the_run_failed)
{
    size_t len;
    char *text = read_mixed(&len);
    expect_mixed(text, len, CONF_FAIL, false);
    expect_mixed(text, len, CONF_FUNDS_AT_RISK, false);
    expect_mixed(text, len, CONF_ERROR, false);
    free(text);
}
END_TEST

START_TEST(test_the_json_object_has_every_member)
{
    size_t len;
    char *text = read_mixed(&len);
    struct conf_metrics m;
    ck_assert_int_eq(conf_metrics_compute(NULL, text, len, CONF_PASS, &m),
                     CONF_METRICS_OK);
    struct dd_buf out;
    dd_buf_init(&out, 0);
    struct dd_jw w;
    dd_jw_init(&w, &out);
    conf_metrics_write_json(&m, &w);
    ck_assert_int_eq(dd_jw_error(&w), 0);
    conf_metrics_free(&m);
    free(text);

    struct dd_json_doc doc;
    ck_assert_int_eq(dd_json_parse(out.data, out.len, NULL, &doc, NULL), 0);
    const struct dd_json *root = doc.root;
    int64_t x;
    ck_assert_int_eq(root->n, 3);
    ck_assert_int_eq(dd_json_int64(dd_json_get(root, "counted"), &x), 0);
    ck_assert_int_eq(x, 9);
    ck_assert_int_eq(dd_json_int64(dd_json_get(root, "automatic"), &x), 0);
    ck_assert_int_eq(x, 4);
    const struct dd_json *rows = dd_json_get(root, "aftersales");
    ck_assert_ptr_nonnull(rows);
    ck_assert_int_eq(rows->type, DD_JSON_ARRAY);
    ck_assert_uint_eq(rows->n, N_MIXED);

    /* 01: every member set */
    const struct dd_json *r = &rows->kids[0];
    ck_assert_uint_eq(r->n, 8);
    const struct dd_json *v = dd_json_get(r, "aftersale_id");
    ck_assert_int_eq(v->type, DD_JSON_STRING);
    ck_assert_str_eq(v->text, "7100000000000000001");
    ck_assert_str_eq(dd_json_get(r, "flow")->text, "unshipped_refund");
    ck_assert_str_eq(dd_json_get(r, "outcome")->text, "refunded_by_writeback");
    ck_assert_str_eq(dd_json_get(r, "via")->text, "CancelSendGoodsSuccess");
    ck_assert_int_eq(dd_json_get(r, "automatic")->type, DD_JSON_TRUE);
    ck_assert_str_eq(dd_json_get(r, "apply_s")->text, "1.000");
    ck_assert_str_eq(dd_json_get(r, "refund_s")->text, "2.500");
    ck_assert_str_eq(dd_json_get(r, "apply_to_refund_s")->text, "1.500");

    /* 02: applied before the run */
    r = &rows->kids[1];
    ck_assert_int_eq(dd_json_get(r, "apply_s")->type, DD_JSON_NULL);
    ck_assert_str_eq(dd_json_get(r, "refund_s")->text, "4.250");
    ck_assert_int_eq(dd_json_get(r, "apply_to_refund_s")->type, DD_JSON_NULL);

    /* 04: refused, no via, no refund time */
    r = &rows->kids[3];
    ck_assert_str_eq(dd_json_get(r, "outcome")->text, "refused");
    ck_assert_int_eq(dd_json_get(r, "via")->type, DD_JSON_NULL);
    ck_assert_int_eq(dd_json_get(r, "refund_s")->type, DD_JSON_NULL);

    /* 05 unresolved: automatic false; 08 cancelled: automatic null */
    ck_assert_int_eq(dd_json_get(&rows->kids[4], "automatic")->type,
                     DD_JSON_FALSE);
    r = &rows->kids[7];
    ck_assert_str_eq(dd_json_get(r, "outcome")->text, "cancelled_by_buyer");
    ck_assert_int_eq(dd_json_get(r, "automatic")->type, DD_JSON_NULL);
    dd_json_doc_free(&doc);
    dd_buf_free(&out);
}
END_TEST

START_TEST(test_a_journal_without_its_final_state_has_no_metrics)
{
    size_t len;
    char *text = read_mixed(&len);
    const char *final = strstr(text, "\"kind\":\"final\"");
    ck_assert_ptr_nonnull(final);
    while (final > text && final[-1] != '\n')
        final--;
    struct conf_metrics m;
    /* cut just before the final entry, and in the middle of it */
    size_t cut = (size_t)(final - text);
    ck_assert_int_eq(conf_metrics_compute(NULL, text, cut, CONF_PASS, &m),
                     CONF_METRICS_INCOMPLETE);
    ck_assert_uint_eq(m.n_aftersales, 0);
    ck_assert_ptr_null(m.aftersales);
    ck_assert_uint_eq(m.counted, 0);
    conf_metrics_free(&m);
    ck_assert_int_eq(conf_metrics_compute(NULL, text, cut + 300, CONF_PASS, &m),
                     CONF_METRICS_INCOMPLETE);
    conf_metrics_free(&m);
    free(text);

    ck_assert_int_eq(conf_metrics_compute(NULL, "", 0, CONF_PASS, &m),
                     CONF_METRICS_INCOMPLETE);
    ck_assert_int_eq(conf_metrics_compute(NULL, NULL, 0, CONF_PASS, &m),
                     CONF_METRICS_INCOMPLETE);
    const char *junk = "not a journal\n\x01\xff{\n";
    ck_assert_int_eq(
        conf_metrics_compute(NULL, junk, strlen(junk), CONF_PASS, &m),
        CONF_METRICS_INCOMPLETE);

    /* no run.start; then a final state that is not an object */
    struct dd_buf b;
    dd_buf_init(&b, 0);
    entry(&b, -1, "run", "run.create", "");
    entry(&b, 5, "final", "run.final",
          "\"response\":{\"aftersales\":{},\"refunds\":[]}");
    ck_assert_int_eq(conf_metrics_compute(NULL, b.data, b.len, CONF_PASS, &m),
                     CONF_METRICS_INCOMPLETE);
    dd_buf_reset(&b);
    entry(&b, -1, "run", "run.create", "");
    entry(&b, 0, "run", "run.start", "");
    entry(&b, 5, "final", "run.final", "\"response\":\"{\\\"aftersales\"");
    ck_assert_int_eq(conf_metrics_compute(NULL, b.data, b.len, CONF_PASS, &m),
                     CONF_METRICS_INCOMPLETE);
    /* the final state of another run does not count */
    dd_buf_reset(&b);
    entry(&b, -1, "run", "run.create", "");
    entry(&b, 0, "run", "run.start", "");
    dd_buf_printf(&b, "{\"time_us\":1700000005000000,\"kind\":\"final\","
                      "\"app_key\":\"9\",\"method\":\"run.final\","
                      "\"response\":{\"aftersales\":{}}}\n");
    ck_assert_int_eq(conf_metrics_compute(NULL, b.data, b.len, CONF_PASS, &m),
                     CONF_METRICS_INCOMPLETE);
    /* a complete run without after-sales: counted 0 */
    entry(&b, 5, "final", "run.final",
          "\"response\":{\"aftersales\":{},\"refunds\":[]}");
    ck_assert_int_eq(conf_metrics_compute(NULL, b.data, b.len, CONF_PASS, &m),
                     CONF_METRICS_OK);
    ck_assert_uint_eq(m.n_aftersales, 0);
    ck_assert_uint_eq(m.counted, 0);
    conf_metrics_free(&m);
    dd_buf_free(&b);
}
END_TEST

START_TEST(test_odd_lines_are_skipped)
{
    size_t len;
    char *text = read_mixed(&len);
    static const char *const odd[] = {
        "not JSON at all",
        "[1, 2, 3]",
        "{\"kind\":\"api\"}",
        "{\"kind\":7,\"time_us\":1700000000500000}",
        "{\"kind\":\"api\",\"time_us\":\"soon\"}",
        "{\"kind\":\"api\",\"time_us\":99999999999999999999999}",
        "{\"kind\":\"api\",\"time_us\":1700000000900000,\"app_key\":"
        "\"5000000000000000001\",\"method\":\"afterSale."
        "CancelSendGoodsSuccess\","
        "\"code\":10000,\"params\":\"7100000000000000005\"}",
        "{\"kind\":\"actor\",\"time_us\":1700000000100000,\"app_key\":"
        "\"5000000000000000001\",\"method\":\"buyer.apply\",\"note\":"
        "\"aftersale 7100000000000000009\"}",
        "{\"kind\":\"step\",\"time_us\":1700000000100000,\"app_key\":"
        "\"5000000000000000001\",\"method\":\"buyer.apply\",\"code\":1,"
        "\"response\":{\"aftersale_id\":\"7100000000000000009\"}}",
        "\xff\xfe{\"kind\"",
        "   ",
        "{\"seq\":1,\"time_us\":17000000",
    };
    struct dd_buf b;
    dd_buf_init(&b, 0);
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
        dd_buf_printf(&b, "%s\r\n", odd[i]);
    /* the journal with CRLF line ends */
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n')
            dd_buf_putc(&b, '\r');
        dd_buf_putc(&b, text[i]);
    }
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
        dd_buf_printf(&b, "%s\n", odd[i]);
    dd_buf_append(&b, text, len / 2); /* and half of it again */
    expect_mixed(b.data, b.len, CONF_PASS, true);
    dd_buf_free(&b);
    free(text);
}
END_TEST

START_TEST(test_a_journal_collected_twice_measures_the_same)
{
    size_t len;
    char *text = read_mixed(&len);
    struct dd_buf b;
    dd_buf_init(&b, 0);
    dd_buf_append(&b, text, len);
    dd_buf_append(&b, text, len);
    expect_mixed(b.data, b.len, CONF_PASS, true);
    dd_buf_free(&b);
    free(text);
}
END_TEST

/* A run whose run.create does not record the world: the scenario's world
 * says which after-sales were there before. The journal applies for
 * 7100000000000000021 at 1.0 anyway (as if a generator had re-applied),
 * and writes it back at 2.0. */
START_TEST(test_the_scenario_world_names_after_sales_that_were_there_before)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    entry(&b, -1, "run", "run.create", "\"params\":{\"push\":true}");
    entry(&b, 0, "run", "run.start", "");
    entry(&b, 1, "actor", "buyer.apply",
          "\"note\":\"aftersale 7100000000000000021: applied, type 2\"");
    entry(&b, 2, "api", "afterSale.CancelSendGoodsSuccess",
          "\"code\":10000,\"params\":{\"aftersale_id\":7100000000000000021}");
    entry(&b, 3, "final", "run.final",
          "\"response\":{\"aftersales\":{\"7100000000000000021\":{\"type\":"
          "\"unshipped_refund\",\"order_id\":\"6920000000000000021\","
          "\"status\":12,\"refund_status\":3,\"final\":true}},\"refunds\":[{"
          "\"aftersale_id\":\"7100000000000000021\",\"via\":"
          "\"CancelSendGoodsSuccess\",\"amount\":3900}]}");

    struct conf_metrics m;
    ck_assert_int_eq(conf_metrics_compute(NULL, b.data, b.len, CONF_PASS, &m),
                     CONF_METRICS_OK);
    const struct expected_row applied = {"7100000000000000021",
                                         "unshipped_refund",
                                         CONF_OUTCOME_REFUNDED_BY_WRITEBACK,
                                         "CancelSendGoodsSuccess",
                                         CONF_AUTOMATIC_TRUE,
                                         1.0,
                                         2.0,
                                         1.0};
    ck_assert_uint_eq(m.n_aftersales, 1);
    expect_row(&m.aftersales[0], &applied);
    conf_metrics_free(&m);

    char path[1024];
    snprintf(path, sizeof path, "%s/metrics/preexisting.json",
             dd_test_data_dir());
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    struct scn_scenario *s = scn_scenario_load(path, &errs);
    ck_assert_msg(s != NULL, "%s", dd_buf_str(&errs));
    ck_assert_int_eq(conf_metrics_compute(s, b.data, b.len, CONF_PASS, &m),
                     CONF_METRICS_OK);
    struct expected_row before = applied;
    before.apply_s = UNKNOWN;
    before.apply_to_refund_s = UNKNOWN;
    ck_assert_uint_eq(m.n_aftersales, 1);
    expect_row(&m.aftersales[0], &before);
    conf_metrics_free(&m);
    scn_scenario_free(s);
    dd_buf_free(&errs);
    dd_buf_free(&b);
}
END_TEST

/* Refunds whose moment is not in the run: a write-back before t0 (the ERP
 * works before the timeline starts), a refund the state shows without a
 * ledger row (its key is repeated: the last one counts, as in dd_json_get),
 * an operate 201 that never got 10000. */
START_TEST(test_a_refund_time_is_never_guessed)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    entry(&b, -1, "run", "run.create",
          "\"params\":{\"world\":{\"aftersales\":{\"7100000000000000031\":{"
          "\"final\":false},\"7100000000000000032\":{\"final\":false}}}}");
    entry(
        &b, -0.5, "api", "afterSale.CancelSendGoodsSuccess",
        "\"code\":10000,\"params\":{\"aftersale_id\":\"7100000000000000031\"}");
    entry(&b, 0, "run", "run.start", "");
    entry(&b, 1, "actor", "buyer.apply",
          "\"note\":\"aftersale 7100000000000000033: applied, type 1\"");
    entry(&b, 2, "api", "afterSale.operate",
          "\"code\":50002,\"params\":{\"type\":201,\"items\":[{"
          "\"aftersale_id\":\"7100000000000000033\"}]}");
    entry(&b, 3, "final", "run.final",
          "\"response\":{\"aftersales\":{"
          "\"7100000000000000031\":{\"type\":\"unshipped_refund\","
          "\"refund_status\":3},"
          "\"7100000000000000032\":{\"type\":\"return\"},"
          "\"7100000000000000032\":{\"type\":\"exchange\",\"refund_status\":3},"
          "\"7100000000000000033\":{\"type\":\"shipped_refund\","
          "\"refund_status\":3},"
          "\"not-an-id\":{\"type\":\"return\"},"
          "\"7100000000000000034\":[]},"
          "\"refunds\":[{\"aftersale_id\":\"7100000000000000031\",\"via\":"
          "\"CancelSendGoodsSuccess\"},{\"aftersale_id\":"
          "\"7100000000000000033\",\"via\":\"operate:201\"}]}");
    struct conf_metrics m;
    ck_assert_int_eq(conf_metrics_compute(NULL, b.data, b.len, CONF_PASS, &m),
                     CONF_METRICS_OK);
    static const struct expected_row rows[] = {
        {"7100000000000000031", "unshipped_refund",
         CONF_OUTCOME_REFUNDED_BY_WRITEBACK, "CancelSendGoodsSuccess",
         CONF_AUTOMATIC_TRUE, UNKNOWN, UNKNOWN, UNKNOWN},
        {"7100000000000000032", "exchange", CONF_OUTCOME_REFUNDED_OTHERWISE,
         NULL, CONF_AUTOMATIC_FALSE, UNKNOWN, UNKNOWN, UNKNOWN},
        {"7100000000000000033", "shipped_refund",
         CONF_OUTCOME_REFUNDED_OTHERWISE, "operate:201", CONF_AUTOMATIC_FALSE,
         1.0, UNKNOWN, UNKNOWN},
    };
    ck_assert_uint_eq(m.n_aftersales, 3);
    ck_assert_uint_eq(m.counted, 3);
    ck_assert_uint_eq(m.automatic, 1);
    for (size_t i = 0; i < 3; i++)
        expect_row(&m.aftersales[i], &rows[i]);
    conf_metrics_free(&m);
    dd_buf_free(&b);
}
END_TEST

START_TEST(test_outcome_names)
{
    ck_assert_str_eq(conf_outcome_name(CONF_OUTCOME_REFUNDED_BY_WRITEBACK),
                     "refunded_by_writeback");
    ck_assert_str_eq(conf_outcome_name(CONF_OUTCOME_REFUSED), "refused");
    ck_assert_str_eq(conf_outcome_name(CONF_OUTCOME_REFUNDED_OTHERWISE),
                     "refunded_otherwise");
    ck_assert_str_eq(conf_outcome_name(CONF_OUTCOME_CANCELLED_BY_BUYER),
                     "cancelled_by_buyer");
    ck_assert_str_eq(conf_outcome_name(CONF_OUTCOME_UNRESOLVED), "unresolved");
    ck_assert_str_eq(conf_outcome_name((enum conf_outcome)42), "?");
}
END_TEST

Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, test_every_outcome_of_a_run_with_a_passing_verdict);
    tcase_add_test(tc, test_a_refusal_is_not_automatic_when_the_run_failed);
    tcase_add_test(tc, test_the_json_object_has_every_member);
    tcase_add_test(tc, test_a_journal_without_its_final_state_has_no_metrics);
    tcase_add_test(tc, test_odd_lines_are_skipped);
    tcase_add_test(tc, test_a_journal_collected_twice_measures_the_same);
    tcase_add_test(
        tc, test_the_scenario_world_names_after_sales_that_were_there_before);
    tcase_add_test(tc, test_a_refund_time_is_never_guessed);
    tcase_add_test(tc, test_outcome_names);
    suite_add_tcase(s, tc);
    return s;
}
