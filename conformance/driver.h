/*
 * driver.h: the ERP driver. Runs one scenario against the ERP under test,
 * exactly as harness.md "The ERP-under-test contract" (version 1) says,
 * and judges the run.
 *
 * For one scenario file the driver loads the scenario (a file that does
 * not load is ERROR with its file:line:col problems), decides the run's
 * mode (push or poll-only) and the SKIPs (a push-required scenario under
 * --no-push, a hook scenario without --erp-hook), creates the run on the
 * mock through its admin API (gateway.h), starts the ERP through
 * `/bin/sh -c` in a new process group with the contract's environment,
 * waits until it is ready, starts the timeline, answers the replay
 * engine's events (hook calls, ERP restarts), collects the run's journal,
 * ends the run when the judge says every expectation is decided or at
 * max_seconds, stops the ERP (SIGTERM to its group, SIGKILL 5 s later),
 * and judges the journal (judge.h).
 *
 * Everything of a run lands in its report folder DIR/runs/NAME:
 * scenario.json (a copy), journal.jsonl (the run's journal entries, one
 * per line), pushes.jsonl (its push entries alone: every delivery
 * attempt, what was sent and the ERP's answer), erp.log (the ERP's stdout and
 * stderr, every start of it, with the driver's marker lines), hooks.jsonl (one
 * line per hook call: the event, the reply, exit status, stderr, milliseconds),
 * state/ (the ERP's DOUDIAN_STATE_DIR) and verdict.json.
 *
 * Real-time budgets (10 s for the push listener and for a hook, 2 s for a
 * poll-only ERP's first call, 5 s between SIGTERM and SIGKILL, the settle
 * time) are multiplied by the stretch (DDCONFORM_STRETCH under sanitizers
 * and valgrind), which the mock also applies to the scenario's own times.
 *
 * Threads: conf_run_drive may run on several threads at once, each with
 * its own struct conf_gw. It starts processes with posix_spawn (never
 * fork) and waits only for its own children by pid. The process must
 * ignore SIGPIPE (a hook that exits before reading its stdin).
 */
#ifndef CONF_DRIVER_H
#define CONF_DRIVER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway.h"
#include "judge.h"

/* What every run of one ddconform invocation shares. Borrowed strings. */
struct conf_driver {
    const char *erp_cmd;    /* --erp: run through /bin/sh -c */
    const char *hook_cmd;   /* --erp-hook, or NULL */
    bool push;              /* the mode of "either" scenarios: --push */
    int64_t time_scale;     /* --time-scale, 0 = the scenario's/default */
    double stretch;         /* >= 1: multiplies every real-time budget */
    const char *report_dir; /* runs go to report_dir/runs/NAME */
    /* When non-NULL and non-zero, runs end at once (ddconform got SIGINT
     * or SIGTERM): the verdict is ERROR "interrupted". */
    const volatile sig_atomic_t *stop;
};

/* One scenario run: what to run, and, after conf_run_drive, its outcome. */
struct conf_run {
    /* input (borrowed) */
    const char *path; /* the scenario file */
    const char *name; /* the run folder's base name, unique among the
                         runs of this report ("0001-refund"); the mode is
                         appended ("0001-refund-push") */
    /* outcome (owned; conf_run_free) */
    int id;           /* info.id, 0 when the scenario did not load */
    char *title;      /* info.title, or the file's base name */
    const char *mode; /* "push", "poll", or NULL (did not load) */
    enum conf_verdict verdict;
    char *sentence; /* one sentence, "" for PASS */
    char *errors;   /* the loader's "file:line:col: ..." lines, or NULL */
    char *dir;      /* the run's report folder */
    double seconds; /* wall time of the run */
};

/* Prepares a run of the scenario at `path` with folder base name `name`
 * (both borrowed, must outlive the run). */
void conf_run_init(struct conf_run *r, const char *path, const char *name);

/*
 * Runs the scenario r->path against d->erp_cmd through the mock that `gw`
 * talks to, and fills r's outcome. Never fails as a function: every
 * problem becomes the run's verdict (ERROR for the harness, the scenario
 * or the mock; SKIP when the ERP lacks what the scenario needs), and the
 * report folder holds whatever was gathered.
 */
void conf_run_drive(const struct conf_driver *d, struct conf_gw *gw,
                    struct conf_run *r);

/* Frees the run's outcome strings. */
void conf_run_free(struct conf_run *r);

/* The run folder base name for a scenario path: its base name without
 * ".json". Returns a new string (free with free()). */
char *conf_run_name_for(const char *path);

#endif
