/*
 * server.h: the ddmock process: worlds, journal, HTTP front and the event
 * loop that owns them all.
 *
 * Threads: mock_server_run runs the event loop on the calling thread, and
 * that thread owns every world, the journal and the HTTP daemon (which runs
 * in libmicrohttpd's external-epoll mode, driven by this loop; no MHD
 * threads). The only functions another thread may call are
 * mock_server_stop (it writes to an eventfd the loop watches) and
 * mock_server_port after mock_server_start returned.
 *
 * Lifecycle: mock_server_init, mock_server_start (binds; the port is known
 * and connections are accepted from here on), mock_server_run (until
 * stopped), mock_server_free.
 */
#ifndef MOCK_SERVER_H
#define MOCK_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "settings.h"
#include "timers.h"
#include "world.h"

struct mock_http;
struct mock_push;
struct mock_faults;
struct mock_replay;

struct mock_server_config {
    const char *bind_addr;    /* "127.0.0.1" default */
    uint16_t port;            /* 0 = any free port */
    const char *admin_token;  /* required on /_mock/ when non-NULL */
    const char *journal_path; /* JSONL file, or NULL */
    uint64_t seed;
};

struct mock_server {
    struct mock_server_config cfg;
    struct mock_settings defaults;
    struct mock_worlds worlds;
    struct mock_journal *journal;
    uint64_t seed;
    uint64_t log_counter; /* entropy of log_ids */
    struct mock_http *http;
    struct mock_timers timers; /* platform deadlines, retries, delays */
    struct mock_push *push;    /* outgoing pushes (curl multi) */
    struct mock_faults *faults;
    struct mock_replay *replay; /* scenario runs (replay.h) */
    int stop_fd;                /* eventfd */
    int epoll_fd;
    volatile int stopping;
    uint16_t port;
};

/* Prepares a server (no socket yet). `defaults` may be NULL for the
 * documented defaults. Returns 0 or -1 with a message in err. */
int mock_server_init(struct mock_server *s,
                     const struct mock_server_config *cfg,
                     const struct mock_settings *defaults, char *err,
                     size_t errlen);

/* Binds and starts accepting. Returns 0 or -1 with a message in err. */
int mock_server_start(struct mock_server *s, char *err, size_t errlen);

/* The bound port (after mock_server_start). */
uint16_t mock_server_port(const struct mock_server *s);

/* Runs the event loop until mock_server_stop. Returns 0, or -1 on a fatal
 * loop error. */
int mock_server_run(struct mock_server *s);

/* Asks the loop to return. Safe from any thread and from signal handlers. */
void mock_server_stop(struct mock_server *s);

/* Closes the daemon and frees every world. */
void mock_server_free(struct mock_server *s);

/* Makes a fresh log_id for now. */
void mock_server_log_id(struct mock_server *s, char out[35]);

/* Real wall-clock time in seconds, milliseconds and microseconds. */
int64_t mock_now(void);
int64_t mock_now_ms(void);
int64_t mock_now_us(void);

/* Moves every world's outbox into the push queue (messages) and the timer
 * heap (deadlines). The loop calls it after each turn; admin actions and
 * tests that change worlds outside a turn call it too. */
void mock_server_drain(struct mock_server *s);

/* Appends an event of the mock itself to the journal (kind "actor",
 * "timer", "push", "fault", ...), with a printf-style note. */
void mock_server_journal(struct mock_server *s, const char *kind,
                         const struct mock_world *w, const char *method,
                         const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Handles an admin request (admin.c); called by the router for /_mock/. */
struct mock_request;
struct mock_response;
void mock_admin_handle(struct mock_server *s, const struct mock_request *rq,
                       const char *path, const char *query,
                       struct mock_response *rs);

#endif
