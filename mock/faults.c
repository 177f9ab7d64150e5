/*
 * faults.c: the fault registry of faults.h, its admin API and the token
 * faults (issue "ddmock platform behaviour", items 4 and 5; the errors
 * answered are the rows of doudian-open-api.md §3 in proto/dd_errtab.def,
 * the rate-limit envelope §6; the page drift is the hazard §4.1 warns of
 * for afterSale.List polling).
 *
 * Faults are kept in one array in arming order, each tagged with its
 * world's serial; a call or a message looks at the faults of its world
 * only. Every fault owns a splitmix64 stream seeded from the server seed,
 * a hash of the world's app_key and the fault's id (app_key rather than
 * the world's serial, which counts worlds process-wide and so differs
 * between two servers of one process), and draws from it exactly once per
 * event its filters match, whatever the other faults do: the same seed,
 * world and calls give the same firings. The rules, in words, and the
 * admin calls with curl examples are in mock/README.md "Fault injection".
 *
 * Everything here runs on the event-loop thread that owns the worlds.
 */
#include "faults.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "api.h"
#include "dd_params.h"
#include "server.h"

/* Bounds of what one world may arm, and of the kind parameters. */
#define FAULTS_PER_WORLD_MAX 256
#define COUNTERS_MAX         64
#define DELAY_MAX_MS         600000 /* 10 minutes */
#define WINDOW_MAX_MS        86400000
#define TRUNCATE_MAX         (1 << 30)
#define COPIES_MAX           10
#define BIG_MAX              1000000000 /* count, limit */
#define LIST_METHOD          "afterSale.List"

/* ================================================================ kinds */

enum kind {
    K_API_ERROR,
    K_API_LATENCY,
    K_API_RESET,
    K_API_TRUNCATE,
    K_RATE_LIMIT,
    K_LIST_DRIFT,
    K_PUSH_DROP,
    K_PUSH_DUPLICATE,
    K_PUSH_REORDER,
    K_PUSH_DELAY,
    K_PUSH_BAD_SIGN,
    K_PUSH_BAD_APP_ID,
    K_PUSH_BAD_DATA,
    K_COUNT
};

#define P_API                                                                  \
    (MOCK_FAULT_P_KIND | MOCK_FAULT_P_METHOD | MOCK_FAULT_P_COUNT |            \
     MOCK_FAULT_P_PROB)
#define P_PUSH                                                                 \
    (MOCK_FAULT_P_KIND | MOCK_FAULT_P_TAG | MOCK_FAULT_P_COUNT |               \
     MOCK_FAULT_P_PROB)

_Static_assert(K_COUNT == MOCK_FAULT_N_KINDS,
               "one row of mock_fault_kinds a kind");

/* A kind accepts the members `allowed`, and must have `required`. */
const struct mock_fault_kind mock_fault_kinds[MOCK_FAULT_N_KINDS] = {
    [K_API_ERROR] = {"api_error", false, P_API | MOCK_FAULT_P_SUB,
                     MOCK_FAULT_P_SUB},
    [K_API_LATENCY] = {"api_latency", false, P_API | MOCK_FAULT_P_DELAY,
                       MOCK_FAULT_P_DELAY},
    [K_API_RESET] = {"api_reset", false, P_API, 0},
    [K_API_TRUNCATE] = {"api_truncate", false, P_API | MOCK_FAULT_P_TRUNC,
                        MOCK_FAULT_P_TRUNC},
    [K_RATE_LIMIT] = {"rate_limit", false,
                      P_API | MOCK_FAULT_P_LIMIT | MOCK_FAULT_P_WINDOW,
                      MOCK_FAULT_P_LIMIT | MOCK_FAULT_P_WINDOW},
    [K_LIST_DRIFT] = {"list_drift", false, P_API | MOCK_FAULT_P_DRIFT, 0},
    [K_PUSH_DROP] = {"push_drop", true, P_PUSH, 0},
    [K_PUSH_DUPLICATE] = {"push_duplicate", true, P_PUSH | MOCK_FAULT_P_COPIES,
                          0},
    [K_PUSH_REORDER] = {"push_reorder", true, P_PUSH, 0},
    [K_PUSH_DELAY] = {"push_delay", true, P_PUSH | MOCK_FAULT_P_DELAY,
                      MOCK_FAULT_P_DELAY},
    [K_PUSH_BAD_SIGN] = {"push_bad_sign", true, P_PUSH, 0},
    [K_PUSH_BAD_APP_ID] = {"push_bad_app_id", true, P_PUSH, 0},
    [K_PUSH_BAD_DATA] = {"push_bad_data", true, P_PUSH, 0},
};

const struct mock_fault_member mock_fault_members[MOCK_FAULT_N_MEMBERS] = {
    {"kind", MOCK_FAULT_P_KIND},        {"method", MOCK_FAULT_P_METHOD},
    {"tag", MOCK_FAULT_P_TAG},          {"count", MOCK_FAULT_P_COUNT},
    {"probability", MOCK_FAULT_P_PROB}, {"sub_code", MOCK_FAULT_P_SUB},
    {"delay_ms", MOCK_FAULT_P_DELAY},   {"truncate_to", MOCK_FAULT_P_TRUNC},
    {"limit", MOCK_FAULT_P_LIMIT},      {"window_ms", MOCK_FAULT_P_WINDOW},
    {"drift", MOCK_FAULT_P_DRIFT},      {"copies", MOCK_FAULT_P_COPIES},
};

