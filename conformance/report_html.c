/*
 * report_html.c: the HTML report (conf_report_write_html in report.h), one
 * self-contained page: inline CSS, no script, no image, no font, no link
 * to anything outside the page, so it works offline and as a CI artifact.
 *
 * The page: a header with the invocation, the counts, the exit status and
 * the metrics; the overview table (DOM contract of conformance/REPORTS.md:
 * <table id="overview">, one <tr class="run" data-run="NAME"
 * data-verdict="VERDICT"> per run); then per run a
 * <section class="run-detail" id="run-NAME" data-verdict="VERDICT"> with
 * the verdict, the sentence, the findings, the expectations, the run's
 * metrics, its timeline as a sequence diagram (a CSS grid: a time column
 * and four lifelines, ERP | mock | buyer/logistics | hook; rows from
 * report_timeline.c; failing rows have class "failing" and their finding
 * beside them; a rejected signature's explain object in a block under its
 * call), the hook calls and the ERP's output.
 *
 * Everything that comes from the report folder is HTML-escaped
 * (rep_html_escape): scenario titles, sentences, journal data and the
 * ERP's output are untrusted text. "://" in them is written with ':' as a
 * character reference, so no URL of the data looks like a reference to
 * outside the page.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "dd_buf.h"
#include "dd_json.h"
#include "report_int.h"

void rep_html_escape(struct dd_buf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            switch (c) {
            case '&':
                dd_buf_puts(out, "&amp;");
                break;
            case '<':
                dd_buf_puts(out, "&lt;");
                break;
            case '>':
                dd_buf_puts(out, "&gt;");
                break;
            case '"':
                dd_buf_puts(out, "&quot;");
                break;
            case '\'':
                dd_buf_puts(out, "&#39;");
                break;
            case ':':
                if (i + 2 < len && s[i + 1] == '/' && s[i + 2] == '/')
                    dd_buf_puts(out, "&#58;");
                else
                    dd_buf_putc(out, ':');
                break;
            default:
                if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
                    c == 0x7f)
                    dd_buf_printf(out, "\\x%02X", c);
                else
                    dd_buf_putc(out, (char)c);
            }
            i++;
            continue;
        }
        size_t n = dd_utf8_seq_len(s + i, len - i);
        if (n == 0) {
            dd_buf_puts(out, "\xef\xbf\xbd");
            i++;
        } else {
            dd_buf_append(out, s + i, n);
            i += n;
        }
    }
}

static void h(struct dd_buf *b, const char *s)
{
    if (s)
        rep_html_escape(b, s, strlen(s));
}

static const char page_css[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;"
    "margin:1.5em;color:#1f2328;background:#fff}"
    "h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.25em}h3{font-size:1.05em;"
    "margin:1em 0 .3em}"
    "code,pre,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;"
    "font-size:12px}"
    "pre{background:#f6f8fa;padding:.6em;overflow:auto;max-height:40em;"
    "white-space:pre-wrap;overflow-wrap:anywhere}"
    "dl.inv{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;"
    "margin:.5em 0}dl.inv dt{font-weight:600}dl.inv dd{margin:0;"
    "overflow-wrap:anywhere}"
    ".counts{font-size:1.1em;font-weight:600}"
    "table{border-collapse:collapse;margin:.4em 0}"
    "th,td{border:1px solid #d0d7de;padding:.25em .5em;text-align:left;"
    "vertical-align:top}"
    "#overview tr.run td.verdict{font-weight:700}"
    ".v-PASS{--v:#1a7f37;--bg:#dafbe1}.v-WARN{--v:#9a6700;--bg:#fff8c5}"
    ".v-SKIP{--v:#57606a;--bg:#eaeef2}.v-FAIL{--v:#cf222e;--bg:#ffebe9}"
    ".v-ERROR{--v:#8250df;--bg:#fbefff}"
    ".v-FUNDS_AT_RISK{--v:#fff;--bg:#82071e}"
    "#overview tr.run{background:var(--bg)}"
    "#overview tr.run td.verdict{color:var(--v)}"
    "#overview tr.run.v-FUNDS_AT_RISK,#overview tr.run.v-FUNDS_AT_RISK a"
    "{color:#fff}"
    ".badge{display:inline-block;padding:0 .5em;border-radius:.3em;"
    "background:var(--bg);color:var(--v);font-weight:700;"
    "border:1px solid var(--v)}"
    "section.run-detail{border-top:3px solid #d0d7de;margin-top:2em;"
    "padding-top:.5em}"
    ".sentence{font-size:1.05em}"
    "ul.findings li{margin:.2em 0}"
    ".problems{color:#8250df}"
    /* the sequence diagram */
    ".seq{border:1px solid #d0d7de;font-size:12px}"
    ".seq .r{display:grid;grid-template-columns:6.5em repeat(8,minmax(0,1fr));"
    "min-height:1.9em}"
    ".seq .hd{position:sticky;top:0;background:#f6f8fa;z-index:2;"
    "font-weight:700;border-bottom:1px solid #d0d7de}"
    ".seq .hd div{text-align:center;padding:.2em}"
    ".seq .t{grid-column:1;grid-row:1;text-align:right;padding:.2em .5em 0 0;"
    "color:#57606a;font-family:ui-monospace,Menlo,Consolas,monospace}"
    ".seq .ll{grid-row:1/span 3;background:linear-gradient(#8c959f,#8c959f)"
    " center/1px 100% no-repeat}"
    ".l0,.n0{grid-column:2/4}.l1,.n1{grid-column:4/6}.l2,.n2{grid-column:6/8}"
    ".l3,.n3{grid-column:8/10}"
    ".s0{grid-column-start:3}.s1{grid-column-start:5}.s2{grid-column-start:7}"
    ".s3{grid-column-start:9}.e0{grid-column-end:3}.e1{grid-column-end:5}"
    ".e2{grid-column-end:7}.e3{grid-column-end:9}"
    ".seq .a{grid-row:1;position:relative;border-bottom:2px solid #0969da;"
    "margin-bottom:.35em;padding:0 .4em;align-self:end;z-index:1;"
    "overflow-wrap:anywhere}"
    ".seq .a::after{content:'';position:absolute;bottom:-6px;border:5px solid"
    " transparent}"
    ".seq .a.rt::after{right:-2px;border-left:9px solid #0969da;"
    "border-right:0}"
    ".seq .a.lt::after{left:-2px;border-right:9px solid #0969da;"
    "border-left:0}"
    ".seq .a.rej{border-bottom-color:#cf222e;color:#a40e26}"
    ".seq .a.rej.rt::after{border-left-color:#cf222e}"
    ".seq .a.rej.lt::after{border-right-color:#cf222e}"
    ".seq .nt{grid-row:1;z-index:1;margin:.15em .3em;padding:0 .3em;"
    "background:#f6f8fa;border:1px solid #d0d7de;border-radius:.3em;"
    "overflow-wrap:anywhere}"
    ".seq .nt.rej{border-color:#cf222e;color:#a40e26}"
    ".seq .wide{grid-column:2/10;grid-row:1;z-index:1;text-align:center;"
    "color:#57606a;border-top:1px dashed #8c959f;margin:.3em 0;"
    "overflow-wrap:anywhere}"
    ".seq .gap{grid-column:2/10;grid-row:1;z-index:1;text-align:center;"
    "font-style:italic;background:#f6f8fa}"
    ".seq .res{color:#57606a}.seq .a.rej .res{color:#a40e26;font-weight:600}"
    ".seq .fold{font-weight:600;color:#57606a}"
    ".seq .r.failing{background:#ffebe9;outline:2px solid #cf222e;"
    "outline-offset:-2px}"
    ".seq .r.failing .t{color:#cf222e;font-weight:700}"
    ".seq .why{grid-column:2/10;grid-row:2;z-index:1;color:#a40e26;"
    "font-weight:600;padding:.1em .5em .3em;white-space:pre-wrap;"
    "overflow-wrap:anywhere}"
    ".seq .why::before{content:'\\2716  '}"
    ".seq .explain{grid-column:2/10;grid-row:3;z-index:1;margin:.2em .5em .5em;"
    "background:#fff8c5;border:1px solid #d4a72c;padding:.3em .6em}"
    ".explain dl{display:grid;grid-template-columns:max-content 1fr;"
    "gap:.1em 1em;margin:0}.explain dt{font-weight:600}.explain dd{margin:0;"
    "font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;"
    "overflow-wrap:anywhere}";

