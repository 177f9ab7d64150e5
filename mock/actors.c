/*
 * actors.c: the buyer, the logistics company and the platform, played by
 * the mock through the admin API, and the platform's timers (actors.h).
 *
 * Implements the parts of the after-sale conversation that are not the
 * merchant's (issue "ddmock platform behaviour", items 1, 2 and 6): the
 * statuses of doudian-open-api.md §4.1/§4.9, the messages 200-208 of §5.5
 * (emitted by world.c as the state moves; their data is §5.6), and the
 * timeouts of doudian-shipping-and-operations.md §2, whose durations are
 * NOT FOUND and therefore settings (documented guesses).
 *
 * Routes (curl examples in mock/README.md, "Actors and platform timers"):
 *   POST /_mock/worlds/{K}/actions/{actor.action}
 *   GET  /_mock/worlds/{K}/timers
 *   POST /_mock/worlds/{K}/aftersales/{ID}/fire_timer
 * An action validates its whole body and the after-sale's state before it
 * changes anything: a refused action (400, 404, 409) changes nothing.
 * Every applied action is journalled with kind "actor", every timer firing
 * with kind "timer".
 *
 * Runs on the event loop's thread, which owns every world.
 */
#include "actors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "api.h"
#include "server.h"
#include "world.h"

/* A timer that fires this early still counts as due (the heap never fires
 * early; this only absorbs clock reads inside one loop turn). */
#define DEADLINE_TOLERANCE_MS 10

#define TEXT_MAX_BYTES       4096 /* reason_text */
#define LOGISTICS_MAX_BYTES  64   /* company_code, tracking_no */
#define TIMERS_DEFAULT_LIMIT 1000

/* ================================================================ texts */

static const char *status_name(int status)
{
    switch (status) {
    case MOCK_AS_WAIT_SELLER_AGREE:
        return "待商家同意";
    case MOCK_AS_WAIT_BUYER_RETURN:
        return "待买家退货";
    case MOCK_AS_WAIT_SELLER_RECEIVE:
        return "待商家二次同意";
    case MOCK_AS_SUCCESS:
        return "售后成功";
    case MOCK_AS_SELLER_REFUSED:
        return "商家一次拒绝";
    case MOCK_AS_CLOSED:
        return "售后失败";
    case MOCK_AS_SELLER_REFUSED_2:
        return "商家二次拒绝";
    default:
        return "?";
    }
}

static const char *type_name(int type)
{
    switch (type) {
    case MOCK_AS_TYPE_RETURN:
        return "退货退款";
    case MOCK_AS_TYPE_SHIPPED_REFUND:
        return "已发货仅退款";
    case MOCK_AS_TYPE_UNSHIPPED_REFUND:
        return "未发货仅退款";
    default:
        return "?";
    }
}

/* ================================================================ timers */

/*
 * What the platform does when an after-sale's deadline passes, by state
 * (the guesses of mock/README.md, "Actors and platform timers"):
 *   6, type 1 or 2   agree and refund             timer.merchant_response
 *   6, type 0        agree the return (-> 7)      timer.merchant_response
 *   27, type 0 or 1  close (-> 28): the buyer     timer.buyer_appeal
 *                    neither modified nor appealed
 *   7                close (-> 28): never shipped timer.buyer_return
 *   11               confirm receipt and refund   timer.merchant_receive
 * NULL when the after-sale has no pending deadline.
 */
struct timer_kind {
    const char *method; /* journal method */
    const char *action; /* what GET /timers shows */
};

static const struct timer_kind *timer_kind(const struct mock_aftersale *a)
{
    static const struct timer_kind agree_refund = {"timer.merchant_response",
                                                   "auto_agree_refund"};
    static const struct timer_kind agree_return = {"timer.merchant_response",
                                                   "auto_agree_return"};
    static const struct timer_kind appeal = {"timer.buyer_appeal",
                                             "close_after_refusal"};
    static const struct timer_kind no_return = {"timer.buyer_return",
                                                "close_not_returned"};
    static const struct timer_kind receive = {"timer.merchant_receive",
                                              "auto_confirm_refund"};
    if (mock_aftersale_is_final(a) || a->status_deadline == 0)
        return NULL;
    switch (a->status) {
    case MOCK_AS_WAIT_SELLER_AGREE:
        return a->type == MOCK_AS_TYPE_RETURN ? &agree_return : &agree_refund;
    case MOCK_AS_SELLER_REFUSED:
        return &appeal;
    case MOCK_AS_WAIT_BUYER_RETURN:
        return a->type == MOCK_AS_TYPE_RETURN ? &no_return : NULL;
    case MOCK_AS_WAIT_SELLER_RECEIVE:
        return a->type == MOCK_AS_TYPE_RETURN ? &receive : NULL;
    default:
        return NULL;
    }
}

/*
 * Applies the deadline action of after-sale `as` at `now` and journals it
 * (`how` says who fired it: "deadline passed" or "fired through the admin
 * API"). The caller has checked that timer_kind() is not NULL. Returns the
 * kind applied.
 */
