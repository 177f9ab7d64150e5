/*
 * report.c: loading a report folder (report.h) and the two printers for a
 * terminal, the metrics lines and one run in full; also the metrics
 * aggregation the other formats share. The JUnit, JSON and TAP writers
 * are report_formats.c, the HTML page report_html.c, the sequence-diagram
 * rows report_timeline.c; conformance/REPORTS.md documents every format.
 *
 * A report folder is untrusted input: it may be from an older ddconform
 * (summary.json without the keys this issue added), cut short by a crash
 * (a truncated journal line, no verdict.json), or edited by hand. Loading
 * never fails for a run folder: what does not load becomes a line of the
 * run's `problems`, and the run shows what exists. Only a summary.json
 * that is missing or not a report summary makes conf_report_load fail. A
 * run's `dir` must be "runs/NAME" (no other folder is ever read).
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "dd_buf.h"
#include "dd_json.h"
#include "dd_jw.h"
#include "report_int.h"
#include "xalloc.h"

/* A journal line may carry a whole state snapshot (16 MiB in the mock). */
#define JOURNAL_LINE_MAX ((size_t)32 << 20)
/* summary.json, verdict.json, scenario.json, hooks.jsonl */
#define SMALL_FILE_MAX ((size_t)64 << 20)
/* A note, a hook reply or an explain value shown in a report. */
#define TEXT_CAP 600
/* Broken journal lines named one by one before a count. */
#define BAD_LINES_NAMED 5

const char *const rep_verdict_names[] = {"PASS", "WARN",  "SKIP",
                                         "FAIL", "ERROR", "FUNDS_AT_RISK"};

/* ============================================================ helpers */

/* Copies at most `cap` bytes of s, cut at a UTF-8 character boundary and
 * ended with "…" when cut. */
static char *dup_cap(const char *s, size_t len, size_t cap)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    if (len <= cap) {
        dd_buf_append(&b, s, len);
    } else {
        size_t n = cap;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        dd_buf_append(&b, s, n);
        dd_buf_puts(&b, "\xe2\x80\xa6");
    }
    return dd_buf_steal(&b);
}

void rep_set_err(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || !err_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

/* Reads a whole file of at most `max` bytes into a new buffer. Returns
 * NULL (errno set; EFBIG when too large) when it cannot. */
static char *read_whole(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct dd_buf b;
    dd_buf_init(&b, max);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = dd_buf_append(&b, chunk, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (rc != 0 || bad) {
        dd_buf_free(&b);
        errno = rc != 0 ? EFBIG : EIO;
        return NULL;
    }
    *len = b.len;
    return dd_buf_steal(&b);
}

/* The last `tail` bytes of a file; *cut tells whether the start is
 * missing. NULL when it cannot be read. */
static char *read_tail(const char *path, size_t tail, size_t *len, bool *cut)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    *cut = false;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size > (long)tail) {
            *cut = fseek(f, size - (long)tail, SEEK_SET) == 0;
            if (!*cut)
                rewind(f);
        } else {
            rewind(f);
        }
    }
    struct dd_buf b;
    dd_buf_init(&b, tail + 1);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        size_t room = tail - b.len;
        if (dd_buf_append(&b, chunk, n < room ? n : room) != 0 || n >= room)
            break;
    }
    fclose(f);
    if (*cut) {
        /* start at a line (and so at a character) boundary */
        const char *nl = memchr(b.data ? b.data : "", '\n', b.len);
        size_t skip = nl ? (size_t)(nl - b.data) + 1 : 0;
        char *out = dup_cap(b.data + skip, b.len - skip, b.len);
        *len = b.len - skip;
        dd_buf_free(&b);
        return out;
    }
    *len = b.len;
    return dd_buf_steal(&b);
}

static char *path_join(const char *a, const char *b, const char *c)
{
    struct dd_buf p;
    dd_buf_init(&p, 0);
    dd_buf_printf(&p, "%s/%s%s%s", a, b, c ? "/" : "", c ? c : "");
    return dd_buf_steal(&p);
}

/* A string member, copied; NULL when absent or not a string. */
static char *jstr(const struct dd_json *o, const char *key)
{
    const struct dd_json *v = dd_json_get(o, key);
    if (!v || v->type != DD_JSON_STRING)
        return NULL;
    return dup_cap(v->text, v->len, SMALL_FILE_MAX);
}

/* A string member or "" */
static char *jstr0(const struct dd_json *o, const char *key)
{
    char *s = jstr(o, key);
    return s ? s : xstrdup("");
}

static double jnum(const struct dd_json *o, const char *key)
{
    const struct dd_json *v = dd_json_get(o, key);
    if (!v || v->type != DD_JSON_NUMBER)
        return NAN;
    return strtod(v->text, NULL);
}

static bool jint(const struct dd_json *o, const char *key, int64_t *out)
{
    const struct dd_json *v = dd_json_get(o, key);
    return v && v->type == DD_JSON_NUMBER && dd_json_int64(v, out) == 0;
}

/* -1 absent, 0 false, 1 true */
static int jbool(const struct dd_json *o, const char *key)
{
    const struct dd_json *v = dd_json_get(o, key);
    if (!v)
        return -1;
    if (v->type == DD_JSON_TRUE)
        return 1;
    if (v->type == DD_JSON_FALSE)
        return 0;
    return -1;
}

/* Any value as display text: a string as is, anything else compact JSON;
 * capped. */
static char *jtext(const struct dd_json *v, size_t cap)
{
    if (!v)
        return xstrdup("");
    if (v->type == DD_JSON_STRING)
        return dup_cap(v->text, v->len, cap);
    struct dd_buf b;
    dd_buf_init(&b, 0);
    if (dd_json_write_canonical(&b, v, DD_ESCAPE_PLAIN) != 0)
        dd_buf_reset(&b);
    char *s = dup_cap(b.data ? b.data : "", b.len, cap);
    dd_buf_free(&b);
    return s;
}

