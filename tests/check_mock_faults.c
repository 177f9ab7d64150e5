/*
 * check_mock_faults.c: tests of ddmock's fault injection (mock/faults.c,
 * the response-side faults of mock/http.c; mock/README.md "Fault
 * injection"): each API fault kind end to end through real HTTP (error
 * rows exact, count, probability determinism, disarm, latency that does
 * not block the loop, reset, truncated body, rate limit and its recovery,
 * page drift across two page fetches), the token faults (revoke, forced
 * expiry then token.refresh), the admin API's validation and listing, the
 * journal entries of firings, and the push fault decisions
 * (mock_faults_push) on an in-process server without sockets.
 *
 * Expected codes and strings are typed from doudian-open-api.md §3 (the
 * rows of proto/dd_errtab.def), never read back from the code under test.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "faults.h"
#include "mock_util.h"
#include "router.h"
#include "suites.h"
#include "worldfile.h"

#define LIST_P0 "{\"page\":0,\"size\":3}"
#define AS_101  "7000000000000000101"

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

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An admin call that must answer `want`; returns the body (free()). */
static char *admin(struct tmock *t, long want, const char *verb,
                   const char *body, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static char *admin(struct tmock *t, long want, const char *verb,
                   const char *body, const char *fmt, ...)
{
    char path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    char *out = NULL;
    long st = tadmin(t, verb, path, body, &out);
    ck_assert_msg(st == want, "%s %s: HTTP %ld, wanted %ld: %s", verb, path, st,
                  want, out);
    return out;
}

/* Arms a fault on t's world; returns its id. */
static int64_t arm(struct tmock *t, const char *body)
{
    char *out =
        admin(t, 200, "POST", body, "/_mock/worlds/%s/faults", t->app_key);
    struct dd_json_doc doc;
    const struct dd_json *root = tjson(out, &doc);
    int64_t id = -1;
    ck_assert_int_eq(dd_json_int64(dd_json_get(root, "fault_id"), &id), 0);
    dd_json_doc_free(&doc);
    free(out);
    return id;
}

/* The integer `key` of armed fault `id` from GET .../faults. */
static int64_t fault_field(struct tmock *t, int64_t id, const char *key)
{
    char *out = admin(t, 200, "GET", NULL, "/_mock/worlds/%s/faults/%lld",
                      t->app_key, (long long)id);
    struct dd_json_doc doc;
    const struct dd_json *root = tjson(out, &doc);
    int64_t v = -1;
    const struct dd_json *n = dd_json_get(root, key);
    ck_assert_msg(n != NULL, "no %s in %s", key, out);
    if (n->type == DD_JSON_TRUE || n->type == DD_JSON_FALSE)
        v = n->type == DD_JSON_TRUE;
    else
        ck_assert_int_eq(dd_json_int64(n, &v), 0);
    dd_json_doc_free(&doc);
    free(out);
    return v;
}

/* Sends `method` and returns its code; the envelope is freed. */
static int64_t code_of(struct tmock *t, const char *method, const char *pj)
{
    struct dd_envelope env;
    ck_assert_int_eq(tcall(t, method, pj, NULL, &env), 200);
    int64_t code = env.code;
    dd_envelope_free(&env);
    return code;
}

/* ================================================================ errors */

START_TEST(test_an_api_error_answers_the_exact_row_count_times)
{
    int64_t id =
        arm(&T, "{\"kind\":\"api_error\",\"method\":\"afterSale.List\","
                "\"sub_code\":\"isp.service-error:10000\","
                "\"count\":2}");
    for (int i = 0; i < 2; i++) {
        struct dd_envelope env;
        tcall(&T, "afterSale.List", LIST_P0, NULL, &env);
        /* §3.4 afterSale.List: 20000 · 系统错误 · 系统超时 ·
         * isp.service-error:10000 */
        texpect_error(&env, 20000, "isp.service-error:10000");
        ck_assert_str_eq(env.msg, "系统错误");
        ck_assert_str_eq(env.sub_msg, "系统超时");
        dd_envelope_free(&env);
    }
    ck_assert_int_eq(code_of(&T, "afterSale.List", LIST_P0), 10000);
    /* another method is not touched */
    ck_assert_int_eq(
        code_of(&T, "afterSale.Detail", "{\"after_sale_id\":\"" AS_101 "\"}"),
        10000);
    ck_assert_int_eq(fault_field(&T, id, "firings"), 2);
    ck_assert_int_eq(fault_field(&T, id, "seen"), 3);
    ck_assert_int_eq(fault_field(&T, id, "active"), 0);
}
END_TEST

START_TEST(test_a_platform_error_without_method_hits_every_api)
{
    arm(&T, "{\"kind\":\"api_error\",\"sub_code\":\"isv.traffic-limited\"}");
    const char *methods[] = {"afterSale.List", "afterSale.Detail",
                             "order.orderDetail"};
    const char *params[] = {LIST_P0, "{\"after_sale_id\":\"" AS_101 "\"}",
                            "{\"shop_order_id\":\"6920000000000000101\"}"};
    for (int i = 0; i < 3; i++) {
        struct dd_envelope env;
        tcall(&T, methods[i], params[i], NULL, &env);
        /* §3.3: 60000 isv.traffic-limited 请求太频繁，请稍后重试 */
        texpect_error(&env, 60000, "isv.traffic-limited");
        ck_assert_str_eq(env.msg, "触发限流，请稍后重试");
        ck_assert_str_eq(env.sub_msg, "请求太频繁，请稍后重试");
        dd_envelope_free(&env);
    }
}
END_TEST

START_TEST(test_disarming_a_fault_stops_it_at_once)
{
    int64_t id =
        arm(&T, "{\"kind\":\"api_error\",\"method\":\"afterSale.List\","
                "\"sub_code\":\"isp.service-error:10002\"}");
    arm(&T, "{\"kind\":\"api_error\",\"method\":\"afterSale.Detail\","
            "\"sub_code\":\"isp.service-error:10000\"}");
    struct dd_envelope env;
    tcall(&T, "afterSale.List", LIST_P0, NULL, &env);
    texpect_error(&env, 20000, "isp.service-error:10002");
    ck_assert_str_eq(env.sub_msg, "系统处理失败");
    dd_envelope_free(&env);
    char *out = admin(&T, 200, "DELETE", NULL, "/_mock/worlds/%s/faults/%lld",
                      T.app_key, (long long)id);
    ck_assert_ptr_nonnull(strstr(out, "\"disarmed\":1"));
    free(out);
    ck_assert_int_eq(code_of(&T, "afterSale.List", LIST_P0), 10000);
    ck_assert_int_eq(
        code_of(&T, "afterSale.Detail", "{\"after_sale_id\":\"" AS_101 "\"}"),
        20000);
    out = admin(&T, 404, "GET", NULL, "/_mock/worlds/%s/faults/%lld", T.app_key,
                (long long)id);
    free(out);
    out = admin(&T, 200, "DELETE", NULL, "/_mock/worlds/%s/faults", T.app_key);
    ck_assert_ptr_nonnull(strstr(out, "\"disarmed\":1"));
    free(out);
    ck_assert_int_eq(
        code_of(&T, "afterSale.Detail", "{\"after_sale_id\":\"" AS_101 "\"}"),
        10000);
    out = admin(&T, 200, "GET", NULL, "/_mock/worlds/%s/faults", T.app_key);
    ck_assert_str_eq(out, "{\"faults\":[]}");
    free(out);
}
END_TEST

START_TEST(test_every_firing_is_journalled_with_its_fault_and_number)
{
    arm(&T, "{\"kind\":\"api_error\",\"method\":\"afterSale.List\","
            "\"sub_code\":\"isp.service-error:10000\",\"count\":2}");
    for (int i = 0; i < 3; i++)
        code_of(&T, "afterSale.List", LIST_P0);
    char *out = admin(&T, 200, "GET", NULL, "/_mock/journal?kind=fault");
    struct dd_json_doc doc;
    const struct dd_json *root = tjson(out, &doc);
    const struct dd_json *e = dd_json_get(root, "entries");
    ck_assert_uint_eq(e->n, 2);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_str_eq(tjstr(&e->kids[i], "kind"), "fault");
        ck_assert_str_eq(tjstr(&e->kids[i], "method"), "fault.api_error");
        ck_assert_str_eq(tjstr(&e->kids[i], "app_key"), T.app_key);
        char want[128];
        snprintf(want, sizeof want,
                 "fault #1 fired on afterSale.List (firing %zu): 20000 "
                 "isp.service-error:10000",
                 i + 1);
        ck_assert_str_eq(tjstr(&e->kids[i], "note"), want);
    }
    dd_json_doc_free(&doc);
    free(out);
    /* the API call's own entry names the fault */
    out = admin(&T, 200, "GET", NULL, "/_mock/journal?kind=api");
    ck_assert_ptr_nonnull(strstr(out, "injected fault #1"));
    free(out);
}
END_TEST

