/*
 * judge.c: scenario + journal -> verdict (judge.h; the rules are listed in
 * conformance/README.md "The judge", harness.md "Verdicts" is normative).
 *
 * The judge reads the JSONL journal of one run line by line with dd_json,
 * keeps the entries of the run's app_key in journal order (seq), and then
 * applies, in turn: the scenario's expectations (call, no_call, final),
 * the four money-safety invariants of harness.md, the write-back repeat
 * rule, the poll-interval rules of a poll-only run, forged pushes acted
 * upon, missed after-sales, and the hook rules; refused steps, a run that
 * ended in error, calls of known but unimplemented APIs and malformed
 * journal lines are ERROR (the harness's fault, never the ERP's). Each
 * finding is one sentence, built to be read by an ERP developer who did
 * not write the scenario: what was expected, what happened, when (seconds
 * after t0), and the ERP's nearest calls.
 *
 * Nothing here trusts the journal: any line may be missing, malformed or
 * hostile (tests/fuzz/fuzz_judge.c), times are combined with saturating
 * arithmetic, and every sentence is capped at CONF_SENTENCE_MAX bytes.
 */
#include "judge.h"
#include "jread.h"
#include "xalloc.h"

#include <errno.h>
#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_buf.h"
#include "dd_json.h"
#include "dd_jw.h"
#include "scenario.h"

#define SUCCESS_CODE     10000
#define BAD_LINES_SHOWN  5       /* malformed lines named one by one */
#define NEAREST_CALLS    3       /* calls named in a sentence */
#define BECAUSE_MAX      110     /* bytes of a `because` in a sentence */
#define ARGS_MAX         100     /* bytes of an argument summary */
#define NOTE_MAX         120     /* bytes of a journal note in a sentence */
#define TARGETS_MAX      64      /* after-sales one refund call may name */
#define BURST_US         1000000 /* pagination calls within 1 s: one poll */
#define JOURNAL_FILE_MAX ((size_t)1 << 30)

/* ================================================================ memory */

/* ============================================================ arithmetic */

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* Seconds to microseconds, rounded; negatives and NaN give 0, huge values
 * saturate far beyond any run. */
static int64_t to_us(double s)
{
    if (!(s > 0))
        return 0;
    if (s > 9.0e12)
        return (int64_t)9.0e18;
    return (int64_t)(s * 1e6 + 0.5);
}

/* ============================================================ JSON reads */

static bool jtrue(const struct dd_json *o, const char *key)
{
    const struct dd_json *v = dd_json_get(o, key);
    return v && v->type == DD_JSON_TRUE;
}

/* A JSON number as a double (finite), false otherwise. */
static bool jdouble(const struct dd_json *v, double *out)
{
    char tmp[64];
    if (!v || v->type != DD_JSON_NUMBER || v->len == 0 || v->len >= sizeof tmp)
        return false;
    memcpy(tmp, v->text, v->len);
    tmp[v->len] = '\0';
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (*end || d != d || d > DBL_MAX || d < -DBL_MAX)
        return false;
    *out = d;
    return true;
}

/* The member `id` (decimal) of object `map`, or NULL. */
static const struct dd_json *by_id(const struct dd_json *map, int64_t id)
{
    char key[24];
    dd_int64_to_str(id, key);
    const struct dd_json *v = dd_json_get(map, key);
    return v && v->type == DD_JSON_OBJECT ? v : NULL;
}

/* True when `v` (any JSON value) names `id`: a number or string equal to
 * it anywhere inside, or, for a text that was not JSON (a journal text cut
 * at its cap), the decimal digits of `id` not inside a longer number. */
static bool names_id(const struct dd_json *v, int64_t id, unsigned depth)
{
    if (!v || depth > DD_JSON_DEFAULT_MAX_DEPTH + 1)
        return false;
    int64_t x;
    switch (v->type) {
    case DD_JSON_NUMBER:
        return dd_json_int64(v, &x) == 0 && x == id;
    case DD_JSON_STRING: {
        if (dd_json_int64(v, &x) == 0)
            return x == id;
        char digits[24];
        size_t n = dd_int64_to_str(id, digits);
        const char *p = v->text, *end = v->text + v->len;
        while ((size_t)(end - p) >= n) {
            size_t room = (size_t)(end - p) - n + 1;
            const char *q = memchr(p, digits[0], room);
            if (!q)
                break;
            if (memcmp(q, digits, n) == 0 &&
                (q == v->text || q[-1] < '0' || q[-1] > '9') &&
                (q + n == end || q[n] < '0' || q[n] > '9'))
                return true;
            p = q + 1;
        }
        return false;
    }
    case DD_JSON_ARRAY:
    case DD_JSON_OBJECT:
        for (size_t i = 0; i < v->n; i++)
            if (names_id(&v->kids[i], id, depth + 1))
                return true;
        return false;
    default:
        return false;
    }
}

/* ============================================================== journal */

/* One journal entry; strings are "" when absent, nodes NULL. */
struct ent {
    size_t line; /* 1-based line of the JSONL text */
    int64_t seq, time_us, code;
    bool has_seq, unimplemented;
    const char *kind, *app_key, *method, *verdict, *sub_code, *note;
    const struct dd_json *params, *response, *seen;
};

struct journal {
    struct dd_json_doc *docs;
    size_t n_docs, cap_docs;
    struct ent *v;
    size_t n, cap;
    char *bad[BAD_LINES_SHOWN]; /* the first malformed lines' messages */
    size_t n_bad;               /* every malformed line */
};