/* Parses a file that must hold one JSON object. NULL and a message in
 * `problem` otherwise. */
static int parse_object_file(const char *path, struct dd_json_doc *doc,
                             struct dd_buf *problem, const char *label)
{
    size_t len = 0;
    char *text = read_whole(path, SMALL_FILE_MAX, &len);
    if (!text) {
        dd_buf_printf(problem, "%s: %s\n", label,
                      errno == ENOENT ? "missing" : strerror(errno));
        return -1;
    }
    struct dd_json_limits lim = {0, SMALL_FILE_MAX};
    struct dd_json_error je;
    int rc = dd_json_parse(text, len, &lim, doc, &je);
    free(text);
    if (rc != 0) {
        dd_buf_printf(problem, "%s:%u:%u: %s\n", label, je.pos.line, je.pos.col,
                      je.msg);
        dd_json_doc_free(doc);
        return -1;
    }
    if (doc->root->type != DD_JSON_OBJECT) {
        dd_buf_printf(problem, "%s: not a JSON object\n", label);
        dd_json_doc_free(doc);
        return -1;
    }
    return 0;
}

int rep_verdict_index(const char *name)
{
    for (int i = 0; name && i < 6; i++)
        if (strcmp(name, rep_verdict_names[i]) == 0)
            return i;
    return -1;
}

/* ============================================================ loading */

static void load_judgement(struct rep_run *run, const struct dd_json *j)
{
    const struct dd_json *fs = dd_json_get(j, "findings");
    if (fs && fs->type == DD_JSON_ARRAY && fs->n) {
        run->findings = xcalloc(fs->n, sizeof *run->findings);
        for (size_t i = 0; i < fs->n; i++) {
            const struct dd_json *f = &fs->kids[i];
            if (f->type != DD_JSON_OBJECT)
                continue;
            struct rep_finding *o = &run->findings[run->n_findings++];
            o->verdict = jstr0(f, "verdict");
            o->rule = jstr0(f, "rule");
            o->sentence = jstr0(f, "sentence");
            o->at_s = jnum(f, "at_s");
        }
    }
    const struct dd_json *es = dd_json_get(j, "expects");
    if (es && es->type == DD_JSON_ARRAY && es->n) {
        run->expects = xcalloc(es->n, sizeof *run->expects);
        for (size_t i = 0; i < es->n; i++) {
            const struct dd_json *e = &es->kids[i];
            if (e->type != DD_JSON_OBJECT)
                continue;
            struct rep_expect *o = &run->expects[run->n_expects++];
            if (!jint(e, "index", &o->index))
                o->index = (int64_t)i;
            o->id = jstr(e, "id");
            o->level = jstr0(e, "level");
            o->kind = jstr0(e, "kind");
            o->met = jbool(e, "met") == 1;
            if (!jint(e, "count", &o->count))
                o->count = 0;
            o->first_s = jnum(e, "first_s");
        }
    }
}

static void load_metrics(struct rep_run *run, const struct dd_json *m)
{
    run->has_metrics = true;
    if (!jint(m, "counted", &run->counted))
        run->counted = 0;
    if (!jint(m, "automatic", &run->automatic))
        run->automatic = 0;
    const struct dd_json *as = dd_json_get(m, "aftersales");
    if (!as || as->type != DD_JSON_ARRAY || !as->n)
        return;
    run->aftersales = xcalloc(as->n, sizeof *run->aftersales);
    for (size_t i = 0; i < as->n; i++) {
        const struct dd_json *a = &as->kids[i];
        if (a->type != DD_JSON_OBJECT)
            continue;
        struct rep_aftersale *o = &run->aftersales[run->n_aftersales++];
        const struct dd_json *id = dd_json_get(a, "aftersale_id");
        o->aftersale_id = id ? jtext(id, 64) : xstrdup("");
        o->flow = jstr0(a, "flow");
        o->outcome = jstr0(a, "outcome");
        o->via = jstr(a, "via");
        o->automatic = jbool(a, "automatic");
        o->apply_s = jnum(a, "apply_s");
        o->refund_s = jnum(a, "refund_s");
        o->apply_to_refund_s = jnum(a, "apply_to_refund_s");
    }
}

static void load_verdict(struct rep_run *run, const char *folder,
                         struct dd_buf *problems)
{
    char *path = path_join(folder, "verdict.json", NULL);
    struct dd_json_doc doc = {0};
    if (parse_object_file(path, &doc, problems, "verdict.json") == 0) {
        run->has_verdict_file = true;
        const struct dd_json *j = dd_json_get(doc.root, "judgement");
        if (j && j->type == DD_JSON_OBJECT)
            load_judgement(run, j);
        const struct dd_json *m = dd_json_get(doc.root, "metrics");
        if (m && m->type == DD_JSON_OBJECT)
            load_metrics(run, m);
        dd_json_doc_free(&doc);
    }
    free(path);
}

/* scenario.json: only what the diagram needs (each expectation's id and
 * the step its window opens at). */
