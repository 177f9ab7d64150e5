/*
 * check_mock_aftersale.c: end-to-end tests of ddmock's after-sale APIs
 * (mock/api_aftersale.c): afterSale.List, Detail, CancelSendGoodsSuccess,
 * returnGoodsToWareHouseSuccess, operate, rejectReasonCodeList and
 * addOrderRemark, each success path and each error path of
 * doudian-open-api.md §3.4 and §4.1-§4.6 and of mock/README.md "After-sale
 * APIs: behaviour and guesses".
 *
 * Every test starts its own server with the default world (mock/WORLD.md,
 * "The default world"), so state never leaks between tests; worlds that the
 * default world lacks (strategies off, an after-sale older than six months)
 * are POSTed through the admin API. Expected codes, sub_codes and sub_msgs
 * are typed from the spec's error rows, and expected ids, amounts and
 * orders from the documented default world, never read back from the code
 * under test. Refund ledgers are read from the admin API's world dump.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock_util.h"
#include "suites.h"

#define AS_PRE_101   "7000000000000000101" /* unshipped_refund, 6 */
#define AS_PRE_202   "7000000000000000202" /* unshipped_refund, 6, multi-SKU */
#define AS_RET_301   "7000000000000000301" /* return, 6 */
#define AS_RET_401   "7000000000000000401" /* return, 7 */
#define AS_RET_501   "7000000000000000501" /* return, 11 */
#define AS_REF_601   "7000000000000000601" /* shipped_refund, 6 */
#define AS_DONE_701  "7000000000000000701" /* return, 12 */
#define AS_CLOSE_801 "7000000000000000801" /* shipped_refund, 28 */

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

/* Sends `method` with the printf-formed param_json; the envelope lives
 * until teardown. */
static const struct dd_envelope *call(const char *method, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const struct dd_envelope *call(const char *method, const char *fmt, ...)
{
    ck_assert_int_lt(n_envs, MAX_ENVS);
    struct dd_buf pj;
    dd_buf_init(&pj, 0);
    va_list ap;
    va_start(ap, fmt);
    dd_buf_vprintf(&pj, fmt, ap);
    va_end(ap);
    struct dd_envelope *e = &envs[n_envs++];
    long status = tcall(&T, method, dd_buf_str(&pj), NULL, e);
    dd_buf_free(&pj);
    ck_assert_int_eq(status, 200);
    return e;
}

/* True when the array at `path` holds the integer `x`. */
static bool has_int(const struct dd_envelope *e, const char *path, int64_t x)
{
    const struct dd_json *v = tnode(e, path);
    ck_assert_msg(v != NULL && v->type == DD_JSON_ARRAY, "%s: no array", path);
    for (size_t i = 0; i < v->n; i++) {
        int64_t y;
        if (dd_json_int64(&v->kids[i], &y) == 0 && y == x)
            return true;
    }
    return false;
}

/* Asserts that a List page holds exactly these after-sale ids, in order
 * (NULL-terminated). */
static void expect_ids(const struct dd_envelope *e, const char *const *ids)
{
    size_t n = 0;
    while (ids[n])
        n++;
    ck_assert_uint_eq(tcount(e, "items"), n);
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "items.%zu.aftersale_info.aftersale_id", i);
        ck_assert_str_eq(tstr(e, path), ids[i]);
    }
}

/* afterSale.Detail of one after-sale of the current world. */
static const struct dd_envelope *detail(const char *id)
{
    return tok(call("afterSale.Detail",
                    "{\"after_sale_id\":\"%s\",\"need_operation_record\":true}",
                    id));
}

#define INFO "process_info.after_sale_info."

/* Refunds of after-sale `id` in the world's ledger (admin dump): the count,
 * with the sum into *sum and the last entry's `via` into via. */
static int ledger(const char *id, int64_t *sum, char *via, size_t via_len)
{
    char path[64], *out = NULL;
    snprintf(path, sizeof path, "/_mock/worlds/%s", T.app_key);
    ck_assert_int_eq(tadmin(&T, "GET", path, NULL, &out), 200);
    struct dd_json_doc doc;
    ck_assert_int_eq(dd_json_parse(out, strlen(out), NULL, &doc, NULL), 0);
    const struct dd_json *r = dd_json_get(doc.root, "refunds");
    ck_assert_ptr_nonnull(r);
    int n = 0;
    *sum = 0;
    if (via_len)
        via[0] = '\0';
    for (size_t i = 0; i < r->n; i++) {
        const struct dd_json *a = dd_json_get(&r->kids[i], "aftersale_id");
        int64_t amount = 0;
        if (!a || strcmp(a->text, id) != 0)
            continue;
        ck_assert_int_eq(
            dd_json_int64(dd_json_get(&r->kids[i], "amount"), &amount), 0);
        *sum += amount;
        n++;
        if (via_len)
            snprintf(via, via_len, "%s", dd_json_get(&r->kids[i], "via")->text);
    }
    dd_json_doc_free(&doc);
    free(out);
    return n;
}

/* A shop with both assistant strategies off: a pending pre-shipment refund
 * and a return the buyer shipped back. */
static const char off_world[] =
    "{\"app\":{\"app_key\":\"7100000000000000001\",\"app_secret\":\"off-s\"},"
    "\"shops\":[{\"shop_id\":\"31000001\",\"strategies\":"
    "{\"cancel_auto_refund\":false,\"return_auto_refund\":false}}],"
    "\"products\":[{\"product_id\":\"3610000000000000001\",\"skus\":"
    "[{\"sku_id\":\"1710000000000000001\",\"price\":1000}]}],"
    "\"orders\":["
    "{\"order_id\":\"6910000000000000001\",\"shop_id\":\"31000001\","
    "\"create_time\":\"now-2h\",\"sku_orders\":[{\"sku_order_id\":"
    "\"6910000000000000001\",\"sku_id\":\"1710000000000000001\"}]},"
    "{\"order_id\":\"6910000000000000101\",\"shop_id\":\"31000001\","
    "\"create_time\":\"now-3d\",\"logistics\":{\"company_code\":\"shunfeng\","
    "\"tracking_no\":\"SF9100000000101\",\"ship_time\":\"now-2d\"},"
    "\"sku_orders\":[{\"sku_order_id\":\"6910000000000000101\","
    "\"sku_id\":\"1710000000000000001\"}]}],"
    "\"aftersales\":["
    "{\"aftersale_id\":\"7010000000000000001\",\"sku_order_id\":"
    "\"6910000000000000001\",\"type\":\"unshipped_refund\",\"status\":6,"
    "\"apply_time\":\"now-1h\"},"
    "{\"aftersale_id\":\"7010000000000000101\",\"sku_order_id\":"
    "\"6910000000000000101\",\"type\":\"return\",\"status\":11,"
    "\"apply_time\":\"now-1d\",\"return\":{\"company_code\":\"yunda\","
    "\"tracking_no\":\"YD9100000000101\",\"ship_time\":\"now-12h\"}}]}";

/* ================================================================ List */

START_TEST(test_list_without_page_or_size_is_a_missing_parameter)
{
    tfails(call("afterSale.List", "{\"size\":10}"), 40001,
           "isv.parameter-missing", "缺少参数");
    tfails(call("afterSale.List", "{\"page\":0}"), 40001,
           "isv.parameter-missing", "缺少参数");
}
END_TEST

START_TEST(test_list_rejects_bad_paging_with_its_own_11000_row)
{
    static const char *const bad[] = {
        "{\"page\":0,\"size\":101}",    "{\"page\":0,\"size\":0}",
        "{\"page\":-1,\"size\":10}",    "{\"page\":501,\"size\":100}",
        "{\"page\":\"x\",\"size\":10}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        tfails(call("afterSale.List", "%s", bad[i]), 40004,
               "isv.parameter-invalid:11000", "参数错误");
    /* page × size = 50 000 exactly is still allowed: an empty page */
    const struct dd_envelope *e =
        tok(call("afterSale.List", "{\"page\":500,\"size\":100}"));
    ck_assert_uint_eq(tcount(e, "items"), 0);
    ck_assert_int_eq(tnum(e, "total"), 8);
    ck_assert(tnode(e, "has_more")->type == DD_JSON_FALSE);
}
END_TEST

START_TEST(test_list_returns_every_after_sale_newest_application_first)
{
    static const char *const all[] = {AS_PRE_101,   AS_PRE_202,  AS_REF_601,
                                      AS_RET_301,   AS_RET_401,  AS_RET_501,
                                      AS_CLOSE_801, AS_DONE_701, NULL};
    const struct dd_envelope *e =
        tok(call("afterSale.List", "{\"page\":0,\"size\":100}"));
    expect_ids(e, all);
    ck_assert_int_eq(tnum(e, "total"), 8);
    ck_assert_int_eq(tnum(e, "page"), 0);
    ck_assert_int_eq(tnum(e, "size"), 8);
    ck_assert(tnode(e, "has_more")->type == DD_JSON_FALSE);
}
END_TEST

