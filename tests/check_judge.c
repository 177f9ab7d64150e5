/*
 * check_judge.c: unit tests of the judge (conformance/judge.c; the rules
 * are in conformance/README.md "The judge"). No server: every test judges
 * a hand-written journal (the .jsonl files of tests/data/journals/, one
 * entry per line as mock/journal.c writes them) against a fixture
 * scenario (the .json files of tests/data/scenarios_judge/). For every
 * rule there is a journal that triggers it and one that does not, each
 * checked for the verdict and a piece of the sentence. Journals are named
 * after their scenario: unshipped-* (unshipped.json), ship-* (ship.json),
 * ship-both-* (ship-both.json), return-* (return-intact/-damaged/-short
 * .json), poll-* (poll.json) and forged-* (forged.json). Every fixture
 * journal starts its timeline at t0 = 1700000000 s, so "x.y s" in a
 * sentence is the time written in the file minus 1700000000.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dd_buf.h"
#include "dd_json.h"
#include "dd_jw.h"
#include "judge.h"
#include "scenario.h"
#include "suites.h"

#define T0_US 1700000000000000LL

/* ---------------------------------------------------------------- helpers */

static struct scn_scenario *load_scenario(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios_judge/%s", dd_test_data_dir(),
             name);
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    struct scn_scenario *s = scn_scenario_load(path, &errs);
    ck_assert_msg(s != NULL, "%s", dd_buf_str(&errs));
    dd_buf_free(&errs);
    return s;
}

static char *read_journal(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "journals/%s", name);
    return dd_test_read_data(rel, len);
}

/* Judges journal `journal` against scenario `scenario` into `j`. */
static void judge(const char *scenario, const char *journal,
                  struct conf_judgement *j)
{
    struct scn_scenario *s = load_scenario(scenario);
    size_t len;
    char *text = read_journal(journal, &len);
    ck_assert_int_eq(conf_judge(s, text, len, j), 0);
    ck_assert_uint_eq(j->n_expects, s->n_expects);
    free(text);
    scn_scenario_free(s);
}

/* Every finding, one per line, for failure messages (free). */
static char *all_findings(const struct conf_judgement *j)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    dd_buf_printf(&b, "verdict %s: %s\n", conf_verdict_name(j->verdict),
                  j->sentence);
    for (size_t i = 0; i < j->n_findings; i++)
        dd_buf_printf(&b, "  %s %s @%.1f: %s\n",
                      conf_verdict_name(j->findings[i].verdict),
                      j->findings[i].rule, j->findings[i].at_s,
                      j->findings[i].sentence);
    return dd_buf_steal(&b);
}

/* The first finding of `rule`, or NULL. */
static const struct conf_finding *finding(const struct conf_judgement *j,
                                          const char *rule)
{
    for (size_t i = 0; i < j->n_findings; i++)
        if (strcmp(j->findings[i].rule, rule) == 0)
            return &j->findings[i];
    return NULL;
}

/* Asserts the run's verdict and, when `rule` is given, a finding of that
 * rule with verdict `rule_verdict` whose sentence holds `part`. */
static void expect_finding(const struct conf_judgement *j,
                           enum conf_verdict verdict, const char *rule,
                           enum conf_verdict rule_verdict, const char *part)
{
    char *all = all_findings(j);
    ck_assert_msg(j->verdict == verdict, "expected %s, got\n%s",
                  conf_verdict_name(verdict), all);
    if (rule) {
        const struct conf_finding *f = finding(j, rule);
        ck_assert_msg(f != NULL, "no finding %s in\n%s", rule, all);
        ck_assert_msg(f->verdict == rule_verdict, "%s is %s in\n%s", rule,
                      conf_verdict_name(f->verdict), all);
        ck_assert_msg(strstr(f->sentence, part) != NULL,
                      "\"%s\" not in the %s sentence:\n%s", part, rule, all);
    }
    free(all);
}

/* Judges and checks in one go (see expect_finding). */
static void check_run(const char *scenario, const char *journal,
                      enum conf_verdict verdict, const char *rule,
                      enum conf_verdict rule_verdict, const char *part)
{
    struct conf_judgement j;
    judge(scenario, journal, &j);
    expect_finding(&j, verdict, rule, rule_verdict, part);
    conf_judgement_free(&j);
}

/* Asserts that no finding of `rule` came out of judging the journal. */
static void check_no_rule(const char *scenario, const char *journal,
                          const char *rule)
{
    struct conf_judgement j;
    judge(scenario, journal, &j);
    char *all = all_findings(&j);
    ck_assert_msg(finding(&j, rule) == NULL, "unexpected %s in\n%s", rule, all);
    free(all);
    conf_judgement_free(&j);
}

static void check_pass(const char *scenario, const char *journal)
{
    struct conf_judgement j;
    judge(scenario, journal, &j);
    char *all = all_findings(&j);
    ck_assert_msg(j.verdict == CONF_PASS && j.n_findings == 0, "%s: %s",
                  journal, all);
    ck_assert_str_eq(j.sentence, "every expectation held");
    free(all);
    conf_judgement_free(&j);
}

/* ------------------------------------------------------------ expectations */

START_TEST(test_a_run_that_does_everything_right_passes)
{
    struct conf_judgement j;
    judge("unshipped.json", "unshipped-pass.jsonl", &j);
    expect_finding(&j, CONF_PASS, NULL, CONF_PASS, NULL);
    ck_assert_str_eq(j.sentence, "every expectation held");
    ck_assert_uint_eq(j.n_findings, 0);
    for (size_t k = 0; k < j.n_expects; k++)
        ck_assert_msg(j.expects[k].met, "expect[%zu] not met", k);
    ck_assert_int_eq(j.expects[0].count, 1);
    ck_assert(j.expects[0].first_s > 3.99 && j.expects[0].first_s < 4.01);
    ck_assert_int_eq(j.expects[2].count, 0); /* the no_call */
    ck_assert_int_eq(j.expects[3].count, 1); /* the final */
    conf_judgement_free(&j);
}
END_TEST

