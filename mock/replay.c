/*
 * replay.c: the scenario replay engine and its admin calls (replay.h;
 * scenarios/FORMAT.md "Time", "timeline", "Conditions", "Actions";
 * harness.md "Lifecycle" and "Hook"; mock/README.md "Scenario replay").
 *
 * A run owns its loaded scenario and, per timeline step, where the step
 * stands (waiting for its condition, due at a time, handed to the runner
 * as an event, done, refused). The engine has no thread and no loop of its
 * own: each time a step becomes due it puts a timer on the server's heap
 * (tick_cb), so steps run on the loop's thread between HTTP turns, in
 * order of due time and, at the same moment, in file order. Conditions
 * are fed by the router (every API call of a world that has a run) and by
 * push.c (every acknowledged platform message). Platform actions are
 * applied through mock_admin_internal, the admin API's own handlers, so a
 * step and the same admin call can never differ.
 *
 * Hook and restart steps become events; the runner takes them with
 * GET /_mock/runs/K/next, a long-poll: when nothing is waiting, the HTTP
 * answer {"event": null} is held (http.c suspends the connection, as for
 * an injected latency) under a ticket, and the moment an event appears the
 * held answer is replaced by it (mock_http_answer_held). The loop never
 * waits for anyone.
 *
 * Every entry the engine journals carries the run's app_key; kinds and
 * fields are the shared design's (mock/README.md "Scenario replay",
 * "Journal entries"), because the judge reads nothing else.
 */
#include "replay.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "http.h"
#include "journal.h"
#include "scenario.h"
#include "server.h"
#include "settings.h"
#include "timers.h"
#include "world.h"
#include "worldfile.h"

/* Long-polls held at once on one run. */
#define WAITERS_MAX 16
/* A scenario's first_call_within may not exceed a day. */
#define FIRST_CALL_WITHIN_MAX 86400.0
#define NO_STEP               SIZE_MAX

/* ================================================================ types */

enum run_state { RUN_CREATED, RUN_ARMED, RUN_RUNNING, RUN_ENDED };

static const char *const run_state_names[] = {"created", "armed", "running",
                                              "ended"};

enum step_state { ST_WAITING, ST_DUE, ST_EVENT, ST_DONE, ST_REFUSED };

static const char *const step_state_names[] = {"waiting", "due", "event",
                                               "done", "refused"};

enum ev_kind { EV_HOOK, EV_RESTART, EV_END };

/* An event for the runner: a hook call to make, a restart to do, or the
 * end of the run. */
struct event {
    uint64_t id; /* from 1, per run */
    enum ev_kind kind;
    size_t step;  /* the step it stands for (NO_STEP for the end) */
    bool handed;  /* given to the runner */
    bool replied; /* the runner answered */
    char *input;  /* EV_HOOK: the hook's input object (JSON, owned) */
};

struct step_rt {
    enum step_state state;
    int64_t due_us; /* ST_DUE: when it runs */
    int64_t ran_us; /* ST_DONE: when it ran (0 = not yet) */
};

struct waiter {
    uint64_t ticket;     /* the held HTTP answer */
    int64_t deadline_us; /* after this the answer went out by itself */
};

struct run {
    uint64_t id;           /* unique in the process; names its timers */
    uint64_t world_serial; /* the world it drives */
    char key[20];          /* the world's app_key: the run's key */
    struct scn_scenario *scn;
    bool push, hook;
    int64_t time_scale;
    double stretch;
    enum run_state state;
    int64_t t0_us;      /* when the timeline started (0 = not yet) */
    int64_t end_due_us; /* t0 + max_seconds x stretch */
    uint64_t end_seq;   /* the run.end entry */
    char *error;        /* why the run ended in error, or NULL */
    struct step_rt *steps;
    struct event *events;
    size_t n_events, cap_events;
    size_t end_event;        /* index in events of the end event, or NO_STEP */
    int64_t pending_tick_ms; /* the last tick set and not yet run, or -1 */
    struct waiter waiters[WAITERS_MAX];
    size_t n_waiters;
};

struct mock_replay {
    struct mock_server *s; /* borrowed */
    struct run **runs;
    size_t n, cap;
    uint64_t last_id;
};

/* ================================================================ memory */

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("ddmock: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xrealloc(NULL, n);
    memcpy(d, s, n);
    return d;
}

static void run_free(struct run *run)
{
    if (!run)
        return;
    for (size_t i = 0; i < run->n_events; i++)
        free(run->events[i].input);
    free(run->events);
    free(run->steps);
    free(run->error);
    scn_scenario_free(run->scn);
    free(run);
}

struct mock_replay *mock_replay_new(struct mock_server *s)
{
    struct mock_replay *r = xrealloc(NULL, sizeof *r);
    memset(r, 0, sizeof *r);
    r->s = s;
    return r;
}

void mock_replay_free(struct mock_replay *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        run_free(r->runs[i]);
    free(r->runs);
    free(r);
}

/* ================================================================ helpers */

static struct run *by_key(const struct mock_replay *r, const char *key)
{
    for (size_t i = 0; key && i < r->n; i++)
        if (strcmp(r->runs[i]->key, key) == 0)
            return r->runs[i];
    return NULL;
}

static struct run *by_id(const struct mock_replay *r, uint64_t id)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->runs[i]->id == id)
            return r->runs[i];
    return NULL;
}

static struct run *by_world(const struct mock_replay *r, uint64_t serial)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->runs[i]->world_serial == serial)
            return r->runs[i];
    return NULL;
}

/* Finds run `key` or says why not. */
static struct run *find(const struct mock_replay *r, const char *key, char *err,
                        size_t errlen)
{
    struct run *run = by_key(r, key);
    if (!run)
        snprintf(err, errlen, "no run %.40s (create one with POST /_mock/runs)",
                 key ? key : "");
    return run;
}

static struct mock_world *world_of(const struct mock_replay *r,
                                   const struct run *run)
{
    return mock_worlds_by_serial(&r->s->worlds, run->world_serial);
}

/* Seconds to microseconds, rounded (budgets are non-negative). */
static int64_t usec(double seconds)
{
    return (int64_t)(seconds * 1e6 + 0.5);
}

/* A number of seconds or a stretch as a JSON number. */
static void put_number(struct dd_jw *w, double v)
{
    char num[40];
    snprintf(num, sizeof num, "%.15g", v);
    dd_jw_raw(w, num, strlen(num));
}

/* A parsed JSON value, written in its canonical form. */
static void put_json(struct dd_jw *w, const struct dd_json *v)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    if (!v || dd_json_write_canonical(&b, v, DD_ESCAPE_PLAIN) != 0) {
        dd_jw_null(w);
    } else {
        dd_jw_raw(w, b.data, b.len);
    }
    dd_buf_free(&b);
}

/* An id written as a string of digits, whether the scenario wrote it as a
 * number or a string. */
static void put_id(struct dd_jw *w, const struct dd_json *v)
{
    int64_t id;
    if (v && dd_json_int64(v, &id) == 0)
        dd_jw_int_str(w, id);
    else if (v && v->type == DD_JSON_STRING)
        dd_jw_strn(w, v->text, v->len);
    else
        put_json(w, v);
}

/* The world's compact state (mock_world_state) as JSON text, or "null"
 * when the world is gone. */
static void world_state_text(const struct mock_replay *r, const struct run *run,
                             struct dd_buf *out)
{
    const struct mock_world *w = world_of(r, run);
    if (!w) {
        dd_buf_puts(out, "null");
        return;
    }
    struct dd_jw jw;
    dd_jw_init(&jw, out);
    mock_world_state(w, &jw);
}

