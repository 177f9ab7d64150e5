/*
 * check_mock_front.c: end-to-end tests of ddmock's gateway front (issue 3,
 * items 1, 3, 4, 6 and 10).
 *
 * Each test starts its own server in-process on port 0 (a fresh default
 * world, so tests never see each other's state) and talks to it over HTTP
 * with libcurl through tests/mock_util.h. Covered: the request forms of
 * doudian-open-api.md §1.3 (raw body, form, GET, repeated slashes, the
 * three timestamp forms, md5 / hmac-sha256, the HTML-safe signed variant);
 * every step of the gateway's check order of mock/router.h, including
 * which error wins when a request has two problems; the token rules of
 * §2.3 and §2.4 with short lifetimes set through settings; the error
 * envelope and explain; keep-alive; the body cap; the journal and its
 * bound; and 1 000 malformed requests after which the server still
 * answers. Every expected code and sub_code is typed from open-api §3.3 /
 * §2.4 (the error table), never taken from the code under test.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dd_params.h"
#include "mock_util.h"
#include "suites.h"

/* A page of afterSale.List: the cheapest call that needs a token. */
#define LIST_PJ "{\"page\":0,\"size\":10}"
/* The default world's pending pre-shipment refund (mock/WORLD.md). */
#define PENDING_REFUND "7000000000000000101"

static struct tmock T;

static void setup(void)
{
    tmock_start(&T, NULL);
    tmock_token(&T);
}

static void teardown(void)
{
    tmock_stop(&T);
}

/* Sends a call that must be answered HTTP 200 with `code` / `sub_code`;
 * copies the answer's log_id into `log_id` when non-NULL. */
static void expect_fail(struct tmock *t, const char *method, const char *pj,
                        const struct tcall_opts *o, int64_t code,
                        const char *sub_code, char *log_id)
{
    struct dd_envelope env;
    long status = tcall(t, method, pj, o, &env);
    ck_assert_int_eq(status, 200);
    texpect_error(&env, code, sub_code);
    if (log_id)
        snprintf(log_id, DD_LOG_ID_LEN + 1, "%s", env.log_id);
    dd_envelope_free(&env);
}

/* Sends a call that must succeed (HTTP 200, code 10000); copies its log_id
 * like expect_fail. */
static void expect_ok(struct tmock *t, const char *method, const char *pj,
                      const struct tcall_opts *o, char *log_id)
{
    struct dd_envelope env;
    long status = tcall(t, method, pj, o, &env);
    ck_assert_int_eq(status, 200);
    ck_assert_msg(env.code == 10000, "%s: %lld %s (%s)", method,
                  (long long)env.code, env.sub_code, env.sub_msg);
    ck_assert_str_eq(env.msg, "success");
    ck_assert_str_eq(env.sub_code, "");
    ck_assert(dd_log_id_valid(env.log_id));
    if (log_id)
        snprintf(log_id, DD_LOG_ID_LEN + 1, "%s", env.log_id);
    dd_envelope_free(&env);
}

/* A parsed admin answer. */
struct tj {
    long status;
    struct dd_json_doc doc;
    const struct dd_json *root;
};

static void tj_call(struct tmock *t, const char *verb, const char *path,
                    const char *body, struct tj *j)
{
    char *text;
    j->status = tadmin(t, verb, path, body, &text);
    j->root = tjson(text, &j->doc);
    free(text);
}

static void tj_free(struct tj *j)
{
    dd_json_doc_free(&j->doc);
}

/* The journal entry of a log_id (GET /_mock/explain/LOG_ID, must exist). */
static void entry_of(struct tmock *t, const char *log_id, struct tj *j)
{
    char path[96];
    snprintf(path, sizeof path, "/_mock/explain/%s", log_id);
    tj_call(t, "GET", path, NULL, j);
    ck_assert_int_eq(j->status, 200);
}

static void wait_until(int64_t unix_seconds)
{
    while ((int64_t)time(NULL) < unix_seconds)
        usleep(20000);
}

static void seconds_now(char out[32], int64_t delta)
{
    snprintf(out, 32, "%lld", (long long)time(NULL) + (long long)delta);
}

/* ============================================================ accepted */

START_TEST(test_md5_signature_without_sign_method_is_accepted)
{
    struct dd_envelope env;
    ck_assert_int_eq(tcall(&T, "afterSale.List", LIST_PJ, NULL, &env), 200);
    ck_assert_int_eq(env.code, 10000);
    /* The default world holds 8 after-sales, all inside 6 months. */
    ck_assert_str_eq(tfield(&env, "total"), "8");
    dd_envelope_free(&env);
}
END_TEST

START_TEST(test_hmac_sha256_signature_is_accepted)
{
    struct tcall_opts o = {.hmac = true};
    expect_ok(&T, "afterSale.List", LIST_PJ, &o, NULL);
}
END_TEST

/* A remark with < > & = ' verified over the HTML-safe canonical form (the
 * Java SDK's Gson) is accepted, stored as written, and journalled as
 * "html-safe". */
START_TEST(test_html_safe_signature_of_a_remark_is_accepted)
{
    static const char pj[] = "{\"after_sale_id\":\"" PENDING_REFUND
                             "\",\"remark\":\"质检<不通过>&退回='x'\"}";
    struct tcall_opts o = {.html_safe = true};
    char log_id[DD_LOG_ID_LEN + 1];
    expect_ok(&T, "afterSale.addOrderRemark", pj, &o, log_id);
    struct tj j;
    entry_of(&T, log_id, &j);
    ck_assert_str_eq(tjstr(j.root, "verdict"), "html-safe");
    tj_free(&j);
    char path[128];
    snprintf(path, sizeof path, "/_mock/worlds/%s/aftersales/%s", T.app_key,
             PENDING_REFUND);
    tj_call(&T, "GET", path, NULL, &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "entity.remark"), "质检<不通过>&退回='x'");
    tj_free(&j);
}
END_TEST

START_TEST(test_plain_signature_of_a_remark_with_html_characters_is_accepted)
{
    static const char pj[] =
        "{\"after_sale_id\":\"" PENDING_REFUND "\",\"remark\":\"a<b>&c=d'e\"}";
    char log_id[DD_LOG_ID_LEN + 1];
    expect_ok(&T, "afterSale.addOrderRemark", pj, NULL, log_id);
    struct tj j;
    entry_of(&T, log_id, &j);
    ck_assert_str_eq(tjstr(j.root, "verdict"), "plain");
    tj_free(&j);
}
END_TEST

START_TEST(test_get_with_param_json_in_the_query_is_accepted)
{
    struct tcall_opts o = {.get = true};
    struct dd_envelope env;
    ck_assert_int_eq(
        tcall(&T, "afterSale.List", "{\"page\":0,\"size\":3}", &o, &env), 200);
    ck_assert_int_eq(env.code, 10000);
    ck_assert_str_eq(tfield(&env, "total"), "8");
    ck_assert_str_eq(tfield(&env, "size"), "3");
    dd_envelope_free(&env);
}
END_TEST

START_TEST(test_form_post_with_every_parameter_as_a_field_is_accepted)
{
    struct tcall_opts o = {.form = true};
    struct dd_envelope env;
    ck_assert_int_eq(
        tcall(&T, "afterSale.List", "{\"page\":0,\"size\":2}", &o, &env), 200);
    ck_assert_int_eq(env.code, 10000);
    ck_assert_str_eq(tfield(&env, "size"), "2");
    dd_envelope_free(&env);
}
END_TEST

/* The official Go SDK's form: double slash, hmac-sha256, seconds. */
START_TEST(test_double_slash_path_is_accepted)
{
    struct tcall_opts o = {.path = "//afterSale/List", .hmac = true};
    expect_ok(&T, "afterSale.List", LIST_PJ, &o, NULL);
    struct tcall_opts o2 = {.path = "///afterSale//List"};
    expect_ok(&T, "afterSale.List", LIST_PJ, &o2, NULL);
}
END_TEST

START_TEST(test_path_matches_the_method_regardless_of_case)
{
    struct tcall_opts o = {.path = "/aftersale/list"};
    expect_ok(&T, "afterSale.List", LIST_PJ, &o, NULL);
}
END_TEST

