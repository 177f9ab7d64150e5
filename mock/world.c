/*
 * world.c: storage, indexes and the platform's state changes of one world
 * (world.h), and the set of worlds keyed by app_key.
 *
 * The two after-sale indexes are arrays of indexes sorted by (time, id).
 * apply_time never changes and new after-sales are applied for "now", so
 * the apply index is appended to (with an insertion when a world file
 * lists them out of order). update_time changes on every state move: the
 * entry is taken out and put back at its new place with memmove, O(n) per
 * change but a few microseconds even at a million after-sales, while every
 * List query stays O(log n) to find its window.
 */
#include "world.h"

#include "messages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("ddmock: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("ddmock: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n + 1);
    return d;
}

/* Grows a MOCK_VEC by one and returns the new element's index. */
#define VEC_PUSH(vec)                                                          \
    ((vec).n == (vec).cap                                                      \
         ? ((vec).cap = (vec).cap ? (vec).cap * 2 : 16,                        \
            (vec).v = xrealloc((vec).v, (vec).cap * sizeof *(vec).v),          \
            (vec).n++)                                                         \
         : (vec).n++)

/* ============================================================== idmap */

#define IDMAP_EMPTY INT64_MIN

void mock_idmap_init(struct mock_idmap *m)
{
    m->keys = NULL;
    m->vals = NULL;
    m->cap = 0;
    m->n = 0;
}

void mock_idmap_free(struct mock_idmap *m)
{
    free(m->keys);
    free(m->vals);
    mock_idmap_init(m);
}

static size_t hash64(int64_t id)
{
    uint64_t x = (uint64_t)id;
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return (size_t)x;
}

uint32_t mock_idmap_get(const struct mock_idmap *m, int64_t id)
{
    if (!m->cap || id == IDMAP_EMPTY)
        return MOCK_NONE;
    size_t mask = m->cap - 1;
    for (size_t i = hash64(id) & mask;; i = (i + 1) & mask) {
        if (m->keys[i] == id)
            return m->vals[i];
        if (m->keys[i] == IDMAP_EMPTY)
            return MOCK_NONE;
    }
}

static void idmap_grow(struct mock_idmap *m)
{
    size_t old_cap = m->cap;
    int64_t *old_keys = m->keys;
    uint32_t *old_vals = m->vals;
    m->cap = old_cap ? old_cap * 2 : 64;
    m->keys = xrealloc(NULL, m->cap * sizeof *m->keys);
    m->vals = xrealloc(NULL, m->cap * sizeof *m->vals);
    for (size_t i = 0; i < m->cap; i++)
        m->keys[i] = IDMAP_EMPTY;
    m->n = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old_keys[i] != IDMAP_EMPTY)
            mock_idmap_put(m, old_keys[i], old_vals[i]);
    free(old_keys);
    free(old_vals);
}

void mock_idmap_put(struct mock_idmap *m, int64_t id, uint32_t val)
{
    if (id == IDMAP_EMPTY)
        abort(); /* not a Doudian id */
    if ((m->n + 1) * 4 > m->cap * 3)
        idmap_grow(m);
    size_t mask = m->cap - 1;
    for (size_t i = hash64(id) & mask;; i = (i + 1) & mask) {
        if (m->keys[i] == id) {
            m->vals[i] = val;
            return;
        }
        if (m->keys[i] == IDMAP_EMPTY) {
            m->keys[i] = id;
            m->vals[i] = val;
            m->n++;
            return;
        }
    }
}

/* ============================================================== world */

/* splitmix64: small, fast, and good enough for ids and tokens. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t mock_world_rand(struct mock_world *w)
{
    return splitmix64(&w->rng);
}

/* Writes `n` lowercase hex digits of random data. */
static void rand_hex(struct mock_world *w, char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 16 == 0)
            r = mock_world_rand(w);
        out[i] = hex[r & 15];
        r >>= 4;
    }
}

/* A uuid-shaped random string (36 chars) into out[37]. */
static void rand_uuid(struct mock_world *w, char *out)
{
    rand_hex(w, out, 36);
    out[8] = out[13] = out[18] = out[23] = '-';
    out[36] = '\0';
}