START_TEST(test_a_missing_must_call_fails_naming_the_window_and_nearest_calls)
{
    struct conf_judgement j;
    judge("unshipped.json", "unshipped-no-writeback.jsonl", &j);
    expect_finding(&j, CONF_FAIL, "expect:writeback", CONF_FAIL,
                   "expected afterSale.CancelSendGoodsSuccess {aftersale_id "
                   "7100000000000000001} within 30 s of step \"apply\" (at "
                   "2.0 s), answered success (because an unshipped refund "
                   "must be written back once the outbound is cancelled); it "
                   "never came; the ERP's nearest calls: afterSale.Detail at "
                   "3.0 s (10000)");
    /* the worst finding, then by time: the window closed at 32 s */
    ck_assert_str_eq(j.findings[0].rule, "expect:writeback");
    ck_assert_str_eq(j.sentence, j.findings[0].sentence);
    ck_assert(j.findings[0].at_s > 31.99 && j.findings[0].at_s < 32.01);
    ck_assert(!j.expects[0].met);
    ck_assert_int_eq(j.expects[0].count, 0);
    ck_assert(j.expects[0].first_s < 0);
    conf_judgement_free(&j);
}
END_TEST

START_TEST(test_a_call_after_its_window_fails_as_late)
{
    check_run("unshipped.json", "unshipped-late.jsonl", CONF_FAIL,
              "expect:writeback", CONF_FAIL,
              "it never came (a matching call at 40.0 s came after the "
              "window closed)");
    check_no_rule("unshipped.json", "unshipped-late.jsonl", "expect:once");
}
END_TEST

START_TEST(test_a_stretched_run_widens_the_window)
{
    /* the same late call with run.create's stretch 2: 60 s of window */
    struct scn_scenario *s = load_scenario("unshipped.json");
    size_t len;
    char *text = read_journal("unshipped-late.jsonl", &len);
    char *at = strstr(text, "\"stretch\":1");
    ck_assert_ptr_nonnull(at);
    at[10] = '2';
    struct conf_judgement j;
    conf_judge(s, text, len, &j);
    expect_finding(&j, CONF_PASS, NULL, CONF_PASS, NULL);
    conf_judgement_free(&j);
    free(text);
    scn_scenario_free(s);
}
END_TEST

START_TEST(test_a_call_answered_with_an_error_does_not_count_as_success)
{
    check_run("unshipped.json", "unshipped-answered-error.jsonl", CONF_FAIL,
              "expect:writeback", CONF_FAIL,
              "it never came (a matching call at 4.0 s was answered 50002 "
              "isv.business-failed:11002)");
}
END_TEST

START_TEST(test_a_broken_should_only_warns)
{
    check_run("unshipped.json", "unshipped-repeat-once.jsonl", CONF_WARN,
              "expect:once", CONF_WARN,
              "expected at most 1 \xc3\x97 afterSale.CancelSendGoodsSuccess "
              "{aftersale_id 7100000000000000001} during the run (because a "
              "write-back that succeeded is not repeated); it came 2 times "
              "(at 4.0 s, 5.0 s)");
}
END_TEST

/* The call that starts a poll-only run's timeline comes before t0; an
 * expectation without `of` counts it (its `within` counts from t0). */
START_TEST(test_a_call_before_the_timeline_starts_counts_without_of)
{
    check_pass("token-first.json", "token-before-start.jsonl");
    check_run("token-first.json", "unshipped-pass.jsonl", CONF_FAIL, "expect:0",
              CONF_FAIL, "expected token.create");
}
END_TEST

START_TEST(test_a_forbidden_call_fails)
{
    check_run("unshipped.json", "unshipped-logistics.jsonl", CONF_FAIL,
              "expect:2", CONF_FAIL,
              "expected no order.logisticsAdd {order_id 6920000000000010001} "
              "(because a refunded parcel must not leave); the ERP called it "
              "at 5.0 s, answered 50002 isv.business-failed:30001");
    check_no_rule("unshipped.json", "unshipped-pass.jsonl", "expect:2");
}
END_TEST

START_TEST(test_a_wrong_final_state_fails_showing_the_state_it_ended_in)
{
    check_run("unshipped.json", "unshipped-no-writeback.jsonl", CONF_FAIL,
              "expect:3", CONF_FAIL,
              "expected after-sale 7100000000000000001 to end with status 12; "
              "it ended with status 6 (the run ended at 60.0 s)");
    check_no_rule("unshipped.json", "unshipped-pass.jsonl", "expect:3");
}
END_TEST

START_TEST(test_an_expectation_whose_step_never_ran_is_not_met)
{
    struct conf_judgement j;
    judge("unshipped.json", "unshipped-step-refused.jsonl", &j);
    expect_finding(&j, CONF_ERROR, "expect:writeback", CONF_FAIL,
                   "step \"apply\" never ran, so the window never opened");
    ck_assert(!j.expects[0].met);
    expect_finding(&j, CONF_ERROR, "expect:3", CONF_FAIL,
                   "there is no after-sale 7100000000000000001 at the end");
    conf_judgement_free(&j);
}
END_TEST

/* -------------------------------------------------------------- invariants */