/* What list_drift does to the world (bits). */
enum { DRIFT_TOUCH = 1, DRIFT_INSERT = 2 };

/* ================================================================ registry */

/* A rate limit's fixed window for one method. */
struct counter {
    char method[DD_METHOD_MAX];
    int64_t start_ms; /* when the current window opened */
    int64_t calls;    /* calls let through in it */
};

struct fault {
    uint64_t id;
    uint64_t serial; /* the world's */
    enum kind kind;
    char method[DD_METHOD_MAX]; /* "" = every method */
    int64_t tag;                /* -1 = every tag */
    int64_t count;              /* 0 = no limit */
    double probability;         /* 0 = fire on every match */
    char prob_text[32];         /* as armed, for the listing */
    char sub_code[64];
    int64_t delay_ms, truncate_to, limit, window_ms, copies;
    int drift;
    uint64_t rng; /* splitmix64 state */
    uint64_t seen, firings;
    struct counter *ctr;
    size_t n_ctr;
};

struct mock_faults {
    struct fault *v;
    size_t n, cap;
    uint64_t next_id;
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("ddmock: out of memory\n", stderr);
        abort();
    }
    return p;
}

struct mock_faults *mock_faults_new(void)
{
    struct mock_faults *f = xrealloc(NULL, sizeof *f);
    memset(f, 0, sizeof *f);
    f->next_id = 1;
    return f;
}

void mock_faults_free(struct mock_faults *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->v[i].ctr);
    free(f->v);
    free(f);
}

/* Removes faults[i], keeping arming order. */
static void remove_at(struct mock_faults *f, size_t i)
{
    free(f->v[i].ctr);
    memmove(f->v + i, f->v + i + 1, (f->n - i - 1) * sizeof *f->v);
    f->n--;
}

void mock_faults_world_removed(struct mock_faults *f, uint64_t serial)
{
    if (!f)
        return;
    for (size_t i = f->n; i-- > 0;)
        if (f->v[i].serial == serial)
            remove_at(f, i);
}

/* splitmix64: the next number of a stream. */
static uint64_t next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* FNV-1a of a string. */
static uint64_t hash(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
    return h;
}

/*
 * Called for each event (call, message) that matches the fault's filters:
 * draws from the fault's stream when it has a probability, and says
 * whether the fault fires. A spent fault (count reached) never fires and
 * no longer draws. The caller counts the firing (fired()) only when its
 * effect applies.
 */
static bool decide(struct fault *x)
{
    x->seen++;
    if (x->count && x->firings >= (uint64_t)x->count)
        return false;
    if (x->probability > 0) {
        double u = (double)(next(&x->rng) >> 11) * 0x1.0p-53; /* [0, 1) */
        if (u >= x->probability)
            return false;
    }
    return true;
}

static void fired(struct mock_server *s, const struct mock_world *w,
                  struct fault *x, const char *on, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Counts a firing and journals it: "fault #ID fired on ON (firing N)",
 * then the detail. */
static void fired(struct mock_server *s, const struct mock_world *w,
                  struct fault *x, const char *on, const char *fmt, ...)
{
    x->firings++;
    char detail[512] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
    }
    char method[64];
    snprintf(method, sizeof method, "fault.%s", mock_fault_kinds[x->kind].name);
    mock_server_journal(
        s, "fault", w, method, "fault #%llu fired on %s (firing %llu)%s%s",
        (unsigned long long)x->id, on, (unsigned long long)x->firings,
        detail[0] ? ": " : "", detail);
}

/* ================================================================ API */

/* The 60000 row a rate limit answers for `method`: the API's own
 * isp.traffic-limited row when the table has one, else the platform's
 * isv.traffic-limited (§3.3, §6). */
static const struct dd_api_error *limit_row(const char *method)
{
    size_t n;
    const struct dd_api_error *t = dd_errtab_all(&n);
    for (size_t i = 0; i < n; i++)
        if (t[i].method && t[i].code == 60000 &&
            strcmp(t[i].method, method) == 0 &&
            strncmp(t[i].sub_code, "isp.traffic-limited", 19) == 0)
            return &t[i];
    return dd_errtab_must(NULL, "isv.traffic-limited");
}

/* The fixed window of a rate limit for one method (a new one when there is
 * room; NULL past COUNTERS_MAX methods, which are then not limited). */
static struct counter *counter(struct fault *x, const char *method)
{
    for (size_t i = 0; i < x->n_ctr; i++)
        if (strcmp(x->ctr[i].method, method) == 0)
            return &x->ctr[i];
    if (x->n_ctr == COUNTERS_MAX)
        return NULL;
    x->ctr = xrealloc(x->ctr, (x->n_ctr + 1) * sizeof *x->ctr);
    struct counter *c = &x->ctr[x->n_ctr++];
    memset(c, 0, sizeof *c);
    snprintf(c->method, sizeof c->method, "%s", method);
    c->start_ms = INT64_MIN;
    return c;
}

/* Counts a call against a rate limit; true when it is over the limit. */
static bool over_limit(struct fault *x, const char *method, int64_t now_ms)
{
    struct counter *c = counter(x, method);
    if (!c)
        return false;
    if (c->start_ms == INT64_MIN || now_ms - c->start_ms >= x->window_ms ||
        now_ms < c->start_ms) {
        c->start_ms = now_ms;
        c->calls = 0;
    }
    if (c->calls < x->limit) {
        c->calls++;
        return false;
    }
    return true;
}