/* ================================================================ determinism
 */

/* Runs 50 afterSale.List calls on a fresh server (seed 7, default world)
 * with a probability-0.5 fault armed, optionally with Detail calls (and a
 * fault of their own) interleaved; writes 'X' for a failed call, '.' for a
 * success. */
static void pattern(char out[51], bool interleave)
{
    struct tmock t;
    tmock_start(&t, NULL);
    tmock_token(&t);
    arm(&t, "{\"kind\":\"api_error\",\"method\":\"afterSale.List\","
            "\"sub_code\":\"isp.service-error:10000\",\"probability\":0.5}");
    if (interleave)
        arm(&t, "{\"kind\":\"api_error\",\"method\":\"afterSale.Detail\","
                "\"sub_code\":\"isp.service-error:10000\","
                "\"probability\":0.5}");
    for (int i = 0; i < 50; i++) {
        if (interleave && i % 3 == 0)
            code_of(&t, "afterSale.Detail",
                    "{\"after_sale_id\":\"" AS_101 "\"}");
        out[i] = code_of(&t, "afterSale.List", LIST_P0) == 10000 ? '.' : 'X';
    }
    out[50] = '\0';
    int64_t x = 0;
    for (int i = 0; i < 50; i++)
        x += out[i] == 'X';
    ck_assert_int_eq(fault_field(&t, 1, "firings"), x);
    ck_assert_int_eq(fault_field(&t, 1, "seen"), 50);
    tmock_stop(&t);
}