static void journal_bad(struct journal *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void journal_bad(struct journal *j, const char *fmt, ...)
{
    if (j->n_bad < BAD_LINES_SHOWN) {
        struct dd_buf b;
        dd_buf_init(&b, 0);
        va_list ap;
        va_start(ap, fmt);
        dd_buf_vprintf(&b, fmt, ap);
        va_end(ap);
        j->bad[j->n_bad] = dd_buf_steal(&b);
    }
    j->n_bad++;
}

static void journal_line(struct journal *j, const char *p, size_t n,
                         size_t line)
{
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (!n)
        return; /* blank lines are no entries */
    struct dd_json_doc doc;
    struct dd_json_error err;
    memset(&err, 0, sizeof err);
    if (dd_json_parse(p, n, NULL, &doc, &err) != 0) {
        err.msg[sizeof err.msg - 1] = '\0';
        journal_bad(j, "journal line %zu: not JSON: %s (column %u)", line,
                    err.msg, err.pos.col);
        dd_json_doc_free(&doc);
        return;
    }
    const struct dd_json *root = doc.root;
    struct ent e;
    memset(&e, 0, sizeof e);
    e.line = line;
    const char *problem = NULL;
    if (root->type != DD_JSON_OBJECT)
        problem = "not a JSON object";
    else if (!dd_json_get(root, "kind") ||
             dd_json_get(root, "kind")->type != DD_JSON_STRING)
        problem = "no \"kind\" string";
    else if (!jint(root, "time_us", &e.time_us))
        problem = "no \"time_us\" integer";
    if (problem) {
        journal_bad(j, "journal line %zu: %s", line, problem);
        dd_json_doc_free(&doc);
        return;
    }
    e.has_seq = jint(root, "seq", &e.seq);
    if (!jint(root, "code", &e.code))
        e.code = 0;
    e.unimplemented = jtrue(root, "known_unimplemented");
    e.kind = jstr(root, "kind");
    e.app_key = jstr(root, "app_key");
    e.method = jstr(root, "method");
    e.verdict = jstr(root, "verdict");
    e.sub_code = jstr(root, "sub_code");
    e.note = jstr(root, "note");
    e.params = dd_json_get(root, "params");
    e.response = dd_json_get(root, "response");
    e.seen = dd_json_get(root, "seen");
    GROW(j->docs, j->n_docs, j->cap_docs);
    j->docs[j->n_docs++] = doc;
    GROW(j->v, j->n, j->cap);
    j->v[j->n++] = e;
}

static int by_seq(const void *a, const void *b)
{
    const struct ent *x = a, *y = b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Reads every line; entries end up in seq order (file order when some
 * entry has no seq), a seq met twice (a journal collected twice) once. */
static void journal_load(struct journal *j, const char *text, size_t len)
{
    memset(j, 0, sizeof *j);
    size_t line = 1;
    const char *p = text, *end = text ? text + len : NULL;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        journal_line(j, p, n, line++);
        p = nl ? nl + 1 : end;
    }
    bool all_seq = true;
    for (size_t i = 0; i < j->n; i++)
        all_seq = all_seq && j->v[i].has_seq;
    if (!all_seq || j->n < 2)
        return;
    qsort(j->v, j->n, sizeof *j->v, by_seq);
    size_t w = 1;
    for (size_t i = 1; i < j->n; i++)
        if (j->v[i].seq != j->v[w - 1].seq)
            j->v[w++] = j->v[i];
    j->n = w;
}

static void journal_free(struct journal *j)
{
    for (size_t i = 0; i < j->n_docs; i++)
        dd_json_doc_free(&j->docs[i]);
    free(j->docs);
    free(j->v);
    for (size_t i = 0; i < BAD_LINES_SHOWN && i < j->n_bad; i++)
        free(j->bad[i]);
    memset(j, 0, sizeof *j);
}

static bool is(const struct ent *e, const char *kind, const char *method)
{
    return strcmp(e->kind, kind) == 0 &&
           (!method || strcmp(e->method, method) == 0);
}

/* ================================================================ a run */

struct finding {
    struct conf_finding f;
    size_t order; /* insertion order: ties keep it */
};

struct ctx {
    const struct scn_scenario *s;
    struct journal *j;
    const char *app_key;
    const struct ent *create, *start, *final, *end;
    int64_t t0, end_us;
    double stretch;       /* multiplies the scenario's real-time budgets */
    double poll_interval; /* seconds, as given to the ERP */
    bool push;
    const struct dd_json *state;  /* the final state */
    const struct dd_json *world0; /* the state as created, or NULL */
    int64_t *ran;                 /* per step: when it ran, or -1 */
    const struct ent **refused;   /* per step: the refusal, or NULL */
    const struct ent **run;       /* the run's entries, journal order */
    size_t n_run;
    const struct ent **calls; /* its API calls, also those before t0 */
    size_t n_calls;
    struct finding *f;
    size_t nf, cap_f;
};

static bool mine(const struct ctx *c, const struct ent *e)
{
    return strcmp(e->app_key, c->app_key) == 0;
}

static double secs(const struct ctx *c, int64_t us)
{
    return ((double)us - (double)c->t0) / 1e6;
}

/* Finds the run's own entries and settings; appends to `missing` what a
 * complete journal would have had. */
static void ctx_scan(struct ctx *c, struct dd_buf *missing)
{
    struct journal *j = c->j;
    for (size_t i = 0; i < j->n && !c->create; i++)
        if (is(&j->v[i], "run", "run.create"))
            c->create = &j->v[i];
    c->app_key = c->create ? c->create->app_key : "";
    c->run = xcalloc(j->n, sizeof *c->run);
    for (size_t i = 0; i < j->n; i++) {
        const struct ent *e = &j->v[i];
        if (!c->create || !mine(c, e))
            continue;
        c->run[c->n_run++] = e;
        if (is(e, "run", "run.start") && !c->start)
            c->start = e;
        else if (is(e, "final", NULL))
            c->final = e;
        else if (is(e, "run", "run.end"))
            c->end = e;
    }
    if (!c->create)
        dd_buf_puts(missing, "no run.create entry");
    if (!c->start)
        dd_buf_printf(missing,
                      "%sno run.start entry (the timeline never "
                      "started)",
                      missing->len ? ", " : "");
    if (!c->final)
        dd_buf_printf(missing, "%sno final state (run.final entry)",
                      missing->len ? ", " : "");
    else if (!c->final->response || c->final->response->type != DD_JSON_OBJECT)
        dd_buf_printf(missing,
                      "%sthe final state is not a JSON object (cut at the "
                      "journal's size cap?)",
                      missing->len ? ", " : "");
    c->t0 = c->start ? c->start->time_us : 0;
    c->state = c->final ? c->final->response : NULL;
    c->end_us = c->final ? c->final->time_us : c->t0;
    if (c->end && c->end->time_us > c->end_us)
        c->end_us = c->end->time_us;

    const struct dd_json *p = c->create ? c->create->params : NULL;
    double d;
    c->stretch =
        jdouble(dd_json_get(p, "stretch"), &d) && d >= 1 && d <= 1e4 ? d : 1;
    c->poll_interval =
        jdouble(dd_json_get(p, "poll_interval"), &d) && d > 0 && d <= 1e6 ? d
        : c->s->poll_interval > 0 ? c->s->poll_interval
                                  : 5;
    const struct dd_json *push = dd_json_get(p, "push");
    if (push && (push->type == DD_JSON_TRUE || push->type == DD_JSON_FALSE))
        c->push = push->type == DD_JSON_TRUE;
    else
        c->push = c->s->push != SCN_PUSH_FORBIDDEN;
    const struct dd_json *w0 = dd_json_get(p, "world");
    c->world0 = w0 && w0->type == DD_JSON_OBJECT ? w0 : NULL;
}

/* The first `erp` entry of `method` after entry `from`, or NULL. */
static const struct ent *erp_after(const struct ctx *c, const struct ent *from,
                                   const char *method)
{
    for (size_t k = 0; k < c->n_run; k++)
        if (c->run[k] > from && is(c->run[k], "erp", method))
            return c->run[k];
    return NULL;
}

static const struct ent *hook_handed_out(const struct ctx *c,
                                         const struct ent *h);

/*
 * When each step ran, and which were refused. A hook step ran once its
 * `hook` entry came, and counts from when its event was handed out (its
 * `step` entry): the hook may tell the ERP before its reply reaches the
 * journal, so windows of expectations start at the hand-out. An ERP restart ran
 * when the runner reported the ERP ready again (the first erp.ready after the
 * hand-out, else the first erp.start, else the hand-out itself: the engine
 * journals nothing when the restart reply comes). Any other step ran at its
 * last `step` entry with code 0.
 */
static void ctx_steps(struct ctx *c)
{
    size_t n = c->s->n_steps;
    c->ran = xcalloc(n, sizeof *c->ran);
    c->refused = xcalloc(n, sizeof *c->refused);
    for (size_t i = 0; i < n; i++)
        c->ran[i] = -1;
    for (size_t k = 0; k < c->n_run; k++) {
        const struct ent *e = c->run[k];
        int64_t idx;
        bool step = is(e, "step", NULL), hook = is(e, "hook", NULL);
        if ((!step && !hook) || !jint(e->params, "index", &idx) || idx < 0 ||
            (uint64_t)idx >= n)
            continue;
        enum scn_action a = c->s->steps[idx].action;
        bool hook_step = a == SCN_DO_HOOK_SHIP || a == SCN_DO_HOOK_RETURN;
        if (step && e->code != 0) {
            if (!c->refused[idx])
                c->refused[idx] = e;
        } else if (hook) {
            if (c->ran[idx] < 0)
                c->ran[idx] = hook_handed_out(c, e)->time_us;
        } else if (a == SCN_DO_RESTART_ERP) {
            const struct ent *back = erp_after(c, e, "erp.ready");
            if (!back)
                back = erp_after(c, e, "erp.start");
            int64_t t = back ? back->time_us : e->time_us;
            if (t > c->ran[idx])
                c->ran[idx] = t;
        } else if (!hook_step) {
            c->ran[idx] = e->time_us;
        }
    }
}

static void ctx_calls(struct ctx *c)
{
    c->calls = xcalloc(c->n_run, sizeof *c->calls);
    for (size_t k = 0; k < c->n_run; k++)
        if (is(c->run[k], "api", NULL))
            c->calls[c->n_calls++] = c->run[k];
}

static void ctx_free(struct ctx *c)
{
    free(c->ran);
    free(c->refused);
    free(c->run);
    free(c->calls);
    for (size_t i = 0; i < c->nf; i++) {
        free(c->f[i].f.sentence);
        free(c->f[i].f.rule);
    }
    free(c->f);
}

/* ============================================================ sentences */

/* Appends `s` with control characters as spaces, cut at `max` bytes (on a
 * character boundary, with "…"). */
static void put_text(struct dd_buf *b, const char *s, size_t max)
{
    size_t n = strlen(s);
    bool cut = n > max;
    if (cut) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++)
        dd_buf_putc(b, (unsigned char)s[i] < 0x20 ? ' ' : s[i]);
    if (cut)
        dd_buf_puts(b, "\xe2\x80\xa6");
}