/*
 * Runs afterSale.List for page `page` of the query `params` (every other
 * parameter as the ERP sent it) and appends its `data` to out. Returns
 * true when the handler answered without an error. It shows that page as
 * the world is now, which is what the ERP saw unless something changed it
 * since.
 */
static bool list_page(struct mock_world *w, const struct dd_json *params,
                      uint32_t shop, int64_t page, int64_t now,
                      struct dd_buf *out)
{
    const struct mock_api *api = mock_api_find(LIST_METHOD);
    if (!api)
        return false;
    size_t n = params->type == DD_JSON_OBJECT ? params->n : 0;
    struct dd_json *kids = xrealloc(NULL, (n + 1) * sizeof *kids);
    if (n)
        memcpy(kids, params->kids, n * sizeof *kids);
    char num[24];
    memset(&kids[n], 0, sizeof kids[n]);
    kids[n].type = DD_JSON_NUMBER;
    kids[n].len = dd_int64_to_str(page, num);
    kids[n].text = num;
    kids[n].key = "page"; /* readers take the last of repeated keys */
    kids[n].key_len = 4;
    struct dd_json obj;
    memset(&obj, 0, sizeof obj);
    obj.type = DD_JSON_OBJECT;
    obj.kids = kids;
    obj.n = n + 1;
    struct dd_jw jw;
    dd_jw_init(&jw, out);
    struct mock_call c;
    memset(&c, 0, sizeof c);
    c.world = w;
    c.method = api->method;
    c.params = &obj;
    c.token = MOCK_NONE;
    c.shop = shop;
    c.now = now;
    c.data = &jw;
    api->fn(&c);
    free(kids);
    return !c.error && !dd_jw_error(&jw) && out->len;
}

/* Drift (a): touches one after-sale of the page before `page` (else of
 * page 0) of this query. Returns its index or MOCK_NONE. */
static uint32_t drift_touch(struct fault *x, struct mock_world *w,
                            const struct dd_json *params, uint32_t shop,
                            int64_t page, int64_t now, int64_t *old_update)
{
    uint32_t as = MOCK_NONE;
    int64_t tries[2] = {page - 1, 0};
    for (int t = 0; t < 2 && as == MOCK_NONE; t++) {
        if (t == 1 && tries[1] == tries[0])
            break;
        struct dd_buf b;
        dd_buf_init(&b, 0);
        struct dd_json_doc doc = {0};
        if (list_page(w, params, shop, tries[t], now, &b) &&
            dd_json_parse(b.data, b.len, NULL, &doc, NULL) == 0) {
            const struct dd_json *items = dd_json_get(doc.root, "items");
            if (items && items->type == DD_JSON_ARRAY && items->n) {
                size_t k = (size_t)(next(&x->rng) % items->n);
                const struct dd_json *info =
                    dd_json_get(&items->kids[k], "aftersale_info");
                int64_t id;
                if (dd_json_int64(dd_json_get(info, "aftersale_id"), &id) == 0)
                    as = mock_world_aftersale(w, id);
            }
        }
        dd_json_doc_free(&doc);
        dd_buf_free(&b);
    }
    if (as != MOCK_NONE) {
        *old_update = w->aftersales.v[as].update_time;
        mock_aftersale_touch(w, as, now);
    }
    return as;
}

/* A SKU line that can take a new after-sale: of the call's shop, not
 * cancelled, not wholly refunded, without an open after-sale. */
static bool can_apply(const struct mock_world *w, uint32_t shop, uint32_t so)
{
    const struct mock_sku_order *l = &w->sku_orders.v[so];
    const struct mock_order *o = &w->orders.v[l->order];
    if (shop != MOCK_NONE && o->shop != shop)
        return false;
    if (o->status == MOCK_ORDER_CANCELLED || l->status == MOCK_SKU_CANCELLED ||
        l->refunded >= l->pay_amount)
        return false;
    return l->aftersale == MOCK_NONE ||
           mock_aftersale_is_final(&w->aftersales.v[l->aftersale]);
}

/* Drift (b): a buyer applies for a refund now on a line chosen by the
 * fault's stream (status 6; type 2 before shipping, else 1); message 200
 * and the deadline go to the outbox. Returns its index or MOCK_NONE. */
