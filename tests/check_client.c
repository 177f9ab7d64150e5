/*
 * check_client.c: tests of the client library (client/): configuration
 * from the contract's environment, the token rules and the durable store,
 * then every typed call, the token lifecycle, the retry policy and the
 * pagers against the in-process ddmock (tests/mock_util.h), and the push
 * receiver, both with hand-made POSTs and with ddmock's own pushes.
 *
 * The client talks to the mock only over HTTP; only this test file looks
 * at the mock through its admin API. Expected codes and strings are typed
 * from doudian-open-api.md (§2.3, §3, §4) and mock/README.md, never read
 * back from the code under test.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dd_err.h"
#include "dd_jw.h"
#include "ddc_api.h"
#include "ddc_client.h"
#include "ddc_config.h"
#include "ddc_pager.h"
#include "ddc_push.h"
#include "ddc_token.h"
#include "mock_util.h"
#include "suites.h"

#define AS_101 7000000000000000101LL
#define AS_301 7000000000000000301LL
#define AS_501 7000000000000000501LL

static struct tmock T;
static char state_dir[256];

/* ================================================================ helpers */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void make_state_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(state_dir, sizeof state_dir, "%s/ddc-test-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(state_dir));
}

static void remove_state_dir(void)
{
    DIR *d = opendir(state_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[600];
        snprintf(p, sizeof p, "%s/%s", state_dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(state_dir);
}

/* Number of entries of the state directory (temporary files included). */
static int state_files(void)
{
    DIR *d = opendir(state_dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* A config for world (key, secret, shop) of T with fast retries. */
static void config_for(struct ddc_config *cfg, const char *key,
                       const char *secret, const char *shop)
{
    ddc_config_init(cfg);
    snprintf(cfg->base_url, sizeof cfg->base_url, "%s", T.base);
    snprintf(cfg->app_key, sizeof cfg->app_key, "%s", key);
    snprintf(cfg->app_secret, sizeof cfg->app_secret, "%s", secret);
    ck_assert_int_eq(dd_parse_int64(shop, strlen(shop), &cfg->shop_id), 0);
    snprintf(cfg->state_dir, sizeof cfg->state_dir, "%s", state_dir);
    cfg->max_attempts = 4;
    cfg->backoff_initial_ms = 10;
    cfg->rate_limit_initial_ms = 40;
    cfg->backoff_max_ms = 400;
    cfg->timeout_ms = 5000;
}

static struct ddc_client *client_with(const struct ddc_config *cfg)
{
    char err[256];
    struct ddc_client *c = ddc_client_new(cfg, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

/* A client of T's default world. */
static struct ddc_client *client(void)
{
    struct ddc_config cfg;
    config_for(&cfg, T.app_key, T.app_secret, T.shop_id);
    return client_with(&cfg);
}

static void setup(void)
{
    make_state_dir();
    tmock_start(&T, NULL);
}

static void teardown(void)
{
    tmock_stop(&T);
    remove_state_dir();
}

/* An admin call that must answer `want`; returns the body (free()). */
static char *admin(long want, const char *verb, const char *body,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static char *admin(long want, const char *verb, const char *body,
                   const char *fmt, ...)
{
    char path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    char *out = NULL;
    long st = tadmin(&T, verb, path, body, &out);
    ck_assert_msg(st == want, "%s %s: HTTP %ld, wanted %ld: %s", verb, path, st,
                  want, out);
    return out;
}

static void arm(const char *key, const char *json)
{
    free(admin(200, "POST", json, "/_mock/worlds/%s/faults", key));
}

/* The client's current access token. */
static void token_of(struct ddc_client *c, char *out, size_t cap)
{
    struct ddc_token t;
    struct ddc_status st;
    ck_assert_int_eq(ddc_client_token(c, &t, &st), 0);
    snprintf(out, cap, "%s", t.access_token);
}

/* A plain successful call that needs a token. */
static int list_one(struct ddc_client *c, struct ddc_status *st)
{
    struct ddc_aftersale_list_req r;
    ddc_aftersale_list_req_init(&r);
    r.size = 1;
    struct ddc_aftersale_page p;
    int rc = ddc_aftersale_list(c, &r, &p, st);
    ddc_aftersale_page_free(&p);
    return rc;
}

static struct ddc_client_stats stats_of(struct ddc_client *c)
{
    struct ddc_client_stats s;
    ddc_client_stats(c, &s);
    return s;
}

/* ================================================================ config */

static void set_contract_env(void)
{
    setenv("DOUDIAN_HARNESS_CONTRACT", "1", 1);
    setenv("DOUDIAN_BASE_URL", "http://127.0.0.1:8080/", 1);
    setenv("DOUDIAN_APP_KEY", "1234567890123456789", 1);
    setenv("DOUDIAN_APP_SECRET", "s3cret", 1);
    setenv("DOUDIAN_SHOP_ID", "23456789", 1);
    unsetenv("DOUDIAN_AUTH_CODE");
    setenv("DOUDIAN_PUSH_LISTEN", "127.0.0.1:9000", 1);
    setenv("DOUDIAN_POLL_INTERVAL", "30", 1);
    setenv("DOUDIAN_STATE_DIR", "state", 1);
}

START_TEST(test_config_reads_every_variable_of_the_contract)
{
    set_contract_env();
    setenv("DOUDIAN_AUTH_CODE", "code-1", 1);
    struct ddc_config cfg;
    ddc_config_init(&cfg);
    char err[256] = "";
    ck_assert_msg(ddc_config_from_env(&cfg, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(cfg.contract_version, 1);
    ck_assert_str_eq(cfg.base_url, "http://127.0.0.1:8080"); /* no slash */
    ck_assert_str_eq(cfg.app_key, "1234567890123456789");
    ck_assert_str_eq(cfg.app_secret, "s3cret");
    ck_assert_int_eq(cfg.shop_id, 23456789);
    ck_assert_str_eq(cfg.auth_code, "code-1");
    ck_assert_str_eq(cfg.push_listen, "127.0.0.1:9000");
    ck_assert_int_eq(cfg.poll_interval_s, 30);
    ck_assert_str_eq(cfg.state_dir, "state");
    /* the client's own defaults */
    ck_assert_int_eq(cfg.sign_method, DD_SIGN_HMAC_SHA256);
    ck_assert_uint_eq(cfg.max_attempts, 5);
}
END_TEST

START_TEST(test_config_defaults_to_the_production_gateway)
{
    set_contract_env();
    unsetenv("DOUDIAN_BASE_URL");
    unsetenv("DOUDIAN_HARNESS_CONTRACT");
    struct ddc_config cfg;
    ddc_config_init(&cfg);
    char err[256];
    ck_assert_int_eq(ddc_config_from_env(&cfg, err, sizeof err), 0);
    ck_assert_str_eq(cfg.base_url, "https://openapi-fxg.jinritemai.com");
    ck_assert_int_eq(cfg.contract_version, 0);
}
END_TEST

/* Each bad variable is refused with its name in the message. */
START_TEST(test_config_refuses_bad_values_naming_the_variable)
{
    static const struct {
        const char *name, *value, *needle;
    } cases[] = {
        {"DOUDIAN_APP_KEY", "12345", "DOUDIAN_APP_KEY"},
        {"DOUDIAN_SHOP_ID", "abc", "DOUDIAN_SHOP_ID"},
        {"DOUDIAN_POLL_INTERVAL", "-3", "DOUDIAN_POLL_INTERVAL"},
        {"DOUDIAN_PUSH_LISTEN", "nocolon", "DOUDIAN_PUSH_LISTEN"},
        {"DOUDIAN_HARNESS_CONTRACT", "2", "version 1"},
        {"DOUDIAN_BASE_URL", "ftp://x", "http://"},
        {"DOUDIAN_APP_SECRET", "", "DOUDIAN_APP_SECRET"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        set_contract_env();
        if (cases[i].value[0])
            setenv(cases[i].name, cases[i].value, 1);
        else
            unsetenv(cases[i].name);
        struct ddc_config cfg;
        ddc_config_init(&cfg);
        char err[256] = "";
        ck_assert_int_eq(ddc_config_from_env(&cfg, err, sizeof err),
                         DDC_E_CONFIG);
        ck_assert_msg(strstr(err, cases[i].needle) != NULL,
                      "case %zu: '%s' lacks '%s'", i, err, cases[i].needle);
    }
    /* neither a shop nor a code */
    set_contract_env();
    unsetenv("DOUDIAN_SHOP_ID");
    struct ddc_config cfg;
    ddc_config_init(&cfg);
    char err[256] = "";
    ck_assert_int_eq(ddc_config_from_env(&cfg, err, sizeof err), DDC_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(err, "DOUDIAN_AUTH_CODE"));
}
END_TEST

START_TEST(test_host_port_splits_ipv4_ipv6_and_empty_hosts)
{
    char host[64];
    uint16_t port;
    ck_assert_int_eq(
        ddc_split_host_port("127.0.0.1:9000", host, sizeof host, &port), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_uint_eq(port, 9000);
    ck_assert_int_eq(ddc_split_host_port("[::1]:80", host, sizeof host, &port),
                     0);
    ck_assert_str_eq(host, "::1");
    ck_assert_uint_eq(port, 80);
    ck_assert_int_eq(ddc_split_host_port(":0", host, sizeof host, &port), 0);
    ck_assert_str_eq(host, "");
    ck_assert_uint_eq(port, 0);
    ck_assert_int_eq(ddc_split_host_port("::1:80", host, sizeof host, &port),
                     DDC_E_CONFIG);
    ck_assert_int_eq(ddc_split_host_port("h:70000", host, sizeof host, &port),
                     DDC_E_CONFIG);
    ck_assert_int_eq(ddc_split_host_port("h:", host, sizeof host, &port),
                     DDC_E_CONFIG);
}
END_TEST

/* ================================================================ tokens */

/* §2.3: the window is the last hour of a 7-day token; a compressed token
 * (ddmock --time-scale) gets the same share of its life. */
START_TEST(test_refresh_window_is_the_last_hour_scaled_to_the_lifetime)
{
    struct ddc_token t = {.lifetime_s = 7 * 24 * 3600};
    ck_assert_int_eq(ddc_token_refresh_window(&t, 0), 3600);
    t.lifetime_s = 30 * 24 * 3600; /* longer lives keep the hour */
    ck_assert_int_eq(ddc_token_refresh_window(&t, 0), 3600);
    t.lifetime_s = 7 * 24 * 3600 / 6; /* time scale 6 */
    ck_assert_int_eq(ddc_token_refresh_window(&t, 0), 600);
    t.lifetime_s = 168; /* time scale 3600: at least one second */
    ck_assert_int_eq(ddc_token_refresh_window(&t, 0), 1);
    t.lifetime_s = 5;
    ck_assert_int_eq(ddc_token_refresh_window(&t, 0), 1);
    ck_assert_int_eq(ddc_token_refresh_window(&t, 42), 42);

    /* due from the middle of the window on */
    t.lifetime_s = 7 * 24 * 3600;
    t.expires_at = 1700000000;
    ck_assert(!ddc_token_refresh_due(&t, 1700000000 - 3600, 0));
    ck_assert(!ddc_token_refresh_due(&t, 1700000000 - 1801, 0));
    ck_assert(ddc_token_refresh_due(&t, 1700000000 - 1800, 0));
    ck_assert(!ddc_token_expired(&t, 1700000000 - 1));
    ck_assert(ddc_token_expired(&t, 1700000000));
    t.issued_at = 1700000000 - 7 * 24 * 3600;
    ck_assert_int_eq(ddc_token_refresh_expires_at(&t),
                     1700000000 + 7 * 24 * 3600);
}
END_TEST

START_TEST(test_token_answer_reads_expires_in_as_duration_or_unix_time)
{
    struct dd_json_doc doc;
    struct ddc_token t, prev;
    char err[200];
    const struct dd_json *root = tjson(
        "{\"access_token\":\"a1\",\"refresh_token\":\"r1\",\"expires_in\":"
        "604800,\"shop_id\":23456789,\"shop_name\":\"店\"}",
        &doc);
    ck_assert_int_eq(
        ddc_token_from_answer(root, 1000, NULL, &t, err, sizeof err), 0);
    ck_assert_str_eq(t.access_token, "a1");
    ck_assert_str_eq(t.refresh_token, "r1");
    ck_assert_int_eq(t.expires_at, 1000 + 604800);
    ck_assert_int_eq(t.lifetime_s, 604800);
    ck_assert_int_eq(t.issued_at, 1000);
    ck_assert_int_eq(t.shop_id, 23456789);
    ck_assert_str_eq(t.shop_name, "店");
    dd_json_doc_free(&doc);
    prev = t;

    /* absolute form, shop_id as a string (§2.2 records both) */
    root = tjson("{\"access_token\":\"a2\",\"refresh_token\":\"r2\","
                 "\"expires_in\":1700600000,\"shop_id\":\"23456789\"}",
                 &doc);
    ck_assert_int_eq(
        ddc_token_from_answer(root, 1700000000, &prev, &t, err, sizeof err), 0);
    ck_assert_int_eq(t.expires_at, 1700600000);
    ck_assert_int_eq(t.lifetime_s, 600000);
    ck_assert_int_eq(t.shop_id, 23456789);
    dd_json_doc_free(&doc);

    /* the same pair again (an early refresh): its issue is kept */
    root = tjson("{\"access_token\":\"a1\",\"refresh_token\":\"r1\","
                 "\"expires_in\":3000}",
                 &doc);
    ck_assert_int_eq(
        ddc_token_from_answer(root, 602000, &prev, &t, err, sizeof err), 0);
    ck_assert_int_eq(t.issued_at, 1000);
    ck_assert_int_eq(t.lifetime_s, 604800);
    ck_assert_int_eq(t.expires_at, 605000);
    dd_json_doc_free(&doc);

    root = tjson("{\"refresh_token\":\"r1\",\"expires_in\":5}", &doc);
    ck_assert_int_eq(ddc_token_from_answer(root, 1, NULL, &t, err, sizeof err),
                     DDC_E_PROTOCOL);
    ck_assert_ptr_nonnull(strstr(err, "access_token"));
    dd_json_doc_free(&doc);
    root = tjson("{\"access_token\":\"a\",\"refresh_token\":\"r\","
                 "\"expires_in\":\"soon\"}",
                 &doc);
    ck_assert_int_eq(ddc_token_from_answer(root, 1, NULL, &t, err, sizeof err),
                     DDC_E_PROTOCOL);
    ck_assert_ptr_nonnull(strstr(err, "expires_in"));
    dd_json_doc_free(&doc);
}
END_TEST

START_TEST(test_token_store_round_trips_atomically_with_mode_0600)
{
    struct ddc_token t = {.expires_at = 1700604800,
                          .issued_at = 1700000000,
                          .lifetime_s = 604800,
                          .shop_id = 23456789};
    snprintf(t.access_token, sizeof t.access_token, "acc\"ess");
    snprintf(t.refresh_token, sizeof t.refresh_token, "refresh");
    snprintf(t.shop_name, sizeof t.shop_name, "dd-harness 演示店");
    char err[256] = "";
    const char *key = "1234567890123456789";
    ck_assert_int_eq(ddc_token_store_load(state_dir, key, &t, err, sizeof err),
                     DD_E_NOT_FOUND);
    ck_assert_msg(ddc_token_store_save(state_dir, key, &t, err, sizeof err) ==
                      0,
                  "%s", err);
    /* saved twice: replaced, and no temporary file is left behind */
    ck_assert_int_eq(ddc_token_store_save(state_dir, key, &t, err, sizeof err),
                     0);
    ck_assert_int_eq(state_files(), 1);
    char path[600];
    ck_assert_int_eq(ddc_token_store_path(state_dir, key, path, sizeof path),
                     0);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);

    struct ddc_token u;
    ck_assert_int_eq(ddc_token_store_load(state_dir, key, &u, err, sizeof err),
                     0);
    ck_assert_str_eq(u.access_token, "acc\"ess");
    ck_assert_str_eq(u.refresh_token, "refresh");
    ck_assert_str_eq(u.shop_name, "dd-harness 演示店");
    ck_assert_int_eq(u.expires_at, 1700604800);
    ck_assert_int_eq(u.issued_at, 1700000000);
    ck_assert_int_eq(u.lifetime_s, 604800);
    ck_assert_int_eq(u.shop_id, 23456789);

    /* another app's key reads nothing; a foreign or torn file is refused */
    ck_assert_int_eq(ddc_token_store_load(state_dir, "9999999999999999999", &u,
                                          err, sizeof err),
                     DD_E_NOT_FOUND);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"format\":\"ddclient-token\",\"app_key\":\"1", f);
    fclose(f);
    ck_assert_int_eq(ddc_token_store_load(state_dir, key, &u, err, sizeof err),
                     DD_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_int_eq(ddc_token_store_remove(state_dir, key), 0);
    ck_assert_int_eq(state_files(), 0);
    ck_assert_int_eq(ddc_token_store_remove(state_dir, key), 0);
}
END_TEST

/* ======================================================= token lifecycle */

START_TEST(test_the_first_call_creates_a_token_and_stores_it)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    ck_assert_int_eq(list_one(c, &st), 0);
    ck_assert_int_eq(st.code, 10000);
    ck_assert_uint_eq(st.attempts, 1);
    ck_assert_int_eq(stats_of(c).token_creates, 1);
    char tok[DDC_TOKEN_MAX];
    token_of(c, tok, sizeof tok);
    /* the mock knows the token, and the store holds it */
    free(admin(200, "GET", NULL, "/_mock/worlds/%s/tokens/%s", T.app_key, tok));
    struct ddc_token stored;
    char err[256];
    ck_assert_int_eq(
        ddc_token_store_load(state_dir, T.app_key, &stored, err, sizeof err),
        0);
    ck_assert_str_eq(stored.access_token, tok);
    ck_assert_int_eq(stored.shop_id, 23456789);
    ck_assert_int_eq(stored.lifetime_s, 7 * 24 * 3600);
    ddc_client_free(c);
}
END_TEST

START_TEST(test_a_restarted_client_reuses_the_stored_token)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    ck_assert_int_eq(list_one(c, &st), 0);
    char tok[DDC_TOKEN_MAX], tok2[DDC_TOKEN_MAX];
    token_of(c, tok, sizeof tok);
    ddc_client_free(c);

    c = client();
    ck_assert_int_eq(list_one(c, &st), 0);
    ck_assert_int_eq(stats_of(c).token_creates, 0);
    ck_assert_int_eq(stats_of(c).token_refreshes, 0);
    token_of(c, tok2, sizeof tok2);
    ck_assert_str_eq(tok, tok2);
    ddc_client_free(c);
}
END_TEST

/* mock/README.md "Token faults": tokens/expire makes the access token
 * answer 40003 isv.access-token-expired; the refresh token still works. */
START_TEST(test_an_expired_token_is_refreshed_and_the_call_sent_once_more)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    ck_assert_int_eq(list_one(c, &st), 0);
    char old[DDC_TOKEN_MAX], now[DDC_TOKEN_MAX];
    token_of(c, old, sizeof old);
    free(admin(200, "POST", "{}", "/_mock/worlds/%s/tokens/expire", T.app_key));

    ck_assert_int_eq(list_one(c, &st), 0);
    ck_assert(st.token_refreshed);
    ck_assert_int_eq(st.code, 10000);
    ck_assert_uint_eq(st.attempts, 2); /* the expired one and the retry */
    struct ddc_client_stats s = stats_of(c);
    ck_assert_int_eq(s.token_refreshes, 1);
    ck_assert_int_eq(s.token_retries, 1);
    ck_assert_int_eq(s.token_creates, 1);
    token_of(c, now, sizeof now);
    ck_assert_str_ne(old, now);
    struct ddc_token stored;
    char err[256];
    ck_assert_int_eq(
        ddc_token_store_load(state_dir, T.app_key, &stored, err, sizeof err),
        0);
    ck_assert_str_eq(stored.access_token, now);
    ddc_client_free(c);
}
END_TEST

/* tokens/revoke kills the pair: the refresh answers 50001
 * dop.token-generate-failed:token-expired, so only token.create helps. */
START_TEST(test_a_revoked_pair_is_replaced_by_token_create)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    ck_assert_int_eq(list_one(c, &st), 0);
    free(admin(200, "POST", "{}", "/_mock/worlds/%s/tokens/revoke", T.app_key));
    ck_assert_int_eq(list_one(c, &st), 0);
    ck_assert(st.token_refreshed);
    ck_assert_int_eq(stats_of(c).token_creates, 2);
    ck_assert_int_eq(stats_of(c).token_refreshes, 0);
    ddc_client_free(c);
}
END_TEST

/* A stored pair the gateway never issued (another mock run): 40003
 * isv.access-token-no-existed, then the refresh fails with token-invalid
 * and the client creates a pair. */
START_TEST(test_an_unknown_stored_token_is_replaced)
{
    struct ddc_token t = {.expires_at = time(NULL) + 600000,
                          .issued_at = time(NULL) - 4800,
                          .lifetime_s = 604800,
                          .shop_id = 23456789};
    snprintf(t.access_token, sizeof t.access_token, "not-a-token");
    snprintf(t.refresh_token, sizeof t.refresh_token, "not-a-refresh-token");
    char err[256];
    ck_assert_int_eq(
        ddc_token_store_save(state_dir, T.app_key, &t, err, sizeof err), 0);
    struct ddc_client *c = client();
    struct ddc_status st;
    ck_assert_int_eq(list_one(c, &st), 0);
    ck_assert(st.token_refreshed);
    ck_assert_int_eq(stats_of(c).token_creates, 1);
    char tok[DDC_TOKEN_MAX];
    token_of(c, tok, sizeof tok);
    ck_assert_str_ne(tok, "not-a-token");
    ddc_client_free(c);
}
END_TEST

/* §2.3 with a short life: tokens live 4 s and the mock's refresh window is
 * 2 s; the client (window 2 s) refreshes once 1 s is left, before the
 * call, so no call ever meets an expired token. */
START_TEST(test_a_token_is_refreshed_ahead_of_its_expiry)
{
    tmock_stop(&T);
    static const char *const sets[] = {"access_token_ttl=4s",
                                       "refresh_window=2s", NULL};
    tmock_start(&T, sets);
    struct ddc_config cfg;
    config_for(&cfg, T.app_key, T.app_secret, T.shop_id);
    cfg.refresh_window_s = 2;
    struct ddc_client *c = client_with(&cfg);
    struct ddc_status st;
    ck_assert_int_eq(list_one(c, &st), 0);
    char old[DDC_TOKEN_MAX], now[DDC_TOKEN_MAX];
    token_of(c, old, sizeof old);
    ck_assert_int_eq(list_one(c, &st), 0); /* early: no refresh */
    ck_assert_int_eq(stats_of(c).token_refreshes, 0);

    sleep_ms(3300);
    ck_assert_int_eq(list_one(c, &st), 0);
    ck_assert(!st.token_refreshed); /* no error path was needed */
    ck_assert_uint_eq(st.attempts, 1);
    struct ddc_client_stats s = stats_of(c);
    ck_assert_int_eq(s.token_refreshes, 1);
    ck_assert_int_eq(s.token_retries, 0);
    ck_assert_int_eq(s.token_creates, 1);
    token_of(c, now, sizeof now);
    ck_assert_str_ne(old, now);
    ddc_client_free(c);
}
END_TEST

START_TEST(test_ddc_client_refresh_forces_a_refresh)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    /* no token yet: a refresh creates one */
    ck_assert_int_eq(ddc_client_refresh(c, &st), 0);
    ck_assert_int_eq(stats_of(c).token_creates, 1);
    char before[DDC_TOKEN_MAX], after[DDC_TOKEN_MAX];
    token_of(c, before, sizeof before);
    /* seven days left: §2.3 gives the same pair back */
    ck_assert_int_eq(ddc_client_refresh(c, &st), 0);
    token_of(c, after, sizeof after);
    ck_assert_str_eq(before, after);
    ck_assert_int_eq(stats_of(c).token_refreshes, 0);
    ddc_client_free(c);
}
END_TEST

/* ============================================================ typed calls */

START_TEST(test_after_sale_list_reads_every_item_with_exact_ids)
{
    struct ddc_client *c = client();
    struct ddc_aftersale_list_req r;
    ddc_aftersale_list_req_init(&r);
    r.order_by[0] = "apply_time asc";
    struct ddc_aftersale_page p;
    struct ddc_status st;
    ck_assert_int_eq(ddc_aftersale_list(c, &r, &p, &st), 0);
    ck_assert_uint_eq(p.n, 8); /* WORLD.md: eight after-sales */
    ck_assert_int_eq(p.total, 8);
    ck_assert(!p.has_more);
    const struct ddc_aftersale *a = NULL;
    for (size_t i = 0; i < p.n; i++)
        if (p.items[i].aftersale_id == AS_101)
            a = &p.items[i];
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->aftersale_type, 2);
    ck_assert_int_eq(a->aftersale_status, 6);
    ck_assert_int_eq(a->refund_status, 1);
    ck_assert_int_eq(a->related_id, 6920000000000000101LL);
    ck_assert_int_eq(a->shop_order_id, 6920000000000000101LL);
    ck_assert_int_eq(a->refund_amount, 5900);
    ck_assert_uint_eq(a->n_lines, 1);
    ck_assert_int_eq(a->lines[0].sku_order_id, 6920000000000000101LL);
    ck_assert_int_eq(a->lines[0].order_status, 2);
    ck_assert_int_eq(a->lines[0].product_id, 3600000000000000001LL);
    ck_assert_str_eq(a->lines[0].product_name, "纯棉圆领短袖T恤");
    ck_assert_str_eq(a->aftersale_status_text, "待商家同意");
    /* apply_time asc: oldest first */
    for (size_t i = 1; i < p.n; i++)
        ck_assert_int_le(p.items[i - 1].apply_time, p.items[i].apply_time);
    ddc_aftersale_page_free(&p);
    ddc_aftersale_page_free(&p); /* zeroed: a second free is safe */

    /* filters: one id, and a status list */
    ddc_aftersale_list_req_init(&r);
    r.aftersale_id = AS_501;
    ck_assert_int_eq(ddc_aftersale_list(c, &r, &p, &st), 0);
    ck_assert_uint_eq(p.n, 1);
    ck_assert_int_eq(p.items[0].aftersale_status, 11);
    ck_assert_str_eq(p.items[0].return_logistics_code, "SF1234567890501");
    ddc_aftersale_page_free(&p);
    ddc_aftersale_list_req_init(&r);
    r.standard_aftersale_status[0] = 12;
    r.standard_aftersale_status[1] = 28;
    r.n_status = 2;
    ck_assert_int_eq(ddc_aftersale_list(c, &r, &p, &st), 0);
    ck_assert_uint_eq(p.n, 2); /* 701 refunded, 801 closed */
    ck_assert_uint_eq(p.items[0].auto_audit_bits | p.items[1].auto_audit_bits,
                      (1u << 2) | (1u << 7));
    ddc_aftersale_page_free(&p);
    ddc_client_free(c);
}
END_TEST

START_TEST(test_after_sale_detail_reads_the_return_parcel_and_records)
{
    struct ddc_client *c = client();
    struct ddc_aftersale_detail d;
    struct ddc_status st;
    ck_assert_int_eq(ddc_aftersale_detail(c, AS_501, true, &d, &st), 0);
    ck_assert_int_eq(d.after_sale_id, AS_501);
    ck_assert_int_eq(d.after_sale_status, 11);
    ck_assert_int_eq(d.after_sale_type, 0);
    ck_assert_int_eq(d.refund_total_amount, 11800);
    ck_assert_str_eq(d.return_tracking_no, "SF1234567890501");
    ck_assert_str_eq(d.return_company_code, "shunfeng");
    ck_assert_int_eq(d.shop_order_id, 6920000000000000501LL);
    ck_assert_uint_eq(d.n_lines, 1);
    ck_assert_int_eq(d.lines[0].sku_order_id, 6920000000000000501LL);
    ck_assert_int_eq(d.lines[0].sku_id, 1760000000000000011LL);
    ck_assert_int_eq(d.lines[0].item_quantity, 2);
    ck_assert_uint_eq(d.n_records, 3);
    ck_assert_str_eq(d.records[0].action, "apply");
    ck_assert_str_eq(d.records[1].action, "agree_return");
    ck_assert_str_eq(d.records[2].action, "return_shipped");
    ck_assert_int_eq(d.records[2].role, 1);
    ddc_aftersale_detail_free(&d);

    ck_assert_int_eq(ddc_aftersale_detail(c, AS_501, false, &d, &st), 0);
    ck_assert_uint_eq(d.n_records, 0);
    ddc_aftersale_detail_free(&d);

    /* §3.4 afterSale.Detail: 40004 isv.parameter-invalid:11000 */
    ck_assert_int_eq(
        ddc_aftersale_detail(c, 7000000000000009999LL, false, &d, &st),
        DDC_E_API);
    ck_assert_int_eq(st.code, 40004);
    ck_assert_str_eq(st.sub_code, "isv.parameter-invalid:11000");
    ck_assert_str_eq(st.sub_msg, "参数错误，售后单ID错误");
    ck_assert_uint_eq(st.attempts, 1);
    ck_assert_int_eq(d.after_sale_id, 0);
    ddc_client_free(c);
}
END_TEST

START_TEST(test_write_backs_change_the_world_and_repeats_are_business_errors)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    struct ddc_aftersale_detail d;

    /* the unshipped refund: CancelSendGoodsSuccess refunds at once */
    ck_assert_int_eq(ddc_aftersale_cancel_send_goods_success(c, AS_101, 0, &st),
                     0);
    ck_assert_int_eq(ddc_aftersale_detail(c, AS_101, false, &d, &st), 0);
    ck_assert_int_eq(d.after_sale_status, 12);
    ck_assert_int_eq(d.refund_status, 3);
    ck_assert_int_eq(d.refund_type, 2); /* 售后小助手 */
    ddc_aftersale_detail_free(&d);
    /* a repeat: 50002 isv.business-failed:12001, and never retried */
    ck_assert_int_eq(ddc_aftersale_cancel_send_goods_success(c, AS_101, 0, &st),
                     DDC_E_API);
    ck_assert_int_eq(st.code, 50002);
    ck_assert_str_eq(st.sub_code, "isv.business-failed:12001");
    ck_assert_uint_eq(st.attempts, 1);
    ck_assert_int_eq(stats_of(c).retries, 0);

    /* the shipped-back return: returnGoodsToWareHouseSuccess */
    ck_assert_int_eq(ddc_aftersale_return_goods_to_warehouse_success(
                         c, AS_501, 0, "SF1234567890501", "shunfeng", &st),
                     0);
    ck_assert_int_eq(ddc_aftersale_detail(c, AS_501, false, &d, &st), 0);
    ck_assert_int_eq(d.after_sale_status, 12);
    ck_assert_int_eq(d.got_pkg, 1);
    ddc_aftersale_detail_free(&d);
    ddc_client_free(c);
}
END_TEST

START_TEST(test_operate_remark_and_reject_reasons)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    /* 101 agrees to the return of 301 (status 6 -> 7) */
    struct ddc_operate_item it = {.aftersale_id = AS_301,
                                  .receiver_address_id = 1};
    struct ddc_operate_req rq = {.type = 101, .items = &it, .n_items = 1};
    struct ddc_operate_result res;
    ck_assert_int_eq(ddc_aftersale_operate(c, &rq, &res, &st), 0);
    ck_assert_uint_eq(res.n, 1);
    ck_assert_int_eq(res.items[0].aftersale_id, AS_301);
    ck_assert_int_eq(res.items[0].status_code, 0);
    ck_assert_str_eq(res.items[0].status_msg, "success");
    ddc_operate_result_free(&res);
    struct ddc_aftersale_detail d;
    ck_assert_int_eq(ddc_aftersale_detail(c, AS_301, false, &d, &st), 0);
    ck_assert_int_eq(d.after_sale_status, 7);
    ddc_aftersale_detail_free(&d);
    /* 101 again: the state gate answers 50002 isv.business-failed:20309541 */
    ck_assert_int_eq(ddc_aftersale_operate(c, &rq, &res, &st), DDC_E_API);
    ck_assert_str_eq(st.sub_code, "isv.business-failed:20309541");
    ck_assert_uint_eq(res.n, 0);

    /* a remark shows as the List's remark */
    ck_assert_int_eq(
        ddc_aftersale_add_order_remark(c, 0, AS_301, "仓库已收到，待质检", &st),
        0);
    struct ddc_aftersale_list_req lr;
    ddc_aftersale_list_req_init(&lr);
    lr.aftersale_id = AS_301;
    struct ddc_aftersale_page p;
    ck_assert_int_eq(ddc_aftersale_list(c, &lr, &p, &st), 0);
    ck_assert_uint_eq(p.n, 1);
    ck_assert_str_eq(p.items[0].remark, "仓库已收到，待质检");
    ddc_aftersale_page_free(&p);
    /* and on an order it goes to seller_words */
    ck_assert_int_eq(ddc_aftersale_add_order_remark(c, 6920000000000000901LL, 0,
                                                    "加急", &st),
                     0);
    struct ddc_order o;
    ck_assert_int_eq(ddc_order_detail(c, 6920000000000000901LL, &o, &st), 0);
    ck_assert_str_eq(o.seller_words, "加急");
    ddc_order_free(&o);

    /* the whole reason list (mock/README.md: nine codes) */
    struct ddc_reject_reasons rr;
    ck_assert_int_eq(ddc_aftersale_reject_reason_code_list(c, 0, &rr, &st), 0);
    ck_assert_uint_eq(rr.n, 9);
    ck_assert_int_eq(rr.items[0].reject_reason_code, 1);
    ck_assert_str_eq(rr.items[0].reason, "多拍/错拍/不想要");
    ck_assert(rr.items[0].evidence_need);
    ck_assert_int_eq(rr.items[0].pkg, -1);
    ck_assert(!rr.items[3].evidence_need);
    ddc_reject_reasons_free(&rr);
    /* an unshipped refund has none (§4.6) */
    ck_assert_int_eq(ddc_aftersale_reject_reason_code_list(
                         c, 7000000000000000202LL, &rr, &st),
                     0);
    ck_assert_uint_eq(rr.n, 0);
    ddc_reject_reasons_free(&rr);
    ddc_client_free(c);
}
END_TEST

START_TEST(test_order_detail_search_ship_and_companies)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    struct ddc_order o;
    ck_assert_int_eq(ddc_order_detail(c, 6920000000000000201LL, &o, &st), 0);
    ck_assert_int_eq(o.order_id, 6920000000000000201LL);
    ck_assert_int_eq(o.shop_id, 23456789);
    ck_assert_int_eq(o.order_status, 2);
    ck_assert_int_eq(o.pay_amount, 19800);
    ck_assert_uint_eq(o.n_lines, 3);
    ck_assert_int_eq(o.lines[1].sku_order_id, 6920000000000000202LL);
    ck_assert_int_eq(o.lines[1].sku_id, 1760000000000000021LL);
    ck_assert_int_eq(o.lines[1].after_sale_status, 6);
    ck_assert_int_eq(o.lines[1].after_sale_type, 2);
    ck_assert_str_eq(o.lines[1].code, "CUP-500-BLU");
    ck_assert_uint_eq(o.n_parcels, 0);
    ddc_order_free(&o);

    struct ddc_companies cs;
    ck_assert_int_eq(ddc_order_logistics_company_list(c, &cs, &st), 0);
    ck_assert_uint_eq(cs.n, 11);
    ck_assert_str_eq(cs.items[0].code, "shunfeng");
    ck_assert_str_eq(cs.items[0].name, "顺丰速运");
    ck_assert_str_eq(cs.items[10].code, "qita");
    ddc_companies_free(&cs);

    /* ship 901 and read the parcel back */
    struct ddc_logistics_add_req ship = {.order_id = 6920000000000000901LL,
                                         .company_code = "zhongtong",
                                         .logistics_code = "ZT7700000000901"};
    ck_assert_int_eq(ddc_order_logistics_add(c, &ship, &st), 0);
    ck_assert_int_eq(ddc_order_detail(c, 6920000000000000901LL, &o, &st), 0);
    ck_assert_int_eq(o.order_status, 3);
    ck_assert_uint_eq(o.n_parcels, 1);
    ck_assert_str_eq(o.parcels[0].tracking_no, "ZT7700000000901");
    ck_assert_str_eq(o.parcels[0].company, "zhongtong");
    ck_assert_uint_eq(o.parcels[0].n_sku_order_ids, 2);
    ck_assert_int_eq(o.parcels[0].sku_order_ids[1], 6920000000000000902LL);
    ddc_order_free(&o);
    /* 101 has a pending pre-shipment refund: 60040 without the flag */
    ship.order_id = 6920000000000000101LL;
    ship.logistics_code = "ZT7700000000101";
    ck_assert_int_eq(ddc_order_logistics_add(c, &ship, &st), DDC_E_API);
    ck_assert_str_eq(st.sub_code, "isv.business-failed:60040");
    ship.is_refund_reject = true;
    ck_assert_int_eq(ddc_order_logistics_add(c, &ship, &st), 0);

    struct ddc_order_search_req sr;
    ddc_order_search_req_init(&sr);
    sr.create_time_start = time(NULL) - 30 * 86400;
    sr.order_by = "create_time";
    sr.order_asc = 1;
    struct ddc_order_page op;
    ck_assert_int_eq(ddc_order_search_list(c, &sr, &op, &st), 0);
    ck_assert_int_eq(op.total, 10);
    ck_assert_uint_eq(op.n, 10);
    for (size_t i = 1; i < op.n; i++)
        ck_assert_int_le(op.orders[i - 1].create_time,
                         op.orders[i].create_time);
    ddc_order_page_free(&op);
    sr.order_status = "3";
    ck_assert_int_eq(ddc_order_search_list(c, &sr, &op, &st), 0);
    for (size_t i = 0; i < op.n; i++)
        ck_assert_int_eq(op.orders[i].order_status, 3);
    ck_assert_uint_gt(op.n, 0);
    ddc_order_page_free(&op);
    /* §3.4 order.searchList: size over 100 is 40004 :20008 */
    sr.size = 101;
    ck_assert_int_eq(ddc_order_search_list(c, &sr, &op, &st), DDC_E_API);
    ck_assert_str_eq(st.sub_code, "isv.parameter-invalid:20008");
    ddc_client_free(c);
}
END_TEST

START_TEST(test_the_generic_call_signs_any_method_and_refuses_bad_json)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    struct dd_envelope env;
    ck_assert_int_eq(ddc_client_call(c, "afterSale.Detail",
                                     "{ \"after_sale_id\" : \"7000000000000000"
                                     "401\" }",
                                     &env, &st),
                     0);
    ck_assert_str_eq(tjstr(env.data, "process_info.after_sale_info."
                                     "after_sale_id"),
                     "7000000000000000401");
    ck_assert_int_eq(dd_log_id_valid(st.log_id), 1);
    dd_envelope_free(&env);
    /* a known API the mock lacks: 70000 isp.api-service-off, not retried */
    ck_assert_int_eq(ddc_client_call(c, "afterSale.timeExtend",
                                     "{\"aftersale_id\":1}", &env, &st),
                     DDC_E_API);
    ck_assert_int_eq(st.code, 70000);
    ck_assert_uint_eq(st.attempts, 1);
    dd_envelope_free(&env);
    ck_assert_int_eq(ddc_client_call(c, "afterSale.List", "[1]", &env, &st),
                     DD_E_NOT_OBJECT);
    dd_envelope_free(&env);
    ck_assert_int_eq(ddc_client_call(c, "afterSale.List", "{", &env, &st),
                     DD_E_SYNTAX);
    dd_envelope_free(&env);
    ddc_client_free(c);
}
END_TEST

