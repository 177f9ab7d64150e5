/*
 * check_mock_admin.c: end-to-end tests of ddmock's admin API under
 * /_mock/ (issue 3, item 7; the calls are listed in mock/README.md).
 *
 * Each test starts its own server in-process on port 0 with the default
 * world and drives it over HTTP: health, listing and creating worlds (from
 * a world file, the default world and the generator), the error report of
 * a bad world file, dump and restore of a snapshot around a state change
 * made through the gateway API, deleting, reading every entity kind,
 * authorization codes, world and process settings, journal queries,
 * explain, reset, wrong verbs, and the --admin-token protection. Expected
 * values come from the documents (mock/WORLD.md's default world,
 * tests/data/worlds/bad-world.expected), not from the code under test.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock_util.h"
#include "suites.h"

#define LIST_PJ "{\"page\":0,\"size\":10}"

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

/* A parsed admin answer. */
struct tj {
    long status;
    struct dd_json_doc doc;
    const struct dd_json *root;
};

/* Sends an admin call and parses its JSON answer (every admin answer is
 * JSON, errors included). */
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

/* An admin call that must answer `status`; returns nothing, checks that
 * an error answer says why in "error". */
static void expect_status(struct tmock *t, const char *verb, const char *path,
                          const char *body, long status)
{
    struct tj j;
    tj_call(t, verb, path, body, &j);
    ck_assert_msg(j.status == status, "%s %s: %ld, not %ld", verb, path,
                  j.status, status);
    if (status >= 400) {
        const char *e = tjstr(j.root, "error");
        ck_assert_ptr_nonnull(e);
        ck_assert_uint_gt(strlen(e), 0);
    }
    tj_free(&j);
}

/* Reads a file of the repository (the data folder is tests/data). */
static char *repo_file(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/../../%s", dd_test_data_dir(), rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    struct dd_buf b;
    dd_buf_init(&b, 0);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        dd_buf_append(&b, tmp, n);
    fclose(f);
    dd_buf_putc(&b, '\0');
    return dd_buf_steal(&b);
}

/* Credentials of a world from its summary. */
struct app {
    char app_key[20];
    char secret[40];
    char shop_id[24];
    char token[40];
};

static void app_from(const struct dd_json *summary, struct app *a)
{
    memset(a, 0, sizeof *a);
    ck_assert_ptr_nonnull(tjstr(summary, "app_key"));
    ck_assert_ptr_nonnull(tjstr(summary, "app_secret"));
    snprintf(a->app_key, sizeof a->app_key, "%s", tjstr(summary, "app_key"));
    snprintf(a->secret, sizeof a->secret, "%s", tjstr(summary, "app_secret"));
    const char *shop = tjstr(summary, "shops.0.shop_id");
    snprintf(a->shop_id, sizeof a->shop_id, "%s", shop ? shop : "");
}

/* Calls `method` as app `a` (with its token when it has one). */
static long call_as(struct tmock *t, const struct app *a, const char *method,
                    const char *pj, struct dd_envelope *env)
{
    struct tcall_opts o = {.app_key = a->app_key,
                           .secret = a->secret,
                           .access_token = a->token[0] ? a->token : ""};
    return tcall(t, method, pj, &o, env);
}

/* token.create authorization_self for app `a`, into a->token. */
static void token_for(struct tmock *t, struct app *a)
{
    char pj[128];
    snprintf(pj, sizeof pj,
             "{\"code\":\"\",\"grant_type\":\"authorization_self\","
             "\"shop_id\":\"%s\"}",
             a->shop_id);
    a->token[0] = '\0';
    struct dd_envelope env;
    call_as(t, a, "token.create", pj, &env);
    ck_assert_msg(env.code == 10000, "token.create: %lld %s",
                  (long long)env.code, env.sub_code);
    snprintf(a->token, sizeof a->token, "%s", tfield(&env, "access_token"));
    dd_envelope_free(&env);
}

static void default_app(struct app *a)
{
    memset(a, 0, sizeof *a);
    snprintf(a->app_key, sizeof a->app_key, "%s", T.app_key);
    snprintf(a->secret, sizeof a->secret, "%s", T.app_secret);
    snprintf(a->shop_id, sizeof a->shop_id, "%s", T.shop_id);
    snprintf(a->token, sizeof a->token, "%s", T.token);
}

/* ============================================================= reading */

