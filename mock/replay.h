/*
 * replay.h: scenario replay, the timeline engine of a conformance run
 * (scenarios/FORMAT.md "Time", "timeline", "Conditions", "Actions";
 * harness.md "Lifecycle" and "Hook"). mock/README.md "Scenario replay"
 * documents the admin calls with curl examples and the journal entries.
 *
 * A run is one scenario replayed on one fresh world of the mock: its own
 * app_key (the run's key), app_secret and authorization code, the
 * scenario's time scale. Once started, the engine runs the timeline: `at`
 * steps at their offset, `after` steps when their condition is first met
 * (a step ran, the ERP called an API of this world, a push was
 * acknowledged), then after their delay; every real-time budget is
 * multiplied by the run's stretch. Platform actions (actors, faults,
 * timers, tokens, forged pushes) go through the admin API's own handlers
 * (mock_admin_internal), so a step does exactly what the same admin call
 * does. Warehouse hook steps and ERP restarts become events for whoever
 * runs the ERP: they take them with mock_replay_next (the admin long-poll
 * GET /_mock/runs/K/next) and answer with mock_replay_reply. The run ends
 * at max_seconds or when mock_replay_end is called. Everything goes to
 * the journal (kinds "run", "step", "hook", "erp", "final"), which is what
 * the judge reads; the mock itself judges nothing.
 *
 * Many runs live at once (ddconform -j N), one per world. Every function
 * here runs on the event loop's thread, which owns the worlds; the engine
 * ticks on the server's timer heap and never blocks.
 *
 * Errors: functions return 0 or a negative enum mock_replay_err, with a
 * message in the caller's buffer; the admin handlers map them to HTTP
 * statuses (400, 404, 409, 503).
 */
#ifndef MOCK_REPLAY_H
#define MOCK_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_buf.h"
#include "dd_json.h"
#include "dd_jw.h"

struct mock_server;
struct mock_world;
struct mock_replay;

enum mock_replay_err {
    MOCK_REPLAY_EINVAL = -1, /* a bad argument or scenario (HTTP 400) */
    MOCK_REPLAY_ENORUN = -2, /* no such run or event (HTTP 404) */
    MOCK_REPLAY_ESTATE = -3, /* not possible in the run's state (409) */
    MOCK_REPLAY_EFULL = -4,  /* too many runs at once (503) */
};

/* At most this many runs live at once on one server. */
#define MOCK_REPLAY_RUNS_MAX 1024
/* The longest long-poll of mock_replay_wait, in milliseconds. */
#define MOCK_REPLAY_WAIT_MAX_MS 30000
/* The time scale of a run when neither the caller nor the scenario sets
 * one (harness.md "Time": 3600 for conformance runs). */
#define MOCK_REPLAY_DEFAULT_TIME_SCALE 3600
/* The largest stretch accepted. */
#define MOCK_REPLAY_STRETCH_MAX 1000.0

/* How to create a run; zero-initialised = the defaults. */
struct mock_replay_params {
    const char *name;   /* the scenario's file name, for messages and the
                           NNNN-slug.json id check; NULL = "scenario.json" */
    bool push;          /* the ERP has a push listener for this run */
    bool hook;          /* the runner has a hook command */
    int64_t time_scale; /* 0 = the scenario's, else 3600 */
    double stretch;     /* >= 1 (0 = 1): multiplies at, delay, within and
                           max_seconds, divides the time scale */
    bool seed_set;      /* seed the world with `seed` (else the server's
                           seed mixed with a counter and the clock) */
    uint64_t seed;
};

/* Returns the (empty) run registry of server `s`, which is borrowed and
 * must outlive it. Free with mock_replay_free. */
struct mock_replay *mock_replay_new(struct mock_server *s);

/* Frees every run (their worlds stay: the server frees those). NULL is a
 * no-op. Held long-polls are not answered: the HTTP front is stopped
 * first and answers them itself. */
void mock_replay_free(struct mock_replay *r);

/*
 * Loads a scenario from `len` bytes of `text` (scn_scenario_parse), builds
 * its world with fresh credentials and the run's time scale (query, then
 * the scenario, then 3600, divided by the stretch, at least 1), issues an
 * authorization code for a tool-type app, journals "run.create" and
 * writes the answer object to `out`: {"run", "app_key", "app_secret",
 * "shop_id", "auth_code" (or null), "scenario_id", "title", "push",
 * "hook", "time_scale", "stretch", "poll_interval", "max_seconds"
 * (stretched), "needs_hook", "push_mode"}. The run is then "created": its
 * timeline waits for mock_replay_start.
 * Returns 0; MOCK_REPLAY_EINVAL with every problem of the scenario in
 * `errs` as "name:line:col: message" lines (may be NULL) and a summary in
 * err; MOCK_REPLAY_EFULL.
 */
int mock_replay_create(struct mock_replay *r,
                       const struct mock_replay_params *p, const char *text,
                       size_t len, struct dd_jw *out, struct dd_buf *errs,
                       char *err, size_t errlen);

/*
 * Starts run `key`'s timeline. With `first_call_within` < 0 the timeline
 * starts now; with 0 it starts at the ERP's first API call of the run's
 * world; with S > 0 at that call or after S seconds, whichever comes first
 * (the run is "armed" meanwhile; the call that starts it is before t0 and
 * counts for no condition). Journals "run.start" when it starts (t0 is
 * that entry's time_us). Writes {"started": true|false} to `out`.
 * Returns 0, MOCK_REPLAY_ENORUN, or MOCK_REPLAY_ESTATE when the run was
 * already started or has ended.
 */
int mock_replay_start(struct mock_replay *r, const char *key,
                      double first_call_within, struct dd_jw *out, char *err,
                      size_t errlen);

