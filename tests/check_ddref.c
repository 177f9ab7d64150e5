/*
 * check_ddref.c: tests of ddref, the reference ERP (client/ddref/).
 *
 * Offline: the pure decision rules (ref_decide.h) case by case, the
 * classification of write-back answers, the mutant table, the SQLite store
 * (migrations, newest-version-wins, de-duplication, transactions) and the
 * warehouse hook against a store alone. Against the in-process ddmock
 * (tests/mock_util.h): the ERP's loop writes an unshipped refund back once
 * and books it; the crash-recovery paths, with an intent left by a dead
 * process whose call did or did not reach the platform, and with real
 * crashes (a forked ERP that SIGKILLs itself right after recording its
 * intent, or right after its call); pushed hints reconciled with
 * afterSale.Detail; the hook's ship_request reading the platform before it lets
 * a parcel go.
 *
 * Expected outcomes are typed from harness.md and doudian-open-api.md
 * (statuses §4.9, codes §3), never read back from the code under test.
 * Set DDREF_TEST_LOG=1 to see ddref's log lines.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dd_err.h"
#include "dd_json.h"
#include "ddc_err.h"
#include "ddref/ref_bugs.h"
#include "ddref/ref_decide.h"
#include "ddref/ref_erp.h"
#include "ddref/ref_hook.h"
#include "ddref/ref_log.h"
#include "ddref/ref_store.h"
#include "mock_util.h"
#include "suites.h"

#define APP_KEY    "7100000000000000931"
#define APP_SECRET "ddref-test-secret"
#define SHOP       "39000001"
#define AS_1       7090000000000000001LL /* unshipped refund, status 6 */
#define SKU_1      6990000000000000001LL
#define ORDER_2    6990000000000000002LL /* nothing open */
#define SKU_2      6990000000000000002LL

static char state_dir[256];
static struct tmock T;

/* ================================================================ helpers */

static void quiet_logs(void)
{
    const char *v = getenv("DDREF_TEST_LOG");
    static FILE *null;
    if (v && *v) {
        ref_log_init("ddref-test", NULL);
        return;
    }
    if (!null)
        null = fopen("/dev/null", "w");
    ref_log_init("ddref-test", null);
}

static void make_state_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(state_dir, sizeof state_dir, "%s/ddref-test-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(state_dir));
    quiet_logs();
    ref_note_reset();
}

