/*
 * ddc_push.c: the push receiver of ddc_push.h (doudian-open-api.md §5):
 * the checks and the parser (pure functions), then libmicrohttpd's side
 * and the worker that calls the handler.
 */
#include "ddc_push.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "dd_buf.h"
#include "dd_err.h"
#include "dd_json.h"
#include "dd_sign.h"
#include "ddc_config.h"
#include "ddc_read.h"

#define DEFAULT_QUEUE_MAX 100000
#define CONN_LIMIT        256
#define IDLE_TIMEOUT_S    30

static const char ACK[] = "{\"code\":0,\"msg\":\"success\"}";

/* ================================================================ parsing */

void ddc_push_msg_free(struct ddc_push_msg *m)
{
    free(m->tag);
    free(m->msg_id);
    free(m->data);
    free(m->update_time);
    memset(m, 0, sizeof *m);
}

void ddc_push_batch_free(struct ddc_push_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        ddc_push_msg_free(&b->msgs[i]);
    free(b->msgs);
    memset(b, 0, sizeof *b);
}

/* The text of a string or number member, or NULL. */
static const struct dd_json *scalar(const struct dd_json *obj, const char *key)
{
    const struct dd_json *v = dd_json_get(obj, key);
    if (v && (v->type == DD_JSON_STRING || v->type == DD_JSON_NUMBER) &&
        v->len > 0 && !memchr(v->text, '\0', v->len))
        return v;
    return NULL;
}

/* Reads one record into `m`. Returns 0 or DD_E_FORMAT (with `err`). */
static int read_record(const struct dd_json *rec, size_t index,
                       struct ddc_push_msg *m, char *err, size_t errlen)
{
    if (rec->type != DD_JSON_OBJECT) {
        snprintf(err, errlen, "record %zu is not an object", index);
        return DD_E_FORMAT;
    }
    const struct dd_json *tag = scalar(rec, "tag");
    const struct dd_json *id = scalar(rec, "msg_id");
    if (!id)
        id = scalar(rec, "msgId");
    const struct dd_json *data = dd_json_get(rec, "data");
    if (!tag || !id) {
        snprintf(err, errlen, "record %zu has no %s", index,
                 tag ? "msg_id" : "tag");
        return DD_E_FORMAT;
    }
    m->tag = ddc_strndup(tag->text, tag->len);
    if (dd_parse_int64(tag->text, tag->len, &m->tag_num) != 0)
        m->tag_num = -1;
    m->msg_id = ddc_strndup(id->text, id->len);

    /* `data` is a string holding JSON (official SDKs) or, leniently, the
     * JSON itself; either way it must parse. */
    if (data && data->type == DD_JSON_STRING) {
        m->data = ddc_strndup(data->text, data->len);
        m->data_len = data->len;
    } else if (data &&
               (data->type == DD_JSON_OBJECT || data->type == DD_JSON_ARRAY)) {
        struct dd_buf b;
        dd_buf_init(&b, DDC_PUSH_BODY_MAX);
        if (dd_json_write_canonical(&b, data, DD_ESCAPE_PLAIN) != 0) {
            dd_buf_free(&b);
            snprintf(err, errlen, "record %zu: data too large", index);
            return DD_E_FORMAT;
        }
        m->data_len = b.len;
        m->data = dd_buf_steal(&b);
        dd_buf_free(&b);
    } else {
        snprintf(err, errlen, "record %zu has no data", index);
        return DD_E_FORMAT;
    }
    struct dd_json_doc doc = {0};
    struct dd_json_error jerr;
    if (dd_json_parse(m->data, m->data_len, NULL, &doc, &jerr) != 0) {
        snprintf(err, errlen, "record %zu (msg_id %s): data is not JSON: %s",
                 index, m->msg_id, jerr.msg);
        return DD_E_FORMAT;
    }
    struct ddc_reader r;
    ddc_reader_init(&r);
    const struct dd_json *d = doc.root;
    m->aftersale_id = ddc_rd_i64(&r, d, "aftersale_id", false);
    m->p_id = ddc_rd_i64(&r, d, "p_id", false);
    m->s_id = ddc_rd_i64(&r, d, "s_id", false);
    m->shop_id = ddc_rd_i64(&r, d, "shop_id", false);
    m->aftersale_status = ddc_rd_i64(&r, d, "aftersale_status", false);
    m->aftersale_type = ddc_rd_i64(&r, d, "aftersale_type", false);
    m->refund_amount = ddc_rd_i64(&r, d, "refund_amount", false);
    m->refund_post_amount = ddc_rd_i64(&r, d, "refund_post_amount", false);
    m->reason_code = ddc_rd_i64(&r, d, "reason_code", false);
    m->update_time = ddc_rd_str(&r, d, "update_time", false);
    dd_json_doc_free(&doc);
    return 0;
}