START_TEST(test_refunding_a_sku_after_it_shipped_is_funds_at_risk)
{
    check_run("ship-both.json", "ship-both-refund-after-ship.jsonl",
              CONF_FUNDS_AT_RISK, "invariant:1", CONF_FUNDS_AT_RISK,
              "money at risk: SKU order 6920000000000040002 shipped (hook at "
              "1.3 s said shipped: true) and the ERP then wrote back "
              "afterSale.CancelSendGoodsSuccess for after-sale "
              "7000000000000040002 at 3.0 s (answered 10000), refunding a "
              "parcel that left");
    check_no_rule("ship-both.json", "ship-both-held.jsonl", "invariant:1");
    check_pass("ship.json", "ship-pass.jsonl");
}
END_TEST

START_TEST(test_shipping_a_sku_after_its_refund_is_funds_at_risk)
{
    check_run("ship-both.json", "ship-both-after-refund.jsonl",
              CONF_FUNDS_AT_RISK, "invariant:2", CONF_FUNDS_AT_RISK,
              "money at risk: the pre-shipment refund of SKU order "
              "6920000000000040002 had succeeded (after-sale "
              "7000000000000040002, 8900 fen) and the ERP then let it ship: "
              "the hook at 1.3 s of step \"ship\" said shipped: true");
    /* shipping the other SKU of the order is what a correct ERP does */
    check_no_rule("ship.json", "ship-pass.jsonl", "invariant:2");
    check_pass("ship-both.json", "ship-both-held.jsonl");
}
END_TEST

START_TEST(test_refunding_a_return_before_it_arrived_is_funds_at_risk)
{
    check_run("return-intact.json", "return-before-arrival.jsonl",
              CONF_FUNDS_AT_RISK, "invariant:3", CONF_FUNDS_AT_RISK,
              "money at risk: the ERP wrote back "
              "afterSale.returnGoodsToWareHouseSuccess for return after-sale "
              "7100000000000000002 at 5.0 s (answered 10000), before its "
              "parcel arrived");
    check_run("return-intact.json", "return-operate-early.jsonl",
              CONF_FUNDS_AT_RISK, "invariant:3", CONF_FUNDS_AT_RISK,
              "wrote back afterSale.operate type 111 for return after-sale "
              "7100000000000000002 at 5.0 s");
    check_pass("return-intact.json", "return-pass.jsonl");
    /* The hook told the ERP of the arrival and the ERP wrote back before
     * the hook's reply reached the journal: the parcel had arrived. */
    check_pass("return-intact.json", "return-writeback-before-reply.jsonl");
}
END_TEST

START_TEST(test_refunding_a_damaged_or_short_return_is_funds_at_risk)
{
    check_run("return-damaged.json", "return-damaged.jsonl", CONF_FUNDS_AT_RISK,
              "invariant:3", CONF_FUNDS_AT_RISK,
              "though its parcel arrived damaged (hook at 8.2 s)");
    check_run("return-short.json", "return-short.jsonl", CONF_FUNDS_AT_RISK,
              "invariant:3", CONF_FUNDS_AT_RISK,
              "though the parcel that arrived (hook at 8.2 s) held SKU order "
              "6920000000000030001 \xc3\x97 1, not the 2 returned");
    check_pass("return-damaged.json", "return-damaged-refused.jsonl");
}
END_TEST

START_TEST(test_an_erp_call_that_refunds_more_than_was_paid_is_funds_at_risk)
{
    check_run("unshipped.json", "unshipped-overrefund.jsonl",
              CONF_FUNDS_AT_RISK, "invariant:4", CONF_FUNDS_AT_RISK,
              "money at risk: SKU order 6920000000000010001 was refunded 7800 "
              "fen in all, more than the 3900 fen paid; the refund that went "
              "over (3900 fen, after-sale 7100000000000000001) came from "
              "afterSale.CancelSendGoodsSuccess at 4.0 s");
    /* the platform's own timer going over is not the ERP's doing */
    check_pass("unshipped.json", "unshipped-overrefund-by-timer.jsonl");
}
END_TEST

/* ---------------------------------------------------- the ERP's behaviour */

START_TEST(test_one_needless_write_back_repeat_warns)
{
    check_run("unshipped.json", "unshipped-repeat-once.jsonl", CONF_WARN,
              "repeat-writeback", CONF_WARN,
              "expected one write-back for after-sale 7100000000000000001: "
              "afterSale.CancelSendGoodsSuccess succeeded at 4.0 s, and the "
              "ERP wrote back again 1 time (at 5.0 s (50002 "
              "isv.business-failed:12001)); one needless repeat");
    check_no_rule("unshipped.json", "unshipped-pass.jsonl", "repeat-writeback");
}
END_TEST

START_TEST(test_two_needless_write_back_repeats_fail)
{
    struct conf_judgement j;
    judge("unshipped.json", "unshipped-repeat-twice.jsonl", &j);
    expect_finding(&j, CONF_FAIL, "repeat-writeback", CONF_FAIL,
                   "wrote back again 2 times (at 5.0 s (50002 "
                   "isv.business-failed:12001), at 6.0 s (50002");
    /* it became a failure with the second repeat */
    const struct conf_finding *f = finding(&j, "repeat-writeback");
    ck_assert(f->at_s > 5.99 && f->at_s < 6.01);
    conf_judgement_free(&j);
}
END_TEST

START_TEST(test_a_poll_only_run_with_a_long_gap_fails)
{
    check_run("poll.json", "poll-gap.jsonl", CONF_FAIL, "poll-interval",
              CONF_FAIL,
              "expected afterSale.List at least every 5 s in this poll-only "
              "run (no gap over 9.5 s); the ERP did not poll from 5.5 s to "
              "20.0 s (14.5 s); the ERP's nearest calls: afterSale.List at "
              "0.5 s (10000), afterSale.List at 5.5 s (10000), "
              "afterSale.List at 20.0 s (10000)");
    check_run("poll.json", "poll-never.jsonl", CONF_FAIL, "poll-interval",
              CONF_FAIL, "the ERP never called it in the 30.0 s of the run");
    /* paging through three pages every 5 s is polling every 5 s */
    check_pass("poll.json", "poll-pass.jsonl");
}
END_TEST

