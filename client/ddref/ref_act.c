/*
 * ref_act.c: what ddref does once it has decided (ref_erp.h): write-backs
 * with their intents, the warehouse's books (outbounds, stock, ledger),
 * return orders, the consequences of final after-sales, and the uploads of
 * tracking numbers.
 *
 * Crash safety (harness.md: "a crash loses and duplicates nothing"). A
 * write-back goes in three steps:
 *   1. one transaction records the intent (state "intent", attempts + 1)
 *      together with its effects in the warehouse (the outbound cancelled,
 *      stock rolled back, the ledger line; or the return accepted);
 *   2. the call;
 *   3. one transaction records the outcome.
 * Killed before 1: nothing happened anywhere; the after-sale is still
 * unsettled and is decided again. Killed between 1 and 3: the call may or
 * may not have reached the platform, so the next process finds "intent"
 * and never sends blindly: it re-reads the after-sale (afterSale.Detail)
 * and sends again only when the platform still waits for it (a
 * CancelSendGoodsSuccess that went through shows status 12, refunded by
 * the assistant). Killed after 3: the outcome is known. The same rule
 * covers a call whose answer was lost (a timeout, 20000, or
 * isv.business-failed:10000: re-read, then retry) and never lets a
 * success be followed by a second write-back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_err.h"
#include "ddc_err.h"
#include "ref_bugs.h"
#include "ref_erp.h"
#include "ref_log.h"

void (*ref_crash_point)(const char *where) = NULL;

static void crash_point(const char *where)
{
    if (ref_crash_point)
        ref_crash_point(where);
}

int ref_load_case(struct ref_store *s, const struct ref_aftersale *as,
                  struct ref_case *c)
{
    memset(c, 0, sizeof *c);
    c->as = as;
    enum ref_kind k =
        as->type == REF_TYPE_RETURN ? REF_KIND_RETURN : REF_KIND_CANCEL;
    int rc = ref_store_wb_get(s, as->id, k, &c->wb);
    if (!rc)
        rc = ref_store_wb_get(s, as->id, REF_KIND_AGREE, &c->agree);
    if (!rc)
        rc = ref_store_outbound_get(s, as->sku_order_id, &c->ob);
    if (!rc)
        rc = ref_store_return_get(s, as->id, &c->ro);
    return rc;
}

static void case_now(const struct ref_erp *e, struct ref_case *c)
{
    c->now_us = ref_now_us();
    c->settle_us = e->settle_us;
    c->bugs = e->bugs;
}

/* The slot of `kind` in a case. */
static struct ref_writeback *slot_of(struct ref_case *c, enum ref_kind kind)
{
    return kind == REF_KIND_AGREE ? &c->agree : &c->wb;
}

/* Where a write-back of `kind` stands once the after-sale `a` no longer
 * needs it (it was re-read or became final). */
static enum ref_wb_state resolved_state(const struct ref_aftersale *a,
                                        enum ref_kind kind)
{
    if (kind == REF_KIND_AGREE)
        return a->status == REF_AS_WAIT_BUYER ||
                       a->status == REF_AS_WAIT_RECEIVE ||
                       a->status == REF_AS_SUCCESS
                   ? REF_WB_DONE
                   : REF_WB_OBSOLETE;
    if (a->status == REF_AS_SUCCESS)
        /* Only a write-back makes the assistant refund (refund_type 2). */
        return a->refund_type == REF_REFUND_BY_ASSISTANT
                   ? REF_WB_DONE
                   : REF_WB_DONE_ELSEWHERE;
    return REF_WB_OBSOLETE;
}

/* ============================================================ return orders */

/* Makes sure an agreed return has its return order (退货单), with what the
 * platform says of the parcel. */
