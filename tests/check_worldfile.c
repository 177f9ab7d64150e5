/*
 * check_worldfile.c: unit tests of ddmock's world files (mock/worldfile.c,
 * format in mock/WORLD.md): loading with every problem reported as
 * file:line:col, relative times, credentials, the built-in default world,
 * the load generator and its spec parser, and dumps that restore a world
 * byte for byte. No server: the functions are called directly.
 *
 * Golden data: tests/data/worlds/bad-world.json and its expected messages
 * (bad-world.expected, typed by hand from the file); the example worlds
 * under mock/worlds/ (paths relative to the repository root, where the
 * tests run). Expected times are computed from the `now` handed to the
 * loader, never read back from the world.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "worldfile.h"

#define NOW INT64_C(1700000000) /* 2023-11-14T22:13:20Z */

/* Parses `text` and loads it as a world named `file`. */
static struct mock_world *load_text(const char *text, const char *file,
                                    uint64_t seed, int64_t now,
                                    struct dd_buf *errs)
{
    struct dd_json_doc doc;
    struct dd_json_error e;
    ck_assert_msg(dd_json_parse(text, strlen(text), NULL, &doc, &e) == 0,
                  "%u:%u: %s", e.pos.line, e.pos.col, e.msg);
    struct mock_world *w =
        mock_world_from_json(doc.root, file, NULL, seed, now, errs);
    dd_json_doc_free(&doc);
    return w;
}

/* Loads `text`, which must be a valid world. */
static struct mock_world *load_ok(const char *text, uint64_t seed, int64_t now)
{
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    struct mock_world *w = load_text(text, "test.json", seed, now, &errs);
    ck_assert_msg(w != NULL, "%s", dd_buf_str(&errs));
    ck_assert_uint_eq(errs.len, 0);
    dd_buf_free(&errs);
    return w;
}

/* The world's dump as a new string (free with free()). */
static char *dump_of(const struct mock_world *w)
{
    struct dd_buf b;
    struct dd_jw j;
    dd_buf_init(&b, 0);
    dd_jw_init(&j, &b);
    mock_world_dump(w, &j);
    ck_assert_int_eq(dd_jw_error(&j), 0);
    return dd_buf_steal(&b);
}

/* Dumps w, loads the dump (with another seed and another `now`, which a
 * dump must not depend on), dumps again, and asserts both dumps are the
 * same bytes. */
static void check_round_trip(const struct mock_world *w)
{
    char *d1 = dump_of(w);
    struct mock_world *back = load_ok(d1, 424242, NOW + 98765);
    char *d2 = dump_of(back);
    ck_assert_uint_eq(strlen(d1), strlen(d2));
    ck_assert_msg(strcmp(d1, d2) == 0, "the dumps differ");
    ck_assert_str_eq(back->app_key, w->app_key);
    ck_assert_str_eq(back->app_secret, w->app_secret);
    ck_assert_uint_eq(back->rng, w->rng);
    mock_world_free(back);
    free(d1);
    free(d2);
}

/* Counts the lines of s. */
static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* A small valid world with every kind of time, relative and absolute. */
static const char timed_world[] =
    "{\"shops\":[{\"shop_id\":\"10000001\"}],"
    "\"products\":[{\"product_id\":\"3600000000000000001\",\"skus\":"
    "[{\"sku_id\":\"1760000000000000001\",\"price\":3900}]}],"
    "\"orders\":["
    "{\"order_id\":\"6920000000000000001\",\"shop_id\":\"10000001\","
    "\"create_time\":\"now-2h\",\"pay_time\":\"now-1h59m\","
    "\"sku_orders\":[{\"sku_order_id\":\"6920000000000000001\","
    "\"sku_id\":\"1760000000000000001\"}]},"
    "{\"order_id\":\"6920000000000000101\",\"shop_id\":\"10000001\","
    "\"create_time\":1690000000,\"pay_time\":\"1690000060\","
    "\"logistics\":{\"company_code\":\"shunfeng\",\"tracking_no\":"
    "\"SF0000000000101\",\"ship_time\":\"now-1d12h\"},"
    "\"sku_orders\":[{\"sku_order_id\":\"6920000000000000101\","
    "\"sku_id\":\"1760000000000000001\"}]}],"
    "\"aftersales\":[{\"aftersale_id\":\"7000000000000000001\","
    "\"sku_order_id\":\"6920000000000000001\",\"type\":\"unshipped_refund\","
    "\"status\":6,\"apply_time\":\"now-30m\"},"
    "{\"aftersale_id\":\"7000000000000000101\","
    "\"sku_order_id\":\"6920000000000000101\",\"type\":\"return\","
    "\"status\":12,\"apply_time\":\"now-1d\",\"update_time\":\"now\"}],"
    "\"auth_codes\":[{\"shop_id\":\"10000001\",\"code\":\"c-1\","
    "\"expires\":\"now+10m\"}]}";