static const char *push_mode_name(enum scn_push_mode m)
{
    return m == SCN_PUSH_REQUIRED    ? "required"
           : m == SCN_PUSH_FORBIDDEN ? "forbidden"
                                     : "either";
}

/* Appends one entry of the run to the journal; returns its seq. `time_us`
 * 0 = now. Texts may be NULL. */
static uint64_t journal(const struct mock_replay *r, const struct run *run,
                        const char *kind, const char *method, int64_t code,
                        const char *verdict, const char *params,
                        const char *response, const char *note, int64_t time_us)
{
    struct mock_journal_entry e;
    memset(&e, 0, sizeof e);
    e.time_us = time_us;
    snprintf(e.kind, sizeof e.kind, "%s", kind);
    snprintf(e.app_key, sizeof e.app_key, "%s", run->key);
    snprintf(e.method, sizeof e.method, "%s", method);
    if (verdict)
        snprintf(e.verdict, sizeof e.verdict, "%s", verdict);
    e.code = code;
    e.whole = true; /* state snapshots: the judge reads them entire */
    e.params = (char *)params;
    e.response = (char *)response;
    e.note = (char *)note;
    return mock_journal_add(r->s->journal, &e);
}

/* The "error" member of an admin answer, into msg ("" when none). */
static void answer_error(const struct dd_buf *answer, char *msg, size_t cap)
{
    msg[0] = '\0';
    struct dd_json_doc doc;
    if (answer->len &&
        dd_json_parse(answer->data, answer->len, NULL, &doc, NULL) == 0) {
        const struct dd_json *e = dd_json_get(doc.root, "error");
        if (e && e->type == DD_JSON_STRING)
            snprintf(msg, cap, "%s", e->text);
        dd_json_doc_free(&doc);
    }
}

/* ================================================================ events */

static struct event *add_event(struct run *run, enum ev_kind kind, size_t step,
                               char *input)
{
    if (run->n_events == run->cap_events) {
        run->cap_events = run->cap_events ? run->cap_events * 2 : 8;
        run->events =
            xrealloc(run->events, run->cap_events * sizeof *run->events);
    }
    struct event *ev = &run->events[run->n_events++];
    memset(ev, 0, sizeof *ev);
    ev->id = run->n_events;
    ev->kind = kind;
    ev->step = step;
    ev->input = input;
    return ev;
}

/* The event the next `next` hands out: the end once the run has ended,
 * else the oldest hook or restart not handed out yet; NULL when none. */
static struct event *next_event(struct run *run)
{
    if (run->state == RUN_ENDED)
        return run->end_event == NO_STEP ? NULL : &run->events[run->end_event];
    for (size_t i = 0; i < run->n_events; i++)
        if (!run->events[i].handed && run->events[i].kind != EV_END)
            return &run->events[i];
    return NULL;
}

static void write_event(struct dd_jw *w, const struct run *run,
                        const struct event *ev)
{
    dd_jw_object_begin(w);
    dd_jw_kint(w, "id", (int64_t)ev->id);
    if (ev->kind == EV_END) {
        dd_jw_kstr(w, "kind", "end");
        dd_jw_kstr(w, "reason", run->error ? "error" : "ended");
    } else {
        dd_jw_kstr(w, "kind", ev->kind == EV_HOOK ? "hook" : "restart");
        dd_jw_kint(w, "step", (int64_t)ev->step);
        if (ev->kind == EV_HOOK) {
            dd_jw_key(w, "input");
            dd_jw_raw(w, ev->input, strlen(ev->input));
        }
    }
    dd_jw_object_end(w);
}

/* The answer of `next`: {"event": ...}. */
static void write_next(struct dd_jw *w, const struct run *run,
                       const struct event *ev)
{
    dd_jw_object_begin(w);
    dd_jw_key(w, "event");
    if (ev)
        write_event(w, run, ev);
    else
        dd_jw_null(w);
    dd_jw_object_end(w);
}

/* The "params" of a step entry: {"index", "id", "with"}. */
static void step_params(const struct run *run, size_t i, struct dd_buf *out)
{
    const struct scn_step *st = &run->scn->steps[i];
    struct dd_jw w;
    dd_jw_init(&w, out);
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "index", (int64_t)i);
    dd_jw_kstr(&w, "id", st->id ? st->id : "");
    dd_jw_key(&w, "with");
    put_json(&w, st->with);
    dd_jw_object_end(&w);
}

/* Marks an event as given to the runner; a hook or restart event's step
 * is journalled now (code 0), with the event as its response. */
static void hand_out(const struct mock_replay *r, struct run *run,
                     struct event *ev)
{
    if (ev->handed)
        return;
    ev->handed = true;
    if (ev->kind == EV_END)
        return;
    struct dd_buf params, resp;
    struct dd_jw w;
    dd_buf_init(&params, 0);
    dd_buf_init(&resp, 0);
    step_params(run, ev->step, &params);
    dd_jw_init(&w, &resp);
    write_event(&w, run, ev);
    char note[64];
    snprintf(note, sizeof note, "handed out as event %llu",
             (unsigned long long)ev->id);
    journal(r, run, "step", run->scn->steps[ev->step].name, 0, NULL,
            dd_buf_str(&params), dd_buf_str(&resp), note, 0);
    dd_buf_free(&params);
    dd_buf_free(&resp);
}

/* Answers held long-polls, oldest first, while there is an event for them;
 * a waiter whose answer already went out (time up, client gone) is
 * dropped without taking the event. */
static void wake(const struct mock_replay *r, struct run *run)
{
    while (run->n_waiters) {
        struct event *ev = next_event(run);
        if (!ev)
            return;
        uint64_t ticket = run->waiters[0].ticket;
        run->n_waiters--;
        memmove(run->waiters, run->waiters + 1,
                run->n_waiters * sizeof *run->waiters);
        struct dd_buf b;
        struct dd_jw w;
        dd_buf_init(&b, 0);
        dd_jw_init(&w, &b);
        write_next(&w, run, ev);
        if (mock_http_answer_held(r->s->http, ticket, 200, b.data, b.len) == 0)
            hand_out(r, run, ev);
        dd_buf_free(&b);
    }
}

/* Answers every held long-poll of a run that is going away with 404. */
static void release_waiters(const struct mock_replay *r, struct run *run)
{
    char body[128];
    snprintf(body, sizeof body, "{\"error\":\"run %s was deleted\"}", run->key);
    for (size_t i = 0; i < run->n_waiters; i++)
        mock_http_answer_held(r->s->http, run->waiters[i].ticket, 404, body,
                              strlen(body));
    run->n_waiters = 0;
}

/* ================================================================ engine */

static void tick_cb(struct mock_server *s, uint64_t run_id, uint64_t due_ms);

/* Makes the engine look at the run at `due_us` (real time). Steps due in
 * the same millisecond share one timer (a timeline of many steps at one
 * moment puts one timer on the heap, not one per step). */
static void schedule(const struct mock_replay *r, struct run *run,
                     int64_t due_us)
{
    int64_t due_ms = (due_us + 999) / 1000;
    if (due_ms == run->pending_tick_ms)
        return;
    run->pending_tick_ms = due_ms;
    mock_timer_add(&r->s->timers, due_ms, tick_cb, run->id, (uint64_t)due_ms);
}

/* Step j's condition was met at `when_us`: it runs after its delay. */
static void make_due(const struct mock_replay *r, struct run *run, size_t j,
                     int64_t when_us)
{
    run->steps[j].state = ST_DUE;
    run->steps[j].due_us =
        when_us + usec(run->scn->steps[j].delay * run->stretch);
    schedule(r, run, run->steps[j].due_us);
}

