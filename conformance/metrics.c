/*
 * metrics.c: scenario + journal + verdict -> the seed's metrics per
 * after-sale (metrics.h has the definitions; conformance/README.md
 * "Metrics" the reader's version).
 *
 * The journal is read line by line with dd_json; a line that is not a
 * JSON object with a "kind" string and a "time_us" integer is skipped.
 * Only the entries of the run's app_key count, and of those only the ones
 * that can name an after-sale's application, refund, cancellation or
 * refusal are kept, so that the per-after-sale scans stay short even for
 * a journal of many polls. Times are compared in microseconds; nothing
 * trusts the journal (ids and numbers are read exactly, never through a
 * double, and a missing member is just absent).
 */
#include "metrics.h"
#include "jread.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_buf.h"
#include "dd_json.h"
#include "dd_jw.h"

#define SUCCESS_CODE 10000
#define REFUND_DONE  3 /* refund_status: the refund went through */
#define SECONDS_MAX  1e15
#define ID_TEXT_MAX  24

/* ================================================================ memory */

/* ============================================================ JSON reads */

/* A boolean the way the mock reads parameters: true, "true" or 1. */
static bool jflag(const struct dd_json *o, const char *key)
{
    const struct dd_json *v = dd_json_get(o, key);
    if (!v)
        return false;
    return v->type == DD_JSON_TRUE ||
           (v->type == DD_JSON_STRING && strcmp(v->text, "true") == 0) ||
           (v->type == DD_JSON_NUMBER && v->len == 1 && v->text[0] == '1');
}

/* ============================================================== journal */

/* One journal entry of the run; strings are "" when absent. */
struct entry {
    int64_t time_us, code;
    const char *kind, *app_key, *method, *note;
    const struct dd_json *params, *response;
};

struct journal {
    struct dd_json_doc *docs;
    size_t n_docs, cap_docs;
    struct entry *v;
    size_t n, cap;
};

static void journal_line(struct journal *j, const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (!n)
        return;
    struct dd_json_doc doc;
    if (dd_json_parse(p, n, NULL, &doc, NULL) != 0) {
        dd_json_doc_free(&doc);
        return; /* not JSON: skipped */
    }
    const struct dd_json *root = doc.root;
    struct entry e;
    memset(&e, 0, sizeof e);
    const struct dd_json *kind = dd_json_get(root, "kind");
    if (root->type != DD_JSON_OBJECT || !kind || kind->type != DD_JSON_STRING ||
        !jint(root, "time_us", &e.time_us)) {
        dd_json_doc_free(&doc);
        return; /* no journal entry: skipped */
    }
    if (!jint(root, "code", &e.code))
        e.code = 0;
    e.kind = kind->text;
    e.app_key = jstr(root, "app_key");
    e.method = jstr(root, "method");
    e.note = jstr(root, "note");
    e.params = dd_json_get(root, "params");
    e.response = dd_json_get(root, "response");
    GROW(j->docs, j->n_docs, j->cap_docs);
    j->docs[j->n_docs++] = doc;
    GROW(j->v, j->n, j->cap);
    j->v[j->n++] = e;
}

static void journal_load(struct journal *j, const char *text, size_t len)
{
    memset(j, 0, sizeof *j);
    const char *p = text, *end = text ? text + len : NULL;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        journal_line(j, p, n);
        p = nl ? nl + 1 : end;
    }
}

static void journal_free(struct journal *j)
{
    for (size_t i = 0; i < j->n_docs; i++)
        dd_json_doc_free(&j->docs[i]);
    free(j->docs);
    free(j->v);
    memset(j, 0, sizeof *j);
}

static bool is(const struct entry *e, const char *kind, const char *method)
{
    return strcmp(e->kind, kind) == 0 &&
           (!method || strcmp(e->method, method) == 0);
}

/* ================================================================ a run */

struct run {
    const struct entry *create, *start, *final;
    int64_t t0;
    const struct dd_json *state;  /* the final state */
    const struct dd_json *world0; /* run.create params.world, or NULL */
    const struct scn_scenario *s;
    const struct entry **kept; /* entries that may name an after-sale */
    size_t n_kept;
};

/* An entry worth looking at per after-sale: the buyer's, the platform's
 * and the timers' actions, the steps, and the calls that refund or
 * refuse. */