START_TEST(test_md5_signing_is_accepted_too)
{
    struct ddc_config cfg;
    config_for(&cfg, T.app_key, T.app_secret, T.shop_id);
    cfg.sign_method = DD_SIGN_MD5;
    struct ddc_client *c = client_with(&cfg);
    struct ddc_status st;
    ck_assert_int_eq(list_one(c, &st), 0);
    ddc_client_free(c);
}
END_TEST

/* ================================================================ retries */

START_TEST(test_a_20000_answer_is_retried_until_it_passes)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    ck_assert_int_eq(list_one(c, &st), 0); /* token first */
    arm(T.app_key, "{\"kind\":\"api_error\",\"method\":\"afterSale.List\","
                   "\"sub_code\":\"isp.service-error:10000\",\"count\":2}");
    ck_assert_int_eq(list_one(c, &st), 0);
    ck_assert_uint_eq(st.attempts, 3);
    ck_assert_int_eq(st.code, 10000);
    ck_assert_int_eq(stats_of(c).retries, 2);
    ddc_client_free(c);
}
END_TEST

START_TEST(test_retries_stop_after_max_attempts_with_the_last_answer)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    ck_assert_int_eq(list_one(c, &st), 0);
    arm(T.app_key, "{\"kind\":\"api_error\",\"method\":\"afterSale.List\","
                   "\"sub_code\":\"isp.service-error:10002\"}");
    int64_t t0 = mono_ms();
    ck_assert_int_eq(list_one(c, &st), DDC_E_API);
    int64_t took = mono_ms() - t0;
    ck_assert_uint_eq(st.attempts, 4);
    ck_assert_int_eq(st.code, 20000);
    ck_assert_str_eq(st.sub_msg, "系统处理失败");
    /* waits of [5,10] + [10,20] + [20,40] ms: jittered, but bounded */
    ck_assert_int_ge(took, 35);
    ck_assert_int_lt(took, 2000);
    ddc_client_free(c);
}
END_TEST