/* Step i ran at `ran_us`: the steps waiting for it become due. */
static void step_ran(const struct mock_replay *r, struct run *run, size_t i,
                     int64_t ran_us)
{
    run->steps[i].state = ST_DONE;
    run->steps[i].ran_us = ran_us;
    for (size_t j = 0; j < run->scn->n_steps; j++) {
        const struct scn_step *st = &run->scn->steps[j];
        if (run->steps[j].state == ST_WAITING && st->when == SCN_AFTER_STEP &&
            st->ref_step == i)
            make_due(r, run, j, ran_us);
    }
}

/*
 * Ends the run: no step runs any more; journals the world's final state
 * and run.end, and makes the end event available. `error` (or NULL) says
 * why the run ended in error.
 */
static void end_run(const struct mock_replay *r, struct run *run,
                    const char *error)
{
    if (run->state == RUN_ENDED)
        return;
    run->state = RUN_ENDED;
    if (error)
        run->error = xstrdup(error);
    struct dd_buf state, note;
    dd_buf_init(&state, 0);
    dd_buf_init(&note, 0);
    world_state_text(r, run, &state);
    journal(r, run, "final", "run.final", 0, NULL, NULL, dd_buf_str(&state),
            NULL, 0);
    if (error)
        dd_buf_printf(&note, "error: %s", error);
    else
        dd_buf_puts(&note, "ended");
    run->end_seq = journal(r, run, "run", "run.end", 0, NULL, NULL, NULL,
                           dd_buf_str(&note), 0);
    dd_buf_free(&state);
    dd_buf_free(&note);
    run->end_event = run->n_events;
    add_event(run, EV_END, NO_STEP, NULL);
    wake(r, run);
}

/* A step could not be done: journalled with `code` and the reason, and
 * the run ends in error. */
static void step_failed(const struct mock_replay *r, struct run *run, size_t i,
                        int code, const char *how, const char *why,
                        const char *response)
{
    struct dd_buf params, msg;
    dd_buf_init(&params, 0);
    dd_buf_init(&msg, 0);
    step_params(run, i, &params);
    journal(r, run, "step", run->scn->steps[i].name, code, NULL,
            dd_buf_str(&params), response, why, 0);
    run->steps[i].state = ST_REFUSED;
    dd_buf_printf(&msg, "step %zu (%s) %s: %s", i, run->scn->steps[i].name, how,
                  why);
    end_run(r, run, dd_buf_str(&msg));
    dd_buf_free(&params);
    dd_buf_free(&msg);
}

/* The hook's input object of a warehouse step (harness.md "Hook"), with
 * ids as strings of digits. */
static char *hook_input(const struct scn_step *st)
{
    struct dd_buf b;
    struct dd_jw w;
    dd_buf_init(&b, 0);
    dd_jw_init(&w, &b);
    const struct dd_json *with = st->with;
    dd_jw_object_begin(&w);
    dd_jw_kstr(&w, "event", st->name);
    if (st->action == SCN_DO_HOOK_SHIP) {
        dd_jw_key(&w, "shop_order_id");
        put_id(&w, dd_json_get(with, "shop_order_id"));
        dd_jw_key(&w, "sku_order_ids");
        dd_jw_array_begin(&w);
        const struct dd_json *ids = dd_json_get(with, "sku_order_ids");
        for (size_t k = 0; ids && ids->type == DD_JSON_ARRAY && k < ids->n; k++)
            put_id(&w, &ids->kids[k]);
        dd_jw_array_end(&w);
    } else {
        dd_jw_key(&w, "aftersale_id");
        put_id(&w, dd_json_get(with, "aftersale_id"));
        dd_jw_key(&w, "tracking_no");
        put_json(&w, dd_json_get(with, "tracking_no"));
        dd_jw_key(&w, "items");
        dd_jw_array_begin(&w);
        const struct dd_json *items = dd_json_get(with, "items");
        for (size_t k = 0;
             items && items->type == DD_JSON_ARRAY && k < items->n; k++) {
            const struct dd_json *it = &items->kids[k];
            dd_jw_object_begin(&w);
            dd_jw_key(&w, "sku_order_id");
            put_id(&w, dd_json_get(it, "sku_order_id"));
            dd_jw_key(&w, "quantity");
            put_json(&w, dd_json_get(it, "quantity"));
            dd_jw_object_end(&w);
        }
        dd_jw_array_end(&w);
        dd_jw_key(&w, "condition");
        put_json(&w, dd_json_get(with, "condition"));
    }
    dd_jw_object_end(&w);
    char *s = dd_buf_steal(&b);
    return s ? s : xstrdup("{}");
}

/* The admin call that does a platform action: fills path and body. */
static void action_call(const struct run *run, const struct scn_step *st,
                        struct dd_buf *path, struct dd_buf *body)
{
    dd_buf_printf(path, "/_mock/worlds/%s/", run->key);
    switch (st->action) {
    case SCN_DO_ACTOR:
        dd_buf_printf(path, "actions/%s", st->name);
        break;
    case SCN_DO_FAULT:
        dd_buf_puts(path, "faults");
        break;
    case SCN_DO_FORGED_PUSH:
        dd_buf_puts(path, "push/forged");
        break;
    case SCN_DO_TOKEN:
        dd_buf_puts(path, strcmp(st->name, "token.revoke") == 0
                              ? "tokens/revoke"
                              : "tokens/expire");
        break;
    case SCN_DO_FIRE_TIMER: {
        int64_t id = 0;
        char num[24];
        dd_json_int64(dd_json_get(st->with, "aftersale_id"), &id);
        dd_int64_to_str(id, num);
        dd_buf_printf(path, "aftersales/%s/fire_timer", num);
        return; /* no body */
    }
    default:
        return;
    }
    dd_json_write_canonical(body, st->with, DD_ESCAPE_PLAIN);
}

/* Runs step i now: a platform action through the admin API, or an event
 * for the runner. */
static void run_step(const struct mock_replay *r, struct run *run, size_t i)
{
    const struct scn_step *st = &run->scn->steps[i];
    if (st->action == SCN_DO_HOOK_SHIP || st->action == SCN_DO_HOOK_RETURN) {
        add_event(run, EV_HOOK, i, hook_input(st));
        run->steps[i].state = ST_EVENT;
        wake(r, run);
        return;
    }
    if (st->action == SCN_DO_RESTART_ERP) {
        add_event(run, EV_RESTART, i, NULL);
        run->steps[i].state = ST_EVENT;
        wake(r, run);
        return;
    }
    struct dd_buf path, body, answer;
    dd_buf_init(&path, 0);
    dd_buf_init(&body, 0);
    dd_buf_init(&answer, 0);
    action_call(run, st, &path, &body);
    int status = mock_admin_internal(r->s, "POST", dd_buf_str(&path), body.data,
                                     body.len, &answer);
    if (status == 200) {
        struct dd_buf params;
        dd_buf_init(&params, 0);
        step_params(run, i, &params);
        int64_t now = mock_now_us();
        journal(r, run, "step", st->name, 0, NULL, dd_buf_str(&params),
                dd_buf_str(&answer), NULL, now);
        dd_buf_free(&params);
        step_ran(r, run, i, now);
    } else {
        char why[512];
        answer_error(&answer, why, sizeof why);
        if (!why[0])
            snprintf(why, sizeof why, "HTTP %d", status);
        step_failed(r, run, i, status, "was refused", why, dd_buf_str(&answer));
    }
    dd_buf_free(&path);
    dd_buf_free(&body);
    dd_buf_free(&answer);
}

/*
 * Runs every step of the run that is due by now, earliest first and, at
 * the same moment, in file order (steps made due by one that just ran
 * join in), then ends the run if its time is up. Steps due at or after
 * the end never run.
 */