static bool worth_keeping(const struct entry *e)
{
    if (is(e, "actor", NULL) || is(e, "timer", NULL) || is(e, "step", NULL))
        return true;
    if (!is(e, "api", NULL) || e->code != SUCCESS_CODE)
        return false;
    return strcmp(e->method, "afterSale.CancelSendGoodsSuccess") == 0 ||
           strcmp(e->method, "afterSale.returnGoodsToWareHouseSuccess") == 0 ||
           strcmp(e->method, "afterSale.operate") == 0 ||
           strcmp(e->method, "order.logisticsAdd") == 0;
}

/* Finds the run's own entries; false when the journal is incomplete. */
static bool run_scan(struct run *r, const struct journal *j)
{
    for (size_t i = 0; i < j->n && !r->create; i++)
        if (is(&j->v[i], "run", "run.create"))
            r->create = &j->v[i];
    if (!r->create)
        return false;
    r->kept = xrealloc(NULL, j->n * sizeof *r->kept);
    for (size_t i = 0; i < j->n; i++) {
        const struct entry *e = &j->v[i];
        if (strcmp(e->app_key, r->create->app_key) != 0)
            continue;
        if (is(e, "run", "run.start") && !r->start)
            r->start = e;
        else if (is(e, "final", NULL))
            r->final = e;
        else if (worth_keeping(e))
            r->kept[r->n_kept++] = e;
    }
    if (!r->start || !r->final || !r->final->response ||
        r->final->response->type != DD_JSON_OBJECT)
        return false;
    r->t0 = r->start->time_us;
    r->state = r->final->response;
    const struct dd_json *w0 = dd_json_get(r->create->params, "world");
    r->world0 = w0 && w0->type == DD_JSON_OBJECT ? w0 : NULL;
    return true;
}

/* True when `note` is about after-sale `id`: "aftersale ID: ...", the
 * form of every actor and timer note (mock/actors.c). */
static bool note_names(const char *note, const char *id)
{
    static const char prefix[] = "aftersale ";
    size_t n = strlen(id);
    return strncmp(note, prefix, sizeof prefix - 1) == 0 &&
           strncmp(note + sizeof prefix - 1, id, n) == 0 &&
           note[sizeof prefix - 1 + n] == ':';
}

/* True when items[] of afterSale.operate `params` names `id`. */
static bool items_name(const struct dd_json *params, int64_t id)
{
    const struct dd_json *items = dd_json_get(params, "items");
    int64_t x;
    if (!items || items->type != DD_JSON_ARRAY)
        return false;
    for (size_t i = 0; i < items->n; i++)
        if (jint(&items->kids[i], "aftersale_id", &x) && x == id)
            return true;
    return false;
}

/* True when a `step` entry with code 0 names `id` in its response or in
 * params.with. */
static bool step_names(const struct entry *e, int64_t id)
{
    int64_t x;
    if (e->code != 0)
        return false;
    return (jint(e->response, "aftersale_id", &x) && x == id) ||
           (jint(dd_json_get(e->params, "with"), "aftersale_id", &x) &&
            x == id);
}

/* The earliest time an entry of `method` (actor, or step with code 0)
 * names the after-sale; INT64_MAX when none does. */
static int64_t first_action(const struct run *r, const char *method, int64_t id,
                            const char *id_text)
{
    int64_t best = INT64_MAX;
    for (size_t k = 0; k < r->n_kept; k++) {
        const struct entry *e = r->kept[k];
        bool names = (is(e, "actor", method) && note_names(e->note, id_text)) ||
                     (is(e, "step", method) && step_names(e, id));
        if (names && e->time_us < best)
            best = e->time_us;
    }
    return best;
}

/* The ledger's `via` names a write-back. */
static bool via_writeback(const char *via)
{
    return via && (strcmp(via, "CancelSendGoodsSuccess") == 0 ||
                   strcmp(via, "returnGoodsToWareHouseSuccess") == 0);
}

/* When the entry that refunded after-sale `id` by `via` came (metrics.h,
 * refund_s); INT64_MAX when no entry can be named. */