START_TEST(test_list_items_carry_string_ids_and_amounts_in_fen)
{
    const struct dd_envelope *e = tok(
        call("afterSale.List",
             "{\"page\":0,\"size\":1,\"aftersale_id\":\"" AS_REF_601 "\"}"));
    ck_assert_str_eq(tstr(e, "items.0.aftersale_info.aftersale_id"),
                     AS_REF_601);
    ck_assert_str_eq(tstr(e, "items.0.aftersale_info.related_id"),
                     "6920000000000000601");
    ck_assert_str_eq(tstr(e, "items.0.order_info.shop_order_id"),
                     "6920000000000000601");
    ck_assert_str_eq(
        tstr(e, "items.0.order_info.related_order_info.0.sku_order_id"),
        "6920000000000000601");
    ck_assert_int_eq(tnum(e, "items.0.aftersale_info.aftersale_type"), 1);
    ck_assert_int_eq(tnum(e, "items.0.aftersale_info.aftersale_status"), 6);
    ck_assert_int_eq(tnum(e, "items.0.aftersale_info.refund_amount"), 3300);
    ck_assert_int_eq(tnum(e, "items.0.aftersale_info.refund_post_amount"), 800);
    ck_assert_int_eq(tnum(e, "items.0.aftersale_info.refund_status"), 1);
    ck_assert_int_eq(
        tnum(e, "items.0.order_info.related_order_info.0.pay_amount"), 2500);
    ck_assert_int_eq(
        tnum(e, "items.0.order_info.related_order_info.0.post_amount"), 800);
    ck_assert_int_eq(tnum(e, "items.0.order_info.related_order_info.0.price"),
                     2500);
    ck_assert_str_eq(
        tstr(e, "items.0.order_info.related_order_info.0.sku_spec.0.name"),
        "规格");
    ck_assert_str_eq(
        tstr(e, "items.0.order_info.related_order_info.0.sku_spec.0.value"),
        "454g");
    ck_assert_uint_eq(tcount(e, "items.0.aftersale_info.auto_audit_bits"), 0);
    /* the aftersale_id filter also takes a JSON number */
    e = tok(call("afterSale.List",
                 "{\"page\":0,\"size\":1,\"aftersale_id\":" AS_RET_501 "}"));
    ck_assert_str_eq(tstr(e, "items.0.aftersale_info.aftersale_id"),
                     AS_RET_501);
    ck_assert_str_eq(tstr(e, "items.0.aftersale_info.return_logistics_code"),
                     "SF1234567890501");
    ck_assert_str_eq(tstr(e, "items.0.text_part.return_logistics_text"),
                     "买家已退货");
}
END_TEST

START_TEST(test_list_pages_with_has_more_and_total)
{
    static const char *const p0[] = {AS_PRE_101, AS_PRE_202, AS_REF_601, NULL};
    static const char *const p2[] = {AS_CLOSE_801, AS_DONE_701, NULL};
    const struct dd_envelope *e =
        tok(call("afterSale.List", "{\"page\":0,\"size\":3}"));
    expect_ids(e, p0);
    ck_assert(tnode(e, "has_more")->type == DD_JSON_TRUE);
    ck_assert_int_eq(tnum(e, "total"), 8);
    ck_assert_int_eq(tnum(e, "size"), 3);
    e = tok(call("afterSale.List", "{\"page\":2,\"size\":3}"));
    expect_ids(e, p2);
    ck_assert(tnode(e, "has_more")->type == DD_JSON_FALSE);
    ck_assert_int_eq(tnum(e, "total"), 8);
    ck_assert_int_eq(tnum(e, "page"), 2);
    ck_assert_int_eq(tnum(e, "size"), 2);
}
END_TEST

/* One filter of the List and what it leaves of the default world. */
struct filter_case {
    const char *params; /* members after page and size */
    int64_t total;
    const char *first; /* first id, or NULL */
};

static void run_filters(const struct filter_case *fc, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct dd_envelope *e = call(
            "afterSale.List", "{\"page\":0,\"size\":100,%s}", fc[i].params);
        ck_assert_msg(e->code == 10000, "%s: %lld %s", fc[i].params,
                      (long long)e->code, e->sub_code);
        ck_assert_msg(tnum(e, "total") == fc[i].total,
                      "%s: total %lld, expected %lld", fc[i].params,
                      (long long)tnum(e, "total"), (long long)fc[i].total);
        ck_assert_uint_eq(tcount(e, "items"), (size_t)fc[i].total);
        if (fc[i].first)
            ck_assert_str_eq(tstr(e, "items.0.aftersale_info.aftersale_id"),
                             fc[i].first);
    }
}

START_TEST(test_list_honours_every_enum_and_id_filter)
{
    static const struct filter_case fc[] = {
        {"\"order_id\":\"6920000000000000501\"", 1, AS_RET_501},
        {"\"order_id\":6920000000000000601", 1, AS_REF_601},
        {"\"order_id\":\"6920000000000009999\"", 0, NULL},
        {"\"aftersale_id\":\"7000000000000009999\"", 0, NULL},
        {"\"aftersale_type\":2", 2, AS_PRE_101},
        {"\"aftersale_type\":0", 4, AS_RET_301},
        {"\"aftersale_status\":11", 1, AS_RET_501},
        {"\"aftersale_status\":\"28\"", 1, AS_CLOSE_801},
        {"\"standard_aftersale_status\":[6,99]", 4, AS_PRE_101},
        {"\"standard_aftersale_status\":[7,12]", 2, AS_RET_401},
        {"\"standard_aftersale_status\":[99]", 8, AS_PRE_101},
        {"\"reason\":1", 3, AS_PRE_101},
        {"\"reason\":2", 5, AS_REF_601},
        {"\"logistics_status\":2", 2, AS_RET_501},
        {"\"logistics_status\":3", 6, AS_PRE_101},
        {"\"logistics_status\":1", 8, AS_PRE_101},
        {"\"pay_type\":2", 0, NULL},
        {"\"pay_type\":3", 8, AS_PRE_101},
        {"\"refund_type\":0", 8, AS_PRE_101},
        {"\"refund_type\":1", 0, NULL},
        {"\"arbitrate_status\":[0]", 8, AS_PRE_101},
        {"\"arbitrate_status\":[6]", 0, NULL},
        {"\"order_flag\":[0,1]", 8, AS_PRE_101},
        {"\"order_flag\":[2]", 0, NULL},
        {"\"risk_flag\":-1", 8, AS_PRE_101},
        {"\"risk_flag\":1", 0, NULL},
        {"\"need_special_type\":true", 8, AS_PRE_101},
        {"\"order_logistics_tracking_no\":[\"SF1000000000301\"]", 1,
         AS_RET_301},
        {"\"order_logistics_tracking_no\":[\"NOPE00000000\"]", 0, NULL},
        {"\"order_logistics_state\":[1]", 0, NULL},
        {"\"agree_refuse_sign\":[1]", 0, NULL},
        {"\"aftersale_sub_type\":8001", 0, NULL},
        {"\"store_id_list\":[1]", 0, NULL},
        {"\"amount_start\":8900,\"amount_end\":8901", 3, AS_PRE_202},
        {"\"amount_start\":5900,\"amount_end\":8900", 3, AS_PRE_101},
        {"\"aftersale_type\":0,\"aftersale_status\":7", 1, AS_RET_401},
    };
    run_filters(fc, sizeof fc / sizeof fc[0]);
}
END_TEST

START_TEST(test_list_rejects_enum_values_outside_the_spec)
{
    static const char *const bad[] = {
        "\"aftersale_type\":9",
        "\"aftersale_status\":99",
        "\"reason\":3",
        "\"logistics_status\":4",
        "\"pay_type\":0",
        "\"refund_type\":5",
        "\"arbitrate_status\":[7]",
        "\"risk_flag\":0",
        "\"order_by\":[\"price desc\"]",
        "\"order_by\":[\"apply_time upward\"]",
        ("\"order_by\":[\"apply_time asc\",\"update_time asc\","
         "\"status_deadline asc\",\"apply_time desc\"]"),
        "\"order_id\":\"abc\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const struct dd_envelope *e =
            call("afterSale.List", "{\"page\":0,\"size\":10,%s}", bad[i]);
        ck_assert_msg(e->code == 40004, "%s: %lld", bad[i], (long long)e->code);
        tfails(e, 40004, "isv.parameter-invalid:11000", "参数错误");
    }
}
END_TEST