START_TEST(test_rate_limiting_is_retried_with_a_longer_backoff)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    ck_assert_int_eq(list_one(c, &st), 0);
    /* the platform row: 60000 isv.traffic-limited */
    arm(T.app_key, "{\"kind\":\"api_error\",\"method\":\"afterSale.List\","
                   "\"sub_code\":\"isv.traffic-limited\",\"count\":1}");
    int64_t t0 = mono_ms();
    ck_assert_int_eq(list_one(c, &st), 0);
    ck_assert_uint_eq(st.attempts, 2);
    ck_assert_int_ge(mono_ms() - t0, 20); /* rate_limit_initial_ms 40 / 2 */

    /* a real limiter: one call per 300 ms; five calls all get through */
    arm(T.app_key, "{\"kind\":\"rate_limit\",\"method\":\"order.orderDetail\","
                   "\"limit\":1,\"window_ms\":300}");
    struct ddc_config cfg;
    config_for(&cfg, T.app_key, T.app_secret, T.shop_id);
    cfg.max_attempts = 10;
    cfg.rate_limit_initial_ms = 100;
    struct ddc_client *c2 = client_with(&cfg);
    unsigned extra = 0;
    for (int i = 0; i < 5; i++) {
        struct ddc_order o;
        ck_assert_int_eq(ddc_order_detail(c2, 6920000000000000101LL, &o, &st),
                         0);
        extra += st.attempts - 1;
        ddc_order_free(&o);
    }
    ck_assert_uint_gt(extra, 0);
    ddc_client_free(c2);
    ddc_client_free(c);
}
END_TEST