static void advance(const struct mock_replay *r, struct run *run)
{
    int64_t now = mock_now_us();
    while (run->state == RUN_RUNNING) {
        size_t best = NO_STEP;
        for (size_t i = 0; i < run->scn->n_steps; i++) {
            const struct step_rt *x = &run->steps[i];
            if (x->state == ST_DUE && x->due_us <= now &&
                x->due_us < run->end_due_us &&
                (best == NO_STEP || x->due_us < run->steps[best].due_us))
                best = i;
        }
        if (best == NO_STEP)
            break;
        run_step(r, run, best);
        now = mock_now_us();
    }
    if (run->state == RUN_RUNNING && now >= run->end_due_us)
        end_run(r, run, NULL);
}

static void tick_cb(struct mock_server *s, uint64_t run_id, uint64_t due_ms)
{
    struct run *run = s->replay ? by_id(s->replay, run_id) : NULL;
    if (!run)
        return;
    if (run->pending_tick_ms == (int64_t)due_ms)
        run->pending_tick_ms = -1; /* that millisecond may be set again */
    if (run->state == RUN_RUNNING)
        advance(s->replay, run);
}

/* The timeline starts now (t0): `at` steps and the end are scheduled. */
static void begin(const struct mock_replay *r, struct run *run, const char *why)
{
    int64_t t0 = mock_now_us();
    run->state = RUN_RUNNING;
    run->t0_us = t0;
    run->end_due_us = t0 + usec(run->scn->max_seconds * run->stretch);
    journal(r, run, "run", "run.start", 0, NULL, NULL, NULL, why, t0);
    for (size_t i = 0; i < run->scn->n_steps; i++) {
        const struct scn_step *st = &run->scn->steps[i];
        if (st->when != SCN_AT)
            continue;
        run->steps[i].state = ST_DUE;
        run->steps[i].due_us = t0 + usec(st->at * run->stretch);
        schedule(r, run, run->steps[i].due_us);
    }
    schedule(r, run, run->end_due_us);
}

/* first_call_within passed without a call. */
static void arm_cb(struct mock_server *s, uint64_t run_id, uint64_t unused)
{
    (void)unused;
    struct run *run = s->replay ? by_id(s->replay, run_id) : NULL;
    if (run && run->state == RUN_ARMED)
        begin(s->replay, run, "first_call_within passed without an API call");
}

void mock_replay_api_call(struct mock_replay *r, const struct mock_world *w,
                          const char *method, const struct dd_json *params,
                          int64_t code)
{
    if (!r || r->n == 0 || !w)
        return;
    struct run *run = by_world(r, w->serial);
    if (!run)
        return;
    if (run->state == RUN_ARMED) {
        char why[160];
        snprintf(why, sizeof why, "the ERP's first API call (%.100s)",
                 method ? method : "");
        begin(r, run, why);
        return; /* that call came before t0 */
    }
    if (run->state != RUN_RUNNING || !method)
        return;
    int64_t now = mock_now_us();
    for (size_t j = 0; j < run->scn->n_steps; j++) {
        const struct scn_step *st = &run->scn->steps[j];
        if (run->steps[j].state != ST_WAITING || st->when != SCN_AFTER_CALL ||
            strcmp(st->method, method) != 0 ||
            (st->success_only && code != 10000) ||
            !scn_args_match(st->args, params))
            continue;
        make_due(r, run, j, now);
    }
}

void mock_replay_push_acked(struct mock_replay *r, const struct mock_world *w,
                            int tag, int64_t aftersale_id)
{
    if (!r || r->n == 0 || !w)
        return;
    struct run *run = by_world(r, w->serial);
    if (!run || run->state != RUN_RUNNING)
        return;
    int64_t now = mock_now_us();
    for (size_t j = 0; j < run->scn->n_steps; j++) {
        const struct scn_step *st = &run->scn->steps[j];
        if (run->steps[j].state != ST_WAITING || st->when != SCN_AFTER_ACK ||
            st->tag != tag ||
            (st->aftersale_id && st->aftersale_id != aftersale_id))
            continue;
        make_due(r, run, j, now);
    }
}

/* ================================================================ C API */

int mock_replay_create(struct mock_replay *r,
                       const struct mock_replay_params *p, const char *text,
                       size_t len, struct dd_jw *out, struct dd_buf *errs,
                       char *err, size_t errlen)
{
    static const struct mock_replay_params none;
    if (!p)
        p = &none;
    struct mock_server *s = r->s;
    if (r->n >= MOCK_REPLAY_RUNS_MAX) {
        snprintf(err, errlen, "at most %d runs may live at once",
                 MOCK_REPLAY_RUNS_MAX);
        return MOCK_REPLAY_EFULL;
    }
    double stretch = p->stretch == 0 ? 1 : p->stretch;
    if (!(stretch >= 1 && stretch <= MOCK_REPLAY_STRETCH_MAX)) {
        snprintf(err, errlen, "stretch must be a number from 1 to %g",
                 MOCK_REPLAY_STRETCH_MAX);
        return MOCK_REPLAY_EINVAL;
    }
    if (p->time_scale < 0) {
        snprintf(err, errlen, "time_scale must be a positive integer");
        return MOCK_REPLAY_EINVAL;
    }
    const char *name = p->name && *p->name ? p->name : "scenario.json";
    struct scn_scenario *scn = scn_scenario_parse(name, text, len, errs);
    if (!scn) {
        snprintf(err, errlen, "the scenario has problems");
        return MOCK_REPLAY_EINVAL;
    }

    /* time scale: the caller's, the scenario's, the default; / stretch */
    int64_t scale = p->time_scale     ? p->time_scale
                    : scn->time_scale ? scn->time_scale
                                      : MOCK_REPLAY_DEFAULT_TIME_SCALE;
    int64_t effective = (int64_t)((double)scale / stretch);
    if (effective < 1)
        effective = 1;
    struct mock_settings set = s->defaults;
    char num[24], serr[200];
    dd_int64_to_str(effective, num);
    if (mock_settings_set(&set, "time_scale", num, serr, sizeof serr) != 0) {
        snprintf(err, errlen, "time_scale %s: %s", num, serr);
        scn_scenario_free(scn);
        return MOCK_REPLAY_EINVAL;
    }

    /* a fresh world with fresh credentials, as POST /_mock/worlds makes */
    int64_t now = mock_now();
    struct mock_world *world = NULL;
    for (int attempt = 0; attempt < 4 && !world; attempt++) {
        /* a given seed gives the same world again; an app_key taken by
         * a live world (the same seed twice) draws again */
        uint64_t step = UINT64_C(0x9e3779b97f4a7c15);
        uint64_t seed = p->seed + (uint64_t)attempt * step;
        if (!p->seed_set)
            seed = s->seed + (s->worlds.n + (uint64_t)attempt) * step +
                   (uint64_t)mock_now_us();
        world = mock_world_from_json(scn->world, name, &set, seed, now,
                                     attempt ? NULL : errs);
        if (!world) {
            snprintf(err, errlen, "the scenario's world has problems");
            scn_scenario_free(scn);
            return MOCK_REPLAY_EINVAL;
        }
        if (mock_worlds_add(&s->worlds, world) != 0) {
            mock_world_free(world); /* app_key taken: draw again */
            world = NULL;
        }
    }
    if (!world) {
        snprintf(err, errlen, "no free app_key was found for the run");
        scn_scenario_free(scn);
        return MOCK_REPLAY_EFULL;
    }
    const char *auth_code = NULL;
    if (world->app_type == MOCK_APP_TOOL && world->shops.n) {
        uint32_t ci = mock_auth_code_issue(world, 0, now);
        auth_code = world->auth_codes.v[ci].code;
    }

    struct run *run = xrealloc(NULL, sizeof *run);
    memset(run, 0, sizeof *run);
    run->id = ++r->last_id;
    run->world_serial = world->serial;
    snprintf(run->key, sizeof run->key, "%s", world->app_key);
    run->scn = scn;
    run->push = p->push;
    run->hook = p->hook;
    run->time_scale = effective;
    run->stretch = stretch;
    run->state = RUN_CREATED;
    run->end_event = NO_STEP;
    run->pending_tick_ms = -1;
    run->steps =
        xrealloc(NULL, (scn->n_steps ? scn->n_steps : 1) * sizeof *run->steps);
    memset(run->steps, 0,
           (scn->n_steps ? scn->n_steps : 1) * sizeof *run->steps);
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->runs = xrealloc(r->runs, r->cap * sizeof *r->runs);
    }
    r->runs[r->n++] = run;

    double max_seconds = scn->max_seconds * stretch;
    struct dd_buf params;
    struct dd_jw w;
    dd_buf_init(&params, 0);
    dd_jw_init(&w, &params);
    dd_jw_object_begin(&w);
    dd_jw_kstr(&w, "name", name);
    dd_jw_kint(&w, "scenario_id", scn->id);
    dd_jw_kstr(&w, "title", scn->title);
    dd_jw_kbool(&w, "push", run->push);
    dd_jw_kbool(&w, "hook", run->hook);
    dd_jw_kint(&w, "time_scale", effective);
    dd_jw_key(&w, "stretch");
    put_number(&w, stretch);
    dd_jw_key(&w, "max_seconds");
    put_number(&w, max_seconds);
    dd_jw_kint(&w, "poll_interval", scn->poll_interval);
    dd_jw_kstr(&w, "push_mode", push_mode_name(scn->push));
    dd_jw_kbool(&w, "needs_hook", scn->needs_hook);
    dd_jw_key(&w, "world");
    mock_world_state(world, &w);
    dd_jw_object_end(&w);
    journal(r, run, "run", "run.create", 0, NULL, dd_buf_str(&params), NULL,
            NULL, 0);
    dd_buf_free(&params);

    dd_jw_object_begin(out);
    dd_jw_kstr(out, "run", run->key);
    dd_jw_kstr(out, "app_key", world->app_key);
    dd_jw_kstr(out, "app_secret", world->app_secret);
    dd_jw_kint_str(out, "shop_id",
                   world->shops.n ? world->shops.v[0].shop_id : 0);
    dd_jw_key(out, "auth_code");
    if (auth_code)
        dd_jw_str(out, auth_code);
    else
        dd_jw_null(out);
    dd_jw_kint(out, "scenario_id", scn->id);
    dd_jw_kstr(out, "title", scn->title);
    dd_jw_kbool(out, "push", run->push);
    dd_jw_kbool(out, "hook", run->hook);
    dd_jw_kint(out, "time_scale", effective);
    dd_jw_key(out, "stretch");
    put_number(out, stretch);
    dd_jw_kint(out, "poll_interval", scn->poll_interval);
    dd_jw_key(out, "max_seconds");
    put_number(out, max_seconds);
    dd_jw_kbool(out, "needs_hook", scn->needs_hook);
    dd_jw_kstr(out, "push_mode", push_mode_name(scn->push));
    dd_jw_object_end(out);
    return 0;
}