START_TEST(test_the_same_seed_and_calls_give_the_same_firings)
{
    char a[51], b[51], c[51];
    pattern(a, false);
    pattern(b, false);
    ck_assert_str_eq(a, b);
    /* p = 0.5 over 50 calls: both outcomes occur */
    ck_assert_ptr_nonnull(strchr(a, 'X'));
    ck_assert_ptr_nonnull(strchr(a, '.'));
    /* another fault drawing on other calls does not shift this one */
    pattern(c, true);
    ck_assert_str_eq(a, c);
}
END_TEST

/* ================================================================ rate limit
 */

START_TEST(test_a_rate_limit_answers_60000_then_recovers_after_the_window)
{
    int64_t id =
        arm(&T, "{\"kind\":\"rate_limit\",\"method\":\"afterSale.List\","
                "\"limit\":2,\"window_ms\":1000}");
    int64_t start = mono_ms();
    ck_assert_int_eq(code_of(&T, "afterSale.List", LIST_P0), 10000);
    ck_assert_int_eq(code_of(&T, "afterSale.List", LIST_P0), 10000);
    struct dd_envelope env;
    tcall(&T, "afterSale.List", LIST_P0, NULL, &env);
    ck_assert_msg(mono_ms() - start < 900, "too slow to test a 1 s window");
    /* no afterSale.List isp.traffic-limited row exists (§3.4): platform */
    texpect_error(&env, 60000, "isv.traffic-limited");
    ck_assert_str_eq(env.msg, "触发限流，请稍后重试");
    ck_assert_str_eq(env.sub_msg, "请求太频繁，请稍后重试");
    dd_envelope_free(&env);
    /* the limit is on afterSale.List only */
    ck_assert_int_eq(
        code_of(&T, "afterSale.Detail", "{\"after_sale_id\":\"" AS_101 "\"}"),
        10000);
    usleep(1100 * 1000);
    ck_assert_int_eq(code_of(&T, "afterSale.List", LIST_P0), 10000);
    ck_assert_int_eq(fault_field(&T, id, "firings"), 1);
    ck_assert_int_eq(fault_field(&T, id, "seen"), 4); /* List calls only */
}
END_TEST

START_TEST(test_a_rate_limit_without_method_counts_each_method_apart)
{
    arm(&T, "{\"kind\":\"rate_limit\",\"limit\":1,\"window_ms\":60000}");
    const char *detail = "{\"after_sale_id\":\"" AS_101 "\"}";
    ck_assert_int_eq(code_of(&T, "afterSale.List", LIST_P0), 10000);
    ck_assert_int_eq(code_of(&T, "afterSale.Detail", detail), 10000);
    ck_assert_int_eq(code_of(&T, "afterSale.List", LIST_P0), 60000);
    ck_assert_int_eq(code_of(&T, "afterSale.Detail", detail), 60000);
}
END_TEST

/* ================================================================ transport */

struct slow {
    struct tmock c;
    int64_t elapsed_ms;
    int64_t code;
    long reused; /* CURLINFO_NUM_CONNECTS of a second call: 0 = reused */
    volatile int done;
};

static void *slow_call(void *arg)
{
    struct slow *s = arg;
    int64_t t0 = mono_ms();
    s->code = code_of(&s->c, "afterSale.List", LIST_P0);
    s->elapsed_ms = mono_ms() - t0;
    __atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
    s->code =
        s->code == 10000 ? code_of(&s->c, "afterSale.List", LIST_P0) : s->code;
    s->reused = s->c.last_connects;
    dd_json_release_cache(); /* the parser's per-thread memory */
    return NULL;
}

START_TEST(test_latency_delays_one_answer_without_blocking_the_loop)
{
    /* A long delay and a loose bound: the proof is that the other call
     * finished while the delayed one was still held (done_meanwhile). */
    arm(&T, "{\"kind\":\"api_latency\",\"method\":\"afterSale.List\","
            "\"delay_ms\":3000,\"count\":1}");
    struct slow s;
    memset(&s, 0, sizeof s);
    tmock_client(&s.c, &T);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, slow_call, &s), 0);
    usleep(200 * 1000); /* the slow call is in the server by now */
    int64_t t0 = mono_ms();
    ck_assert_int_eq(
        code_of(&T, "afterSale.Detail", "{\"after_sale_id\":\"" AS_101 "\"}"),
        10000);
    int64_t other = mono_ms() - t0;
    int done_meanwhile = __atomic_load_n(&s.done, __ATOMIC_ACQUIRE);
    pthread_join(th, NULL);
    tmock_client_close(&s.c);
    ck_assert_msg(other < 2500, "another connection waited %lld ms",
                  (long long)other);
    ck_assert_int_eq(done_meanwhile, 0);
    ck_assert_msg(s.elapsed_ms >= 3000, "delayed answer after %lld ms",
                  (long long)s.elapsed_ms);
    ck_assert_int_eq(s.code, 10000);
    ck_assert_int_eq(s.reused, 0); /* keep-alive survived the delay */
}
END_TEST