static void ensure_return_order(struct ref_erp *e,
                                const struct ref_aftersale *a)
{
    if (a->type != REF_TYPE_RETURN ||
        (a->status != REF_AS_WAIT_BUYER && a->status != REF_AS_WAIT_RECEIVE))
        return;
    struct ref_store *s = &e->store;
    if (ref_store_begin(s))
        return;
    struct ref_return_order ro;
    bool changed = false, created = false;
    if (ref_store_return_get(s, a->id, &ro) == 0) {
        if (ro.state == REF_RO_NONE) {
            ro.state = REF_RO_AWAITING;
            created = changed = true;
        }
        if (!ro.sku_order_id && a->sku_order_id) {
            ro.sku_order_id = a->sku_order_id;
            ro.order_id = a->order_id;
            ro.product_id = a->product_id;
            ro.quantity = a->quantity;
            changed = true;
        }
        if (a->return_tracking_no[0] &&
            strcmp(ro.tracking_no, a->return_tracking_no) != 0) {
            snprintf(ro.tracking_no, sizeof ro.tracking_no, "%s",
                     a->return_tracking_no);
            snprintf(ro.company, sizeof ro.company, "%s", a->return_company);
            changed = true;
        }
    }
    if (changed && ref_store_return_put(s, &ro) == 0 &&
        ref_store_commit(s) == 0) {
        if (created)
            ref_log("return order: created for after-sale %lld: %lld of SKU "
                    "order %lld expected back%s%s",
                    (long long)a->id, (long long)a->quantity,
                    (long long)a->sku_order_id,
                    ro.tracking_no[0] ? ", parcel " : "", ro.tracking_no);
        else
            ref_log("return order of after-sale %lld: parcel %s %s, %lld of "
                    "SKU order %lld expected",
                    (long long)a->id, ro.company, ro.tracking_no,
                    (long long)ro.quantity, (long long)ro.sku_order_id);
        return;
    }
    ref_store_rollback(s);
}

/* The return failed the warehouse's inspection: the return order is
 * rejected and a person decides (refuse with evidence, refund part,
 * claim from the courier). */
static void hold_return(struct ref_erp *e, const struct ref_aftersale *a,
                        const char *why)
{
    struct ref_store *s = &e->store;
    if (ref_store_begin(s))
        return;
    struct ref_return_order ro;
    if (ref_store_return_get(s, a->id, &ro) || ro.state == REF_RO_REJECTED) {
        ref_store_rollback(s);
        return;
    }
    ro.state = REF_RO_REJECTED;
    ref_copy(ro.note, sizeof ro.note, why);
    if (ref_store_return_put(s, &ro) ||
        ref_store_ledger_add(s, a->id, a->sku_order_id, "return_rejected",
                             a->quantity, 0, why) ||
        ref_store_commit(s)) {
        ref_store_rollback(s);
        return;
    }
    ref_log("return order of after-sale %lld rejected: %s; no write-back, a "
            "person decides",
            (long long)a->id, why);
}

/* ============================================================ settling */

/* A final after-sale: resolves its unfinished write-backs and books its
 * consequences once, then marks it settled. */