START_TEST(test_millisecond_timestamp_is_accepted)
{
    char ts[32];
    snprintf(ts, sizeof ts, "%lld123", (long long)time(NULL));
    ck_assert_int_eq(strlen(ts), 13);
    struct tcall_opts o = {.timestamp = ts};
    expect_ok(&T, "afterSale.List", LIST_PJ, &o, NULL);
}
END_TEST

START_TEST(test_beijing_date_timestamp_is_accepted)
{
    time_t beijing = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&beijing, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
    struct tcall_opts o = {.timestamp = ts};
    expect_ok(&T, "afterSale.List", LIST_PJ, &o, NULL);
    /* The same wall-clock text read as UTC would be 8 h off. */
    time_t utc = time(NULL);
    gmtime_r(&utc, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                "isv.timestamp-invalid", NULL);
}
END_TEST

/* ========================================================= check order */

START_TEST(test_missing_app_key_is_app_id_missing)
{
    struct tcall_opts o = {.app_key = ""};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40001, "isv.app-id-missing",
                NULL);
}
END_TEST

START_TEST(test_app_key_not_of_19_digits_is_app_id_invalid)
{
    static const char *const bad[] = {"123456789012345678",
                                      "12345678901234567890",
                                      "12345678901234567a8", "abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tcall_opts o = {.app_key = bad[i]};
        expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                    "isv.app-id-invalid", NULL);
    }
}
END_TEST

START_TEST(test_unknown_app_key_is_app_id_invalid)
{
    struct tcall_opts o = {.app_key = "1234567890123456789"};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003, "isv.app-id-invalid",
                NULL);
}
END_TEST

START_TEST(test_missing_app_key_wins_over_missing_method)
{
    struct tcall_opts o = {.app_key = "", .method_param = ""};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40001, "isv.app-id-missing",
                NULL);
}
END_TEST

START_TEST(test_unknown_app_key_wins_over_a_method_mismatch)
{
    struct tcall_opts o = {.app_key = "1234567890123456789",
                           .path = "/afterSale/Detail"};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003, "isv.app-id-invalid",
                NULL);
}
END_TEST

START_TEST(test_missing_method_is_parameter_missing)
{
    struct tcall_opts o = {.method_param = ""};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40001,
                "isv.parameter-missing", NULL);
}
END_TEST

START_TEST(test_method_not_matching_the_path_is_parameter_invalid)
{
    struct tcall_opts o = {.path = "/afterSale/Detail"};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                "isv.parameter-invalid", NULL);
}
END_TEST

START_TEST(test_method_mismatch_wins_over_missing_timestamp)
{
    struct tcall_opts o = {.path = "/afterSale/Detail", .timestamp = ""};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                "isv.parameter-invalid", NULL);
}
END_TEST

START_TEST(test_missing_timestamp_is_parameter_missing)
{
    struct tcall_opts o = {.timestamp = ""};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40001,
                "isv.parameter-missing", NULL);
}
END_TEST

START_TEST(test_malformed_timestamp_is_timestamp_format_error)
{
    static const char *const bad[] = {"abc", "17000000001", "1700000000.5",
                                      "2024/01/02 03:04:05",
                                      "2024-01-02T03:04:05"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tcall_opts o = {.timestamp = bad[i]};
        expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                    "isv.timestamp-format-error", NULL);
    }
}
END_TEST

START_TEST(test_malformed_timestamp_wins_over_missing_sign)
{
    struct tcall_opts o = {.timestamp = "yesterday", .sign = ""};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                "isv.timestamp-format-error", NULL);
}
END_TEST

/* skew_seconds=60: a minute either way is fine, more is not. */
START_TEST(test_timestamp_outside_the_skew_window_is_timestamp_invalid)
{
    static const char *const sets[] = {"skew_seconds=60", NULL};
    struct tmock t;
    tmock_start(&t, sets);
    tmock_token(&t);
    static const int64_t bad[] = {-3600, 3600, -120, 120};
    char ts[32];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        seconds_now(ts, bad[i]);
        struct tcall_opts o = {.timestamp = ts};
        expect_fail(&t, "afterSale.List", LIST_PJ, &o, 40003,
                    "isv.timestamp-invalid", NULL);
    }
    seconds_now(ts, -30);
    struct tcall_opts o = {.timestamp = ts};
    expect_ok(&t, "afterSale.List", LIST_PJ, &o, NULL);
    seconds_now(ts, 30);
    expect_ok(&t, "afterSale.List", LIST_PJ, &o, NULL);
    tmock_stop(&t);
}
END_TEST

/* router.h: the timestamp (step 3) is checked before the signature (4). */
START_TEST(test_stale_timestamp_wins_over_missing_sign)
{
    char ts[32];
    seconds_now(ts, -3600);
    struct tcall_opts o = {.timestamp = ts, .sign = ""};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                "isv.timestamp-invalid", NULL);
}
END_TEST

START_TEST(test_stale_timestamp_wins_over_an_unknown_sign_method)
{
    char ts[32];
    seconds_now(ts, -3600);
    struct tcall_opts o = {.timestamp = ts, .sign_method = "sha1"};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                "isv.timestamp-invalid", NULL);
}
END_TEST

START_TEST(test_unknown_sign_method_is_parameter_invalid)
{
    struct tcall_opts o = {.sign_method = "sha1"};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                "isv.parameter-invalid", NULL);
}
END_TEST

START_TEST(test_explicit_md5_sign_method_is_accepted)
{
    struct tcall_opts o = {.sign_method = "md5"};
    expect_ok(&T, "afterSale.List", LIST_PJ, &o, NULL);
}
END_TEST

START_TEST(test_missing_sign_is_signature_missing)
{
    struct tcall_opts o = {.sign = ""};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40001,
                "isv.signature-missing", NULL);
}
END_TEST

START_TEST(test_unknown_sign_method_wins_over_missing_sign)
{
    struct tcall_opts o = {.sign_method = "sha1", .sign = ""};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                "isv.parameter-invalid", NULL);
}
END_TEST

START_TEST(test_param_json_that_is_not_json_is_parameter_format_invalid)
{
    struct tcall_opts o = {.sign = "0123456789abcdef0123456789abcdef"};
    expect_fail(&T, "afterSale.List", "{page:0,size:10}", &o, 40003,
                "isv.parameter-format-invalid", NULL);
    expect_fail(&T, "afterSale.List", "{\"page\":0,", &o, 40003,
                "isv.parameter-format-invalid", NULL);
}
END_TEST

START_TEST(test_param_json_that_is_not_an_object_is_parameter_format_invalid)
{
    /* In the query: a body of "[1,2]" labelled as a form is a form. */
    struct tcall_opts o = {.sign = "0123456789abcdef0123456789abcdef",
                           .get = true};
    expect_fail(&T, "afterSale.List", "[1,2]", &o, 40003,
                "isv.parameter-format-invalid", NULL);
}
END_TEST

START_TEST(test_missing_sign_wins_over_param_json_that_is_not_json)
{
    struct tcall_opts o = {.sign = ""};
    expect_fail(&T, "afterSale.List", "{page:0", &o, 40001,
                "isv.signature-missing", NULL);
}
END_TEST

START_TEST(test_sign_one_character_off_is_signature_invalid)
{
    struct tcall_opts o = {.corrupt_sign = true};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                "isv.signature-invalid", NULL);
    struct tcall_opts h = {.corrupt_sign = true, .hmac = true};
    expect_fail(&T, "afterSale.List", LIST_PJ, &h, 40003,
                "isv.signature-invalid", NULL);
}
END_TEST

START_TEST(test_sign_with_another_secret_is_signature_invalid)
{
    struct tcall_opts o = {.secret = "not-the-secret"};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                "isv.signature-invalid", NULL);
}
END_TEST

/* md5 signed, but announced as hmac-sha256: the algorithms are not mixed. */
START_TEST(test_md5_sign_sent_as_hmac_is_signature_invalid)
{
    struct tcall_opts o = {.sign_method = "hmac-sha256"};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                "isv.signature-invalid", NULL);
}
END_TEST

START_TEST(test_bad_signature_wins_over_an_unknown_api)
{
    struct tcall_opts o = {.corrupt_sign = true};
    expect_fail(&T, "afterSale.noSuchApi", "{}", &o, 40003,
                "isv.signature-invalid", NULL);
}
END_TEST