static bool all_digits(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* A matcher or state value as a sentence shows it: numbers and ids bare,
 * other strings quoted, {"$absent": true} as "absent". */
static void put_value(struct dd_buf *b, const struct dd_json *v)
{
    if (!v) {
        dd_buf_puts(b, "absent");
        return;
    }
    switch (v->type) {
    case DD_JSON_NULL:
        dd_buf_puts(b, "null");
        break;
    case DD_JSON_TRUE:
        dd_buf_puts(b, "true");
        break;
    case DD_JSON_FALSE:
        dd_buf_puts(b, "false");
        break;
    case DD_JSON_NUMBER:
        dd_buf_append(b, v->text, v->len);
        break;
    case DD_JSON_STRING:
        if (all_digits(v->text, v->len)) {
            dd_buf_append(b, v->text, v->len);
        } else {
            dd_buf_putc(b, '"');
            put_text(b, v->text, 40);
            dd_buf_putc(b, '"');
        }
        break;
    default: {
        const struct dd_json *abs = dd_json_get(v, "$absent");
        if (v->type == DD_JSON_OBJECT && v->n == 1 && abs) {
            dd_buf_puts(b, abs->type == DD_JSON_TRUE ? "absent" : "present");
            break;
        }
        struct dd_buf tmp;
        dd_buf_init(&tmp, 0);
        if (dd_json_write_canonical(&tmp, v, DD_ESCAPE_PLAIN) == 0)
            put_text(b, dd_buf_str(&tmp), 60);
        dd_buf_free(&tmp);
    }
    }
}

/* " {key value, key value}" for argument matchers; nothing for none. */
static void put_args(struct dd_buf *b, const struct dd_json *args)
{
    if (!args || args->type != DD_JSON_OBJECT || args->n == 0)
        return;
    struct dd_buf tmp;
    dd_buf_init(&tmp, 0);
    for (size_t i = 0; i < args->n; i++) {
        const struct dd_json *k = &args->kids[i];
        if (i)
            dd_buf_puts(&tmp, ", ");
        put_text(&tmp, k->key ? k->key : "", 40);
        dd_buf_putc(&tmp, ' ');
        put_value(&tmp, k);
    }
    dd_buf_puts(b, " {");
    put_text(b, dd_buf_str(&tmp), ARGS_MAX);
    dd_buf_putc(b, '}');
    dd_buf_free(&tmp);
}

static void put_because(struct dd_buf *b, const char *because)
{
    if (!because || !*because)
        return;
    dd_buf_puts(b, " (because ");
    put_text(b, because, BECAUSE_MAX);
    dd_buf_putc(b, ')');
}

/* "step "apply"" or "step timeline[3] (buyer.apply)". */
static void put_step(struct dd_buf *b, const struct scn_scenario *s, size_t i)
{
    if (i >= s->n_steps) {
        dd_buf_puts(b, "the timeline's start");
        return;
    }
    const struct scn_step *st = &s->steps[i];
    if (st->id && *st->id) {
        dd_buf_puts(b, "step \"");
        put_text(b, st->id, 64);
        dd_buf_putc(b, '"');
    } else {
        dd_buf_printf(b, "step timeline[%zu] (", i);
        put_text(b, st->name ? st->name : "", 64);
        dd_buf_putc(b, ')');
    }
}

/* "10000" or "50002 isv.business-failed:12001". */
static void put_code(struct dd_buf *b, const struct ent *e)
{
    dd_buf_printf(b, "%lld", (long long)e->code);
    if (*e->sub_code) {
        dd_buf_putc(b, ' ');
        put_text(b, e->sub_code, 48);
    }
}

/* " (10000)" or " (50002 isv.business-failed:12001)". */
static void put_answer(struct dd_buf *b, const struct ent *e)
{
    dd_buf_puts(b, " (");
    put_code(b, e);
    dd_buf_putc(b, ')');
}

static int64_t distance(int64_t t, int64_t from, int64_t to)
{
    if (t < from)
        return sat_sub(from, t);
    if (t > to)
        return sat_sub(t, to);
    return 0;
}

/* "; the ERP's nearest calls: M at T s (code), ..." for the calls nearest
 * the window [from, to], with the nearest call of `prefer` (the expected
 * method) among them when there is one. */
static void put_nearest(struct dd_buf *b, const struct ctx *c, int64_t from,
                        int64_t to, const char *prefer)
{
    const struct ent *pick[NEAREST_CALLS];
    size_t np = 0;
    const struct ent *best_pref = NULL;
    for (size_t i = 0; i < c->n_calls; i++) {
        const struct ent *e = c->calls[i];
        int64_t d = distance(e->time_us, from, to);
        if (prefer && strcmp(e->method, prefer) == 0 &&
            (!best_pref || d < distance(best_pref->time_us, from, to)))
            best_pref = e;
        /* insertion into the NEAREST_CALLS nearest, earlier first on ties */
        size_t at = np;
        while (at > 0 && d < distance(pick[at - 1]->time_us, from, to))
            at--;
        if (at >= NEAREST_CALLS)
            continue;
        if (np < NEAREST_CALLS)
            np++;
        memmove(&pick[at + 1], &pick[at], (np - 1 - at) * sizeof pick[0]);
        pick[at] = e;
    }
    if (np == 0) {
        dd_buf_puts(b, "; the ERP made no API calls");
        return;
    }
    bool has_pref = !best_pref;
    for (size_t i = 0; i < np; i++)
        has_pref = has_pref || pick[i] == best_pref;
    if (!has_pref)
        pick[np - 1] = best_pref;
    /* in time order */
    for (size_t i = 1; i < np; i++)
        for (size_t k = i; k > 0 && pick[k]->time_us < pick[k - 1]->time_us;
             k--) {
            const struct ent *t = pick[k];
            pick[k] = pick[k - 1];
            pick[k - 1] = t;
        }
    dd_buf_puts(b, "; the ERP's nearest calls: ");
    for (size_t i = 0; i < np; i++) {
        if (i)
            dd_buf_puts(b, ", ");
        put_text(b, pick[i]->method, 64);
        dd_buf_printf(b, " at %.1f s", secs(c, pick[i]->time_us));
        put_answer(b, pick[i]);
    }
}

/* Takes the sentence in `b` (emptied) as a new finding. */
static void add_finding(struct ctx *c, enum conf_verdict v, const char *rule,
                        double at_s, struct dd_buf *b)
{
    if (b->len > CONF_SENTENCE_MAX) {
        size_t n = CONF_SENTENCE_MAX - 3;
        while (n > 0 && ((unsigned char)b->data[n] & 0xC0) == 0x80)
            n--;
        b->len = n;
        b->data[n] = '\0';
        dd_buf_puts(b, "\xe2\x80\xa6");
    }
    GROW(c->f, c->nf, c->cap_f);
    struct finding *f = &c->f[c->nf];
    f->f.verdict = v;
    f->f.sentence = dd_buf_steal(b);
    f->f.rule = xstrdup(rule);
    f->f.at_s = at_s;
    f->order = c->nf++;
}

static void expect_rule(char *out, size_t size, const struct scn_expect *e,
                        size_t k)
{
    if (e->id && *e->id)
        snprintf(out, size, "expect:%s", e->id);
    else
        snprintf(out, size, "expect:%zu", k);
}

/* ========================================================= expectations */

static bool call_matches(const struct ent *e, const char *method,
                         const struct dd_json *args)
{
    return strcmp(e->method, method) == 0 && scn_args_match(args, e->params);
}

/* The window of a `call` expectation; false when its `of` never ran. */
static bool call_window(const struct ctx *c, const struct scn_expect *e,
                        int64_t *from, int64_t *to)
{
    if (e->of_step == SCN_NO_STEP) {
        /* From the ERP's start: the call that started a poll-only run's
         * timeline, and what an ERP does before its listener is ready,
         * come before t0 and count. `within` still counts from t0. */
        *from = INT64_MIN;
        *to = e->within > 0 ? sat_add(c->t0, to_us(e->within * c->stretch))
                            : INT64_MAX;
        return true;
    } else if (e->of_step < c->s->n_steps && c->ran[e->of_step] >= 0) {
        *from = c->ran[e->of_step];
    } else {
        return false;
    }
    *to = e->within > 0 ? sat_add(*from, to_us(e->within * c->stretch))
                        : INT64_MAX;
    return true;
}

/* "expected [at least N × ]METHOD {args} within W s of step "x" (at T s),
 * answered success (because ...)" */
static void put_call_expected(struct dd_buf *b, const struct ctx *c,
                              const struct scn_expect *e, bool opened,
                              int64_t from, bool too_many)
{
    dd_buf_puts(b, "expected ");
    if (too_many)
        dd_buf_printf(b, "at most %d \xc3\x97 ", e->at_most);
    else if (e->at_least > 1)
        dd_buf_printf(b, "at least %d \xc3\x97 ", e->at_least);
    put_text(b, e->method, 64);
    put_args(b, e->args);
    bool of = e->of_step != SCN_NO_STEP;
    if (e->within > 0)
        dd_buf_printf(b, " within %g s of ", e->within * c->stretch);
    else if (of)
        dd_buf_puts(b, " after ");
    else
        dd_buf_puts(b, " during the run");
    if (of) {
        put_step(b, c->s, e->of_step);
        if (opened)
            dd_buf_printf(b, " (at %.1f s)", secs(c, from));
    } else if (e->within > 0) {
        dd_buf_puts(b, "the start");
    }
    if (e->success_only)
        dd_buf_puts(b, ", answered success");
    put_because(b, e->because);
}

/* " (at 3.0 s, 4.0 s, ...)" for up to `max` of the calls. */
static void put_times(struct dd_buf *b, const struct ctx *c,
                      const struct ent **v, size_t n, size_t max)
{
    dd_buf_puts(b, " (at ");
    for (size_t i = 0; i < n && i < max; i++)
        dd_buf_printf(b, "%s%.1f s", i ? ", " : "", secs(c, v[i]->time_us));
    if (n > max)
        dd_buf_puts(b, ", \xe2\x80\xa6");
    dd_buf_putc(b, ')');
}

static void judge_call(struct ctx *c, size_t k, struct conf_expect_result *r)
{
    const struct scn_expect *e = &c->s->expects[k];
    int64_t from = c->t0, to = INT64_MAX;
    bool opened = call_window(c, e, &from, &to);
    const struct ent **hits = xcalloc(c->n_calls, sizeof *hits);
    size_t n = 0;
    const struct ent *near_miss = NULL; /* matching, but not counted */
    for (size_t i = 0; opened && i < c->n_calls; i++) {
        const struct ent *x = c->calls[i];
        if (!call_matches(x, e->method, e->args))
            continue;
        bool in = x->time_us >= from && x->time_us <= to;
        if (in && (!e->success_only || x->code == SUCCESS_CODE))
            hits[n++] = x;
        else if (!near_miss || distance(x->time_us, from, to) <
                                   distance(near_miss->time_us, from, to))
            near_miss = x;
    }
    r->count = (int)(n > INT32_MAX ? INT32_MAX : n);
    r->first_s = n ? secs(c, hits[0]->time_us) : -1;
    bool too_few = n < (size_t)(e->at_least > 0 ? e->at_least : 0);
    bool too_many = e->at_most >= 0 && n > (size_t)e->at_most;
    r->met = opened && !too_few && !too_many;
    if (r->met) {
        free(hits);
        return;
    }
    struct dd_buf b;
    dd_buf_init(&b, 0);
    double at_s;
    put_call_expected(&b, c, e, opened, from, opened && too_many);
    if (!opened) {
        dd_buf_puts(&b, "; ");
        put_step(&b, c->s, e->of_step);
        dd_buf_puts(&b, " never ran, so the window never opened");
        at_s = -1;
    } else if (too_many) {
        dd_buf_printf(&b, "; it came %zu times", n);
        put_times(&b, c, hits, n, 4);
        at_s = secs(c, hits[e->at_most]->time_us);
    } else {
        if (n == 0) {
            dd_buf_puts(&b, "; it never came");
        } else {
            dd_buf_printf(&b, "; it came %zu time%s", n, n == 1 ? "" : "s");
            put_times(&b, c, hits, n, 3);
        }
        if (near_miss) {
            dd_buf_printf(&b, " (a matching call at %.1f s ",
                          secs(c, near_miss->time_us));
            if (near_miss->time_us < from)
                dd_buf_puts(&b, "came before the window");
            else if (near_miss->time_us > to)
                dd_buf_puts(&b, "came after the window closed");
            else {
                dd_buf_puts(&b, "was answered ");
                put_code(&b, near_miss);
            }
            dd_buf_putc(&b, ')');
        }
        put_nearest(&b, c, from, to == INT64_MAX ? c->end_us : to, e->method);
        at_s = secs(c, to == INT64_MAX ? c->end_us : to);
    }
    char rule[96];
    expect_rule(rule, sizeof rule, e, k);
    add_finding(c, e->level == SCN_MUST ? CONF_FAIL : CONF_WARN, rule, at_s,
                &b);
    dd_buf_free(&b);
    free(hits);
}

static void judge_no_call(struct ctx *c, size_t k, struct conf_expect_result *r)
{
    const struct scn_expect *e = &c->s->expects[k];
    const struct ent *first = NULL;
    size_t n = 0;
    for (size_t i = 0; i < c->n_calls; i++)
        if (call_matches(c->calls[i], e->method, e->args)) {
            if (!first)
                first = c->calls[i];
            n++;
        }
    r->count = (int)(n > INT32_MAX ? INT32_MAX : n);
    r->first_s = first ? secs(c, first->time_us) : -1;
    r->met = n == 0;
    if (r->met)
        return;
    struct dd_buf b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "expected no ");
    put_text(&b, e->method, 64);
    put_args(&b, e->args);
    put_because(&b, e->because);
    dd_buf_printf(&b, "; the ERP called it at %.1f s, answered ",
                  secs(c, first->time_us));
    put_code(&b, first);
    if (n > 1)
        dd_buf_printf(&b, ", and %zu more time%s", n - 1, n == 2 ? "" : "s");
    char rule[96];
    expect_rule(rule, sizeof rule, e, k);
    add_finding(c, e->level == SCN_MUST ? CONF_FAIL : CONF_WARN, rule,
                secs(c, first->time_us), &b);
    dd_buf_free(&b);
}

