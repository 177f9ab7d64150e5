/*
 * mock_util.c: see mock_util.h. The only test file that includes
 * <curl/curl.h>.
 */
#include "mock_util.h"

#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dd_params.h"
#include "worldfile.h"

static void *loop_thread(void *arg)
{
    struct tmock *t = arg;
    mock_server_run(&t->srv);
    return NULL;
}

void tmock_start(struct tmock *t, const char *const *sets)
{
    struct tmock_config cfg = {.sets = sets};
    tmock_start_cfg(t, &cfg);
}

void tmock_start_cfg(struct tmock *t, const struct tmock_config *tc)
{
    static const struct tmock_config none;
    if (!tc)
        tc = &none;
    const char *const *sets = tc->sets;
    memset(t, 0, sizeof *t);
    dd_buf_init(&t->last_body, 0);
    dd_buf_init(&t->last_headers, 0);
    struct mock_settings defaults;
    mock_settings_default(&defaults);
    char err[256];
    for (const char *const *s = sets; s && *s; s++) {
        char name[64];
        const char *eq = strchr(*s, '=');
        ck_assert_ptr_nonnull(eq);
        snprintf(name, sizeof name, "%.*s", (int)(eq - *s), *s);
        ck_assert_msg(
            mock_settings_set(&defaults, name, eq + 1, err, sizeof err) == 0,
            "%s", err);
    }
    struct mock_server_config cfg = {"127.0.0.1", 0, tc->admin_token, NULL, 7};
    ck_assert_msg(mock_server_init(&t->srv, &cfg, &defaults, err, sizeof err) ==
                      0,
                  "%s", err);
    struct mock_world *w = mock_world_default(&t->srv.defaults, 7, mock_now());
    ck_assert_ptr_nonnull(w);
    snprintf(t->app_key, sizeof t->app_key, "%s", w->app_key);
    snprintf(t->app_secret, sizeof t->app_secret, "%s", w->app_secret);
    snprintf(t->shop_id, sizeof t->shop_id, "%lld",
             (long long)w->shops.v[0].shop_id);
    ck_assert_int_eq(mock_worlds_add(&t->srv.worlds, w), 0);
    ck_assert_msg(mock_server_start(&t->srv, err, sizeof err) == 0, "%s", err);
    t->port = mock_server_port(&t->srv);
    snprintf(t->base, sizeof t->base, "http://127.0.0.1:%u", (unsigned)t->port);
    pthread_t *th = malloc(sizeof *th);
    ck_assert_ptr_nonnull(th);
    ck_assert_int_eq(pthread_create(th, NULL, loop_thread, t), 0);
    t->thread = th;
    t->curl = curl_easy_init();
    ck_assert_ptr_nonnull(t->curl);
}

void tmock_stop(struct tmock *t)
{
    mock_server_stop(&t->srv);
    pthread_join(*(pthread_t *)t->thread, NULL);
    free(t->thread);
    curl_easy_cleanup(t->curl);
    mock_server_free(&t->srv);
    dd_buf_free(&t->last_body);
    dd_buf_free(&t->last_headers);
    dd_json_release_cache();
}

static size_t collect(char *p, size_t size, size_t n, void *userdata)
{
    dd_buf_append(userdata, p, size * n);
    return size * n;
}

/* Performs one request with libcurl; on an answer fills *status, `out`
 * (when non-NULL) and the t->last_* fields. Returns the CURLcode. */
static CURLcode request(struct tmock *t, const char *verb, const char *url,
                        const char *body, size_t body_len, struct curl_slist *h,
                        long *status, struct dd_buf *out)
{
    CURL *c = t->curl;
    dd_buf_reset(&t->last_body);
    dd_buf_reset(&t->last_headers);
    t->last_connects = -1;
    t->last_local_port = -1;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t->last_body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t->last_headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (h)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, verb);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else if (strcmp(verb, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(verb, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, verb);
    }
    CURLcode rc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &t->last_connects);
    curl_easy_getinfo(c, CURLINFO_LOCAL_PORT, &t->last_local_port);
    if (out)
        dd_buf_append(out, t->last_body.data, t->last_body.len);
    return rc;
}

/* Performs one request; returns the HTTP status, body in `out`. Aborts the
 * test on a transport error. */