/* ================================================================ files */

START_TEST(test_bad_world_reports_exactly_the_expected_lines)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/worlds/bad-world.json", dd_test_data_dir());
    /* the expected file names the file as tests/data/...; put the real
     * data folder in its place */
    char *raw = dd_test_read_data("worlds/bad-world.expected", NULL);
    static const char prefix[] = "tests/data/worlds/bad-world.json";
    struct dd_buf want;
    dd_buf_init(&want, 0);
    for (const char *p = raw; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        ck_assert_msg(strncmp(p, prefix, sizeof prefix - 1) == 0,
                      "bad expected line: %.*s", (int)n, p);
        dd_buf_puts(&want, path);
        dd_buf_append(&want, p + sizeof prefix - 1, n - (sizeof prefix - 1));
        p += n;
    }
    free(raw);

    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    struct mock_world *w = mock_world_load_file(path, NULL, 1, NOW, &errs);
    ck_assert_ptr_null(w);
    ck_assert_str_eq(dd_buf_str(&errs), dd_buf_str(&want));
    ck_assert_uint_gt(lines(dd_buf_str(&errs)), 0);
    dd_buf_free(&errs);
    dd_buf_free(&want);
}
END_TEST

START_TEST(test_every_example_world_loads_cleanly)
{
    DIR *d = opendir("mock/worlds");
    ck_assert_msg(d != NULL, "run the tests from the repository root");
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "mock/worlds/%s", de->d_name);
        struct dd_buf errs;
        dd_buf_init(&errs, 0);
        struct mock_world *w = mock_world_load_file(path, NULL, 1, NOW, &errs);
        ck_assert_msg(w != NULL, "%s", dd_buf_str(&errs));
        ck_assert_uint_eq(errs.len, 0);
        ck_assert_uint_ge(w->shops.n, 1);
        if (strcmp(de->d_name, "two-shops.json") == 0) {
            ck_assert_uint_eq(w->shops.n, 2);
            ck_assert(!w->shops.v[1].cancel_auto_refund);
            ck_assert_int_eq(w->settings.time_scale, 60);
        }
        if (strcmp(de->d_name, "tool-app.json") == 0) {
            ck_assert_int_eq(w->app_type, MOCK_APP_TOOL);
            ck_assert_str_eq(w->app_key, "7300000000000000001");
            ck_assert_uint_eq(w->auth_codes.n, 1);
            ck_assert_int_eq(w->auth_codes.v[0].expires, NOW + 600);
        }
        if (strcmp(de->d_name, "minimal.json") == 0) {
            ck_assert_uint_eq(w->aftersales.n, 1);
            ck_assert_int_eq(w->aftersales.v[0].apply_time, NOW - 1800);
        }
        mock_world_free(w);
        dd_buf_free(&errs);
        n++;
    }
    closedir(d);
    ck_assert_int_ge(n, 3);
}
END_TEST

START_TEST(test_a_file_that_cannot_be_read_is_reported_at_1_1)
{
    static const char path[] = "tests/data/worlds/no-such-world.json";
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    ck_assert_ptr_null(mock_world_load_file(path, NULL, 1, NOW, &errs));
    ck_assert_uint_eq(lines(dd_buf_str(&errs)), 1);
    ck_assert_int_eq(strncmp(dd_buf_str(&errs),
                             "tests/data/worlds/no-such-world.json:1:1: ",
                             sizeof path - 1 + 6),
                     0);
    dd_buf_free(&errs);
}
END_TEST