static const char *entity_map(enum scn_entity en)
{
    return en == SCN_ENTITY_AFTERSALE ? "aftersales"
           : en == SCN_ENTITY_ORDER   ? "orders"
                                      : "sku_orders";
}

static const char *entity_name(enum scn_entity en)
{
    return en == SCN_ENTITY_AFTERSALE ? "after-sale"
           : en == SCN_ENTITY_ORDER   ? "order"
                                      : "SKU order";
}

/* "status 12, refund_type 2": the fields of `fields` (without the entity
 * key), with their values in `from` (the expectation itself, or a state). */
static void put_fields(struct dd_buf *b, const struct dd_json *fields,
                       const struct dd_json *from, const char *skip)
{
    bool first = true;
    for (size_t i = 0; fields && i < fields->n; i++) {
        const struct dd_json *k = &fields->kids[i];
        if (!k->key || strcmp(k->key, skip) == 0)
            continue;
        dd_buf_puts(b, first ? "" : ", ");
        first = false;
        put_text(b, k->key, 40);
        dd_buf_putc(b, ' ');
        put_value(b, from == fields ? k : dd_json_get(from, k->key));
    }
}

static void judge_final(struct ctx *c, size_t k, struct conf_expect_result *r)
{
    static const char *const keys[] = {"aftersale", "order", "sku_order"};
    const struct scn_expect *e = &c->s->expects[k];
    const struct dd_json *st =
        by_id(dd_json_get(c->state, entity_map(e->entity)), e->entity_id);
    r->met = st && scn_final_match(e, st);
    r->count = r->met ? 1 : 0;
    r->first_s = -1;
    if (r->met)
        return;
    struct dd_buf b;
    dd_buf_init(&b, 0);
    char id[24];
    dd_int64_to_str(e->entity_id, id);
    dd_buf_printf(&b, "expected %s %s to end with ", entity_name(e->entity),
                  id);
    put_fields(&b, e->fields, e->fields, keys[e->entity]);
    put_because(&b, e->because);
    if (st) {
        dd_buf_puts(&b, "; it ended with ");
        put_fields(&b, e->fields, st, keys[e->entity]);
    } else {
        dd_buf_printf(&b, "; there is no %s %s at the end of the run",
                      entity_name(e->entity), id);
    }
    dd_buf_printf(&b, " (the run ended at %.1f s)", secs(c, c->end_us));
    char rule[96];
    expect_rule(rule, sizeof rule, e, k);
    add_finding(c, e->level == SCN_MUST ? CONF_FAIL : CONF_WARN, rule,
                secs(c, c->end_us), &b);
    dd_buf_free(&b);
}

/* ================================================= refund calls, hooks */

/* The operate types that agree to a refund (harness.md "Verdicts"): 111,
 * 201 and 401 refund in the mock; 121, 203, 321 and 621 turn an
 * after-sale into a refund on the real platform (the mock answers them
 * 11001, so they never count today). */
static bool refund_type(int64_t t)
{
    return t == 111 || t == 201 || t == 401 || t == 121 || t == 203 ||
           t == 321 || t == 621;
}

static bool is_writeback(const char *method)
{
    return strcmp(method, "afterSale.CancelSendGoodsSuccess") == 0 ||
           strcmp(method, "afterSale.returnGoodsToWareHouseSuccess") == 0;
}

/* The after-sales a call asks the platform to refund (a write-back, or an
 * afterSale.operate of a refund-agreeing type), whatever its answer;
 * `*op` gets the operate type (0 for a write-back). */
static size_t refund_targets(const struct ent *e, int64_t *ids, size_t max,
                             int64_t *op)
{
    int64_t id;
    *op = 0;
    if (is_writeback(e->method)) {
        if (max && jint(e->params, "aftersale_id", &id)) {
            ids[0] = id;
            return 1;
        }
        return 0;
    }
    if (strcmp(e->method, "afterSale.operate") != 0 ||
        !jint(e->params, "type", op) || !refund_type(*op))
        return 0;
    const struct dd_json *items = dd_json_get(e->params, "items");
    size_t n = 0;
    if (!items || items->type != DD_JSON_ARRAY)
        return 0;
    for (size_t i = 0; i < items->n && n < max; i++)
        if (jint(&items->kids[i], "aftersale_id", &id))
            ids[n++] = id;
    return n;
}

/* "afterSale.CancelSendGoodsSuccess" or "afterSale.operate type 401". */
static void put_refund_call(struct dd_buf *b, const struct ent *e, int64_t op)
{
    put_text(b, e->method, 64);
    if (op)
        dd_buf_printf(b, " type %lld", (long long)op);
}

static bool hook_ok(const struct ent *e, const char *method)
{
    return is(e, "hook", method) && strcmp(e->verdict, "ok") == 0;
}

/* A ship_request hook entry whose reply said shipped: true. */
static bool hook_shipped(const struct ent *e)
{
    return hook_ok(e, "warehouse.ship_request") &&
           jtrue(e->response, "shipped");
}

static const struct dd_json *hook_input(const struct ent *e)
{
    return dd_json_get(e->params, "input");
}

static bool hook_has_sku(const struct ent *e, int64_t sku)
{
    const struct dd_json *v = dd_json_get(hook_input(e), "sku_order_ids");
    int64_t x;
    for (size_t i = 0; v && v->type == DD_JSON_ARRAY && i < v->n; i++)
        if (dd_json_int64(&v->kids[i], &x) == 0 && x == sku)
            return true;
    return false;
}

/* When the warehouse's fact of hook entry `h` became true: the `step`
 * entry that handed the event out (same step index, code 0, before `h`),
 * else `h` itself. The hook runs, and may tell the ERP's main process,
 * before its reply reaches the journal: an ERP that acts on an arrival in
 * that gap acts after the parcel arrived, and one that refunds a SKU in
 * that gap refunds a parcel that was leaving. */
static const struct ent *hook_handed_out(const struct ctx *c,
                                         const struct ent *h)
{
    int64_t idx, x;
    if (!jint(h->params, "index", &idx))
        return h;
    const struct ent *out = h;
    for (size_t k = 0; k < c->n_run && c->run[k] < h; k++)
        if (is(c->run[k], "step", NULL) && c->run[k]->code == 0 &&
            jint(c->run[k]->params, "index", &x) && x == idx)
            out = c->run[k];
    return out;
}

/* The step a hook entry answered, for sentences. */
static void put_hook_step(struct dd_buf *b, const struct ctx *c,
                          const struct ent *h)
{
    int64_t idx;
    if (jint(h->params, "index", &idx) && idx >= 0 &&
        (uint64_t)idx < c->s->n_steps) {
        dd_buf_puts(b, " of ");
        put_step(b, c->s, (size_t)idx);
    }
}

/* ============================================================ invariants */

/* Invariant 1: a refund of the unshipped-refund after-sale `asid` of SKU
 * `sku` by `call`, after a hook said that SKU shipped. */
static void judge_unshipped_refund(struct ctx *c, const struct ent *call,
                                   int64_t op, int64_t asid, int64_t sku)
{
    const struct ent *ship = NULL;
    for (size_t k = 0; k < c->n_run && !ship; k++)
        if (hook_shipped(c->run[k]) && hook_has_sku(c->run[k], sku) &&
            hook_handed_out(c, c->run[k]) < call)
            ship = c->run[k];
    if (!ship)
        return;
    char as_num[24], sku_num[24];
    dd_int64_to_str(asid, as_num);
    dd_int64_to_str(sku, sku_num);
    struct dd_buf b;
    dd_buf_init(&b, 0);
    dd_buf_printf(&b,
                  "money at risk: SKU order %s shipped (hook at %.1f s said "
                  "shipped: true) and the ERP then wrote back ",
                  sku_num, secs(c, ship->time_us));
    put_refund_call(&b, call, op);
    dd_buf_printf(&b,
                  " for after-sale %s at %.1f s (answered 10000), refunding "
                  "a parcel that left",
                  as_num, secs(c, call->time_us));
    add_finding(c, CONF_FUNDS_AT_RISK, "invariant:1", secs(c, call->time_us),
                &b);
    dd_buf_free(&b);
}

/* Invariant 3: a refund of return after-sale `asid` (SKU `sku`, `qty`
 * pieces) by `call`: the last return_arrived hook answered before it must
 * say the parcel arrived intact with those pieces. */
static void judge_return_refund(struct ctx *c, const struct ent *call,
                                int64_t op, int64_t asid, int64_t sku,
                                int64_t qty)
{
    const struct ent *arr = NULL;
    for (size_t k = 0; k < c->n_run; k++) {
        int64_t x;
        if (hook_ok(c->run[k], "warehouse.return_arrived") &&
            jint(hook_input(c->run[k]), "aftersale_id", &x) && x == asid &&
            hook_handed_out(c, c->run[k]) < call)
            arr = c->run[k];
    }
    const struct dd_json *in = arr ? hook_input(arr) : NULL;
    const char *cond = jstr(in, "condition");
    const struct dd_json *items = dd_json_get(in, "items");
    int64_t got = 0, x, q;
    for (size_t m = 0; items && items->type == DD_JSON_ARRAY && m < items->n;
         m++)
        if (jint(&items->kids[m], "sku_order_id", &x) && x == sku &&
            jint(&items->kids[m], "quantity", &q) && q > got)
            got = q;
    bool intact = strcmp(cond, "intact") == 0;
    if (arr && intact && got > 0 && got >= qty)
        return;
    char as_num[24], sku_num[24];
    dd_int64_to_str(asid, as_num);
    dd_int64_to_str(sku, sku_num);
    struct dd_buf b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "money at risk: the ERP wrote back ");
    put_refund_call(&b, call, op);
    dd_buf_printf(&b, " for return after-sale %s at %.1f s (answered 10000), ",
                  as_num, secs(c, call->time_us));
    if (!arr) {
        dd_buf_puts(&b, "before its parcel arrived (no "
                        "warehouse.return_arrived was answered before it)");
    } else if (!intact) {
        dd_buf_puts(&b, "though its parcel arrived ");
        put_text(&b, *cond ? cond : "in no stated condition", 40);
        dd_buf_printf(&b, " (hook at %.1f s)", secs(c, arr->time_us));
    } else {
        dd_buf_printf(&b,
                      "though the parcel that arrived (hook at %.1f s) held "
                      "SKU order %s \xc3\x97 %lld, not the %lld returned",
                      secs(c, arr->time_us), sku_num, (long long)got,
                      (long long)qty);
    }
    add_finding(c, CONF_FUNDS_AT_RISK, "invariant:3", secs(c, call->time_us),
                &b);
    dd_buf_free(&b);
}