static void *held_call(void *arg)
{
    struct slow *s = arg;
    long status = 0;
    int64_t t0 = mono_ms();
    tcall_try(&s->c, "afterSale.List", LIST_P0, &status);
    s->elapsed_ms = mono_ms() - t0;
    dd_json_release_cache();
    return NULL;
}

START_TEST(test_stopping_the_server_with_an_answer_held_neither_hangs_nor_leaks)
{
    struct tmock t;
    tmock_start(&t, NULL);
    tmock_token(&t);
    arm(&t, "{\"kind\":\"api_latency\",\"delay_ms\":30000}");
    struct slow s;
    memset(&s, 0, sizeof s);
    tmock_client(&s.c, &t);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, held_call, &s), 0);
    usleep(300 * 1000); /* the call is held by now */
    int64_t t0 = mono_ms();
    tmock_stop(&t);
    pthread_join(th, NULL);
    tmock_client_close(&s.c);
    ck_assert_msg(mono_ms() - t0 < 5000, "stop took %lld ms",
                  (long long)(mono_ms() - t0));
    ck_assert_msg(s.elapsed_ms < 10000, "the held call took %lld ms",
                  (long long)s.elapsed_ms);
}
END_TEST

START_TEST(test_a_reset_drops_the_connection_and_the_server_stays_up)
{
    int64_t id =
        arm(&T, "{\"kind\":\"api_reset\",\"method\":\"afterSale.List\","
                "\"count\":1}");
    /* A fresh connection: on a reused one libcurl silently retries a
     * request that got nothing back (a real client may too). */
    struct tmock c;
    tmock_client(&c, &T);
    long status = 0;
    int rc = tcall_try(&c, "afterSale.List", LIST_P0, &status);
    size_t got = c.last_body.len;
    tmock_client_close(&c);
    ck_assert_msg(rc != 0, "an answer arrived");
    ck_assert_uint_eq(got, 0);
    ck_assert_int_eq(code_of(&T, "afterSale.List", LIST_P0), 10000);
    ck_assert_int_eq(fault_field(&T, id, "firings"), 1);
}
END_TEST

START_TEST(test_a_truncated_body_stops_after_the_given_bytes)
{
    arm(&T, "{\"kind\":\"api_truncate\",\"method\":\"afterSale.List\","
            "\"truncate_to\":20,\"count\":1}");
    long status = 0;
    int rc = tcall_try(&T, "afterSale.List", LIST_P0, &status);
    ck_assert_msg(rc != 0, "the whole body arrived");
    ck_assert_int_eq(status, 200);
    ck_assert_uint_eq(T.last_body.len, 20);
    ck_assert(strncmp(T.last_body.data, "{\"code\":10000", 13) == 0);
    /* the headers announced the whole body */
    ck_assert_ptr_nonnull(
        strstr(dd_buf_str(&T.last_headers), "Content-Length"));
    ck_assert_int_eq(code_of(&T, "afterSale.List", LIST_P0), 10000);
}
END_TEST

/* ================================================================ drift */

/* The aftersale_ids of one afterSale.List page, comma-separated into
 * `ids`; returns total. */
static int64_t page_ids(const char *pj, char *ids, size_t cap)
{
    struct dd_envelope env;
    tcall(&T, "afterSale.List", pj, NULL, &env);
    ck_assert_msg(env.code == 10000, "%s", env.sub_code);
    ids[0] = '\0';
    const struct dd_json *items = tnode(&env, "items");
    size_t off = 0;
    for (size_t i = 0; i < items->n; i++) {
        const char *id = tjstr(&items->kids[i], "aftersale_info.aftersale_id");
        off += (size_t)snprintf(ids + off, cap - off, "%s%s", i ? "," : "", id);
    }
    int64_t total = 0;
    dd_json_int64(tnode(&env, "total"), &total);
    dd_envelope_free(&env);
    return total;
}

/* update_time of one after-sale, through afterSale.List by id. */
static int64_t update_time(const char *id)
{
    char pj[128];
    snprintf(pj, sizeof pj, "{\"page\":0,\"size\":1,\"aftersale_id\":\"%s\"}",
             id);
    struct dd_envelope env;
    tcall(&T, "afterSale.List", pj, NULL, &env);
    int64_t v = -1;
    ck_assert_int_eq(
        dd_json_int64(tnode(&env, "items.0.aftersale_info.update_time"), &v),
        0);
    dd_envelope_free(&env);
    return v;
}