START_TEST(test_a_business_error_is_never_retried)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    ck_assert_int_eq(list_one(c, &st), 0);
    /* §3.4 afterSale.List: 50002 isv.business-failed:12000 未知错误 */
    arm(T.app_key, "{\"kind\":\"api_error\",\"method\":\"afterSale.List\","
                   "\"sub_code\":\"isv.business-failed:12000\"}");
    ck_assert_int_eq(list_one(c, &st), DDC_E_API);
    ck_assert_uint_eq(st.attempts, 1);
    ck_assert_int_eq(st.code, 50002);
    ck_assert_str_eq(st.msg, "业务处理失败");
    ck_assert_str_eq(st.sub_msg, "未知错误");
    /* nor a 40004 */
    arm(T.app_key, "{\"kind\":\"api_error\",\"method\":\"afterSale.Detail\","
                   "\"sub_code\":\"isv.parameter-invalid:11000\"}");
    struct ddc_aftersale_detail d;
    ck_assert_int_eq(ddc_aftersale_detail(c, AS_101, false, &d, &st),
                     DDC_E_API);
    ck_assert_uint_eq(st.attempts, 1);
    ck_assert_int_eq(stats_of(c).retries, 0);
    ddc_client_free(c);
}
END_TEST

START_TEST(test_transport_errors_are_retried)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    ck_assert_int_eq(list_one(c, &st), 0);
    /* a body cut short ("transfer closed with N bytes remaining") */
    arm(T.app_key, "{\"kind\":\"api_truncate\",\"method\":\"afterSale.List\","
                   "\"truncate_to\":20,\"count\":1}");
    ck_assert_int_eq(list_one(c, &st), 0);
    ck_assert_uint_eq(st.attempts, 2);
    ck_assert_ptr_nonnull(strstr(st.detail, "afterSale.List"));
    ddc_client_free(c);

    /* an answer later than the client's timeout */
    struct ddc_config cfg;
    config_for(&cfg, T.app_key, T.app_secret, T.shop_id);
    cfg.timeout_ms = 300;
    c = client_with(&cfg);
    arm(T.app_key, "{\"kind\":\"api_latency\",\"method\":\"afterSale.List\","
                   "\"delay_ms\":1500,\"count\":1}");
    ck_assert_int_eq(list_one(c, &st), 0);
    ck_assert_uint_eq(st.attempts, 2);
    ddc_client_free(c);

    /* nobody listening: DDC_E_TRANSPORT after every attempt */
    config_for(&cfg, T.app_key, T.app_secret, T.shop_id);
    snprintf(cfg.base_url, sizeof cfg.base_url, "http://127.0.0.1:1");
    cfg.state_dir[0] = '\0';
    c = client_with(&cfg);
    ck_assert_int_eq(list_one(c, &st), DDC_E_AUTH);
    ck_assert_uint_eq(st.attempts, 4); /* token.create's attempts */
    ck_assert_int_eq(st.code, 0);
    ck_assert_str_ne(st.detail, "");
    ddc_client_free(c);
}
END_TEST