static void load_scenario(struct rep_run *run, const char *folder,
                          struct dd_buf *problems)
{
    char *path = path_join(folder, "scenario.json", NULL);
    struct dd_json_doc doc = {0};
    if (parse_object_file(path, &doc, problems, "scenario.json") == 0) {
        run->has_scenario_file = true;
        const struct dd_json *ex = dd_json_get(doc.root, "expect");
        if (ex && ex->type == DD_JSON_ARRAY && ex->n) {
            run->expect_of = xcalloc(ex->n, sizeof *run->expect_of);
            run->expect_ids = xcalloc(ex->n, sizeof *run->expect_ids);
            run->n_expect_of = ex->n;
            for (size_t i = 0; i < ex->n; i++) {
                run->expect_of[i] = jstr(&ex->kids[i], "of");
                run->expect_ids[i] = jstr(&ex->kids[i], "id");
            }
        }
        dd_json_doc_free(&doc);
    }
    free(path);
}

/* The key parameters of an API call, in this order. */
static const char *const arg_keys[] = {"aftersale_id", "after_sale_id",
                                       "order_id",     "shop_order_id",
                                       "sku_order_id", "type",
                                       "page",         "logistics_code",
                                       "grant_type",   "is_refund_reject"};

static void api_args(const struct dd_json *params, struct dd_buf *b)
{
    if (!params || params->type != DD_JSON_OBJECT)
        return;
    for (size_t k = 0; k < sizeof arg_keys / sizeof arg_keys[0]; k++) {
        const struct dd_json *v = dd_json_get(params, arg_keys[k]);
        if (!v || v->type == DD_JSON_OBJECT || v->type == DD_JSON_ARRAY)
            continue;
        char *t = jtext(v, 80);
        dd_buf_printf(b, "%s%s %s", b->len ? " " : "", arg_keys[k], t);
        free(t);
    }
    const struct dd_json *items = dd_json_get(params, "items");
    if (items && items->type == DD_JSON_ARRAY && items->n) {
        dd_buf_printf(b, "%sitems", b->len ? " " : "");
        for (size_t i = 0; i < items->n && i < 5; i++) {
            const struct dd_json *id =
                dd_json_get(&items->kids[i], "aftersale_id");
            char *t = id ? jtext(id, 40) : xstrdup("?");
            dd_buf_printf(b, "%s%s", i ? "," : " ", t);
            free(t);
        }
        if (items->n > 5)
            dd_buf_puts(b, ",…");
    }
}

/* What "first difference" means for two signatures. */
static char *first_difference(const char *expected, const char *got)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    size_t i = 0;
    while (expected[i] && got[i] && expected[i] == got[i])
        i++;
    if (!expected[i] && !got[i])
        dd_buf_puts(&b, "none: the two are equal");
    else if (!got[i])
        dd_buf_printf(&b,
                      "at character %zu: the received sign ends there "
                      "(%zu characters, expected %zu)",
                      i + 1, strlen(got), strlen(expected));
    else if (!expected[i])
        dd_buf_printf(&b,
                      "at character %zu: the received sign goes on "
                      "(%zu characters, expected %zu)",
                      i + 1, strlen(got), strlen(expected));
    else
        dd_buf_printf(&b, "at character %zu: expected '%c', got '%c'", i + 1,
                      (unsigned char)expected[i] < 0x80 ? expected[i] : '?',
                      (unsigned char)got[i] < 0x80 ? got[i] : '?');
    return dd_buf_steal(&b);
}

static void entry_explain(struct rep_entry *e, const struct dd_json *x)
{
    if (!x || x->type != DD_JSON_OBJECT)
        return;
    e->explain = xcalloc(x->n + 1, sizeof *e->explain);
    for (size_t i = 0; i < x->n; i++) {
        e->explain[i].key = dup_cap(x->kids[i].key, x->kids[i].key_len, 80);
        e->explain[i].value = jtext(&x->kids[i], 4 * TEXT_CAP);
    }
    e->n_explain = x->n;
    const struct dd_json *exp = dd_json_get(x, "expected_sign");
    const struct dd_json *got = dd_json_get(x, "received_sign");
    if (exp && got && exp->type == DD_JSON_STRING &&
        got->type == DD_JSON_STRING) {
        e->explain[e->n_explain].key = xstrdup("first difference");
        e->explain[e->n_explain].value = first_difference(exp->text, got->text);
        e->n_explain++;
    }
}

/* The display parts of one journal entry. */
static void entry_texts(struct rep_entry *e, const struct dd_json *o)
{
    const struct dd_json *params = dd_json_get(o, "params");
    const struct dd_json *resp = dd_json_get(o, "response");
    struct dd_buf args, res;
    dd_buf_init(&args, 0);
    dd_buf_init(&res, 0);
    if (strcmp(e->kind, "api") == 0) {
        api_args(params, &args);
        const struct dd_json *items = dd_json_get(resp, "items");
        if (items && items->type == DD_JSON_ARRAY)
            dd_buf_printf(&res, "(%zu item%s)", items->n,
                          items->n == 1 ? "" : "s");
    } else if (strcmp(e->kind, "push") == 0) {
        const struct dd_json *tags = dd_json_get(resp, "tags");
        const struct dd_json *ids = dd_json_get(resp, "aftersale_ids");
        if (tags && tags->type == DD_JSON_ARRAY && tags->n) {
            char *t = jtext(tags, 80);
            dd_buf_printf(&args, "tags %s", t);
            free(t);
        } else if (params && params->type == DD_JSON_ARRAY && params->n) {
            char *t = jtext(dd_json_get(&params->kids[0], "tag"), 20);
            dd_buf_printf(&args, "tag %s", t);
            free(t);
        }
        if (ids && ids->type == DD_JSON_ARRAY && ids->n) {
            char *t = jtext(ids, 120);
            dd_buf_printf(&args, " aftersales %s", t);
            free(t);
        }
        e->forged = jbool(resp, "forged") == 1;
        if (e->forged)
            dd_buf_puts(&args, " (forged)");
        char *err = jstr(resp, "error");
        if (err && *err)
            dd_buf_printf(&res, "(%s)", err);
        free(err);
    } else if (strcmp(e->kind, "step") == 0) {
        e->step_id = jstr(params, "id");
        int64_t index = -1;
        jint(params, "index", &index);
        if (e->step_id)
            dd_buf_printf(&args, "step \"%s\"", e->step_id);
        else
            dd_buf_printf(&args, "step %lld", (long long)index);
        const struct dd_json *with = dd_json_get(params, "with");
        if (strcmp(e->method, "fault") == 0 && with) {
            char *t = jtext(with, 200);
            dd_buf_printf(&args, " armed %s", t);
            free(t);
        }
    } else if (strcmp(e->kind, "hook") == 0) {
        char *t = resp ? jtext(resp, 200) : xstrdup("");
        dd_buf_puts(&res, t);
        free(t);
    } else if (strcmp(e->kind, "erp") == 0) {
        int64_t pid;
        if (jint(params, "pid", &pid))
            dd_buf_printf(&args, "pid %lld", (long long)pid);
    }
    e->args = dd_buf_steal(&args);
    e->result = dd_buf_steal(&res);
}