static long perform(struct tmock *t, const char *verb, const char *url,
                    const char *body, size_t body_len, const char *ctype,
                    const char *const *headers, struct dd_buf *out)
{
    struct curl_slist *h = NULL;
    if (ctype) {
        char line[128];
        snprintf(line, sizeof line, "Content-Type: %s", ctype);
        h = curl_slist_append(h, line);
    }
    for (const char *const *x = headers; x && *x; x++)
        h = curl_slist_append(h, *x);
    /* GET carries no body; anything else one, empty when none is given. */
    if (strcmp(verb, "GET") == 0)
        body = NULL;
    else if (!body)
        body = "";
    long status = 0;
    CURLcode rc = request(t, verb, url, body, body_len, h, &status, out);
    curl_slist_free_all(h);
    ck_assert_msg(rc == CURLE_OK, "%s %s: %s", verb, url,
                  curl_easy_strerror(rc));
    return status;
}

static void add_param(struct dd_buf *q, const char *name, const char *value)
{
    if (!value || (value[0] == '\0'))
        return;
    if (q->len)
        dd_buf_putc(q, '&');
    dd_buf_printf(q, "%s=", name);
    dd_url_encode(q, value, strlen(value));
}

long tcall(struct tmock *t, const char *method, const char *param_json,
           const struct tcall_opts *o, struct dd_envelope *env)
{
    static const struct tcall_opts none;
    if (!o)
        o = &none;
    char ts[32];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    const char *app_key = o->app_key ? o->app_key : t->app_key;
    const char *secret = o->secret ? o->secret : t->app_secret;
    const char *timestamp = o->timestamp ? o->timestamp : ts;
    const char *token = o->access_token ? o->access_token : t->token;
    const char *mparam = o->method_param ? o->method_param : method;

    struct dd_buf plain, html;
    dd_buf_init(&plain, 0);
    dd_buf_init(&html, 0);
    const char *pj = param_json ? param_json : "";
    int crc =
        dd_canonical_param_json(pj, strlen(pj), NULL, &plain, &html, NULL);
    char sign[DD_SIGN_HEX_MAX] = "";
    if (crc == 0) {
        struct dd_sign_params sp = {app_key, mparam,
                                    o->html_safe ? dd_buf_str(&html)
                                                 : dd_buf_str(&plain),
                                    timestamp, "2"};
        dd_sign_compute(&sp, secret,
                        o->hmac ? DD_SIGN_HMAC_SHA256 : DD_SIGN_MD5, sign);
    }
    if (o->corrupt_sign && sign[0]) {
        size_t n = strlen(sign);
        sign[n - 1] = sign[n - 1] == '0' ? '1' : '0';
    }
    const char *sign_s = o->sign ? o->sign : sign;

    struct dd_buf q, body, url, out;
    dd_buf_init(&q, 0);
    dd_buf_init(&body, 0);
    dd_buf_init(&url, 0);
    dd_buf_init(&out, 0);
    struct dd_buf *sys = o->form ? &body : &q;
    add_param(sys, "app_key", app_key);
    add_param(sys, "method", mparam);
    add_param(sys, "timestamp", timestamp);
    add_param(sys, "v", "2");
    add_param(sys, "sign", sign_s);
    if (o->sign_method)
        add_param(sys, "sign_method", o->sign_method);
    else if (o->hmac)
        add_param(sys, "sign_method", "hmac-sha256");
    add_param(sys, "access_token", token);
    if (o->form)
        add_param(&body, "param_json", param_json);
    else if (o->get)
        add_param(&q, "param_json", param_json);
    else if (param_json)
        dd_buf_puts(&body, param_json);

    char path[DD_METHOD_MAX];
    if (o->path)
        snprintf(path, sizeof path, "%s", o->path);
    else if (dd_path_from_method(method, path))
        snprintf(path, sizeof path, "/x");
    dd_buf_printf(&url, "%s%s%s%s", t->base, path, q.len ? "?" : "",
                  dd_buf_str(&q));
    long status =
        perform(t, o->get ? "GET" : "POST", dd_buf_str(&url), dd_buf_str(&body),
                body.len, o->form ? "application/x-www-form-urlencoded" : NULL,
                NULL, &out);
    struct dd_json_error e;
    int prc = dd_envelope_parse(dd_buf_str(&out), out.len, env, &e);
    ck_assert_msg(prc == 0, "%s: not an envelope: %s", method,
                  dd_buf_str(&out));
    dd_buf_free(&plain);
    dd_buf_free(&html);
    dd_buf_free(&q);
    dd_buf_free(&body);
    dd_buf_free(&url);
    dd_buf_free(&out);
    return status;
}