START_TEST(test_a_stretched_poll_only_run_allows_longer_gaps)
{
    struct scn_scenario *s = load_scenario("poll.json");
    size_t len;
    char *text = read_journal("poll-gap.jsonl", &len);
    char *at = strstr(text, "\"stretch\":1");
    ck_assert_ptr_nonnull(at);
    at[10] = '2'; /* a gap of (5 x 1.5 + 2) x 2 = 19 s is allowed */
    struct conf_judgement j;
    conf_judge(s, text, len, &j);
    expect_finding(&j, CONF_PASS, NULL, CONF_PASS, NULL);
    conf_judgement_free(&j);
    free(text);
    scn_scenario_free(s);
}
END_TEST

START_TEST(test_polling_more_than_twice_as_often_as_the_interval_warns)
{
    check_run("poll.json", "poll-over.jsonl", CONF_WARN, "over-polling",
              CONF_WARN,
              "expected afterSale.List about every 5 s in this poll-only "
              "run; the ERP polled 10 times in 10.0 s (every 1.00 s on "
              "average), more than twice as often");
    check_no_rule("poll.json", "poll-pass.jsonl", "over-polling");
}
END_TEST

START_TEST(test_a_push_run_is_not_judged_on_polling)
{
    /* the same gap in a run with a push listener */
    struct scn_scenario *s = load_scenario("poll.json");
    size_t len;
    char *text = read_journal("poll-gap.jsonl", &len);
    char *at = strstr(text, "\"push\":false");
    ck_assert_ptr_nonnull(at);
    memcpy(at, "\"push\":true ", 12);
    struct conf_judgement j;
    conf_judge(s, text, len, &j);
    ck_assert_ptr_null(finding(&j, "poll-interval"));
    conf_judgement_free(&j);
    free(text);
    scn_scenario_free(s);
}
END_TEST

START_TEST(test_acting_on_a_forged_push_fails)
{
    check_run("forged.json", "forged-acted.jsonl", CONF_FAIL, "forged-push",
              CONF_FAIL,
              "a forged push acted upon: the forged push at 1.1 s (bad_sign) "
              "named after-sale 7999000000000000123, which exists nowhere "
              "else, and the ERP then called afterSale.Detail naming it at "
              "2.5 s (50002 isv.business-failed:10003)");
    /* an id given as a number, of an invented order */
    check_run("forged.json", "forged-acted-order.jsonl", CONF_FAIL,
              "forged-push", CONF_FAIL,
              "named order 6999000000000000456, which exists nowhere else, "
              "and the ERP then called order.orderDetail naming it at 3.0 s");
    check_pass("forged.json", "forged-ignored.jsonl");
    /* calls of another run (or of no run) in the same journal */
    check_pass("forged.json", "forged-other-run.jsonl");
}
END_TEST

START_TEST(test_an_after_sale_the_erp_never_saw_is_missed)
{
    struct conf_judgement j;
    judge("poll.json", "poll-missed.jsonl", &j);
    expect_finding(&j, CONF_FAIL, "missed-aftersale", CONF_FAIL,
                   "expected the ERP to find after-sale 7000000000000010001 "
                   "(unshipped_refund, open when the run began) through "
                   "afterSale.List, afterSale.Detail or an acknowledged push; "
                   "no answer the ERP got and no push it acknowledged ever "
                   "showed it");
    /* the other shop's after-sale is not the ERP's business */
    for (size_t i = 0; i < j.n_findings; i++)
        ck_assert_ptr_null(
            strstr(j.findings[i].sentence, "7000000000000090001"));
    conf_judgement_free(&j);

    check_run("unshipped.json", "unshipped-missed.jsonl", CONF_FAIL,
              "missed-aftersale", CONF_FAIL,
              "after-sale 7100000000000000001 (unshipped_refund, applied for "
              "at 2.0 s)");
    /* seen by a List answer, or by an acknowledged push alone */
    check_no_rule("poll.json", "poll-pass.jsonl", "missed-aftersale");
    check_pass("unshipped.json", "unshipped-seen-by-push.jsonl");
}
END_TEST

START_TEST(test_a_failed_hook_fails)
{
    struct conf_judgement j;
    judge("ship.json", "ship-hook-failed.jsonl", &j);
    expect_finding(&j, CONF_FAIL, "hook-failed", CONF_FAIL,
                   "the hook failed: timed out after 10 s (the "
                   "warehouse.ship_request event of step \"ship\", at 11.5 s)");
    /* worst first, then by time: the hook (11.5 s) before the missing
     * tracking number (window closed at 31.5 s) */
    ck_assert_str_eq(j.findings[0].rule, "hook-failed");
    conf_judgement_free(&j);
    check_no_rule("ship.json", "ship-pass.jsonl", "hook-failed");
}
END_TEST

START_TEST(test_refusing_to_ship_what_nothing_holds_back_fails)
{
    check_run("ship.json", "ship-never-ships.jsonl", CONF_FAIL, "never-ships",
              CONF_FAIL,
              "expected the ERP to let SKU order 6920000000000040001 ship "
              "when the warehouse asked at 1.8 s of step \"ship\" (nothing "
              "was open against them and nothing refunded); the hook "
              "answered shipped: false");
    /* holding back a parcel that holds a refunded SKU is fine */
    check_no_rule("ship-both.json", "ship-both-held.jsonl", "never-ships");
}
END_TEST

/* ------------------------------------------------------------------ errors */