START_TEST(test_unknown_api_is_api_service_off)
{
    char log_id[DD_LOG_ID_LEN + 1];
    expect_fail(&T, "afterSale.noSuchApi", "{}", NULL, 70000,
                "isp.api-service-off", log_id);
    struct tj j;
    entry_of(&T, log_id, &j);
    const struct dd_json *k = tjnode(j.root, "known_unimplemented");
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(k->type, DD_JSON_FALSE);
    tj_free(&j);
}
END_TEST

START_TEST(test_known_unimplemented_api_is_api_service_off_and_marked)
{
    char log_id[DD_LOG_ID_LEN + 1];
    expect_fail(&T, "afterSale.timeExtend",
                "{\"aftersale_id\":\"" PENDING_REFUND "\"}", NULL, 70000,
                "isp.api-service-off", log_id);
    struct tj j;
    entry_of(&T, log_id, &j);
    const struct dd_json *k = tjnode(j.root, "known_unimplemented");
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(k->type, DD_JSON_TRUE);
    ck_assert_str_eq(tjstr(j.root, "method"), "afterSale.timeExtend");
    tj_free(&j);
}
END_TEST

START_TEST(test_unknown_api_wins_over_missing_access_token)
{
    struct tcall_opts o = {.access_token = ""};
    expect_fail(&T, "afterSale.noSuchApi", "{}", &o, 70000,
                "isp.api-service-off", NULL);
}
END_TEST

START_TEST(test_missing_access_token_is_access_token_missing)
{
    struct tcall_opts o = {.access_token = ""};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40001,
                "isv.access-token-missing", NULL);
}
END_TEST

START_TEST(test_unknown_access_token_is_access_token_no_existed)
{
    struct tcall_opts o = {.access_token = "no-such-token"};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                "isv.access-token-no-existed", NULL);
}
END_TEST

/* order.orderDetail without shop_order_id is 40002 (its own table), but
 * only once the token passed. */
START_TEST(test_access_token_is_checked_before_the_api_own_checks)
{
    struct tcall_opts o = {.access_token = ""};
    expect_fail(&T, "order.orderDetail", "{}", &o, 40001,
                "isv.access-token-missing", NULL);
    expect_fail(&T, "order.orderDetail", "{}", NULL, 40002,
                "isv.missing-parameter:20000", NULL);
}
END_TEST

/* Credentials and a token of a second world created through the admin
 * API. */
struct app {
    char app_key[20];
    char secret[40];
    char shop_id[24];
};

static void app_from_summary(const struct dd_json *root, struct app *a)
{
    ck_assert_ptr_nonnull(tjstr(root, "app_key"));
    snprintf(a->app_key, sizeof a->app_key, "%s", tjstr(root, "app_key"));
    snprintf(a->secret, sizeof a->secret, "%s", tjstr(root, "app_secret"));
    const char *shop = tjstr(root, "shops.0.shop_id");
    snprintf(a->shop_id, sizeof a->shop_id, "%s", shop ? shop : "");
}

/* token.create authorization_self for app `a`; the token into tok. */
static void self_token(struct tmock *t, const struct app *a, char tok[40])
{
    char pj[128];
    snprintf(pj, sizeof pj,
             "{\"code\":\"\",\"grant_type\":\"authorization_self\","
             "\"shop_id\":\"%s\"}",
             a->shop_id);
    struct tcall_opts o = {
        .app_key = a->app_key, .secret = a->secret, .access_token = ""};
    struct dd_envelope env;
    tcall(t, "token.create", pj, &o, &env);
    ck_assert_int_eq(env.code, 10000);
    snprintf(tok, 40, "%s", tfield(&env, "access_token"));
    dd_envelope_free(&env);
}

START_TEST(test_another_apps_access_token_is_access_token_invalid)
{
    struct tj j;
    tj_call(&T, "POST", "/_mock/worlds?default=1", NULL, &j);
    ck_assert_int_eq(j.status, 200);
    struct app other;
    app_from_summary(j.root, &other);
    tj_free(&j);
    ck_assert_str_ne(other.app_key, T.app_key);
    char tok[40];
    self_token(&T, &other, tok);
    /* Good for its own app ... */
    struct tcall_opts own = {
        .app_key = other.app_key, .secret = other.secret, .access_token = tok};
    expect_ok(&T, "afterSale.List", LIST_PJ, &own, NULL);
    /* ... and refused for the first one. */
    struct tcall_opts o = {.access_token = tok};
    expect_fail(&T, "afterSale.List", LIST_PJ, &o, 40003,
                "isv.access-token-invalid", NULL);
}
END_TEST

/* ============================================================== tokens */

struct pair {
    char access[40];
    char refresh[40];
    int64_t expires; /* expires_in: with expires_form=unix, absolute */
};

static void read_pair(const struct dd_envelope *env, struct pair *p)
{
    ck_assert_msg(env->code == 10000, "%lld %s", (long long)env->code,
                  env->sub_code);
    ck_assert_ptr_nonnull(tfield(env, "access_token"));
    ck_assert_ptr_nonnull(tfield(env, "refresh_token"));
    snprintf(p->access, sizeof p->access, "%s", tfield(env, "access_token"));
    snprintf(p->refresh, sizeof p->refresh, "%s", tfield(env, "refresh_token"));
    p->expires = strtoll(tfield(env, "expires_in"), NULL, 10);
}

static void create_pair(struct tmock *t, struct pair *p)
{
    char pj[128];
    snprintf(pj, sizeof pj,
             "{\"code\":\"\",\"grant_type\":\"authorization_self\","
             "\"shop_id\":%s}",
             t->shop_id);
    struct tcall_opts o = {.access_token = ""};
    struct dd_envelope env;
    tcall(t, "token.create", pj, &o, &env);
    read_pair(&env, p);
    dd_envelope_free(&env);
}

/* token.refresh; returns the answer's code (the pair in p on success). */
static int64_t refresh_pair(struct tmock *t, const char *refresh,
                            struct pair *p, const char *want_sub_code)
{
    char pj[128];
    snprintf(pj, sizeof pj,
             "{\"grant_type\":\"refresh_token\",\"refresh_token\":\"%s\"}",
             refresh);
    struct tcall_opts o = {.access_token = ""};
    struct dd_envelope env;
    tcall(t, "token.refresh", pj, &o, &env);
    int64_t code = env.code;
    if (want_sub_code)
        texpect_error(&env, 50001, want_sub_code);
    else
        read_pair(&env, p);
    dd_envelope_free(&env);
    return code;
}

static void list_with(struct tmock *t, const char *token,
                      const char *want_sub_code)
{
    struct tcall_opts o = {.access_token = token};
    if (want_sub_code)
        expect_fail(t, "afterSale.List", LIST_PJ, &o, 40003, want_sub_code,
                    NULL);
    else
        expect_ok(t, "afterSale.List", LIST_PJ, &o, NULL);
}

/* time_scale 604800 turns the 7-day token into a 1-second one. */
START_TEST(test_expired_access_token_is_access_token_expired)
{
    static const char *const sets[] = {"time_scale=604800", "expires_form=unix",
                                       NULL};
    struct tmock t;
    tmock_start(&t, sets);
    struct pair p;
    create_pair(&t, &p);
    ck_assert_int_le(p.expires, (int64_t)time(NULL) + 1);
    wait_until(p.expires);
    list_with(&t, p.access, "isv.access-token-expired");
    tmock_stop(&t);
}
END_TEST

START_TEST(test_refresh_long_before_expiry_returns_the_same_pair)
{
    static const char *const sets[] = {"expires_form=unix", NULL};
    struct tmock t;
    tmock_start(&t, sets);
    struct pair p0, p1;
    create_pair(&t, &p0);
    /* 7 days, as §2.3 says. */
    ck_assert_int_ge(p0.expires, (int64_t)time(NULL) + 604800 - 5);
    ck_assert_int_le(p0.expires, (int64_t)time(NULL) + 604800);
    refresh_pair(&t, p0.refresh, &p1, NULL);
    ck_assert_str_eq(p1.access, p0.access);
    ck_assert_str_eq(p1.refresh, p0.refresh);
    ck_assert_int_eq(p1.expires, p0.expires);
    list_with(&t, p0.access, NULL);
    tmock_stop(&t);
}
END_TEST