/* A write-back whose connection dies after the platform applied it is
 * sent once: not again by libcurl on a reused connection, not again by the
 * retry loop. The caller gets DDC_E_TRANSPORT and re-reads the state. */
START_TEST(test_a_write_back_with_a_lost_answer_is_sent_once)
{
    struct ddc_client *c = client();
    struct ddc_status st;
    ck_assert_int_eq(list_one(c, &st), 0); /* a keep-alive connection */
    arm(T.app_key, "{\"kind\":\"api_reset\",\"method\":"
                   "\"afterSale.CancelSendGoodsSuccess\",\"count\":1}");
    ck_assert_int_eq(ddc_aftersale_cancel_send_goods_success(c, AS_101, 0, &st),
                     DDC_E_TRANSPORT);
    ck_assert_uint_eq(st.attempts, 1);
    struct ddc_aftersale_detail d;
    ck_assert_int_eq(ddc_aftersale_detail(c, AS_101, false, &d, &st), 0);
    ck_assert_int_eq(d.after_sale_status, 12); /* it had been applied */
    ddc_aftersale_detail_free(&d);
    char path[160], *out = NULL;
    snprintf(path, sizeof path, "/_mock/journal?kind=api&limit=0&app_key=%s",
             T.app_key);
    ck_assert_int_eq(tadmin(&T, "GET", path, NULL, &out), 200);
    size_t sent = 0;
    for (const char *p = out;
         (p = strstr(p, "\"method\":\"afterSale.CancelSendGoodsSuccess\""));
         p++)
        sent++;
    ck_assert_uint_eq(sent, 1);
    free(out);
    ddc_client_free(c);
}
END_TEST

