/*
 * scenario.c: loads and validates conformance scenarios (scenario.h).
 *
 * The format is scenarios/FORMAT.md (JSON Schema: scenarios/schema.json).
 * The actions a timeline may take are the admin calls of mock/README.md
 * ("Actors and platform timers", "Fault injection", "Forged pushes") and
 * the warehouse hook events of harness.md ("The ERP-under-test contract");
 * their arguments are checked here as the mock checks them, so a scenario
 * that loads does not fail on a malformed admin call in the middle of a
 * run. The world is checked by the mock's own loader
 * (mock_world_from_json), whose messages are merged with ours.
 *
 * Every problem is collected with its position and reported at the end,
 * sorted, as "file:line:col: path: message". Nothing here trusts the
 * input: the fuzz target feeds it arbitrary bytes.
 */
#include "scenario.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "dd_err.h"
#include "dd_errtab.h"
#include "faults.h"
#include "settings.h"
#include "vread.h"
#include "world.h"
#include "worldfile.h"

#define MAX_FILE_BYTES  ((size_t)64 << 20)
#define MAX_DEPTH       64
#define ID_MAX_LEN      64
#define MAX_SECONDS_CAP 86400.0 /* a run of one day at most */
#define INTERVAL_MAX    86400
#define TIME_SCALE_MAX  1000000 /* the mock's setting allows no more */
#define COUNT_MAX       1000000
#define TEXT_MAX_BYTES  4096       /* buyer.apply reason_text (actors.c) */
#define LOGI_MAX_BYTES  64         /* company_code, tracking_no (actors.c) */
#define BIG_MAX         1000000000 /* fault count, limit (faults.c) */
#define DELAY_MAX_MS    600000
#define TRUNCATE_MAX    (INT64_C(1) << 30)
#define WINDOW_MAX_MS   86400000
#define COPIES_MAX      10
#define CLIP            VR_CLIP
#define MAX_STEPS       10000 /* steps, and expectations, per scenario */
#define MAX_MEMBERS     1000  /* keys of one object, items of one list */

static const struct dd_json empty_object = {.type = DD_JSON_OBJECT};

/* How this loader's messages quote the input (vread.h). */
static const struct vr_style scenario_style = {
    .escape = true,
    .hint_ignores_case = true,
    .max_keys = MAX_MEMBERS,
};

/* ================================================================ memory */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xrealloc(NULL, n);
    memcpy(d, s, n);
    return d;
}

/* Makes room for one more element in a growable array; returns its index. */
#define GROW(v, n, cap)                                                        \
    ((n) == (cap) ? ((cap) = (cap) ? 2 * (cap) : 16,                           \
                     (v) = xrealloc((v), (cap) * sizeof *(v)), (n)++)          \
                  : (n)++)

/* ================================================================ context */

/* An id of the world, from its JSON (whatever the world's other faults). */
enum ent_kind { E_SHOP, E_PRODUCT, E_SKU, E_ORDER, E_SKU_ORDER, E_AFTERSALE };

static const char *const ent_names[] = {"shop",  "product",   "SKU",
                                        "order", "SKU order", "after-sale"};

struct ent {
    int64_t id;
    int kind;
    int64_t parent; /* SKU order: its order; after-sale: its SKU order;
                       order: its first SKU order */
    int64_t qty;    /* SKU order: its quantity; order: its SKU orders */
    struct dd_json_pos pos;
};

/* An after-sale created by a buyer.apply step. */
struct apply {
    int64_t id;
    int64_t sku_order; /* 0 when unknown */
    size_t step;
    struct dd_json_pos pos;
};

/* What the loader knows about a step's place in time. */
struct sinfo {
    const struct dd_json *node;
    size_t parent; /* SCN_AFTER_STEP: the step it waits for */
    bool cycle;    /* part of a cycle of after:step */
    bool timed;    /* rooted at an `at`: its time is known */
    double t;      /* then: seconds after the timeline's start */
    const struct dd_json *delay_node;
};

struct named {
    const char *id;
    struct dd_json_pos pos;
};

struct ld {
    const char *file;
    struct vr_ctx vr;
    struct scn_scenario *s;
    struct ent *ents;
    size_t n_ents, cap_ents;
    struct apply *applies;
    size_t n_applies, cap_applies;
    int64_t *forged;
    size_t n_forged, cap_forged;
    struct sinfo *si;
    struct named *names;
    size_t n_names, cap_names;
};

/* ================================================================ words */

/* "\"a\", \"b\" or \"c\"" into a new dd_buf (free it). */
static void one_of(struct dd_buf *b, const char *const *list)
{
    size_t n = vr_count_words(list);
    dd_buf_init(b, 0);
    for (size_t i = 0; i < n; i++)
        dd_buf_printf(b, "%s\"%s\"",
                      i == 0       ? ""
                      : i + 1 == n ? " or "
                                   : ", ",
                      list[i]);
}

/* ================================================================ readers */

/* A number of seconds (any JSON number that is finite). */
static bool is_secs(struct ld *L, const struct dd_json *v, const char *what,
                    double *out)
{
    if (v->type != DD_JSON_NUMBER) {
        vr_report(&L->vr, v->pos, "%s: expected a number of seconds, got %s",
                  what, vr_a_type(v));
        return false;
    }
    double d = strtod(v->text, NULL);
    if (!isfinite(d)) {
        vr_report(&L->vr, v->pos, "%s: %s is out of range", what, v->text);
        return false;
    }
    *out = d;
    return true;
}

/* A string of `list`; returns its index, or -1 (reported). */
static int is_word(struct ld *L, const struct dd_json *v, const char *what,
                   const char *const *list)
{
    char buf[CLIP], h[96];
    struct dd_buf all;
    size_t n = vr_count_words(list);
    if (v->type == DD_JSON_STRING && vr_no_nul(v))
        for (size_t i = 0; i < n; i++)
            if (strcmp(list[i], v->text) == 0)
                return (int)i;
    one_of(&all, list);
    if (v->type == DD_JSON_STRING)
        vr_report(&L->vr, v->pos, "%s: \"%s\" is not one of %s%s", what,
                  vr_clip(buf, v->text), dd_buf_str(&all),
                  vr_no_nul(v) ? vr_hint(h, sizeof h, v->text, list, n) : "");
    else
        vr_report(&L->vr, v->pos, "%s: expected one of %s, got %s", what,
                  dd_buf_str(&all), vr_a_type(v));
    dd_buf_free(&all);
    return -1;
}

/* A step or expectation id: 1-64 letters, digits, '-', '_' or '.'. */
static bool is_name(struct ld *L, const struct dd_json *v, const char *what)
{
    char buf[CLIP];
    if (!vr_is_str(&L->vr, v, what, ID_MAX_LEN, true))
        return false;
    for (size_t i = 0; i < v->len; i++) {
        char c = v->text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
            vr_report(&L->vr, v->pos,
                      "%s: \"%s\" is not an id (letters, digits, '-', '_' and "
                      "'.' only)",
                      what, vr_clip(buf, v->text));
            return false;
        }
    }
    return true;
}

/* ================================================================ ids */

static int cmp_ent(const void *a, const void *b)
{
    const struct ent *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->kind < y->kind ? -1 : x->kind > y->kind;
}

static void add_ent(struct ld *L, const struct dd_json *v, int kind,
                    int64_t parent, int64_t qty)
{
    int64_t id;
    if (!v || dd_json_int64(v, &id) != 0 || id <= 0)
        return;
    size_t i = GROW(L->ents, L->n_ents, L->cap_ents);
    L->ents[i] = (struct ent){id, kind, parent, qty, v->pos};
}

/* The entity (id, kind) of the world, or NULL. */
static const struct ent *find_ent(const struct ld *L, int64_t id, int kind)
{
    struct ent key = {.id = id, .kind = kind};
    if (L->n_ents == 0)
        return NULL;
    return bsearch(&key, L->ents, L->n_ents, sizeof *L->ents, cmp_ent);
}

/* The first entity of the world with this id, whatever its kind, or
 * NULL. */
static const struct ent *find_any(const struct ld *L, int64_t id)
{
    for (int k = E_SHOP; k <= E_AFTERSALE; k++) {
        const struct ent *e = find_ent(L, id, k);
        if (e)
            return e;
    }
    return NULL;
}

/*
 * Collects the ids of the world from its JSON, leniently (whatever the
 * world's problems, which the mock's loader reports): shops, products,
 * SKUs, orders, SKU orders with their order and quantity, after-sales
 * with their SKU order.
 */
static void collect_world(struct ld *L, const struct dd_json *w)
{
    const struct dd_json *a, *b;
    int64_t parent, qty;
    if ((a = vr_mem(w, "shops")) && a->type == DD_JSON_ARRAY)
        for (size_t i = 0; i < a->n; i++)
            add_ent(L, vr_mem(&a->kids[i], "shop_id"), E_SHOP, 0, 0);
    if ((a = vr_mem(w, "products")) && a->type == DD_JSON_ARRAY) {
        for (size_t i = 0; i < a->n; i++) {
            add_ent(L, vr_mem(&a->kids[i], "product_id"), E_PRODUCT, 0, 0);
            if ((b = vr_mem(&a->kids[i], "skus")) && b->type == DD_JSON_ARRAY)
                for (size_t j = 0; j < b->n; j++)
                    add_ent(L, vr_mem(&b->kids[j], "sku_id"), E_SKU, 0, 0);
        }
    }
    if ((a = vr_mem(w, "orders")) && a->type == DD_JSON_ARRAY) {
        for (size_t i = 0; i < a->n; i++) {
            const struct dd_json *o = vr_mem(&a->kids[i], "order_id");
            int64_t first = 0, n_lines = 0;
            if (!o || dd_json_int64(o, &parent) != 0)
                parent = 0;
            if ((b = vr_mem(&a->kids[i], "sku_orders")) &&
                b->type == DD_JSON_ARRAY) {
                for (size_t j = 0; j < b->n; j++) {
                    const struct dd_json *so =
                        vr_mem(&b->kids[j], "sku_order_id");
                    int64_t id;
                    if (so && dd_json_int64(so, &id) == 0 && id > 0 &&
                        n_lines++ == 0)
                        first = id;
                }
            }
            /* an order: parent = its first SKU order, qty = how many */
            add_ent(L, o, E_ORDER, first, n_lines);
            if (b && b->type == DD_JSON_ARRAY) {
                for (size_t j = 0; j < b->n; j++) {
                    const struct dd_json *q = vr_mem(&b->kids[j], "quantity");
                    if (!q || dd_json_int64(q, &qty) != 0)
                        qty = 1;
                    add_ent(L, vr_mem(&b->kids[j], "sku_order_id"), E_SKU_ORDER,
                            parent, qty);
                }
            }
        }
    }
    if ((a = vr_mem(w, "aftersales")) && a->type == DD_JSON_ARRAY) {
        for (size_t i = 0; i < a->n; i++) {
            const struct dd_json *so = vr_mem(&a->kids[i], "sku_order_id");
            if (!so || dd_json_int64(so, &parent) != 0)
                parent = 0;
            add_ent(L, vr_mem(&a->kids[i], "aftersale_id"), E_AFTERSALE, parent,
                    0);
        }
    }
    if (L->n_ents > 1)
        qsort(L->ents, L->n_ents, sizeof *L->ents, cmp_ent);
}

