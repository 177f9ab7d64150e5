/*
 * check_mock_order.c: end-to-end tests of ddmock's auth, order and
 * logistics APIs (mock/api_token.c, mock/api_order.c): token.create,
 * order.orderDetail, order.searchList, order.logisticsAdd and
 * order.logisticsCompanyList, per doudian-open-api.md §2.2, §2.4, §3.4,
 * §4.7, §4.8, §4.10, doudian-shipping-and-operations.md §1.1 and §1.6, and
 * mock/README.md "Auth, order and logistics APIs: behaviour and guesses".
 *
 * Every test starts its own server with the default world (mock/WORLD.md,
 * "The default world"); a two-shop world is POSTed through the admin API
 * where another shop's order is needed. Expected codes, sub_codes and
 * sub_msgs are typed from the spec's error rows, and expected ids, statuses
 * and amounts from the documented default world.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock_util.h"
#include "suites.h"

#define MAX_ENVS 64

static struct tmock T;
static struct dd_envelope envs[MAX_ENVS];
static int n_envs;

static void setup(void)
{
    tmock_start(&T, NULL);
    tmock_token(&T);
}

static void teardown(void)
{
    for (int i = 0; i < n_envs; i++) {
        dd_envelope_free(&envs[i]);
        memset(&envs[i], 0, sizeof envs[i]);
    }
    n_envs = 0;
    tmock_stop(&T);
}

/* Sends `method` with the printf-formed param_json and options `o` (NULL
 * for the defaults); the envelope lives until teardown. */