static int64_t refund_entry_us(const struct run *r, const char *via, int64_t id,
                               const char *id_text)
{
    if (!via)
        return INT64_MAX;
    char method[96];
    int64_t op = 0;
    const char *kind;
    bool by_note = false;
    if (via_writeback(via)) {
        kind = "api";
        snprintf(method, sizeof method, "afterSale.%s", via);
    } else if (strncmp(via, "operate:", 8) == 0) {
        kind = "api";
        snprintf(method, sizeof method, "afterSale.operate");
        if (dd_parse_int64(via + 8, strlen(via + 8), &op) != 0)
            return INT64_MAX;
    } else if (strncmp(via, "timer:", 6) == 0 && strlen(via) < 64) {
        kind = "timer";
        snprintf(method, sizeof method, "timer.%s", via + 6);
        by_note = true;
    } else if (strcmp(via, "platform:agree") == 0 ||
               strcmp(via, "platform:arbitrate") == 0) {
        kind = "actor";
        snprintf(method, sizeof method, "platform.%s", via + 9);
        by_note = true;
    } else {
        return INT64_MAX; /* the world file, the generator: before t0 */
    }
    int64_t best = INT64_MAX, x;
    for (size_t k = 0; k < r->n_kept; k++) {
        const struct entry *e = r->kept[k];
        if (!is(e, kind, method) || e->time_us >= best)
            continue;
        bool names;
        if (by_note)
            names = note_names(e->note, id_text);
        else if (op)
            names = jint(e->params, "type", &x) && x == op &&
                    items_name(e->params, id);
        else
            names = jint(e->params, "aftersale_id", &x) && x == id;
        if (names)
            best = e->time_us;
    }
    return best;
}

/* The operate types that refuse (mock/api_aftersale.c, the operate
 * table's rows with `reject`). */
static bool refusing_type(int64_t type)
{
    return type == 102 || type == 112 || type == 202;
}

/* True when a call answered 10000 in (open_us, closed_us) refused the
 * after-sale (metrics.h, "refusing"). */
static bool refused_by_call(const struct run *r, const struct dd_json *as,
                            int64_t id, int64_t open_us, int64_t closed_us)
{
    int64_t order = 0, x;
    bool pre_shipment = strcmp(jstr(as, "type"), "unshipped_refund") == 0 &&
                        jint(as, "order_id", &order);
    for (size_t k = 0; k < r->n_kept; k++) {
        const struct entry *e = r->kept[k];
        if (!is(e, "api", NULL) || e->code != SUCCESS_CODE ||
            e->time_us < open_us || e->time_us >= closed_us)
            continue;
        if (strcmp(e->method, "order.logisticsAdd") == 0) {
            if (pre_shipment &&
                (jflag(e->params, "is_refund_reject") ||
                 jflag(e->params, "is_reject_refund")) &&
                jint(e->params, "order_id", &x) && x == order)
                return true;
        } else if (strcmp(e->method, "afterSale.operate") == 0) {
            if (jint(e->params, "type", &x) && refusing_type(x) &&
                items_name(e->params, id))
                return true;
        }
    }
    return false;
}

/* True when after-sale `id` was in the world the run was created with:
 * run.create params.world, else the scenario's world. */
static bool in_world_at_start(const struct run *r, int64_t id,
                              const char *id_text, bool *final_then)
{
    *final_then = false;
    if (r->world0) {
        const struct dd_json *as =
            dd_json_get(dd_json_get(r->world0, "aftersales"), id_text);
        if (!as || as->type != DD_JSON_OBJECT)
            return false;
        const struct dd_json *f = dd_json_get(as, "final");
        *final_then = f && f->type == DD_JSON_TRUE;
        return true;
    }
    const struct dd_json *list =
        r->s ? dd_json_get(r->s->world, "aftersales") : NULL;
    int64_t x;
    for (size_t i = 0; list && list->type == DD_JSON_ARRAY && i < list->n; i++)
        if (jint(&list->kids[i], "aftersale_id", &x) && x == id)
            return true;
    return false;
}

/* The first ledger row of after-sale `id`, or NULL. */
static const struct dd_json *ledger_row(const struct dd_json *refunds,
                                        int64_t id)
{
    int64_t x;
    for (size_t i = 0;
         refunds && refunds->type == DD_JSON_ARRAY && i < refunds->n; i++)
        if (jint(&refunds->kids[i], "aftersale_id", &x) && x == id)
            return &refunds->kids[i];
    return NULL;
}

