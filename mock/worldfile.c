/*
 * worldfile.c: worlds in and out of ddmock (worldfile.h): the JSON world
 * format documented in mock/WORLD.md, the built-in default world, the load
 * generator and dumps.
 *
 * A world file holds what doudian-open-api.md §4 lets an ERP see of an app:
 * shops with their 售后小助手 strategies, products and SKUs, orders with their
 * SKU orders (§4.7), after-sales with their full record (§4.1, §4.2, enums
 * of §4.9), and, in dumps, tokens (§2.3), authorization codes (§2.1) and the
 * refunds the platform paid.
 *
 * Loading runs in three passes so that a file with ten mistakes gets ten
 * messages: (1) read every section into plain structs that borrow their
 * strings from the parsed document, reporting every unknown key, wrong type
 * and missing field; (2) check ids, references and the state rules between
 * after-sales, SKU orders and orders; (3) only when nothing was reported,
 * build the world through the adders of world.h. Problems are sorted by
 * position and written as "file:line:col: message".
 */
#include "worldfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_err.h"
#include "push.h"
#include "vread.h"

#define MAX_FILE_BYTES ((size_t)64 << 20)
#define MAX_TIME       INT64_C(253402300799)    /* 9999-12-31T23:59:59Z */
#define MAX_AMOUNT     INT64_C(100000000000000) /* 1e12 yuan in fen */
#define MAX_TEXT       4096
#define GEN_MAX        10000000u

/* ================================================================ memory */

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

/* Appends one zeroed element to a (v, n, cap) triple; returns its index. */
#define GROW(v, n, cap)                                                        \
    ((n) == (cap) ? ((cap) = (cap) ? (cap)*2 : 16,                             \
                     (v) = xrealloc((v), (cap) * sizeof *(v)))                 \
                  : (v),                                                       \
     memset(&(v)[(n)], 0, sizeof *(v)), (n)++)

/* Makes room for exactly `want` elements in a world vector (no slack). */
#define RESERVE(vec, want)                                                     \
    do {                                                                       \
        if ((vec).cap < (want)) {                                              \
            (vec).cap = (want);                                                \
            (vec).v = xrealloc((vec).v, (size_t)(vec).cap * sizeof *(vec).v);  \
        }                                                                      \
    } while (0)

/* ================================================================ names */

struct name {
    const char *name;
    int code;
};

static const struct name app_types[] = {
    {"self", MOCK_APP_SELF}, {"tool", MOCK_APP_TOOL}, {NULL, 0}};

static const struct name order_statuses[] = {
    {"paid", MOCK_ORDER_PAID},
    {"partly_shipped", MOCK_ORDER_PARTLY_SHIPPED},
    {"shipped", MOCK_ORDER_SHIPPED},
    {"cancelled", MOCK_ORDER_CANCELLED},
    {"done", MOCK_ORDER_DONE},
    {NULL, 0}};

static const struct name line_statuses[] = {{"unshipped", MOCK_SKU_UNSHIPPED},
                                            {"shipped", MOCK_SKU_SHIPPED},
                                            {"cancelled", MOCK_SKU_CANCELLED},
                                            {"done", MOCK_SKU_DONE},
                                            {NULL, 0}};

static const struct name as_types[] = {
    {"return", MOCK_AS_TYPE_RETURN},
    {"shipped_refund", MOCK_AS_TYPE_SHIPPED_REFUND},
    {"unshipped_refund", MOCK_AS_TYPE_UNSHIPPED_REFUND},
    {NULL, 0}};

static const struct name roles[] = {{"buyer", MOCK_ROLE_BUYER},
                                    {"seller", MOCK_ROLE_SELLER},
                                    {"service", MOCK_ROLE_SERVICE},
                                    {"system", MOCK_ROLE_SYSTEM},
                                    {NULL, 0}};

static const char *name_of(const struct name *t, int code)
{
    for (; t->name; t++)
        if (t->code == code)
            return t->name;
    return NULL;
}

static bool is_final_status(int type, int status)
{
    return status == MOCK_AS_SUCCESS || status == MOCK_AS_CLOSED ||
           status == MOCK_AS_SELLER_REFUSED_2 ||
           (status == MOCK_AS_SELLER_REFUSED &&
            type == MOCK_AS_TYPE_UNSHIPPED_REFUND);
}

static bool is_as_status(int64_t s)
{
    return s == MOCK_AS_WAIT_SELLER_AGREE || s == MOCK_AS_WAIT_BUYER_RETURN ||
           s == MOCK_AS_WAIT_SELLER_RECEIVE || s == MOCK_AS_SUCCESS ||
           s == MOCK_AS_SELLER_REFUSED || s == MOCK_AS_CLOSED ||
           s == MOCK_AS_SELLER_REFUSED_2;
}

/* The `via` of a ledger entry must be a static string (world.h): known
 * ones map to literals, others are interned once for the process. */
static const char *intern_via(const char *s)
{
    static const char *const known[] = {"world-file",
                                        "generator",
                                        "CancelSendGoodsSuccess",
                                        "returnGoodsToWareHouseSuccess",
                                        "operate:111",
                                        "operate:201",
                                        "operate:401",
                                        "timer"};
    static char *pool[64];
    static size_t n_pool;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(known[i], s) == 0)
            return known[i];
    for (size_t i = 0; i < n_pool; i++)
        if (strcmp(pool[i], s) == 0)
            return pool[i];
    if (n_pool == sizeof pool / sizeof pool[0])
        return "other";
    pool[n_pool] = xstrdup(s);
    return pool[n_pool++];
}

/* ================================================================ problems */

/* How this loader's messages quote the input (vread.h). */
static const struct vr_style world_style = {
    .escape = false,
    .value_bytes = 40,
    .key_bytes = 60,
    .hint_ignores_case = false,
    .max_keys = 0,
    .says_negative = true,
};

struct ctx {
    struct vr_ctx vr; /* the problems found so far */
    int64_t now;
};

/* ================================================================ values */

/* Reads a credential-like string: 1..maxlen printable ASCII, no spaces. */
static bool rd_token(struct ctx *c, const struct dd_json *obj, const char *path,
                     const char *key, bool required, size_t maxlen,
                     const char **out)
{
    const char *s;
    if (!vr_rd_str(&c->vr, obj, path, key, required, maxlen, false, &s))
        return false;
    const struct dd_json *v = vr_mem(obj, key);
    if (!*s) {
        vr_report(&c->vr, v->pos, "%s.%s: must not be empty", path, key);
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (*p < 0x21 || *p > 0x7e) {
            vr_report(&c->vr, v->pos,
                      "%s.%s: only printable ASCII without spaces is allowed",
                      path, key);
            return false;
        }
    }
    *out = s;
    return true;
}

/* Reads true/false (or the numbers 0 and 1, as Doudian writes got_pkg). */
static bool rd_bool(struct ctx *c, const struct dd_json *obj, const char *path,
                    const char *key, bool *out)
{
    const struct dd_json *v = vr_mem(obj, key);
    if (!v)
        return false;
    if (v->type == DD_JSON_TRUE || v->type == DD_JSON_FALSE) {
        *out = v->type == DD_JSON_TRUE;
        return true;
    }
    if (v->type == DD_JSON_NUMBER &&
        (strcmp(v->text, "0") == 0 || strcmp(v->text, "1") == 0)) {
        *out = v->text[0] == '1';
        return true;
    }
    vr_report(&c->vr, v->pos, "%s.%s: expected true or false, got %s", path,
              key, vr_a_type(v));
    return false;
}

/* Reads a name from table `t`. */
static bool rd_name(struct ctx *c, const struct dd_json *obj, const char *path,
                    const char *key, bool required, const struct name *t,
                    int *out)
{
    const struct dd_json *v = vr_mem(obj, key);
    if (!v) {
        if (required)
            vr_missing(&c->vr, obj, path, key);
        return false;
    }
    if (v->type == DD_JSON_STRING) {
        for (const struct name *p = t; p->name; p++) {
            if (strcmp(p->name, v->text) == 0) {
                *out = p->code;
                return true;
            }
        }
    }
    struct dd_buf list;
    dd_buf_init(&list, 0);
    for (const struct name *p = t; p->name; p++)
        dd_buf_printf(&list, "%s\"%s\"", p == t ? "" : ", ", p->name);
    if (v->type == DD_JSON_STRING)
        vr_report(&c->vr, v->pos, "%s.%s: \"%.40s\" is not one of %s", path,
                  key, v->text, dd_buf_str(&list));
    else
        vr_report(&c->vr, v->pos, "%s.%s: expected one of %s, got %s", path,
                  key, dd_buf_str(&list), vr_a_type(v));
    dd_buf_free(&list);
    return false;
}

/* A role: a name (buyer, seller, service, system) or its code 1-4. */
static bool rd_role(struct ctx *c, const struct dd_json *obj, const char *path,
                    const char *key, bool required, int *out)
{
    const struct dd_json *v = vr_mem(obj, key);
    int64_t x;
    if (v && v->type == DD_JSON_NUMBER && dd_json_int64(v, &x) == 0 && x >= 1 &&
        x <= 4) {
        *out = (int)x;
        return true;
    }
    return rd_name(c, obj, path, key, required, roles, out);
}

/*
 * Parses a time: "now", "now+30m", "now-1d12h" (units s m h d, several
 * groups allowed) relative to `now`, or decimal Unix seconds. Returns 0,
 * or -1 when malformed or out of range.
 */
static int parse_time(const char *s, size_t len, int64_t now, int64_t *out)
{
    int64_t total = 0, sign, t;
    if (len > 0 && s[0] >= '0' && s[0] <= '9') {
        if (dd_parse_int64(s, len, &t) != 0 || t > MAX_TIME)
            return -1;
        *out = t;
        return 0;
    }
    if (len < 3 || memcmp(s, "now", 3) != 0)
        return -1;
    if (len == 3) {
        *out = now;
        return 0;
    }
    if (s[3] != '+' && s[3] != '-')
        return -1;
    sign = s[3] == '+' ? 1 : -1;
    size_t i = 4;
    if (i == len)
        return -1;
    while (i < len) {
        size_t d0 = i;
        int64_t n, mult;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d0 || i == len || i - d0 > 12)
            return -1;
        switch (s[i]) {
        case 's':
            mult = 1;
            break;
        case 'm':
            mult = 60;
            break;
        case 'h':
            mult = 3600;
            break;
        case 'd':
            mult = 86400;
            break;
        default:
            return -1;
        }
        if (dd_parse_int64(s + d0, i - d0, &n) != 0)
            return -1;
        total += n * mult; /* at most 1e12 * 86400 per group: no overflow */
        if (total > MAX_TIME)
            return -1;
        i++;
    }
    t = now + sign * total;
    if (t < 0 || t > MAX_TIME)
        return -1;
    *out = t;
    return 0;
}

static bool rd_time(struct ctx *c, const struct dd_json *obj, const char *path,
                    const char *key, bool required, int64_t *out)
{
    const struct dd_json *v = vr_mem(obj, key);
    if (!v) {
        if (required)
            vr_missing(&c->vr, obj, path, key);
        return false;
    }
    if ((v->type == DD_JSON_STRING || v->type == DD_JSON_NUMBER) &&
        strlen(v->text) == v->len &&
        parse_time(v->text, v->len, c->now, out) == 0)
        return true;
    if (v->type == DD_JSON_STRING || v->type == DD_JSON_NUMBER)
        vr_report(&c->vr, v->pos,
                  "%s.%s: \"%.40s\" is not a time (use \"now\", \"now-2h\", "
                  "\"now+30m\", \"now-1d12h\" or Unix seconds)",
                  path, key, v->text);
    else
        vr_report(&c->vr, v->pos,
                  "%s.%s: expected a time (\"now-2h\" or Unix seconds), got %s",
                  path, key, vr_a_type(v));
    return false;
}

/* ================================================================ parsed */

/* Everything read from a world object, strings borrowed from the document.
 * Indexes between these arrays are the indexes the world will have. */

struct f_shop {
    uint32_t ix; /* position in the file's array, for messages */
    struct dd_json_pos pos, id_pos;
    int64_t id;
    bool ok;
    const char *name;
    bool cancel, ret;
};

struct f_product {
    uint32_t ix;
    struct dd_json_pos pos, id_pos;
    int64_t id;
    bool ok;
    const char *name, *image;
};

struct f_sku {
    uint32_t ix;
    struct dd_json_pos pos, id_pos;
    int64_t id;
    bool ok;
    uint32_t product;
    int64_t price;
    const char *spec, *code;
};

struct f_order {
    uint32_t ix;
    struct dd_json_pos pos, id_pos, shop_pos, status_pos, pay_pos,
        logistics_pos;
    int64_t id, shop_id;
    bool ok, shop_ok, has_pay, has_update, has_finish, has_logistics, times_ok;
    uint32_t shop;
    int status; /* -1: derive from the lines */
    int64_t create_time, pay_time, update_time, finish_time;
    int64_t post_amount, pay_type;
    const char *buyer_words, *seller_words;
    const char *company_code, *tracking_no;
    int64_t ship_time;
    uint32_t first_line, n_lines;
};

struct f_line {
    uint32_t ix;
    struct dd_json_pos pos, id_pos, sku_pos, status_pos;
    int64_t id, sku_id;
    bool ok, sku_ok, amounts_ok, has_pay, has_ship_time;
    uint32_t order, sku;
    int64_t quantity, pay_amount, post_amount, ship_time;
    int status;         /* -1: derive */
    bool refund_cancel; /* a pre-shipment refund succeeded on it */
    int64_t refunded;
    uint32_t open_as; /* open after-sale or MOCK_NONE */
};

struct f_record {
    int64_t time;
    int role;
    const char *action, *text;
};

struct f_as {
    uint32_t ix;
    struct dd_json_pos pos, id_pos, order_pos, line_pos, type_pos, status_pos,
        amount_pos, update_pos, return_pos, final_pos, qty_pos,
        refund_status_pos, apply_pos;
    int64_t id, order_id, line_id;
    bool ok, has_order_id, line_ok, type_ok, status_ok, amount_ok, has_amount,
        has_update, has_deadline, has_refund_time, has_final, has_quantity,
        has_got_pkg, has_return, has_records, apply_ok, has_refund_status;
    uint32_t line;
    int type, status, apply_role;
    int64_t refund_status, refund_type, reason_code, arbitrate_status;
    int64_t quantity, refund_amount, refund_post_amount;
    bool got_pkg;
    uint32_t audit_bits;
    int64_t apply_time, update_time, status_deadline, refund_time, final_time;
    const char *reason_text, *remark;
    const char *ret_company, *ret_tracking;
    int64_t ret_ship_time;
    uint32_t first_record, n_records;
};

struct f_token {
    uint32_t ix;
    struct dd_json_pos shop_pos;
    int64_t shop_id;
    bool ok;
    const char *access, *refresh;
    int64_t access_expires, refresh_expires, dead_after;
    bool revoked;
};

struct f_code {
    uint32_t ix;
    struct dd_json_pos shop_pos;
    int64_t shop_id;
    bool ok;
    const char *code;
    int64_t expires;
    bool used;
};

struct f_refund {
    uint32_t ix;
    struct dd_json_pos pos, as_pos;
    int64_t time, as_id, amount;
    bool ok;
    uint32_t as;
    const char *via;
};

#define ARR(T, name)                                                           \
    T *name;                                                                   \
    size_t n_##name, cap_##name

struct parsed {
    /* app */
    const char *app_key, *app_secret, *app_name;
    int app_type;
    struct mock_settings settings;
    bool seed_set, has_refunds, has_rng;
    uint64_t rng;
    /* subscription */
    const char *sub_url;
    uint64_t sub_tags[5];
    ARR(struct f_shop, shops);
    ARR(struct f_product, products);
    ARR(struct f_sku, skus);
    ARR(struct f_order, orders);
    ARR(struct f_line, lines);
    ARR(struct f_as, ass);
    ARR(struct f_record, records);
    ARR(struct f_token, tokens);
    ARR(struct f_code, codes);
    ARR(struct f_refund, refunds);
    /* id -> index maps, filled by check_ids */
    struct mock_idmap all, shop_map, product_map, sku_map, order_map, line_map,
        as_map;
};

#define ADD(p, name) GROW((p)->name, (p)->n_##name, (p)->cap_##name)