static uint32_t drift_insert(struct fault *x, struct mock_world *w,
                             uint32_t shop, int64_t now)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->sku_orders.n; i++)
        n += can_apply(w, shop, i);
    if (n == 0)
        return MOCK_NONE;
    uint32_t k = (uint32_t)(next(&x->rng) % n), so = 0;
    for (uint32_t i = 0; i < w->sku_orders.n; i++)
        if (can_apply(w, shop, i) && k-- == 0) {
            so = i;
            break;
        }
    const struct mock_sku_order *l = &w->sku_orders.v[so];
    struct mock_aftersale a;
    memset(&a, 0, sizeof a);
    a.aftersale_id = mock_world_new_id(w);
    a.order = l->order;
    a.sku_order = so;
    a.status = MOCK_AS_WAIT_SELLER_AGREE;
    a.refund_status = MOCK_REFUND_PENDING;
    a.refund_type = MOCK_REFUND_BY_NONE;
    a.quantity = l->quantity;
    a.apply_role = MOCK_ROLE_BUYER;
    a.refund_amount = l->pay_amount - l->refunded;
    if (l->status == MOCK_SKU_UNSHIPPED) {
        a.type = MOCK_AS_TYPE_UNSHIPPED_REFUND;
        a.reason_code = 1; /* 多拍/错拍/不想要 */
        if (l->refunded == 0) {
            a.refund_amount += l->post_amount;
            a.refund_post_amount = l->post_amount;
        }
    } else {
        a.type = MOCK_AS_TYPE_SHIPPED_REFUND;
        a.reason_code = 13; /* 协商一致退款 */
    }
    a.apply_time = now;
    a.update_time = now;
    a.status_deadline = mock_aftersale_deadline(w, &a, now);
    uint32_t as = mock_world_add_aftersale(w, &a);
    mock_aftersale_record(w, as, now, MOCK_ROLE_BUYER, "apply",
                          "买家发起售后申请");
    mock_world_emit(w, MOCK_TAG_REFUND_CREATED, as, now);
    mock_world_emit(w, MOCK_EVENT_DEADLINE, as, now);
    return as;
}

/* Applies a list_drift firing and journals what it did. */
static void drift(struct mock_server *s, struct mock_world *w, struct fault *x,
                  const struct dd_json *params, uint32_t shop, int64_t page,
                  int64_t now)
{
    char touched[128] = "", inserted[128] = "";
    if (x->drift & DRIFT_TOUCH) {
        int64_t old = 0;
        uint32_t as = drift_touch(x, w, params, shop, page, now, &old);
        if (as != MOCK_NONE)
            snprintf(touched, sizeof touched,
                     "after-sale %lld of an earlier page touched "
                     "(update_time %lld -> %lld)",
                     (long long)w->aftersales.v[as].aftersale_id,
                     (long long)old,
                     (long long)w->aftersales.v[as].update_time);
        else
            snprintf(touched, sizeof touched,
                     "no after-sale on an earlier page to touch");
    }
    if (x->drift & DRIFT_INSERT) {
        uint32_t as = drift_insert(x, w, shop, now);
        if (as != MOCK_NONE)
            snprintf(inserted, sizeof inserted,
                     "new after-sale %lld applied for on SKU order %lld",
                     (long long)w->aftersales.v[as].aftersale_id,
                     (long long)w->sku_orders.v[w->aftersales.v[as].sku_order]
                         .sku_order_id);
        else
            snprintf(inserted, sizeof inserted,
                     "no SKU line free for a new after-sale");
    }
    char on[64];
    snprintf(on, sizeof on, "%s page %lld", LIST_METHOD, (long long)page);
    fired(s, w, x, on, "%s%s%s", touched, touched[0] && inserted[0] ? "; " : "",
          inserted);
}

/* The page an afterSale.List call asks for, or -1. */
static int64_t list_page_of(const struct dd_json *params)
{
    int64_t page;
    if (dd_json_int64(dd_json_get(params, "page"), &page) || page < 0)
        return -1;
    return page;
}

void mock_faults_api(struct mock_server *s, struct mock_world *w,
                     const char *method, const struct dd_json *params,
                     uint32_t shop, int64_t now_ms, struct mock_api_fault *out)
{
    struct mock_faults *f = s->faults;
    if (!f || f->n == 0)
        return;
    /* Pass 1: rate limits count every call, whatever the other faults do.
     * Pass 2: errors, latency, reset, truncation. Pass 3: page drift,
     * only when the call is going to reach its handler. */
    for (int pass = 1; pass <= 3; pass++) {
        for (size_t i = 0; i < f->n; i++) {
            struct fault *x = &f->v[i];
            if (x->serial != w->serial || mock_fault_kinds[x->kind].push ||
                (x->method[0] && strcmp(x->method, method) != 0))
                continue;
            bool limit = x->kind == K_RATE_LIMIT;
            bool drift_kind = x->kind == K_LIST_DRIFT;
            if ((pass == 1) != limit || (pass == 3) != drift_kind)
                continue;
            switch (x->kind) {
            case K_RATE_LIMIT:
                if (!over_limit(x, method, now_ms)) {
                    x->seen++; /* counted; only a refusal draws */
                    break;
                }
                if (decide(x) && !out->error) {
                    out->error = limit_row(method);
                    out->fault_id = x->id;
                    fired(s, w, x, method, "%lld calls per %lld ms: %d %s",
                          (long long)x->limit, (long long)x->window_ms,
                          out->error->code, out->error->sub_code);
                }
                break;
            case K_API_ERROR:
                if (decide(x) && !out->error) {
                    out->error = dd_errtab_find(method, x->sub_code);
                    if (!out->error) /* checked when armed */
                        out->error = dd_errtab_must(NULL, "dop.service-error");
                    out->fault_id = x->id;
                    fired(s, w, x, method, "%d %s", out->error->code,
                          out->error->sub_code);
                }
                break;
            case K_API_LATENCY:
                if (decide(x)) {
                    out->delay_ms += x->delay_ms;
                    fired(s, w, x, method, "answer delayed %lld ms",
                          (long long)x->delay_ms);
                }
                break;
            case K_API_RESET:
                if (decide(x) && !out->reset) {
                    out->reset = true;
                    fired(s, w, x, method, "connection reset, no answer");
                }
                break;
            case K_API_TRUNCATE:
                if (decide(x) && !out->reset && out->truncate_to < 0) {
                    out->truncate_to = x->truncate_to;
                    fired(s, w, x, method, "body cut after %lld bytes",
                          (long long)x->truncate_to);
                }
                break;
            case K_LIST_DRIFT: {
                int64_t page = list_page_of(params);
                if (strcmp(method, LIST_METHOD) != 0 || page <= 0)
                    break;
                if (decide(x) && !out->error && !out->reset)
                    drift(s, w, x, params, shop, page, now_ms / 1000);
                break;
            }
            default:
                break;
            }
        }
    }
}

