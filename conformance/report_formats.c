/*
 * report_formats.c: the machine-readable reports of a loaded report folder
 * (report.h): JUnit XML, JSON (schema_version 1) and TAP version 14.
 * conformance/REPORTS.md documents each mapping. Loading and the terminal
 * printers are report.c, the HTML page report_html.c.
 *
 * Every string from the folder is escaped for its format: XML 1.0 has no
 * way to carry most control characters, so they become the text "\xNN";
 * TAP descriptions escape '#' and '\\'; YAML diagnostics and JSON use
 * JSON string syntax.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_buf.h"
#include "dd_json.h"
#include "dd_jw.h"
#include "report.h"
#include "report_int.h"

/* ============================================================ JUnit */

/* Appends s as XML 1.0 character data or attribute text: & < > " '
 * escaped, tab/newline/carriage return kept (as &#10; etc. in attributes),
 * other control characters and U+FFFE/U+FFFF (not allowed in XML 1.0) as
 * the text "\xNN", invalid UTF-8 as U+FFFD. */
static void xml_escape(struct dd_buf *b, const char *s, size_t len, bool attr)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            switch (c) {
            case '&':
                dd_buf_puts(b, "&amp;");
                break;
            case '<':
                dd_buf_puts(b, "&lt;");
                break;
            case '>':
                dd_buf_puts(b, "&gt;");
                break;
            case '"':
                dd_buf_puts(b, "&quot;");
                break;
            case '\'':
                dd_buf_puts(b, "&apos;");
                break;
            case '\t':
            case '\n':
            case '\r':
                if (attr)
                    dd_buf_printf(b, "&#%d;", c);
                else
                    dd_buf_putc(b, (char)c);
                break;
            default:
                if (c < 0x20 || c == 0x7f)
                    dd_buf_printf(b, "\\x%02X", c);
                else
                    dd_buf_putc(b, (char)c);
            }
            i++;
            continue;
        }
        size_t n = dd_utf8_seq_len(s + i, len - i);
        if (n == 0) {
            dd_buf_puts(b, "\xef\xbf\xbd");
            i++;
            continue;
        }
        /* U+FFFE and U+FFFF: EF BF BE, EF BF BF */
        if (n == 3 && c == 0xEF && (unsigned char)s[i + 1] == 0xBF &&
            ((unsigned char)s[i + 2] == 0xBE ||
             (unsigned char)s[i + 2] == 0xBF))
            dd_buf_puts(b, "\xef\xbf\xbd");
        else
            dd_buf_append(b, s + i, n);
        i += n;
    }
}

static void xml_s(struct dd_buf *b, const char *s, bool attr)
{
    xml_escape(b, s ? s : "", s ? strlen(s) : 0, attr);
}

static void junit_property(struct dd_buf *b, const char *name, const char *v)
{
    dd_buf_printf(b, "      <property name=\"%s\" value=\"", name);
    xml_s(b, v, true);
    dd_buf_puts(b, "\"/>\n");
}

/* The text of a failure element: the findings, one per line. */
static void junit_findings(struct dd_buf *b, const struct rep_run *run)
{
    for (size_t i = 0; i < run->n_findings; i++) {
        const struct rep_finding *f = &run->findings[i];
        struct dd_buf line;
        dd_buf_init(&line, 0);
        dd_buf_printf(&line, "%s %s", f->verdict, f->rule);
        if (!isnan(f->at_s))
            dd_buf_printf(&line, " at %.3f s", f->at_s);
        dd_buf_printf(&line, ": %s\n", f->sentence);
        xml_escape(b, line.data, line.len, false);
        dd_buf_free(&line);
    }
    if (*run->problems) {
        xml_s(b, "report: ", false);
        xml_s(b, run->problems, false);
    }
}