static void parsed_free(struct parsed *p)
{
    free(p->shops);
    free(p->products);
    free(p->skus);
    free(p->orders);
    free(p->lines);
    free(p->ass);
    free(p->records);
    free(p->tokens);
    free(p->codes);
    free(p->refunds);
    mock_idmap_free(&p->all);
    mock_idmap_free(&p->shop_map);
    mock_idmap_free(&p->product_map);
    mock_idmap_free(&p->sku_map);
    mock_idmap_free(&p->order_map);
    mock_idmap_free(&p->line_map);
    mock_idmap_free(&p->as_map);
}

/* ================================================================ pass 1 */

static void parse_app(struct ctx *c, struct parsed *p, const struct dd_json *v)
{
    static const char *const keys[] = {"app_key", "app_secret", "type", "name",
                                       NULL};
    if (!vr_is_object(&c->vr, v, "app"))
        return;
    vr_check_keys(&c->vr, v, "app", keys);
    const struct dd_json *k = vr_mem(v, "app_key");
    if (k) {
        bool ok = (k->type == DD_JSON_STRING || k->type == DD_JSON_NUMBER) &&
                  k->len == 19;
        for (size_t i = 0; ok && i < 19; i++)
            ok = k->text[i] >= '0' && k->text[i] <= '9';
        if (ok)
            p->app_key = k->text;
        else if (k->type == DD_JSON_STRING || k->type == DD_JSON_NUMBER)
            vr_report(&c->vr, k->pos,
                      "app.app_key: \"%.40s\" is not an app_key (19 digits)",
                      k->text);
        else
            vr_report(&c->vr, k->pos,
                      "app.app_key: expected a string of 19 digits, "
                      "got %s",
                      vr_a_type(k));
    }
    rd_token(c, v, "app", "app_secret", false, 39, &p->app_secret);
    rd_name(c, v, "app", "type", false, app_types, &p->app_type);
    vr_rd_str(&c->vr, v, "app", "name", false, 256, false, &p->app_name);
}

/* Applies the "settings" members one by one so that every bad one is
 * reported, each at its own position. */
static void parse_settings(struct ctx *c, struct parsed *p,
                           const struct dd_json *v)
{
    if (!vr_is_object(&c->vr, v, "settings"))
        return;
    for (size_t i = 0; i < v->n; i++) {
        struct dd_json one = *v;
        char err[300];
        unsigned line, col;
        int used = 0;
        one.kids = &v->kids[i];
        one.n = 1;
        if (mock_settings_apply_json(&p->settings, &one, err, sizeof err) ==
            0) {
            if (strcmp(v->kids[i].key, "seed") == 0)
                p->seed_set = true;
            continue;
        }
        /* err is "line:col: message"; keep the message, report at the
         * exact position */
        struct dd_json_pos pos = v->kids[i].pos;
        if (sscanf(err, "%u:%u: %n", &line, &col, &used) == 2 && used > 0) {
            if (line == v->kids[i].key_pos.line &&
                col == v->kids[i].key_pos.col)
                pos = v->kids[i].key_pos;
        }
        /* settings.c starts a message with the setting's name when the
         * name is known: "time_scale: must be ..." */
        const char *msg = err + used;
        size_t kl = strlen(v->kids[i].key);
        if (strncmp(msg, v->kids[i].key, kl) == 0 && msg[kl] == ':')
            vr_report(&c->vr, pos, "settings.%s", msg);
        else
            vr_report(&c->vr, pos, "settings: %s", msg);
    }
}

static void parse_shops(struct ctx *c, struct parsed *p,
                        const struct dd_json *arr)
{
    static const char *const keys[] = {"shop_id", "name", "strategies", NULL};
    static const char *const skeys[] = {"cancel_auto_refund",
                                        "return_auto_refund", NULL};
    for (size_t i = 0; i < arr->n; i++) {
        const struct dd_json *v = &arr->kids[i];
        char path[64], spath[128];
        snprintf(path, sizeof path, "shops[%zu]", i);
        if (!vr_is_object(&c->vr, v, path))
            continue;
        vr_check_keys(&c->vr, v, path, keys);
        size_t k = ADD(p, shops);
        struct f_shop *s = &p->shops[k];
        s->ix = (uint32_t)i;
        s->pos = v->pos;
        s->cancel = s->ret = true;
        s->ok = vr_rd_id(&c->vr, v, path, "shop_id", true, &s->id);
        if (s->ok)
            s->id_pos = vr_mem(v, "shop_id")->pos;
        vr_rd_str(&c->vr, v, path, "name", false, 256, false, &s->name);
        const struct dd_json *st = vr_mem(v, "strategies");
        snprintf(spath, sizeof spath, "%s.strategies", path);
        if (st && vr_is_object(&c->vr, st, spath)) {
            vr_check_keys(&c->vr, st, spath, skeys);
            rd_bool(c, st, spath, "cancel_auto_refund", &s->cancel);
            rd_bool(c, st, spath, "return_auto_refund", &s->ret);
        }
    }
}

static void parse_products(struct ctx *c, struct parsed *p,
                           const struct dd_json *arr)
{
    static const char *const keys[] = {"product_id", "name", "image", "skus",
                                       NULL};
    static const char *const kkeys[] = {"sku_id", "price", "spec", "code",
                                        NULL};
    for (size_t i = 0; i < arr->n; i++) {
        const struct dd_json *v = &arr->kids[i];
        char path[64], kpath[128];
        snprintf(path, sizeof path, "products[%zu]", i);
        if (!vr_is_object(&c->vr, v, path))
            continue;
        vr_check_keys(&c->vr, v, path, keys);
        size_t pi = ADD(p, products);
        struct f_product *pr = &p->products[pi];
        pr->ix = (uint32_t)i;
        pr->pos = v->pos;
        pr->ok = vr_rd_id(&c->vr, v, path, "product_id", true, &pr->id);
        if (pr->ok)
            pr->id_pos = vr_mem(v, "product_id")->pos;
        vr_rd_str(&c->vr, v, path, "name", false, 512, false, &pr->name);
        vr_rd_str(&c->vr, v, path, "image", false, 2048, false, &pr->image);
        const struct dd_json *skus = vr_rd_array(&c->vr, v, path, "skus", true);
        if (!skus)
            continue;
        if (skus->n == 0)
            vr_report(&c->vr, skus->pos,
                      "%s.skus: a product needs at least one SKU", path);
        for (size_t j = 0; j < skus->n; j++) {
            const struct dd_json *u = &skus->kids[j];
            snprintf(kpath, sizeof kpath, "%s.skus[%zu]", path, j);
            if (!vr_is_object(&c->vr, u, kpath))
                continue;
            vr_check_keys(&c->vr, u, kpath, kkeys);
            size_t si = ADD(p, skus);
            struct f_sku *s = &p->skus[si];
            s->ix = (uint32_t)j;
            s->pos = u->pos;
            s->product = (uint32_t)pi;
            s->ok = vr_rd_id(&c->vr, u, kpath, "sku_id", true, &s->id);
            if (s->ok)
                s->id_pos = vr_mem(u, "sku_id")->pos;
            vr_rd_int(&c->vr, u, kpath, "price", true, 0, MAX_AMOUNT,
                      &s->price);
            vr_rd_str(&c->vr, u, kpath, "spec", false, 1024, false, &s->spec);
            vr_rd_str(&c->vr, u, kpath, "code", false, 256, false, &s->code);
        }
    }
}

static void parse_lines(struct ctx *c, struct parsed *p, struct f_order *o,
                        uint32_t oi, const struct dd_json *arr,
                        const char *path)
{
    static const char *const keys[] = {
        "sku_order_id", "sku_id", "quantity",  "pay_amount",
        "post_amount",  "status", "ship_time", NULL};
    o->first_line = (uint32_t)p->n_lines;
    for (size_t j = 0; j < arr->n; j++) {
        const struct dd_json *u = &arr->kids[j];
        char lpath[128];
        snprintf(lpath, sizeof lpath, "%s.sku_orders[%zu]", path, j);
        if (!vr_is_object(&c->vr, u, lpath))
            continue;
        vr_check_keys(&c->vr, u, lpath, keys);
        size_t li = ADD(p, lines);
        struct f_line *l = &p->lines[li];
        l->ix = (uint32_t)j;
        l->pos = u->pos;
        l->order = oi;
        l->status = -1;
        l->quantity = 1;
        l->open_as = MOCK_NONE;
        l->ok = vr_rd_id(&c->vr, u, lpath, "sku_order_id", true, &l->id);
        if (l->ok)
            l->id_pos = vr_mem(u, "sku_order_id")->pos;
        l->sku_ok = vr_rd_id(&c->vr, u, lpath, "sku_id", true, &l->sku_id);
        if (l->sku_ok)
            l->sku_pos = vr_mem(u, "sku_id")->pos;
        bool ok = true;
        if (vr_mem(u, "quantity"))
            ok &= vr_rd_int(&c->vr, u, lpath, "quantity", false, 1, 1000000,
                            &l->quantity);
        l->has_pay = vr_mem(u, "pay_amount") != NULL;
        if (l->has_pay)
            ok &= vr_rd_int(&c->vr, u, lpath, "pay_amount", false, 0,
                            MAX_AMOUNT, &l->pay_amount);
        if (vr_mem(u, "post_amount"))
            ok &= vr_rd_int(&c->vr, u, lpath, "post_amount", false, 0,
                            MAX_AMOUNT, &l->post_amount);
        l->amounts_ok = ok;
        if (rd_name(c, u, lpath, "status", false, line_statuses, &l->status))
            l->status_pos = vr_mem(u, "status")->pos;
        l->has_ship_time =
            rd_time(c, u, lpath, "ship_time", false, &l->ship_time);
    }
    o->n_lines = (uint32_t)(p->n_lines - o->first_line);
}

static void parse_orders(struct ctx *c, struct parsed *p,
                         const struct dd_json *arr)
{
    static const char *const keys[] = {
        "order_id",     "shop_id",   "create_time", "pay_time", "update_time",
        "finish_time",  "status",    "post_amount", "pay_type", "buyer_words",
        "seller_words", "logistics", "sku_orders",  NULL};
    static const char *const lkeys[] = {"company_code", "tracking_no",
                                        "ship_time", NULL};
    for (size_t i = 0; i < arr->n; i++) {
        const struct dd_json *v = &arr->kids[i];
        char path[64], gpath[128];
        snprintf(path, sizeof path, "orders[%zu]", i);
        if (!vr_is_object(&c->vr, v, path))
            continue;
        vr_check_keys(&c->vr, v, path, keys);
        size_t oi = ADD(p, orders);
        struct f_order *o = &p->orders[oi];
        o->ix = (uint32_t)i;
        o->pos = v->pos;
        o->status = -1;
        o->pay_type = 1;
        o->ok = vr_rd_id(&c->vr, v, path, "order_id", true, &o->id);
        if (o->ok)
            o->id_pos = vr_mem(v, "order_id")->pos;
        o->shop_ok = vr_rd_id(&c->vr, v, path, "shop_id", true, &o->shop_id);
        if (o->shop_ok)
            o->shop_pos = vr_mem(v, "shop_id")->pos;
        o->times_ok = rd_time(c, v, path, "create_time", true, &o->create_time);
        o->has_pay = rd_time(c, v, path, "pay_time", false, &o->pay_time);
        if (o->has_pay)
            o->pay_pos = vr_mem(v, "pay_time")->pos;
        o->has_update =
            rd_time(c, v, path, "update_time", false, &o->update_time);
        o->has_finish =
            rd_time(c, v, path, "finish_time", false, &o->finish_time);
        if (rd_name(c, v, path, "status", false, order_statuses, &o->status))
            o->status_pos = vr_mem(v, "status")->pos;
        vr_rd_int(&c->vr, v, path, "post_amount", false, 0, MAX_AMOUNT,
                  &o->post_amount);
        vr_rd_int(&c->vr, v, path, "pay_type", false, 0, 99, &o->pay_type);
        vr_rd_str(&c->vr, v, path, "buyer_words", false, MAX_TEXT, false,
                  &o->buyer_words);
        vr_rd_str(&c->vr, v, path, "seller_words", false, MAX_TEXT, false,
                  &o->seller_words);
        const struct dd_json *lg = vr_mem(v, "logistics");
        snprintf(gpath, sizeof gpath, "%s.logistics", path);
        if (lg && vr_is_object(&c->vr, lg, gpath)) {
            vr_check_keys(&c->vr, lg, gpath, lkeys);
            bool ok = vr_rd_str(&c->vr, lg, gpath, "company_code", true, 64,
                                false, &o->company_code);
            ok &= vr_rd_str(&c->vr, lg, gpath, "tracking_no", true, 64, false,
                            &o->tracking_no);
            ok &= rd_time(c, lg, gpath, "ship_time", true, &o->ship_time);
            o->has_logistics = true;
            o->logistics_pos = lg->pos;
            (void)ok;
        }
        const struct dd_json *items =
            vr_rd_array(&c->vr, v, path, "sku_orders", true);
        o = &p->orders[oi];
        o->first_line = (uint32_t)p->n_lines;
        if (!items)
            continue;
        if (items->n == 0)
            vr_report(&c->vr, items->pos,
                      "%s.sku_orders: an order needs at least one SKU order",
                      path);
        parse_lines(c, p, o, (uint32_t)oi, items, path);
    }
}

static void parse_records(struct ctx *c, struct parsed *p, struct f_as *a,
                          const struct dd_json *arr, const char *path)
{
    static const char *const keys[] = {"time", "role", "action", "text", NULL};
    a->first_record = (uint32_t)p->n_records;
    for (size_t j = 0; j < arr->n; j++) {
        const struct dd_json *u = &arr->kids[j];
        char rpath[128];
        snprintf(rpath, sizeof rpath, "%s.records[%zu]", path, j);
        if (!vr_is_object(&c->vr, u, rpath))
            continue;
        vr_check_keys(&c->vr, u, rpath, keys);
        size_t ri = ADD(p, records);
        struct f_record *r = &p->records[ri];
        r->role = MOCK_ROLE_SYSTEM;
        r->action = r->text = "";
        rd_time(c, u, rpath, "time", true, &r->time);
        rd_role(c, u, rpath, "role", true, &r->role);
        vr_rd_str(&c->vr, u, rpath, "action", true, 64, false, &r->action);
        vr_rd_str(&c->vr, u, rpath, "text", false, MAX_TEXT, false, &r->text);
    }
    a->n_records = (uint32_t)(p->n_records - a->first_record);
}

