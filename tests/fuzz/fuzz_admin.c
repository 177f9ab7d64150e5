/*
 * fuzz_admin.c: libFuzzer target for the JSON input of ddmock's admin API
 * (issue "ddmock platform behaviour", item 7; mock/README.md "Admin API"
 * and "Fault injection").
 *
 * Each input is one admin call handed to mock_route of an in-process
 * server (no sockets) that owns a fresh default world: the first byte picks
 * the call (arming faults, a world's or the process settings, creating or
 * restoring a world, token revocation and expiry, authorization codes), or
 * a free target read from the input up to the first newline, where "@K"
 * stands for the world's app_key (actor and push routes are reached this
 * way); the rest is the body. Then signed afterSale.List calls (pages 0
 * and 1, so armed faults and page drift run), an afterSale.Detail and a
 * push decision for every refund tag run against whatever was armed.
 * Invariants: never a crash; every admin answer is JSON; every API answer
 * is HTTP 200 with a parseable envelope.
 *
 * Calls that build unbounded worlds or message queues are blocked: any
 * target naming "generate", "reset" or "synthetic", and world bodies over
 * 4 KiB. Worlds, faults, timers, settings and the push engine (created,
 * never run: no transfer starts, so a fuzzed callback URL is never
 * contacted) are rebuilt for every input, so an input's effect never
 * depends on the ones before it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "dd_envelope.h"
#include "dd_json.h"
#include "dd_params.h"
#include "dd_sign.h"
#include "faults.h"
#include "push.h"
#include "router.h"
#include "server.h"
#include "worldfile.h"

#define WORLD_BODY_MAX 4096

static struct mock_server srv;
static struct mock_settings defaults;
static char app_key[20];
static char token[40];
static bool ready;

/* Starts a new push engine, forgets every world (and its faults), timers
 * and journal entries, restores the settings, and adds a fresh default
 * world with a token. */
static void fresh(void)
{
    char err[256];
    mock_push_free(srv.push);
    srv.push = mock_push_new(&srv, err, sizeof err);
    if (!srv.push)
        abort();
    for (size_t i = 0; i < srv.worlds.n; i++)
        mock_faults_world_removed(srv.faults, srv.worlds.v[i]->serial);
    mock_worlds_free(&srv.worlds);
    mock_worlds_init(&srv.worlds);
    mock_timers_free(&srv.timers);
    mock_timers_init(&srv.timers);
    mock_journal_clear(srv.journal); /* memory stays flat between inputs */
    srv.defaults = defaults;
    struct mock_world *w = mock_world_default(&srv.defaults, 3, mock_now());
    if (!w || mock_worlds_add(&srv.worlds, w))
        abort();
    uint32_t ti = mock_token_issue(w, 0, mock_now());
    snprintf(app_key, sizeof app_key, "%s", w->app_key);
    snprintf(token, sizeof token, "%s", w->tokens.v[ti].access_token);
    mock_world_outbox_clear(w);
}

static void setup(void)
{
    char err[256];
    struct mock_server_config cfg = {"127.0.0.1", 0, NULL, NULL, 3};
    if (mock_server_init(&srv, &cfg, NULL, err, sizeof err))
        abort();
    srv.defaults.skew_seconds = INT64_C(1) << 40; /* any timestamp */
    srv.epoll_fd = epoll_create1(EPOLL_CLOEXEC);  /* for the push engine */
    if (srv.epoll_fd < 0)
        abort();
    defaults = srv.defaults;
    ready = true;
}

/* Routes one request and checks the invariants of its answer. */
static void route(const char *verb, const char *target, const char *body,
                  size_t body_len, bool api)
{
    struct mock_request rq = {
        verb, target, body, body_len, "application/json", NULL, mock_now_us()};
    struct mock_response rs;
    mock_response_init(&rs);
    mock_route(&srv, &rq, &rs);
    struct dd_json_doc doc;
    if (!api) {
        if (dd_json_parse(rs.body.data, rs.body.len, NULL, &doc, NULL)) {
            fprintf(stderr, "not JSON: %s %s -> %d %.300s\n", verb, target,
                    rs.status, dd_buf_str(&rs.body));
            abort(); /* every admin answer is JSON */
        }
        dd_json_doc_free(&doc);
    } else {
        struct dd_envelope env;
        if (rs.status != 200 ||
            dd_envelope_parse(rs.body.data, rs.body.len, &env, NULL))
            abort();
        dd_envelope_free(&env);
    }
    mock_response_free(&rs);
}