/* ================================================================ pagers */

struct world {
    char key[24];
    char secret[48];
    char shop[24];
};

static void generate(struct world *w, const char *spec)
{
    char *out =
        admin(200, "POST", NULL, "/_mock/worlds?generate=%s&seed=11", spec);
    struct dd_json_doc doc;
    const struct dd_json *root = tjson(out, &doc);
    snprintf(w->key, sizeof w->key, "%s", tjstr(root, "app_key"));
    snprintf(w->secret, sizeof w->secret, "%s", tjstr(root, "app_secret"));
    snprintf(w->shop, sizeof w->shop, "%s", tjstr(root, "shops.0.shop_id"));
    dd_json_doc_free(&doc);
    free(out);
}

/* Walks every after-sale the request finds; returns how many came out,
 * asserts they are distinct, and keeps the first `cap` ids in `ids`. */
static size_t walk(struct ddc_client *c, struct ddc_aftersale_list_req *r,
                   int64_t *ids, size_t cap, struct ddc_aftersale_pager *stats)
{
    struct ddc_aftersale_pager p;
    ddc_aftersale_pager_init(&p, c, r);
    const struct ddc_aftersale *a;
    struct ddc_status st;
    struct ddc_idset seen;
    ddc_idset_init(&seen);
    size_t n = 0;
    int rc;
    while ((rc = ddc_aftersale_pager_next(&p, &a, &st)) == 1) {
        ck_assert(ddc_idset_add(&seen, a->aftersale_id));
        if (ids && n < cap)
            ids[n] = a->aftersale_id;
        n++;
    }
    ck_assert_msg(rc == 0, "pager: %s %s", ddc_strerror(rc), st.detail);
    if (stats) {
        stats->pages = p.pages;
        stats->skipped = p.skipped;
    }
    ddc_aftersale_pager_free(&p);
    ddc_idset_free(&seen);
    return n;
}

START_TEST(test_the_after_sale_pager_walks_more_than_100)
{
    struct world w;
    generate(&w, "shops=1,orders=300,aftersales=250");
    struct ddc_config cfg;
    config_for(&cfg, w.key, w.secret, w.shop);
    struct ddc_client *c = client_with(&cfg);
    struct ddc_aftersale_list_req r;
    ddc_aftersale_list_req_init(&r);
    r.size = 100;
    struct ddc_aftersale_pager ps;
    ck_assert_uint_eq(walk(c, &r, NULL, 0, &ps), 250);
    ck_assert_uint_eq(ps.pages, 3);
    ck_assert_uint_eq(ps.skipped, 0);

    /* incremental polling: update_time asc from a start */
    ddc_aftersale_list_req_init(&r);
    r.size = 40;
    r.update_start_time = 1;
    r.order_by[0] = "update_time asc";
    ck_assert_uint_eq(walk(c, &r, NULL, 0, &ps), 250);
    ck_assert_uint_eq(ps.pages, 7);
    ddc_client_free(c);
}
END_TEST

/* mock/README.md list_drift "insert": under the default apply_time desc a
 * new after-sale lands on top while the pager is on page 1, so the last
 * item of page 0 comes again: the pager skips it and misses nothing (the
 * new one is on page 0, already read: the next walk has it). */
START_TEST(test_the_after_sale_pager_survives_page_drift)
{
    struct world w;
    generate(&w, "shops=1,orders=300,aftersales=250");
    struct ddc_config cfg;
    config_for(&cfg, w.key, w.secret, w.shop);
    struct ddc_client *c = client_with(&cfg);
    struct ddc_aftersale_list_req r;
    ddc_aftersale_list_req_init(&r);
    r.size = 50;
    static int64_t before[260], after[260];
    ck_assert_uint_eq(walk(c, &r, before, 260, NULL), 250);
    arm(w.key, "{\"kind\":\"list_drift\",\"drift\":\"insert\",\"count\":1}");
    struct ddc_aftersale_pager ps;
    size_t n = walk(c, &r, after, 260, &ps);
    ck_assert_uint_eq(ps.skipped, 1);
    /* every one exactly once; the new one sits on page 0, already read */
    ck_assert_uint_eq(n, 250);
    struct ddc_idset got;
    ddc_idset_init(&got);
    for (size_t i = 0; i < n; i++)
        ddc_idset_add(&got, after[i]);
    for (size_t i = 0; i < 250; i++)
        ck_assert_msg(ddc_idset_has(&got, before[i]), "missed %lld",
                      (long long)before[i]);
    /* the next walk finds it */
    ck_assert_uint_eq(walk(c, &r, NULL, 0, &ps), 251);
    ck_assert_uint_eq(ps.skipped, 0);
    ddc_idset_free(&got);
    ddc_client_free(c);
}
END_TEST

START_TEST(test_the_pager_stops_before_the_page_cap)
{
    struct ddc_client *c = client();
    struct ddc_aftersale_list_req r;
    ddc_aftersale_list_req_init(&r);
    r.size = 100;
    r.page = 501; /* 501 x 100 > 50 000 (§4.10) */
    struct ddc_aftersale_pager p;
    ddc_aftersale_pager_init(&p, c, &r);
    const struct ddc_aftersale *a;
    struct ddc_status st;
    ck_assert_int_eq(ddc_aftersale_pager_next(&p, &a, &st), DDC_E_PAGE_CAP);
    ck_assert_ptr_null(a);
    ck_assert_ptr_nonnull(strstr(st.detail, "50000"));
    ck_assert_uint_eq(p.pages, 0);
    ddc_aftersale_pager_free(&p);
    ddc_client_free(c);
}
END_TEST

START_TEST(test_the_order_pager_covers_the_total)
{
    struct world w;
    generate(&w, "shops=1,orders=400,aftersales=10");
    struct ddc_config cfg;
    config_for(&cfg, w.key, w.secret, w.shop);
    struct ddc_client *c = client_with(&cfg);
    struct ddc_order_search_req r;
    ddc_order_search_req_init(&r);
    r.size = 100;
    r.create_time_start = time(NULL) - 89 * 86400;
    r.order_by = "create_time";
    struct ddc_order_pager p;
    ddc_order_pager_init(&p, c, &r);
    const struct ddc_order *o;
    struct ddc_status st;
    struct ddc_idset seen;
    ddc_idset_init(&seen);
    size_t n = 0;
    int rc;
    while ((rc = ddc_order_pager_next(&p, &o, &st)) == 1) {
        ck_assert(ddc_idset_add(&seen, o->order_id));
        ck_assert_uint_ge(o->n_lines, 1);
        n++;
    }
    ck_assert_msg(rc == 0, "%s", st.detail);
    /* 400 orders over 150 days: more than a page within 89 days */
    ck_assert_uint_gt(n, 100);
    ck_assert_int_eq((int64_t)n, p.page.total);
    ck_assert_uint_eq(p.pages, (n + 99) / 100);
    ddc_order_pager_free(&p);
    ddc_idset_free(&seen);
    ddc_client_free(c);
}
END_TEST

/* ================================================================ push */

/* What the handler saw, shared with the worker thread. */
struct seen {
    pthread_mutex_t mu;
    int n;
    char msg_ids[64][32];
    int64_t aftersale_ids[64];
    char tags[64][8];
    int sleep_first_ms; /* the first message's handler sleeps this long */
};

static void handler_cb(const struct ddc_push_msg *m, void *user)
{
    struct seen *s = user;
    pthread_mutex_lock(&s->mu);
    int i = s->n;
    int nap = i == 0 ? s->sleep_first_ms : 0;
    pthread_mutex_unlock(&s->mu);
    if (nap)
        sleep_ms(nap);
    pthread_mutex_lock(&s->mu);
    if (s->n < 64) {
        snprintf(s->msg_ids[s->n], sizeof s->msg_ids[0], "%s", m->msg_id);
        snprintf(s->tags[s->n], sizeof s->tags[0], "%s", m->tag);
        s->aftersale_ids[s->n] = m->aftersale_id;
    }
    s->n++;
    pthread_mutex_unlock(&s->mu);
}

static int seen_count(struct seen *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static struct ddc_push *push_start(struct seen *s, const char *key,
                                   const char *secret)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    struct ddc_push_config pc = {.listen = "127.0.0.1:0",
                                 .app_key = key,
                                 .app_secret = secret,
                                 .handler = handler_cb,
                                 .user = s};
    char err[256];
    struct ddc_push *p = ddc_push_start(&pc, err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    ck_assert_uint_gt(ddc_push_port(p), 0);
    return p;
}

/* POSTs `body` to 127.0.0.1:port with the two push headers (NULL = not
 * sent) over a fresh connection; returns the HTTP status and the time to
 * the answer in *ms; the answer's body goes to `reply`. */
static int post_push(uint16_t port, const char *app_id, const char *sign,
                     const char *body, int64_t *ms, char *reply, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct dd_buf rq;
    dd_buf_init(&rq, 0);
    dd_buf_printf(&rq,
                  "POST /doudian/push HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: application/json\r\nConnection: close\r\n"
                  "Content-Length: %zu\r\n",
                  strlen(body));
    if (app_id)
        dd_buf_printf(&rq, "app-id: %s\r\n", app_id);
    if (sign)
        dd_buf_printf(&rq, "event-sign: %s\r\n", sign);
    dd_buf_printf(&rq, "\r\n%s", body);
    int64_t t0 = mono_ms();
    ck_assert_int_eq(write(fd, rq.data, rq.len), (ssize_t)rq.len);
    dd_buf_free(&rq);
    char buf[4096];
    size_t got = 0;
    for (;;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 5000) <= 0)
            break;
        ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got == sizeof buf - 1)
            break;
    }
    *ms = mono_ms() - t0;
    close(fd);
    buf[got] = '\0';
    int status = 0;
    ck_assert_int_eq(sscanf(buf, "HTTP/1.1 %d", &status), 1);
    const char *b = strstr(buf, "\r\n\r\n");
    snprintf(reply, cap, "%s", b ? b + 4 : "");
    return status;
}