START_TEST(test_health_says_ok_with_the_world_count)
{
    struct tj j;
    tj_call(&T, "GET", "/_mock/health", NULL, &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_int_eq(tjnode(j.root, "ok")->type, DD_JSON_TRUE);
    ck_assert_str_eq(tjstr(j.root, "worlds"), "1");
    /* token.create was journalled. */
    ck_assert_int_ge(strtoll(tjstr(j.root, "journal_last_seq"), NULL, 10), 1);
    ck_assert_ptr_nonnull(
        strstr(dd_buf_str(&T.last_headers), "Content-Type: application/json"));
    tj_free(&j);
}
END_TEST

START_TEST(test_list_worlds_shows_the_default_world_and_its_credentials)
{
    struct tj j;
    tj_call(&T, "GET", "/_mock/worlds", NULL, &j);
    ck_assert_int_eq(j.status, 200);
    const struct dd_json *worlds = tjnode(j.root, "worlds");
    ck_assert_int_eq(worlds->n, 1);
    const struct dd_json *w = &worlds->kids[0];
    ck_assert_str_eq(tjstr(w, "app_key"), T.app_key);
    ck_assert_str_eq(tjstr(w, "app_secret"), T.app_secret);
    ck_assert_str_eq(tjstr(w, "app_type"), "self");
    ck_assert_str_eq(tjstr(w, "name"), "dd-harness 默认世界");
    ck_assert_str_eq(tjstr(w, "shops.0.shop_id"), "23456789");
    ck_assert_str_eq(tjstr(w, "shops.0.name"), "dd-harness 演示店");
    ck_assert_int_eq(tjnode(w, "shops.0.shop_id")->type, DD_JSON_STRING);
    tj_free(&j);
}
END_TEST

/* Every entity kind of the default world, by its documented id. */
START_TEST(test_entities_of_every_kind_are_read_by_id)
{
    static const struct {
        const char *kind, *id, *key, *field, *value;
    } cases[] = {
        {"shops", "23456789", "shop_id", "name", "dd-harness 演示店"},
        {"products", "3600000000000000001", "product_id", "name",
         "纯棉圆领短袖T恤"},
        {"skus", "1760000000000000011", "sku_id", "code", "TS-WHT-M"},
        {"orders", "6920000000000001001", "order_id", "buyer_words",
         "请尽快发货"},
        {"sku_orders", "6920000000000000202", "sku_order_id", "sku_id",
         "1760000000000000021"},
        {"aftersales", "7000000000000000501", "aftersale_id",
         "return.tracking_no", "SF1234567890501"},
    };
    char path[160];
    struct tj j;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "/_mock/worlds/%s/%s/%s", T.app_key,
                 cases[i].kind, cases[i].id);
        tj_call(&T, "GET", path, NULL, &j);
        ck_assert_msg(j.status == 200, "%s: %ld", path, j.status);
        ck_assert_str_eq(tjstr(j.root, "kind"), cases[i].kind);
        const struct dd_json *e = tjnode(j.root, "entity");
        ck_assert_str_eq(tjstr(e, cases[i].key), cases[i].id);
        ck_assert_str_eq(tjstr(e, cases[i].field), cases[i].value);
        tj_free(&j);
    }
    /* The token from token.create, by its access_token. */
    snprintf(path, sizeof path, "/_mock/worlds/%s/tokens/%s", T.app_key,
             T.token);
    tj_call(&T, "GET", path, NULL, &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "entity.access_token"), T.token);
    ck_assert_str_eq(tjstr(j.root, "entity.shop_id"), "23456789");
    tj_free(&j);
}
END_TEST

START_TEST(test_unknown_entities_kinds_and_worlds_are_404)
{
    char path[160];
    snprintf(path, sizeof path, "/_mock/worlds/%s/aftersales/1", T.app_key);
    expect_status(&T, "GET", path, NULL, 404);
    snprintf(path, sizeof path, "/_mock/worlds/%s/tokens/no-such-token",
             T.app_key);
    expect_status(&T, "GET", path, NULL, 404);
    /* An order id is not an after-sale id. */
    snprintf(path, sizeof path, "/_mock/worlds/%s/aftersales/%s", T.app_key,
             "6920000000000000101");
    expect_status(&T, "GET", path, NULL, 404);
    snprintf(path, sizeof path, "/_mock/worlds/%s/refunds/1", T.app_key);
    expect_status(&T, "GET", path, NULL, 404);
    expect_status(&T, "GET", "/_mock/worlds/1234567890123456789", NULL, 404);
    expect_status(&T, "GET", "/_mock/worlds/1234567890123456789/shops/23456789",
                  NULL, 404);
    expect_status(&T, "GET", "/_mock/no-such-call", NULL, 404);
}
END_TEST

/* ============================================================ creating */

START_TEST(test_world_file_body_creates_a_world_that_answers_the_api)
{
    char *file = repo_file("mock/worlds/minimal.json");
    struct tj j;
    tj_call(&T, "POST", "/_mock/worlds", file, &j);
    free(file);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "app_type"), "self");
    ck_assert_str_eq(tjstr(j.root, "shops.0.shop_id"), "10000001");
    ck_assert_str_eq(tjstr(j.root, "shops.0.name"), "最小示例店");
    ck_assert_str_eq(tjstr(j.root, "orders"), "1");
    ck_assert_str_eq(tjstr(j.root, "aftersales"), "1");
    struct app a;
    app_from(j.root, &a);
    tj_free(&j);
    ck_assert_str_ne(a.app_key, T.app_key);

    tj_call(&T, "GET", "/_mock/health", NULL, &j);
    ck_assert_str_eq(tjstr(j.root, "worlds"), "2");
    tj_free(&j);

    token_for(&T, &a);
    struct dd_envelope env;
    call_as(&T, &a, "afterSale.List", LIST_PJ, &env);
    ck_assert_int_eq(env.code, 10000);
    ck_assert_str_eq(tfield(&env, "total"), "1");
    ck_assert_str_eq(tfield(&env, "items.0.aftersale_info.aftersale_id"),
                     "7000000000000010001");
    dd_envelope_free(&env);
}
END_TEST