/* Invariants 1 and 3, per refund call answered 10000 (the after-sale's
 * type, SKU and quantity come from the final state). */
static void judge_refund_calls(struct ctx *c)
{
    int64_t ids[TARGETS_MAX], op;
    const struct dd_json *aftersales = dd_json_get(c->state, "aftersales");
    for (size_t i = 0; i < c->n_calls; i++) {
        const struct ent *call = c->calls[i];
        if (call->code != SUCCESS_CODE)
            continue;
        size_t n = refund_targets(call, ids, TARGETS_MAX, &op);
        for (size_t t = 0; t < n; t++) {
            const struct dd_json *as = by_id(aftersales, ids[t]);
            int64_t sku = 0, qty = 0;
            jint(as, "sku_order_id", &sku);
            jint(as, "quantity", &qty);
            if (strcmp(jstr(as, "type"), "unshipped_refund") == 0)
                judge_unshipped_refund(c, call, op, ids[t], sku);
            else if (strcmp(jstr(as, "type"), "return") == 0)
                judge_return_refund(c, call, op, ids[t], sku, qty);
        }
    }
}

/* True when `state` (a world state) shows a pre-shipment refund of `sku`;
 * `*as_id` and `*amount` tell which. */
static bool state_refunded_before_ship(const struct dd_json *state,
                                       const struct dd_json *final_state,
                                       int64_t sku, int64_t *as_id,
                                       int64_t *amount)
{
    const struct dd_json *refunds = dd_json_get(state, "refunds");
    for (size_t i = 0;
         refunds && refunds->type == DD_JSON_ARRAY && i < refunds->n; i++) {
        const struct dd_json *r = &refunds->kids[i];
        int64_t s, a;
        if (!jint(r, "sku_order_id", &s) || s != sku ||
            !jint(r, "aftersale_id", &a))
            continue;
        const struct dd_json *as = by_id(dd_json_get(state, "aftersales"), a);
        if (!as)
            as = by_id(dd_json_get(final_state, "aftersales"), a);
        if (strcmp(jstr(as, "type"), "unshipped_refund") == 0) {
            *as_id = a;
            if (!jint(r, "amount", amount))
                *amount = 0;
            return true;
        }
    }
    const struct dd_json *so = by_id(dd_json_get(state, "sku_orders"), sku);
    int64_t refunded;
    if (so && strcmp(jstr(so, "status"), "cancelled") == 0 &&
        jint(so, "refunded", &refunded) && refunded > 0) {
        *as_id = 0;
        *amount = refunded;
        return true;
    }
    return false;
}

/* Invariant 2: shipped: true for a SKU whose pre-shipment refund had
 * succeeded (the hook entry's state at reply time shows it; without a
 * state, a refund call answered 10000 before the hook does). */
static void judge_ship_after_refund(struct ctx *c)
{
    const struct dd_json *aftersales = dd_json_get(c->state, "aftersales");
    for (size_t k = 0; k < c->n_run; k++) {
        const struct ent *h = c->run[k];
        if (!hook_shipped(h))
            continue;
        const struct dd_json *skus =
            dd_json_get(hook_input(h), "sku_order_ids");
        const struct dd_json *st = dd_json_get(h->params, "state");
        for (size_t i = 0; skus && skus->type == DD_JSON_ARRAY && i < skus->n;
             i++) {
            int64_t sku, as_id = 0, amount = 0;
            if (dd_json_int64(&skus->kids[i], &sku) != 0)
                continue;
            bool hit = false;
            if (st && st->type == DD_JSON_OBJECT) {
                hit = state_refunded_before_ship(st, c->state, sku, &as_id,
                                                 &amount);
            } else {
                int64_t ids[TARGETS_MAX], op, s;
                for (size_t m = 0; m < c->n_calls && c->calls[m] < h && !hit;
                     m++) {
                    if (c->calls[m]->code != SUCCESS_CODE)
                        continue;
                    size_t n =
                        refund_targets(c->calls[m], ids, TARGETS_MAX, &op);
                    for (size_t t = 0; t < n && !hit; t++) {
                        const struct dd_json *as = by_id(aftersales, ids[t]);
                        if (strcmp(jstr(as, "type"), "unshipped_refund") == 0 &&
                            jint(as, "sku_order_id", &s) && s == sku) {
                            hit = true;
                            as_id = ids[t];
                            jint(as, "refund_amount", &amount);
                        }
                    }
                }
            }
            if (!hit)
                continue;
            struct dd_buf b;
            dd_buf_init(&b, 0);
            char skuid[24], asid[24];
            dd_int64_to_str(sku, skuid);
            dd_int64_to_str(as_id, asid);
            dd_buf_printf(&b,
                          "money at risk: the pre-shipment refund of SKU "
                          "order %s had succeeded (",
                          skuid);
            if (as_id)
                dd_buf_printf(&b, "after-sale %s, ", asid);
            dd_buf_printf(&b,
                          "%lld fen) and the ERP then let it ship: the hook "
                          "at %.1f s",
                          (long long)amount, secs(c, h->time_us));
            put_hook_step(&b, c, h);
            dd_buf_puts(&b, " said shipped: true");
            add_finding(c, CONF_FUNDS_AT_RISK, "invariant:2",
                        secs(c, h->time_us), &b);
            dd_buf_free(&b);
        }
    }
}

/* A ledger `via` that names an API call (not a timer, the world file, the
 * generator or an actor). */
static bool via_api(const char *via, const char **method)
{
    if (strcmp(via, "CancelSendGoodsSuccess") == 0) {
        *method = "afterSale.CancelSendGoodsSuccess";
        return true;
    }
    if (strcmp(via, "returnGoodsToWareHouseSuccess") == 0) {
        *method = "afterSale.returnGoodsToWareHouseSuccess";
        return true;
    }
    if (strncmp(via, "operate:", 8) == 0) {
        *method = "afterSale.operate";
        return true;
    }
    return false;
}

/* Invariant 4: per SKU, the final ledger's refunds in order; the one that
 * takes the sum past `paid` is FUNDS_AT_RISK when an API call made it. */
static void judge_overrefund(struct ctx *c)
{
    const struct dd_json *skus = dd_json_get(c->state, "sku_orders");
    const struct dd_json *refunds = dd_json_get(c->state, "refunds");
    if (!skus || skus->type != DD_JSON_OBJECT || !refunds ||
        refunds->type != DD_JSON_ARRAY)
        return;
    for (size_t i = 0; i < skus->n; i++) {
        const struct dd_json *so = &skus->kids[i];
        int64_t sku, paid, sum = 0;
        if (!so->key || dd_parse_int64(so->key, so->key_len, &sku) != 0 ||
            !jint(so, "paid", &paid))
            continue;
        for (size_t r = 0; r < refunds->n; r++) {
            const struct dd_json *rf = &refunds->kids[r];
            int64_t s, amount, as_id = 0, time_s = 0;
            if (!jint(rf, "sku_order_id", &s) || s != sku ||
                !jint(rf, "amount", &amount))
                continue;
            bool was_over = sum > paid;
            sum = sat_add(sum, amount);
            const char *method;
            if (was_over || sum <= paid || !via_api(jstr(rf, "via"), &method))
                continue;
            jint(rf, "aftersale_id", &as_id);
            jint(rf, "time", &time_s);
            /* the call that made it: the first success naming it */
            const struct ent *call = NULL;
            int64_t ids[TARGETS_MAX], op;
            for (size_t m = 0; m < c->n_calls && !call; m++) {
                if (c->calls[m]->code != SUCCESS_CODE ||
                    strcmp(c->calls[m]->method, method) != 0)
                    continue;
                size_t n = refund_targets(c->calls[m], ids, TARGETS_MAX, &op);
                for (size_t t = 0; t < n; t++)
                    if (ids[t] == as_id)
                        call = c->calls[m];
            }
            int64_t at_us =
                call ? call->time_us
                     : (__builtin_mul_overflow(time_s, 1000000, &time_s)
                            ? c->end_us
                            : time_s);
            struct dd_buf b;
            dd_buf_init(&b, 0);
            char skuid[24], asid[24];
            dd_int64_to_str(sku, skuid);
            dd_int64_to_str(as_id, asid);
            dd_buf_printf(&b,
                          "money at risk: SKU order %s was refunded %lld fen "
                          "in all, more than the %lld fen paid; the refund "
                          "that went over (%lld fen, after-sale %s) came from ",
                          skuid, (long long)sum, (long long)paid,
                          (long long)amount, asid);
            put_text(&b, method, 64);
            dd_buf_printf(&b, " at %.1f s", secs(c, at_us));
            add_finding(c, CONF_FUNDS_AT_RISK, "invariant:4", secs(c, at_us),
                        &b);
            dd_buf_free(&b);
        }
    }
}

/* ================================================== write-back repeats */

static void judge_repeats(struct ctx *c)
{
    for (size_t i = 0; i < c->n_calls; i++) {
        const struct ent *ok = c->calls[i];
        int64_t id, op;
        if (!is_writeback(ok->method) || ok->code != SUCCESS_CODE ||
            refund_targets(ok, &id, 1, &op) != 1)
            continue;
        /* only the first success of each after-sale starts a count */
        bool earlier = false;
        for (size_t k = 0; k < i && !earlier; k++) {
            int64_t x;
            earlier = is_writeback(c->calls[k]->method) &&
                      c->calls[k]->code == SUCCESS_CODE &&
                      refund_targets(c->calls[k], &x, 1, &op) == 1 && x == id;
        }
        if (earlier)
            continue;
        const struct ent *rep[3];
        size_t n = 0;
        for (size_t k = i + 1; k < c->n_calls; k++) {
            int64_t x;
            if (is_writeback(c->calls[k]->method) &&
                refund_targets(c->calls[k], &x, 1, &op) == 1 && x == id) {
                if (n < 3)
                    rep[n] = c->calls[k];
                n++;
            }
        }
        if (n == 0)
            continue;
        struct dd_buf b;
        dd_buf_init(&b, 0);
        char asid[24];
        dd_int64_to_str(id, asid);
        dd_buf_printf(&b, "expected one write-back for after-sale %s: ", asid);
        put_text(&b, ok->method, 64);
        dd_buf_printf(&b,
                      " succeeded at %.1f s, and the ERP wrote back again %zu "
                      "time%s (",
                      secs(c, ok->time_us), n, n == 1 ? "" : "s");
        for (size_t k = 0; k < n && k < 3; k++) {
            if (k)
                dd_buf_puts(&b, ", ");
            if (strcmp(rep[k]->method, ok->method) != 0) {
                put_text(&b, rep[k]->method, 64);
                dd_buf_putc(&b, ' ');
            }
            dd_buf_printf(&b, "at %.1f s", secs(c, rep[k]->time_us));
            put_answer(&b, rep[k]);
        }
        dd_buf_puts(&b, n > 3 ? ", \xe2\x80\xa6)" : ")");
        dd_buf_puts(&b, n == 1 ? "; one needless repeat"
                               : "; two or more needless repeats are a "
                                 "failure");
        add_finding(c, n == 1 ? CONF_WARN : CONF_FAIL, "repeat-writeback",
                    secs(c, rep[n == 1 ? 0 : 1]->time_us), &b);
        dd_buf_free(&b);
    }
}