static const char *KEY = "1234567890123456789";
static const char *SECRET = "push-secret";

static void signed_post(uint16_t port, const char *body, int want_status,
                        int64_t *ms)
{
    char sign[33], reply[512];
    dd_push_sign(KEY, body, strlen(body), SECRET, sign);
    int st = post_push(port, KEY, sign, body, ms, reply, sizeof reply);
    ck_assert_msg(st == want_status, "HTTP %d: %s", st, reply);
    if (want_status == 200)
        ck_assert_str_eq(reply, "{\"code\":0,\"msg\":\"success\"}");
}

#define MSG_200                                                                \
    "[{\"tag\":\"200\",\"msg_id\":\"101\",\"data\":\"{\\\"aftersale_id\\\":"   \
    "7000000000000000101,\\\"p_id\\\":6920000000000000101,\\\"s_id\\\":"       \
    "6920000000000000101,\\\"shop_id\\\":23456789,\\\"aftersale_status\\\":"   \
    "6,\\\"aftersale_type\\\":2,\\\"refund_amount\\\":5900,"                   \
    "\\\"update_time\\\":\\\"2023-11-15T14:13:20+08:00\\\"}\"}]"

START_TEST(test_push_check_verifies_app_id_and_sign_then_parses)
{
    struct ddc_push_batch b;
    char err[160], sign[33];
    const char *body = MSG_200;
    size_t len = strlen(body);
    dd_push_sign(KEY, body, len, SECRET, sign);
    ck_assert_int_eq(
        ddc_push_check(KEY, SECRET, KEY, sign, body, len, &b, err, sizeof err),
        DDC_PUSH_ACCEPTED);
    ck_assert_uint_eq(b.n, 1);
    ck_assert_str_eq(b.msgs[0].tag, "200");
    ck_assert_int_eq(b.msgs[0].tag_num, 200);
    ck_assert_str_eq(b.msgs[0].msg_id, "101");
    ck_assert_int_eq(b.msgs[0].aftersale_id, AS_101);
    ck_assert_int_eq(b.msgs[0].s_id, 6920000000000000101LL);
    ck_assert_int_eq(b.msgs[0].refund_amount, 5900);
    ck_assert_str_eq(b.msgs[0].update_time, "2023-11-15T14:13:20+08:00");
    ck_assert_ptr_nonnull(strstr(b.msgs[0].data, "\"aftersale_type\":2"));
    ddc_push_batch_free(&b);

    /* upper-case hex is the same signature (the official SDKs ignore case) */
    char upper[33];
    for (int i = 0; i < 33; i++)
        upper[i] = (sign[i] >= 'a' && sign[i] <= 'f') ? sign[i] - 32 : sign[i];
    ck_assert_int_eq(
        ddc_push_check(KEY, SECRET, KEY, upper, body, len, &b, err, sizeof err),
        DDC_PUSH_ACCEPTED);
    ddc_push_batch_free(&b);

    ck_assert_int_eq(ddc_push_check(KEY, SECRET, "1234567890123456780", sign,
                                    body, len, &b, err, sizeof err),
                     DDC_PUSH_BAD_APP_ID);
    ck_assert_int_eq(
        ddc_push_check(KEY, SECRET, NULL, sign, body, len, &b, err, sizeof err),
        DDC_PUSH_BAD_APP_ID);
    ck_assert_int_eq(ddc_push_check(KEY, SECRET, "12345678901234567890", sign,
                                    body, len, &b, err, sizeof err),
                     DDC_PUSH_BAD_APP_ID);
    char bad[33];
    memcpy(bad, sign, sizeof bad);
    bad[31] = bad[31] == '0' ? '1' : '0';
    ck_assert_int_eq(
        ddc_push_check(KEY, SECRET, KEY, bad, body, len, &b, err, sizeof err),
        DDC_PUSH_BAD_SIGN);
    ck_assert_int_eq(
        ddc_push_check(KEY, SECRET, KEY, NULL, body, len, &b, err, sizeof err),
        DDC_PUSH_BAD_SIGN);
    /* the signature covers the exact bytes */
    ck_assert_int_eq(ddc_push_check(KEY, SECRET, KEY, sign, body, len - 1, &b,
                                    err, sizeof err),
                     DDC_PUSH_BAD_SIGN);
    ck_assert_uint_eq(b.n, 0);

    /* signed but malformed: data not JSON, no msg_id, not an array */
    static const char *const malformed[] = {
        "[{\"tag\":\"200\",\"msg_id\":\"1\",\"data\":\"{\\\"aftersale_id\"}]",
        "[{\"tag\":\"200\",\"data\":\"{}\"}]",
        "[{\"tag\":\"200\",\"msg_id\":\"1\"}]",
        "\"text\"",
        "[1]",
        "[",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        const char *m = malformed[i];
        dd_push_sign(KEY, m, strlen(m), SECRET, sign);
        ck_assert_int_eq(ddc_push_check(KEY, SECRET, KEY, sign, m, strlen(m),
                                        &b, err, sizeof err),
                         DDC_PUSH_MALFORMED);
        ck_assert_uint_eq(b.n, 0);
    }
    /* lenient forms: a lone object, numbers, msgId, data as an object */
    const char *lenient =
        "{\"tag\":206,\"msgId\":99,\"data\":{\"aftersale_id\":\"7\"}}";
    ck_assert_int_eq(
        ddc_push_parse(lenient, strlen(lenient), &b, err, sizeof err), 0);
    ck_assert_uint_eq(b.n, 1);
    ck_assert_str_eq(b.msgs[0].tag, "206");
    ck_assert_str_eq(b.msgs[0].msg_id, "99");
    ck_assert_int_eq(b.msgs[0].aftersale_id, 7);
    ck_assert_str_eq(b.msgs[0].data, "{\"aftersale_id\":\"7\"}");
    ddc_push_batch_free(&b);
}
END_TEST

/* The handler sleeps 3 s on the first message; the POSTs around it are
 * acknowledged in well under a second, and every message is handed over
 * in order. */
START_TEST(test_the_ack_goes_out_within_a_second_while_the_handler_sleeps)
{
    struct seen s;
    struct ddc_push *p = push_start(&s, KEY, SECRET);
    s.sleep_first_ms = 3000;
    uint16_t port = ddc_push_port(p);
    int64_t ms;
    signed_post(port, MSG_200, 200, &ms);
    ck_assert_int_lt(ms, 1000);
    /* the handler is now asleep on message 101 */
    sleep_ms(100);
    const char *second =
        "[{\"tag\":\"206\",\"msg_id\":\"102\",\"data\":\"{}\"},"
        "{\"tag\":\"201\",\"msg_id\":\"103\",\"data\":\"{}\"}]";
    for (int i = 0; i < 3; i++) {
        signed_post(port, second, 200, &ms);
        ck_assert_int_lt(ms, 1000);
    }
    struct ddc_push_stats ps;
    ddc_push_stats(p, &ps);
    ck_assert_int_eq(ps.acked, 4);
    ck_assert_int_eq(ps.messages, 7);
    ck_assert_uint_ge(ps.queued, 6);
    ck_assert_int_eq(seen_count(&s), 0);
    ddc_push_stop(p, true); /* drain: every message is handed over */
    ck_assert_int_eq(s.n, 7);
    ck_assert_str_eq(s.msg_ids[0], "101");
    ck_assert_int_eq(s.aftersale_ids[0], AS_101);
    ck_assert_str_eq(s.msg_ids[1], "102");
    ck_assert_str_eq(s.msg_ids[2], "103");
    /* duplicates are handed over as they came: dedup is the caller's */
    ck_assert_str_eq(s.msg_ids[3], "102");
    pthread_mutex_destroy(&s.mu);
}
END_TEST

START_TEST(test_the_receiver_refuses_wrong_app_id_bad_sign_and_malformed)
{
    struct seen s;
    struct ddc_push *p = push_start(&s, KEY, SECRET);
    uint16_t port = ddc_push_port(p);
    char sign[33], reply[512];
    int64_t ms;
    const char *body = MSG_200;
    dd_push_sign(KEY, body, strlen(body), SECRET, sign);
    ck_assert_int_eq(post_push(port, "9876543210987654321", sign, body, &ms,
                               reply, sizeof reply),
                     401);
    ck_assert_ptr_nonnull(strstr(reply, "\"code\":1"));
    char bad[33];
    memcpy(bad, sign, sizeof bad);
    bad[0] = bad[0] == 'a' ? 'b' : 'a';
    ck_assert_int_eq(post_push(port, KEY, bad, body, &ms, reply, sizeof reply),
                     401);
    ck_assert_int_eq(post_push(port, KEY, NULL, body, &ms, reply, sizeof reply),
                     401);
    const char *cut =
        "[{\"tag\":\"200\",\"msg_id\":\"5\",\"data\":\"{\\\"a\"}]";
    signed_post(port, cut, 400, &ms);
    /* the verification push is acknowledged and not handed over */
    signed_post(port, "[{\"tag\":\"0\",\"msg_id\":\"1\",\"data\":\"{}\"}]", 200,
                &ms);
    signed_post(port, body, 200, &ms);
    struct ddc_push_stats ps;
    ddc_push_stats(p, &ps);
    ck_assert_int_eq(ps.bad_app_id, 1);
    ck_assert_int_eq(ps.bad_sign, 2);
    ck_assert_int_eq(ps.malformed, 1);
    ck_assert_int_eq(ps.acked, 2);
    ck_assert_int_eq(ps.messages, 1);
    ddc_push_stop(p, true);
    ck_assert_int_eq(s.n, 1);
    ck_assert_str_eq(s.msg_ids[0], "101");
    pthread_mutex_destroy(&s.mu);
}
END_TEST

