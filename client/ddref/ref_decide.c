/*
 * ref_decide.c: the decision rules of ddref (ref_decide.h).
 */
#include "ref_decide.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ddc_err.h"
#include "ref_bugs.h"

bool ref_is_final(const struct ref_aftersale *a)
{
    if (a->final_time != 0)
        return true;
    switch (a->status) {
    case 12: /* 售后成功 */
    case 14: /* 换货成功 */
    case 28: /* 售后失败 */
    case 29: /* 退货后拒绝 */
    case 51: /* 订单取消成功 */
    case 53: /* 逆向交易已完成 */
        return true;
    case 27: /* refused; for a pre-shipment refund this is the end */
        return a->type == REF_TYPE_UNSHIPPED_REFUND;
    default:
        return false;
    }
}

const char *ref_act_name(enum ref_act a)
{
    static const char *const names[] = {
        "nothing", "wait",  "cancel", "agree", "return", "refuse-by-shipping",
        "hold",    "settle"};
    return (int)a >= 0 && a <= REF_DO_SETTLE ? names[a] : "?";
}

enum ref_kind ref_act_kind(enum ref_act a)
{
    switch (a) {
    case REF_DO_CANCEL:
        return REF_KIND_CANCEL;
    case REF_DO_RETURN:
        return REF_KIND_RETURN;
    case REF_DO_AGREE:
        return REF_KIND_AGREE;
    default:
        return REF_KIND_COUNT;
    }
}

static enum ref_act act_of_kind(enum ref_kind k)
{
    return k == REF_KIND_CANCEL   ? REF_DO_CANCEL
           : k == REF_KIND_RETURN ? REF_DO_RETURN
                                  : REF_DO_AGREE;
}

static void say(struct ref_decision *d, enum ref_act act, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(struct ref_decision *d, enum ref_act act, const char *fmt, ...)
{
    d->act = act;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->reason, sizeof d->reason, fmt, ap);
    va_end(ap);
}

bool ref_arrival_ok(const struct ref_aftersale *a,
                    const struct ref_return_order *ro, char *why, size_t cap)
{
    if (!ro->arrived) {
        snprintf(why, cap, "the warehouse has not reported the parcel");
        return false;
    }
    if (strcmp(ro->condition, "intact") != 0) {
        snprintf(why, cap, "the parcel arrived %s",
                 ro->condition[0] ? ro->condition : "without a condition");
        return false;
    }
    int64_t want = a->quantity > 0 ? a->quantity : 1;
    int64_t have = 0;
    for (size_t i = 0; i < ro->n_items; i++)
        if (ro->items[i].sku_order_id == a->sku_order_id &&
            ro->items[i].quantity > 0)
            have += ro->items[i].quantity;
    if (have < want) {
        snprintf(why, cap,
                 "the parcel holds %lld of SKU order %lld, the after-sale "
                 "returns %lld",
                 (long long)have, (long long)a->sku_order_id, (long long)want);
        return false;
    }
    snprintf(why, cap, "the parcel arrived intact with %lld of SKU order %lld",
             (long long)have, (long long)a->sku_order_id);
    return true;
}

bool ref_sku_may_ship(int64_t sku_order_id, const struct ref_aftersale *as,
                      size_t n, const struct ref_outbound *ob, char *why,
                      size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        const struct ref_aftersale *a = &as[i];
        if (a->type != REF_TYPE_UNSHIPPED_REFUND)
            continue;
        if (a->status == REF_AS_SUCCESS) {
            snprintf(why, cap,
                     "SKU order %lld: pre-shipment refund %lld succeeded "
                     "(the money is back with the buyer)",
                     (long long)sku_order_id, (long long)a->id);
            return false;
        }
        if (!ref_is_final(a)) {
            snprintf(why, cap,
                     "SKU order %lld: pre-shipment refund %lld is open "
                     "(status %lld)",
                     (long long)sku_order_id, (long long)a->id,
                     (long long)a->status);
            return false;
        }
    }
    if (ob && ob->status == REF_OB_CANCELLED) {
        const struct ref_aftersale *by = NULL;
        for (size_t i = 0; i < n; i++)
            if (as[i].id == ob->aftersale_id)
                by = &as[i];
        if (!by || !ref_is_final(by) || by->status == REF_AS_SUCCESS) {
            snprintf(why, cap,
                     "SKU order %lld: its outbound was cancelled for "
                     "pre-shipment refund %lld",
                     (long long)sku_order_id, (long long)ob->aftersale_id);
            return false;
        }
    }
    snprintf(why, cap, "SKU order %lld: nothing open or refunded against it",
             (long long)sku_order_id);
    return true;
}