/* ============================================================== polling */

static double poll_limit_s(const struct ctx *c)
{
    return (c->poll_interval * 1.5 + 2) * c->stretch;
}

static void judge_polling(struct ctx *c)
{
    if (c->push)
        return;
    int64_t limit = to_us(poll_limit_s(c));
    int64_t prev = c->t0, gap_from = 0, gap_to = 0, burst_start = 0;
    bool late = false, any = false;
    size_t polls = 0, over = 0;
    int64_t page, last_list = INT64_MIN;
    for (size_t i = 0; i <= c->n_calls; i++) {
        bool list = i < c->n_calls &&
                    strcmp(c->calls[i]->method, "afterSale.List") == 0;
        if (i < c->n_calls && (!list || c->calls[i]->time_us < c->t0))
            continue; /* polling is judged from the timeline's start */
        int64_t t = i < c->n_calls ? c->calls[i]->time_us : c->end_us;
        if (sat_sub(t, prev) > limit) {
            if (!late) {
                gap_from = prev;
                gap_to = t;
            }
            late = true;
            over++;
        }
        if (t > prev)
            prev = t;
        if (!list)
            break;
        any = true;
        /* a new poll, unless it is within 1 s of the poll's first call, or
         * a next page within 1 s of the previous call */
        bool paging = jint(c->calls[i]->params, "page", &page) && page > 0 &&
                      sat_sub(t, last_list) < BURST_US;
        if (polls == 0 || (sat_sub(t, burst_start) >= BURST_US && !paging)) {
            polls++;
            burst_start = t;
        }
        last_list = t;
    }
    if (late) {
        struct dd_buf b;
        dd_buf_init(&b, 0);
        dd_buf_printf(&b,
                      "expected afterSale.List at least every %g s in this "
                      "poll-only run (no gap over %.1f s); ",
                      c->poll_interval, poll_limit_s(c));
        if (!any)
            dd_buf_printf(&b,
                          "the ERP never called it in the %.1f s of the run",
                          secs(c, c->end_us));
        else
            dd_buf_printf(&b,
                          "the ERP did not poll from %.1f s to %.1f s "
                          "(%.1f s)%s",
                          secs(c, gap_from), secs(c, gap_to),
                          ((double)gap_to - (double)gap_from) / 1e6,
                          gap_to == c->end_us ? ", when the run ended" : "");
        if (over > 1)
            dd_buf_printf(&b, ", and %zu more gap%s over the limit", over - 1,
                          over == 2 ? "" : "s");
        put_nearest(&b, c, gap_from, gap_to, "afterSale.List");
        add_finding(c, CONF_FAIL, "poll-interval", secs(c, gap_from), &b);
        dd_buf_free(&b);
    }
    double duration = secs(c, c->end_us);
    if (duration > 0 && (double)polls > 2 * duration / c->poll_interval + 2) {
        struct dd_buf b;
        dd_buf_init(&b, 0);
        dd_buf_printf(&b,
                      "expected afterSale.List about every %g s in this "
                      "poll-only run; the ERP polled %zu times in %.1f s "
                      "(every %.2f s on average), more than twice as often",
                      c->poll_interval, polls, duration,
                      duration / (double)polls);
        add_finding(c, CONF_WARN, "over-polling", -1, &b);
        dd_buf_free(&b);
    }
}

/* ============================================================ id sets */

struct idset {
    int64_t *v;
    size_t n, cap;
    bool sorted;
};