/* ------------------------------------------------------------ header */

static void inv_row(struct dd_buf *b, const char *key, const char *value)
{
    dd_buf_puts(b, "<dt>");
    h(b, key);
    dd_buf_puts(b, "</dt><dd><code>");
    h(b, value);
    dd_buf_puts(b, "</code></dd>\n");
}

static const char *tri(int v)
{
    return v < 0 ? "(not recorded)" : v ? "yes" : "no";
}

static void header(struct dd_buf *b, const struct conf_report *r)
{
    dd_buf_puts(b, "<header>\n<h1>ddconform report</h1>\n<dl class=\"inv\">\n");
    char num[64];
    inv_row(b, "report folder", r->dir);
    inv_row(b, "ERP (--erp)", r->erp);
    inv_row(b, "hook (--erp-hook)", r->hook ? r->hook : "(none)");
    inv_row(b, "push",
            r->push < 0 ? "(not recorded)"
            : r->push   ? "--push"
                        : "--no-push");
    inv_row(b, "strict", tri(r->strict));
    inv_row(b, "fail on skip", tri(r->fail_on_skip));
    if (r->has_time_scale)
        snprintf(num, sizeof num, "%lld", (long long)r->time_scale);
    inv_row(b, "time scale", r->has_time_scale ? num : "(the scenarios' own)");
    if (!isnan(r->stretch)) {
        snprintf(num, sizeof num, "%g", r->stretch);
        inv_row(b, "stretch", num);
    }
    if (r->has_seed) {
        snprintf(num, sizeof num, "%lld", (long long)r->seed);
        inv_row(b, "seed", num);
    }
    if (r->shard)
        inv_row(b, "shard", r->shard);
    if (r->has_filters) {
        struct dd_buf f;
        dd_buf_init(&f, 0);
        for (size_t i = 0; i < r->n_filters; i++)
            dd_buf_printf(&f, "%s%s", i ? " " : "", r->filters[i]);
        inv_row(b, "filters", r->n_filters ? f.data : "(none)");
        dd_buf_free(&f);
    }
    if (r->expected_failures)
        inv_row(b, "expected failures", r->expected_failures);
    dd_buf_puts(b, "</dl>\n<p class=\"counts\">");
    dd_buf_printf(b, "%lld passed, %lld failed, %lld skipped",
                  (long long)r->passed, (long long)r->failed,
                  (long long)r->skipped);
    if (r->has_exit_status)
        dd_buf_printf(b, " &mdash; exit status %lld",
                      (long long)r->exit_status);
    dd_buf_puts(b, "</p>\n<p>");
    static const char *const names[] = {"PASS", "WARN",  "SKIP",
                                        "FAIL", "ERROR", "FUNDS_AT_RISK"};
    for (int v = 0; v < 6; v++)
        dd_buf_printf(b, "<span class=\"badge v-%s\">%s %lld</span> ", names[v],
                      names[v], (long long)r->by_verdict[v]);
    dd_buf_puts(b, "</p>\n<section id=\"metrics\"><h2>Metrics</h2>\n");
    struct dd_buf lines;
    dd_buf_init(&lines, 0);
    rep_metrics_lines(r, &lines);
    if (!lines.len) {
        dd_buf_puts(b, "<p>n/a: no run of this report has metrics.</p>\n");
    } else {
        dd_buf_puts(b, "<ul>\n");
        for (const char *p = lines.data; *p;) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            dd_buf_puts(b, "<li>");
            rep_html_escape(b, p, n);
            dd_buf_puts(b, "</li>\n");
            p += n + (nl ? 1 : 0);
        }
        dd_buf_puts(b, "</ul>\n");
    }
    dd_buf_free(&lines);
    dd_buf_puts(b, "</section>\n</header>\n");
}