static void parse_aftersales(struct ctx *c, struct parsed *p,
                             const struct dd_json *arr)
{
    static const char *const keys[] = {"aftersale_id",
                                       "order_id",
                                       "sku_order_id",
                                       "type",
                                       "status",
                                       "refund_status",
                                       "refund_type",
                                       "refund_amount",
                                       "refund_post_amount",
                                       "quantity",
                                       "reason_code",
                                       "reason_text",
                                       "apply_role",
                                       "apply_time",
                                       "update_time",
                                       "status_deadline",
                                       "refund_time",
                                       "final_time",
                                       "got_pkg",
                                       "arbitrate_status",
                                       "auto_audit_bits",
                                       "remark",
                                       "return",
                                       "records",
                                       NULL};
    static const char *const rkeys[] = {"company_code", "tracking_no",
                                        "ship_time", NULL};
    for (size_t i = 0; i < arr->n; i++) {
        const struct dd_json *v = &arr->kids[i];
        char path[64], rpath[128];
        snprintf(path, sizeof path, "aftersales[%zu]", i);
        if (!vr_is_object(&c->vr, v, path))
            continue;
        vr_check_keys(&c->vr, v, path, keys);
        size_t ai = ADD(p, ass);
        struct f_as *a = &p->ass[ai];
        a->ix = (uint32_t)i;
        a->pos = v->pos;
        a->line = MOCK_NONE;
        a->apply_role = MOCK_ROLE_BUYER;
        a->reason_code = 1;
        a->ok = vr_rd_id(&c->vr, v, path, "aftersale_id", true, &a->id);
        if (a->ok)
            a->id_pos = vr_mem(v, "aftersale_id")->pos;
        a->has_order_id =
            vr_rd_id(&c->vr, v, path, "order_id", false, &a->order_id);
        if (a->has_order_id)
            a->order_pos = vr_mem(v, "order_id")->pos;
        a->line_ok =
            vr_rd_id(&c->vr, v, path, "sku_order_id", true, &a->line_id);
        if (a->line_ok)
            a->line_pos = vr_mem(v, "sku_order_id")->pos;
        a->type_ok = rd_name(c, v, path, "type", true, as_types, &a->type);
        if (a->type_ok)
            a->type_pos = vr_mem(v, "type")->pos;
        int64_t st;
        if (vr_rd_int(&c->vr, v, path, "status", true, 0, 255, &st)) {
            a->status_pos = vr_mem(v, "status")->pos;
            if (is_as_status(st)) {
                a->status = (int)st;
                a->status_ok = true;
            } else {
                vr_report(
                    &c->vr, a->status_pos,
                    "%s.status: %lld is not an after-sale status the mock "
                    "models (6, 7, 11, 12, 27, 28, 29)",
                    path, (long long)st);
            }
        }
        a->has_refund_status = vr_rd_int(&c->vr, v, path, "refund_status",
                                         false, 1, 4, &a->refund_status);
        if (a->has_refund_status)
            a->refund_status_pos = vr_mem(v, "refund_status")->pos;
        vr_rd_int(&c->vr, v, path, "refund_type", false, 0, 4, &a->refund_type);
        a->amount_ok = true;
        if (vr_mem(v, "refund_amount")) {
            a->has_amount = vr_rd_int(&c->vr, v, path, "refund_amount", false,
                                      0, MAX_AMOUNT, &a->refund_amount);
            a->amount_ok = a->has_amount;
            a->amount_pos = vr_mem(v, "refund_amount")->pos;
        }
        if (vr_mem(v, "refund_post_amount") &&
            !vr_rd_int(&c->vr, v, path, "refund_post_amount", false, 0,
                       MAX_AMOUNT, &a->refund_post_amount))
            a->amount_ok = false;
        a->has_quantity = vr_rd_int(&c->vr, v, path, "quantity", false, 1,
                                    1000000, &a->quantity);
        if (a->has_quantity)
            a->qty_pos = vr_mem(v, "quantity")->pos;
        vr_rd_int(&c->vr, v, path, "reason_code", false, 0, 1000000,
                  &a->reason_code);
        vr_rd_str(&c->vr, v, path, "reason_text", false, MAX_TEXT, false,
                  &a->reason_text);
        rd_role(c, v, path, "apply_role", false, &a->apply_role);
        a->apply_ok = rd_time(c, v, path, "apply_time", true, &a->apply_time);
        if (a->apply_ok)
            a->apply_pos = vr_mem(v, "apply_time")->pos;
        a->has_update =
            rd_time(c, v, path, "update_time", false, &a->update_time);
        if (a->has_update)
            a->update_pos = vr_mem(v, "update_time")->pos;
        a->has_deadline =
            rd_time(c, v, path, "status_deadline", false, &a->status_deadline);
        a->has_refund_time =
            rd_time(c, v, path, "refund_time", false, &a->refund_time);
        a->has_final = rd_time(c, v, path, "final_time", false, &a->final_time);
        if (a->has_final)
            a->final_pos = vr_mem(v, "final_time")->pos;
        a->has_got_pkg = rd_bool(c, v, path, "got_pkg", &a->got_pkg);
        vr_rd_int(&c->vr, v, path, "arbitrate_status", false, 0, 255,
                  &a->arbitrate_status);
        const struct dd_json *bits =
            vr_rd_array(&c->vr, v, path, "auto_audit_bits", false);
        for (size_t j = 0; bits && j < bits->n; j++) {
            const struct dd_json *b = &bits->kids[j];
            int64_t n;
            if (dd_json_int64(b, &n) == 0 && n >= 1 && n <= 31)
                a->audit_bits |= UINT32_C(1) << n;
            else
                vr_report(&c->vr, b->pos,
                          "%s.auto_audit_bits[%zu]: expected an integer from 1 "
                          "to 31",
                          path, j);
        }
        vr_rd_str(&c->vr, v, path, "remark", false, MAX_TEXT, false,
                  &a->remark);
        const struct dd_json *r = vr_mem(v, "return");
        snprintf(rpath, sizeof rpath, "%s.return", path);
        if (r && vr_is_object(&c->vr, r, rpath)) {
            vr_check_keys(&c->vr, r, rpath, rkeys);
            a->has_return = true;
            a->return_pos = r->pos;
            vr_rd_str(&c->vr, r, rpath, "company_code", true, 64, false,
                      &a->ret_company);
            vr_rd_str(&c->vr, r, rpath, "tracking_no", true, 64, false,
                      &a->ret_tracking);
            rd_time(c, r, rpath, "ship_time", true, &a->ret_ship_time);
        }
        const struct dd_json *recs =
            vr_rd_array(&c->vr, v, path, "records", false);
        a = &p->ass[ai];
        if (recs) {
            a->has_records = true;
            parse_records(c, p, a, recs, path);
        }
    }
}

static void parse_tokens(struct ctx *c, struct parsed *p,
                         const struct dd_json *arr)
{
    static const char *const keys[] = {
        "shop_id",         "access_token", "refresh_token", "access_expires",
        "refresh_expires", "dead_after",   "revoked",       NULL};
    for (size_t i = 0; i < arr->n; i++) {
        const struct dd_json *v = &arr->kids[i];
        char path[64];
        snprintf(path, sizeof path, "tokens[%zu]", i);
        if (!vr_is_object(&c->vr, v, path))
            continue;
        vr_check_keys(&c->vr, v, path, keys);
        size_t k = ADD(p, tokens);
        struct f_token *t = &p->tokens[k];
        t->ix = (uint32_t)i;
        t->ok = vr_rd_id(&c->vr, v, path, "shop_id", true, &t->shop_id);
        if (t->ok)
            t->shop_pos = vr_mem(v, "shop_id")->pos;
        rd_token(c, v, path, "access_token", true, 39, &t->access);
        rd_token(c, v, path, "refresh_token", true, 39, &t->refresh);
        rd_time(c, v, path, "access_expires", true, &t->access_expires);
        rd_time(c, v, path, "refresh_expires", true, &t->refresh_expires);
        rd_time(c, v, path, "dead_after", false, &t->dead_after);
        rd_bool(c, v, path, "revoked", &t->revoked);
    }
}

static void parse_codes(struct ctx *c, struct parsed *p,
                        const struct dd_json *arr)
{
    static const char *const keys[] = {"shop_id", "code", "expires", "used",
                                       NULL};
    for (size_t i = 0; i < arr->n; i++) {
        const struct dd_json *v = &arr->kids[i];
        char path[64];
        snprintf(path, sizeof path, "auth_codes[%zu]", i);
        if (!vr_is_object(&c->vr, v, path))
            continue;
        vr_check_keys(&c->vr, v, path, keys);
        size_t k = ADD(p, codes);
        struct f_code *t = &p->codes[k];
        t->ix = (uint32_t)i;
        t->ok = vr_rd_id(&c->vr, v, path, "shop_id", true, &t->shop_id);
        if (t->ok)
            t->shop_pos = vr_mem(v, "shop_id")->pos;
        rd_token(c, v, path, "code", true, 39, &t->code);
        rd_time(c, v, path, "expires", true, &t->expires);
        rd_bool(c, v, path, "used", &t->used);
    }
}

static void parse_refunds(struct ctx *c, struct parsed *p,
                          const struct dd_json *arr)
{
    static const char *const keys[] = {"time", "aftersale_id", "amount", "via",
                                       NULL};
    for (size_t i = 0; i < arr->n; i++) {
        const struct dd_json *v = &arr->kids[i];
        char path[64];
        snprintf(path, sizeof path, "refunds[%zu]", i);
        if (!vr_is_object(&c->vr, v, path))
            continue;
        vr_check_keys(&c->vr, v, path, keys);
        size_t k = ADD(p, refunds);
        struct f_refund *r = &p->refunds[k];
        r->ix = (uint32_t)i;
        r->pos = v->pos;
        r->via = "world-file";
        r->ok = vr_rd_id(&c->vr, v, path, "aftersale_id", true, &r->as_id);
        if (r->ok)
            r->as_pos = vr_mem(v, "aftersale_id")->pos;
        r->ok &= rd_time(c, v, path, "time", true, &r->time);
        r->ok &= vr_rd_int(&c->vr, v, path, "amount", true, 0, MAX_AMOUNT,
                           &r->amount);
        vr_rd_str(&c->vr, v, path, "via", false, 64, false, &r->via);
    }
}

static void parse_rng(struct ctx *c, struct parsed *p, const struct dd_json *v)
{
    bool ok = v->type == DD_JSON_STRING && v->len >= 1 && v->len <= 20;
    for (size_t i = 0; ok && i < v->len; i++)
        ok = v->text[i] >= '0' && v->text[i] <= '9';
    if (ok) {
        errno = 0;
        unsigned long long x = strtoull(v->text, NULL, 10);
        ok = errno == 0;
        p->rng = (uint64_t)x;
    }
    if (ok)
        p->has_rng = true;
    else
        vr_report(&c->vr, v->pos,
                  "rng_state: expected a string of digits (an unsigned 64-bit "
                  "number)");
}

/* The push subscription: {"url": "http://...", "tags": [200, ...]}
 * (push.h; an empty or absent tag list wants every tag). */
static void parse_subscription(struct ctx *c, struct parsed *p,
                               const struct dd_json *v)
{
    static const char *const keys[] = {"url", "tags", NULL};
    if (!vr_is_object(&c->vr, v, "subscription"))
        return;
    vr_check_keys(&c->vr, v, "subscription", keys);
    const char *url = NULL;
    if (vr_rd_str(&c->vr, v, "subscription", "url", true, 4096, false, &url)) {
        const char *problem = mock_push_url_problem(url, strlen(url));
        if (problem)
            vr_report(&c->vr, vr_mem(v, "url")->pos, "subscription.url: %s",
                      problem);
        else
            p->sub_url = url;
    }
    const struct dd_json *tags =
        vr_rd_array(&c->vr, v, "subscription", "tags", false);
    for (size_t i = 0; tags && i < tags->n; i++) {
        int64_t t;
        if (dd_json_int64(&tags->kids[i], &t) == 0 && t >= 200 &&
            t < 200 + 5 * 64)
            p->sub_tags[(t - 200) / 64] |= UINT64_C(1) << ((t - 200) % 64);
        else
            vr_report(&c->vr, tags->kids[i].pos,
                      "subscription.tags[%zu]: expected a message tag from 200 "
                      "to 519",
                      i);
    }
}

/* ================================================================ pass 2 */

enum { K_SHOP = 1, K_PRODUCT, K_SKU, K_ORDER, K_LINE, K_AS };

static const char *const kind_names[] = {
    "", "shop", "product", "SKU", "order", "SKU order", "after-sale"};

static struct dd_json_pos id_pos_of(const struct parsed *p, uint32_t packed)
{
    uint32_t i = packed & 0x0fffffffu;
    switch (packed >> 28) {
    case K_SHOP:
        return p->shops[i].id_pos;
    case K_PRODUCT:
        return p->products[i].id_pos;
    case K_SKU:
        return p->skus[i].id_pos;
    case K_ORDER:
        return p->orders[i].id_pos;
    case K_LINE:
        return p->lines[i].id_pos;
    default:
        return p->ass[i].id_pos;
    }
}

/*
 * Registers an id in the one id space all entities share and in its
 * kind's map. A SKU order may carry the id of its own order: Doudian gives
 * one sub-order of every order the parent's id (open-api §4.7).
 */
static void register_id(struct ctx *c, struct parsed *p, struct mock_idmap *m,
                        int kind, uint32_t i, int64_t id,
                        struct dd_json_pos pos, uint32_t own_order)
{
    uint32_t packed = ((uint32_t)kind << 28) | i;
    uint32_t prev = mock_idmap_get(&p->all, id);
    if (prev == MOCK_NONE) {
        mock_idmap_put(&p->all, id, packed);
        mock_idmap_put(m, id, i);
        return;
    }
    if (kind == K_LINE && prev == (((uint32_t)K_ORDER << 28) | own_order)) {
        mock_idmap_put(m, id, i);
        return;
    }
    struct dd_json_pos first = id_pos_of(p, prev);
    vr_report(&c->vr, pos,
              "duplicate id \"%lld\": already the id of the %s at %u:%u",
              (long long)id, kind_names[prev >> 28], first.line, first.col);
}

static int derive_order_status(const struct parsed *p, const struct f_order *o)
{
    uint32_t shipped = 0, cancelled = 0, open = 0;
    for (uint32_t k = 0; k < o->n_lines; k++) {
        int st = p->lines[o->first_line + k].status;
        if (st == MOCK_SKU_SHIPPED || st == MOCK_SKU_DONE)
            shipped++;
        else if (st == MOCK_SKU_CANCELLED)
            cancelled++;
        else
            open++;
    }
    if (cancelled == o->n_lines)
        return MOCK_ORDER_CANCELLED;
    if (open == 0)
        return MOCK_ORDER_SHIPPED;
    return shipped > 0 ? MOCK_ORDER_PARTLY_SHIPPED : MOCK_ORDER_PAID;
}

static void check_ids(struct ctx *c, struct parsed *p)
{
    for (size_t i = 0; i < p->n_shops; i++)
        if (p->shops[i].ok)
            register_id(c, p, &p->shop_map, K_SHOP, (uint32_t)i, p->shops[i].id,
                        p->shops[i].id_pos, MOCK_NONE);
    for (size_t i = 0; i < p->n_products; i++)
        if (p->products[i].ok)
            register_id(c, p, &p->product_map, K_PRODUCT, (uint32_t)i,
                        p->products[i].id, p->products[i].id_pos, MOCK_NONE);
    for (size_t i = 0; i < p->n_skus; i++)
        if (p->skus[i].ok)
            register_id(c, p, &p->sku_map, K_SKU, (uint32_t)i, p->skus[i].id,
                        p->skus[i].id_pos, MOCK_NONE);
    for (size_t i = 0; i < p->n_orders; i++) {
        const struct f_order *o = &p->orders[i];
        if (o->ok)
            register_id(c, p, &p->order_map, K_ORDER, (uint32_t)i, o->id,
                        o->id_pos, MOCK_NONE);
        for (uint32_t k = 0; k < o->n_lines; k++) {
            uint32_t li = o->first_line + k;
            if (p->lines[li].ok)
                register_id(c, p, &p->line_map, K_LINE, li, p->lines[li].id,
                            p->lines[li].id_pos,
                            o->ok ? (uint32_t)i : MOCK_NONE);
        }
    }
    for (size_t i = 0; i < p->n_ass; i++)
        if (p->ass[i].ok)
            register_id(c, p, &p->as_map, K_AS, (uint32_t)i, p->ass[i].id,
                        p->ass[i].id_pos, MOCK_NONE);
}

static void check_refs(struct ctx *c, struct parsed *p)
{
    for (size_t i = 0; i < p->n_orders; i++) {
        struct f_order *o = &p->orders[i];
        o->shop = MOCK_NONE;
        if (o->shop_ok) {
            o->shop = mock_idmap_get(&p->shop_map, o->shop_id);
            if (o->shop == MOCK_NONE)
                vr_report(&c->vr, o->shop_pos,
                          "orders[%u].shop_id: no shop has id \"%lld\"", o->ix,
                          (long long)o->shop_id);
        }
        if (!o->has_pay)
            o->pay_time = o->create_time;
        if (o->times_ok && o->pay_time < o->create_time)
            vr_report(&c->vr, o->pay_pos,
                      "orders[%u].pay_time: before create_time", o->ix);
        if (o->times_ok && o->has_logistics && o->ship_time &&
            o->ship_time < o->pay_time)
            vr_report(
                &c->vr, o->logistics_pos,
                "orders[%u].logistics.ship_time: before the order was paid",
                o->ix);
    }
    for (size_t i = 0; i < p->n_lines; i++) {
        struct f_line *l = &p->lines[i];
        const struct f_order *o = &p->orders[l->order];
        l->sku = MOCK_NONE;
        if (!l->sku_ok)
            continue;
        l->sku = mock_idmap_get(&p->sku_map, l->sku_id);
        if (l->sku == MOCK_NONE) {
            vr_report(
                &c->vr, l->sku_pos,
                "orders[%u].sku_orders[%u].sku_id: no SKU has id \"%lld\"",
                o->ix, l->ix, (long long)l->sku_id);
            continue;
        }
        if (!l->has_pay && l->amounts_ok) {
            int64_t price = p->skus[l->sku].price;
            if (price > MAX_AMOUNT / l->quantity) {
                vr_report(&c->vr, l->pos,
                          "orders[%u].sku_orders[%u]: price x quantity is too "
                          "large",
                          o->ix, l->ix);
                l->amounts_ok = false;
            } else {
                l->pay_amount = price * l->quantity;
            }
        }
    }
    for (size_t i = 0; i < p->n_ass; i++) {
        struct f_as *a = &p->ass[i];
        if (!a->line_ok)
            continue;
        a->line = mock_idmap_get(&p->line_map, a->line_id);
        if (a->line == MOCK_NONE) {
            vr_report(
                &c->vr, a->line_pos,
                "aftersales[%u].sku_order_id: no SKU order has id \"%lld\"",
                a->ix, (long long)a->line_id);
            continue;
        }
        const struct f_order *o = &p->orders[p->lines[a->line].order];
        if (!a->has_order_id)
            continue;
        uint32_t oi = mock_idmap_get(&p->order_map, a->order_id);
        if (oi == MOCK_NONE)
            vr_report(&c->vr, a->order_pos,
                      "aftersales[%u].order_id: no order has id \"%lld\"",
                      a->ix, (long long)a->order_id);
        else if (o->ok && o->id != a->order_id)
            vr_report(&c->vr, a->order_pos,
                      "aftersales[%u].order_id: SKU order \"%lld\" belongs to "
                      "order \"%lld\", not \"%lld\"",
                      a->ix, (long long)a->line_id, (long long)o->id,
                      (long long)a->order_id);
    }
    for (size_t i = 0; i < p->n_tokens; i++) {
        struct f_token *t = &p->tokens[i];
        if (t->ok && mock_idmap_get(&p->shop_map, t->shop_id) == MOCK_NONE)
            vr_report(&c->vr, t->shop_pos,
                      "tokens[%u].shop_id: no shop has id \"%lld\"", t->ix,
                      (long long)t->shop_id);
    }
    for (size_t i = 0; i < p->n_codes; i++) {
        struct f_code *t = &p->codes[i];
        if (t->ok && mock_idmap_get(&p->shop_map, t->shop_id) == MOCK_NONE)
            vr_report(&c->vr, t->shop_pos,
                      "auth_codes[%u].shop_id: no shop has id \"%lld\"", t->ix,
                      (long long)t->shop_id);
    }
}

