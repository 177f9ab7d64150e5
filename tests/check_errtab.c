/*
 * check_errtab.c: tests of the Doudian business-error table (dd_errtab).
 *
 * Every expected string here is typed from the spec pages
 * (doudian-open-api.md §2.4, §3.2-§3.4, doudian-shipping-and-operations.md
 * §1.1-§1.6), never read back from the table, so a row that drifts from the
 * spec fails. The structural tests (no duplicates, a known code per row, the
 * sub_code prefix agreeing with the code) walk the whole table.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dd_errtab.h"
#include "suites.h"

/* One expected row, typed from the spec. */
struct want {
    const char *method; /* as passed to dd_errtab_find */
    int code;
    const char *msg;
    const char *sub_code;
    const char *sub_msg;
};

static void check_row(const struct want *w, const char *want_method)
{
    const struct dd_api_error *e = dd_errtab_find(w->method, w->sub_code);
    ck_assert_msg(e != NULL, "no row for %s / %s",
                  w->method ? w->method : "(platform)", w->sub_code);
    ck_assert_int_eq(e->code, w->code);
    ck_assert_str_eq(e->msg, w->msg);
    ck_assert_str_eq(e->sub_code, w->sub_code);
    ck_assert_str_eq(e->sub_msg, w->sub_msg);
    if (want_method == NULL)
        ck_assert_ptr_null(e->method);
    else {
        ck_assert_ptr_nonnull(e->method);
        ck_assert_str_eq(e->method, want_method);
    }
}

/* The platform sub_codes the gateway answers with (open-api §3.3, §2.4). */
static const struct want gateway_rows[] = {
    {NULL, 40001, "缺少必选参数", "isv.app-id-missing",
     "认证失败，app_key不存在"},
    {NULL, 40003, "非法的参数", "isv.app-id-invalid",
     "认证失败，app_key格式不正确，应为19位纯数字"},
    {NULL, 40001, "缺少必选参数", "isv.signature-missing",
     "获取签名失败，请根据文档确保参数拼装正确"},
    {NULL, 40003, "非法的参数", "isv.signature-invalid", "签名校验失败"},
    {NULL, 40003, "非法的参数", "isv.timestamp-invalid", "时间戳不合法"},
    {NULL, 40003, "非法的参数", "isv.timestamp-format-error", "时间戳格式错误"},
    {NULL, 40001, "缺少必选参数", "isv.access-token-missing",
     "认证失败，access_token不能为空"},
    {NULL, 40003, "非法的参数", "isv.access-token-expired",
     "access_token已过期"},
    {NULL, 40003, "非法的参数", "isv.access-token-no-existed",
     "access_token不存在，请使用最新的access_token访问"},
    {NULL, 40003, "非法的参数", "isv.access-token-invalid",
     "app_key和access_token不匹配，请仔细检查"},
    {NULL, 70000, "接口服务已下线", "isp.api-service-off",
     "API不存在或API已下线"},
    {NULL, 60000, "触发限流，请稍后重试", "isv.traffic-limited",
     "请求太频繁，请稍后重试"},
    {NULL, 40001, "缺少必选参数", "isv.parameter-missing", "缺少参数"},
    {NULL, 40003, "非法的参数", "isv.parameter-invalid", "参数错误"},
    {NULL, 40003, "非法的参数", "isv.parameter-format-invalid",
     "业务参数json解析失败，所有参数需为string类型"},
    {NULL, 30001, "操作权限不足", "dop.authorization-no-existed",
     "店铺授权已失效，请重新授权"},
    {NULL, 50001, "平台处理失败", "dop.token-generate-failed:code-expired",
     "code已经失效（code的有效期为10分钟）"},
    {NULL, 50001, "平台处理失败", "dop.token-generate-failed:token-expired",
     "生成token失败，token已过期"},
    {NULL, 20000, "系统错误", "dop.service-error", "服务调用失败，请稍后重试"},
    {NULL, 90000, "其他异常", "dop.unknown-error", "未知错误"},
};

START_TEST(test_errtab_finds_every_platform_sub_code_the_gateway_uses)
{
    check_row(&gateway_rows[_i], NULL);
}
END_TEST