static void ids_add(struct idset *s, int64_t id)
{
    GROW(s->v, s->n, s->cap);
    s->v[s->n++] = id;
    s->sorted = false;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static bool ids_has(struct idset *s, int64_t id)
{
    if (!s->sorted && s->n) {
        qsort(s->v, s->n, sizeof *s->v, cmp_i64);
        s->sorted = true;
    }
    return s->n && bsearch(&id, s->v, s->n, sizeof *s->v, cmp_i64);
}

/* Adds every id of a JSON array of ids (strings or numbers). */
static void ids_add_array(struct idset *s, const struct dd_json *a)
{
    int64_t x;
    for (size_t i = 0; a && a->type == DD_JSON_ARRAY && i < a->n; i++)
        if (dd_json_int64(&a->kids[i], &x) == 0)
            ids_add(s, x);
}

/* Adds the keys of a world state's id-keyed map. */
static void ids_add_keys(struct idset *s, const struct dd_json *map)
{
    int64_t x;
    for (size_t i = 0; map && map->type == DD_JSON_OBJECT && i < map->n; i++)
        if (map->kids[i].key &&
            dd_parse_int64(map->kids[i].key, map->kids[i].key_len, &x) == 0)
            ids_add(s, x);
}

/* The after-sale ids of a push delivery record: "aftersale_ids", and the
 * "msgs" objects' "aftersale_id" (either form). */
static void push_aftersales(struct idset *s, const struct dd_json *rec)
{
    ids_add_array(s, dd_json_get(rec, "aftersale_ids"));
    const struct dd_json *msgs = dd_json_get(rec, "msgs");
    int64_t x;
    for (size_t i = 0; msgs && msgs->type == DD_JSON_ARRAY && i < msgs->n; i++)
        if (jint(&msgs->kids[i], "aftersale_id", &x))
            ids_add(s, x);
}

/* ======================================================= forged pushes */

static void judge_forged(struct ctx *c)
{
    struct idset known = {0};
    static const char *const maps[] = {"aftersales", "orders", "sku_orders"};
    for (size_t m = 0; m < 3; m++) {
        ids_add_keys(&known, dd_json_get(c->state, maps[m]));
        ids_add_keys(&known, dd_json_get(c->world0, maps[m]));
    }
    for (size_t k = 0; k < c->n_run; k++) {
        const struct ent *p = c->run[k];
        const struct dd_json *rec = p->response;
        if (!is(p, "push", NULL) || !jtrue(rec, "forged"))
            continue;
        /* the ids this forged push carried, each with what it names */
        struct idset carried = {0};
        static const char *const inv[] = {"aftersale_id", "p_id", "s_id"};
        static const char *const what[] = {"after-sale", "order", "SKU order"};
        const struct dd_json *invented = dd_json_get(rec, "invented_ids");
        int64_t id;
        size_t kind_of[3];
        for (size_t i = 0; i < 3; i++)
            if (jint(invented, inv[i], &id)) {
                kind_of[carried.n] = i;
                ids_add(&carried, id);
            }
        size_t n_invented = carried.n;
        push_aftersales(&carried, rec);
        for (size_t i = 0; i < carried.n; i++) {
            id = carried.v[i];
            if (id == 0 || ids_has(&known, id))
                continue;
            bool dup = false;
            for (size_t m = 0; m < i && !dup; m++)
                dup = carried.v[m] == id;
            if (dup)
                continue;
            const struct ent *use = NULL;
            for (size_t m = 0; m < c->n_calls && !use; m++)
                if (names_id(c->calls[m]->params, id, 0))
                    use = c->calls[m];
            if (!use)
                continue;
            struct dd_buf b;
            dd_buf_init(&b, 0);
            char num[24];
            dd_int64_to_str(id, num);
            dd_buf_printf(&b,
                          "a forged push acted upon: the forged push at %.1f "
                          "s",
                          secs(c, p->time_us));
            const char *corrupt = jstr(rec, "corrupt");
            if (*corrupt) {
                dd_buf_puts(&b, " (");
                put_text(&b, corrupt, 32);
                dd_buf_putc(&b, ')');
            }
            dd_buf_printf(&b, " named %s %s, which exists nowhere else, and ",
                          i < n_invented ? what[kind_of[i]] : "after-sale",
                          num);
            dd_buf_puts(&b, "the ERP then called ");
            put_text(&b, use->method, 64);
            dd_buf_printf(&b, " naming it at %.1f s", secs(c, use->time_us));
            put_answer(&b, use);
            dd_buf_puts(&b, "; a push that fails its checks did not come from "
                            "the platform");
            add_finding(c, CONF_FAIL, "forged-push", secs(c, use->time_us), &b);
            dd_buf_free(&b);
            ids_add(&known, id); /* one finding per id */
        }
        free(carried.v);
    }
    free(known.v);
}

/* ====================================================== missed after-sales */

/* The ERP's shop: the run's answer, else the scenario's first shop. */
static bool erp_shop(const struct ctx *c, int64_t *shop)
{
    if (c->create && (jint(c->create->response, "shop_id", shop) ||
                      jint(c->create->params, "shop_id", shop)))
        return true;
    const struct dd_json *shops = dd_json_get(c->s->world, "shops");
    return shops && shops->type == DD_JSON_ARRAY && shops->n > 0 &&
           jint(&shops->kids[0], "shop_id", shop);
}

/* When after-sale `id` was applied for, in Unix microseconds: the
 * buyer.apply step that created it, else its `apply_time` (whole
 * seconds). */
static int64_t applied_us(const struct ctx *c, const struct dd_json *as,
                          int64_t id)
{
    int64_t x, apply = 0, us;
    for (size_t k = 0; k < c->n_run; k++) {
        const struct ent *e = c->run[k];
        if (is(e, "step", "buyer.apply") && e->code == 0 &&
            jint(dd_json_get(e->params, "with"), "aftersale_id", &x) && x == id)
            return e->time_us;
    }
    jint(as, "apply_time", &apply);
    return __builtin_mul_overflow(apply, 1000000, &us) ? INT64_MAX : us;
}

static void judge_missed(struct ctx *c)
{
    const struct dd_json *aftersales = dd_json_get(c->state, "aftersales");
    const struct dd_json *orders = dd_json_get(c->state, "orders");
    if (!aftersales || aftersales->type != DD_JSON_OBJECT)
        return;
    /* which shop: when no order of the state is the ERP's shop's (ids
     * rewritten for the run) and the scenario has one shop, every one */
    int64_t shop = 0, x;
    bool by_shop = erp_shop(c, &shop), any_of_shop = false;
    for (size_t i = 0;
         by_shop && orders && orders->type == DD_JSON_OBJECT && i < orders->n;
         i++)
        any_of_shop =
            any_of_shop || (jint(&orders->kids[i], "shop_id", &x) && x == shop);
    const struct dd_json *shops = dd_json_get(c->s->world, "shops");
    if (by_shop && !any_of_shop && shops && shops->type == DD_JSON_ARRAY &&
        shops->n == 1)
        by_shop = false;

    struct idset seen = {0};
    for (size_t k = 0; k < c->n_run; k++) {
        const struct ent *e = c->run[k];
        if (is(e, "api", NULL))
            ids_add_array(&seen, e->seen);
        else if (is(e, "push", NULL) &&
                 strcmp(jstr(e->response, "outcome"), "acked") == 0 &&
                 !jtrue(e->response, "forged") &&
                 !*jstr(e->response, "corrupt"))
            push_aftersales(&seen, e->response);
    }
    /* one poll interval and a second (the runner's settle time): an
     * after-sale applied for later than that before the end is not judged */
    int64_t grace = to_us((c->poll_interval + 1) * c->stretch);
    for (size_t i = 0; i < aftersales->n; i++) {
        const struct dd_json *as = &aftersales->kids[i];
        int64_t id, order;
        if (as->type != DD_JSON_OBJECT || !as->key ||
            dd_parse_int64(as->key, as->key_len, &id) != 0 ||
            ids_has(&seen, id))
            continue;
        if (by_shop &&
            (!jint(as, "order_id", &order) ||
             !jint(by_id(orders, order), "shop_id", &x) || x != shop))
            continue;
        int64_t apply_us = applied_us(c, as, id);
        const struct dd_json *before =
            by_id(dd_json_get(c->world0, "aftersales"), id);
        bool created = c->world0 ? !before : apply_us >= c->t0;
        if (before && jtrue(before, "final"))
            continue; /* already final when the run began */
        if (!c->world0 && !created && jtrue(as, "final"))
            continue; /* no record of the start: judge the open ones */
        if (created && apply_us > sat_sub(c->end_us, grace))
            continue; /* applied too late for any correct ERP to see */
        struct dd_buf b;
        dd_buf_init(&b, 0);
        char num[24];
        dd_int64_to_str(id, num);
        dd_buf_printf(&b, "expected the ERP to find after-sale %s (", num);
        put_text(&b, *jstr(as, "type") ? jstr(as, "type") : "after-sale", 32);
        double at_s = 0;
        if (created) {
            at_s = secs(c, apply_us);
            at_s = at_s < 0 ? 0 : at_s;
            dd_buf_printf(&b, ", applied for at %.1f s)", at_s);
        } else {
            dd_buf_puts(&b, ", open when the run began)");
        }
        dd_buf_puts(&b, " through afterSale.List, afterSale.Detail or an "
                        "acknowledged push; no answer the ERP got and no push "
                        "it acknowledged ever showed it");
        int64_t at_us = sat_add(c->t0, to_us(at_s));
        put_nearest(&b, c, at_us, at_us, "afterSale.List");
        add_finding(c, CONF_FAIL, "missed-aftersale", at_s, &b);
        dd_buf_free(&b);
    }
    free(seen.v);
}

/* ================================================================ hooks */

static void judge_hooks(struct ctx *c)
{
    for (size_t k = 0; k < c->n_run; k++) {
        const struct ent *h = c->run[k];
        if (!is(h, "hook", NULL))
            continue;
        struct dd_buf b;
        dd_buf_init(&b, 0);
        if (strcmp(h->verdict, "failed") == 0) {
            dd_buf_puts(&b, "the hook failed: ");
            put_text(&b, *h->note ? h->note : "no reason given", NOTE_MAX);
            dd_buf_puts(&b, " (the ");
            put_text(&b, h->method, 64);
            dd_buf_puts(&b, " event");
            put_hook_step(&b, c, h);
            dd_buf_printf(&b, ", at %.1f s)", secs(c, h->time_us));
            add_finding(c, CONF_FAIL, "hook-failed", secs(c, h->time_us), &b);
        } else if (hook_ok(h, "warehouse.ship_request") &&
                   dd_json_get(h->response, "shipped") &&
                   dd_json_get(h->response, "shipped")->type == DD_JSON_FALSE) {
            /* shipped: false is a FAIL only when nothing was open against
             * any of the SKUs (the state at reply time says so) */
            const struct dd_json *st = dd_json_get(h->params, "state");
            const struct dd_json *skus =
                dd_json_get(hook_input(h), "sku_order_ids");
            bool free_to_ship = st && st->type == DD_JSON_OBJECT && skus &&
                                skus->type == DD_JSON_ARRAY && skus->n > 0;
            int64_t sku, refunded;
            for (size_t i = 0; free_to_ship && i < skus->n; i++) {
                const struct dd_json *so =
                    dd_json_int64(&skus->kids[i], &sku) == 0
                        ? by_id(dd_json_get(st, "sku_orders"), sku)
                        : NULL;
                free_to_ship =
                    so &&
                    dd_json_is_absent(dd_json_get(so, "open_aftersale")) &&
                    jint(so, "refunded", &refunded) && refunded == 0;
            }
            if (free_to_ship) {
                dd_buf_puts(&b, "expected the ERP to let SKU order");
                for (size_t i = 0; i < skus->n && i < 4; i++) {
                    dd_buf_puts(&b, i ? ", " : (skus->n > 1 ? "s " : " "));
                    put_value(&b, &skus->kids[i]);
                }
                dd_buf_printf(&b, " ship when the warehouse asked at %.1f s",
                              secs(c, h->time_us));
                put_hook_step(&b, c, h);
                dd_buf_puts(&b, " (nothing was open against them and "
                                "nothing refunded); the hook answered "
                                "shipped: false, and an ERP that never ships "
                                "is broken too");
                add_finding(c, CONF_FAIL, "never-ships", secs(c, h->time_us),
                            &b);
            }
        }
        dd_buf_free(&b);
    }
}

/* ============================================================== errors */

static void judge_errors(struct ctx *c)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    for (size_t i = 0; i < c->s->n_steps; i++) {
        const struct ent *e = c->refused[i];
        if (!e)
            continue;
        put_step(&b, c->s, i);
        dd_buf_puts(&b, " (");
        put_text(&b, c->s->steps[i].name ? c->s->steps[i].name : "", 64);
        dd_buf_printf(&b, ") was refused at %.1f s: ", secs(c, e->time_us));
        put_text(&b, *e->note ? e->note : "no reason given", NOTE_MAX);
        dd_buf_puts(&b, "; the scenario did not happen as written, which is "
                        "not the ERP's fault");
        add_finding(c, CONF_ERROR, "step-refused", secs(c, e->time_us), &b);
    }
    if (c->end && strncmp(c->end->note, "error", 5) == 0) {
        dd_buf_printf(
            &b, "the run ended in error at %.1f s: ", secs(c, c->end->time_us));
        put_text(&b, c->end->note, NOTE_MAX);
        add_finding(c, CONF_ERROR, "run-error", secs(c, c->end->time_us), &b);
    }
    /* one finding per method: its first call, and how many there were */
    struct unimpl {
        const struct ent *first;
        size_t count;
    } *u = NULL;
    size_t n = 0, cap = 0;
    for (size_t k = 0; k < c->n_run; k++) {
        const struct ent *e = c->run[k];
        if (!is(e, "api", NULL) || !e->unimplemented)
            continue;
        size_t m = 0;
        while (m < n && strcmp(u[m].first->method, e->method) != 0)
            m++;
        if (m == n) {
            GROW(u, n, cap);
            u[n].first = e;
            u[n++].count = 0;
        }
        u[m].count++;
    }
    for (size_t m = 0; m < n; m++) {
        const struct ent *e = u[m].first;
        dd_buf_puts(&b, "the ERP called ");
        put_text(&b, e->method, 64);
        dd_buf_printf(&b,
                      " at %.1f s%s, a real Doudian API that the mock does "
                      "not implement yet (answered 70000); this part of the "
                      "run cannot be judged, which is the harness's gap, not "
                      "the ERP's fault",
                      secs(c, e->time_us), u[m].count > 1 ? " and later" : "");
        add_finding(c, CONF_ERROR, "unimplemented-api", secs(c, e->time_us),
                    &b);
    }
    free(u);
    dd_buf_free(&b);
}

static void journal_findings(struct ctx *c)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    for (size_t i = 0; i < c->j->n_bad && i < BAD_LINES_SHOWN; i++) {
        put_text(&b, c->j->bad[i], CONF_SENTENCE_MAX);
        add_finding(c, CONF_ERROR, "journal", -1, &b);
    }
    if (c->j->n_bad > BAD_LINES_SHOWN) {
        dd_buf_printf(&b, "journal: %zu more malformed lines",
                      c->j->n_bad - BAD_LINES_SHOWN);
        add_finding(c, CONF_ERROR, "journal", -1, &b);
    }
    dd_buf_free(&b);
}

/* ============================================================ the judge */

const char *conf_verdict_name(enum conf_verdict v)
{
    switch (v) {
    case CONF_PASS:
        return "PASS";
    case CONF_WARN:
        return "WARN";
    case CONF_SKIP:
        return "SKIP";
    case CONF_FAIL:
        return "FAIL";
    case CONF_ERROR:
        return "ERROR";
    case CONF_FUNDS_AT_RISK:
        return "FUNDS_AT_RISK";
    }
    return "?";
}

/* Worst first; then by time (findings without a moment last); then in
 * the order they were found. */
