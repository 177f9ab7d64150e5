/*
 * push.c: signed push delivery of refund messages (push.h), the only file
 * of the mock that includes <curl/curl.h>. Facts: doudian-open-api.md §5
 * (body, headers, event-sign, ack, tag "0" verification); the retry policy
 * is NOT FOUND (shipping-and-operations.md §6): ours is a documented guess
 * (mock/README.md "Push delivery").
 *
 * Per app (world) a FIFO of messages; one batch per app is out at a time, so
 * an app's messages arrive in order (verification first), a failed batch is
 * retried with exponential backoff while the rest wait: at-least-once.
 * Injected faults break the order on purpose. Transfers run on libcurl's
 * multi interface inside the server's event loop: curl's sockets join
 * s->epoll_fd, its timer bounds the loop's sleep, and everything runs on
 * the loop's thread, which owns every world.
 */
#include "push.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "admin.h"
#include "dd_jw.h"
#include "dd_sign.h"
#include "faults.h"
#include "messages.h"
#include "replay.h"
#include "server.h"
#include "world.h"

#define MAX_TRANSFERS    64         /* batches on the wire, all apps */
#define RESPONSE_MAX     (64 << 10) /* receiver's answer kept per attempt */
#define LOG_RESPONSE_MAX 1024       /* of which the delivery log shows */
#define DLOG_MAX         10000      /* delivery log entries kept */
#define DLOG_BYTES_MAX   ((size_t)16 << 20)
#define REORDER_HOLD_MS  2000 /* a reordered message waits at most this */
#define GC_EVERY_MS      1000 /* forget apps of deleted worlds */
#define URL_MAX          2048
#define SYNTHETIC_MAX    100000

/* What is wrong with an attempt on purpose (faults, forged pushes). */
enum {
    C_SIGN = 1,   /* event-sign altered */
    C_APP_ID = 2, /* app-id header of another app */
    C_DATA = 4,   /* data is not valid JSON */
};

/* ================================================================ types */

/* One message waiting in an app's queue or travelling in a batch. */
struct msg {
    struct msg *next;
    int tag; /* 0 = the verification message */
    char msg_id[24];
    char *data; /* owned: the data JSON text */
    int64_t aftersale_id, p_id, s_id;
    int64_t not_before_ms; /* delay fault: not sent before (0 = now) */
    int64_t held_since_ms; /* reorder fault: held since */
    unsigned corrupt;      /* C_* for its next attempt */
    bool forged;           /* injected: sent once, never retried */
};

struct app;

/* The messages of one POST and its attempts. */
struct batch {
    struct app *app;
    struct msg **m;
    size_t n;
    unsigned attempt; /* attempts started */
    int64_t due_ms;   /* next attempt not before */
    bool forged, verify;
    bool sending; /* on the wire */
    /* kept across attempts (a retry sends the same bytes): */
    CURL *easy;
    char *body;
    size_t body_len;
    bool body_bad;      /* built with malformed data: rebuild for a retry */
    char body_sign[33]; /* event-sign of body */
    /* of the current attempt: */
    struct curl_slist *hdr;
    char *url;
    unsigned corrupt; /* C_* of this attempt */
    struct dd_buf resp;
    int64_t start_us;
    char errbuf[CURL_ERROR_SIZE];
};

/* Delivery state of one world (by serial). */
struct app {
    uint64_t serial;
    char app_key[20];
    uint64_t id_key, counter; /* msg_id stream */
    struct msg *head, *tail;  /* FIFO */
    struct msg *held, *held_tail;
    size_t queued, n_held;
    size_t n_delayed; /* queued messages with not_before_ms */
    struct batch *cur;
    uint64_t acked, gave_up, dropped, forged, attempts;
};

/* The msg_id counter of an app whose world was deleted: a world restored
 * under the same app_key goes on from there, so that no msg_id repeats in
 * the process. */
struct retired {
    char app_key[20];
    uint64_t counter;
};

struct dlog {
    uint64_t seq;
    char app_key[20];
    char *json;
    size_t len;
};