START_TEST(test_list_orders_by_update_time_ascending)
{
    static const char *const want[] = {AS_DONE_701, AS_CLOSE_801, AS_RET_401,
                                       AS_RET_501,  AS_RET_301,   AS_REF_601,
                                       AS_PRE_202,  AS_PRE_101,   NULL};
    const struct dd_envelope *e =
        tok(call("afterSale.List", "{\"page\":0,\"size\":100,"
                                   "\"order_by\":[\"update_time asc\"]}"));
    expect_ids(e, want);
    for (size_t i = 1; i < 8; i++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "items.%zu.aftersale_info.update_time", i - 1);
        snprintf(b, sizeof b, "items.%zu.aftersale_info.update_time", i);
        ck_assert_int_le(tnum(e, a), tnum(e, b));
    }
    /* a lone string reads as a one-element array; the direction is
     * case-insensitive */
    e = tok(call("afterSale.List", "{\"page\":0,\"size\":1,"
                                   "\"order_by\":\" update_time  ASC \"}"));
    ck_assert_str_eq(tstr(e, "items.0.aftersale_info.aftersale_id"),
                     AS_DONE_701);
    e = tok(call("afterSale.List", "{\"page\":0,\"size\":1,"
                                   "\"order_by\":[\"apply_time asc\"]}"));
    ck_assert_str_eq(tstr(e, "items.0.aftersale_info.aftersale_id"),
                     AS_DONE_701);
}
END_TEST

START_TEST(test_list_orders_by_status_deadline_with_final_ones_last)
{
    /* open ones by deadline (48 h for status 6, 7 d for 7 and 11), ties by
     * id; final ones have no deadline and sort as the farthest */
    static const char *const asc[] = {AS_PRE_101,  AS_PRE_202,   AS_RET_301,
                                      AS_REF_601,  AS_RET_401,   AS_RET_501,
                                      AS_DONE_701, AS_CLOSE_801, NULL};
    static const char *const two[] = {AS_PRE_101,   AS_PRE_202,  AS_REF_601,
                                      AS_RET_301,   AS_RET_401,  AS_RET_501,
                                      AS_CLOSE_801, AS_DONE_701, NULL};
    expect_ids(
        tok(call("afterSale.List", "{\"page\":0,\"size\":100,"
                                   "\"order_by\":[\"status_deadline asc\"]}")),
        asc);
    /* a second key orders the ties of the first */
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,\"order_by\":"
                        "[\"status_deadline asc\",\"apply_time desc\"]}")),
               two);
}
END_TEST

START_TEST(test_list_update_window_includes_both_ends)
{
    const struct dd_envelope *d = detail(AS_RET_501);
    int64_t u = tnum(d, INFO "update_time");
    static const char *const only[] = {AS_RET_501, NULL};
    static const char *const none[] = {NULL};
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,\"update_start_time\":%lld,"
                        "\"update_end_time\":%lld}",
                        (long long)u, (long long)u)),
               only);
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,\"update_start_time\":%lld,"
                        "\"update_end_time\":%lld}",
                        (long long)u + 1, (long long)u + 60)),
               none);
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,\"update_start_time\":%lld,"
                        "\"update_end_time\":%lld}",
                        (long long)u - 60, (long long)u - 1)),
               none);
    /* polling the last two days by update time, oldest change first */
    static const char *const poll[] = {AS_RET_401, AS_RET_501, AS_RET_301,
                                       AS_REF_601, AS_PRE_202, AS_PRE_101,
                                       NULL};
    int64_t now = (int64_t)time(NULL);
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,\"update_start_time\":%lld,"
                        "\"update_end_time\":%lld,"
                        "\"order_by\":[\"update_time asc\"]}",
                        (long long)(now - 2 * 86400), (long long)now + 60)),
               poll);
    /* the same, newest change first, second page of two */
    static const char *const page1[] = {AS_REF_601, AS_RET_301, NULL};
    const struct dd_envelope *e =
        tok(call("afterSale.List",
                 "{\"page\":1,\"size\":2,\"update_start_time\":%lld,"
                 "\"update_end_time\":%lld,"
                 "\"order_by\":[\"update_time desc\"]}",
                 (long long)(now - 2 * 86400), (long long)now + 60));
    expect_ids(e, page1);
    ck_assert_int_eq(tnum(e, "total"), 6);
    ck_assert(tnode(e, "has_more")->type == DD_JSON_TRUE);
}
END_TEST

START_TEST(test_list_apply_window_excludes_its_end)
{
    const struct dd_envelope *d = detail(AS_RET_301);
    int64_t a = tnum(d, INFO "apply_time");
    static const char *const only[] = {AS_RET_301, NULL};
    static const char *const none[] = {NULL};
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,\"start_time\":%lld,"
                        "\"end_time\":%lld}",
                        (long long)a, (long long)a + 1)),
               only);
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,\"start_time\":%lld,"
                        "\"end_time\":%lld}",
                        (long long)a, (long long)a)),
               none);
    /* a narrow window with a filter and two sort keys */
    static const char *const pre[] = {AS_PRE_101, AS_PRE_202, NULL};
    int64_t now = (int64_t)time(NULL);
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,\"start_time\":%lld,"
                        "\"aftersale_type\":2,\"order_by\":"
                        "[\"apply_time desc\",\"update_time asc\"]}",
                        (long long)(now - 7 * 3600))),
               pre);
    /* start after end: an empty page, not an error */
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,\"start_time\":%lld,"
                        "\"end_time\":%lld}",
                        (long long)a + 10, (long long)a)),
               none);
}
END_TEST

START_TEST(test_list_final_time_window_matches_only_final_after_sales)
{
    int64_t now = (int64_t)time(NULL);
    static const char *const finals[] = {AS_CLOSE_801, AS_DONE_701, NULL};
    static const char *const only[] = {AS_CLOSE_801, NULL};
    static const char *const none[] = {NULL};
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,"
                        "\"aftersale_status_to_final_start_time\":%lld,"
                        "\"aftersale_status_to_final_end_time\":%lld}",
                        (long long)(now - 30 * 86400), (long long)now + 60)),
               finals);
    /* [start, end): the start is in, the end is out */
    int64_t f =
        tnum(detail(AS_CLOSE_801), INFO "aftersale_status_to_final_time");
    ck_assert_int_gt(f, 0);
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,"
                        "\"aftersale_status_to_final_start_time\":%lld,"
                        "\"aftersale_status_to_final_end_time\":%lld}",
                        (long long)f, (long long)f + 1)),
               only);
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,"
                        "\"aftersale_status_to_final_start_time\":%lld,"
                        "\"aftersale_status_to_final_end_time\":%lld}",
                        (long long)f - 60, (long long)f)),
               none);
}
END_TEST

START_TEST(test_list_default_window_is_six_months)
{
    static const char world[] =
        "{\"app\":{\"app_key\":\"7100000000000000002\",\"app_secret\":"
        "\"old-s\"},\"shops\":[{\"shop_id\":\"31000002\"}],"
        "\"products\":[{\"product_id\":\"3610000000000000001\",\"skus\":"
        "[{\"sku_id\":\"1710000000000000001\",\"price\":1000}]}],"
        "\"orders\":["
        "{\"order_id\":\"6910000000000000201\",\"shop_id\":\"31000002\","
        "\"create_time\":\"now-201d\",\"sku_orders\":[{\"sku_order_id\":"
        "\"6910000000000000201\",\"sku_id\":\"1710000000000000001\"}]},"
        "{\"order_id\":\"6910000000000000301\",\"shop_id\":\"31000002\","
        "\"create_time\":\"now-2h\",\"sku_orders\":[{\"sku_order_id\":"
        "\"6910000000000000301\",\"sku_id\":\"1710000000000000001\"}]}],"
        "\"aftersales\":["
        "{\"aftersale_id\":\"7010000000000000201\",\"sku_order_id\":"
        "\"6910000000000000201\",\"type\":\"unshipped_refund\",\"status\":6,"
        "\"apply_time\":\"now-200d\"},"
        "{\"aftersale_id\":\"7010000000000000301\",\"sku_order_id\":"
        "\"6910000000000000301\",\"type\":\"unshipped_refund\",\"status\":6,"
        "\"apply_time\":\"now-1h\"}]}";
    tmock_use_world(&T, world, "7100000000000000002", "old-s", "31000002");
    static const char *const recent[] = {"7010000000000000301", NULL};
    static const char *const both[] = {"7010000000000000301",
                                       "7010000000000000201", NULL};
    const struct dd_envelope *e =
        tok(call("afterSale.List", "{\"page\":0,\"size\":100}"));
    expect_ids(e, recent);
    ck_assert_int_eq(tnum(e, "total"), 1);
    /* an explicit older start is honoured */
    int64_t now = (int64_t)time(NULL);
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,\"start_time\":%lld}",
                        (long long)(now - 201 * 86400))),
               both);
    /* any time parameter turns the default off */
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,\"update_start_time\":%lld}",
                        (long long)(now - 300 * 86400))),
               both);
    /* the old one is still there by id */
    tok(call("afterSale.Detail",
             "{\"after_sale_id\":\"7010000000000000201\"}"));
}
END_TEST