static double seconds_after(const struct run *r, int64_t us)
{
    if (us == INT64_MAX || us < r->t0)
        return -1;
    return ((double)us - (double)r->t0) / 1e6;
}

/* Fills row `m` for after-sale `as` of the final state. */
static void measure(const struct run *r, const struct dd_json *as, int64_t id,
                    enum conf_verdict verdict, struct conf_aftersale_metric *m)
{
    char id_text[ID_TEXT_MAX];
    dd_int64_to_str(id, id_text);
    memset(m, 0, sizeof *m);
    m->aftersale_id = xstrndup(id_text, strlen(id_text));
    const char *type = jstr(as, "type");
    m->flow = *type ? xstrndup(type, strlen(type)) : xstrndup("unknown", 7);

    bool final_then;
    bool before_run = in_world_at_start(r, id, id_text, &final_then);
    int64_t apply_us = first_action(r, "buyer.apply", id, id_text);
    if (before_run || apply_us < r->t0)
        apply_us = INT64_MAX; /* it was there before the timeline began */

    const struct dd_json *row =
        ledger_row(dd_json_get(r->state, "refunds"), id);
    int64_t refund_status = 0;
    bool refunded = row || (jint(as, "refund_status", &refund_status) &&
                            refund_status == REFUND_DONE);
    const char *via = row ? jstr(row, "via") : "";
    if (*via)
        m->via = xstrndup(via, strlen(via));
    int64_t refund_us =
        refunded ? refund_entry_us(r, m->via, id, id_text) : INT64_MAX;

    int64_t cancel_us = first_action(r, "buyer.cancel", id, id_text);
    int64_t open_us = apply_us == INT64_MAX ? INT64_MIN : apply_us;
    if (refunded && via_writeback(m->via))
        m->outcome = CONF_OUTCOME_REFUNDED_BY_WRITEBACK;
    else if (!refunded && !final_then &&
             refused_by_call(r, as, id, open_us, cancel_us))
        m->outcome = CONF_OUTCOME_REFUSED;
    else if (refunded)
        m->outcome = CONF_OUTCOME_REFUNDED_OTHERWISE;
    else if (cancel_us != INT64_MAX)
        m->outcome = CONF_OUTCOME_CANCELLED_BY_BUYER;
    else
        m->outcome = CONF_OUTCOME_UNRESOLVED;

    switch (m->outcome) {
    case CONF_OUTCOME_REFUNDED_BY_WRITEBACK:
        /* a write-back that put money at risk handled nothing */
        m->automatic = verdict == CONF_FUNDS_AT_RISK ? CONF_AUTOMATIC_FALSE
                                                     : CONF_AUTOMATIC_TRUE;
        break;
    case CONF_OUTCOME_REFUSED:
        m->automatic = verdict == CONF_PASS || verdict == CONF_WARN
                           ? CONF_AUTOMATIC_TRUE
                           : CONF_AUTOMATIC_FALSE;
        break;
    case CONF_OUTCOME_CANCELLED_BY_BUYER:
        m->automatic = CONF_AUTOMATIC_NULL;
        break;
    default:
        m->automatic = CONF_AUTOMATIC_FALSE;
        break;
    }
    if (final_then)
        m->automatic = CONF_AUTOMATIC_NULL; /* nothing left to do */

    m->apply_s = seconds_after(r, apply_us);
    m->refund_s = seconds_after(r, refund_us);
    m->apply_to_refund_s = -1;
    if (m->apply_s >= 0 && m->refund_s >= 0 && refund_us >= apply_us)
        m->apply_to_refund_s = ((double)refund_us - (double)apply_us) / 1e6;
}

/* ================================================================ public */

const char *conf_outcome_name(enum conf_outcome o)
{
    switch (o) {
    case CONF_OUTCOME_REFUNDED_BY_WRITEBACK:
        return "refunded_by_writeback";
    case CONF_OUTCOME_REFUSED:
        return "refused";
    case CONF_OUTCOME_REFUNDED_OTHERWISE:
        return "refunded_otherwise";
    case CONF_OUTCOME_CANCELLED_BY_BUYER:
        return "cancelled_by_buyer";
    case CONF_OUTCOME_UNRESOLVED:
        return "unresolved";
    }
    return "?";
}

struct keyed {
    int64_t id;
    size_t index; /* in the final state: of a repeated key the last wins */
    const struct dd_json *as;
};