START_TEST(test_a_full_queue_refuses_with_503)
{
    struct seen s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.mu, NULL);
    s.sleep_first_ms = 1500;
    struct ddc_push_config pc = {.listen = "127.0.0.1:0",
                                 .app_key = KEY,
                                 .app_secret = SECRET,
                                 .handler = handler_cb,
                                 .user = &s,
                                 .queue_max = 2};
    char err[256];
    struct ddc_push *p = ddc_push_start(&pc, err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    int64_t ms;
    signed_post(ddc_push_port(p), MSG_200, 200, &ms);
    signed_post(ddc_push_port(p), MSG_200, 200, &ms);
    signed_post(ddc_push_port(p), MSG_200, 503, &ms);
    ddc_push_stop(p, false); /* not drained: what waited is dropped */
    ck_assert_int_eq(s.n, 1);
    pthread_mutex_destroy(&s.mu);
}
END_TEST

START_TEST(test_the_receiver_refuses_a_taken_port_and_a_bad_address)
{
    struct seen s;
    struct ddc_push *p = push_start(&s, KEY, SECRET);
    char listen[32], err[256];
    snprintf(listen, sizeof listen, "127.0.0.1:%u", (unsigned)ddc_push_port(p));
    struct ddc_push_config pc = {.listen = listen,
                                 .app_key = KEY,
                                 .app_secret = SECRET,
                                 .handler = handler_cb,
                                 .user = &s};
    ck_assert_ptr_null(ddc_push_start(&pc, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "cannot listen"));
    pc.listen = "no-port";
    ck_assert_ptr_null(ddc_push_start(&pc, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "host:port"));
    ddc_push_stop(p, false);
    pthread_mutex_destroy(&s.mu);
}
END_TEST

/* The same receiver against ddmock's own pushes: the verification and real
 * messages are acknowledged (the mock's delivery log says "acked"),
 * forged ones are refused and never reach the handler. */
START_TEST(test_the_receiver_takes_ddmock_pushes_and_refuses_forgeries)
{
    struct seen s;
    struct ddc_push *p = push_start(&s, T.app_key, T.app_secret);
    char body[128];
    snprintf(body, sizeof body,
             "{\"url\":\"http://127.0.0.1:%u/doudian/push\"}",
             (unsigned)ddc_push_port(p));
    free(admin(200, "PUT", body, "/_mock/worlds/%s/subscription", T.app_key));
    free(admin(200, "POST", "{\"tag\":200,\"flavor\":\"bad_sign\"}",
               "/_mock/worlds/%s/push/forged", T.app_key));
    free(admin(200, "POST", "{\"tag\":200,\"flavor\":\"wrong_app_id\"}",
               "/_mock/worlds/%s/push/forged", T.app_key));
    free(admin(200, "POST", "{\"tag\":200,\"flavor\":\"malformed_data\"}",
               "/_mock/worlds/%s/push/forged", T.app_key));
    /* a real change: the write-back pushes 201 and 206 (mock/README.md) */
    struct ddc_client *c = client();
    struct ddc_status st;
    ck_assert_int_eq(ddc_aftersale_cancel_send_goods_success(c, AS_101, 0, &st),
                     0);
    int64_t t0 = mono_ms();
    while (seen_count(&s) < 2 && mono_ms() - t0 < 10000)
        sleep_ms(20);
    struct ddc_push_stats ps;
    int64_t t1 = mono_ms();
    do {
        ddc_push_stats(p, &ps);
        if (ps.bad_sign + ps.bad_app_id + ps.malformed >= 3)
            break;
        sleep_ms(20);
    } while (mono_ms() - t1 < 10000);
    ddc_push_stop(p, true);
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.tags[0], "201");
    ck_assert_str_eq(s.tags[1], "206");
    ck_assert_int_eq(s.aftersale_ids[0], AS_101);
    ck_assert_int_eq(s.aftersale_ids[1], AS_101);
    ck_assert_int_eq(ps.bad_sign, 1);
    ck_assert_int_eq(ps.bad_app_id, 1);
    ck_assert_int_eq(ps.malformed, 1);
    ck_assert_int_ge(ps.acked, 2); /* the verification and the messages */

    /* the mock saw every real batch acknowledged quickly */
    char *out =
        admin(200, "GET", NULL, "/_mock/deliveries?app_key=%s", T.app_key);
    struct dd_json_doc doc;
    const struct dd_json *root = tjson(out, &doc);
    const struct dd_json *e = tjnode(root, "deliveries");
    ck_assert_ptr_nonnull(e);
    size_t acked = 0;
    for (size_t i = 0; i < e->n; i++) {
        const char *outcome = tjstr(&e->kids[i], "outcome");
        if (outcome && !strcmp(outcome, "acked")) {
            acked++;
            int64_t lat = -1;
            dd_json_int64(dd_json_get(&e->kids[i], "latency_ms"), &lat);
            ck_assert_int_lt(lat, 1000);
        }
    }
    ck_assert_uint_ge(acked, 2);
    dd_json_doc_free(&doc);
    free(out);
    ddc_client_free(c);
    pthread_mutex_destroy(&s.mu);
}
END_TEST

/* ================================================================ suite */

Suite *client_suite(void)
{
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("offline");
    tcase_add_checked_fixture(tc, make_state_dir, remove_state_dir);
    tcase_add_test(tc, test_config_reads_every_variable_of_the_contract);
    tcase_add_test(tc, test_config_defaults_to_the_production_gateway);
    tcase_add_test(tc, test_config_refuses_bad_values_naming_the_variable);
    tcase_add_test(tc, test_host_port_splits_ipv4_ipv6_and_empty_hosts);
    tcase_add_test(tc,
                   test_refresh_window_is_the_last_hour_scaled_to_the_lifetime);
    tcase_add_test(tc,
                   test_token_answer_reads_expires_in_as_duration_or_unix_time);
    tcase_add_test(tc, test_token_store_round_trips_atomically_with_mode_0600);
    tcase_add_test(tc, test_push_check_verifies_app_id_and_sign_then_parses);
    suite_add_tcase(s, tc);

    tc = tcase_create("tokens");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_the_first_call_creates_a_token_and_stores_it);
    tcase_add_test(tc, test_a_restarted_client_reuses_the_stored_token);
    tcase_add_test(
        tc, test_an_expired_token_is_refreshed_and_the_call_sent_once_more);
    tcase_add_test(tc, test_a_revoked_pair_is_replaced_by_token_create);
    tcase_add_test(tc, test_an_unknown_stored_token_is_replaced);
    tcase_add_test(tc, test_a_token_is_refreshed_ahead_of_its_expiry);
    tcase_add_test(tc, test_ddc_client_refresh_forces_a_refresh);
    suite_add_tcase(s, tc);

    tc = tcase_create("calls");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_after_sale_list_reads_every_item_with_exact_ids);
    tcase_add_test(tc,
                   test_after_sale_detail_reads_the_return_parcel_and_records);
    tcase_add_test(
        tc, test_write_backs_change_the_world_and_repeats_are_business_errors);
    tcase_add_test(tc, test_operate_remark_and_reject_reasons);
    tcase_add_test(tc, test_order_detail_search_ship_and_companies);
    tcase_add_test(tc,
                   test_the_generic_call_signs_any_method_and_refuses_bad_json);
    tcase_add_test(tc, test_md5_signing_is_accepted_too);
    suite_add_tcase(s, tc);

    tc = tcase_create("retries");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_20000_answer_is_retried_until_it_passes);
    tcase_add_test(tc,
                   test_retries_stop_after_max_attempts_with_the_last_answer);
    tcase_add_test(tc, test_rate_limiting_is_retried_with_a_longer_backoff);
    tcase_add_test(tc, test_a_business_error_is_never_retried);
    tcase_add_test(tc, test_transport_errors_are_retried);
    tcase_add_test(tc, test_a_write_back_with_a_lost_answer_is_sent_once);
    suite_add_tcase(s, tc);

    tc = tcase_create("pagers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_the_after_sale_pager_walks_more_than_100);
    tcase_add_test(tc, test_the_after_sale_pager_survives_page_drift);
    tcase_add_test(tc, test_the_pager_stops_before_the_page_cap);
    tcase_add_test(tc, test_the_order_pager_covers_the_total);
    suite_add_tcase(s, tc);

    tc = tcase_create("push");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(
        tc, test_the_ack_goes_out_within_a_second_while_the_handler_sleeps);
    tcase_add_test(
        tc, test_the_receiver_refuses_wrong_app_id_bad_sign_and_malformed);
    tcase_add_test(tc, test_a_full_queue_refuses_with_503);
    tcase_add_test(tc,
                   test_the_receiver_refuses_a_taken_port_and_a_bad_address);
    tcase_add_test(tc,
                   test_the_receiver_takes_ddmock_pushes_and_refuses_forgeries);
    suite_add_tcase(s, tc);
    return s;
}