static void junit_case(struct dd_buf *b, const struct conf_report *r,
                       const struct rep_run *run, size_t *fails, size_t *errors,
                       size_t *skips)
{
    struct dd_buf label;
    dd_buf_init(&label, 0);
    rep_run_label(run, &label);
    dd_buf_puts(b, "    <testcase classname=\"ddconform");
    if (run->mode) {
        dd_buf_putc(b, '.');
        xml_s(b, run->mode, true);
    }
    dd_buf_puts(b, "\" name=\"");
    xml_s(b, label.data, true);
    dd_buf_printf(b, "\" time=\"%.3f\" file=\"", run->seconds);
    xml_s(b, run->file, true);
    dd_buf_puts(b, "\">\n");
    dd_buf_free(&label);

    int v = rep_verdict_index(run->verdict);
    bool ratchet = run->outcome && strcmp(run->outcome, "ratchet") == 0;
    bool xfail = run->outcome && strcmp(run->outcome, "xfail") == 0;
    struct dd_buf out;
    dd_buf_init(&out, 0);
    if (ratchet) {
        (*fails)++;
        dd_buf_puts(b, "      <failure type=\"ratchet\" message=\"");
        struct dd_buf m;
        dd_buf_init(&m, 0);
        dd_buf_printf(&m,
                      "listed in the expected failures as %s but the run "
                      "is %s: remove it from the list",
                      run->expected ? run->expected : "failing", run->verdict);
        xml_s(b, m.data, true);
        dd_buf_puts(b, "\">");
        xml_s(b, m.data, false);
        dd_buf_puts(b, "</failure>\n");
        dd_buf_free(&m);
    } else if (xfail) {
        dd_buf_printf(&out, "expected failure (listed as %s): %s %s\n\n",
                      run->expected ? run->expected : run->verdict,
                      run->verdict, run->sentence);
    } else if (v == 2) {
        (*skips)++;
        dd_buf_puts(b, "      <skipped message=\"");
        xml_s(b, run->sentence, true);
        dd_buf_puts(b, "\"/>\n");
    } else if (v == 4 || v == 3 || v == 5 || (v == 1 && r->strict == 1)) {
        const char *el = v == 4 ? "error" : "failure";
        if (v == 4)
            (*errors)++;
        else
            (*fails)++;
        dd_buf_printf(b, "      <%s type=\"%s\" message=\"", el, run->verdict);
        xml_s(b, run->sentence, true);
        dd_buf_puts(b, "\">");
        xml_s(b, run->sentence, false);
        dd_buf_puts(b, "\n");
        junit_findings(b, run);
        dd_buf_printf(b, "</%s>\n", el);
    } else if (v == 1) {
        dd_buf_printf(&out, "WARN: %s\n\n", run->sentence);
    }
    if (run->has_erp_log || out.len) {
        dd_buf_puts(b, "      <system-out>");
        xml_escape(b, out.data ? out.data : "", out.len, false);
        if (run->erp_log_cut)
            xml_s(b, "[… erp.log: only its last 64 KiB]\n", false);
        if (run->has_erp_log)
            xml_escape(b, run->erp_log, run->erp_log_len, false);
        dd_buf_puts(b, "</system-out>\n");
    }
    dd_buf_free(&out);
    dd_buf_puts(b, "    </testcase>\n");
}