static void settle(struct ref_erp *e, int64_t id)
{
    struct ref_store *s = &e->store;
    if (ref_store_begin(s))
        return;
    struct ref_aftersale a;
    struct ref_case c;
    if (ref_store_aftersale_get(s, id, &a) || ref_load_case(s, &a, &c)) {
        ref_store_rollback(s);
        return;
    }
    char done[400] = "";
    size_t len = 0;
#define BOOKED(...)                                                            \
    do {                                                                       \
        int n_ = snprintf(done + len, sizeof done - len, __VA_ARGS__);         \
        if (n_ > 0 && (size_t)n_ < sizeof done - len)                          \
            len += (size_t)n_;                                                 \
    } while (0)
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        struct ref_writeback *w = k ? &c.agree : &c.wb;
        bool open = w->state == REF_WB_INTENT || w->state == REF_WB_RETRY ||
                    (w->state == REF_WB_RETRY_POLL &&
                     !REF_BUGGY(e->bugs, RETRY_BUSINESS_ERRORS));
        if (!open)
            continue;
        enum ref_wb_state was = w->state;
        w->state = resolved_state(&a, w->kind);
        snprintf(w->note, sizeof w->note,
                 "after-sale became final (status %lld)", (long long)a.status);
        rc = ref_store_wb_put(s, w);
        BOOKED("%s %s -> %s; ", ref_kind_name(w->kind), ref_wb_state_name(was),
               ref_wb_state_name(w->state));
    }
    int64_t q = a.quantity > 0 ? a.quantity : 1;
    int64_t refunded = 0;
    if (!rc && a.status == REF_AS_SUCCESS)
        rc = ref_store_ledger_count(s, id, "refunded", &refunded);
    if (!rc && a.status == REF_AS_SUCCESS && refunded == 0) {
        rc = ref_store_ledger_add(s, id, a.sku_order_id, "refunded", q,
                                  a.refund_amount,
                                  a.refund_type == REF_REFUND_BY_ASSISTANT
                                      ? "by the after-sales assistant"
                                      : "by the platform");
        BOOKED("refund of %lld fen booked; ", (long long)a.refund_amount);
    }
    if (!rc && a.type == REF_TYPE_UNSHIPPED_REFUND) {
        if (a.status == REF_AS_SUCCESS && c.ob.status != REF_OB_CANCELLED &&
            c.ob.status != REF_OB_SHIPPED) {
            /* Refunded without our write-back (a platform deadline): the
             * goods must not leave now. */
            c.ob.order_id = a.order_id;
            c.ob.product_id = a.product_id;
            c.ob.quantity = q;
            c.ob.status = REF_OB_CANCELLED;
            c.ob.aftersale_id = id;
            rc = ref_store_outbound_put(s, &c.ob);
            if (!rc)
                rc = ref_store_stock_move(s, a.product_id, q, -q);
            if (!rc)
                rc = ref_store_ledger_add(
                    s, id, a.sku_order_id, "outbound_cancelled", q,
                    a.refund_amount, "refunded by the platform");
            BOOKED("outbound of SKU order %lld cancelled (already refunded); ",
                   (long long)a.sku_order_id);
        } else if (a.status == REF_AS_SUCCESS &&
                   c.ob.status == REF_OB_SHIPPED) {
            BOOKED("WARNING: SKU order %lld shipped and refunded; ",
                   (long long)a.sku_order_id);
        } else if (a.status != REF_AS_SUCCESS &&
                   c.ob.status == REF_OB_CANCELLED && c.ob.aftersale_id == id) {
            /* Withdrawn or refused: the goods may ship again. */
            c.ob.status = REF_OB_OPEN;
            c.ob.aftersale_id = 0;
            rc = ref_store_outbound_put(s, &c.ob);
            if (!rc)
                rc = ref_store_stock_move(s, a.product_id, -c.ob.quantity,
                                          c.ob.quantity);
            if (!rc)
                rc = ref_store_ledger_add(s, id, a.sku_order_id,
                                          "outbound_restored", c.ob.quantity, 0,
                                          "the refund ended without money");
            BOOKED("outbound of SKU order %lld restored; ",
                   (long long)a.sku_order_id);
        }
    }
    if (!rc && a.type == REF_TYPE_RETURN &&
        (c.ro.state == REF_RO_AWAITING || c.ro.state == REF_RO_ARRIVED)) {
        c.ro.state = REF_RO_CLOSED;
        snprintf(c.ro.note, sizeof c.ro.note, "after-sale ended in status %lld",
                 (long long)a.status);
        rc = ref_store_return_put(s, &c.ro);
        BOOKED("return order closed; ");
    }
#undef BOOKED
    if (!rc)
        rc = ref_store_settle(s, id, a.update_time, a.read_at_us);
    if (rc || ref_store_commit(s)) {
        ref_store_rollback(s);
        return;
    }
    if (len >= 2)
        done[len - 2] = '\0'; /* the last "; " */
    if (len)
        ref_log("settle: after-sale %lld (status %lld): %s", (long long)id,
                (long long)a.status, done);
}