START_TEST(test_every_problem_is_reported_with_its_position)
{
    static const char text[] =
        "{\n"
        "  \"shops\": [{\"shop_id\": \"10000001\", \"nam\": \"x\"}],\n"
        "  \"products\": [{\"product_id\": \"3600000000000000001\",\n"
        "    \"skus\": [{\"sku_id\": \"1760000000000000001\", \"price\": "
        "-1}]}],\n"
        "  \"orders\": \"none\"\n"
        "}\n";
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    ck_assert_ptr_null(load_text(text, "three.json", 1, NOW, &errs));
    const char *s = dd_buf_str(&errs);
    ck_assert_msg(lines(s) == 3, "%s", s);
    const char *l2 = strchr(s, '\n') + 1;
    const char *l3 = strchr(l2, '\n') + 1;
    ck_assert_int_eq(strncmp(s,
                             "three.json:2:37: shops[0]: unknown key \"nam\" "
                             "(did you mean \"name\"?)\n",
                             (size_t)(l2 - s)),
                     0);
    ck_assert_int_eq(strncmp(l2,
                             "three.json:4:57: products[0].skus[0].price: "
                             "must not be negative (got -1)\n",
                             (size_t)(l3 - l2)),
                     0);
    ck_assert_int_eq(strncmp(l3, "three.json:5:13: world.orders: ", 31), 0);
    dd_buf_free(&errs);
}
END_TEST

START_TEST(test_a_json_syntax_error_is_one_positioned_line)
{
    /* the file loader is the one that sees syntax errors: write a file */
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/ddworld-XXXXXX",
             dir && *dir ? dir : P_tmpdir);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    static const char text[] = "{\n  \"shops\": [,]\n}\n";
    ck_assert_int_eq(write(fd, text, sizeof text - 1),
                     (ssize_t)(sizeof text - 1));
    close(fd);
    struct dd_buf errs;
    dd_buf_init(&errs, 0);
    struct mock_world *w = mock_world_load_file(path, NULL, 1, NOW, &errs);
    unlink(path);
    ck_assert_ptr_null(w);
    const char *s = dd_buf_str(&errs);
    ck_assert_uint_eq(lines(s), 1);
    ck_assert_int_eq(strncmp(s, path, strlen(path)), 0);
    ck_assert_msg(strncmp(s + strlen(path), ":2:13: ", 7) == 0, "%s", s);
    dd_buf_free(&errs);
}
END_TEST

START_TEST(test_unknown_and_repeated_keys_and_wrong_types_are_errors)
{
    static const char *const bad[] = {
        "{\"shopz\":[]}",
        "{\"shops\":[],\"shops\":[]}",
        "{\"shops\":{}}",
        "{\"version\":2}",
        "{\"shops\":[{\"shop_id\":\"-5\"}]}",
        "{\"shops\":[{\"shop_id\":\"10000001\"},{\"shop_id\":10000001}]}",
        "{\"app\":{\"type\":\"robot\"}}",
        "{\"app\":{\"app_secret\":\"has space\"}}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct dd_buf errs;
        dd_buf_init(&errs, 0);
        struct mock_world *w = load_text(bad[i], "k.json", 1, NOW, &errs);
        ck_assert_msg(w == NULL, "accepted %s", bad[i]);
        ck_assert_msg(lines(dd_buf_str(&errs)) >= 1, "%s: no message", bad[i]);
        ck_assert_int_eq(strncmp(dd_buf_str(&errs), "k.json:1:", 9), 0);
        dd_buf_free(&errs);
    }
}
END_TEST

/* ================================================================ times */

START_TEST(test_relative_times_resolve_against_the_load_time)
{
    for (int k = 0; k < 2; k++) {
        int64_t now = NOW + k * 1000;
        struct mock_world *w = load_ok(timed_world, 1, now);
        const struct mock_order *o0 = &w->orders.v[0], *o1 = &w->orders.v[1];
        ck_assert_int_eq(o0->create_time, now - 7200);
        ck_assert_int_eq(o0->pay_time, now - 7140);
        /* absolute Unix seconds, as a number or a string, do not move */
        ck_assert_int_eq(o1->create_time, 1690000000);
        ck_assert_int_eq(o1->pay_time, 1690000060);
        ck_assert_int_eq(o1->ship_time, now - 129600);
        ck_assert_int_eq(w->sku_orders.v[1].ship_time, now - 129600);
        const struct mock_aftersale *a = &w->aftersales.v[0];
        ck_assert_int_eq(a->apply_time, now - 1800);
        ck_assert_int_eq(a->update_time, now - 1800);
        /* deadlines count from the load: 48 h for the merchant */
        ck_assert_int_eq(a->status_deadline, now + 172800);
        const struct mock_aftersale *b = &w->aftersales.v[1];
        ck_assert_int_eq(b->apply_time, now - 86400);
        ck_assert_int_eq(b->update_time, now);
        ck_assert_int_eq(b->final_time, now);
        ck_assert_int_eq(b->refund_time, now);
        ck_assert_int_eq(b->status_deadline, 0);
        ck_assert_int_eq(w->auth_codes.v[0].expires, now + 600);
        ck_assert_uint_eq(w->refunds.n, 1);
        ck_assert_int_eq(w->refunds.v[0].time, now);
        ck_assert_int_eq(w->refunds.v[0].amount, 3900);
        mock_world_free(w);
    }
}
END_TEST