static void overview(struct dd_buf *b, const struct conf_report *r)
{
    dd_buf_puts(b, "<h2>Runs</h2>\n<table id=\"overview\">\n<thead><tr>"
                   "<th>id</th><th>title</th><th>mode</th><th>verdict</th>"
                   "<th>seconds</th><th>sentence</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < r->n_runs; i++) {
        const struct rep_run *run = &r->runs[i];
        dd_buf_printf(b, "<tr class=\"run v-%s\" data-run=\"", run->verdict);
        h(b, run->name);
        dd_buf_printf(b, "\" data-verdict=\"%s\"><td>", run->verdict);
        if (run->has_id)
            dd_buf_printf(b, "%04lld", (long long)run->id);
        dd_buf_puts(b, "</td><td><a href=\"#run-");
        h(b, run->name);
        dd_buf_puts(b, "\">");
        h(b, run->title);
        dd_buf_puts(b, "</a></td><td>");
        h(b, run->mode ? run->mode : "");
        dd_buf_printf(b, "</td><td class=\"verdict\">%s", run->verdict);
        if (run->outcome && (strcmp(run->outcome, "xfail") == 0 ||
                             strcmp(run->outcome, "ratchet") == 0))
            dd_buf_printf(b, " (%s)", run->outcome);
        dd_buf_printf(b, "</td><td>%.1f</td><td>", run->seconds);
        h(b, run->sentence);
        dd_buf_puts(b, "</td></tr>\n");
    }
    dd_buf_puts(b, "</tbody>\n</table>\n");
}