/* True when the after-sale was read well enough to check its rules. */
static bool as_usable(const struct parsed *p, const struct f_as *a)
{
    return a->line != MOCK_NONE && a->type_ok && a->status_ok &&
           p->lines[a->line].amounts_ok;
}

/* Fills the after-sales' defaults that depend on their SKU order. */
static void resolve_aftersales(struct parsed *p)
{
    for (size_t i = 0; i < p->n_ass; i++) {
        struct f_as *a = &p->ass[i];
        if (!a->status_ok)
            continue;
        if (!a->has_refund_status)
            a->refund_status = a->status == MOCK_AS_SUCCESS
                                   ? MOCK_REFUND_DONE
                                   : MOCK_REFUND_PENDING;
        if (!as_usable(p, a))
            continue;
        const struct f_line *l = &p->lines[a->line];
        if (!a->has_amount)
            a->refund_amount = l->pay_amount;
        if (!a->has_quantity)
            a->quantity = l->quantity;
        if (!a->has_got_pkg)
            a->got_pkg = a->type == MOCK_AS_TYPE_RETURN &&
                         (a->status == MOCK_AS_SUCCESS ||
                          a->status == MOCK_AS_SELLER_REFUSED_2);
        if (a->type == MOCK_AS_TYPE_UNSHIPPED_REFUND &&
            a->refund_status == MOCK_REFUND_DONE)
            p->lines[a->line].refund_cancel = true;
        if (!a->has_update) {
            int64_t t = a->apply_time;
            if (a->has_return && a->ret_ship_time > t)
                t = a->ret_ship_time;
            if (a->has_refund_time && a->refund_time > t)
                t = a->refund_time;
            if (a->has_final && a->final_time > t)
                t = a->final_time;
            a->update_time = t;
        }
        bool final = is_final_status(a->type, a->status);
        if (!a->has_final)
            a->final_time = final ? a->update_time : 0;
        if (!a->has_refund_time)
            a->refund_time =
                a->refund_status == MOCK_REFUND_DONE ? a->update_time : 0;
    }
}

static void check_lines_and_orders(struct ctx *c, struct parsed *p)
{
    for (size_t i = 0; i < p->n_lines; i++) {
        struct f_line *l = &p->lines[i];
        const struct f_order *o = &p->orders[l->order];
        if (l->status != -1)
            continue;
        if (l->refund_cancel)
            l->status = MOCK_SKU_CANCELLED;
        else if (o->has_logistics)
            l->status =
                o->status == MOCK_ORDER_DONE ? MOCK_SKU_DONE : MOCK_SKU_SHIPPED;
        else
            l->status = MOCK_SKU_UNSHIPPED;
    }
    for (size_t i = 0; i < p->n_orders; i++) {
        struct f_order *o = &p->orders[i];
        if (o->n_lines == 0)
            continue;
        bool any_shipped = false;
        for (uint32_t k = 0; k < o->n_lines; k++) {
            int st = p->lines[o->first_line + k].status;
            any_shipped |= st == MOCK_SKU_SHIPPED || st == MOCK_SKU_DONE;
        }
        if (any_shipped && !o->has_logistics)
            vr_report(&c->vr, o->pos,
                      "orders[%u]: has shipped SKU orders but no \"logistics\"",
                      o->ix);
        if (o->has_logistics && !any_shipped)
            vr_report(&c->vr, o->logistics_pos,
                      "orders[%u].logistics: none of the order's SKU orders is "
                      "shipped",
                      o->ix);
        int derived = derive_order_status(p, o);
        if (o->status != -1 && o->status != derived &&
            !(o->status == MOCK_ORDER_DONE && derived == MOCK_ORDER_SHIPPED))
            vr_report(&c->vr, o->status_pos,
                      "orders[%u].status: \"%s\" does not match its SKU orders "
                      "(they make it \"%s\")",
                      o->ix, name_of(order_statuses, o->status),
                      name_of(order_statuses, derived));
    }
}

static const char *line_status_name(int st)
{
    const char *n = name_of(line_statuses, st);
    return n ? n : "?";
}

/* The state rules between an after-sale and its SKU order. */
static void check_aftersale(struct ctx *c, struct parsed *p, struct f_as *a)
{
    struct f_line *l = &p->lines[a->line];
    const struct f_order *o = &p->orders[l->order];
    bool final = is_final_status(a->type, a->status);
    const char *tname = name_of(as_types, a->type);
    unsigned ix = a->ix;

    if ((a->status == MOCK_AS_WAIT_BUYER_RETURN ||
         a->status == MOCK_AS_WAIT_SELLER_RECEIVE ||
         a->status == MOCK_AS_SELLER_REFUSED_2) &&
        a->type != MOCK_AS_TYPE_RETURN)
        vr_report(&c->vr, a->status_pos,
                  "aftersales[%u].status: %d only exists for type \"return\"",
                  ix, a->status);
    if (a->type == MOCK_AS_TYPE_UNSHIPPED_REFUND) {
        if (!final && l->status != MOCK_SKU_UNSHIPPED)
            vr_report(&c->vr, a->line_pos,
                      "aftersales[%u].sku_order_id: an open unshipped_refund "
                      "needs an unshipped SKU order, but \"%lld\" is %s",
                      ix, (long long)l->id, line_status_name(l->status));
        if (a->refund_status == MOCK_REFUND_DONE &&
            l->status != MOCK_SKU_CANCELLED)
            vr_report(
                &c->vr, a->line_pos,
                "aftersales[%u].sku_order_id: a refunded unshipped_refund "
                "cancels its SKU order, but \"%lld\" is %s",
                ix, (long long)l->id, line_status_name(l->status));
    } else if (l->status != MOCK_SKU_SHIPPED && l->status != MOCK_SKU_DONE) {
        vr_report(&c->vr, a->type_pos,
                  "aftersales[%u].type: a %s needs a shipped SKU order, but "
                  "\"%lld\" is %s",
                  ix, tname, (long long)l->id, line_status_name(l->status));
    }
    if (!final) {
        if (l->open_as != MOCK_NONE)
            vr_report(&c->vr, a->line_pos,
                      "aftersales[%u].sku_order_id: SKU order \"%lld\" already "
                      "has an open after-sale (\"%lld\")",
                      ix, (long long)l->id, (long long)p->ass[l->open_as].id);
        else
            l->open_as = (uint32_t)(a - p->ass);
    }
    if (a->has_quantity && a->quantity > l->quantity)
        vr_report(
            &c->vr, a->qty_pos,
            "aftersales[%u].quantity: %lld is more than the %lld items of "
            "SKU order \"%lld\"",
            ix, (long long)a->quantity, (long long)l->quantity,
            (long long)l->id);
    int64_t paid = l->pay_amount + l->post_amount;
    if (a->amount_ok && a->refund_amount > paid)
        vr_report(
            &c->vr, a->has_amount ? a->amount_pos : a->pos,
            "aftersales[%u].refund_amount: %lld fen is more than the %lld "
            "fen paid for SKU order \"%lld\" (pay_amount + post_amount)",
            ix, (long long)a->refund_amount, (long long)paid, (long long)l->id);
    else if (a->amount_ok && a->refund_post_amount > a->refund_amount)
        vr_report(&c->vr, a->pos,
                  "aftersales[%u].refund_post_amount: more than refund_amount",
                  ix);
    if (a->apply_ok && o->times_ok && a->apply_time < o->create_time)
        vr_report(&c->vr, a->apply_pos,
                  "aftersales[%u].apply_time: before its order was created",
                  ix);
    if (a->apply_ok && a->has_update && a->update_time < a->apply_time)
        vr_report(&c->vr, a->update_pos,
                  "aftersales[%u].update_time: before apply_time", ix);
    if (a->apply_ok && a->has_final && a->final_time &&
        a->final_time < a->apply_time)
        vr_report(&c->vr, a->final_pos,
                  "aftersales[%u].final_time: before apply_time", ix);
    if (a->status == MOCK_AS_WAIT_SELLER_RECEIVE && !a->has_return)
        vr_report(&c->vr, a->status_pos,
                  "aftersales[%u]: status 11 (the buyer shipped the return) "
                  "needs \"return\" with the tracking number",
                  ix);
    if (a->has_return && a->type != MOCK_AS_TYPE_RETURN)
        vr_report(&c->vr, a->return_pos,
                  "aftersales[%u].return: only a \"return\" has return "
                  "logistics",
                  ix);
    else if (a->has_return && (a->status == MOCK_AS_WAIT_SELLER_AGREE ||
                               a->status == MOCK_AS_WAIT_BUYER_RETURN))
        vr_report(&c->vr, a->return_pos,
                  "aftersales[%u].return: the buyer has not shipped the return "
                  "yet in status %d",
                  ix, a->status);
    if (a->has_refund_status && a->refund_status == MOCK_REFUND_DONE &&
        a->status != MOCK_AS_SUCCESS)
        vr_report(&c->vr, a->refund_status_pos,
                  "aftersales[%u].refund_status: 3 (refunded) needs status 12",
                  ix);
    if (a->has_final && final && a->final_time == 0)
        vr_report(&c->vr, a->final_pos,
                  "aftersales[%u].final_time: status %d is final and needs a "
                  "final_time",
                  ix, a->status);
    if (a->has_final && !final && a->final_time != 0)
        vr_report(&c->vr, a->final_pos,
                  "aftersales[%u].final_time: status %d is not final, so "
                  "final_time must be 0",
                  ix, a->status);
}

static void check_refunds(struct ctx *c, struct parsed *p)
{
    if (p->has_refunds) {
        for (size_t i = 0; i < p->n_refunds; i++) {
            struct f_refund *r = &p->refunds[i];
            r->as = MOCK_NONE;
            if (!r->ok)
                continue;
            r->as = mock_idmap_get(&p->as_map, r->as_id);
            if (r->as == MOCK_NONE) {
                vr_report(&c->vr, r->as_pos,
                          "refunds[%u].aftersale_id: no after-sale has id "
                          "\"%lld\"",
                          r->ix, (long long)r->as_id);
                continue;
            }
            if (as_usable(p, &p->ass[r->as]))
                p->lines[p->ass[r->as].line].refunded += r->amount;
        }
    } else {
        for (size_t i = 0; i < p->n_ass; i++) {
            const struct f_as *a = &p->ass[i];
            if (as_usable(p, a) && a->refund_status == MOCK_REFUND_DONE &&
                a->amount_ok &&
                a->refund_amount <= p->lines[a->line].pay_amount +
                                        p->lines[a->line].post_amount)
                p->lines[a->line].refunded += a->refund_amount;
        }
    }
    for (size_t i = 0; i < p->n_lines; i++) {
        const struct f_line *l = &p->lines[i];
        if (l->amounts_ok && l->refunded > l->pay_amount + l->post_amount)
            vr_report(&c->vr, l->pos,
                      "orders[%u].sku_orders[%u]: refunds total %lld fen, more "
                      "than the %lld fen paid (pay_amount + post_amount)",
                      p->orders[l->order].ix, l->ix, (long long)l->refunded,
                      (long long)(l->pay_amount + l->post_amount));
    }
}

static void check_all(struct ctx *c, struct parsed *p)
{
    mock_idmap_init(&p->all);
    mock_idmap_init(&p->shop_map);
    mock_idmap_init(&p->product_map);
    mock_idmap_init(&p->sku_map);
    mock_idmap_init(&p->order_map);
    mock_idmap_init(&p->line_map);
    mock_idmap_init(&p->as_map);
    check_ids(c, p);
    check_refs(c, p);
    resolve_aftersales(p);
    check_lines_and_orders(c, p);
    for (size_t i = 0; i < p->n_ass; i++)
        if (as_usable(p, &p->ass[i]))
            check_aftersale(c, p, &p->ass[i]);
    check_refunds(c, p);
}

/* ================================================================ pass 3 */

static char *dup_or(const char *s, const char *fallback)
{
    return xstrdup(s ? s : fallback);
}

static char *dup_id_name(const char *s, const char *prefix, int64_t id)
{
    char buf[64];
    if (s)
        return xstrdup(s);
    snprintf(buf, sizeof buf, "%s%lld", prefix, (long long)id);
    return xstrdup(buf);
}

static const char *apply_text(int type)
{
    switch (type) {
    case MOCK_AS_TYPE_RETURN:
        return "买家发起售后申请：退货退款";
    case MOCK_AS_TYPE_SHIPPED_REFUND:
        return "买家发起售后申请：已发货仅退款";
    default:
        return "买家发起售后申请：未发货仅退款";
    }
}

static void push_refund(struct mock_world *w, int64_t time, uint32_t as,
                        int64_t amount, const char *via)
{
    if (w->refunds.n == w->refunds.cap) {
        w->refunds.cap = w->refunds.cap ? w->refunds.cap * 2 : 16;
        w->refunds.v =
            xrealloc(w->refunds.v, w->refunds.cap * sizeof *w->refunds.v);
    }
    struct mock_refund *r = &w->refunds.v[w->refunds.n++];
    r->time = time;
    r->aftersale = as;
    r->sku_order = w->aftersales.v[as].sku_order;
    r->amount = amount;
    r->via = via;
    w->sku_orders.v[r->sku_order].refunded += amount;
}

static void build_orders(struct mock_world *w, const struct parsed *p)
{
    struct mock_sku_order *items = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < p->n_orders; i++) {
        const struct f_order *f = &p->orders[i];
        struct mock_order o;
        memset(&o, 0, sizeof o);
        o.order_id = f->id;
        o.shop = f->shop;
        o.status = f->status == -1 ? MOCK_ORDER_PAID : f->status;
        o.create_time = f->create_time;
        o.pay_time = f->pay_time;
        o.ship_time = f->has_logistics ? f->ship_time : 0;
        o.post_amount = f->post_amount;
        o.pay_type = (int32_t)f->pay_type;
        if (f->has_logistics) {
            o.company_code = xstrdup(f->company_code);
            o.tracking_no = xstrdup(f->tracking_no);
        }
        o.buyer_words = xstrdup(f->buyer_words);
        o.seller_words = xstrdup(f->seller_words);
        int64_t t = o.pay_time > o.create_time ? o.pay_time : o.create_time;
        if (o.ship_time > t)
            t = o.ship_time;
        if (f->n_lines > cap) {
            cap = f->n_lines;
            items = xrealloc(items, cap * sizeof *items);
        }
        for (uint32_t k = 0; k < f->n_lines; k++) {
            const struct f_line *l = &p->lines[f->first_line + k];
            struct mock_sku_order *so = &items[k];
            memset(so, 0, sizeof *so);
            so->sku_order_id = l->id;
            so->sku = l->sku;
            so->quantity = (int32_t)l->quantity;
            so->pay_amount = l->pay_amount;
            so->post_amount = l->post_amount;
            so->status = l->status;
            so->ship_time =
                l->has_ship_time ? l->ship_time
                : (l->status == MOCK_SKU_SHIPPED || l->status == MOCK_SKU_DONE)
                    ? o.ship_time
                    : 0;
            so->aftersale = MOCK_NONE;
            if (so->ship_time > t)
                t = so->ship_time;
        }
        if (f->has_finish && f->finish_time > t)
            t = f->finish_time;
        o.update_time = f->has_update ? f->update_time : t;
        o.finish_time = f->has_finish                  ? f->finish_time
                        : f->status == MOCK_ORDER_DONE ? o.update_time
                                                       : 0;
        uint32_t oi = mock_world_add_order(w, &o, items, f->n_lines);
        if (f->status == -1)
            mock_order_refresh(w, oi, o.update_time);
    }
    free(items);
}