START_TEST(test_another_shops_after_sales_read_as_unknown)
{
    static const char world[] =
        "{\"app\":{\"app_key\":\"7100000000000000004\",\"app_secret\":"
        "\"iso-s\"},\"shops\":[{\"shop_id\":\"33000001\"},"
        "{\"shop_id\":\"33000002\"}],"
        "\"products\":[{\"product_id\":\"3630000000000000001\",\"skus\":"
        "[{\"sku_id\":\"1730000000000000001\",\"price\":1000}]}],"
        "\"orders\":["
        "{\"order_id\":\"6930000000000000001\",\"shop_id\":\"33000001\","
        "\"create_time\":\"now-2h\",\"sku_orders\":[{\"sku_order_id\":"
        "\"6930000000000000001\",\"sku_id\":\"1730000000000000001\"}]},"
        "{\"order_id\":\"6930000000000000101\",\"shop_id\":\"33000002\","
        "\"create_time\":\"now-2h\",\"sku_orders\":[{\"sku_order_id\":"
        "\"6930000000000000101\",\"sku_id\":\"1730000000000000001\"}]}],"
        "\"aftersales\":["
        "{\"aftersale_id\":\"7030000000000000001\",\"sku_order_id\":"
        "\"6930000000000000001\",\"type\":\"unshipped_refund\",\"status\":6,"
        "\"apply_time\":\"now-1h\"},"
        "{\"aftersale_id\":\"7030000000000000101\",\"sku_order_id\":"
        "\"6930000000000000101\",\"type\":\"unshipped_refund\",\"status\":6,"
        "\"apply_time\":\"now-30m\"}]}";
    tmock_use_world(&T, world, "7100000000000000004", "iso-s", "33000001");
    static const char *const mine[] = {"7030000000000000001", NULL};
    static const char *const none[] = {NULL};
    int64_t now = (int64_t)time(NULL);
    expect_ids(tok(call("afterSale.List", "{\"page\":0,\"size\":100}")), mine);
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,\"update_start_time\":%lld,"
                        "\"order_by\":[\"update_time asc\"]}",
                        (long long)(now - 86400))),
               mine);
    expect_ids(
        tok(call("afterSale.List", "{\"page\":0,\"size\":100,"
                                   "\"order_by\":[\"status_deadline asc\"]}")),
        mine);
    expect_ids(tok(call("afterSale.List",
                        "{\"page\":0,\"size\":100,"
                        "\"aftersale_id\":\"7030000000000000101\"}")),
               none);
    expect_ids(
        tok(call("afterSale.List", "{\"page\":0,\"size\":100,"
                                   "\"order_id\":\"6930000000000000101\"}")),
        none);
    tfails(
        call("afterSale.Detail", "{\"after_sale_id\":\"7030000000000000101\"}"),
        40004, "isv.parameter-invalid:11000", "参数错误，售后单ID错误");
    tfails(call("afterSale.CancelSendGoodsSuccess",
                "{\"aftersale_id\":\"7030000000000000101\","
                "\"op_time\":1750000000}"),
           50002, "isv.business-failed:11003", "该售后单不存在");
    tfails(call("afterSale.operate",
                "{\"type\":401,\"items\":[{\"aftersale_id\":"
                "\"7030000000000000101\"}]}"),
           20000, "isp.service-error:10000", "存在无效的售后单");
    tfails(call("afterSale.addOrderRemark",
                "{\"after_sale_id\":\"7030000000000000101\",\"remark\":\"r\"}"),
           40003, "isv.parameter-invalid", NULL);
    tfails(call("afterSale.addOrderRemark",
                "{\"order_id\":\"6930000000000000101\",\"remark\":\"r\"}"),
           40003, "isv.parameter-invalid", NULL);
    /* the other shop sees its own after-sale untouched */
    snprintf(T.shop_id, sizeof T.shop_id, "33000002");
    tmock_token(&T);
    const struct dd_envelope *e = detail("7030000000000000101");
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 6);
    ck_assert_uint_eq(tcount(e, "process_info.after_sale_shop_remarks"), 0);
    static const char *const theirs[] = {"7030000000000000101", NULL};
    expect_ids(tok(call("afterSale.List", "{\"page\":0,\"size\":100}")),
               theirs);
}
END_TEST

/* ================================================================ Detail */

START_TEST(test_detail_shows_number_ids_and_the_record_on_request)
{
    const struct dd_envelope *e = detail(AS_RET_501);
    const struct dd_json *id = tnode(e, INFO "after_sale_id");
    ck_assert_ptr_nonnull(id);
    ck_assert_int_eq(id->type, DD_JSON_NUMBER);
    ck_assert_str_eq(id->text, AS_RET_501);
    const struct dd_json *so = tnode(e, "order_info.shop_order_id");
    ck_assert_ptr_nonnull(so);
    ck_assert_int_eq(so->type, DD_JSON_NUMBER);
    ck_assert_str_eq(so->text, "6920000000000000501");
    ck_assert_int_eq(tnum(e, "order_info.sku_order_infos.0.sku_order_id"),
                     INT64_C(6920000000000000501));
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 11);
    ck_assert_int_eq(tnum(e, INFO "after_sale_type"), 0);
    ck_assert_int_eq(tnum(e, INFO "refund_status"), 1);
    ck_assert_int_eq(tnum(e, INFO "refund_total_amount"), 11800);
    ck_assert_int_eq(tnum(e, INFO "reason_code"), 7);
    ck_assert_str_eq(tstr(e, INFO "reason_remark"), "衣服有破洞");
    ck_assert_int_eq(tnum(e, INFO "return_method"), 1);
    ck_assert_str_eq(tstr(e, "process_info.logistics_info.return.tracking_no"),
                     "SF1234567890501");
    ck_assert_str_eq(tstr(e, "process_info.logistics_info.return.company_code"),
                     "shunfeng");
    ck_assert_str_eq(tstr(e, "process_info.logistics_info.order.0.tracking_no"),
                     "YT1000000000501");
    ck_assert_uint_eq(tcount(e, "process_info.record_logs_list"), 3);
    ck_assert_str_eq(tstr(e, "process_info.record_logs_list.0.action"),
                     "apply");
    ck_assert_str_eq(tstr(e, "process_info.record_logs_list.0.operator"),
                     "买家");
    ck_assert_str_eq(tstr(e, "process_info.record_logs_list.2.action"),
                     "return_shipped");
    /* "yyyy-MM-dd HH:mm:ss" */
    ck_assert_uint_eq(strlen(tstr(e, "process_info.record_logs_list.0.time")),
                      19);
    /* without need_operation_record: an empty list; an id as a number */
    e = tok(call("afterSale.Detail", "{\"after_sale_id\":" AS_RET_501 "}"));
    ck_assert_uint_eq(tcount(e, "process_info.record_logs_list"), 0);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 11);
}
END_TEST

START_TEST(test_detail_of_an_unknown_or_missing_id_is_11000)
{
    static const char *const bad[] = {
        "{\"after_sale_id\":\"7000000000000009999\"}",
        "{\"after_sale_id\":\"abc\"}",
        "{}",
        "{\"after_sale_id\":null}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        tfails(call("afterSale.Detail", "%s", bad[i]), 40004,
               "isv.parameter-invalid:11000", "参数错误，售后单ID错误");
}
END_TEST

/* ====================================================== CancelSendGoods */

