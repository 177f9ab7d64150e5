/*
 * report.h: ddconform's reports, made from a report folder alone.
 *
 * A report folder (conformance/README.md "The report folder") holds
 * summary.json and one folder per run (scenario.json, journal.jsonl,
 * verdict.json, erp.log, hooks.jsonl). conf_report_load reads it back into
 * memory, tolerating missing and broken per-run files (a run shows what
 * exists), and the writers turn it into the formats CI systems and people
 * read (conformance/REPORTS.md documents each one):
 *   - JUnit XML: one <testcase> per run, the verdict sentence as the
 *     failure text, the ERP's output (the last 64 KiB of erp.log) as
 *     <system-out>;
 *   - JSON (schema_version 1): the invocation, every run with its
 *     findings, expectations and metrics, the counts, the exit status and
 *     the aggregated metrics;
 *   - TAP version 14;
 *   - one self-contained HTML page: the overview table coloured by verdict
 *     and per run a sequence diagram of its journal (ERP | mock | buyer and
 *     logistics | warehouse hook) with the failing call highlighted;
 * and two printers for a terminal: the metrics lines and one run in full
 * (`ddconform --rerun ID`).
 *
 * Ownership: a loaded report owns every string it holds; conf_report_free
 * releases it all. Writers only read it, so one report may be written in
 * several formats.
 */
#ifndef CONF_REPORT_H
#define CONF_REPORT_H

#include <stddef.h>
#include <stdio.h>

/* A loaded report folder (opaque). */
struct conf_report;

/*
 * Loads DIR/summary.json and every run folder it names. Returns a new
 * report (free with conf_report_free), or NULL with a message in `err`
 * when summary.json is missing or is not a report summary. Missing or
 * broken per-run files are tolerated: the run keeps what exists and notes
 * what did not load.
 */
struct conf_report *conf_report_load(const char *dir, char *err,
                                     size_t err_len);

/* Frees everything the report owns. NULL is fine. */
void conf_report_free(struct conf_report *r);

/*
 * Each writer writes one format to `path` ("-" means stdout) and returns
 * 0, or -1 with a message in `err` (the file could not be written).
 */
int conf_report_write_junit(const struct conf_report *r, const char *path,
                            char *err, size_t err_len);
int conf_report_write_json(const struct conf_report *r, const char *path,
                           char *err, size_t err_len);
int conf_report_write_html(const struct conf_report *r, const char *path,
                           char *err, size_t err_len);

/*
 * TAP version 14 to `out`: "1..N", one "ok"/"not ok" line per run, YAML
 * diagnostics under each. Returns 0, or -1 when writing failed.
 */
int conf_report_write_tap(const struct conf_report *r, FILE *out);

/*
 * The report's metrics as human lines (the share handled automatically;
 * application → refund median and worst per flow), each line ending in
 * '\n'. Prints nothing when no run has metrics.
 */
void conf_report_print_metrics(const struct conf_report *r, FILE *out);

/*
 * Everything about run number `index` (0-based, in the order of
 * summary.json "runs") for a person at a terminal: verdict and sentence,
 * findings, expectations, a text timeline of the journal (one line per
 * entry, "+12.345 s  ERP → mock  afterSale.List page 0 → 10000 (3 items)"),
 * the hook calls and the ERP's output. Returns 0, or -1 when `index` is
 * out of range (nothing printed).
 */
int conf_report_print_run(const struct conf_report *r, size_t index, FILE *out);

#endif
