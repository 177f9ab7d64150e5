/*
 * ddc_client.c: signed calls, the token lifecycle and retries
 * (ddc_client.h; doudian-open-api.md §1.3-§1.6, §2.2-§2.4, §3).
 */
#include "ddc_client.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dd_err.h"
#include "dd_json.h"
#include "dd_jw.h"
#include "dd_params.h"
#include "dd_sign.h"
#include "ddc_http.h"

struct ddc_client {
    struct ddc_config cfg;
    pthread_mutex_t mu;
    struct ddc_http *http;
    struct dd_buf body; /* the last answer's body */
    struct dd_buf url;  /* the last request's URL */
    bool have_token;
    bool store_checked; /* the store was read once */
    struct ddc_token tok;
    int64_t no_refresh_before; /* after a refresh that changed nothing */
    uint64_t rng;
    struct ddc_client_stats stats;
};

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* splitmix64: the jitter's random stream. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

struct ddc_client *ddc_client_new(const struct ddc_config *cfg, char *err,
                                  size_t errlen)
{
    struct ddc_config copy = *cfg;
    if (ddc_config_check(&copy, err, errlen) != 0)
        return NULL;
    struct ddc_client *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->cfg = copy;
    pthread_mutex_init(&c->mu, NULL);
    c->http = ddc_http_new();
    dd_buf_init(&c->body, DDC_HTTP_BODY_MAX);
    dd_buf_init(&c->url, 0);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
             ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)c;
    return c;
}

void ddc_client_free(struct ddc_client *c)
{
    if (!c)
        return;
    ddc_http_free(c->http);
    dd_buf_free(&c->body);
    dd_buf_free(&c->url);
    pthread_mutex_destroy(&c->mu);
    memset(&c->tok, 0, sizeof c->tok);
    free(c);
}

const struct ddc_config *ddc_client_config(const struct ddc_client *c)
{
    return &c->cfg;
}

void ddc_client_stats(struct ddc_client *c, struct ddc_client_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->stats;
    pthread_mutex_unlock(&c->mu);
}

/* Copies the envelope's fields into the status. */
static void status_from_envelope(struct ddc_status *st,
                                 const struct dd_envelope *env)
{
    if (!st)
        return;
    st->code = env->code;
    snprintf(st->msg, sizeof st->msg, "%s", env->msg);
    snprintf(st->sub_code, sizeof st->sub_code, "%s", env->sub_code);
    snprintf(st->sub_msg, sizeof st->sub_msg, "%s", env->sub_msg);
    snprintf(st->log_id, sizeof st->log_id, "%s", env->log_id);
}

/* Appends "&key=value" (no '&' for the first) URL-encoded. */
static void query_add(struct dd_buf *q, bool *first, const char *key,
                      const char *value)
{
    if (!*first)
        dd_buf_putc(q, '&');
    *first = false;
    dd_buf_puts(q, key);
    dd_buf_putc(q, '=');
    dd_url_encode(q, value, strlen(value));
}

/*
 * Sends one signed request (no retry). `canonical` is the canonical
 * param_json, `token` the access token or NULL. Returns 0 with an envelope
 * in `env` (any code), or DDC_E_TRANSPORT with the reason in st->detail.
 */
/* True for the APIs that only read: they may travel on a reused
 * connection. Every other call changes something and gets a fresh one
 * (struct ddc_http_request.fresh_connection). */
static bool method_only_reads(const char *method)
{
    static const char *const reads[] = {
        "afterSale.List",
        "afterSale.Detail",
        "afterSale.rejectReasonCodeList",
        "order.orderDetail",
        "order.searchList",
        "order.logisticsCompanyList",
    };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
        if (strcmp(method, reads[i]) == 0)
            return true;
    return false;
}

static int send_once(struct ddc_client *c, const char *method,
                     const char *canonical, const char *token,
                     struct dd_envelope *env, struct ddc_status *st)
{
    char path[DD_METHOD_MAX];
    if (dd_path_from_method(method, path) != 0) {
        ddc_status_detail(st, "'%s' is not a method name", method);
        return DD_E_FORMAT;
    }
    char ts[24];
    snprintf(ts, sizeof ts, "%lld", (long long)now_s());
    struct dd_sign_params sp = {c->cfg.app_key, method, canonical, ts, "2"};
    char sign[DD_SIGN_HEX_MAX];
    if (dd_sign_compute(&sp, c->cfg.app_secret, c->cfg.sign_method, sign)) {
        ddc_status_detail(st, "the request is too large to sign");
        return DD_E_TOO_LARGE;
    }
    struct dd_buf *u = &c->url;
    dd_buf_reset(u);
    dd_buf_puts(u, c->cfg.base_url);
    dd_buf_puts(u, path);
    dd_buf_putc(u, '?');
    bool first = true;
    query_add(u, &first, "app_key", c->cfg.app_key);
    query_add(u, &first, "method", method);
    query_add(u, &first, "v", "2");
    query_add(u, &first, "timestamp", ts);
    query_add(u, &first, "sign", sign);
    if (c->cfg.sign_method == DD_SIGN_HMAC_SHA256)
        query_add(u, &first, "sign_method", "hmac-sha256");
    if (token)
        query_add(u, &first, "access_token", token);