/* A recorded write-back that is not finished: its outcome is unknown
 * (intent) or it failed transiently (retry). Returns true when it decided. */
static bool pending_slot(const struct ref_case *c,
                         const struct ref_writeback *w, struct ref_decision *d)
{
    if (w->state == REF_WB_INTENT) {
        d->reread = true;
        d->pending = true;
        say(d, act_of_kind(w->kind),
            "%s of after-sale %lld was recorded as sent (attempt %lld) but "
            "its outcome is unknown: re-read before anything",
            ref_kind_name(w->kind), (long long)c->as->id,
            (long long)w->attempts);
        return true;
    }
    if (w->state == REF_WB_RETRY_POLL) {
        /* Only the retry-business-errors mutant gets here (ref_decide
         * sends it again once the time has come). */
        say(d, REF_DO_WAIT, "%s waits for the next poll to try again",
            ref_kind_name(w->kind));
        return true;
    }
    if (w->state == REF_WB_RETRY) {
        if (c->now_us < w->next_at_us) {
            say(d, REF_DO_WAIT, "%s waits for its attempt %lld (after %s)",
                ref_kind_name(w->kind), (long long)w->attempts + 1, w->note);
            return true;
        }
        d->reread = w->reread;
        d->pending = true;
        say(d, act_of_kind(w->kind), "%s again (attempt %lld) after %s%s",
            ref_kind_name(w->kind), (long long)w->attempts + 1, w->note,
            w->reread ? "; re-read first" : "");
        return true;
    }
    return false;
}

static void decide_unshipped_refund(const struct ref_case *c,
                                    struct ref_decision *d)
{
    const struct ref_aftersale *a = c->as;
    if (a->status != REF_AS_WAIT_SELLER) {
        say(d, REF_DO_NOTHING, "pre-shipment refund in status %lld",
            (long long)a->status);
        return;
    }
    if (ref_wb_terminal(c->wb.state)) {
        say(d, REF_DO_NOTHING, "write-back already %s (%s)",
            ref_wb_state_name(c->wb.state), c->wb.note);
        return;
    }
    if (c->ob.status == REF_OB_SHIPPED) {
        if (REF_BUGGY(c->bugs, CANCEL_AFTER_SHIP)) {
            say(d, REF_DO_CANCEL,
                "SKU order %lld left the warehouse (%s %s), written back "
                "anyway (bug cancel-after-ship)",
                (long long)a->sku_order_id, c->ob.company_code,
                c->ob.tracking_no);
            return;
        }
        say(d, REF_DO_REFUSE_BY_SHIPPING,
            "SKU order %lld left the warehouse (%s %s): never written back; "
            "the upload of the tracking number with is_refund_reject refuses "
            "the refund",
            (long long)a->sku_order_id, c->ob.company_code, c->ob.tracking_no);
        return;
    }
    say(d, REF_DO_CANCEL,
        "pre-shipment refund of SKU order %lld (%lld fen) and its parcel has "
        "not left: cancel the outbound, roll the stock back, book it, write "
        "back",
        (long long)a->sku_order_id, (long long)a->refund_amount);
}

static void decide_return(const struct ref_case *c, struct ref_decision *d)
{
    const struct ref_aftersale *a = c->as;
    char why[240];
    switch (a->status) {
    case REF_AS_WAIT_SELLER:
        if (ref_wb_terminal(c->agree.state)) {
            say(d, REF_DO_NOTHING, "agreement already %s (%s)",
                ref_wb_state_name(c->agree.state), c->agree.note);
            return;
        }
        say(d, REF_DO_AGREE,
            "return of SKU order %lld waiting for the seller: agree with the "
            "return address (afterSale.operate 101)",
            (long long)a->sku_order_id);
        return;
    case REF_AS_WAIT_BUYER:
        say(d, REF_DO_WAIT,
            "return agreed: waiting for the buyer to send the parcel back");
        return;
    case REF_AS_WAIT_RECEIVE:
        break;
    default:
        say(d, REF_DO_NOTHING, "return in status %lld: a person decides",
            (long long)a->status);
        return;
    }
    if (ref_wb_terminal(c->wb.state)) {
        say(d, REF_DO_NOTHING, "write-back already %s (%s)",
            ref_wb_state_name(c->wb.state), c->wb.note);
        return;
    }
    if (REF_BUGGY(c->bugs, CONFIRM_BEFORE_ARRIVAL)) {
        say(d, REF_DO_RETURN,
            "the buyer shipped the return (%s), written back without waiting "
            "for the warehouse (bug confirm-before-arrival)",
            a->return_tracking_no);
        return;
    }
    if (!c->ro.arrived) {
        say(d, REF_DO_WAIT,
            "the buyer shipped the return (%s %s): waiting for the "
            "warehouse's inspection",
            a->return_company, a->return_tracking_no);
        return;
    }
    if (c->now_us - c->ro.arrived_us < c->settle_us) {
        say(d, REF_DO_WAIT,
            "the warehouse's report is being handed over (%.1f s)",
            (double)c->settle_us / 1e6);
        return;
    }
    if (REF_BUGGY(c->bugs, IGNORE_INSPECTION) ||
        REF_BUGGY(c->bugs, REFUND_BY_OPERATE)) {
        say(d, REF_DO_RETURN,
            "the parcel arrived (%s), confirmed whatever its condition and "
            "items (bug %s)",
            c->ro.condition,
            REF_BUGGY(c->bugs, IGNORE_INSPECTION) ? "ignore-inspection"
                                                  : "refund-by-operate");
        return;
    }
    if (c->ro.state == REF_RO_REJECTED) {
        say(d, REF_DO_NOTHING, "held for a person: %s", c->ro.note);
        return;
    }
    if (ref_arrival_ok(a, &c->ro, why, sizeof why)) {
        say(d, REF_DO_RETURN, "%s: write back", why);
        return;
    }
    say(d, REF_DO_HOLD, "not written back: %s; held for a person", why);
}

