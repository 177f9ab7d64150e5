/*
 * http.c: the HTTP front of ddmock over libmicrohttpd (see http.h).
 *
 * Implements the transport of doudian-open-api.md §1.3: any verb, the raw
 * request target (path and query, undecoded, so the router can collapse
 * repeated slashes and read the system parameters exactly as sent), the raw
 * body as `param_json`, and always an answer the router wrote (HTTP 200
 * with the envelope for API errors). The daemon runs in external-epoll
 * mode without threads; the server's loop drives it, so every callback
 * below runs on the event-loop thread that owns the worlds.
 *
 * Keep-alive: libmicrohttpd 0.9.75 closes the connection after the answer
 * when a handler queues its response on its first call for a request (the
 * upload is then never read). So the first call only marks the request
 * seen, upload calls collect the body, and the response is queued on the
 * final call (*upload_data_size == 0 after the first). A body over the cap
 * is still read to its end and thrown away, so the connection stays usable.
 *
 * Per-request state is created by the URI log callback (its return value
 * becomes the request's *con_cls, and it receives the raw URI before
 * libmicrohttpd splits and decodes it) and freed in the request-completed
 * callback, whatever happened to the request.
 *
 * Injected faults (faults.h) that the router leaves in struct
 * mock_response are carried out here. Latency never blocks the loop: the
 * answer is held in the request, the connection suspended
 * (MHD_suspend_connection) and a timer on the server's heap resumes it;
 * libmicrohttpd then calls the access handler again, which queues the held
 * answer, so keep-alive survives. The admin API's long-polls (GET
 * /_mock/runs/K/next) use the same hold with a ticket of their own, and
 * mock_http_answer_held replaces the held answer and resumes the
 * connection as soon as there is something to say. A reset closes the
 * connection without an answer, with a TCP reset rather than an orderly close.
 * A truncated body announces the full Content-Length, sends the first
 * truncate_to bytes and drops the connection.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "dd_buf.h"
#include "dd_envelope.h"
#include "dd_errtab.h"
#include "journal.h"
#include "router.h"
#include "server.h"

/* Tunables of the front that no test needs to change: a connection idle
 * this long is closed; at most this many connections at once (the rest
 * wait in the listen backlog); per-connection memory for the request line
 * and headers (a legacy client's param_json in the query must fit). */
#define IDLE_TIMEOUT_S       60
#define CONN_LIMIT           1000
#define CONN_MEMORY          ((size_t)64 * 1024)
#define DEFAULT_BODY_MAX     ((size_t)1 << 20)
#define DEFAULT_CONTENT_TYPE "application/json;charset=UTF-8"

struct req;

struct mock_http {
    struct MHD_Daemon *d;
    struct mock_server *s; /* borrowed */
    uint16_t port;
    int epoll_fd;
    bool stopping;    /* mock_http_stop runs: hold nothing back */
    uint64_t tickets; /* last ticket given to a held answer */
    struct req *held; /* requests whose answer is held (suspended) */
    /* A connection was resumed since the last MHD_run: MHD sends its
     * answer only when it runs again, so the loop must not sleep. */
    bool resumed;
    char last_error[256];
};

/* One request in flight. */
struct req {
    struct dd_buf body;
    size_t cap;          /* body cap for this request */
    uint64_t dropped;    /* upload bytes thrown away once over the cap */
    int64_t received_us; /* when the request line arrived */
    bool seen;           /* the access handler ran once */
    bool over;           /* the body passed the cap */
    bool holding;        /* `answer` waits for its injected delay */
    bool suspended;      /* on h->held, the connection suspended */
    uint64_t ticket;     /* names the hold for the resume timer */
    struct MHD_Connection *conn;
    struct req *prev, *next; /* h->held list */
    struct mock_response answer;
    char uri[]; /* raw request target, NUL-terminated */
};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("ddmock: out of memory\n", stderr);
        abort();
    }
    return p;
}