/* How many SKU orders order `order` has in the world; the first one's id
 * goes into *first. */
static size_t lines_of(const struct ld *L, int64_t order, int64_t *first)
{
    const struct ent *o = find_ent(L, order, E_ORDER);
    if (!o || o->qty == 0)
        return 0;
    *first = o->parent;
    return (size_t)o->qty;
}

static const struct apply *find_apply(const struct ld *L, int64_t id)
{
    for (size_t i = 0; i < L->n_applies; i++)
        if (L->applies[i].id == id)
            return &L->applies[i];
    return NULL;
}

static bool is_forged(const struct ld *L, int64_t id)
{
    for (size_t i = 0; i < L->n_forged; i++)
        if (L->forged[i] == id)
            return true;
    return false;
}

/* Registers a step or expectation id; reports a repeated one. */
static void add_name(struct ld *L, const struct dd_json *v, const char *what)
{
    for (size_t i = 0; i < L->n_names; i++) {
        if (strcmp(L->names[i].id, v->text) == 0) {
            vr_report(&L->vr, v->pos, "%s: id \"%s\" is already used at %u:%u",
                      what, v->text, L->names[i].pos.line, L->names[i].pos.col);
            return;
        }
    }
    size_t i = GROW(L->names, L->n_names, L->cap_names);
    L->names[i].id = v->text;
    L->names[i].pos = v->pos;
}

/* True when matcher node `m` names after-sale `id` under an after-sale
 * key, at any depth. */
static bool names_aftersale(const struct dd_json *m, int64_t id, int depth)
{
    int64_t x;
    if (!m || depth > MAX_DEPTH)
        return false;
    for (size_t i = 0; i < m->n; i++) {
        const struct dd_json *v = &m->kids[i];
        if (m->type == DD_JSON_OBJECT &&
            (strcmp(v->key, "aftersale_id") == 0 ||
             strcmp(v->key, "after_sale_id") == 0) &&
            dd_json_int64(v, &x) == 0 && x == id)
            return true;
        if (names_aftersale(v, id, depth + 1))
            return true;
    }
    return false;
}

/*
 * True when step `a` certainly runs before step `b`: `b` waits for `a`
 * (through after:step); or `b`'s chain starts with a call or an
 * acknowledged push that names the after-sale `a` creates (nobody can
 * name it before it exists); or both are rooted at known times and `a`'s
 * is earlier (at the same time, two plain `at` steps run in file order).
 */
static bool runs_before(const struct ld *L, size_t a, size_t b)
{
    const struct scn_scenario *s = L->s;
    size_t j = b;
    for (size_t hops = 0; hops <= s->n_steps; hops++) {
        if (s->steps[j].when != SCN_AFTER_STEP || L->si[j].cycle ||
            L->si[j].parent == SCN_NO_STEP)
            break;
        j = L->si[j].parent;
        if (j == a)
            return true;
    }
    const struct scn_step *r = &s->steps[j];
    const struct dd_json *made = vr_mem(s->steps[a].with, "aftersale_id");
    int64_t id;
    if (strcmp(s->steps[a].name, "buyer.apply") == 0 && made &&
        dd_json_int64(made, &id) == 0 &&
        ((r->when == SCN_AFTER_ACK && r->aftersale_id == id) ||
         (r->when == SCN_AFTER_CALL && names_aftersale(r->args, id, 0))))
        return true;
    if (!L->si[a].timed || !L->si[b].timed)
        return false;
    if (L->si[a].t < L->si[b].t)
        return true;
    return L->si[a].t == L->si[b].t && s->steps[a].when == SCN_AT &&
           s->steps[b].when == SCN_AT && a < b;
}

/* ================================================================ matchers */

static bool id_key(const char *k, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(k, list[i]) == 0)
            return true;
    return false;
}

/*
 * Checks argument matchers: an object whose values are literals, nested
 * matchers, arrays of them, or {"$absent": true|false} alone. Ids under
 * the keys Doudian uses for after-sales, orders and SKU orders must name
 * something the scenario knows (the world, a buyer.apply step, a forged
 * push), else the matcher could never match.
 */
static void check_matchers(struct ld *L, const struct dd_json *m,
                           const char *path, int depth)
{
    static const char *const as_keys[] = {"aftersale_id", "after_sale_id",
                                          NULL};
    static const char *const order_keys[] = {"order_id", "shop_order_id",
                                             "p_id", NULL};
    static const char *const line_keys[] = {"sku_order_id", "s_id", NULL};
    char sub[192], buf[CLIP];
    if (depth > MAX_DEPTH)
        return;
    if (m->n > MAX_MEMBERS) {
        vr_report(&L->vr, m->pos, "%s: %zu %s (at most %d)", path, m->n,
                  m->type == DD_JSON_ARRAY ? "items" : "keys", MAX_MEMBERS);
        return;
    }
    if (m->type == DD_JSON_ARRAY) {
        for (size_t i = 0; i < m->n; i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            check_matchers(L, &m->kids[i], sub, depth + 1);
        }
        return;
    }
    if (m->type != DD_JSON_OBJECT)
        return;
    const struct dd_json *abs = dd_json_get(m, "$absent");
    if (abs) {
        if (abs->type != DD_JSON_TRUE && abs->type != DD_JSON_FALSE)
            vr_report(&L->vr, abs->pos,
                      "%s.$absent: expected true or false, got %s", path,
                      vr_a_type(abs));
        if (m->n != 1)
            vr_report(
                &L->vr, m->pos,
                "%s: \"$absent\" must be alone in its object ({\"$absent\": "
                "true})",
                path);
        return;
    }
    for (size_t i = 0; i < m->n; i++) {
        const struct dd_json *v = &m->kids[i];
        bool ok = strlen(v->key) == v->key_len;
        snprintf(sub, sizeof sub, "%s.%s", path, vr_clip(buf, v->key));
        for (size_t j = 0; j < i; j++)
            if (m->kids[j].key_len == v->key_len &&
                memcmp(m->kids[j].key, v->key, v->key_len) == 0)
                vr_report(&L->vr, v->key_pos, "%s: duplicate key \"%s\"", path,
                          vr_clip(buf, v->key));
        if (ok && v->key[0] == '$') {
            vr_report(
                &L->vr, v->key_pos,
                "%s: unknown matcher \"%s\" (the only one is \"$absent\")",
                path, vr_clip(buf, v->key));
            continue;
        }
        int64_t id;
        if (ok && (v->type == DD_JSON_STRING || v->type == DD_JSON_NUMBER) &&
            dd_json_int64(v, &id) == 0) {
            if (id_key(v->key, as_keys) && !find_ent(L, id, E_AFTERSALE) &&
                !find_apply(L, id) && !is_forged(L, id))
                vr_report(&L->vr, v->pos,
                          "%s: no after-sale has id \"%s\" (not in the world, "
                          "and no buyer.apply or push.forged step names it)",
                          sub, vr_shown(buf, v));
            else if (id_key(v->key, order_keys) && !find_ent(L, id, E_ORDER) &&
                     !find_ent(L, id, E_SKU_ORDER))
                vr_report(&L->vr, v->pos,
                          "%s: no order of the world has id \"%s\"", sub,
                          vr_shown(buf, v));
            else if (id_key(v->key, line_keys) && !find_ent(L, id, E_SKU_ORDER))
                vr_report(&L->vr, v->pos,
                          "%s: no SKU order of the world has id \"%s\"", sub,
                          vr_shown(buf, v));
        }
        check_matchers(L, v, sub, depth + 1);
    }
}

/* Reads "args" of a call condition or expectation. */
static const struct dd_json *rd_matchers(struct ld *L, const struct dd_json *o,
                                         const char *path)
{
    char sub[160];
    const struct dd_json *a = vr_rd_object(&L->vr, o, path, "args", false);
    if (a) {
        snprintf(sub, sizeof sub, "%s.args", path);
        check_matchers(L, a, sub, 0);
    }
    return a;
}

/* Reads an API method name: one the mock implements, or, when
 * `unimplemented_ok`, also a known Doudian API it does not implement. */