/* ============================================================ write-backs */

/* Records the intent of a write-back with its effects in the warehouse.
 * Returns 1 when the call may go, 0 when it must not (said why), <0 on a
 * store error. `a` and `c` get the versions read inside the transaction. */
static int record_intent(struct ref_erp *e, enum ref_kind kind, int64_t id,
                         struct ref_aftersale *a, struct ref_case *c)
{
    struct ref_store *s = &e->store;
    int rc = ref_store_begin(s);
    if (rc)
        return rc;
    rc = ref_store_aftersale_get(s, id, a);
    if (!rc)
        rc = ref_load_case(s, a, c);
    if (rc) {
        ref_store_rollback(s);
        return rc;
    }
    struct ref_writeback *w = slot_of(c, kind);
    if (kind == REF_KIND_CANCEL && c->ob.status == REF_OB_SHIPPED &&
        !REF_BUGGY(e->bugs, CANCEL_AFTER_SHIP)) {
        ref_store_rollback(s);
        ref_log("write-back cancel of %lld not sent: SKU order %lld left the "
                "warehouse meanwhile",
                (long long)id, (long long)a->sku_order_id);
        return 0;
    }
    if (ref_wb_terminal(w->state)) {
        ref_store_rollback(s);
        return 0;
    }
    w->state = REF_WB_INTENT;
    w->attempts++;
    w->reread = false;
    snprintf(w->note, sizeof w->note, "attempt %lld sent, outcome unknown",
             (long long)w->attempts);
    rc = ref_store_wb_put(s, w);
    int64_t q = a->quantity > 0 ? a->quantity : 1;
    if (!rc && kind == REF_KIND_CANCEL && c->ob.status != REF_OB_CANCELLED) {
        c->ob.order_id = a->order_id;
        c->ob.product_id = a->product_id;
        c->ob.quantity = q;
        c->ob.status = REF_OB_CANCELLED;
        c->ob.aftersale_id = id;
        rc = ref_store_outbound_put(s, &c->ob);
        if (!rc)
            rc = ref_store_stock_move(s, a->product_id, q, -q);
        if (!rc)
            rc = ref_store_ledger_add(s, id, a->sku_order_id,
                                      "outbound_cancelled", q, a->refund_amount,
                                      "pre-shipment refund");
    }
    if (!rc && kind == REF_KIND_RETURN && c->ro.state != REF_RO_ACCEPTED) {
        c->ro.state = REF_RO_ACCEPTED;
        snprintf(c->ro.note, sizeof c->ro.note, "inspection passed (%s)",
                 c->ro.condition[0] ? c->ro.condition : "not inspected");
        if (!c->ro.sku_order_id) {
            c->ro.sku_order_id = a->sku_order_id;
            c->ro.order_id = a->order_id;
            c->ro.product_id = a->product_id;
            c->ro.quantity = q;
        }
        rc = ref_store_return_put(s, &c->ro);
        if (!rc)
            rc = ref_store_stock_move(s, a->product_id, q, 0);
        if (!rc)
            rc = ref_store_ledger_add(s, id, a->sku_order_id, "return_received",
                                      q, a->refund_amount, c->ro.condition);
    }
    if (rc || (rc = ref_store_commit(s)) != 0) {
        ref_store_rollback(s);
        return rc;
    }
    return 1;
}

/* Records the outcome of a write-back. */
static void record_outcome(struct ref_erp *e, const struct ref_aftersale *a,
                           enum ref_kind kind, int64_t attempts,
                           const struct ref_outcome *o)
{
    struct ref_store *s = &e->store;
    if (ref_store_begin(s))
        return;
    struct ref_writeback w;
    int rc = ref_store_wb_get(s, a->id, kind, &w);
    if (!rc) {
        w.state = o->state;
        w.attempts = attempts;
        w.next_at_us = ref_now_us() + o->delay_ms * 1000;
        w.reread = o->reread;
        snprintf(w.note, sizeof w.note, "%s", o->note);
        rc = ref_store_wb_put(s, &w);
    }
    if (!rc && o->state == REF_WB_DONE && kind != REF_KIND_AGREE)
        rc = ref_store_ledger_add(s, a->id, a->sku_order_id,
                                  "refund_written_back", 0, a->refund_amount,
                                  ref_kind_name(kind));
    if (rc || ref_store_commit(s))
        ref_store_rollback(s);
}