static void load_entry(struct rep_entry *e, const struct dd_json *o)
{
    if (!jint(o, "seq", &e->seq))
        e->seq = -1;
    jint(o, "time_us", &e->time_us);
    e->kind = jstr0(o, "kind");
    e->method = jstr0(o, "method");
    e->verdict = jstr0(o, "verdict");
    if (!jint(o, "code", &e->code))
        e->code = 0;
    e->sub_code = jstr0(o, "sub_code");
    const struct dd_json *note = dd_json_get(o, "note");
    e->note = note && note->type == DD_JSON_STRING
                  ? dup_cap(note->text, note->len, TEXT_CAP)
                  : xstrdup("");
    entry_texts(e, o);
    entry_explain(e, dd_json_get(o, "explain"));
}

static void load_journal(struct rep_run *run, const char *folder,
                         struct dd_buf *problems)
{
    char *path = path_join(folder, "journal.jsonl", NULL);
    FILE *f = fopen(path, "rb");
    free(path);
    if (!f) {
        dd_buf_printf(problems, "journal.jsonl: %s\n",
                      errno == ENOENT ? "missing" : strerror(errno));
        return;
    }
    run->has_journal = true;
    size_t cap = 64, bad = 0, line_no = 0;
    run->entries = xcalloc(cap, sizeof *run->entries);
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t got;
    bool have_t0 = false;
    struct dd_json_limits lim = {0, JOURNAL_LINE_MAX};
    while ((got = getline(&line, &line_cap, f)) >= 0) {
        line_no++;
        size_t n = (size_t)got;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue;
        struct dd_json_doc doc = {0};
        struct dd_json_error je;
        const char *why = NULL;
        if (dd_json_parse(line, n, &lim, &doc, &je) != 0)
            why = je.msg;
        else if (doc.root->type != DD_JSON_OBJECT)
            why = "not a JSON object";
        else if (!dd_json_get(doc.root, "kind"))
            why = "no \"kind\"";
        if (why) {
            if (bad < BAD_LINES_NAMED)
                dd_buf_printf(problems, "journal.jsonl line %zu: %s\n", line_no,
                              why);
            bad++;
            dd_json_doc_free(&doc);
            continue;
        }
        if (run->n_entries == REP_MAX_ENTRIES) {
            dd_buf_printf(problems,
                          "journal.jsonl: only the first %d entries are "
                          "shown\n",
                          REP_MAX_ENTRIES);
            dd_json_doc_free(&doc);
            break;
        }
        if (run->n_entries == cap) {
            cap *= 2;
            run->entries = realloc(run->entries, cap * sizeof *run->entries);
            if (!run->entries)
                abort();
        }
        struct rep_entry *e = &run->entries[run->n_entries++];
        memset(e, 0, sizeof *e);
        load_entry(e, doc.root);
        if (!have_t0 && strcmp(e->kind, "run") == 0 &&
            strcmp(e->method, "run.start") == 0) {
            run->t0_us = e->time_us;
            have_t0 = true;
        }
        dd_json_doc_free(&doc);
    }
    free(line);
    fclose(f);
    if (bad > BAD_LINES_NAMED)
        dd_buf_printf(problems, "journal.jsonl: %zu broken lines in all\n",
                      bad);
    if (!have_t0 && run->n_entries)
        run->t0_us = run->entries[0].time_us;
}

static void load_hooks(struct rep_run *run, const char *folder,
                       struct dd_buf *problems)
{
    char *path = path_join(folder, "hooks.jsonl", NULL);
    size_t len = 0;
    char *text = read_whole(path, SMALL_FILE_MAX, &len);
    free(path);
    if (!text)
        return; /* a run without hook calls may have none */
    run->has_hooks_file = true;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    run->hooks = xcalloc(lines, sizeof *run->hooks);
    size_t line_no = 0;
    for (char *p = text; p < text + len;) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
        line_no++;
        struct dd_json_doc doc = {0};
        struct dd_json_error je;
        if (n && dd_json_parse(p, n, NULL, &doc, &je) == 0 &&
            doc.root->type == DD_JSON_OBJECT) {
            struct rep_hook *h = &run->hooks[run->n_hooks++];
            const struct dd_json *o = doc.root;
            if (!jint(o, "event_id", &h->event_id))
                h->event_id = 0;
            h->event = jstr(dd_json_get(o, "event"), "event");
            if (!h->event)
                h->event = xstrdup("?");
            h->ok = jbool(o, "ok") == 1;
            h->error = jstr(o, "error");
            const struct dd_json *reply = dd_json_get(o, "reply");
            h->reply = reply && reply->type != DD_JSON_NULL
                           ? jtext(reply, TEXT_CAP)
                           : NULL;
            const struct dd_json *se = dd_json_get(o, "stderr");
            h->stderr_text = se && se->type == DD_JSON_STRING
                                 ? dup_cap(se->text, se->len, 4 * TEXT_CAP)
                                 : xstrdup("");
            if (!jint(o, "ms", &h->ms))
                h->ms = 0;
        } else if (n) {
            dd_buf_printf(problems, "hooks.jsonl line %zu: not a JSON object\n",
                          line_no);
        }
        dd_json_doc_free(&doc);
        p += n + 1;
    }
    free(text);
}