static const struct timer_kind *fire(struct mock_server *s,
                                     struct mock_world *w, uint32_t as,
                                     int64_t now, const char *how)
{
    struct mock_aftersale *a = &w->aftersales.v[as];
    const struct timer_kind *k = timer_kind(a);
    int from = a->status;
    long long id = (long long)a->aftersale_id;
    int64_t deadline = a->status_deadline;
    int64_t paid = -1;
    if (!k)
        return NULL;
    switch (from) {
    case MOCK_AS_WAIT_SELLER_AGREE:
        if (a->type == MOCK_AS_TYPE_RETURN) {
            mock_aftersale_set_status(w, as, MOCK_AS_WAIT_BUYER_RETURN, now,
                                      MOCK_ROLE_SYSTEM, "auto_agree_return",
                                      "商家超时未处理，系统自动同意退货申请");
        } else {
            mock_aftersale_record(w, as, now, MOCK_ROLE_SYSTEM, "auto_agree",
                                  "商家超时未处理，系统超时自动同意退款");
            paid = mock_aftersale_refund(w, as, now, MOCK_REFUND_BY_NONE, 0,
                                         "timer:merchant_response");
        }
        break;
    case MOCK_AS_SELLER_REFUSED:
        mock_aftersale_set_status(
            w, as, MOCK_AS_CLOSED, now, MOCK_ROLE_SYSTEM, "auto_close",
            "商家拒绝后买家未在期限内修改申请或申请平台介入，售后关闭");
        break;
    case MOCK_AS_WAIT_BUYER_RETURN:
        mock_aftersale_set_status(w, as, MOCK_AS_CLOSED, now, MOCK_ROLE_SYSTEM,
                                  "auto_close", "买家超时未退货，售后关闭");
        break;
    case MOCK_AS_WAIT_SELLER_RECEIVE:
        w->aftersales.v[as].got_pkg = 1;
        mock_aftersale_record(w, as, now, MOCK_ROLE_SYSTEM, "auto_confirm",
                              "商家超时未确认收货，系统自动确认收货并退款");
        paid = mock_aftersale_refund(w, as, now, MOCK_REFUND_BY_NONE, 0,
                                     "timer:merchant_receive");
        break;
    default:
        return NULL;
    }
    a = &w->aftersales.v[as];
    if (paid >= 0)
        mock_server_journal(s, "timer", w, k->method,
                            "aftersale %lld: %s, deadline %lld; status %d -> "
                            "%d (%s), refunded %lld fen",
                            id, how, (long long)deadline, from, a->status,
                            k->action, (long long)paid);
    else
        mock_server_journal(s, "timer", w, k->method,
                            "aftersale %lld: %s, deadline %lld; status %d -> "
                            "%d (%s)",
                            id, how, (long long)deadline, from, a->status,
                            k->action);
    return k;
}

void mock_actor_deadline_cb(struct mock_server *s, uint64_t serial,
                            uint64_t index)
{
    struct mock_world *w = mock_worlds_by_serial(&s->worlds, serial);
    if (!w || index >= w->aftersales.n)
        return;
    const struct mock_aftersale *a = &w->aftersales.v[index];
    if (!timer_kind(a))
        return; /* final, or no deadline any more */
    /* The deadline moved since this timer was set: its own timer will
     * come. */
    if (a->status_deadline * 1000 > mock_now_ms() + DEADLINE_TOLERANCE_MS)
        return;
    fire(s, w, (uint32_t)index, mock_now(), "deadline passed");
}

/* ================================================================ answers */

/* Writes the state of after-sale `as` as the answer of an action. */
static void write_state(struct dd_jw *jw, const struct mock_world *w,
                        uint32_t as)
{
    const struct mock_aftersale *a = &w->aftersales.v[as];
    const struct timer_kind *k = timer_kind(a);
    dd_jw_object_begin(jw);
    dd_jw_kint_str(jw, "aftersale_id", a->aftersale_id);
    dd_jw_kint_str(jw, "order_id", w->orders.v[a->order].order_id);
    dd_jw_kint_str(jw, "sku_order_id",
                   w->sku_orders.v[a->sku_order].sku_order_id);
    dd_jw_kint(jw, "type", a->type);
    dd_jw_kint(jw, "status", a->status);
    dd_jw_kstr(jw, "status_text", status_name(a->status));
    dd_jw_kint(jw, "refund_status", a->refund_status);
    dd_jw_kint(jw, "refund_amount", a->refund_amount);
    dd_jw_kint(jw, "refund_post_amount", a->refund_post_amount);
    dd_jw_kint(jw, "quantity", a->quantity);
    dd_jw_kint(jw, "reason_code", a->reason_code);
    dd_jw_kint(jw, "arbitrate_status", a->arbitrate_status);
    dd_jw_kint(jw, "apply_time", a->apply_time);
    dd_jw_kint(jw, "update_time", a->update_time);
    dd_jw_kint(jw, "status_deadline", a->status_deadline);
    dd_jw_kint(jw, "final_time", a->final_time);
    dd_jw_key(jw, "timer");
    if (k)
        dd_jw_str(jw, k->action);
    else
        dd_jw_null(jw);
    dd_jw_object_end(jw);
}

/* ================================================================ bodies */

/* One action's call: the admin call, the action's name, its body. */
struct act {
    struct mock_admin_call *a;
    const char *name; /* "buyer.apply" */
    const struct dd_json *body;
    struct mock_world *w;
    int64_t now;
};