static const struct dd_envelope *vcall(const char *method,
                                       const struct tcall_opts *o,
                                       const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static const struct dd_envelope *vcall(const char *method,
                                       const struct tcall_opts *o,
                                       const char *fmt, va_list ap)
{
    ck_assert_int_lt(n_envs, MAX_ENVS);
    struct dd_buf pj;
    dd_buf_init(&pj, 0);
    dd_buf_vprintf(&pj, fmt, ap);
    struct dd_envelope *e = &envs[n_envs++];
    long status = tcall(&T, method, dd_buf_str(&pj), o, e);
    dd_buf_free(&pj);
    ck_assert_int_eq(status, 200);
    return e;
}

static const struct dd_envelope *call(const char *method, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const struct dd_envelope *call(const char *method, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const struct dd_envelope *e = vcall(method, NULL, fmt, ap);
    va_end(ap);
    return e;
}

/* token.create, sent without an access_token. */
static const struct dd_envelope *token_create(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static const struct dd_envelope *token_create(const char *fmt, ...)
{
    static const struct tcall_opts no_token = {.access_token = ""};
    va_list ap;
    va_start(ap, fmt);
    const struct dd_envelope *e = vcall("token.create", &no_token, fmt, ap);
    va_end(ap);
    return e;
}

/* Two shops, one unshipped order each. */
static const char two_shops[] =
    "{\"app\":{\"app_key\":\"7100000000000000003\",\"app_secret\":\"two-s\"},"
    "\"shops\":[{\"shop_id\":\"32000001\"},{\"shop_id\":\"32000002\"}],"
    "\"products\":[{\"product_id\":\"3620000000000000001\",\"skus\":"
    "[{\"sku_id\":\"1720000000000000001\",\"price\":1000}]}],"
    "\"orders\":["
    "{\"order_id\":\"6920000000000320001\",\"shop_id\":\"32000001\","
    "\"create_time\":\"now-1h\",\"sku_orders\":[{\"sku_order_id\":"
    "\"6920000000000320001\",\"sku_id\":\"1720000000000000001\"}]},"
    "{\"order_id\":\"6920000000000320101\",\"shop_id\":\"32000002\","
    "\"create_time\":\"now-1h\",\"sku_orders\":[{\"sku_order_id\":"
    "\"6920000000000320101\",\"sku_id\":\"1720000000000000001\"}]}]}";

#define DETAIL "shop_order_detail."

static const struct dd_envelope *order_detail(const char *id)
{
    return tok(call("order.orderDetail", "{\"shop_order_id\":\"%s\"}", id));
}

/* order.logisticsAdd with shunfeng and a valid tracking number, plus
 * `extra` members (may be ""). */
static const struct dd_envelope *ship(const char *order_id, const char *extra)
{
    return call("order.logisticsAdd",
                "{\"order_id\":\"%s\",\"company_code\":\"shunfeng\","
                "\"logistics_code\":\"SF7700000000001\"%s}",
                order_id, extra);
}

/* ================================================================ token */

START_TEST(test_token_create_for_a_self_use_app_takes_shop_id_as_a_string)
{
    const struct dd_envelope *e =
        tok(token_create("{\"code\":\"\",\"grant_type\":\"authorization_self\","
                         "\"shop_id\":\"23456789\"}"));
    const char *access = tstr(e, "access_token");
    ck_assert_uint_gt(strlen(access), 0);
    ck_assert_str_ne(access, T.token); /* a new pair each time */
    ck_assert_uint_gt(strlen(tstr(e, "refresh_token")), 0);
    ck_assert_str_ne(tstr(e, "refresh_token"), access);
    ck_assert_int_eq(tnum(e, "expires_in"), 604800);
    const struct dd_json *shop = tnode(e, "shop_id");
    ck_assert_int_eq(shop->type, DD_JSON_NUMBER);
    ck_assert_str_eq(shop->text, "23456789");
    ck_assert_str_eq(tstr(e, "authority_id"), "23456789");
    ck_assert_str_eq(tstr(e, "scope"), "SCOPE");
    ck_assert_str_eq(tstr(e, "shop_name"), "dd-harness 演示店");
    /* the new token works */
    snprintf(T.token, sizeof T.token, "%s", access);
    tok(call("afterSale.List", "{\"page\":0,\"size\":1}"));
}
END_TEST

START_TEST(test_token_create_accepts_the_go_sdk_forms_of_shop_id)
{
    /* a JSON number */
    const struct dd_envelope *e =
        tok(token_create("{\"code\":\"\",\"grant_type\":\"authorization_self\","
                         "\"shop_id\":23456789}"));
    ck_assert_int_eq(tnum(e, "shop_id"), 23456789);
    /* the official Go SDK's "auth_id":null */
    e = tok(token_create("{\"code\":\"\",\"grant_type\":\"authorization_self\","
                         "\"shop_id\":23456789,\"auth_id\":null}"));
    ck_assert_int_eq(tnum(e, "shop_id"), 23456789);
    /* auth_id replaces shop_id */
    e = tok(token_create("{\"grant_type\":\"authorization_self\","
                         "\"auth_id\":\"23456789\"}"));
    ck_assert_int_eq(tnum(e, "shop_id"), 23456789);
    /* no shop at all: the world's only shop */
    e = tok(token_create("{\"grant_type\":\"authorization_self\"}"));
    ck_assert_int_eq(tnum(e, "shop_id"), 23456789);
}
END_TEST

START_TEST(test_token_create_for_an_unknown_shop_has_no_authorization)
{
    static const char *const bad[] = {"\"99999999\"", "99999999", "\"abc\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        tfails(token_create("{\"code\":\"\",\"grant_type\":"
                            "\"authorization_self\",\"shop_id\":%s}",
                            bad[i]),
               50001, "dop.token-generate-failed:no-authorization",
               "店铺授权已失效，请重新引导商家完成店铺授权");
    /* with two shops the shop must be named */
    tmock_use_world(&T, two_shops, "7100000000000000003", "two-s", "32000001");
    tfails(token_create("{\"grant_type\":\"authorization_self\"}"), 50001,
           "dop.token-generate-failed:no-authorization", NULL);
}
END_TEST

START_TEST(test_token_create_with_a_wrong_grant_type_is_rejected)
{
    tfails(token_create("{\"grant_type\":\"password\",\"shop_id\":23456789}"),
           50001, "dop.token-generate-failed:grant-type-invalid",
           "grant_type参数取值不正确");
    tfails(token_create("{\"shop_id\":23456789}"), 40001,
           "isv.parameter-missing", "缺少参数");
    tfails(token_create("{\"grant_type\":\"authorization_code\","
                        "\"code\":\"never-issued\"}"),
           50001, "dop.token-generate-failed:code-invalid",
           "code参数不正确，请引导商家重新授权获取code");
}
END_TEST

/* ================================================================ detail */

START_TEST(test_order_detail_shows_string_ids_and_the_lines)
{
    const struct dd_envelope *e = order_detail("6920000000000000201");
    ck_assert_str_eq(tstr(e, DETAIL "order_id"), "6920000000000000201");
    const struct dd_json *shop = tnode(e, DETAIL "shop_id");
    ck_assert_int_eq(shop->type, DD_JSON_NUMBER);
    ck_assert_str_eq(shop->text, "23456789");
    ck_assert_int_eq(tnum(e, DETAIL "order_status"), 2);
    ck_assert_str_eq(tstr(e, DETAIL "order_status_desc"), "备货中");
    ck_assert_int_eq(tnum(e, DETAIL "pay_amount"), 19800);
    ck_assert_int_eq(tnum(e, DETAIL "order_amount"), 19800);
    ck_assert_int_eq(tnum(e, DETAIL "post_amount"), 0);
    ck_assert_uint_eq(tcount(e, DETAIL "sku_order_list"), 3);
    ck_assert_uint_eq(tcount(e, DETAIL "logistics_info"), 0);
    ck_assert_str_eq(tstr(e, DETAIL "sku_order_list.1.order_id"),
                     "6920000000000000202");
    ck_assert_str_eq(tstr(e, DETAIL "sku_order_list.1.parent_order_id"),
                     "6920000000000000201");
    ck_assert_int_eq(tnum(e, DETAIL "sku_order_list.1.pay_amount"), 8900);
    ck_assert_int_eq(tnum(e, DETAIL "sku_order_list.1.sku_id"),
                     INT64_C(1760000000000000021));
    ck_assert_str_eq(tstr(e, DETAIL "sku_order_list.1.code"), "CUP-500-BLU");
    ck_assert_str_eq(tstr(e, DETAIL "sku_order_list.1.spec.0.value"), "星空蓝");
    ck_assert_int_eq(
        tnum(e, DETAIL "sku_order_list.1.after_sale_info.after_sale_status"),
        6);
    ck_assert_int_eq(
        tnum(e, DETAIL "sku_order_list.1.after_sale_info.after_sale_type"), 2);
    ck_assert_int_eq(
        tnum(e, DETAIL "sku_order_list.0.after_sale_info.after_sale_status"),
        0);
    ck_assert_int_eq(tnum(e, DETAIL "sku_order_list.2.item_num"), 2);
    /* post and a shipped parcel; the id as a JSON number */
    e = tok(
        call("order.orderDetail", "{\"shop_order_id\":6920000000000000601}"));
    ck_assert_int_eq(tnum(e, DETAIL "post_amount"), 800);
    ck_assert_int_eq(tnum(e, DETAIL "order_amount"), 3300);
    ck_assert_int_eq(tnum(e, DETAIL "order_status"), 3);
    ck_assert_str_eq(tstr(e, DETAIL "logistics_info.0.tracking_no"),
                     "SF1000000000601");
    ck_assert_str_eq(tstr(e, DETAIL "logistics_info.0.company"), "shunfeng");
    ck_assert_str_eq(tstr(e, DETAIL "logistics_info.0.company_name"),
                     "顺丰速运");
    /* buyer_words */
    e = order_detail("6920000000000001001");
    ck_assert_str_eq(tstr(e, DETAIL "buyer_words"), "请尽快发货");
    /* a finished order */
    e = order_detail("6920000000000000701");
    ck_assert_int_eq(tnum(e, DETAIL "order_status"), 5);
    ck_assert_int_ne(tnum(e, DETAIL "finish_time"), 0);
}
END_TEST

START_TEST(test_order_detail_errors_follow_the_spec_rows)
{
    tfails(call("order.orderDetail", "{}"), 40002,
           "isv.missing-parameter:20000", "请输入查询订单号");
    tfails(call("order.orderDetail", "{\"shop_order_id\":\"\"}"), 40002,
           "isv.missing-parameter:20000", "请输入查询订单号");
    tfails(call("order.orderDetail", "{\"shop_order_id\":null}"), 40002,
           "isv.missing-parameter:20000", "请输入查询订单号");
    tfails(call("order.orderDetail",
                "{\"shop_order_id\":\"6920000000000009999\"}"),
           40004, "isv.parameter-invalid:20014", "查询订单不存在");
    /* a SKU order id is not a shop order */
    tfails(call("order.orderDetail",
                "{\"shop_order_id\":\"6920000000000000202\"}"),
           40004, "isv.parameter-invalid:20014", "查询订单不存在");
    tfails(call("order.orderDetail", "{\"shop_order_id\":\"abc\"}"), 40004,
           "isv.parameter-invalid:20001", "订单不存在");
}
END_TEST

START_TEST(test_order_detail_of_another_shops_order_is_20015)
{
    tmock_use_world(&T, two_shops, "7100000000000000003", "two-s", "32000001");
    ck_assert_str_eq(
        tstr(order_detail("6920000000000320001"), DETAIL "order_id"),
        "6920000000000320001");
    tfails(call("order.orderDetail",
                "{\"shop_order_id\":\"6920000000000320101\"}"),
           50002, "isv.business-failed:20015",
           "订单不是该店铺下的订单，无权查询");
    /* searchList shows only the token's shop */
    const struct dd_envelope *e =
        tok(call("order.searchList",
                 "{\"page\":0,\"size\":100,\"create_time_start\":%lld}",
                 (long long)time(NULL) - 86400));
    ck_assert_int_eq(tnum(e, "total"), 1);
    ck_assert_str_eq(tstr(e, "shop_order_list.0.order_id"),
                     "6920000000000320001");
}
END_TEST

/* ================================================================ search */

/* One searchList query over the default world and what it finds. */
struct search_case {
    const char *params; /* members after page, size and create_time_start */
    int64_t total;
    const char *first; /* the first order id, or NULL */
};

static void run_searches(const struct search_case *sc, size_t n)
{
    int64_t start = (int64_t)time(NULL) - 30 * 86400;
    for (size_t i = 0; i < n; i++) {
        const struct dd_envelope *e =
            call("order.searchList",
                 "{\"page\":0,\"size\":100,\"create_time_start\":%lld%s%s}",
                 (long long)start, sc[i].params[0] ? "," : "", sc[i].params);
        ck_assert_msg(e->code == 10000, "%s: %lld %s", sc[i].params,
                      (long long)e->code, e->sub_code);
        ck_assert_msg(tnum(e, "total") == sc[i].total,
                      "%s: total %lld, expected %lld", sc[i].params,
                      (long long)tnum(e, "total"), (long long)sc[i].total);
        ck_assert_uint_eq(tcount(e, "shop_order_list"), (size_t)sc[i].total);
        if (sc[i].first)
            ck_assert_str_eq(tstr(e, "shop_order_list.0.order_id"),
                             sc[i].first);
    }
}

START_TEST(test_search_list_finds_the_orders_newest_first)
{
    static const char *const want[] = {
        "6920000000000000901", "6920000000000000101", "6920000000000000201",
        "6920000000000001001", "6920000000000000301", "6920000000000000601",
        "6920000000000000401", "6920000000000000801", "6920000000000000501",
        "6920000000000000701"};
    int64_t start = (int64_t)time(NULL) - 30 * 86400;
    const struct dd_envelope *e =
        tok(call("order.searchList",
                 "{\"page\":0,\"size\":100,\"create_time_start\":%lld}",
                 (long long)start));
    ck_assert_int_eq(tnum(e, "total"), 10);
    ck_assert_int_eq(tnum(e, "page"), 0);
    ck_assert_int_eq(tnum(e, "size"), 100);
    ck_assert_ptr_null(tnode(e, "has_more")); /* §4.10: none */
    ck_assert_uint_eq(tcount(e, "shop_order_list"), 10);
    for (size_t i = 0; i < 10; i++) {
        char path[64];
        snprintf(path, sizeof path, "shop_order_list.%zu.order_id", i);
        ck_assert_str_eq(tstr(e, path), want[i]);
    }
    ck_assert_int_eq(tnum(e, "shop_order_list.0.shop_id"), 23456789);
    /* ascending, and paging */
    e = tok(call("order.searchList",
                 "{\"page\":0,\"size\":1,\"create_time_start\":%lld,"
                 "\"order_asc\":true}",
                 (long long)start));
    ck_assert_str_eq(tstr(e, "shop_order_list.0.order_id"), want[9]);
    e = tok(call("order.searchList",
                 "{\"page\":1,\"size\":3,\"create_time_start\":\"%lld\"}",
                 (long long)start));
    ck_assert_int_eq(tnum(e, "total"), 10);
    ck_assert_uint_eq(tcount(e, "shop_order_list"), 3);
    ck_assert_str_eq(tstr(e, "shop_order_list.0.order_id"), want[3]);
    ck_assert_str_eq(tstr(e, "shop_order_list.2.order_id"), want[5]);
}
END_TEST

START_TEST(test_search_list_honours_its_filters)
{
    int64_t now = (int64_t)time(NULL);
    char end[96], upd[96];
    snprintf(end, sizeof end, "\"create_time_end\":%lld",
             (long long)(now - 6 * 86400));
    snprintf(upd, sizeof upd, "\"update_time_start\":%lld",
             (long long)(now - 25 * 3600));
    const struct search_case sc[] = {
        {"", 10, "6920000000000000901"},
        {end, 4, "6920000000000000401"},
        {upd, 4, "6920000000000000901"},
        {"\"combine_status\":[{\"order_status\":\"3\"}]", 6,
         "6920000000000001001"},
        {"\"combine_status\":[{\"order_status\":\"2,5\"}]", 4,
         "6920000000000000901"},
        {"\"combine_status\":[{\"main_status\":\"39\"}]", 1,
         "6920000000000000701"},
        {"\"tracking_no\":\"SF1000000000301\"", 1, "6920000000000000301"},
        {"\"product\":\"3600000000000000003\"", 3, "6920000000000000201"},
        {"\"product\":\"保温杯\"", 4, "6920000000000000901"},
        {"\"after_sale_status_desc\":\"in_aftersale\"", 6,
         "6920000000000000101"},
        {"\"after_sale_status_desc\":\"refund_success\"", 1,
         "6920000000000000701"},
        {"\"after_sale_status_desc\":\"aftersale_close\"", 1,
         "6920000000000000801"},
        {"\"after_sale_status_desc\":\"all\"", 10, NULL},
        {"\"b_type\":2", 10, NULL},
        {"\"b_type\":1", 0, NULL},
        {"\"order_by\":\"update_time\",\"order_asc\":true", 10,
         "6920000000000000701"},
    };
    run_searches(sc, sizeof sc / sizeof sc[0]);
    /* only update_time_start: the create window defaults to 90 days */
    const struct dd_envelope *e =
        tok(call("order.searchList", "{\"page\":0,\"size\":100,%s}", upd));
    ck_assert_int_eq(tnum(e, "total"), 4);
}
END_TEST

START_TEST(test_search_list_errors_follow_the_spec_rows)
{
    int64_t now = (int64_t)time(NULL);
    long long start = (long long)(now - 86400);
    tfails(call("order.searchList",
                "{\"page\":0,\"size\":101,\"create_time_start\":%lld}", start),
           40004, "isv.parameter-invalid:20008", "单次查询订单数超过限制");
    tfails(call("order.searchList",
                "{\"page\":-1,\"size\":10,\"create_time_start\":%lld}", start),
           40004, "isv.parameter-invalid:10035", "查询订单列表页数不能小于0");
    tfails(call("order.searchList",
                "{\"page\":501,\"size\":100,\"create_time_start\":%lld}",
                start),
           40004, "isv.parameter-invalid:20013", "订单查询最多支持查询5万");
    tfails(call("order.searchList",
                "{\"page\":0,\"size\":0,\"create_time_start\":%lld}", start),
           40003, "isv.parameter-invalid", "参数错误");
    tfails(call("order.searchList", "{\"size\":10,\"create_time_start\":%lld}",
                start),
           40001, "isv.parameter-missing", "缺少参数");
    tfails(call("order.searchList", "{\"page\":0,\"size\":10}"), 40004,
           "isv.parameter-invalid:20011", "订单查询开始时间不能为空");
    tfails(call("order.searchList",
                "{\"page\":0,\"size\":10,\"create_time_start\":%lld}",
                (long long)(now - 91 * 86400)),
           40004, "isv.parameter-invalid:20022",
           "订单查询只支持查询最近90天内的数据");
    tok(call("order.searchList",
             "{\"page\":0,\"size\":10,\"create_time_start\":%lld}",
             (long long)(now - 89 * 86400)));
    tfails(call("order.searchList",
                "{\"page\":0,\"size\":10,\"create_time_start\":%lld,"
                "\"combine_status\":[{\"order_status\":\"2\"},"
                "{\"order_status\":\"3\"}]}",
                start),
           40004, "isv.parameter-invalid:20012",
           "订单查询状态条件超过限制，只支持1个元素");
    tfails(call("order.searchList",
                "{\"page\":0,\"size\":10,\"create_time_start\":%lld,"
                "\"after_sale_status_desc\":\"bogus\"}",
                start),
           40003, "isv.parameter-invalid", NULL);
    tfails(call("order.searchList",
                "{\"page\":0,\"size\":10,\"create_time_start\":%lld,"
                "\"order_by\":\"price\"}",
                start),
           40003, "isv.parameter-invalid", NULL);
}
END_TEST

/* ================================================================ ship */

START_TEST(test_logistics_add_ships_an_order_without_after_sales)
{
    int64_t before = (int64_t)time(NULL) - 1;
    const struct dd_envelope *e = tok(ship("6920000000000000901", ""));
    ck_assert_int_eq(e->data->type, DD_JSON_OBJECT);
    e = order_detail("6920000000000000901");
    ck_assert_int_eq(tnum(e, DETAIL "order_status"), 3);
    ck_assert_str_eq(tstr(e, DETAIL "order_status_desc"), "已发货");
    ck_assert_int_eq(tnum(e, DETAIL "sku_order_list.0.order_status"), 3);
    ck_assert_int_eq(tnum(e, DETAIL "sku_order_list.1.order_status"), 3);
    ck_assert_int_ge(tnum(e, DETAIL "sku_order_list.0.ship_time"), before);
    ck_assert_int_ge(tnum(e, DETAIL "ship_time"), before);
    ck_assert_str_eq(tstr(e, DETAIL "logistics_info.0.tracking_no"),
                     "SF7700000000001");
    ck_assert_str_eq(tstr(e, DETAIL "logistics_info.0.company"), "shunfeng");
    ck_assert_uint_eq(tcount(e, DETAIL "logistics_info.0.product_info"), 2);
    /* once shipped, never again */
    tfails(ship("6920000000000000901", ""), 50002, "isv.business-failed:60110",
           "订单已发货，不允许再次执行发货。");
}
END_TEST

START_TEST(test_logistics_add_with_a_pending_refund_is_60040)
{
    tfails(ship("6920000000000000101", ""), 50002, "isv.business-failed:60040",
           "发货订单中有退款申请需要处理，请先处理。");
    tfails(ship("6920000000000000101", ",\"is_refund_reject\":false"), 50002,
           "isv.business-failed:60040", NULL);
    /* nothing changed */
    const struct dd_envelope *e = order_detail("6920000000000000101");
    ck_assert_int_eq(tnum(e, DETAIL "order_status"), 2);
    ck_assert_int_eq(
        tnum(e, DETAIL "sku_order_list.0.after_sale_info.after_sale_status"),
        6);
}
END_TEST

START_TEST(test_logistics_add_with_is_refund_reject_refuses_and_ships)
{
    tok(ship("6920000000000000101", ",\"is_refund_reject\":true"));
    const struct dd_envelope *e = tok(call(
        "afterSale.Detail", "{\"after_sale_id\":\"7000000000000000101\"}"));
    ck_assert_int_eq(tnum(e, "process_info.after_sale_info.after_sale_status"),
                     27);
    ck_assert_int_ne(
        tnum(e, "process_info.after_sale_info.aftersale_status_to_final_time"),
        0);
    ck_assert_int_eq(tnum(e, "process_info.after_sale_info.refund_status"), 1);
    e = order_detail("6920000000000000101");
    ck_assert_int_eq(tnum(e, DETAIL "order_status"), 3);
    ck_assert_int_eq(tnum(e, DETAIL "sku_order_list.0.order_status"), 3);
    /* the refused refund can no longer be written back */
    tfails(call("afterSale.CancelSendGoodsSuccess",
                "{\"aftersale_id\":\"7000000000000000101\","
                "\"op_time\":1750000000}"),
           50002, "isv.business-failed:12001", NULL);
}
END_TEST

START_TEST(test_logistics_add_with_is_reject_refund_works_the_same)
{
    tok(ship("6920000000000000201", ",\"is_reject_refund\":\"true\""));
    const struct dd_envelope *e = tok(call(
        "afterSale.Detail", "{\"after_sale_id\":\"7000000000000000202\"}"));
    ck_assert_int_eq(tnum(e, "process_info.after_sale_info.after_sale_status"),
                     27);
    e = order_detail("6920000000000000201");
    ck_assert_int_eq(tnum(e, DETAIL "order_status"), 3);
    for (int i = 0; i < 3; i++) {
        char path[64];
        snprintf(path, sizeof path, DETAIL "sku_order_list.%d.order_status", i);
        ck_assert_int_eq(tnum(e, path), 3);
    }
}
END_TEST

START_TEST(test_logistics_add_ships_the_lines_not_refunded_before)
{
    tok(call(
        "afterSale.CancelSendGoodsSuccess",
        "{\"aftersale_id\":\"7000000000000000202\",\"op_time\":1750000000}"));
    tok(ship("6920000000000000201", ""));
    const struct dd_envelope *e = order_detail("6920000000000000201");
    ck_assert_int_eq(tnum(e, DETAIL "order_status"), 3);
    ck_assert_int_eq(tnum(e, DETAIL "sku_order_list.0.order_status"), 3);
    ck_assert_int_eq(tnum(e, DETAIL "sku_order_list.1.order_status"), 4);
    ck_assert_int_eq(tnum(e, DETAIL "sku_order_list.1.main_status"), 21);
    ck_assert_int_eq(tnum(e, DETAIL "sku_order_list.2.order_status"), 3);
    ck_assert_uint_eq(tcount(e, DETAIL "logistics_info.0.product_info"), 2);
    e = tok(call("afterSale.Detail",
                 "{\"after_sale_id\":\"7000000000000000202\"}"));
    ck_assert_int_eq(tnum(e, "process_info.after_sale_info.after_sale_status"),
                     12);
}
END_TEST

START_TEST(test_logistics_add_of_an_order_refunded_in_full_is_60068)
{
    tok(call(
        "afterSale.CancelSendGoodsSuccess",
        "{\"aftersale_id\":\"7000000000000000101\",\"op_time\":1750000000}"));
    tfails(ship("6920000000000000101", ""), 50002, "isv.business-failed:60068",
           "该订单已售前退款成功，不能发货。");
    tfails(ship("6920000000000000101", ",\"is_refund_reject\":true"), 50002,
           "isv.business-failed:60068", NULL);
    const struct dd_envelope *e = order_detail("6920000000000000101");
    ck_assert_int_eq(tnum(e, DETAIL "order_status"), 4);
}
END_TEST

START_TEST(test_logistics_add_of_a_shipped_or_finished_order_is_refused)
{
    tfails(ship("6920000000000000301", ""), 50002, "isv.business-failed:60110",
           "订单已发货，不允许再次执行发货。");
    tfails(ship("6920000000000000701", ""), 50002, "isv.business-failed:60113",
           "订单已完结，禁止发货。");
}
END_TEST

START_TEST(test_logistics_add_checks_company_and_tracking_number)
{
    /* too short, a character outside [A-Za-z0-9], 33 characters, empty */
    static const char *const bad_tracking[] = {
        "abc", "SF-12345678", "SF1234567890123456789012345678901", ""};
    for (size_t i = 0; i < sizeof bad_tracking / sizeof bad_tracking[0]; i++)
        tfails(call("order.logisticsAdd",
                    "{\"order_id\":\"6920000000000000901\","
                    "\"company_code\":\"shunfeng\",\"logistics_code\":\"%s\"}",
                    bad_tracking[i]),
               50002, "isv.business-failed:60017", "物流单号不符合规则。");
    tfails(call("order.logisticsAdd", "{\"order_id\":\"6920000000000000901\","
                                      "\"company_code\":\"shunfeng\"}"),
           50002, "isv.business-failed:60017", "物流单号不符合规则。");
    static const char *const bad_company[] = {"nosuch", "SHUNFENG"};
    for (size_t i = 0; i < sizeof bad_company / sizeof bad_company[0]; i++)
        tfails(call("order.logisticsAdd",
                    "{\"order_id\":\"6920000000000000901\","
                    "\"company_code\":\"%s\","
                    "\"logistics_code\":\"SF7700000000001\"}",
                    bad_company[i]),
               50002, "isv.business-failed:60018",
               "暂不支持该物流公司或物流商已失效，请检查。");
    tfails(call("order.logisticsAdd",
                "{\"order_id\":\"6920000000000000901\","
                "\"logistics_code\":\"SF7700000000001\"}"),
           40002, "isv.missing-parameter:60011", "物流公司编码不允许为空。");
    tfails(call("order.logisticsAdd",
                "{\"order_id\":\"6920000000000000901\",\"company_code\":\"\","
                "\"logistics_code\":\"SF7700000000001\"}"),
           40002, "isv.missing-parameter:60011", "物流公司编码不允许为空。");
    tfails(
        call("order.logisticsAdd", "{\"company_code\":\"shunfeng\","
                                   "\"logistics_code\":\"SF7700000000001\"}"),
        40004, "isv.parameter-invalid:50049", "订单号不能为空或者格式错误。");
    /* 8 and 32 characters are the documented limits; qita is a company */
    tok(call("order.logisticsAdd",
             "{\"order_id\":\"6920000000000000901\",\"company_code\":\"qita\","
             "\"logistics_code\":\"AB345678\"}"));
    ck_assert_int_eq(
        tnum(order_detail("6920000000000000901"), DETAIL "order_status"), 3);
}
END_TEST

START_TEST(test_logistics_add_of_an_unknown_or_foreign_order_is_refused)
{
    tfails(ship("6920000000000009999", ""), 50002, "isv.business-failed:60033",
           "订单不存在，请仔细检查后重试。");
    /* a SKU order is not a shop order */
    tfails(ship("6920000000000000902", ""), 50002, "isv.business-failed:60033",
           NULL);
    tmock_use_world(&T, two_shops, "7100000000000000003", "two-s", "32000001");
    tfails(ship("6920000000000320101", ""), 50002, "isv.business-failed:60101",
           "非本店铺订单，操作失败。");
    tok(ship("6920000000000320001", ""));
}
END_TEST

START_TEST(test_logistics_company_list_is_a_bare_array_with_shunfeng_and_qita)
{
    const struct dd_envelope *e = tok(call("order.logisticsCompanyList", "{}"));
    ck_assert_int_eq(e->data->type, DD_JSON_ARRAY);
    bool shunfeng = false, qita = false;
    for (size_t i = 0; i < e->data->n; i++) {
        const struct dd_json *c = &e->data->kids[i];
        const struct dd_json *code = dd_json_get(c, "code");
        const struct dd_json *name = dd_json_get(c, "name");
        const struct dd_json *id = dd_json_get(c, "id");
        ck_assert(code && code->type == DD_JSON_STRING);
        ck_assert(name && name->type == DD_JSON_STRING);
        ck_assert(id && id->type == DD_JSON_NUMBER);
        if (strcmp(code->text, "shunfeng") == 0) {
            shunfeng = true;
            ck_assert_str_eq(name->text, "顺丰速运");
        }
        if (strcmp(code->text, "qita") == 0) {
            qita = true;
            ck_assert_str_eq(name->text, "其他");
        }
    }
    ck_assert(shunfeng);
    ck_assert(qita);
    ck_assert_uint_eq(e->data->n, 11);
}
END_TEST

Suite *mock_order_suite(void)
{
    Suite *s = suite_create("mock_order");
    TCase *tc = tcase_create("token");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(
        tc, test_token_create_for_a_self_use_app_takes_shop_id_as_a_string);
    tcase_add_test(tc, test_token_create_accepts_the_go_sdk_forms_of_shop_id);
    tcase_add_test(tc,
                   test_token_create_for_an_unknown_shop_has_no_authorization);
    tcase_add_test(tc, test_token_create_with_a_wrong_grant_type_is_rejected);
    suite_add_tcase(s, tc);

    tc = tcase_create("orders");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_order_detail_shows_string_ids_and_the_lines);
    tcase_add_test(tc, test_order_detail_errors_follow_the_spec_rows);
    tcase_add_test(tc, test_order_detail_of_another_shops_order_is_20015);
    tcase_add_test(tc, test_search_list_finds_the_orders_newest_first);
    tcase_add_test(tc, test_search_list_honours_its_filters);
    tcase_add_test(tc, test_search_list_errors_follow_the_spec_rows);
    suite_add_tcase(s, tc);

    tc = tcase_create("logistics");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_logistics_add_ships_an_order_without_after_sales);
    tcase_add_test(tc, test_logistics_add_with_a_pending_refund_is_60040);
    tcase_add_test(tc,
                   test_logistics_add_with_is_refund_reject_refuses_and_ships);
    tcase_add_test(tc, test_logistics_add_with_is_reject_refund_works_the_same);
    tcase_add_test(tc, test_logistics_add_ships_the_lines_not_refunded_before);
    tcase_add_test(tc,
                   test_logistics_add_of_an_order_refunded_in_full_is_60068);
    tcase_add_test(
        tc, test_logistics_add_of_a_shipped_or_finished_order_is_refused);
    tcase_add_test(tc, test_logistics_add_checks_company_and_tracking_number);
    tcase_add_test(
        tc, test_logistics_add_of_an_unknown_or_foreign_order_is_refused);
    tcase_add_test(
        tc, test_logistics_company_list_is_a_bare_array_with_shunfeng_and_qita);
    suite_add_tcase(s, tc);
    return s;
}