    static const char *const headers[] = {
        "Content-Type: application/json;charset=UTF-8",
        "Accept: application/json",
        "x-open-no-old-err-code: 1",
        "User-Agent: ddclient/1 (dd-harness)",
        NULL,
    };
    struct ddc_http_request rq = {
        .url = dd_buf_str(u),
        .body = canonical,
        .len = strlen(canonical),
        .headers = headers,
        .connect_timeout_ms = c->cfg.connect_timeout_ms,
        .timeout_ms = c->cfg.timeout_ms,
        .fresh_connection = !method_only_reads(method),
    };
    long status = 0;
    char err[256] = "";
    c->stats.requests++;
    if (st)
        st->attempts++;
    int rc = ddc_http_post(c->http, &rq, &status, &c->body, err, sizeof err);
    if (st)
        st->http_status = status;
    if (rc) {
        ddc_status_detail(st, "%s %s: %s", method, c->cfg.base_url, err);
        return DDC_E_TRANSPORT;
    }
    if (status != 200) {
        /* The official SDKs treat any status but 200 as a transport error
         * (§1.3); the platform answers its own errors with 200. */
        ddc_status_detail(st, "%s: HTTP %ld", method, status);
        return DDC_E_TRANSPORT;
    }
    struct dd_json_error jerr;
    dd_envelope_free(env);
    rc = dd_envelope_parse(c->body.data ? c->body.data : "", c->body.len, env,
                           &jerr);
    if (rc) {
        ddc_status_detail(st, "%s: the answer is not an envelope: %s", method,
                          rc == DD_E_MISSING ? "no code" : dd_strerror(rc));
        return DDC_E_TRANSPORT;
    }
    return 0;
}

/* The wait before attempt n + 1 after failed attempt n (n >= 1). */
static unsigned backoff_ms(struct ddc_client *c, unsigned n, bool rate_limited)
{
    uint64_t d =
        rate_limited ? c->cfg.rate_limit_initial_ms : c->cfg.backoff_initial_ms;
    for (unsigned i = 1; i < n && d < c->cfg.backoff_max_ms; i++)
        d *= 2;
    if (d > c->cfg.backoff_max_ms)
        d = c->cfg.backoff_max_ms;
    uint64_t half = d / 2;
    return (unsigned)(half + next_random(&c->rng) % (d - half + 1));
}

static int renew_token(struct ddc_client *c, struct ddc_status *st);

/*
 * The retry loop of one call (the client's mutex held). `with_token`
 * sends c->tok's access token and allows one refresh-and-retry on a token
 * error. Returns as ddc_client_call.
 */
static int call_locked(struct ddc_client *c, const char *method,
                       const char *canonical, bool with_token,
                       struct dd_envelope *env, struct ddc_status *st)
{
    bool token_retried = false;
    unsigned attempt = 0;
    for (;;) {
        attempt++;
        dd_envelope_free(env);
        int rc = send_once(c, method, canonical,
                           with_token ? c->tok.access_token : NULL, env, st);
        bool rate_limited = false;
        if (rc == 0) {
            status_from_envelope(st, env);
            if (env->code == DD_CODE_SUCCESS)
                return 0;
            if (with_token && !token_retried &&
                ddc_token_error(env->code, env->sub_code)) {
                token_retried = true;
                c->stats.token_retries++;
                if (st)
                    st->token_refreshed = true;
                struct ddc_status tst;
                ddc_status_clear(&tst);
                if (renew_token(c, &tst) != 0) {
                    if (st) {
                        unsigned sent = st->attempts;
                        *st = tst;
                        st->attempts = sent;
                        st->token_refreshed = true;
                    }
                    dd_envelope_free(env);
                    return DDC_E_AUTH;
                }
                attempt--; /* the retry after a refresh is free */
                continue;
            }
            if (!ddc_code_retryable(env->code) ||
                attempt >= c->cfg.max_attempts)
                return DDC_E_API;
            rate_limited = env->code == 60000;
        } else if (rc != DDC_E_TRANSPORT) {
            return rc;
        } else if (st) {
            /* No envelope this time: forget the previous attempt's. */
            st->code = 0;
            st->msg[0] = st->sub_code[0] = st->sub_msg[0] = '\0';
            st->log_id[0] = '\0';
        }
        /* A call that changes something is not sent again after a lost
         * answer: the platform may have applied it. The caller re-reads
         * the state first (harness.md: never write back twice). */
        if (rc == DDC_E_TRANSPORT &&
            (attempt >= c->cfg.max_attempts ||
             (!method_only_reads(method) && strncmp(method, "token.", 6)))) {
            dd_envelope_free(env);
            return DDC_E_TRANSPORT;
        }
        c->stats.retries++;
        sleep_ms(backoff_ms(c, attempt, rate_limited));
    }
}