struct mock_push {
    struct mock_server *s;
    CURLM *multi;
    int64_t curl_deadline_ms; /* -1: curl needs no wake-up */
    int64_t next_wake_ms;     /* -1: our own queues need none */
    int64_t next_gc_ms;
    unsigned in_flight;
    size_t rr; /* round-robin start of start_work */
    struct app **apps;
    size_t n_apps, cap_apps;
    struct mock_idmap by_serial; /* serial -> index in apps */
    struct retired *retired;
    size_t n_retired, cap_retired;
    unsigned char *fds; /* fds[fd] != 0: a socket of ours */
    size_t n_fds;
    struct dlog *log; /* ring of DLOG_MAX */
    size_t log_head, log_n, log_bytes;
    uint64_t log_seq;
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

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("ddmock: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n + 1);
    return d;
}

static void msg_free(struct msg *m)
{
    if (m) {
        free(m->data);
        free(m);
    }
}

/* ================================================================ ids */

/* splitmix64's finaliser: a bijection on 64 bits. */
static uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/*
 * The next msg_id of an app: a bijective mix of the app's key (from the
 * server seed and the app_key) plus a counter, in decimal. Unique per app
 * in the process (distinct counters give distinct ids) and the same for the
 * same seed, world and sequence of calls: no clock is involved.
 */
static void next_msg_id(struct app *a, char out[24])
{
    uint64_t v = mix64(a->id_key + a->counter++);
    snprintf(out, 24, "%llu", (unsigned long long)v);
}

/* ================================================================ apps */

static struct app *app_find(struct mock_push *p, uint64_t serial)
{
    uint32_t i = mock_idmap_get(&p->by_serial, (int64_t)serial);
    return i == MOCK_NONE ? NULL : p->apps[i];
}

static void queue_verification(struct mock_push *p, struct app *a, bool front);

/* The app of world `w`, created (with its verification message queued
 * first, when the world is subscribed) on first use. */
static struct app *app_get(struct mock_push *p, struct mock_world *w)
{
    struct app *a = app_find(p, w->serial);
    if (a)
        return a;
    a = xcalloc(1, sizeof *a);
    a->serial = w->serial;
    snprintf(a->app_key, sizeof a->app_key, "%s", w->app_key);
    uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a of the app_key */
    for (const char *c = w->app_key; *c; c++)
        h = (h ^ (unsigned char)*c) * UINT64_C(0x100000001b3);
    a->id_key = mix64(p->s->seed ^ mix64(h));
    /* Another world with this app_key before (restored, reset, not yet
     * forgotten): continue its msg_id stream. */
    for (size_t i = 0; i < p->n_apps; i++)
        if (strcmp(p->apps[i]->app_key, a->app_key) == 0 &&
            p->apps[i]->counter > a->counter)
            a->counter = p->apps[i]->counter;
    for (size_t i = 0; i < p->n_retired; i++)
        if (strcmp(p->retired[i].app_key, a->app_key) == 0 &&
            p->retired[i].counter > a->counter)
            a->counter = p->retired[i].counter;
    if (p->n_apps == p->cap_apps) {
        p->cap_apps = p->cap_apps ? p->cap_apps * 2 : 8;
        p->apps = xrealloc(p->apps, p->cap_apps * sizeof *p->apps);
    }
    mock_idmap_put(&p->by_serial, (int64_t)w->serial, (uint32_t)p->n_apps);
    p->apps[p->n_apps++] = a;
    if (w->subscription.url)
        queue_verification(p, a, false);
    return a;
}

/* ================================================================ log */

/* Adds a delivery log entry (the JSON object text in `j`, taken). */
static void dlog_add(struct mock_push *p, const char *app_key, struct dd_buf *j)
{
    if (!p->log)
        p->log = xcalloc(DLOG_MAX, sizeof *p->log);
    while (p->log_n > 0 &&
           (p->log_n == DLOG_MAX || p->log_bytes + j->len > DLOG_BYTES_MAX)) {
        struct dlog *old = &p->log[p->log_head];
        p->log_bytes -= old->len;
        free(old->json);
        p->log_head = (p->log_head + 1) % DLOG_MAX;
        p->log_n--;
    }
    struct dlog *d = &p->log[(p->log_head + p->log_n) % DLOG_MAX];
    d->seq = p->log_seq;
    snprintf(d->app_key, sizeof d->app_key, "%s", app_key);
    d->len = j->len;
    d->json = dd_buf_steal(j);
    p->log_bytes += d->len;
    p->log_n++;
}

/* The outcome of an attempt, or of a message that never went out. */
struct outcome {
    const char *what;  /* "acked", "retry", "gave_up", "forged", "dropped" */
    const char *why;   /* for "dropped": the reason */
    long status;       /* HTTP status, 0 = none */
    const char *error; /* transport error or NULL */
    const char *resp;  /* receiver's body or NULL */
    size_t resp_len;
    int64_t latency_us;
    int64_t retry_in_ms; /* for "retry" */
};

static const char *corrupt_name(unsigned c)
{
    if (c & C_SIGN)
        return "bad_sign";
    if (c & C_APP_ID)
        return "bad_app_id";
    if (c & C_DATA)
        return "bad_data";
    return NULL;
}

/* Writes the ids of messages m[0..n) as the delivery log shows them. */
static void put_ids(struct dd_jw *w, struct msg *const *m, size_t n)
{
    char num[24];
    dd_jw_key(w, "msg_ids");
    dd_jw_array_begin(w);
    for (size_t i = 0; i < n; i++)
        dd_jw_str(w, m[i]->msg_id);
    dd_jw_array_end(w);
    dd_jw_key(w, "tags");
    dd_jw_array_begin(w);
    for (size_t i = 0; i < n; i++)
        dd_jw_int(w, m[i]->tag);
    dd_jw_array_end(w);
    dd_jw_key(w, "aftersale_ids");
    dd_jw_array_begin(w);
    for (size_t i = 0; i < n; i++)
        if (m[i]->aftersale_id) {
            dd_int64_to_str(m[i]->aftersale_id, num);
            dd_jw_str(w, num);
        }
    dd_jw_array_end(w);
}

/*
 * Records one attempt (or one message that never went out) in the delivery
 * log and in the journal (kind "push"): the journal entry's params is the
 * body sent, its response the delivery log entry, code the HTTP status,
 * sub_code the outcome, verdict what was corrupted on purpose, and the note
 * a one-line summary with the msg_ids, tags, after-sale ids and, for a
 * forged push, the invented ids.
 */
static void record(struct mock_push *p, const char *app_key, const char *url,
                   struct msg *const *m, size_t n, unsigned attempt,
                   unsigned corrupt, bool forged, const char *body,
                   const struct outcome *o)
{
    struct dd_buf j, note;
    struct dd_jw w;
    char num[24];
    dd_buf_init(&j, 0);
    dd_buf_init(&note, 0);
    dd_jw_init(&w, &j);
    p->log_seq++;
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "seq", (int64_t)p->log_seq);
    dd_jw_kint(&w, "time_us", mock_now_us());
    dd_jw_kstr(&w, "app_key", app_key);
    dd_jw_key(&w, "url");
    if (url)
        dd_jw_str(&w, url);
    else
        dd_jw_null(&w);
    dd_jw_kint(&w, "attempt", attempt);
    put_ids(&w, m, n);
    dd_jw_kint(&w, "status", o->status);
    dd_jw_key(&w, "error");
    if (o->error)
        dd_jw_str(&w, o->error);
    else
        dd_jw_null(&w);
    dd_jw_key(&w, "response");
    if (o->resp) {
        size_t len =
            o->resp_len < LOG_RESPONSE_MAX ? o->resp_len : LOG_RESPONSE_MAX;
        /* cut at a UTF-8 character boundary */
        while (len < o->resp_len && len > 0 &&
               ((unsigned char)o->resp[len] & 0xC0) == 0x80)
            len--;
        dd_jw_strn(&w, o->resp, len);
    } else {
        dd_jw_null(&w);
    }
    dd_jw_kint(&w, "latency_ms", o->latency_us / 1000);
    dd_jw_kstr(&w, "outcome", o->what);
    if (o->why)
        dd_jw_kstr(&w, "reason", o->why);
    if (o->retry_in_ms > 0)
        dd_jw_kint(&w, "retry_in_ms", o->retry_in_ms);
    dd_jw_kbool(&w, "forged", forged);
    dd_jw_key(&w, "corrupt");
    if (corrupt_name(corrupt))
        dd_jw_str(&w, corrupt_name(corrupt));
    else
        dd_jw_null(&w);
    if (forged && n == 1) {
        dd_jw_key(&w, "invented_ids");
        dd_jw_object_begin(&w);
        dd_int64_to_str(m[0]->aftersale_id, num);
        dd_jw_kstr(&w, "aftersale_id", num);
        dd_int64_to_str(m[0]->p_id, num);
        dd_jw_kstr(&w, "p_id", num);
        dd_int64_to_str(m[0]->s_id, num);
        dd_jw_kstr(&w, "s_id", num);
        dd_jw_object_end(&w);
    }
    dd_jw_object_end(&w);