START_TEST(test_world_file_with_fixed_credentials_keeps_them_and_only_once)
{
    char *file = repo_file("mock/worlds/tool-app.json");
    struct tj j;
    tj_call(&T, "POST", "/_mock/worlds", file, &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "app_key"), "7300000000000000001");
    ck_assert_str_eq(tjstr(j.root, "app_secret"),
                     "11111111-2222-3333-4444-555555555555");
    ck_assert_str_eq(tjstr(j.root, "app_type"), "tool");
    tj_free(&j);
    /* Two worlds cannot share an app_key. */
    expect_status(&T, "POST", "/_mock/worlds", file, 400);
    free(file);
    /* The file's own authorization code works once (tool-type app). */
    struct app a = {"7300000000000000001",
                    "11111111-2222-3333-4444-555555555555", "", ""};
    struct dd_envelope env;
    call_as(&T, &a, "token.create",
            "{\"code\":\"dd-harness-example-code-0001\","
            "\"grant_type\":\"authorization_code\"}",
            &env);
    ck_assert_int_eq(env.code, 10000);
    ck_assert_str_eq(tfield(&env, "shop_id"), "30000001");
    dd_envelope_free(&env);
}
END_TEST

START_TEST(test_default_query_creates_a_fresh_default_world)
{
    struct tj j;
    tj_call(&T, "POST", "/_mock/worlds?default=1", NULL, &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "name"), "dd-harness 默认世界");
    ck_assert_str_eq(tjstr(j.root, "shops.0.shop_id"), "23456789");
    ck_assert_str_eq(tjstr(j.root, "orders"), "10");
    ck_assert_str_eq(tjstr(j.root, "aftersales"), "8");
    struct app a;
    app_from(j.root, &a);
    tj_free(&j);
    ck_assert_str_ne(a.app_key, T.app_key);
    ck_assert_str_ne(a.secret, T.app_secret);
    token_for(&T, &a);
    struct dd_envelope env;
    call_as(&T, &a, "afterSale.List", LIST_PJ, &env);
    ck_assert_int_eq(env.code, 10000);
    ck_assert_str_eq(tfield(&env, "total"), "8");
    dd_envelope_free(&env);
}
END_TEST

/* The after-sale ids of a world's dump, comma-separated, into out. */
static void aftersale_ids(struct tmock *t, const char *app_key,
                          struct dd_buf *out)
{
    char path[96];
    snprintf(path, sizeof path, "/_mock/worlds/%s", app_key);
    struct tj j;
    tj_call(t, "GET", path, NULL, &j);
    ck_assert_int_eq(j.status, 200);
    const struct dd_json *as = tjnode(j.root, "aftersales");
    ck_assert_ptr_nonnull(as);
    for (size_t i = 0; i < as->n; i++)
        dd_buf_printf(out, "%s,", tjstr(&as->kids[i], "aftersale_id"));
    tj_free(&j);
}

/* Generates a world; returns its app_key in key and its after-sale ids. */
static void generate(struct tmock *t, const char *seed, char key[20],
                     struct dd_buf *ids)
{
    char path[160];
    snprintf(path, sizeof path,
             "/_mock/worlds?generate=shops=1,orders=50,aftersales=20&seed=%s",
             seed);
    struct tj j;
    tj_call(t, "POST", path, NULL, &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "orders"), "50");
    ck_assert_str_eq(tjstr(j.root, "aftersales"), "20");
    ck_assert_str_eq(tjstr(j.root, "shops.0.name"), "生成店铺 1");
    snprintf(key, 20, "%s", tjstr(j.root, "app_key"));
    tj_free(&j);
    aftersale_ids(t, key, ids);
}

/* WORLD.md: "the same seed and spec give the same credentials, ids, ...".
 * The same credentials cannot live twice in one process, so the first
 * world is deleted before the second is made. */
START_TEST(test_generated_worlds_are_deterministic_for_a_seed)
{
    struct dd_buf a, b, c;
    dd_buf_init(&a, 0);
    dd_buf_init(&b, 0);
    dd_buf_init(&c, 0);
    char ka[20], kb[20], kc[20];
    generate(&T, "5", ka, &a);
    char path[96];
    snprintf(path, sizeof path, "/_mock/worlds/%s", ka);
    expect_status(&T, "DELETE", path, NULL, 200);
    generate(&T, "5", kb, &b);
    ck_assert_str_eq(ka, kb);
    ck_assert_uint_eq(a.len, 20 * 20); /* 20 ids of 19 digits, commas */
    ck_assert_str_eq(dd_buf_str(&a), dd_buf_str(&b));
    generate(&T, "6", kc, &c);
    ck_assert_str_ne(kc, ka);
    ck_assert_str_ne(dd_buf_str(&c), dd_buf_str(&a));
    dd_buf_free(&a);
    dd_buf_free(&b);
    dd_buf_free(&c);
}
END_TEST

START_TEST(test_bad_generate_spec_or_seed_is_400)
{
    expect_status(&T, "POST", "/_mock/worlds?generate=shops=x", NULL, 400);
    expect_status(&T, "POST", "/_mock/worlds?generate=planets=3", NULL, 400);
    expect_status(&T, "POST", "/_mock/worlds?generate=shops=1,shops=2", NULL,
                  400);
    expect_status(&T, "POST", "/_mock/worlds?generate=orders=5&seed=abc", NULL,
                  400);
    struct tj j;
    tj_call(&T, "GET", "/_mock/health", NULL, &j);
    ck_assert_str_eq(tjstr(j.root, "worlds"), "1");
    tj_free(&j);
}
END_TEST