int conf_report_write_junit(const struct conf_report *r, const char *path,
                            char *err, size_t err_len)
{
    struct dd_buf cases, b;
    dd_buf_init(&cases, 0);
    dd_buf_init(&b, 0);
    size_t fails = 0, errors = 0, skips = 0;
    double total = 0;
    for (size_t i = 0; i < r->n_runs; i++) {
        junit_case(&cases, r, &r->runs[i], &fails, &errors, &skips);
        total += r->runs[i].seconds;
    }
    dd_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    dd_buf_printf(&b,
                  "<testsuites name=\"ddconform\" tests=\"%zu\" "
                  "failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
                  "time=\"%.3f\">\n",
                  r->n_runs, fails, errors, skips, total);
    dd_buf_printf(&b,
                  "  <testsuite name=\"ddconform\" tests=\"%zu\" "
                  "failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
                  "time=\"%.3f\">\n",
                  r->n_runs, fails, errors, skips, total);
    dd_buf_puts(&b, "    <properties>\n");
    junit_property(&b, "erp", r->erp);
    junit_property(&b, "hook", r->hook ? r->hook : "");
    junit_property(&b, "push", r->push == 1 ? "true" : "false");
    junit_property(&b, "strict", r->strict == 1 ? "true" : "false");
    char num[64];
    if (r->has_seed) {
        snprintf(num, sizeof num, "%lld", (long long)r->seed);
        junit_property(&b, "seed", num);
    }
    if (r->has_exit_status) {
        snprintf(num, sizeof num, "%lld", (long long)r->exit_status);
        junit_property(&b, "exit_status", num);
    }
    /* the seed's metrics, one property per line of conf_report_print_metrics */
    struct dd_buf metrics;
    dd_buf_init(&metrics, 0);
    rep_metrics_lines(r, &metrics);
    for (const char *p = metrics.data; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, n);
        if (!line)
            abort();
        junit_property(&b, "metric", line);
        free(line);
        p += n + (nl ? 1 : 0);
    }
    dd_buf_free(&metrics);
    dd_buf_puts(&b, "    </properties>\n");
    dd_buf_append(&b, cases.data ? cases.data : "", cases.len);
    dd_buf_puts(&b, "  </testsuite>\n</testsuites>\n");
    dd_buf_free(&cases);
    int rc = rep_write_file(path, b.data, b.len, err, err_len);
    dd_buf_free(&b);
    return rc;
}

/* ============================================================ JSON */

static void jw_num(struct dd_jw *w, const char *key, double v)
{
    dd_jw_key(w, key);
    if (isnan(v)) {
        dd_jw_null(w);
        return;
    }
    char num[64];
    dd_jw_raw(w, num, (size_t)snprintf(num, sizeof num, "%.3f", v));
}

static void jw_str_or_null(struct dd_jw *w, const char *key, const char *s)
{
    dd_jw_key(w, key);
    if (s)
        dd_jw_str(w, s);
    else
        dd_jw_null(w);
}

static void jw_bool3(struct dd_jw *w, const char *key, int v)
{
    dd_jw_key(w, key);
    if (v < 0)
        dd_jw_null(w);
    else
        dd_jw_bool(w, v == 1);
}

/* The run folder's files that exist, relative to the report folder. */
static void json_files(struct dd_jw *w, const struct rep_run *run)
{
    struct {
        const char *key, *file;
        bool have;
    } files[] = {
        {"scenario", "scenario.json", run->has_scenario_file},
        {"journal", "journal.jsonl", run->has_journal},
        {"verdict", "verdict.json", run->has_verdict_file},
        {"erp_log", "erp.log", run->has_erp_log},
        {"hooks", "hooks.jsonl", run->has_hooks_file},
    };
    dd_jw_key(w, "files");
    dd_jw_object_begin(w);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        dd_jw_key(w, files[i].key);
        if (files[i].have && run->dir) {
            struct dd_buf p;
            dd_buf_init(&p, 0);
            dd_buf_printf(&p, "%s/%s", run->dir, files[i].file);
            dd_jw_str(w, p.data);
            dd_buf_free(&p);
        } else {
            dd_jw_null(w);
        }
    }
    dd_jw_object_end(w);
}