static void fail(struct act *x, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Answers `status` with "ACTION: message". */
static void fail(struct act *x, int status, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mock_admin_error(x->a, status, "%s: %s", x->name, msg);
}

/* Refuses any member of the body not in `keys` (NULL-terminated). */
static bool only_keys(struct act *x, const char *const *keys)
{
    for (size_t i = 0; i < x->body->n; i++) {
        const char *k = x->body->kids[i].key;
        size_t j = 0;
        while (keys[j] && strcmp(keys[j], k) != 0)
            j++;
        if (!keys[j]) {
            fail(x, 400, "request:%u:%u: unknown key \"%s\"",
                 x->body->kids[i].key_pos.line, x->body->kids[i].key_pos.col,
                 k);
            return false;
        }
    }
    return true;
}

/*
 * Reads integer member `key` (a JSON number, or a string of digits for
 * ids) into *out when present and not null. Absent: *has = false and, when
 * `required`, a 400. Outside [lo, hi]: a 400.
 */
static bool int_member(struct act *x, const char *key, bool required,
                       int64_t lo, int64_t hi, int64_t *out, bool *has)
{
    const struct dd_json *v = dd_json_get(x->body, key);
    *has = false;
    if (dd_json_is_absent(v)) {
        if (required)
            fail(x, 400, "%s is required", key);
        return !required;
    }
    int64_t n;
    if (dd_json_int64(v, &n) || n < lo || n > hi) {
        fail(x, 400, "request:%u:%u: %s must be an integer from %lld to %lld",
             v->pos.line, v->pos.col, key, (long long)lo, (long long)hi);
        return false;
    }
    *out = n;
    *has = true;
    return true;
}

/* Reads string member `key` (at most `max` bytes, no NUL) into *out
 * (borrowed from the body), NULL when absent. */
static bool str_member(struct act *x, const char *key, bool required,
                       size_t max, const char **out)
{
    const struct dd_json *v = dd_json_get(x->body, key);
    *out = NULL;
    if (dd_json_is_absent(v)) {
        if (required)
            fail(x, 400, "%s is required", key);
        return !required;
    }
    if (v->type != DD_JSON_STRING || v->len > max ||
        strlen(v->text) != v->len || (required && v->len == 0)) {
        fail(x, 400,
             "request:%u:%u: %s must be a %sstring of at most %zu bytes",
             v->pos.line, v->pos.col, key, required ? "non-empty " : "", max);
        return false;
    }
    *out = v->text;
    return true;
}

/* The after-sale named by the body's "aftersale_id": its index, or
 * MOCK_NONE after answering 400 or 404. */
static uint32_t target(struct act *x)
{
    int64_t id;
    bool has;
    if (!int_member(x, "aftersale_id", true, 1, INT64_MAX, &id, &has))
        return MOCK_NONE;
    uint32_t as = mock_world_aftersale(x->w, id);
    if (as == MOCK_NONE)
        fail(x, 404, "no after-sale with id %lld in this world", (long long)id);
    return as;
}

/* Answers 409: the after-sale is in the wrong status; `want` says which
 * would do ("7 (待买家退货)"). */
static void wrong_status(struct act *x, uint32_t as, const char *want)
{
    const struct mock_aftersale *a = &x->w->aftersales.v[as];
    fail(x, 409, "after-sale %lld is in status %d (%s%s); it must be %s",
         (long long)a->aftersale_id, a->status, status_name(a->status),
         mock_aftersale_is_final(a) ? ", final" : "", want);
}

/* Answers 409: the after-sale has the wrong type; `want` says which would
 * do. */
static void wrong_type(struct act *x, uint32_t as, const char *want)
{
    const struct mock_aftersale *a = &x->w->aftersales.v[as];
    fail(x, 409, "after-sale %lld is type %d (%s); %s",
         (long long)a->aftersale_id, a->type, type_name(a->type), want);
}

/* Answers 409 when the after-sale is final; true when it is open. */
static bool open_or_fail(struct act *x, uint32_t as)
{
    const struct mock_aftersale *a = &x->w->aftersales.v[as];
    if (!mock_aftersale_is_final(a))
        return true;
    fail(x, 409,
         "after-sale %lld is final (status %d %s) and can no longer "
         "change",
         (long long)a->aftersale_id, a->status, status_name(a->status));
    return false;
}

/* ================================================================ amounts */

/* What is left to refund on a SKU order: pay_amount + post_amount minus
 * what was refunded. */
static int64_t line_left(const struct mock_sku_order *so)
{
    int64_t left = so->pay_amount + so->post_amount - so->refunded;
    return left > 0 ? left : 0;
}

/* The shipping part of `amount` on this line: whatever exceeds the goods
 * still unrefunded, at most the line's post_amount. */
static int64_t post_part(const struct mock_sku_order *so, int64_t amount)
{
    int64_t goods = so->pay_amount - so->refunded;
    if (goods < 0)
        goods = 0;
    int64_t post = amount - goods;
    if (post < 0)
        post = 0;
    return post < so->post_amount ? post : so->post_amount;
}

/* ================================================================ buyer */

/* The open (not final) after-sale of a SKU order, or MOCK_NONE. A line has
 * at most one (WORLD.md), but a world file may list it before closed ones,
 * so every after-sale is looked at: admin calls are rare. */
static uint32_t open_on_line(const struct mock_world *w, uint32_t so)
{
    for (uint32_t i = 0; i < w->aftersales.n; i++)
        if (w->aftersales.v[i].sku_order == so &&
            !mock_aftersale_is_final(&w->aftersales.v[i]))
            return i;
    return MOCK_NONE;
}

/* Reads "type": 0, 1, 2 or "return", "shipped_refund", "unshipped_refund". */
static bool type_member(struct act *x, int *type)
{
    static const char *const names[] = {"return", "shipped_refund",
                                        "unshipped_refund"};
    const struct dd_json *v = dd_json_get(x->body, "type");
    if (dd_json_is_absent(v)) {
        fail(x, 400,
             "type is required (0 \"return\", 1 \"shipped_refund\", "
             "2 \"unshipped_refund\")");
        return false;
    }
    if (v->type == DD_JSON_STRING) {
        for (int i = 0; i < 3; i++) {
            if (strcmp(v->text, names[i]) == 0) {
                *type = i;
                return true;
            }
        }
    } else {
        int64_t n;
        if (dd_json_int64(v, &n) == 0 && n >= 0 && n <= 2) {
            *type = (int)n;
            return true;
        }
    }
    fail(x, 400,
         "request:%u:%u: type must be 0 \"return\", 1 \"shipped_refund\" or "
         "2 \"unshipped_refund\"",
         v->pos.line, v->pos.col);
    return false;
}

/* POST .../actions/buyer.apply: the buyer applies for an after-sale. */
static void buyer_apply(struct act *x)
{
    static const char *const keys[] = {
        "order_id",    "sku_order_id", "type",         "amount", "reason_code",
        "reason_text", "quantity",     "aftersale_id", NULL};
    struct mock_world *w = x->w;
    int64_t order_id = 0, sku_order_id = 0, amount = 0, reason = 1, qty = 0;
    int64_t given_id = 0;
    bool has_order, has_so, has_amount, has_reason, has_qty, has_id;
    const char *reason_text;
    int type;
    if (!only_keys(x, keys) ||
        !int_member(x, "order_id", false, 1, INT64_MAX, &order_id,
                    &has_order) ||
        !int_member(x, "sku_order_id", false, 1, INT64_MAX, &sku_order_id,
                    &has_so) ||
        !type_member(x, &type) ||
        !int_member(x, "amount", false, 1, INT64_MAX, &amount, &has_amount) ||
        !int_member(x, "reason_code", false, 0, INT32_MAX, &reason,
                    &has_reason) ||
        !int_member(x, "quantity", false, 1, INT32_MAX, &qty, &has_qty) ||
        !int_member(x, "aftersale_id", false, 1, INT64_MAX, &given_id,
                    &has_id) ||
        !str_member(x, "reason_text", false, TEXT_MAX_BYTES, &reason_text))
        return;

    /* A scenario names the after-sale it creates, so that its
     * expectations can name it too. */
    if (has_id && (mock_world_aftersale(w, given_id) != MOCK_NONE ||
                   mock_world_order(w, given_id) != MOCK_NONE ||
                   mock_world_sku_order(w, given_id) != MOCK_NONE ||
                   mock_world_shop(w, given_id) != MOCK_NONE ||
                   mock_world_product(w, given_id) != MOCK_NONE ||
                   mock_world_sku(w, given_id) != MOCK_NONE)) {
        /* ids share one space in a world (mock/WORLD.md) */
        fail(x, 409, "the id %lld is already used in this world",
             (long long)given_id);
        return;
    }

    /* The SKU order: named, or the only line of the named order. */
    uint32_t oi = MOCK_NONE, si = MOCK_NONE;
    if (has_order) {
        oi = mock_world_order(w, order_id);
        if (oi == MOCK_NONE) {
            fail(x, 404, "no order with id %lld in this world",
                 (long long)order_id);
            return;
        }
    }
    if (has_so) {
        si = mock_world_sku_order(w, sku_order_id);
        if (si == MOCK_NONE) {
            fail(x, 404, "no SKU order with id %lld in this world",
                 (long long)sku_order_id);
            return;
        }
        if (oi != MOCK_NONE && w->sku_orders.v[si].order != oi) {
            fail(x, 400, "SKU order %lld belongs to order %lld, not %lld",
                 (long long)sku_order_id,
                 (long long)w->orders.v[w->sku_orders.v[si].order].order_id,
                 (long long)order_id);
            return;
        }
    } else if (oi != MOCK_NONE && w->orders.v[oi].n_sku_orders == 1) {
        si = w->orders.v[oi].first_sku_order;
    } else {
        fail(x, 400, "sku_order_id is required%s",
             oi != MOCK_NONE ? " (the order has several SKU orders)" : "");
        return;
    }
    const struct mock_sku_order *so = &w->sku_orders.v[si];
    long long so_id = (long long)so->sku_order_id;

    /* Legal in the line's state? */
    if (type == MOCK_AS_TYPE_UNSHIPPED_REFUND &&
        so->status != MOCK_SKU_UNSHIPPED) {
        fail(x, 409,
             "SKU order %lld is %s; an unshipped refund (type 2) needs an "
             "unshipped line",
             so_id, so->status == MOCK_SKU_CANCELLED ? "cancelled" : "shipped");
        return;
    }
    if (type != MOCK_AS_TYPE_UNSHIPPED_REFUND &&
        so->status != MOCK_SKU_SHIPPED && so->status != MOCK_SKU_DONE) {
        fail(x, 409,
             "SKU order %lld is %s; a %s (type %d) needs a shipped line", so_id,
             so->status == MOCK_SKU_CANCELLED ? "cancelled" : "not shipped",
             type == MOCK_AS_TYPE_RETURN ? "return" : "shipped refund", type);
        return;
    }
    uint32_t open = open_on_line(w, si);
    if (open != MOCK_NONE) {
        const struct mock_aftersale *o = &w->aftersales.v[open];
        fail(x, 409,
             "SKU order %lld already has the open after-sale %lld (status %d "
             "%s)",
             so_id, (long long)o->aftersale_id, o->status,
             status_name(o->status));
        return;
    }
    if (has_qty && qty > so->quantity) {
        fail(x, 400, "quantity %lld is more than the line's %d", (long long)qty,
             so->quantity);
        return;
    }
    if (!has_qty)
        qty = so->quantity;
    int64_t left = line_left(so);
    if (left == 0) {
        fail(x, 409, "SKU order %lld has nothing left to refund", so_id);
        return;
    }
    if (!has_amount) {
        /* The whole line for a pre-shipment refund (shipping included),
         * else the goods; a part of the line by quantity. */
        if (qty < so->quantity)
            amount = so->pay_amount * qty / so->quantity;
        else if (type == MOCK_AS_TYPE_UNSHIPPED_REFUND)
            amount = left;
        else
            amount = so->pay_amount;
        if (amount > left)
            amount = left;
        if (amount < 1)
            amount = 1;
    } else if (amount > left) {
        fail(x, 409,
             "amount %lld fen is more than the %lld fen left to refund on "
             "SKU order %lld",
             (long long)amount, (long long)left, so_id);
        return;
    }

    struct mock_aftersale n;
    memset(&n, 0, sizeof n);
    n.aftersale_id = has_id ? given_id : mock_world_new_id(w);
    n.order = so->order;
    n.sku_order = si;
    n.type = type;
    n.status = MOCK_AS_WAIT_SELLER_AGREE;
    n.refund_status = MOCK_REFUND_PENDING;
    n.refund_type = MOCK_REFUND_BY_NONE;
    n.reason_code = (int32_t)reason;
    n.quantity = (int32_t)qty;
    n.apply_role = MOCK_ROLE_BUYER;
    n.refund_amount = amount;
    n.refund_post_amount = post_part(so, amount);
    n.apply_time = n.update_time = x->now;
    n.status_deadline = mock_aftersale_deadline(w, &n, x->now);
    if (reason_text) {
        n.reason_text = malloc(strlen(reason_text) + 1);
        if (!n.reason_text)
            abort();
        memcpy(n.reason_text, reason_text, strlen(reason_text) + 1);
    }
    uint32_t as = mock_world_add_aftersale(w, &n);

    char text[512];
    snprintf(text, sizeof text,
             "买家发起售后申请（%s），申请退款 %lld 分，数量 %lld%s%s",
             type_name(type), (long long)amount, (long long)qty,
             reason_text ? "，说明：" : "", reason_text ? reason_text : "");
    mock_aftersale_record(w, as, x->now, MOCK_ROLE_BUYER, "apply", text);
    mock_world_emit(w, MOCK_TAG_REFUND_CREATED, as, x->now);
    mock_world_emit(w, MOCK_EVENT_DEADLINE, as, x->now);
    mock_server_journal(x->a->srv, "actor", w, x->name,
                        "aftersale %lld: applied, type %d, SKU order %lld, "
                        "amount %lld fen, quantity %lld, reason_code %lld; "
                        "status 6, deadline %lld",
                        (long long)n.aftersale_id, type, so_id,
                        (long long)amount, (long long)qty, (long long)reason,
                        (long long)n.status_deadline);
    write_state(&x->a->w, w, as);
}

/* POST .../actions/buyer.modify: the buyer changes the application (6, or
 * 27 after a refusal: back to 6). */
static void buyer_modify(struct act *x)
{
    static const char *const keys[] = {"aftersale_id", "amount", "reason_code",
                                       "reason_text", NULL};
    struct mock_world *w = x->w;
    int64_t amount = 0, reason = 0;
    bool has_amount, has_reason;
    const char *reason_text;
    if (!only_keys(x, keys))
        return;
    uint32_t as = target(x);
    if (as == MOCK_NONE ||
        !int_member(x, "amount", false, 1, INT64_MAX, &amount, &has_amount) ||
        !int_member(x, "reason_code", false, 0, INT32_MAX, &reason,
                    &has_reason) ||
        !str_member(x, "reason_text", false, TEXT_MAX_BYTES, &reason_text) ||
        !open_or_fail(x, as))
        return;
    struct mock_aftersale *a = &w->aftersales.v[as];
    if (a->status != MOCK_AS_WAIT_SELLER_AGREE &&
        a->status != MOCK_AS_SELLER_REFUSED) {
        wrong_status(x, as, "6 (待商家同意) or 27 (商家一次拒绝)");
        return;
    }
    const struct mock_sku_order *so = &w->sku_orders.v[a->sku_order];
    if (has_amount && amount > line_left(so)) {
        fail(x, 409,
             "amount %lld fen is more than the %lld fen left to refund on "
             "SKU order %lld",
             (long long)amount, (long long)line_left(so),
             (long long)so->sku_order_id);
        return;
    }
    int from = a->status;
    if (has_amount) {
        a->refund_amount = amount;
        a->refund_post_amount = post_part(so, amount);
    }
    if (has_reason)
        a->reason_code = (int32_t)reason;
    if (reason_text) {
        char *t = malloc(strlen(reason_text) + 1);
        if (!t)
            abort();
        memcpy(t, reason_text, strlen(reason_text) + 1);
        free(a->reason_text);
        a->reason_text = t;
    }
    char text[512];
    snprintf(text, sizeof text, "买家修改售后申请，申请退款 %lld 分",
             (long long)a->refund_amount);
    if (from == MOCK_AS_SELLER_REFUSED) {
        /* back to the merchant: touch, record, new deadline */
        mock_aftersale_set_status(w, as, MOCK_AS_WAIT_SELLER_AGREE, x->now,
                                  MOCK_ROLE_BUYER, "modify", text);
    } else {
        a->status_deadline = mock_aftersale_deadline(w, a, x->now);
        mock_aftersale_touch(w, as, x->now);
        mock_aftersale_record(w, as, x->now, MOCK_ROLE_BUYER, "modify", text);
        mock_world_emit(w, MOCK_EVENT_DEADLINE, as, x->now);
    }
    mock_world_emit(w, MOCK_TAG_REFUND_MODIFIED, as, x->now);
    a = &w->aftersales.v[as];
    mock_server_journal(x->a->srv, "actor", w, x->name,
                        "aftersale %lld: modified, amount %lld fen, "
                        "reason_code %d; status %d -> 6, deadline %lld",
                        (long long)a->aftersale_id, (long long)a->refund_amount,
                        a->reason_code, from, (long long)a->status_deadline);
    write_state(&x->a->w, w, as);
}

/* POST .../actions/buyer.cancel: the buyer withdraws (any open status ->
 * 28). */
static void buyer_cancel(struct act *x)
{
    static const char *const keys[] = {"aftersale_id", NULL};
    if (!only_keys(x, keys))
        return;
    uint32_t as = target(x);
    if (as == MOCK_NONE || !open_or_fail(x, as))
        return;
    int from = x->w->aftersales.v[as].status;
    mock_aftersale_set_status(x->w, as, MOCK_AS_CLOSED, x->now, MOCK_ROLE_BUYER,
                              "cancel", "买家撤销售后申请");
    mock_server_journal(x->a->srv, "actor", x->w, x->name,
                        "aftersale %lld: cancelled by the buyer; status %d -> "
                        "28",
                        (long long)x->w->aftersales.v[as].aftersale_id, from);
    write_state(&x->a->w, x->w, as);
}

/* POST .../actions/buyer.ship_return: the buyer sends the goods back
 * (return in 7 -> 11). */
static void buyer_ship_return(struct act *x)
{
    static const char *const keys[] = {"aftersale_id", "company_code",
                                       "tracking_no", NULL};
    struct mock_world *w = x->w;
    const char *company, *tracking;
    if (!only_keys(x, keys))
        return;
    uint32_t as = target(x);
    if (as == MOCK_NONE ||
        !str_member(x, "company_code", true, LOGISTICS_MAX_BYTES, &company) ||
        !str_member(x, "tracking_no", true, LOGISTICS_MAX_BYTES, &tracking))
        return;
    struct mock_aftersale *a = &w->aftersales.v[as];
    if (a->type != MOCK_AS_TYPE_RETURN) {
        wrong_type(x, as, "only a return (type 0) is shipped back");
        return;
    }
    if (mock_aftersale_is_final(a) || a->status != MOCK_AS_WAIT_BUYER_RETURN) {
        wrong_status(x, as, "7 (待买家退货)");
        return;
    }
    free(a->return_company_code);
    free(a->return_tracking_no);
    a->return_company_code = malloc(strlen(company) + 1);
    a->return_tracking_no = malloc(strlen(tracking) + 1);
    if (!a->return_company_code || !a->return_tracking_no)
        abort();
    memcpy(a->return_company_code, company, strlen(company) + 1);
    memcpy(a->return_tracking_no, tracking, strlen(tracking) + 1);
    a->return_ship_time = x->now;
    const struct mock_company *co = mock_company_find(company);
    char text[256];
    snprintf(text, sizeof text, "买家已退货，物流公司 %s，运单号 %s",
             co ? co->name : company, tracking);
    mock_aftersale_set_status(w, as, MOCK_AS_WAIT_SELLER_RECEIVE, x->now,
                              MOCK_ROLE_BUYER, "return_shipped", text);
    a = &w->aftersales.v[as];
    mock_server_journal(x->a->srv, "actor", w, x->name,
                        "aftersale %lld: return shipped with %s %s; status 7 "
                        "-> 11, deadline %lld",
                        (long long)a->aftersale_id, company, tracking,
                        (long long)a->status_deadline);
    write_state(&x->a->w, w, as);
}

/* True when the return parcel of after-sale `a` was delivered to the
 * merchant: a "return_delivered" record after the last "return_shipped".
 * Kept as a record, so dumps and restores carry it. */
static bool delivered(const struct mock_aftersale *a)
{
    bool d = false;
    for (const struct mock_record *r = a->records; r; r = r->next) {
        if (strcmp(r->action, "return_shipped") == 0)
            d = false;
        else if (strcmp(r->action, "return_delivered") == 0)
            d = true;
    }
    return d;
}

/* POST .../actions/logistics.deliver_return: the return parcel reaches
 * the merchant. No status change: the merchant (or its warehouse, through
 * returnGoodsToWareHouseSuccess or operate 111/112) reacts, or the
 * merchant_receive timer does. */
static void logistics_deliver_return(struct act *x)
{
    static const char *const keys[] = {"aftersale_id", NULL};
    struct mock_world *w = x->w;
    if (!only_keys(x, keys))
        return;
    uint32_t as = target(x);
    if (as == MOCK_NONE)
        return;
    const struct mock_aftersale *a = &w->aftersales.v[as];
    if (a->type != MOCK_AS_TYPE_RETURN) {
        wrong_type(x, as, "only a return (type 0) has a return parcel");
        return;
    }
    if (mock_aftersale_is_final(a) ||
        a->status != MOCK_AS_WAIT_SELLER_RECEIVE) {
        wrong_status(x, as, "11 (待商家二次同意: the buyer shipped it)");
        return;
    }
    if (delivered(a)) {
        fail(x, 409,
             "the return parcel of after-sale %lld was already "
             "delivered",
             (long long)a->aftersale_id);
        return;
    }
    const char *code = a->return_company_code ? a->return_company_code : "";
    const struct mock_company *co = mock_company_find(code);
    char text[256];
    snprintf(text, sizeof text, "退货包裹已签收（%s %s）", co ? co->name : code,
             a->return_tracking_no ? a->return_tracking_no : "");
    mock_aftersale_record(w, as, x->now, MOCK_ROLE_SYSTEM, "return_delivered",
                          text);
    mock_aftersale_touch(w, as, x->now);
    mock_server_journal(x->a->srv, "actor", w, x->name,
                        "aftersale %lld: return parcel %s delivered to the "
                        "merchant; status stays 11",
                        (long long)a->aftersale_id,
                        a->return_tracking_no ? a->return_tracking_no : "");
    write_state(&x->a->w, w, as);
}

/* ================================================================ platform */

/*
 * Whether the platform may still decide after-sale `as`: every open
 * status, and 29 (the merchant refused the returned goods), which is final
 * in the mock's state machine but is exactly what a buyer escalates to
 * customer service and arbitration. A pre-shipment refund refused in 27 is
 * not re-opened: the goods were shipped, and the buyer's way on is a new
 * application (a return or a shipped refund).
 */
static bool platform_may_decide(struct act *x, uint32_t as)
{
    const struct mock_aftersale *a = &x->w->aftersales.v[as];
    if (!mock_aftersale_is_final(a) || a->status == MOCK_AS_SELLER_REFUSED_2)
        return true;
    fail(x, 409,
         "after-sale %lld is final (status %d %s); there is nothing left "
         "to decide",
         (long long)a->aftersale_id, a->status, status_name(a->status));
    return false;
}

/*
 * The platform decides for the buyer: a refund-only (type 1, 2) in 6 or 27
 * is refunded; a return in 6 or 27 is agreed (-> 7); a return in 11 or 29
 * is refunded. `via` is the ledger's static text. Returns false after
 * answering 409 when nothing can be agreed (a return in 7).
 */
static bool agree(struct act *x, uint32_t as, int role, const char *via,
                  const char *what)
{
    struct mock_world *w = x->w;
    struct mock_aftersale *a = &w->aftersales.v[as];
    char text[256];
    bool first = a->status == MOCK_AS_WAIT_SELLER_AGREE ||
                 a->status == MOCK_AS_SELLER_REFUSED;
    bool second = a->type == MOCK_AS_TYPE_RETURN &&
                  (a->status == MOCK_AS_WAIT_SELLER_RECEIVE ||
                   a->status == MOCK_AS_SELLER_REFUSED_2);
    if (!first && !second) {
        wrong_status(x, as,
                     a->type == MOCK_AS_TYPE_RETURN
                         ? "6, 27, 11 or 29 (nothing to agree while the "
                           "buyer has to ship the return)"
                         : "6 or 27");
        return false;
    }
    if (first && a->type == MOCK_AS_TYPE_RETURN) {
        snprintf(text, sizeof text, "%s，同意退货申请", what);
        mock_aftersale_set_status(w, as, MOCK_AS_WAIT_BUYER_RETURN, x->now,
                                  role, "platform_agree_return", text);
        return true;
    }
    /* A decision on 29, which the mock holds as final, re-opens it, so
     * that the final time is the refund's. */
    a->final_time = 0;
    snprintf(text, sizeof text, "%s，同意退款", what);
    mock_aftersale_record(w, as, x->now, role, "platform_agree_refund", text);
    mock_aftersale_refund(w, as, x->now, MOCK_REFUND_BY_NONE, 0, via);
    return true;
}

/* POST .../actions/platform.agree: customer service sides with the
 * buyer. */
static void platform_agree(struct act *x)
{
    static const char *const keys[] = {"aftersale_id", NULL};
    if (!only_keys(x, keys))
        return;
    uint32_t as = target(x);
    if (as == MOCK_NONE || !platform_may_decide(x, as))
        return;
    int from = x->w->aftersales.v[as].status;
    if (!agree(x, as, MOCK_ROLE_SERVICE, "platform:agree", "平台客服介入"))
        return;
    const struct mock_aftersale *a = &x->w->aftersales.v[as];
    mock_server_journal(x->a->srv, "actor", x->w, x->name,
                        "aftersale %lld: customer service agreed; status %d "
                        "-> %d",
                        (long long)a->aftersale_id, from, a->status);
    write_state(&x->a->w, x->w, as);
}

/* Closes after-sale `as` for the platform (-> 28, 207). */
static void close_for_platform(struct act *x, uint32_t as, const char *action,
                               const char *text)
{
    struct mock_aftersale *a = &x->w->aftersales.v[as];
    if (a->status == MOCK_AS_SELLER_REFUSED_2)
        a->final_time = 0; /* the close is the final step now */
    mock_aftersale_set_status(x->w, as, MOCK_AS_CLOSED, x->now,
                              MOCK_ROLE_SERVICE, action, text);
}

/* POST .../actions/platform.refuse: customer service sides with the
 * merchant; the after-sale closes. */
static void platform_refuse(struct act *x)
{
    static const char *const keys[] = {"aftersale_id", NULL};
    if (!only_keys(x, keys))
        return;
    uint32_t as = target(x);
    if (as == MOCK_NONE || !platform_may_decide(x, as))
        return;
    int from = x->w->aftersales.v[as].status;
    close_for_platform(x, as, "platform_refuse",
                       "平台客服驳回售后申请，售后关闭");
    mock_server_journal(x->a->srv, "actor", x->w, x->name,
                        "aftersale %lld: customer service refused; status %d "
                        "-> 28",
                        (long long)x->w->aftersales.v[as].aftersale_id, from);
    write_state(&x->a->w, x->w, as);
}

/* POST .../actions/platform.arbitrate: arbitration's verdict, "buyer"
 * (as platform.agree; arbitrate_status 2) or "seller" (closed;
 * arbitrate_status 3). */
static void platform_arbitrate(struct act *x)
{
    static const char *const keys[] = {"aftersale_id", "result", NULL};
    const char *result;
    if (!only_keys(x, keys))
        return;
    uint32_t as = target(x);
    if (as == MOCK_NONE ||
        !str_member(x, "result", true, LOGISTICS_MAX_BYTES, &result))
        return;
    bool buyer = strcmp(result, "buyer") == 0;
    if (!buyer && strcmp(result, "seller") != 0) {
        fail(x, 400, "result must be \"buyer\" or \"seller\"");
        return;
    }
    if (!platform_may_decide(x, as))
        return;
    int from = x->w->aftersales.v[as].status;
    int old_arb = x->w->aftersales.v[as].arbitrate_status;
    if (buyer) {
        x->w->aftersales.v[as].arbitrate_status = 2; /* 客服同意 */
        if (!agree(x, as, MOCK_ROLE_SERVICE, "platform:arbitrate",
                   "平台仲裁支持买家")) {
            x->w->aftersales.v[as].arbitrate_status = old_arb;
            return;
        }
    } else {
        x->w->aftersales.v[as].arbitrate_status = 3; /* 客服拒绝 */
        close_for_platform(x, as, "arbitrate_seller",
                           "平台仲裁支持商家，售后关闭");
    }
    const struct mock_aftersale *a = &x->w->aftersales.v[as];
    mock_server_journal(x->a->srv, "actor", x->w, x->name,
                        "aftersale %lld: arbitration for the %s; status %d -> "
                        "%d, arbitrate_status %d",
                        (long long)a->aftersale_id, result, from, a->status,
                        a->arbitrate_status);
    write_state(&x->a->w, x->w, as);
}

/* ================================================================ routes */

static const struct {
    const char *name;
    void (*fn)(struct act *x);
} actions[] = {
    {"buyer.apply", buyer_apply},
    {"buyer.modify", buyer_modify},
    {"buyer.cancel", buyer_cancel},
    {"buyer.ship_return", buyer_ship_return},
    {"logistics.deliver_return", logistics_deliver_return},
    {"platform.agree", platform_agree},
    {"platform.refuse", platform_refuse},
    {"platform.arbitrate", platform_arbitrate},
};

#define N_ACTIONS (sizeof actions / sizeof actions[0])

/* POST /_mock/worlds/{K}/actions/{name} */
static void action(struct mock_admin_call *a, const char *name)
{
    size_t i = 0;
    while (i < N_ACTIONS && strcmp(actions[i].name, name) != 0)
        i++;
    if (i == N_ACTIONS) {
        mock_admin_error(a, 404,
                         "no action %s (buyer.apply, buyer.modify, "
                         "buyer.cancel, buyer.ship_return, "
                         "logistics.deliver_return, platform.agree, "
                         "platform.refuse, platform.arbitrate)",
                         name);
        return;
    }
    if (!mock_admin_is(a, "POST")) {
        mock_admin_error(a, 405, "use POST");
        return;
    }
    struct dd_json_doc doc;
    if (a->rq->body_len == 0) {
        mock_admin_error(a, 400, "%s: the body must be a JSON object",
                         actions[i].name);
        return;
    }
    if (!mock_admin_body_json(a, &doc))
        return;
    if (doc.root->type != DD_JSON_OBJECT) {
        mock_admin_error(a, 400, "%s: the body must be a JSON object",
                         actions[i].name);
    } else {
        struct act x = {a, actions[i].name, doc.root, a->world, mock_now()};
        actions[i].fn(&x);
    }
    dd_json_doc_free(&doc);
}

struct pending {
    int64_t deadline, id;
    uint32_t as;
};

static int pending_cmp(const void *p, const void *q)
{
    const struct pending *x = p, *y = q;
    if (x->deadline != y->deadline)
        return x->deadline < y->deadline ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* GET /_mock/worlds/{K}/timers: the pending deadlines of the world's open
 * after-sales, earliest first, computed from the after-sales themselves
 * (not from the heap, which also holds stale timers). */
static void list_timers(struct mock_admin_call *a)
{
    const struct mock_world *w = a->world;
    const char *limit_s = dd_query_get(&a->q, "limit");
    int64_t limit = TIMERS_DEFAULT_LIMIT;
    if (limit_s &&
        (dd_parse_int64(limit_s, strlen(limit_s), &limit) || limit < 0)) {
        mock_admin_error(a, 400, "limit must be a non-negative integer");
        return;
    }
    struct pending *v =
        calloc(w->aftersales.n ? w->aftersales.n : 1, sizeof *v);
    if (!v)
        abort();
    size_t n = 0;
    for (uint32_t i = 0; i < w->aftersales.n; i++) {
        const struct mock_aftersale *x = &w->aftersales.v[i];
        if (timer_kind(x))
            v[n++] = (struct pending){x->status_deadline, x->aftersale_id, i};
    }
    qsort(v, n, sizeof *v, pending_cmp);
    int64_t now_ms = mock_now_ms();
    dd_jw_object_begin(&a->w);
    dd_jw_kint(&a->w, "now", now_ms / 1000);
    dd_jw_kint(&a->w, "time_scale", w->settings.time_scale);
    dd_jw_kint(&a->w, "total", (int64_t)n);
    dd_jw_key(&a->w, "timers");
    dd_jw_array_begin(&a->w);
    for (size_t k = 0; k < n && (limit == 0 || (int64_t)k < limit); k++) {
        const struct mock_aftersale *x = &w->aftersales.v[v[k].as];
        int64_t in = x->status_deadline * 1000 - now_ms;
        dd_jw_object_begin(&a->w);
        dd_jw_kint_str(&a->w, "aftersale_id", x->aftersale_id);
        dd_jw_kint(&a->w, "type", x->type);
        dd_jw_kint(&a->w, "status", x->status);
        dd_jw_kint(&a->w, "status_deadline", x->status_deadline);
        dd_jw_kint(&a->w, "fires_in_ms", in > 0 ? in : 0);
        dd_jw_kstr(&a->w, "timer", timer_kind(x)->method);
        dd_jw_kstr(&a->w, "action", timer_kind(x)->action);
        dd_jw_object_end(&a->w);
    }
    dd_jw_array_end(&a->w);
    dd_jw_object_end(&a->w);
    free(v);
}

/* POST /_mock/worlds/{K}/aftersales/{ID}/fire_timer */
static void fire_timer(struct mock_admin_call *a, const char *id_s)
{
    struct mock_world *w = a->world;
    int64_t id;
    uint32_t as = MOCK_NONE;
    if (dd_parse_int64(id_s, strlen(id_s), &id) == 0)
        as = mock_world_aftersale(w, id);
    if (as == MOCK_NONE) {
        mock_admin_error(a, 404, "fire_timer: no after-sale with id %s", id_s);
        return;
    }
    const struct mock_aftersale *x = &w->aftersales.v[as];
    if (!timer_kind(x)) {
        mock_admin_error(a, 409,
                         "fire_timer: after-sale %lld has no pending "
                         "deadline (status %d %s%s)",
                         (long long)x->aftersale_id, x->status,
                         status_name(x->status),
                         mock_aftersale_is_final(x) ? ", final" : "");
        return;
    }
    const struct timer_kind *k =
        fire(a->srv, w, as, mock_now(), "fired through the admin API");
    dd_jw_object_begin(&a->w);
    dd_jw_kstr(&a->w, "fired", k->method);
    dd_jw_kstr(&a->w, "action", k->action);
    dd_jw_key(&a->w, "aftersale");
    write_state(&a->w, w, as);
    dd_jw_object_end(&a->w);
}

bool mock_admin_actors(struct mock_admin_call *a)
{
    char **seg = a->seg;
    size_t n = a->n;
    if (n < 3 || strcmp(seg[0], "worlds") != 0)
        return false;
    bool is_action = n == 4 && strcmp(seg[2], "actions") == 0;
    bool is_timers = n == 3 && strcmp(seg[2], "timers") == 0;
    bool is_fire = n == 5 && strcmp(seg[2], "aftersales") == 0 &&
                   strcmp(seg[4], "fire_timer") == 0;
    if (!is_action && !is_timers && !is_fire)
        return false;
    if (!a->world) {
        mock_admin_error(a, 404, "no world with app_key %s", seg[1]);
        return true;
    }
    if (is_action) {
        action(a, seg[3]);
    } else if (is_timers) {
        if (mock_admin_is(a, "GET"))
            list_timers(a);
        else
            mock_admin_error(a, 405, "use GET");
    } else if (!mock_admin_is(a, "POST")) {
        mock_admin_error(a, 405, "use POST");
    } else {
        fire_timer(a, seg[3]);
    }
    return true;
}