/* libmicrohttpd's messages are kept, not printed (only main.c prints):
 * the last one explains a failed start. */
__attribute__((format(printf, 2, 0))) static void
log_cb(void *cls, const char *fmt, va_list ap)
{
    struct mock_http *h = cls;
    vsnprintf(h->last_error, sizeof h->last_error, fmt, ap);
    size_t n = strlen(h->last_error);
    while (n && (h->last_error[n - 1] == '\n' || h->last_error[n - 1] == '\r'))
        h->last_error[--n] = '\0';
}

/* The body cap in force for a new request: the process default setting,
 * read per request so a change through the admin API applies at once. */
static size_t body_cap(const struct mock_server *s)
{
    int64_t v = s->defaults.body_max_bytes;
    if (v <= 0)
        return DEFAULT_BODY_MAX;
    if ((uint64_t)v > SIZE_MAX / 2)
        return SIZE_MAX / 2;
    return (size_t)v;
}

static struct req *req_new(struct mock_http *h, const char *uri)
{
    size_t n = strlen(uri);
    struct req *r = xmalloc(sizeof *r + n + 1);
    r->cap = body_cap(h->s);
    dd_buf_init(&r->body, r->cap);
    r->dropped = 0;
    r->received_us = mock_now_us();
    r->seen = false;
    r->over = false;
    r->holding = false;
    r->suspended = false;
    r->ticket = 0;
    r->conn = NULL;
    r->prev = r->next = NULL;
    memcpy(r->uri, uri, n + 1);
    return r;
}

/* Called once per request with the request target as the client sent it,
 * before headers are read; the return value becomes *con_cls. */
static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)c;
    return req_new(cls, uri ? uri : "");
}

/* Takes a request off the list of held answers. */
static void unhold(struct mock_http *h, struct req *r)
{
    if (!r->suspended)
        return;
    if (r->prev)
        r->prev->next = r->next;
    else
        h->held = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
    r->suspended = false;
}