/* Loads what exists of a run's folder. */
static void load_run_folder(const struct conf_report *r, struct rep_run *run,
                            struct dd_buf *problems)
{
    const char *rel = run->dir;
    if (!rel) {
        dd_buf_puts(problems, "no run folder (the scenario did not run)\n");
        return;
    }
    const char *name = rel + 5;
    if (strncmp(rel, "runs/", 5) != 0 || !*name || strchr(name, '/') ||
        strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        dd_buf_printf(problems,
                      "run folder \"%s\" is not runs/NAME: not read\n", rel);
        return;
    }
    char *folder = path_join(r->dir, rel, NULL);
    load_verdict(run, folder, problems);
    load_scenario(run, folder, problems);
    load_journal(run, folder, problems);
    load_hooks(run, folder, problems);
    char *log = path_join(folder, "erp.log", NULL);
    run->erp_log =
        read_tail(log, REP_LOG_TAIL, &run->erp_log_len, &run->erp_log_cut);
    run->has_erp_log = run->erp_log != NULL;
    free(log);
    free(folder);
}

/* The run folder's base name: from dir, else the scenario file's name
 * without ".json" (how the driver names a run that did not load). */
static char *run_name(const char *dir, const char *file, size_t index)
{
    if (dir && strrchr(dir, '/'))
        return xstrdup(strrchr(dir, '/') + 1);
    if (dir && *dir)
        return xstrdup(dir);
    if (file && *file) {
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        size_t n = strlen(base);
        if (n > 5 && strcmp(base + n - 5, ".json") == 0)
            n -= 5;
        return dup_cap(base, n, 200);
    }
    struct dd_buf b;
    dd_buf_init(&b, 0);
    dd_buf_printf(&b, "run-%zu", index + 1);
    return dd_buf_steal(&b);
}

static void load_run(struct conf_report *r, struct rep_run *run,
                     const struct dd_json *o, size_t index)
{
    const struct dd_json *id = dd_json_get(o, "id");
    run->has_id = id && dd_json_int64(id, &run->id) == 0;
    run->file = jstr0(o, "file");
    run->title = jstr(o, "title");
    if (!run->title)
        run->title = xstrdup(run->file);
    run->mode = jstr(o, "mode");
    run->verdict = jstr(o, "verdict");
    if (rep_verdict_index(run->verdict) < 0) {
        free(run->verdict);
        run->verdict = xstrdup("ERROR");
    }
    run->sentence = jstr0(o, "sentence");
    run->seconds = jnum(o, "seconds");
    if (isnan(run->seconds) || run->seconds < 0)
        run->seconds = 0;
    run->dir = jstr(o, "dir");
    run->name = run_name(run->dir, run->file, index);
    run->expected = jstr(o, "expected");
    run->outcome = jstr(o, "outcome");
    struct dd_buf problems;
    dd_buf_init(&problems, 0);
    load_run_folder(r, run, &problems);
    run->problems = dd_buf_steal(&problems);
}

static void load_counts(struct conf_report *r, const struct dd_json *c)
{
    bool have =
        c && c->type == DD_JSON_OBJECT && jint(c, "passed", &r->passed) &&
        jint(c, "failed", &r->failed) && jint(c, "skipped", &r->skipped);
    for (int v = 0; v < 6; v++)
        if (!have || !jint(c, rep_verdict_names[v], &r->by_verdict[v]))
            r->by_verdict[v] = 0;
    r->xfail = r->ratchet = 0;
    for (size_t i = 0; i < r->n_runs; i++) {
        const char *o = r->runs[i].outcome;
        r->xfail += o && strcmp(o, "xfail") == 0;
        r->ratchet += o && strcmp(o, "ratchet") == 0;
    }
    if (have)
        return;
    /* an older or cut summary: count here */
    r->passed = r->failed = r->skipped = 0;
    for (size_t i = 0; i < r->n_runs; i++) {
        const struct rep_run *run = &r->runs[i];
        int v = rep_verdict_index(run->verdict);
        r->by_verdict[v]++;
        if (v == 2)
            r->skipped++;
        else if (rep_run_failed(r, run))
            r->failed++;
        else
            r->passed++;
    }
}