START_TEST(test_errtab_platform_rows_answer_for_any_api_without_its_own)
{
    /* afterSale.List has no isv.signature-invalid row of its own. */
    const struct dd_api_error *e =
        dd_errtab_find("afterSale.List", "isv.signature-invalid");
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_null(e->method);
    ck_assert_int_eq(e->code, 40003);
    ck_assert_str_eq(e->sub_msg, "签名校验失败");
}
END_TEST

START_TEST(test_errtab_keeps_the_spec_elision_in_platform_rows)
{
    const struct dd_api_error *e = dd_errtab_find(NULL, "isv.app-id-expired");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->sub_msg, "app_key已过期失效…");
    e = dd_errtab_find(NULL, "isv.authorization-type-invalid");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->sub_msg, "auth2协议验签失败… 授权主体不匹配");
}
END_TEST

START_TEST(test_errtab_prefers_the_api_row_over_the_platform_row)
{
    /* isv.business-failed:31012 is both a platform row (§2.4) and a
     * token.refresh row (§3.4). */
    const struct dd_api_error *api =
        dd_errtab_find("token.refresh", "isv.business-failed:31012");
    const struct dd_api_error *plat =
        dd_errtab_find(NULL, "isv.business-failed:31012");
    ck_assert_ptr_nonnull(api);
    ck_assert_ptr_nonnull(plat);
    ck_assert_ptr_ne(api, plat);
    ck_assert_ptr_nonnull(api->method);
    ck_assert_str_eq(api->method, "token.refresh");
    ck_assert_ptr_null(plat->method);
    ck_assert_str_eq(api->sub_msg, "刷新token失败，有并发请求");
    ck_assert_int_eq(api->code, 50002);
}
END_TEST