/* ------------------------------------------------------------ timeline */

static void seq_row(struct dd_buf *b, const struct rep_row *w)
{
    dd_buf_printf(b, "<div class=\"r%s\">", w->failing ? " failing" : "");
    if (w->cls != ROW_GAP)
        dd_buf_printf(b, "<div class=\"t\">%+.3f</div>", w->t_s);
    for (int l = 0; l < LANE_COUNT; l++)
        dd_buf_printf(b, "<i class=\"ll l%d\"></i>", l);
    if (w->cls == ROW_GAP) {
        dd_buf_puts(b, "<div class=\"gap\">");
        h(b, w->label);
        dd_buf_puts(b, "</div>");
    } else if (w->cls == ROW_RUN || w->cls == ROW_FINDING) {
        dd_buf_puts(b, "<div class=\"wide\">");
        h(b, w->label);
        if (*w->result) {
            dd_buf_puts(b, ": ");
            h(b, w->result);
        }
        dd_buf_puts(b, "</div>");
    } else {
        bool rej = w->cls == ROW_REJECTED;
        if (w->from == w->to) {
            dd_buf_printf(b, "<div class=\"nt n%d%s\">", w->from,
                          rej ? " rej" : "");
        } else {
            int lo = w->from < w->to ? w->from : w->to;
            int hi = w->from < w->to ? w->to : w->from;
            dd_buf_printf(b, "<div class=\"a s%d e%d %s%s\">", lo, hi,
                          w->from < w->to ? "rt" : "lt", rej ? " rej" : "");
        }
        h(b, w->label);
        if (w->count > 1)
            dd_buf_printf(b,
                          " <span class=\"fold\">\xc3\x97%zu, %+.1f s "
                          "\xe2\x80\xa6 %+.1f s</span>",
                          w->count, w->t_s, w->t2_s);
        if (*w->result) {
            dd_buf_puts(b, " <span class=\"res\">\xe2\x86\x92 ");
            h(b, w->result);
            dd_buf_puts(b, "</span>");
        }
        dd_buf_puts(b, "</div>");
    }
    if (w->why) {
        dd_buf_puts(b, "<div class=\"why\">");
        h(b, w->why);
        dd_buf_puts(b, "</div>");
    }
    const struct rep_entry *e = w->entry;
    if (e && e->n_explain) {
        dd_buf_puts(b, "<div class=\"explain\"><b>Why the signature was "
                       "rejected</b><dl>");
        for (size_t k = 0; k < e->n_explain; k++) {
            dd_buf_puts(b, "<dt>");
            h(b, e->explain[k].key);
            dd_buf_puts(b, "</dt><dd>");
            h(b, e->explain[k].value);
            dd_buf_puts(b, "</dd>");
        }
        dd_buf_puts(b, "</dl></div>");
    }
    dd_buf_puts(b, "</div>\n");
}

static void timeline(struct dd_buf *b, const struct rep_run *run)
{
    dd_buf_puts(b, "<h3>Timeline</h3>\n");
    if (!run->has_journal || run->n_entries == 0) {
        dd_buf_puts(b, "<p>No journal: the run did not start.</p>\n");
        return;
    }
    struct rep_rows rows;
    rep_rows_build(run, &rows);
    dd_buf_printf(b,
                  "<p>%zu journal entries; seconds after t0 (the "
                  "timeline's start) on the left.",
                  run->n_entries);
    if (rows.left_out)
        dd_buf_printf(b,
                      " %zu rows are left out of the diagram (it shows "
                      "at most %d).",
                      rows.left_out, REP_MAX_ROWS);
    dd_buf_puts(b, "</p>\n<div class=\"seq\">\n<div class=\"r hd\">"
                   "<div class=\"t\">s</div>");
    for (int l = 0; l < LANE_COUNT; l++)
        dd_buf_printf(b, "<div class=\"n%d\">%s</div>", l, rep_lane_name(l));
    dd_buf_puts(b, "</div>\n");
    for (size_t i = 0; i < rows.n; i++)
        seq_row(b, &rows.rows[i]);
    dd_buf_puts(b, "</div>\n");
    rep_rows_free(&rows);
}