/* Every problem of tests/data/worlds/bad-world.json, as its golden file
 * lists them, with the file name "request". */
START_TEST(test_bad_world_file_is_400_with_every_problem_as_request_line_col)
{
    char *file = dd_test_read_data("worlds/bad-world.json", NULL);
    char *expected = dd_test_read_data("worlds/bad-world.expected", NULL);
    struct tj j;
    tj_call(&T, "POST", "/_mock/worlds", file, &j);
    ck_assert_int_eq(j.status, 400);
    ck_assert_ptr_nonnull(tjstr(j.root, "error"));
    const struct dd_json *errs = tjnode(j.root, "errors");
    ck_assert_ptr_nonnull(errs);
    static const char prefix[] = "tests/data/worlds/bad-world.json:";
    size_t k = 0;
    for (char *line = expected; *line; k++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        ck_assert(strncmp(line, prefix, strlen(prefix)) == 0);
        char want[512];
        snprintf(want, sizeof want, "request:%s", line + strlen(prefix));
        ck_assert_msg(k < errs->n, "missing error: %s", want);
        ck_assert_str_eq(errs->kids[k].text, want);
        line = nl ? nl + 1 : line + strlen(line);
    }
    ck_assert_int_eq(errs->n, k);
    tj_free(&j);
    free(file);
    free(expected);
    /* Nothing was loaded. */
    tj_call(&T, "GET", "/_mock/health", NULL, &j);
    ck_assert_str_eq(tjstr(j.root, "worlds"), "1");
    tj_free(&j);
}
END_TEST

START_TEST(test_body_that_is_not_json_is_400_with_its_position)
{
    struct tj j;
    tj_call(&T, "POST", "/_mock/worlds", "{\n  \"shops\": [,]\n}", &j);
    ck_assert_int_eq(j.status, 400);
    ck_assert(strncmp(tjstr(j.root, "error"), "request:2:", 10) == 0);
    tj_free(&j);
}
END_TEST

/* ==================================================== dump and restore */

/* after_sale_status of an after-sale through afterSale.Detail. */
static int64_t detail_status(struct tmock *t, const char *id)
{
    char pj[96];
    snprintf(pj, sizeof pj, "{\"after_sale_id\":\"%s\"}", id);
    struct dd_envelope env;
    tcall(t, "afterSale.Detail", pj, NULL, &env);
    ck_assert_msg(env.code == 10000, "Detail: %lld %s", (long long)env.code,
                  env.sub_code);
    const char *s =
        tfield(&env, "process_info.after_sale_info.after_sale_status");
    ck_assert_ptr_nonnull(s);
    int64_t v = strtoll(s, NULL, 10);
    dd_envelope_free(&env);
    return v;
}

/* A snapshot taken before CancelSendGoodsSuccess brings the pending
 * pre-shipment refund back after it was refunded. */
START_TEST(test_restoring_a_dump_undoes_a_state_change_made_through_the_api)
{
    /* The pending pre-shipment refunds, found the way an ERP would. */
    struct dd_envelope env;
    tcall(&T, "afterSale.List",
          "{\"aftersale_type\":2,\"standard_aftersale_status\":[6],"
          "\"page\":0,\"size\":10,\"order_by\":[\"apply_time asc\"]}",
          NULL, &env);
    ck_assert_int_eq(env.code, 10000);
    ck_assert_str_eq(tfield(&env, "total"), "2");
    ck_assert_str_eq(tfield(&env, "items.0.aftersale_info.aftersale_id"),
                     "7000000000000000202");
    ck_assert_str_eq(tfield(&env, "items.1.aftersale_info.aftersale_id"),
                     "7000000000000000101");
    dd_envelope_free(&env);
    static const char id[] = "7000000000000000101";
    ck_assert_int_eq(detail_status(&T, id), 6);

    char path[96];
    snprintf(path, sizeof path, "/_mock/worlds/%s", T.app_key);
    char *dump;
    ck_assert_int_eq(tadmin(&T, "GET", path, NULL, &dump), 200);

    char pj[128];
    snprintf(pj, sizeof pj, "{\"aftersale_id\":\"%s\",\"op_time\":%lld}", id,
             (long long)time(NULL));
    tcall(&T, "afterSale.CancelSendGoodsSuccess", pj, NULL, &env);
    ck_assert_int_eq(env.code, 10000);
    dd_envelope_free(&env);
    ck_assert_int_eq(detail_status(&T, id), 12);

    struct tj j;
    tj_call(&T, "PUT", path, dump, &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "app_key"), T.app_key);
    tj_free(&j);
    /* The token survived the restore with the rest of the world. */
    ck_assert_int_eq(detail_status(&T, id), 6);
    /* WORLD.md: dumping the restored world gives the same text. */
    char *again;
    ck_assert_int_eq(tadmin(&T, "GET", path, NULL, &again), 200);
    ck_assert_str_eq(again, dump);
    free(again);
    /* And the refund can be made again. */
    tcall(&T, "afterSale.CancelSendGoodsSuccess", pj, NULL, &env);
    ck_assert_int_eq(env.code, 10000);
    dd_envelope_free(&env);
    free(dump);
}
END_TEST