/* ================================================================ tokens */

/* Keeps a new pair and writes it to the store (a failed write is counted,
 * not fatal: the pair works, it is just not durable). */
static void keep_token(struct ddc_client *c, const struct ddc_token *t)
{
    c->tok = *t;
    c->have_token = true;
    c->no_refresh_before = 0;
    if (!c->cfg.state_dir[0])
        return;
    char err[256];
    if (ddc_token_store_save(c->cfg.state_dir, c->cfg.app_key, t, err,
                             sizeof err) != 0) {
        c->stats.store_errors++;
        snprintf(c->stats.last_store_error, sizeof c->stats.last_store_error,
                 "%s", err);
    }
}

/* Sends a token call and reads its pair. Returns 0 or a call error. */
static int token_call(struct ddc_client *c, const char *method,
                      const struct dd_buf *pj, struct ddc_token *out,
                      struct ddc_status *st)
{
    struct dd_envelope env = {0};
    int rc = call_locked(c, method, dd_buf_str(pj), false, &env, st);
    if (rc == 0) {
        char err[200];
        rc = ddc_token_from_answer(env.data, now_s(),
                                   c->have_token ? &c->tok : NULL, out, err,
                                   sizeof err);
        if (rc)
            ddc_status_detail(st, "%s", err);
    }
    dd_envelope_free(&env);
    return rc;
}

/* token.create for the configured shop or auth code (§2.2). */
static int create_token(struct ddc_client *c, struct ddc_status *st)
{
    struct dd_buf pj;
    dd_buf_init(&pj, 0);
    struct dd_jw w;
    dd_jw_init(&w, &pj);
    dd_jw_object_begin(&w);
    if (c->cfg.auth_code[0]) {
        dd_jw_kstr(&w, "code", c->cfg.auth_code);
        dd_jw_kstr(&w, "grant_type", "authorization_code");
    } else {
        dd_jw_kstr(&w, "code", "");
        dd_jw_kstr(&w, "grant_type", "authorization_self");
        dd_jw_kint_str(&w, "shop_id", c->cfg.shop_id);
    }
    dd_jw_object_end(&w);
    struct ddc_token t;
    int rc = token_call(c, "token.create", &pj, &t, st);
    dd_buf_free(&pj);
    if (rc == 0) {
        c->stats.token_creates++;
        keep_token(c, &t);
    }
    return rc;
}

/* True when a failed token.refresh means the pair is gone for good and
 * only token.create can help (§2.4). */
static bool refresh_hopeless(const struct ddc_status *st)
{
    return (st->code == 50001 &&
            strncmp(st->sub_code, "dop.token-generate-failed:", 26) == 0) ||
           (st->code == 50002 &&
            strcmp(st->sub_code, "isv.business-failed:31009") == 0);
}

/* token.refresh (§2.3); falls back to token.create when the refresh token
 * is dead. A refresh made too early returns the same pair: it is kept and
 * no new refresh is tried for a quarter of the window. */
static int refresh_token(struct ddc_client *c, struct ddc_status *st)
{
    if (!c->have_token || now_s() >= ddc_token_refresh_expires_at(&c->tok))
        return create_token(c, st);
    struct dd_buf pj;
    dd_buf_init(&pj, 0);
    struct dd_jw w;
    dd_jw_init(&w, &pj);
    dd_jw_object_begin(&w);
    dd_jw_kstr(&w, "grant_type", "refresh_token");
    dd_jw_kstr(&w, "refresh_token", c->tok.refresh_token);
    dd_jw_object_end(&w);
    struct ddc_token t;
    int rc = token_call(c, "token.refresh", &pj, &t, st);
    if (rc == DDC_E_API && st->code == 50002 &&
        strcmp(st->sub_code, "isv.business-failed:31012") == 0) {
        /* "刷新token失败，有并发请求": the documented cure is to call
         * again for the latest pair (§2.3). */
        sleep_ms(backoff_ms(c, 1, false));
        rc = token_call(c, "token.refresh", &pj, &t, st);
    }
    dd_buf_free(&pj);
    if (rc == DDC_E_API && refresh_hopeless(st)) {
        ddc_status_clear(st);
        return create_token(c, st);
    }
    if (rc)
        return rc;
    if (strcmp(t.access_token, c->tok.access_token) == 0) {
        int64_t quarter =
            ddc_token_refresh_window(&t, c->cfg.refresh_window_s) / 4;
        keep_token(c, &t);
        c->no_refresh_before = now_s() + (quarter < 1 ? 1 : quarter);
    } else {
        c->stats.token_refreshes++;
        keep_token(c, &t);
    }
    return 0;
}