START_TEST(test_errtab_business_failed_12001_means_something_else_per_api)
{
    static const struct want w[] = {
        {"afterSale.CancelSendGoodsSuccess", 50002, "业务处理失败",
         "isv.business-failed:12001",
         "售后单已被其他自动退款方式命中,售后小助手策略不再执行"},
        {"afterSale.returnGoodsToWareHouseSuccess", 50002, "业务处理失败",
         "isv.business-failed:12001",
         "售后单类型与策略限制不符合，未命中此策略"},
        {"afterSale.Detail", 50002, "业务处理失败", "isv.business-failed:12001",
         "12001:映射错误，当前操作不支持，适用于售后状态、类型、金额等校验未通"
         "过"},
        {"afterSale.List", 50002, "业务处理失败", "isv.business-failed:12001",
         "系统处理失败"},
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        check_row(&w[i], w[i].method);
    /* No platform row: an API without its own 12001 gets nothing. */
    ck_assert_ptr_null(dd_errtab_find(NULL, "isv.business-failed:12001"));
    ck_assert_ptr_null(
        dd_errtab_find("afterSale.operate", "isv.business-failed:12001"));
}
END_TEST

START_TEST(
    test_errtab_assistant_not_enabled_is_quoted_whole_for_both_write_backs)
{
    static const char *const full =
        "店铺未设置或启用售后小助手策略，请店铺通过抖店后台或以下链接进行设置"
        "：https://fxg.jinritemai.com/ffa/morder/aftersale/assistant/list";
    const struct dd_api_error *c = dd_errtab_find(
        "afterSale.CancelSendGoodsSuccess", "isv.business-failed:11002");
    const struct dd_api_error *r = dd_errtab_find(
        "afterSale.returnGoodsToWareHouseSuccess", "isv.business-failed:11002");
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(c->sub_msg, full);
    ck_assert_str_eq(r->sub_msg, full);
    ck_assert_str_eq(c->solution, "检查是否开启小助手策略");
    ck_assert_str_eq(r->solution, "检查小助手是否开启");
}
END_TEST

START_TEST(test_errtab_logistics_add_rows_match_the_shipping_table)
{
    static const struct want w[] = {
        {"order.logisticsAdd", 50002, "业务处理失败",
         "isv.business-failed:60040",
         "发货订单中有退款申请需要处理，请先处理。"},
        {"order.logisticsAdd", 50002, "业务处理失败",
         "isv.business-failed:60068", "该订单已售前退款成功，不能发货。"},
        {"order.logisticsAdd", 50002, "业务处理失败",
         "isv.business-failed:60110", "订单已发货，不允许再次执行发货。"},
        {"order.logisticsAdd", 50002, "业务处理失败",
         "isv.business-failed:60017", "物流单号不符合规则。"},
        {"order.logisticsAdd", 50002, "业务处理失败",
         "isv.business-failed:60018",
         "暂不支持该物流公司或物流商已失效，请检查。"},
        {"order.logisticsAdd", 50002, "业务处理失败",
         "isv.business-failed:60021", "订单已取消，禁止发货。"},
        {"order.logisticsAdd", 40002, "缺少必选参数",
         "isv.missing-parameter:60011", "物流公司编码不允许为空。"},
        {"order.logisticsAdd", 20000, "系统错误", "isp.service-error:9999",
         "系统异常，请联系相关人员处理。"},
        {"order.logisticsAdd", 50002, "业务处理失败",
         "isv.business-failed:120018", "120018:系统繁忙，请稍后重试"},
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        check_row(&w[i], w[i].method);
}
END_TEST

START_TEST(test_errtab_logistics_edit_has_its_own_60017)
{
    static const struct want w = {"order.logisticsEdit", 50002, "业务处理失败",
                                  "isv.business-failed:60017",
                                  "物流单号错误。原因：发货信息填写有误，请检查"
                                  "物流单号、物流公司是否填写/"
                                  "选择正确"};
    check_row(&w, "order.logisticsEdit");
}
END_TEST

START_TEST(test_errtab_holds_all_79_logistics_add_rows)
{
    size_t n = 0, count = 0;
    const struct dd_api_error *t = dd_errtab_all(&n);
    for (size_t i = 0; i < n; i++)
        if (t[i].method && strcmp(t[i].method, "order.logisticsAdd") == 0)
            count++;
    ck_assert_uint_eq(count, 79);
}
END_TEST

START_TEST(test_errtab_splits_the_search_list_double_sub_code_into_two_rows)
{
    static const struct want w[] = {
        {"order.searchList", 20000, "系统错误", "isp.service-error:20005",
         "系统繁忙，请稍后重试"},
        {"order.searchList", 20000, "系统错误", "isp.service-error:20004",
         "系统繁忙，请稍后重试"},
    };
    for (size_t i = 0; i < 2; i++) {
        check_row(&w[i], "order.searchList");
        ck_assert_str_eq(dd_errtab_find(w[i].method, w[i].sub_code)->solution,
                         "建议30秒内重试3~5次");
    }
}
END_TEST

START_TEST(test_errtab_order_detail_missing_order_id_is_40002)
{
    static const struct want w = {"order.orderDetail", 40002, "缺少必选参数",
                                  "isv.missing-parameter:20000",
                                  "请输入查询订单号"};
    check_row(&w, "order.orderDetail");
}
END_TEST

START_TEST(test_errtab_returns_null_for_unknown_or_null_sub_codes)
{
    ck_assert_ptr_null(dd_errtab_find(NULL, "isv.no-such-code"));
    ck_assert_ptr_null(dd_errtab_find("afterSale.List", "isv.no-such-code"));
    ck_assert_ptr_null(dd_errtab_find("afterSale.List", NULL));
    ck_assert_ptr_null(dd_errtab_find(NULL, NULL));
    ck_assert_ptr_null(dd_errtab_find(NULL, ""));
    /* An API-only row is not found for another API or the platform. */
    ck_assert_ptr_null(dd_errtab_find(NULL, "isv.business-failed:60040"));
    ck_assert_ptr_null(
        dd_errtab_find("order.searchList", "isv.business-failed:60040"));
    /* Method names compare exactly. */
    ck_assert_ptr_null(
        dd_errtab_find("order.logisticsadd", "isv.business-failed:60040"));
    /* A sub_code prefix is not a match. */
    ck_assert_ptr_null(dd_errtab_find(NULL, "isv.signature"));
}
END_TEST

START_TEST(test_errtab_must_returns_the_row_that_find_returns)
{
    ck_assert_ptr_eq(dd_errtab_must("afterSale.List", "isv.signature-invalid"),
                     dd_errtab_find(NULL, "isv.signature-invalid"));
    ck_assert_ptr_eq(
        dd_errtab_must("order.logisticsAdd", "isv.business-failed:60040"),
        dd_errtab_find("order.logisticsAdd", "isv.business-failed:60040"));
}
END_TEST

START_TEST(test_errtab_must_aborts_on_a_missing_row)
{
    dd_errtab_must("afterSale.List", "isv.no-such-code");
}
END_TEST

/* The top-level codes of open-api §3.2 with the wording dd_errtab.def
 * chose, typed from the spec. */
static const struct {
    int code;
    const char *msg;
} top_codes[] = {
    {10000, "success"},           {10001, "请求部分失败"},
    {20000, "系统错误"},          {20001, "内部服务超时"},
    {30000, "通用参数错误"},      {30001, "操作权限不足"},
    {30002, "IP不在白名单内"},    {30201, "上传结果个数不正确"},
    {30202, "备注过长(>1000字)"}, {30203, "驳回原因未填写"},
    {30204, "图片大小超限"},      {30205, "图片数量超限"},
    {40001, "缺少必选参数"},      {40002, "缺少必选参数"},
    {40003, "非法的参数"},        {40004, "非法的参数"},
    {50000, "通用服务器错误"},    {50001, "平台处理失败"},
    {50002, "业务处理失败"},      {60000, "触发限流，请稍后重试"},
    {70000, "接口服务已下线"},    {80000, "安全错误"},
    {90000, "其他异常"},
};
#define N_TOP_CODES (sizeof top_codes / sizeof top_codes[0])

START_TEST(test_code_msg_gives_the_chosen_wording_of_every_top_level_code)
{
    const char *msg = dd_code_msg(top_codes[_i].code);
    ck_assert_msg(msg != NULL, "no msg for %d", top_codes[_i].code);
    ck_assert_str_eq(msg, top_codes[_i].msg);
}
END_TEST

START_TEST(test_code_msg_is_null_for_an_unknown_code)
{
    ck_assert_ptr_null(dd_code_msg(0));
    ck_assert_ptr_null(dd_code_msg(12345));
    ck_assert_ptr_null(dd_code_msg(-1));
    ck_assert_ptr_null(dd_code_msg(30206));
}
END_TEST

static bool is_top_code(int code)
{
    for (size_t i = 0; i < N_TOP_CODES; i++)
        if (top_codes[i].code == code)
            return true;
    return false;
}

START_TEST(test_every_row_has_a_sub_code_a_msg_and_a_known_code)
{
    size_t n = 0;
    const struct dd_api_error *t = dd_errtab_all(&n);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_gt(n, 150);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(t[i].sub_code && t[i].sub_code[0], "row %zu", i);
        ck_assert_msg(t[i].msg && t[i].msg[0], "row %zu (%s)", i,
                      t[i].sub_code);
        ck_assert_msg(t[i].sub_msg != NULL, "row %zu (%s)", i, t[i].sub_code);
        ck_assert_msg(t[i].solution != NULL, "row %zu (%s)", i, t[i].sub_code);
        ck_assert_msg(t[i].code != 10000 && is_top_code(t[i].code),
                      "row %zu (%s): code %d", i, t[i].sub_code, t[i].code);
        ck_assert_msg(t[i].method == NULL || t[i].method[0], "row %zu", i);
    }
}
END_TEST

START_TEST(test_every_row_shows_the_msg_of_its_code)
{
    size_t n = 0;
    const struct dd_api_error *t = dd_errtab_all(&n);
    for (size_t i = 0; i < n; i++) {
        const char *want = dd_code_msg(t[i].code);
        ck_assert_ptr_nonnull(want);
        ck_assert_msg(strcmp(t[i].msg, want) == 0, "row %zu (%s): %s vs %s", i,
                      t[i].sub_code, t[i].msg, want);
    }
}
END_TEST

static bool same_method(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

START_TEST(test_no_two_rows_share_a_method_and_sub_code)
{
    size_t n = 0;
    const struct dd_api_error *t = dd_errtab_all(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            ck_assert_msg(!(same_method(t[i].method, t[j].method) &&
                            strcmp(t[i].sub_code, t[j].sub_code) == 0),
                          "rows %zu and %zu: %s / %s", i, j,
                          t[i].method ? t[i].method : "(platform)",
                          t[i].sub_code);
}
END_TEST

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * open-api §3.3: per-API sub_codes follow "isv.parameter-invalid:NNNN"
 * (40004), "isv.missing-parameter:NNNN" (40002), "isp.service-error:NNNN"
 * (20000), "isv.business-failed:NNNN" (50002), "isp.traffic-limited:NNNN"
 * (60000); §2.4: "dop.token-generate-failed:*" is 50001. The bare platform
 * "isv.parameter-invalid" is 40003 (§3.3).
 */
START_TEST(test_sub_code_prefix_agrees_with_the_code)
{
    static const struct {
        const char *prefix;
        int code;
    } pat[] = {
        {"isv.parameter-invalid:", 40004},
        {"isv.missing-parameter:", 40002},
        {"isp.service-error:", 20000},
        {"isv.business-failed:", 50002},
        {"isp.traffic-limited:", 60000},
        {"dop.token-generate-failed:", 50001},
    };
    size_t n = 0, matched = 0;
    const struct dd_api_error *t = dd_errtab_all(&n);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof pat / sizeof pat[0]; k++) {
            if (!starts_with(t[i].sub_code, pat[k].prefix))
                continue;
            matched++;
            ck_assert_msg(t[i].code == pat[k].code, "%s / %s: code %d, not %d",
                          t[i].method ? t[i].method : "(platform)",
                          t[i].sub_code, t[i].code, pat[k].code);
        }
        /* Every per-API row uses one of the patterns. */
        if (t[i].method != NULL)
            ck_assert_msg(strchr(t[i].sub_code, ':') != NULL, "%s / %s",
                          t[i].method, t[i].sub_code);
    }
    ck_assert_uint_gt(matched, 100);
    ck_assert_int_eq(dd_errtab_find(NULL, "isv.parameter-invalid")->code,
                     40003);
}
END_TEST

Suite *errtab_suite(void)
{
    Suite *s = suite_create("errtab");

    TCase *tc = tcase_create("lookup");
    tcase_add_loop_test(
        tc, test_errtab_finds_every_platform_sub_code_the_gateway_uses, 0,
        (int)(sizeof gateway_rows / sizeof gateway_rows[0]));
    tcase_add_test(
        tc, test_errtab_platform_rows_answer_for_any_api_without_its_own);
    tcase_add_test(tc, test_errtab_keeps_the_spec_elision_in_platform_rows);
    tcase_add_test(tc, test_errtab_prefers_the_api_row_over_the_platform_row);
    tcase_add_test(
        tc, test_errtab_business_failed_12001_means_something_else_per_api);
    tcase_add_test(
        tc,
        test_errtab_assistant_not_enabled_is_quoted_whole_for_both_write_backs);
    tcase_add_test(tc, test_errtab_logistics_add_rows_match_the_shipping_table);
    tcase_add_test(tc, test_errtab_logistics_edit_has_its_own_60017);
    tcase_add_test(tc, test_errtab_holds_all_79_logistics_add_rows);
    tcase_add_test(
        tc, test_errtab_splits_the_search_list_double_sub_code_into_two_rows);
    tcase_add_test(tc, test_errtab_order_detail_missing_order_id_is_40002);
    tcase_add_test(tc, test_errtab_returns_null_for_unknown_or_null_sub_codes);
    tcase_add_test(tc, test_errtab_must_returns_the_row_that_find_returns);
    /* Needs fork mode: the abort would end a CK_FORK=no run. */
    const char *fork_mode = getenv("CK_FORK");
    if (fork_mode == NULL || strcmp(fork_mode, "no") != 0)
        tcase_add_test_raise_signal(
            tc, test_errtab_must_aborts_on_a_missing_row, SIGABRT);
    suite_add_tcase(s, tc);

    tc = tcase_create("codes");
    tcase_add_loop_test(
        tc, test_code_msg_gives_the_chosen_wording_of_every_top_level_code, 0,
        (int)N_TOP_CODES);
    tcase_add_test(tc, test_code_msg_is_null_for_an_unknown_code);
    suite_add_tcase(s, tc);

    tc = tcase_create("table");
    tcase_add_test(tc, test_every_row_has_a_sub_code_a_msg_and_a_known_code);
    tcase_add_test(tc, test_every_row_shows_the_msg_of_its_code);
    tcase_add_test(tc, test_no_two_rows_share_a_method_and_sub_code);
    tcase_add_test(tc, test_sub_code_prefix_agrees_with_the_code);
    suite_add_tcase(s, tc);
    return s;
}
