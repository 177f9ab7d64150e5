/*
 * judge.h: the judge, a pure function from a scenario and the journal of
 * one run to a verdict (harness.md "Verdicts" and "Boundaries that keep
 * the judge honest"; conformance/README.md "The judge" lists every rule).
 *
 * The judge reads nothing but the loaded scenario (mock/scenario.h) and
 * the run's journal as JSONL text, one journal entry per line, in the
 * form mock/journal.c writes (the run's own entries: run.create,
 * run.start, step, hook, erp, final, run.end; the ERP's API calls; push
 * attempts). It never talks to a server, so a recorded run can be judged
 * again offline (`ddconform judge --scenario F --journal J`) and the
 * judge is unit-tested with hand-written journals (tests/check_judge.c).
 *
 * A run gets one verdict, the worst of its findings; every finding is one
 * sentence that says what was expected, what happened instead, when
 * (seconds after t0, the timeline's start) and, for missing calls, the
 * nearest calls the ERP did make.
 *
 * Ownership: a judgement owns its findings, their strings and the
 * per-expectation results; conf_judgement_free releases them. The judge
 * borrows the scenario and the journal text only during the call.
 */
#ifndef CONF_JUDGE_H
#define CONF_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_jw.h"
#include "scenario.h"

/* Severity order is the enum order: the run's verdict is its worst
 * finding. */
enum conf_verdict {
    CONF_PASS,
    CONF_WARN,
    CONF_SKIP,
    CONF_FAIL,
    CONF_ERROR,
    CONF_FUNDS_AT_RISK
};

/* Longest finding sentence in bytes (a longer one is cut with "…"). */
#define CONF_SENTENCE_MAX 400

/* "PASS", "WARN", "SKIP", "FAIL", "ERROR" or "FUNDS_AT_RISK" (a static
 * string; "?" for a value outside the enum). */
const char *conf_verdict_name(enum conf_verdict v);

struct conf_finding {
    enum conf_verdict verdict;
    char *sentence; /* owned: one sentence, at most CONF_SENTENCE_MAX bytes:
                       expected, instead, when, nearest calls */
    char *rule;     /* owned: "expect:ID" (or "expect:INDEX", 0-based, for
                       an expectation without id), "invariant:1" ..
                       "invariant:4", "repeat-writeback", "poll-interval",
                       "over-polling", "forged-push", "missed-aftersale",
                       "hook-failed", "never-ships", "step-refused",
                       "unimplemented-api", "run-error", "journal" */
    double at_s;    /* seconds after t0, or -1 when no moment applies */
};

/* Per expectation, in scenario order. */
struct conf_expect_result {
    bool met;
    int count;      /* call: matching calls in the window; no_call:
                       matching calls in the run; final: 1 when met */
    double first_s; /* the first counted call, seconds after t0; -1 */
};

struct conf_judgement {
    enum conf_verdict verdict;
    char *sentence; /* owned: the worst finding's sentence, or "every
                       expectation held" */
    struct conf_finding *findings; /* owned: worst first, then by time */
    size_t n_findings;
    struct conf_expect_result *expects; /* owned: s->n_expects results
                                           (all unmet when the journal
                                           was incomplete) */
    size_t n_expects;
};

/*
 * Judges a finished run: `jsonl` is the run's journal (`len` bytes, any
 * bytes: it never crashes; a line that is not a journal entry becomes an
 * ERROR finding "journal line N: ..."; a journal without run.create,
 * run.start or the final state is ERROR "journal incomplete: ..." and
 * nothing else is judged). Fills `out` (free with conf_judgement_free;
 * also on failure it is safe to free). Returns 0.
 */
int conf_judge(const struct scn_scenario *s, const char *jsonl, size_t len,
               struct conf_judgement *out);

/*
 * For the runner while a run goes on: true when the run can end early.
 * That is when the journal has run.end, or a step was refused, or else
 * when every step has run (a `step` entry with code 0 for each index; for
 * hook steps the `hook` entry; for an ERP restart the erp.ready entry
 * after it when there is one), every `call` expectation has its at_least
 * matching calls in its window or its window has closed, and `settle_s`
 * seconds have passed since the last of those things happened (a step
 * that changed an after-sale counts from the end of the second of the
 * after-sale's new update_time, which can run ahead of the clock). False
 * while run.start is not in the journal. `now_us` is the current real
 * time (Unix microseconds). Pure: reads only its arguments.
 */
bool conf_judge_decided(const struct scn_scenario *s, const char *jsonl,
                        size_t len, int64_t now_us, double settle_s);

/*
 * conf_judge_decided, and when it answers false only because the settling
 * time has not passed yet, *decided_at_us (when not NULL) is the moment it
 * will answer true if nothing new comes (Unix microseconds); else 0. The
 * runner sleeps until then instead of asking again and again.
 */
bool conf_judge_decided_at(const struct scn_scenario *s, const char *jsonl,
                           size_t len, int64_t now_us, double settle_s,
                           int64_t *decided_at_us);

/* Frees what `j` owns and leaves it empty. Safe on a zeroed struct. */
void conf_judgement_free(struct conf_judgement *j);

/*
 * Writes the judgement as one JSON object:
 * {"verdict": "FAIL", "sentence": "...", "findings": [{"verdict", "rule",
 * "at_s" (number or null), "sentence"}, ...], "expects": [{"index", "id"
 * (or null), "level", "kind" ("call"|"no_call"|"final"), "met", "count",
 * "first_s" (number or null)}, ...]}. `s` is the judged scenario.
 */
void conf_judgement_write_json(const struct conf_judgement *j,
                               const struct scn_scenario *s, struct dd_jw *w);

/*
 * Judges a recorded run from files (`ddconform judge --scenario F
 * --journal J`): prints "VERDICT  sentence" on stdout and returns the
 * exit status harness.md gives for that verdict: PASS, WARN and SKIP 0
 * (WARN 1 when `strict`), FAIL 1, FUNDS_AT_RISK 2, ERROR 3. A scenario
 * that does not load or a journal that cannot be read: the problems on
 * stderr, 3.
 */
int conf_judge_files(const char *scenario_path, const char *journal_path,
                     bool strict);

#endif