/*
 * Hands out run `key`'s oldest event not yet handed out, writing
 * {"event": {"id", "kind": "hook", "step", "input": {the hook's JSON
 * object}}} or {"event": {"id", "kind": "restart", "step"}}, or, once the
 * run has ended, {"event": {"id", "kind": "end", "reason": "ended" |
 * "error"}} (the end event is handed out again on every later call); or
 * {"event": null} when there is none, with *got false. Handing a hook or
 * restart event out journals its "step" entry (code 0). Returns 0 or
 * MOCK_REPLAY_ENORUN.
 */
int mock_replay_next(struct mock_replay *r, const char *key, struct dd_jw *out,
                     bool *got, char *err, size_t errlen);

/*
 * Registers a long-poll on run `key`: the HTTP answer held under `ticket`
 * (http.h, mock_http_ticket) for `wait_ms` milliseconds is replaced by the
 * next event's answer, as mock_replay_next writes it, the moment there is
 * one (the event is then handed out); until then it stays held, and its
 * own delay sends {"event": null}. Waiters are served oldest first; a
 * waiter whose time is up is forgotten. Call it only after
 * mock_replay_next found nothing. Returns 0, MOCK_REPLAY_ENORUN, or
 * MOCK_REPLAY_EFULL when the run has too many waiters already (the caller
 * then answers at once).
 */
int mock_replay_wait(struct mock_replay *r, const char *key, uint64_t ticket,
                     int64_t wait_ms, char *err, size_t errlen);

/*
 * The runner's answer to event `event_id` of run `key`. A hook event:
 * `ok` with `reply` (the hook's JSON object, borrowed), or !ok with
 * `error` (why the hook failed: "exit status 3", "timed out after 10 s",
 * ...). The reply is checked against harness.md ("Hook": ship_request
 * wants a boolean "shipped", and with true the strings "company_code" and
 * "tracking_no"; return_arrived wants {"received": true}) and journalled as
 * a "hook" entry with verdict "ok" or "failed" and the world's state now.
 * A restart event: `ok` once the ERP was started again and is ready; !ok
 * journals the step as refused and ends the run in error. Either way the
 * step has run now, and steps after it go on. Writes {"accepted": true,
 * "verdict": "ok"|"failed", "note": ...} to `out`. Returns 0;
 * MOCK_REPLAY_ENORUN (no such run or event); MOCK_REPLAY_ESTATE (an event
 * not handed out yet, answered already, an end event, or a run that has
 * ended).
 */
int mock_replay_reply(struct mock_replay *r, const char *key, uint64_t event_id,
                      bool ok, const struct dd_json *reply, const char *error,
                      struct dd_jw *out, char *err, size_t errlen);

/*
 * The runner reports the ERP's lifecycle: `what` is "start", "ready",
 * "kill", "exit" or "term"; `pid` the process (group) id; `status` the
 * exit status when known (NULL otherwise); `note` free text or NULL.
 * Journalled as kind "erp", method "erp.WHAT", also after the run ended
 * (the runner stops the ERP then). Writes {"seq": N} to `out`. Returns 0,
 * MOCK_REPLAY_EINVAL (unknown `what`) or MOCK_REPLAY_ENORUN.
 */
int mock_replay_erp(struct mock_replay *r, const char *key, const char *what,
                    int64_t pid, const int64_t *status, const char *note,
                    struct dd_jw *out, char *err, size_t errlen);

/*
 * Ends run `key` now unless it has ended already: no step runs any more;
 * the world's final state ("final", method "run.final") and "run.end"
 * (note "ended") are journalled and the end event becomes available.
 * Writes {"ended": true, "last_seq": the seq of the run.end entry} to
 * `out`. Idempotent. Returns 0 or MOCK_REPLAY_ENORUN.
 */
int mock_replay_end(struct mock_replay *r, const char *key, struct dd_jw *out,
                    char *err, size_t errlen);

/*
 * Writes run `key`'s state to `out`: {"run", "state": "created" | "armed"
 * | "running" | "ended", "scenario_id", "title", "t0_us" (or null),
 * "steps": [{"index", "id", "action", "state": "waiting" | "due" |
 * "event" | "done" | "refused", "ran_us" (or null)}], "error" (or null)}.
 * Returns 0 or MOCK_REPLAY_ENORUN.
 */
int mock_replay_state(struct mock_replay *r, const char *key, struct dd_jw *out,
                      char *err, size_t errlen);

/* Writes {"runs": [{"run", "state", "scenario_id", "title"}, ...]}. */
void mock_replay_list(struct mock_replay *r, struct dd_jw *out);

/*
 * Forgets the run of the world with this serial, if any: the world was
 * deleted, replaced or reset (admin.c calls this before it frees the
 * world). Held long-polls of the run are answered 404. NULL `r` is a
 * no-op.
 */
void mock_replay_world_removed(struct mock_replay *r, uint64_t serial);

/*
 * The router reports an API call of world `w` (after its answer and its
 * journal entry): `method` as the ERP named it, `params` its param_json
 * object (never NULL), `code` the envelope code (10000 = success). Starts
 * an armed run; counts for `after: {"call"}` conditions of a running one.
 * Cheap when no run uses the world. NULL `r` is a no-op.
 */
void mock_replay_api_call(struct mock_replay *r, const struct mock_world *w,
                          const char *method, const struct dd_json *params,
                          int64_t code);

/*
 * push.c reports that the ERP acknowledged a message of world `w` that the
 * platform sent (never a forged one): its tag (200..208) and after-sale
 * (0 when none). Counts for `after: {"ack"}` conditions. NULL `r` is a
 * no-op.
 */
void mock_replay_push_acked(struct mock_replay *r, const struct mock_world *w,
                            int tag, int64_t aftersale_id);

#endif