/* A window as long as the lifetime puts every refresh inside it. */
START_TEST(test_refresh_in_the_last_window_returns_a_new_pair)
{
    static const char *const sets[] = {
        "expires_form=unix", "access_token_ttl=60", "refresh_window=60",
        "old_pair_grace=30", NULL};
    struct tmock t;
    tmock_start(&t, sets);
    struct pair p0, p1, p2;
    create_pair(&t, &p0);
    refresh_pair(&t, p0.refresh, &p1, NULL);
    ck_assert_str_ne(p1.access, p0.access);
    ck_assert_str_ne(p1.refresh, p0.refresh);
    ck_assert_int_ge(p1.expires, p0.expires);
    /* Both pairs work during the grace. */
    list_with(&t, p0.access, NULL);
    list_with(&t, p1.access, NULL);
    /* The old pair refreshed again during its grace: yet another pair. */
    refresh_pair(&t, p0.refresh, &p2, NULL);
    ck_assert_str_ne(p2.access, p0.access);
    ck_assert_str_ne(p2.access, p1.access);
    list_with(&t, p1.access, NULL);
    tmock_stop(&t);
}
END_TEST

/* §2.3: "the old pair remains valid for 1 more hour" after a refresh in
 * the last hour, even when that hour ends after its own expiry. */
START_TEST(test_old_pair_keeps_working_past_its_expiry_during_the_grace)
{
    static const char *const sets[] = {"expires_form=unix",
                                       "access_token_ttl=3", "refresh_window=3",
                                       "old_pair_grace=30", NULL};
    struct tmock t;
    tmock_start(&t, sets);
    struct pair p0, p1;
    create_pair(&t, &p0);
    refresh_pair(&t, p0.refresh, &p1, NULL);
    ck_assert_str_ne(p1.access, p0.access);
    wait_until(p0.expires);
    list_with(&t, p0.access, NULL);
    tmock_stop(&t);
}
END_TEST

START_TEST(test_old_pair_dies_when_the_grace_ends)
{
    static const char *const sets[] = {
        "expires_form=unix", "access_token_ttl=60", "refresh_window=60",
        "old_pair_grace=1", NULL};
    struct tmock t;
    tmock_start(&t, sets);
    struct pair p0, p1, unused;
    create_pair(&t, &p0);
    refresh_pair(&t, p0.refresh, &p1, NULL);
    ck_assert_str_ne(p1.access, p0.access);
    /* Refreshed at p1.expires - 60; the grace ends a second later. */
    wait_until(p1.expires - 60 + 1);
    list_with(&t, p0.access, "isv.access-token-expired");
    refresh_pair(&t, p0.refresh, &unused,
                 "dop.token-generate-failed:token-expired");
    list_with(&t, p1.access, NULL);
    tmock_stop(&t);
}
END_TEST

START_TEST(test_refresh_after_expiry_returns_a_new_pair_and_kills_the_old)
{
    static const char *const sets[] = {"expires_form=unix",
                                       "access_token_ttl=1", NULL};
    struct tmock t;
    tmock_start(&t, sets);
    struct pair p0, p1, unused;
    create_pair(&t, &p0);
    wait_until(p0.expires);
    list_with(&t, p0.access, "isv.access-token-expired");
    refresh_pair(&t, p0.refresh, &p1, NULL);
    ck_assert_str_ne(p1.access, p0.access);
    ck_assert_str_ne(p1.refresh, p0.refresh);
    list_with(&t, p1.access, NULL);
    /* The old pair is dead at once: its refresh token too. */
    refresh_pair(&t, p0.refresh, &unused,
                 "dop.token-generate-failed:token-expired");
    list_with(&t, p0.access, "isv.access-token-expired");
    tmock_stop(&t);
}
END_TEST

START_TEST(test_refresh_with_an_unknown_refresh_token_is_token_invalid)
{
    struct pair unused;
    refresh_pair(&T, "no-such-refresh-token", &unused,
                 "dop.token-generate-failed:token-invalid");
}
END_TEST

/* A tool-type app gets its token with a one-time authorization code
 * issued through the admin API (§2.1, §2.2). */
START_TEST(test_authorization_code_works_exactly_once)
{
    struct tj j;
    tj_call(&T, "POST", "/_mock/worlds",
            "{\"app\":{\"type\":\"tool\"},"
            "\"shops\":[{\"shop_id\":\"30000001\",\"name\":\"工具店\"}]}",
            &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "app_type"), "tool");
    struct app tool;
    app_from_summary(j.root, &tool);
    tj_free(&j);

    char path[96];
    snprintf(path, sizeof path, "/_mock/worlds/%s/auth_codes", tool.app_key);
    tj_call(&T, "POST", path, "{\"shop_id\":\"30000001\"}", &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "shop_id"), "30000001");
    char code[64];
    snprintf(code, sizeof code, "%s", tjstr(j.root, "code"));
    tj_free(&j);

    char pj[160];
    snprintf(pj, sizeof pj,
             "{\"code\":\"%s\",\"grant_type\":\"authorization_code\"}", code);
    struct tcall_opts o = {
        .app_key = tool.app_key, .secret = tool.secret, .access_token = ""};
    struct dd_envelope env;
    tcall(&T, "token.create", pj, &o, &env);
    ck_assert_int_eq(env.code, 10000);
    ck_assert_str_eq(tfield(&env, "shop_id"), "30000001");
    ck_assert_str_eq(tfield(&env, "shop_name"), "工具店");
    dd_envelope_free(&env);
    expect_fail(&T, "token.create", pj, &o, 50001,
                "dop.token-generate-failed:code-invalid", NULL);
    expect_fail(&T, "token.create",
                "{\"code\":\"never-issued\","
                "\"grant_type\":\"authorization_code\"}",
                &o, 50001, "dop.token-generate-failed:code-invalid", NULL);
    expect_fail(&T, "token.create",
                "{\"code\":\"\",\"grant_type\":\"authorization_self\","
                "\"shop_id\":\"30000001\"}",
                &o, 50001, "dop.token-generate-failed:grant-type-invalid",
                NULL);
}
END_TEST

/* ============================================================ envelope */

/* Asserts that t->last_body is an envelope with exactly the six keys. */
static void expect_six_keys(struct tmock *t, bool ok)
{
    struct dd_json_doc doc;
    const struct dd_json *root = tjson(dd_buf_str(&t->last_body), &doc);
    ck_assert_int_eq(root->type, DD_JSON_OBJECT);
    ck_assert_int_eq(root->n, 6);
    static const char *const keys[] = {"code",    "msg",    "sub_code",
                                       "sub_msg", "log_id", "data"};
    for (size_t i = 0; i < 6; i++)
        ck_assert_msg(dd_json_get(root, keys[i]), "no %s in %s", keys[i],
                      dd_buf_str(&t->last_body));
    ck_assert_int_eq(dd_json_get(root, "code")->type, DD_JSON_NUMBER);
    ck_assert_int_eq(dd_json_get(root, "msg")->type, DD_JSON_STRING);
    ck_assert_int_eq(dd_json_get(root, "sub_code")->type, DD_JSON_STRING);
    ck_assert_int_eq(dd_json_get(root, "sub_msg")->type, DD_JSON_STRING);
    ck_assert(dd_log_id_valid(tjstr(root, "log_id")));
    const struct dd_json *data = dd_json_get(root, "data");
    if (!ok) {
        ck_assert_int_eq(data->type, DD_JSON_OBJECT);
        ck_assert_int_eq(data->n, 0);
    }
    dd_json_doc_free(&doc);
}