int mock_replay_start(struct mock_replay *r, const char *key,
                      double first_call_within, struct dd_jw *out, char *err,
                      size_t errlen)
{
    struct run *run = find(r, key, err, errlen);
    if (!run)
        return MOCK_REPLAY_ENORUN;
    if (run->state != RUN_CREATED) {
        snprintf(err, errlen, "run %s is %s: it can be started only once",
                 run->key, run_state_names[run->state]);
        return MOCK_REPLAY_ESTATE;
    }
    if (first_call_within > FIRST_CALL_WITHIN_MAX) {
        snprintf(err, errlen, "first_call_within must be at most %g seconds",
                 FIRST_CALL_WITHIN_MAX);
        return MOCK_REPLAY_EINVAL;
    }
    if (first_call_within < 0) {
        begin(r, run, "started by the runner");
    } else {
        run->state = RUN_ARMED;
        if (first_call_within > 0)
            mock_timer_add(&r->s->timers,
                           mock_now_ms() +
                               (int64_t)(first_call_within * 1000 + 0.5),
                           arm_cb, run->id, 0);
    }
    dd_jw_object_begin(out);
    dd_jw_kbool(out, "started", run->state == RUN_RUNNING);
    dd_jw_object_end(out);
    return 0;
}

int mock_replay_next(struct mock_replay *r, const char *key, struct dd_jw *out,
                     bool *got, char *err, size_t errlen)
{
    struct run *run = find(r, key, err, errlen);
    if (!run)
        return MOCK_REPLAY_ENORUN;
    struct event *ev = next_event(run);
    write_next(out, run, ev);
    if (ev)
        hand_out(r, run, ev);
    if (got)
        *got = ev != NULL;
    return 0;
}

int mock_replay_wait(struct mock_replay *r, const char *key, uint64_t ticket,
                     int64_t wait_ms, char *err, size_t errlen)
{
    struct run *run = find(r, key, err, errlen);
    if (!run)
        return MOCK_REPLAY_ENORUN;
    int64_t now = mock_now_us();
    size_t k = 0;
    for (size_t i = 0; i < run->n_waiters; i++)
        if (run->waiters[i].deadline_us > now)
            run->waiters[k++] = run->waiters[i];
    run->n_waiters = k;
    if (run->n_waiters == WAITERS_MAX) {
        snprintf(err, errlen, "at most %d long-polls may wait on a run",
                 WAITERS_MAX);
        return MOCK_REPLAY_EFULL;
    }
    run->waiters[run->n_waiters++] =
        (struct waiter){ticket, now + wait_ms * 1000};
    return 0;
}

/* Why a hook's reply breaks harness.md "Hook", or NULL when it does not. */
static const char *hook_reply_problem(enum scn_action action,
                                      const struct dd_json *reply)
{
    if (!reply || reply->type != DD_JSON_OBJECT)
        return "the hook's reply is not a JSON object";
    if (action == SCN_DO_HOOK_SHIP) {
        const struct dd_json *shipped = dd_json_get(reply, "shipped");
        if (!shipped ||
            (shipped->type != DD_JSON_TRUE && shipped->type != DD_JSON_FALSE))
            return "the reply to warehouse.ship_request has no boolean "
                   "\"shipped\"";
        if (shipped->type == DD_JSON_TRUE) {
            const struct dd_json *cc = dd_json_get(reply, "company_code");
            const struct dd_json *tn = dd_json_get(reply, "tracking_no");
            if (!cc || cc->type != DD_JSON_STRING || cc->len == 0 || !tn ||
                tn->type != DD_JSON_STRING || tn->len == 0)
                return "\"shipped\": true needs the strings \"company_code\" "
                       "and \"tracking_no\"";
        }
        return NULL;
    }
    const struct dd_json *received = dd_json_get(reply, "received");
    if (!received || received->type != DD_JSON_TRUE)
        return "the reply to warehouse.return_arrived is not "
               "{\"received\": true}";
    return NULL;
}