START_TEST(test_a_refused_step_is_an_error)
{
    struct conf_judgement j;
    judge("unshipped.json", "unshipped-step-refused.jsonl", &j);
    expect_finding(&j, CONF_ERROR, "step-refused", CONF_ERROR,
                   "step \"apply\" (buyer.apply) was refused at 2.0 s: "
                   "aftersale_id 7100000000000000001 is taken; the scenario "
                   "did not happen as written");
    ck_assert_uint_eq(j.findings[0].verdict, CONF_ERROR);
    ck_assert_ptr_nonnull(finding(&j, "run-error"));
    conf_judgement_free(&j);
    check_no_rule("unshipped.json", "unshipped-pass.jsonl", "step-refused");
}
END_TEST

START_TEST(test_a_run_that_ended_in_error_is_an_error)
{
    check_run("unshipped.json", "unshipped-run-error.jsonl", CONF_ERROR,
              "run-error", CONF_ERROR,
              "the run ended in error at 10.5 s: error: the runner lost the "
              "mock");
    check_no_rule("unshipped.json", "unshipped-pass.jsonl", "run-error");
}
END_TEST

START_TEST(test_a_known_api_the_mock_does_not_implement_is_an_error)
{
    check_run("unshipped.json", "unshipped-unimplemented.jsonl", CONF_ERROR,
              "unimplemented-api", CONF_ERROR,
              "the ERP called afterSale.addOrderRemark at 5.0 s, a real "
              "Doudian API that the mock does not implement yet");
    check_no_rule("unshipped.json", "unshipped-pass.jsonl",
                  "unimplemented-api");
}
END_TEST

START_TEST(test_an_incomplete_journal_is_an_error_and_nothing_else_is_judged)
{
    struct conf_judgement j;
    judge("unshipped.json", "unshipped-incomplete.jsonl", &j);
    expect_finding(&j, CONF_ERROR, "journal", CONF_ERROR,
                   "journal incomplete: no run.start entry (the timeline "
                   "never started); nothing else was judged");
    ck_assert_uint_eq(j.n_findings, 1);
    for (size_t k = 0; k < j.n_expects; k++)
        ck_assert(!j.expects[k].met);
    conf_judgement_free(&j);

    struct scn_scenario *s = load_scenario("unshipped.json");
    conf_judge(s, "", 0, &j);
    expect_finding(&j, CONF_ERROR, "journal", CONF_ERROR,
                   "journal incomplete: no run.create entry, no run.start "
                   "entry (the timeline never started), no final state");
    conf_judgement_free(&j);
    conf_judge(s, NULL, 0, &j);
    ck_assert_uint_eq(j.verdict, CONF_ERROR);
    conf_judgement_free(&j);
    scn_scenario_free(s);
}
END_TEST

START_TEST(test_malformed_lines_are_errors_and_the_rest_is_still_judged)
{
    struct conf_judgement j;
    judge("unshipped.json", "unshipped-malformed.jsonl", &j);
    expect_finding(&j, CONF_ERROR, "journal", CONF_ERROR,
                   "journal line 4: not JSON");
    ck_assert_ptr_nonnull(strstr(j.sentence, "journal line 4: not JSON"));
    bool line6 = false, line8 = false;
    for (size_t i = 0; i < j.n_findings; i++) {
        line6 = line6 || strcmp(j.findings[i].sentence,
                                "journal line 6: not a JSON object") == 0;
        line8 = line8 ||
                strcmp(j.findings[i].sentence, "journal line 8: no \"time_us\" "
                                               "integer") == 0;
    }
    ck_assert(line6 && line8);
    ck_assert_uint_eq(j.n_findings, 3);
    for (size_t k = 0; k < j.n_expects; k++)
        ck_assert(j.expects[k].met);
    conf_judgement_free(&j);
}
END_TEST

/* Structural promises of any judgement. */
static void check_shape(const struct conf_judgement *j)
{
    ck_assert_ptr_nonnull(j->sentence);
    ck_assert(strlen(j->sentence) <= CONF_SENTENCE_MAX);
    for (size_t i = 0; i < j->n_findings; i++) {
        const struct conf_finding *f = &j->findings[i];
        ck_assert(f->sentence && *f->sentence && f->rule && *f->rule);
        ck_assert(strlen(f->sentence) <= CONF_SENTENCE_MAX);
        ck_assert(strchr(f->sentence, '\n') == NULL);
        if (i)
            ck_assert(f->verdict <= j->findings[i - 1].verdict);
    }
    ck_assert(j->verdict ==
              (j->n_findings ? j->findings[0].verdict : CONF_PASS));
}

START_TEST(test_any_bytes_as_a_journal_judge_without_a_crash)
{
    struct scn_scenario *s = load_scenario("unshipped.json");
    size_t len;
    char *pass = read_journal("unshipped-pass.jsonl", &len);
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    char *buf = malloc(len + 1);
    for (int round = 0; round < 300; round++) {
        /* the pass journal with a few bytes replaced or cut short */
        memcpy(buf, pass, len);
        size_t n = len;
        for (int k = 0; k < 1 + round % 8; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[x % len] = (char)(x >> 32);
        }
        if (round % 3 == 0)
            n = (size_t)(x >> 20) % len;
        struct conf_judgement j;
        ck_assert_int_eq(conf_judge(s, buf, n, &j), 0);
        check_shape(&j);
        (void)conf_judge_decided(s, buf, n, T0_US + 20000000, 6);
        conf_judgement_free(&j);
    }
    free(buf);
    free(pass);
    scn_scenario_free(s);
}
END_TEST