struct conf_report *conf_report_load(const char *dir, char *err, size_t err_len)
{
    char *path = path_join(dir, "summary.json", NULL);
    size_t len = 0;
    char *text = read_whole(path, SMALL_FILE_MAX, &len);
    if (!text) {
        rep_set_err(err, err_len, "cannot read %s: %s", path,
                    errno == EFBIG ? "larger than 64 MiB" : strerror(errno));
        free(path);
        return NULL;
    }
    struct dd_json_doc doc = {0};
    struct dd_json_error je;
    struct dd_json_limits lim = {0, SMALL_FILE_MAX};
    int rc = dd_json_parse(text, len, &lim, &doc, &je);
    free(text);
    if (rc != 0) {
        rep_set_err(err, err_len, "%s:%u:%u: %s", path, je.pos.line, je.pos.col,
                    je.msg);
        free(path);
        return NULL;
    }
    const struct dd_json *root = doc.root;
    const struct dd_json *runs = dd_json_get(root, "runs");
    if (root->type != DD_JSON_OBJECT || !runs || runs->type != DD_JSON_ARRAY) {
        rep_set_err(err, err_len,
                    "%s: not a ddconform summary (no \"runs\" array)", path);
        dd_json_doc_free(&doc);
        free(path);
        return NULL;
    }
    free(path);
    struct conf_report *r = xcalloc(1, sizeof *r);
    r->dir = xstrdup(dir);
    if (!jint(root, "contract", &r->contract))
        r->contract = 0;
    r->erp = jstr0(root, "erp");
    r->hook = jstr(root, "hook");
    r->push = jbool(root, "push");
    r->strict = jbool(root, "strict");
    r->fail_on_skip = jbool(root, "fail_on_skip");
    r->has_time_scale = jint(root, "time_scale", &r->time_scale);
    r->stretch = jnum(root, "stretch");
    r->has_seed = jint(root, "seed", &r->seed);
    r->shard = jstr(root, "shard");
    const struct dd_json *filters = dd_json_get(root, "filters");
    if (filters && filters->type == DD_JSON_ARRAY) {
        r->has_filters = true;
        r->filters = xcalloc(filters->n, sizeof *r->filters);
        for (size_t i = 0; i < filters->n; i++)
            r->filters[r->n_filters++] = jtext(&filters->kids[i], 400);
    }
    r->expected_failures = jstr(root, "expected_failures");
    r->has_exit_status = jint(root, "exit_status", &r->exit_status);
    r->runs = xcalloc(runs->n, sizeof *r->runs);
    for (size_t i = 0; i < runs->n; i++) {
        if (runs->kids[i].type != DD_JSON_OBJECT)
            continue;
        load_run(r, &r->runs[r->n_runs], &runs->kids[i], r->n_runs);
        r->n_runs++;
    }
    load_counts(r, dd_json_get(root, "counts"));
    dd_json_doc_free(&doc);
    return r;
}

static void free_run(struct rep_run *run)
{
    free(run->title);
    free(run->file);
    free(run->mode);
    free(run->verdict);
    free(run->sentence);
    free(run->dir);
    free(run->name);
    free(run->expected);
    free(run->outcome);
    for (size_t i = 0; i < run->n_findings; i++) {
        free(run->findings[i].verdict);
        free(run->findings[i].rule);
        free(run->findings[i].sentence);
    }
    free(run->findings);
    for (size_t i = 0; i < run->n_expects; i++) {
        free(run->expects[i].id);
        free(run->expects[i].level);
        free(run->expects[i].kind);
    }
    free(run->expects);
    for (size_t i = 0; i < run->n_aftersales; i++) {
        free(run->aftersales[i].aftersale_id);
        free(run->aftersales[i].flow);
        free(run->aftersales[i].outcome);
        free(run->aftersales[i].via);
    }
    free(run->aftersales);
    for (size_t i = 0; i < run->n_expect_of; i++) {
        free(run->expect_of[i]);
        free(run->expect_ids[i]);
    }
    free(run->expect_of);
    free(run->expect_ids);
    for (size_t i = 0; i < run->n_entries; i++) {
        struct rep_entry *e = &run->entries[i];
        free(e->kind);
        free(e->method);
        free(e->verdict);
        free(e->sub_code);
        free(e->note);
        free(e->args);
        free(e->result);
        free(e->step_id);
        for (size_t k = 0; k < e->n_explain; k++) {
            free(e->explain[k].key);
            free(e->explain[k].value);
        }
        free(e->explain);
    }
    free(run->entries);
    for (size_t i = 0; i < run->n_hooks; i++) {
        free(run->hooks[i].event);
        free(run->hooks[i].error);
        free(run->hooks[i].reply);
        free(run->hooks[i].stderr_text);
    }
    free(run->hooks);
    free(run->erp_log);
    free(run->problems);
}

void conf_report_free(struct conf_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_runs; i++)
        free_run(&r->runs[i]);
    free(r->runs);
    for (size_t i = 0; i < r->n_filters; i++)
        free(r->filters[i]);
    free(r->filters);
    free(r->dir);
    free(r->erp);
    free(r->hook);
    free(r->shard);
    free(r->expected_failures);
    free(r);
}

/* ============================================================ shared */

bool rep_run_failed(const struct conf_report *r, const struct rep_run *run)
{
    if (run->outcome)
        return strcmp(run->outcome, "failed") == 0 ||
               strcmp(run->outcome, "ratchet") == 0;
    int v = rep_verdict_index(run->verdict);
    return v == 3 || v == 4 || v == 5 || (v == 1 && r->strict == 1);
}

void rep_run_label(const struct rep_run *run, struct dd_buf *out)
{
    if (run->has_id)
        dd_buf_printf(out, "%04lld %s", (long long)run->id, run->title);
    else
        dd_buf_puts(out, run->title);
}

void rep_secs(struct dd_buf *out, double s)
{
    dd_buf_printf(out, "%.3f", isnan(s) ? 0.0 : s);
}

int rep_write_file(const char *path, const char *data, size_t len, char *err,
                   size_t err_len)
{
    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
            rep_set_err(err, err_len, "cannot write stdout: %s",
                        strerror(errno));
            return -1;
        }
        return 0;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        rep_set_err(err, err_len, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    size_t wr = fwrite(data, 1, len, f);
    int e = errno;
    if (fclose(f) != 0 || wr != len) {
        rep_set_err(err, err_len, "cannot write %s: %s", path,
                    strerror(wr != len ? e : errno));
        return -1;
    }
    return 0;
}

/* ============================================================ metrics */