static bool id_taken(const struct mock_world *w, int64_t id)
{
    return mock_idmap_get(&w->shop_ids, id) != MOCK_NONE ||
           mock_idmap_get(&w->product_ids, id) != MOCK_NONE ||
           mock_idmap_get(&w->sku_ids, id) != MOCK_NONE ||
           mock_idmap_get(&w->order_ids, id) != MOCK_NONE ||
           mock_idmap_get(&w->sku_order_ids, id) != MOCK_NONE ||
           mock_idmap_get(&w->aftersale_ids, id) != MOCK_NONE;
}

int64_t mock_world_new_id(struct mock_world *w)
{
    for (;;) {
        /* 19 digits: 1e18 .. 9.2e18 */
        uint64_t r = mock_world_rand(w) % UINT64_C(8000000000000000000);
        int64_t id = (int64_t)(r + UINT64_C(1000000000000000000));
        if (!id_taken(w, id))
            return id;
    }
}

struct mock_world *mock_world_new(const struct mock_settings *defaults,
                                  uint64_t seed, int64_t now)
{
    struct mock_world *w = xcalloc(1, sizeof *w);
    if (defaults)
        w->settings = *defaults;
    else
        mock_settings_default(&w->settings);
    w->rng = seed ^ UINT64_C(0x6a09e667f3bcc908);
    w->loaded_at = now;
    w->app_type = MOCK_APP_SELF;
    uint64_t r = mock_world_rand(w) % UINT64_C(9000000000000000000);
    snprintf(w->app_key, sizeof w->app_key, "%019llu",
             (unsigned long long)(r + UINT64_C(1000000000000000000)));
    rand_uuid(w, w->app_secret);
    mock_idmap_init(&w->shop_ids);
    mock_idmap_init(&w->product_ids);
    mock_idmap_init(&w->sku_ids);
    mock_idmap_init(&w->order_ids);
    mock_idmap_init(&w->sku_order_ids);
    mock_idmap_init(&w->aftersale_ids);
    return w;
}

void mock_world_free(struct mock_world *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; i < w->shops.n; i++)
        free(w->shops.v[i].name);
    for (uint32_t i = 0; i < w->products.n; i++) {
        free(w->products.v[i].name);
        free(w->products.v[i].image);
    }
    for (uint32_t i = 0; i < w->skus.n; i++) {
        free(w->skus.v[i].spec);
        free(w->skus.v[i].code);
    }
    for (uint32_t i = 0; i < w->orders.n; i++) {
        struct mock_order *o = &w->orders.v[i];
        free(o->company_code);
        free(o->tracking_no);
        free(o->buyer_words);
        free(o->seller_words);
    }
    for (uint32_t i = 0; i < w->aftersales.n; i++) {
        struct mock_aftersale *a = &w->aftersales.v[i];
        free(a->reason_text);
        free(a->return_company_code);
        free(a->return_tracking_no);
        free(a->remark);
        for (struct mock_record *r = a->records, *next; r; r = next) {
            next = r->next;
            free(r->action);
            free(r->text);
            free(r);
        }
    }
    free(w->shops.v);
    free(w->products.v);
    free(w->skus.v);
    free(w->orders.v);
    free(w->sku_orders.v);
    free(w->aftersales.v);
    free(w->tokens.v);
    free(w->auth_codes.v);
    free(w->refunds.v);
    mock_idmap_free(&w->shop_ids);
    mock_idmap_free(&w->product_ids);
    mock_idmap_free(&w->sku_ids);
    mock_idmap_free(&w->order_ids);
    mock_idmap_free(&w->sku_order_ids);
    mock_idmap_free(&w->aftersale_ids);
    free(w->by_update);
    free(w->by_apply);
    free(w->name);
    mock_world_outbox_clear(w);
    free(w->outbox.v);
    free(w->subscription.url);
    free(w);
}

static void index_unique(struct mock_idmap *m, int64_t id, uint32_t idx)
{
    if (mock_idmap_get(m, id) != MOCK_NONE) {
        fprintf(stderr, "ddmock: duplicate id %lld added\n", (long long)id);
        abort();
    }
    mock_idmap_put(m, id, idx);
}

uint32_t mock_world_add_shop(struct mock_world *w, struct mock_shop *x)
{
    uint32_t i = VEC_PUSH(w->shops);
    w->shops.v[i] = *x;
    index_unique(&w->shop_ids, x->shop_id, i);
    return i;
}