START_TEST(test_cancel_send_goods_success_refunds_at_once_by_the_assistant)
{
    int64_t now = (int64_t)time(NULL);
    const struct dd_envelope *e =
        tok(call("afterSale.CancelSendGoodsSuccess",
                 "{\"aftersale_id\":\"" AS_PRE_101 "\",\"op_time\":%lld}",
                 (long long)now));
    ck_assert_int_eq(e->data->type, DD_JSON_OBJECT);
    e = detail(AS_PRE_101);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 12);
    ck_assert_int_eq(tnum(e, INFO "refund_status"), 3);
    ck_assert_int_eq(tnum(e, INFO "refund_type"), 2);
    ck_assert_str_eq(tstr(e, INFO "refund_type_text"), "售后小助手");
    ck_assert(has_int(e, INFO "auto_audit_bits", 2));
    ck_assert_int_eq(tnum(e, INFO "real_refund_amount"), 5900);
    ck_assert_int_ge(tnum(e, INFO "refund_time"), now - 5);
    ck_assert_int_ne(tnum(e, INFO "aftersale_status_to_final_time"), 0);
    size_t n = tcount(e, "process_info.record_logs_list");
    ck_assert_uint_ge(n, 3);
    char path[64];
    snprintf(path, sizeof path, "process_info.record_logs_list.%zu.action",
             n - 2);
    ck_assert_str_eq(tstr(e, path), "cancel_send_goods");
    snprintf(path, sizeof path, "process_info.record_logs_list.%zu.action",
             n - 1);
    ck_assert_str_eq(tstr(e, path), "refund");
    /* the SKU order is cancelled, and the order with it (its only line) */
    e = tok(call("order.orderDetail",
                 "{\"shop_order_id\":\"6920000000000000101\"}"));
    ck_assert_int_eq(tnum(e, "shop_order_detail.sku_order_list.0.order_status"),
                     4);
    ck_assert_int_eq(tnum(e, "shop_order_detail.order_status"), 4);
    ck_assert_int_eq(tnum(e, "shop_order_detail.main_status"), 21);
    int64_t sum;
    char via[64];
    ck_assert_int_eq(ledger(AS_PRE_101, &sum, via, sizeof via), 1);
    ck_assert_int_eq(sum, 5900);
    ck_assert_str_eq(via, "CancelSendGoodsSuccess");
}
END_TEST

START_TEST(test_cancel_send_goods_repeated_is_12001_and_refunds_nothing)
{
    tok(call("afterSale.CancelSendGoodsSuccess",
             "{\"aftersale_id\":\"" AS_PRE_101 "\",\"op_time\":1750000000}"));
    tfails(call("afterSale.CancelSendGoodsSuccess",
                "{\"aftersale_id\":\"" AS_PRE_101 "\",\"op_time\":1750000001}"),
           50002, "isv.business-failed:12001",
           "售后单已被其他自动退款方式命中,售后小助手策略不再执行");
    int64_t sum;
    ck_assert_int_eq(ledger(AS_PRE_101, &sum, NULL, 0), 1);
    ck_assert_int_eq(sum, 5900);
    const struct dd_envelope *e = detail(AS_PRE_101);
    ck_assert_int_eq(tnum(e, INFO "real_refund_amount"), 5900);
}
END_TEST

START_TEST(test_cancel_send_goods_on_one_sku_keeps_the_order_open)
{
    tok(call("afterSale.CancelSendGoodsSuccess",
             "{\"aftersale_id\":" AS_PRE_202 ",\"op_time\":\"1750000000\"}"));
    const struct dd_envelope *e = tok(call(
        "order.orderDetail", "{\"shop_order_id\":\"6920000000000000201\"}"));
    ck_assert_int_eq(tnum(e, "shop_order_detail.order_status"), 2);
    ck_assert_int_eq(tnum(e, "shop_order_detail.sku_order_list.0.order_status"),
                     2);
    ck_assert_int_eq(tnum(e, "shop_order_detail.sku_order_list.1.order_status"),
                     4);
    ck_assert_int_eq(tnum(e, "shop_order_detail.sku_order_list.2.order_status"),
                     2);
    int64_t sum;
    ck_assert_int_eq(ledger(AS_PRE_202, &sum, NULL, 0), 1);
    ck_assert_int_eq(sum, 8900);
}
END_TEST

START_TEST(test_cancel_send_goods_with_the_strategy_off_is_11002)
{
    tmock_use_world(&T, off_world, "7100000000000000001", "off-s", "31000001");
    tfails(call("afterSale.CancelSendGoodsSuccess",
                "{\"aftersale_id\":\"7010000000000000001\","
                "\"op_time\":1750000000}"),
           50002, "isv.business-failed:11002",
           "店铺未设置或启用售后小助手策略，请店铺通过抖店后台或以下链接进行设"
           "置：https://fxg.jinritemai.com/ffa/morder/aftersale/assistant/"
           "list");
    const struct dd_envelope *e = detail("7010000000000000001");
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 6);
    ck_assert_int_eq(tnum(e, INFO "refund_status"), 1);
}
END_TEST

START_TEST(test_cancel_send_goods_errors_follow_the_spec_rows)
{
    tfails(call("afterSale.CancelSendGoodsSuccess",
                "{\"aftersale_id\":\"7000000000000009999\","
                "\"op_time\":1750000000}"),
           50002, "isv.business-failed:11003", "该售后单不存在");
    /* a return is not a pre-shipment refund */
    tfails(call("afterSale.CancelSendGoodsSuccess",
                "{\"aftersale_id\":\"" AS_RET_301 "\",\"op_time\":1750000000}"),
           50002, "isv.business-failed:12001", NULL);
    /* already final */
    tfails(call("afterSale.CancelSendGoodsSuccess",
                "{\"aftersale_id\":\"" AS_DONE_701
                "\",\"op_time\":1750000000}"),
           50002, "isv.business-failed:12001", NULL);
    tfails(call("afterSale.CancelSendGoodsSuccess",
                "{\"aftersale_id\":\"" AS_PRE_101 "\"}"),
           50002, "isv.business-failed:11000", "参数错误");
    tfails(call("afterSale.CancelSendGoodsSuccess", "{\"op_time\":1750000000}"),
           50002, "isv.business-failed:11000", "参数错误");
    tfails(call("afterSale.CancelSendGoodsSuccess",
                "{\"aftersale_id\":\"" AS_PRE_101 "\",\"op_time\":0}"),
           50002, "isv.business-failed:11000", "参数错误");
    tfails(call("afterSale.CancelSendGoodsSuccess",
                "{\"aftersale_id\":[1],\"op_time\":1750000000}"),
           50002, "isv.business-failed:11004",
           "序列化失败，可能为入参问题，请检查。");
    /* nothing of that changed the pending refund */
    const struct dd_envelope *e = detail(AS_PRE_101);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 6);
}
END_TEST

START_TEST(test_a_refund_moves_update_time_for_incremental_polling)
{
    int64_t before = (int64_t)time(NULL) - 1;
    tok(call("afterSale.CancelSendGoodsSuccess",
             "{\"aftersale_id\":\"" AS_PRE_202 "\",\"op_time\":1750000000}"));
    static const char *const changed[] = {AS_PRE_202, NULL};
    const struct dd_envelope *e =
        tok(call("afterSale.List",
                 "{\"page\":0,\"size\":100,\"update_start_time\":%lld,"
                 "\"order_by\":[\"update_time asc\"]}",
                 (long long)before));
    expect_ids(e, changed);
    ck_assert_int_eq(tnum(e, "items.0.aftersale_info.aftersale_status"), 12);
    ck_assert_int_eq(tnum(e, "items.0.aftersale_info.refund_status"), 3);
    ck_assert_int_eq(tnum(e, "items.0.aftersale_info.refund_type"), 2);
    ck_assert(has_int(e, "items.0.aftersale_info.auto_audit_bits", 2));
}
END_TEST

/* ================================================= returnGoodsToWareHouse */

START_TEST(test_return_to_warehouse_refunds_a_shipped_back_return)
{
    tok(call("afterSale.returnGoodsToWareHouseSuccess",
             "{\"aftersale_id\":\"" AS_RET_501 "\",\"op_time\":1750000000,"
             "\"tracking_no\":\"SF1234567890501\","
             "\"logistics_company_code\":\"shunfeng\"}"));
    const struct dd_envelope *e = detail(AS_RET_501);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 12);
    ck_assert_int_eq(tnum(e, INFO "refund_status"), 3);
    ck_assert_int_eq(tnum(e, INFO "refund_type"), 2);
    ck_assert_int_eq(tnum(e, INFO "got_pkg"), 1);
    ck_assert(has_int(e, INFO "auto_audit_bits", 2));
    ck_assert_int_eq(tnum(e, INFO "real_refund_amount"), 11800);
    size_t n = tcount(e, "process_info.record_logs_list");
    char path[64];
    snprintf(path, sizeof path, "process_info.record_logs_list.%zu.action",
             n - 2);
    ck_assert_str_eq(tstr(e, path), "return_to_warehouse");
    snprintf(path, sizeof path, "process_info.record_logs_list.%zu.text",
             n - 2);
    ck_assert_ptr_nonnull(strstr(tstr(e, path), "SF1234567890501"));
    int64_t sum;
    char via[64];
    ck_assert_int_eq(ledger(AS_RET_501, &sum, via, sizeof via), 1);
    ck_assert_int_eq(sum, 11800);
    ck_assert_str_eq(via, "returnGoodsToWareHouseSuccess");
    /* a repeat refunds nothing */
    tfails(call("afterSale.returnGoodsToWareHouseSuccess",
                "{\"aftersale_id\":\"" AS_RET_501 "\",\"op_time\":1750000001}"),
           50002, "isv.business-failed:12001",
           "售后单类型与策略限制不符合，未命中此策略");
    ck_assert_int_eq(ledger(AS_RET_501, &sum, NULL, 0), 1);
    ck_assert_int_eq(sum, 11800);
}
END_TEST