/* ================================================================ push */

void mock_faults_push(struct mock_server *s, struct mock_world *w, int tag,
                      int64_t now_ms, struct mock_push_fault *out)
{
    (void)now_ms;
    memset(out, 0, sizeof *out);
    struct mock_faults *f = s->faults;
    if (!f)
        return;
    char on[32];
    snprintf(on, sizeof on, "tag %d message", tag);
    for (size_t i = 0; i < f->n; i++) {
        struct fault *x = &f->v[i];
        if (x->serial != w->serial || !mock_fault_kinds[x->kind].push ||
            (x->tag >= 0 && x->tag != tag))
            continue;
        /* Every matching fault draws; a dropped message takes no other
         * fault. */
        if (!decide(x) || out->drop)
            continue;
        switch (x->kind) {
        case K_PUSH_DROP:
            out->drop = true;
            fired(s, w, x, on, "dropped");
            break;
        case K_PUSH_DUPLICATE:
            out->duplicate += (unsigned)x->copies;
            fired(s, w, x, on, "%lld extra cop%s", (long long)x->copies,
                  x->copies == 1 ? "y" : "ies");
            break;
        case K_PUSH_REORDER:
            out->reorder = true;
            fired(s, w, x, on, "held back behind the next message");
            break;
        case K_PUSH_DELAY:
            out->delay_ms += x->delay_ms;
            fired(s, w, x, on, "delayed %lld ms", (long long)x->delay_ms);
            break;
        case K_PUSH_BAD_SIGN:
            out->bad_sign = true;
            fired(s, w, x, on, "event-sign corrupted");
            break;
        case K_PUSH_BAD_APP_ID:
            out->bad_app_id = true;
            fired(s, w, x, on, "wrong app-id header");
            break;
        case K_PUSH_BAD_DATA:
            out->bad_data = true;
            fired(s, w, x, on, "malformed data");
            break;
        default:
            break;
        }
    }
}

/* ================================================================ admin */

/* Reads an integer member into *out within [lo, hi]; answers 400 and
 * returns false otherwise. */
static bool int_in(struct mock_admin_call *a, const struct dd_json *v,
                   const char *name, int64_t lo, int64_t hi, int64_t *out)
{
    if (dd_json_int64(v, out) || *out < lo || *out > hi) {
        mock_admin_error(
            a, 400, "request:%u:%u: %s must be an integer %lld..%lld",
            v->pos.line, v->pos.col, name, (long long)lo, (long long)hi);
        return false;
    }
    return true;
}

/* A string member of at most cap - 1 bytes without NUL. */
static bool str_in(struct mock_admin_call *a, const struct dd_json *v,
                   const char *name, char *out, size_t cap)
{
    if (v->type != DD_JSON_STRING || v->len == 0 || v->len >= cap ||
        memchr(v->text, '\0', v->len)) {
        mock_admin_error(a, 400,
                         "request:%u:%u: %s must be a non-empty string of at "
                         "most %zu bytes",
                         v->pos.line, v->pos.col, name, cap - 1);
        return false;
    }
    memcpy(out, v->text, v->len + 1);
    return true;
}

/* Answers 400 for a member nobody reads; the key is quoted only when it
 * is short (a cut could split a UTF-8 character) and has no NUL. */
static void unknown_member(struct mock_admin_call *a, const struct dd_json *v)
{
    if (v->key_len <= 64 && !memchr(v->key, '\0', v->key_len))
        mock_admin_error(a, 400, "request:%u:%u: unknown member \"%s\"",
                         v->key_pos.line, v->key_pos.col, v->key);
    else
        mock_admin_error(a, 400, "request:%u:%u: unknown member",
                         v->key_pos.line, v->key_pos.col);
}