uint32_t mock_world_add_product(struct mock_world *w, struct mock_product *x)
{
    uint32_t i = VEC_PUSH(w->products);
    w->products.v[i] = *x;
    index_unique(&w->product_ids, x->product_id, i);
    return i;
}

uint32_t mock_world_add_sku(struct mock_world *w, struct mock_sku *x)
{
    uint32_t i = VEC_PUSH(w->skus);
    w->skus.v[i] = *x;
    index_unique(&w->sku_ids, x->sku_id, i);
    return i;
}

uint32_t mock_world_add_order(struct mock_world *w, struct mock_order *x,
                              struct mock_sku_order *items, uint32_t n)
{
    uint32_t oi = VEC_PUSH(w->orders);
    w->orders.v[oi] = *x;
    w->orders.v[oi].first_sku_order = w->sku_orders.n;
    w->orders.v[oi].n_sku_orders = n;
    index_unique(&w->order_ids, x->order_id, oi);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t si = VEC_PUSH(w->sku_orders);
        w->sku_orders.v[si] = items[k];
        w->sku_orders.v[si].order = oi;
        if (items[k].aftersale == 0 && items[k].sku_order_id != 0)
            w->sku_orders.v[si].aftersale = MOCK_NONE;
        index_unique(&w->sku_order_ids, items[k].sku_order_id, si);
    }
    return oi;
}

/* Compares after-sales a and b by (t(a), id). */
static int cmp_key(int64_t ta, int64_t ida, int64_t tb, int64_t idb)
{
    if (ta != tb)
        return ta < tb ? -1 : 1;
    if (ida != idb)
        return ida < idb ? -1 : 1;
    return 0;
}