START_TEST(test_return_to_warehouse_is_accepted_before_the_buyer_ships)
{
    tok(call("afterSale.returnGoodsToWareHouseSuccess",
             "{\"aftersale_id\":" AS_RET_401 ",\"op_time\":\"1750000000\"}"));
    const struct dd_envelope *e = detail(AS_RET_401);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 12);
    ck_assert_int_eq(tnum(e, INFO "got_pkg"), 1);
    ck_assert(has_int(e, INFO "auto_audit_bits", 2));
    ck_assert(has_int(e, INFO "auto_audit_bits", 7));
}
END_TEST

START_TEST(test_return_to_warehouse_with_the_strategy_off_is_11002)
{
    tmock_use_world(&T, off_world, "7100000000000000001", "off-s", "31000001");
    tfails(call("afterSale.returnGoodsToWareHouseSuccess",
                "{\"aftersale_id\":\"7010000000000000101\","
                "\"op_time\":1750000000}"),
           50002, "isv.business-failed:11002",
           "店铺未设置或启用售后小助手策略，请店铺通过抖店后台或以下链接进行设"
           "置：https://fxg.jinritemai.com/ffa/morder/aftersale/assistant/"
           "list");
    const struct dd_envelope *e = detail("7010000000000000101");
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 11);
}
END_TEST

START_TEST(test_return_to_warehouse_errors_follow_the_spec_rows)
{
    static const char *const not_hit[] = {AS_PRE_101, AS_REF_601, AS_RET_301,
                                          AS_DONE_701};
    for (size_t i = 0; i < sizeof not_hit / sizeof not_hit[0]; i++)
        tfails(call("afterSale.returnGoodsToWareHouseSuccess",
                    "{\"aftersale_id\":\"%s\",\"op_time\":1750000000}",
                    not_hit[i]),
               50002, "isv.business-failed:12001",
               "售后单类型与策略限制不符合，未命中此策略");
    tfails(call("afterSale.returnGoodsToWareHouseSuccess",
                "{\"aftersale_id\":\"7000000000000009999\","
                "\"op_time\":1750000000}"),
           50002, "isv.business-failed:11000", "参数错误");
    tfails(call("afterSale.returnGoodsToWareHouseSuccess",
                "{\"aftersale_id\":\"" AS_RET_501 "\"}"),
           50002, "isv.business-failed:11000", "参数错误");
    tfails(call("afterSale.returnGoodsToWareHouseSuccess",
                "{\"aftersale_id\":{},\"op_time\":1750000000}"),
           40004, "isv.parameter-invalid:11004", "序列化错误");
    const struct dd_envelope *e = detail(AS_RET_501);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 11);
}
END_TEST

/* ================================================================ operate */

START_TEST(test_operate_101_agrees_a_return_application)
{
    /* without a return address: missing */
    tfails(call("afterSale.operate",
                "{\"type\":101,\"items\":[{\"aftersale_id\":\"" AS_RET_301
                "\"}]}"),
           40001, "isv.parameter-missing", NULL);
    const struct dd_envelope *e =
        tok(call("afterSale.operate",
                 "{\"type\":101,\"items\":[{\"aftersale_id\":\"" AS_RET_301
                 "\",\"logistics\":{\"receiver_address_id\":1}}]}"));
    const struct dd_json *id = tnode(e, "items.0.aftersale_id");
    ck_assert_int_eq(id->type, DD_JSON_NUMBER);
    ck_assert_str_eq(id->text, AS_RET_301);
    ck_assert_int_eq(tnum(e, "items.0.status_code"), 0);
    ck_assert_str_eq(tstr(e, "items.0.status_msg"), "success");
    int64_t now = (int64_t)time(NULL);
    e = detail(AS_RET_301);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 7);
    ck_assert_int_eq(tnum(e, INFO "aftersale_status_to_final_time"), 0);
    /* the next node is the buyer's: 7 days to ship the return */
    ck_assert_int_ge(tnum(e, INFO "status_deadline"), now - 5 + 604800);
    ck_assert_int_le(tnum(e, INFO "status_deadline"), now + 5 + 604800);
    ck_assert_int_ge(tnum(e, INFO "update_time"), now - 5);
}
END_TEST

START_TEST(test_operate_102_rejects_a_return_with_a_reason_code)
{
    /* the reason code is required */
    tfails(call("afterSale.operate",
                "{\"type\":102,\"items\":[{\"aftersale_id\":\"" AS_RET_301
                "\",\"reason\":\"不同意\",\"remark\":\"已发货\"}]}"),
           40001, "isv.parameter-missing", NULL);
    /* code 1 needs evidence */
    tfails(call("afterSale.operate",
                "{\"type\":102,\"items\":[{\"aftersale_id\":\"" AS_RET_301
                "\",\"reject_reason_code\":1,\"reason\":\"不同意\","
                "\"remark\":\"已发货\"}]}"),
           40001, "isv.parameter-missing", NULL);
    /* code 7 is for received goods; this one was not received */
    tfails(call("afterSale.operate",
                "{\"type\":102,\"items\":[{\"aftersale_id\":\"" AS_RET_301
                "\",\"reject_reason_code\":7,\"reason\":\"不同意\","
                "\"remark\":\"已发货\",\"evidence\":[{\"type\":1,"
                "\"url\":\"https://example.com/e.jpg\"}]}]}"),
           40003, "isv.parameter-invalid", NULL);
    ck_assert_int_eq(tnum(detail(AS_RET_301), INFO "after_sale_status"), 6);
    tok(call("afterSale.operate",
             "{\"type\":102,\"items\":[{\"aftersale_id\":\"" AS_RET_301
             "\",\"reject_reason_code\":1,\"reason\":\"不同意\","
             "\"remark\":\"买家拍错\",\"evidence\":[{\"type\":1,"
             "\"url\":\"https://example.com/e.jpg\"}]}]}"));
    const struct dd_envelope *e = detail(AS_RET_301);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 27);
    ck_assert_int_eq(tnum(e, INFO "refund_status"), 1);
    /* a refused return is not final: the merchant may still agree */
    ck_assert_int_eq(tnum(e, INFO "aftersale_status_to_final_time"), 0);
    tok(call("afterSale.operate",
             "{\"type\":101,\"items\":[{\"aftersale_id\":\"" AS_RET_301
             "\",\"logistics\":{\"after_sale_address_detail\":"
             "{\"province_name\":\"北京市\",\"detail\":\"建国路1号\"}}}]}"));
    ck_assert_int_eq(tnum(detail(AS_RET_301), INFO "after_sale_status"), 7);
}
END_TEST

START_TEST(test_operate_111_confirms_receipt_and_refunds)
{
    tok(call("afterSale.operate",
             "{\"type\":111,\"items\":[{\"aftersale_id\":" AS_RET_501 "}]}"));
    const struct dd_envelope *e = detail(AS_RET_501);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 12);
    ck_assert_int_eq(tnum(e, INFO "refund_status"), 3);
    ck_assert_int_eq(tnum(e, INFO "refund_type"), 0);
    ck_assert_int_eq(tnum(e, INFO "got_pkg"), 1);
    ck_assert(!has_int(e, INFO "auto_audit_bits", 2));
    int64_t sum;
    char via[64];
    ck_assert_int_eq(ledger(AS_RET_501, &sum, via, sizeof via), 1);
    ck_assert_int_eq(sum, 11800);
    ck_assert_str_eq(via, "operate:111");
}
END_TEST

START_TEST(test_operate_112_refuses_a_return_after_it_arrived)
{
    tok(call("afterSale.operate",
             "{\"type\":112,\"items\":[{\"aftersale_id\":\"" AS_RET_501
             "\",\"reject_reason_code\":4,\"reason\":\"买家误操作\","
             "\"remark\":\"已协商\"}]}"));
    const struct dd_envelope *e = detail(AS_RET_501);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 29);
    ck_assert_int_ne(tnum(e, INFO "aftersale_status_to_final_time"), 0);
    int64_t sum;
    ck_assert_int_eq(ledger(AS_RET_501, &sum, NULL, 0), 0);
}
END_TEST

START_TEST(test_operate_201_and_202_answer_refunds_without_return)
{
    tok(call("afterSale.operate",
             "{\"type\":201,\"items\":[{\"aftersale_id\":\"" AS_REF_601
             "\"}]}"));
    const struct dd_envelope *e = detail(AS_REF_601);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 12);
    ck_assert_int_eq(tnum(e, INFO "real_refund_amount"), 3300);
    int64_t sum;
    char via[64];
    ck_assert_int_eq(ledger(AS_REF_601, &sum, via, sizeof via), 1);
    ck_assert_int_eq(sum, 3300);
    ck_assert_str_eq(via, "operate:201");
    /* the refund is final now: 202 finds the wrong state */
    tfails(call("afterSale.operate",
                "{\"type\":202,\"items\":[{\"aftersale_id\":\"" AS_REF_601
                "\",\"reject_reason_code\":4,\"reason\":\"r\","
                "\"remark\":\"m\"}]}"),
           50002, "isv.business-failed:20309541", "售后状态错误");
}
END_TEST