static void done_cb(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    struct req *r = *con_cls;
    if (!r)
        return;
    unhold(cls, r);
    if (r->holding)
        mock_response_free(&r->answer);
    dd_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

/* Appends upload bytes, or counts and drops them once over the cap. */
static void take(struct req *r, const char *data, size_t n)
{
    if (!r->over && n <= r->cap - r->body.len &&
        dd_buf_append(&r->body, data, n) == 0)
        return;
    if (!r->over) {
        r->over = true;
        r->dropped = r->body.len;
        dd_buf_free(&r->body);
    }
    r->dropped += n;
}

/* Copies the raw value of query parameter `key` of `uri` into out when it
 * is short and made only of [A-Za-z0-9._-] (what app_key and method look
 * like); otherwise leaves out empty. For the journal only. */
static void query_word(const char *uri, const char *key, char *out,
                       size_t outlen)
{
    out[0] = '\0';
    const char *p = strchr(uri, '?');
    if (!p)
        return;
    size_t klen = strlen(key);
    for (p++; *p && *p != '#';) {
        const char *end = p + strcspn(p, "&#");
        if ((size_t)(end - p) > klen && !strncmp(p, key, klen) &&
            p[klen] == '=') {
            const char *v = p + klen + 1;
            size_t n = (size_t)(end - v);
            if (n >= outlen)
                return;
            for (size_t i = 0; i < n; i++) {
                char ch = v[i];
                bool ok = (ch >= 'a' && ch <= 'z') ||
                          (ch >= 'A' && ch <= 'Z') ||
                          (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
                          ch == '-';
                if (!ok)
                    return;
            }
            memcpy(out, v, n);
            out[n] = '\0';
            return;
        }
        p = *end == '&' ? end + 1 : end;
    }
}

/* The answer to a request whose body passed the cap: what the gateway
 * does with a parameter it cannot take (HTTP 200, 40003
 * isv.parameter-invalid), journalled like any API call. */
static void answer_over(struct mock_http *h, const struct req *r,
                        struct mock_response *rs)
{
    const struct dd_api_error *e =
        dd_errtab_must(NULL, "isv.parameter-invalid");
    char log_id[DD_LOG_ID_LEN + 1];
    mock_server_log_id(h->s, log_id);
    rs->status = 200;
    rs->content_type = DEFAULT_CONTENT_TYPE;
    dd_envelope_write_error(&rs->body, e, log_id);

    if (!h->s->journal)
        return;
    char note[128];
    snprintf(note, sizeof note,
             "request body over %zu bytes (%llu received); discarded", r->cap,
             (unsigned long long)r->dropped);
    struct mock_journal_entry je;
    memset(&je, 0, sizeof je);
    snprintf(je.kind, sizeof je.kind, "api");
    query_word(r->uri, "app_key", je.app_key, sizeof je.app_key);
    query_word(r->uri, "method", je.method, sizeof je.method);
    snprintf(je.log_id, sizeof je.log_id, "%s", log_id);
    snprintf(je.verdict, sizeof je.verdict, "not-checked");
    je.code = e->code;
    snprintf(je.sub_code, sizeof je.sub_code, "%s", e->sub_code);
    je.time_us = r->received_us;
    je.latency_us = mock_now_us() - r->received_us;
    je.note = note;
    mock_journal_add(h->s->journal, &je);
}

/* True when s may go into a header: printable ASCII only. */
static bool header_safe(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

static enum MHD_Result send_response(struct MHD_Connection *c,
                                     struct mock_response *rs)
{
    size_t len = rs->body.len;
    char *data = dd_buf_steal(&rs->body); /* malloc'd: MHD frees it */
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        return MHD_NO;
    }
    const char *ct =
        header_safe(rs->content_type) ? rs->content_type : DEFAULT_CONTENT_TYPE;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
    unsigned status = 200;
    if (rs->status >= 100 && rs->status <= 599)
        status = (unsigned)rs->status;
    else if (rs->status != 0)
        status = 500;
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* The body of a truncated answer: the reader hands out the first `limit`
 * bytes, then reports an error, and libmicrohttpd drops the connection. */
struct cut {
    char *data;
    size_t len, limit;
};

static ssize_t cut_reader_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct cut *k = cls;
    if (pos >= k->limit || pos >= k->len)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = k->limit - (size_t)pos;
    if (n > k->len - (size_t)pos)
        n = k->len - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, k->data + pos, n);
    return (ssize_t)n;
}

static void cut_free_cb(void *cls)
{
    struct cut *k = cls;
    free(k->data);
    free(k);
}

/* Queues an answer whose body stops after rs->truncate_to bytes although
 * Content-Length announces all of it. A cut at or past the end sends the
 * whole body. */
static enum MHD_Result send_truncated(struct MHD_Connection *c,
                                      struct mock_response *rs)
{
    struct cut *k = xmalloc(sizeof *k);
    k->len = rs->body.len;
    k->limit =
        (uint64_t)rs->truncate_to < k->len ? (size_t)rs->truncate_to : k->len;
    k->data = dd_buf_steal(&rs->body);
    struct MHD_Response *resp = MHD_create_response_from_callback(
        k->len, 4096, cut_reader_cb, k, cut_free_cb);
    if (!resp) {
        cut_free_cb(k);
        return MHD_NO;
    }
    const char *ct =
        header_safe(rs->content_type) ? rs->content_type : DEFAULT_CONTENT_TYPE;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
    enum MHD_Result ret = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Closes the connection without an answer, with a TCP reset (what a
 * client sees when a gateway or proxy resets it): libmicrohttpd would shut
 * the socket down gracefully (FIN) before closing it, so the socket is
 * first disconnected with SO_LINGER 0 (on Linux, connect(AF_UNSPEC) on an
 * established TCP socket sends the RST); libmicrohttpd then closes what is
 * left. */
static enum MHD_Result send_reset(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci) {
        struct linger lg = {1, 0};
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        struct sockaddr sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_family = AF_UNSPEC;
        (void)connect(ci->connect_fd, &sa, sizeof sa);
    }
    return MHD_NO; /* libmicrohttpd closes the connection */
}

/* Sends the answer as the router left it, faults included. */
static enum MHD_Result deliver(struct MHD_Connection *c,
                               struct mock_response *rs)
{
    if (rs->reset)
        return send_reset(c);
    if (rs->truncate_to >= 0)
        return send_truncated(c, rs);
    return send_response(c, rs);
}

/* Timer callback of a held answer: resumes its connection, after which
 * libmicrohttpd calls the access handler again to queue it. Nothing to do
 * when the connection went away meanwhile. */
static void resume_cb(struct mock_server *s, uint64_t ticket, uint64_t unused)
{
    (void)unused;
    struct mock_http *h = s->http;
    if (!h)
        return;
    for (struct req *r = h->held; r; r = r->next) {
        if (r->ticket == ticket) {
            unhold(h, r);
            MHD_resume_connection(r->conn);
            h->resumed = true;
            return;
        }
    }
}

/* Holds the answer for rs->delay_ms: suspends the connection and sets a
 * timer on the server's heap that resumes it. Takes rs. */
static void hold(struct mock_http *h, struct MHD_Connection *c, struct req *r,
                 struct mock_response *rs)
{
    r->answer = *rs;
    r->answer.delay_ms = 0;
    r->holding = true;
    r->conn = c;
    r->ticket = rs->hold_ticket ? rs->hold_ticket : ++h->tickets;
    r->suspended = true;
    r->prev = NULL;
    r->next = h->held;
    if (h->held)
        h->held->prev = r;
    h->held = r;
    MHD_suspend_connection(c);
    mock_timer_add(&h->s->timers, mock_now_ms() + rs->delay_ms, resume_cb,
                   r->ticket, 0);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c,
                                 const char *url, const char *method,
                                 const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct mock_http *h = cls;
    struct req *r = *con_cls;
    if (!r) /* uri_cb always runs first; stay safe if it did not */
        *con_cls = r = req_new(h, url ? url : "");

    if (r->holding) { /* resumed after an injected delay */
        r->holding = false;
        enum MHD_Result ret = deliver(c, &r->answer);
        mock_response_free(&r->answer);
        return ret;
    }
    if (!r->seen || *upload_data_size) {
        r->seen = true;
        if (*upload_data_size)
            take(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }

    /* The final call: the whole body is in. */
    struct mock_response rs;
    mock_response_init(&rs);
    if (r->over) {
        answer_over(h, r, &rs);
    } else {
        struct mock_request rq = {
            .http_method = method,
            .uri = r->uri,
            .body = r->body.data,
            .body_len = r->body.len,
            .content_type =
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
            .admin_token = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                       "X-Admin-Token"),
            .received_us = r->received_us,
        };
        mock_route(h->s, &rq, &rs);
    }
    if (rs.delay_ms > 0 && !h->stopping) {
        hold(h, c, r, &rs);
        return MHD_YES;
    }
    enum MHD_Result ret = deliver(c, &rs);
    mock_response_free(&rs);
    return ret;
}

/* Fills `ss` from a bind address. Returns its length, or 0 when `addr` is
 * not an address; *v6 tells the family. */
static socklen_t parse_addr(const char *addr, uint16_t port,
                            struct sockaddr_storage *ss, bool *v6)
{
    memset(ss, 0, sizeof *ss);
    if (!strcmp(addr, "localhost"))
        addr = "127.0.0.1";
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        *v6 = false;
        return sizeof *a4;
    }
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        *v6 = true;
        return sizeof *a6;
    }
    return 0;
}