/* A signed API call on the world `app_key` (whatever its secret is now). */
static void api_call(const char *method, const char *pj)
{
    const struct mock_world *w = mock_worlds_get(&srv.worlds, app_key);
    if (!w)
        return;
    char path[DD_METHOD_MAX], hex[DD_SIGN_HEX_MAX];
    if (dd_path_from_method(method, path))
        abort();
    struct dd_sign_params p = {w->app_key, method, pj, "1700000000", "2"};
    dd_sign_compute(&p, w->app_secret, DD_SIGN_MD5, hex);
    struct dd_buf t;
    dd_buf_init(&t, 0);
    dd_buf_printf(&t,
                  "%s?app_key=%s&method=%s&timestamp=1700000000&v=2&sign=%s&"
                  "access_token=%s",
                  path, w->app_key, method, hex, token);
    route("POST", dd_buf_str(&t), pj, strlen(pj), true);
    dd_buf_free(&t);
}

/* Expands "@K" in a free target. */
static void expand(struct dd_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '@' && i + 1 < n && s[i + 1] == 'K') {
            dd_buf_puts(out, app_key);
            i++;
        } else {
            dd_buf_putc(out, s[i]);
        }
    }
}

/* True when s is printable ASCII: what a request target carries (clients
 * percent-encode the rest); this target is about the bodies. */
static bool printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct {
        const char *verb;
        bool per_world;   /* under /_mock/worlds/{app_key} */
        const char *path; /* the rest of the path */
        bool world_body;  /* creates or replaces a world */
    } calls[] = {
        {"POST", true, "/faults", false},
        {"POST", true, "/settings", false},
        {"POST", false, "/_mock/settings", false},
        {"POST", false, "/_mock/worlds", true},
        {"PUT", true, "", true},
        {"POST", true, "/tokens/revoke", false},
        {"POST", true, "/tokens/expire", false},
        {"POST", true, "/auth_codes", false},
    };
    static const char *const verbs[] = {"POST", "PUT", "DELETE", "GET"};
    const size_t n_calls = sizeof calls / sizeof calls[0];
    if (!ready)
        setup();
    if (size < 1)
        return 0;
    fresh();

    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    struct dd_buf target;
    dd_buf_init(&target, 0);
    const char *verb, *body;
    size_t body_len;
    bool world_body = false;
    if (data[0] % (n_calls + 1) < n_calls) {
        size_t k = data[0] % (n_calls + 1);
        verb = calls[k].verb;
        if (calls[k].per_world)
            dd_buf_printf(&target, "/_mock/worlds/%s", app_key);
        dd_buf_puts(&target, calls[k].path);
        body = p;
        body_len = n;
        world_body = calls[k].world_body;
    } else {
        verb = verbs[(data[0] >> 4) & 3];
        const char *nl = memchr(p, '\n', n);
        size_t tlen = nl ? (size_t)(nl - p) : n;
        dd_buf_puts(&target, "/_mock/");
        expand(&target, p, tlen);
        body = nl ? nl + 1 : "";
        body_len = nl ? n - tlen - 1 : 0;
        const char *t = dd_buf_str(&target);
        if (!printable(t, target.len) || strstr(t, "generate") ||
            strstr(t, "reset") || strstr(t, "synthetic")) {
            dd_buf_free(&target);
            return 0; /* unbounded worlds, or not a target */
        }
        /* /_mock/worlds and /_mock/worlds/K take world bodies */
        const char *r = t + 7;
        while (*r == '/')
            r++;
        world_body =
            strncmp(r, "worlds", 6) == 0 &&
            (!strchr(r + 6, '/') || !strchr(strchr(r + 6, '/') + 1, '/'));
    }
    if (world_body && body_len > WORLD_BODY_MAX) {
        dd_buf_free(&target);
        return 0;
    }
    route(verb, dd_buf_str(&target), body, body_len, false);
    dd_buf_free(&target);

    /* Whatever was armed meets some traffic. */
    api_call("afterSale.List", "{\"page\":0,\"size\":2}");
    api_call("afterSale.List", "{\"page\":1,\"size\":2}");
    api_call("afterSale.List",
             "{\"order_by\":[\"update_time asc\"],\"page\":2,\"size\":2}");
    api_call("afterSale.Detail", "{\"after_sale_id\":\"7000000000000000101\"}");
    struct mock_world *w = mock_worlds_get(&srv.worlds, app_key);
    for (int tag = 199; w && tag <= 209; tag++) {
        struct mock_push_fault f;
        mock_faults_push(&srv, w, tag, mock_now_ms(), &f);
    }
    mock_server_drain(&srv);
    return 0;
}