/* Re-reads before a write-back. Returns 1 when the write-back is still
 * needed (`a` updated), 0 when it is not (the slot was resolved). */
static int reread_first(struct ref_erp *e, enum ref_kind kind,
                        struct ref_aftersale *a)
{
    struct ref_aftersale cur;
    int rc = ref_reread(e, a->id, &cur);
    struct ref_case c;
    if (rc == DD_E_NOT_FOUND) {
        cur = *a;
        cur.status = -1;
    } else if (rc) {
        /* No answer: try again later; an intent stays an intent. */
        if (ref_store_begin(&e->store) == 0) {
            struct ref_writeback w;
            if (ref_store_wb_get(&e->store, a->id, kind, &w) == 0 &&
                w.state == REF_WB_RETRY) {
                w.next_at_us =
                    ref_now_us() + ref_backoff_ms(w.attempts, false) * 1000;
                snprintf(w.note, sizeof w.note, "re-read failed: %s",
                         ddc_strerror(rc));
                ref_store_wb_put(&e->store, &w);
            }
            ref_store_commit(&e->store);
        }
        ref_log("write-back %s of %lld waits: the re-read failed (%s)",
                ref_kind_name(kind), (long long)a->id, ddc_strerror(rc));
        return 0;
    }
    if (ref_load_case(&e->store, &cur, &c))
        return 0;
    case_now(e, &c);
    struct ref_writeback *w = slot_of(&c, kind);
    struct ref_writeback before = *w;
    w->state = REF_WB_NONE; /* decide as if nothing had been sent */
    struct ref_decision d;
    ref_decide(&c, &d);
    if (ref_act_kind(d.act) == kind) {
        *a = cur;
        return 1;
    }
    before.state =
        d.act == REF_DO_WAIT && !ref_is_final(&cur)
            ? REF_WB_NONE
            : (cur.status < 0 ? REF_WB_OBSOLETE : resolved_state(&cur, kind));
    snprintf(before.note, sizeof before.note,
             "re-read: status %lld, refund_type %lld: %.150s",
             (long long)cur.status, (long long)cur.refund_type, d.reason);
    if (ref_store_wb_put(&e->store, &before) == 0)
        ref_log("write-back %s of %lld not sent: re-read shows status %lld "
                "(refund_type %lld) => %s (%s)",
                ref_kind_name(kind), (long long)a->id, (long long)cur.status,
                (long long)cur.refund_type, ref_wb_state_name(before.state),
                d.reason);
    return 0;
}

/* Sends the write-back of `kind` for after-sale `id` (see the header
 * comment for the three steps). */