START_TEST(test_malformed_times_are_each_reported)
{
    static const char *const bad[] = {"now-2x",    "now-",     "now+5",
                                      "yesterday", "now-1h30", "now--1h",
                                      "-5",        "1.5e9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(
            text, sizeof text,
            "{\"shops\":[{\"shop_id\":\"10000001\"}],"
            "\"products\":[{\"product_id\":\"3600000000000000001\","
            "\"skus\":[{\"sku_id\":\"1760000000000000001\",\"price\":1}]}],"
            "\"orders\":[{\"order_id\":\"6920000000000000001\","
            "\"shop_id\":\"10000001\",\"create_time\":\"%s\","
            "\"sku_orders\":[{\"sku_order_id\":\"6920000000000000001\","
            "\"sku_id\":\"1760000000000000001\"}]}]}",
            bad[i]);
        struct dd_buf errs;
        dd_buf_init(&errs, 0);
        ck_assert_ptr_null(load_text(text, "t.json", 1, NOW, &errs));
        ck_assert_msg(lines(dd_buf_str(&errs)) == 1, "%s: %s", bad[i],
                      dd_buf_str(&errs));
        ck_assert_msg(strstr(dd_buf_str(&errs), "orders[0].create_time: ") !=
                          NULL,
                      "%s", dd_buf_str(&errs));
        dd_buf_free(&errs);
    }
}
END_TEST

/* ================================================================ credentials
 */

START_TEST(test_credentials_are_generated_from_the_seed_when_absent)
{
    struct mock_world *a = load_ok("{}", 5, NOW);
    struct mock_world *b = load_ok("{}", 5, NOW + 50);
    struct mock_world *c = load_ok("{}", 6, NOW);
    struct mock_world *d = load_ok("{\"settings\":{\"seed\":5}}", 9, NOW);
    ck_assert_uint_eq(strlen(a->app_key), 19);
    for (int i = 0; i < 19; i++)
        ck_assert(a->app_key[i] >= '0' && a->app_key[i] <= '9');
    ck_assert_uint_gt(strlen(a->app_secret), 0);
    ck_assert_int_eq(a->app_type, MOCK_APP_SELF);
    ck_assert_str_eq(a->app_key, b->app_key);
    ck_assert_str_eq(a->app_secret, b->app_secret);
    ck_assert_str_ne(a->app_key, c->app_key);
    ck_assert_str_ne(a->app_secret, c->app_secret);
    /* a seed in the file's settings seeds the credentials */
    ck_assert_str_eq(a->app_key, d->app_key);
    ck_assert_str_eq(a->app_secret, d->app_secret);
    mock_world_free(a);
    mock_world_free(b);
    mock_world_free(c);
    mock_world_free(d);
}
END_TEST

START_TEST(test_credentials_given_in_the_file_are_kept)
{
    struct mock_world *w =
        load_ok("{\"app\":{\"type\":\"tool\",\"name\":\"工具\","
                "\"app_key\":\"7300000000000000009\","
                "\"app_secret\":\"my-Secret_01\"}}",
                5, NOW);
    ck_assert_str_eq(w->app_key, "7300000000000000009");
    ck_assert_str_eq(w->app_secret, "my-Secret_01");
    ck_assert_int_eq(w->app_type, MOCK_APP_TOOL);
    ck_assert_str_eq(w->name, "工具");
    mock_world_free(w);
}
END_TEST

START_TEST(test_file_settings_override_the_defaults)
{
    struct mock_world *w =
        load_ok("{\"settings\":{\"skew_seconds\":300,"
                "\"merchant_response_timeout\":\"1h\",\"time_scale\":60}}",
                1, NOW);
    ck_assert_int_eq(w->settings.skew_seconds, 300);
    ck_assert_int_eq(w->settings.merchant_response_timeout, 3600);
    ck_assert_int_eq(w->settings.time_scale, 60);
    ck_assert_int_eq(w->settings.list_default_window_days, 183);
    mock_world_free(w);
}
END_TEST

/* ================================================================ default */