START_TEST(test_operate_202_refuses_a_refund_without_return)
{
    tok(call("afterSale.operate",
             "{\"type\":202,\"items\":[{\"aftersale_id\":\"" AS_REF_601
             "\",\"reject_reason_code\":9,\"reason\":\"已补偿\","
             "\"remark\":\"已与买家协商补偿\"}]}"));
    const struct dd_envelope *e = detail(AS_REF_601);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 27);
    ck_assert_int_eq(tnum(e, INFO "refund_status"), 1);
    ck_assert_int_eq(tnum(e, INFO "aftersale_status_to_final_time"), 0);
    /* from 27 the merchant may still agree */
    tok(call("afterSale.operate",
             "{\"type\":201,\"items\":[{\"aftersale_id\":\"" AS_REF_601
             "\"}]}"));
    e = detail(AS_REF_601);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 12);
    ck_assert_int_eq(tnum(e, INFO "refund_status"), 3);
}
END_TEST

START_TEST(test_operate_401_agrees_a_pre_shipment_refund)
{
    tok(call("afterSale.operate",
             "{\"type\":401,\"items\":[{\"aftersale_id\":\"" AS_PRE_101
             "\"}]}"));
    const struct dd_envelope *e = detail(AS_PRE_101);
    ck_assert_int_eq(tnum(e, INFO "after_sale_status"), 12);
    ck_assert_int_eq(tnum(e, INFO "refund_status"), 3);
    ck_assert_int_eq(tnum(e, INFO "refund_type"), 0);
    e = tok(call("order.orderDetail",
                 "{\"shop_order_id\":\"6920000000000000101\"}"));
    ck_assert_int_eq(tnum(e, "shop_order_detail.sku_order_list.0.order_status"),
                     4);
    int64_t sum;
    char via[64];
    ck_assert_int_eq(ledger(AS_PRE_101, &sum, via, sizeof via), 1);
    ck_assert_str_eq(via, "operate:401");
}
END_TEST

START_TEST(test_operate_types_the_mock_does_not_implement_are_11001)
{
    tfails(call("afterSale.operate",
                "{\"type\":301,\"items\":[{\"aftersale_id\":\"" AS_RET_301
                "\"}]}"),
           50002, "isv.business-failed:11001",
           "11001:暂不支持通过OPEN处理，请登录抖店后台人工审核售后单。如有疑"
           "问，请联系平台客服。");
    tfails(call("afterSale.operate",
                "{\"type\":999,\"items\":[{\"aftersale_id\":\"" AS_RET_301
                "\"}]}"),
           40003, "isv.parameter-invalid", "参数错误");
    tfails(call("afterSale.operate",
                "{\"items\":[{\"aftersale_id\":\"" AS_RET_301 "\"}]}"),
           40001, "isv.parameter-missing", "缺少参数");
    tfails(call("afterSale.operate", "{\"type\":101}"), 40001,
           "isv.parameter-missing", "缺少参数");
    tfails(call("afterSale.operate", "{\"type\":101,\"items\":[]}"), 40003,
           "isv.parameter-invalid", "参数错误");
}
END_TEST

START_TEST(test_operate_in_the_wrong_state_is_20309541)
{
    /* 111 needs 7, 11 or 29; 101 on a final after-sale; 401 on a return */
    tfails(call("afterSale.operate",
                "{\"type\":111,\"items\":[{\"aftersale_id\":\"" AS_RET_301
                "\"}]}"),
           50002, "isv.business-failed:20309541", "售后状态错误");
    tfails(call("afterSale.operate",
                "{\"type\":101,\"items\":[{\"aftersale_id\":\"" AS_DONE_701
                "\",\"logistics\":{\"receiver_address_id\":1}}]}"),
           50002, "isv.business-failed:20309541", "售后状态错误");
    tfails(call("afterSale.operate",
                "{\"type\":401,\"items\":[{\"aftersale_id\":\"" AS_RET_301
                "\"}]}"),
           50002, "isv.business-failed:20309541", "售后状态错误");
    tfails(call("afterSale.operate",
                "{\"type\":201,\"items\":[{\"aftersale_id\":\"" AS_CLOSE_801
                "\"}]}"),
           50002, "isv.business-failed:20309541", "售后状态错误");
    tfails(call("afterSale.operate",
                "{\"type\":111,\"items\":[{\"aftersale_id\":"
                "\"7000000000000009999\"}]}"),
           20000, "isp.service-error:10000", "存在无效的售后单");
}
END_TEST

START_TEST(test_operate_takes_at_most_20_items)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"type\":111,\"items\":[");
    for (int i = 0; i < 21; i++)
        dd_buf_printf(&b, "%s{\"aftersale_id\":\"%lld\"}", i ? "," : "",
                      (long long)(INT64_C(7000000000000000501)));
    dd_buf_puts(&b, "]}");
    tfails(call("afterSale.operate", "%s", dd_buf_str(&b)), 40003,
           "isv.parameter-invalid", "参数错误");
    dd_buf_free(&b);
    ck_assert_int_eq(tnum(detail(AS_RET_501), INFO "after_sale_status"), 11);
}
END_TEST

START_TEST(test_operate_is_all_or_nothing)
{
    /* 111 on 401 (status 7) is fine, on 301 (status 6) not: neither moves */
    tfails(call("afterSale.operate",
                "{\"type\":111,\"items\":[{\"aftersale_id\":\"" AS_RET_401
                "\"},{\"aftersale_id\":\"" AS_RET_301 "\"}]}"),
           50002, "isv.business-failed:20309541", "售后状态错误");
    ck_assert_int_eq(tnum(detail(AS_RET_401), INFO "after_sale_status"), 7);
    ck_assert_int_eq(tnum(detail(AS_RET_301), INFO "after_sale_status"), 6);
    int64_t sum;
    ck_assert_int_eq(ledger(AS_RET_401, &sum, NULL, 0), 0);
    /* the same after-sale twice */
    tfails(call("afterSale.operate",
                "{\"type\":111,\"items\":[{\"aftersale_id\":\"" AS_RET_401
                "\"},{\"aftersale_id\":" AS_RET_401 "}]}"),
           40003, "isv.parameter-invalid", "参数错误");
    /* both good: both move */
    const struct dd_envelope *e =
        tok(call("afterSale.operate",
                 "{\"type\":111,\"items\":[{\"aftersale_id\":\"" AS_RET_401
                 "\"},{\"aftersale_id\":\"" AS_RET_501 "\"}]}"));
    ck_assert_uint_eq(tcount(e, "items"), 2);
    ck_assert_int_eq(tnum(detail(AS_RET_401), INFO "after_sale_status"), 12);
    ck_assert_int_eq(tnum(detail(AS_RET_501), INFO "after_sale_status"), 12);
}
END_TEST

START_TEST(test_operate_with_a_stale_update_time_is_20309541)
{
    int64_t u = tnum(detail(AS_RET_301), INFO "update_time");
    tfails(call("afterSale.operate",
                "{\"type\":101,\"items\":[{\"aftersale_id\":\"" AS_RET_301
                "\",\"update_time\":%lld,"
                "\"logistics\":{\"receiver_address_id\":1}}]}",
                (long long)u - 1),
           50002, "isv.business-failed:20309541", "售后状态错误");
    ck_assert_int_eq(tnum(detail(AS_RET_301), INFO "after_sale_status"), 6);
    tok(call("afterSale.operate",
             "{\"type\":101,\"items\":[{\"aftersale_id\":\"" AS_RET_301
             "\",\"update_time\":%lld,"
             "\"logistics\":{\"receiver_address_id\":1}}]}",
             (long long)u));
    ck_assert_int_eq(tnum(detail(AS_RET_301), INFO "after_sale_status"), 7);
}
END_TEST

/* ================================================== rejectReasonCodeList */