struct mock_http *mock_http_start(struct mock_server *s, const char *bind_addr,
                                  uint16_t port, char *err, size_t errlen)
{
    if (!bind_addr)
        bind_addr = "127.0.0.1";
    struct sockaddr_storage ss;
    bool v6 = false;
    if (!parse_addr(bind_addr, port, &ss, &v6)) {
        snprintf(err, errlen, "cannot bind '%s': not an IPv4 or IPv6 address",
                 bind_addr);
        return NULL;
    }

    struct mock_http *h = xmalloc(sizeof *h);
    memset(h, 0, sizeof *h);
    h->s = s;
    h->epoll_fd = -1;

    /* External epoll, no internal thread: the server's loop drives us. */
    unsigned flags =
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (v6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    h->d = MHD_start_daemon(
        flags, port, NULL, NULL, access_cb, h, MHD_OPTION_EXTERNAL_LOGGER,
        log_cb, h, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&ss,
        MHD_OPTION_URI_LOG_CALLBACK, uri_cb, h, MHD_OPTION_NOTIFY_COMPLETED,
        done_cb, h, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY, MHD_OPTION_END);
    if (!h->d) {
        int e = errno;
        snprintf(err, errlen, "cannot listen on %s port %u: %s", bind_addr,
                 (unsigned)port,
                 h->last_error[0] ? h->last_error
                                  : (e ? strerror(e) : "unknown error"));
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : port;
    di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    h->epoll_fd = di ? di->epoll_fd : -1;
    if (h->epoll_fd < 0 || h->port == 0) {
        snprintf(err, errlen, "libmicrohttpd gave no %s",
                 h->port == 0 ? "port" : "epoll fd");
        MHD_stop_daemon(h->d);
        free(h);
        return NULL;
    }
    return h;
}

void mock_http_stop(struct mock_http *h)
{
    if (!h)
        return;
    /* libmicrohttpd must not be stopped with a connection still
     * suspended: resume every held answer and let the daemon take them
     * back (the answers go out if the peer still listens), holding nothing
     * new meanwhile. */
    h->stopping = true;
    if (h->held) {
        while (h->held) {
            struct req *r = h->held;
            unhold(h, r);
            MHD_resume_connection(r->conn);
        }
        if (h->d)
            MHD_run(h->d);
    }
    if (h->d)
        MHD_stop_daemon(h->d);
    free(h);
}

uint16_t mock_http_port(const struct mock_http *h)
{
    return h->port;
}

int mock_http_epoll_fd(const struct mock_http *h)
{
    return h->epoll_fd;
}

int64_t mock_http_timeout_ms(struct mock_http *h)
{
    if (h->resumed)
        return 0;
    MHD_UNSIGNED_LONG_LONG t = 0;
    if (MHD_get_timeout(h->d, &t) != MHD_YES)
        return -1;
    return t > (MHD_UNSIGNED_LONG_LONG)INT64_MAX ? INT64_MAX : (int64_t)t;
}

int mock_http_run(struct mock_http *h)
{
    h->resumed = false;
    return MHD_run(h->d) == MHD_YES ? 0 : -1;
}

uint64_t mock_http_ticket(struct mock_http *h)
{
    return ++h->tickets;
}

int mock_http_answer_held(struct mock_http *h, uint64_t ticket, int status,
                          const char *body, size_t len)
{
    if (!h || ticket == 0 || h->stopping)
        return -1;
    for (struct req *r = h->held; r; r = r->next) {
        if (r->ticket != ticket)
            continue;
        dd_buf_reset(&r->answer.body);
        if (dd_buf_append(&r->answer.body, body, len) != 0)
            return -1;
        r->answer.status = status;
        r->answer.reset = false;
        r->answer.truncate_to = -1;
        /* the resume timer set by hold() finds nothing to do later */
        unhold(h, r);
        MHD_resume_connection(r->conn);
        h->resumed = true;
        return 0;
    }
    return -1;
}

const char *mock_http_last_error(const struct mock_http *h)
{
    return h->last_error;
}