void tmock_token(struct tmock *t)
{
    char pj[128];
    snprintf(pj, sizeof pj,
             "{\"code\":\"\",\"grant_type\":\"authorization_self\","
             "\"shop_id\":\"%s\"}",
             t->shop_id);
    struct dd_envelope env;
    struct tcall_opts o = {.access_token = ""};
    tcall(t, "token.create", pj, &o, &env);
    ck_assert_msg(env.code == 10000, "token.create: %lld %s",
                  (long long)env.code, env.sub_code);
    const char *tok = tfield(&env, "access_token");
    ck_assert_ptr_nonnull(tok);
    snprintf(t->token, sizeof t->token, "%s", tok);
    dd_envelope_free(&env);
}

long tadmin(struct tmock *t, const char *verb, const char *path,
            const char *body, char **out)
{
    return tadmin_hdr(t, verb, path, body, NULL, out);
}

long tadmin_hdr(struct tmock *t, const char *verb, const char *path,
                const char *body, const char *const *headers, char **out)
{
    struct dd_buf url, res;
    dd_buf_init(&url, 0);
    dd_buf_init(&res, 0);
    dd_buf_printf(&url, "%s%s", t->base, path);
    long status =
        perform(t, verb, dd_buf_str(&url), body, body ? strlen(body) : 0,
                body ? "application/json" : NULL, headers, &res);
    *out = dd_buf_steal(&res);
    dd_buf_free(&url);
    return status;
}

int thttp(struct tmock *t, const char *verb, const char *target,
          const char *body, size_t body_len, const char *const *headers,
          long *status)
{
    struct dd_buf url;
    dd_buf_init(&url, 0);
    dd_buf_printf(&url, "%s%s", t->base, target);
    struct curl_slist *h = NULL;
    for (const char *const *x = headers; x && *x; x++)
        h = curl_slist_append(h, *x);
    CURLcode rc = request(t, verb ? verb : "GET", dd_buf_str(&url), body,
                          body_len, h, status, NULL);
    curl_slist_free_all(h);
    dd_buf_free(&url);
    return (int)rc;
}

size_t traw(struct tmock *t, const void *data, size_t len, bool half_close,
            int wait_ms, char *reply, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(t->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    /* The server may close before it has read everything: a failed send
     * is part of what is being tested, never a signal. */
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, (const char *)data + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    if (half_close)
        shutdown(fd, SHUT_WR);
    size_t got = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (now.tv_sec - start.tv_sec) * 1000 +
                     (now.tv_nsec - start.tv_nsec) / 1000000;
        if (spent >= wait_ms)
            break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)(wait_ms - spent)) <= 0)
            break;
        char tmp[4096];
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0)
            break;
        size_t keep = (size_t)n;
        if (cap && keep > cap - 1 - got)
            keep = cap - 1 - got;
        if (cap)
            memcpy(reply + got, tmp, keep);
        got += keep;
    }
    if (cap)
        reply[got] = '\0';
    close(fd);
    return got;
}

void texpect_error(const struct dd_envelope *env, int64_t code,
                   const char *sub_code)
{
    ck_assert_msg(env->code == code && strcmp(env->sub_code, sub_code) == 0,
                  "expected %lld %s, got %lld %s (%s)", (long long)code,
                  sub_code, (long long)env->code, env->sub_code, env->sub_msg);
    ck_assert(env->msg[0] != '\0');
    ck_assert(env->sub_msg[0] != '\0');
    ck_assert(dd_log_id_valid(env->log_id));
}

const struct dd_json *tjnode(const struct dd_json *v, const char *path)
{
    char part[64];
    while (v && *path) {
        size_t n = strcspn(path, ".");
        snprintf(part, sizeof part, "%.*s", (int)n, path);
        path += n + (path[n] == '.');
        if (v->type == DD_JSON_ARRAY) {
            char *end;
            unsigned long k = strtoul(part, &end, 10);
            v = (*end == '\0' && k < v->n) ? &v->kids[k] : NULL;
        } else {
            v = dd_json_get(v, part);
        }
    }
    return v;
}

const char *tjstr(const struct dd_json *v, const char *path)
{
    v = tjnode(v, path);
    if (!v || (v->type != DD_JSON_STRING && v->type != DD_JSON_NUMBER))
        return NULL;
    return v->text;
}

const struct dd_json *tjson(const char *text, struct dd_json_doc *doc)
{
    struct dd_json_error e;
    int rc = dd_json_parse(text, strlen(text), NULL, doc, &e);
    ck_assert_msg(rc == 0, "not JSON (%s): %.300s", e.msg, text);
    return doc->root;
}

const struct dd_json *tnode(const struct dd_envelope *env, const char *path)
{
    return tjnode(env->data, path);
}