/* Reads one member of an arming body into x. */
static bool read_member(struct mock_admin_call *a, const struct dd_json *v,
                        unsigned bit, struct fault *x)
{
    switch (bit) {
    case MOCK_FAULT_P_METHOD:
        if (!str_in(a, v, "method", x->method, sizeof x->method))
            return false;
        if (!mock_api_find(x->method)) {
            mock_admin_error(a, 400,
                             "request:%u:%u: method %s is not an API of the "
                             "mock",
                             v->pos.line, v->pos.col, x->method);
            return false;
        }
        if (x->kind == K_LIST_DRIFT && strcmp(x->method, LIST_METHOD) != 0) {
            mock_admin_error(a, 400,
                             "request:%u:%u: list_drift applies to %s only",
                             v->pos.line, v->pos.col, LIST_METHOD);
            return false;
        }
        return true;
    case MOCK_FAULT_P_TAG:
        return int_in(a, v, "tag", 0, 65535, &x->tag);
    case MOCK_FAULT_P_COUNT:
        return int_in(a, v, "count", 1, BIG_MAX, &x->count);
    case MOCK_FAULT_P_PROB: {
        char *end = NULL;
        double p = 0;
        if (v->type == DD_JSON_NUMBER && v->len < sizeof x->prob_text)
            p = strtod(v->text, &end);
        if (!end || *end || !(p > 0 && p <= 1)) {
            mock_admin_error(a, 400,
                             "request:%u:%u: probability must be a number "
                             "with 0 < p <= 1",
                             v->pos.line, v->pos.col);
            return false;
        }
        x->probability = p;
        memcpy(x->prob_text, v->text, v->len + 1);
        return true;
    }
    case MOCK_FAULT_P_SUB:
        return str_in(a, v, "sub_code", x->sub_code, sizeof x->sub_code);
    case MOCK_FAULT_P_DELAY:
        return int_in(a, v, "delay_ms", 1, DELAY_MAX_MS, &x->delay_ms);
    case MOCK_FAULT_P_TRUNC:
        return int_in(a, v, "truncate_to", 0, TRUNCATE_MAX, &x->truncate_to);
    case MOCK_FAULT_P_LIMIT:
        return int_in(a, v, "limit", 1, BIG_MAX, &x->limit);
    case MOCK_FAULT_P_WINDOW:
        return int_in(a, v, "window_ms", 1, WINDOW_MAX_MS, &x->window_ms);
    case MOCK_FAULT_P_COPIES:
        return int_in(a, v, "copies", 1, COPIES_MAX, &x->copies);
    case MOCK_FAULT_P_DRIFT:
        if (v->type == DD_JSON_STRING && strcmp(v->text, "touch") == 0)
            x->drift = DRIFT_TOUCH;
        else if (v->type == DD_JSON_STRING && strcmp(v->text, "insert") == 0)
            x->drift = DRIFT_INSERT;
        else if (v->type == DD_JSON_STRING && strcmp(v->text, "both") == 0)
            x->drift = DRIFT_TOUCH | DRIFT_INSERT;
        else {
            mock_admin_error(a, 400,
                             "request:%u:%u: drift must be \"touch\", "
                             "\"insert\" or \"both\"",
                             v->pos.line, v->pos.col);
            return false;
        }
        return true;
    default:
        return true;
    }
}

/* Parses an arming body into x (kind first, then every member). */
static bool parse_fault(struct mock_admin_call *a, const struct dd_json *root,
                        struct fault *x)
{
    if (!root || root->type != DD_JSON_OBJECT) {
        mock_admin_error(a, 400, "request:1:1: the body must be a JSON object");
        return false;
    }
    const struct dd_json *k = dd_json_get(root, "kind");
    if (!k) {
        mock_admin_error(a, 400, "request:1:1: kind is missing");
        return false;
    }
    int kind = -1;
    for (int i = 0; k->type == DD_JSON_STRING && i < K_COUNT; i++)
        if (strcmp(k->text, mock_fault_kinds[i].name) == 0)
            kind = i;
    if (kind < 0) {
        mock_admin_error(a, 400,
                         "request:%u:%u: kind must be one of api_error, "
                         "api_latency, api_reset, api_truncate, rate_limit, "
                         "list_drift, push_drop, push_duplicate, "
                         "push_reorder, push_delay, push_bad_sign, "
                         "push_bad_app_id, push_bad_data",
                         k->pos.line, k->pos.col);
        return false;
    }
    x->kind = (enum kind)kind;
    x->tag = -1;
    x->truncate_to = -1;
    x->copies = 1;
    x->drift = DRIFT_TOUCH | DRIFT_INSERT;
    unsigned seen = 0;
    for (size_t i = 0; i < root->n; i++) {
        const struct dd_json *v = &root->kids[i];
        unsigned bit = 0;
        for (size_t m = 0; m < MOCK_FAULT_N_MEMBERS; m++)
            if (strlen(mock_fault_members[m].name) == v->key_len &&
                memcmp(mock_fault_members[m].name, v->key, v->key_len) == 0)
                bit = mock_fault_members[m].bit;
        if (!bit) {
            unknown_member(a, v);
            return false;
        }
        if (!(mock_fault_kinds[kind].allowed & bit)) {
            mock_admin_error(a, 400, "request:%u:%u: %s does not apply to %s",
                             v->key_pos.line, v->key_pos.col, v->key,
                             mock_fault_kinds[kind].name);
            return false;
        }
        if (seen & bit) {
            mock_admin_error(a, 400, "request:%u:%u: %s is repeated",
                             v->key_pos.line, v->key_pos.col, v->key);
            return false;
        }
        seen |= bit;
        if (dd_json_is_absent(v) && bit != MOCK_FAULT_P_KIND)
            continue; /* null: as if absent */
        if (!read_member(a, v, bit, x))
            return false;
    }
    for (size_t m = 0; m < MOCK_FAULT_N_MEMBERS; m++) {
        unsigned bit = mock_fault_members[m].bit;
        bool have =
            (seen & bit) &&
            !dd_json_is_absent(dd_json_get(root, mock_fault_members[m].name));
        if ((mock_fault_kinds[kind].required & bit) && !have) {
            mock_admin_error(a, 400, "request:1:1: %s needs %s",
                             mock_fault_kinds[kind].name,
                             mock_fault_members[m].name);
            return false;
        }
    }
    if (x->kind == K_API_ERROR &&
        !dd_errtab_find(x->method[0] ? x->method : NULL, x->sub_code)) {
        mock_admin_error(a, 400,
                         "request:1:1: sub_code %s is not a row of the error "
                         "table for %s",
                         x->sub_code,
                         x->method[0] ? x->method
                                      : "the platform (give a method for an "
                                        "API's own rows)");
        return false;
    }
    return true;
}