    dd_buf_printf(&note, "%s%s attempt %u: msg_ids", forged ? "forged " : "",
                  n == 1 && m[0]->tag == 0 ? "verification" : "push", attempt);
    for (size_t i = 0; i < n; i++) {
        dd_buf_puts(&note, i ? "," : " ");
        dd_buf_puts(&note, m[i]->msg_id);
    }
    dd_buf_puts(&note, " tags");
    for (size_t i = 0; i < n; i++) {
        dd_buf_puts(&note, i ? "," : " ");
        dd_int64_to_str(m[i]->tag, num);
        dd_buf_puts(&note, num);
    }
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!m[i]->aftersale_id)
            continue;
        dd_buf_puts(&note, first ? " aftersale_ids " : ",");
        dd_int64_to_str(m[i]->aftersale_id, num);
        dd_buf_puts(&note, num);
        first = false;
    }
    if (forged && n == 1)
        dd_buf_printf(&note,
                      " (invented ids: aftersale_id %lld p_id %lld s_id %lld)",
                      (long long)m[0]->aftersale_id, (long long)m[0]->p_id,
                      (long long)m[0]->s_id);
    dd_buf_printf(&note, " -> %s", o->what);
    if (o->why)
        dd_buf_printf(&note, " (%s)", o->why);
    if (o->status)
        dd_buf_printf(&note, ", HTTP %ld", o->status);
    if (o->error)
        dd_buf_printf(&note, ", %s", o->error);
    if (o->retry_in_ms > 0)
        dd_buf_printf(&note, ", retry in %lld ms", (long long)o->retry_in_ms);

    struct mock_journal_entry e;
    memset(&e, 0, sizeof e);
    snprintf(e.kind, sizeof e.kind, "push");
    snprintf(e.app_key, sizeof e.app_key, "%s", app_key);
    snprintf(e.method, sizeof e.method, "push");
    snprintf(e.verdict, sizeof e.verdict, "%s",
             corrupt_name(corrupt) ? corrupt_name(corrupt) : "");
    e.code = o->status;
    snprintf(e.sub_code, sizeof e.sub_code, "%s", o->what);
    e.latency_us = o->latency_us;
    e.params = (char *)body;
    e.response = (char *)dd_buf_str(&j);
    e.note = (char *)dd_buf_str(&note);
    mock_journal_add(p->s->journal, &e);
    dd_buf_free(&note);
    dlog_add(p, app_key, &j);
    dd_buf_free(&j);
}

/* Journals and logs messages that will never be sent, and frees them. */
static void drop_msgs(struct mock_push *p, struct app *a, struct msg **m,
                      size_t n, const char *why)
{
    if (n == 0)
        return;
    struct outcome o = {"dropped", why, 0, NULL, NULL, 0, 0, 0};
    record(p, a->app_key, NULL, m, n, 0, 0, false, NULL, &o);
    for (size_t i = 0; i < n; i++) {
        if (!m[i]->forged)
            a->dropped++;
        msg_free(m[i]);
    }
}

/* Drops an app's whole queue and held messages (unsubscribed, world
 * gone). */
static void drop_queue(struct mock_push *p, struct app *a, const char *why)
{
    struct msg *lists[2] = {a->head, a->held};
    for (int k = 0; k < 2; k++) {
        for (struct msg *m = lists[k], *next; m; m = next) {
            next = m->next;
            drop_msgs(p, a, &m, 1, why);
        }
    }
    a->head = a->tail = a->held = a->held_tail = NULL;
    a->queued = a->n_held = a->n_delayed = 0;
}

/* ================================================================ queue */

static void append(struct app *a, struct msg *m)
{
    m->next = NULL;
    if (a->tail)
        a->tail->next = m;
    else
        a->head = m;
    a->tail = m;
    a->queued++;
    if (m->not_before_ms)
        a->n_delayed++;
}

/* Moves every held (reordered) message to the end of the queue. */
static void release_held(struct app *a)
{
    for (struct msg *m = a->held, *next; m; m = next) {
        next = m->next;
        m->held_since_ms = 0;
        append(a, m);
    }
    a->held = a->held_tail = NULL;
    a->n_held = 0;
}

static struct msg *msg_new(struct app *a, int tag, char *data,
                           int64_t aftersale_id)
{
    struct msg *m = xcalloc(1, sizeof *m);
    m->tag = tag;
    next_msg_id(a, m->msg_id);
    m->data = data;
    m->aftersale_id = aftersale_id;
    return m;
}

/*
 * Queues the tag "0" verification message (doudian-open-api.md §5.3: its
 * exact body is NOT FOUND; ours is {"tag":"0","msg_id":..,"data":"{}"}).
 * With `front` it goes to the head of the queue (a new subscription of an
 * app that has messages waiting), else to the end.
 */
static void queue_verification(struct mock_push *p, struct app *a, bool front)
{
    (void)p;
    struct msg *m = msg_new(a, 0, xstrdup("{}"), 0);
    if (front && a->head) {
        m->next = a->head;
        a->head = m;
        a->queued++;
    } else {
        append(a, m);
    }
}

/* True when the subscription wants `tag` (an empty filter wants all). */
static bool wants(const struct mock_subscription *sub, int tag)
{
    bool any = false;
    for (int i = 0; i < 5; i++)
        any = any || sub->tags[i];
    if (!any)
        return true;
    if (tag < 200 || tag >= 200 + 5 * 64)
        return false;
    unsigned bit = (unsigned)(tag - 200);
    return (sub->tags[bit / 64] >> (bit % 64)) & 1;
}

void mock_push_enqueue(struct mock_push *p, struct mock_world *w,
                       struct mock_event *e)
{
    if (!p || e->tag < 200 || !e->data || !w->subscription.url ||
        !wants(&w->subscription, e->tag))
        return;
    struct app *a = app_get(p, w);
    int64_t now_ms = mock_now_ms();
    int64_t as_id = e->aftersale < w->aftersales.n
                        ? w->aftersales.v[e->aftersale].aftersale_id
                        : 0;
    struct mock_push_fault pf;
    memset(&pf, 0, sizeof pf);
    mock_faults_push(p->s, w, e->tag, now_ms, &pf);
    struct msg *m = msg_new(a, e->tag, e->data, as_id);
    e->data = NULL;
    if (pf.drop) {
        drop_msgs(p, a, &m, 1, "fault:drop");
        return;
    }
    m->corrupt = (pf.bad_sign ? C_SIGN : 0) | (pf.bad_app_id ? C_APP_ID : 0) |
                 (pf.bad_data ? C_DATA : 0);
    if (pf.delay_ms > 0)
        m->not_before_ms = now_ms + pf.delay_ms;
    /* The message, then its duplicates with the same msg_id. */
    unsigned copies = 1 + (pf.duplicate > 1000 ? 1000 : pf.duplicate);
    struct msg *first = m, *last = m;
    for (unsigned i = 1; i < copies; i++) {
        struct msg *c = xcalloc(1, sizeof *c);
        *c = *first;
        c->data = xstrdup(first->data);
        c->corrupt = 0;
        c->next = NULL;
        last->next = c;
        last = c;
    }
    for (struct msg *x = first, *next; x; x = next) {
        next = x->next;
        if (pf.reorder) {
            /* Held back: it joins the queue behind the next message. */
            x->next = NULL;
            x->held_since_ms = now_ms;
            if (a->held_tail)
                a->held_tail->next = x;
            else
                a->held = x;
            a->held_tail = x;
            a->n_held++;
        } else {
            append(a, x);
        }
    }
    if (!pf.reorder)
        release_held(a);
    p->next_wake_ms = now_ms;
}

/* ================================================================ curl */

static bool is_ours(const struct mock_push *p, int fd)
{
    return fd >= 0 && (size_t)fd < p->n_fds && p->fds[fd];
}

static void set_ours(struct mock_push *p, int fd, bool on)
{
    if (fd < 0)
        return;
    if ((size_t)fd >= p->n_fds) {
        size_t n = p->n_fds ? p->n_fds : 64;
        while (n <= (size_t)fd)
            n *= 2;
        p->fds = xrealloc(p->fds, n);
        memset(p->fds + p->n_fds, 0, n - p->n_fds);
        p->n_fds = n;
    }
    p->fds[fd] = on;
}

