/*
 * check_mock_push.c: end-to-end tests of ddmock's push delivery
 * (mock/push.c, mock/messages.c; doudian-open-api.md §5, mock/README.md
 * "Push delivery").
 *
 * Each test starts its own server with the default world (tests/mock_util.h)
 * and a small push receiver of its own: a plain-socket HTTP/1.1 server on
 * 127.0.0.1 in its own thread, which records every request (path, app-id,
 * event-sign, body) and answers {"code":0,"msg":"success"}, or fails a
 * number of times, or answers a non-zero code, or never answers, or is not
 * listening at all (down) and comes back up on the same port. The tests
 * read what the receiver got and what the admin API says (subscription,
 * delivery log, journal); expected values are typed from the spec and the
 * documented default world, never computed by the code under test.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mock_util.h"
#include "suites.h"

#define AS_PRE_101 "7000000000000000101" /* unshipped_refund, status 6 */

/* ================================================================ receiver */

enum rcv_mode {
    RCV_ACK,    /* {"code":0,"msg":"success"} */
    RCV_CODE1,  /* HTTP 200 {"code":1,"msg":"fail"} */
    RCV_SILENT, /* read the request, never answer */
};

struct rreq {
    char path[256];
    char app_id[64];
    char sign[80];
    char *body;
    size_t len;
};

#define RCV_CONNS 32

struct rcv {
    pthread_t th;
    pthread_mutex_t mu;
    uint16_t port;
    int lfd; /* owned by the thread once started */
    /* set by the test (under mu) */
    bool want_up, stop;
    int fail;           /* answer this many requests with HTTP 500 first */
    enum rcv_mode mode; /* then this */
    const char *answer; /* RCV_ACK's body, NULL = the usual */
    bool strict;        /* reject a wrong app-id, event-sign or data */
    char key[20], secret[40];
    /* set by the thread (under mu) */
    bool is_up;
    struct rreq *reqs;
    size_t n, cap;
};

static struct tmock T;
static struct rcv R;

static int listen_on(uint16_t port, uint16_t *bound)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    ck_assert_msg(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind: %s",
                  strerror(errno));
    ck_assert_int_eq(listen(fd, 64), 0);
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    if (bound)
        *bound = ntohs(sa.sin_port);
    return fd;
}

/* Copies header `name`'s value out of the header block [h, end). */
static void header(const char *h, const char *end, const char *name, char *out,
                   size_t cap)
{
    size_t nl = strlen(name);
    out[0] = '\0';
    for (const char *p = h; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 &&
            p[nl] == ':') {
            const char *v = p + nl + 1;
            while (v < eol && *v == ' ')
                v++;
            size_t len = (size_t)(eol - v);
            while (len && (v[len - 1] == '\r' || v[len - 1] == ' '))
                len--;
            snprintf(out, cap, "%.*s", (int)len, v);
            return;
        }
        p = eol + 1;
    }
}

static void answer(int fd, int status, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     status, status == 200 ? "OK" : "Internal Server Error",
                     strlen(body));
    ssize_t rc = write(fd, head, (size_t)n);
    rc = write(fd, body, strlen(body));
    (void)rc;
}

/* What a careful ERP checks (strict mode): the app-id, the event-sign and
 * that every data string is JSON. */
static bool acceptable(const struct rcv *r, const struct rreq *q)
{
    if (strcmp(q->app_id, r->key) != 0 ||
        !dd_push_verify(r->key, q->body, q->len, r->secret, q->sign))
        return false;
    struct dd_json_doc doc;
    if (dd_json_parse(q->body, q->len, NULL, &doc, NULL) != 0)
        return false;
    bool ok = doc.root->type == DD_JSON_ARRAY;
    for (size_t i = 0; ok && i < doc.root->n; i++) {
        const struct dd_json *d = dd_json_get(&doc.root->kids[i], "data");
        struct dd_json_doc inner = {NULL, NULL};
        ok = d && d->type == DD_JSON_STRING &&
             dd_json_parse(d->text, d->len, NULL, &inner, NULL) == 0;
        dd_json_doc_free(&inner);
    }
    dd_json_doc_free(&doc);
    return ok;
}

/* Handles every complete request in `in` of connection fd. */
static void serve(struct rcv *r, int fd, struct dd_buf *in)
{
    for (;;) {
        char *hend = in->data ? strstr(in->data, "\r\n\r\n") : NULL;
        if (!hend)
            return;
        char cl[32];
        header(in->data, hend, "content-length", cl, sizeof cl);
        size_t blen = (size_t)strtoul(cl, NULL, 10);
        size_t hlen = (size_t)(hend + 4 - in->data);
        if (in->len < hlen + blen)
            return;
        struct rreq q;
        memset(&q, 0, sizeof q);
        sscanf(in->data, "%*s %255s", q.path);
        header(in->data, hend, "app-id", q.app_id, sizeof q.app_id);
        header(in->data, hend, "event-sign", q.sign, sizeof q.sign);
        q.body = malloc(blen + 1);
        memcpy(q.body, in->data + hlen, blen);
        q.body[blen] = '\0';
        q.len = blen;
        pthread_mutex_lock(&r->mu);
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 16;
            r->reqs = realloc(r->reqs, r->cap * sizeof *r->reqs);
        }
        r->reqs[r->n++] = q;
        int status = 200;
        const char *body =
            r->answer ? r->answer : "{\"code\":0,\"msg\":\"success\"}";
        bool silent = false;
        if (r->strict && !acceptable(r, &q)) {
            body = "{\"code\":1,\"msg\":\"rejected\"}";
        } else if (r->fail > 0) {
            r->fail--;
            status = 500;
            body = "{\"code\":1,\"msg\":\"fail\"}";
        } else if (r->mode == RCV_CODE1) {
            body = "{\"code\":1,\"msg\":\"fail\"}";
        } else if (r->mode == RCV_SILENT) {
            silent = true;
        }
        pthread_mutex_unlock(&r->mu);
        if (!silent)
            answer(fd, status, body);
        size_t used = hlen + blen;
        memmove(in->data, in->data + used, in->len - used);
        in->len -= used;
        in->data[in->len] = '\0';
    }
}

static void *rcv_thread(void *arg)
{
    struct rcv *r = arg;
    int conns[RCV_CONNS];
    struct dd_buf bufs[RCV_CONNS];
    size_t nc = 0;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        bool stop = r->stop, up = r->want_up;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            break;
        if (up && r->lfd < 0)
            r->lfd = listen_on(r->port, NULL);
        if (!up && r->lfd >= 0) {
            close(r->lfd);
            r->lfd = -1;
            for (size_t i = 0; i < nc; i++) {
                close(conns[i]);
                dd_buf_free(&bufs[i]);
            }
            nc = 0;
        }
        pthread_mutex_lock(&r->mu);
        r->is_up = r->lfd >= 0;
        pthread_mutex_unlock(&r->mu);
        struct pollfd pf[RCV_CONNS + 1];
        size_t np = 0;
        for (size_t i = 0; i < nc; i++)
            pf[np++] = (struct pollfd){conns[i], POLLIN, 0};
        if (r->lfd >= 0)
            pf[np++] = (struct pollfd){r->lfd, POLLIN, 0};
        if (poll(pf, np, 10) <= 0)
            continue;
        if (r->lfd >= 0 && (pf[np - 1].revents & POLLIN) && nc < RCV_CONNS) {
            int c = accept(r->lfd, NULL, NULL);
            if (c >= 0) {
                conns[nc] = c;
                dd_buf_init(&bufs[nc], 0);
                nc++;
            }
        }
        for (size_t i = 0; i < nc && i < np; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char chunk[65536];
            ssize_t got = read(conns[i], chunk, sizeof chunk);
            if (got <= 0) {
                close(conns[i]);
                dd_buf_free(&bufs[i]);
                conns[i] = conns[nc - 1];
                bufs[i] = bufs[nc - 1];
                pf[i] = pf[nc - 1];
                nc--;
                i--;
                continue;
            }
            dd_buf_append(&bufs[i], chunk, (size_t)got);
            serve(r, conns[i], &bufs[i]);
        }
    }
    for (size_t i = 0; i < nc; i++) {
        close(conns[i]);
        dd_buf_free(&bufs[i]);
    }
    if (r->lfd >= 0)
        close(r->lfd);
    dd_json_release_cache(); /* strict mode parsed on this thread */
    return NULL;
}

