/*
 * server.c: the ddmock process object and its event loop (server.h).
 *
 * One thread, the one that calls mock_server_run, owns every world, the
 * journal and the HTTP daemon: the loop waits in epoll_wait on the
 * daemon's epoll fd (libmicrohttpd in external-epoll mode, http.c) and on
 * an eventfd that mock_server_stop writes to, and runs the daemon's work
 * when either is ready or its timeout passes. Nothing locks, because
 * nothing else touches the state (the design of harness.md, "one thread
 * owns the world"; the gateway behaviour itself is doudian-open-api.md §1
 * and lives in router.c and the API files).
 *
 * The loop is built to carry more sources on the same thread: the platform
 * timers (a min-heap of deadlines) and the outgoing pushes (a libcurl multi
 * handle whose sockets join the same epoll set). The places where they plug
 * in are marked in mock_server_run. The scenario replay engine (replay.c)
 * has no source of its own: it ticks on the timer heap.
 */
#include "server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "actors.h"
#include "dd_envelope.h"
#include "dd_json.h"
#include "faults.h"
#include "http.h"
#include "push.h"
#include "replay.h"

/* The loop never sleeps longer than this, so a missed wake-up can delay
 * work by at most a second. */
#define LOOP_MAX_WAIT_MS 1000
#define LOOP_MAX_EVENTS  64

int64_t mock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t mock_now_ms(void)
{
    return mock_now_us() / 1000;
}

int64_t mock_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* splitmix64's output function: a bijection on 64 bits. */
static uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/*
 * Prepares the server. The strings of `cfg` are borrowed: they must live
 * as long as the server (main.c passes argv and literals).
 */
int mock_server_init(struct mock_server *s,
                     const struct mock_server_config *cfg,
                     const struct mock_settings *defaults, char *err,
                     size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->stop_fd = -1;
    s->epoll_fd = -1;
    if (cfg)
        s->cfg = *cfg;
    if (!s->cfg.bind_addr)
        s->cfg.bind_addr = "127.0.0.1";
    if (defaults)
        s->defaults = *defaults;
    else
        mock_settings_default(&s->defaults);
    s->seed = s->cfg.seed;
    mock_worlds_init(&s->worlds);
    mock_timers_init(&s->timers);
    s->faults = mock_faults_new();
    s->replay = mock_replay_new(s);

    int64_t cap = s->defaults.journal_capacity;
    if (cap < 1)
        cap = 1;
    if ((uint64_t)cap > SIZE_MAX / 2)
        cap = (int64_t)(SIZE_MAX / 2);
    s->journal =
        mock_journal_new((size_t)cap, s->cfg.journal_path, err, errlen);
    if (!s->journal) {
        mock_replay_free(s->replay);
        s->replay = NULL;
        mock_faults_free(s->faults);
        s->faults = NULL;
        mock_worlds_free(&s->worlds);
        return -1;
    }
    return 0;
}

int mock_server_start(struct mock_server *s, char *err, size_t errlen)
{
    s->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->stop_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        return -1;
    }
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epoll_fd < 0) {
        snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    s->push = mock_push_new(s, err, errlen);
    if (!s->push)
        return -1;
    s->http = mock_http_start(s, s->cfg.bind_addr, s->cfg.port, err, errlen);
    if (!s->http)
        return -1;
    s->port = mock_http_port(s->http);

    int fds[2] = {s->stop_fd, mock_http_epoll_fd(s->http)};
    for (int i = 0; i < 2; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
        if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
            snprintf(err, errlen, "epoll_ctl: %s", strerror(errno));
            return -1;
        }
    }
    return 0;
}

uint16_t mock_server_port(const struct mock_server *s)
{
    return s->port;
}

static bool stopping(const struct mock_server *s)
{
    return __atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE) != 0;
}

/* Empties the stop eventfd so that it does not stay readable. */
static void drain(int fd)
{
    uint64_t v;
    while (read(fd, &v, sizeof v) > 0)
        ;
}

/*
 * The event loop. Each turn: work out how long to sleep (the earliest of
 * every source's deadline, capped), wait for any fd, then give each source
 * its turn. Sources:
 *   - the stop eventfd (mock_server_stop);
 *   - the HTTP daemon's epoll fd and its timeout (idle connections);
 *   - (next issue) platform timers: a min-heap of deadlines; its earliest
 *     deadline bounds the sleep, and due timers fire after the wait;
 *   - (next issue) outgoing pushes: a libcurl multi handle whose sockets
 *     are added to s->epoll_fd from its socket callback and whose timer
 *     callback bounds the sleep; after the wait, curl_multi_socket_action
 *     runs for each of its ready fds and on its timeout.
 * Every source runs on this thread, so world state needs no lock.
 */