static void build_aftersales(struct mock_world *w, const struct parsed *p,
                             int64_t now)
{
    for (size_t i = 0; i < p->n_ass; i++) {
        const struct f_as *f = &p->ass[i];
        struct mock_aftersale a;
        memset(&a, 0, sizeof a);
        a.aftersale_id = f->id;
        a.sku_order = f->line;
        a.order = p->lines[f->line].order;
        a.type = f->type;
        a.status = f->status;
        a.refund_status = (int32_t)f->refund_status;
        a.refund_type = (int32_t)f->refund_type;
        a.reason_code = (int32_t)f->reason_code;
        a.quantity = (int32_t)f->quantity;
        a.got_pkg = f->got_pkg;
        a.arbitrate_status = (int32_t)f->arbitrate_status;
        a.apply_role = f->apply_role;
        a.auto_audit_bits = f->audit_bits;
        a.refund_amount = f->refund_amount;
        a.refund_post_amount = f->refund_post_amount;
        a.apply_time = f->apply_time;
        a.update_time = f->update_time;
        a.refund_time = f->refund_time;
        a.final_time = f->final_time;
        a.reason_text = xstrdup(f->reason_text);
        a.remark = xstrdup(f->remark);
        if (f->has_return) {
            a.return_company_code = xstrdup(f->ret_company);
            a.return_tracking_no = xstrdup(f->ret_tracking);
            a.return_ship_time = f->ret_ship_time;
        }
        /* Deadlines count from the moment the world is loaded, so that no
         * timer fires at load time for a world written hours ago. */
        a.status_deadline = f->has_deadline
                                ? f->status_deadline
                                : mock_aftersale_deadline(w, &a, now);
        uint32_t ai = mock_world_add_aftersale(w, &a);
        if (!f->has_records) {
            mock_aftersale_record(w, ai, f->apply_time, MOCK_ROLE_BUYER,
                                  "apply", apply_text(f->type));
            continue;
        }
        for (uint32_t k = 0; k < f->n_records; k++) {
            const struct f_record *r = &p->records[f->first_record + k];
            mock_aftersale_record(w, ai, r->time, r->role, r->action, r->text);
        }
    }
}

static struct mock_world *build(const struct parsed *p, uint64_t seed,
                                int64_t now)
{
    uint64_t s = p->seed_set ? (uint64_t)p->settings.seed : seed;
    struct mock_world *w = mock_world_new(&p->settings, s, now);
    if (p->app_key) {
        memcpy(w->app_key, p->app_key, 19);
        w->app_key[19] = '\0';
    }
    if (p->app_secret)
        snprintf(w->app_secret, sizeof w->app_secret, "%s", p->app_secret);
    w->app_type = (enum mock_app_type)p->app_type;
    w->name = xstrdup(p->app_name);

    RESERVE(w->shops, (uint32_t)p->n_shops);
    RESERVE(w->products, (uint32_t)p->n_products);
    RESERVE(w->skus, (uint32_t)p->n_skus);
    RESERVE(w->orders, (uint32_t)p->n_orders);
    RESERVE(w->sku_orders, (uint32_t)p->n_lines);
    RESERVE(w->aftersales, (uint32_t)p->n_ass);
    for (size_t i = 0; i < p->n_shops; i++) {
        const struct f_shop *f = &p->shops[i];
        struct mock_shop x = {f->id, dup_id_name(f->name, "店铺", f->id),
                              f->cancel, f->ret};
        mock_world_add_shop(w, &x);
    }
    for (size_t i = 0; i < p->n_products; i++) {
        const struct f_product *f = &p->products[i];
        struct mock_product x = {f->id, dup_id_name(f->name, "商品", f->id),
                                 dup_or(f->image, "")};
        mock_world_add_product(w, &x);
    }
    for (size_t i = 0; i < p->n_skus; i++) {
        const struct f_sku *f = &p->skus[i];
        struct mock_sku x = {f->id, f->product, f->price, dup_or(f->spec, ""),
                             dup_or(f->code, "")};
        mock_world_add_sku(w, &x);
    }
    build_orders(w, p);
    build_aftersales(w, p, now);

    if (p->has_refunds) {
        for (size_t i = 0; i < p->n_refunds; i++) {
            const struct f_refund *r = &p->refunds[i];
            push_refund(w, r->time, r->as, r->amount, intern_via(r->via));
        }
    } else {
        for (size_t i = 0; i < p->n_ass; i++) {
            const struct f_as *f = &p->ass[i];
            if (f->refund_status == MOCK_REFUND_DONE)
                push_refund(w, f->refund_time, (uint32_t)i, f->refund_amount,
                            "world-file");
        }
    }
    for (size_t i = 0; i < p->n_tokens; i++) {
        const struct f_token *f = &p->tokens[i];
        if (w->tokens.n == w->tokens.cap) {
            w->tokens.cap = w->tokens.cap ? w->tokens.cap * 2 : 16;
            w->tokens.v =
                xrealloc(w->tokens.v, w->tokens.cap * sizeof *w->tokens.v);
        }
        struct mock_token *t = &w->tokens.v[w->tokens.n++];
        memset(t, 0, sizeof *t);
        snprintf(t->access_token, sizeof t->access_token, "%s", f->access);
        snprintf(t->refresh_token, sizeof t->refresh_token, "%s", f->refresh);
        t->shop = mock_world_shop(w, f->shop_id);
        t->access_expires = f->access_expires;
        t->refresh_expires = f->refresh_expires;
        t->dead_after = f->dead_after;
        t->revoked = f->revoked;
    }
    for (size_t i = 0; i < p->n_codes; i++) {
        const struct f_code *f = &p->codes[i];
        if (w->auth_codes.n == w->auth_codes.cap) {
            w->auth_codes.cap = w->auth_codes.cap ? w->auth_codes.cap * 2 : 16;
            w->auth_codes.v = xrealloc(
                w->auth_codes.v, w->auth_codes.cap * sizeof *w->auth_codes.v);
        }
        struct mock_auth_code *t = &w->auth_codes.v[w->auth_codes.n++];
        memset(t, 0, sizeof *t);
        snprintf(t->code, sizeof t->code, "%s", f->code);
        t->shop = mock_world_shop(w, f->shop_id);
        t->expires = f->expires;
        t->used = f->used;
    }
    if (p->has_rng)
        w->rng = p->rng;
    if (p->sub_url) {
        w->subscription.url = xstrdup(p->sub_url);
        memcpy(w->subscription.tags, p->sub_tags, sizeof p->sub_tags);
    }
    return w;
}

/* ================================================================ load */

struct mock_world *mock_world_from_json(const struct dd_json *root,
                                        const char *file,
                                        const struct mock_settings *defaults,
                                        uint64_t seed, int64_t now,
                                        struct dd_buf *errs)
{
    static const char *const keys[] = {
        "version",  "app",       "settings",   "subscription", "shops",
        "products", "orders",    "aftersales", "tokens",       "auth_codes",
        "refunds",  "rng_state", NULL};
    struct ctx c = {.now = now};
    struct parsed p;
    const struct dd_json *v;
    struct mock_world *w = NULL;

    vr_init(&c.vr, file ? file : "(world)", &world_style);
    memset(&p, 0, sizeof p);
    p.app_type = MOCK_APP_SELF;
    if (defaults)
        p.settings = *defaults;
    else
        mock_settings_default(&p.settings);
    if (!root || root->type != DD_JSON_OBJECT) {
        struct dd_json_pos pos = {0, 1, 1};
        vr_report(&c.vr, root ? root->pos : pos,
                  "a world must be a JSON object, got %s",
                  root ? vr_a_type(root) : "nothing");
        vr_flush(&c.vr, errs);
        return NULL;
    }
    vr_check_keys(&c.vr, root, "world", keys);
    int64_t version = 1;
    vr_rd_int(&c.vr, root, "world", "version", false, 1, 1, &version);
    if ((v = vr_mem(root, "app")))
        parse_app(&c, &p, v);
    if ((v = vr_mem(root, "settings")))
        parse_settings(&c, &p, v);
    if ((v = vr_mem(root, "subscription")))
        parse_subscription(&c, &p, v);
    if ((v = vr_rd_array(&c.vr, root, "world", "shops", false)))
        parse_shops(&c, &p, v);
    if ((v = vr_rd_array(&c.vr, root, "world", "products", false)))
        parse_products(&c, &p, v);
    if ((v = vr_rd_array(&c.vr, root, "world", "orders", false)))
        parse_orders(&c, &p, v);
    if ((v = vr_rd_array(&c.vr, root, "world", "aftersales", false)))
        parse_aftersales(&c, &p, v);
    if ((v = vr_rd_array(&c.vr, root, "world", "tokens", false)))
        parse_tokens(&c, &p, v);
    if ((v = vr_rd_array(&c.vr, root, "world", "auth_codes", false)))
        parse_codes(&c, &p, v);
    if ((v = vr_rd_array(&c.vr, root, "world", "refunds", false))) {
        p.has_refunds = true;
        parse_refunds(&c, &p, v);
    }
    if ((v = vr_mem(root, "rng_state")))
        parse_rng(&c, &p, v);
    if (p.n_ass > 0x0fffffff || p.n_lines > 0x0fffffff) {
        vr_report(&c.vr, root->pos, "too many entities in one world");
    } else {
        check_all(&c, &p);
    }
    if (c.vr.n == 0)
        w = build(&p, seed, now);
    else
        vr_flush(&c.vr, errs);
    parsed_free(&p);
    return w;
}

static struct mock_world *load_file(const char *path,
                                    const struct mock_settings *defaults,
                                    uint64_t seed, int64_t now,
                                    struct dd_buf *errs)
{
    size_t len;
    char *text = vr_read_file(path, MAX_FILE_BYTES, &len, errs);
    if (!text)
        return NULL;
    /* A file that fills the cap was refused by vr_read_file. */
    struct dd_json_limits lim = {64, MAX_FILE_BYTES};
    struct dd_json_doc doc;
    struct dd_json_error jerr;
    struct mock_world *w = NULL;
    if (dd_json_parse(text, len, &lim, &doc, &jerr) != 0) {
        dd_buf_printf(errs, "%s:%u:%u: %s\n", path, jerr.pos.line, jerr.pos.col,
                      jerr.msg);
    } else {
        w = mock_world_from_json(doc.root, path, defaults, seed, now, errs);
    }
    dd_json_doc_free(&doc);
    free(text);
    return w;
}

struct mock_world *mock_world_load_file(const char *path,
                                        const struct mock_settings *defaults,
                                        uint64_t seed, int64_t now,
                                        struct dd_buf *errs)
{
    struct dd_buf sink;
    struct mock_world *w;
    if (errs)
        return load_file(path, defaults, seed, now, errs);
    dd_buf_init(&sink, 0);
    w = load_file(path, defaults, seed, now, &sink);
    dd_buf_free(&sink);
    return w;
}

/* ================================================================ default */

/* The built-in default world, in the world-file format (mock/WORLD.md
 * shows the same text), one line per string to stay under the length
 * of string literals C11 compilers must support. */
