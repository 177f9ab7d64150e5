/*
 * select.h: which scenarios a ddconform invocation runs, and how their
 * verdicts count (conformance/README.md "Selecting scenarios", "Sharding",
 * "Expected failures"; harness.md "Exit status and the summary line").
 *
 * Pure functions over what main.c gathered: the scenarios' info (id,
 * title, keywords, or "did not load"), the --filter values, the --shard
 * I/N value, and the text of an --expected-failures file. No file is read
 * here except by conf_xfail_load, nothing is printed, nothing exits; every
 * problem comes back as a message for the caller to print.
 *
 * Selection: every scenario is put in a deterministic order (id, then
 * path; one that did not load counts as id 0), then filtered (the filters
 * are OR'ed; a scenario that did not load stays selected, it will be an
 * ERROR run), then sharded (shard I of N keeps the selected scenarios
 * whose position p, 0-based, has p % N == I - 1), so that for the same
 * arguments every scenario lands in exactly one shard.
 */
#ifndef CONF_SELECT_H
#define CONF_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "judge.h"

/* What selection needs to know of one scenario file. Borrowed strings. */
struct conf_scenario_info {
    const char *path;            /* the file as named or found */
    bool loaded;                 /* false: the loader refused it */
    int id;                      /* info.id (0 when not loaded) */
    const char *title;           /* info.title (NULL when not loaded) */
    const char *const *keywords; /* info.keywords */
    size_t n_keywords;
};

/* How a --filter value is read. */
enum conf_filter_kind {
    CONF_FILTER_ID,      /* all digits: info.id ("7" selects 0007) */
    CONF_FILTER_GLOB,    /* has *, ? or [: fnmatch on the file's base name */
    CONF_FILTER_KEYWORD, /* anything else: one of info.keywords, exactly */
};

/* The kind of filter `filter` is (an empty string is a keyword). */
enum conf_filter_kind conf_filter_kind(const char *filter);

/* True when `filter` selects scenario `s`. A scenario that did not load
 * matches only glob filters (by its file's base name). */
bool conf_filter_match(const char *filter, const struct conf_scenario_info *s);

/* Parses "I/N" (decimal, 1 <= I <= N <= 100000) into *index and *count.
 * Returns 0, or -1 with a message in err. */
int conf_shard_parse(const char *text, unsigned *index, unsigned *count,
                     char *err, size_t err_len);

/*
 * Selects from the `n` scenarios of `all`: orders them by (id, path),
 * keeps those that one of the `n_filters` filters selects (every one when
 * there is no filter; one that did not load is always kept), then keeps
 * shard `shard_index` of `shard_count` (count 0: no sharding). Writes the
 * kept scenarios' indices into `all`, in run order, to `out` (room for n)
 * and their number to *n_out. Returns 0, or -1 when a filter selects no
 * scenario at all (before sharding), with that filter's index in
 * *bad_filter; an empty shard is not an error.
 */
int conf_select(const struct conf_scenario_info *all, size_t n,
                const char *const *filters, size_t n_filters,
                unsigned shard_index, unsigned shard_count, size_t *out,
                size_t *n_out, size_t *bad_filter);

/* The seed of the world of a run of scenario `id` in an invocation with
 * seed `seed`: splitmix64's output function applied to
 * seed + id * 0x9e3779b97f4a7c15 (mod 2^64). */
uint64_t conf_run_seed(uint64_t seed, int id);

/* ------------------------------------------------- expected failures */

/* One line of an --expected-failures file: "NNNN VERDICT" or
 * "NNNN MODE VERDICT". */
struct conf_xfail_entry {
    int id;
    const char *mode;          /* NULL (any mode), "push" or "poll" (static) */
    enum conf_verdict verdict; /* FAIL or ERROR */
    int line;                  /* 1-based line number in the file */
};

struct conf_xfail {
    struct conf_xfail_entry *v;
    size_t n;
};

/*
 * Parses the text of an expected-failures file named `path` (for
 * messages): one entry per line, "NNNN VERDICT" or "NNNN MODE VERDICT"
 * separated by spaces or tabs, NNNN a scenario id (digits, 7 == 0007),
 * MODE "push" or "poll", VERDICT "FAIL" or "ERROR" (FUNDS_AT_RISK can not
 * be expected: money at risk always fails the run); '#' starts a comment,
 * blank lines are allowed. The same id may be listed once for any mode,
 * or once per mode. Returns 0 with the entries in *x (free with
 * conf_xfail_free), or -1 with "PATH:LINE: what is wrong" in err and *x
 * empty. Never crashes on any bytes.
 */
int conf_xfail_parse(struct conf_xfail *x, const char *path, const char *text,
                     size_t len, char *err, size_t err_len);

/* Reads and parses the file at `path` as conf_xfail_parse does. Returns 0,
 * or -1 with "PATH: reason" or "PATH:LINE: what is wrong" in err. */
int conf_xfail_load(struct conf_xfail *x, const char *path, char *err,
                    size_t err_len);

/* The entry for a run of scenario `id` in mode `mode` ("push", "poll" or
 * NULL): a line naming that mode wins over a line for any mode. NULL when
 * the run is not listed. */
const struct conf_xfail_entry *conf_xfail_find(const struct conf_xfail *x,
                                               int id, const char *mode);

/* Frees the entries; *x is empty again. */
void conf_xfail_free(struct conf_xfail *x);

/* ------------------------------------------------- outcomes and counts */

/* How one run counts. */
enum conf_run_outcome {
    CONF_RUN_PASSED,  /* PASS, or WARN when not --strict */
    CONF_RUN_FAILED,  /* FAIL, FUNDS_AT_RISK, ERROR, WARN under --strict */
    CONF_RUN_SKIPPED, /* SKIP */
    CONF_RUN_XFAIL,   /* listed, and got the listed verdict: counts as
                         passed */
    CONF_RUN_RATCHET, /* listed, but now passes: counts as failed */
};

/* "passed", "failed", "skipped", "xfail" or "ratchet". */
const char *conf_run_outcome_name(enum conf_run_outcome o);

/* The outcome of a run with verdict `v`; `listed` is its expected-failures
 * entry or NULL. Listed with the verdict it got: xfail. Listed and now
 * PASS or WARN (WARN not under --strict): ratchet. Listed with another
 * verdict: that verdict's ordinary outcome. */
enum conf_run_outcome
conf_run_outcome_of(enum conf_verdict v, bool strict,
                    const struct conf_xfail_entry *listed);

/* The counts of an invocation. */
struct conf_tally {
    size_t by[CONF_FUNDS_AT_RISK + 1];         /* runs per verdict, as judged */
    size_t passed, failed, skipped;            /* the summary line's numbers */
    size_t xfail, ratchet;                     /* runs of those outcomes */
    size_t unexpected[CONF_FUNDS_AT_RISK + 1]; /* per verdict, runs that
                                                  are not xfail */
};

/* Adds one run's verdict and outcome to `t` (zero it first). */
void conf_tally_add(struct conf_tally *t, enum conf_verdict v,
                    enum conf_run_outcome o);

/* harness.md's exit status: 2 when a run is FUNDS_AT_RISK; else 1 when a
 * run FAILed (not as expected), WARNed under --strict, tripped the
 * ratchet, or was SKIP under --fail-on-skip; else 3 when a run was ERROR
 * (not as expected); else 0. */
int conf_tally_exit_status(const struct conf_tally *t, bool strict,
                           bool fail_on_skip);

#endif
