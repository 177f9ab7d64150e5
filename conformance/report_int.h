/*
 * report_int.h: the inside of a loaded report folder, shared by the files
 * of the report module (report.c: loading and the terminal printers;
 * report_formats.c: JUnit, JSON and TAP; report_timeline.c: a run's journal as
 * the rows of a sequence diagram; report_html.c: the HTML page). Not for other
 * modules: they see only report.h.
 *
 * Everything here is owned by the struct conf_report it hangs from; the
 * strings are valid UTF-8 (read from JSON) unless a comment says
 * otherwise.
 */
#ifndef CONF_REPORT_INT_H
#define CONF_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dd_buf.h"
#include "report.h"

/* The ERP's output kept per run: the tail of erp.log. */
#define REP_LOG_TAIL ((size_t)64 << 10)
/* Journal entries kept per run (a longer journal is noted as cut). */
#define REP_MAX_ENTRIES 200000
/* Rows of a sequence diagram before it is cut with a note. */
#define REP_MAX_ROWS 400
/* Rows kept from the end of a diagram that is cut. */
#define REP_TAIL_ROWS 100
/* Consecutive identical rows folded into one ("afterSale.List ×40"). */
#define REP_FOLD_MIN 3

struct rep_finding {
    char *verdict; /* "FAIL", ... */
    char *rule;    /* "expect:0", "invariant:1", ... */
    char *sentence;
    double at_s; /* NAN: no moment */
};

struct rep_expect {
    int64_t index;
    char *id; /* NULL without one */
    char *level;
    char *kind;
    bool met;
    int64_t count;
    double first_s; /* NAN: none */
};

struct rep_aftersale {
    char *aftersale_id;
    char *flow;
    char *outcome;
    char *via;                /* NULL when null */
    int automatic;            /* 1, 0, or -1 (null: not counted) */
    double apply_s;           /* NAN: unknown (null) */
    double refund_s;          /* NAN: none */
    double apply_to_refund_s; /* NAN: unknown */
};

/* A key and its value as display text (an explain object's members). */
struct rep_pair {
    char *key;
    char *value;
};

/* One journal entry, reduced to what the reports show. */
struct rep_entry {
    int64_t seq;
    int64_t time_us;
    char *kind;     /* "api", "push", ... */
    char *method;   /* "afterSale.List", ... */
    char *verdict;  /* the signature verdict or the hook's "ok"/"failed" */
    int64_t code;   /* the answer code (api), HTTP status (push) */
    char *sub_code; /* "" when none */
    char *note;     /* "" when none (capped) */
    char *args;     /* api: key parameters ("page 0"); step: its id; ... */
    char *result;   /* api: "(3 items)"; hook: the reply; push: outcome */
    char *step_id;  /* step entries: the step's "id", or NULL */
    bool forged;    /* push: a forged message */
    struct rep_pair *explain; /* a rejected signature's explain object */
    size_t n_explain;
};

/* One hooks.jsonl line. */
struct rep_hook {
    int64_t event_id;
    char *event; /* the event name */
    bool ok;
    char *error; /* NULL when none */
    char *reply; /* compact JSON or NULL */
    char *stderr_text;
    int64_t ms;
};

struct rep_run {
    /* from summary.json */
    bool has_id;
    int64_t id;
    char *title;
    char *file;
    char *mode; /* NULL when null */
    char *verdict;
    char *sentence;
    double seconds;
    char *dir;      /* relative to the report folder, NULL when none */
    char *name;     /* the run folder's base name (never NULL) */
    char *expected; /* expected-failures verdict, NULL when none */
    char *outcome;  /* "passed", ..., NULL when the summary has none */
    /* verdict.json */
    bool has_verdict_file;
    struct rep_finding *findings;
    size_t n_findings;
    struct rep_expect *expects;
    size_t n_expects;
    bool has_metrics;
    int64_t counted;
    int64_t automatic;
    struct rep_aftersale *aftersales;
    size_t n_aftersales;
    /* scenario.json: per expectation index its "of" step id (NULL when
     * none); n_expect_of entries */
    char **expect_of;
    char **expect_ids;
    size_t n_expect_of;
    /* journal.jsonl */
    bool has_journal;
    struct rep_entry *entries;
    size_t n_entries;
    int64_t t0_us;
    /* hooks.jsonl */
    struct rep_hook *hooks;
    size_t n_hooks;
    bool has_hooks_file;
    /* erp.log: its last REP_LOG_TAIL bytes (any bytes, NUL-free is not
     * guaranteed: use erp_log_len) */
    char *erp_log;
    size_t erp_log_len;
    bool erp_log_cut;
    bool has_erp_log;
    bool has_scenario_file;
    /* what did not load, one message per line ("" when all did) */
    char *problems;
};