START_TEST(test_the_default_world_holds_the_documented_entities)
{
    struct mock_world *w = mock_world_default(NULL, 7, NOW);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(w->app_type, MOCK_APP_SELF);
    ck_assert_str_eq(w->name, "dd-harness 默认世界");
    ck_assert_uint_eq(w->shops.n, 1);
    ck_assert_int_eq(w->shops.v[0].shop_id, 23456789);
    ck_assert(w->shops.v[0].cancel_auto_refund);
    ck_assert(w->shops.v[0].return_auto_refund);
    ck_assert_uint_eq(w->products.n, 3);
    ck_assert_uint_eq(w->skus.n, 6);
    ck_assert_uint_eq(w->orders.n, 10);
    ck_assert_uint_eq(w->sku_orders.n, 13);
    ck_assert_uint_eq(w->aftersales.n, 8);
    uint32_t as = mock_world_aftersale(w, INT64_C(7000000000000000501));
    ck_assert_uint_ne(as, MOCK_NONE);
    ck_assert_int_eq(w->aftersales.v[as].status, 11);
    ck_assert_int_eq(w->aftersales.v[as].apply_time, NOW - 4 * 86400);
    ck_assert_str_eq(w->aftersales.v[as].return_tracking_no, "SF1234567890501");
    uint32_t oi = mock_world_order(w, INT64_C(6920000000000000201));
    ck_assert_uint_ne(oi, MOCK_NONE);
    ck_assert_uint_eq(w->orders.v[oi].n_sku_orders, 3);
    ck_assert_int_eq(w->orders.v[oi].status, MOCK_ORDER_PAID);
    /* the one refunded after-sale is in the derived ledger */
    ck_assert_uint_eq(w->refunds.n, 1);
    ck_assert_int_eq(w->aftersales.v[w->refunds.v[0].aftersale].aftersale_id,
                     INT64_C(7000000000000000701));
    ck_assert_int_eq(w->refunds.v[0].amount, 5900);
    mock_world_free(w);
}
END_TEST

/* ================================================================ dumps */

START_TEST(test_dump_load_dump_is_byte_identical_for_the_default_world)
{
    struct mock_world *w = mock_world_default(NULL, 7, NOW);
    check_round_trip(w);
    /* and after the world moved: a refund, a refusal, a token, a code */
    uint32_t as = mock_world_aftersale(w, INT64_C(7000000000000000101));
    mock_aftersale_record(w, as, NOW + 10, MOCK_ROLE_SELLER,
                          "cancel_send_goods", "ERP取消发货回传");
    mock_aftersale_refund(w, as, NOW + 10, MOCK_REFUND_BY_ASSISTANT,
                          MOCK_AUDIT_ASSISTANT_REFUND,
                          "CancelSendGoodsSuccess");
    as = mock_world_aftersale(w, INT64_C(7000000000000000301));
    mock_aftersale_set_status(w, as, MOCK_AS_SELLER_REFUSED, NOW + 20,
                              MOCK_ROLE_SELLER, "refuse_return", "拒绝");
    mock_token_issue(w, 0, NOW + 30);
    mock_auth_code_issue(w, 0, NOW + 40);
    ck_assert_uint_eq(w->refunds.n, 2);
    check_round_trip(w);
    mock_world_free(w);
}
END_TEST

START_TEST(test_dump_load_dump_is_byte_identical_for_a_generated_world)
{
    struct mock_gen_spec spec = {2, 60, 45};
    struct mock_world *w = mock_world_generate(&spec, NULL, 11, NOW);
    ck_assert_ptr_nonnull(w);
    check_round_trip(w);
    mock_world_free(w);
}
END_TEST

START_TEST(test_the_generator_is_deterministic_for_a_seed)
{
    struct mock_gen_spec spec = {2, 60, 45};
    struct mock_world *a = mock_world_generate(&spec, NULL, 11, NOW);
    struct mock_world *b = mock_world_generate(&spec, NULL, 11, NOW);
    struct mock_world *c = mock_world_generate(&spec, NULL, 12, NOW);
    ck_assert_uint_eq(a->shops.n, 2);
    ck_assert_uint_eq(a->orders.n, 60);
    ck_assert_uint_eq(a->aftersales.n, 45);
    char *da = dump_of(a), *db = dump_of(b), *dc = dump_of(c);
    ck_assert_msg(strcmp(da, db) == 0, "same seed, different worlds");
    ck_assert_msg(strcmp(da, dc) != 0, "different seeds, same world");
    ck_assert_str_ne(a->app_key, c->app_key);
    /* times are relative to `now`: every one inside the last 150 days */
    for (uint32_t i = 0; i < a->orders.n; i++) {
        ck_assert_int_le(a->orders.v[i].create_time, NOW);
        ck_assert_int_ge(a->orders.v[i].create_time, NOW - 151 * 86400);
    }
    for (uint32_t i = 0; i < a->aftersales.n; i++)
        ck_assert_int_ge(a->aftersales.v[i].update_time,
                         a->aftersales.v[i].apply_time);
    free(da);
    free(db);
    free(dc);
    mock_world_free(a);
    mock_world_free(b);
    mock_world_free(c);
}
END_TEST