START_TEST(test_error_envelopes_are_http_200_with_all_six_keys)
{
    struct tcall_opts cases[] = {
        {.app_key = ""},
        {.corrupt_sign = true},
        {.timestamp = "bad"},
        {.access_token = "nope"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        expect_fail(&T, "afterSale.List", LIST_PJ, &cases[i],
                    i == 0 ? 40001 : 40003,
                    i == 0   ? "isv.app-id-missing"
                    : i == 1 ? "isv.signature-invalid"
                    : i == 2 ? "isv.timestamp-format-error"
                             : "isv.access-token-no-existed",
                    NULL);
        expect_six_keys(&T, false);
    }
    expect_fail(&T, "no.suchApi", "{}", NULL, 70000, "isp.api-service-off",
                NULL);
    expect_six_keys(&T, false);
    /* Not even a method in the path. */
    long status;
    ck_assert_int_eq(thttp(&T, "POST", "/", "{}", 2, NULL, &status), 0);
    ck_assert_int_eq(status, 200);
    expect_six_keys(&T, false);
}
END_TEST

START_TEST(test_success_envelope_has_all_six_keys_and_empty_sub_code)
{
    expect_ok(&T, "afterSale.List", LIST_PJ, NULL, NULL);
    expect_six_keys(&T, true);
}
END_TEST

/* GET /_mock/explain/{log_id} of a rejected signature shows what the
 * gateway expected, with the secret masked. The expected strings are
 * built here from the formula of open-api §1.5. */
START_TEST(test_explain_of_a_bad_sign_shows_the_expected_sign_without_secret)
{
    char ts[32];
    seconds_now(ts, 0);
    static const char canonical[] = "{\"page\":0,\"size\":10}";
    struct dd_sign_params sp = {T.app_key, "afterSale.List", canonical, ts,
                                "2"};
    char good[DD_SIGN_HEX_MAX];
    ck_assert_int_eq(dd_sign_compute(&sp, T.app_secret, DD_SIGN_MD5, good), 0);
    char bad[DD_SIGN_HEX_MAX];
    snprintf(bad, sizeof bad, "%s", good);
    bad[0] = bad[0] == 'a' ? 'b' : 'a';
    struct tcall_opts o = {.timestamp = ts, .sign = bad};
    char log_id[DD_LOG_ID_LEN + 1];
    /* Keys out of order and spaces: the canonical form is what counts. */
    expect_fail(&T, "afterSale.List", "{ \"size\": 10, \"page\": 0 }", &o,
                40003, "isv.signature-invalid", log_id);

    char path[96];
    snprintf(path, sizeof path, "/_mock/explain/%s", log_id);
    char *text;
    ck_assert_int_eq(tadmin(&T, "GET", path, NULL, &text), 200);
    ck_assert_ptr_null(strstr(text, T.app_secret));
    struct dd_json_doc doc;
    const struct dd_json *root = tjson(text, &doc);
    free(text);
    ck_assert_str_eq(tjstr(root, "log_id"), log_id);
    ck_assert_str_eq(tjstr(root, "verdict"), "mismatch");
    ck_assert_str_eq(tjstr(root, "sub_code"), "isv.signature-invalid");
    ck_assert_str_eq(tjstr(root, "explain.expected_sign"), good);
    ck_assert_str_eq(tjstr(root, "explain.received_sign"), bad);
    ck_assert_str_eq(tjstr(root, "explain.sign_method"), "md5");
    ck_assert_str_eq(tjstr(root, "explain.canonical_param_json"), canonical);
    ck_assert_str_eq(tjstr(root, "explain.matched"), "none");
    char want[512];
    snprintf(want, sizeof want,
             "<app_secret>app_key%smethodafterSale.Listparam_json%s"
             "timestamp%sv2<app_secret>",
             T.app_key, canonical, ts);
    ck_assert_str_eq(tjstr(root, "explain.string_to_sign"), want);
    dd_json_doc_free(&doc);
}
END_TEST

START_TEST(test_explain_of_a_bad_html_sign_shows_both_canonical_forms)
{
    char log_id[DD_LOG_ID_LEN + 1];
    struct tcall_opts o = {.corrupt_sign = true, .html_safe = true};
    expect_fail(&T, "afterSale.addOrderRemark",
                "{\"after_sale_id\":\"" PENDING_REFUND "\",\"remark\":\"<b>\"}",
                &o, 40003, "isv.signature-invalid", log_id);
    struct tj j;
    entry_of(&T, log_id, &j);
    ck_assert_str_eq(tjstr(j.root, "explain.canonical_param_json"),
                     "{\"after_sale_id\":\"" PENDING_REFUND
                     "\",\"remark\":\"<b>\"}");
    ck_assert_str_eq(tjstr(j.root, "explain.canonical_param_json_html_safe"),
                     "{\"after_sale_id\":\"" PENDING_REFUND
                     "\",\"remark\":\"\\u003cb\\u003e\"}");
    ck_assert_ptr_nonnull(tjstr(j.root, "explain.expected_sign_html_safe"));
    tj_free(&j);
}
END_TEST

/* Every header line is printable ASCII (open-api §1.5 issue 3 item 4). */
static void expect_ascii_headers(const struct tmock *t)
{
    const struct dd_buf *h = &t->last_headers;
    ck_assert_uint_gt(h->len, 0);
    for (size_t i = 0; i < h->len; i++) {
        unsigned char c = (unsigned char)h->data[i];
        ck_assert_msg((c >= 0x20 && c <= 0x7e) || c == '\r' || c == '\n' ||
                          c == '\t',
                      "byte 0x%02x in the headers: %s", c, dd_buf_str(h));
    }
}

START_TEST(test_no_response_header_carries_non_ascii)
{
    expect_ok(&T, "afterSale.List", LIST_PJ, NULL, NULL);
    expect_ascii_headers(&T);
    /* Chinese sub_msg in the body must not leak into a header. */
    expect_fail(&T, "afterSale.List", LIST_PJ,
                &(struct tcall_opts){.app_key = ""}, 40001,
                "isv.app-id-missing", NULL);
    expect_ascii_headers(&T);
    char *text;
    /* World names are Chinese. */
    ck_assert_int_eq(tadmin(&T, "GET", "/_mock/worlds", NULL, &text), 200);
    ck_assert_ptr_nonnull(strstr(text, "默认世界"));
    free(text);
    expect_ascii_headers(&T);
    ck_assert_int_eq(tadmin(&T, "GET", "/_mock/nothing/这里", NULL, &text),
                     404);
    free(text);
    expect_ascii_headers(&T);
}
END_TEST

/* ========================================================== keep-alive */

START_TEST(test_requests_on_one_handle_reuse_one_connection)
{
    long port = T.last_local_port;
    ck_assert_int_gt(port, 0);
    char *text;
    for (int i = 0; i < 8; i++) {
        switch (i % 4) {
        case 0:
            expect_ok(&T, "afterSale.List", LIST_PJ, NULL, NULL);
            break;
        case 1:
            expect_fail(&T, "afterSale.List", LIST_PJ,
                        &(struct tcall_opts){.corrupt_sign = true}, 40003,
                        "isv.signature-invalid", NULL);
            break;
        case 2:
            expect_ok(&T, "afterSale.List", LIST_PJ,
                      &(struct tcall_opts){.get = true}, NULL);
            break;
        default:
            ck_assert_int_eq(tadmin(&T, "GET", "/_mock/health", NULL, &text),
                             200);
            free(text);
        }
        ck_assert_msg(T.last_connects == 0, "request %d opened a connection",
                      i);
        ck_assert_int_eq(T.last_local_port, port);
    }
}
END_TEST

START_TEST(test_post_with_expect_100_continue_keeps_the_connection)
{
    long port = T.last_local_port;
    static const char *const hdr[] = {"Expect: 100-continue",
                                      "Content-Type: application/json", NULL};
    char body[4096];
    int n = snprintf(body, sizeof body, "{\"skew_seconds\":%d}", 600);
    memset(body + n, ' ', sizeof body - (size_t)n - 1);
    body[sizeof body - 1] = '\0';
    long status;
    ck_assert_int_eq(
        thttp(&T, "POST", "/_mock/settings", body, strlen(body), hdr, &status),
        0);
    ck_assert_int_eq(status, 200);
    ck_assert_ptr_nonnull(strstr(dd_buf_str(&T.last_headers), "100"));
    ck_assert_int_eq(T.last_connects, 0);
    ck_assert_int_eq(T.last_local_port, port);
    expect_ok(&T, "afterSale.List", LIST_PJ, NULL, NULL);
    ck_assert_int_eq(T.last_connects, 0);
    ck_assert_int_eq(T.last_local_port, port);
}
END_TEST

/* ============================================================ body cap */

/* `len` bytes of afterSale.List parameters: LIST_PJ padded with spaces. */
static char *padded_list(size_t len)
{
    char *s = malloc(len + 1);
    ck_assert_ptr_nonnull(s);
    size_t n = strlen(LIST_PJ);
    ck_assert_uint_ge(len, n);
    memcpy(s, LIST_PJ, n);
    memset(s + n, ' ', len - n);
    s[len] = '\0';
    return s;
}

START_TEST(test_body_over_the_cap_is_parameter_invalid_and_the_line_survives)
{
    static const char *const sets[] = {"body_max_bytes=1000", NULL};
    struct tmock t;
    tmock_start(&t, sets);
    tmock_token(&t);
    long port = t.last_local_port;
    char *at_cap = padded_list(1000), *over = padded_list(1001),
         *huge = padded_list(200000);
    expect_ok(&t, "afterSale.List", at_cap, NULL, NULL);
    char log_id[DD_LOG_ID_LEN + 1];
    expect_fail(&t, "afterSale.List", over, NULL, 40003,
                "isv.parameter-invalid", log_id);
    expect_six_keys(&t, false);
    struct tj j;
    entry_of(&t, log_id, &j);
    ck_assert_ptr_nonnull(strstr(tjstr(j.root, "note"), "over 1000 bytes"));
    ck_assert_str_eq(tjstr(j.root, "sub_code"), "isv.parameter-invalid");
    tj_free(&j);
    expect_fail(&t, "afterSale.List", huge, NULL, 40003,
                "isv.parameter-invalid", NULL);
    /* Same connection, still answering. */
    expect_ok(&t, "afterSale.List", LIST_PJ, NULL, NULL);
    ck_assert_int_eq(t.last_connects, 0);
    ck_assert_int_eq(t.last_local_port, port);
    free(at_cap);
    free(over);
    free(huge);
    tmock_stop(&t);
}
END_TEST

/* ============================================================= journal */

static int64_t journal_last_seq(struct tmock *t)
{
    struct tj j;
    tj_call(t, "GET", "/_mock/health", NULL, &j);
    ck_assert_int_eq(j.status, 200);
    int64_t seq = strtoll(tjstr(j.root, "journal_last_seq"), NULL, 10);
    tj_free(&j);
    return seq;
}

/* Finds the raw text of one entry's member, e.g. "params":{...}, by
 * checking that `needle` occurs inside the entry of `log_id` in `text`. */
static void expect_in_entry(const char *text, const char *log_id,
                            const char *needle)
{
    const char *at = strstr(text, log_id);
    ck_assert_ptr_nonnull(at);
    const char *next = strstr(at, "\"seq\":");
    const char *hit = strstr(at, needle);
    ck_assert_msg(hit && (!next || hit < next), "%s not in the entry of %s",
                  needle, log_id);
}

START_TEST(test_journal_records_every_api_call_with_its_verdict_and_params)
{
    int64_t since = journal_last_seq(&T);
    char id_plain[DD_LOG_ID_LEN + 1], id_html[DD_LOG_ID_LEN + 1],
        id_bad[DD_LOG_ID_LEN + 1], id_nokey[DD_LOG_ID_LEN + 1];
    /* One item: the journalled answer stays under the 8 KiB text cap. */
    expect_ok(&T, "afterSale.List", "{ \"size\" : 1 , \"page\" : 0 }", NULL,
              id_plain);
    expect_ok(&T, "afterSale.addOrderRemark",
              "{\"remark\":\"<ok>\",\"after_sale_id\":\"" PENDING_REFUND "\"}",
              &(struct tcall_opts){.html_safe = true}, id_html);
    expect_fail(&T, "afterSale.List", LIST_PJ,
                &(struct tcall_opts){.corrupt_sign = true}, 40003,
                "isv.signature-invalid", id_bad);
    expect_fail(&T, "afterSale.List", LIST_PJ,
                &(struct tcall_opts){.app_key = ""}, 40001,
                "isv.app-id-missing", id_nokey);

    char path[96];
    snprintf(path, sizeof path, "/_mock/journal?kind=api&since=%lld",
             (long long)since);
    char *text;
    ck_assert_int_eq(tadmin(&T, "GET", path, NULL, &text), 200);
    struct dd_json_doc doc;
    const struct dd_json *root = tjson(text, &doc);
    const struct dd_json *entries = dd_json_get(root, "entries");
    ck_assert_ptr_nonnull(entries);
    ck_assert_int_eq(entries->n, 4);
    static const struct {
        const char *method, *verdict, *code, *sub_code;
    } want[] = {
        {"afterSale.List", "plain", "10000", ""},
        {"afterSale.addOrderRemark", "html-safe", "10000", ""},
        {"afterSale.List", "mismatch", "40003", "isv.signature-invalid"},
        {"afterSale.List", "not-checked", "40001", "isv.app-id-missing"},
    };
    const char *ids[] = {id_plain, id_html, id_bad, id_nokey};
    for (size_t i = 0; i < 4; i++) {
        const struct dd_json *e = &entries->kids[i];
        ck_assert_str_eq(tjstr(e, "kind"), "api");
        ck_assert_str_eq(tjstr(e, "log_id"), ids[i]);
        ck_assert_str_eq(tjstr(e, "method"), want[i].method);
        ck_assert_str_eq(tjstr(e, "verdict"), want[i].verdict);
        ck_assert_str_eq(tjstr(e, "code"), want[i].code);
        ck_assert_str_eq(tjstr(e, "sub_code"), want[i].sub_code);
        ck_assert_str_eq(tjstr(e, "app_key"), i == 3 ? "" : T.app_key);
        ck_assert_ptr_nonnull(tjstr(e, "latency_us"));
    }
    /* params is the canonical param_json, as JSON. */
    expect_in_entry(text, id_plain, "\"params\":{\"page\":0,\"size\":1}");
    expect_in_entry(text, id_html,
                    "\"params\":{\"after_sale_id\":\"" PENDING_REFUND
                    "\",\"remark\":\"<ok>\"}");
    ck_assert_ptr_nonnull(tjnode(&entries->kids[0], "response.items"));
    ck_assert_ptr_nonnull(tjnode(&entries->kids[2], "explain"));
    dd_json_doc_free(&doc);
    free(text);
}
END_TEST

START_TEST(test_journal_keeps_at_most_journal_capacity_entries)
{
    static const char *const sets[] = {"journal_capacity=50", NULL};
    struct tmock t;
    tmock_start(&t, sets);
    tmock_token(&t);
    for (int i = 0; i < 200; i++)
        expect_ok(&t, "afterSale.List", "{\"page\":0,\"size\":1}", NULL, NULL);
    struct tj j;
    tj_call(&t, "GET", "/_mock/journal", NULL, &j);
    ck_assert_int_eq(j.status, 200);
    int64_t last = strtoll(tjstr(j.root, "last_seq"), NULL, 10);
    ck_assert_int_ge(last, 201);
    const struct dd_json *entries = dd_json_get(j.root, "entries");
    ck_assert_int_eq(entries->n, 50);
    ck_assert_int_eq(strtoll(tjstr(&entries->kids[49], "seq"), NULL, 10), last);
    ck_assert_int_eq(strtoll(tjstr(&entries->kids[0], "seq"), NULL, 10),
                     last - 49);
    tj_free(&j);
    /* seq keeps growing. */
    expect_ok(&t, "afterSale.List", "{\"page\":0,\"size\":1}", NULL, NULL);
    ck_assert_int_gt(journal_last_seq(&t), last);
    tmock_stop(&t);
}
END_TEST

/* ========================================================== robustness */

static const char *const atoms[] = {
    "/",
    "//",
    "afterSale",
    "List",
    "Detail",
    "%",
    "%4",
    "%zz",
    "%00",
    "%E4%B8%AD",
    "..",
    ".",
    "?",
    "&",
    "=",
    "%FF",
    "+",
    "~",
    "a",
    "0",
    "99999999999999999999999",
    "{",
    "}",
    "%22",
    "token",
    "create",
    ";",
    ",",
    "%2F",
    "param_json",
    "app_key",
    "method",
    "sign",
    "timestamp",
    "v",
    "access_token",
    "sign_method",
    "8192185014346937746",
    "hmac-sha256",
    "%C3%28",
    "\xe4\xb8",
    "_mock",
};

static void append_atoms(struct dd_buf *b, int n)
{
    for (int i = 0; i < n; i++)
        dd_buf_puts(b, atoms[rand() % (int)(sizeof atoms / sizeof atoms[0])]);
}

static void random_bytes(struct dd_buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dd_buf_putc(b, (char)(rand() & 0xff));
}

/* A request signed correctly whose body then has one byte changed. */
static void mutated_signed_target(struct tmock *t, struct dd_buf *target,
                                  struct dd_buf *body)
{
    static const char pj[] = "{\"page\":0,\"size\":1}";
    char ts[32];
    seconds_now(ts, 0);
    struct dd_sign_params sp = {t->app_key, "afterSale.List", pj, ts, "2"};
    char sign[DD_SIGN_HEX_MAX];
    dd_sign_compute(&sp, t->app_secret, DD_SIGN_MD5, sign);
    dd_buf_printf(target,
                  "/afterSale/List?app_key=%s&method=afterSale.List&"
                  "timestamp=%s&v=2&sign=%s&access_token=%s",
                  t->app_key, ts, sign, t->token);
    dd_buf_puts(body, pj);
    body->data[(size_t)rand() % body->len] ^= (char)(1 << (rand() % 7));
}

/* One random malformed request through libcurl. Returns true when an
 * answer arrived; checks that an API answer is a proper envelope. */
static bool one_curl_request(struct tmock *t, int kind)
{
    static const char *const verbs[] = {"GET",   "POST",    "PUT",  "DELETE",
                                        "PATCH", "OPTIONS", "HEAD", "FOO",
                                        "TRACE", "G_E-T"};
    static const char *const ctypes[] = {
        NULL, "Content-Type: application/x-www-form-urlencoded",
        "Content-Type: application/json", "Content-Type: text/plain",
        "Content-Type: multipart/form-data; boundary=x"};
    struct dd_buf target, body, big;
    dd_buf_init(&target, 0);
    dd_buf_init(&body, 0);
    dd_buf_init(&big, 0);
    const char *verb = verbs[rand() % 10];
    const char *hdrs[3] = {ctypes[rand() % 5], NULL, NULL};
    bool api = true;
    switch (kind) {
    case 0: /* random path */
        dd_buf_putc(&target, '/');
        append_atoms(&target, 1 + rand() % 8);
        break;
    case 1: /* API path, random query */
        dd_buf_puts(&target, "/afterSale/List?");
        append_atoms(&target, 1 + rand() % 12);
        break;
    case 2: /* random body bytes, some NULs */
        dd_buf_puts(&target, "/afterSale/List?app_key=");
        dd_buf_puts(&target, t->app_key);
        random_bytes(&body, (size_t)(rand() % 2000));
        verb = "POST";
        break;
    case 3: /* signed, then one body byte flipped */
        mutated_signed_target(t, &target, &body);
        verb = "POST";
        hdrs[0] = NULL;
        break;
    case 4: /* a header over the connection's memory */
        dd_buf_puts(&big, "X-Big: ");
        for (int i = 0; i < 70000; i++)
            dd_buf_putc(&big, (char)('a' + rand() % 26));
        hdrs[0] = dd_buf_str(&big);
        dd_buf_puts(&target, "/afterSale/List");
        api = false; /* libmicrohttpd answers that itself */
        break;
    case 5: /* more query parameters than allowed */
        dd_buf_puts(&target, "/afterSale/List?");
        for (int i = 0; i < 70 + rand() % 30; i++)
            dd_buf_printf(&target, "k%d=%d&", i, rand());
        break;
    case 6: /* deeply nested JSON body */
        dd_buf_puts(&target, "/afterSale/List?app_key=");
        dd_buf_puts(&target, t->app_key);
        for (int i = 0; i < 5000 + rand() % 5000; i++)
            dd_buf_putc(&body, rand() % 2 ? '[' : '{');
        verb = "POST";
        break;
    default: /* admin reads of random things */
        dd_buf_puts(&target, "/_mock/");
        append_atoms(&target, 1 + rand() % 6);
        verb = "GET";
        api = false;
        break;
    }
    if (strchr(dd_buf_str(&target), '?') == NULL && rand() % 2) {
        dd_buf_putc(&target, '?');
        append_atoms(&target, rand() % 6);
    }
    if (strcmp(verb, "HEAD") == 0)
        api = false;
    long status = 0;
    int rc = thttp(t, verb, dd_buf_str(&target), body.len ? body.data : NULL,
                   body.len, hdrs, &status);
    /* A path that went to the admin API answers plain JSON. */
    const char *p = dd_buf_str(&target);
    while (p[0] == '/' && p[1] == '/')
        p++;
    if (strncmp(p, "/_mock", 6) == 0)
        api = false;
    if (rc == 0 && api && status == 200) {
        struct dd_envelope env;
        struct dd_json_error e;
        ck_assert_msg(dd_envelope_parse(t->last_body.data, t->last_body.len,
                                        &env, &e) == 0,
                      "%s %s: not an envelope: %.200s", verb,
                      dd_buf_str(&target), dd_buf_str(&t->last_body));
        ck_assert(dd_log_id_valid(env.log_id));
        /* Nothing sent here is a valid call. */
        ck_assert_int_ne(env.code, 10000);
        dd_envelope_free(&env);
    }
    dd_buf_free(&target);
    dd_buf_free(&body);
    dd_buf_free(&big);
    return rc == 0;
}

/* One raw TCP exchange of garbage or a broken request. Returns true when
 * the server wrote something; whatever it wrote starts like HTTP.
 * Complete requests ask for "Connection: close" and garbage gets a 400
 * and a close, so the reply is read until the server closes; a request
 * left unfinished is just dropped (no answer can be expected, and
 * libmicrohttpd's epoll mode does not notice a FIN that arrives together
 * with the data, so waiting for its close would take the idle timeout). */
static bool one_raw_request(struct tmock *t, int kind)
{
    struct dd_buf req;
    dd_buf_init(&req, 0);
    bool unfinished = false, must_answer = true;
    switch (kind) {
    case 0: /* random bytes, then an empty line so the server can judge */
        random_bytes(&req, 1 + (size_t)(rand() % 3000));
        dd_buf_puts(&req, "\r\n\r\n");
        must_answer = false; /* closing without a word is fine too */
        break;
    case 1: /* headers never finished */
        dd_buf_puts(&req, "POST /afterSale/List HTTP/1.1\r\nHost: x\r\n");
        random_bytes(&req, (size_t)(rand() % 40));
        unfinished = true;
        break;
    case 2: /* body shorter than announced */
        dd_buf_printf(&req,
                      "POST /afterSale/List?app_key=%s HTTP/1.1\r\n"
                      "Host: x\r\nContent-Length: %d\r\n\r\n{\"pa",
                      t->app_key, 100 + rand() % 1000);
        unfinished = true;
        break;
    case 3: /* broken chunked encoding */
        dd_buf_puts(&req, "POST /afterSale/List HTTP/1.1\r\nHost: x\r\n"
                          "Transfer-Encoding: chunked\r\n\r\nzz\r\n");
        random_bytes(&req, (size_t)(rand() % 64));
        break;
    case 4: /* a complete request with a garbage target */
        dd_buf_puts(&req, "GET /");
        append_atoms(&req, 1 + rand() % 6);
        dd_buf_puts(&req, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        break;
    case 5: /* unknown protocol version, or none */
        dd_buf_puts(&req, rand() % 2 ? "GET / HTTP/9.9\r\n\r\n"
                                     : "GET /afterSale/List\r\n\r\n");
        break;
    case 6: /* a request line of 100 KB */
        dd_buf_puts(&req, "GET /");
        for (int i = 0; i < 100000; i++)
            dd_buf_putc(&req, 'a');
        dd_buf_puts(&req, " HTTP/1.1\r\nHost: x\r\n\r\n");
        break;
    case 7: /* a NUL byte in the request line */
        dd_buf_append(&req, "GET /after\0Sale/List HTTP/1.1\r\n", 31);
        dd_buf_puts(&req, "Connection: close\r\n\r\n");
        break;
    case 8: /* a request cut anywhere, then the connection dropped */
        dd_buf_printf(&req,
                      "POST /afterSale/List?app_key=%s&method=afterSale.List "
                      "HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n"
                      "{\"page\":0,\"size\":1}",
                      t->app_key);
        req.len = (size_t)(rand() % (int)req.len);
        unfinished = true;
        break;
    default: /* two pipelined requests, the second broken */
        dd_buf_printf(&req, "GET /afterSale/List HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /%%zz HTTP/1.1\r\nContent-Length: -5\r\n\r\n");
        break;
    }
    char reply[256];
    size_t got = traw(t, req.data, req.len, !unfinished, unfinished ? 0 : 5000,
                      reply, sizeof reply);
    if (got >= 5)
        ck_assert_msg(strncmp(reply, "HTTP/", 5) == 0,
                      "raw case %d answered: %.60s", kind, reply);
    if (!unfinished && must_answer)
        ck_assert_msg(got > 0, "raw case %d got no answer", kind);
    dd_buf_free(&req);
    return got > 0;
}

START_TEST(test_server_answers_correctly_after_1000_malformed_requests)
{
    srand(20240611);
    int curl_answers = 0, raw_answers = 0, curl_sent = 0, raw_sent = 0;
    for (int i = 0; i < 1000; i++) {
        if (i % 10 < 7) {
            curl_sent++;
            curl_answers += one_curl_request(&T, rand() % 8);
        } else {
            raw_sent++;
            raw_answers += one_raw_request(&T, rand() % 10);
        }
    }
    /* Most requests reached the server and were answered. */
    ck_assert_int_ge(curl_answers, curl_sent * 9 / 10);
    ck_assert_int_ge(raw_answers, raw_sent / 2);
    ck_assert_int_gt(raw_sent, 0);
    /* The server is alive and still right. */
    char *text;
    ck_assert_int_eq(tadmin(&T, "GET", "/_mock/health", NULL, &text), 200);
    ck_assert_ptr_nonnull(strstr(text, "\"ok\":true"));
    free(text);
    struct dd_envelope env;
    ck_assert_int_eq(tcall(&T, "afterSale.List", LIST_PJ, NULL, &env), 200);
    ck_assert_int_eq(env.code, 10000);
    ck_assert_str_eq(tfield(&env, "total"), "8");
    dd_envelope_free(&env);
}
END_TEST

/* ============================================================== suite */

static TCase *tcase(Suite *s, const char *name, bool fixture, int timeout)
{
    TCase *tc = tcase_create(name);
    if (fixture)
        tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, timeout);
    suite_add_tcase(s, tc);
    return tc;
}

Suite *mock_front_suite(void)
{
    Suite *s = suite_create("mock_front");
    TCase *tc = tcase(s, "accepted", true, 60);
    tcase_add_test(tc, test_md5_signature_without_sign_method_is_accepted);
    tcase_add_test(tc, test_hmac_sha256_signature_is_accepted);
    tcase_add_test(tc, test_html_safe_signature_of_a_remark_is_accepted);
    tcase_add_test(
        tc, test_plain_signature_of_a_remark_with_html_characters_is_accepted);
    tcase_add_test(tc, test_get_with_param_json_in_the_query_is_accepted);
    tcase_add_test(tc,
                   test_form_post_with_every_parameter_as_a_field_is_accepted);
    tcase_add_test(tc, test_double_slash_path_is_accepted);
    tcase_add_test(tc, test_path_matches_the_method_regardless_of_case);
    tcase_add_test(tc, test_millisecond_timestamp_is_accepted);
    tcase_add_test(tc, test_beijing_date_timestamp_is_accepted);
    tcase_add_test(tc, test_explicit_md5_sign_method_is_accepted);

    tc = tcase(s, "check_order", true, 60);
    tcase_add_test(tc, test_missing_app_key_is_app_id_missing);
    tcase_add_test(tc, test_app_key_not_of_19_digits_is_app_id_invalid);
    tcase_add_test(tc, test_unknown_app_key_is_app_id_invalid);
    tcase_add_test(tc, test_missing_app_key_wins_over_missing_method);
    tcase_add_test(tc, test_unknown_app_key_wins_over_a_method_mismatch);
    tcase_add_test(tc, test_missing_method_is_parameter_missing);
    tcase_add_test(tc, test_method_not_matching_the_path_is_parameter_invalid);
    tcase_add_test(tc, test_method_mismatch_wins_over_missing_timestamp);
    tcase_add_test(tc, test_missing_timestamp_is_parameter_missing);
    tcase_add_test(tc, test_malformed_timestamp_is_timestamp_format_error);
    tcase_add_test(tc, test_malformed_timestamp_wins_over_missing_sign);
    tcase_add_test(tc, test_stale_timestamp_wins_over_missing_sign);
    tcase_add_test(tc, test_stale_timestamp_wins_over_an_unknown_sign_method);
    tcase_add_test(tc, test_unknown_sign_method_is_parameter_invalid);
    tcase_add_test(tc, test_missing_sign_is_signature_missing);
    tcase_add_test(tc, test_unknown_sign_method_wins_over_missing_sign);
    tcase_add_test(
        tc, test_param_json_that_is_not_json_is_parameter_format_invalid);
    tcase_add_test(
        tc, test_param_json_that_is_not_an_object_is_parameter_format_invalid);
    tcase_add_test(tc, test_missing_sign_wins_over_param_json_that_is_not_json);
    tcase_add_test(tc, test_sign_one_character_off_is_signature_invalid);
    tcase_add_test(tc, test_sign_with_another_secret_is_signature_invalid);
    tcase_add_test(tc, test_md5_sign_sent_as_hmac_is_signature_invalid);
    tcase_add_test(tc, test_bad_signature_wins_over_an_unknown_api);
    tcase_add_test(tc, test_unknown_api_is_api_service_off);
    tcase_add_test(tc,
                   test_known_unimplemented_api_is_api_service_off_and_marked);
    tcase_add_test(tc, test_unknown_api_wins_over_missing_access_token);
    tcase_add_test(tc, test_missing_access_token_is_access_token_missing);
    tcase_add_test(tc, test_unknown_access_token_is_access_token_no_existed);
    tcase_add_test(tc, test_access_token_is_checked_before_the_api_own_checks);
    tcase_add_test(tc, test_another_apps_access_token_is_access_token_invalid);

    tc = tcase(s, "check_order_settings", false, 60);
    tcase_add_test(tc,
                   test_timestamp_outside_the_skew_window_is_timestamp_invalid);

    tc = tcase(s, "tokens", false, 60);
    tcase_add_test(tc, test_expired_access_token_is_access_token_expired);
    tcase_add_test(tc, test_refresh_long_before_expiry_returns_the_same_pair);
    tcase_add_test(tc, test_refresh_in_the_last_window_returns_a_new_pair);
    tcase_add_test(
        tc, test_old_pair_keeps_working_past_its_expiry_during_the_grace);
    tcase_add_test(tc, test_old_pair_dies_when_the_grace_ends);
    tcase_add_test(
        tc, test_refresh_after_expiry_returns_a_new_pair_and_kills_the_old);

    tc = tcase(s, "tokens_default", true, 60);
    tcase_add_test(tc,
                   test_refresh_with_an_unknown_refresh_token_is_token_invalid);
    tcase_add_test(tc, test_authorization_code_works_exactly_once);

    tc = tcase(s, "envelope", true, 60);
    tcase_add_test(tc, test_error_envelopes_are_http_200_with_all_six_keys);
    tcase_add_test(tc,
                   test_success_envelope_has_all_six_keys_and_empty_sub_code);
    tcase_add_test(
        tc, test_explain_of_a_bad_sign_shows_the_expected_sign_without_secret);
    tcase_add_test(tc,
                   test_explain_of_a_bad_html_sign_shows_both_canonical_forms);
    tcase_add_test(tc, test_no_response_header_carries_non_ascii);

    tc = tcase(s, "keepalive", true, 60);
    tcase_add_test(tc, test_requests_on_one_handle_reuse_one_connection);
    tcase_add_test(tc, test_post_with_expect_100_continue_keeps_the_connection);

    tc = tcase(s, "body_cap", false, 60);
    tcase_add_test(
        tc, test_body_over_the_cap_is_parameter_invalid_and_the_line_survives);

    tc = tcase(s, "journal", true, 60);
    tcase_add_test(
        tc, test_journal_records_every_api_call_with_its_verdict_and_params);
    tc = tcase(s, "journal_bound", false, 120);
    tcase_add_test(tc, test_journal_keeps_at_most_journal_capacity_entries);

    tc = tcase(s, "robustness", true, 300);
    tcase_add_test(tc,
                   test_server_answers_correctly_after_1000_malformed_requests);
    return s;
}