static const char *const default_world_lines[] = {
    "{",
    "  \"app\": {\"type\": \"self\", \"name\": \"dd-harness 默认世界\"},",
    "  \"shops\": [",
    "    {\"shop_id\": \"23456789\", \"name\": \"dd-harness 演示店\",",
    "     \"strategies\": {\"cancel_auto_refund\": true, "
    "\"return_auto_refund\": true}}",
    "  ],",
    "  \"products\": [",
    "    {\"product_id\": \"3600000000000000001\", \"name\": "
    "\"纯棉圆领短袖T恤\",",
    "     \"image\": \"https://example.com/dd-harness/tshirt.jpg\",",
    "     \"skus\": [",
    "       {\"sku_id\": \"1760000000000000011\", \"price\": 5900,",
    "        \"spec\": \"颜色:白色;尺码:M\", \"code\": \"TS-WHT-M\"},",
    "       {\"sku_id\": \"1760000000000000012\", \"price\": 5900,",
    "        \"spec\": \"颜色:黑色;尺码:L\", \"code\": \"TS-BLK-L\"},",
    "       {\"sku_id\": \"1760000000000000013\", \"price\": 6900,",
    "        \"spec\": \"颜色:灰色;尺码:XL\", \"code\": \"TS-GRY-XL\"}]},",
    "    {\"product_id\": \"3600000000000000002\", \"name\": \"不锈钢保温杯 "
    "500ml\",",
    "     \"image\": \"https://example.com/dd-harness/cup.jpg\",",
    "     \"skus\": [",
    "       {\"sku_id\": \"1760000000000000021\", \"price\": 8900,",
    "        \"spec\": \"颜色:星空蓝\", \"code\": \"CUP-500-BLU\"},",
    "       {\"sku_id\": \"1760000000000000022\", \"price\": 8900,",
    "        \"spec\": \"颜色:樱花粉\", \"code\": \"CUP-500-PNK\"}]},",
    "    {\"product_id\": \"3600000000000000003\", \"name\": \"古法手工红糖 "
    "454g\",",
    "     \"image\": \"https://example.com/dd-harness/sugar.jpg\",",
    "     \"skus\": [",
    "       {\"sku_id\": \"1760000000000000031\", \"price\": 2500,",
    "        \"spec\": \"规格:454g\", \"code\": \"SUGAR-454\"}]}",
    "  ],",
    "  \"orders\": [",
    "    {\"order_id\": \"6920000000000000101\", \"shop_id\": \"23456789\",",
    "     \"create_time\": \"now-3h\", \"pay_time\": \"now-2h59m\",",
    "     \"sku_orders\": [",
    "       {\"sku_order_id\": \"6920000000000000101\", \"sku_id\": "
    "\"1760000000000000011\",",
    "        \"quantity\": 1, \"pay_amount\": 5900}]},",
    "    {\"order_id\": \"6920000000000000201\", \"shop_id\": \"23456789\",",
    "     \"create_time\": \"now-5h\", \"pay_time\": \"now-4h59m\",",
    "     \"sku_orders\": [",
    "       {\"sku_order_id\": \"6920000000000000201\", \"sku_id\": "
    "\"1760000000000000012\",",
    "        \"quantity\": 1, \"pay_amount\": 5900},",
    "       {\"sku_order_id\": \"6920000000000000202\", \"sku_id\": "
    "\"1760000000000000021\",",
    "        \"quantity\": 1, \"pay_amount\": 8900},",
    "       {\"sku_order_id\": \"6920000000000000203\", \"sku_id\": "
    "\"1760000000000000031\",",
    "        \"quantity\": 2, \"pay_amount\": 5000}]},",
    "    {\"order_id\": \"6920000000000000301\", \"shop_id\": \"23456789\",",
    "     \"create_time\": \"now-4d\", \"pay_time\": \"now-4d\",",
    "     \"logistics\": {\"company_code\": \"shunfeng\", \"tracking_no\": "
    "\"SF1000000000301\",",
    "                   \"ship_time\": \"now-3d\"},",
    "     \"sku_orders\": [",
    "       {\"sku_order_id\": \"6920000000000000301\", \"sku_id\": "
    "\"1760000000000000013\",",
    "        \"quantity\": 1, \"pay_amount\": 6900}]},",
    "    {\"order_id\": \"6920000000000000401\", \"shop_id\": \"23456789\",",
    "     \"create_time\": \"now-7d\", \"pay_time\": \"now-7d\",",
    "     \"logistics\": {\"company_code\": \"zhongtong\", \"tracking_no\": "
    "\"ZT1000000000401\",",
    "                   \"ship_time\": \"now-6d\"},",
    "     \"sku_orders\": [",
    "       {\"sku_order_id\": \"6920000000000000401\", \"sku_id\": "
    "\"1760000000000000022\",",
    "        \"quantity\": 1, \"pay_amount\": 8900}]},",
    "    {\"order_id\": \"6920000000000000501\", \"shop_id\": \"23456789\",",
    "     \"create_time\": \"now-10d\", \"pay_time\": \"now-10d\",",
    "     \"logistics\": {\"company_code\": \"yuantong\", \"tracking_no\": "
    "\"YT1000000000501\",",
    "                   \"ship_time\": \"now-9d\"},",
    "     \"sku_orders\": [",
    "       {\"sku_order_id\": \"6920000000000000501\", \"sku_id\": "
    "\"1760000000000000011\",",
    "        \"quantity\": 2, \"pay_amount\": 11800}]},",
    "    {\"order_id\": \"6920000000000000601\", \"shop_id\": \"23456789\",",
    "     \"create_time\": \"now-5d\", \"pay_time\": \"now-5d\", "
    "\"post_amount\": 800,",
    "     \"logistics\": {\"company_code\": \"shunfeng\", \"tracking_no\": "
    "\"SF1000000000601\",",
    "                   \"ship_time\": \"now-4d\"},",
    "     \"sku_orders\": [",
    "       {\"sku_order_id\": \"6920000000000000601\", \"sku_id\": "
    "\"1760000000000000031\",",
    "        \"quantity\": 1, \"pay_amount\": 2500, \"post_amount\": 800}]},",
    "    {\"order_id\": \"6920000000000000701\", \"shop_id\": \"23456789\",",
    "     \"create_time\": \"now-20d\", \"pay_time\": \"now-20d\", \"status\": "
    "\"done\",",
    "     \"finish_time\": \"now-12d\",",
    "     \"logistics\": {\"company_code\": \"shunfeng\", \"tracking_no\": "
    "\"SF1000000000701\",",
    "                   \"ship_time\": \"now-19d\"},",
    "     \"sku_orders\": [",
    "       {\"sku_order_id\": \"6920000000000000701\", \"sku_id\": "
    "\"1760000000000000012\",",
    "        \"quantity\": 1, \"pay_amount\": 5900}]},",
    "    {\"order_id\": \"6920000000000000801\", \"shop_id\": \"23456789\",",
    "     \"create_time\": \"now-9d\", \"pay_time\": \"now-9d\",",
    "     \"logistics\": {\"company_code\": \"yunda\", \"tracking_no\": "
    "\"YD1000000000801\",",
    "                   \"ship_time\": \"now-8d\"},",
    "     \"sku_orders\": [",
    "       {\"sku_order_id\": \"6920000000000000801\", \"sku_id\": "
    "\"1760000000000000021\",",
    "        \"quantity\": 1, \"pay_amount\": 8900}]},",
    "    {\"order_id\": \"6920000000000000901\", \"shop_id\": \"23456789\",",
    "     \"create_time\": \"now-1h\", \"pay_time\": \"now-59m\",",
    "     \"sku_orders\": [",
    "       {\"sku_order_id\": \"6920000000000000901\", \"sku_id\": "
    "\"1760000000000000013\",",
    "        \"quantity\": 1, \"pay_amount\": 6900},",
    "       {\"sku_order_id\": \"6920000000000000902\", \"sku_id\": "
    "\"1760000000000000022\",",
    "        \"quantity\": 1, \"pay_amount\": 8900}]},",
    "    {\"order_id\": \"6920000000000001001\", \"shop_id\": \"23456789\",",
    "     \"create_time\": \"now-2d\", \"pay_time\": \"now-2d\", "
    "\"buyer_words\": \"请尽快发货\",",
    "     \"logistics\": {\"company_code\": \"shunfeng\", \"tracking_no\": "
    "\"SF1000000001001\",",
    "                   \"ship_time\": \"now-1d\"},",
    "     \"sku_orders\": [",
    "       {\"sku_order_id\": \"6920000000000001001\", \"sku_id\": "
    "\"1760000000000000031\",",
    "        \"quantity\": 3, \"pay_amount\": 7500}]}",
    "  ],",
    "  \"aftersales\": [",
    "    {\"aftersale_id\": \"7000000000000000101\", \"sku_order_id\": "
    "\"6920000000000000101\",",
    "     \"type\": \"unshipped_refund\", \"status\": 6, \"apply_time\": "
    "\"now-1h\",",
    "     \"reason_code\": 1, \"reason_text\": \"拍错了尺码\"},",
    "    {\"aftersale_id\": \"7000000000000000202\", \"sku_order_id\": "
    "\"6920000000000000202\",",
    "     \"type\": \"unshipped_refund\", \"status\": 6, \"apply_time\": "
    "\"now-2h\",",
    "     \"reason_code\": 1, \"reason_text\": \"不想要保温杯了\"},",
    "    {\"aftersale_id\": \"7000000000000000301\", \"sku_order_id\": "
    "\"6920000000000000301\",",
    "     \"type\": \"return\", \"status\": 6, \"apply_time\": \"now-6h\",",
    "     \"reason_code\": 16, \"reason_text\": \"尺码偏小\"},",
    "    {\"aftersale_id\": \"7000000000000000401\", \"sku_order_id\": "
    "\"6920000000000000401\",",
    "     \"type\": \"return\", \"status\": 7, \"apply_time\": \"now-2d\",",
    "     \"update_time\": \"now-1d23h\", \"auto_audit_bits\": [7],",
    "     \"reason_code\": 6, \"reason_text\": \"颜色不喜欢\",",
    "     \"records\": [",
    "       {\"time\": \"now-2d\", \"role\": \"buyer\", \"action\": \"apply\",",
    "        \"text\": \"买家发起售后申请：退货退款\"},",
    "       {\"time\": \"now-1d23h\", \"role\": \"system\", \"action\": "
    "\"agree_return\",",
    "        \"text\": \"售后小助手自动同意退货\"}]},",
    "    {\"aftersale_id\": \"7000000000000000501\", \"sku_order_id\": "
    "\"6920000000000000501\",",
    "     \"type\": \"return\", \"status\": 11, \"apply_time\": \"now-4d\",",
    "     \"update_time\": \"now-1d\", \"reason_code\": 7, \"reason_text\": "
    "\"衣服有破洞\",",
    "     \"return\": {\"company_code\": \"shunfeng\", \"tracking_no\": "
    "\"SF1234567890501\",",
    "                \"ship_time\": \"now-1d\"},",
    "     \"records\": [",
    "       {\"time\": \"now-4d\", \"role\": \"buyer\", \"action\": \"apply\",",
    "        \"text\": \"买家发起售后申请：退货退款\"},",
    "       {\"time\": \"now-3d20h\", \"role\": \"seller\", \"action\": "
    "\"agree_return\",",
    "        \"text\": \"商家同意退货\"},",
    "       {\"time\": \"now-1d\", \"role\": \"buyer\", \"action\": "
    "\"return_shipped\",",
    "        \"text\": \"买家已寄回商品，顺丰速运 SF1234567890501\"}]},",
    "    {\"aftersale_id\": \"7000000000000000601\", \"sku_order_id\": "
    "\"6920000000000000601\",",
    "     \"type\": \"shipped_refund\", \"status\": 6, \"apply_time\": "
    "\"now-3h\",",
    "     \"refund_amount\": 3300, \"refund_post_amount\": 800, \"got_pkg\": "
    "false,",
    "     \"reason_code\": 3, \"reason_text\": \"快递一直没有送到\"},",
    "    {\"aftersale_id\": \"7000000000000000701\", \"sku_order_id\": "
    "\"6920000000000000701\",",
    "     \"type\": \"return\", \"status\": 12, \"apply_time\": \"now-15d\",",
    "     \"update_time\": \"now-11d\", \"refund_type\": 2, "
    "\"auto_audit_bits\": [7, 2],",
    "     \"reason_code\": 16, \"reason_text\": \"尺码偏大\",",
    "     \"return\": {\"company_code\": \"shunfeng\", \"tracking_no\": "
    "\"SF1234567890701\",",
    "                \"ship_time\": \"now-14d\"},",
    "     \"records\": [",
    "       {\"time\": \"now-15d\", \"role\": \"buyer\", \"action\": "
    "\"apply\",",
    "        \"text\": \"买家发起售后申请：退货退款\"},",
    "       {\"time\": \"now-15d\", \"role\": \"system\", \"action\": "
    "\"agree_return\",",
    "        \"text\": \"售后小助手自动同意退货\"},",
    "       {\"time\": \"now-14d\", \"role\": \"buyer\", \"action\": "
    "\"return_shipped\",",
    "        \"text\": \"买家已寄回商品，顺丰速运 SF1234567890701\"},",
    "       {\"time\": \"now-11d\", \"role\": \"seller\", \"action\": "
    "\"warehouse_received\",",
    "        \"text\": \"商家确认退货入仓\"},",
    "       {\"time\": \"now-11d\", \"role\": \"system\", \"action\": "
    "\"refund\",",
    "        \"text\": \"售后小助手自动退款成功\"}]},",
    "    {\"aftersale_id\": \"7000000000000000801\", \"sku_order_id\": "
    "\"6920000000000000801\",",
    "     \"type\": \"shipped_refund\", \"status\": 28, \"apply_time\": "
    "\"now-6d\",",
    "     \"update_time\": \"now-5d\", \"reason_code\": 9, \"reason_text\": "
    "\"和描述不一样\",",
    "     \"records\": [",
    "       {\"time\": \"now-6d\", \"role\": \"buyer\", \"action\": \"apply\",",
    "        \"text\": \"买家发起售后申请：已发货仅退款\"},",
    "       {\"time\": \"now-5d\", \"role\": \"buyer\", \"action\": "
    "\"cancel\",",
    "        \"text\": \"买家撤销售后申请\"}]}",
    "  ]",
    "}",
    NULL};

struct mock_world *mock_world_default(const struct mock_settings *defaults,
                                      uint64_t seed, int64_t now)
{
    struct dd_json_doc doc;
    struct dd_json_error jerr;
    struct dd_buf errs;
    struct dd_buf text;
    dd_buf_init(&text, 0);
    for (size_t i = 0; default_world_lines[i]; i++) {
        dd_buf_puts(&text, default_world_lines[i]);
        dd_buf_putc(&text, '\n');
    }
    if (dd_json_parse(text.data, text.len, NULL, &doc, &jerr) != 0) {
        fprintf(stderr, "ddmock: default world: %u:%u: %s\n", jerr.pos.line,
                jerr.pos.col, jerr.msg);
        abort();
    }
    dd_buf_init(&errs, 0);
    struct mock_world *w = mock_world_from_json(doc.root, "(default world)",
                                                defaults, seed, now, &errs);
    if (!w) {
        fprintf(stderr, "ddmock: default world:\n%s", dd_buf_str(&errs));
        abort();
    }
    dd_buf_free(&errs);
    dd_json_doc_free(&doc);
    dd_buf_free(&text);
    return w;
}

/* ================================================================ generator */

int mock_gen_parse(const char *spec, struct mock_gen_spec *out, char *err,
                   size_t errlen)
{
    struct mock_gen_spec g = {1, 100, 50};
    static const char *const names[] = {"shops", "orders", "aftersales"};
    uint32_t *fields[] = {&g.shops, &g.orders, &g.aftersales};
    bool seen[3] = {false, false, false};
    const char *p = spec ? spec : "";

    while (*p == ' ')
        p++;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && p[n - 1] == ' ')
            n--;
        const char *eq = memchr(p, '=', n);
        if (n == 0) {
            snprintf(err, errlen, "empty item in \"%s\"", spec);
            return -1;
        }
        if (!eq) {
            snprintf(err, errlen, "\"%.*s\": expected NAME=COUNT", (int)n, p);
            return -1;
        }
        size_t kl = (size_t)(eq - p), vl = n - kl - 1, k = 0;
        while (k < 3 &&
               !(strlen(names[k]) == kl && memcmp(names[k], p, kl) == 0))
            k++;
        if (k == 3) {
            snprintf(err, errlen,
                     "unknown generator key \"%.*s\" (use shops, orders, "
                     "aftersales)",
                     (int)kl, p);
            return -1;
        }
        if (seen[k]) {
            snprintf(err, errlen, "\"%s\" given twice", names[k]);
            return -1;
        }
        seen[k] = true;
        int64_t v;
        bool digits = vl > 0 && vl <= 9;
        for (size_t i = 0; digits && i < vl; i++)
            digits = eq[1 + i] >= '0' && eq[1 + i] <= '9';
        if (!digits || dd_parse_int64(eq + 1, vl, &v) != 0 || v > GEN_MAX ||
            (k == 0 && v < 1)) {
            snprintf(err, errlen, "%s: \"%.*s\" is not a count from %d to %u",
                     names[k], (int)vl, eq + 1, k == 0 ? 1 : 0, GEN_MAX);
            return -1;
        }
        *fields[k] = (uint32_t)v;
        if (!end)
            break;
        p = end + 1;
        while (*p == ' ')
            p++;
        if (!*p) {
            snprintf(err, errlen, "empty item in \"%s\"", spec);
            return -1;
        }
    }
    if (g.aftersales > 0 && g.orders == 0) {
        snprintf(err, errlen, "after-sales need at least one order");
        return -1;
    }
    *out = g;
    return 0;
}

#define HOUR INT64_C(3600)
#define DAYS INT64_C(86400)

/* A few products to sell; prices in fen. */
static const struct {
    const char *name;
    int n;
    struct {
        const char *spec, *code;
        int64_t price;
    } skus[3];
} catalogue[] = {
    {"纯棉圆领短袖T恤",
     3,
     {{"颜色:白色;尺码:M", "G-TS-WM", 5900},
      {"颜色:黑色;尺码:L", "G-TS-BL", 5900},
      {"颜色:灰色;尺码:XL", "G-TS-GX", 6900}}},
    {"不锈钢保温杯 500ml",
     2,
     {{"颜色:星空蓝", "G-CUP-B", 8900}, {"颜色:樱花粉", "G-CUP-P", 8900}}},
    {"古法手工红糖 454g", 1, {{"规格:454g", "G-SUGAR", 2500}}},
    {"无线蓝牙耳机",
     2,
     {{"颜色:白色", "G-EAR-W", 19900}, {"颜色:黑色", "G-EAR-B", 19900}}},
    {"儿童防晒帽",
     3,
     {{"颜色:粉色;尺码:S", "G-HAT-PS", 3900},
      {"颜色:蓝色;尺码:S", "G-HAT-BS", 3900},
      {"颜色:蓝色;尺码:M", "G-HAT-BM", 4200}}},
    {"有机五常大米 5kg", 1, {{"规格:5kg", "G-RICE-5", 6990}}},
    {"家用多功能料理机",
     2,
     {{"功率:800W", "G-MIX-8", 29900}, {"功率:1200W", "G-MIX-12", 39900}}},
    {"运动速干袜 5双装", 1, {{"尺码:均码", "G-SOCK", 2990}}},
};

static const char *const companies[] = {"shunfeng", "zhongtong", "yuantong",
                                        "yunda"};
static const char *const company_prefix[] = {"SF", "ZT", "YT", "YD"};

struct gen {
    struct mock_world *w;
    int64_t now;
    uint64_t salt[3];
    uint32_t n_made[3]; /* orders, extra SKU orders, after-sales */
    struct mock_aftersale *tmp;
    uint32_t nt;
};

/* Uniform in [lo, hi]; lo when the range is empty. */
static int64_t rnd(struct gen *g, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int64_t)(mock_world_rand(g->w) % (uint64_t)(hi - lo + 1));
}

static int64_t clamp(int64_t t, int64_t lo, int64_t hi)
{
    return t < lo ? lo : t > hi ? (hi < lo ? lo : hi) : t;
}

/* Picks a code from {code, weight} pairs ending with weight 0. */
static int pick(struct gen *g, const int (*cw)[2])
{
    int total = 0, k;
    for (k = 0; cw[k][1]; k++)
        total += cw[k][1];
    int r = (int)rnd(g, 0, total - 1);
    for (k = 0; r >= cw[k][1]; k++)
        r -= cw[k][1];
    return cw[k][0];
}

/*
 * Ids of generated orders, extra SKU orders and after-sales: a bijection of
 * a counter (salted from the world's RNG) into a 2^58-wide range per kind,
 * so they look random, never collide, and cost no hash lookup.
 */