/* Starts the receiver on a free port, listening (up) or not (down: the
 * port is found by binding, then closed before anything can connect). */
static void rcv_start(struct rcv *r, bool up)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->lfd = listen_on(0, &r->port);
    if (!up) {
        close(r->lfd);
        r->lfd = -1;
    }
    r->want_up = up;
    r->is_up = up;
    ck_assert_int_eq(pthread_create(&r->th, NULL, rcv_thread, r), 0);
}

/* Sets how the receiver answers from now on (under its lock). */
static void rcv_behave(struct rcv *r, enum rcv_mode mode, int fail,
                       const char *answer_body)
{
    pthread_mutex_lock(&r->mu);
    r->mode = mode;
    r->fail = fail;
    r->answer = answer_body;
    pthread_mutex_unlock(&r->mu);
}

/* Brings the receiver up or down and waits until it is so. */
static void rcv_set_up(struct rcv *r, bool up)
{
    pthread_mutex_lock(&r->mu);
    r->want_up = up;
    pthread_mutex_unlock(&r->mu);
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&r->mu);
        bool is = r->is_up == up;
        pthread_mutex_unlock(&r->mu);
        if (is)
            return;
        usleep(10000);
    }
    ck_abort_msg("the receiver did not come %s", up ? "up" : "down");
}

static void rcv_stop(struct rcv *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->th, NULL);
    for (size_t i = 0; i < r->n; i++)
        free(r->reqs[i].body);
    free(r->reqs);
    pthread_mutex_destroy(&r->mu);
}