static void remove_state_dir(void)
{
    DIR *d = opendir(state_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[600];
        snprintf(p, sizeof p, "%s/%s", state_dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(state_dir);
}

static void open_store(struct ref_store *s)
{
    char err[300];
    ck_assert_msg(ref_store_open(s, state_dir, err, sizeof err) == 0, "%s",
                  err);
}

/* An after-sale as the platform shows it. */
static struct ref_aftersale aftersale(int64_t id, int64_t type, int64_t status)
{
    struct ref_aftersale a;
    memset(&a, 0, sizeof a);
    a.id = id;
    a.type = type;
    a.status = status;
    a.order_id = 6990000000000000101LL;
    a.sku_order_id = 6990000000000000101LL;
    a.product_id = 3690000000000000001LL;
    a.quantity = 1;
    a.refund_amount = 2500;
    a.update_time = 1700000000;
    a.read_at_us = 1700000000000000LL;
    snprintf(a.source, sizeof a.source, "list");
    return a;
}

/* A case with nothing recorded, at a fixed time. */
static struct ref_case case_of(const struct ref_aftersale *a)
{
    struct ref_case c;
    memset(&c, 0, sizeof c);
    c.as = a;
    c.wb.aftersale_id = c.agree.aftersale_id = a->id;
    c.wb.kind = a->type == REF_TYPE_RETURN ? REF_KIND_RETURN : REF_KIND_CANCEL;
    c.agree.kind = REF_KIND_AGREE;
    c.ob.sku_order_id = a->sku_order_id;
    c.ro.aftersale_id = a->id;
    c.now_us = 1700000100000000LL;
    c.settle_us = 2500000;
    return c;
}

static enum ref_act decide(const struct ref_case *c, struct ref_decision *d)
{
    ref_decide(c, d);
    return d->act;
}

/* A return order whose parcel arrived long enough ago. */
static void arrived(struct ref_case *c, const char *condition, int64_t sku,
                    int64_t quantity)
{
    c->ro.arrived = true;
    c->ro.arrived_us = c->now_us - 10000000;
    c->ro.state = REF_RO_ARRIVED;
    snprintf(c->ro.condition, sizeof c->ro.condition, "%s", condition);
    c->ro.items[0].sku_order_id = sku;
    c->ro.items[0].quantity = quantity;
    c->ro.n_items = 1;
}

/* ============================================================ decisions */

START_TEST(test_an_unshipped_refund_waiting_is_cancelled_and_written_back)
{
    struct ref_aftersale a = aftersale(1, REF_TYPE_UNSHIPPED_REFUND, 6);
    struct ref_case c = case_of(&a);
    struct ref_decision d;
    ck_assert_int_eq(decide(&c, &d), REF_DO_CANCEL);
    ck_assert(!d.reread);
    ck_assert(!d.pending);
    ck_assert_ptr_nonnull(strstr(d.reason, "has not left"));
}
END_TEST

START_TEST(test_a_refund_of_a_parcel_that_left_is_refused_by_shipping)
{
    struct ref_aftersale a = aftersale(1, REF_TYPE_UNSHIPPED_REFUND, 6);
    struct ref_case c = case_of(&a);
    c.ob.status = REF_OB_SHIPPED;
    snprintf(c.ob.tracking_no, sizeof c.ob.tracking_no, "ZT1");
    struct ref_decision d;
    ck_assert_int_eq(decide(&c, &d), REF_DO_REFUSE_BY_SHIPPING);
    ck_assert_int_eq(ref_act_kind(d.act), REF_KIND_COUNT);
    /* the mutant writes it back anyway */
    c.bugs = REF_BUG_BIT(CANCEL_AFTER_SHIP);
    ck_assert_int_eq(decide(&c, &d), REF_DO_CANCEL);
}
END_TEST

START_TEST(test_a_final_after_sale_is_never_acted_upon)
{
    const int64_t finals[][2] = {
        {REF_TYPE_UNSHIPPED_REFUND, 12}, {REF_TYPE_UNSHIPPED_REFUND, 27},
        {REF_TYPE_UNSHIPPED_REFUND, 28}, {REF_TYPE_RETURN, 12},
        {REF_TYPE_RETURN, 29},           {REF_TYPE_RETURN, 53}};
    for (size_t i = 0; i < sizeof finals / sizeof finals[0]; i++) {
        struct ref_aftersale a = aftersale(1, finals[i][0], finals[i][1]);
        ck_assert(ref_is_final(&a));
        struct ref_case c = case_of(&a);
        c.wb.state = REF_WB_INTENT; /* even with a write-back in flight */
        struct ref_decision d;
        ck_assert_int_eq(decide(&c, &d), REF_DO_SETTLE);
    }
    struct ref_aftersale a = aftersale(1, REF_TYPE_UNSHIPPED_REFUND, 6);
    a.final_time = 1700000000;
    ck_assert(ref_is_final(&a));
    /* 27 is final only for a pre-shipment refund */
    struct ref_aftersale r = aftersale(1, REF_TYPE_RETURN, 27);
    ck_assert(!ref_is_final(&r));
}
END_TEST

START_TEST(test_a_write_back_that_succeeded_is_not_repeated)
{
    struct ref_aftersale a = aftersale(1, REF_TYPE_UNSHIPPED_REFUND, 6);
    struct ref_case c = case_of(&a);
    const enum ref_wb_state terminal[] = {REF_WB_DONE, REF_WB_DONE_ELSEWHERE,
                                          REF_WB_STOPPED, REF_WB_FAILED,
                                          REF_WB_OBSOLETE};
    for (size_t i = 0; i < 5; i++) {
        c.wb.state = terminal[i];
        struct ref_decision d;
        ck_assert_int_eq(decide(&c, &d), REF_DO_NOTHING);
    }
}
END_TEST

START_TEST(test_an_intent_of_unknown_outcome_is_re_read_before_anything)
{
    struct ref_aftersale a = aftersale(1, REF_TYPE_UNSHIPPED_REFUND, 6);
    struct ref_case c = case_of(&a);
    c.wb.state = REF_WB_INTENT;
    c.wb.attempts = 1;
    struct ref_decision d;
    ck_assert_int_eq(decide(&c, &d), REF_DO_CANCEL);
    ck_assert(d.reread);
    ck_assert(d.pending);
}
END_TEST

START_TEST(test_a_retry_waits_for_its_backoff_then_re_reads)
{
    struct ref_aftersale a = aftersale(1, REF_TYPE_UNSHIPPED_REFUND, 6);
    struct ref_case c = case_of(&a);
    c.wb.state = REF_WB_RETRY;
    c.wb.attempts = 1;
    c.wb.reread = true;
    c.wb.next_at_us = c.now_us + 500000;
    struct ref_decision d;
    ck_assert_int_eq(decide(&c, &d), REF_DO_WAIT);
    c.now_us += 500000;
    ck_assert_int_eq(decide(&c, &d), REF_DO_CANCEL);
    ck_assert(d.reread);
    c.wb.reread = false; /* after 60000 nothing was applied */
    ck_assert_int_eq(decide(&c, &d), REF_DO_CANCEL);
    ck_assert(!d.reread);
}
END_TEST

START_TEST(test_a_return_is_agreed_then_waits_for_the_buyer)
{
    struct ref_aftersale a = aftersale(1, REF_TYPE_RETURN, 6);
    struct ref_case c = case_of(&a);
    struct ref_decision d;
    ck_assert_int_eq(decide(&c, &d), REF_DO_AGREE);
    c.agree.state = REF_WB_DONE;
    ck_assert_int_eq(decide(&c, &d), REF_DO_NOTHING);
    a.status = 7;
    ck_assert_int_eq(decide(&c, &d), REF_DO_WAIT);
}
END_TEST

START_TEST(test_a_return_shipped_back_waits_for_the_warehouse)
{
    struct ref_aftersale a = aftersale(1, REF_TYPE_RETURN, 11);
    snprintf(a.return_tracking_no, sizeof a.return_tracking_no, "SF1");
    struct ref_case c = case_of(&a);
    struct ref_decision d;
    ck_assert_int_eq(decide(&c, &d), REF_DO_WAIT);
    /* a tracking number is not goods: the mutant writes back anyway */
    c.bugs = REF_BUG_BIT(CONFIRM_BEFORE_ARRIVAL);
    ck_assert_int_eq(decide(&c, &d), REF_DO_RETURN);
}
END_TEST

START_TEST(test_an_intact_return_is_written_back_once_the_report_settled)
{
    struct ref_aftersale a = aftersale(1, REF_TYPE_RETURN, 11);
    struct ref_case c = case_of(&a);
    arrived(&c, "intact", a.sku_order_id, 1);
    c.ro.arrived_us = c.now_us - 1000000; /* 1 s ago: still settling */
    struct ref_decision d;
    ck_assert_int_eq(decide(&c, &d), REF_DO_WAIT);
    c.ro.arrived_us = c.now_us - 2500000;
    ck_assert_int_eq(decide(&c, &d), REF_DO_RETURN);
    ck_assert_int_eq(ref_act_kind(d.act), REF_KIND_RETURN);
}
END_TEST

START_TEST(test_a_return_that_fails_inspection_is_held_for_a_person)
{
    struct ref_aftersale a = aftersale(1, REF_TYPE_RETURN, 11);
    a.quantity = 2;
    struct {
        const char *condition;
        int64_t sku, quantity;
    } bad[] = {{"damaged", a.sku_order_id, 2},
               {"wrong_item", 6990000000000000999LL, 2},
               {"empty", a.sku_order_id, 2},
               {"intact", a.sku_order_id, 1},
               {"intact", 6990000000000000999LL, 2}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ref_case c = case_of(&a);
        arrived(&c, bad[i].condition, bad[i].sku, bad[i].quantity);
        struct ref_decision d;
        ck_assert_msg(decide(&c, &d) == REF_DO_HOLD, "case %zu: %s", i,
                      d.reason);
        c.ro.state = REF_RO_REJECTED;
        ck_assert_int_eq(decide(&c, &d), REF_DO_NOTHING);
        c.ro.state = REF_RO_ARRIVED;
        c.bugs = REF_BUG_BIT(IGNORE_INSPECTION);
        ck_assert_int_eq(decide(&c, &d), REF_DO_RETURN);
    }
}
END_TEST

START_TEST(test_arrival_quantities_add_up_over_items)
{
    struct ref_aftersale a = aftersale(1, REF_TYPE_RETURN, 11);
    a.quantity = 3;
    struct ref_case c = case_of(&a);
    arrived(&c, "intact", a.sku_order_id, 1);
    c.ro.items[1].sku_order_id = a.sku_order_id;
    c.ro.items[1].quantity = 2;
    c.ro.n_items = 2;
    char why[200];
    ck_assert(ref_arrival_ok(&a, &c.ro, why, sizeof why));
    c.ro.items[1].quantity = 1;
    ck_assert(!ref_arrival_ok(&a, &c.ro, why, sizeof why));
    ck_assert_ptr_nonnull(strstr(why, "holds 2"));
}
END_TEST

START_TEST(test_a_sku_ships_only_with_nothing_open_or_refunded_against_it)
{
    int64_t sku = 6990000000000000101LL;
    char why[200];
    struct ref_outbound ob;
    memset(&ob, 0, sizeof ob);
    ck_assert(ref_sku_may_ship(sku, NULL, 0, &ob, why, sizeof why));
    struct ref_aftersale as[2] = {aftersale(11, REF_TYPE_UNSHIPPED_REFUND, 6),
                                  aftersale(12, REF_TYPE_UNSHIPPED_REFUND, 28)};
    ck_assert(!ref_sku_may_ship(sku, as, 2, &ob, why, sizeof why)); /* open */
    as[0].status = 12;
    ck_assert(!ref_sku_may_ship(sku, as, 2, &ob, why, sizeof why)); /* paid */
    as[0].status = 28;
    ck_assert(ref_sku_may_ship(sku, as, 2, &ob, why, sizeof why)); /* closed */
    /* an outbound the ERP cancelled for a refund it knows nothing more of */
    ob.status = REF_OB_CANCELLED;
    ob.aftersale_id = 13;
    ck_assert(!ref_sku_may_ship(sku, as, 2, &ob, why, sizeof why));
    ob.aftersale_id = 12; /* withdrawn: it may ship again */
    ck_assert(ref_sku_may_ship(sku, as, 2, &ob, why, sizeof why));
}
END_TEST

START_TEST(test_write_back_answers_are_classified)
{
    struct ref_outcome o;
    ref_classify(REF_KIND_CANCEL, 0, 10000, "", 1, 0, &o);
    ck_assert_int_eq(o.state, REF_WB_DONE);
    ref_classify(REF_KIND_CANCEL, DDC_E_API, 50002, "isv.business-failed:12001",
                 1, 0, &o);
    ck_assert_int_eq(o.state, REF_WB_DONE_ELSEWHERE);
    ref_classify(REF_KIND_CANCEL, DDC_E_API, 50002, "isv.business-failed:11002",
                 1, 0, &o);
    ck_assert_int_eq(o.state, REF_WB_STOPPED);
    ref_classify(REF_KIND_CANCEL, DDC_E_API, 50002, "isv.business-failed:10000",
                 1, 0, &o);
    ck_assert_int_eq(o.state, REF_WB_RETRY);
    ck_assert(o.reread);
    ck_assert_int_eq(o.delay_ms, 500);
    ref_classify(REF_KIND_CANCEL, DDC_E_API, 20000, "isp.service-error:10002",
                 2, 0, &o);
    ck_assert_int_eq(o.state, REF_WB_RETRY);
    ck_assert(o.reread);
    ck_assert_int_eq(o.delay_ms, 1000);
    ref_classify(REF_KIND_CANCEL, DDC_E_API, 60000, "isv.traffic-limited", 1, 0,
                 &o);
    ck_assert_int_eq(o.state, REF_WB_RETRY);
    ck_assert(!o.reread);
    ck_assert_int_eq(o.delay_ms, 1000);
    ref_classify(REF_KIND_CANCEL, DDC_E_TRANSPORT, 0, "", 1, 0, &o);
    ck_assert_int_eq(o.state, REF_WB_RETRY);
    ck_assert(o.reread);
    ref_classify(REF_KIND_CANCEL, DDC_E_API, 40004, "isv.parameter-invalid", 1,
                 0, &o);
    ck_assert_int_eq(o.state, REF_WB_FAILED);
    ref_classify(REF_KIND_CANCEL, DDC_E_API, 20000, "", REF_MAX_ATTEMPTS, 0,
                 &o);
    ck_assert_int_eq(o.state, REF_WB_FAILED);
    /* the mutants */
    ref_classify(REF_KIND_CANCEL, DDC_E_API, 20000, "", 1,
                 REF_BUG_BIT(GIVE_UP_TRANSIENT), &o);
    ck_assert_int_eq(o.state, REF_WB_FAILED);
    ref_classify(REF_KIND_CANCEL, DDC_E_API, 50002, "isv.business-failed:10000",
                 1, REF_BUG_BIT(RETRY_WITHOUT_REREAD), &o);
    ck_assert_int_eq(o.state, REF_WB_RETRY);
    ck_assert(!o.reread);
    ck_assert_int_eq(o.delay_ms, 0);
    ref_classify(REF_KIND_CANCEL, DDC_E_API, 50002, "isv.business-failed:11002",
                 1, REF_BUG_BIT(RETRY_BUSINESS_ERRORS), &o);
    ck_assert_int_eq(o.state, REF_WB_RETRY_POLL);
}
END_TEST

START_TEST(test_upload_answers_and_backoff)
{
    enum ref_ship_state st;
    int64_t delay;
    char note[200];
    ref_classify_upload(0, 10000, "", 1, 0, &st, &delay, note, sizeof note);
    ck_assert_int_eq(st, REF_SHIP_DONE);
    ref_classify_upload(DDC_E_API, 50002, "isv.business-failed:60110", 1, 0,
                        &st, &delay, note, sizeof note);
    ck_assert_int_eq(st, REF_SHIP_DONE);
    ref_classify_upload(DDC_E_API, 20000, "isp.service-error:10005", 3, 0, &st,
                        &delay, note, sizeof note);
    ck_assert_int_eq(st, REF_SHIP_RETRY);
    ck_assert_int_eq(delay, 2000);
    ref_classify_upload(DDC_E_API, 50002, "isv.business-failed:60040", 1, 0,
                        &st, &delay, note, sizeof note);
    ck_assert_int_eq(st, REF_SHIP_FAILED);
    ck_assert_int_eq(ref_backoff_ms(1, false), 500);
    ck_assert_int_eq(ref_backoff_ms(4, false), 4000);
    ck_assert_int_eq(ref_backoff_ms(3, true), 4000);
    ck_assert_int_eq(ref_backoff_ms(40, false), 30000);
}
END_TEST

START_TEST(test_every_mutant_is_named_and_documented)
{
    ck_assert_int_ge(REF_BUG_COUNT, 10);
    for (int i = 0; i < REF_BUG_COUNT; i++) {
        enum ref_bug b;
        const char *name = ref_bug_name((enum ref_bug)i);
        ck_assert_int_eq(ref_bug_parse(name, &b), 0);
        ck_assert_int_eq(b, i);
        const char *v = ref_bug_verdict(b);
        ck_assert(!strcmp(v, "WARN") || !strcmp(v, "FAIL") ||
                  !strcmp(v, "FUNDS_AT_RISK"));
        ck_assert_int_ge(strlen(ref_bug_scenarios(b)), 4);
        ck_assert_int_gt(strlen(ref_bug_what(b)), 20);
    }
    enum ref_bug b;
    ck_assert_int_eq(ref_bug_parse("no-such-bug", &b), -1);
    char names[200];
    ref_bug_mask_names(REF_BUG_BIT(PAGE0_ONLY) | REF_BUG_BIT(SLOW_POLL), names,
                       sizeof names);
    ck_assert_str_eq(names, "page0-only,slow-poll");
}
END_TEST

/* ============================================================ the store */

START_TEST(test_the_store_migrates_a_fresh_folder_and_reopens_it)
{
    struct ref_store s;
    open_store(&s);
    ck_assert_int_eq(ref_store_schema_version(&s), REF_SCHEMA_VERSION);
    ck_assert_int_eq(ref_store_meta_set(&s, "poll_last_end", 1700000000), 0);
    ref_store_close(&s);
    open_store(&s);
    int64_t v = 0;
    ck_assert_int_eq(ref_store_meta_get(&s, "poll_last_end", &v), 0);
    ck_assert_int_eq(v, 1700000000);
    ck_assert_int_eq(ref_store_meta_get(&s, "nothing", &v), DD_E_NOT_FOUND);
    ref_store_close(&s);
}
END_TEST

START_TEST(test_the_newest_version_of_an_after_sale_wins)
{
    struct ref_store s;
    open_store(&s);
    struct ref_aftersale a = aftersale(AS_1, REF_TYPE_UNSHIPPED_REFUND, 6);
    enum ref_put put;
    ck_assert_int_eq(ref_store_aftersale_put(&s, &a, false, &put), 0);
    ck_assert_int_eq(put, REF_PUT_NEW);
    int64_t *ids;
    size_t n;
    ck_assert_int_eq(ref_store_unsettled(&s, &ids, &n), 0);
    ck_assert_uint_eq(n, 1);
    free(ids);
    ck_assert_int_eq(ref_store_settle(&s, AS_1, a.update_time, a.read_at_us),
                     0);
    ck_assert_int_eq(ref_store_unsettled(&s, &ids, &n), 0);
    ck_assert_uint_eq(n, 0);
    /* a newer version (the buyer withdrew) unsettles it */
    struct ref_aftersale closed = a;
    closed.status = 28;
    closed.update_time++;
    closed.read_at_us += 1000;
    ck_assert_int_eq(ref_store_aftersale_put(&s, &closed, false, &put), 0);
    ck_assert_int_eq(put, REF_PUT_UPDATED);
    ck_assert_int_eq(ref_store_unsettled(&s, &ids, &n), 0);
    ck_assert_uint_eq(n, 1);
    free(ids);
    /* a stale copy read later (a late message's data) is ignored */
    struct ref_aftersale stale = a;
    stale.read_at_us += 5000;
    ck_assert_int_eq(ref_store_aftersale_put(&s, &stale, false, &put), 0);
    ck_assert_int_eq(put, REF_PUT_STALE);
    struct ref_aftersale got;
    ck_assert_int_eq(ref_store_aftersale_get(&s, AS_1, &got), 0);
    ck_assert_int_eq(got.status, 28);
    /* the same second, read later: the later read wins */
    struct ref_aftersale again = closed;
    again.status = 12;
    again.read_at_us += 1;
    ck_assert_int_eq(ref_store_aftersale_put(&s, &again, false, &put), 0);
    ck_assert_int_eq(put, REF_PUT_UPDATED);
    /* frozen (the ignore-buyer-cancel mutant) keeps the first version */
    again.status = 6;
    again.update_time += 10;
    ck_assert_int_eq(ref_store_aftersale_put(&s, &again, true, &put), 0);
    ck_assert_int_eq(put, REF_PUT_FROZEN);
    ck_assert_int_eq(ref_store_aftersale_get(&s, AS_1, &got), 0);
    ck_assert_int_eq(got.status, 12);
    ck_assert_int_eq(ref_store_aftersale_get(&s, 1, &got), DD_E_NOT_FOUND);
    ref_store_close(&s);
}
END_TEST

START_TEST(test_pushed_messages_are_de_duplicated_by_msg_id)
{
    struct ref_store s;
    open_store(&s);
    bool fresh;
    ck_assert_int_eq(
        ref_store_push_add(&s, "m1", "200", AS_1, "pending", NULL, &fresh), 0);
    ck_assert(fresh);
    ck_assert_int_eq(
        ref_store_push_add(&s, "m1", "200", AS_1, "pending", NULL, &fresh), 0);
    ck_assert(!fresh);
    ck_assert_int_eq(
        ref_store_push_add(&s, "m2", "206", AS_1, "pending", NULL, &fresh), 0);
    ck_assert(fresh);
    int64_t *ids;
    size_t n;
    ck_assert_int_eq(ref_store_push_pending(&s, &ids, &n), 0);
    ck_assert_uint_eq(n, 1); /* one after-sale, read once */
    ck_assert(ids[0] == AS_1);
    free(ids);
    ck_assert_int_eq(ref_store_push_settle(&s, AS_1, "done", NULL), 0);
    ck_assert_int_eq(ref_store_push_pending(&s, &ids, &n), 0);
    ck_assert_uint_eq(n, 0);
    ref_store_close(&s);
    /* kept across restarts */
    open_store(&s);
    ck_assert_int_eq(
        ref_store_push_add(&s, "m1", "200", AS_1, "pending", NULL, &fresh), 0);
    ck_assert(!fresh);
    ref_store_close(&s);
}
END_TEST

START_TEST(test_a_rolled_back_intent_leaves_nothing)
{
    struct ref_store s;
    open_store(&s);
    ck_assert_int_eq(ref_store_begin(&s), 0);
    struct ref_writeback w = {.aftersale_id = AS_1,
                              .kind = REF_KIND_CANCEL,
                              .state = REF_WB_INTENT,
                              .attempts = 1};
    ck_assert_int_eq(ref_store_wb_put(&s, &w), 0);
    ck_assert_int_eq(ref_store_ledger_add(&s, AS_1, SKU_1, "outbound_cancelled",
                                          1, 2500, NULL),
                     0);
    ref_store_rollback(&s);
    struct ref_writeback got;
    ck_assert_int_eq(ref_store_wb_get(&s, AS_1, REF_KIND_CANCEL, &got), 0);
    ck_assert_int_eq(got.state, REF_WB_NONE);
    int64_t n = -1;
    ck_assert_int_eq(ref_store_ledger_count(&s, AS_1, NULL, &n), 0);
    ck_assert_int_eq(n, 0);
    /* committed, it survives a reopen */
    ck_assert_int_eq(ref_store_begin(&s), 0);
    ck_assert_int_eq(ref_store_wb_put(&s, &w), 0);
    ck_assert_int_eq(ref_store_commit(&s), 0);
    ref_store_close(&s);
    open_store(&s);
    ck_assert_int_eq(ref_store_wb_get(&s, AS_1, REF_KIND_CANCEL, &got), 0);
    ck_assert_int_eq(got.state, REF_WB_INTENT);
    ck_assert_int_eq(got.attempts, 1);
    ref_store_close(&s);
}
END_TEST

/* ============================================================ the hook */

static int hook(struct ref_store *s, struct ref_api *api, const char *input,
                struct dd_buf *answer)
{
    char err[300];
    return ref_hook_handle(s, api, 0, input, strlen(input), answer, err,
                           sizeof err);
}

START_TEST(test_the_hook_ships_free_skus_and_keeps_the_tracking_number)
{
    struct ref_store s;
    open_store(&s);
    struct dd_buf ans;
    dd_buf_init(&ans, 0);
    const char *ask = "{\"event\":\"warehouse.ship_request\",\"shop_order_id\":"
                      "\"6990000000000000101\",\"sku_order_ids\":"
                      "[\"6990000000000000101\"]}";
    ck_assert_int_eq(hook(&s, NULL, ask, &ans), 0);
    struct dd_json_doc doc;
    const struct dd_json *r = tjson(dd_buf_str(&ans), &doc);
    ck_assert(dd_json_get(r, "shipped")->type == DD_JSON_TRUE);
    char tracking[64];
    snprintf(tracking, sizeof tracking, "%s", tjstr(r, "tracking_no"));
    ck_assert_str_eq(tjstr(r, "company_code"), REF_COMPANY_CODE);
    dd_json_doc_free(&doc);
    struct ref_outbound ob;
    ck_assert_int_eq(ref_store_outbound_get(&s, 6990000000000000101LL, &ob), 0);
    ck_assert_int_eq(ob.status, REF_OB_SHIPPED);
    struct ref_shipment sh;
    ck_assert_int_eq(ref_store_shipment_get(&s, 6990000000000000101LL, &sh), 0);
    ck_assert_int_eq(sh.state, REF_SHIP_PENDING);
    ck_assert_str_eq(sh.tracking_no, tracking);
    /* asked again: the same parcel */
    ck_assert_int_eq(hook(&s, NULL, ask, &ans), 0);
    r = tjson(dd_buf_str(&ans), &doc);
    ck_assert_str_eq(tjstr(r, "tracking_no"), tracking);
    dd_json_doc_free(&doc);
    dd_buf_free(&ans);
    ref_store_close(&s);
}
END_TEST

START_TEST(test_the_hook_keeps_a_parcel_with_a_refund_open_or_paid)
{
    struct ref_store s;
    open_store(&s);
    struct ref_aftersale a = aftersale(AS_1, REF_TYPE_UNSHIPPED_REFUND, 6);
    ck_assert_int_eq(ref_store_aftersale_put(&s, &a, false, NULL), 0);
    struct dd_buf ans;
    dd_buf_init(&ans, 0);
    const char *ask = "{\"event\":\"warehouse.ship_request\",\"shop_order_id\":"
                      "\"6990000000000000101\",\"sku_order_ids\":"
                      "[\"6990000000000000101\"]}";
    ck_assert_int_eq(hook(&s, NULL, ask, &ans), 0);
    ck_assert_str_eq(dd_buf_str(&ans), "{\"shipped\":false}");
    a.status = 12; /* refunded on timeout by the platform */
    a.update_time++;
    ck_assert_int_eq(ref_store_aftersale_put(&s, &a, false, NULL), 0);
    ck_assert_int_eq(hook(&s, NULL, ask, &ans), 0);
    ck_assert_str_eq(dd_buf_str(&ans), "{\"shipped\":false}");
    struct ref_outbound ob;
    ck_assert_int_eq(ref_store_outbound_get(&s, a.sku_order_id, &ob), 0);
    ck_assert_int_ne(ob.status, REF_OB_SHIPPED);
    /* the mutant lets it go */
    char err[300];
    ck_assert_int_eq(ref_hook_handle(&s, NULL, REF_BUG_BIT(SHIP_AFTER_REFUND),
                                     ask, strlen(ask), &ans, err, sizeof err),
                     0);
    ck_assert_ptr_nonnull(strstr(dd_buf_str(&ans), "\"shipped\":true"));
    dd_buf_free(&ans);
    ref_store_close(&s);
}
END_TEST

START_TEST(test_the_hook_records_a_return_s_inspection)
{
    struct ref_store s;
    open_store(&s);
    struct dd_buf ans;
    dd_buf_init(&ans, 0);
    const char *ev =
        "{\"event\":\"warehouse.return_arrived\",\"aftersale_id\":"
        "\"7090000000000000005\",\"tracking_no\":\"SF9\",\"items\":"
        "[{\"sku_order_id\":\"6990000000000000101\",\"quantity\":2}],"
        "\"condition\":\"damaged\"}";
    ck_assert_int_eq(hook(&s, NULL, ev, &ans), 0);
    ck_assert_str_eq(dd_buf_str(&ans), "{\"received\":true}");
    struct ref_return_order ro;
    ck_assert_int_eq(ref_store_return_get(&s, 7090000000000000005LL, &ro), 0);
    ck_assert(ro.arrived);
    ck_assert_int_eq(ro.state, REF_RO_ARRIVED);
    ck_assert_str_eq(ro.condition, "damaged");
    ck_assert_str_eq(ro.arrival_tracking_no, "SF9");
    ck_assert_uint_eq(ro.n_items, 1);
    ck_assert(ro.items[0].sku_order_id == 6990000000000000101LL);
    ck_assert_int_eq(ro.items[0].quantity, 2);
    char err[300];
    ck_assert_int_ne(
        ref_hook_handle(&s, NULL, 0, "[1]", 3, &ans, err, sizeof err), 0);
    ck_assert_int_ne(hook(&s, NULL, "{\"event\":\"warehouse.teleport\"}", &ans),
                     0);
    dd_buf_free(&ans);
    ref_store_close(&s);
}
END_TEST

/* ============================================ against the in-process mock */

static const char world[] =
    "{\"app\":{\"app_key\":\"" APP_KEY "\",\"app_secret\":\"" APP_SECRET "\"},"
    "\"shops\":[{\"shop_id\":\"" SHOP "\"}],"
    "\"products\":[{\"product_id\":\"3690000000000000001\",\"skus\":"
    "[{\"sku_id\":\"1790000000000000001\",\"price\":2500}]}],"
    "\"orders\":["
    "{\"order_id\":\"6990000000000000001\",\"shop_id\":\"" SHOP "\","
    "\"create_time\":\"now-2h\",\"sku_orders\":[{\"sku_order_id\":"
    "\"6990000000000000001\",\"sku_id\":\"1790000000000000001\"}]},"
    "{\"order_id\":\"6990000000000000002\",\"shop_id\":\"" SHOP "\","
    "\"create_time\":\"now-2h\",\"sku_orders\":[{\"sku_order_id\":"
    "\"6990000000000000002\",\"sku_id\":\"1790000000000000001\"}]}],"
    "\"aftersales\":["
    "{\"aftersale_id\":\"7090000000000000001\",\"sku_order_id\":"
    "\"6990000000000000001\",\"type\":\"unshipped_refund\",\"status\":6,"
    "\"apply_time\":\"now-10m\"}]}";

static void setup(void)
{
    make_state_dir();
    tmock_start(&T, NULL);
    tmock_use_world(&T, world, APP_KEY, APP_SECRET, SHOP);
}

static void teardown(void)
{
    tmock_stop(&T);
    remove_state_dir();
}

static void erp_config(struct ddc_config *cfg)
{
    ddc_config_init(cfg);
    snprintf(cfg->base_url, sizeof cfg->base_url, "%s", T.base);
    snprintf(cfg->app_key, sizeof cfg->app_key, "%s", APP_KEY);
    snprintf(cfg->app_secret, sizeof cfg->app_secret, "%s", APP_SECRET);
    ck_assert_int_eq(dd_parse_int64(SHOP, strlen(SHOP), &cfg->shop_id), 0);
    snprintf(cfg->state_dir, sizeof cfg->state_dir, "%s", state_dir);
    cfg->poll_interval_s = 1;
    cfg->timeout_ms = 5000;
}

static void erp_open(struct ref_erp *e, uint64_t bugs)
{
    struct ddc_config cfg;
    erp_config(&cfg);
    char err[300];
    ck_assert_msg(ref_erp_open(e, &cfg, bugs, err, sizeof err) == 0, "%s", err);
    e->settle_us = 0;
    e->ship_wait_us = 0; /* the tests call ref_ship_all when they choose */
}

/* The API calls of `method` in the journal naming after-sale `id` (under
 * aftersale_id or after_sale_id; 0 = any), and how many were answered
 * 10000; with `after_success`, only those after the first success. */
struct calls {
    int all, ok, after_success;
};

static struct calls count_calls(const char *method, int64_t id)
{
    char path[256];
    snprintf(path, sizeof path, "/_mock/journal?app_key=%s&kind=api&limit=0",
             APP_KEY);
    char *body = NULL;
    ck_assert_int_eq(tadmin(&T, "GET", path, NULL, &body), 200);
    struct dd_json_doc doc;
    const struct dd_json *arr = dd_json_get(tjson(body, &doc), "entries");
    ck_assert_ptr_nonnull(arr);
    ck_assert_int_eq(arr->type, DD_JSON_ARRAY);
    struct calls c = {0, 0, 0};
    for (size_t i = 0; i < arr->n; i++) {
        const struct dd_json *e = &arr->kids[i];
        const struct dd_json *m = dd_json_get(e, "method");
        if (!m || strcmp(m->text, method) != 0)
            continue;
        const struct dd_json *params = dd_json_get(e, "params");
        int64_t named = 0;
        if (dd_json_int64(dd_json_get(params, "aftersale_id"), &named) != 0)
            dd_json_int64(dd_json_get(params, "after_sale_id"), &named);
        if (id && named != id)
            continue;
        int64_t code = 0;
        dd_json_int64(dd_json_get(e, "code"), &code);
        if (c.ok)
            c.after_success++;
        c.all++;
        if (code == 10000)
            c.ok++;
    }
    dd_json_doc_free(&doc);
    free(body);
    return c;
}

static enum ref_wb_state cancel_state(struct ref_erp *e)
{
    struct ref_writeback w;
    ck_assert_int_eq(ref_store_wb_get(&e->store, AS_1, REF_KIND_CANCEL, &w), 0);
    return w.state;
}

START_TEST(test_the_erp_writes_an_unshipped_refund_back_once_and_books_it)
{
    struct ref_erp e;
    erp_open(&e, 0);
    ref_erp_tick(&e);
    struct calls c = count_calls("afterSale.CancelSendGoodsSuccess", AS_1);
    ck_assert_int_eq(c.all, 1);
    ck_assert_int_eq(c.ok, 1);
    ck_assert_int_eq(cancel_state(&e), REF_WB_DONE);
    struct ref_outbound ob;
    ck_assert_int_eq(ref_store_outbound_get(&e.store, SKU_1, &ob), 0);
    ck_assert_int_eq(ob.status, REF_OB_CANCELLED);
    ck_assert(ob.aftersale_id == AS_1);
    int64_t n = 0;
    ck_assert_int_eq(
        ref_store_ledger_count(&e.store, AS_1, "outbound_cancelled", &n), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(
        ref_store_ledger_count(&e.store, AS_1, "refund_written_back", &n), 0);
    ck_assert_int_eq(n, 1);
    int64_t avail, reserved;
    ck_assert_int_eq(
        ref_store_stock_get(&e.store, 3690000000000000001LL, &avail, &reserved),
        0);
    ck_assert_int_eq(avail, 1);
    int64_t cursor;
    ck_assert_int_eq(ref_store_meta_get(&e.store, "poll_last_end", &cursor), 0);
    /* a later poll (windows end a second before now) sees it refunded
     * (12) and settles it: nothing more */
    ref_sleep_ms(1100);
    e.next_poll_ms = 0;
    ref_erp_tick(&e);
    e.next_poll_ms = 0;
    ref_erp_tick(&e);
    c = count_calls("afterSale.CancelSendGoodsSuccess", AS_1);
    ck_assert_int_eq(c.all, 1);
    ck_assert_int_eq(ref_store_ledger_count(&e.store, AS_1, "refunded", &n), 0);
    ck_assert_int_eq(n, 1);
    int64_t *ids;
    size_t k;
    ck_assert_int_eq(ref_store_unsettled(&e.store, &ids, &k), 0);
    ck_assert_uint_eq(k, 0);
    free(ids);
    ref_erp_close(&e);
}
END_TEST

/* Leaves in the store what a process killed during its write-back leaves:
 * the after-sale as it was read (status 6) and an intent. */
static void leave_intent(void)
{
    struct ref_store s;
    open_store(&s);
    struct ref_aftersale a = aftersale(AS_1, REF_TYPE_UNSHIPPED_REFUND, 6);
    a.order_id = 6990000000000000001LL;
    a.sku_order_id = SKU_1;
    a.update_time = 1;
    ck_assert_int_eq(ref_store_aftersale_put(&s, &a, false, NULL), 0);
    struct ref_writeback w = {.aftersale_id = AS_1,
                              .kind = REF_KIND_CANCEL,
                              .state = REF_WB_INTENT,
                              .attempts = 1};
    ck_assert_int_eq(ref_store_wb_put(&s, &w), 0);
    ref_store_close(&s);
}

START_TEST(test_an_intent_whose_call_never_left_is_re_read_then_sent_once)
{
    leave_intent();
    struct ref_erp e;
    erp_open(&e, 0);
    ck_assert_int_eq(ref_act_one(&e, AS_1), 0);
    ck_assert_int_ge(count_calls("afterSale.Detail", AS_1).all, 1);
    struct calls c = count_calls("afterSale.CancelSendGoodsSuccess", AS_1);
    ck_assert_int_eq(c.all, 1);
    ck_assert_int_eq(c.ok, 1);
    ck_assert_int_eq(cancel_state(&e), REF_WB_DONE);
    ref_erp_close(&e);
}
END_TEST

START_TEST(test_an_intent_whose_call_went_through_is_never_sent_again)
{
    /* The dead process's call reached the platform: the assistant refunded
     * (status 12, refund_type 2); its answer was lost with the process. */
    struct dd_envelope env;
    tcall(&T, "afterSale.CancelSendGoodsSuccess",
          "{\"aftersale_id\":\"7090000000000000001\",\"op_time\":1}", NULL,
          &env);
    tok(&env);
    dd_envelope_free(&env);
    leave_intent();
    struct ref_erp e;
    erp_open(&e, 0);
    ck_assert_int_eq(ref_act_one(&e, AS_1), 0); /* re-reads, sends nothing */
    ck_assert_int_ge(count_calls("afterSale.Detail", AS_1).all, 1);
    ck_assert_int_eq(cancel_state(&e), REF_WB_DONE);
    for (int i = 0; i < 3; i++) {
        e.next_poll_ms = 0;
        ref_erp_tick(&e);
    }
    struct calls c = count_calls("afterSale.CancelSendGoodsSuccess", AS_1);
    ck_assert_int_eq(c.all, 1); /* the test's own call only */
    ref_erp_close(&e);
}
END_TEST

static void crash_now(const char *where)
{
    const char *at = getenv("DDREF_TEST_CRASH_AT");
    if (at && strcmp(at, where) == 0)
        kill(getpid(), SIGKILL); /* a real kill -9, right here */
}

/* Runs an ERP in a child process that kills itself with SIGKILL at crash
 * point `where`; then a fresh ERP on the same state finishes the work. */
static void crash_and_recover(const char *where)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("DDREF_TEST_CRASH_AT", where, 1);
        ref_crash_point = crash_now;
        struct ref_erp e;
        struct ddc_config cfg;
        erp_config(&cfg);
        char err[300];
        if (ref_erp_open(&e, &cfg, 0, err, sizeof err) != 0)
            _exit(3);
        ref_erp_tick(&e);
        _exit(0); /* the crash point was never reached */
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "the child did not die at %s (status %d)", where, status);
    struct ref_erp e;
    erp_open(&e, 0); /* waits for nothing: the dead child's lock is gone */
    ck_assert_int_eq(cancel_state(&e), REF_WB_INTENT);
    for (int i = 0; i < 3; i++) {
        e.next_poll_ms = 0;
        ref_erp_tick(&e);
    }
    struct calls c = count_calls("afterSale.CancelSendGoodsSuccess", AS_1);
    ck_assert_int_eq(c.all, 1);
    ck_assert_int_eq(c.ok, 1);
    ck_assert_int_eq(c.after_success, 0);
    ck_assert_int_eq(cancel_state(&e), REF_WB_DONE);
    int64_t n = 0;
    ck_assert_int_eq(
        ref_store_ledger_count(&e.store, AS_1, "outbound_cancelled", &n), 0);
    ck_assert_int_eq(n, 1);
    ref_erp_close(&e);
}

START_TEST(test_a_crash_after_the_intent_loses_nothing)
{
    crash_and_recover("after-intent");
}
END_TEST

START_TEST(test_a_crash_after_the_call_never_writes_back_twice)
{
    crash_and_recover("after-call");
}
END_TEST

START_TEST(test_pushed_hints_are_reconciled_with_the_platform)
{
    struct ref_erp e;
    erp_open(&e, 0);
    bool fresh;
    ck_assert_int_eq(ref_store_push_add(&e.store, "m-1", "200", AS_1, "pending",
                                        NULL, &fresh),
                     0);
    ck_assert_int_eq(ref_store_push_add(&e.store, "m-2", "207", AS_1, "pending",
                                        NULL, &fresh),
                     0);
    ck_assert_int_eq(ref_store_push_add(&e.store, "m-3", "200",
                                        7099999999999999999LL, "pending", NULL,
                                        &fresh),
                     0);
    ref_hints_run(&e);
    ck_assert_int_eq(count_calls("afterSale.Detail", AS_1).all, 1);
    struct ref_aftersale a;
    ck_assert_int_eq(ref_store_aftersale_get(&e.store, AS_1, &a), 0);
    ck_assert_int_eq(a.status, 6);
    ck_assert_str_eq(a.source, "detail");
    ck_assert_int_eq(
        ref_store_aftersale_get(&e.store, 7099999999999999999LL, &a),
        DD_E_NOT_FOUND);
    int64_t *ids;
    size_t n;
    ck_assert_int_eq(ref_store_push_pending(&e.store, &ids, &n), 0);
    ck_assert_uint_eq(n, 0);
    free(ids);
    ref_erp_close(&e);
}
END_TEST

START_TEST(test_the_hook_reads_the_platform_before_letting_a_parcel_go)
{
    struct ref_erp e;
    erp_open(&e, 0);
    struct dd_buf ans;
    dd_buf_init(&ans, 0);
    /* the refund of SKU 1 is on the platform, not yet in the store */
    const char *ask1 =
        "{\"event\":\"warehouse.ship_request\",\"shop_order_id\":"
        "\"6990000000000000001\",\"sku_order_ids\":"
        "[\"6990000000000000001\"]}";
    ck_assert_int_eq(hook(&e.store, &e.api, ask1, &ans), 0);
    ck_assert_str_eq(dd_buf_str(&ans), "{\"shipped\":false}");
    ck_assert_int_ge(count_calls("afterSale.List", 0).all, 1);
    /* order 2 has nothing open: it ships and the ERP uploads */
    const char *ask2 =
        "{\"event\":\"warehouse.ship_request\",\"shop_order_id\":"
        "\"6990000000000000002\",\"sku_order_ids\":"
        "[\"6990000000000000002\"]}";
    ck_assert_int_eq(hook(&e.store, &e.api, ask2, &ans), 0);
    ck_assert_ptr_nonnull(strstr(dd_buf_str(&ans), "\"shipped\":true"));
    ref_ship_all(&e);
    struct ref_shipment sh;
    ck_assert_int_eq(ref_store_shipment_get(&e.store, ORDER_2, &sh), 0);
    ck_assert_msg(sh.state == REF_SHIP_DONE, "%s: %s",
                  ref_ship_state_name(sh.state), sh.note);
    ck_assert_int_eq(count_calls("order.logisticsAdd", 0).ok, 1);
    /* SKU 1's refund: written back, never shipped */
    e.next_poll_ms = 0;
    ref_erp_tick(&e);
    ck_assert_int_eq(cancel_state(&e), REF_WB_DONE);
    struct ref_outbound ob;
    ck_assert_int_eq(ref_store_outbound_get(&e.store, SKU_2, &ob), 0);
    ck_assert_int_eq(ob.status, REF_OB_SHIPPED);
    dd_buf_free(&ans);
    ref_erp_close(&e);
}
END_TEST

Suite *ddref_suite(void)
{
    Suite *s = suite_create("ddref");
    TCase *tc = tcase_create("decide");
    tcase_add_test(
        tc, test_an_unshipped_refund_waiting_is_cancelled_and_written_back);
    tcase_add_test(tc,
                   test_a_refund_of_a_parcel_that_left_is_refused_by_shipping);
    tcase_add_test(tc, test_a_final_after_sale_is_never_acted_upon);
    tcase_add_test(tc, test_a_write_back_that_succeeded_is_not_repeated);
    tcase_add_test(
        tc, test_an_intent_of_unknown_outcome_is_re_read_before_anything);
    tcase_add_test(tc, test_a_retry_waits_for_its_backoff_then_re_reads);
    tcase_add_test(tc, test_a_return_is_agreed_then_waits_for_the_buyer);
    tcase_add_test(tc, test_a_return_shipped_back_waits_for_the_warehouse);
    tcase_add_test(
        tc, test_an_intact_return_is_written_back_once_the_report_settled);
    tcase_add_test(tc,
                   test_a_return_that_fails_inspection_is_held_for_a_person);
    tcase_add_test(tc, test_arrival_quantities_add_up_over_items);
    tcase_add_test(
        tc, test_a_sku_ships_only_with_nothing_open_or_refunded_against_it);
    tcase_add_test(tc, test_write_back_answers_are_classified);
    tcase_add_test(tc, test_upload_answers_and_backoff);
    tcase_add_test(tc, test_every_mutant_is_named_and_documented);
    suite_add_tcase(s, tc);

    tc = tcase_create("store");
    tcase_add_checked_fixture(tc, make_state_dir, remove_state_dir);
    tcase_add_test(tc, test_the_store_migrates_a_fresh_folder_and_reopens_it);
    tcase_add_test(tc, test_the_newest_version_of_an_after_sale_wins);
    tcase_add_test(tc, test_pushed_messages_are_de_duplicated_by_msg_id);
    tcase_add_test(tc, test_a_rolled_back_intent_leaves_nothing);
    tcase_add_test(tc,
                   test_the_hook_ships_free_skus_and_keeps_the_tracking_number);
    tcase_add_test(tc, test_the_hook_keeps_a_parcel_with_a_refund_open_or_paid);
    tcase_add_test(tc, test_the_hook_records_a_return_s_inspection);
    suite_add_tcase(s, tc);

    tc = tcase_create("erp");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(
        tc, test_the_erp_writes_an_unshipped_refund_back_once_and_books_it);
    tcase_add_test(
        tc, test_an_intent_whose_call_never_left_is_re_read_then_sent_once);
    tcase_add_test(tc,
                   test_an_intent_whose_call_went_through_is_never_sent_again);
    tcase_add_test(tc, test_a_crash_after_the_intent_loses_nothing);
    tcase_add_test(tc, test_a_crash_after_the_call_never_writes_back_twice);
    tcase_add_test(tc, test_pushed_hints_are_reconciled_with_the_platform);
    tcase_add_test(tc,
                   test_the_hook_reads_the_platform_before_letting_a_parcel_go);
    suite_add_tcase(s, tc);
    return s;
}