static const char *rd_method(struct ld *L, const struct dd_json *v,
                             const char *what, bool unimplemented_ok)
{
    char buf[CLIP], h[96];
    if (!vr_is_str(&L->vr, v, what, 128, true))
        return NULL;
    if (mock_api_find(v->text))
        return v->text;
    if (mock_api_is_known_unimplemented(v->text)) {
        if (unimplemented_ok)
            return v->text;
        vr_report(
            &L->vr, v->pos,
            "%s: %s is a Doudian API the mock does not implement: the ERP "
            "could never call it successfully",
            what, v->text);
        return NULL;
    }
    size_t n = 0;
    while (mock_apis[n].method)
        n++;
    const char **names = xcalloc(n + 1, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = mock_apis[i].method;
    /* "CancelSendGoodsSuccess" for "afterSale.CancelSendGoodsSuccess" */
    const char *full = NULL;
    for (size_t i = 0; i < n && !full; i++) {
        const char *dot = strchr(names[i], '.');
        if (dot && strcmp(dot + 1, v->text) == 0)
            full = names[i];
    }
    if (full)
        snprintf(h, sizeof h, " (did you mean \"%s\"?)", full);
    else
        vr_hint(h, sizeof h, v->text, names, n);
    vr_report(&L->vr, v->pos,
              "%s: \"%s\" is not a Doudian API the mock knows%s", what,
              vr_clip(buf, v->text), h);
    free(names);
    return NULL;
}

/* ================================================================ top */

static void parse_info(struct ld *L, const struct dd_json *info)
{
    static const char *const keys[] = {"id",        "title",       "keywords",
                                       "situation", "correct_erp", NULL};
    struct scn_scenario *s = L->s;
    int64_t id;
    vr_check_keys(&L->vr, info, "info", keys);
    const struct dd_json *idv = vr_mem(info, "id");
    if (vr_rd_int(&L->vr, info, "info", "id", true, 1, 999999, &id)) {
        s->id = (int)id;
        /* A file named NNNN-slug.json carries id NNNN. */
        const char *base = strrchr(L->file, '/');
        base = base ? base + 1 : L->file;
        bool form = strlen(base) > 5 && base[4] == '-';
        for (int i = 0; form && i < 4; i++)
            form = base[i] >= '0' && base[i] <= '9';
        if (form) {
            int want = (base[0] - '0') * 1000 + (base[1] - '0') * 100 +
                       (base[2] - '0') * 10 + (base[3] - '0');
            if (want != s->id)
                vr_report(&L->vr, idv->pos,
                          "info.id: %d does not match the file name, which "
                          "says %04d",
                          s->id, want);
        }
    }
    vr_rd_str(&L->vr, info, "info", "title", true, 200, true, &s->title);
    vr_rd_str(&L->vr, info, "info", "situation", true, 8192, true,
              &s->situation);
    vr_rd_str(&L->vr, info, "info", "correct_erp", true, 8192, true,
              &s->correct_erp);
    const struct dd_json *kw =
        vr_rd_array(&L->vr, info, "info", "keywords", false);
    if (!kw)
        return;
    if (kw->n > 100) {
        vr_report(&L->vr, kw->pos, "info.keywords: %zu keywords (at most 100)",
                  kw->n);
        return;
    }
    s->keywords = xcalloc(kw->n, sizeof *s->keywords);
    for (size_t i = 0; i < kw->n; i++) {
        char what[64], buf[CLIP];
        const struct dd_json *k = &kw->kids[i];
        snprintf(what, sizeof what, "info.keywords[%zu]", i);
        if (!vr_is_str(&L->vr, k, what, 64, true))
            continue;
        bool dup = false;
        for (size_t j = 0; j < s->n_keywords; j++)
            dup = dup || strcmp(s->keywords[j], k->text) == 0;
        if (dup)
            vr_report(&L->vr, k->pos, "%s: \"%s\" is listed twice", what,
                      vr_clip(buf, k->text));
        else
            s->keywords[s->n_keywords++] = k->text;
    }
}

static void parse_options(struct ld *L, const struct dd_json *o)
{
    static const char *const keys[] = {
        "push", "poll_interval", "time_scale", "max_seconds", "hook", NULL};
    static const char *const modes[] = {"either", "required", "forbidden",
                                        NULL};
    struct scn_scenario *s = L->s;
    const struct dd_json *v;
    int64_t x;
    vr_check_keys(&L->vr, o, "options", keys);
    if ((v = vr_mem(o, "push"))) {
        int m = is_word(L, v, "options.push", modes);
        s->push = m == 1   ? SCN_PUSH_REQUIRED
                  : m == 2 ? SCN_PUSH_FORBIDDEN
                           : SCN_PUSH_EITHER;
    }
    if (vr_rd_int(&L->vr, o, "options", "poll_interval", false, 1, INTERVAL_MAX,
                  &x))
        s->poll_interval = (int)x;
    if (vr_rd_int(&L->vr, o, "options", "time_scale", false, 1, TIME_SCALE_MAX,
                  &x))
        s->time_scale = x;
    if ((v = vr_mem(o, "max_seconds"))) {
        double d;
        if (is_secs(L, v, "options.max_seconds", &d)) {
            if (d <= 0 || d > MAX_SECONDS_CAP)
                vr_report(
                    &L->vr, v->pos,
                    "options.max_seconds: must be more than 0 and at most "
                    "%g (got %s)",
                    MAX_SECONDS_CAP, v->text);
            else
                s->max_seconds = d;
        }
    }
    if ((v = vr_mem(o, "hook")))
        vr_is_bool(&L->vr, v, "options.hook", &s->needs_hook);
}

/*
 * The world: no credentials, tokens, codes or subscription (each run gets
 * fresh ones), the time scale in options, at least one shop; then the
 * mock's own loader checks everything else and its messages join ours
 * (their paths get the "world." prefix they have in a scenario).
 */
static void take_world_errors(struct ld *L, const char *text);

static void check_world(struct ld *L, const struct dd_json *w)
{
    const struct dd_json *v, *app, *set;
    if (w->type == DD_JSON_OBJECT) {
        if ((app = vr_mem(w, "app")) && app->type == DD_JSON_OBJECT) {
            static const char *const creds[] = {"app_key", "app_secret", NULL};
            for (int i = 0; creds[i]; i++)
                if ((v = dd_json_get(app, creds[i])))
                    vr_report(
                        &L->vr, v->key_pos,
                        "world.app.%s: a scenario carries no credentials: "
                        "each run gets a fresh app_key and app_secret "
                        "(remove it)",
                        creds[i]);
        }
        if ((v = dd_json_get(w, "tokens")))
            vr_report(
                &L->vr, v->key_pos,
                "world.tokens: a scenario carries no tokens: the ERP under "
                "test obtains its own with token.create (remove it)");
        if ((v = dd_json_get(w, "auth_codes")))
            vr_report(
                &L->vr, v->key_pos,
                "world.auth_codes: the runner issues a tool-type app's "
                "authorization code itself (DOUDIAN_AUTH_CODE; remove it)");
        if ((v = dd_json_get(w, "subscription")))
            vr_report(
                &L->vr, v->key_pos,
                "world.subscription: the runner subscribes the ERP's push "
                "listener; choose pushes with options.push (remove it)");
        if ((set = vr_mem(w, "settings")) && set->type == DD_JSON_OBJECT &&
            (v = dd_json_get(set, "time_scale")))
            vr_report(&L->vr, v->key_pos,
                      "world.settings.time_scale: set the time scale with "
                      "options.time_scale (the command line may override it)");
        const struct dd_json *shops = vr_mem(w, "shops");
        if (!shops || (shops->type == DD_JSON_ARRAY && shops->n == 0))
            vr_report(
                &L->vr, w->pos,
                "world: needs at least one shop (the ERP under test works "
                "for the first one)");
        collect_world(L, w);
    }
    struct mock_settings def;
    struct dd_buf errs;
    mock_settings_default(&def);
    dd_buf_init(&errs, 0);
    struct mock_world *mw =
        mock_world_from_json(w, L->file, &def, 1, (int64_t)time(NULL), &errs);
    if (mw)
        mock_world_free(mw);
    else
        take_world_errors(L, dd_buf_str(&errs));
    dd_buf_free(&errs);
}

/* True when `s` (n bytes) reads like a world path: orders[2].sku_id. */
static bool path_like(const char *s, size_t n)
{
    if (n == 0 || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '[' || c == ']'))
            return false;
    }
    return true;
}

/* Turns the world loader's "FILE:L:C: PATH: message" lines into problems. */
static void take_world_errors(struct ld *L, const char *text)
{
    size_t flen = strlen(L->file), first = L->vr.n;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        struct dd_json_pos pos = {0, 1, 1};
        const char *msg = p;
        size_t mlen = n;
        bool located = false;
        if (n > flen + 1 && memcmp(p, L->file, flen) == 0 && p[flen] == ':') {
            const char *q = p + flen + 1, *end = p + n;
            unsigned line = 0, col = 0;
            while (q < end && *q >= '0' && *q <= '9' && line < 100000000)
                line = line * 10 + (unsigned)(*q++ - '0');
            if (q < end && *q == ':')
                q++;
            while (q < end && *q >= '0' && *q <= '9' && col < 100000000)
                col = col * 10 + (unsigned)(*q++ - '0');
            if (q + 1 < end && q[0] == ':' && q[1] == ' ' && line && col) {
                pos.line = line;
                pos.col = col;
                msg = q + 2;
                mlen = (size_t)(end - msg);
                located = true;
            }
        }
        if (!located && first < L->vr.n) {
            /* a line break inside the previous message (a string of the
             * world echoed as it is): keep the problem on one line */
            struct dd_buf b;
            dd_buf_init(&b, 0);
            dd_buf_puts(&b, L->vr.v[L->vr.n - 1].msg);
            dd_buf_puts(&b, "\\n");
            dd_buf_append(&b, msg, mlen);
            free(L->vr.v[L->vr.n - 1].msg);
            L->vr.v[L->vr.n - 1].msg = dd_buf_steal(&b);
            p = nl ? nl + 1 : p + n;
            continue;
        }
        const char *colon = memchr(msg, ':', mlen);
        size_t plen = colon ? (size_t)(colon - msg) : 0;
        bool prefix = colon && path_like(msg, plen) &&
                      !(plen == 5 && memcmp(msg, "world", 5) == 0);
        vr_report(&L->vr, pos, "%s%.*s", prefix ? "world." : "", (int)mlen,
                  msg);
        p = nl ? nl + 1 : p + n;
    }
}

/* ================================================================ steps */

/* The actions: name, kind, whether the hook or pushes are needed. */
static const struct {
    const char *name;
    enum scn_action kind;
} actions[] = {
    {"buyer.apply", SCN_DO_ACTOR},
    {"buyer.modify", SCN_DO_ACTOR},
    {"buyer.cancel", SCN_DO_ACTOR},
    {"buyer.ship_return", SCN_DO_ACTOR},
    {"logistics.deliver_return", SCN_DO_ACTOR},
    {"platform.agree", SCN_DO_ACTOR},
    {"platform.refuse", SCN_DO_ACTOR},
    {"platform.arbitrate", SCN_DO_ACTOR},
    {"warehouse.ship_request", SCN_DO_HOOK_SHIP},
    {"warehouse.return_arrived", SCN_DO_HOOK_RETURN},
    {"fault", SCN_DO_FAULT},
    {"timer.fire", SCN_DO_FIRE_TIMER},
    {"erp.restart", SCN_DO_RESTART_ERP},
    {"push.forged", SCN_DO_FORGED_PUSH},
    {"token.revoke", SCN_DO_TOKEN},
    {"token.expire", SCN_DO_TOKEN},
};
#define N_ACTIONS (sizeof actions / sizeof actions[0])