void ref_decide(const struct ref_case *c, struct ref_decision *d)
{
    memset(d, 0, sizeof *d);
    const struct ref_aftersale *a = c->as;
    if (REF_BUGGY(c->bugs, RETRY_BUSINESS_ERRORS) &&
        c->wb.state == REF_WB_RETRY_POLL) {
        if (c->now_us < c->wb.next_at_us)
            say(d, REF_DO_WAIT,
                "%s waits for the next poll (bug "
                "retry-business-errors)",
                ref_kind_name(c->wb.kind));
        else
            say(d, act_of_kind(c->wb.kind),
                "%s again after %s (bug retry-business-errors)",
                ref_kind_name(c->wb.kind), c->wb.note);
        return;
    }
    if (ref_is_final(a)) {
        say(d, REF_DO_SETTLE, "final (status %lld%s): nothing more to do",
            (long long)a->status,
            a->final_time ? ", closed for operations" : "");
        return;
    }
    if (a->type == REF_TYPE_UNSHIPPED_REFUND || a->type == REF_TYPE_RETURN) {
        if (pending_slot(c, &c->wb, d))
            return;
        if (a->type == REF_TYPE_RETURN && pending_slot(c, &c->agree, d))
            return;
    }
    switch (a->type) {
    case REF_TYPE_UNSHIPPED_REFUND:
        decide_unshipped_refund(c, d);
        return;
    case REF_TYPE_RETURN:
        decide_return(c, d);
        return;
    case REF_TYPE_SHIPPED_REFUND:
        say(d, REF_DO_NOTHING, "a refund after shipping is left to a person");
        return;
    default:
        say(d, REF_DO_NOTHING, "after-sale type %lld is left to a person",
            (long long)a->type);
        return;
    }
}

int64_t ref_backoff_ms(int64_t attempts, bool rate_limited)
{
    int64_t d = rate_limited ? 1000 : 500;
    for (int64_t i = 1; i < attempts && d < 30000; i++)
        d *= 2;
    return d > 30000 ? 30000 : d;
}

static bool is_token_error(int64_t code, const char *sub_code)
{
    return (code == 40003 || code == 40001) &&
           strstr(sub_code, "access-token") != NULL;
}