static void writeback(struct ref_erp *e, enum ref_kind kind, int64_t id,
                      bool reread)
{
    struct ref_aftersale a;
    if (ref_store_aftersale_get(&e->store, id, &a))
        return;
    if (reread && reread_first(e, kind, &a) != 1)
        return;
    for (int round = 0; round < REF_MAX_ATTEMPTS; round++) {
        struct ref_case c;
        if (record_intent(e, kind, id, &a, &c) != 1)
            return;
        crash_point("after-intent");
        struct ref_writeback *w = slot_of(&c, kind);
        const char *method = "";
        struct ddc_status st;
        int rc = ref_api_writeback(&e->api, kind, &a, &c.ro, &method, &st);
        char brief[300];
        ref_api_brief(rc, &st, brief, sizeof brief);
        if (REF_BUGGY(e->bugs, WRITEBACK_TWICE) && kind != REF_KIND_AGREE) {
            struct ddc_status st2;
            int rc2 = ref_api_writeback(&e->api, kind, &a, &c.ro, NULL, &st2);
            char brief2[300];
            ref_api_brief(rc2, &st2, brief2, sizeof brief2);
            ref_log("write-back: %s %lld sent a second time -> %s (bug "
                    "writeback-twice)",
                    method, (long long)id, brief2);
        }
        crash_point("after-call");
        struct ref_outcome o;
        ref_classify(kind, rc, st.code, st.sub_code, w->attempts, e->bugs, &o);
        record_outcome(e, &a, kind, w->attempts, &o);
        char retry[64] = "";
        if (o.state == REF_WB_RETRY)
            snprintf(retry, sizeof retry, " (again in %.1f s%s)",
                     (double)o.delay_ms / 1000,
                     o.reread ? ", after a re-read" : "");
        ref_log("write-back: %s %lld (attempt %lld) -> %s => %s: %s%s", method,
                (long long)id, (long long)w->attempts, brief,
                ref_wb_state_name(o.state), o.note, retry);
        if (!(o.state == REF_WB_RETRY && o.delay_ms == 0 && !o.reread))
            return;
        ref_log("write-back: %s %lld again at once, without re-reading (bug "
                "retry-without-reread)",
                method, (long long)id);
    }
}

/* ============================================================ deciding */

int ref_act_one(struct ref_erp *e, int64_t id)
{
    struct ref_aftersale a;
    int rc = ref_store_aftersale_get(&e->store, id, &a);
    if (rc)
        return rc;
    if (a.type == REF_TYPE_RETURN && !ref_is_final(&a) &&
        !ddc_idset_has(&e->arrivals_read, id)) {
        struct ref_return_order ro;
        if (ref_store_return_get(&e->store, id, &ro) == 0 && ro.arrived) {
            /* The warehouse reported the parcel: decide on the platform's
             * latest word (status 11, quantity), read once. */
            ddc_idset_add(&e->arrivals_read, id);
            ref_log("return: the warehouse reported after-sale %lld's parcel "
                    "(%s): re-reading it",
                    (long long)id, ro.condition);
            if (ref_reread(e, id, &a) != 0 &&
                ref_store_aftersale_get(&e->store, id, &a) != 0)
                return 0;
        }
    }
    ensure_return_order(e, &a);
    struct ref_case c;
    rc = ref_load_case(&e->store, &a, &c);
    if (rc)
        return rc;
    case_now(e, &c);
    struct ref_decision d;
    ref_decide(&c, &d);
    if (d.act != REF_DO_SETTLE)
        ref_note(id, "decide: after-sale %lld (type %lld, status %lld): %s: %s",
                 (long long)id, (long long)a.type, (long long)a.status,
                 ref_act_name(d.act), d.reason);
    switch (d.act) {
    case REF_DO_CANCEL:
    case REF_DO_AGREE:
    case REF_DO_RETURN:
        writeback(e, ref_act_kind(d.act), id, d.reread);
        break;
    case REF_DO_HOLD:
        hold_return(e, &a, d.reason);
        break;
    case REF_DO_SETTLE:
        settle(e, id);
        break;
    case REF_DO_NOTHING:
        /* Nothing is ours to do with this version: decide again only when
         * a newer one arrives (ref_store_aftersale_put unsettles it). */
        ref_store_settle(&e->store, id, a.update_time, a.read_at_us);
        break;
    default:
        break;
    }
    return 0;
}