static size_t rcv_count(struct rcv *r)
{
    pthread_mutex_lock(&r->mu);
    size_t n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* Waits until the receiver got at least n requests (at most ms). */
static size_t rcv_wait(struct rcv *r, size_t n, int ms)
{
    for (int waited = 0; waited < ms; waited += 5) {
        if (rcv_count(r) >= n)
            break;
        usleep(5000);
    }
    return rcv_count(r);
}

/* A copy of request i (free its body). */
static struct rreq rcv_get(struct rcv *r, size_t i)
{
    pthread_mutex_lock(&r->mu);
    ck_assert_uint_lt(i, r->n);
    struct rreq q = r->reqs[i];
    q.body = malloc(q.len + 1);
    memcpy(q.body, r->reqs[i].body, q.len + 1);
    pthread_mutex_unlock(&r->mu);
    return q;
}

/* One message of a received body. */
struct tmsg {
    char tag[16];
    char msg_id[32];
    char *data; /* the data string, decoded */
    size_t req; /* which request */
};

/* Every message of every request from `from` on, in order; returns how
 * many (at most max). Free with msgs_free. */
static size_t rcv_msgs(struct rcv *r, size_t from, struct tmsg *out, size_t max)
{
    size_t k = 0;
    for (size_t i = from; i < rcv_count(r); i++) {
        struct rreq q = rcv_get(r, i);
        struct dd_json_doc doc;
        const struct dd_json *root = tjson(q.body, &doc);
        ck_assert_msg(root->type == DD_JSON_ARRAY, "a push body is an array");
        for (size_t j = 0; j < root->n && k < max; j++) {
            const struct dd_json *m = &root->kids[j];
            const struct dd_json *tag = dd_json_get(m, "tag");
            const struct dd_json *id = dd_json_get(m, "msg_id");
            const struct dd_json *data = dd_json_get(m, "data");
            ck_assert_msg(tag && tag->type == DD_JSON_STRING,
                          "tag is a string");
            ck_assert_msg(id && id->type == DD_JSON_STRING,
                          "msg_id is a string");
            ck_assert_msg(data && data->type == DD_JSON_STRING,
                          "data is a string");
            snprintf(out[k].tag, sizeof out[k].tag, "%s", tag->text);
            snprintf(out[k].msg_id, sizeof out[k].msg_id, "%s", id->text);
            out[k].data = strdup(data->text);
            out[k].req = i;
            k++;
        }
        dd_json_doc_free(&doc);
        free(q.body);
    }
    return k;
}

static void msgs_free(struct tmsg *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(m[i].data);
}

/* How many messages the receiver got in all (requests from `from` on). */
static size_t rcv_msg_count(struct rcv *r, size_t from)
{
    static struct tmsg m[4096];
    size_t n = rcv_msgs(r, from, m, 4096);
    msgs_free(m, n);
    return n;
}

/* ================================================================ helpers */

static void start(const char *const *sets, bool receiver_up)
{
    tmock_start(&T, sets);
    rcv_start(&R, receiver_up);
}

static void finish(void)
{
    tmock_stop(&T);
    rcv_stop(&R);
}

/* An admin call with a printf-formed path; returns the status, the body in
 * *out (free it). */
static long admin(const char *verb, char **out, const char *body,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static long admin(const char *verb, char **out, const char *body,
                  const char *fmt, ...)
{
    char path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    return tadmin(&T, verb, path, body, out);
}

/* Subscribes the default world to the receiver, with `tags_json` ("[206]")
 * or all tags (NULL). */
static void subscribe(const char *tags_json)
{
    char body[256], *out;
    snprintf(body, sizeof body,
             "{\"url\":\"http://127.0.0.1:%u/doudian/push\"%s%s}",
             (unsigned)R.port, tags_json ? ",\"tags\":" : "",
             tags_json ? tags_json : "");
    long st =
        admin("PUT", &out, body, "/_mock/worlds/%s/subscription", T.app_key);
    ck_assert_msg(st == 200, "subscribe: %ld %s", st, out);
    free(out);
}

/* Subscribes and waits for the verification message to arrive. */
static void subscribe_verified(const char *tags_json)
{
    subscribe(tags_json);
    ck_assert_uint_ge(rcv_wait(&R, 1, 5000), 1);
}

static void synthetic(int count, int tag)
{
    char body[64], *out;
    snprintf(body, sizeof body, "{\"count\":%d,\"tag\":%d}", count, tag);
    long st =
        admin("POST", &out, body, "/_mock/worlds/%s/push/synthetic", T.app_key);
    ck_assert_msg(st == 200, "synthetic: %ld %s", st, out);
    free(out);
}

/* The delivery log (all of it) as a parsed document. */
static const struct dd_json *deliveries(struct dd_json_doc *doc,
                                        const char *query)
{
    char *out;
    long st = admin("GET", &out, NULL, "/_mock/deliveries%s", query);
    ck_assert_msg(st == 200, "deliveries: %ld %s", st, out);
    const struct dd_json *root = tjson(out, doc);
    free(out);
    return root;
}

/* Waits until the delivery log holds an entry with this outcome; returns
 * the number of entries then. */
static size_t wait_outcome(const char *outcome, size_t times, int ms)
{
    size_t n = 0;
    for (int waited = 0; waited <= ms; waited += 20) {
        struct dd_json_doc doc;
        const struct dd_json *d = tjnode(deliveries(&doc, ""), "deliveries");
        size_t seen = 0;
        n = d->n;
        for (size_t i = 0; i < d->n; i++) {
            const char *o = tjstr(&d->kids[i], "outcome");
            if (o && strcmp(o, outcome) == 0)
                seen++;
        }
        dd_json_doc_free(&doc);
        if (seen >= times)
            return n;
        usleep(20000);
    }
    ck_abort_msg("no %zu delivery log entries with outcome %s after %d ms",
                 times, outcome, ms);
    return n;
}

/* The subscription counter `name` ("acked", "gave_up", ...). */
static int64_t sub_counter(const char *name)
{
    char *out, path[64];
    long st =
        admin("GET", &out, NULL, "/_mock/worlds/%s/subscription", T.app_key);
    ck_assert_int_eq(st, 200);
    struct dd_json_doc doc;
    const struct dd_json *root = tjson(out, &doc);
    snprintf(path, sizeof path, "queue.%s", name);
    int64_t v = -1;
    ck_assert_int_eq(dd_json_int64(tjnode(root, path), &v), 0);
    dd_json_doc_free(&doc);
    free(out);
    return v;
}

static bool sub_verified(void)
{
    char *out;
    admin("GET", &out, NULL, "/_mock/worlds/%s/subscription", T.app_key);
    struct dd_json_doc doc;
    const struct dd_json *v = tjnode(tjson(out, &doc), "verified");
    bool yes = v && v->type == DD_JSON_TRUE;
    dd_json_doc_free(&doc);
    free(out);
    return yes;
}

/* RFC 3339 in Beijing time, written here independently of the mock. */
static void beijing(int64_t t, char out[32])
{
    time_t x = (time_t)(t + 8 * 3600);
    struct tm tm;
    gmtime_r(&x, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

/* The lexeme of number member `key` of a data object (asserts a number). */
static const char *num_lexeme(const struct dd_json *obj, const char *key)
{
    const struct dd_json *v = dd_json_get(obj, key);
    ck_assert_msg(v != NULL, "data has no %s", key);
    ck_assert_msg(v->type == DD_JSON_NUMBER, "data.%s is not a number", key);
    return v->text;
}

/* ================================================================ tests */

/* Arms a fault on the default world (faults.c's admin API). */
static void arm(const char *json)
{
    char *out;
    long st = admin("POST", &out, json, "/_mock/worlds/%s/faults", T.app_key);
    ck_assert_msg(st == 200, "arming %s: %ld %s", json, st, out);
    free(out);
}

/* The aftersale_id lexeme of a message's data. */
static void as_of(const struct tmsg *m, char out[24])
{
    struct dd_json_doc doc;
    const struct dd_json *d = tjson(m->data, &doc);
    snprintf(out, 24, "%s", num_lexeme(d, "aftersale_id"));
    dd_json_doc_free(&doc);
}

START_TEST(test_subscribing_pushes_the_tag_0_verification_first_and_signed)
{
    start(NULL, true);
    subscribe(NULL);
    ck_assert_uint_eq(rcv_wait(&R, 1, 5000), 1);
    struct rreq q = rcv_get(&R, 0);
    ck_assert_str_eq(q.path, "/doudian/push");
    ck_assert_str_eq(q.app_id, T.app_key);
    ck_assert_msg(
        dd_push_verify(T.app_key, q.body, q.len, T.app_secret, q.sign),
        "event-sign must be md5(app_key + body + app_secret)");
    /* The sign is the md5 of exactly these bytes, in lowercase hex. */
    char expect[33];
    dd_push_sign(T.app_key, q.body, q.len, T.app_secret, expect);
    ck_assert_str_eq(q.sign, expect);
    struct dd_json_doc doc;
    const struct dd_json *root = tjson(q.body, &doc);
    ck_assert_int_eq(root->type, DD_JSON_ARRAY);
    ck_assert_uint_eq(root->n, 1);
    ck_assert_str_eq(tjstr(root, "0.tag"), "0");
    ck_assert_int_eq(tjnode(root, "0.tag")->type, DD_JSON_STRING);
    ck_assert_uint_gt(strlen(tjstr(root, "0.msg_id")), 0);
    ck_assert_str_eq(tjstr(root, "0.data"), "{}");
    dd_json_doc_free(&doc);
    free(q.body);
    for (int i = 0; i < 200 && !sub_verified(); i++)
        usleep(10000);
    ck_assert_msg(sub_verified(), "the acknowledged verification verifies");
    finish();
}
END_TEST

START_TEST(test_cancel_send_goods_success_pushes_201_then_206_with_exact_data)
{
    start(NULL, true);
    subscribe_verified(NULL);
    tmock_token(&T);
    char pj[128];
    snprintf(pj, sizeof pj, "{\"aftersale_id\":\"%s\",\"op_time\":%lld}",
             AS_PRE_101, (long long)time(NULL));
    struct dd_envelope env;
    tcall(&T, "afterSale.CancelSendGoodsSuccess", pj, NULL, &env);
    ck_assert_msg(env.code == 10000, "write-back: %lld %s", (long long)env.code,
                  env.sub_code);
    dd_envelope_free(&env);

    struct tmsg m[8];
    size_t n = 0;
    for (int i = 0; i < 500 && n < 2; i++) {
        msgs_free(m, n);
        usleep(10000);
        n = rcv_msgs(&R, 1, m, 8);
    }
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(m[0].tag, "201");
    ck_assert_str_eq(m[1].tag, "206");
    ck_assert_str_ne(m[0].msg_id, m[1].msg_id);

    /* The after-sale as the admin API shows it, for update_time. */
    char *out;
    ck_assert_int_eq(admin("GET", &out, NULL, "/_mock/worlds/%s/aftersales/%s",
                           T.app_key, AS_PRE_101),
                     200);
    struct dd_json_doc adoc;
    const struct dd_json *as = tjson(out, &adoc);
    int64_t update_time = 0, refund_time = 0;
    ck_assert_int_eq(
        dd_json_int64(tjnode(as, "entity.update_time"), &update_time), 0);
    ck_assert_int_eq(
        dd_json_int64(tjnode(as, "entity.refund_time"), &refund_time), 0);
    char ut[32];
    beijing(update_time, ut);

    for (size_t i = 0; i < 2; i++) {
        struct dd_json_doc doc;
        const struct dd_json *d = tjson(m[i].data, &doc);
        ck_assert_int_eq(d->type, DD_JSON_OBJECT);
        /* ids: JSON numbers, exact to 19 digits */
        ck_assert_str_eq(num_lexeme(d, "aftersale_id"), AS_PRE_101);
        ck_assert_str_eq(num_lexeme(d, "p_id"), "6920000000000000101");
        ck_assert_str_eq(num_lexeme(d, "s_id"), "6920000000000000101");
        ck_assert_str_eq(num_lexeme(d, "shop_id"), "23456789");
        ck_assert_str_eq(num_lexeme(d, "store_id"), "0");
        ck_assert_str_eq(num_lexeme(d, "aftersale_status"), "12");
        ck_assert_str_eq(num_lexeme(d, "aftersale_type"), "2");
        ck_assert_str_eq(num_lexeme(d, "refund_amount"), "5900");
        ck_assert_str_eq(num_lexeme(d, "refund_post_amount"), "0");
        ck_assert_str_eq(num_lexeme(d, "refund_voucher_num"), "0");
        num_lexeme(d, "reason_code");
        const struct dd_json *u = dd_json_get(d, "update_time");
        ck_assert_msg(u && u->type == DD_JSON_STRING,
                      "update_time is a string");
        ck_assert_str_eq(u->text, ut);
        ck_assert_uint_eq(strlen(u->text), 25);
        ck_assert_str_eq(u->text + 19, "+08:00");
        if (i == 0) {
            num_lexeme(d, "agree_time");
            /* the ERP's write-back made the assistant refund: the merchant
             * side (2) agreed */
            ck_assert_str_eq(num_lexeme(d, "op_role"), "2");
        } else {
            int64_t st = 0;
            ck_assert_int_eq(dd_json_int64(dd_json_get(d, "success_time"), &st),
                             0);
            ck_assert_int_eq(st, refund_time);
        }
        dd_json_doc_free(&doc);
    }
    dd_json_doc_free(&adoc);
    free(out);

    /* Every request of the run is signed for this app. */
    for (size_t i = 0; i < rcv_count(&R); i++) {
        struct rreq q = rcv_get(&R, i);
        ck_assert_str_eq(q.app_id, T.app_key);
        ck_assert(
            dd_push_verify(T.app_key, q.body, q.len, T.app_secret, q.sign));
        free(q.body);
    }
    msgs_free(m, n);
    finish();
}
END_TEST

START_TEST(test_messages_are_batched_up_to_push_batch_max)
{
    static const char *const sets[] = {"push_batch_max=5", NULL};
    start(sets, true);
    subscribe_verified(NULL);
    synthetic(12, 200);
    ck_assert_uint_eq(rcv_wait(&R, 4, 5000), 4);
    usleep(200000);
    ck_assert_uint_eq(rcv_count(&R), 4);
    size_t sizes[3] = {0};
    struct tmsg m[16];
    size_t n = rcv_msgs(&R, 1, m, 16);
    ck_assert_uint_eq(n, 12);
    for (size_t i = 0; i < n; i++) {
        sizes[m[i].req - 1]++;
        ck_assert_str_eq(m[i].tag, "200");
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(m[i].msg_id, m[j].msg_id);
    }
    ck_assert_uint_eq(sizes[0], 5);
    ck_assert_uint_eq(sizes[1], 5);
    ck_assert_uint_eq(sizes[2], 2);
    /* The after-sales in turn, in order: the default world's first three. */
    struct dd_json_doc doc;
    const struct dd_json *d = tjson(m[2].data, &doc);
    ck_assert_str_eq(num_lexeme(d, "aftersale_id"), "7000000000000000301");
    dd_json_doc_free(&doc);
    msgs_free(m, n);
    finish();
}
END_TEST

START_TEST(test_a_failing_receiver_gets_retries_until_it_acknowledges)
{
    static const char *const sets[] = {"push_backoff_initial_ms=50",
                                       "push_backoff_max_ms=100", NULL};
    start(sets, true);
    rcv_behave(&R, RCV_ACK, 2, NULL); /* HTTP 500 twice, then an ack */
    subscribe(NULL);
    ck_assert_uint_eq(rcv_wait(&R, 3, 5000), 3);
    usleep(300000);
    ck_assert_uint_eq(rcv_count(&R), 3); /* acknowledged: no more */
    struct tmsg m[4];
    size_t n = rcv_msgs(&R, 0, m, 4);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(m[0].msg_id, m[1].msg_id); /* the same message again */
    ck_assert_str_eq(m[0].msg_id, m[2].msg_id);
    msgs_free(m, n);

    wait_outcome("acked", 1, 2000);
    struct dd_json_doc doc;
    const struct dd_json *d = tjnode(deliveries(&doc, ""), "deliveries");
    ck_assert_uint_eq(d->n, 3);
    static const char *const outcome[] = {"retry", "retry", "acked"};
    static const char *const status[] = {"500", "500", "200"};
    for (size_t i = 0; i < 3; i++) {
        char want[4];
        snprintf(want, sizeof want, "%zu", i + 1);
        ck_assert_str_eq(tjstr(&d->kids[i], "attempt"), want);
        ck_assert_str_eq(tjstr(&d->kids[i], "outcome"), outcome[i]);
        ck_assert_str_eq(tjstr(&d->kids[i], "status"), status[i]);
        ck_assert_ptr_nonnull(tjstr(&d->kids[i], "response"));
        ck_assert_ptr_nonnull(tjnode(&d->kids[i], "latency_ms"));
    }
    dd_json_doc_free(&doc);
    ck_assert_int_eq(sub_counter("acked"), 1);
    ck_assert_int_eq(sub_counter("attempts"), 3);
    finish();
}
END_TEST

START_TEST(test_a_receiver_down_then_up_loses_nothing)
{
    static const char *const sets[] = {
        "push_backoff_initial_ms=50", "push_backoff_max_ms=200",
        "push_max_attempts=100000", "push_batch_max=7", NULL};
    start(sets, false);
    subscribe(NULL);
    synthetic(30, 206);
    wait_outcome("retry", 3, 5000);
    ck_assert_uint_eq(rcv_count(&R), 0);
    rcv_set_up(&R, true);
    for (int i = 0; i < 500 && rcv_msg_count(&R, 0) < 31; i++)
        usleep(10000);
    usleep(300000);
    static struct tmsg m[64];
    size_t n = rcv_msgs(&R, 0, m, 64);
    ck_assert_uint_eq(n, 31); /* everything, exactly once */
    ck_assert_str_eq(m[0].tag, "0");
    for (size_t i = 1; i < n; i++) {
        ck_assert_str_eq(m[i].tag, "206");
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(m[i].msg_id, m[j].msg_id);
    }
    msgs_free(m, n);
    ck_assert_int_eq(sub_counter("acked"), 31);
    ck_assert_int_eq(sub_counter("gave_up"), 0);
    finish();
}
END_TEST

START_TEST(test_a_receiver_that_never_answers_times_out_and_is_retried)
{
    static const char *const sets[] = {"push_timeout_ms=200",
                                       "push_backoff_initial_ms=50",
                                       "push_max_attempts=2", NULL};
    start(sets, true);
    rcv_behave(&R, RCV_SILENT, 0, NULL);
    subscribe(NULL);
    wait_outcome("gave_up", 1, 5000);
    ck_assert_uint_eq(rcv_count(&R), 2);
    struct dd_json_doc doc;
    const struct dd_json *d = tjnode(deliveries(&doc, ""), "deliveries");
    ck_assert_uint_eq(d->n, 2);
    ck_assert_str_eq(tjstr(&d->kids[0], "outcome"), "retry");
    ck_assert_str_eq(tjstr(&d->kids[1], "outcome"), "gave_up");
    for (size_t i = 0; i < 2; i++) {
        int64_t lat = 0;
        ck_assert_int_eq(dd_json_int64(tjnode(&d->kids[i], "latency_ms"), &lat),
                         0);
        ck_assert_int_ge(lat, 190);
        ck_assert_int_lt(lat, 3000);
        ck_assert_str_eq(tjstr(&d->kids[i], "status"), "0");
        const struct dd_json *e = tjnode(&d->kids[i], "error");
        ck_assert_msg(e && e->type == DD_JSON_STRING, "a timeout has an error");
    }
    dd_json_doc_free(&doc);
    ck_assert(!sub_verified());
    finish();
}
END_TEST

START_TEST(test_a_push_is_given_up_after_push_max_attempts)
{
    static const char *const sets[] = {"push_backoff_initial_ms=20",
                                       "push_max_attempts=3", NULL};
    start(sets, true);
    rcv_behave(&R, RCV_CODE1, 0, NULL); /* HTTP 200, {"code":1}: no ack */
    subscribe(NULL);
    wait_outcome("gave_up", 1, 5000);
    usleep(200000);
    ck_assert_uint_eq(rcv_count(&R), 3);
    ck_assert_int_eq(sub_counter("gave_up"), 1);
    ck_assert_int_eq(sub_counter("acked"), 0);
    /* The journal has every attempt, kind "push", with the outcome. */
    char *out;
    ck_assert_int_eq(admin("GET", &out, NULL,
                           "/_mock/journal?kind=push&app_key=%s", T.app_key),
                     200);
    struct dd_json_doc doc;
    const struct dd_json *e = tjnode(tjson(out, &doc), "entries");
    ck_assert_uint_eq(e->n, 3);
    ck_assert_str_eq(tjstr(&e->kids[0], "sub_code"), "retry");
    ck_assert_str_eq(tjstr(&e->kids[2], "sub_code"), "gave_up");
    ck_assert_str_eq(tjstr(&e->kids[2], "code"), "200");
    ck_assert_ptr_nonnull(strstr(tjstr(&e->kids[2], "note"), "attempt 3"));
    ck_assert_int_eq(tjnode(&e->kids[0], "params")->type, DD_JSON_ARRAY);
    dd_json_doc_free(&doc);
    free(out);
    finish();
}
END_TEST

START_TEST(test_an_answer_code_given_as_the_string_0_is_an_ack)
{
    start(NULL, true);
    rcv_behave(&R, RCV_ACK, 0, "{\"code\":\"0\",\"msg\":\"success\"}");
    subscribe(NULL);
    wait_outcome("acked", 1, 5000);
    finish();
}
END_TEST

/* Asserts that no world-visible entity has id `id` (admin reads 404). */
static void exists_nowhere(const char *kind, const char *id)
{
    char *out;
    long st =
        admin("GET", &out, NULL, "/_mock/worlds/%s/%s/%s", T.app_key, kind, id);
    ck_assert_msg(st == 404, "%s %s should not exist (got %ld)", kind, id, st);
    free(out);
}

START_TEST(test_forged_pushes_are_sent_once_with_invented_ids)
{
    static const char *const sets[] = {"push_backoff_initial_ms=20", NULL};
    start(sets, true);
    subscribe_verified(NULL);
    wait_outcome("acked", 1, 5000);
    rcv_behave(&R, RCV_CODE1, 0, NULL); /* now it rejects everything */
    static const char *const flavors[] = {"bad_sign", "wrong_app_id",
                                          "malformed_data"};
    char ids[3][24];
    for (int i = 0; i < 3; i++) {
        char body[96], *out;
        snprintf(body, sizeof body, "{\"tag\":200,\"flavor\":\"%s\"}",
                 flavors[i]);
        ck_assert_int_eq(admin("POST", &out, body,
                               "/_mock/worlds/%s/push/forged", T.app_key),
                         200);
        struct dd_json_doc doc;
        const struct dd_json *r = tjson(out, &doc);
        ck_assert_int_eq(tjnode(r, "invented")->type, DD_JSON_TRUE);
        snprintf(ids[i], sizeof ids[i], "%s", tjstr(r, "aftersale_id"));
        exists_nowhere("aftersales", tjstr(r, "aftersale_id"));
        exists_nowhere("orders", tjstr(r, "p_id"));
        exists_nowhere("sku_orders", tjstr(r, "s_id"));
        dd_json_doc_free(&doc);
        free(out);
    }
    ck_assert_uint_eq(rcv_wait(&R, 4, 5000), 4);
    usleep(300000);
    ck_assert_uint_eq(rcv_count(&R), 4); /* once each, never retried */
    for (int i = 0; i < 3; i++) {
        struct rreq q = rcv_get(&R, 1 + (size_t)i);
        struct tmsg m[2];
        size_t n = rcv_msgs(&R, 1 + (size_t)i, m, 1);
        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(m[0].tag, "200");
        ck_assert_ptr_nonnull(strstr(m[0].data, ids[i]));
        bool sign_ok =
            dd_push_verify(T.app_key, q.body, q.len, T.app_secret, q.sign);
        struct dd_json_doc doc;
        struct dd_json_limits lim = {0, 0};
        bool data_ok =
            dd_json_parse(m[0].data, strlen(m[0].data), &lim, &doc, NULL) == 0;
        dd_json_doc_free(&doc);
        if (i == 0) { /* bad_sign */
            ck_assert_str_eq(q.app_id, T.app_key);
            ck_assert(!sign_ok);
            ck_assert(data_ok);
        } else if (i == 1) { /* wrong_app_id */
            ck_assert_str_ne(q.app_id, T.app_key);
            ck_assert_uint_eq(strlen(q.app_id), 19);
            ck_assert(data_ok);
        } else { /* malformed_data: signed right, data not JSON */
            ck_assert_str_eq(q.app_id, T.app_key);
            ck_assert(sign_ok);
            ck_assert(!data_ok);
        }
        msgs_free(m, n);
        free(q.body);
    }
    wait_outcome("forged", 3, 2000);
    ck_assert_int_eq(sub_counter("forged"), 3);
    /* The journal names the invented ids. */
    char *out;
    admin("GET", &out, NULL, "/_mock/journal?kind=push&app_key=%s", T.app_key);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(strstr(out, ids[i]) != NULL,
                      "the journal names invented id %s", ids[i]);
    ck_assert_ptr_nonnull(strstr(out, "invented ids"));
    free(out);
    finish();
}
END_TEST

START_TEST(test_a_forged_push_may_name_a_real_aftersale)
{
    start(NULL, true);
    subscribe_verified(NULL);
    char *out;
    ck_assert_int_eq(admin("POST", &out,
                           "{\"tag\":206,\"flavor\":\"bad_sign\","
                           "\"aftersale_id\":\"" AS_PRE_101 "\"}",
                           "/_mock/worlds/%s/push/forged", T.app_key),
                     200);
    struct dd_json_doc doc;
    const struct dd_json *r = tjson(out, &doc);
    ck_assert_int_eq(tjnode(r, "invented")->type, DD_JSON_FALSE);
    ck_assert_str_eq(tjstr(r, "p_id"), "6920000000000000101");
    dd_json_doc_free(&doc);
    free(out);
    ck_assert_uint_eq(rcv_wait(&R, 2, 5000), 2);
    finish();
}
END_TEST

START_TEST(test_the_delivery_log_pages_by_since_and_filters_by_app_key)
{
    static const char *const sets[] = {"push_batch_max=1", NULL};
    start(sets, true);
    subscribe_verified(NULL);
    synthetic(2, 207);
    ck_assert_uint_eq(rcv_wait(&R, 3, 5000), 3);
    wait_outcome("acked", 3, 2000);
    struct dd_json_doc doc;
    const struct dd_json *root = deliveries(&doc, "");
    ck_assert_str_eq(tjstr(root, "last_seq"), "3");
    ck_assert_uint_eq(tjnode(root, "deliveries")->n, 3);
    ck_assert_str_eq(tjstr(root, "deliveries.1.tags.0"), "207");
    ck_assert_str_eq(tjstr(root, "deliveries.1.aftersale_ids.0"),
                     "7000000000000000101");
    ck_assert_str_eq(tjstr(root, "deliveries.1.app_key"), T.app_key);
    dd_json_doc_free(&doc);

    root = deliveries(&doc, "?since=1");
    ck_assert_uint_eq(tjnode(root, "deliveries")->n, 2);
    ck_assert_str_eq(tjstr(root, "deliveries.0.seq"), "2");
    dd_json_doc_free(&doc);

    root = deliveries(&doc, "?since=1&limit=1");
    ck_assert_uint_eq(tjnode(root, "deliveries")->n, 1);
    dd_json_doc_free(&doc);

    root = deliveries(&doc, "?app_key=1234567890123456789");
    ck_assert_uint_eq(tjnode(root, "deliveries")->n, 0);
    dd_json_doc_free(&doc);

    char *out;
    ck_assert_int_eq(admin("GET", &out, NULL, "/_mock/deliveries?since=-1"),
                     400);
    free(out);
    finish();
}
END_TEST

START_TEST(test_the_tag_filter_keeps_unwanted_tags_out)
{
    start(NULL, true);
    subscribe_verified("[206]");
    tmock_token(&T);
    char pj[128];
    snprintf(pj, sizeof pj, "{\"aftersale_id\":\"%s\",\"op_time\":%lld}",
             AS_PRE_101, (long long)time(NULL));
    struct dd_envelope env;
    tcall(&T, "afterSale.CancelSendGoodsSuccess", pj, NULL, &env);
    ck_assert_int_eq(env.code, 10000);
    dd_envelope_free(&env);
    ck_assert_uint_eq(rcv_wait(&R, 2, 5000), 2);
    usleep(200000);
    struct tmsg m[4];
    size_t n = rcv_msgs(&R, 1, m, 4);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(m[0].tag, "206");
    msgs_free(m, n);
    char *out;
    admin("GET", &out, NULL, "/_mock/worlds/%s/subscription", T.app_key);
    struct dd_json_doc doc;
    ck_assert_str_eq(tjstr(tjson(out, &doc), "tags.0"), "206");
    dd_json_doc_free(&doc);
    free(out);
    finish();
}
END_TEST

/* One run of the determinism test: the msg_ids received, in order. */
static size_t one_run(char ids[][32], size_t max)
{
    start(NULL, true);
    subscribe_verified(NULL);
    synthetic(3, 208);
    tmock_token(&T);
    struct dd_envelope env;
    tcall(&T, "afterSale.CancelSendGoodsSuccess",
          "{\"aftersale_id\":\"" AS_PRE_101 "\",\"op_time\":1700000000}", NULL,
          &env);
    ck_assert_int_eq(env.code, 10000);
    dd_envelope_free(&env);
    for (int i = 0; i < 500 && rcv_msg_count(&R, 0) < 6; i++)
        usleep(10000);
    struct tmsg m[8];
    size_t n = rcv_msgs(&R, 0, m, 8);
    for (size_t i = 0; i < n && i < max; i++)
        snprintf(ids[i], 32, "%s", m[i].msg_id);
    msgs_free(m, n);
    finish();
    return n;
}

START_TEST(test_msg_ids_are_the_same_for_the_same_seed_and_calls)
{
    char a[8][32], b[8][32];
    size_t na = one_run(a, 8);
    size_t nb = one_run(b, 8);
    ck_assert_uint_eq(na, 6);
    ck_assert_uint_eq(nb, 6);
    for (size_t i = 0; i < 6; i++) {
        ck_assert_str_eq(a[i], b[i]);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(a[i], a[j]);
    }
}
END_TEST

START_TEST(test_a_restored_world_goes_on_with_new_msg_ids)
{
    start(NULL, true);
    subscribe_verified(NULL);
    synthetic(2, 200);
    for (int i = 0; i < 500 && rcv_msg_count(&R, 0) < 3; i++)
        usleep(10000);
    char *dump;
    ck_assert_int_eq(admin("GET", &dump, NULL, "/_mock/worlds/%s", T.app_key),
                     200);
    char *out;
    ck_assert_int_eq(admin("PUT", &out, dump, "/_mock/worlds/%s", T.app_key),
                     200);
    free(out);
    free(dump);
    /* the restored world's subscription is verified again */
    for (int i = 0; i < 500 && rcv_msg_count(&R, 0) < 4; i++)
        usleep(10000);
    synthetic(2, 200);
    for (int i = 0; i < 500 && rcv_msg_count(&R, 0) < 6; i++)
        usleep(10000);
    struct tmsg m[8];
    size_t n = rcv_msgs(&R, 0, m, 8);
    ck_assert_uint_eq(n, 6);
    ck_assert_str_eq(m[3].tag, "0");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(m[i].msg_id, m[j].msg_id);
    msgs_free(m, n);
    finish();
}
END_TEST

START_TEST(test_the_subscription_admin_calls_check_their_input)
{
    start(NULL, true);
    char *out;
    /* not subscribed yet */
    ck_assert_int_eq(
        admin("GET", &out, NULL, "/_mock/worlds/%s/subscription", T.app_key),
        200);
    struct dd_json_doc doc;
    ck_assert_int_eq(tjnode(tjson(out, &doc), "url")->type, DD_JSON_NULL);
    dd_json_doc_free(&doc);
    free(out);
    static const char *const bad[] = {
        "{\"url\":\"ftp://127.0.0.1/x\"}",
        "{\"url\":\"http://127.0.0.1/a b\"}",
        "{\"url\":42}",
        "{}",
        "{\"url\":\"http://127.0.0.1/x\",\"tags\":[199]}",
        "{\"url\":\"http://127.0.0.1/x\",\"tags\":[520]}",
        "{\"url\":\"http://127.0.0.1/x\",\"tags\":200}",
        "[1]",
        "not json",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long st = admin("PUT", &out, bad[i], "/_mock/worlds/%s/subscription",
                        T.app_key);
        ck_assert_msg(st == 400, "%s: got %ld", bad[i], st);
        free(out);
    }
    ck_assert_int_eq(admin("PUT", &out, "{\"url\":\"http://127.0.0.1:1/\"}",
                           "/_mock/worlds/1111111111111111111/subscription"),
                     404);
    free(out);
    /* forged and synthetic need a subscription / a proper tag */
    ck_assert_int_eq(admin("POST", &out,
                           "{\"tag\":200,\"flavor\":\"bad_sign\"}",
                           "/_mock/worlds/%s/push/forged", T.app_key),
                     409);
    free(out);
    subscribe_verified(NULL);
    ck_assert_int_eq(admin("POST", &out, "{\"tag\":200,\"flavor\":\"nice\"}",
                           "/_mock/worlds/%s/push/forged", T.app_key),
                     400);
    free(out);
    ck_assert_int_eq(admin("POST", &out, "{\"tag\":300,\"count\":1}",
                           "/_mock/worlds/%s/push/synthetic", T.app_key),
                     400);
    free(out);
    ck_assert_int_eq(admin("POST", &out, "{\"count\":0}",
                           "/_mock/worlds/%s/push/synthetic", T.app_key),
                     400);
    free(out);
    ck_assert_int_eq(
        admin("GET", &out, NULL, "/_mock/worlds/%s/push/forged", T.app_key),
        405);
    free(out);
    /* DELETE unsubscribes: no more pushes */
    ck_assert_int_eq(
        admin("DELETE", &out, NULL, "/_mock/worlds/%s/subscription", T.app_key),
        200);
    ck_assert_int_eq(tjnode(tjson(out, &doc), "url")->type, DD_JSON_NULL);
    dd_json_doc_free(&doc);
    free(out);
    size_t before = rcv_count(&R);
    synthetic(2, 200);
    usleep(200000);
    ck_assert_uint_eq(rcv_count(&R), before);
    finish();
}
END_TEST

START_TEST(test_a_world_file_subscription_is_verified_when_the_world_is_added)
{
    start(NULL, true);
    char body[512], *out;
    snprintf(body, sizeof body,
             "{\"app\":{\"app_key\":\"1234567890123456789\","
             "\"app_secret\":\"s3cr3t\"},"
             "\"subscription\":{\"url\":\"http://127.0.0.1:%u/w\","
             "\"tags\":[206,200]}}",
             (unsigned)R.port);
    ck_assert_int_eq(admin("POST", &out, body, "/_mock/worlds"), 200);
    free(out);
    ck_assert_uint_eq(rcv_wait(&R, 1, 5000), 1);
    struct rreq q = rcv_get(&R, 0);
    ck_assert_str_eq(q.app_id, "1234567890123456789");
    ck_assert_str_eq(q.path, "/w");
    ck_assert(
        dd_push_verify("1234567890123456789", q.body, q.len, "s3cr3t", q.sign));
    ck_assert_ptr_nonnull(strstr(q.body, "\"tag\":\"0\""));
    free(q.body);
    /* The dump carries the subscription (tags in order). */
    ck_assert_int_eq(
        admin("GET", &out, NULL, "/_mock/worlds/1234567890123456789"), 200);
    struct dd_json_doc doc;
    const struct dd_json *d = tjson(out, &doc);
    ck_assert_str_eq(tjstr(d, "subscription.tags.0"), "200");
    ck_assert_str_eq(tjstr(d, "subscription.tags.1"), "206");
    ck_assert_ptr_nonnull(strstr(tjstr(d, "subscription.url"), "/w"));
    dd_json_doc_free(&doc);
    free(out);
    /* A bad subscription in a world file is reported with its position. */
    ck_assert_int_eq(admin("POST", &out,
                           "{\"subscription\":{\"url\":\"ftp://x\","
                           "\"tags\":[1]}}",
                           "/_mock/worlds"),
                     400);
    ck_assert_ptr_nonnull(strstr(out, "subscription.url"));
    ck_assert_ptr_nonnull(strstr(out, "subscription.tags[0]"));
    free(out);
    finish();
}
END_TEST

START_TEST(test_data_of_every_refund_tag_has_its_own_fields)
{
    static const char *const sets[] = {"push_batch_max=20", NULL};
    start(sets, true);
    subscribe_verified(NULL);
    static const struct {
        int tag;
        const char *field;
    } want[] = {
        {200, "apply_time"},   {201, "agree_time"},  {202, "addr"},
        {203, "return_time"},  {204, "refuse_time"}, {205, "refuse_time"},
        {206, "success_time"}, {207, "close_time"},  {208, "modify_time"},
    };
    size_t nw = sizeof want / sizeof want[0];
    for (size_t i = 0; i < nw; i++)
        synthetic(1, want[i].tag);
    for (int i = 0; i < 500 && rcv_msg_count(&R, 1) < nw; i++)
        usleep(10000);
    struct tmsg m[16];
    size_t n = rcv_msgs(&R, 1, m, 16);
    ck_assert_uint_eq(n, nw);
    for (size_t i = 0; i < n; i++) {
        char tag[8];
        snprintf(tag, sizeof tag, "%d", want[i].tag);
        ck_assert_str_eq(m[i].tag, tag);
        struct dd_json_doc doc;
        const struct dd_json *d = tjson(m[i].data, &doc);
        const struct dd_json *f = dd_json_get(d, want[i].field);
        ck_assert_msg(f != NULL, "tag %d has no %s", want[i].tag,
                      want[i].field);
        if (want[i].tag == 202) {
            /* the return address: a JSON text inside a string */
            ck_assert_int_eq(f->type, DD_JSON_STRING);
            struct dd_json_doc adoc;
            const struct dd_json *addr = tjson(f->text, &adoc);
            ck_assert_ptr_nonnull(dd_json_get(addr, "province"));
            ck_assert_ptr_nonnull(dd_json_get(addr, "mobile"));
            dd_json_doc_free(&adoc);
        } else {
            ck_assert_int_eq(f->type, DD_JSON_NUMBER);
        }
        if (want[i].tag == 201)
            num_lexeme(d, "op_role");
        ck_assert_str_eq(num_lexeme(d, "aftersale_id"), AS_PRE_101);
        dd_json_doc_free(&doc);
    }
    msgs_free(m, n);
    finish();
}
END_TEST

START_TEST(test_a_dropped_message_never_goes_out)
{
    start(NULL, true);
    subscribe_verified(NULL);
    arm("{\"kind\":\"push_drop\",\"tag\":200,\"count\":1}");
    synthetic(2, 200);
    for (int i = 0; i < 500 && rcv_msg_count(&R, 1) < 1; i++)
        usleep(10000);
    usleep(300000);
    struct tmsg m[4];
    size_t n = rcv_msgs(&R, 1, m, 4);
    ck_assert_uint_eq(n, 1);
    char as[24];
    as_of(&m[0], as);
    ck_assert_str_eq(as, "7000000000000000202"); /* the first was dropped */
    msgs_free(m, n);
    wait_outcome("dropped", 1, 2000);
    struct dd_json_doc doc;
    const struct dd_json *d = tjnode(deliveries(&doc, ""), "deliveries");
    bool seen = false;
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(tjstr(&d->kids[i], "outcome"), "dropped") == 0) {
            ck_assert_str_eq(tjstr(&d->kids[i], "reason"), "fault:drop");
            ck_assert_str_eq(tjstr(&d->kids[i], "aftersale_ids.0"), AS_PRE_101);
            seen = true;
        }
    ck_assert(seen);
    dd_json_doc_free(&doc);
    ck_assert_int_eq(sub_counter("dropped"), 1);
    finish();
}
END_TEST

START_TEST(test_a_duplicated_message_arrives_again_with_the_same_msg_id)
{
    start(NULL, true);
    subscribe_verified(NULL);
    arm("{\"kind\":\"push_duplicate\",\"copies\":2,\"count\":1}");
    synthetic(1, 201);
    for (int i = 0; i < 500 && rcv_msg_count(&R, 1) < 3; i++)
        usleep(10000);
    usleep(200000);
    struct tmsg m[8];
    size_t n = rcv_msgs(&R, 1, m, 8);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(m[0].msg_id, m[1].msg_id);
    ck_assert_str_eq(m[0].msg_id, m[2].msg_id);
    ck_assert_str_eq(m[0].data, m[2].data);
    msgs_free(m, n);
    finish();
}
END_TEST

/* Two messages, the first reordered: the second arrives first, in the same
 * POST (batch_max 20) or in an earlier one (batch_max 1). */
START_TEST(test_a_reordered_message_comes_after_the_next_one)
{
    static const char *const one[] = {"push_batch_max=1", NULL};
    start(_i == 0 ? NULL : one, true);
    subscribe_verified(NULL);
    arm("{\"kind\":\"push_reorder\",\"count\":1}");
    synthetic(2, 200);
    for (int i = 0; i < 500 && rcv_msg_count(&R, 1) < 2; i++)
        usleep(10000);
    struct tmsg m[4];
    size_t n = rcv_msgs(&R, 1, m, 4);
    ck_assert_uint_eq(n, 2);
    char a0[24], a1[24];
    as_of(&m[0], a0);
    as_of(&m[1], a1);
    ck_assert_str_eq(a0, "7000000000000000202");
    ck_assert_str_eq(a1, AS_PRE_101);
    if (_i == 0)
        ck_assert_uint_eq(m[0].req, m[1].req); /* within a batch */
    else
        ck_assert_uint_lt(m[0].req, m[1].req); /* across batches */
    msgs_free(m, n);
    finish();
}
END_TEST

START_TEST(test_a_delayed_message_is_overtaken_and_sent_later)
{
    start(NULL, true);
    subscribe_verified(NULL);
    arm("{\"kind\":\"push_delay\",\"delay_ms\":400,\"count\":1}");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    synthetic(2, 200);
    for (int i = 0; i < 500 && rcv_msg_count(&R, 1) < 1; i++)
        usleep(5000);
    struct tmsg m[4];
    size_t n = rcv_msgs(&R, 1, m, 4);
    ck_assert_uint_eq(n, 1);
    char a[24];
    as_of(&m[0], a);
    ck_assert_str_eq(a, "7000000000000000202");
    msgs_free(m, n);
    for (int i = 0; i < 500 && rcv_msg_count(&R, 1) < 2; i++)
        usleep(5000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t ms =
        (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    ck_assert_int_ge(ms, 390);
    n = rcv_msgs(&R, 1, m, 4);
    ck_assert_uint_eq(n, 2);
    as_of(&m[1], a);
    ck_assert_str_eq(a, AS_PRE_101);
    msgs_free(m, n);
    finish();
}
END_TEST

/* bad_sign, bad_app_id, bad_data: the attempt goes out corrupted, a careful
 * receiver rejects it, and the retry goes out right. */
START_TEST(test_a_corrupted_attempt_is_rejected_and_retried_correctly)
{
    static const char *const kinds[] = {"push_bad_sign", "push_bad_app_id",
                                        "push_bad_data"};
    static const char *const names[] = {"bad_sign", "bad_app_id", "bad_data"};
    static const char *const sets[] = {"push_backoff_initial_ms=50", NULL};
    start(sets, true);
    pthread_mutex_lock(&R.mu);
    R.strict = true;
    snprintf(R.key, sizeof R.key, "%s", T.app_key);
    snprintf(R.secret, sizeof R.secret, "%s", T.app_secret);
    pthread_mutex_unlock(&R.mu);
    subscribe_verified(NULL);
    char json[96];
    snprintf(json, sizeof json, "{\"kind\":\"%s\",\"count\":1}", kinds[_i]);
    arm(json);
    synthetic(1, 206);
    ck_assert_uint_eq(rcv_wait(&R, 3, 5000), 3);
    usleep(200000);
    ck_assert_uint_eq(rcv_count(&R), 3);
    struct rreq bad = rcv_get(&R, 1), good = rcv_get(&R, 2);
    pthread_mutex_lock(&R.mu);
    ck_assert(!acceptable(&R, &bad));
    ck_assert(acceptable(&R, &good));
    pthread_mutex_unlock(&R.mu);
    struct tmsg m[4];
    size_t n = rcv_msgs(&R, 1, m, 4);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(m[0].msg_id, m[1].msg_id);
    msgs_free(m, n);
    free(bad.body);
    free(good.body);
    wait_outcome("acked", 2, 2000);
    struct dd_json_doc doc;
    const struct dd_json *d = tjnode(deliveries(&doc, ""), "deliveries");
    ck_assert_uint_eq(d->n, 3);
    ck_assert_str_eq(tjstr(&d->kids[1], "corrupt"), names[_i]);
    ck_assert_str_eq(tjstr(&d->kids[1], "outcome"), "retry");
    ck_assert_int_eq(tjnode(&d->kids[2], "corrupt")->type, DD_JSON_NULL);
    ck_assert_str_eq(tjstr(&d->kids[2], "outcome"), "acked");
    dd_json_doc_free(&doc);
    finish();
}
END_TEST

Suite *mock_push_suite(void)
{
    Suite *s = suite_create("mock_push");
    TCase *tc = tcase_create("delivery");
    tcase_set_timeout(tc, 60);
    tcase_add_test(
        tc, test_subscribing_pushes_the_tag_0_verification_first_and_signed);
    tcase_add_test(
        tc, test_cancel_send_goods_success_pushes_201_then_206_with_exact_data);
    tcase_add_test(tc, test_messages_are_batched_up_to_push_batch_max);
    tcase_add_test(tc, test_data_of_every_refund_tag_has_its_own_fields);
    tcase_add_test(tc, test_the_tag_filter_keeps_unwanted_tags_out);
    tcase_add_test(tc, test_msg_ids_are_the_same_for_the_same_seed_and_calls);
    suite_add_tcase(s, tc);

    tc = tcase_create("retries");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc,
                   test_a_failing_receiver_gets_retries_until_it_acknowledges);
    tcase_add_test(tc, test_a_receiver_down_then_up_loses_nothing);
    tcase_add_test(tc,
                   test_a_receiver_that_never_answers_times_out_and_is_retried);
    tcase_add_test(tc, test_a_push_is_given_up_after_push_max_attempts);
    tcase_add_test(tc, test_an_answer_code_given_as_the_string_0_is_an_ack);
    suite_add_tcase(s, tc);

    tc = tcase_create("admin");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_forged_pushes_are_sent_once_with_invented_ids);
    tcase_add_test(tc, test_a_forged_push_may_name_a_real_aftersale);
    tcase_add_test(tc,
                   test_the_delivery_log_pages_by_since_and_filters_by_app_key);
    tcase_add_test(tc, test_the_subscription_admin_calls_check_their_input);
    tcase_add_test(tc, test_a_restored_world_goes_on_with_new_msg_ids);
    tcase_add_test(
        tc, test_a_world_file_subscription_is_verified_when_the_world_is_added);
    suite_add_tcase(s, tc);

    tc = tcase_create("faults");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_dropped_message_never_goes_out);
    tcase_add_test(
        tc, test_a_duplicated_message_arrives_again_with_the_same_msg_id);
    tcase_add_loop_test(tc, test_a_reordered_message_comes_after_the_next_one,
                        0, 2);
    tcase_add_test(tc, test_a_delayed_message_is_overtaken_and_sent_later);
    tcase_add_loop_test(
        tc, test_a_corrupted_attempt_is_rejected_and_retried_correctly, 0, 3);
    suite_add_tcase(s, tc);
    return s;
}