START_TEST(test_every_fixture_judgement_is_well_formed)
{
    static const char *const pairs[][2] = {
        {"unshipped.json", "unshipped-answered-error.jsonl"},
        {"unshipped.json", "unshipped-incomplete.jsonl"},
        {"unshipped.json", "unshipped-late.jsonl"},
        {"unshipped.json", "unshipped-logistics.jsonl"},
        {"unshipped.json", "unshipped-malformed.jsonl"},
        {"unshipped.json", "unshipped-missed.jsonl"},
        {"unshipped.json", "unshipped-no-writeback.jsonl"},
        {"unshipped.json", "unshipped-overrefund.jsonl"},
        {"unshipped.json", "unshipped-repeat-twice.jsonl"},
        {"unshipped.json", "unshipped-step-refused.jsonl"},
        {"unshipped.json", "unshipped-unimplemented.jsonl"},
        {"ship.json", "ship-hook-failed.jsonl"},
        {"ship.json", "ship-never-ships.jsonl"},
        {"ship-both.json", "ship-both-after-refund.jsonl"},
        {"ship-both.json", "ship-both-refund-after-ship.jsonl"},
        {"return-intact.json", "return-before-arrival.jsonl"},
        {"return-short.json", "return-short.jsonl"},
        {"poll.json", "poll-gap.jsonl"},
        {"poll.json", "poll-over.jsonl"},
        {"forged.json", "forged-acted.jsonl"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        struct conf_judgement j;
        judge(pairs[i][0], pairs[i][1], &j);
        check_shape(&j);
        ck_assert_msg(j.verdict != CONF_PASS, "%s passed", pairs[i][1]);
        conf_judgement_free(&j);
    }
}
END_TEST

START_TEST(test_a_restart_step_runs_when_the_erp_is_ready_again)
{
    check_pass("restart.json", "restart-pass.jsonl");
    /* the window counts from erp.ready (3.0 s), not from the hand-out */
    check_run("restart.json", "restart-before-ready.jsonl", CONF_FAIL,
              "expect:after-restart", CONF_FAIL,
              "within 20 s of step \"restart\" (at 3.0 s), answered success "
              "(because a restart loses nothing); it never came (a matching "
              "call at 1.6 s came before the window)");
}
END_TEST

/* ---------------------------------------------------------------- decided */

static bool decided_in(const char *scenario, const char *journal, double now_s)
{
    struct scn_scenario *s = load_scenario(scenario);
    size_t len;
    char *text = read_journal(journal, &len);
    int64_t now = T0_US + (int64_t)(now_s * 1e6), at = -1;
    bool d = conf_judge_decided(s, text, len, now, 6.0);
    /* the _at form agrees, and a moment it names lies ahead */
    ck_assert(conf_judge_decided_at(s, text, len, now, 6.0, &at) == d);
    ck_assert(d ? at == 0 : at == 0 || at > now);
    free(text);
    scn_scenario_free(s);
    return d;
}

static bool decided(const char *journal, double now_s)
{
    return decided_in("unshipped.json", journal, now_s);
}

START_TEST(test_a_run_is_decided_once_everything_happened_and_settled)
{
    /* the step ran at 2 s, the write-back came at 4 s: settled at 10 s */
    ck_assert(!decided("unshipped-live-done.jsonl", 9.9));
    ck_assert(decided("unshipped-live-done.jsonl", 10.1));
    /* the write-back is missing: the window closes at 32 s, but the
     * expectation without a window waits for the run's end */
    ck_assert(!decided("unshipped-live-waiting.jsonl", 20));
    ck_assert(!decided("unshipped-live-waiting.jsonl", 45));
    /* a step that has not run yet */
    ck_assert(!decided("unshipped-live-started.jsonl", 100));
    /* a refused step, or a run that has ended */
    ck_assert(decided("unshipped-live-refused.jsonl", 2.5));
    ck_assert(decided("unshipped-pass.jsonl", 10.6));
    /* no timeline yet */
    ck_assert(!decided("unshipped-incomplete.jsonl", 100));
    /* a restart handed out but never reported back: it counts from the
     * hand-out (1.5 s); its window closes at 21.5 s, settled at 27.5 s */
    ck_assert(!decided_in("restart.json", "restart-live.jsonl", 27.4));
    ck_assert(decided_in("restart.json", "restart-live.jsonl", 27.6));
}
END_TEST

/*
 * A run recorded by CI (0013 against a mutant, poll-only, interval 1 s):
 * the buyer shipped the return at 2.51 s (update_time ..231, though the
 * clock said ..230: the agreement had taken ..230 in the same second) and
 * the courier delivered it at 3.01 s (..232). The hook's event at 3.27 s
 * is the last step; 2 s after it (5.27 s) the ERP, whose window ends a
 * second before now, had not yet been able to see version ..232. The run
 * is decided only 2 s after the end of second ..232, at ..235.
 */
START_TEST(test_a_version_ahead_of_the_clock_keeps_the_run_open)
{
    const int64_t t0 = 1795705228000104LL;
    struct scn_scenario *s = load_scenario("return-empty-bunched.json");
    size_t len;
    char *text = read_journal("return-bunched-live.jsonl", &len);
    int64_t at = -1;
    ck_assert(!conf_judge_decided_at(s, text, len, t0 + 5300000, 2.0, &at));
    ck_assert_int_eq(at, 1795705235000000LL);
    ck_assert(!conf_judge_decided(s, text, len, 1795705234990000LL, 2.0));
    ck_assert(conf_judge_decided(s, text, len, 1795705235010000LL, 2.0));
    free(text);
    scn_scenario_free(s);
}
END_TEST

START_TEST(test_a_closed_window_decides_an_expectation)
{
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    /* only the windowed write-back expectation */
    static const char scenario[] =
        "{\"format\": 1, \"info\": {\"id\": 9109, \"title\": \"t\", "
        "\"situation\": \"s\", \"correct_erp\": \"c\"},"
        " \"world\": {\"shops\": [{\"shop_id\": \"10000001\"}],"
        "  \"products\": [{\"product_id\": \"3600000000000001001\","
        "   \"skus\": [{\"sku_id\": \"1760000000000001001\", \"price\": "
        "3900}]}],"
        "  \"orders\": [{\"order_id\": \"6920000000000010001\","
        "   \"shop_id\": \"10000001\", \"create_time\": \"now-2h\","
        "   \"sku_orders\": [{\"sku_order_id\": \"6920000000000010001\","
        "     \"sku_id\": \"1760000000000001001\"}]}]},"
        " \"timeline\": [{\"id\": \"apply\", \"at\": 2, \"do\": "
        "\"buyer.apply\","
        "  \"with\": {\"aftersale_id\": \"7100000000000000001\","
        "   \"sku_order_id\": \"6920000000000010001\","
        "   \"type\": \"unshipped_refund\"}}],"
        " \"expect\": [{\"level\": \"MUST\","
        "  \"call\": \"afterSale.CancelSendGoodsSuccess\","
        "  \"args\": {\"aftersale_id\": \"7100000000000000001\"},"
        "  \"of\": \"apply\", \"within\": 30}]}";
    struct scn_scenario *s =
        scn_scenario_parse("inline.json", scenario, strlen(scenario), &errs);
    ck_assert_msg(s != NULL, "%s", dd_buf_str(&errs));
    size_t len;
    char *text = read_journal("unshipped-live-waiting.jsonl", &len);
    ck_assert(!conf_judge_decided(s, text, len, T0_US + 37900000, 6));
    ck_assert(conf_judge_decided(s, text, len, T0_US + 38100000, 6));
    /* the window closed at 2 + 30 s: decided once 6 s settled, at 38 s;
     * the runner is told so */
    int64_t at = -1;
    ck_assert(!conf_judge_decided_at(s, text, len, T0_US + 37900000, 6, &at));
    ck_assert_int_ge(at, T0_US + 37999000);
    ck_assert_int_le(at, T0_US + 38001000);
    ck_assert(conf_judge_decided_at(s, text, len, T0_US + 38100000, 6, &at));
    ck_assert_int_eq(at, 0);
    free(text);
    scn_scenario_free(s);
    dd_buf_free(&errs);
}
END_TEST

/* ------------------------------------------------------------ JSON, files */

START_TEST(test_the_judgement_is_written_as_json)
{
    struct scn_scenario *s = load_scenario("unshipped.json");
    size_t len;
    char *text = read_journal("unshipped-no-writeback.jsonl", &len);
    struct conf_judgement j;
    conf_judge(s, text, len, &j);
    struct dd_buf out;
    dd_buf_init(&out, 0);
    struct dd_jw w;
    dd_jw_init(&w, &out);
    conf_judgement_write_json(&j, s, &w);
    ck_assert_int_eq(dd_jw_error(&w), 0);
    struct dd_json_doc doc;
    ck_assert_int_eq(dd_json_parse(out.data, out.len, NULL, &doc, NULL), 0);
    const struct dd_json *root = doc.root;
    ck_assert_str_eq(dd_json_get(root, "verdict")->text, "FAIL");
    ck_assert_str_eq(dd_json_get(root, "sentence")->text, j.sentence);
    const struct dd_json *findings = dd_json_get(root, "findings");
    ck_assert_uint_eq(findings->n, j.n_findings);
    ck_assert_str_eq(dd_json_get(&findings->kids[0], "rule")->text,
                     "expect:writeback");
    ck_assert_str_eq(dd_json_get(&findings->kids[0], "at_s")->text, "32.000");
    const struct dd_json *expects = dd_json_get(root, "expects");
    ck_assert_uint_eq(expects->n, 4);
    ck_assert_str_eq(dd_json_get(&expects->kids[0], "id")->text, "writeback");
    ck_assert_int_eq(dd_json_get(&expects->kids[0], "met")->type,
                     DD_JSON_FALSE);
    ck_assert_int_eq(dd_json_get(&expects->kids[2], "id")->type, DD_JSON_NULL);
    ck_assert_str_eq(dd_json_get(&expects->kids[2], "kind")->text, "no_call");
    ck_assert_int_eq(dd_json_get(&expects->kids[2], "met")->type, DD_JSON_TRUE);
    ck_assert_int_eq(dd_json_get(&expects->kids[2], "first_s")->type,
                     DD_JSON_NULL);
    dd_json_doc_free(&doc);
    dd_buf_free(&out);
    conf_judgement_free(&j);
    free(text);
    scn_scenario_free(s);
}
END_TEST

START_TEST(test_verdict_names_follow_the_enum)
{
    ck_assert_str_eq(conf_verdict_name(CONF_PASS), "PASS");
    ck_assert_str_eq(conf_verdict_name(CONF_WARN), "WARN");
    ck_assert_str_eq(conf_verdict_name(CONF_SKIP), "SKIP");
    ck_assert_str_eq(conf_verdict_name(CONF_FAIL), "FAIL");
    ck_assert_str_eq(conf_verdict_name(CONF_ERROR), "ERROR");
    ck_assert_str_eq(conf_verdict_name(CONF_FUNDS_AT_RISK), "FUNDS_AT_RISK");
    ck_assert(CONF_PASS < CONF_WARN && CONF_WARN < CONF_SKIP &&
              CONF_SKIP < CONF_FAIL && CONF_FAIL < CONF_ERROR &&
              CONF_ERROR < CONF_FUNDS_AT_RISK);
}
END_TEST

/* conf_judge_files with stdout and stderr sent to /dev/null. */
static int judge_files_quietly(const char *scenario, const char *journal,
                               bool strict)
{
    char sp[1024], jp[1024];
    snprintf(sp, sizeof sp, "%s/scenarios_judge/%s", dd_test_data_dir(),
             scenario);
    snprintf(jp, sizeof jp, "%s/journals/%s", dd_test_data_dir(), journal);
    fflush(stdout);
    fflush(stderr);
    int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);
    ck_assert(out >= 0 && err >= 0 && null >= 0);
    dup2(null, 1);
    dup2(null, 2);
    int rc = conf_judge_files(sp, jp, strict);
    fflush(stdout);
    fflush(stderr);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);
    close(null);
    return rc;
}