int ddc_push_parse(const char *body, size_t len, struct ddc_push_batch *out,
                   char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct dd_json_doc doc = {0};
    struct dd_json_error jerr;
    int rc = dd_json_parse(body, len, NULL, &doc, &jerr);
    if (rc) {
        snprintf(err, errlen, "body %u:%u: %s", jerr.pos.line, jerr.pos.col,
                 jerr.msg);
        return rc;
    }
    const struct dd_json *root = doc.root;
    const struct dd_json *recs = root;
    size_t n = 1;
    if (root->type == DD_JSON_ARRAY)
        n = root->n;
    else if (root->type != DD_JSON_OBJECT) {
        dd_json_doc_free(&doc);
        snprintf(err, errlen, "body is neither an array nor an object");
        return DD_E_FORMAT;
    }
    if (n > DDC_PUSH_BATCH_MAX) {
        dd_json_doc_free(&doc);
        snprintf(err, errlen, "more than %d records", DDC_PUSH_BATCH_MAX);
        return DD_E_FORMAT;
    }
    out->msgs = ddc_calloc(n, sizeof *out->msgs);
    out->n = n;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = read_record(root->type == DD_JSON_ARRAY ? &recs->kids[i] : root, i,
                         &out->msgs[i], err, errlen);
    dd_json_doc_free(&doc);
    if (rc)
        ddc_push_batch_free(out);
    return rc;
}

/* Lower-cases ASCII A-F without a data-dependent branch. */
static char lower_hex(char c)
{
    unsigned char u = (unsigned char)c;
    unsigned char is_upper = (unsigned char)((unsigned)(u - 'A') <= 5u);
    return (char)(u + (unsigned char)(is_upper << 5));
}

enum ddc_push_verdict ddc_push_check(const char *app_key, const char *secret,
                                     const char *app_id, const char *event_sign,
                                     const char *body, size_t len,
                                     struct ddc_push_batch *out, char *err,
                                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    /* dd_hex_equal compares any two strings in time that depends only on
     * their lengths; the app_key's length is public (19 digits). */
    if (!app_id || !dd_hex_equal(app_key, app_id)) {
        snprintf(err, errlen, "app-id header %s",
                 app_id ? "mismatch" : "missing");
        return DDC_PUSH_BAD_APP_ID;
    }
    char got[DD_SIGN_HEX_MAX * 2];
    size_t glen = event_sign ? strlen(event_sign) : 0;
    if (!event_sign || glen >= sizeof got) {
        snprintf(err, errlen, "event-sign header %s",
                 event_sign ? "too long" : "missing");
        return DDC_PUSH_BAD_SIGN;
    }
    for (size_t i = 0; i < glen; i++)
        got[i] = lower_hex(event_sign[i]);
    got[glen] = '\0';
    if (!dd_push_verify(app_key, body, len, secret, got)) {
        snprintf(err, errlen, "event-sign mismatch");
        return DDC_PUSH_BAD_SIGN;
    }
    if (ddc_push_parse(body, len, out, err, errlen) != 0)
        return DDC_PUSH_MALFORMED;
    return DDC_PUSH_ACCEPTED;
}

/* ================================================================ receiver */

struct node {
    struct ddc_push_msg msg;
    struct node *next;
};

struct ddc_push {
    struct MHD_Daemon *d;
    uint16_t port;
    char app_key[32];
    char *secret;
    ddc_push_handler_cb handler;
    void *user;
    size_t queue_max;
    bool deliver_verification;

    pthread_t worker;
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cv;
    struct node *head, *tail;
    size_t queued; /* in the list, plus the one being handled */
    bool stopping;
    bool drain;
    struct ddc_push_stats stats;
    char log_error[160];
};

/* Per-request state, owned by libmicrohttpd's thread. */
struct request {
    struct dd_buf body;
    bool too_large;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
                             const char *json)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A refusal's body: Go's FailResponse shape with our reason. */