/* curl's socket callback: keeps the server's epoll set in step with what
 * curl wants to hear about each socket. */
static int sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
                   void *socketp)
{
    (void)easy;
    (void)socketp;
    struct mock_push *p = userp;
    int ep = p->s->epoll_fd;
    if (what == CURL_POLL_REMOVE) {
        if (is_ours(p, fd))
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        set_ours(p, fd, false);
        return 0;
    }
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) |
                ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    ev.data.fd = fd;
    if (is_ours(p, fd)) {
        if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    } else {
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 && errno == EEXIST)
            epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        set_ours(p, fd, true);
    }
    return 0;
}

/* curl's timer callback: when curl wants curl_multi_socket_action with
 * CURL_SOCKET_TIMEOUT (the loop calls it from mock_push_run). */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct mock_push *p = userp;
    p->curl_deadline_ms = timeout_ms < 0 ? -1 : mock_now_ms() + timeout_ms;
    return 0;
}

static size_t write_cb(char *data, size_t size, size_t n, void *userp)
{
    struct batch *b = userp;
    size_t len = size * n;
    size_t room = RESPONSE_MAX - b->resp.len;
    dd_buf_append(&b->resp, data, len < room ? len : room);
    return len; /* read everything; keep the first RESPONSE_MAX bytes */
}

/* ================================================================ attempts */

static struct mock_world *world_of(struct mock_push *p, const struct app *a)
{
    return mock_worlds_by_serial(&p->s->worlds, a->serial);
}

/* Ends a batch's current transfer (the easy handle and the body are kept
 * for the next attempt). */
static void transfer_end(struct mock_push *p, struct batch *b)
{
    if (b->sending) {
        curl_multi_remove_handle(p->multi, b->easy);
        b->sending = false;
        p->in_flight--;
    }
    curl_slist_free_all(b->hdr);
    b->hdr = NULL;
    free(b->url);
    b->url = NULL;
    dd_buf_free(&b->resp);
}

static void batch_free(struct mock_push *p, struct batch *b, bool free_msgs)
{
    transfer_end(p, b);
    if (b->easy)
        curl_easy_cleanup(b->easy);
    free(b->body);
    if (free_msgs)
        for (size_t i = 0; i < b->n; i++)
            msg_free(b->m[i]);
    free(b->m);
    free(b);
}

/* Writes data text that is not valid JSON: its first half, cut before an
 * ASCII byte so that the string stays valid UTF-8. */
static void put_bad_data(struct dd_jw *w, const char *data)
{
    size_t cut = strlen(data) / 2;
    while (cut > 0 && ((unsigned char)data[cut] & 0x80))
        cut--;
    dd_jw_strn(w, data, cut);
}

/* Builds the POST body of batch b (with malformed data for the messages
 * that must have it this attempt) and its event-sign. */
static void build_body(struct batch *b, const struct mock_world *w)
{
    struct dd_buf body;
    struct dd_jw jw;
    char num[16];
    size_t guess = 64;
    for (size_t i = 0; i < b->n; i++)
        guess += 64 + strlen(b->m[i]->data) * 5 / 4;
    dd_buf_init(&body, 0);
    dd_buf_reserve(&body, guess);
    dd_jw_init(&jw, &body);
    b->body_bad = false;
    dd_jw_array_begin(&jw);
    for (size_t i = 0; i < b->n; i++) {
        const struct msg *m = b->m[i];
        snprintf(num, sizeof num, "%d", m->tag);
        dd_jw_object_begin(&jw);
        dd_jw_kstr(&jw, "tag", num);
        dd_jw_kstr(&jw, "msg_id", m->msg_id);
        dd_jw_key(&jw, "data");
        if (m->corrupt & C_DATA) {
            put_bad_data(&jw, m->data);
            b->body_bad = true;
        } else {
            dd_jw_str(&jw, m->data);
        }
        dd_jw_object_end(&jw);
    }
    dd_jw_array_end(&jw);
    free(b->body);
    b->body_len = body.len;
    b->body = dd_buf_steal(&body);
    dd_push_sign(w->app_key, b->body, b->body_len, w->app_secret, b->body_sign);
}

/* Starts the next attempt of batch b: builds the body and the signed
 * headers and hands the transfer to curl. Returns false when the batch can
 * no longer go anywhere (world deleted, unsubscribed): it is then dropped
 * and freed. */
static bool start_attempt(struct mock_push *p, struct batch *b)
{
    struct app *a = b->app;
    struct mock_world *w = world_of(p, a);
    if (!w || !w->subscription.url) {
        drop_msgs(p, a, b->m, b->n, w ? "unsubscribed" : "world deleted");
        b->n = 0;
        a->cur = NULL;
        batch_free(p, b, false);
        return false;
    }
    b->corrupt = 0;
    for (size_t i = 0; i < b->n; i++)
        b->corrupt |= b->m[i]->corrupt;
    if (!b->body || b->body_bad || (b->corrupt & C_DATA))
        build_body(b, w);
    /* A corrupted attempt happens once; the retry goes out right. */
    for (size_t i = 0; i < b->n; i++)
        b->m[i]->corrupt = 0;

    /* Headers: app-id and event-sign = md5(app_key + body + secret). */
    char app_id[20], sign[33], line[96];
    snprintf(app_id, sizeof app_id, "%s", w->app_key);
    memcpy(sign, b->body_sign, sizeof sign);
    if (b->corrupt & C_SIGN)
        sign[31] = sign[31] == '0' ? '1' : '0';
    if (b->corrupt & C_APP_ID)
        app_id[0] = app_id[0] >= '9' ? '1' : (char)(app_id[0] + 1);
    b->hdr = curl_slist_append(NULL, "Content-Type: application/json");
    snprintf(line, sizeof line, "app-id: %s", app_id);
    b->hdr = curl_slist_append(b->hdr, line);
    snprintf(line, sizeof line, "event-sign: %s", sign);
    b->hdr = curl_slist_append(b->hdr, line);
    b->hdr = curl_slist_append(b->hdr, "Expect:");
    if (!b->hdr) {
        fputs("ddmock: out of memory\n", stderr);
        abort();
    }
    b->url = xstrdup(w->subscription.url);
    dd_buf_init(&b->resp, RESPONSE_MAX + 1);
    b->errbuf[0] = '\0';

    long timeout = (long)w->settings.push_timeout_ms;
    if (!b->easy && !(b->easy = curl_easy_init())) {
        fputs("ddmock: out of memory\n", stderr);
        abort();
    }
    CURL *e = b->easy;
    curl_easy_setopt(e, CURLOPT_URL, b->url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, b->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->body_len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, b->hdr);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(e, CURLOPT_PRIVATE, b);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, b->errbuf);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    b->sending = true;
    b->attempt++;
    a->attempts++;
    b->start_us = mock_now_us();
    p->in_flight++;
    if (curl_multi_add_handle(p->multi, e) != CURLM_OK) {
        fputs("ddmock: curl_multi_add_handle failed\n", stderr);
        abort();
    }
    return true;
}