void ref_act_all(struct ref_erp *e)
{
    int64_t *ids = NULL;
    size_t n = 0;
    if (ref_store_unsettled(&e->store, &ids, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        ref_act_one(e, ids[i]);
        ref_poll_if_due(e); /* a long round must not delay polling */
    }
    free(ids);
}

/* ============================================================ shipping */

/* The refunds of other SKU orders of `order_id` still being written back
 * (a whole-order upload would ship them): their ids in `why`. */
static bool refunds_pending(struct ref_erp *e, int64_t order_id, char *why,
                            size_t cap)
{
    struct ref_aftersale as[64];
    size_t n = 0;
    if (ref_store_aftersales_of_order(&e->store, order_id, as, 64, &n))
        return false;
    size_t len = 0;
    bool any = false;
    why[0] = '\0';
    for (size_t i = 0; i < n && i < 64; i++) {
        const struct ref_aftersale *a = &as[i];
        if (a->type != REF_TYPE_UNSHIPPED_REFUND || ref_is_final(a))
            continue;
        struct ref_outbound ob;
        struct ref_writeback w;
        if (ref_store_outbound_get(&e->store, a->sku_order_id, &ob) ||
            ob.status == REF_OB_SHIPPED ||
            ref_store_wb_get(&e->store, a->id, REF_KIND_CANCEL, &w) ||
            ref_wb_terminal(w.state))
            continue;
        any = true;
        int k = snprintf(why + len, cap > len ? cap - len : 0, "%s%lld",
                         len ? ", " : "", (long long)a->id);
        if (k > 0 && (size_t)k < cap - len)
            len += (size_t)k;
    }
    return any;
}

static void upload(struct ref_erp *e, int64_t order_id)
{
    struct ref_store *s = &e->store;
    struct ref_shipment sh;
    if (ref_store_begin(s))
        return;
    if (ref_store_shipment_get(s, order_id, &sh) || sh.state == REF_SHIP_DONE ||
        sh.state == REF_SHIP_FAILED) {
        ref_store_rollback(s);
        return;
    }
    sh.state = REF_SHIP_INTENT;
    sh.attempts++;
    if (ref_store_shipment_put(s, &sh) || ref_store_commit(s)) {
        ref_store_rollback(s);
        return;
    }
    struct ddc_status st;
    int rc = ref_api_logistics_add(&e->api, order_id, sh.company_code,
                                   sh.tracking_no, &st);
    int64_t delay = 0;
    ref_classify_upload(rc, st.code, st.sub_code, sh.attempts, e->bugs,
                        &sh.state, &delay, sh.note, sizeof sh.note);
    sh.next_at_us = ref_now_us() + delay * 1000;
    if (ref_store_begin(s) == 0) {
        if (ref_store_shipment_put(s, &sh) || ref_store_commit(s))
            ref_store_rollback(s);
    }
    char brief[300];
    ref_api_brief(rc, &st, brief, sizeof brief);
    ref_log("ship: order.logisticsAdd %lld %s %s is_refund_reject (attempt "
            "%lld) -> %s => %s%s",
            (long long)order_id, sh.company_code, sh.tracking_no,
            (long long)sh.attempts, brief, ref_ship_state_name(sh.state),
            sh.state == REF_SHIP_RETRY ? " (retried later)" : "");
}

void ref_ship_all(struct ref_erp *e)
{
    int64_t *ids = NULL;
    size_t n = 0;
    if (ref_store_shipments_open(&e->store, &ids, &n) != 0)
        return;
    int64_t now = ref_now_us();
    for (size_t i = 0; i < n; i++) {
        struct ref_shipment sh;
        if (ref_store_shipment_get(&e->store, ids[i], &sh))
            continue;
        if (sh.state == REF_SHIP_RETRY && now < sh.next_at_us)
            continue;
        if (now - sh.created_us < e->ship_wait_us) {
            ref_note(-ids[i],
                     "ship: order %lld shipped (%s %s): the upload waits "
                     "%.1f s for a refund applied for at the same moment",
                     (long long)ids[i], sh.company_code, sh.tracking_no,
                     (double)e->ship_wait_us / 1e6);
            continue;
        }
        char why[256];
        if (now - sh.created_us < REF_SHIP_DEFER_US &&
            refunds_pending(e, ids[i], why, sizeof why)) {
            ref_note(-ids[i],
                     "ship: order %lld waits for the write-back of %s first (a "
                     "whole-order upload would ship it)",
                     (long long)ids[i], why);
            continue;
        }
        upload(e, ids[i]);
    }
    free(ids);
}