const char *tfield(const struct dd_envelope *env, const char *path)
{
    return tjstr(env->data, path);
}

int tcall_try(struct tmock *t, const char *method, const char *param_json,
              long *status)
{
    char ts[32];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    const char *pj = param_json ? param_json : "";
    struct dd_buf plain, q, url;
    dd_buf_init(&plain, 0);
    dd_buf_init(&q, 0);
    dd_buf_init(&url, 0);
    char sign[DD_SIGN_HEX_MAX] = "";
    if (dd_canonical_param_json(pj, strlen(pj), NULL, &plain, NULL, NULL) ==
        0) {
        struct dd_sign_params sp = {t->app_key, method, dd_buf_str(&plain), ts,
                                    "2"};
        dd_sign_compute(&sp, t->app_secret, DD_SIGN_MD5, sign);
    }
    add_param(&q, "app_key", t->app_key);
    add_param(&q, "method", method);
    add_param(&q, "timestamp", ts);
    add_param(&q, "v", "2");
    add_param(&q, "sign", sign);
    add_param(&q, "access_token", t->token);
    char path[DD_METHOD_MAX];
    if (dd_path_from_method(method, path))
        snprintf(path, sizeof path, "/x");
    dd_buf_printf(&url, "%s%s?%s", t->base, path, dd_buf_str(&q));
    CURLcode rc = request(t, "POST", dd_buf_str(&url), pj, strlen(pj), NULL,
                          status, NULL);
    dd_buf_free(&plain);
    dd_buf_free(&q);
    dd_buf_free(&url);
    return (int)rc;
}

void tmock_client(struct tmock *c, const struct tmock *t)
{
    memset(c, 0, sizeof *c);
    memcpy(c->base, t->base, sizeof c->base);
    c->port = t->port;
    memcpy(c->app_key, t->app_key, sizeof c->app_key);
    memcpy(c->app_secret, t->app_secret, sizeof c->app_secret);
    memcpy(c->shop_id, t->shop_id, sizeof c->shop_id);
    memcpy(c->token, t->token, sizeof c->token);
    dd_buf_init(&c->last_body, 0);
    dd_buf_init(&c->last_headers, 0);
    c->curl = curl_easy_init();
    ck_assert_ptr_nonnull(c->curl);
}

void tmock_client_close(struct tmock *c)
{
    curl_easy_cleanup(c->curl);
    c->curl = NULL;
    dd_buf_free(&c->last_body);
    dd_buf_free(&c->last_headers);
}

const struct dd_envelope *tok(const struct dd_envelope *e)
{
    ck_assert_msg(e->code == 10000, "expected success, got %lld %s %s",
                  (long long)e->code, e->sub_code, e->sub_msg);
    ck_assert_ptr_nonnull(e->data);
    return e;
}

void tfails(const struct dd_envelope *e, int64_t code, const char *sub_code,
            const char *sub_msg)
{
    texpect_error(e, code, sub_code);
    if (sub_msg)
        ck_assert_str_eq(e->sub_msg, sub_msg);
}

int64_t tnum(const struct dd_envelope *e, const char *path)
{
    const struct dd_json *v = tnode(e, path);
    ck_assert_msg(v != NULL, "no %s", path);
    ck_assert_msg(v->type == DD_JSON_NUMBER, "%s is not a number", path);
    int64_t x = 0;
    ck_assert_int_eq(dd_json_int64(v, &x), 0);
    return x;
}

const char *tstr(const struct dd_envelope *e, const char *path)
{
    const struct dd_json *v = tnode(e, path);
    ck_assert_msg(v != NULL, "no %s", path);
    ck_assert_msg(v->type == DD_JSON_STRING, "%s is not a string", path);
    return v->text;
}

size_t tcount(const struct dd_envelope *e, const char *path)
{
    const struct dd_json *v = tnode(e, path);
    ck_assert_msg(v != NULL && v->type == DD_JSON_ARRAY, "%s: no array", path);
    return v->n;
}

void tmock_use_world(struct tmock *t, const char *world, const char *app_key,
                     const char *secret, const char *shop_id)
{
    char *out = NULL;
    long status = tadmin(t, "POST", "/_mock/worlds", world, &out);
    ck_assert_msg(status == 200, "POST /_mock/worlds: %ld %s", status, out);
    free(out);
    snprintf(t->app_key, sizeof t->app_key, "%s", app_key);
    snprintf(t->app_secret, sizeof t->app_secret, "%s", secret);
    snprintf(t->shop_id, sizeof t->shop_id, "%s", shop_id);
    t->token[0] = '\0';
    tmock_token(t);
}