/* ------------------------------------------------------------ runs */

static void findings(struct dd_buf *b, const struct rep_run *run)
{
    if (!run->n_findings)
        return;
    dd_buf_puts(b, "<h3>Findings</h3>\n<ul class=\"findings\">\n");
    for (size_t i = 0; i < run->n_findings; i++) {
        const struct rep_finding *f = &run->findings[i];
        dd_buf_puts(b, "<li><span class=\"badge v-");
        h(b, f->verdict);
        dd_buf_puts(b, "\">");
        h(b, f->verdict);
        dd_buf_puts(b, "</span> <code>");
        h(b, f->rule);
        dd_buf_puts(b, "</code>");
        if (!isnan(f->at_s))
            dd_buf_printf(b, " at %.3f s", f->at_s);
        dd_buf_puts(b, ": ");
        h(b, f->sentence);
        dd_buf_puts(b, "</li>\n");
    }
    dd_buf_puts(b, "</ul>\n");
}

static void expects(struct dd_buf *b, const struct rep_run *run)
{
    if (!run->n_expects)
        return;
    dd_buf_puts(b, "<h3>Expectations</h3>\n<table class=\"expects\"><tr>"
                   "<th>#</th><th>id</th><th>level</th><th>kind</th>"
                   "<th>met</th><th>count</th><th>first (s)</th></tr>\n");
    for (size_t i = 0; i < run->n_expects; i++) {
        const struct rep_expect *e = &run->expects[i];
        dd_buf_printf(b, "<tr class=\"v-%s\"><td>%lld</td><td>",
                      e->met ? "PASS" : "FAIL", (long long)e->index);
        h(b, e->id ? e->id : "");
        dd_buf_puts(b, "</td><td>");
        h(b, e->level);
        dd_buf_puts(b, "</td><td>");
        h(b, e->kind);
        dd_buf_printf(b, "</td><td>%s</td><td>%lld</td><td>",
                      e->met ? "yes" : "no", (long long)e->count);
        if (!isnan(e->first_s))
            dd_buf_printf(b, "%.3f", e->first_s);
        dd_buf_puts(b, "</td></tr>\n");
    }
    dd_buf_puts(b, "</table>\n");
}

static void run_metrics(struct dd_buf *b, const struct rep_run *run)
{
    if (!run->has_metrics)
        return;
    dd_buf_printf(b,
                  "<h3>Metrics</h3>\n<p>%lld of %lld after-sales handled "
                  "automatically.</p>\n",
                  (long long)run->automatic, (long long)run->counted);
    if (!run->n_aftersales)
        return;
    dd_buf_puts(b, "<table><tr><th>after-sale</th><th>flow</th>"
                   "<th>outcome</th><th>via</th><th>automatic</th>"
                   "<th>applied (s)</th><th>refunded (s)</th>"
                   "<th>application \xe2\x86\x92 refund (s)</th></tr>\n");
    for (size_t i = 0; i < run->n_aftersales; i++) {
        const struct rep_aftersale *a = &run->aftersales[i];
        dd_buf_puts(b, "<tr><td class=\"mono\">");
        h(b, a->aftersale_id);
        dd_buf_puts(b, "</td><td>");
        h(b, a->flow);
        dd_buf_puts(b, "</td><td>");
        h(b, a->outcome);
        dd_buf_puts(b, "</td><td>");
        h(b, a->via ? a->via : "");
        dd_buf_printf(b, "</td><td>%s</td>",
                      a->automatic < 0   ? "not counted"
                      : a->automatic > 0 ? "yes"
                                         : "no");
        double v[3] = {a->apply_s, a->refund_s, a->apply_to_refund_s};
        for (int k = 0; k < 3; k++) {
            if (isnan(v[k]))
                dd_buf_puts(b, "<td></td>");
            else
                dd_buf_printf(b, "<td>%.3f</td>", v[k]);
        }
        dd_buf_puts(b, "</tr>\n");
    }
    dd_buf_puts(b, "</table>\n");
}