/* True when the receiver acknowledged: HTTP 200 and a JSON object whose
 * `code` is 0 (a number or "0"; doudian-open-api.md §5.2). */
static bool acked(long status, const struct dd_buf *resp)
{
    if (status != 200 || resp->len == 0)
        return false;
    struct dd_json_doc doc;
    struct dd_json_limits lim = {16, RESPONSE_MAX + 1};
    if (dd_json_parse(resp->data, resp->len, &lim, &doc, NULL) != 0)
        return false;
    int64_t code = -1;
    const struct dd_json *c = dd_json_get(doc.root, "code");
    bool ok = c && dd_json_int64(c, &code) == 0 && code == 0;
    dd_json_doc_free(&doc);
    return ok;
}

/* The retry delay after `attempt` failed attempts: initial * 2^(attempt-1),
 * at most max (no jitter: runs stay reproducible). */
static int64_t backoff_ms(const struct mock_settings *set, unsigned attempt)
{
    int64_t d =
        set->push_backoff_initial_ms > 0 ? set->push_backoff_initial_ms : 1;
    int64_t max = set->push_backoff_max_ms > 0 ? set->push_backoff_max_ms : d;
    for (unsigned i = 1; i < attempt && d < max; i++)
        d = d > INT64_MAX / 2 ? INT64_MAX : d * 2;
    return d < max ? d : max;
}

/* A transfer of batch b ended with curl's result rc. */
static void finish(struct mock_push *p, struct batch *b, CURLcode rc)
{
    struct app *a = b->app;
    struct mock_world *w = world_of(p, a);
    long status = 0;
    curl_easy_getinfo(b->easy, CURLINFO_RESPONSE_CODE, &status);
    int64_t now_ms = mock_now_ms();
    struct outcome o;
    memset(&o, 0, sizeof o);
    o.status = status;
    o.latency_us = mock_now_us() - b->start_us;
    if (rc != CURLE_OK)
        o.error = b->errbuf[0] ? b->errbuf : curl_easy_strerror(rc);
    if (b->resp.len) {
        o.resp = b->resp.data;
        o.resp_len = b->resp.len;
    }
    bool ok = rc == CURLE_OK && acked(status, &b->resp);
    bool done = true;
    if (b->forged) {
        o.what = "forged";
    } else if (ok) {
        o.what = "acked";
    } else if (!w) {
        o.what = "gave_up";
        o.why = "world deleted";
    } else if ((int64_t)b->attempt >= w->settings.push_max_attempts) {
        o.what = "gave_up";
    } else {
        o.what = "retry";
        o.retry_in_ms = backoff_ms(&w->settings, b->attempt);
        done = false;
    }
    record(p, a->app_key, b->url, b->m, b->n, b->attempt, b->corrupt, b->forged,
           b->body, &o);
    transfer_end(p, b);
    if (!done) {
        b->due_ms = now_ms + o.retry_in_ms;
        return;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (b->forged)
            a->forged++;
        else if (ok)
            a->acked++;
        else
            a->gave_up++;
        /* a scenario run waiting for this acknowledgement goes on */
        if (ok && !b->forged && w && b->m[i]->tag)
            mock_replay_push_acked(p->s->replay, w, b->m[i]->tag,
                                   b->m[i]->aftersale_id);
    }
    if (ok && b->verify && w)
        w->subscription.verified = true;
    a->cur = NULL;
    batch_free(p, b, true);
    p->next_wake_ms = now_ms;
}

/* Collects every finished transfer. */
static void collect(struct mock_push *p)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(p->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        char *priv = NULL;
        CURLcode rc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        finish(p, (struct batch *)(void *)priv, rc);
    }
}

/* Runs curl's timeouts when they are due. */
static void kick(struct mock_push *p, int64_t now_ms)
{
    if (p->curl_deadline_ms >= 0 && p->curl_deadline_ms <= now_ms) {
        int running;
        p->curl_deadline_ms = -1;
        curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        collect(p);
    }
}

/*
 * Takes the next batch of app a out of its queue: up to push_batch_max
 * messages that are due, in queue order, skipping delayed ones (they are
 * overtaken). A verification or forged message always travels alone, and
 * nothing overtakes it. Returns NULL when nothing is due.
 */
static struct batch *take_batch(struct app *a, int64_t now_ms, size_t max)
{
    struct msg *prev = NULL, *m = a->head;
    struct batch *b = NULL;
    while (m) {
        struct msg *next = m->next;
        if (m->not_before_ms > now_ms) {
            prev = m;
            m = next;
            continue;
        }
        bool alone = m->tag == 0 || m->forged;
        if (alone && b)
            break;
        if (!b) {
            b = xcalloc(1, sizeof *b);
            b->app = a;
            b->m = xcalloc(max, sizeof *b->m);
            b->forged = m->forged;
            b->verify = m->tag == 0;
        }
        /* unlink m */
        if (prev)
            prev->next = next;
        else
            a->head = next;
        if (a->tail == m)
            a->tail = prev;
        a->queued--;
        if (m->not_before_ms)
            a->n_delayed--;
        m->next = NULL;
        b->m[b->n++] = m;
        if (alone || b->n == max)
            break;
        m = next;
    }
    return b;
}

/* Gives each app its turn: new batches, due retries. */
static void start_work(struct mock_push *p, int64_t now_ms)
{
    size_t n = p->n_apps;
    /* Round robin, so that no app waits for the others when more than
     * MAX_TRANSFERS apps have work. */
    for (size_t k = 0; k < n && p->in_flight < MAX_TRANSFERS; k++) {
        struct app *a = p->apps[(p->rr + k) % n];
        if (a->held && now_ms - a->held->held_since_ms >= REORDER_HOLD_MS)
            release_held(a);
        if (!a->cur && a->queued) {
            struct mock_world *w = world_of(p, a);
            if (!w) {
                drop_queue(p, a, "world deleted");
                continue;
            }
            int64_t max = w->settings.push_batch_max;
            a->cur = take_batch(a, now_ms, max > 0 ? (size_t)max : 1);
            if (a->cur)
                a->cur->due_ms = now_ms;
        }
        if (a->cur && !a->cur->sending && a->cur->due_ms <= now_ms)
            start_attempt(p, a->cur);
    }
    p->rr = n ? (p->rr + 1) % n : 0;
}

/* Remembers the msg_id counter of an app that is being forgotten. */
static void retire(struct mock_push *p, const struct app *a)
{
    size_t i = 0;
    while (i < p->n_retired && strcmp(p->retired[i].app_key, a->app_key))
        i++;
    if (i == p->n_retired) {
        if (p->n_retired == p->cap_retired) {
            p->cap_retired = p->cap_retired ? p->cap_retired * 2 : 8;
            p->retired =
                xrealloc(p->retired, p->cap_retired * sizeof *p->retired);
        }
        p->n_retired++;
        memcpy(p->retired[i].app_key, a->app_key, sizeof a->app_key);
        p->retired[i].counter = 0;
    }
    if (a->counter > p->retired[i].counter)
        p->retired[i].counter = a->counter;
}