/* ================================================================ spec */

START_TEST(test_gen_parse_reads_counts_with_defaults)
{
    struct mock_gen_spec g;
    char err[256];
    ck_assert_int_eq(
        mock_gen_parse("shops=2,orders=10,aftersales=5", &g, err, sizeof err),
        0);
    ck_assert_uint_eq(g.shops, 2);
    ck_assert_uint_eq(g.orders, 10);
    ck_assert_uint_eq(g.aftersales, 5);
    ck_assert_int_eq(mock_gen_parse("aftersales=3", &g, err, sizeof err), 0);
    ck_assert_uint_eq(g.shops, 1);
    ck_assert_uint_eq(g.orders, 100);
    ck_assert_uint_eq(g.aftersales, 3);
    ck_assert_int_eq(mock_gen_parse("", &g, err, sizeof err), 0);
    ck_assert_uint_eq(g.shops, 1);
    ck_assert_uint_eq(g.orders, 100);
    ck_assert_uint_eq(g.aftersales, 50);
    ck_assert_int_eq(
        mock_gen_parse("orders=10000000,aftersales=0", &g, err, sizeof err), 0);
    ck_assert_uint_eq(g.orders, 10000000);
}
END_TEST

START_TEST(test_gen_parse_rejects_unknown_keys_and_bad_numbers)
{
    static const char *const bad[] = {
        "users=3",
        "orders=1x",
        "orders=-1",
        "orders=+5",
        "orders=1.5",
        "orders=",
        "orders",
        "orders=1,,aftersales=2",
        "orders=1,",
        "orders=1,orders=2",
        "orders=0,aftersales=1",
        "shops=0",
        "orders=10000001",
        "orders=99999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mock_gen_spec g = {7, 7, 7};
        char err[256] = "";
        ck_assert_msg(mock_gen_parse(bad[i], &g, err, sizeof err) == -1,
                      "accepted %s", bad[i]);
        ck_assert_msg(err[0] != '\0', "%s: no message", bad[i]);
        ck_assert_uint_eq(g.shops, 7); /* untouched */
    }
    char err[256];
    struct mock_gen_spec g;
    mock_gen_parse("users=3", &g, err, sizeof err);
    ck_assert_ptr_nonnull(strstr(err, "users"));
}
END_TEST

Suite *worldfile_suite(void)
{
    Suite *s = suite_create("worldfile");
    TCase *tc = tcase_create("load");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bad_world_reports_exactly_the_expected_lines);
    tcase_add_test(tc, test_every_example_world_loads_cleanly);
    tcase_add_test(tc, test_a_file_that_cannot_be_read_is_reported_at_1_1);
    tcase_add_test(tc, test_every_problem_is_reported_with_its_position);
    tcase_add_test(tc, test_a_json_syntax_error_is_one_positioned_line);
    tcase_add_test(tc,
                   test_unknown_and_repeated_keys_and_wrong_types_are_errors);
    tcase_add_test(tc, test_relative_times_resolve_against_the_load_time);
    tcase_add_test(tc, test_malformed_times_are_each_reported);
    tcase_add_test(tc,
                   test_credentials_are_generated_from_the_seed_when_absent);
    tcase_add_test(tc, test_credentials_given_in_the_file_are_kept);
    tcase_add_test(tc, test_file_settings_override_the_defaults);
    tcase_add_test(tc, test_the_default_world_holds_the_documented_entities);
    suite_add_tcase(s, tc);

    tc = tcase_create("dump_and_generate");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc,
                   test_dump_load_dump_is_byte_identical_for_the_default_world);
    tcase_add_test(tc,
                   test_dump_load_dump_is_byte_identical_for_a_generated_world);
    tcase_add_test(tc, test_the_generator_is_deterministic_for_a_seed);
    tcase_add_test(tc, test_gen_parse_reads_counts_with_defaults);
    tcase_add_test(tc, test_gen_parse_rejects_unknown_keys_and_bad_numbers);
    suite_add_tcase(s, tc);
    return s;
}