START_TEST(test_drift_inserts_an_application_that_pushes_page_one_down)
{
    int64_t id =
        arm(&T, "{\"kind\":\"list_drift\",\"drift\":\"insert\",\"count\":1}");
    char p0[256], p1[256], again[256];
    int64_t total0 = page_ids(LIST_P0, p0, sizeof p0);
    ck_assert_int_eq(fault_field(&T, id, "seen"), 0); /* page 0: no drift */
    int64_t total1 = page_ids("{\"page\":1,\"size\":3}", p1, sizeof p1);
    ck_assert_int_eq(total1, total0 + 1);
    /* default order apply_time desc: the new application is first, so page
     * 1 starts with the last item page 0 showed (the ERP sees it twice) */
    const char *last0 = strrchr(p0, ',') + 1;
    ck_assert_msg(strncmp(p1, last0, strlen(last0)) == 0, "p0 %s, p1 %s", p0,
                  p1);
    page_ids(LIST_P0, again, sizeof again);
    ck_assert_msg(strncmp(again, p0, 19) != 0, "no new first item: %s", again);
    ck_assert_int_eq(fault_field(&T, id, "firings"), 1);
    char *out = admin(&T, 200, "GET", NULL, "/_mock/journal?kind=fault");
    ck_assert_ptr_nonnull(strstr(out, "fault.list_drift"));
    ck_assert_ptr_nonnull(strstr(out, "new after-sale"));
    free(out);
}
END_TEST

START_TEST(test_drift_touches_an_after_sale_of_the_page_before)
{
    const char *q0 = "{\"page\":0,\"size\":3,\"order_by\":[\"update_time "
                     "asc\"]}";
    const char *q1 = "{\"page\":1,\"size\":3,\"order_by\":[\"update_time "
                     "asc\"]}";
    char p0[256], p1[256];
    page_ids(q0, p0, sizeof p0);
    int64_t before[3];
    char ids[3][20];
    for (int i = 0; i < 3; i++) {
        memcpy(ids[i], p0 + i * 20, 19);
        ids[i][19] = '\0';
        before[i] = update_time(ids[i]);
    }
    arm(&T, "{\"kind\":\"list_drift\",\"drift\":\"touch\",\"count\":1}");
    page_ids(q1, p1, sizeof p1);
    int changed = 0;
    for (int i = 0; i < 3; i++)
        changed += update_time(ids[i]) > before[i];
    ck_assert_int_eq(changed, 1);
}
END_TEST

/* ================================================================ tokens */

START_TEST(test_a_revoked_token_is_answered_expired)
{
    ck_assert_int_eq(code_of(&T, "afterSale.List", LIST_P0), 10000);
    char *out = admin(&T, 200, "POST", "{}", "/_mock/worlds/%s/tokens/revoke",
                      T.app_key);
    ck_assert_str_eq(out, "{\"revoked\":1}");
    free(out);
    struct dd_envelope env;
    tcall(&T, "afterSale.List", LIST_P0, NULL, &env);
    texpect_error(&env, 40003, "isv.access-token-expired");
    ck_assert_str_eq(env.sub_msg, "access_token已过期");
    dd_envelope_free(&env);
    out = admin(&T, 404, "POST", "{\"access_token\":\"nope\"}",
                "/_mock/worlds/%s/tokens/revoke", T.app_key);
    free(out);
    out = admin(&T, 200, "GET", NULL, "/_mock/journal?kind=fault");
    ck_assert_ptr_nonnull(strstr(out, "fault.token_revoke"));
    free(out);
}
END_TEST

/* token.create for the default shop; fills the pair. */
static void new_pair(char access[40], char refresh[40])
{
    char pj[128];
    snprintf(pj, sizeof pj,
             "{\"code\":\"\",\"grant_type\":\"authorization_self\","
             "\"shop_id\":\"%s\"}",
             T.shop_id);
    struct dd_envelope env;
    struct tcall_opts o = {.access_token = ""};
    tcall(&T, "token.create", pj, &o, &env);
    ck_assert_int_eq(env.code, 10000);
    snprintf(access, 40, "%s", tfield(&env, "access_token"));
    snprintf(refresh, 40, "%s", tfield(&env, "refresh_token"));
    dd_envelope_free(&env);
}