START_TEST(test_restore_with_another_app_key_in_the_body_is_400)
{
    char path[96];
    snprintf(path, sizeof path, "/_mock/worlds/%s", T.app_key);
    expect_status(&T, "PUT", path,
                  "{\"app\":{\"app_key\":\"1234567890123456789\"}}", 400);
    expect_status(&T, "PUT", path, "{\"shops\":[{\"shop_idd\":\"1\"}]}", 400);
    /* The world is untouched. */
    ck_assert_int_eq(detail_status(&T, "7000000000000000101"), 6);
}
END_TEST

START_TEST(test_deleted_world_is_gone_from_admin_and_gateway)
{
    char path[96];
    snprintf(path, sizeof path, "/_mock/worlds/%s", T.app_key);
    struct tj j;
    tj_call(&T, "DELETE", path, NULL, &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "deleted"), T.app_key);
    tj_free(&j);
    expect_status(&T, "GET", path, NULL, 404);
    expect_status(&T, "DELETE", path, NULL, 404);
    tj_call(&T, "GET", "/_mock/worlds", NULL, &j);
    ck_assert_int_eq(tjnode(j.root, "worlds")->n, 0);
    tj_free(&j);
    struct dd_envelope env;
    tcall(&T, "afterSale.List", LIST_PJ, NULL, &env);
    texpect_error(&env, 40003, "isv.app-id-invalid");
    dd_envelope_free(&env);
}
END_TEST

/* ========================================================== auth codes */

START_TEST(test_auth_code_is_issued_for_a_shop_with_ten_minutes)
{
    char path[96];
    snprintf(path, sizeof path, "/_mock/worlds/%s/auth_codes", T.app_key);
    struct tj j;
    tj_call(&T, "POST", path, "{\"shop_id\":\"23456789\"}", &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "shop_id"), "23456789");
    ck_assert_uint_gt(strlen(tjstr(j.root, "code")), 0);
    int64_t ttl = strtoll(tjstr(j.root, "expires_in"), NULL, 10);
    ck_assert_int_ge(ttl, 599);
    ck_assert_int_le(ttl, 600);
    char code[64];
    snprintf(code, sizeof code, "%s", tjstr(j.root, "code"));
    tj_free(&j);
    /* Without a body on a one-shop world: that shop; a new code. */
    tj_call(&T, "POST", path, NULL, &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "shop_id"), "23456789");
    ck_assert_str_ne(tjstr(j.root, "code"), code);
    tj_free(&j);
    /* A self-use app may use a code too (open-api §2.2). */
    char pj[128];
    snprintf(pj, sizeof pj,
             "{\"code\":\"%s\",\"grant_type\":\"authorization_code\"}", code);
    struct dd_envelope env;
    tcall(&T, "token.create", pj, &(struct tcall_opts){.access_token = ""},
          &env);
    ck_assert_int_eq(env.code, 10000);
    ck_assert_str_eq(tfield(&env, "shop_id"), "23456789");
    dd_envelope_free(&env);
}
END_TEST

START_TEST(test_auth_code_for_an_unknown_or_unnamed_shop_is_400)
{
    char path[96];
    snprintf(path, sizeof path, "/_mock/worlds/%s/auth_codes", T.app_key);
    expect_status(&T, "POST", path, "{\"shop_id\":\"99999999\"}", 400);
    expect_status(&T, "POST", path, "{\"shop_id\":\"abc\"}", 400);
    /* Two shops: which one must be said. */
    char *file = repo_file("mock/worlds/two-shops.json");
    struct tj j;
    tj_call(&T, "POST", "/_mock/worlds", file, &j);
    free(file);
    ck_assert_int_eq(j.status, 200);
    ck_assert_int_eq(tjnode(j.root, "shops")->n, 2);
    snprintf(path, sizeof path, "/_mock/worlds/%s/auth_codes",
             tjstr(j.root, "app_key"));
    tj_free(&j);
    expect_status(&T, "POST", path, NULL, 400);
    expect_status(&T, "POST", "/_mock/worlds/1234567890123456789/auth_codes",
                  "{}", 404);
}
END_TEST

/* ============================================================ settings */

START_TEST(test_world_settings_are_read_and_changed_with_effect)
{
    char path[96];
    snprintf(path, sizeof path, "/_mock/worlds/%s/settings", T.app_key);
    struct tj j;
    tj_call(&T, "GET", path, NULL, &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "skew_seconds"), "600");
    ck_assert_str_eq(tjstr(j.root, "expires_form"), "duration");
    tj_free(&j);
    /* 400 s off is inside the default 10 minutes ... */
    char ts[32];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL) - 400);
    struct dd_envelope env;
    tcall(&T, "afterSale.List", LIST_PJ, &(struct tcall_opts){.timestamp = ts},
          &env);
    ck_assert_int_eq(env.code, 10000);
    dd_envelope_free(&env);
    /* ... but not inside 5 minutes. */
    tj_call(&T, "POST", path, "{\"skew_seconds\":\"5m\"}", &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "skew_seconds"), "300");
    tj_free(&j);
    tcall(&T, "afterSale.List", LIST_PJ, &(struct tcall_opts){.timestamp = ts},
          &env);
    texpect_error(&env, 40003, "isv.timestamp-invalid");
    dd_envelope_free(&env);
    tj_call(&T, "GET", path, NULL, &j);
    ck_assert_str_eq(tjstr(j.root, "skew_seconds"), "300");
    tj_free(&j);
}
END_TEST