static int by_id(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

int conf_metrics_compute(const struct scn_scenario *s, const char *jsonl,
                         size_t len, enum conf_verdict verdict,
                         struct conf_metrics *out)
{
    memset(out, 0, sizeof *out);
    struct journal j;
    journal_load(&j, jsonl, len);
    struct run r;
    memset(&r, 0, sizeof r);
    r.s = s;
    if (!run_scan(&r, &j)) {
        free(r.kept);
        journal_free(&j);
        return CONF_METRICS_INCOMPLETE;
    }
    const struct dd_json *aftersales = dd_json_get(r.state, "aftersales");
    size_t n =
        aftersales && aftersales->type == DD_JSON_OBJECT ? aftersales->n : 0;
    struct keyed *order = xrealloc(NULL, n * sizeof *order);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct dd_json *as = &aftersales->kids[i];
        int64_t id;
        if (as->type != DD_JSON_OBJECT || !as->key ||
            dd_parse_int64(as->key, as->key_len, &id) != 0)
            continue; /* not an after-sale: skipped */
        order[k++] = (struct keyed){id, i, as};
    }
    qsort(order, k, sizeof *order, by_id);
    size_t unique = 0; /* a repeated key: the last one wins */
    for (size_t i = 0; i < k; i++) {
        if (unique && order[unique - 1].id == order[i].id)
            unique--;
        order[unique++] = order[i];
    }
    k = unique;
    out->aftersales = xrealloc(NULL, k * sizeof *out->aftersales);
    for (size_t i = 0; i < k; i++) {
        struct conf_aftersale_metric *m = &out->aftersales[i];
        measure(&r, order[i].as, order[i].id, verdict, m);
        out->n_aftersales++;
        if (m->automatic != CONF_AUTOMATIC_NULL)
            out->counted++;
        if (m->automatic == CONF_AUTOMATIC_TRUE)
            out->automatic++;
    }
    free(order);
    free(r.kept);
    journal_free(&j);
    return CONF_METRICS_OK;
}

void conf_metrics_free(struct conf_metrics *m)
{
    for (size_t i = 0; i < m->n_aftersales; i++) {
        free(m->aftersales[i].aftersale_id);
        free(m->aftersales[i].flow);
        free(m->aftersales[i].via);
    }
    free(m->aftersales);
    memset(m, 0, sizeof *m);
}

/* A number of seconds with millisecond precision, or null when < 0. */
static void put_seconds(struct dd_jw *w, const char *key, double v)
{
    dd_jw_key(w, key);
    if (!(v >= 0) || v > SECONDS_MAX) {
        dd_jw_null(w);
        return;
    }
    char num[48];
    int n = snprintf(num, sizeof num, "%.3f", v);
    dd_jw_raw(w, num, (size_t)n);
}

void conf_metrics_write_json(const struct conf_metrics *m, struct dd_jw *w)
{
    dd_jw_object_begin(w);
    dd_jw_kint(w, "counted", (int64_t)m->counted);
    dd_jw_kint(w, "automatic", (int64_t)m->automatic);
    dd_jw_key(w, "aftersales");
    dd_jw_array_begin(w);
    for (size_t i = 0; i < m->n_aftersales; i++) {
        const struct conf_aftersale_metric *a = &m->aftersales[i];
        dd_jw_object_begin(w);
        dd_jw_kstr(w, "aftersale_id", a->aftersale_id);
        dd_jw_kstr(w, "flow", a->flow);
        dd_jw_kstr(w, "outcome", conf_outcome_name(a->outcome));
        dd_jw_key(w, "via");
        if (a->via)
            dd_jw_str(w, a->via);
        else
            dd_jw_null(w);
        dd_jw_key(w, "automatic");
        if (a->automatic == CONF_AUTOMATIC_NULL)
            dd_jw_null(w);
        else
            dd_jw_bool(w, a->automatic == CONF_AUTOMATIC_TRUE);
        put_seconds(w, "apply_s", a->apply_s);
        put_seconds(w, "refund_s", a->refund_s);
        put_seconds(w, "apply_to_refund_s", a->apply_to_refund_s);
        dd_jw_object_end(w);
    }
    dd_jw_array_end(w);
    dd_jw_object_end(w);
}