void ref_classify(enum ref_kind kind, int rc, int64_t code,
                  const char *sub_code, int64_t attempts, uint64_t bugs,
                  struct ref_outcome *o)
{
    memset(o, 0, sizeof *o);
    sub_code = sub_code ? sub_code : "";
    bool transient = false;
    (void)kind;
    if (rc == 0) {
        o->state = REF_WB_DONE;
        snprintf(o->note, sizeof o->note, "10000 accepted");
        return;
    }
    if (rc == DDC_E_API && strcmp(sub_code, "isv.business-failed:12001") == 0) {
        o->state = REF_BUGGY(bugs, RETRY_BUSINESS_ERRORS)
                       ? REF_WB_RETRY_POLL
                       : REF_WB_DONE_ELSEWHERE;
        o->delay_ms = 2000; /* the mutant's "after the next poll" */
        snprintf(o->note, sizeof o->note,
                 "%lld %s: already refunded another way (or done): never "
                 "again",
                 (long long)code, sub_code);
        return;
    }
    if (rc == DDC_E_API && strcmp(sub_code, "isv.business-failed:11002") == 0) {
        o->state = REF_BUGGY(bugs, RETRY_BUSINESS_ERRORS) ? REF_WB_RETRY_POLL
                                                          : REF_WB_STOPPED;
        o->delay_ms = 2000;
        snprintf(o->note, sizeof o->note,
                 "%lld %s: the shop's assistant strategy is off: a person "
                 "must act",
                 (long long)code, sub_code);
        return;
    }
    o->state = REF_WB_RETRY;
    if (rc == DDC_E_API && strcmp(sub_code, "isv.business-failed:10000") == 0) {
        transient = true;
        o->reread = true;
        o->delay_ms = ref_backoff_ms(attempts, false);
        snprintf(o->note, sizeof o->note,
                 "%lld %s (system timeout: may or may not be applied)",
                 (long long)code, sub_code);
    } else if (rc == DDC_E_API && code == 20000) {
        transient = true;
        o->reread = true;
        o->delay_ms = ref_backoff_ms(attempts, false);
        snprintf(o->note, sizeof o->note, "%lld %s (service error)",
                 (long long)code, sub_code);
    } else if (rc == DDC_E_API && code == 60000) {
        transient = true;
        o->delay_ms = ref_backoff_ms(attempts, true);
        snprintf(o->note, sizeof o->note, "%lld %s (rate limited)",
                 (long long)code, sub_code);
    } else if (rc == DDC_E_API && is_token_error(code, sub_code)) {
        o->delay_ms = 1000;
        snprintf(o->note, sizeof o->note, "%lld %s (token)", (long long)code,
                 sub_code);
    } else if (rc == DDC_E_TRANSPORT) {
        transient = true;
        o->reread = true;
        o->delay_ms = ref_backoff_ms(attempts, false);
        snprintf(o->note, sizeof o->note,
                 "no answer (may or may not be applied)");
    } else if (rc == DDC_E_AUTH) {
        o->delay_ms = 2000;
        snprintf(o->note, sizeof o->note, "no access token");
    } else {
        o->state = REF_WB_FAILED;
        if (rc == DDC_E_API)
            snprintf(o->note, sizeof o->note, "%lld %s: refused, not retried",
                     (long long)code, sub_code);
        else
            snprintf(o->note, sizeof o->note, "%s: not retried",
                     ddc_strerror(rc));
        return;
    }
    if (transient && REF_BUGGY(bugs, GIVE_UP_TRANSIENT)) {
        o->state = REF_WB_FAILED;
        o->reread = false;
        strncat(o->note, ": given up (bug give-up-transient)",
                sizeof o->note - strlen(o->note) - 1);
        return;
    }
    if (o->reread && REF_BUGGY(bugs, RETRY_WITHOUT_REREAD) && rc == DDC_E_API) {
        o->reread = false;
        o->delay_ms = 0;
    }
    if (attempts >= REF_MAX_ATTEMPTS) {
        o->state = REF_WB_FAILED;
        o->reread = false;
        char more[64];
        snprintf(more, sizeof more, ": gave up after %lld attempts",
                 (long long)attempts);
        strncat(o->note, more, sizeof o->note - strlen(o->note) - 1);
    }
}

void ref_classify_upload(int rc, int64_t code, const char *sub_code,
                         int64_t attempts, uint64_t bugs,
                         enum ref_ship_state *state, int64_t *delay_ms,
                         char *note, size_t cap)
{
    sub_code = sub_code ? sub_code : "";
    *delay_ms = 0;
    if (rc == 0) {
        *state = REF_SHIP_DONE;
        snprintf(note, cap, "10000 uploaded");
        return;
    }
    if (rc == DDC_E_API && strcmp(sub_code, "isv.business-failed:60110") == 0) {
        *state = REF_SHIP_DONE;
        snprintf(note, cap, "%lld %s: already shipped", (long long)code,
                 sub_code);
        return;
    }
    bool transient = rc == DDC_E_TRANSPORT ||
                     (rc == DDC_E_API &&
                      (code == 20000 || code == 60000 ||
                       strcmp(sub_code, "isv.business-failed:10000") == 0));
    bool token =
        rc == DDC_E_AUTH || (rc == DDC_E_API && is_token_error(code, sub_code));
    if (rc == DDC_E_API)
        snprintf(note, cap, "%lld %s", (long long)code, sub_code);
    else
        snprintf(note, cap, "%s", ddc_strerror(rc));
    if ((!transient && !token) ||
        (transient && REF_BUGGY(bugs, GIVE_UP_TRANSIENT)) ||
        attempts >= REF_MAX_ATTEMPTS) {
        *state = REF_SHIP_FAILED;
        return;
    }
    *state = REF_SHIP_RETRY;
    *delay_ms = token ? 1000 : ref_backoff_ms(attempts, code == 60000);
}