/* Writes one fault as the listing shows it. */
static void write_fault(struct dd_jw *w, const struct fault *x)
{
    dd_jw_object_begin(w);
    dd_jw_kint(w, "fault_id", (int64_t)x->id);
    dd_jw_kstr(w, "kind", mock_fault_kinds[x->kind].name);
    if (x->method[0])
        dd_jw_kstr(w, "method", x->method);
    if (x->tag >= 0)
        dd_jw_kint(w, "tag", x->tag);
    if (x->count)
        dd_jw_kint(w, "count", x->count);
    if (x->probability > 0) {
        dd_jw_key(w, "probability");
        dd_jw_raw(w, x->prob_text, strlen(x->prob_text));
    }
    switch (x->kind) {
    case K_API_ERROR:
        dd_jw_kstr(w, "sub_code", x->sub_code);
        break;
    case K_API_LATENCY:
    case K_PUSH_DELAY:
        dd_jw_kint(w, "delay_ms", x->delay_ms);
        break;
    case K_API_TRUNCATE:
        dd_jw_kint(w, "truncate_to", x->truncate_to);
        break;
    case K_RATE_LIMIT:
        dd_jw_kint(w, "limit", x->limit);
        dd_jw_kint(w, "window_ms", x->window_ms);
        break;
    case K_LIST_DRIFT:
        dd_jw_kstr(w, "drift",
                   x->drift == DRIFT_TOUCH    ? "touch"
                   : x->drift == DRIFT_INSERT ? "insert"
                                              : "both");
        break;
    case K_PUSH_DUPLICATE:
        dd_jw_kint(w, "copies", x->copies);
        break;
    default:
        break;
    }
    dd_jw_kint(w, "seen", (int64_t)x->seen);
    dd_jw_kint(w, "firings", (int64_t)x->firings);
    dd_jw_kbool(w, "active", !x->count || x->firings < (uint64_t)x->count);
    dd_jw_object_end(w);
}

/* POST /_mock/worlds/{K}/faults */
static void arm(struct mock_admin_call *a, struct mock_world *world)
{
    struct mock_faults *f = a->srv->faults;
    size_t mine = 0;
    for (size_t i = 0; i < f->n; i++)
        mine += f->v[i].serial == world->serial;
    if (mine >= FAULTS_PER_WORLD_MAX) {
        mock_admin_error(a, 400, "at most %d faults may be armed on a world",
                         FAULTS_PER_WORLD_MAX);
        return;
    }
    struct dd_json_doc doc;
    if (!mock_admin_body_json(a, &doc))
        return;
    struct fault x;
    memset(&x, 0, sizeof x);
    bool ok = parse_fault(a, doc.root, &x);
    dd_json_doc_free(&doc);
    if (!ok)
        return;
    x.id = f->next_id++;
    x.serial = world->serial;
    x.rng = a->srv->seed ^ hash(world->app_key) ^
            (x.id * UINT64_C(0xd1b54a32d192ed03));
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->v = xrealloc(f->v, f->cap * sizeof *f->v);
    }
    f->v[f->n++] = x;
    dd_jw_object_begin(&a->w);
    dd_jw_kint(&a->w, "fault_id", (int64_t)x.id);
    dd_jw_kstr(&a->w, "kind", mock_fault_kinds[x.kind].name);
    dd_jw_object_end(&a->w);
}

/* The index of fault `id_s` of a world, or answers 404 and returns -1. */
static long find_fault(struct mock_admin_call *a,
                       const struct mock_world *world, const char *id_s)
{
    struct mock_faults *f = a->srv->faults;
    int64_t id;
    if (dd_parse_int64(id_s, strlen(id_s), &id) == 0)
        for (size_t i = 0; i < f->n; i++)
            if (f->v[i].serial == world->serial && f->v[i].id == (uint64_t)id)
                return (long)i;
    mock_admin_error(a, 404, "no fault %s is armed on this world", id_s);
    return -1;
}

/* /_mock/worlds/{K}/faults[/{id}] */
static void faults_call(struct mock_admin_call *a, struct mock_world *world)
{
    struct mock_faults *f = a->srv->faults;
    if (a->n == 3) {
        if (mock_admin_is(a, "POST")) {
            arm(a, world);
        } else if (mock_admin_is(a, "GET")) {
            dd_jw_object_begin(&a->w);
            dd_jw_key(&a->w, "faults");
            dd_jw_array_begin(&a->w);
            for (size_t i = 0; i < f->n; i++)
                if (f->v[i].serial == world->serial)
                    write_fault(&a->w, &f->v[i]);
            dd_jw_array_end(&a->w);
            dd_jw_object_end(&a->w);
        } else if (mock_admin_is(a, "DELETE")) {
            size_t before = f->n;
            mock_faults_world_removed(f, world->serial);
            dd_jw_object_begin(&a->w);
            dd_jw_kint(&a->w, "disarmed", (int64_t)(before - f->n));
            dd_jw_object_end(&a->w);
        } else {
            mock_admin_error(a, 405, "use GET, POST or DELETE");
        }
        return;
    }
    if (!mock_admin_is(a, "GET") && !mock_admin_is(a, "DELETE")) {
        mock_admin_error(a, 405, "use GET or DELETE");
        return;
    }
    long i = find_fault(a, world, a->seg[3]);
    if (i < 0)
        return;
    if (mock_admin_is(a, "GET")) {
        write_fault(&a->w, &f->v[i]);
        return;
    }
    uint64_t id = f->v[i].id;
    remove_at(f, (size_t)i);
    dd_jw_object_begin(&a->w);
    dd_jw_kint(&a->w, "disarmed", 1);
    dd_jw_kint(&a->w, "fault_id", (int64_t)id);
    dd_jw_object_end(&a->w);
}

