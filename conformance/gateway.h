/*
 * gateway.h: a small client of ddmock's admin API (/_mock/...), as any
 * outside runner would speak it.
 *
 * ddconform embeds the mock, but the ERP driver talks to it only over
 * HTTP through this client, so the same driver can later run against a
 * mock in another process (--mock-url). The calls are those of a scenario
 * run (mock/README.md "Scenario runs", /tmp design "A run"): create a run
 * from a scenario file, subscribe the ERP's push listener, start the
 * timeline, long-poll the engine's events and reply to them, report the
 * ERP's lifecycle, end and delete the run, and read the journal.
 *
 * The only file of conformance/ that includes <curl/curl.h>. One struct
 * conf_gw holds one libcurl easy handle (one keep-alive connection): use
 * one per thread. conf_gw_global_init must run once before any thread
 * starts.
 */
#ifndef CONF_GATEWAY_H
#define CONF_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_buf.h"
#include "dd_json.h"

struct conf_gw {
    char base[256];         /* "http://127.0.0.1:PORT", no trailing slash */
    void *curl;             /* CURL easy handle, owned */
    double stretch;         /* multiplies every request timeout (>= 1) */
    long status;            /* HTTP status of the last call, 0 if none */
    struct dd_buf body;     /* the last answer's body */
    struct dd_json_doc doc; /* the last answer parsed (root NULL when the
                               body was not JSON) */
    char err[256];          /* why the last call failed, "" when it did not */
    bool run_seed_set;      /* conf_gw_run_create sends seed=run_seed (set
                               after conf_gw_init, which clears it) */
    uint64_t run_seed;
};

/* Initialises libcurl for the whole process. Call once from the main
 * thread before any other thread exists. Returns 0 or -1. */
int conf_gw_global_init(void);

/* Releases what conf_gw_global_init took. */
void conf_gw_global_cleanup(void);

/* Prepares a client of the mock at `base_url` ("http://127.0.0.1:8080";
 * a trailing slash is dropped). `stretch` (>= 1) multiplies request
 * timeouts. Returns 0, or -1 with a message in err. Free with
 * conf_gw_free. */
int conf_gw_init(struct conf_gw *g, const char *base_url, double stretch,
                 char *err, size_t errlen);

/* Frees the client's handle and buffers. Safe on a zeroed struct. */
void conf_gw_free(struct conf_gw *g);

/*
 * Sends one admin request: `verb` ("GET", "POST", "PUT", "DELETE") of
 * `target` (the path and query, appended to the base URL as is) with
 * `body` of `len` bytes (NULL = no body). The answer's body is kept in
 * g->body and, when it is JSON, parsed into g->doc (both valid until the
 * next call). `timeout_ms` bounds the whole request before stretch (0 =
 * 30 s). Returns the HTTP status, or -1 when no answer arrived
 * (g->err says why).
 */
long conf_gw_call(struct conf_gw *g, const char *verb, const char *target,
                  const char *body, size_t len, long timeout_ms);

/* The answer's JSON root (NULL when the body was not JSON). Borrowed
 * until the next call. */
const struct dd_json *conf_gw_json(const struct conf_gw *g);

/* A short description of a failed call for a verdict sentence: the
 * transport error, or "HTTP 409: <the answer's error member or body>".
 * Borrowed until the next call. */
const char *conf_gw_describe(struct conf_gw *g);

/* Appends `s` percent-encoded for a query string to `out`. */
void conf_gw_escape(struct dd_buf *out, const char *s);

/*
 * The calls of a scenario run; each returns conf_gw_call's value and
 * leaves the answer in g->body / g->doc. `run` is the run key (the run's
 * app_key).
 *
 * conf_gw_run_create: POST /_mock/runs?name=&push=&hook=&stretch=
 *   [&time_scale=][&seed=] with the scenario's bytes (`time_scale` 0 = not
 *   sent; `seed` is g->run_seed, sent when g->run_seed_set).
 * conf_gw_run_start: POST /_mock/runs/K/start with `body` ("{}" or
 *   {"first_call_within": S}).
 * conf_gw_subscribe: PUT /_mock/worlds/K/subscription {"url": url}.
 * conf_gw_run_next: GET /_mock/runs/K/next?wait_ms=N.
 * conf_gw_run_reply: POST /_mock/runs/K/events/ID/reply with `body`.
 * conf_gw_run_erp: POST /_mock/runs/K/erp {"what", "pid", "status"
 *   (when status >= 0), "note" (when non-NULL)}.
 * conf_gw_run_end: POST /_mock/runs/K/end.
 * conf_gw_run_delete: DELETE /_mock/runs/K.
 * conf_gw_journal: GET /_mock/journal?since=SEQ&app_key=K&limit=0.
 */
long conf_gw_run_create(struct conf_gw *g, const char *name, bool push,
                        bool hook, int64_t time_scale, double stretch,
                        const char *scenario, size_t len);
long conf_gw_run_start(struct conf_gw *g, const char *run, const char *body);
long conf_gw_subscribe(struct conf_gw *g, const char *run, const char *url);
long conf_gw_run_next(struct conf_gw *g, const char *run, int wait_ms);
long conf_gw_run_reply(struct conf_gw *g, const char *run, int64_t event_id,
                       const char *body, size_t len);
long conf_gw_run_erp(struct conf_gw *g, const char *run, const char *what,
                     long pid, int status, const char *note);
long conf_gw_run_end(struct conf_gw *g, const char *run);
long conf_gw_run_delete(struct conf_gw *g, const char *run);
long conf_gw_journal(struct conf_gw *g, const char *run, uint64_t since);

#endif
