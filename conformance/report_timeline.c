/*
 * report_timeline.c: a run's journal as the rows of a sequence diagram
 * (report_int.h), shared by the HTML page (report_html.c) and the terminal
 * view of one run (conf_report_print_run).
 *
 * Four lifelines: the ERP, the mock (the platform), the buyer and
 * logistics actors, the warehouse hook. Every journal entry becomes one
 * row: an API call is an arrow ERP → mock with its answer code (rejected
 * when the code is not 10000), a push an arrow mock → ERP with the ERP's
 * ack, a step of the timeline an arrow from the actor (or to the hook)
 * that performs it, the hook's reply an arrow hook → mock, and lifecycle
 * entries (ERP start/ready/restart/stop, timers, faults, the run's own
 * entries) notes on their lifeline or across the diagram. An actor entry
 * is merged into the step that caused it.
 *
 * The moments of the judge's findings (at_s) mark the row they happened
 * at as failing, with the finding's sentence; a finding with no entry at
 * its moment (a call that never came: its window closed) gets a row of its
 * own, and the step that opened the expectation's window (its "of", read
 * from scenario.json) is marked too. Long journals stay readable: runs of
 * at least REP_FOLD_MIN identical rows fold into one ("afterSale.List
 * page 0 ×40, +3.0 s … +43.0 s"), and a diagram longer than REP_MAX_ROWS
 * keeps its start, its last REP_TAIL_ROWS rows and every failing row,
 * with a row saying how many were left out.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* A finding at most this far from an entry happened at that entry (the
 * judge writes at_s with three decimals). */
#define SAME_MOMENT_S 0.0015

static const char *const lane_names[] = {"ERP", "mock", "buyer/logistics",
                                         "hook"};

static double absd(double x)
{
    return x < 0 ? -x : x;
}

const char *rep_lane_name(int lane)
{
    return lane >= 0 && lane < LANE_COUNT ? lane_names[lane] : "?";
}

struct row_list {
    struct rep_row *rows;
    size_t n, cap;
};

static struct rep_row *push_row(struct row_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->rows = realloc(l->rows, l->cap * sizeof *l->rows);
        if (!l->rows)
            abort();
    }
    struct rep_row *w = &l->rows[l->n++];
    memset(w, 0, sizeof *w);
    w->count = 1;
    return w;
}