/* Subscribed worlds get their app (and verification) as soon as they are
 * seen; apps of deleted worlds are forgotten now and then. */
static void sync_worlds(struct mock_push *p, int64_t now_ms)
{
    struct mock_worlds *ws = &p->s->worlds;
    for (size_t i = 0; i < ws->n; i++)
        if (ws->v[i]->subscription.url && !app_find(p, ws->v[i]->serial))
            app_get(p, ws->v[i]);
    if (now_ms < p->next_gc_ms)
        return;
    p->next_gc_ms = now_ms + GC_EVERY_MS;
    size_t k = 0;
    bool removed = false;
    for (size_t i = 0; i < p->n_apps; i++) {
        struct app *a = p->apps[i];
        if (mock_worlds_by_serial(ws, a->serial)) {
            p->apps[k++] = a;
            continue;
        }
        removed = true;
        retire(p, a);
        drop_queue(p, a, "world deleted");
        if (a->cur) {
            drop_msgs(p, a, a->cur->m, a->cur->n, "world deleted");
            a->cur->n = 0;
            batch_free(p, a->cur, false);
        }
        free(a);
    }
    p->n_apps = k;
    if (removed) {
        mock_idmap_free(&p->by_serial);
        mock_idmap_init(&p->by_serial);
        for (size_t i = 0; i < p->n_apps; i++)
            mock_idmap_put(&p->by_serial, (int64_t)p->apps[i]->serial,
                           (uint32_t)i);
    }
}

/* When the queues next need the loop (-1: not before something happens). */
static int64_t next_wake(const struct mock_push *p, int64_t now_ms)
{
    int64_t t = -1;
    /* With every transfer slot taken, a finishing transfer wakes us. */
    bool full = p->in_flight >= MAX_TRANSFERS;
#define EARLIER(x)                                                             \
    do {                                                                       \
        int64_t x_ = (x);                                                      \
        if (t < 0 || x_ < t)                                                   \
            t = x_;                                                            \
    } while (0)
    for (size_t i = 0; i < p->n_apps; i++) {
        const struct app *a = p->apps[i];
        if (a->held)
            EARLIER(a->held->held_since_ms + REORDER_HOLD_MS);
        if (a->cur) {
            if (!a->cur->sending && !full)
                EARLIER(a->cur->due_ms);
            continue;
        }
        if (!a->queued || full)
            continue;
        if (a->n_delayed == 0) {
            EARLIER(now_ms);
            continue;
        }
        for (const struct msg *m = a->head; m; m = m->next)
            EARLIER(m->not_before_ms > now_ms ? m->not_before_ms : now_ms);
    }
#undef EARLIER
    return t;
}

/* ================================================================ engine */

struct mock_push *mock_push_new(struct mock_server *s, char *err, size_t errlen)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init failed");
        return NULL;
    }
    struct mock_push *p = xcalloc(1, sizeof *p);
    p->s = s;
    p->curl_deadline_ms = -1;
    p->next_wake_ms = 0;
    mock_idmap_init(&p->by_serial);
    p->multi = curl_multi_init();
    if (!p->multi) {
        snprintf(err, errlen, "curl_multi_init failed");
        free(p);
        curl_global_cleanup();
        return NULL;
    }
    curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p);
    curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p);
    curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)MAX_TRANSFERS);
    return p;
}

void mock_push_free(struct mock_push *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_apps; i++) {
        struct app *a = p->apps[i];
        for (struct msg *m = a->head, *next; m; m = next) {
            next = m->next;
            msg_free(m);
        }
        for (struct msg *m = a->held, *next; m; m = next) {
            next = m->next;
            msg_free(m);
        }
        if (a->cur)
            batch_free(p, a->cur, true);
        free(a);
    }
    free(p->apps);
    free(p->retired);
    mock_idmap_free(&p->by_serial);
    curl_multi_cleanup(p->multi);
    mock_push_clear_log(p);
    free(p->log);
    free(p->fds);
    free(p);
    curl_global_cleanup();
}

void mock_push_clear_log(struct mock_push *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->log_n; i++) {
        free(p->log[(p->log_head + i) % DLOG_MAX].json);
        p->log[(p->log_head + i) % DLOG_MAX].json = NULL;
    }
    p->log_head = 0;
    p->log_n = 0;
    p->log_bytes = 0;
}

int64_t mock_push_wait_ms(struct mock_push *p, int64_t now_ms)
{
    if (!p)
        return -1;
    int64_t t = -1;
    if (p->curl_deadline_ms >= 0)
        t = p->curl_deadline_ms > now_ms ? p->curl_deadline_ms - now_ms : 0;
    if (p->next_wake_ms >= 0) {
        int64_t u = p->next_wake_ms > now_ms ? p->next_wake_ms - now_ms : 0;
        if (t < 0 || u < t)
            t = u;
    }
    return t;
}

int mock_push_socket_event(struct mock_push *p, int fd, uint32_t events)
{
    if (!p || !is_ours(p, fd))
        return 0;
    int flags = 0;
    if (events & EPOLLIN)
        flags |= CURL_CSELECT_IN;
    if (events & EPOLLOUT)
        flags |= CURL_CSELECT_OUT;
    if (events & (EPOLLERR | EPOLLHUP))
        flags |= CURL_CSELECT_ERR;
    int running;
    curl_multi_socket_action(p->multi, fd, flags, &running);
    collect(p);
    return 1;
}

void mock_push_run(struct mock_push *p, int64_t now_ms)
{
    if (!p)
        return;
    kick(p, now_ms);
    sync_worlds(p, now_ms);
    start_work(p, now_ms);
    kick(p, mock_now_ms());
    p->next_wake_ms = next_wake(p, now_ms);
}

const char *mock_push_url_problem(const char *url, size_t len)
{
    if (len > URL_MAX)
        return "the url is longer than 2048 characters";
    if (!(len > 7 && strncmp(url, "http://", 7) == 0) &&
        !(len > 8 && strncmp(url, "https://", 8) == 0))
        return "the url must start with http:// or https://";
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] >= 0x7f)
            return "the url must be printable ASCII without spaces";
    return NULL;
}

/* ================================================================ admin */