struct conf_report {
    char *dir;
    int64_t contract;
    char *erp;
    char *hook; /* NULL when null */
    int push;   /* 1, 0, -1 absent */
    int strict;
    int fail_on_skip;
    bool has_time_scale;
    int64_t time_scale;
    double stretch; /* NAN: absent */
    bool has_seed;
    int64_t seed;
    char *shard;    /* NULL when null or absent */
    char **filters; /* NULL when absent */
    size_t n_filters;
    bool has_filters;
    char *expected_failures; /* NULL when null or absent */
    /* counts: from summary.json when present, else counted here */
    int64_t passed, failed, skipped;
    int64_t by_verdict[6];  /* PASS WARN SKIP FAIL ERROR FUNDS_AT_RISK */
    int64_t xfail, ratchet; /* runs with that outcome */
    bool has_exit_status;
    int64_t exit_status;
    struct rep_run *runs;
    size_t n_runs;
};

/* The metrics of every judged run taken together. */
struct rep_flow {
    char *flow;
    double *values; /* apply_to_refund_s, sorted */
    size_t n;
    double median;
    double worst;
};

struct rep_metrics {
    size_t runs_with_metrics; /* judged runs (not SKIP, not ERROR) */
    int64_t counted;
    int64_t automatic;
    struct rep_flow *flows; /* known flows first, then by name */
    size_t n_flows;
};

/* Aggregates the metrics of r (free with rep_metrics_free). True when
 * some run (judged or not) has metrics at all. */
bool rep_metrics_compute(const struct conf_report *r, struct rep_metrics *m);
void rep_metrics_free(struct rep_metrics *m);
/* The metrics as text lines, each ending in '\n' (none without metrics). */
void rep_metrics_lines(const struct conf_report *r, struct dd_buf *out);

/* "PASS", "WARN", "SKIP", "FAIL", "ERROR", "FUNDS_AT_RISK": by_verdict's
 * order. */
extern const char *const rep_verdict_names[6];
/* Formats a message into err (when non-NULL and err_len > 0). */
void rep_set_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Index of a verdict name in by_verdict, -1 for an unknown name. */
int rep_verdict_index(const char *name);
/* True when the run counts as failed in the summary line's sense (the
 * outcome when the summary has one, else the verdict and --strict). */
bool rep_run_failed(const struct conf_report *r, const struct rep_run *run);
/* The run's label: "0006 title" (or the title alone without an id). */
void rep_run_label(const struct rep_run *run, struct dd_buf *out);

/* ---------------------------------------------------------- timeline */

enum rep_lane { LANE_ERP, LANE_MOCK, LANE_ACTORS, LANE_HOOK, LANE_COUNT };

enum rep_row_class {
    ROW_OK,       /* an ordinary call or event */
    ROW_REJECTED, /* the gateway answered an error / a failed hook */
    ROW_NOTE,     /* a lifecycle note on one lane */
    ROW_RUN,      /* a run entry across the whole diagram */
    ROW_FINDING,  /* a finding with no entry at its moment */
    ROW_GAP       /* rows left out */
};

/* One row of a run's sequence diagram. */
struct rep_row {
    double t_s;   /* seconds after t0 */
    double t2_s;  /* the last folded row's time (== t_s unless folded) */
    size_t count; /* rows folded into this one (1 when none) */
    int from, to; /* lanes; from == to: a note on that lane */
    enum rep_row_class cls;
    char *label;  /* "afterSale.List page 0" */
    char *result; /* "10000 (3 items)" or "" */
    bool failing;
    char *why; /* the failing findings' sentences, "\n"-separated, or NULL */
    const struct rep_entry *entry; /* NULL for synthetic rows */
};

struct rep_rows {
    struct rep_row *rows;
    size_t n;
    size_t left_out; /* rows not in `rows` because of REP_MAX_ROWS */
};

/* Builds the diagram rows of a run: one per journal entry (an actor entry
 * merged into the step it belongs to), identical consecutive rows folded,
 * failing rows marked, cut at REP_MAX_ROWS. Free with rep_rows_free. */
void rep_rows_build(const struct rep_run *run, struct rep_rows *out);
void rep_rows_free(struct rep_rows *rows);
/* "ERP", "mock", "buyer/logistics", "hook". */
const char *rep_lane_name(int lane);

/* ------------------------------------------------------------ output */

/* Writes `len` bytes to `path` ("-": stdout). 0, or -1 with err. */
int rep_write_file(const char *path, const char *data, size_t len, char *err,
                   size_t err_len);
/* Appends s (len bytes, any bytes) HTML-escaped: & < > " ' as entities,
 * invalid UTF-8 as U+FFFD, control characters other than \t \n \r as
 * "\xNN". */
void rep_html_escape(struct dd_buf *out, const char *s, size_t len);
/* Appends a number of seconds as "12.345". */
void rep_secs(struct dd_buf *out, double s);

#endif