/* After a token error: refresh, or create when that cannot work. */
static int renew_token(struct ddc_client *c, struct ddc_status *st)
{
    int rc = refresh_token(c, st);
    if (rc == 0 && ddc_token_expired(&c->tok, now_s())) {
        ddc_status_clear(st);
        rc = create_token(c, st);
    }
    return rc;
}

/* Loads the stored pair once per client (when there is a store). */
static void load_store_once(struct ddc_client *c)
{
    if (c->store_checked || c->have_token || !c->cfg.state_dir[0])
        return;
    c->store_checked = true;
    struct ddc_token t;
    char err[256];
    int rc = ddc_token_store_load(c->cfg.state_dir, c->cfg.app_key, &t, err,
                                  sizeof err);
    if (rc == 0 && (c->cfg.shop_id == 0 || t.shop_id == 0 ||
                    t.shop_id == c->cfg.shop_id)) {
        c->tok = t;
        c->have_token = true;
    } else if (rc != 0 && rc != DD_E_NOT_FOUND) {
        c->stats.store_errors++;
        snprintf(c->stats.last_store_error, sizeof c->stats.last_store_error,
                 "%s", err);
    }
}

/* Makes sure c->tok is usable now (mutex held). */
static int ensure_token(struct ddc_client *c, struct ddc_status *st)
{
    load_store_once(c);
    if (!c->have_token)
        return create_token(c, st);
    int64_t now = now_s();
    if (now >= ddc_token_refresh_expires_at(&c->tok))
        return create_token(c, st);
    bool expired = ddc_token_expired(&c->tok, now);
    if (expired ||
        (now >= c->no_refresh_before &&
         ddc_token_refresh_due(&c->tok, now, c->cfg.refresh_window_s))) {
        int rc = renew_token(c, st);
        /* A failed refresh of a token that still works is no reason to
         * fail the call: use it, and try again at the next call. */
        if (rc != 0 && !expired && !ddc_token_expired(&c->tok, now_s())) {
            ddc_status_clear(st);
            return 0;
        }
        return rc;
    }
    return 0;
}

/* ================================================================ calls */

static bool is_token_method(const char *method)
{
    return strcmp(method, "token.create") == 0 ||
           strcmp(method, "token.refresh") == 0;
}

int ddc_client_call(struct ddc_client *c, const char *method,
                    const char *param_json, struct dd_envelope *env,
                    struct ddc_status *st)
{
    memset(env, 0, sizeof *env);
    ddc_status_clear(st);
    struct dd_buf canon;
    dd_buf_init(&canon, 0);
    struct dd_json_error jerr;
    const char *pj = param_json ? param_json : "";
    int rc = dd_canonical_param_json(pj, strlen(pj), NULL, &canon, NULL, &jerr);
    if (rc) {
        ddc_status_detail(st, "param_json %u:%u: %s", jerr.pos.line,
                          jerr.pos.col, jerr.msg);
        dd_buf_free(&canon);
        return rc;
    }
    pthread_mutex_lock(&c->mu);
    bool with_token = !is_token_method(method);
    if (with_token) {
        struct ddc_status tst;
        ddc_status_clear(&tst);
        rc = ensure_token(c, &tst);
        if (rc) {
            if (st)
                *st = tst;
            rc = DDC_E_AUTH;
        }
    }
    if (rc == 0)
        rc = call_locked(c, method, dd_buf_str(&canon), with_token, env, st);
    pthread_mutex_unlock(&c->mu);
    dd_buf_free(&canon);
    return rc;
}

int ddc_client_token(struct ddc_client *c, struct ddc_token *out,
                     struct ddc_status *st)
{
    ddc_status_clear(st);
    struct ddc_status tst;
    ddc_status_clear(&tst);
    pthread_mutex_lock(&c->mu);
    int rc = ensure_token(c, &tst);
    if (rc == 0 && out)
        *out = c->tok;
    pthread_mutex_unlock(&c->mu);
    if (st)
        *st = tst;
    return rc;
}

int ddc_client_refresh(struct ddc_client *c, struct ddc_status *st)
{
    ddc_status_clear(st);
    struct ddc_status tst;
    ddc_status_clear(&tst);
    pthread_mutex_lock(&c->mu);
    load_store_once(c);
    int rc = refresh_token(c, &tst);
    pthread_mutex_unlock(&c->mu);
    if (st)
        *st = tst;
    return rc;
}