static void json_run_metrics(struct dd_jw *w, const struct rep_run *run)
{
    dd_jw_key(w, "metrics");
    if (!run->has_metrics) {
        dd_jw_null(w);
        return;
    }
    dd_jw_object_begin(w);
    dd_jw_kint(w, "counted", run->counted);
    dd_jw_kint(w, "automatic", run->automatic);
    dd_jw_key(w, "aftersales");
    dd_jw_array_begin(w);
    for (size_t i = 0; i < run->n_aftersales; i++) {
        const struct rep_aftersale *a = &run->aftersales[i];
        dd_jw_object_begin(w);
        dd_jw_kstr(w, "aftersale_id", a->aftersale_id);
        dd_jw_kstr(w, "flow", a->flow);
        dd_jw_kstr(w, "outcome", a->outcome);
        jw_str_or_null(w, "via", a->via);
        jw_bool3(w, "automatic", a->automatic);
        jw_num(w, "apply_s", a->apply_s);
        jw_num(w, "refund_s", a->refund_s);
        jw_num(w, "apply_to_refund_s", a->apply_to_refund_s);
        dd_jw_object_end(w);
    }
    dd_jw_array_end(w);
    dd_jw_object_end(w);
}

static void json_run(struct dd_jw *w, const struct rep_run *run)
{
    dd_jw_object_begin(w);
    dd_jw_kstr(w, "name", run->name);
    dd_jw_key(w, "id");
    if (run->has_id)
        dd_jw_int(w, run->id);
    else
        dd_jw_null(w);
    dd_jw_kstr(w, "title", run->title);
    dd_jw_kstr(w, "file", run->file);
    jw_str_or_null(w, "mode", run->mode);
    dd_jw_kstr(w, "verdict", run->verdict);
    dd_jw_kstr(w, "sentence", run->sentence);
    jw_str_or_null(w, "expected", run->expected);
    jw_str_or_null(w, "outcome", run->outcome);
    jw_num(w, "seconds", run->seconds);
    jw_str_or_null(w, "dir", run->dir);
    dd_jw_key(w, "findings");
    dd_jw_array_begin(w);
    for (size_t i = 0; i < run->n_findings; i++) {
        const struct rep_finding *f = &run->findings[i];
        dd_jw_object_begin(w);
        dd_jw_kstr(w, "verdict", f->verdict);
        dd_jw_kstr(w, "rule", f->rule);
        jw_num(w, "at_s", f->at_s);
        dd_jw_kstr(w, "sentence", f->sentence);
        dd_jw_object_end(w);
    }
    dd_jw_array_end(w);
    dd_jw_key(w, "expects");
    dd_jw_array_begin(w);
    for (size_t i = 0; i < run->n_expects; i++) {
        const struct rep_expect *e = &run->expects[i];
        dd_jw_object_begin(w);
        dd_jw_kint(w, "index", e->index);
        jw_str_or_null(w, "id", e->id);
        dd_jw_kstr(w, "level", e->level);
        dd_jw_kstr(w, "kind", e->kind);
        dd_jw_kbool(w, "met", e->met);
        dd_jw_kint(w, "count", e->count);
        jw_num(w, "first_s", e->first_s);
        dd_jw_object_end(w);
    }
    dd_jw_array_end(w);
    json_run_metrics(w, run);
    json_files(w, run);
    dd_jw_kint(w, "journal_entries", (int64_t)run->n_entries);
    dd_jw_key(w, "problems");
    dd_jw_array_begin(w);
    for (const char *p = run->problems; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        dd_jw_strn(w, p, n);
        p += n + (nl ? 1 : 0);
    }
    dd_jw_array_end(w);
    dd_jw_object_end(w);
}

static void json_metrics(struct dd_jw *w, const struct conf_report *r)
{
    struct rep_metrics m;
    dd_jw_key(w, "metrics");
    if (!rep_metrics_compute(r, &m)) {
        rep_metrics_free(&m);
        dd_jw_null(w);
        return;
    }
    dd_jw_object_begin(w);
    dd_jw_kint(w, "runs", (int64_t)m.runs_with_metrics);
    dd_jw_kint(w, "counted", m.counted);
    dd_jw_kint(w, "automatic", m.automatic);
    jw_num(w, "share",
           m.counted > 0 ? (double)m.automatic / (double)m.counted : NAN);
    dd_jw_key(w, "flows");
    dd_jw_array_begin(w);
    for (size_t i = 0; i < m.n_flows; i++) {
        dd_jw_object_begin(w);
        dd_jw_kstr(w, "flow", m.flows[i].flow);
        dd_jw_kint(w, "refunds", (int64_t)m.flows[i].n);
        jw_num(w, "median_s", m.flows[i].median);
        jw_num(w, "worst_s", m.flows[i].worst);
        dd_jw_object_end(w);
    }
    dd_jw_array_end(w);
    dd_jw_object_end(w);
    rep_metrics_free(&m);
}