static void hooks(struct dd_buf *b, const struct rep_run *run)
{
    if (!run->n_hooks)
        return;
    dd_buf_puts(b, "<h3>Hook calls</h3>\n<table><tr><th>event</th>"
                   "<th>what</th><th>ok</th><th>reply or error</th>"
                   "<th>ms</th><th>stderr</th></tr>\n");
    for (size_t i = 0; i < run->n_hooks; i++) {
        const struct rep_hook *k = &run->hooks[i];
        dd_buf_printf(b, "<tr class=\"v-%s\"><td>%lld</td><td>",
                      k->ok ? "PASS" : "FAIL", (long long)k->event_id);
        h(b, k->event);
        dd_buf_printf(b, "</td><td>%s</td><td class=\"mono\">",
                      k->ok ? "yes" : "no");
        h(b, k->error ? k->error : k->reply ? k->reply : "");
        dd_buf_printf(b, "</td><td>%lld</td><td><pre>", (long long)k->ms);
        h(b, k->stderr_text);
        dd_buf_puts(b, "</pre></td></tr>\n");
    }
    dd_buf_puts(b, "</table>\n");
}

static void run_section(struct dd_buf *b, const struct conf_report *r,
                        const struct rep_run *run)
{
    dd_buf_puts(b, "<section class=\"run-detail\" id=\"run-");
    h(b, run->name);
    dd_buf_printf(b,
                  "\" data-verdict=\"%s\">\n<h2><span class=\"badge v-%s\">"
                  "%s</span> ",
                  run->verdict, run->verdict, run->verdict);
    struct dd_buf label;
    dd_buf_init(&label, 0);
    rep_run_label(run, &label);
    h(b, label.data);
    dd_buf_free(&label);
    dd_buf_puts(b, "</h2>\n<p class=\"sentence\">");
    h(b, run->sentence);
    dd_buf_puts(b, "</p>\n<p>file <code>");
    h(b, run->file);
    dd_buf_puts(b, "</code>");
    if (run->mode) {
        dd_buf_puts(b, ", mode ");
        h(b, run->mode);
    }
    dd_buf_printf(b, ", %.1f s", run->seconds);
    if (run->dir) {
        dd_buf_puts(b, ", folder <code>");
        h(b, r->dir);
        dd_buf_puts(b, "/");
        h(b, run->dir);
        dd_buf_puts(b, "</code>");
    }
    if (run->outcome) {
        dd_buf_puts(b, ", outcome ");
        h(b, run->outcome);
        if (run->expected) {
            dd_buf_puts(b, " (listed as ");
            h(b, run->expected);
            dd_buf_puts(b, ")");
        }
    }
    dd_buf_puts(b, "</p>\n");
    if (*run->problems) {
        dd_buf_puts(b, "<pre class=\"problems\">");
        h(b, run->problems);
        dd_buf_puts(b, "</pre>\n");
    }
    findings(b, run);
    expects(b, run);
    run_metrics(b, run);
    timeline(b, run);
    hooks(b, run);
    if (run->has_erp_log) {
        dd_buf_printf(b,
                      "<details><summary>ERP output (erp.log%s)</summary>"
                      "<pre>",
                      run->erp_log_cut ? ", its last 64 KiB" : "");
        rep_html_escape(b, run->erp_log, run->erp_log_len);
        dd_buf_puts(b, "</pre></details>\n");
    }
    dd_buf_puts(b, "</section>\n");
}

int conf_report_write_html(const struct conf_report *r, const char *path,
                           char *err, size_t err_len)
{
    struct dd_buf b;
    dd_buf_init(&b, (size_t)512 << 20);
    dd_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                    "<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width\">\n"
                    "<title>ddconform report: ");
    dd_buf_printf(&b, "%lld passed, %lld failed, %lld skipped",
                  (long long)r->passed, (long long)r->failed,
                  (long long)r->skipped);
    dd_buf_puts(&b, "</title>\n<style>");
    dd_buf_puts(&b, page_css);
    dd_buf_puts(&b, "</style>\n</head>\n<body>\n");
    header(&b, r);
    overview(&b, r);
    for (size_t i = 0; i < r->n_runs; i++)
        run_section(&b, r, &r->runs[i]);
    dd_buf_puts(&b, "</body>\n</html>\n");
    int rc = rep_write_file(path, b.data, b.len, err, err_len);
    dd_buf_free(&b);
    return rc;
}