START_TEST(test_bad_setting_name_or_value_is_400_and_changes_nothing)
{
    char path[96];
    snprintf(path, sizeof path, "/_mock/worlds/%s/settings", T.app_key);
    expect_status(&T, "POST", path, "{\"skew_secs\":60}", 400);
    expect_status(&T, "POST", path, "{\"skew_seconds\":60,\"time_scale\":0}",
                  400);
    expect_status(&T, "POST", path, "{\"skew_seconds\":\"soon\"}", 400);
    expect_status(&T, "POST", "/_mock/settings", "{\"nope\":1}", 400);
    struct tj j;
    tj_call(&T, "GET", path, NULL, &j);
    /* all or nothing: the valid member of a bad body was not applied */
    ck_assert_str_eq(tjstr(j.root, "skew_seconds"), "600");
    ck_assert_str_eq(tjstr(j.root, "time_scale"), "1");
    tj_free(&j);
}
END_TEST

/* Process settings apply to worlds created later, not to existing ones. */
START_TEST(test_process_settings_apply_to_worlds_created_later)
{
    struct tj j;
    tj_call(&T, "GET", "/_mock/settings", NULL, &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "skew_seconds"), "600");
    tj_free(&j);
    tj_call(&T, "POST", "/_mock/settings", "{\"skew_seconds\":120}", &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "skew_seconds"), "120");
    tj_free(&j);
    tj_call(&T, "POST", "/_mock/worlds?default=1", NULL, &j);
    char path[96];
    snprintf(path, sizeof path, "/_mock/worlds/%s/settings",
             tjstr(j.root, "app_key"));
    tj_free(&j);
    tj_call(&T, "GET", path, NULL, &j);
    ck_assert_str_eq(tjstr(j.root, "skew_seconds"), "120");
    tj_free(&j);
    snprintf(path, sizeof path, "/_mock/worlds/%s/settings", T.app_key);
    tj_call(&T, "GET", path, NULL, &j);
    ck_assert_str_eq(tjstr(j.root, "skew_seconds"), "600");
    tj_free(&j);
}
END_TEST

/* ============================================================= journal */

static int64_t seq_of(const struct dd_json *e)
{
    return strtoll(tjstr(e, "seq"), NULL, 10);
}

START_TEST(test_journal_query_filters_by_since_app_key_kind_and_limit)
{
    struct tj j;
    tj_call(&T, "GET", "/_mock/health", NULL, &j);
    int64_t since = strtoll(tjstr(j.root, "journal_last_seq"), NULL, 10);
    tj_free(&j);
    /* Two API calls on the default world, one on a second world, and the
     * admin calls around them. */
    tj_call(&T, "POST", "/_mock/worlds?default=1", NULL, &j);
    struct app other;
    app_from(j.root, &other);
    tj_free(&j);
    struct app mine;
    default_app(&mine);
    struct dd_envelope env;
    call_as(&T, &mine, "afterSale.List", LIST_PJ, &env);
    dd_envelope_free(&env);
    token_for(&T, &other);
    call_as(&T, &mine, "order.logisticsCompanyList", "{}", &env);
    dd_envelope_free(&env);

    char path[160];
    snprintf(path, sizeof path, "/_mock/journal?since=%lld", (long long)since);
    tj_call(&T, "GET", path, NULL, &j);
    ck_assert_int_eq(j.status, 200);
    const struct dd_json *es = tjnode(j.root, "entries");
    /* health (journalled after it read `since`), POST, List,
     * token.create, logisticsCompanyList */
    ck_assert_int_eq(es->n, 5);
    for (size_t i = 0; i < es->n; i++) {
        ck_assert_int_eq(seq_of(&es->kids[i]), since + 1 + (int64_t)i);
    }
    ck_assert_str_eq(tjstr(&es->kids[0], "method"), "GET /_mock/health");
    ck_assert_str_eq(tjstr(&es->kids[1], "kind"), "admin");
    ck_assert_str_eq(tjstr(&es->kids[1], "method"), "POST /_mock/worlds");
    ck_assert_str_eq(tjstr(&es->kids[1], "code"), "200");
    ck_assert_str_eq(tjstr(&es->kids[2], "kind"), "api");
    tj_free(&j);

    snprintf(path, sizeof path, "/_mock/journal?since=%lld&app_key=%s",
             (long long)since, T.app_key);
    tj_call(&T, "GET", path, NULL, &j);
    es = tjnode(j.root, "entries");
    ck_assert_int_eq(es->n, 2);
    ck_assert_str_eq(tjstr(&es->kids[0], "method"), "afterSale.List");
    ck_assert_str_eq(tjstr(&es->kids[1], "method"),
                     "order.logisticsCompanyList");
    ck_assert_str_eq(tjstr(&es->kids[1], "app_key"), T.app_key);
    tj_free(&j);

    snprintf(path, sizeof path, "/_mock/journal?since=%lld&app_key=%s",
             (long long)since, other.app_key);
    tj_call(&T, "GET", path, NULL, &j);
    es = tjnode(j.root, "entries");
    ck_assert_int_eq(es->n, 1);
    ck_assert_str_eq(tjstr(&es->kids[0], "method"), "token.create");
    tj_free(&j);

    snprintf(path, sizeof path, "/_mock/journal?since=%lld&kind=admin",
             (long long)since);
    tj_call(&T, "GET", path, NULL, &j);
    es = tjnode(j.root, "entries");
    /* health, the POST, and the three journal queries before this one */
    ck_assert_int_eq(es->n, 5);
    for (size_t i = 0; i < es->n; i++)
        ck_assert_str_eq(tjstr(&es->kids[i], "kind"), "admin");
    ck_assert(
        strncmp(tjstr(&es->kids[2], "method"), "GET /_mock/journal", 18) == 0);
    tj_free(&j);

    snprintf(path, sizeof path, "/_mock/journal?since=%lld&kind=api&limit=2",
             (long long)since);
    tj_call(&T, "GET", path, NULL, &j);
    es = tjnode(j.root, "entries");
    ck_assert_int_eq(es->n, 2);
    ck_assert_str_eq(tjstr(&es->kids[0], "method"), "afterSale.List");
    ck_assert_str_eq(tjstr(&es->kids[1], "method"), "token.create");
    ck_assert_int_ge(strtoll(tjstr(j.root, "last_seq"), NULL, 10), since + 9);
    tj_free(&j);

    expect_status(&T, "GET", "/_mock/journal?since=-1", NULL, 400);
    expect_status(&T, "GET", "/_mock/journal?limit=x", NULL, 400);
}
END_TEST