int conf_report_write_json(const struct conf_report *r, const char *path,
                           char *err, size_t err_len)
{
    struct dd_buf b;
    dd_buf_init(&b, (size_t)256 << 20);
    struct dd_jw w;
    dd_jw_init(&w, &b);
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "schema_version", 1);
    dd_jw_key(&w, "invocation");
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "contract", r->contract);
    dd_jw_kstr(&w, "erp", r->erp);
    jw_str_or_null(&w, "hook", r->hook);
    jw_bool3(&w, "push", r->push);
    jw_bool3(&w, "strict", r->strict);
    jw_bool3(&w, "fail_on_skip", r->fail_on_skip);
    dd_jw_key(&w, "time_scale");
    if (r->has_time_scale)
        dd_jw_int(&w, r->time_scale);
    else
        dd_jw_null(&w);
    jw_num(&w, "stretch", r->stretch);
    dd_jw_key(&w, "seed");
    if (r->has_seed)
        dd_jw_int(&w, r->seed);
    else
        dd_jw_null(&w);
    jw_str_or_null(&w, "shard", r->shard);
    dd_jw_key(&w, "filters");
    dd_jw_array_begin(&w);
    for (size_t i = 0; i < r->n_filters; i++)
        dd_jw_str(&w, r->filters[i]);
    dd_jw_array_end(&w);
    jw_str_or_null(&w, "expected_failures", r->expected_failures);
    dd_jw_object_end(&w);
    dd_jw_key(&w, "counts");
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "runs", (int64_t)r->n_runs);
    dd_jw_kint(&w, "passed", r->passed);
    dd_jw_kint(&w, "failed", r->failed);
    dd_jw_kint(&w, "skipped", r->skipped);
    for (int v = 0; v < 6; v++)
        dd_jw_kint(&w, rep_verdict_names[v], r->by_verdict[v]);
    dd_jw_kint(&w, "xfail", r->xfail);
    dd_jw_kint(&w, "ratchet", r->ratchet);
    dd_jw_object_end(&w);
    dd_jw_key(&w, "exit_status");
    if (r->has_exit_status)
        dd_jw_int(&w, r->exit_status);
    else
        dd_jw_null(&w);
    json_metrics(&w, r);
    dd_jw_key(&w, "runs");
    dd_jw_array_begin(&w);
    for (size_t i = 0; i < r->n_runs; i++)
        json_run(&w, &r->runs[i]);
    dd_jw_array_end(&w);
    dd_jw_object_end(&w);
    dd_buf_putc(&b, '\n');
    int rc;
    if (dd_jw_error(&w) != 0) {
        rep_set_err(err, err_len, "%s: the JSON report is too large", path);
        rc = -1;
    } else {
        rc = rep_write_file(path, b.data, b.len, err, err_len);
    }
    dd_buf_free(&b);
    return rc;
}

/* ============================================================ TAP */

/* A YAML double-quoted scalar (JSON string syntax, which YAML accepts). */
static void yaml_str(struct dd_buf *b, const char *s)
{
    struct dd_buf t;
    dd_buf_init(&t, 0);
    size_t n = strlen(s);
    /* the strings come from JSON files: valid UTF-8; be safe anyway */
    for (size_t i = 0; i < n;) {
        size_t k = dd_utf8_seq_len(s + i, n - i);
        if (k == 0) {
            dd_buf_puts(&t, "\xef\xbf\xbd");
            i++;
        } else {
            dd_buf_append(&t, s + i, k);
            i += k;
        }
    }
    dd_json_write_string(b, t.data ? t.data : "", t.len, DD_ESCAPE_PLAIN);
    dd_buf_free(&t);
}