/*
 * POST /_mock/worlds/{K}/tokens/revoke and .../tokens/expire, body
 * {"access_token"?: "...", "refresh"?: bool} (expire only). Without an
 * access_token every token of the world is hit. Revoke sets `revoked`
 * (the router answers isv.access-token-expired, token.refresh
 * token-expired). Expire sets access_expires to now (and ends the grace of
 * a pair already superseded); the refresh token keeps working unless
 * "refresh": true expires it too.
 */
static void token_action(struct mock_admin_call *a, struct mock_world *world,
                         bool revoke)
{
    const char *which = NULL;
    bool refresh = false;
    struct dd_json_doc doc = {0};
    if (a->rq->body_len) {
        if (!mock_admin_body_json(a, &doc))
            return;
        const struct dd_json *root = doc.root;
        if (root->type != DD_JSON_OBJECT) {
            mock_admin_error(a, 400,
                             "request:1:1: the body must be a JSON object");
            goto done;
        }
        for (size_t i = 0; i < root->n; i++) {
            const struct dd_json *v = &root->kids[i];
            bool is_tok =
                v->key_len == 12 && !memcmp(v->key, "access_token", 12);
            bool is_ref =
                !revoke && v->key_len == 7 && !memcmp(v->key, "refresh", 7);
            if (!is_tok && !is_ref) {
                unknown_member(a, v);
                goto done;
            }
            if (is_tok && !dd_json_is_absent(v)) {
                if (v->type != DD_JSON_STRING ||
                    memchr(v->text, '\0', v->len)) {
                    mock_admin_error(a, 400,
                                     "request:%u:%u: access_token must be a "
                                     "string",
                                     v->pos.line, v->pos.col);
                    goto done;
                }
                which = v->text;
            } else if (is_ref && !dd_json_is_absent(v)) {
                if (v->type != DD_JSON_TRUE && v->type != DD_JSON_FALSE) {
                    mock_admin_error(a, 400,
                                     "request:%u:%u: refresh must be true or "
                                     "false",
                                     v->pos.line, v->pos.col);
                    goto done;
                }
                refresh = v->type == DD_JSON_TRUE;
            }
        }
    }
    uint32_t only = MOCK_NONE;
    if (which) {
        only = mock_token_by_access(world, which);
        if (only == MOCK_NONE) {
            mock_admin_error(a, 404, "no such access_token in this world");
            goto done;
        }
    }
    int64_t now = mock_now();
    int64_t hit = 0;
    for (uint32_t i = 0; i < world->tokens.n; i++) {
        if (only != MOCK_NONE && i != only)
            continue;
        struct mock_token *t = &world->tokens.v[i];
        if (revoke) {
            t->revoked = true;
        } else {
            if (t->access_expires > now)
                t->access_expires = now;
            if (t->dead_after > now)
                t->dead_after = now;
            if (refresh && t->refresh_expires > now)
                t->refresh_expires = now;
        }
        hit++;
    }
    const char *what = revoke ? "token_revoke" : "token_expire";
    char method[32];
    snprintf(method, sizeof method, "fault.%s", what);
    mock_server_journal(
        a->srv, "fault", world, method, "%s %lld token pair(s)%s%s%s",
        revoke ? "revoked" : "expired", (long long)hit,
        which ? " (access_token " : "", which ? which : "", which ? ")" : "");
    dd_jw_object_begin(&a->w);
    dd_jw_kint(&a->w, revoke ? "revoked" : "expired", hit);
    if (!revoke)
        dd_jw_kbool(&a->w, "refresh_expired", refresh);
    dd_jw_object_end(&a->w);
done:
    dd_json_doc_free(&doc);
}

bool mock_admin_faults(struct mock_admin_call *a)
{
    if (a->n < 3 || strcmp(a->seg[0], "worlds") != 0)
        return false;
    bool faults = strcmp(a->seg[2], "faults") == 0 && a->n <= 4;
    bool tokens =
        a->n == 4 && strcmp(a->seg[2], "tokens") == 0 &&
        mock_admin_is(a, "POST") &&
        (strcmp(a->seg[3], "revoke") == 0 || strcmp(a->seg[3], "expire") == 0);
    if (!faults && !tokens)
        return false;
    struct mock_world *world = a->world;
    if (!world) {
        mock_admin_error(a, 404, "no world with app_key %s", a->seg[1]);
        return true;
    }
    if (faults)
        faults_call(a, world);
    else
        token_action(a, world, strcmp(a->seg[3], "revoke") == 0);
    return true;
}