static int64_t gen_id(struct gen *g, int kind)
{
    static const int64_t base[3] = {INT64_C(6900000000000000000),
                                    INT64_C(4800000000000000000),
                                    INT64_C(7200000000000000000)};
    const uint64_t mask = (UINT64_C(1) << 58) - 1;
    uint64_t x = (g->n_made[kind]++ + g->salt[kind]) & mask;
    x = (x * UINT64_C(0x9e3779b97f4a7c15)) & mask;
    x ^= x >> 29;
    x = (x * UINT64_C(0xbf58476d1ce4e5b9)) & mask;
    x ^= x >> 31;
    return base[kind] + (int64_t)x;
}

static const int st_unshipped_new[][2] = {{6, 60}, {12, 25}, {28, 15}, {0, 0}};
static const int st_unshipped_old[][2] = {{12, 70}, {28, 30}, {0, 0}};
static const int st_refund_new[][2] = {
    {6, 60}, {12, 25}, {28, 10}, {27, 5}, {0, 0}};
static const int st_refund_old[][2] = {{12, 75}, {28, 20}, {27, 5}, {0, 0}};
static const int st_return_2d[][2] = {{6, 40},  {7, 25},  {11, 10},
                                      {12, 15}, {28, 10}, {0, 0}};
static const int st_return_7d[][2] = {{7, 35},  {11, 30}, {12, 20},
                                      {28, 10}, {27, 5},  {0, 0}};
static const int st_return_12d[][2] = {
    {11, 40}, {12, 40}, {28, 15}, {29, 5}, {0, 0}};
static const int st_return_old[][2] = {
    {12, 70}, {28, 20}, {29, 5}, {27, 5}, {0, 0}};

/*
 * Plans one after-sale of SKU order `l` (index li of order oi) into g->tmp.
 * `last` is false for an earlier application on the same line, which the
 * buyer cancelled (28) before applying again after *floor_t.
 */
static void gen_aftersale(struct gen *g, struct mock_sku_order *l, uint32_t oi,
                          uint32_t li, int64_t ship_t, bool last,
                          int64_t *floor_t)
{
    int64_t now = g->now, apply, upd, agree = 0, back = 0;
    struct mock_aftersale *a = &g->tmp[g->nt++];
    int type, status;
    memset(a, 0, sizeof *a);
    a->aftersale_id = gen_id(g, 2);
    a->order = oi;
    a->sku_order = li;
    a->apply_role = MOCK_ROLE_BUYER;
    a->quantity = l->quantity;
    a->refund_amount = l->pay_amount;
    a->refund_status = MOCK_REFUND_PENDING;

    if (!ship_t) {
        type = MOCK_AS_TYPE_UNSHIPPED_REFUND;
        apply = rnd(g, *floor_t + 60, *floor_t + 2 * DAYS);
    } else if (*floor_t + 120 < ship_t && rnd(g, 0, 9) == 0) {
        type = MOCK_AS_TYPE_UNSHIPPED_REFUND; /* refused by shipping */
        apply = rnd(g, *floor_t + 60, ship_t - 60);
    } else {
        int64_t base = ship_t > *floor_t ? ship_t : *floor_t;
        type = rnd(g, 0, 99) < 60 ? MOCK_AS_TYPE_RETURN
                                  : MOCK_AS_TYPE_SHIPPED_REFUND;
        apply = rnd(g, base + DAYS, base + 10 * DAYS);
        if (apply > now - 60)
            apply = rnd(g, base + 60, now - 60);
    }
    apply = clamp(apply, *floor_t, now - 30);
    int64_t age = now - apply;

    if (type == MOCK_AS_TYPE_UNSHIPPED_REFUND && ship_t) {
        status = MOCK_AS_SELLER_REFUSED; /* shipped with is_refund_reject */
        upd = ship_t;
    } else if (!last) {
        status = MOCK_AS_CLOSED;
        upd = apply + rnd(g, 600, 6 * HOUR);
    } else if (type == MOCK_AS_TYPE_UNSHIPPED_REFUND) {
        status = pick(g, age < 2 * DAYS ? st_unshipped_new : st_unshipped_old);
        upd = status == MOCK_AS_SUCCESS  ? apply + rnd(g, 60, 12 * HOUR)
              : status == MOCK_AS_CLOSED ? apply + rnd(g, 600, DAYS)
                                         : apply;
        a->refund_amount = l->pay_amount + l->post_amount;
        a->refund_post_amount = l->post_amount;
    } else if (type == MOCK_AS_TYPE_SHIPPED_REFUND) {
        status = pick(g, age < 2 * DAYS ? st_refund_new : st_refund_old);
        upd = status == MOCK_AS_SUCCESS  ? apply + rnd(g, 600, 2 * DAYS)
              : status == MOCK_AS_CLOSED ? apply + rnd(g, HOUR, 3 * DAYS)
              : status == MOCK_AS_SELLER_REFUSED
                  ? apply + rnd(g, HOUR, 2 * DAYS)
                  : apply;
        a->got_pkg = (int32_t)rnd(g, 0, 1);
        if (rnd(g, 0, 4) == 0)
            a->refund_amount = l->pay_amount * rnd(g, 30, 90) / 100;
    } else {
        status = pick(g, age < 2 * DAYS    ? st_return_2d
                         : age < 7 * DAYS  ? st_return_7d
                         : age < 12 * DAYS ? st_return_12d
                                           : st_return_old);
        agree = clamp(apply + rnd(g, 300, 12 * HOUR), apply, now - 1);
        back = clamp(agree + rnd(g, 6 * HOUR, 3 * DAYS), agree, now - 1);
        switch (status) {
        case MOCK_AS_WAIT_BUYER_RETURN:
            upd = agree;
            break;
        case MOCK_AS_WAIT_SELLER_RECEIVE:
            upd = back;
            break;
        case MOCK_AS_SUCCESS:
        case MOCK_AS_SELLER_REFUSED_2:
            upd = back + rnd(g, DAYS, 4 * DAYS);
            a->got_pkg = 1;
            break;
        case MOCK_AS_CLOSED:
            upd = apply + rnd(g, HOUR, 3 * DAYS);
            break;
        case MOCK_AS_SELLER_REFUSED:
            upd = apply + rnd(g, HOUR, 2 * DAYS);
            break;
        default:
            upd = apply;
            break;
        }
    }
    upd = clamp(upd, apply, now - 1);
    a->type = type;
    a->status = status;
    a->apply_time = apply;
    a->update_time = upd;
    if (type == MOCK_AS_TYPE_RETURN && back && status != MOCK_AS_CLOSED &&
        status != MOCK_AS_SELLER_REFUSED &&
        status != MOCK_AS_WAIT_BUYER_RETURN && status != 6) {
        uint64_t c = mock_world_rand(g->w) % 4;
        char buf[32];
        snprintf(buf, sizeof buf, "%s%013llu", company_prefix[c],
                 (unsigned long long)(mock_world_rand(g->w) %
                                      UINT64_C(10000000000000)));
        a->return_company_code = xstrdup(companies[c]);
        a->return_tracking_no = xstrdup(buf);
        a->return_ship_time = clamp(back, apply, upd);
    }
    static const int reasons[3][5] = {
        {1, 6, 7, 16, 21}, {3, 4, 5, 13, 20}, {1, 1, 2, 14, 15}};
    a->reason_code = reasons[type][rnd(g, 0, 4)];
    if (is_final_status(type, status))
        a->final_time = upd;
    if (status == MOCK_AS_SUCCESS) {
        a->refund_status = MOCK_REFUND_DONE;
        a->refund_time = upd;
        if (type != MOCK_AS_TYPE_SHIPPED_REFUND && rnd(g, 0, 1)) {
            a->refund_type = MOCK_REFUND_BY_ASSISTANT;
            a->auto_audit_bits |= UINT32_C(1) << MOCK_AUDIT_ASSISTANT_REFUND;
            if (type == MOCK_AS_TYPE_RETURN)
                a->auto_audit_bits |= UINT32_C(1)
                                      << MOCK_AUDIT_ASSISTANT_RETURN;
        }
        if (type == MOCK_AS_TYPE_UNSHIPPED_REFUND)
            l->status = MOCK_SKU_CANCELLED;
    }
    a->status_deadline = mock_aftersale_deadline(g->w, a, now);
    *floor_t = upd + 60;
}

/* Generates order number `i` with `k` after-sales on its lines. */
static void gen_order(struct gen *g, uint32_t k)
{
    struct mock_world *w = g->w;
    int64_t now = g->now;
    struct mock_sku_order items[3];
    struct mock_order o;
    uint32_t nl = 1, r = (uint32_t)rnd(g, 0, 9);

    nl += (r >= 7) + (r >= 9);
    if (k > nl)
        nl = k < 3 ? k : 3;
    memset(&o, 0, sizeof o);
    o.order_id = gen_id(g, 0);
    o.shop = (uint32_t)rnd(g, 0, (int64_t)w->shops.n - 1);
    o.pay_time = now - 600 - rnd(g, 0, 150 * DAYS - 600);
    o.create_time = o.pay_time - rnd(g, 10, 600);
    o.pay_type = rnd(g, 0, 9) < 6 ? 1 : 2;
    int64_t age = now - o.pay_time;
    int p_ship = age > 2 * DAYS ? 97 : age > 4 * HOUR ? 50 : 10;
    bool shipped = rnd(g, 0, 99) < p_ship;
    int64_t ship_t = shipped ? clamp(o.pay_time + rnd(g, 2 * HOUR, 2 * DAYS),
                                     o.pay_time + 60, now - 60)
                             : 0;
    int64_t post = rnd(g, 0, 4) == 0 ? 500 + 100 * rnd(g, 0, 7) : 0;
    for (uint32_t j = 0; j < nl; j++) {
        struct mock_sku_order *l = &items[j];
        uint32_t sku = (uint32_t)rnd(g, 0, (int64_t)w->skus.n - 1);
        int64_t q = rnd(g, 0, 19), price = w->skus.v[sku].price;
        memset(l, 0, sizeof *l);
        l->sku_order_id = j == 0 ? o.order_id : gen_id(g, 1);
        l->sku = sku;
        l->quantity = q < 16 ? 1 : q < 19 ? 2 : 3;
        l->pay_amount = price * l->quantity;
        if (rnd(g, 0, 9) == 0)
            l->pay_amount -= l->pay_amount / 10;
        l->post_amount = j == 0 ? post : 0;
        l->status = shipped ? MOCK_SKU_SHIPPED : MOCK_SKU_UNSHIPPED;
        l->ship_time = ship_t;
        l->aftersale = MOCK_NONE;
    }
    o.post_amount = post;
    uint32_t oi = w->orders.n, li0 = w->sku_orders.n;
    for (uint32_t j = 0; j < nl; j++) {
        uint32_t cnt = k / nl + (j < k % nl);
        int64_t floor_t = o.pay_time;
        for (uint32_t n = 0; n < cnt; n++)
            gen_aftersale(g, &items[j], oi, li0 + j, ship_t, n + 1 == cnt,
                          &floor_t);
    }
    o.status = MOCK_ORDER_PAID;
    o.update_time = ship_t > o.pay_time ? ship_t : o.pay_time;
    if (shipped) {
        uint64_t c = mock_world_rand(w) % 4;
        char buf[32];
        snprintf(buf, sizeof buf, "%s%013llu", company_prefix[c],
                 (unsigned long long)(mock_world_rand(w) %
                                      UINT64_C(10000000000000)));
        o.company_code = xstrdup(companies[c]);
        o.tracking_no = xstrdup(buf);
        o.ship_time = ship_t;
        if (ship_t < now - 15 * DAYS) {
            o.status = MOCK_ORDER_DONE;
            o.finish_time =
                clamp(ship_t + rnd(g, 3 * DAYS, 10 * DAYS), ship_t, now - 60);
            o.update_time = o.finish_time;
            for (uint32_t j = 0; j < nl; j++)
                if (items[j].status == MOCK_SKU_SHIPPED)
                    items[j].status = MOCK_SKU_DONE;
        }
    }
    mock_world_add_order(w, &o, items, nl);
    mock_order_refresh(w, oi, o.update_time);
}

struct as_key {
    int64_t t, id;
    uint32_t i;
};