static const char *const known_flows[] = {"unshipped_refund", "return",
                                          "shipped_refund", "exchange"};

static int flow_rank(const char *flow)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(flow, known_flows[i]) == 0)
            return i;
    return 4;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_flow(const void *a, const void *b)
{
    const struct rep_flow *x = a, *y = b;
    int rx = flow_rank(x->flow), ry = flow_rank(y->flow);
    if (rx != ry)
        return rx - ry;
    return strcmp(x->flow, y->flow);
}

static struct rep_flow *find_flow(struct rep_metrics *m, const char *flow,
                                  size_t cap)
{
    for (size_t i = 0; i < m->n_flows; i++)
        if (strcmp(m->flows[i].flow, flow) == 0)
            return &m->flows[i];
    if (m->n_flows == cap)
        return NULL;
    struct rep_flow *f = &m->flows[m->n_flows++];
    f->flow = xstrdup(flow);
    f->values = NULL;
    f->n = 0;
    return f;
}

bool rep_metrics_compute(const struct conf_report *r, struct rep_metrics *m)
{
    memset(m, 0, sizeof *m);
    bool any = false;
    size_t total = 0;
    for (size_t i = 0; i < r->n_runs; i++) {
        any = any || r->runs[i].has_metrics;
        total += r->runs[i].n_aftersales;
    }
    m->flows = xcalloc(total, sizeof *m->flows);
    for (size_t i = 0; i < r->n_runs; i++) {
        const struct rep_run *run = &r->runs[i];
        int v = rep_verdict_index(run->verdict);
        if (!run->has_metrics || v == 2 || v == 4)
            continue; /* SKIP and ERROR runs are not judged */
        m->runs_with_metrics++;
        m->counted += run->counted;
        m->automatic += run->automatic;
        for (size_t k = 0; k < run->n_aftersales; k++) {
            const struct rep_aftersale *a = &run->aftersales[k];
            if (isnan(a->apply_to_refund_s))
                continue;
            struct rep_flow *f = find_flow(m, a->flow, total);
            if (!f)
                continue;
            f->values = realloc(f->values, (f->n + 1) * sizeof *f->values);
            if (!f->values)
                abort();
            f->values[f->n++] = a->apply_to_refund_s;
        }
    }
    for (size_t i = 0; i < m->n_flows; i++) {
        struct rep_flow *f = &m->flows[i];
        qsort(f->values, f->n, sizeof *f->values, cmp_double);
        f->median = f->n % 2
                        ? f->values[f->n / 2]
                        : (f->values[f->n / 2 - 1] + f->values[f->n / 2]) / 2;
        f->worst = f->values[f->n - 1];
    }
    qsort(m->flows, m->n_flows, sizeof *m->flows, cmp_flow);
    return any;
}

void rep_metrics_free(struct rep_metrics *m)
{
    for (size_t i = 0; i < m->n_flows; i++) {
        free(m->flows[i].flow);
        free(m->flows[i].values);
    }
    free(m->flows);
    memset(m, 0, sizeof *m);
}

void rep_metrics_lines(const struct conf_report *r, struct dd_buf *out)
{
    struct rep_metrics m;
    if (!rep_metrics_compute(r, &m)) {
        rep_metrics_free(&m);
        return;
    }
    if (m.counted > 0)
        dd_buf_printf(out,
                      "handled automatically: %lld of %lld after-sales "
                      "(%.1f%%)\n",
                      (long long)m.automatic, (long long)m.counted,
                      100.0 * (double)m.automatic / (double)m.counted);
    else
        dd_buf_puts(out, "handled automatically: n/a (no after-sale "
                         "counted in a judged run)\n");
    for (size_t i = 0; i < m.n_flows; i++) {
        const struct rep_flow *f = &m.flows[i];
        /* under a second, hundredths: a push-driven refund takes ms */
        dd_buf_printf(out,
                      "application \xe2\x86\x92 refund, %s: median %.*f s, "
                      "worst %.*f s (%zu refund%s)\n",
                      f->flow, f->median < 1 ? 2 : 1, f->median,
                      f->worst < 1 ? 2 : 1, f->worst, f->n,
                      f->n == 1 ? "" : "s");
    }
    if (m.n_flows == 0)
        dd_buf_puts(out, "application \xe2\x86\x92 refund: n/a (no refund "
                         "with a known application time)\n");
    rep_metrics_free(&m);
}

void conf_report_print_metrics(const struct conf_report *r, FILE *out)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    rep_metrics_lines(r, &b);
    if (b.len)
        fwrite(b.data, 1, b.len, out);
    dd_buf_free(&b);
}

/* ============================================================ terminal */

static const char *const lane_arrow_names[] = {"ERP", "mock", "buyer/logistics",
                                               "hook"};

/* Appends s with control characters other than \n and \t shown as
 * "\xNN" (an erp.log may hold terminal escapes). */
static void term_text(struct dd_buf *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            dd_buf_printf(b, "\\x%02X", c);
        else
            dd_buf_putc(b, (char)c);
    }
}