/* A TAP description: one line, '#' and '\' escaped (TAP 14). */
static void tap_desc(struct dd_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '#' || *s == '\\')
            dd_buf_putc(b, '\\');
        dd_buf_putc(b, *s == '\n' || *s == '\r' ? ' ' : *s);
    }
}

static void tap_run(struct dd_buf *b, const struct conf_report *r,
                    const struct rep_run *run, size_t number)
{
    bool failed = rep_run_failed(r, run);
    int v = rep_verdict_index(run->verdict);
    bool xfail = run->outcome && strcmp(run->outcome, "xfail") == 0;
    struct dd_buf label;
    dd_buf_init(&label, 0);
    rep_run_label(run, &label);
    dd_buf_printf(b, "%s %zu - ", failed || xfail ? "not ok" : "ok", number);
    tap_desc(b, label.data);
    if (run->mode)
        dd_buf_printf(b, " (%s)", run->mode);
    dd_buf_free(&label);
    if (xfail) {
        dd_buf_puts(b, " # TODO expected failure: ");
        tap_desc(b, run->sentence);
    } else if (v == 2) {
        dd_buf_puts(b, " # SKIP ");
        tap_desc(b, run->sentence);
    }
    dd_buf_puts(b, "\n  ---\n  verdict: ");
    dd_buf_puts(b, run->verdict);
    dd_buf_puts(b, "\n  sentence: ");
    yaml_str(b, run->sentence);
    if (run->outcome) {
        dd_buf_puts(b, "\n  outcome: ");
        yaml_str(b, run->outcome);
    }
    if (run->expected) {
        dd_buf_puts(b, "\n  expected: ");
        yaml_str(b, run->expected);
    }
    dd_buf_printf(b, "\n  seconds: %.3f\n  file: ", run->seconds);
    yaml_str(b, run->file);
    if (run->dir) {
        dd_buf_puts(b, "\n  dir: ");
        yaml_str(b, run->dir);
    }
    dd_buf_putc(b, '\n');
    if (run->n_findings) {
        dd_buf_puts(b, "  findings:\n");
        for (size_t i = 0; i < run->n_findings; i++) {
            const struct rep_finding *f = &run->findings[i];
            dd_buf_puts(b, "    - verdict: ");
            yaml_str(b, f->verdict);
            dd_buf_puts(b, "\n      rule: ");
            yaml_str(b, f->rule);
            if (isnan(f->at_s))
                dd_buf_puts(b, "\n      at_s: null");
            else
                dd_buf_printf(b, "\n      at_s: %.3f", f->at_s);
            dd_buf_puts(b, "\n      sentence: ");
            yaml_str(b, f->sentence);
            dd_buf_putc(b, '\n');
        }
    }
    dd_buf_puts(b, "  ...\n");
}

int conf_report_write_tap(const struct conf_report *r, FILE *out)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    dd_buf_printf(&b, "TAP version 14\n1..%zu\n", r->n_runs);
    for (size_t i = 0; i < r->n_runs; i++)
        tap_run(&b, r, &r->runs[i], i + 1);
    struct dd_buf metrics;
    dd_buf_init(&metrics, 0);
    rep_metrics_lines(r, &metrics);
    for (const char *p = metrics.data; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        dd_buf_printf(&b, "# %.*s\n", (int)n, p);
        p += n + (nl ? 1 : 0);
    }
    dd_buf_free(&metrics);
    dd_buf_printf(&b, "# %lld passed, %lld failed, %lld skipped\n",
                  (long long)r->passed, (long long)r->failed,
                  (long long)r->skipped);
    int rc =
        fwrite(b.data, 1, b.len, out) == b.len && fflush(out) == 0 ? 0 : -1;
    dd_buf_free(&b);
    return rc;
}