/* A hook event's answer: the "hook" entry with the state now. */
static void hook_replied(const struct mock_replay *r, struct run *run,
                         const struct event *ev, bool ok,
                         const struct dd_json *reply, const char *error,
                         struct dd_jw *out)
{
    const struct scn_step *st = &run->scn->steps[ev->step];
    const char *problem = NULL;
    char why[512];
    if (!ok) {
        snprintf(why, sizeof why, "%s",
                 error && *error ? error : "the hook failed");
        problem = why;
    } else {
        problem = hook_reply_problem(st->action, reply);
    }
    struct dd_buf params, state, resp;
    struct dd_jw w;
    dd_buf_init(&params, 0);
    dd_buf_init(&state, 0);
    dd_buf_init(&resp, 0);
    world_state_text(r, run, &state);
    dd_jw_init(&w, &params);
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "index", (int64_t)ev->step);
    dd_jw_key(&w, "input");
    dd_jw_raw(&w, ev->input, strlen(ev->input));
    dd_jw_key(&w, "state");
    dd_jw_raw(&w, state.data, state.len);
    dd_jw_object_end(&w);
    dd_buf_free(&state);
    if (reply)
        dd_json_write_canonical(&resp, reply, DD_ESCAPE_PLAIN);
    int64_t now = mock_now_us();
    journal(r, run, "hook", st->name, 0, problem ? "failed" : "ok",
            dd_buf_str(&params), reply ? dd_buf_str(&resp) : NULL, problem,
            now);
    dd_buf_free(&params);
    dd_buf_free(&resp);
    step_ran(r, run, ev->step, now);
    dd_jw_object_begin(out);
    dd_jw_kbool(out, "accepted", true);
    dd_jw_kstr(out, "verdict", problem ? "failed" : "ok");
    dd_jw_key(out, "note");
    if (problem)
        dd_jw_str(out, problem);
    else
        dd_jw_null(out);
    dd_jw_object_end(out);
}

int mock_replay_reply(struct mock_replay *r, const char *key, uint64_t event_id,
                      bool ok, const struct dd_json *reply, const char *error,
                      struct dd_jw *out, char *err, size_t errlen)
{
    struct run *run = find(r, key, err, errlen);
    if (!run)
        return MOCK_REPLAY_ENORUN;
    if (event_id == 0 || event_id > run->n_events) {
        snprintf(err, errlen, "run %s has no event %llu", run->key,
                 (unsigned long long)event_id);
        return MOCK_REPLAY_ENORUN;
    }
    struct event *ev = &run->events[event_id - 1];
    const char *why = NULL;
    if (ev->kind == EV_END)
        why = "is the end of the run: it takes no reply";
    else if (!ev->handed)
        why = "was not handed out yet";
    else if (ev->replied)
        why = "was answered already";
    else if (run->state == RUN_ENDED)
        why = "came too late: the run has ended";
    if (why) {
        snprintf(err, errlen, "event %llu of run %s %s",
                 (unsigned long long)event_id, run->key, why);
        return MOCK_REPLAY_ESTATE;
    }
    ev->replied = true;
    if (ev->kind == EV_HOOK) {
        hook_replied(r, run, ev, ok, reply, error, out);
    } else if (ok) {
        step_ran(r, run, ev->step, mock_now_us());
        dd_jw_object_begin(out);
        dd_jw_kbool(out, "accepted", true);
        dd_jw_kstr(out, "verdict", "ok");
        dd_jw_key(out, "note");
        dd_jw_null(out);
        dd_jw_object_end(out);
    } else {
        char msg[600];
        snprintf(msg, sizeof msg, "the ERP could not be restarted: %s",
                 error && *error ? error : "no reason given");
        dd_jw_object_begin(out);
        dd_jw_kbool(out, "accepted", true);
        dd_jw_kstr(out, "verdict", "failed");
        dd_jw_kstr(out, "note", msg);
        dd_jw_object_end(out);
        step_failed(r, run, ev->step, 500, "failed", msg, NULL);
    }
    return 0;
}

int mock_replay_erp(struct mock_replay *r, const char *key, const char *what,
                    int64_t pid, const int64_t *status, const char *note,
                    struct dd_jw *out, char *err, size_t errlen)
{
    static const char *const whats[] = {"start", "ready", "kill", "exit",
                                        "term"};
    struct run *run = find(r, key, err, errlen);
    if (!run)
        return MOCK_REPLAY_ENORUN;
    size_t k = 0;
    while (k < sizeof whats / sizeof whats[0] &&
           (!what || strcmp(what, whats[k]) != 0))
        k++;
    if (k == sizeof whats / sizeof whats[0]) {
        snprintf(err, errlen,
                 "what must be \"start\", \"ready\", \"kill\", \"exit\" or "
                 "\"term\"");
        return MOCK_REPLAY_EINVAL;
    }
    char method[16];
    snprintf(method, sizeof method, "erp.%s", whats[k]);
    struct dd_buf params;
    struct dd_jw w;
    dd_buf_init(&params, 0);
    dd_jw_init(&w, &params);
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "pid", pid);
    if (status)
        dd_jw_kint(&w, "status", *status);
    dd_jw_object_end(&w);
    uint64_t seq = journal(r, run, "erp", method, status ? *status : 0, NULL,
                           dd_buf_str(&params), NULL, note, 0);
    dd_buf_free(&params);
    dd_jw_object_begin(out);
    dd_jw_kint(out, "seq", (int64_t)seq);
    dd_jw_object_end(out);
    return 0;
}

int mock_replay_end(struct mock_replay *r, const char *key, struct dd_jw *out,
                    char *err, size_t errlen)
{
    struct run *run = find(r, key, err, errlen);
    if (!run)
        return MOCK_REPLAY_ENORUN;
    end_run(r, run, NULL);
    dd_jw_object_begin(out);
    dd_jw_kbool(out, "ended", true);
    dd_jw_kint(out, "last_seq", (int64_t)run->end_seq);
    dd_jw_object_end(out);
    return 0;
}

int mock_replay_state(struct mock_replay *r, const char *key, struct dd_jw *out,
                      char *err, size_t errlen)
{
    struct run *run = find(r, key, err, errlen);
    if (!run)
        return MOCK_REPLAY_ENORUN;
    dd_jw_object_begin(out);
    dd_jw_kstr(out, "run", run->key);
    dd_jw_kstr(out, "state", run_state_names[run->state]);
    dd_jw_kint(out, "scenario_id", run->scn->id);
    dd_jw_kstr(out, "title", run->scn->title);
    dd_jw_key(out, "t0_us");
    if (run->t0_us)
        dd_jw_int(out, run->t0_us);
    else
        dd_jw_null(out);
    dd_jw_key(out, "steps");
    dd_jw_array_begin(out);
    for (size_t i = 0; i < run->scn->n_steps; i++) {
        const struct step_rt *x = &run->steps[i];
        dd_jw_object_begin(out);
        dd_jw_kint(out, "index", (int64_t)i);
        dd_jw_kstr(out, "id", run->scn->steps[i].id);
        dd_jw_kstr(out, "action", run->scn->steps[i].name);
        dd_jw_kstr(out, "state", step_state_names[x->state]);
        dd_jw_key(out, "ran_us");
        if (x->state == ST_DONE)
            dd_jw_int(out, x->ran_us);
        else
            dd_jw_null(out);
        dd_jw_object_end(out);
    }
    dd_jw_array_end(out);
    dd_jw_key(out, "error");
    if (run->error)
        dd_jw_str(out, run->error);
    else
        dd_jw_null(out);
    dd_jw_object_end(out);
    return 0;
}

void mock_replay_list(struct mock_replay *r, struct dd_jw *out)
{
    dd_jw_object_begin(out);
    dd_jw_key(out, "runs");
    dd_jw_array_begin(out);
    for (size_t i = 0; i < r->n; i++) {
        const struct run *run = r->runs[i];
        dd_jw_object_begin(out);
        dd_jw_kstr(out, "run", run->key);
        dd_jw_kstr(out, "state", run_state_names[run->state]);
        dd_jw_kint(out, "scenario_id", run->scn->id);
        dd_jw_kstr(out, "title", run->scn->title);
        dd_jw_object_end(out);
    }
    dd_jw_array_end(out);
    dd_jw_object_end(out);
}