static int loop(struct mock_server *s)
{
    struct epoll_event evs[LOOP_MAX_EVENTS];
    int http_fd = mock_http_epoll_fd(s->http);
    mock_server_drain(s); /* deadlines of the worlds loaded at start */
    while (!stopping(s)) {
        /* How long may we sleep? Each source may only shorten it. */
        int64_t now_ms = mock_now_ms();
        int64_t wait = LOOP_MAX_WAIT_MS;
        int64_t t = mock_http_timeout_ms(s->http);
        if (t >= 0 && t < wait)
            wait = t;
        t = mock_timers_wait_ms(&s->timers, now_ms);
        if (t >= 0 && t < wait)
            wait = t;
        t = mock_push_wait_ms(s->push, now_ms);
        if (t >= 0 && t < wait)
            wait = t;
        int n = epoll_wait(s->epoll_fd, evs, LOOP_MAX_EVENTS, (int)wait);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == s->stop_fd)
                drain(fd);
            else if (fd != http_fd)
                mock_push_socket_event(s->push, fd, evs[i].events);
            /* The HTTP fd needs nothing here: the daemon runs below after
             * every wake-up. */
        }
        if (stopping(s))
            break;
        /* HTTP: run after every wake-up; it also expires idle
         * connections, which is why it runs on timeouts too. */
        if (mock_http_run(s->http) < 0)
            return -1;
        now_ms = mock_now_ms();
        mock_server_drain(s);
        mock_timers_run(&s->timers, s, now_ms);
        mock_server_drain(s);
        mock_push_run(s->push, now_ms);
    }
    return 0;
}

void mock_server_drain(struct mock_server *s)
{
    for (size_t i = 0; i < s->worlds.n; i++) {
        struct mock_world *w = s->worlds.v[i];
        for (uint32_t k = 0; k < w->outbox.n; k++) {
            struct mock_event *e = &w->outbox.v[k];
            if (e->tag == MOCK_EVENT_DEADLINE) {
                const struct mock_aftersale *a = &w->aftersales.v[e->aftersale];
                if (a->status_deadline && !mock_aftersale_is_final(a))
                    mock_timer_add(&s->timers, a->status_deadline * 1000,
                                   mock_actor_deadline_cb, w->serial,
                                   e->aftersale);
            } else if (s->push) {
                mock_push_enqueue(s->push, w, e);
            }
        }
        mock_world_outbox_clear(w);
    }
}

void mock_server_journal(struct mock_server *s, const char *kind,
                         const struct mock_world *w, const char *method,
                         const char *fmt, ...)
{
    struct mock_journal_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.kind, sizeof e.kind, "%s", kind);
    if (w)
        snprintf(e.app_key, sizeof e.app_key, "%s", w->app_key);
    snprintf(e.method, sizeof e.method, "%s", method ? method : "");
    char note[MOCK_JOURNAL_TEXT_MAX];
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(note, sizeof note, fmt, ap);
        va_end(ap);
        e.note = note;
    }
    mock_journal_add(s->journal, &e);
}

int mock_server_run(struct mock_server *s)
{
    if (!s->http || s->epoll_fd < 0)
        return -1;
    int rc = loop(s);
    /* The JSON parser keeps per-thread scratch memory; this thread may be
     * about to end (tests run the loop on a thread of their own). */
    dd_json_release_cache();
    return rc;
}

void mock_server_stop(struct mock_server *s)
{
    /* Only async-signal-safe operations: an atomic store and write(2). */
    __atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE);
    if (s->stop_fd >= 0) {
        uint64_t one = 1;
        ssize_t rc = write(s->stop_fd, &one, sizeof one);
        (void)rc; /* EAGAIN: the counter is already non-zero, fine */
    }
}

void mock_server_free(struct mock_server *s)
{
    mock_http_stop(s->http);
    s->http = NULL;
    mock_push_free(s->push);
    s->push = NULL;
    mock_faults_free(s->faults);
    s->faults = NULL;
    mock_replay_free(s->replay);
    s->replay = NULL;
    mock_timers_free(&s->timers);
    if (s->epoll_fd >= 0)
        close(s->epoll_fd);
    s->epoll_fd = -1;
    if (s->stop_fd >= 0)
        close(s->stop_fd);
    s->stop_fd = -1;
    mock_worlds_free(&s->worlds);
    mock_journal_free(s->journal);
    s->journal = NULL;
}

/*
 * A log_id for now: the time part is the real second, the 80 hex bits are
 * a counter mixed with the seed. mix64 is a bijection, so two ids of one
 * server never share the low 64 bits (for 2^64 requests); the high 16 bits
 * are mixed separately so the ids do not look sequential.
 */
void mock_server_log_id(struct mock_server *s, char out[35])
{
    uint64_t c = ++s->log_counter;
    uint64_t lo = mix64(s->seed + c * UINT64_C(0x9e3779b97f4a7c15));
    uint64_t hi = mix64(lo ^ s->seed);
    dd_log_id_format(out, mock_now(), (uint16_t)hi, lo);
}