START_TEST(test_reject_reasons_list_whole_or_for_one_after_sale)
{
    const struct dd_envelope *e =
        tok(call("afterSale.rejectReasonCodeList", "{}"));
    ck_assert_uint_eq(tcount(e, "items"), 9);
    ck_assert_int_eq(tnum(e, "items.0.reject_reason_code"), 1);
    ck_assert_str_eq(tstr(e, "items.0.reason"), "多拍/错拍/不想要");
    ck_assert_str_eq(tstr(e, "items.0.evidence_need"), "Y");
    ck_assert_int_eq(tnum(e, "items.0.pkg"), -1);
    ck_assert_int_eq(tnum(e, "items.0.order_type"), -1);
    /* an unshipped pre-shipment refund: nothing to reject with */
    e = tok(call("afterSale.rejectReasonCodeList",
                 "{\"aftersale_id\":\"" AS_PRE_101 "\"}"));
    ck_assert_uint_eq(tcount(e, "items"), 0);
    /* a return not received: no reason that needs the goods back */
    e = tok(call("afterSale.rejectReasonCodeList",
                 "{\"aftersale_id\":" AS_RET_301 "}"));
    ck_assert_uint_eq(tcount(e, "items"), 7);
    for (size_t i = 0; i < 7; i++) {
        char path[32];
        snprintf(path, sizeof path, "items.%zu.pkg", i);
        ck_assert_int_ne(tnum(e, path), 1);
    }
    /* final, or unknown: empty */
    e = tok(call("afterSale.rejectReasonCodeList",
                 "{\"aftersale_id\":\"" AS_DONE_701 "\"}"));
    ck_assert_uint_eq(tcount(e, "items"), 0);
    e = tok(call("afterSale.rejectReasonCodeList",
                 "{\"aftersale_id\":\"7000000000000009999\"}"));
    ck_assert_uint_eq(tcount(e, "items"), 0);
    tfails(call("afterSale.rejectReasonCodeList", "{\"aftersale_id\":\"x\"}"),
           40003, "isv.parameter-invalid", NULL);
}
END_TEST

/* ======================================================== addOrderRemark */

START_TEST(test_add_order_remark_shows_in_detail_and_list)
{
    int64_t u0 = tnum(detail(AS_RET_301), INFO "update_time");
    tok(call("afterSale.addOrderRemark", "{\"after_sale_id\":\"" AS_RET_301
                                         "\",\"remark\":\"已联系买家\"}"));
    const struct dd_envelope *e = detail(AS_RET_301);
    ck_assert_str_eq(tstr(e, "process_info.after_sale_shop_remarks.0.remark"),
                     "已联系买家");
    ck_assert_int_ge(tnum(e, INFO "update_time"), u0);
    e = tok(call("afterSale.List", "{\"page\":0,\"size\":1,"
                                   "\"aftersale_id\":\"" AS_RET_301 "\"}"));
    ck_assert_str_eq(tstr(e, "items.0.aftersale_info.remark"), "已联系买家");
    ck_assert_str_eq(tstr(e, "items.0.seller_logs.0.content"), "已联系买家");
    ck_assert_str_eq(tstr(e, "items.0.seller_logs.0.op_name"), "商家");
    /* on an order: its seller_words */
    tok(call("afterSale.addOrderRemark",
             "{\"order_id\":6920000000000000901,\"remark\":\"缺货，晚发\"}"));
    e = tok(call("order.orderDetail",
                 "{\"shop_order_id\":\"6920000000000000901\"}"));
    ck_assert_str_eq(tstr(e, "shop_order_detail.seller_words"), "缺货，晚发");
}
END_TEST

START_TEST(test_add_order_remark_rejects_long_missing_and_unknown)
{
    /* 1000 characters are fine, 1001 too long (counted in characters) */
    struct dd_buf r;
    dd_buf_init(&r, 0);
    for (int i = 0; i < 1000; i++)
        dd_buf_puts(&r, "备");
    tok(call("afterSale.addOrderRemark",
             "{\"after_sale_id\":\"" AS_RET_301 "\",\"remark\":\"%s\"}",
             dd_buf_str(&r)));
    dd_buf_puts(&r, "x");
    tfails(call("afterSale.addOrderRemark",
                "{\"after_sale_id\":\"" AS_RET_301 "\",\"remark\":\"%s\"}",
                dd_buf_str(&r)),
           40003, "isv.parameter-invalid", NULL);
    dd_buf_free(&r);
    tfails(call("afterSale.addOrderRemark", "{\"remark\":\"r\"}"), 40001,
           "isv.parameter-missing", NULL);
    tfails(call("afterSale.addOrderRemark",
                "{\"after_sale_id\":\"" AS_RET_301 "\"}"),
           40001, "isv.parameter-missing", NULL);
    tfails(call("afterSale.addOrderRemark",
                "{\"after_sale_id\":\"" AS_RET_301 "\",\"remark\":\"\"}"),
           40001, "isv.parameter-missing", NULL);
    tfails(call("afterSale.addOrderRemark",
                "{\"after_sale_id\":\"7000000000000009999\",\"remark\":\"r\"}"),
           40003, "isv.parameter-invalid", NULL);
    tfails(call("afterSale.addOrderRemark",
                "{\"order_id\":\"6920000000000009999\",\"remark\":\"r\"}"),
           40003, "isv.parameter-invalid", NULL);
}
END_TEST

Suite *mock_aftersale_suite(void)
{
    Suite *s = suite_create("mock_aftersale");
    TCase *tc = tcase_create("list");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_list_without_page_or_size_is_a_missing_parameter);
    tcase_add_test(tc, test_list_rejects_bad_paging_with_its_own_11000_row);
    tcase_add_test(tc,
                   test_list_returns_every_after_sale_newest_application_first);
    tcase_add_test(tc, test_list_items_carry_string_ids_and_amounts_in_fen);
    tcase_add_test(tc, test_list_pages_with_has_more_and_total);
    tcase_add_test(tc, test_list_honours_every_enum_and_id_filter);
    tcase_add_test(tc, test_list_rejects_enum_values_outside_the_spec);
    tcase_add_test(tc, test_list_orders_by_update_time_ascending);
    tcase_add_test(tc,
                   test_list_orders_by_status_deadline_with_final_ones_last);
    tcase_add_test(tc, test_list_update_window_includes_both_ends);
    tcase_add_test(tc, test_list_apply_window_excludes_its_end);
    tcase_add_test(tc,
                   test_list_final_time_window_matches_only_final_after_sales);
    tcase_add_test(tc, test_list_default_window_is_six_months);
    tcase_add_test(tc, test_another_shops_after_sales_read_as_unknown);
    suite_add_tcase(s, tc);

    tc = tcase_create("detail");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_detail_shows_number_ids_and_the_record_on_request);
    tcase_add_test(tc, test_detail_of_an_unknown_or_missing_id_is_11000);
    suite_add_tcase(s, tc);

    tc = tcase_create("write_backs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(
        tc, test_cancel_send_goods_success_refunds_at_once_by_the_assistant);
    tcase_add_test(
        tc, test_cancel_send_goods_repeated_is_12001_and_refunds_nothing);
    tcase_add_test(tc, test_cancel_send_goods_on_one_sku_keeps_the_order_open);
    tcase_add_test(tc, test_cancel_send_goods_with_the_strategy_off_is_11002);
    tcase_add_test(tc, test_cancel_send_goods_errors_follow_the_spec_rows);
    tcase_add_test(tc, test_a_refund_moves_update_time_for_incremental_polling);
    tcase_add_test(tc, test_return_to_warehouse_refunds_a_shipped_back_return);
    tcase_add_test(tc,
                   test_return_to_warehouse_is_accepted_before_the_buyer_ships);
    tcase_add_test(tc, test_return_to_warehouse_with_the_strategy_off_is_11002);
    tcase_add_test(tc, test_return_to_warehouse_errors_follow_the_spec_rows);
    suite_add_tcase(s, tc);

    tc = tcase_create("operate");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_operate_101_agrees_a_return_application);
    tcase_add_test(tc, test_operate_102_rejects_a_return_with_a_reason_code);
    tcase_add_test(tc, test_operate_111_confirms_receipt_and_refunds);
    tcase_add_test(tc, test_operate_112_refuses_a_return_after_it_arrived);
    tcase_add_test(tc, test_operate_201_and_202_answer_refunds_without_return);
    tcase_add_test(tc, test_operate_202_refuses_a_refund_without_return);
    tcase_add_test(tc, test_operate_401_agrees_a_pre_shipment_refund);
    tcase_add_test(tc,
                   test_operate_types_the_mock_does_not_implement_are_11001);
    tcase_add_test(tc, test_operate_in_the_wrong_state_is_20309541);
    tcase_add_test(tc, test_operate_takes_at_most_20_items);
    tcase_add_test(tc, test_operate_is_all_or_nothing);
    tcase_add_test(tc, test_operate_with_a_stale_update_time_is_20309541);
    suite_add_tcase(s, tc);

    tc = tcase_create("reasons_and_remarks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_reject_reasons_list_whole_or_for_one_after_sale);
    tcase_add_test(tc, test_add_order_remark_shows_in_detail_and_list);
    tcase_add_test(tc, test_add_order_remark_rejects_long_missing_and_unknown);
    suite_add_tcase(s, tc);
    return s;
}