static enum MHD_Result refuse(struct MHD_Connection *c, unsigned status,
                              const char *why)
{
    char body[256];
    struct dd_buf b;
    dd_buf_init(&b, sizeof body - 1);
    dd_buf_puts(&b, "{\"code\":1,\"msg\":");
    dd_json_write_string(&b, why, strlen(why), DD_ESCAPE_PLAIN);
    if (dd_buf_putc(&b, '}') != 0) {
        dd_buf_free(&b);
        return reply(c, status, "{\"code\":1,\"msg\":\"fail\"}");
    }
    snprintf(body, sizeof body, "%s", dd_buf_str(&b));
    dd_buf_free(&b);
    return reply(c, status, body);
}

/* Queues the batch's messages (taking them over). Returns false when the
 * queue has no room for all of them (nothing is queued then). */
static bool enqueue(struct ddc_push *p, struct ddc_push_batch *b)
{
    int64_t t = now_us();
    pthread_mutex_lock(&p->mu);
    if (p->queued + b->n > p->queue_max) {
        pthread_mutex_unlock(&p->mu);
        return false;
    }
    for (size_t i = 0; i < b->n; i++) {
        struct ddc_push_msg *m = &b->msgs[i];
        if (m->tag_num == 0 && !strcmp(m->tag, "0") &&
            !p->deliver_verification) {
            ddc_push_msg_free(m);
            continue;
        }
        struct node *n = ddc_calloc(1, sizeof *n);
        n->msg = *m;
        n->msg.received_us = t;
        memset(m, 0, sizeof *m);
        if (p->tail)
            p->tail->next = n;
        else
            p->head = n;
        p->tail = n;
        p->queued++;
        p->stats.messages++;
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return true;
}

static void count(struct ddc_push *p, uint64_t *field)
{
    pthread_mutex_lock(&p->mu);
    p->stats.posts++;
    (*field)++;
    pthread_mutex_unlock(&p->mu);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    struct ddc_push *p = cls;
    struct request *rq = *con_cls;
    if (!rq) {
        rq = ddc_calloc(1, sizeof *rq);
        dd_buf_init(&rq->body, DDC_PUSH_BODY_MAX);
        *con_cls = rq;
        return MHD_YES; /* answer on the final call: keeps keep-alive */
    }
    if (*upload_size) {
        if (!rq->too_large && dd_buf_append(&rq->body, upload, *upload_size))
            rq->too_large = true;
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") != 0) {
        count(p, &p->stats.malformed);
        return refuse(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST only");
    }
    if (rq->too_large) {
        count(p, &p->stats.malformed);
        return refuse(c, MHD_HTTP_CONTENT_TOO_LARGE, "body too large");
    }
    const char *app_id =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "app-id");
    const char *sign =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "event-sign");
    struct ddc_push_batch batch;
    char err[160] = "";
    enum ddc_push_verdict v = ddc_push_check(
        p->app_key, p->secret, app_id, sign, rq->body.data ? rq->body.data : "",
        rq->body.len, &batch, err, sizeof err);
    /* This thread is libmicrohttpd's: give back the parser's per-thread
     * memory now, nothing would free it when the thread ends. */
    dd_json_release_cache();
    switch (v) {
    case DDC_PUSH_BAD_APP_ID:
        count(p, &p->stats.bad_app_id);
        return refuse(c, MHD_HTTP_UNAUTHORIZED, err);
    case DDC_PUSH_BAD_SIGN:
        count(p, &p->stats.bad_sign);
        return refuse(c, MHD_HTTP_UNAUTHORIZED, err);
    case DDC_PUSH_MALFORMED:
        count(p, &p->stats.malformed);
        return refuse(c, MHD_HTTP_BAD_REQUEST, err);
    case DDC_PUSH_ACCEPTED:
        break;
    }
    if (!enqueue(p, &batch)) {
        ddc_push_batch_free(&batch);
        count(p, &p->stats.busy);
        return refuse(c, MHD_HTTP_SERVICE_UNAVAILABLE, "busy, retry later");
    }
    ddc_push_batch_free(&batch);
    count(p, &p->stats.acked);
    return reply(c, MHD_HTTP_OK, ACK);
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct request *rq = *con_cls;
    if (rq) {
        dd_buf_free(&rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

/* libmicrohttpd's messages are kept, not printed: the last one explains a
 * failed start (written by whichever thread libmicrohttpd logs from; read
 * only after MHD_start_daemon failed, when no other thread runs). */
__attribute__((format(printf, 2, 0))) static void
log_cb(void *cls, const char *fmt, va_list ap)
{
    struct ddc_push *p = cls;
    vsnprintf(p->log_error, sizeof p->log_error, fmt, ap);
    size_t n = strlen(p->log_error);
    while (n && (p->log_error[n - 1] == '\n' || p->log_error[n - 1] == '\r'))
        p->log_error[--n] = '\0';
}

static void *worker_main(void *arg)
{
    struct ddc_push *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (!p->head || (p->stopping && !p->drain))
            break;
        struct node *n = p->head;
        p->head = n->next;
        if (!p->head)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        p->handler(&n->msg, p->user);
        ddc_push_msg_free(&n->msg);
        free(n);
        pthread_mutex_lock(&p->mu);
        p->queued--;
        p->stats.handled++;
    }
    pthread_mutex_unlock(&p->mu);
    dd_json_release_cache();
    return NULL;
}

/* Resolves the host part of "host:port" for listening. Returns the address
 * length, 0 on failure. */
static socklen_t listen_addr(const char *host, uint16_t port,
                             struct sockaddr_storage *ss, bool *v6)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    if (getaddrinfo(host[0] ? host : NULL, service, &hints, &res) != 0 || !res)
        return 0;
    socklen_t len = 0;
    /* Prefer IPv4 when a name has both (what "localhost" users mean). */
    const struct addrinfo *pick = res;
    for (const struct addrinfo *a = res; a; a = a->ai_next)
        if (a->ai_family == AF_INET) {
            pick = a;
            break;
        }
    if (pick->ai_addrlen <= sizeof *ss) {
        memset(ss, 0, sizeof *ss);
        memcpy(ss, pick->ai_addr, pick->ai_addrlen);
        len = (socklen_t)pick->ai_addrlen;
        *v6 = pick->ai_family == AF_INET6;
    }
    freeaddrinfo(res);
    return len;
}

struct ddc_push *ddc_push_start(const struct ddc_push_config *cfg, char *err,
                                size_t errlen)
{
    char host[256];
    uint16_t port;
    if (!cfg->handler || !cfg->app_key || !cfg->app_secret || !cfg->listen ||
        strlen(cfg->app_key) >= 32) {
        snprintf(err, errlen,
                 "push receiver: handler, app_key, app_secret "
                 "and listen are required");
        return NULL;
    }
    if (ddc_split_host_port(cfg->listen, host, sizeof host, &port) != 0) {
        snprintf(err, errlen, "push receiver: '%s' is not host:port",
                 cfg->listen);
        return NULL;
    }
    struct sockaddr_storage ss;
    bool v6 = false;
    if (!listen_addr(host, port, &ss, &v6)) {
        snprintf(err, errlen, "push receiver: cannot resolve '%s'", host);
        return NULL;
    }
    struct ddc_push *p = ddc_calloc(1, sizeof *p);
    snprintf(p->app_key, sizeof p->app_key, "%s", cfg->app_key);
    p->secret = ddc_strdup(cfg->app_secret);
    p->handler = cfg->handler;
    p->user = cfg->user;
    p->queue_max = cfg->queue_max ? cfg->queue_max : DEFAULT_QUEUE_MAX;
    p->deliver_verification = cfg->deliver_verification;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->worker, NULL, worker_main, p) != 0) {
        snprintf(err, errlen, "push receiver: cannot start the worker");
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p->secret);
        free(p);
        return NULL;
    }
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    p->d = MHD_start_daemon(flags, port, NULL, NULL, access_cb, p,
                            MHD_OPTION_EXTERNAL_LOGGER, log_cb, p,
                            MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&ss,
                            MHD_OPTION_NOTIFY_COMPLETED, completed_cb, p,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
                            MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_END);
    if (!p->d) {
        int e = errno;
        snprintf(err, errlen, "push receiver: cannot listen on %s: %s",
                 cfg->listen,
                 p->log_error[0] ? p->log_error
                                 : (e ? strerror(e) : "unknown error"));
        ddc_push_stop(p, false);
        return NULL;
    }
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(p->d, MHD_DAEMON_INFO_BIND_PORT);
    p->port = di ? di->port : port;
    return p;
}

uint16_t ddc_push_port(const struct ddc_push *p)
{
    return p->port;
}

void ddc_push_stats(struct ddc_push *p, struct ddc_push_stats *out)
{
    pthread_mutex_lock(&p->mu);
    *out = p->stats;
    out->queued = p->queued;
    pthread_mutex_unlock(&p->mu);
}

void ddc_push_stop(struct ddc_push *p, bool drain)
{
    if (!p)
        return;
    if (p->d)
        MHD_stop_daemon(p->d);
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    p->drain = drain;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->worker, NULL);
    for (struct node *n = p->head; n;) {
        struct node *next = n->next;
        ddc_push_msg_free(&n->msg);
        free(n);
        n = next;
    }
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->secret);
    free(p);
}