START_TEST(test_a_forced_expiry_needs_a_refresh_and_the_refresh_works)
{
    char access[40], refresh[40], body[128], pj[128];
    new_pair(access, refresh);
    snprintf(T.token, sizeof T.token, "%s", access);
    ck_assert_int_eq(code_of(&T, "afterSale.List", LIST_P0), 10000);
    snprintf(body, sizeof body, "{\"access_token\":\"%s\"}", access);
    char *out = admin(&T, 200, "POST", body, "/_mock/worlds/%s/tokens/expire",
                      T.app_key);
    ck_assert_str_eq(out, "{\"expired\":1,\"refresh_expired\":false}");
    free(out);
    struct dd_envelope env;
    tcall(&T, "afterSale.List", LIST_P0, NULL, &env);
    texpect_error(&env, 40003, "isv.access-token-expired");
    dd_envelope_free(&env);

    snprintf(pj, sizeof pj,
             "{\"grant_type\":\"refresh_token\",\"refresh_token\":\"%s\"}",
             refresh);
    struct tcall_opts o = {.access_token = ""};
    tcall(&T, "token.refresh", pj, &o, &env);
    ck_assert_msg(env.code == 10000, "%s", env.sub_code);
    const char *fresh = tfield(&env, "access_token");
    ck_assert_str_ne(fresh, access);
    snprintf(T.token, sizeof T.token, "%s", fresh);
    const char *fresh_refresh = tfield(&env, "refresh_token");
    snprintf(refresh, sizeof refresh, "%s", fresh_refresh);
    dd_envelope_free(&env);
    ck_assert_int_eq(code_of(&T, "afterSale.List", LIST_P0), 10000);

    /* with "refresh": true the refresh token dies too */
    out = admin(&T, 200, "POST", "{\"refresh\":true}",
                "/_mock/worlds/%s/tokens/expire", T.app_key);
    free(out);
    snprintf(pj, sizeof pj,
             "{\"grant_type\":\"refresh_token\",\"refresh_token\":\"%s\"}",
             refresh);
    tcall(&T, "token.refresh", pj, &o, &env);
    texpect_error(&env, 50001, "dop.token-generate-failed:token-expired");
    dd_envelope_free(&env);
}
END_TEST

/* ================================================================ admin */