START_TEST(test_explain_finds_a_log_id_and_404s_an_unknown_one)
{
    struct dd_envelope env;
    tcall(&T, "afterSale.List", LIST_PJ, NULL, &env);
    char path[96];
    snprintf(path, sizeof path, "/_mock/explain/%s", env.log_id);
    struct tj j;
    tj_call(&T, "GET", path, NULL, &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_str_eq(tjstr(j.root, "log_id"), env.log_id);
    ck_assert_str_eq(tjstr(j.root, "method"), "afterSale.List");
    tj_free(&j);
    dd_envelope_free(&env);
    expect_status(&T, "GET",
                  "/_mock/explain/20240101000000AAAAAAAAAAAAAAAAAAAA", NULL,
                  404);
    expect_status(&T, "GET", "/_mock/explain/nonsense", NULL, 404);
}
END_TEST

/* =============================================================== reset */

START_TEST(test_reset_deletes_every_world_and_clears_the_journal)
{
    struct tj j;
    tj_call(&T, "GET", "/_mock/health", NULL, &j);
    int64_t before = strtoll(tjstr(j.root, "journal_last_seq"), NULL, 10);
    tj_free(&j);
    tj_call(&T, "POST", "/_mock/reset", NULL, &j);
    ck_assert_int_eq(j.status, 200);
    ck_assert_int_eq(tjnode(j.root, "reset")->type, DD_JSON_TRUE);
    ck_assert_int_eq(tjnode(j.root, "worlds")->n, 0);
    tj_free(&j);
    tj_call(&T, "GET", "/_mock/journal", NULL, &j);
    const struct dd_json *es = tjnode(j.root, "entries");
    /* only the reset itself, whose seq kept counting */
    ck_assert_int_eq(es->n, 1);
    ck_assert_str_eq(tjstr(&es->kids[0], "method"), "POST /_mock/reset");
    ck_assert_int_gt(seq_of(&es->kids[0]), before);
    tj_free(&j);
    struct dd_envelope env;
    tcall(&T, "afterSale.List", LIST_PJ, NULL, &env);
    texpect_error(&env, 40003, "isv.app-id-invalid");
    dd_envelope_free(&env);
}
END_TEST

START_TEST(test_reset_with_default_world_loads_a_fresh_one)
{
    /* Change the world first, to see that the reset one is fresh. */
    char pj[128];
    snprintf(pj, sizeof pj,
             "{\"aftersale_id\":\"7000000000000000101\",\"op_time\":%lld}",
             (long long)time(NULL));
    struct dd_envelope env;
    tcall(&T, "afterSale.CancelSendGoodsSuccess", pj, NULL, &env);
    ck_assert_int_eq(env.code, 10000);
    dd_envelope_free(&env);
    struct tj j;
    tj_call(&T, "POST", "/_mock/reset", "{\"default_world\":true}", &j);
    ck_assert_int_eq(j.status, 200);
    const struct dd_json *ws = tjnode(j.root, "worlds");
    ck_assert_int_eq(ws->n, 1);
    ck_assert_str_eq(tjstr(&ws->kids[0], "shops.0.shop_id"), "23456789");
    ck_assert_str_eq(tjstr(&ws->kids[0], "aftersales"), "8");
    struct app a;
    app_from(&ws->kids[0], &a);
    tj_free(&j);
    token_for(&T, &a);
    call_as(&T, &a, "afterSale.Detail",
            "{\"after_sale_id\":\"7000000000000000101\"}", &env);
    ck_assert_int_eq(env.code, 10000);
    ck_assert_str_eq(
        tfield(&env, "process_info.after_sale_info.after_sale_status"), "6");
    dd_envelope_free(&env);
}
END_TEST

/* ============================================================== verbs */

START_TEST(test_wrong_verb_is_405)
{
    char path[96];
    expect_status(&T, "PATCH", "/_mock/worlds", NULL, 405);
    expect_status(&T, "GET", "/_mock/reset", NULL, 405);
    expect_status(&T, "DELETE", "/_mock/settings", NULL, 405);
    snprintf(path, sizeof path, "/_mock/worlds/%s", T.app_key);
    expect_status(&T, "POST", path, "{}", 405);
    snprintf(path, sizeof path, "/_mock/worlds/%s/auth_codes", T.app_key);
    expect_status(&T, "GET", path, NULL, 405);
    snprintf(path, sizeof path, "/_mock/worlds/%s/settings", T.app_key);
    expect_status(&T, "PUT", path, "{}", 405);
    /* none of them changed anything */
    struct tj j;
    tj_call(&T, "GET", "/_mock/health", NULL, &j);
    ck_assert_str_eq(tjstr(j.root, "worlds"), "1");
    tj_free(&j);
}
END_TEST

/* ======================================================== admin token */

START_TEST(test_admin_token_is_required_when_set)
{
    struct tmock t;
    struct tmock_config cfg = {.admin_token = "s3cret-admin"};
    tmock_start_cfg(&t, &cfg);
    expect_status(&t, "GET", "/_mock/health", NULL, 401);
    expect_status(&t, "POST", "/_mock/reset", NULL, 401);
    char *text;
    static const char *const wrong[] = {"X-Admin-Token: s3cret", NULL};
    ck_assert_int_eq(tadmin_hdr(&t, "GET", "/_mock/health", NULL, wrong, &text),
                     401);
    free(text);
    static const char *const right[] = {"X-Admin-Token: s3cret-admin", NULL};
    ck_assert_int_eq(tadmin_hdr(&t, "GET", "/_mock/health", NULL, right, &text),
                     200);
    ck_assert_ptr_nonnull(strstr(text, "\"worlds\":1"));
    free(text);
    /* The refused reset did nothing; the gateway needs no admin token. */
    tmock_token(&t);
    struct dd_envelope env;
    tcall(&t, "afterSale.List", LIST_PJ, NULL, &env);
    ck_assert_int_eq(env.code, 10000);
    dd_envelope_free(&env);
    tmock_stop(&t);
}
END_TEST

/* ============================================================== suite */

Suite *mock_admin_suite(void)
{
    Suite *s = suite_create("mock_admin");
    TCase *tc = tcase_create("read");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_health_says_ok_with_the_world_count);
    tcase_add_test(
        tc, test_list_worlds_shows_the_default_world_and_its_credentials);
    tcase_add_test(tc, test_entities_of_every_kind_are_read_by_id);
    tcase_add_test(tc, test_unknown_entities_kinds_and_worlds_are_404);
    suite_add_tcase(s, tc);

    tc = tcase_create("create");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc,
                   test_world_file_body_creates_a_world_that_answers_the_api);
    tcase_add_test(
        tc, test_world_file_with_fixed_credentials_keeps_them_and_only_once);
    tcase_add_test(tc, test_default_query_creates_a_fresh_default_world);
    tcase_add_test(tc, test_generated_worlds_are_deterministic_for_a_seed);
    tcase_add_test(tc, test_bad_generate_spec_or_seed_is_400);
    tcase_add_test(
        tc, test_bad_world_file_is_400_with_every_problem_as_request_line_col);
    tcase_add_test(tc, test_body_that_is_not_json_is_400_with_its_position);
    suite_add_tcase(s, tc);

    tc = tcase_create("snapshot");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(
        tc, test_restoring_a_dump_undoes_a_state_change_made_through_the_api);
    tcase_add_test(tc, test_restore_with_another_app_key_in_the_body_is_400);
    tcase_add_test(tc, test_deleted_world_is_gone_from_admin_and_gateway);
    suite_add_tcase(s, tc);

    tc = tcase_create("auth_codes");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_auth_code_is_issued_for_a_shop_with_ten_minutes);
    tcase_add_test(tc, test_auth_code_for_an_unknown_or_unnamed_shop_is_400);
    suite_add_tcase(s, tc);

    tc = tcase_create("settings");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_world_settings_are_read_and_changed_with_effect);
    tcase_add_test(tc,
                   test_bad_setting_name_or_value_is_400_and_changes_nothing);
    tcase_add_test(tc, test_process_settings_apply_to_worlds_created_later);
    suite_add_tcase(s, tc);

    tc = tcase_create("journal");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc,
                   test_journal_query_filters_by_since_app_key_kind_and_limit);
    tcase_add_test(tc, test_explain_finds_a_log_id_and_404s_an_unknown_one);
    suite_add_tcase(s, tc);

    tc = tcase_create("reset");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_reset_deletes_every_world_and_clears_the_journal);
    tcase_add_test(tc, test_reset_with_default_world_loads_a_fresh_one);
    tcase_add_test(tc, test_wrong_verb_is_405);
    suite_add_tcase(s, tc);

    tc = tcase_create("admin_token");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_admin_token_is_required_when_set);
    suite_add_tcase(s, tc);
    return s;
}