static int cmp_as_key(const void *a, const void *b)
{
    const struct as_key *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

#define SHRINK(vec)                                                            \
    do {                                                                       \
        if ((vec).n && (vec).cap > (vec).n) {                                  \
            (vec).v = xrealloc((vec).v, (size_t)(vec).n * sizeof *(vec).v);    \
            (vec).cap = (vec).n;                                               \
        }                                                                      \
    } while (0)

struct mock_world *mock_world_generate(const struct mock_gen_spec *spec,
                                       const struct mock_settings *defaults,
                                       uint64_t seed, int64_t now)
{
    struct mock_world *w = mock_world_new(defaults, seed, now);
    struct gen g;
    uint32_t n_shops = spec->shops ? spec->shops : 1;
    uint32_t n_orders = spec->orders, n_as = spec->aftersales;
    char buf[64];

    if (n_orders == 0)
        n_as = 0;
    memset(&g, 0, sizeof g);
    g.w = w;
    g.now = now;
    for (int k = 0; k < 3; k++)
        g.salt[k] = mock_world_rand(w);
    w->name = xstrdup("generated");
    for (uint32_t i = 0; i < n_shops; i++) {
        struct mock_shop s;
        int64_t id;
        do
            id = 10000000 + (int64_t)(mock_world_rand(w) % 90000000);
        while (mock_world_shop(w, id) != MOCK_NONE);
        snprintf(buf, sizeof buf, "生成店铺 %u", i + 1);
        s.shop_id = id;
        s.name = xstrdup(buf);
        s.cancel_auto_refund = s.return_auto_refund = true;
        mock_world_add_shop(w, &s);
    }
    for (size_t i = 0; i < sizeof catalogue / sizeof catalogue[0]; i++) {
        struct mock_product pr;
        do
            pr.product_id =
                INT64_C(3500000000000000000) +
                (int64_t)(mock_world_rand(w) % UINT64_C(100000000000000000));
        while (mock_world_product(w, pr.product_id) != MOCK_NONE);
        pr.name = xstrdup(catalogue[i].name);
        snprintf(buf, sizeof buf, "https://example.com/dd-harness/g%zu.jpg",
                 i + 1);
        pr.image = xstrdup(buf);
        uint32_t pi = mock_world_add_product(w, &pr);
        for (int j = 0; j < catalogue[i].n; j++) {
            struct mock_sku s;
            do
                s.sku_id = INT64_C(1700000000000000000) +
                           (int64_t)(mock_world_rand(w) %
                                     UINT64_C(100000000000000000));
            while (mock_world_sku(w, s.sku_id) != MOCK_NONE);
            s.product = pi;
            s.price = catalogue[i].skus[j].price;
            s.spec = xstrdup(catalogue[i].skus[j].spec);
            s.code = xstrdup(catalogue[i].skus[j].code);
            mock_world_add_sku(w, &s);
        }
    }

    RESERVE(w->orders, n_orders);
    RESERVE(w->sku_orders, n_orders + n_orders / 2);
    RESERVE(w->aftersales, n_as);
    if (n_as > w->index_cap) {
        w->by_update = xrealloc(w->by_update, n_as * sizeof *w->by_update);
        w->by_apply = xrealloc(w->by_apply, n_as * sizeof *w->by_apply);
        w->index_cap = n_as;
    }
    g.tmp = xrealloc(NULL, (size_t)(n_as ? n_as : 1) * sizeof *g.tmp);
    for (uint32_t i = 0; i < n_orders; i++) {
        uint32_t k = (uint32_t)((uint64_t)(i + 1) * n_as / n_orders -
                                (uint64_t)i * n_as / n_orders);
        gen_order(&g, k);
    }

    /*
     * Add in update order, so the update index only appends. The apply
     * index would need a binary search and a memmove per insertion (most
     * after-sales were updated after others were applied), seconds at a
     * million: each is added with apply_time = update_time, which keeps
     * that index append-only too, then its real apply_time is put back and
     * the apply index (world.h: sorted by (apply_time, id)) is rebuilt
     * with one sort. The SKU order's latest after-sale comes out the same,
     * since the applications on one line follow each other in time.
     */
    struct as_key *keys =
        xrealloc(NULL, (size_t)(g.nt ? g.nt : 1) * sizeof *keys);
    for (uint32_t i = 0; i < g.nt; i++) {
        keys[i].t = g.tmp[i].update_time;
        keys[i].id = g.tmp[i].aftersale_id;
        keys[i].i = i;
    }
    qsort(keys, g.nt, sizeof *keys, cmp_as_key);
    for (uint32_t i = 0; i < g.nt; i++) {
        struct mock_aftersale *a = &g.tmp[keys[i].i];
        int64_t apply = a->apply_time;
        a->apply_time = a->update_time;
        uint32_t ai = mock_world_add_aftersale(w, a);
        w->aftersales.v[ai].apply_time = apply;
        if (a->refund_status == MOCK_REFUND_DONE)
            push_refund(w, a->refund_time, ai, a->refund_amount, "generator");
        keys[i].t = apply;
        keys[i].i = ai;
    }
    qsort(keys, g.nt, sizeof *keys, cmp_as_key);
    for (uint32_t i = 0; i < g.nt; i++)
        w->by_apply[i] = keys[i].i;
    free(keys);
    free(g.tmp);
    SHRINK(w->orders);
    SHRINK(w->sku_orders);
    SHRINK(w->aftersales);
    SHRINK(w->refunds);
    return w;
}

/* ================================================================ dump */

/* Writes `key` with the name of `code` in `t`, or the bare number when the
 * table has no name for it (the loader then reports it). */
static void put_name(struct dd_jw *out, const char *key, const struct name *t,
                     int code)
{
    const char *n = name_of(t, code);
    if (n)
        dd_jw_kstr(out, key, n);
    else
        dd_jw_kint(out, key, code);
}

static void put_opt_str(struct dd_jw *out, const char *key, const char *s)
{
    if (s)
        dd_jw_kstr(out, key, s);
}

static void dump_products(const struct mock_world *w, struct dd_jw *out)
{
    /* SKUs grouped under their product, in world order. */
    uint32_t np = w->products.n, ns = w->skus.n;
    uint32_t *start = xrealloc(NULL, ((size_t)np + 1) * sizeof *start);
    uint32_t *order = xrealloc(NULL, ((size_t)ns + 1) * sizeof *order);
    memset(start, 0, ((size_t)np + 1) * sizeof *start);
    for (uint32_t i = 0; i < ns; i++)
        start[w->skus.v[i].product + 1]++;
    for (uint32_t i = 0; i < np; i++)
        start[i + 1] += start[i];
    for (uint32_t i = 0; i < ns; i++)
        order[start[w->skus.v[i].product]++] = i;
    for (uint32_t i = np; i > 0; i--)
        start[i] = start[i - 1];
    start[0] = 0;

    dd_jw_key(out, "products");
    dd_jw_array_begin(out);
    for (uint32_t i = 0; i < np; i++) {
        const struct mock_product *pr = &w->products.v[i];
        dd_jw_object_begin(out);
        dd_jw_kint_str(out, "product_id", pr->product_id);
        dd_jw_kstr(out, "name", pr->name);
        dd_jw_kstr(out, "image", pr->image);
        dd_jw_key(out, "skus");
        dd_jw_array_begin(out);
        for (uint32_t k = start[i]; k < start[i + 1]; k++) {
            const struct mock_sku *s = &w->skus.v[order[k]];
            dd_jw_object_begin(out);
            dd_jw_kint_str(out, "sku_id", s->sku_id);
            dd_jw_kint(out, "price", s->price);
            dd_jw_kstr(out, "spec", s->spec);
            dd_jw_kstr(out, "code", s->code);
            dd_jw_object_end(out);
        }
        dd_jw_array_end(out);
        dd_jw_object_end(out);
    }
    dd_jw_array_end(out);
    free(start);
    free(order);
}

static void dump_orders(const struct mock_world *w, struct dd_jw *out)
{
    dd_jw_key(out, "orders");
    dd_jw_array_begin(out);
    for (uint32_t i = 0; i < w->orders.n; i++) {
        const struct mock_order *o = &w->orders.v[i];
        dd_jw_object_begin(out);
        dd_jw_kint_str(out, "order_id", o->order_id);
        dd_jw_kint_str(out, "shop_id", w->shops.v[o->shop].shop_id);
        put_name(out, "status", order_statuses, o->status);
        dd_jw_kint(out, "create_time", o->create_time);
        dd_jw_kint(out, "pay_time", o->pay_time);
        dd_jw_kint(out, "update_time", o->update_time);
        dd_jw_kint(out, "finish_time", o->finish_time);
        dd_jw_kint(out, "post_amount", o->post_amount);
        dd_jw_kint(out, "pay_type", o->pay_type);
        put_opt_str(out, "buyer_words", o->buyer_words);
        put_opt_str(out, "seller_words", o->seller_words);
        if (o->company_code || o->tracking_no) {
            dd_jw_key(out, "logistics");
            dd_jw_object_begin(out);
            dd_jw_kstr(out, "company_code", o->company_code);
            dd_jw_kstr(out, "tracking_no", o->tracking_no);
            dd_jw_kint(out, "ship_time", o->ship_time);
            dd_jw_object_end(out);
        }
        dd_jw_key(out, "sku_orders");
        dd_jw_array_begin(out);
        for (uint32_t k = 0; k < o->n_sku_orders; k++) {
            const struct mock_sku_order *so =
                &w->sku_orders.v[o->first_sku_order + k];
            dd_jw_object_begin(out);
            dd_jw_kint_str(out, "sku_order_id", so->sku_order_id);
            dd_jw_kint_str(out, "sku_id", w->skus.v[so->sku].sku_id);
            dd_jw_kint(out, "quantity", so->quantity);
            dd_jw_kint(out, "pay_amount", so->pay_amount);
            dd_jw_kint(out, "post_amount", so->post_amount);
            put_name(out, "status", line_statuses, so->status);
            dd_jw_kint(out, "ship_time", so->ship_time);
            dd_jw_object_end(out);
        }
        dd_jw_array_end(out);
        dd_jw_object_end(out);
    }
    dd_jw_array_end(out);
}

/* The members a dump and a state share: where the after-sale belongs, its
 * type, status and refund. */
static void put_aftersale_refund(const struct mock_world *w,
                                 const struct mock_aftersale *a,
                                 struct dd_jw *out)
{
    dd_jw_kint_str(out, "order_id", w->orders.v[a->order].order_id);
    dd_jw_kint_str(out, "sku_order_id",
                   w->sku_orders.v[a->sku_order].sku_order_id);
    put_name(out, "type", as_types, a->type);
    dd_jw_kint(out, "status", a->status);
    dd_jw_kint(out, "refund_status", a->refund_status);
    dd_jw_kint(out, "refund_type", a->refund_type);
    dd_jw_kint(out, "refund_amount", a->refund_amount);
    dd_jw_kint(out, "refund_post_amount", a->refund_post_amount);
    dd_jw_kint(out, "quantity", a->quantity);
}

static void dump_aftersale(const struct mock_world *w,
                           const struct mock_aftersale *a, struct dd_jw *out)
{
    dd_jw_object_begin(out);
    dd_jw_kint_str(out, "aftersale_id", a->aftersale_id);
    put_aftersale_refund(w, a, out);
    dd_jw_kint(out, "reason_code", a->reason_code);
    put_opt_str(out, "reason_text", a->reason_text);
    if (name_of(roles, a->apply_role))
        put_name(out, "apply_role", roles, a->apply_role);
    dd_jw_kint(out, "apply_time", a->apply_time);
    dd_jw_kint(out, "update_time", a->update_time);
    dd_jw_kint(out, "status_deadline", a->status_deadline);
    dd_jw_kint(out, "refund_time", a->refund_time);
    dd_jw_kint(out, "final_time", a->final_time);
    dd_jw_kbool(out, "got_pkg", a->got_pkg != 0);
    dd_jw_kint(out, "arbitrate_status", a->arbitrate_status);
    dd_jw_key(out, "auto_audit_bits");
    dd_jw_array_begin(out);
    for (int b = 1; b < 32; b++)
        if (a->auto_audit_bits & (UINT32_C(1) << b))
            dd_jw_int(out, b);
    dd_jw_array_end(out);
    put_opt_str(out, "remark", a->remark);
    if (a->return_company_code || a->return_tracking_no) {
        dd_jw_key(out, "return");
        dd_jw_object_begin(out);
        dd_jw_kstr(out, "company_code", a->return_company_code);
        dd_jw_kstr(out, "tracking_no", a->return_tracking_no);
        dd_jw_kint(out, "ship_time", a->return_ship_time);
        dd_jw_object_end(out);
    }
    dd_jw_key(out, "records");
    dd_jw_array_begin(out);
    for (const struct mock_record *r = a->records; r; r = r->next) {
        dd_jw_object_begin(out);
        dd_jw_kint(out, "time", r->time);
        put_name(out, "role", roles, r->role);
        dd_jw_kstr(out, "action", r->action);
        dd_jw_kstr(out, "text", r->text);
        dd_jw_object_end(out);
    }
    dd_jw_array_end(out);
    dd_jw_object_end(out);
}

void mock_world_dump(const struct mock_world *w, struct dd_jw *out)
{
    char num[24];
    dd_jw_object_begin(out);
    dd_jw_kint(out, "version", 1);

    dd_jw_key(out, "app");
    dd_jw_object_begin(out);
    dd_jw_kstr(out, "app_key", w->app_key);
    dd_jw_kstr(out, "app_secret", w->app_secret);
    put_name(out, "type", app_types, (int)w->app_type);
    put_opt_str(out, "name", w->name);
    dd_jw_object_end(out);

    dd_jw_key(out, "settings");
    mock_settings_write_json(&w->settings, out);

    if (w->subscription.url) {
        dd_jw_key(out, "subscription");
        dd_jw_object_begin(out);
        dd_jw_kstr(out, "url", w->subscription.url);
        dd_jw_key(out, "tags");
        dd_jw_array_begin(out);
        for (int t = 0; t < 5 * 64; t++)
            if ((w->subscription.tags[t / 64] >> (t % 64)) & 1)
                dd_jw_int(out, 200 + t);
        dd_jw_array_end(out);
        dd_jw_object_end(out);
    }

    dd_jw_key(out, "shops");
    dd_jw_array_begin(out);
    for (uint32_t i = 0; i < w->shops.n; i++) {
        const struct mock_shop *s = &w->shops.v[i];
        dd_jw_object_begin(out);
        dd_jw_kint_str(out, "shop_id", s->shop_id);
        dd_jw_kstr(out, "name", s->name);
        dd_jw_key(out, "strategies");
        dd_jw_object_begin(out);
        dd_jw_kbool(out, "cancel_auto_refund", s->cancel_auto_refund);
        dd_jw_kbool(out, "return_auto_refund", s->return_auto_refund);
        dd_jw_object_end(out);
        dd_jw_object_end(out);
    }
    dd_jw_array_end(out);

    dump_products(w, out);
    dump_orders(w, out);

    dd_jw_key(out, "aftersales");
    dd_jw_array_begin(out);
    for (uint32_t i = 0; i < w->aftersales.n; i++)
        dump_aftersale(w, &w->aftersales.v[i], out);
    dd_jw_array_end(out);

    dd_jw_key(out, "tokens");
    dd_jw_array_begin(out);
    for (uint32_t i = 0; i < w->tokens.n; i++) {
        const struct mock_token *t = &w->tokens.v[i];
        dd_jw_object_begin(out);
        dd_jw_kint_str(out, "shop_id", w->shops.v[t->shop].shop_id);
        dd_jw_kstr(out, "access_token", t->access_token);
        dd_jw_kstr(out, "refresh_token", t->refresh_token);
        dd_jw_kint(out, "access_expires", t->access_expires);
        dd_jw_kint(out, "refresh_expires", t->refresh_expires);
        dd_jw_kint(out, "dead_after", t->dead_after);
        dd_jw_kbool(out, "revoked", t->revoked);
        dd_jw_object_end(out);
    }
    dd_jw_array_end(out);

    dd_jw_key(out, "auth_codes");
    dd_jw_array_begin(out);
    for (uint32_t i = 0; i < w->auth_codes.n; i++) {
        const struct mock_auth_code *c = &w->auth_codes.v[i];
        dd_jw_object_begin(out);
        dd_jw_kint_str(out, "shop_id", w->shops.v[c->shop].shop_id);
        dd_jw_kstr(out, "code", c->code);
        dd_jw_kint(out, "expires", c->expires);
        dd_jw_kbool(out, "used", c->used);
        dd_jw_object_end(out);
    }
    dd_jw_array_end(out);

    dd_jw_key(out, "refunds");
    dd_jw_array_begin(out);
    for (uint32_t i = 0; i < w->refunds.n; i++) {
        const struct mock_refund *r = &w->refunds.v[i];
        dd_jw_object_begin(out);
        dd_jw_kint(out, "time", r->time);
        dd_jw_kint_str(out, "aftersale_id",
                       w->aftersales.v[r->aftersale].aftersale_id);
        dd_jw_kint(out, "amount", r->amount);
        dd_jw_kstr(out, "via", r->via);
        dd_jw_object_end(out);
    }
    dd_jw_array_end(out);

    snprintf(num, sizeof num, "%llu", (unsigned long long)w->rng);
    dd_jw_kstr(out, "rng_state", num);
    dd_jw_object_end(out);
}

/* ============================================================ states */

static void state_aftersale(const struct mock_world *w,
                            const struct mock_aftersale *a, struct dd_jw *out)
{
    char key[24];
    dd_int64_to_str(a->aftersale_id, key);
    dd_jw_key(out, key);
    dd_jw_object_begin(out);
    put_aftersale_refund(w, a, out);
    dd_jw_kbool(out, "got_pkg", a->got_pkg != 0);
    dd_jw_kint(out, "arbitrate_status", a->arbitrate_status);
    dd_jw_kint(out, "apply_time", a->apply_time);
    dd_jw_kint(out, "update_time", a->update_time);
    dd_jw_kint(out, "refund_time", a->refund_time);
    dd_jw_kbool(out, "final", mock_aftersale_is_final(a));
    dd_jw_object_end(out);
}

void mock_world_state(const struct mock_world *w, struct dd_jw *out)
{
    char key[24];
    dd_jw_object_begin(out);
    dd_jw_key(out, "aftersales");
    dd_jw_object_begin(out);
    for (uint32_t i = 0; i < w->aftersales.n; i++)
        state_aftersale(w, &w->aftersales.v[i], out);
    dd_jw_object_end(out);
    dd_jw_key(out, "orders");
    dd_jw_object_begin(out);
    for (uint32_t i = 0; i < w->orders.n; i++) {
        const struct mock_order *o = &w->orders.v[i];
        dd_int64_to_str(o->order_id, key);
        dd_jw_key(out, key);
        dd_jw_object_begin(out);
        put_name(out, "status", order_statuses, o->status);
        dd_jw_kint_str(out, "shop_id", w->shops.v[o->shop].shop_id);
        dd_jw_object_end(out);
    }
    dd_jw_object_end(out);
    dd_jw_key(out, "sku_orders");
    dd_jw_object_begin(out);
    for (uint32_t i = 0; i < w->sku_orders.n; i++) {
        const struct mock_sku_order *so = &w->sku_orders.v[i];
        dd_int64_to_str(so->sku_order_id, key);
        dd_jw_key(out, key);
        dd_jw_object_begin(out);
        dd_jw_kint_str(out, "order_id", w->orders.v[so->order].order_id);
        put_name(out, "status", line_statuses, so->status);
        dd_jw_kint(out, "quantity", so->quantity);
        dd_jw_kint(out, "paid", so->pay_amount + so->post_amount);
        dd_jw_kint(out, "refunded", so->refunded);
        dd_jw_key(out, "open_aftersale");
        uint32_t as = so->aftersale;
        if (as != MOCK_NONE && !mock_aftersale_is_final(&w->aftersales.v[as]))
            dd_jw_int_str(out, w->aftersales.v[as].aftersale_id);
        else
            dd_jw_null(out);
        dd_jw_object_end(out);
    }
    dd_jw_object_end(out);
    dd_jw_key(out, "refunds");
    dd_jw_array_begin(out);
    for (uint32_t i = 0; i < w->refunds.n; i++) {
        const struct mock_refund *r = &w->refunds.v[i];
        dd_jw_object_begin(out);
        dd_jw_kint(out, "time", r->time);
        if (r->aftersale != MOCK_NONE)
            dd_jw_kint_str(out, "aftersale_id",
                           w->aftersales.v[r->aftersale].aftersale_id);
        dd_jw_kint_str(out, "sku_order_id",
                       w->sku_orders.v[r->sku_order].sku_order_id);
        dd_jw_kint(out, "amount", r->amount);
        dd_jw_kstr(out, "via", r->via ? r->via : "");
        dd_jw_object_end(out);
    }
    dd_jw_array_end(out);
    dd_jw_object_end(out);
}