START_TEST(test_arming_refuses_bad_bodies_with_a_clear_error)
{
    static const struct {
        const char *body, *needle;
    } bad[] = {
        {"[]", "JSON object"},
        {"{}", "kind is missing"},
        {"{\"kind\":\"nope\"}", "kind must be one of"},
        {"{\"kind\":\"api_error\"}", "api_error needs sub_code"},
        {"{\"kind\":\"api_error\",\"method\":\"afterSale.List\","
         "\"sub_code\":\"isp.service-error:20005\"}",
         "not a row of the error table for afterSale.List"},
        {"{\"kind\":\"api_error\",\"sub_code\":\"isp.service-error:10000\"}",
         "not a row of the error table"},
        {"{\"kind\":\"api_error\",\"method\":\"no.suchApi\","
         "\"sub_code\":\"dop.service-error\"}",
         "not an API of the mock"},
        {"{\"kind\":\"api_reset\",\"probability\":0}", "0 < p <= 1"},
        {"{\"kind\":\"api_reset\",\"probability\":1.5}", "0 < p <= 1"},
        {"{\"kind\":\"api_reset\",\"count\":0}", "count must be"},
        {"{\"kind\":\"api_reset\",\"tag\":200}", "tag does not apply"},
        {"{\"kind\":\"push_drop\",\"method\":\"afterSale.List\"}",
         "method does not apply"},
        {"{\"kind\":\"api_latency\"}", "needs delay_ms"},
        {"{\"kind\":\"rate_limit\",\"limit\":5}", "needs window_ms"},
        {"{\"kind\":\"list_drift\",\"method\":\"afterSale.Detail\"}",
         "afterSale.List only"},
        {"{\"kind\":\"list_drift\",\"drift\":\"sideways\"}", "drift must be"},
        {"{\"kind\":\"api_reset\",\"colour\":1}", "unknown member"},
        {"{\"kind\":\"api_reset\",\"count\":1,\"count\":2}", "repeated"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = admin(&T, 400, "POST", bad[i].body,
                          "/_mock/worlds/%s/faults", T.app_key);
        ck_assert_msg(strstr(out, bad[i].needle) != NULL, "%s: %s", bad[i].body,
                      out);
        free(out);
    }
    char *out = admin(&T, 404, "POST", "{\"kind\":\"api_reset\"}",
                      "/_mock/worlds/1234567890123456789/faults");
    free(out);
    out = admin(&T, 405, "PUT", "{}", "/_mock/worlds/%s/faults", T.app_key);
    free(out);
    out = admin(&T, 200, "GET", NULL, "/_mock/worlds/%s/faults", T.app_key);
    ck_assert_str_eq(out, "{\"faults\":[]}");
    free(out);
}
END_TEST

START_TEST(test_the_listing_shows_each_fault_with_its_parameters)
{
    arm(&T, "{\"kind\":\"rate_limit\",\"method\":\"afterSale.List\","
            "\"limit\":5,\"window_ms\":1000,\"probability\":0.25}");
    arm(&T, "{\"kind\":\"push_duplicate\",\"tag\":206,\"copies\":2,"
            "\"count\":3}");
    char *out =
        admin(&T, 200, "GET", NULL, "/_mock/worlds/%s/faults", T.app_key);
    ck_assert_str_eq(
        out, "{\"faults\":["
             "{\"fault_id\":1,\"kind\":\"rate_limit\",\"method\":"
             "\"afterSale.List\",\"probability\":0.25,\"limit\":5,"
             "\"window_ms\":1000,\"seen\":0,\"firings\":0,\"active\":true},"
             "{\"fault_id\":2,\"kind\":\"push_duplicate\",\"tag\":206,"
             "\"count\":3,\"copies\":2,\"seen\":0,\"firings\":0,"
             "\"active\":true}]}");
    free(out);
}
END_TEST

START_TEST(test_deleting_a_world_forgets_its_faults)
{
    char *out = admin(&T, 200, "POST", NULL, "/_mock/worlds?default=1");
    struct dd_json_doc doc;
    char key[20];
    snprintf(key, sizeof key, "%s", tjstr(tjson(out, &doc), "app_key"));
    dd_json_doc_free(&doc);
    free(out);
    out = admin(&T, 200, "POST", "{\"kind\":\"api_reset\"}",
                "/_mock/worlds/%s/faults", key);
    free(out);
    arm(&T, "{\"kind\":\"api_reset\",\"method\":\"afterSale.Detail\"}");
    out = admin(&T, 200, "DELETE", NULL, "/_mock/worlds/%s", key);
    free(out);
    out = admin(&T, 404, "GET", NULL, "/_mock/worlds/%s/faults", key);
    free(out);
    /* the other world keeps its own */
    out = admin(&T, 200, "GET", NULL, "/_mock/worlds/%s/faults", T.app_key);
    ck_assert_ptr_nonnull(strstr(out, "\"fault_id\":2"));
    free(out);
}
END_TEST

/* ================================================================ push */

/* An in-process server (no socket, no loop): admin calls go straight to
 * mock_route on this thread. */
static struct mock_server S;
static struct mock_world *SW;

static void push_setup(void)
{
    char err[256];
    struct mock_server_config cfg = {"127.0.0.1", 0, NULL, NULL, 7};
    ck_assert_int_eq(mock_server_init(&S, &cfg, NULL, err, sizeof err), 0);
    SW = mock_world_default(&S.defaults, 7, mock_now());
    ck_assert_int_eq(mock_worlds_add(&S.worlds, SW), 0);
}

static void push_teardown(void)
{
    mock_server_free(&S);
    dd_json_release_cache();
}

/* A direct admin call to the path `fmt` (printf-style); returns the HTTP
 * status, the body in out (free()). */
static int direct(const char *verb, const char *body, char **out,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int direct(const char *verb, const char *body, char **out,
                  const char *fmt, ...)
{
    char uri[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(uri, sizeof uri, fmt, ap);
    va_end(ap);
    struct mock_request rq = {
        verb, uri,          body, body ? strlen(body) : 0, "application/json",
        NULL, mock_now_us()};
    struct mock_response rs;
    mock_response_init(&rs);
    mock_route(&S, &rq, &rs);
    int st = rs.status;
    *out = dd_buf_steal(&rs.body);
    mock_response_free(&rs);
    return st;
}

static void direct_arm(const char *body)
{
    char *out;
    ck_assert_int_eq(
        direct("POST", body, &out, "/_mock/worlds/%s/faults", SW->app_key),
        200);
    free(out);
}

START_TEST(test_push_faults_decide_per_message_and_tag)
{
    direct_arm("{\"kind\":\"push_drop\",\"tag\":200,\"count\":1}");
    direct_arm("{\"kind\":\"push_duplicate\",\"tag\":206,\"copies\":2}");
    direct_arm("{\"kind\":\"push_delay\",\"tag\":201,\"delay_ms\":1500}");
    direct_arm("{\"kind\":\"push_reorder\",\"tag\":202}");
    direct_arm("{\"kind\":\"push_bad_sign\",\"tag\":203}");
    direct_arm("{\"kind\":\"push_bad_app_id\",\"tag\":204}");
    direct_arm("{\"kind\":\"push_bad_data\",\"tag\":205}");
    struct mock_push_fault f;
    int64_t now = mock_now_ms();

    mock_faults_push(&S, SW, 200, now, &f);
    ck_assert(f.drop);
    mock_faults_push(&S, SW, 200, now, &f); /* count 1: spent */
    ck_assert(!f.drop);
    mock_faults_push(&S, SW, 206, now, &f);
    ck_assert_uint_eq(f.duplicate, 2);
    ck_assert(!f.drop && !f.reorder && f.delay_ms == 0);
    mock_faults_push(&S, SW, 201, now, &f);
    ck_assert_int_eq(f.delay_ms, 1500);
    mock_faults_push(&S, SW, 202, now, &f);
    ck_assert(f.reorder);
    mock_faults_push(&S, SW, 203, now, &f);
    ck_assert(f.bad_sign && !f.bad_app_id && !f.bad_data);
    mock_faults_push(&S, SW, 204, now, &f);
    ck_assert(f.bad_app_id && !f.bad_sign);
    mock_faults_push(&S, SW, 205, now, &f);
    ck_assert(f.bad_data);
    mock_faults_push(&S, SW, 207, now, &f); /* no fault for 207 */
    ck_assert(!f.drop && !f.duplicate && !f.reorder && !f.delay_ms &&
              !f.bad_sign && !f.bad_app_id && !f.bad_data);

    char *out;
    ck_assert_int_eq(
        direct("GET", NULL, &out, "/_mock/worlds/%s/faults/1", SW->app_key),
        200);
    ck_assert_ptr_nonnull(strstr(out, "\"seen\":2,\"firings\":1,"
                                      "\"active\":false"));
    free(out);
    ck_assert_int_eq(direct("GET", NULL, &out,
                            "/_mock/journal?kind=fault&app_key=%s",
                            SW->app_key),
                     200);
    ck_assert_ptr_nonnull(strstr(out, "\"method\":\"fault.push_drop\""));
    ck_assert_ptr_nonnull(
        strstr(out, "fault #1 fired on tag 200 message (firing 1): dropped"));
    ck_assert_ptr_nonnull(strstr(out, "fault.push_bad_data"));
    free(out);
}
END_TEST

START_TEST(test_a_push_fault_without_tag_takes_every_message_and_drop_wins)
{
    direct_arm("{\"kind\":\"push_drop\",\"count\":2}");
    direct_arm("{\"kind\":\"push_bad_sign\"}");
    struct mock_push_fault f;
    int64_t now = mock_now_ms();
    mock_faults_push(&S, SW, 200, now, &f);
    ck_assert(f.drop && !f.bad_sign);
    mock_faults_push(&S, SW, 208, now, &f);
    ck_assert(f.drop && !f.bad_sign);
    mock_faults_push(&S, SW, 201, now, &f);
    ck_assert(!f.drop && f.bad_sign);
}
END_TEST

START_TEST(test_push_probability_draws_are_the_same_for_the_same_seed)
{
    direct_arm("{\"kind\":\"push_drop\",\"probability\":0.3}");
    char a[101], b[101];
    struct mock_push_fault f;
    for (int i = 0; i < 100; i++) {
        mock_faults_push(&S, SW, 200 + i % 9, 0, &f);
        a[i] = f.drop ? 'X' : '.';
    }
    a[100] = '\0';
    push_teardown();
    push_setup();
    direct_arm("{\"kind\":\"push_drop\",\"probability\":0.3}");
    for (int i = 0; i < 100; i++) {
        mock_faults_push(&S, SW, 200 + i % 9, 0, &f);
        b[i] = f.drop ? 'X' : '.';
    }
    b[100] = '\0';
    ck_assert_str_eq(a, b);
    ck_assert_ptr_nonnull(strchr(a, 'X'));
    ck_assert_ptr_nonnull(strchr(a, '.'));
}
END_TEST

Suite *mock_faults_suite(void)
{
    Suite *s = suite_create("mock_faults");
    TCase *tc = tcase_create("api");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_an_api_error_answers_the_exact_row_count_times);
    tcase_add_test(tc, test_a_platform_error_without_method_hits_every_api);
    tcase_add_test(tc, test_disarming_a_fault_stops_it_at_once);
    tcase_add_test(tc,
                   test_every_firing_is_journalled_with_its_fault_and_number);
    tcase_add_test(
        tc, test_a_rate_limit_answers_60000_then_recovers_after_the_window);
    tcase_add_test(tc,
                   test_a_rate_limit_without_method_counts_each_method_apart);
    tcase_add_test(tc,
                   test_latency_delays_one_answer_without_blocking_the_loop);
    tcase_add_test(tc,
                   test_a_reset_drops_the_connection_and_the_server_stays_up);
    tcase_add_test(tc, test_a_truncated_body_stops_after_the_given_bytes);
    tcase_add_test(tc,
                   test_drift_inserts_an_application_that_pushes_page_one_down);
    tcase_add_test(tc, test_drift_touches_an_after_sale_of_the_page_before);
    tcase_add_test(tc, test_a_revoked_token_is_answered_expired);
    tcase_add_test(tc,
                   test_a_forced_expiry_needs_a_refresh_and_the_refresh_works);
    tcase_add_test(tc, test_arming_refuses_bad_bodies_with_a_clear_error);
    tcase_add_test(tc, test_the_listing_shows_each_fault_with_its_parameters);
    tcase_add_test(tc, test_deleting_a_world_forgets_its_faults);
    suite_add_tcase(s, tc);

    tc = tcase_create("own_servers");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_the_same_seed_and_calls_give_the_same_firings);
    tcase_add_test(
        tc,
        test_stopping_the_server_with_an_answer_held_neither_hangs_nor_leaks);
    suite_add_tcase(s, tc);

    tc = tcase_create("push");
    tcase_add_checked_fixture(tc, push_setup, push_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_push_faults_decide_per_message_and_tag);
    tcase_add_test(
        tc, test_a_push_fault_without_tag_takes_every_message_and_drop_wins);
    tcase_add_test(tc,
                   test_push_probability_draws_are_the_same_for_the_same_seed);
    suite_add_tcase(s, tc);
    return s;
}