START_TEST(test_judging_files_exits_as_harness_md_says)
{
    ck_assert_int_eq(
        judge_files_quietly("unshipped.json", "unshipped-pass.jsonl", false),
        0);
    ck_assert_int_eq(judge_files_quietly("unshipped.json",
                                         "unshipped-repeat-once.jsonl", false),
                     0);
    ck_assert_int_eq(judge_files_quietly("unshipped.json",
                                         "unshipped-repeat-once.jsonl", true),
                     1);
    ck_assert_int_eq(judge_files_quietly("unshipped.json",
                                         "unshipped-no-writeback.jsonl", false),
                     1);
    ck_assert_int_eq(judge_files_quietly("unshipped.json",
                                         "unshipped-overrefund.jsonl", false),
                     2);
    ck_assert_int_eq(judge_files_quietly("unshipped.json",
                                         "unshipped-incomplete.jsonl", false),
                     3);
    ck_assert_int_eq(
        judge_files_quietly("no-such.json", "unshipped-pass.jsonl", false), 3);
    ck_assert_int_eq(
        judge_files_quietly("unshipped.json", "no-such.jsonl", false), 3);
}
END_TEST

Suite *judge_suite(void)
{
    Suite *s = suite_create("judge");
    TCase *tc = tcase_create("expect");
    tcase_add_test(tc, test_a_run_that_does_everything_right_passes);
    tcase_add_test(
        tc, test_a_missing_must_call_fails_naming_the_window_and_nearest_calls);
    tcase_add_test(tc, test_a_call_after_its_window_fails_as_late);
    tcase_add_test(tc,
                   test_a_call_before_the_timeline_starts_counts_without_of);
    tcase_add_test(tc, test_a_stretched_run_widens_the_window);
    tcase_add_test(
        tc, test_a_call_answered_with_an_error_does_not_count_as_success);
    tcase_add_test(tc, test_a_broken_should_only_warns);
    tcase_add_test(tc, test_a_forbidden_call_fails);
    tcase_add_test(
        tc, test_a_wrong_final_state_fails_showing_the_state_it_ended_in);
    tcase_add_test(tc, test_an_expectation_whose_step_never_ran_is_not_met);
    tcase_add_test(tc, test_a_restart_step_runs_when_the_erp_is_ready_again);
    suite_add_tcase(s, tc);

    tc = tcase_create("invariants");
    tcase_add_test(tc, test_refunding_a_sku_after_it_shipped_is_funds_at_risk);
    tcase_add_test(tc, test_shipping_a_sku_after_its_refund_is_funds_at_risk);
    tcase_add_test(tc,
                   test_refunding_a_return_before_it_arrived_is_funds_at_risk);
    tcase_add_test(tc,
                   test_refunding_a_damaged_or_short_return_is_funds_at_risk);
    tcase_add_test(
        tc, test_an_erp_call_that_refunds_more_than_was_paid_is_funds_at_risk);
    suite_add_tcase(s, tc);

    tc = tcase_create("behaviour");
    tcase_add_test(tc, test_one_needless_write_back_repeat_warns);
    tcase_add_test(tc, test_two_needless_write_back_repeats_fail);
    tcase_add_test(tc, test_a_poll_only_run_with_a_long_gap_fails);
    tcase_add_test(tc, test_a_stretched_poll_only_run_allows_longer_gaps);
    tcase_add_test(tc,
                   test_polling_more_than_twice_as_often_as_the_interval_warns);
    tcase_add_test(tc, test_a_push_run_is_not_judged_on_polling);
    tcase_add_test(tc, test_acting_on_a_forged_push_fails);
    tcase_add_test(tc, test_an_after_sale_the_erp_never_saw_is_missed);
    tcase_add_test(tc, test_a_failed_hook_fails);
    tcase_add_test(tc, test_refusing_to_ship_what_nothing_holds_back_fails);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_a_refused_step_is_an_error);
    tcase_add_test(tc, test_a_run_that_ended_in_error_is_an_error);
    tcase_add_test(tc,
                   test_a_known_api_the_mock_does_not_implement_is_an_error);
    tcase_add_test(
        tc, test_an_incomplete_journal_is_an_error_and_nothing_else_is_judged);
    tcase_add_test(
        tc, test_malformed_lines_are_errors_and_the_rest_is_still_judged);
    tcase_add_test(tc, test_any_bytes_as_a_journal_judge_without_a_crash);
    tcase_add_test(tc, test_every_fixture_judgement_is_well_formed);
    suite_add_tcase(s, tc);

    tc = tcase_create("decided");
    tcase_add_test(tc,
                   test_a_run_is_decided_once_everything_happened_and_settled);
    tcase_add_test(tc, test_a_closed_window_decides_an_expectation);
    tcase_add_test(tc, test_a_version_ahead_of_the_clock_keeps_the_run_open);
    suite_add_tcase(s, tc);

    tc = tcase_create("output");
    tcase_add_test(tc, test_the_judgement_is_written_as_json);
    tcase_add_test(tc, test_verdict_names_follow_the_enum);
    tcase_add_test(tc, test_judging_files_exits_as_harness_md_says);
    suite_add_tcase(s, tc);
    return s;
}