/* Writes an app's subscription and queue counters. */
static void write_subscription(struct mock_admin_call *a, struct mock_push *p,
                               const struct mock_world *w)
{
    const struct mock_subscription *sub = &w->subscription;
    struct app *ap = app_find(p, w->serial);
    struct dd_jw *o = &a->w;
    dd_jw_object_begin(o);
    dd_jw_kstr(o, "app_key", w->app_key);
    dd_jw_key(o, "url");
    if (sub->url)
        dd_jw_str(o, sub->url);
    else
        dd_jw_null(o);
    dd_jw_key(o, "tags");
    dd_jw_array_begin(o);
    for (int t = 0; t < 5 * 64; t++)
        if ((sub->tags[t / 64] >> (t % 64)) & 1)
            dd_jw_int(o, 200 + t);
    dd_jw_array_end(o);
    dd_jw_kbool(o, "verified", sub->verified);
    dd_jw_key(o, "queue");
    dd_jw_object_begin(o);
    dd_jw_kint(o, "queued", ap ? (int64_t)(ap->queued + ap->n_held) : 0);
    dd_jw_kint(o, "in_flight",
               ap && ap->cur && ap->cur->sending ? (int64_t)ap->cur->n : 0);
    dd_jw_kint(o, "waiting_retry",
               ap && ap->cur && !ap->cur->sending && ap->cur->attempt
                   ? (int64_t)ap->cur->n
                   : 0);
    dd_jw_kint(o, "acked", ap ? (int64_t)ap->acked : 0);
    dd_jw_kint(o, "gave_up", ap ? (int64_t)ap->gave_up : 0);
    dd_jw_kint(o, "dropped", ap ? (int64_t)ap->dropped : 0);
    dd_jw_kint(o, "forged", ap ? (int64_t)ap->forged : 0);
    dd_jw_kint(o, "attempts", ap ? (int64_t)ap->attempts : 0);
    dd_jw_object_end(o);
    dd_jw_object_end(o);
}

/* PUT or POST /_mock/worlds/K/subscription {"url": .., "tags": [..]} */
static void set_subscription(struct mock_admin_call *a, struct mock_push *p,
                             struct mock_world *w)
{
    struct dd_json_doc doc;
    if (!mock_admin_body_json(a, &doc))
        return;
    const struct dd_json *url = dd_json_get(doc.root, "url");
    const struct dd_json *tags = dd_json_get(doc.root, "tags");
    uint64_t bits[5] = {0};
    const char *problem = NULL;
    if (!doc.root || doc.root->type != DD_JSON_OBJECT)
        problem =
            "the body must be a JSON object {\"url\": ..., \"tags\": [...]}";
    else if (!url || url->type != DD_JSON_STRING)
        problem = "url: expected a string (http://host:port/path)";
    else
        problem = mock_push_url_problem(url->text, url->len);
    if (!problem && strlen(url->text) != url->len)
        problem = "the url must be printable ASCII without spaces";
    if (!problem && !dd_json_is_absent(tags)) {
        if (tags->type != DD_JSON_ARRAY)
            problem = "tags: expected an array of message tags (200..519)";
        for (size_t i = 0; !problem && i < tags->n; i++) {
            int64_t t;
            if (dd_json_int64(&tags->kids[i], &t) || t < 200 ||
                t >= 200 + 5 * 64)
                problem = "tags: every tag must be an integer from 200 to 519";
            else
                bits[(t - 200) / 64] |= UINT64_C(1) << ((t - 200) % 64);
        }
    }
    if (problem) {
        mock_admin_error(a, 400, "%s", problem);
        dd_json_doc_free(&doc);
        return;
    }
    free(w->subscription.url);
    w->subscription.url = xstrdup(url->text);
    memcpy(w->subscription.tags, bits, sizeof bits);
    w->subscription.verified = false;
    dd_json_doc_free(&doc);

    struct app *ap = app_find(p, w->serial);
    if (!ap) {
        app_get(p, w); /* queues the verification */
    } else {
        queue_verification(p, ap, true);
        /* a batch waiting for its retry goes to the new URL at once */
        if (ap->cur && !ap->cur->sending)
            ap->cur->due_ms = mock_now_ms();
    }
    p->next_wake_ms = mock_now_ms();
    write_subscription(a, p, w);
}

/* DELETE /_mock/worlds/K/subscription: messages waiting are dropped. */
static void delete_subscription(struct mock_admin_call *a, struct mock_push *p,
                                struct mock_world *w)
{
    free(w->subscription.url);
    memset(&w->subscription, 0, sizeof w->subscription);
    struct app *ap = app_find(p, w->serial);
    if (ap) {
        drop_queue(p, ap, "unsubscribed");
        if (ap->cur && !ap->cur->sending) {
            drop_msgs(p, ap, ap->cur->m, ap->cur->n, "unsubscribed");
            ap->cur->n = 0;
            batch_free(p, ap->cur, false);
            ap->cur = NULL;
        }
    }
    write_subscription(a, p, w);
}

/* GET /_mock/deliveries?app_key=K&since=SEQ&limit=N */
static void deliveries(struct mock_admin_call *a, struct mock_push *p)
{
    const char *since_s = dd_query_get(&a->q, "since");
    const char *limit_s = dd_query_get(&a->q, "limit");
    const char *app_key = dd_query_get(&a->q, "app_key");
    int64_t since = 0, limit = 0;
    if ((since_s &&
         (dd_parse_int64(since_s, strlen(since_s), &since) || since < 0)) ||
        (limit_s &&
         (dd_parse_int64(limit_s, strlen(limit_s), &limit) || limit < 0))) {
        mock_admin_error(a, 400,
                         "since and limit must be non-negative integers");
        return;
    }
    dd_jw_object_begin(&a->w);
    dd_jw_kint(&a->w, "last_seq", (int64_t)p->log_seq);
    dd_jw_key(&a->w, "deliveries");
    dd_jw_array_begin(&a->w);
    int64_t written = 0;
    for (size_t i = 0; i < p->log_n && (limit == 0 || written < limit); i++) {
        const struct dlog *d = &p->log[(p->log_head + i) % DLOG_MAX];
        if (d->seq <= (uint64_t)since ||
            (app_key && *app_key && strcmp(app_key, d->app_key)))
            continue;
        dd_jw_raw(&a->w, d->json, d->len);
        written++;
    }
    dd_jw_array_end(&a->w);
    dd_jw_object_end(&a->w);
}

/* The message tag of an admin body: 200..208 (the default when absent). */
static bool read_tag(struct mock_admin_call *a, const struct dd_json *root,
                     int64_t *tag)
{
    const struct dd_json *t = dd_json_get(root, "tag");
    *tag = MOCK_TAG_REFUND_CREATED;
    if (!dd_json_is_absent(t) &&
        (dd_json_int64(t, tag) || *tag < MOCK_TAG_REFUND_CREATED ||
         *tag > MOCK_TAG_REFUND_MODIFIED)) {
        mock_admin_error(a, 400, "tag must be a refund message tag, 200..208");
        return false;
    }
    return true;
}

/*
 * POST /_mock/worlds/K/push/forged {"tag": 200, "flavor": "bad_sign" |
 * "wrong_app_id" | "malformed_data", "aftersale_id": ..?}: one message that
 * did not come from the platform, sent once and never retried. Unless
 * aftersale_id names an after-sale of the world, its aftersale_id, p_id and
 * s_id are invented (fresh ids that exist nowhere in the world), so that an
 * ERP acting on it names an id that only a forged message carried.
 */
