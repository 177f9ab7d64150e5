/*
 * fuzz_request.c: libFuzzer target for ddmock's request front.
 *
 * Feeds arbitrary requests to mock_route (the router, the checks in their
 * documented order, the API handlers, the admin API) of a server that owns
 * the default world, without sockets. Input layout: the first byte picks
 * the HTTP verb and content type, then the request target up to the first
 * newline, then the body. Invariants: never a crash, an API answer is
 * always HTTP 200 with a parseable Doudian envelope, and an admin answer is
 * always JSON.
 *
 * So that inputs can reach the handlers, a token is issued at start-up and
 * the byte sequences "@K", "@T" and "@S" in the target are replaced by the
 * world's app_key, the token, and a valid md5 sign over the body.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dd_envelope.h"
#include "dd_json.h"
#include "dd_sign.h"
#include "router.h"
#include "server.h"
#include "worldfile.h"

static struct mock_server srv;
static struct mock_world *world;
static char token[40];

static void setup(void)
{
    char err[256];
    struct mock_server_config cfg = {"127.0.0.1", 0, NULL, NULL, 3};
    if (mock_server_init(&srv, &cfg, NULL, err, sizeof err))
        abort();
    srv.defaults.skew_seconds = INT64_C(1) << 40; /* any timestamp */
    world = mock_world_default(&srv.defaults, 3, mock_now());
    if (!world || mock_worlds_add(&srv.worlds, world))
        abort();
    uint32_t ti = mock_token_issue(world, 0, mock_now());
    snprintf(token, sizeof token, "%s", world->tokens.v[ti].access_token);
}

/* Expands @K @T @S in the target. */
static void expand(struct dd_buf *out, const char *s, size_t n,
                   const char *method, const char *body, size_t body_len)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '@' && i + 1 < n) {
            char c = s[i + 1];
            if (c == 'K' || c == 'T' || c == 'S') {
                i++;
                if (c == 'K') {
                    dd_buf_puts(out, world->app_key);
                } else if (c == 'T') {
                    dd_buf_puts(out, token);
                } else {
                    struct dd_buf canon;
                    dd_buf_init(&canon, 0);
                    char hex[DD_SIGN_HEX_MAX] = "0";
                    if (dd_canonical_param_json(body, body_len, NULL, &canon,
                                                NULL, NULL) == 0) {
                        struct dd_sign_params p = {world->app_key, method,
                                                   dd_buf_str(&canon),
                                                   "1700000000", "2"};
                        dd_sign_compute(&p, world->app_secret, DD_SIGN_MD5,
                                        hex);
                    }
                    dd_buf_free(&canon);
                    dd_buf_puts(out, hex);
                }
                continue;
            }
        }
        dd_buf_putc(out, s[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!world)
        setup();
    if (size < 1)
        return 0;
    static const char *const verbs[] = {"POST", "GET", "PUT", "DELETE"};
    static const char *const types[] = {NULL, "application/json",
                                        "application/x-www-form-urlencoded",
                                        "text/plain"};
    const char *verb = verbs[data[0] & 3];
    const char *ctype = types[(data[0] >> 2) & 3];
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    const char *nl = memchr(p, '\n', n);
    size_t tlen = nl ? (size_t)(nl - p) : n;
    const char *body = nl ? nl + 1 : "";
    size_t body_len = nl ? n - tlen - 1 : 0;

    /* the method named in the target, for @S */
    char method[128] = "";
    const char *m = NULL;
    for (size_t i = 0; i + 7 <= tlen && !m; i++)
        if (memcmp(p + i, "method=", 7) == 0)
            m = p + i;
    if (m) {
        size_t k = 0;
        m += 7;
        while (m + k < p + tlen && m[k] != '&' && k < sizeof method - 1)
            k++;
        memcpy(method, m, k);
        method[k] = '\0';
    }
    struct dd_buf target;
    dd_buf_init(&target, 0);
    expand(&target, p, tlen, method, body, body_len);
    if (memchr(dd_buf_str(&target), '\0', target.len)) {
        dd_buf_free(&target);
        return 0; /* HTTP targets cannot hold NUL */
    }

    const char *t = dd_buf_str(&target);
    while (t[0] == '/' && t[1] == '/')
        t++;
    bool admin = strncmp(t, "/_mock", 6) == 0 &&
                 (t[6] == '/' || t[6] == '\0' || t[6] == '?');
    if (admin && strcmp(verb, "GET") != 0) {
        /* Admin writes create, generate or delete whole worlds: not what
         * this target is about, and unbounded in memory. */
        dd_buf_free(&target);
        return 0;
    }

    struct mock_request rq = {verb, dd_buf_str(&target), body, body_len, ctype,
                              NULL, mock_now_us()};
    struct mock_response rs;
    mock_response_init(&rs);
    mock_route(&srv, &rq, &rs);

    struct dd_json_doc doc;
    if (dd_json_parse(rs.body.data, rs.body.len, NULL, &doc, NULL))
        abort(); /* every answer is JSON */
    dd_json_doc_free(&doc);
    if (!admin) {
        struct dd_envelope env;
        if (rs.status != 200 ||
            dd_envelope_parse(rs.body.data, rs.body.len, &env, NULL) ||
            !dd_log_id_valid(env.log_id))
            abort();
        dd_envelope_free(&env);
    }
    mock_response_free(&rs);
    dd_buf_free(&target);
    return 0;
}