static char *fmt(const char *a, const char *sep, const char *b)
{
    struct dd_buf t;
    dd_buf_init(&t, 0);
    dd_buf_puts(&t, a);
    if (b && *b) {
        dd_buf_puts(&t, sep);
        dd_buf_puts(&t, b);
    }
    return dd_buf_steal(&t);
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The row of a step entry; `actor_note` is the note of the actor entry
 * it was merged with (or ""). */
static void step_row(struct rep_row *w, const struct rep_entry *e,
                     const char *actor_note)
{
    const char *m = e->method;
    if (starts(m, "buyer.") || starts(m, "logistics.")) {
        w->from = LANE_ACTORS;
        w->to = LANE_MOCK;
    } else if (starts(m, "warehouse.")) {
        w->from = LANE_MOCK;
        w->to = LANE_HOOK;
    } else if (strcmp(m, "erp.restart") == 0) {
        w->from = LANE_MOCK;
        w->to = LANE_ERP;
    } else if (strcmp(m, "push.forged") == 0) {
        w->from = w->to = LANE_ACTORS;
    } else {
        w->from = w->to = LANE_MOCK;
    }
    w->cls = w->from == w->to ? ROW_NOTE : ROW_OK;
    struct dd_buf t;
    dd_buf_init(&t, 0);
    dd_buf_printf(&t, "%s (%s)", m, e->args);
    w->label = dd_buf_steal(&t);
    const char *note = *actor_note ? actor_note : e->note;
    if (e->code != 0) {
        w->cls = ROW_REJECTED;
        struct dd_buf r;
        dd_buf_init(&r, 0);
        dd_buf_printf(&r, "refused (%lld)%s%s", (long long)e->code,
                      *note ? ": " : "", note);
        w->result = dd_buf_steal(&r);
    } else {
        w->result = fmt(note, "", NULL);
    }
}

/* Fills the row of one entry. */
static void entry_row(struct rep_row *w, const struct rep_entry *e,
                      const char *actor_note)
{
    w->entry = e;
    const char *k = e->kind;
    if (strcmp(k, "api") == 0) {
        w->from = LANE_ERP;
        w->to = LANE_MOCK;
        w->label = fmt(e->method, " ", e->args);
        struct dd_buf r;
        dd_buf_init(&r, 0);
        dd_buf_printf(&r, "%lld", (long long)e->code);
        if (*e->sub_code)
            dd_buf_printf(&r, " %s", e->sub_code);
        if (*e->result)
            dd_buf_printf(&r, " %s", e->result);
        if (strcmp(e->verdict, "mismatch") == 0)
            dd_buf_puts(&r, " (signature rejected)");
        w->result = dd_buf_steal(&r);
        w->cls = e->code == 10000 ? ROW_OK : ROW_REJECTED;
    } else if (strcmp(k, "push") == 0) {
        w->from = LANE_MOCK;
        w->to = LANE_ERP;
        w->label = fmt("push", " ", e->args);
        struct dd_buf r;
        dd_buf_init(&r, 0);
        dd_buf_puts(&r, *e->sub_code ? e->sub_code : "no answer");
        if (e->code)
            dd_buf_printf(&r, ", HTTP %lld", (long long)e->code);
        if (*e->result)
            dd_buf_printf(&r, " %s", e->result);
        w->result = dd_buf_steal(&r);
        w->cls = strcmp(e->sub_code, "acked") == 0 ? ROW_OK : ROW_REJECTED;
    } else if (strcmp(k, "step") == 0) {
        step_row(w, e, actor_note);
    } else if (strcmp(k, "actor") == 0) {
        w->from = LANE_ACTORS;
        w->to = LANE_MOCK;
        w->label = fmt(e->method, "", NULL);
        w->result = fmt(e->note, "", NULL);
        w->cls = ROW_OK;
    } else if (strcmp(k, "hook") == 0) {
        w->from = LANE_HOOK;
        w->to = LANE_MOCK;
        w->label = fmt("reply to", " ", e->method);
        w->result =
            *e->result ? fmt(e->result, "; ", e->note) : fmt(e->note, "", NULL);
        w->cls = strcmp(e->verdict, "failed") == 0 ? ROW_REJECTED : ROW_OK;
    } else if (strcmp(k, "erp") == 0) {
        w->from = w->to = LANE_ERP;
        w->label = fmt(e->method, " ", e->args);
        w->result = fmt(e->note, "", NULL);
        w->cls = ROW_NOTE;
    } else if (strcmp(k, "run") == 0 || strcmp(k, "final") == 0) {
        w->from = LANE_ERP;
        w->to = LANE_HOOK;
        w->label = fmt(e->method, "", NULL);
        w->result = strcmp(k, "final") == 0 ? fmt("the final state", "", NULL)
                                            : fmt(e->note, "", NULL);
        w->cls = ROW_RUN;
    } else {
        w->from = w->to = LANE_MOCK;
        w->label = fmt(e->method, "", NULL);
        w->result = fmt(e->note, "", NULL);
        w->cls = ROW_NOTE;
    }
}

static void add_why(struct rep_row *w, const struct rep_finding *f,
                    const char *prefix)
{
    struct dd_buf t;
    dd_buf_init(&t, 0);
    if (w->why) {
        dd_buf_puts(&t, w->why);
        dd_buf_putc(&t, '\n');
        free(w->why);
    }
    dd_buf_printf(&t, "%s%s %s: %s", prefix, f->verdict, f->rule, f->sentence);
    w->why = dd_buf_steal(&t);
    w->failing = true;
}

static int kind_priority(const char *kind)
{
    static const char *const order[] = {"api", "hook", "push", "step"};
    for (int i = 0; i < 4; i++)
        if (strcmp(kind, order[i]) == 0)
            return i;
    return 4;
}

/* The row of the entry at the finding's moment, or NULL. */
static struct rep_row *row_at(struct row_list *l, double at_s)
{
    struct rep_row *best = NULL;
    for (size_t i = 0; i < l->n; i++) {
        struct rep_row *w = &l->rows[i];
        if (!w->entry || absd(w->t_s - at_s) > SAME_MOMENT_S)
            continue;
        if (!best ||
            kind_priority(w->entry->kind) < kind_priority(best->entry->kind) ||
            (kind_priority(w->entry->kind) ==
                 kind_priority(best->entry->kind) &&
             absd(w->t_s - at_s) < absd(best->t_s - at_s)))
            best = w;
    }
    return best;
}

/* The step row that opened the window of the finding's expectation (its
 * "of" in scenario.json), or NULL. */
static struct rep_row *of_step_row(struct row_list *l,
                                   const struct rep_run *run, const char *rule)
{
    if (!starts(rule, "expect:"))
        return NULL;
    const char *key = rule + 7;
    size_t index = run->n_expect_of;
    for (size_t i = 0; i < run->n_expect_of; i++)
        if (run->expect_ids[i] && strcmp(run->expect_ids[i], key) == 0)
            index = i;
    if (index == run->n_expect_of) {
        char *end;
        unsigned long v = strtoul(key, &end, 10);
        if (*key >= '0' && *key <= '9' && !*end)
            index = v < run->n_expect_of ? (size_t)v : run->n_expect_of;
    }
    if (index >= run->n_expect_of || !run->expect_of[index])
        return NULL;
    for (size_t i = 0; i < l->n; i++) {
        const struct rep_entry *e = l->rows[i].entry;
        if (e && strcmp(e->kind, "step") == 0 && e->step_id &&
            strcmp(e->step_id, run->expect_of[index]) == 0)
            return &l->rows[i];
    }
    return NULL;
}

/* Marks failing rows; findings with no entry at their moment get a row
 * of their own, inserted in time order. */
static void mark_findings(struct row_list *l, const struct rep_run *run)
{
    struct row_list extra = {0};
    double end_s = l->n ? l->rows[l->n - 1].t_s : 0;
    for (size_t i = 0; i < run->n_findings; i++) {
        const struct rep_finding *f = &run->findings[i];
        if (strcmp(f->verdict, "PASS") == 0)
            continue;
        struct rep_row *at = isnan(f->at_s) ? NULL : row_at(l, f->at_s);
        if (at) {
            add_why(at, f, "");
            continue;
        }
        struct rep_row *of = of_step_row(l, run, f->rule);
        if (of)
            add_why(of, f, "the window of this expectation opened here: ");
        struct rep_row *w = push_row(&extra);
        w->t_s = w->t2_s = isnan(f->at_s) ? end_s : f->at_s;
        w->from = LANE_ERP;
        w->to = LANE_HOOK;
        w->cls = ROW_FINDING;
        w->label = fmt(f->verdict, " ", f->rule);
        w->result = fmt("", "", NULL);
        add_why(w, f, "");
    }
    if (!extra.n)
        return;
    struct row_list merged = {0};
    size_t a = 0, b = 0;
    while (a < l->n || b < extra.n) {
        bool take_extra =
            b < extra.n && (a == l->n || extra.rows[b].t_s < l->rows[a].t_s);
        struct rep_row *w = push_row(&merged);
        *w = take_extra ? extra.rows[b++] : l->rows[a++];
    }
    free(l->rows);
    free(extra.rows);
    *l = merged;
}

static bool same_row(const struct rep_row *a, const struct rep_row *b)
{
    return a->from == b->from && a->to == b->to && a->cls == b->cls &&
           a->cls != ROW_RUN && a->cls != ROW_FINDING && !a->failing &&
           !b->failing && !(a->entry && a->entry->n_explain) &&
           !(b->entry && b->entry->n_explain) &&
           strcmp(a->label, b->label) == 0 && strcmp(a->result, b->result) == 0;
}

static void free_row(struct rep_row *w)
{
    free(w->label);
    free(w->result);
    free(w->why);
}

/* Folds runs of REP_FOLD_MIN or more identical consecutive rows. */
static void fold(struct row_list *l)
{
    size_t out = 0;
    for (size_t i = 0; i < l->n;) {
        size_t j = i + 1;
        while (j < l->n && same_row(&l->rows[i], &l->rows[j]))
            j++;
        struct rep_row keep = l->rows[i];
        if (j - i >= REP_FOLD_MIN) {
            keep.count = j - i;
            keep.t2_s = l->rows[j - 1].t_s;
            for (size_t k = i + 1; k < j; k++)
                free_row(&l->rows[k]);
            l->rows[out++] = keep;
        } else {
            for (size_t k = i; k < j; k++)
                l->rows[out++] = l->rows[k];
        }
        i = j;
    }
    l->n = out;
}

static void gap_row(struct row_list *out, size_t skipped, double t)
{
    struct rep_row *g = push_row(out);
    struct dd_buf t2;
    dd_buf_init(&t2, 0);
    dd_buf_printf(&t2,
                  "\xe2\x80\xa6 %zu row%s left out (the diagram shows at most "
                  "%d; journal.jsonl has every entry)",
                  skipped, skipped == 1 ? "" : "s", REP_MAX_ROWS);
    g->label = dd_buf_steal(&t2);
    g->result = fmt("", "", NULL);
    g->cls = ROW_GAP;
    g->t_s = g->t2_s = t;
    g->from = LANE_ERP;
    g->to = LANE_HOOK;
}

/* Keeps the first rows, the last REP_TAIL_ROWS and every failing row. */
static size_t cap_rows(struct row_list *l)
{
    if (l->n <= REP_MAX_ROWS)
        return 0;
    size_t head = REP_MAX_ROWS - REP_TAIL_ROWS,
           tail_from = l->n - REP_TAIL_ROWS;
    struct row_list out = {0};
    size_t skipped = 0, total = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct rep_row *w = &l->rows[i];
        if (i < head || i >= tail_from || w->failing) {
            if (skipped) {
                gap_row(&out, skipped, w->t_s);
                total += skipped;
                skipped = 0;
            }
            *push_row(&out) = *w;
        } else {
            free_row(w);
            skipped++;
        }
    }
    free(l->rows);
    *l = out;
    return total;
}