void mock_replay_world_removed(struct mock_replay *r, uint64_t serial)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        struct run *run = r->runs[i];
        if (run->world_serial != serial)
            continue;
        release_waiters(r, run);
        run_free(run);
        r->runs[i] = r->runs[--r->n];
        return;
    }
}

/* ================================================================ admin */

/* Answers an error of this module with the HTTP status it stands for. */
static void fail(struct mock_admin_call *a, int rc, const char *err)
{
    int status = rc == MOCK_REPLAY_ENORUN   ? 404
                 : rc == MOCK_REPLAY_ESTATE ? 409
                 : rc == MOCK_REPLAY_EFULL  ? 503
                                            : 400;
    mock_admin_error(a, status, "%s", err);
}

/* A query flag: absent = false; "1"/"true" or "0"/"false". */
static bool query_flag(struct mock_admin_call *a, const char *name, bool *out)
{
    const char *v = dd_query_get(&a->q, name);
    *out = false;
    if (!v)
        return true;
    if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0)
        return true;
    mock_admin_error(a, 400, "%s must be 1 or 0", name);
    return false;
}

/* POST /_mock/runs?name=F&push=1&hook=1&time_scale=N&stretch=X&seed=S */
static void create(struct mock_admin_call *a)
{
    struct mock_replay_params p;
    memset(&p, 0, sizeof p);
    p.name = dd_query_get(&a->q, "name");
    if (!query_flag(a, "push", &p.push) || !query_flag(a, "hook", &p.hook))
        return;
    const char *ts = dd_query_get(&a->q, "time_scale");
    if (ts &&
        (dd_parse_int64(ts, strlen(ts), &p.time_scale) || p.time_scale < 1)) {
        mock_admin_error(a, 400, "time_scale must be a positive integer");
        return;
    }
    const char *st = dd_query_get(&a->q, "stretch");
    if (st) {
        char *end = NULL;
        p.stretch = strtod(st, &end);
        if (!*st || *end ||
            !(p.stretch >= 1 && p.stretch <= MOCK_REPLAY_STRETCH_MAX)) {
            mock_admin_error(a, 400, "stretch must be a number from 1 to %g",
                             MOCK_REPLAY_STRETCH_MAX);
            return;
        }
    }
    const char *seed = dd_query_get(&a->q, "seed");
    if (seed) {
        /* an unsigned decimal of 1 to 20 digits, at most 2^64 - 1 */
        size_t n = strlen(seed);
        bool ok = n >= 1 && n <= 20;
        uint64_t v = 0;
        for (size_t i = 0; i < n && ok; i++) {
            unsigned d = (unsigned)(seed[i] - '0');
            ok = seed[i] >= '0' && seed[i] <= '9' && v <= (UINT64_MAX - d) / 10;
            v = v * 10 + d;
        }
        if (!ok) {
            mock_admin_error(a, 400,
                             "seed must be an unsigned decimal integer below "
                             "2^64");
            return;
        }
        p.seed_set = true;
        p.seed = v;
    }
    if (a->rq->body_len == 0) {
        mock_admin_error(a, 400, "the body must be the scenario file");
        return;
    }
    struct dd_buf errs;
    char err[256];
    dd_buf_init(&errs, 0);
    int rc = mock_replay_create(a->srv->replay, &p, a->rq->body,
                                a->rq->body_len, &a->w, &errs, err, sizeof err);
    if (rc == MOCK_REPLAY_EINVAL && errs.len) {
        /* {"error": ..., "errors": [every file:line:col line]} */
        dd_buf_reset(&a->rs->body);
        dd_jw_init(&a->w, &a->rs->body);
        a->rs->status = 400;
        dd_jw_object_begin(&a->w);
        dd_jw_kstr(&a->w, "error", err);
        dd_jw_key(&a->w, "errors");
        dd_jw_array_begin(&a->w);
        const char *s = dd_buf_str(&errs);
        while (*s) {
            const char *nl = strchr(s, '\n');
            size_t n = nl ? (size_t)(nl - s) : strlen(s);
            if (n)
                dd_jw_strn(&a->w, s, n);
            s += n + (nl != NULL);
        }
        dd_jw_array_end(&a->w);
        dd_jw_object_end(&a->w);
    } else if (rc) {
        fail(a, rc, err);
    }
    dd_buf_free(&errs);
}

/* Parses an optional JSON object body (empty = {}); answers 400 and
 * returns false when it is not one. */
static bool object_body(struct mock_admin_call *a, struct dd_json_doc *doc)
{
    memset(doc, 0, sizeof *doc);
    if (a->rq->body_len == 0)
        return true;
    if (!mock_admin_body_json(a, doc))
        return false;
    if (doc->root->type != DD_JSON_OBJECT) {
        mock_admin_error(a, 400, "request:1:1: the body must be a JSON object");
        dd_json_doc_free(doc);
        return false;
    }
    return true;
}

/* Answers 400 for the first member of `root` not named in `keys`. */
static bool known_keys(struct mock_admin_call *a, const struct dd_json *root,
                       const char *const *keys)
{
    for (size_t i = 0; root && i < root->n; i++) {
        const struct dd_json *v = &root->kids[i];
        bool known = false;
        for (size_t k = 0; keys[k] && !known; k++)
            known = strlen(keys[k]) == v->key_len &&
                    memcmp(keys[k], v->key, v->key_len) == 0;
        if (!known) {
            mock_admin_error(a, 400, "request:%u:%u: unknown member \"%.*s\"",
                             v->key_pos.line, v->key_pos.col,
                             (int)(v->key_len > 64 ? 64 : v->key_len), v->key);
            return false;
        }
    }
    return true;
}

/* POST /_mock/runs/K/start, body {} or {"first_call_within": S} */
static void start(struct mock_admin_call *a, const char *key)
{
    static const char *const keys[] = {"first_call_within", NULL};
    struct dd_json_doc doc;
    if (!object_body(a, &doc))
        return;
    double within = -1;
    const struct dd_json *v = dd_json_get(doc.root, "first_call_within");
    bool ok = known_keys(a, doc.root, keys);
    if (ok && !dd_json_is_absent(v)) {
        char *end = NULL;
        if (v->type == DD_JSON_NUMBER)
            within = strtod(v->text, &end);
        if (v->type != DD_JSON_NUMBER || *end || !(within >= 0)) {
            mock_admin_error(a, 400,
                             "request:%u:%u: first_call_within must be a "
                             "number of seconds >= 0 (0 = wait for the call)",
                             v->pos.line, v->pos.col);
            ok = false;
        }
    }
    dd_json_doc_free(&doc);
    if (!ok)
        return;
    char err[256];
    int rc =
        mock_replay_start(a->srv->replay, key, within, &a->w, err, sizeof err);
    if (rc)
        fail(a, rc, err);
}

/* GET /_mock/runs/K/next?wait_ms=N: a long-poll (loop never blocks). */
static void next(struct mock_admin_call *a, const char *key)
{
    const char *ws = dd_query_get(&a->q, "wait_ms");
    int64_t wait_ms = 0;
    if (ws && (dd_parse_int64(ws, strlen(ws), &wait_ms) || wait_ms < 0 ||
               wait_ms > MOCK_REPLAY_WAIT_MAX_MS)) {
        mock_admin_error(a, 400, "wait_ms must be an integer from 0 to %d",
                         MOCK_REPLAY_WAIT_MAX_MS);
        return;
    }
    char err[256];
    bool got = false;
    int rc =
        mock_replay_next(a->srv->replay, key, &a->w, &got, err, sizeof err);
    if (rc) {
        fail(a, rc, err);
        return;
    }
    if (got || wait_ms == 0 || !a->srv->http)
        return;
    /* hold {"event": null}; the engine replaces it when an event comes */
    uint64_t ticket = mock_http_ticket(a->srv->http);
    if (mock_replay_wait(a->srv->replay, key, ticket, wait_ms, err,
                         sizeof err) == 0) {
        a->rs->delay_ms = wait_ms;
        a->rs->hold_ticket = ticket;
    }
}