static void print_timeline(struct dd_buf *b, const struct rep_run *run)
{
    struct rep_rows rows;
    rep_rows_build(run, &rows);
    dd_buf_puts(b, "timeline (seconds after t0):\n");
    for (size_t i = 0; i < rows.n; i++) {
        const struct rep_row *w = &rows.rows[i];
        if (w->cls == ROW_GAP) {
            dd_buf_printf(b, "           %s\n", w->label);
            continue;
        }
        dd_buf_printf(b, "%s%+9.3f s  ", w->failing ? "!" : " ", w->t_s);
        if (w->cls == ROW_RUN || w->cls == ROW_FINDING)
            dd_buf_puts(b, "── ");
        else if (w->from == w->to)
            dd_buf_printf(b, "%s: ", lane_arrow_names[w->from]);
        else
            dd_buf_printf(b, "%s \xe2\x86\x92 %s  ", lane_arrow_names[w->from],
                          lane_arrow_names[w->to]);
        term_text(b, w->label, strlen(w->label));
        if (w->count > 1)
            dd_buf_printf(b, " \xc3\x97%zu, %+.1f s \xe2\x80\xa6 %+.1f s",
                          w->count, w->t_s, w->t2_s);
        if (*w->result) {
            dd_buf_puts(b, " \xe2\x86\x92 ");
            term_text(b, w->result, strlen(w->result));
        }
        dd_buf_putc(b, '\n');
        if (w->why) {
            for (const char *p = w->why; *p;) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                dd_buf_puts(b, "             !! ");
                term_text(b, p, n);
                dd_buf_putc(b, '\n');
                p += n + (nl ? 1 : 0);
            }
        }
        const struct rep_entry *e = w->entry;
        for (size_t k = 0; e && k < e->n_explain; k++) {
            dd_buf_printf(b, "               %s: ", e->explain[k].key);
            term_text(b, e->explain[k].value, strlen(e->explain[k].value));
            dd_buf_putc(b, '\n');
        }
    }
    if (rows.n == 0)
        dd_buf_puts(b, "  (no journal)\n");
    rep_rows_free(&rows);
}

int conf_report_print_run(const struct conf_report *r, size_t index, FILE *out)
{
    if (index >= r->n_runs)
        return -1;
    const struct rep_run *run = &r->runs[index];
    struct dd_buf b;
    dd_buf_init(&b, 0);
    rep_run_label(run, &b);
    dd_buf_printf(&b, "%s%s%s\n", run->mode ? " (" : "",
                  run->mode ? run->mode : "", run->mode ? ")" : "");
    dd_buf_printf(&b, "file: %s\nfolder: %s/%s\n", run->file, r->dir,
                  run->dir ? run->dir : "(none)");
    dd_buf_printf(&b, "verdict: %s (%.1f s)\n  %s\n", run->verdict,
                  run->seconds, run->sentence);
    if (run->outcome)
        dd_buf_printf(&b, "outcome: %s%s%s\n", run->outcome,
                      run->expected ? ", listed as " : "",
                      run->expected ? run->expected : "");
    if (run->n_findings) {
        dd_buf_puts(&b, "findings:\n");
        for (size_t i = 0; i < run->n_findings; i++) {
            const struct rep_finding *f = &run->findings[i];
            dd_buf_printf(&b, "  %-13s %s", f->verdict, f->rule);
            if (!isnan(f->at_s))
                dd_buf_printf(&b, " at %.3f s", f->at_s);
            dd_buf_printf(&b, ": %s\n", f->sentence);
        }
    }
    if (run->n_expects) {
        dd_buf_puts(&b, "expectations:\n");
        for (size_t i = 0; i < run->n_expects; i++) {
            const struct rep_expect *e = &run->expects[i];
            dd_buf_printf(&b, "  %lld %s %s %s: %s, count %lld",
                          (long long)e->index, e->id ? e->id : "-", e->level,
                          e->kind, e->met ? "met" : "NOT MET",
                          (long long)e->count);
            if (!isnan(e->first_s))
                dd_buf_printf(&b, ", first at %.3f s", e->first_s);
            dd_buf_putc(&b, '\n');
        }
    }
    if (run->has_metrics) {
        dd_buf_printf(&b,
                      "metrics: %lld of %lld after-sales handled "
                      "automatically\n",
                      (long long)run->automatic, (long long)run->counted);
        for (size_t i = 0; i < run->n_aftersales; i++) {
            const struct rep_aftersale *a = &run->aftersales[i];
            dd_buf_printf(&b, "  %s %s: %s", a->aftersale_id, a->flow,
                          a->outcome);
            if (!isnan(a->apply_to_refund_s))
                dd_buf_printf(&b, ", application \xe2\x86\x92 refund %.1f s",
                              a->apply_to_refund_s);
            dd_buf_putc(&b, '\n');
        }
    }
    if (*run->problems) {
        dd_buf_puts(&b, "report folder problems:\n");
        term_text(&b, run->problems, strlen(run->problems));
    }
    print_timeline(&b, run);
    if (run->n_hooks) {
        dd_buf_puts(&b, "hook calls:\n");
        for (size_t i = 0; i < run->n_hooks; i++) {
            const struct rep_hook *h = &run->hooks[i];
            dd_buf_printf(&b, "  event %lld %s (%lld ms): %s",
                          (long long)h->event_id, h->event, (long long)h->ms,
                          h->ok ? "ok" : "failed");
            if (h->error)
                dd_buf_printf(&b, ", %s", h->error);
            if (h->reply)
                dd_buf_printf(&b, ", reply %s", h->reply);
            dd_buf_putc(&b, '\n');
            if (*h->stderr_text) {
                dd_buf_puts(&b, "    stderr: ");
                term_text(&b, h->stderr_text, strlen(h->stderr_text));
                if (b.data[b.len - 1] != '\n')
                    dd_buf_putc(&b, '\n');
            }
        }
    }
    if (run->has_erp_log) {
        dd_buf_printf(&b, "erp.log%s:\n",
                      run->erp_log_cut ? " (its last 64 KiB)" : "");
        term_text(&b, run->erp_log, run->erp_log_len);
        if (run->erp_log_len && run->erp_log[run->erp_log_len - 1] != '\n')
            dd_buf_putc(&b, '\n');
    }
    fwrite(b.data, 1, b.len, out);
    dd_buf_free(&b);
    return 0;
}