/* First position in `idx[0..n)` whose key is >= (t, id) under `field`. */
static uint32_t lower_bound(const struct mock_world *w, const uint32_t *idx,
                            uint32_t n, bool by_update, int64_t t, int64_t id)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct mock_aftersale *a = &w->aftersales.v[idx[mid]];
        int64_t ta = by_update ? a->update_time : a->apply_time;
        if (cmp_key(ta, a->aftersale_id, t, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void index_insert(struct mock_world *w, uint32_t *idx, uint32_t n,
                         bool by_update, uint32_t as)
{
    const struct mock_aftersale *a = &w->aftersales.v[as];
    int64_t t = by_update ? a->update_time : a->apply_time;
    uint32_t pos = n;
    /* Fast path: appending in order (generators, new applications). */
    if (n > 0) {
        const struct mock_aftersale *last = &w->aftersales.v[idx[n - 1]];
        int64_t tl = by_update ? last->update_time : last->apply_time;
        if (cmp_key(tl, last->aftersale_id, t, a->aftersale_id) > 0)
            pos = lower_bound(w, idx, n, by_update, t, a->aftersale_id);
    }
    memmove(idx + pos + 1, idx + pos, (n - pos) * sizeof *idx);
    idx[pos] = as;
}

uint32_t mock_world_add_aftersale(struct mock_world *w,
                                  struct mock_aftersale *x)
{
    uint32_t i = VEC_PUSH(w->aftersales);
    w->aftersales.v[i] = *x;
    index_unique(&w->aftersale_ids, x->aftersale_id, i);
    if (w->aftersales.n > w->index_cap) {
        w->index_cap = w->index_cap ? w->index_cap * 2 : 64;
        w->by_update =
            xrealloc(w->by_update, w->index_cap * sizeof *w->by_update);
        w->by_apply = xrealloc(w->by_apply, w->index_cap * sizeof *w->by_apply);
    }
    index_insert(w, w->by_update, i, true, i);
    index_insert(w, w->by_apply, i, false, i);
    struct mock_sku_order *so = &w->sku_orders.v[x->sku_order];
    if (so->aftersale == MOCK_NONE ||
        w->aftersales.v[so->aftersale].apply_time <= x->apply_time)
        so->aftersale = i;
    return i;
}

uint32_t mock_world_shop(const struct mock_world *w, int64_t id)
{
    return mock_idmap_get(&w->shop_ids, id);
}

uint32_t mock_world_product(const struct mock_world *w, int64_t id)
{
    return mock_idmap_get(&w->product_ids, id);
}

uint32_t mock_world_sku(const struct mock_world *w, int64_t id)
{
    return mock_idmap_get(&w->sku_ids, id);
}

uint32_t mock_world_order(const struct mock_world *w, int64_t id)
{
    return mock_idmap_get(&w->order_ids, id);
}

uint32_t mock_world_sku_order(const struct mock_world *w, int64_t id)
{
    return mock_idmap_get(&w->sku_order_ids, id);
}

uint32_t mock_world_aftersale(const struct mock_world *w, int64_t id)
{
    return mock_idmap_get(&w->aftersale_ids, id);
}

/* ============================================================== state */

void mock_aftersale_touch(struct mock_world *w, uint32_t as, int64_t now)
{
    struct mock_aftersale *a = &w->aftersales.v[as];
    uint32_t n = w->aftersales.n;
    /* Update time never goes backwards, and two changes in the same second
     * still give a new version. */
    int64_t t = now > a->update_time ? now : a->update_time + 1;
    uint32_t pos =
        lower_bound(w, w->by_update, n, true, a->update_time, a->aftersale_id);
    if (pos >= n || w->by_update[pos] != as) {
        fputs("ddmock: update index out of order\n", stderr);
        abort();
    }
    memmove(w->by_update + pos, w->by_update + pos + 1,
            (n - pos - 1) * sizeof *w->by_update);
    a->update_time = t;
    index_insert(w, w->by_update, n - 1, true, as);
}

void mock_aftersale_record(struct mock_world *w, uint32_t as, int64_t now,
                           int role, const char *action, const char *text)
{
    struct mock_aftersale *a = &w->aftersales.v[as];
    struct mock_record *r = xcalloc(1, sizeof *r);
    r->time = now;
    r->role = role;
    r->action = xstrdup(action);
    r->text = xstrdup(text);
    if (a->last_record)
        a->last_record->next = r;
    else
        a->records = r;
    a->last_record = r;
    a->n_records++;
}

bool mock_aftersale_is_final(const struct mock_aftersale *a)
{
    return a->final_time != 0;
}

int64_t mock_aftersale_deadline(const struct mock_world *w,
                                const struct mock_aftersale *a, int64_t now)
{
    const struct mock_settings *s = &w->settings;
    int64_t d;
    if (mock_aftersale_is_final(a))
        return 0;
    switch (a->status) {
    case MOCK_AS_WAIT_SELLER_AGREE:
    case MOCK_AS_SELLER_REFUSED:
        d = s->merchant_response_timeout;
        break;
    case MOCK_AS_WAIT_BUYER_RETURN:
        d = s->buyer_return_timeout;
        break;
    case MOCK_AS_WAIT_SELLER_RECEIVE:
        d = s->merchant_receive_timeout;
        break;
    default:
        return 0;
    }
    int64_t scale = s->time_scale > 0 ? s->time_scale : 1;
    return now + (d + scale - 1) / scale;
}

/* The message a status transition emits (0 = none; see world.h). */
static int transition_tag(const struct mock_aftersale *a, int from, int to)
{
    switch (to) {
    case MOCK_AS_WAIT_BUYER_RETURN:
        return from == MOCK_AS_WAIT_SELLER_AGREE ||
                       from == MOCK_AS_SELLER_REFUSED
                   ? MOCK_TAG_RETURN_APPLY_AGREED
                   : 0;
    case MOCK_AS_WAIT_SELLER_RECEIVE:
        return MOCK_TAG_BUYER_RETURN_GOODS;
    case MOCK_AS_SELLER_REFUSED:
        return a->type == MOCK_AS_TYPE_RETURN ? MOCK_TAG_RETURN_APPLY_REFUSED
                                              : MOCK_TAG_REFUND_REFUSED;
    case MOCK_AS_SELLER_REFUSED_2:
        return MOCK_TAG_REFUND_REFUSED;
    case MOCK_AS_CLOSED:
        return MOCK_TAG_REFUND_CLOSED;
    default:
        return 0; /* 12 is emitted by mock_aftersale_refund */
    }
}

void mock_aftersale_set_status(struct mock_world *w, uint32_t as, int status,
                               int64_t now, int role, const char *action,
                               const char *text)
{
    struct mock_aftersale *a = &w->aftersales.v[as];
    int from = a->status;
    a->status = status;
    bool final = status == MOCK_AS_SUCCESS || status == MOCK_AS_CLOSED ||
                 status == MOCK_AS_SELLER_REFUSED_2 ||
                 (status == MOCK_AS_SELLER_REFUSED &&
                  a->type == MOCK_AS_TYPE_UNSHIPPED_REFUND);
    if (final && !a->final_time)
        a->final_time = now;
    a->status_deadline = mock_aftersale_deadline(w, a, now);
    mock_aftersale_touch(w, as, now);
    mock_aftersale_record(w, as, now, role, action, text);
    int tag = transition_tag(a, from, status);
    if (tag)
        mock_world_emit(w, tag, as, now);
    if (w->aftersales.v[as].status_deadline)
        mock_world_emit(w, MOCK_EVENT_DEADLINE, as, now);
}

void mock_order_refresh(struct mock_world *w, uint32_t oi, int64_t now)
{
    struct mock_order *o = &w->orders.v[oi];
    uint32_t shipped = 0, cancelled = 0, open = 0;
    for (uint32_t k = 0; k < o->n_sku_orders; k++) {
        int st = w->sku_orders.v[o->first_sku_order + k].status;
        if (st == MOCK_SKU_SHIPPED || st == MOCK_SKU_DONE)
            shipped++;
        else if (st == MOCK_SKU_CANCELLED)
            cancelled++;
        else
            open++;
    }
    int status = o->status;
    if (o->status != MOCK_ORDER_DONE) {
        if (cancelled == o->n_sku_orders)
            status = MOCK_ORDER_CANCELLED;
        else if (open == 0)
            status = MOCK_ORDER_SHIPPED;
        else if (shipped > 0)
            status = MOCK_ORDER_PARTLY_SHIPPED;
        else
            status = MOCK_ORDER_PAID;
    }
    o->status = status;
    o->update_time = now > o->update_time ? now : o->update_time;
}

int64_t mock_aftersale_refund(struct mock_world *w, uint32_t as, int64_t now,
                              int refund_type, int audit_bit, const char *via)
{
    struct mock_aftersale *a = &w->aftersales.v[as];
    struct mock_sku_order *so = &w->sku_orders.v[a->sku_order];
    int64_t paid = so->pay_amount + so->post_amount;
    int64_t left = paid - so->refunded;
    int64_t amount = a->refund_amount < left ? a->refund_amount : left;
    if (amount < 0)
        amount = 0;
    so->refunded += amount;
    a->refund_status = MOCK_REFUND_DONE;
    a->refund_type = refund_type;
    a->refund_time = now;
    if (audit_bit > 0 && audit_bit < 32)
        a->auto_audit_bits |= UINT32_C(1) << audit_bit;
    uint32_t ri = VEC_PUSH(w->refunds);
    struct mock_refund *r = &w->refunds.v[ri];
    r->time = now;
    r->aftersale = as;
    r->sku_order = a->sku_order;
    r->amount = amount;
    r->via = via;
    if (a->type == MOCK_AS_TYPE_UNSHIPPED_REFUND &&
        so->status == MOCK_SKU_UNSHIPPED) {
        so->status = MOCK_SKU_CANCELLED;
        mock_order_refresh(w, so->order, now);
    }
    mock_aftersale_set_status(
        w, as, MOCK_AS_SUCCESS, now, MOCK_ROLE_SYSTEM, "refund",
        refund_type == MOCK_REFUND_BY_ASSISTANT ? "售后小助手自动退款成功"
                                                : "平台退款成功");
    mock_world_emit(w, MOCK_TAG_REFUND_AGREED, as, now);
    mock_world_emit(w, MOCK_TAG_REFUND_SUCCESS, as, now);
    return amount;
}

uint32_t mock_sku_order_open_refund(const struct mock_world *w, uint32_t so)
{
    uint32_t as = w->sku_orders.v[so].aftersale;
    if (as == MOCK_NONE)
        return MOCK_NONE;
    const struct mock_aftersale *a = &w->aftersales.v[as];
    if (a->type != MOCK_AS_TYPE_UNSHIPPED_REFUND || mock_aftersale_is_final(a))
        return MOCK_NONE;
    return as;
}

/* ============================================================== events */

void mock_world_emit(struct mock_world *w, int tag, uint32_t as, int64_t now)
{
    uint32_t i = VEC_PUSH(w->outbox);
    struct mock_event *e = &w->outbox.v[i];
    e->tag = tag;
    e->aftersale = as;
    e->time = now;
    e->data = NULL;
    if (tag >= 200) {
        struct dd_buf b;
        dd_buf_init(&b, 0);
        mock_message_data(w, tag, as, now, &b);
        e->data = dd_buf_steal(&b);
    }
}

void mock_world_outbox_clear(struct mock_world *w)
{
    for (uint32_t i = 0; i < w->outbox.n; i++)
        free(w->outbox.v[i].data);
    w->outbox.n = 0;
}

/* ============================================================== tokens */

uint32_t mock_token_issue(struct mock_world *w, uint32_t shop, int64_t now)
{
    uint32_t i = VEC_PUSH(w->tokens);
    struct mock_token *t = &w->tokens.v[i];
    memset(t, 0, sizeof *t);
    rand_uuid(w, t->access_token);
    rand_uuid(w, t->refresh_token);
    int64_t scale = w->settings.time_scale > 0 ? w->settings.time_scale : 1;
    t->shop = shop;
    t->access_expires = now + w->settings.access_token_ttl / scale;
    t->refresh_expires = now + w->settings.refresh_token_ttl / scale;
    return i;
}

uint32_t mock_token_by_access(const struct mock_world *w, const char *s)
{
    for (uint32_t i = w->tokens.n; i-- > 0;)
        if (strcmp(w->tokens.v[i].access_token, s) == 0)
            return i;
    return MOCK_NONE;
}

uint32_t mock_token_by_refresh(const struct mock_world *w, const char *s)
{
    for (uint32_t i = w->tokens.n; i-- > 0;)
        if (strcmp(w->tokens.v[i].refresh_token, s) == 0)
            return i;
    return MOCK_NONE;
}

uint32_t mock_auth_code_issue(struct mock_world *w, uint32_t shop, int64_t now)
{
    uint32_t i = VEC_PUSH(w->auth_codes);
    struct mock_auth_code *c = &w->auth_codes.v[i];
    memset(c, 0, sizeof *c);
    rand_uuid(w, c->code);
    c->shop = shop;
    /* Authorization-code validity is not scaled (harness.md "Time"). */
    c->expires = now + w->settings.auth_code_ttl;
    return i;
}

/* ============================================================== worlds */

void mock_worlds_init(struct mock_worlds *ws)
{
    ws->v = NULL;
    ws->n = 0;
    ws->cap = 0;
}

void mock_worlds_free(struct mock_worlds *ws)
{
    for (size_t i = 0; i < ws->n; i++)
        mock_world_free(ws->v[i]);
    free(ws->v);
    mock_worlds_init(ws);
}

int mock_worlds_add(struct mock_worlds *ws, struct mock_world *w)
{
    if (mock_worlds_get(ws, w->app_key))
        return -1;
    /* Serials are unique in the process, across resets, so that a timer of
     * a deleted world can never reach a new one. */
    static uint64_t serials;
    w->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
    for (uint32_t i = 0; i < w->aftersales.n; i++)
        if (w->aftersales.v[i].status_deadline &&
            !mock_aftersale_is_final(&w->aftersales.v[i]))
            mock_world_emit(w, MOCK_EVENT_DEADLINE, i,
                            w->aftersales.v[i].update_time);
    if (ws->n == ws->cap) {
        ws->cap = ws->cap ? ws->cap * 2 : 8;
        ws->v = xrealloc(ws->v, ws->cap * sizeof *ws->v);
    }
    ws->v[ws->n++] = w;
    return 0;
}

struct mock_world *mock_worlds_get(const struct mock_worlds *ws,
                                   const char *app_key)
{
    for (size_t i = 0; i < ws->n; i++)
        if (strcmp(ws->v[i]->app_key, app_key) == 0)
            return ws->v[i];
    return NULL;
}

struct mock_world *mock_worlds_by_serial(const struct mock_worlds *ws,
                                         uint64_t serial)
{
    for (size_t i = 0; i < ws->n; i++)
        if (ws->v[i]->serial == serial)
            return ws->v[i];
    return NULL;
}

int mock_worlds_remove(struct mock_worlds *ws, const char *app_key)
{
    for (size_t i = 0; i < ws->n; i++) {
        if (strcmp(ws->v[i]->app_key, app_key) == 0) {
            mock_world_free(ws->v[i]);
            memmove(ws->v + i, ws->v + i + 1, (ws->n - i - 1) * sizeof *ws->v);
            ws->n--;
            return 0;
        }
    }
    return -1;
}