/* POST /_mock/runs/K/events/ID/reply, body {"ok": true, "reply": {...}}
 * or {"ok": false, "error": "..."} */
static void reply(struct mock_admin_call *a, const char *key, const char *id_s)
{
    static const char *const keys[] = {"ok", "reply", "error", NULL};
    int64_t id;
    if (dd_parse_int64(id_s, strlen(id_s), &id) || id < 1) {
        mock_admin_error(a, 404, "no event %s", id_s);
        return;
    }
    struct dd_json_doc doc;
    if (!object_body(a, &doc))
        return;
    const struct dd_json *ok = dd_json_get(doc.root, "ok");
    const struct dd_json *rep = dd_json_get(doc.root, "reply");
    const struct dd_json *er = dd_json_get(doc.root, "error");
    if (!known_keys(a, doc.root, keys)) {
        dd_json_doc_free(&doc);
        return;
    }
    if (!ok || (ok->type != DD_JSON_TRUE && ok->type != DD_JSON_FALSE)) {
        mock_admin_error(a, 400, "the body needs \"ok\": true or false");
    } else if (!dd_json_is_absent(er) && er->type != DD_JSON_STRING) {
        mock_admin_error(a, 400, "\"error\" must be a string");
    } else {
        char err[256];
        int rc = mock_replay_reply(
            a->srv->replay, key, (uint64_t)id, ok->type == DD_JSON_TRUE,
            dd_json_is_absent(rep) ? NULL : rep,
            dd_json_is_absent(er) ? NULL : er->text, &a->w, err, sizeof err);
        if (rc)
            fail(a, rc, err);
    }
    dd_json_doc_free(&doc);
}

/* POST /_mock/runs/K/erp {"what", "pid", "status"?, "note"?} */
static void erp(struct mock_admin_call *a, const char *key)
{
    static const char *const keys[] = {"what", "pid", "status", "note", NULL};
    struct dd_json_doc doc;
    if (!object_body(a, &doc))
        return;
    const struct dd_json *what = dd_json_get(doc.root, "what");
    const struct dd_json *pid = dd_json_get(doc.root, "pid");
    const struct dd_json *st = dd_json_get(doc.root, "status");
    const struct dd_json *note = dd_json_get(doc.root, "note");
    int64_t pid_v = 0, status_v = 0;
    if (!known_keys(a, doc.root, keys)) {
        /* answered */
    } else if (!what || what->type != DD_JSON_STRING) {
        mock_admin_error(a, 400,
                         "the body needs \"what\": \"start\", "
                         "\"ready\", \"kill\", \"exit\" or \"term\"");
    } else if (!pid || dd_json_int64(pid, &pid_v) || pid_v < 0) {
        mock_admin_error(a, 400, "the body needs \"pid\": an integer >= 0");
    } else if (!dd_json_is_absent(st) && dd_json_int64(st, &status_v)) {
        mock_admin_error(a, 400, "\"status\" must be an integer");
    } else if (!dd_json_is_absent(note) && note->type != DD_JSON_STRING) {
        mock_admin_error(a, 400, "\"note\" must be a string");
    } else {
        char err[256];
        int rc = mock_replay_erp(a->srv->replay, key, what->text, pid_v,
                                 dd_json_is_absent(st) ? NULL : &status_v,
                                 dd_json_is_absent(note) ? NULL : note->text,
                                 &a->w, err, sizeof err);
        if (rc)
            fail(a, rc, err);
    }
    dd_json_doc_free(&doc);
}

/* DELETE /_mock/runs/K: the run and its world, as DELETE /_mock/worlds/K
 * does (which also frees the run, through mock_replay_world_removed). */
static void delete_run(struct mock_admin_call *a, const char *key)
{
    char err[256];
    if (!find(a->srv->replay, key, err, sizeof err)) {
        mock_admin_error(a, 404, "%s", err);
        return;
    }
    struct dd_buf path, answer;
    dd_buf_init(&path, 0);
    dd_buf_init(&answer, 0);
    dd_buf_printf(&path, "/_mock/worlds/%s", key);
    int status = mock_admin_internal(a->srv, "DELETE", dd_buf_str(&path), NULL,
                                     0, &answer);
    if (status != 200) {
        char why[256];
        answer_error(&answer, why, sizeof why);
        mock_admin_error(a, status, "%s", why);
    } else {
        dd_jw_object_begin(&a->w);
        dd_jw_kstr(&a->w, "deleted", key);
        dd_jw_object_end(&a->w);
    }
    dd_buf_free(&path);
    dd_buf_free(&answer);
}

/*
 * The admin calls of this module (mock/README.md "Scenario replay"):
 *   POST   /_mock/runs?name=F&push=1|0&hook=1|0&time_scale=N&stretch=X&seed=S
 *   GET    /_mock/runs
 *   GET    /_mock/runs/K               DELETE /_mock/runs/K
 *   POST   /_mock/runs/K/start         GET    /_mock/runs/K/next?wait_ms=N
 *   POST   /_mock/runs/K/events/ID/reply
 *   POST   /_mock/runs/K/erp           POST   /_mock/runs/K/end
 */
bool mock_admin_runs(struct mock_admin_call *a)
{
    char **seg = a->seg;
    size_t n = a->n;
    if (n < 1 || strcmp(seg[0], "runs") != 0)
        return false;
    struct mock_replay *r = a->srv->replay;
    char err[256];
    int rc = 0;
    if (!r) {
        mock_admin_error(a, 503, "scenario replay is not running");
        return true;
    }
    if (n == 1) {
        if (mock_admin_is(a, "POST"))
            create(a);
        else if (mock_admin_is(a, "GET"))
            mock_replay_list(r, &a->w);
        else
            mock_admin_error(a, 405, "use GET or POST");
        return true;
    }
    const char *key = seg[1];
    const char *verb = n == 2 ? NULL : seg[2];
    if (n == 2) {
        if (mock_admin_is(a, "GET"))
            rc = mock_replay_state(r, key, &a->w, err, sizeof err);
        else if (mock_admin_is(a, "DELETE"))
            delete_run(a, key);
        else
            mock_admin_error(a, 405, "use GET or DELETE");
    } else if (n == 3 && strcmp(verb, "next") == 0) {
        if (mock_admin_is(a, "GET"))
            next(a, key);
        else
            mock_admin_error(a, 405, "use GET");
    } else if (n == 3 &&
               (strcmp(verb, "start") == 0 || strcmp(verb, "erp") == 0 ||
                strcmp(verb, "end") == 0)) {
        if (!mock_admin_is(a, "POST"))
            mock_admin_error(a, 405, "use POST");
        else if (strcmp(verb, "start") == 0)
            start(a, key);
        else if (strcmp(verb, "erp") == 0)
            erp(a, key);
        else
            rc = mock_replay_end(r, key, &a->w, err, sizeof err);
    } else if (n == 5 && strcmp(verb, "events") == 0 &&
               strcmp(seg[4], "reply") == 0) {
        if (mock_admin_is(a, "POST"))
            reply(a, key, seg[3]);
        else
            mock_admin_error(a, 405, "use POST");
    } else {
        mock_admin_error(a, 404,
                         "no such admin call (see mock/README.md, "
                         "\"Scenario replay\")");
    }
    if (rc)
        fail(a, rc, err);
    return true;
}