static void forged(struct mock_admin_call *a, struct mock_push *p,
                   struct mock_world *w)
{
    struct dd_json_doc doc;
    if (!mock_admin_body_json(a, &doc))
        return;
    int64_t tag;
    if (!read_tag(a, doc.root, &tag)) {
        dd_json_doc_free(&doc);
        return;
    }
    const struct dd_json *fl = dd_json_get(doc.root, "flavor");
    unsigned corrupt = 0;
    const char *flavor = NULL;
    if (fl && fl->type == DD_JSON_STRING) {
        if (strcmp(fl->text, "bad_sign") == 0)
            corrupt = C_SIGN;
        else if (strcmp(fl->text, "wrong_app_id") == 0)
            corrupt = C_APP_ID;
        else if (strcmp(fl->text, "malformed_data") == 0)
            corrupt = C_DATA;
        flavor = fl->text;
    }
    if (!corrupt) {
        mock_admin_error(a, 400,
                         "flavor must be \"bad_sign\", \"wrong_app_id\" or "
                         "\"malformed_data\"");
        dd_json_doc_free(&doc);
        return;
    }
    int64_t as_id = 0;
    const struct dd_json *v = dd_json_get(doc.root, "aftersale_id");
    if (!dd_json_is_absent(v) && (dd_json_int64(v, &as_id) || as_id <= 0)) {
        mock_admin_error(a, 400, "aftersale_id must be an id");
        dd_json_doc_free(&doc);
        return;
    }
    if (!w->subscription.url) {
        mock_admin_error(a, 409,
                         "world %s has no push subscription (PUT "
                         "/_mock/worlds/%s/subscription first)",
                         w->app_key, w->app_key);
        dd_json_doc_free(&doc);
        return;
    }
    int64_t now = mock_now();
    struct mock_message_fields f;
    uint32_t as = as_id ? mock_world_aftersale(w, as_id) : MOCK_NONE;
    bool invented = as == MOCK_NONE;
    if (!invented) {
        mock_message_fields_of(w, as, &f);
    } else {
        memset(&f, 0, sizeof f);
        f.aftersale_id = as_id ? as_id : mock_world_new_id(w);
        f.p_id = mock_world_new_id(w);
        f.s_id = mock_world_new_id(w);
        f.shop_id = w->shops.n ? w->shops.v[0].shop_id : mock_world_new_id(w);
        f.aftersale_status = MOCK_AS_WAIT_SELLER_AGREE;
        f.aftersale_type = tag == MOCK_TAG_RETURN_APPLY_AGREED ||
                                   tag == MOCK_TAG_BUYER_RETURN_GOODS ||
                                   tag == MOCK_TAG_RETURN_APPLY_REFUSED
                               ? MOCK_AS_TYPE_RETURN
                               : MOCK_AS_TYPE_UNSHIPPED_REFUND;
        f.refund_amount = 5900;
        f.reason_code = 1;
        f.update_time = now;
        f.apply_time = now;
        f.op_role = MOCK_ROLE_SELLER;
    }
    struct dd_buf data;
    dd_buf_init(&data, 0);
    mock_message_write(&f, (int)tag, now, &data);
    struct app *ap = app_get(p, w);
    struct msg *m = msg_new(ap, (int)tag, dd_buf_steal(&data), f.aftersale_id);
    m->p_id = f.p_id;
    m->s_id = f.s_id;
    m->forged = true;
    m->corrupt = corrupt;
    append(ap, m);
    p->next_wake_ms = mock_now_ms();

    char num[24];
    dd_jw_object_begin(&a->w);
    dd_jw_kstr(&a->w, "msg_id", m->msg_id);
    dd_jw_kint(&a->w, "tag", tag);
    dd_jw_kstr(&a->w, "flavor", flavor);
    dd_int64_to_str(f.aftersale_id, num);
    dd_jw_kstr(&a->w, "aftersale_id", num);
    dd_int64_to_str(f.p_id, num);
    dd_jw_kstr(&a->w, "p_id", num);
    dd_int64_to_str(f.s_id, num);
    dd_jw_kstr(&a->w, "s_id", num);
    dd_jw_kbool(&a->w, "invented", invented);
    dd_jw_object_end(&a->w);
    dd_json_doc_free(&doc);
}

/*
 * POST /_mock/worlds/K/push/synthetic {"count": N, "tag": 200}: a load-test
 * tool. Emits N real messages of `tag` about the world's after-sales in
 * turn (each built from the after-sale as it is, state unchanged), exactly
 * as if the platform had sent them; they go through the subscription's tag
 * filter and the push faults like any other.
 */
static void synthetic(struct mock_admin_call *a, struct mock_world *w)
{
    struct dd_json_doc doc;
    if (!mock_admin_body_json(a, &doc))
        return;
    int64_t tag, count = 1;
    bool ok = read_tag(a, doc.root, &tag);
    const struct dd_json *c = dd_json_get(doc.root, "count");
    if (ok && !dd_json_is_absent(c) &&
        (dd_json_int64(c, &count) || count < 1 || count > SYNTHETIC_MAX)) {
        mock_admin_error(a, 400, "count must be an integer from 1 to %d",
                         SYNTHETIC_MAX);
        ok = false;
    }
    dd_json_doc_free(&doc);
    if (!ok)
        return;
    if (w->aftersales.n == 0) {
        mock_admin_error(a, 409, "world %s has no after-sales", w->app_key);
        return;
    }
    int64_t now = mock_now();
    for (int64_t i = 0; i < count; i++)
        mock_world_emit(w, (int)tag, (uint32_t)(i % w->aftersales.n), now);
    dd_jw_object_begin(&a->w);
    dd_jw_kint(&a->w, "emitted", count);
    dd_jw_kint(&a->w, "tag", tag);
    dd_jw_object_end(&a->w);
}

bool mock_admin_push(struct mock_admin_call *a)
{
    struct mock_push *p = a->srv->push;
    char **seg = a->seg;
    if (a->n == 1 && strcmp(seg[0], "deliveries") == 0) {
        if (!mock_admin_is(a, "GET"))
            mock_admin_error(a, 405, "use GET");
        else if (p)
            deliveries(a, p);
        return true;
    }
    bool sub = a->n == 3 && strcmp(seg[0], "worlds") == 0 &&
               strcmp(seg[2], "subscription") == 0;
    bool push =
        a->n == 4 && strcmp(seg[0], "worlds") == 0 &&
        strcmp(seg[2], "push") == 0 &&
        (strcmp(seg[3], "forged") == 0 || strcmp(seg[3], "synthetic") == 0);
    if (!sub && !push)
        return false;
    if (!a->world) {
        mock_admin_error(a, 404, "no world with app_key %s", seg[1]);
        return true;
    }
    if (!p) {
        mock_admin_error(a, 503, "push delivery is not running");
        return true;
    }
    if (sub) {
        if (mock_admin_is(a, "PUT") || mock_admin_is(a, "POST"))
            set_subscription(a, p, a->world);
        else if (mock_admin_is(a, "GET"))
            write_subscription(a, p, a->world);
        else if (mock_admin_is(a, "DELETE"))
            delete_subscription(a, p, a->world);
        else
            mock_admin_error(a, 405, "use GET, PUT, POST or DELETE");
        return true;
    }
    if (!mock_admin_is(a, "POST"))
        mock_admin_error(a, 405, "use POST");
    else if (strcmp(seg[3], "forged") == 0)
        forged(a, p, a->world);
    else
        synthetic(a, a->world);
    return true;
}