static int by_severity(const void *a, const void *b)
{
    const struct finding *x = a, *y = b;
    if (x->f.verdict != y->f.verdict)
        return x->f.verdict > y->f.verdict ? -1 : 1;
    bool xt = x->f.at_s >= 0, yt = y->f.at_s >= 0;
    if (xt != yt)
        return xt ? -1 : 1;
    if (xt && x->f.at_s != y->f.at_s)
        return x->f.at_s < y->f.at_s ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

int conf_judge(const struct scn_scenario *s, const char *jsonl, size_t len,
               struct conf_judgement *out)
{
    memset(out, 0, sizeof *out);
    out->n_expects = s->n_expects;
    out->expects = xcalloc(s->n_expects, sizeof *out->expects);
    for (size_t k = 0; k < s->n_expects; k++)
        out->expects[k].first_s = -1;

    struct journal j;
    journal_load(&j, jsonl, len);
    struct ctx c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.j = &j;
    journal_findings(&c);
    struct dd_buf missing;
    dd_buf_init(&missing, 0);
    ctx_scan(&c, &missing);
    if (missing.len) {
        struct dd_buf b;
        dd_buf_init(&b, 0);
        dd_buf_printf(&b, "journal incomplete: %s; nothing else was judged",
                      missing.data);
        add_finding(&c, CONF_ERROR, "journal", -1, &b);
        dd_buf_free(&b);
    } else {
        ctx_steps(&c);
        ctx_calls(&c);
        judge_errors(&c);
        for (size_t k = 0; k < s->n_expects; k++) {
            switch (s->expects[k].kind) {
            case SCN_EXPECT_CALL:
                judge_call(&c, k, &out->expects[k]);
                break;
            case SCN_EXPECT_NO_CALL:
                judge_no_call(&c, k, &out->expects[k]);
                break;
            case SCN_EXPECT_FINAL:
                judge_final(&c, k, &out->expects[k]);
                break;
            }
        }
        judge_refund_calls(&c);
        judge_ship_after_refund(&c);
        judge_overrefund(&c);
        judge_repeats(&c);
        judge_polling(&c);
        judge_forged(&c);
        judge_missed(&c);
        judge_hooks(&c);
    }
    dd_buf_free(&missing);

    if (c.nf)
        qsort(c.f, c.nf, sizeof *c.f, by_severity);
    out->n_findings = c.nf;
    out->findings = xcalloc(c.nf, sizeof *out->findings);
    for (size_t i = 0; i < c.nf; i++) {
        out->findings[i] = c.f[i].f;
        c.f[i].f.sentence = c.f[i].f.rule = NULL;
    }
    out->verdict = c.nf ? out->findings[0].verdict : CONF_PASS;
    out->sentence =
        xstrdup(c.nf ? out->findings[0].sentence : "every expectation held");
    ctx_free(&c);
    journal_free(&j);
    return 0;
}

bool conf_judge_decided(const struct scn_scenario *s, const char *jsonl,
                        size_t len, int64_t now_us, double settle_s)
{
    return conf_judge_decided_at(s, jsonl, len, now_us, settle_s, NULL);
}

bool conf_judge_decided_at(const struct scn_scenario *s, const char *jsonl,
                           size_t len, int64_t now_us, double settle_s,
                           int64_t *decided_at_us)
{
    if (decided_at_us)
        *decided_at_us = 0;
    struct journal j;
    journal_load(&j, jsonl, len);
    struct ctx c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.j = &j;
    struct dd_buf missing;
    dd_buf_init(&missing, 0);
    ctx_scan(&c, &missing);
    dd_buf_free(&missing);
    bool decided = false;
    if (!c.start)
        goto done;
    ctx_steps(&c);
    ctx_calls(&c);
    if (c.end) {
        decided = true; /* the run has ended already */
        goto done;
    }
    int64_t last = c.t0;
    for (size_t i = 0; i < s->n_steps; i++) {
        if (c.refused[i]) {
            decided = true; /* a run in error ends now: ERROR */
            goto done;
        }
        if (c.ran[i] < 0)
            goto done;
        if (c.ran[i] > last)
            last = c.ran[i];
    }
    /* A step that changed an after-sale counts from the end of the second
     * of its new update_time: changes within one second each take the
     * next second as their version, so the version can run ahead of the
     * clock, and an ERP whose window ends a second before now sees it only
     * a poll later. */
    for (size_t k = 0; k < c.n_run; k++) {
        const struct ent *e = c.run[k];
        int64_t update_s;
        if (!is(e, "step", NULL) || e->code != 0 ||
            !jint(e->response, "update_time", &update_s) || update_s <= 0 ||
            update_s >= INT64_MAX / 1000000 - 1)
            continue;
        /* never more than a few seconds past the step itself */
        int64_t seen_us = (update_s + 1) * 1000000;
        if (seen_us > sat_add(e->time_us, 5000000))
            seen_us = sat_add(e->time_us, 5000000);
        if (seen_us > last)
            last = seen_us;
    }
    for (size_t k = 0; k < s->n_expects; k++) {
        const struct scn_expect *e = &s->expects[k];
        int64_t from, to;
        if (e->kind != SCN_EXPECT_CALL)
            continue;
        if (!call_window(&c, e, &from, &to))
            goto done;
        int64_t met_at = e->at_least <= 0 ? from : -1;
        int n = 0;
        for (size_t i = 0; i < c.n_calls && met_at < 0; i++) {
            const struct ent *x = c.calls[i];
            if (x->time_us >= from && x->time_us <= to &&
                call_matches(x, e->method, e->args) &&
                (!e->success_only || x->code == SUCCESS_CODE) &&
                ++n >= e->at_least)
                met_at = x->time_us;
        }
        if (met_at < 0 && to != INT64_MAX && now_us > to)
            met_at = to; /* the window has closed */
        if (met_at < 0)
            goto done;
        if (met_at > last)
            last = met_at;
    }
    decided = (double)sat_sub(now_us, last) >= settle_s * 1e6;
    if (!decided && decided_at_us) {
        double at = (double)last + settle_s * 1e6;
        *decided_at_us = at < (double)INT64_MAX ? (int64_t)at : 0;
    }
done:
    ctx_free(&c);
    journal_free(&j);
    return decided;
}

void conf_judgement_free(struct conf_judgement *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n_findings; i++) {
        free(j->findings[i].sentence);
        free(j->findings[i].rule);
    }
    free(j->findings);
    free(j->sentence);
    free(j->expects);
    memset(j, 0, sizeof *j);
}

/* A number of seconds with millisecond precision, or null when < 0. */
static void put_seconds(struct dd_jw *w, const char *key, double v)
{
    dd_jw_key(w, key);
    if (!(v >= 0) || v > 1e15) {
        dd_jw_null(w);
        return;
    }
    char num[48];
    int n = snprintf(num, sizeof num, "%.3f", v);
    dd_jw_raw(w, num, (size_t)n);
}

void conf_judgement_write_json(const struct conf_judgement *j,
                               const struct scn_scenario *s, struct dd_jw *w)
{
    static const char *const kinds[] = {"call", "no_call", "final"};
    dd_jw_object_begin(w);
    dd_jw_kstr(w, "verdict", conf_verdict_name(j->verdict));
    dd_jw_kstr(w, "sentence", j->sentence ? j->sentence : "");
    dd_jw_key(w, "findings");
    dd_jw_array_begin(w);
    for (size_t i = 0; i < j->n_findings; i++) {
        const struct conf_finding *f = &j->findings[i];
        dd_jw_object_begin(w);
        dd_jw_kstr(w, "verdict", conf_verdict_name(f->verdict));
        dd_jw_kstr(w, "rule", f->rule);
        put_seconds(w, "at_s", f->at_s);
        dd_jw_kstr(w, "sentence", f->sentence);
        dd_jw_object_end(w);
    }
    dd_jw_array_end(w);
    dd_jw_key(w, "expects");
    dd_jw_array_begin(w);
    for (size_t k = 0; k < j->n_expects && k < s->n_expects; k++) {
        const struct scn_expect *e = &s->expects[k];
        const struct conf_expect_result *r = &j->expects[k];
        dd_jw_object_begin(w);
        dd_jw_kint(w, "index", (int64_t)k);
        dd_jw_key(w, "id");
        if (e->id && *e->id)
            dd_jw_str(w, e->id);
        else
            dd_jw_null(w);
        dd_jw_kstr(w, "level", e->level == SCN_MUST ? "MUST" : "SHOULD");
        dd_jw_kstr(w, "kind", kinds[e->kind]);
        dd_jw_kbool(w, "met", r->met);
        dd_jw_kint(w, "count", r->count);
        put_seconds(w, "first_s", r->first_s);
        dd_jw_object_end(w);
    }
    dd_jw_array_end(w);
    dd_jw_object_end(w);
}

/* Reads a whole file into `b`; false with errno set when it cannot. */
static bool read_file(const char *path, struct dd_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char chunk[65536];
    size_t got;
    bool ok = true;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (dd_buf_append(b, chunk, got) != 0) {
            errno = EFBIG;
            ok = false;
            break;
        }
    if (ok && ferror(f))
        ok = false;
    fclose(f);
    return ok;
}

int conf_judge_files(const char *scenario_path, const char *journal_path,
                     bool strict)
{
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    struct scn_scenario *s = scn_scenario_load(scenario_path, &errs);
    if (!s) {
        fputs(dd_buf_str(&errs), stderr);
        dd_buf_free(&errs);
        return 3;
    }
    dd_buf_free(&errs);
    struct dd_buf journal;
    dd_buf_init(&journal, JOURNAL_FILE_MAX);
    if (!read_file(journal_path, &journal)) {
        fprintf(stderr, "%s: %s\n", journal_path, strerror(errno));
        dd_buf_free(&journal);
        scn_scenario_free(s);
        return 3;
    }
    struct conf_judgement j;
    conf_judge(s, journal.data, journal.len, &j);
    printf("%s  %s\n", conf_verdict_name(j.verdict), j.sentence);
    int status;
    switch (j.verdict) {
    case CONF_FUNDS_AT_RISK:
        status = 2;
        break;
    case CONF_FAIL:
        status = 1;
        break;
    case CONF_ERROR:
        status = 3;
        break;
    case CONF_WARN:
        status = strict ? 1 : 0;
        break;
    default:
        status = 0;
    }
    conf_judgement_free(&j);
    dd_buf_free(&journal);
    scn_scenario_free(s);
    return status;
}