void rep_rows_build(const struct rep_run *run, struct rep_rows *out)
{
    struct row_list l = {0};
    for (size_t i = 0; i < run->n_entries; i++) {
        const struct rep_entry *e = &run->entries[i];
        const char *actor_note = "";
        if (strcmp(e->kind, "actor") == 0 && i + 1 < run->n_entries &&
            strcmp(run->entries[i + 1].kind, "step") == 0 &&
            strcmp(run->entries[i + 1].method, e->method) == 0)
            continue; /* merged into the step that follows */
        if (strcmp(e->kind, "step") == 0 && i > 0 &&
            strcmp(run->entries[i - 1].kind, "actor") == 0 &&
            strcmp(run->entries[i - 1].method, e->method) == 0)
            actor_note = run->entries[i - 1].note;
        struct rep_row *w = push_row(&l);
        w->t_s = (double)(e->time_us - run->t0_us) / 1e6;
        if (absd(w->t_s) < 0.0005)
            w->t_s = 0; /* never "-0.000" */
        w->t2_s = w->t_s;
        entry_row(w, e, actor_note);
    }
    mark_findings(&l, run);
    fold(&l);
    out->left_out = cap_rows(&l);
    out->rows = l.rows;
    out->n = l.n;
}

void rep_rows_free(struct rep_rows *rows)
{
    for (size_t i = 0; i < rows->n; i++)
        free_row(&rows->rows[i]);
    free(rows->rows);
    memset(rows, 0, sizeof *rows);
}