static int find_action(const char *name)
{
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (strcmp(actions[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Pass 1 over one step: its id, when it runs, its action's name and the
 * `with` object. The arguments are checked in pass 3, once every step's
 * place in time is known. */
static void parse_step(struct ld *L, size_t i, const struct dd_json *st)
{
    static const char *const keys[] = {"id", "at",   "after", "delay",
                                       "do", "with", NULL};
    static const char *const akeys[] = {"step",     "call", "args",
                                        "answered", "ack",  NULL};
    static const char *const answers[] = {"any", "success", NULL};
    struct scn_scenario *s = L->s;
    struct scn_step *x = &s->steps[i];
    struct sinfo *si = &L->si[i];
    const struct dd_json *v, *after;
    char path[64], what[128], buf[CLIP], h[96];
    snprintf(path, sizeof path, "timeline[%zu]", i);
    x->id = x->ref = x->method = x->name = "";
    x->ref_step = SCN_NO_STEP;
    x->with = &empty_object;
    x->when = SCN_AT;
    si->node = st;
    si->parent = SCN_NO_STEP;
    x->pos = st->pos;
    if (st->type != DD_JSON_OBJECT) {
        vr_report(&L->vr, st->pos, "%s: expected an object, got %s", path,
                  vr_a_type(st));
        return;
    }
    vr_check_keys(&L->vr, st, path, keys);
    if ((v = vr_mem(st, "id"))) {
        snprintf(what, sizeof what, "%s.id", path);
        if (is_name(L, v, what)) {
            x->id = v->text;
            add_name(L, v, what);
        }
    }
    const struct dd_json *at = vr_mem(st, "at");
    after = vr_mem(st, "after");
    if (at && after) {
        vr_report(&L->vr, after->key_pos,
                  "%s: a step runs either \"at\" a time or \"after\" a "
                  "condition, not both",
                  path);
    } else if (!at && !after) {
        vr_report(&L->vr, st->pos,
                  "%s: missing \"at\" (seconds) or \"after\" (a condition)",
                  path);
    } else if (at) {
        snprintf(what, sizeof what, "%s.at", path);
        if (is_secs(L, at, what, &x->at)) {
            if (x->at < 0)
                vr_report(&L->vr, at->pos, "%s: must not be negative (got %s)",
                          what, at->text);
            else if (x->at >= s->max_seconds)
                vr_report(&L->vr, at->pos,
                          "%s: %s s is not before the run ends (max_seconds "
                          "%g)",
                          what, at->text, s->max_seconds);
            else {
                si->timed = true;
                si->t = x->at;
            }
        }
    } else if (after->type != DD_JSON_OBJECT) {
        vr_report(&L->vr, after->pos, "%s.after: expected an object, got %s",
                  path, vr_a_type(after));
    } else {
        char apath[80];
        snprintf(apath, sizeof apath, "%s.after", path);
        vr_check_keys(&L->vr, after, apath, akeys);
        const struct dd_json *sv = vr_mem(after, "step"),
                             *cv = vr_mem(after, "call"),
                             *kv = vr_mem(after, "ack");
        int n = (sv != NULL) + (cv != NULL) + (kv != NULL);
        if (n == 0)
            vr_report(&L->vr, after->pos,
                      "%s: missing \"step\", \"call\" or \"ack\" (what to wait "
                      "for)",
                      apath);
        else if (n > 1)
            vr_report(&L->vr, after->pos,
                      "%s: wait for one thing: \"step\", \"call\" or \"ack\"",
                      apath);
        if (!cv) {
            if ((v = dd_json_get(after, "args")))
                vr_report(&L->vr, v->key_pos,
                          "%s.args: only applies to \"call\"", apath);
            if ((v = dd_json_get(after, "answered")))
                vr_report(&L->vr, v->key_pos,
                          "%s.answered: only applies to \"call\"", apath);
        }
        if (n != 1) {
            /* reported */
        } else if (sv) {
            x->when = SCN_AFTER_STEP;
            snprintf(what, sizeof what, "%s.step", apath);
            if (is_name(L, sv, what))
                x->ref = sv->text;
        } else if (cv) {
            x->when = SCN_AFTER_CALL;
            snprintf(what, sizeof what, "%s.call", apath);
            const char *m = rd_method(L, cv, what, false);
            x->method = m ? m : "";
            x->args = vr_rd_object(&L->vr, after, apath, "args", false);
            if ((v = vr_mem(after, "answered"))) {
                snprintf(what, sizeof what, "%s.answered", apath);
                x->success_only = is_word(L, v, what, answers) == 1;
            }
        } else {
            x->when = SCN_AFTER_ACK;
            char kpath[96];
            snprintf(kpath, sizeof kpath, "%s.ack", apath);
            static const char *const kkeys[] = {"tag", "aftersale_id", NULL};
            if (kv->type != DD_JSON_OBJECT) {
                vr_report(&L->vr, kv->pos, "%s: expected an object, got %s",
                          kpath, vr_a_type(kv));
            } else {
                int64_t tag;
                vr_check_keys(&L->vr, kv, kpath, kkeys);
                if (vr_rd_int(&L->vr, kv, kpath, "tag", true, 200, 208, &tag))
                    x->tag = (int)tag;
                if ((v = vr_mem(kv, "aftersale_id"))) {
                    snprintf(what, sizeof what, "%s.aftersale_id", kpath);
                    vr_is_id(&L->vr, v, what, &x->aftersale_id);
                }
            }
            if (s->push != SCN_PUSH_REQUIRED)
                vr_report(
                    &L->vr, kv->pos,
                    "%s: waiting for an acknowledged push needs pushes: set "
                    "\"push\": \"required\" in options",
                    kpath);
        }
    }
    if ((v = vr_mem(st, "delay"))) {
        snprintf(what, sizeof what, "%s.delay", path);
        si->delay_node = v;
        if (at)
            vr_report(&L->vr, v->key_pos,
                      "%s: \"delay\" only applies to \"after\" (add it to "
                      "\"at\")",
                      what);
        else if (is_secs(L, v, what, &x->delay)) {
            if (x->delay < 0)
                vr_report(&L->vr, v->pos, "%s: must not be negative (got %s)",
                          what, v->text);
            else if (x->delay >= s->max_seconds)
                vr_report(&L->vr, v->pos,
                          "%s: %s s is not before the run ends (max_seconds "
                          "%g)",
                          what, v->text, s->max_seconds);
        }
    }
    if (!(v = vr_mem(st, "do"))) {
        vr_missing(&L->vr, st, path, "do");
    } else {
        snprintf(what, sizeof what, "%s.do", path);
        if (vr_is_str(&L->vr, v, what, 64, true)) {
            int a = find_action(v->text);
            if (a < 0) {
                const char *names[N_ACTIONS];
                for (size_t k = 0; k < N_ACTIONS; k++)
                    names[k] = actions[k].name;
                vr_report(&L->vr, v->pos, "%s: unknown action \"%s\"%s", what,
                          vr_clip(buf, v->text),
                          vr_hint(h, sizeof h, v->text, names, N_ACTIONS));
            } else {
                x->name = actions[a].name;
                x->action = actions[a].kind;
            }
        }
    }
    if ((v = vr_rd_object(&L->vr, st, path, "with", false)))
        x->with = v;
}

/* Records what buyer.apply and push.forged steps create, so that other
 * steps and expectations may name those after-sales. */
static void collect_created(struct ld *L, size_t i)
{
    const struct scn_step *x = &L->s->steps[i];
    const struct dd_json *v = vr_mem(x->with, "aftersale_id");
    int64_t id;
    if (!v || dd_json_int64(v, &id) != 0 || id <= 0)
        return;
    if (strcmp(x->name, "push.forged") == 0) {
        size_t k = GROW(L->forged, L->n_forged, L->cap_forged);
        L->forged[k] = id;
        return;
    }
    if (strcmp(x->name, "buyer.apply") != 0 || find_apply(L, id))
        return;
    size_t k = GROW(L->applies, L->n_applies, L->cap_applies);
    L->applies[k].id = id;
    L->applies[k].step = i;
    L->applies[k].pos = v->pos;
    L->applies[k].sku_order = 0;
    const struct dd_json *so = vr_mem(x->with, "sku_order_id");
    const struct dd_json *o = vr_mem(x->with, "order_id");
    int64_t so_id, o_id, first = 0;
    if (so && dd_json_int64(so, &so_id) == 0)
        L->applies[k].sku_order = so_id;
    else if (o && dd_json_int64(o, &o_id) == 0 && lines_of(L, o_id, &first))
        L->applies[k].sku_order = first;
}

/* Pass 2: resolves after:step references, finds cycles, and computes the
 * time of every step rooted at an `at`. */
static void order_steps(struct ld *L)
{
    struct scn_scenario *s = L->s;
    size_t n = s->n_steps;
    const char **ids = xcalloc(n + 1, sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = s->steps[i].id;
    for (size_t i = 0; i < n; i++) {
        struct scn_step *x = &s->steps[i];
        if (x->when != SCN_AFTER_STEP || !*x->ref)
            continue;
        size_t j = scn_scenario_step(s, x->ref);
        const struct dd_json *rv =
            vr_mem(vr_mem(L->si[i].node, "after"), "step");
        if (j == SCN_NO_STEP) {
            char buf[CLIP], h[96];
            vr_report(&L->vr, rv->pos,
                      "timeline[%zu].after.step: no step has id "
                      "\"%s\"%s",
                      i, vr_clip(buf, x->ref),
                      vr_hint(h, sizeof h, x->ref, ids, n));
            continue;
        }
        x->ref_step = j;
        L->si[i].parent = j;
    }
    /* Cycles: a step whose chain of parents comes back to itself. */
    for (size_t i = 0; i < n; i++) {
        size_t j = L->si[i].parent;
        size_t hops = 0;
        while (j != SCN_NO_STEP && j != i && hops++ <= n)
            j = L->si[j].parent;
        if (j != i)
            continue;
        L->si[i].cycle = true;
    }
    for (size_t i = 0; i < n; i++) {
        if (!L->si[i].cycle)
            continue;
        /* Report each cycle once, at its first member in the file. */
        bool first = true;
        for (size_t j = L->si[i].parent; j != i; j = L->si[j].parent)
            first = first && j > i;
        if (!first)
            continue;
        struct dd_buf chain;
        dd_buf_init(&chain, 2048);
        dd_buf_printf(&chain, "\"%s\"", s->steps[i].id);
        size_t j = i;
        do {
            j = L->si[j].parent;
            dd_buf_printf(&chain, " -> \"%s\"", s->steps[j].id);
        } while (j != i);
        if (L->si[i].parent == i)
            vr_report(&L->vr, L->si[i].node->pos,
                      "timeline[%zu]: step \"%s\" waits for itself", i,
                      s->steps[i].id);
        else
            vr_report(&L->vr, L->si[i].node->pos,
                      "timeline[%zu]: steps wait for each other in a cycle: %s",
                      i, dd_buf_str(&chain));
        dd_buf_free(&chain);
    }
    /* Times: walk each chain up to its root. */
    for (size_t i = 0; i < n; i++) {
        if (s->steps[i].when != SCN_AFTER_STEP || L->si[i].cycle)
            continue;
        double t = 0;
        size_t j = i, hops = 0;
        while (j != SCN_NO_STEP && s->steps[j].when == SCN_AFTER_STEP &&
               hops++ <= n) {
            t += s->steps[j].delay;
            j = L->si[j].parent;
        }
        if (j == SCN_NO_STEP || s->steps[j].when != SCN_AT || !L->si[j].timed)
            continue;
        L->si[i].timed = true;
        L->si[i].t = t + L->si[j].t;
    }
    /* A chained step that would run after the end, reported where its
     * chain first crosses the end. */
    for (size_t i = 0; i < n; i++) {
        size_t p = L->si[i].parent;
        if (s->steps[i].when != SCN_AFTER_STEP || !L->si[i].timed ||
            L->si[i].t < s->max_seconds || p == SCN_NO_STEP ||
            L->si[p].t >= s->max_seconds || s->steps[i].delay >= s->max_seconds)
            continue;
        vr_report(
            &L->vr, L->si[i].node->pos,
            "timeline[%zu]: would run at %g s (step \"%s\" at %g s + delay "
            "%g s), not before the run ends (max_seconds %g)",
            i, L->si[i].t, s->steps[p].id, L->si[p].t, s->steps[i].delay,
            s->max_seconds);
    }
    free(ids);
}

/* ---------------------------------------------------------------- with */

enum argt {
    T_AS,         /* an after-sale that exists when the step runs */
    T_AS_NEW,     /* a new after-sale id (buyer.apply) */
    T_AS_ANY,     /* any positive id (push.forged) */
    T_ORDER,      /* an order of the world */
    T_SKU_ORDER,  /* a SKU order of the world */
    T_SKU_ORDERS, /* a non-empty array of SKU orders */
    T_INT,        /* an integer in [lo, hi] */
    T_STR,        /* a non-empty string of at most hi bytes */
    T_TEXT,       /* a string (may be empty) of at most hi bytes */
    T_WORD,       /* one of words */
    T_AS_TYPE,    /* 0/1/2 or "return"/"shipped_refund"/"unshipped_refund" */
    T_BOOL,
    T_ITEMS, /* [{"sku_order_id", "quantity"}] */
};

struct arg {
    const char *key;
    enum argt t;
    bool req;
    int64_t lo, hi;
    const char *const *words;
};

static const char *const as_type_words[] = {"return", "shipped_refund",
                                            "unshipped_refund", NULL};
static const char *const result_words[] = {"buyer", "seller", NULL};
static const char *const condition_words[] = {"intact", "damaged", "wrong_item",
                                              "empty", NULL};
static const char *const flavor_words[] = {"bad_sign", "wrong_app_id",
                                           "malformed_data", NULL};

#define ARG_AS                                                                 \
    {                                                                          \
        "aftersale_id", T_AS, true, 0, 0, NULL                                 \
    }
#define ARG_END                                                                \
    {                                                                          \
        NULL, T_INT, false, 0, 0, NULL                                         \
    }
#define ARG_INT(k, lo, hi)                                                     \
    {                                                                          \
        k, T_INT, false, lo, hi, NULL                                          \
    }

static const struct arg args_apply[] = {
    {"aftersale_id", T_AS_NEW, true, 0, 0, NULL},
    {"sku_order_id", T_SKU_ORDER, false, 0, 0, NULL},
    {"order_id", T_ORDER, false, 0, 0, NULL},
    {"type", T_AS_TYPE, true, 0, 0, NULL},
    ARG_INT("amount", 1, INT64_MAX),
    ARG_INT("quantity", 1, INT32_MAX),
    ARG_INT("reason_code", 0, INT32_MAX),
    {"reason_text", T_TEXT, false, 0, TEXT_MAX_BYTES, NULL},
    ARG_END};
static const struct arg args_modify[] = {
    ARG_AS,
    ARG_INT("amount", 1, INT64_MAX),
    ARG_INT("reason_code", 0, INT32_MAX),
    {"reason_text", T_TEXT, false, 0, TEXT_MAX_BYTES, NULL},
    ARG_END};
static const struct arg args_as[] = {ARG_AS, ARG_END};
static const struct arg args_ship_return[] = {
    ARG_AS,
    {"company_code", T_STR, true, 0, LOGI_MAX_BYTES, NULL},
    {"tracking_no", T_STR, true, 0, LOGI_MAX_BYTES, NULL},
    ARG_END};
static const struct arg args_arbitrate[] = {
    ARG_AS, {"result", T_WORD, true, 0, 0, result_words}, ARG_END};
static const struct arg args_ship_request[] = {
    {"shop_order_id", T_ORDER, true, 0, 0, NULL},
    {"sku_order_ids", T_SKU_ORDERS, true, 0, 0, NULL},
    ARG_END};
static const struct arg args_return_arrived[] = {
    ARG_AS,
    {"tracking_no", T_STR, true, 0, LOGI_MAX_BYTES, NULL},
    {"items", T_ITEMS, true, 0, 0, NULL},
    {"condition", T_WORD, true, 0, 0, condition_words},
    ARG_END};
static const struct arg args_forged[] = {
    {"tag", T_INT, true, 200, 208, NULL},
    {"flavor", T_WORD, true, 0, 0, flavor_words},
    {"aftersale_id", T_AS_ANY, false, 0, 0, NULL},
    ARG_END};
static const struct arg args_none[] = {ARG_END};
static const struct arg args_expire[] = {{"refresh", T_BOOL, false, 0, 0, NULL},
                                         ARG_END};

static const struct arg *args_of(const char *name)
{
    static const struct {
        const char *name;
        const struct arg *args;
    } t[] = {
        {"buyer.apply", args_apply},
        {"buyer.modify", args_modify},
        {"buyer.cancel", args_as},
        {"buyer.ship_return", args_ship_return},
        {"logistics.deliver_return", args_as},
        {"platform.agree", args_as},
        {"platform.refuse", args_as},
        {"platform.arbitrate", args_arbitrate},
        {"warehouse.ship_request", args_ship_request},
        {"warehouse.return_arrived", args_return_arrived},
        {"timer.fire", args_as},
        {"erp.restart", args_none},
        {"push.forged", args_forged},
        {"token.revoke", args_none},
        {"token.expire", args_expire},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i].name, name) == 0)
            return t[i].args;
    return NULL;
}

/* An after-sale named by step `i`: in the world, or created by a
 * buyer.apply step that certainly runs before it. */
static void check_as_at_step(struct ld *L, size_t i, const struct dd_json *v,
                             const char *what, int64_t id)
{
    char buf[CLIP];
    if (find_ent(L, id, E_AFTERSALE))
        return;
    const struct apply *a = find_apply(L, id);
    if (!a) {
        vr_report(&L->vr, v->pos,
                  "%s: no after-sale has id \"%s\" (not in the world, and no "
                  "buyer.apply step creates it)",
                  what, vr_shown(buf, v));
        return;
    }
    if (a->step == i || !runs_before(L, a->step, i))
        vr_report(
            &L->vr, v->pos,
            "%s: after-sale \"%s\" is created by the buyer.apply step at "
            "%u:%u, which is not certain to run before this step (wait for "
            "it with \"after\": {\"step\": ...}, or use a later \"at\")",
            what, vr_shown(buf, v), a->pos.line, a->pos.col);
}

/* The SKU order items of a warehouse.return_arrived. */
static void check_items(struct ld *L, const struct dd_json *v, const char *what)
{
    static const char *const keys[] = {"sku_order_id", "quantity", NULL};
    char path[256], buf[CLIP];
    int64_t id, q;
    if (v->type != DD_JSON_ARRAY) {
        vr_report(&L->vr, v->pos, "%s: expected an array, got %s", what,
                  vr_a_type(v));
        return;
    }
    if (v->n == 0)
        vr_report(&L->vr, v->pos, "%s: must list at least one item", what);
    if (v->n > MAX_MEMBERS) {
        vr_report(&L->vr, v->pos, "%s: %zu items (at most %d)", what, v->n,
                  MAX_MEMBERS);
        return;
    }
    for (size_t k = 0; k < v->n; k++) {
        const struct dd_json *it = &v->kids[k];
        snprintf(path, sizeof path, "%s[%zu]", what, k);
        if (it->type != DD_JSON_OBJECT) {
            vr_report(&L->vr, it->pos, "%s: expected an object, got %s", path,
                      vr_a_type(it));
            continue;
        }
        vr_check_keys(&L->vr, it, path, keys);
        const struct dd_json *so = vr_mem(it, "sku_order_id");
        char sub[288];
        snprintf(sub, sizeof sub, "%s.sku_order_id", path);
        if (!so)
            vr_missing(&L->vr, it, path, "sku_order_id");
        else if (vr_is_id(&L->vr, so, sub, &id) &&
                 !find_ent(L, id, E_SKU_ORDER))
            vr_report(&L->vr, so->pos,
                      "%s: no SKU order of the world has id \"%s\"", sub,
                      vr_shown(buf, so));
        vr_rd_int(&L->vr, it, path, "quantity", true, 1, INT32_MAX, &q);
    }
}

/* Checks one argument of an action's `with`. Returns the id read, 0 when
 * none or bad. */
static int64_t check_arg(struct ld *L, size_t i, const struct arg *a,
                         const struct dd_json *v, const char *what)
{
    char buf[CLIP];
    int64_t id = 0, x;
    bool b;
    switch (a->t) {
    case T_AS:
        if (vr_is_id(&L->vr, v, what, &id))
            check_as_at_step(L, i, v, what, id);
        return id;
    case T_AS_NEW: {
        if (!vr_is_id(&L->vr, v, what, &id))
            return 0;
        const struct ent *e = find_any(L, id);
        const struct apply *ap = find_apply(L, id);
        if (e)
            vr_report(
                &L->vr, v->pos,
                "%s: \"%s\" is already the id of the %s at %u:%u (ids are "
                "unique across the world)",
                what, vr_shown(buf, v), ent_names[e->kind], e->pos.line,
                e->pos.col);
        else if (ap && ap->step != i)
            vr_report(&L->vr, v->pos,
                      "%s: after-sale \"%s\" is already created by the "
                      "buyer.apply step at %u:%u",
                      what, vr_shown(buf, v), ap->pos.line, ap->pos.col);
        return id;
    }
    case T_AS_ANY:
        vr_is_id(&L->vr, v, what, &id);
        return id;
    case T_ORDER:
        if (vr_is_id(&L->vr, v, what, &id) && !find_ent(L, id, E_ORDER)) {
            vr_report(&L->vr, v->pos, "%s: no order of the world has id \"%s\"",
                      what, vr_shown(buf, v));
            return 0;
        }
        return id;
    case T_SKU_ORDER:
        if (vr_is_id(&L->vr, v, what, &id) && !find_ent(L, id, E_SKU_ORDER)) {
            vr_report(&L->vr, v->pos,
                      "%s: no SKU order of the world has id \"%s\"", what,
                      vr_shown(buf, v));
            return 0;
        }
        return id;
    case T_SKU_ORDERS:
        if (v->type != DD_JSON_ARRAY) {
            vr_report(&L->vr, v->pos,
                      "%s: expected an array of SKU order ids, got %s", what,
                      vr_a_type(v));
            return 0;
        }
        if (v->n == 0)
            vr_report(&L->vr, v->pos, "%s: must list at least one SKU order",
                      what);
        if (v->n > MAX_MEMBERS) {
            vr_report(&L->vr, v->pos, "%s: %zu SKU orders (at most %d)", what,
                      v->n, MAX_MEMBERS);
            return 0;
        }
        for (size_t k = 0; k < v->n; k++) {
            char sub[256];
            int64_t y, z;
            snprintf(sub, sizeof sub, "%s[%zu]", what, k);
            if (!vr_is_id(&L->vr, &v->kids[k], sub, &y))
                continue;
            if (!find_ent(L, y, E_SKU_ORDER))
                vr_report(&L->vr, v->kids[k].pos,
                          "%s: no SKU order of the world has id \"%s\"", sub,
                          vr_shown(buf, &v->kids[k]));
            for (size_t j = 0; j < k; j++)
                if (dd_json_int64(&v->kids[j], &z) == 0 && z == y) {
                    vr_report(&L->vr, v->kids[k].pos,
                              "%s: \"%s\" is listed twice", sub,
                              vr_shown(buf, &v->kids[k]));
                    break;
                }
        }
        return 0;
    case T_INT:
        vr_is_int(&L->vr, v, what, a->lo, a->hi, &x);
        return 0;
    case T_STR:
    case T_TEXT:
        vr_is_str(&L->vr, v, what, (size_t)a->hi, a->t == T_STR);
        return 0;
    case T_WORD:
        is_word(L, v, what, a->words);
        return 0;
    case T_AS_TYPE:
        if (v->type == DD_JSON_NUMBER && dd_json_int64(v, &x) == 0 && x >= 0 &&
            x <= 2)
            return 0;
        if (v->type == DD_JSON_NUMBER) {
            vr_report(&L->vr, v->pos,
                      "%s: must be 0 \"return\", 1 \"shipped_refund\" or 2 "
                      "\"unshipped_refund\" (got %s)",
                      what, vr_shown(buf, v));
            return 0;
        }
        is_word(L, v, what, as_type_words);
        return 0;
    case T_BOOL:
        vr_is_bool(&L->vr, v, what, &b);
        return 0;
    case T_ITEMS:
        check_items(L, v, what);
        return 0;
    }
    return 0;
}

/* buyer.apply: a SKU order (named, or the only line of the named order),
 * consistent with the order, and a quantity the line has. */
static void check_apply(struct ld *L, const struct dd_json *w,
                        const struct dd_json *where, const char *path)
{
    const struct dd_json *so = vr_mem(w, "sku_order_id"),
                         *o = vr_mem(w, "order_id");
    const struct dd_json *q = vr_mem(w, "quantity");
    int64_t so_id = 0, o_id = 0, qty, first = 0;
    char buf[CLIP], buf2[CLIP];
    if (!so && !o) {
        vr_report(&L->vr, where->pos,
                  "%s: missing \"sku_order_id\" (or \"order_id\" of "
                  "an order with one SKU order)",
                  path);
        return;
    }
    if (so && dd_json_int64(so, &so_id) != 0)
        return;
    if (o && dd_json_int64(o, &o_id) != 0)
        return;
    if (!so) {
        size_t n = lines_of(L, o_id, &first);
        if (n > 1)
            vr_report(&L->vr, o->pos,
                      "%s.order_id: order \"%s\" has %zu SKU orders: name one "
                      "with \"sku_order_id\"",
                      path, vr_shown(buf, o), n);
        so_id = n == 1 ? first : 0;
    }
    const struct ent *line = so_id ? find_ent(L, so_id, E_SKU_ORDER) : NULL;
    if (!line)
        return;
    if (so && o && find_ent(L, o_id, E_ORDER) && line->parent != o_id)
        vr_report(
            &L->vr, o->pos,
            "%s.order_id: SKU order \"%s\" belongs to order \"%lld\", not "
            "\"%s\"",
            path, vr_shown(buf, so), (long long)line->parent,
            vr_shown(buf2, o));
    if (q && dd_json_int64(q, &qty) == 0 && qty > line->qty && qty >= 1)
        vr_report(&L->vr, q->pos,
                  "%s.quantity: %lld is more than the %lld items of SKU order "
                  "\"%lld\"",
                  path, (long long)qty, (long long)line->qty,
                  (long long)line->id);
}

/* warehouse.ship_request: every SKU order is a line of the order. */
static void check_ship_request(struct ld *L, const struct dd_json *w,
                               const char *path)
{
    const struct dd_json *o = vr_mem(w, "shop_order_id");
    const struct dd_json *ids = vr_mem(w, "sku_order_ids");
    int64_t o_id, id;
    char buf[CLIP], buf2[CLIP];
    if (!o || !ids || ids->type != DD_JSON_ARRAY ||
        dd_json_int64(o, &o_id) != 0 || !find_ent(L, o_id, E_ORDER))
        return;
    for (size_t k = 0; k < ids->n; k++) {
        const struct ent *e;
        if (dd_json_int64(&ids->kids[k], &id) != 0 ||
            !(e = find_ent(L, id, E_SKU_ORDER)) || e->parent == o_id)
            continue;
        vr_report(&L->vr, ids->kids[k].pos,
                  "%s.sku_order_ids[%zu]: SKU order \"%s\" is a line of order "
                  "\"%lld\", not of \"%s\"",
                  path, k, vr_shown(buf, &ids->kids[k]), (long long)e->parent,
                  vr_shown(buf2, o));
    }
}

/* ---------------------------------------------------------------- faults */

/* The `with` of a fault step: the body of POST /_mock/worlds/K/faults,
 * checked as mock/faults.c checks it. */
static void check_fault(struct ld *L, const struct dd_json *w,
                        const struct dd_json *where, const char *path)
{
    static const char *const drifts[] = {"touch", "insert", "both", NULL};
    const char *kind_words[MOCK_FAULT_N_KINDS + 1];
    const char *member_words[MOCK_FAULT_N_MEMBERS + 1];
    char what[160];
    int kind = -1;
    for (size_t k = 0; k < MOCK_FAULT_N_KINDS; k++)
        kind_words[k] = mock_fault_kinds[k].name;
    kind_words[MOCK_FAULT_N_KINDS] = NULL;
    for (size_t m = 0; m < MOCK_FAULT_N_MEMBERS; m++)
        member_words[m] = mock_fault_members[m].name;
    member_words[MOCK_FAULT_N_MEMBERS] = NULL;
    vr_check_keys(&L->vr, w, path, member_words);
    const struct dd_json *kv = vr_mem(w, "kind");
    if (!kv)
        vr_missing(&L->vr, where, path, "kind");
    else {
        snprintf(what, sizeof what, "%s.kind", path);
        kind = is_word(L, kv, what, kind_words);
    }
    const char *method = NULL;
    for (size_t m = 1; m < MOCK_FAULT_N_MEMBERS; m++) {
        unsigned bit = mock_fault_members[m].bit;
        const struct dd_json *v = vr_mem(w, mock_fault_members[m].name);
        snprintf(what, sizeof what, "%s.%s", path, mock_fault_members[m].name);
        if (kind >= 0 && !v && (mock_fault_kinds[kind].required & bit)) {
            vr_report(&L->vr, where->pos, "%s: %s needs \"%s\"", path,
                      mock_fault_kinds[kind].name, mock_fault_members[m].name);
            continue;
        }
        if (!v)
            continue;
        if (kind >= 0 && !(mock_fault_kinds[kind].allowed & bit)) {
            vr_report(&L->vr, v->key_pos, "%s: does not apply to %s", what,
                      mock_fault_kinds[kind].name);
            continue;
        }
        int64_t x;
        switch (bit) {
        case MOCK_FAULT_P_METHOD:
            method = rd_method(L, v, what, false);
            if (method && kind >= 0 &&
                strcmp(mock_fault_kinds[kind].name, "list_drift") == 0 &&
                strcmp(method, "afterSale.List") != 0)
                vr_report(&L->vr, v->pos,
                          "%s: list_drift applies to afterSale.List "
                          "only",
                          what);
            break;
        case MOCK_FAULT_P_TAG:
            vr_is_int(&L->vr, v, what, 0, 65535, &x);
            break;
        case MOCK_FAULT_P_COUNT:
            vr_is_int(&L->vr, v, what, 1, BIG_MAX, &x);
            break;
        case MOCK_FAULT_P_PROB: {
            double p = 0;
            if (v->type != DD_JSON_NUMBER ||
                !((p = strtod(v->text, NULL)) > 0 && p <= 1))
                vr_report(&L->vr, v->pos,
                          "%s: must be a number with 0 < p <= 1", what);
            break;
        }
        case MOCK_FAULT_P_SUB:
            vr_is_str(&L->vr, v, what, 128, true);
            break;
        case MOCK_FAULT_P_DELAY:
            vr_is_int(&L->vr, v, what, 1, DELAY_MAX_MS, &x);
            break;
        case MOCK_FAULT_P_TRUNC:
            vr_is_int(&L->vr, v, what, 0, TRUNCATE_MAX, &x);
            break;
        case MOCK_FAULT_P_LIMIT:
            vr_is_int(&L->vr, v, what, 1, BIG_MAX, &x);
            break;
        case MOCK_FAULT_P_WINDOW:
            vr_is_int(&L->vr, v, what, 1, WINDOW_MAX_MS, &x);
            break;
        case MOCK_FAULT_P_DRIFT:
            is_word(L, v, what, drifts);
            break;
        case MOCK_FAULT_P_COPIES:
            vr_is_int(&L->vr, v, what, 1, COPIES_MAX, &x);
            break;
        }
    }
    const struct dd_json *sub = vr_mem(w, "sub_code");
    if (kind >= 0 && (mock_fault_kinds[kind].allowed & MOCK_FAULT_P_SUB) &&
        sub && sub->type == DD_JSON_STRING && vr_no_nul(sub) && sub->len > 0 &&
        (method || !vr_mem(w, "method")) &&
        !dd_errtab_find(method, sub->text)) {
        char buf[CLIP];
        vr_report(&L->vr, sub->pos,
                  "%s.sub_code: \"%s\" is not a row of the error table for %s",
                  path, vr_clip(buf, sub->text),
                  method ? method
                         : "the platform (give a \"method\" for an API's own "
                           "rows)");
    }
    if (kind >= 0 && mock_fault_kinds[kind].push &&
        L->s->push != SCN_PUSH_REQUIRED)
        vr_report(&L->vr, kv->pos,
                  "%s.kind: %s needs pushes: set \"push\": \"required\" in "
                  "options",
                  path, mock_fault_kinds[kind].name);
}

/* Pass 3 over one step: its action's arguments. */
static void check_step_args(struct ld *L, size_t i)
{
    struct scn_scenario *s = L->s;
    const struct scn_step *x = &s->steps[i];
    const struct dd_json *st = L->si[i].node;
    char path[80], what[192];
    if (st->type != DD_JSON_OBJECT)
        return;
    if (x->args) {
        snprintf(path, sizeof path, "timeline[%zu].after.args", i);
        check_matchers(L, x->args, path, 0);
    }
    if (!*x->name)
        return;
    snprintf(path, sizeof path, "timeline[%zu].with", i);
    const struct dd_json *w = x->with;
    const struct dd_json *dv = vr_mem(st, "do");
    if (x->action == SCN_DO_HOOK_SHIP || x->action == SCN_DO_HOOK_RETURN) {
        s->money_safety = true;
        if (!s->needs_hook)
            vr_report(&L->vr, dv->pos,
                      "timeline[%zu].do: %s is a warehouse hook event: set "
                      "\"hook\": true in options",
                      i, x->name);
    }
    if (x->action == SCN_DO_FORGED_PUSH && s->push != SCN_PUSH_REQUIRED)
        vr_report(&L->vr, dv->pos,
                  "timeline[%zu].do: push.forged needs pushes: set \"push\": "
                  "\"required\" in options",
                  i);
    /* A `with` of the wrong type was reported in pass 1; without one,
     * missing arguments are reported at the step. */
    const struct dd_json *wv = vr_mem(st, "with");
    if (wv && wv->type != DD_JSON_OBJECT)
        return;
    const struct dd_json *where = wv ? wv : st;
    if (x->action == SCN_DO_FAULT) {
        check_fault(L, w, where, path);
        return;
    }
    const struct arg *args = args_of(x->name);
    if (!args)
        return;
    const char *keys[16];
    size_t nk = 0;
    for (const struct arg *a = args; a->key && nk < 15; a++)
        keys[nk++] = a->key;
    keys[nk] = NULL;
    vr_check_keys(&L->vr, w, path, keys);
    for (const struct arg *a = args; a->key; a++) {
        const struct dd_json *v = vr_mem(w, a->key);
        if (!v) {
            if (a->req)
                vr_missing(&L->vr, where, path, a->key);
            continue;
        }
        snprintf(what, sizeof what, "%s.%s", path, a->key);
        check_arg(L, i, a, v, what);
    }
    if (strcmp(x->name, "buyer.apply") == 0)
        check_apply(L, w, where, path);
    else if (x->action == SCN_DO_HOOK_SHIP)
        check_ship_request(L, w, path);
}

/* ================================================================ expect */

static const char *const aftersale_fields[] = {"aftersale",
                                               "status",
                                               "refund_status",
                                               "refund_type",
                                               "refund_amount",
                                               "refund_post_amount",
                                               "quantity",
                                               "got_pkg",
                                               "arbitrate_status",
                                               "type",
                                               NULL};
static const char *const order_fields[] = {"order", "status", NULL};
static const char *const sku_order_fields[] = {"sku_order", "status",
                                               "refunded", NULL};

/* The fields of a final expectation, checked against the world-file
 * vocabulary of each entity. */
static void check_final_fields(struct ld *L, const struct dd_json *f,
                               const char *path, enum scn_entity ent)
{
    static const char *const order_status[] = {
        "paid", "partly_shipped", "shipped", "cancelled", "done", NULL};
    static const char *const line_status[] = {"unshipped", "shipped",
                                              "cancelled", "done", NULL};
    char what[160], buf[CLIP];
    int64_t x;
    bool b;
    size_t fields = 0;
    for (size_t k = 0; k < f->n; k++) {
        const struct dd_json *v = &f->kids[k];
        if (strlen(v->key) != v->key_len)
            continue;
        const char *key = v->key;
        if (strcmp(key, "aftersale") == 0 || strcmp(key, "order") == 0 ||
            strcmp(key, "sku_order") == 0)
            continue;
        fields++;
        snprintf(what, sizeof what, "%s.%s", path, vr_clip(buf, key));
        if (ent == SCN_ENTITY_AFTERSALE) {
            if (strcmp(key, "status") == 0) {
                if (vr_is_int(&L->vr, v, what, 0, INT32_MAX, &x) && x != 6 &&
                    x != 7 && x != 11 && x != 12 && x != 27 && x != 28 &&
                    x != 29)
                    vr_report(&L->vr, v->pos,
                              "%s: %lld is not an after-sale status the mock "
                              "models (6, 7, 11, 12, 27, 28, 29)",
                              what, (long long)x);
            } else if (strcmp(key, "refund_status") == 0)
                vr_is_int(&L->vr, v, what, 1, 4, &x);
            else if (strcmp(key, "refund_type") == 0)
                vr_is_int(&L->vr, v, what, 0, 4, &x);
            else if (strcmp(key, "refund_amount") == 0 ||
                     strcmp(key, "refund_post_amount") == 0)
                vr_is_int(&L->vr, v, what, 0, INT64_MAX, &x);
            else if (strcmp(key, "quantity") == 0)
                vr_is_int(&L->vr, v, what, 1, INT32_MAX, &x);
            else if (strcmp(key, "arbitrate_status") == 0)
                vr_is_int(&L->vr, v, what, 0, 255, &x);
            else if (strcmp(key, "got_pkg") == 0)
                vr_is_bool(&L->vr, v, what, &b);
            else if (strcmp(key, "type") == 0)
                is_word(L, v, what, as_type_words);
        } else if (ent == SCN_ENTITY_ORDER) {
            if (strcmp(key, "status") == 0)
                is_word(L, v, what, order_status);
        } else {
            if (strcmp(key, "status") == 0)
                is_word(L, v, what, line_status);
            else if (strcmp(key, "refunded") == 0)
                vr_is_int(&L->vr, v, what, 0, INT64_MAX, &x);
        }
    }
    if (fields == 0)
        vr_report(&L->vr, f->pos,
                  "%s: name at least one field to check (for example "
                  "\"status\")",
                  path);
}

static void parse_final(struct ld *L, struct scn_expect *e,
                        const struct dd_json *f, const char *path)
{
    static const char *const ents[] = {"aftersale", "order", "sku_order", NULL};
    char what[160], buf[CLIP];
    if (f->type != DD_JSON_OBJECT) {
        vr_report(&L->vr, f->pos, "%s: expected an object, got %s", path,
                  vr_a_type(f));
        return;
    }
    e->fields = f;
    int which = -1, n = 0;
    for (int k = 0; ents[k]; k++) {
        if (dd_json_get(f, ents[k])) {
            if (n++ == 0)
                which = k;
        }
    }
    if (n == 0) {
        vr_report(&L->vr, f->pos,
                  "%s: missing the entity: \"aftersale\", \"order\" or "
                  "\"sku_order\" with its id",
                  path);
        for (size_t k = 0; k < f->n; k++) {
            const struct dd_json *m = &f->kids[k];
            size_t kl = m->key_len;
            if (strlen(m->key) != kl || kl < 4 ||
                strcmp(m->key + kl - 3, "_id") != 0)
                continue;
            /* "aftersale_id": the entity is named without "_id" */
            for (int e2 = 0; ents[e2]; e2++)
                if (kl - 3 == strlen(ents[e2]) &&
                    memcmp(m->key, ents[e2], kl - 3) == 0)
                    vr_report(&L->vr, m->key_pos,
                              "%s: write \"%s\": ID to name the entity, not "
                              "\"%s\"",
                              path, ents[e2], m->key);
        }
        return;
    }
    if (n > 1) {
        vr_report(&L->vr, f->pos,
                  "%s: one entity per expectation (\"aftersale\", \"order\" or "
                  "\"sku_order\")",
                  path);
        return;
    }
    static const char *const *const field_lists[] = {
        aftersale_fields, order_fields, sku_order_fields};
    e->entity = (enum scn_entity)which;
    vr_check_keys(&L->vr, f, path, field_lists[which]);
    const struct dd_json *idv = vr_mem(f, ents[which]);
    snprintf(what, sizeof what, "%s.%s", path, ents[which]);
    if (!idv)
        vr_report(&L->vr, f->pos, "%s: missing the id", what);
    else if (vr_is_id(&L->vr, idv, what, &e->entity_id)) {
        bool found = which == 0 ? find_ent(L, e->entity_id, E_AFTERSALE) ||
                                      find_apply(L, e->entity_id)
                     : which == 1
                         ? find_ent(L, e->entity_id, E_ORDER) != NULL
                         : find_ent(L, e->entity_id, E_SKU_ORDER) != NULL;
        if (!found)
            vr_report(&L->vr, idv->pos, "%s: no %s has id \"%s\"%s", what,
                      which == 0   ? "after-sale"
                      : which == 1 ? "order of the world"
                                   : "SKU order of the world",
                      vr_shown(buf, idv),
                      which == 0
                          ? " (not in the world, and no buyer.apply step "
                            "creates it)"
                          : "");
    }
    check_final_fields(L, f, path, e->entity);
}

static void parse_expect(struct ld *L, size_t i, const struct dd_json *o)
{
    static const char *const keys[] = {
        "id",     "level", "because",  "call",    "no_call",  "final", "args",
        "within", "of",    "at_least", "at_most", "answered", NULL};
    static const char *const levels[] = {"MUST", "SHOULD", NULL};
    static const char *const answers[] = {"any", "success", NULL};
    static const char *const call_only[] = {"within",  "of",       "at_least",
                                            "at_most", "answered", NULL};
    struct scn_scenario *s = L->s;
    struct scn_expect *e = &s->expects[i];
    const struct dd_json *v;
    char path[64], what[128], buf[CLIP], h[96];
    int64_t x;
    snprintf(path, sizeof path, "expect[%zu]", i);
    e->id = e->method = e->of = e->because = "";
    e->of_step = SCN_NO_STEP;
    e->at_least = 1;
    e->at_most = -1;
    e->pos = o->pos;
    if (o->type != DD_JSON_OBJECT) {
        vr_report(&L->vr, o->pos, "%s: expected an object, got %s", path,
                  vr_a_type(o));
        return;
    }
    vr_check_keys(&L->vr, o, path, keys);
    if ((v = vr_mem(o, "id"))) {
        snprintf(what, sizeof what, "%s.id", path);
        if (is_name(L, v, what)) {
            e->id = v->text;
            add_name(L, v, what);
        }
    }
    if (!(v = vr_mem(o, "level")))
        vr_missing(&L->vr, o, path, "level");
    else {
        snprintf(what, sizeof what, "%s.level", path);
        e->level = is_word(L, v, what, levels) == 1 ? SCN_SHOULD : SCN_MUST;
    }
    vr_rd_str(&L->vr, o, path, "because", false, 1024, true, &e->because);
    const struct dd_json *cv = vr_mem(o, "call"), *nv = vr_mem(o, "no_call"),
                         *fv = vr_mem(o, "final");
    int n = (cv != NULL) + (nv != NULL) + (fv != NULL);
    if (n == 0) {
        vr_report(&L->vr, o->pos,
                  "%s: missing what to expect: \"call\", \"no_call\" or "
                  "\"final\"",
                  path);
        return;
    }
    if (n > 1) {
        vr_report(&L->vr, o->pos,
                  "%s: one expectation checks one thing: \"call\", \"no_call\" "
                  "or \"final\"",
                  path);
        return;
    }
    if (!cv) {
        for (size_t k = 0; call_only[k]; k++)
            if ((v = dd_json_get(o, call_only[k])))
                vr_report(&L->vr, v->key_pos, "%s.%s: only applies to \"call\"",
                          path, call_only[k]);
    }
    if (fv) {
        e->kind = SCN_EXPECT_FINAL;
        if ((v = dd_json_get(o, "args")))
            vr_report(&L->vr, v->key_pos,
                      "%s.args: only applies to \"call\" and \"no_call\"",
                      path);
        snprintf(what, sizeof what, "%s.final", path);
        parse_final(L, e, fv, what);
        return;
    }
    e->kind = cv ? SCN_EXPECT_CALL : SCN_EXPECT_NO_CALL;
    snprintf(what, sizeof what, "%s.%s", path, cv ? "call" : "no_call");
    const char *m = rd_method(L, cv ? cv : nv, what, nv != NULL);
    e->method = m ? m : "";
    e->args = rd_matchers(L, o, path);
    if (!cv)
        return;
    if ((v = vr_mem(o, "answered"))) {
        snprintf(what, sizeof what, "%s.answered", path);
        e->success_only = is_word(L, v, what, answers) == 1;
    }
    bool lo = vr_rd_int(&L->vr, o, path, "at_least", false, 0, COUNT_MAX, &x);
    if (lo)
        e->at_least = (int)x;
    const struct dd_json *mv = vr_mem(o, "at_most");
    if (mv && dd_json_int64(mv, &x) == 0 && x == 0)
        vr_report(&L->vr, mv->pos,
                  "%s.at_most: 0 means never: write {\"no_call\": ...} instead",
                  path);
    else if (vr_rd_int(&L->vr, o, path, "at_most", false, 1, COUNT_MAX, &x))
        e->at_most = (int)x;
    if (e->at_most >= 0 && e->at_least > e->at_most)
        vr_report(&L->vr, vr_mem(o, "at_least")->pos,
                  "%s.at_least: %d is more than at_most %d", path, e->at_least,
                  e->at_most);
    if (lo && e->at_least == 0 && e->at_most < 0)
        vr_report(&L->vr, vr_mem(o, "at_least")->pos,
                  "%s.at_least: 0 with no \"at_most\" expects nothing", path);
    if ((v = vr_mem(o, "of"))) {
        snprintf(what, sizeof what, "%s.of", path);
        if (is_name(L, v, what)) {
            e->of = v->text;
            e->of_step = scn_scenario_step(s, v->text);
            if (e->of_step == SCN_NO_STEP) {
                const char **ids = xcalloc(s->n_steps + 1, sizeof *ids);
                for (size_t k = 0; k < s->n_steps; k++)
                    ids[k] = s->steps[k].id;
                vr_report(&L->vr, v->pos, "%s: no step has id \"%s\"%s", what,
                          vr_clip(buf, v->text),
                          vr_hint(h, sizeof h, v->text, ids, s->n_steps));
                free(ids);
            }
        }
    }
    if ((v = vr_mem(o, "within"))) {
        snprintf(what, sizeof what, "%s.within", path);
        if (!is_secs(L, v, what, &e->within))
            return;
        if (e->within <= 0) {
            vr_report(&L->vr, v->pos,
                      "%s: must be more than 0 seconds (got %s)", what,
                      v->text);
            e->within = 0;
            return;
        }
        size_t j = e->of_step;
        if (j != SCN_NO_STEP && L->si[j].timed) {
            if (L->si[j].t < s->max_seconds &&
                L->si[j].t + e->within > s->max_seconds)
                vr_report(&L->vr, v->pos,
                          "%s: the window ends at %g s (step \"%s\" runs at %g "
                          "s), after the run ends (max_seconds %g)",
                          what, L->si[j].t + e->within, s->steps[j].id,
                          L->si[j].t, s->max_seconds);
        } else if (e->within > s->max_seconds) {
            if (*e->of)
                vr_report(&L->vr, v->pos,
                          "%s: %g s is longer than the whole run (max_seconds "
                          "%g)",
                          what, e->within, s->max_seconds);
            else
                vr_report(&L->vr, v->pos,
                          "%s: the window ends at %g s, after the run ends "
                          "(max_seconds %g)",
                          what, e->within, s->max_seconds);
        }
    }
}

/* ================================================================ load */

size_t scn_scenario_step(const struct scn_scenario *s, const char *id)
{
    if (!id || !*id)
        return SCN_NO_STEP;
    for (size_t i = 0; i < s->n_steps; i++)
        if (s->steps[i].id && strcmp(s->steps[i].id, id) == 0)
            return i;
    return SCN_NO_STEP;
}

void scn_scenario_free(struct scn_scenario *s)
{
    if (!s)
        return;
    free(s->path);
    free(s->keywords);
    free(s->steps);
    free(s->expects);
    dd_json_doc_free(&s->doc);
    free(s);
}

static void ld_free(struct ld *L)
{
    free(L->ents);
    free(L->applies);
    free(L->forged);
    free(L->si);
    free(L->names);
}

/* Everything after the JSON parse: the checks in the order that lets each
 * use what the earlier ones learnt. */
static void check_all(struct ld *L, const struct dd_json *root)
{
    static const char *const keys[] = {"$schema", "format",   "info",   "world",
                                       "options", "timeline", "expect", NULL};
    struct scn_scenario *s = L->s;
    const struct dd_json *v;
    int64_t fmt;
    vr_check_keys(&L->vr, root, "scenario", keys);
    if ((v = vr_mem(root, "$schema")))
        vr_is_str(&L->vr, v, "scenario.$schema", 4096, false);
    if (!vr_mem(root, "format"))
        vr_report(&L->vr, root->pos,
                  "scenario: missing \"format\" (write \"format\": %d)",
                  SCN_FORMAT_VERSION);
    else if (vr_rd_int(&L->vr, root, "scenario", "format", true, 1, INT32_MAX,
                       &fmt) &&
             fmt != SCN_FORMAT_VERSION)
        vr_report(&L->vr, vr_mem(root, "format")->pos,
                  "scenario.format: format %lld is not supported (only %d)",
                  (long long)fmt, SCN_FORMAT_VERSION);
    if ((v = vr_rd_object(&L->vr, root, "scenario", "info", true)))
        parse_info(L, v);
    if ((v = vr_rd_object(&L->vr, root, "scenario", "options", false)))
        parse_options(L, v);
    if (!(v = vr_mem(root, "world")))
        vr_missing(&L->vr, root, "scenario", "world");
    else {
        s->world = v;
        check_world(L, v);
    }
    const struct dd_json *tl =
        vr_rd_array(&L->vr, root, "scenario", "timeline", false);
    const struct dd_json *ex =
        vr_rd_array(&L->vr, root, "scenario", "expect", false);
    if (tl && tl->n > MAX_STEPS) {
        vr_report(&L->vr, tl->pos, "scenario.timeline: %zu steps (at most %d)",
                  tl->n, MAX_STEPS);
        tl = NULL;
    }
    if (ex && ex->n > MAX_STEPS) {
        vr_report(&L->vr, ex->pos,
                  "scenario.expect: %zu expectations (at most %d)", ex->n,
                  MAX_STEPS);
        ex = NULL;
    }
    s->n_steps = tl ? tl->n : 0;
    s->steps = xcalloc(s->n_steps, sizeof *s->steps);
    L->si = xcalloc(s->n_steps, sizeof *L->si);
    for (size_t i = 0; i < s->n_steps; i++)
        parse_step(L, i, &tl->kids[i]);
    for (size_t i = 0; i < s->n_steps; i++)
        collect_created(L, i);
    order_steps(L);
    for (size_t i = 0; i < s->n_steps; i++)
        check_step_args(L, i);
    s->n_expects = ex ? ex->n : 0;
    s->expects = xcalloc(s->n_expects, sizeof *s->expects);
    for (size_t i = 0; i < s->n_expects; i++)
        parse_expect(L, i, &ex->kids[i]);
}

struct scn_scenario *scn_scenario_parse(const char *name, const char *text,
                                        size_t len, struct dd_buf *errs)
{
    struct ld L;
    struct scn_scenario *s = xcalloc(1, sizeof *s);
    struct dd_json_limits lim = {MAX_DEPTH, MAX_FILE_BYTES};
    struct dd_json_error jerr;
    memset(&L, 0, sizeof L);
    s->path = xstrdup(name ? name : "(scenario)");
    s->push = SCN_PUSH_EITHER;
    s->poll_interval = 5;
    s->max_seconds = 60;
    L.file = s->path;
    vr_init(&L.vr, L.file, &scenario_style);
    L.s = s;
    if (!text || dd_json_parse(text, len, &lim, &s->doc, &jerr) != 0) {
        struct dd_json_pos one = {0, 1, 1};
        vr_report(&L.vr, text ? jerr.pos : one, "%s",
                  text ? jerr.msg : "no text to read");
    } else if (s->doc.root->type != DD_JSON_OBJECT) {
        vr_report(&L.vr, s->doc.root->pos,
                  "a scenario must be a JSON object, got %s",
                  vr_a_type(s->doc.root));
    } else {
        check_all(&L, s->doc.root);
    }
    ld_free(&L);
    if (L.vr.n == 0)
        return s;
    vr_flush(&L.vr, errs);
    scn_scenario_free(s);
    return NULL;
}

struct scn_scenario *scn_scenario_load(const char *path, struct dd_buf *errs)
{
    size_t len;
    char *text = vr_read_file(path, MAX_FILE_BYTES, &len, errs);
    if (!text)
        return NULL;
    struct scn_scenario *s = scn_scenario_parse(path, text, len, errs);
    free(text);
    return s;
}

/* ================================================================ match */

/* The last member `key` (key_len bytes) of object `o`, or NULL. */
static const struct dd_json *member(const struct dd_json *o, const char *key,
                                    size_t key_len)
{
    const struct dd_json *found = NULL;
    if (!o || o->type != DD_JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (o->kids[i].key_len == key_len &&
            memcmp(o->kids[i].key, key, key_len) == 0)
            found = &o->kids[i];
    return found;
}

static bool scalar_eq(const struct dd_json *m, const struct dd_json *v)
{
    bool mn = m->type == DD_JSON_NUMBER || m->type == DD_JSON_STRING;
    bool vn = v->type == DD_JSON_NUMBER || v->type == DD_JSON_STRING;
    if (mn && vn) {
        int64_t a, b;
        if (dd_json_int64(m, &a) == 0 && dd_json_int64(v, &b) == 0)
            return a == b;
        if (m->type == DD_JSON_NUMBER && v->type == DD_JSON_NUMBER)
            return strtod(m->text, NULL) == strtod(v->text, NULL);
        return m->type == DD_JSON_STRING && v->type == DD_JSON_STRING &&
               m->len == v->len && memcmp(m->text, v->text, m->len) == 0;
    }
    return m->type == v->type;
}

/* Matches one matcher `m` against `v` (NULL: the key is absent). */
static bool match(const struct dd_json *m, const struct dd_json *v, int depth)
{
    bool absent = dd_json_is_absent(v);
    if (depth > MAX_DEPTH)
        return false;
    if (m->type == DD_JSON_NULL)
        return absent;
    if (m->type == DD_JSON_OBJECT) {
        const struct dd_json *op = member(m, "$absent", 7);
        if (op && m->n == 1)
            return op->type == DD_JSON_TRUE ? absent : !absent;
        if (absent || v->type != DD_JSON_OBJECT)
            return false;
        for (size_t i = 0; i < m->n; i++) {
            const struct dd_json *k = &m->kids[i];
            if (!match(k, member(v, k->key, k->key_len), depth + 1))
                return false;
        }
        return true;
    }
    if (absent)
        return false;
    if (m->type == DD_JSON_ARRAY) {
        if (v->type != DD_JSON_ARRAY || v->n != m->n)
            return false;
        for (size_t i = 0; i < m->n; i++)
            if (!match(&m->kids[i], &v->kids[i], depth + 1))
                return false;
        return true;
    }
    return scalar_eq(m, v);
}

bool scn_args_match(const struct dd_json *matchers, const struct dd_json *value)
{
    if (!matchers)
        return true;
    if (!value || value->type != DD_JSON_OBJECT)
        value = &empty_object;
    return match(matchers, value, 0);
}

bool scn_final_match(const struct scn_expect *e, const struct dd_json *state)
{
    static const char *const ents[] = {"aftersale", "order", "sku_order"};
    const struct dd_json *f = e->fields;
    if (!f || f->type != DD_JSON_OBJECT)
        return true;
    if (!state || state->type != DD_JSON_OBJECT)
        state = &empty_object;
    const char *skip = ents[e->entity];
    for (size_t i = 0; i < f->n; i++) {
        const struct dd_json *k = &f->kids[i];
        if (k->key_len == strlen(skip) && memcmp(k->key, skip, k->key_len) == 0)
            continue;
        if (!match(k, member(state, k->key, k->key_len), 1))
            return false;
    }
    return true;
}
