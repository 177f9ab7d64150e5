/*
 * api_aftersale.c: the after-sale APIs of the mock gateway.
 *
 * Implements doudian-open-api.md §4.1 afterSale.List, §4.2 afterSale.Detail,
 * §4.3 afterSale.CancelSendGoodsSuccess, §4.4
 * afterSale.returnGoodsToWareHouseSuccess, §4.5 afterSale.operate and §4.6
 * afterSale.rejectReasonCodeList and afterSale.addOrderRemark, with the
 * per-API error rows of §3.4, the enums of §4.9, the paging rules of §4.10
 * and the facts of §7; the operate type table and the assistant strategies
 * come from doudian-shipping-and-operations.md §3 and §4.
 *
 * Every state change goes through world.h (mock_aftersale_refund,
 * mock_aftersale_set_status, mock_aftersale_record, mock_aftersale_touch,
 * mock_order_refresh), so that these handlers, the admin API and the
 * timers move the same state machine the same way. A handler validates
 * everything before it changes anything: a failed call changes nothing.
 *
 * Decisions and guesses, where the spec says nothing or NOT FOUND (the
 * same list, with reasons, is in mock/README.md, "After-sale APIs:
 * behaviour and guesses"):
 *
 * every API
 *   - another shop's after-sale or order reads as unknown.
 * afterSale.List
 *   - bad values: the List's own 40004 isv.parameter-invalid:11000;
 *     page or size missing: 40001 isv.parameter-missing.
 *   - enum filters outside §4.1's enums: 11000; except
 *     standard_aftersale_status, whose non-enum values are ignored (none
 *     valid = all), as documented.
 *   - no time parameter at all: apply_time >= now -
 *     list_default_window_days; any of the six time parameters turns the
 *     default off (an older start is honoured).
 *   - start/end_time, amount_start/end, aftersale_status_to_final_start/
 *     end_time: [start, end); update_start/end_time: [start, end] (the doc
 *     says both include their value). start > end: an empty page.
 *   - default order apply_time desc; ties break on aftersale_id in the
 *     first key's direction. order_by: "field asc|desc", blanks between,
 *     direction case-insensitive, at most 3, a lone string accepted as a
 *     one-element array. status_deadline 0 (final) sorts as the farthest.
 *   - reason 1 = buyer reason_code 1 or 6 (the legacy no-reason codes);
 *     logistics_status 2 = return parcel known; pay_type 2 = order
 *     pay_type 0 (cash on delivery); refund_type matches
 *     aftersale_refund_type (1 for cash on delivery, else 0);
 *     arbitrate_status 6 (仲裁结束) matches stored 2, 3 and 255.
 *   - facts the mock does not hold: order flags (all 0), risk (all -1),
 *     refusal signs, sub types, stores: order_flag matches only with 0 in
 *     it; risk_flag 1, order_logistics_state, agree_refuse_sign,
 *     aftersale_sub_type, store_id_list match nothing; need_special_type
 *     has no effect (the mock holds types 0-2 only).
 *   - seller_logs = the seller remarks (addOrderRemark), star 0;
 *     related_order_info = the after-sale's SKU order.
 * afterSale.Detail
 *   - after_sale_id missing, malformed, unknown or another shop's: 40004
 *     isv.parameter-invalid:11000 "参数错误，售后单ID错误".
 *   - record_logs_list only with need_operation_record, oldest first;
 *     refund_type is the 退款方式 of List; sku_order_infos = the
 *     after-sale's SKU order.
 * afterSale.CancelSendGoodsSuccess
 *   - missing or malformed: 11000; a JSON type neither string nor number:
 *     11004; op_time <= 0: 11000; unknown: 11003; strategy off: 11002.
 *   - 12001 when final, type != 2, status != 6, or the SKU order is no
 *     longer unshipped (the mock knows it shipped through logisticsAdd;
 *     the real behaviour on a shipped order is NOT FOUND).
 * afterSale.returnGoodsToWareHouseSuccess
 *   - missing, malformed or unknown: 11000 (no "not found" row); wrong
 *     JSON type: 40004 isv.parameter-invalid:11004; strategy off: 11002;
 *     type != 0, final, or status not 7/11: 12001.
 *   - the platform trusts the warehouse: status 7 (buyer not yet shipped)
 *     is accepted; the judge, not the gateway, catches an early
 *     write-back. tracking_no and logistics_company_code are recorded,
 *     not checked.
 * afterSale.operate (type table at op_rules)
 *   - other known types: 11001; an unknown type: 40003; more than 20
 *     items, a duplicate aftersale_id, a bad field: 40003; a missing
 *     field: 40001; unknown id: isp.service-error:10000.
 *   - wrong after-sale type or state, final, or update_time that is not
 *     the current version: isv.business-failed:20309541 (its advice,
 *     "重新同步获取", fits a stale version).
 *   - rejects (102 112 202) need reject_reason_code (from the list below,
 *     with a pkg that fits got_pkg), reason and remark, and evidence when
 *     the code says evidence_need Y; 101 needs logistics with
 *     receiver_address_id or after_sale_address_detail.
 * afterSale.rejectReasonCodeList
 *   - the list is the mock's own (only code 1 is a documented example);
 *     an unknown aftersale_id gives an empty list.
 * afterSale.addOrderRemark
 *   - at most 1000 characters (§3.2's 30202 has no sub_code row: 40003);
 *     unknown id: 40003; a remark replaces the previous one, is recorded,
 *     and moves update_time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "dd_params.h"

#define LIST_SUB      "isv.parameter-invalid:11000"
#define BAD_PARAM     "isv.parameter-invalid"
#define MISSING_PARAM "isv.parameter-missing"

#define LIST_MAX_SIZE     100
#define LIST_MAX_DEPTH    50000 /* page * size */
#define LIST_MAX_ORDER_BY 3
#define LIST_MAX_TRACKING 100
#define OPERATE_MAX_ITEMS 20
#define EVIDENCE_MAX      8
#define REMARK_MAX_CHARS  1000

/* ================================================================ helpers */

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("ddmock: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n + 1);
    return d;
}

/* The caller's after-sale with this id, or MOCK_NONE when unknown or
 * another shop's. */
static uint32_t find_as(const struct mock_call *c, int64_t id)
{
    const struct mock_world *w = c->world;
    uint32_t as = mock_world_aftersale(w, id);
    if (as == MOCK_NONE ||
        w->orders.v[w->aftersales.v[as].order].shop != c->shop)
        return MOCK_NONE;
    return as;
}

/* Reads an integer parameter whose JSON type is checked apart from its
 * value: a type other than string or number fails with `type_sub`, the rest
 * as mock_param_int with rule `r`. */
static bool typed_int(struct mock_call *c, const char *name,
                      const struct mock_param_rule *r, const char *type_sub,
                      int64_t *out, bool *present)
{
    const struct dd_json *v = dd_json_get(c->params, name);
    if (!dd_json_is_absent(v) && v->type != DD_JSON_STRING &&
        v->type != DD_JSON_NUMBER) {
        mock_call_fail(c, type_sub, "%s has the wrong JSON type", name);
        return false;
    }
    return mock_param_int(c, name, r, out, present);
}

/* Same for a string parameter. */
static bool typed_str(struct mock_call *c, const char *name,
                      const struct mock_param_rule *r, const char *type_sub,
                      const char **out, bool *present)
{
    const struct dd_json *v = dd_json_get(c->params, name);
    if (!dd_json_is_absent(v) && v->type != DD_JSON_STRING &&
        v->type != DD_JSON_NUMBER) {
        mock_call_fail(c, type_sub, "%s has the wrong JSON type", name);
        return false;
    }
    return mock_param_str(c, name, r, out, present);
}

/* A parameter that is present and not null, or NULL. */
static const struct dd_json *param(const struct mock_call *c, const char *name)
{
    const struct dd_json *v = dd_json_get(c->params, name);
    return dd_json_is_absent(v) ? NULL : v;
}

/* UTF-8 characters (code points) in s[0..len). */
static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* Writes Unix seconds as "yyyy-MM-dd HH:mm:ss" Beijing time (the string
 * times of seller_logs and record_logs_list, §7.7). */
static void jw_date(struct dd_jw *w, int64_t t)
{
    char s[20];
    if (t < 0 || t > INT64_C(253402300799))
        t = 0;
    dd_timestamp_format_date(t, s);
    dd_jw_strn(w, s, 19);
}

/* ================================================================ texts */

/* texts[v], or "" when v is out of range or has no text. */
static const char *pick(const char *const *texts, size_t n, int64_t v)
{
    return v >= 0 && (size_t)v < n && texts[v] ? texts[v] : "";
}

#define PICK(texts, v) pick(texts, sizeof texts / sizeof texts[0], (v))

/* aftersale_type as afterSale.List names it (§4.9). */
static const char *const type_texts[] = {
    [0] = "退货退款", [1] = "已发货仅退款", [2] = "未发货仅退款", [3] = "换货",
    [6] = "价保",     [7] = "补寄",         [8] = "维修",
};

/* after_sale_type as afterSale.Detail names it (§4.9). */
static const char *const detail_type_texts[] = {
    [0] = "售后退货退款", [1] = "售后仅退款", [2] = "发货前退款",
    [3] = "换货",         [4] = "系统取消",   [5] = "用户取消",
    [6] = "价保",         [7] = "补寄",       [8] = "维修",
};

/* standard_aftersale_status (§4.1). */
static const char *const status_texts[] = {
    [6] = "待商家同意",          [7] = "待买家退货",
    [8] = "待商家发货",          [11] = "待商家二次同意",
    [12] = "售后成功",           [13] = "换货/补寄/维修待买家收货",
    [14] = "换货/补寄/维修成功", [27] = "商家一次拒绝",
    [28] = "售后失败",           [29] = "商家二次拒绝",
};

/* after_sale_status as afterSale.Detail names it (§4.2). */
static const char *const detail_status_texts[] = {
    [6] = "售后申请",       [7] = "售后退货中",
    [8] = "售后待商家发货", [11] = "售后已发货",
    [12] = "售后成功",      [13] = "商家已发货，待用户收货",
    [14] = "用户已收货",    [27] = "拒绝售后申请",
    [28] = "售后失败",      [29] = "售后退货拒绝",
    [51] = "订单取消成功",  [53] = "逆向交易已完成",
};

/* refund_type (退款方式, §4.1). */
static const char *const refund_way_texts[] = {
    [1] = "极速退款助手",
    [2] = "售后小助手",
    [3] = "售后急速退",
    [4] = "闪电退货",
};

/* aftersale_refund_type (§4.1). */
static const char *const as_refund_type_texts[] = {
    [0] = "原路退款", [1] = "货到付款线下退款", [2] = "备用金",
    [3] = "保证金",   [4] = "无需退款",         [5] = "平台垫付",
};

/* arbitrate_status as the responses give it (§4.9). */
static const char *const arbitrate_texts[] = {
    [0] = "无仲裁记录", [1] = "仲裁中", [2] = "客服同意",   [3] = "客服拒绝",
    [4] = "待商家举证", [5] = "协商期", [255] = "仲裁结束",
};

/* SKU order status (MOCK_SKU_*) as logistics text. */
static const char *const sku_status_texts[] = {
    [MOCK_SKU_UNSHIPPED] = "未发货",
    [MOCK_SKU_SHIPPED] = "已发货",
    [MOCK_SKU_CANCELLED] = "已取消",
    [MOCK_SKU_DONE] = "已收货",
};

/* record role (§4.2 record_logs_list). */
static const char *const role_texts[] = {
    [MOCK_ROLE_BUYER] = "买家",
    [MOCK_ROLE_SELLER] = "商家",
    [MOCK_ROLE_SERVICE] = "平台客服",
    [MOCK_ROLE_SYSTEM] = "系统",
};

/* The legacy buyer reason list (§4.9 reason_code), 1-34. */
static const char *const buyer_reasons[] = {
    NULL,
    "多拍/错拍/不想要",
    "未按约定时间发货",
    "快递一直未送达",
    "快递无跟踪记录",
    "收到商品少件/错件/空包裹",
    "不喜欢/效果不好",
    "做工粗糙/有瑕疵/破损或污渍",
    "功能故障",
    "效果与商品描述不符",
    "商品材质/品牌/外观等描述不符",
    "生产日期/保质期/规格等描述不符",
    "假冒品牌",
    "协商一致退款",
    "缺货",
    "其他",
    "大小/尺寸/重量与商品描述不符",
    "生产日期/保质期与商品描述不符",
    "品种/规格/成分等描述不符",
    "商品腐烂/变质",
    "少件/漏发",
    "包装/商品破损",
    "商家发错货",
    "与商家协商一致退款",
    "退运费",
    "品种/产品/规格/成分等描述不符",
    "商品腐烂/变质/死亡",
    "商品变质/过期",
    "规格等描述不符",
    "收到商品少件/错件/空包裹",
    "盗版",
    "做工粗糙/有瑕疵/有污渍",
    "产品破损/损坏",
    "商品材质/外观等描述不符",
    "使用后过敏",
};

static const char *reason_text(const struct mock_aftersale *a)
{
    int n = (int)(sizeof buyer_reasons / sizeof buyer_reasons[0]);
    if (a->reason_code > 0 && a->reason_code < n)
        return buyer_reasons[a->reason_code];
    return "其他";
}

/* Codes 1 and 6 are the legacy list's no-reason (七天无理由) codes. */
static bool no_reason(int code)
{
    return code == 1 || code == 6;
}

/* aftersale_refund_type: cash on delivery (pay_type 0, §4.7) is refunded
 * offline, everything else the original way. */
static int as_refund_type(const struct mock_order *o)
{
    return o->pay_type == 0 ? 1 : 0;
}

static const char *company_name(const char *code)
{
    if (!code || !*code)
        return "";
    const struct mock_company *co = mock_company_find(code);
    return co ? co->name : code;
}

/* ======================================================== reject reasons */

/* The mock's reject reasons (the real list is NOT FOUND; code 1 is the
 * official Java SDK's example, the others follow the legacy reject comments
 * of doudian-shipping-and-operations.md §5). pkg: 0 not received, 1
 * received, -1 any. */
struct reject_reason {
    int64_t code;
    const char *reason;
    const char *evidence_description;
    bool evidence_need;
    int pkg;
};

static const struct reject_reason reject_reasons[] = {
    {1, "多拍/错拍/不想要", "请提供发货物流进度截图", true, -1},
    {2, "商品退回后才能退款", "请提供发货物流进度截图", true, 0},
    {3, "买家已签收", "请提供物流签收记录截图", true, 0},
    {4, "买家误操作/取消申请", "请提供与买家协商一致的聊天记录截图", false, -1},
    {5, "协商一致，用户取消退款", "请提供与买家协商一致的聊天记录截图", false,
     -1},
    {6, "未收到退货（未填写退货单号）", "请提供退货物流进度截图", true, 0},
    {7, "退货与原订单不符", "请提供收到的退货商品照片", true, 1},
    {8, "退回商品影响二次销售", "请提供收到的退货商品照片", true, 1},
    {9, "已与买家协商补偿", "请提供与买家协商一致的聊天记录截图", false, -1},
};

#define N_REJECT_REASONS (sizeof reject_reasons / sizeof reject_reasons[0])

static const char reject_image[] =
    "/obj/ecom-aftersale-image-example/"
    "vsfguUuWBsXzjgyexWJRoBUMVORQBnmvMQHBRFom.png";

static const struct reject_reason *reject_reason_find(int64_t code)
{
    for (size_t i = 0; i < N_REJECT_REASONS; i++)
        if (reject_reasons[i].code == code)
            return &reject_reasons[i];
    return NULL;
}

static bool pkg_fits(const struct reject_reason *r, int got_pkg)
{
    return r->pkg < 0 || r->pkg == (got_pkg ? 1 : 0);
}

/* ================================================================ writers */

/* Writes a SKU spec "颜色:红色;尺码:M" as [{name, value}, ...]. */
static void write_spec(struct dd_jw *w, const char *spec)
{
    dd_jw_array_begin(w);
    for (const char *p = spec; p && *p;) {
        const char *end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        if (end > p) {
            const char *colon = memchr(p, ':', (size_t)(end - p));
            dd_jw_object_begin(w);
            dd_jw_key(w, "name");
            dd_jw_strn(w, p, (size_t)((colon ? colon : end) - p));
            dd_jw_key(w, "value");
            if (colon)
                dd_jw_strn(w, colon + 1, (size_t)(end - colon - 1));
            else
                dd_jw_str(w, "");
            dd_jw_object_end(w);
        }
        p = *end ? end + 1 : end;
    }
    dd_jw_array_end(w);
}

static void write_audit_bits(struct dd_jw *w, uint32_t bits)
{
    dd_jw_array_begin(w);
    for (int b = 1; b < 32; b++)
        if (bits & (UINT32_C(1) << b))
            dd_jw_int(w, b);
    dd_jw_array_end(w);
}

static void write_empty_array(struct dd_jw *w, const char *key)
{
    dd_jw_key(w, key);
    dd_jw_array_begin(w);
    dd_jw_array_end(w);
}

static void write_empty_object(struct dd_jw *w, const char *key)
{
    dd_jw_key(w, key);
    dd_jw_object_begin(w);
    dd_jw_object_end(w);
}

/* The forward parcel of the after-sale's SKU order as an order_logistics
 * entry, when it shipped with a tracking number. */
static void write_order_logistics(struct dd_jw *w, const struct mock_order *o,
                                  const struct mock_sku_order *so,
                                  bool services)
{
    dd_jw_array_begin(w);
    if (o->tracking_no && so->ship_time) {
        dd_jw_object_begin(w);
        dd_jw_kstr(w, "tracking_no", o->tracking_no);
        dd_jw_kstr(w, "company_name", company_name(o->company_code));
        dd_jw_kstr(w, "company_code", o->company_code);
        dd_jw_kint(w, "logistics_time", so->ship_time);
        dd_jw_kint(w, "logistics_state", 0);
        if (services)
            write_empty_array(w, "value_added_services");
        dd_jw_object_end(w);
    }
    dd_jw_array_end(w);
}

/* Total the platform refunded for this after-sale (from the ledger). */
static int64_t refunded_for(const struct mock_world *w, uint32_t as)
{
    int64_t sum = 0;
    for (uint32_t i = w->refunds.n; i-- > 0;)
        if (w->refunds.v[i].aftersale == as)
            sum += w->refunds.v[i].amount;
    return sum;
}

static int part_type(const struct mock_aftersale *a,
                     const struct mock_sku_order *so)
{
    return a->refund_amount - a->refund_post_amount < so->pay_amount ? 1 : 0;
}

/*
 * Fast member writers for the List's hot path (a page of 100 items is some
 * 20 000 members). A member whose key is a literal that needs no escaping,
 * with a number or a known-safe text as its value, goes out as one raw
 * piece instead of five buffer operations; constant runs of members go out
 * as one literal. dd_jw_raw still places the comma, so these mix freely
 * with the ordinary dd_jw calls.
 */
#define RAW(w, lit) dd_jw_raw((w), lit, sizeof(lit) - 1)
#define KEYLIT(key) "\"" key "\":"
#define KINT(w, key, v)                                                        \
    kint_raw((w), KEYLIT(key), sizeof(KEYLIT(key)) - 1, (v), false)
#define KIDSTR(w, key, v)                                                      \
    kint_raw((w), KEYLIT(key), sizeof(KEYLIT(key)) - 1, (v), true)
#define KTEXT(w, key, v)                                                       \
    ktext_raw((w), KEYLIT(key), sizeof(KEYLIT(key)) - 1, (v))

static void kint_raw(struct dd_jw *w, const char *k, size_t kl, int64_t v,
                     bool quoted)
{
    char b[96];
    size_t n = kl;
    if (kl > sizeof b - 26) {
        abort(); /* a key literal this long is a programming error */
    }
    memcpy(b, k, kl);
    if (quoted)
        b[n++] = '"';
    n += dd_int64_to_str(v, b + n);
    if (quoted)
        b[n++] = '"';
    dd_jw_raw(w, b, n);
}

/* `v` is one of this file's static texts: UTF-8 with nothing to escape. */
static void ktext_raw(struct dd_jw *w, const char *k, size_t kl, const char *v)
{
    char b[192];
    size_t vl = strlen(v);
    if (kl + vl + 2 > sizeof b)
        abort(); /* only short static texts come here */
    memcpy(b, k, kl);
    b[kl] = '"';
    memcpy(b + kl + 1, v, vl);
    b[kl + 1 + vl] = '"';
    dd_jw_raw(w, b, kl + vl + 2);
}

/* A member with a string value that may need escaping. */
static void kstr(struct dd_jw *w, const char *key, const char *v)
{
    dd_jw_key(w, key);
    dd_jw_str(w, v);
}

/* One afterSale.List item (§4.1). */
static void write_list_item(struct dd_jw *w, const struct mock_world *wd,
                            uint32_t as)
{
    const struct mock_aftersale *a = &wd->aftersales.v[as];
    const struct mock_order *o = &wd->orders.v[a->order];
    const struct mock_sku_order *so = &wd->sku_orders.v[a->sku_order];
    const struct mock_sku *sku = &wd->skus.v[so->sku];
    const struct mock_product *p = &wd->products.v[sku->product];
    bool returned = a->return_tracking_no || a->return_ship_time;
    int refund_kind = as_refund_type(o);

    dd_jw_object_begin(w);

    dd_jw_key(w, "aftersale_info");
    dd_jw_object_begin(w);
    KIDSTR(w, "aftersale_id", a->aftersale_id);
    RAW(w, "\"aftersale_order_type\":1");
    KINT(w, "aftersale_type", a->type);
    KINT(w, "aftersale_status", a->status);
    KIDSTR(w, "related_id", so->sku_order_id);
    KINT(w, "apply_time", a->apply_time);
    KINT(w, "update_time", a->update_time);
    KINT(w, "status_deadline", a->status_deadline);
    KINT(w, "refund_amount", a->refund_amount);
    KINT(w, "refund_post_amount", a->refund_post_amount);
    KINT(w, "aftersale_num", a->quantity);
    KINT(w, "part_type", part_type(a, so));
    KINT(w, "aftersale_refund_type", refund_kind);
    KINT(w, "refund_type", a->refund_type);
    KINT(w, "arbitrate_status", a->arbitrate_status);
    KINT(w, "create_time", a->apply_time);
    RAW(w, "\"refund_tax_amount\":0,\"left_urge_sms_count\":0");
    kstr(w, "return_logistics_code", a->return_tracking_no);
    RAW(w, "\"risk_decision_code\":0,\"risk_decision_reason\":\"\","
           "\"risk_decision_description\":\"\","
           "\"return_promotion_amount\":0");
    KINT(w, "refund_status", a->refund_status);
    RAW(w, "\"arbitrate_blame\":0,\"exchange_sku_info\":{}");
    kstr(w, "return_logistics_company_name",
         company_name(a->return_company_code));
    RAW(w, "\"exchange_logistics_company_name\":\"\"");
    kstr(w, "remark", a->remark);
    KINT(w, "got_pkg", a->got_pkg);
    dd_jw_key(w, "order_logistics");
    write_order_logistics(w, o, so, false);
    RAW(w, "\"is_agree_refuse_sign\":0,\"reason_second_labels\":[],"
           "\"aftersale_tags\":[],\"store_id\":0,\"store_name\":\"\","
           "\"aftersale_sub_type\":0");
    KINT(w, "aftersale_status_to_final_time", a->final_time);
    dd_jw_key(w, "auto_audit_bits");
    write_audit_bits(w, a->auto_audit_bits);
    dd_jw_object_end(w);

    dd_jw_key(w, "order_info");
    dd_jw_object_begin(w);
    KIDSTR(w, "shop_order_id", o->order_id);
    RAW(w, "\"order_flag\":0");
    dd_jw_key(w, "related_order_info");
    dd_jw_array_begin(w);
    dd_jw_object_begin(w);
    KIDSTR(w, "sku_order_id", so->sku_order_id);
    KINT(w, "order_status", so->status);
    KINT(w, "pay_amount", so->pay_amount);
    KINT(w, "post_amount", so->post_amount);
    KINT(w, "item_num", so->quantity);
    KINT(w, "create_time", o->create_time);
    RAW(w, "\"tax_amount\":0,\"is_oversea_order\":0");
    kstr(w, "product_name", p->name);
    KINT(w, "product_id", p->product_id);
    kstr(w, "product_image", p->image);
    RAW(w, "\"tags\":[]");
    dd_jw_key(w, "sku_spec");
    write_spec(w, sku->spec);
    kstr(w, "shop_sku_code", sku->code);
    kstr(w, "logistics_code", so->ship_time ? o->tracking_no : "");
    KINT(w, "aftersale_pay_amount", a->refund_amount - a->refund_post_amount);
    KINT(w, "aftersale_post_amount", a->refund_post_amount);
    RAW(w, "\"aftersale_tax_amount\":0");
    KINT(w, "aftersale_item_num", a->quantity);
    RAW(w, "\"promotion_pay_amount\":0");
    KINT(w, "price", sku->price);
    kstr(w, "logistics_company_name",
         so->ship_time ? company_name(o->company_code) : "");
    RAW(w, "\"given_sku_order_ids\":[]");
    dd_jw_object_end(w);
    dd_jw_array_end(w);
    dd_jw_object_end(w);

    dd_jw_key(w, "text_part");
    dd_jw_object_begin(w);
    KTEXT(w, "logistics_text", PICK(sku_status_texts, so->status));
    KTEXT(w, "aftersale_status_text", PICK(status_texts, a->status));
    KTEXT(w, "aftersale_type_text", PICK(type_texts, a->type));
    KTEXT(w, "return_logistics_text", returned ? "买家已退货" : "");
    KTEXT(w, "aftersale_refund_type_text",
          PICK(as_refund_type_texts, refund_kind));
    KTEXT(w, "reason_text", reason_text(a));
    RAW(w, "\"bad_item_text\":\"\"");
    KTEXT(w, "arbitrate_status_text",
          PICK(arbitrate_texts, a->arbitrate_status));
    dd_jw_object_end(w);

    dd_jw_key(w, "seller_logs");
    dd_jw_array_begin(w);
    for (const struct mock_record *r = a->records; r; r = r->next) {
        if (r->role != MOCK_ROLE_SELLER || !r->action ||
            strcmp(r->action, "remark") != 0)
            continue;
        dd_jw_object_begin(w);
        kstr(w, "content", r->text);
        RAW(w, "\"op_name\":\"商家\"");
        dd_jw_key(w, "create_time");
        jw_date(w, r->time);
        RAW(w, "\"star\":0");
        dd_jw_object_end(w);
    }
    dd_jw_array_end(w);

    dd_jw_object_end(w);
}

/* ================================================================ List */

enum { KEY_APPLY, KEY_UPDATE, KEY_DEADLINE };

struct sort_key {
    int field;
    bool desc;
};

#define ANY INT64_MIN

/* A parsed afterSale.List query. Time and amount ranges are half-open
 * [lo, hi); INT64_MIN / INT64_MAX mean unbounded. */
struct list_q {
    const struct mock_world *w;
    uint32_t shop;
    bool check_shop; /* the world has more than one shop */
    bool none;       /* some filter no after-sale can match */
    bool plain;      /* no filter but the time ranges and the shop */
    uint32_t order;  /* order index, MOCK_NONE = any */
    int64_t type, status, reason, logistics, pay, refund_type;
    uint32_t arb_mask; /* 0 = any; see arb_bit */
    uint64_t std_mask; /* standard_aftersale_status bits; 0 = any */
    int64_t apply_lo, apply_hi, upd_lo, upd_hi, amt_lo, amt_hi;
    bool has_final;
    int64_t fin_lo, fin_hi;
    const struct dd_json *tracking; /* tracking numbers (strings) */
    size_t n_tracking;              /* 0 = any */
    bool by_id;   /* aftersale_id given: the one candidate is `one` */
    uint32_t one; /* MOCK_NONE when unknown or another shop's */
    struct sort_key keys[LIST_MAX_ORDER_BY];
    int n_keys;
    int64_t page, size;
};

/* The arb_mask bit of a stored arbitrate_status (0-5 as is, 255 as 7). */
static unsigned arb_bit(int64_t v)
{
    if (v >= 0 && v <= 5)
        return (unsigned)v;
    return v == 255 ? 7 : 8;
}

static bool tracking_match(const struct list_q *q, const char *no)
{
    if (!no)
        return false;
    size_t len = strlen(no);
    for (size_t i = 0; i < q->n_tracking; i++)
        if (q->tracking[i].len == len &&
            memcmp(q->tracking[i].text, no, len) == 0)
            return true;
    return false;
}

static bool list_match(const struct list_q *q, const struct mock_aftersale *a)
{
    const struct mock_world *w = q->w;
    if (a->apply_time < q->apply_lo || a->apply_time >= q->apply_hi ||
        a->update_time < q->upd_lo || a->update_time >= q->upd_hi)
        return false;
    if (q->check_shop && w->orders.v[a->order].shop != q->shop)
        return false;
    if (q->plain)
        return true;
    if (q->none)
        return false;
    const struct mock_order *o = &w->orders.v[a->order];
    if (q->has_final && (!a->final_time || a->final_time < q->fin_lo ||
                         a->final_time >= q->fin_hi))
        return false;
    if (a->refund_amount < q->amt_lo || a->refund_amount >= q->amt_hi)
        return false;
    if (q->order != MOCK_NONE && a->order != q->order)
        return false;
    if (q->type != ANY && a->type != q->type)
        return false;
    if (q->status != ANY && a->status != q->status)
        return false;
    if (q->std_mask && (a->status < 0 || a->status >= 64 ||
                        !(q->std_mask & (UINT64_C(1) << a->status))))
        return false;
    if (q->reason != ANY && no_reason(a->reason_code) != (q->reason == 1))
        return false;
    if (q->logistics != ANY &&
        (a->return_tracking_no || a->return_ship_time) != (q->logistics == 2))
        return false;
    if (q->pay != ANY && (o->pay_type == 0) != (q->pay == 2))
        return false;
    if (q->refund_type != ANY && as_refund_type(o) != q->refund_type)
        return false;
    if (q->arb_mask && !(q->arb_mask & (1u << arb_bit(a->arbitrate_status))))
        return false;
    if (q->n_tracking && !tracking_match(q, o->tracking_no))
        return false;
    return true;
}

/* The value an after-sale sorts by under `field`. A final after-sale has no
 * deadline (0): it sorts as the farthest one. */
static int64_t key_time(const struct mock_aftersale *a, int field)
{
    switch (field) {
    case KEY_APPLY:
        return a->apply_time;
    case KEY_UPDATE:
        return a->update_time;
    default:
        return a->status_deadline ? a->status_deadline : INT64_MAX;
    }
}

struct sorter {
    const struct mock_world *w;
    const struct sort_key *keys;
    int n_keys;
    bool id_desc; /* the last tie-break: aftersale_id, first key's way */
};

static int sort_cmp(const struct sorter *s, uint32_t x, uint32_t y)
{
    const struct mock_aftersale *a = &s->w->aftersales.v[x];
    const struct mock_aftersale *b = &s->w->aftersales.v[y];
    for (int k = 0; k < s->n_keys; k++) {
        int64_t ta = key_time(a, s->keys[k].field);
        int64_t tb = key_time(b, s->keys[k].field);
        if (ta != tb)
            return (ta < tb) != s->keys[k].desc ? -1 : 1;
    }
    if (a->aftersale_id != b->aftersale_id)
        return (a->aftersale_id < b->aftersale_id) != s->id_desc ? -1 : 1;
    return 0;
}

static void sift_down(const struct sorter *s, uint32_t *v, size_t i, size_t n)
{
    for (;;) {
        size_t m = i, l = 2 * i + 1, r = l + 1;
        if (l < n && sort_cmp(s, v[l], v[m]) > 0)
            m = l;
        if (r < n && sort_cmp(s, v[r], v[m]) > 0)
            m = r;
        if (m == i)
            return;
        uint32_t t = v[i];
        v[i] = v[m];
        v[m] = t;
        i = m;
    }
}

/* Heapsort (no allocation; the order is total, so stability is moot). */
static void sort_idx(const struct sorter *s, uint32_t *v, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(s, v, i, n);
    for (size_t end = n; end-- > 1;) {
        uint32_t t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift_down(s, v, 0, end);
    }
}

/* First position in idx[0..n) whose time under `field` is >= t. */
static uint32_t lower(const struct mock_world *w, const uint32_t *idx,
                      uint32_t n, int field, int64_t t)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (key_time(&w->aftersales.v[idx[mid]], field) < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The positions [*lo, *hi) of the time range [tlo, thi) in an index. */
static void window(const struct mock_world *w, const uint32_t *idx, int field,
                   int64_t tlo, int64_t thi, uint32_t *lo, uint32_t *hi)
{
    uint32_t n = w->aftersales.n;
    *lo = tlo == INT64_MIN ? 0 : lower(w, idx, n, field, tlo);
    *hi = thi == INT64_MAX ? n : lower(w, idx, n, field, thi);
    if (*hi < *lo)
        *hi = *lo;
}

/* The page being built: positions [off, off + size) of the sorted result,
 * and the running total. */
struct pager {
    int64_t off, size, total;
    uint32_t items[LIST_MAX_SIZE];
    uint32_t n;
    uint32_t *buf; /* scratch for groups and collections (owned) */
    size_t buf_n, buf_cap;
};

static void pager_emit(struct pager *pg, uint32_t as)
{
    if (pg->total >= pg->off && pg->total < pg->off + pg->size)
        pg->items[pg->n++] = as;
    pg->total++;
}

static void pager_push(struct pager *pg, uint32_t as)
{
    if (pg->buf_n == pg->buf_cap) {
        pg->buf_cap = pg->buf_cap ? pg->buf_cap * 2 : 256;
        pg->buf = xrealloc(pg->buf, pg->buf_cap * sizeof *pg->buf);
    }
    pg->buf[pg->buf_n++] = as;
}

/* Emits the buffered group (after-sales with equal first key), sorted by
 * the remaining keys when it touches the page. */
static void pager_flush(struct pager *pg, const struct sorter *rest)
{
    int64_t n = (int64_t)pg->buf_n;
    if (n > 1 && pg->total + n > pg->off && pg->total < pg->off + pg->size)
        sort_idx(rest, pg->buf, pg->buf_n);
    if (n > 0 && (pg->total + n <= pg->off || pg->total >= pg->off + pg->size))
        pg->total += n; /* wholly outside the page */
    else
        for (size_t i = 0; i < pg->buf_n; i++)
            pager_emit(pg, pg->buf[i]);
    pg->buf_n = 0;
}

/* Walks idx[lo..hi) in the first key's order, counting every match and
 * keeping the page. With more keys, runs of equal first key are sorted by
 * the rest. */
static void list_stream(const struct list_q *q, struct pager *pg,
                        const uint32_t *idx, uint32_t lo, uint32_t hi)
{
    const struct mock_world *w = q->w;
    bool desc = q->keys[0].desc;
    int field = q->keys[0].field;
    struct sorter rest = {w, q->keys + 1, q->n_keys - 1, desc};
    bool groups = q->n_keys > 1;
    int64_t group_t = 0;
    for (uint32_t k = 0; k < hi - lo; k++) {
        uint32_t as = idx[desc ? hi - 1 - k : lo + k];
        const struct mock_aftersale *a = &w->aftersales.v[as];
        if (!list_match(q, a))
            continue;
        if (!groups) {
            pager_emit(pg, as);
            continue;
        }
        int64_t t = key_time(a, field);
        if (pg->buf_n && t != group_t)
            pager_flush(pg, &rest);
        group_t = t;
        pager_push(pg, as);
    }
    if (groups)
        pager_flush(pg, &rest);
}

/* A match with its sort keys copied out, so that selecting the page
 * compares without touching the after-sales again. */
struct cand {
    int64_t k[LIST_MAX_ORDER_BY];
    int64_t id;
    uint32_t as;
};

static int cand_cmp(const struct list_q *q, const struct cand *x,
                    const struct cand *y)
{
    for (int i = 0; i < q->n_keys; i++)
        if (x->k[i] != y->k[i])
            return (x->k[i] < y->k[i]) != q->keys[i].desc ? -1 : 1;
    if (x->id != y->id)
        return (x->id < y->id) != q->keys[0].desc ? -1 : 1;
    return 0;
}

static void cand_swap(struct cand *a, struct cand *b)
{
    struct cand t = *a;
    *a = *b;
    *b = t;
}

/* Max-heap (the worst kept candidate on top) over v[0..n). */
static void cand_down(const struct list_q *q, struct cand *v, size_t i,
                      size_t n)
{
    for (;;) {
        size_t m = i, l = 2 * i + 1, r = l + 1;
        if (l < n && cand_cmp(q, &v[l], &v[m]) > 0)
            m = l;
        if (r < n && cand_cmp(q, &v[r], &v[m]) > 0)
            m = r;
        if (m == i)
            return;
        cand_swap(&v[i], &v[m]);
        i = m;
    }
}

static void cand_up(const struct list_q *q, struct cand *v, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (cand_cmp(q, &v[i], &v[parent]) <= 0)
            return;
        cand_swap(&v[i], &v[parent]);
        i = parent;
    }
}

/*
 * Collects the matches of idx[lo..hi) (or the single candidate `one`) in
 * any order and keeps the page: a bounded heap holds the best
 * off + size candidates (at most 50 100), so a sort by status_deadline or
 * across indexes costs one pass over the window and no sort of it.
 */
static void list_collect(const struct list_q *q, struct pager *pg,
                         const uint32_t *idx, uint32_t lo, uint32_t hi,
                         uint32_t one)
{
    const struct mock_world *w = q->w;
    size_t keep = (size_t)(pg->off + pg->size), n = 0, cap = 0;
    struct cand *v = NULL;
    /* A window over most of the world is cheaper to read in storage order
     * (sequential memory) than through the index: list_match checks the
     * time ranges itself. */
    bool all = one == MOCK_NONE && hi - lo > w->aftersales.n / 2;
    uint32_t count = one != MOCK_NONE ? 1 : all ? w->aftersales.n : hi - lo;
    for (uint32_t p = 0; p < count; p++) {
        uint32_t as = one != MOCK_NONE ? one : all ? p : idx[lo + p];
        const struct mock_aftersale *a = &w->aftersales.v[as];
        if (!list_match(q, a))
            continue;
        pg->total++;
        struct cand x;
        for (int i = 0; i < q->n_keys; i++)
            x.k[i] = key_time(a, q->keys[i].field);
        x.id = a->aftersale_id;
        x.as = as;
        if (n < keep) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                v = xrealloc(v, cap * sizeof *v);
            }
            v[n] = x;
            cand_up(q, v, n++);
        } else if (cand_cmp(q, &x, &v[0]) < 0) {
            v[0] = x;
            cand_down(q, v, 0, n);
        }
    }
    for (size_t end = n; end-- > 1;) { /* heap -> ascending, best first */
        cand_swap(&v[0], &v[end]);
        cand_down(q, v, 0, end);
    }
    for (size_t i = (size_t)pg->off; i < n; i++)
        pg->items[pg->n++] = v[i].as;
    free(v);
}

/* Reads an optional enum filter; values outside `allowed` fail with the
 * List's 11000 row. Leaves *out = ANY when absent. */
static bool list_enum(struct mock_call *c, const char *name,
                      const int64_t *allowed, size_t n_allowed, int64_t *out)
{
    static const struct mock_param_rule r = {false, NULL, LIST_SUB};
    bool present = false;
    *out = ANY;
    if (!mock_param_int(c, name, &r, out, &present))
        return false;
    if (!present)
        return true;
    for (size_t i = 0; i < n_allowed; i++)
        if (allowed[i] == *out)
            return true;
    mock_call_fail(c, LIST_SUB, "%s: %lld is not a valid value", name,
                   (long long)*out);
    return false;
}

/* Reads an optional time or amount bound. */
static bool list_bound(struct mock_call *c, const char *name, int64_t *out,
                       bool *present)
{
    static const struct mock_param_rule r = {false, NULL, LIST_SUB};
    return mock_param_int(c, name, &r, out, present);
}

/* Reads an optional array of ints, each in [lo, hi] or one of `extra`
 * (when any value is out of range: 11000 unless `lenient`, where it is
 * dropped). *n counts the kept values. */
static bool list_int_array(struct mock_call *c, const char *name, int64_t lo,
                           int64_t hi, int64_t extra, bool lenient,
                           int64_t *out, size_t max, size_t *n, bool *present)
{
    static const struct mock_param_rule r = {false, NULL, LIST_SUB};
    *n = 0;
    *present = false;
    if (!mock_param_int_array(c, name, &r, out, max, n, present))
        return false;
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        if ((out[i] >= lo && out[i] <= hi) || out[i] == extra)
            out[kept++] = out[i];
        else if (!lenient) {
            mock_call_fail(c, LIST_SUB, "%s: %lld is not a valid value", name,
                           (long long)out[i]);
            return false;
        }
    }
    *n = kept;
    return true;
}

/* Reads an optional array of strings into strs[0..*n) (borrowed nodes of
 * the request); a lone string reads as a one-element array. */
static bool list_str_array(struct mock_call *c, const char *name, size_t max,
                           const struct dd_json **strs, size_t *n)
{
    const struct dd_json *v = param(c, name);
    *strs = NULL;
    *n = 0;
    if (!v)
        return true;
    if (v->type == DD_JSON_STRING) {
        *strs = v;
        *n = 1;
        return true;
    }
    if (v->type != DD_JSON_ARRAY) {
        mock_call_fail(c, LIST_SUB, "%s must be an array of strings", name);
        return false;
    }
    if (v->n > max) {
        mock_call_fail(c, LIST_SUB, "%s has more than %zu values", name, max);
        return false;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (v->kids[i].type != DD_JSON_STRING) {
            mock_call_fail(c, LIST_SUB, "%s must be an array of strings", name);
            return false;
        }
    }
    *strs = v->kids;
    *n = v->n;
    return true;
}

/* Parses "field asc|desc". */
static bool parse_order_by(const char *s, size_t len, struct sort_key *k)
{
    size_t i = 0, f0, f1, d0, d1;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    f0 = i;
    while (i < len && s[i] != ' ' && s[i] != '\t')
        i++;
    f1 = i;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    d0 = i;
    while (i < len && s[i] != ' ' && s[i] != '\t')
        i++;
    d1 = i;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i != len || f1 == f0 || d1 == d0)
        return false;
    static const struct {
        const char *name;
        int field;
    } fields[] = {{"status_deadline", KEY_DEADLINE},
                  {"apply_time", KEY_APPLY},
                  {"update_time", KEY_UPDATE}};
    bool found = false;
    for (size_t j = 0; j < sizeof fields / sizeof fields[0]; j++) {
        if (strlen(fields[j].name) == f1 - f0 &&
            memcmp(fields[j].name, s + f0, f1 - f0) == 0) {
            k->field = fields[j].field;
            found = true;
        }
    }
    if (!found)
        return false;
    if (d1 - d0 == 3 && strncasecmp(s + d0, "asc", 3) == 0)
        k->desc = false;
    else if (d1 - d0 == 4 && strncasecmp(s + d0, "desc", 4) == 0)
        k->desc = true;
    else
        return false;
    return true;
}

/* Reads every parameter of afterSale.List into q. False when the call
 * failed. */
static bool list_parse(struct mock_call *c, struct list_q *q)
{
    static const struct mock_param_rule req = {true, NULL, LIST_SUB};
    static const struct mock_param_rule opt = {false, NULL, LIST_SUB};
    static const int64_t types[] = {0, 1, 2, 3, 6, 7, 8};
    static const int64_t statuses[] = {6, 7, 8, 11, 12, 13, 14, 27, 28, 29};
    static const int64_t reasons[] = {1, 2};
    static const int64_t triple[] = {1, 2, 3};
    static const int64_t refund_types[] = {0, 1, 2, 3, 4};
    static const int64_t risks[] = {-1, 1};
    static const int64_t sub_types[] = {8001};
    const struct mock_world *w = c->world;
    bool present;

    memset(q, 0, sizeof *q);
    q->w = w;
    q->shop = c->shop;
    q->check_shop = w->shops.n != 1 || c->shop != 0;
    q->order = MOCK_NONE;
    q->apply_lo = q->upd_lo = q->amt_lo = q->fin_lo = INT64_MIN;
    q->apply_hi = q->upd_hi = q->amt_hi = q->fin_hi = INT64_MAX;
    bool filtered = false;

    /* paging first: it is what every caller sends */
    if (!mock_param_int(c, "page", &req, &q->page, NULL) ||
        !mock_param_int(c, "size", &req, &q->size, NULL))
        return false;
    if (q->page < 0) {
        mock_call_fail(c, LIST_SUB, "page must be >= 0");
        return false;
    }
    if (q->size < 1 || q->size > LIST_MAX_SIZE) {
        mock_call_fail(c, LIST_SUB, "size must be 1..%d", LIST_MAX_SIZE);
        return false;
    }
    if (q->page > LIST_MAX_DEPTH / q->size) {
        mock_call_fail(c, LIST_SUB, "page * size must not exceed %d",
                       LIST_MAX_DEPTH);
        return false;
    }

    int64_t v;
    if (!mock_param_int(c, "order_id", &opt, &v, &present))
        return false;
    if (present) {
        filtered = true;
        uint32_t oi = mock_world_order(w, v);
        if (oi == MOCK_NONE || w->orders.v[oi].shop != c->shop)
            q->none = true;
        else
            q->order = oi;
    }
    if (!list_enum(c, "aftersale_type", types, 7, &q->type) ||
        !list_enum(c, "aftersale_status", statuses, 10, &q->status) ||
        !list_enum(c, "reason", reasons, 2, &q->reason) ||
        !list_enum(c, "logistics_status", triple, 3, &q->logistics) ||
        !list_enum(c, "pay_type", triple, 3, &q->pay) ||
        !list_enum(c, "refund_type", refund_types, 5, &q->refund_type))
        return false;
    if (q->logistics == 1)
        q->logistics = ANY;
    if (q->pay == 1)
        q->pay = ANY;
    filtered |= q->type != ANY || q->status != ANY || q->reason != ANY ||
                q->logistics != ANY || q->pay != ANY || q->refund_type != ANY;

    int64_t arr[64];
    size_t n;
    if (!list_int_array(c, "arbitrate_status", 0, 6, 255, false, arr, 64, &n,
                        &present))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (arr[i] == 6)
            q->arb_mask |= 1u << 2 | 1u << 3 | 1u << 7;
        else
            q->arb_mask |= 1u << arb_bit(arr[i]);
    }
    if (!list_int_array(c, "order_flag", 0, 5, ANY, false, arr, 64, &n,
                        &present))
        return false;
    if (n) {
        bool grey = false;
        for (size_t i = 0; i < n; i++)
            grey |= arr[i] == 0;
        q->none |= !grey; /* every order of the mock has flag 0 */
    }

    bool has_s, has_e, has_us, has_ue, has_fs, has_fe, has_as, has_ae;
    int64_t s = 0, e = 0, us = 0, ue = 0, fs = 0, fe = 0, as = 0, ae = 0;
    if (!list_bound(c, "start_time", &s, &has_s) ||
        !list_bound(c, "end_time", &e, &has_e) ||
        !list_bound(c, "amount_start", &as, &has_as) ||
        !list_bound(c, "amount_end", &ae, &has_ae) ||
        !list_bound(c, "update_start_time", &us, &has_us) ||
        !list_bound(c, "update_end_time", &ue, &has_ue) ||
        !list_bound(c, "aftersale_status_to_final_start_time", &fs, &has_fs) ||
        !list_bound(c, "aftersale_status_to_final_end_time", &fe, &has_fe))
        return false;
    if (has_s)
        q->apply_lo = s;
    if (has_e)
        q->apply_hi = e;
    if (has_as)
        q->amt_lo = as;
    if (has_ae)
        q->amt_hi = ae;
    if (has_us)
        q->upd_lo = us;
    if (has_ue) /* inclusive end */
        q->upd_hi = ue == INT64_MAX ? INT64_MAX : ue + 1;
    if (has_fs)
        q->fin_lo = fs;
    if (has_fe)
        q->fin_hi = fe;
    q->has_final = has_fs || has_fe;
    filtered |= has_as || has_ae || q->has_final;
    if (!has_s && !has_e && !has_us && !has_ue && !has_fs && !has_fe) {
        int64_t days = w->settings.list_default_window_days;
        if (days > 0 && days < INT64_C(100000000))
            q->apply_lo = c->now - days * 86400;
    }

    int64_t risk;
    if (!list_enum(c, "risk_flag", risks, 2, &risk))
        return false;
    if (risk == 1) {
        q->none = true; /* every after-sale of the mock is normal */
        filtered = true;
    }

    const struct dd_json *ob;
    size_t n_ob;
    if (!list_str_array(c, "order_by", LIST_MAX_ORDER_BY, &ob, &n_ob))
        return false;
    for (size_t i = 0; i < n_ob; i++) {
        if (!parse_order_by(ob[i].text, ob[i].len, &q->keys[q->n_keys])) {
            mock_call_fail(c, LIST_SUB,
                           "order_by[%zu] must be \"status_deadline|"
                           "apply_time|update_time asc|desc\"",
                           i);
            return false;
        }
        q->n_keys++;
    }
    if (q->n_keys == 0) {
        q->keys[0].field = KEY_APPLY; /* default: newest application first */
        q->keys[0].desc = true;
        q->n_keys = 1;
    }

    if (!mock_param_int(c, "aftersale_id", &opt, &v, &present))
        return false;
    if (present) {
        filtered = true;
        q->by_id = true;
        q->one = find_as(c, v);
    }

    if (!list_int_array(c, "standard_aftersale_status", 0, 63, ANY, true, arr,
                        64, &n, &present))
        return false;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < 10; j++)
            if (arr[i] == statuses[j])
                q->std_mask |= UINT64_C(1) << arr[i];
    filtered |= q->std_mask != 0;

    bool special;
    if (!mock_param_bool(c, "need_special_type", &opt, &special, &present))
        return false;

    if (!list_str_array(c, "order_logistics_tracking_no", LIST_MAX_TRACKING,
                        &q->tracking, &q->n_tracking))
        return false;
    filtered |= q->n_tracking != 0;

    /* Filters on facts the mock does not hold: nothing matches them. */
    if (!list_int_array(c, "order_logistics_state", 1, 4, ANY, false, arr, 64,
                        &n, &present))
        return false;
    q->none |= n > 0;
    filtered |= n > 0;
    if (!list_int_array(c, "agree_refuse_sign", 1, 2, ANY, false, arr, 64, &n,
                        &present))
        return false;
    q->none |= n > 0;
    filtered |= n > 0;
    int64_t sub;
    if (!list_enum(c, "aftersale_sub_type", sub_types, 1, &sub))
        return false;
    q->none |= sub != ANY;
    filtered |= sub != ANY;
    if (!list_int_array(c, "store_id_list", INT64_MIN + 1, INT64_MAX, ANY,
                        false, arr, 50, &n, &present))
        return false;
    q->none |= n > 0;
    filtered |= n > 0 || q->arb_mask != 0 || q->none;

    q->plain = !filtered;
    return true;
}

void api_afterSale_List(struct mock_call *c)
{
    const struct mock_world *w = c->world;
    struct list_q q;
    if (!list_parse(c, &q))
        return;

    struct pager pg;
    memset(&pg, 0, sizeof pg);
    pg.off = q.page * q.size;
    pg.size = q.size;

    uint32_t a_lo, a_hi, u_lo, u_hi;
    window(w, w->by_apply, KEY_APPLY, q.apply_lo, q.apply_hi, &a_lo, &a_hi);
    window(w, w->by_update, KEY_UPDATE, q.upd_lo, q.upd_hi, &u_lo, &u_hi);
    uint32_t n_a = a_hi - a_lo, n_u = u_hi - u_lo;
    int first = q.keys[0].field;
    bool desc = q.keys[0].desc;

    /*
     * How the page is found: by id, one candidate; with only the time
     * window of the sort index (the polling and benchmark case), a slice of
     * the index, O(log n); a small window in the sort index's order,
     * streamed through the index; anything else (status_deadline order,
     * a window over most of the world, or a window of the other index much
     * smaller than the sort index's), one pass that keeps the best
     * off + size in a bounded heap.
     */
    if (q.by_id) {
        if (q.one != MOCK_NONE)
            list_collect(&q, &pg, NULL, 0, 0, q.one);
    } else if (q.none || n_a == 0 || n_u == 0) {
        /* nothing matches */
    } else if (first != KEY_DEADLINE && q.n_keys == 1 && q.plain &&
               !q.check_shop &&
               (first == KEY_APPLY ? n_u == w->aftersales.n
                                   : n_a == w->aftersales.n)) {
        /* Only the time window of the index we sort by: the page is a
         * slice of the index, found without a scan. */
        const uint32_t *idx = first == KEY_APPLY ? w->by_apply : w->by_update;
        uint32_t lo = first == KEY_APPLY ? a_lo : u_lo;
        uint32_t hi = first == KEY_APPLY ? a_hi : u_hi;
        pg.total = hi - lo;
        for (int64_t i = pg.off; i < pg.off + pg.size && i < pg.total; i++)
            pg.items[pg.n++] =
                idx[desc ? hi - 1 - (uint32_t)i : lo + (uint32_t)i];
    } else if (first == KEY_APPLY && n_a <= w->aftersales.n / 2 &&
               (uint64_t)n_a <= (uint64_t)n_u * 4) {
        list_stream(&q, &pg, w->by_apply, a_lo, a_hi);
    } else if (first == KEY_UPDATE && n_u <= w->aftersales.n / 2 &&
               (uint64_t)n_u <= (uint64_t)n_a * 4) {
        list_stream(&q, &pg, w->by_update, u_lo, u_hi);
    } else if (n_a <= n_u) {
        list_collect(&q, &pg, w->by_apply, a_lo, a_hi, MOCK_NONE);
    } else {
        list_collect(&q, &pg, w->by_update, u_lo, u_hi, MOCK_NONE);
    }
    free(pg.buf);

    struct dd_jw *jw = c->data;
    dd_buf_reserve(jw->out, 256 + (size_t)pg.n * 2560); /* one growth */
    dd_jw_object_begin(jw);
    dd_jw_key(jw, "items");
    dd_jw_array_begin(jw);
    for (uint32_t i = 0; i < pg.n; i++)
        write_list_item(jw, w, pg.items[i]);
    dd_jw_array_end(jw);
    dd_jw_kbool(jw, "has_more", pg.off + (int64_t)pg.n < pg.total);
    dd_jw_kint(jw, "total", pg.total);
    dd_jw_kint(jw, "page", q.page);
    dd_jw_kint(jw, "size", pg.n);
    dd_jw_object_end(jw);
}

/* ================================================================ Detail */

void api_afterSale_Detail(struct mock_call *c)
{
    static const struct mock_param_rule id_rule = {
        true, "isv.parameter-invalid:11000", "isv.parameter-invalid:11000"};
    static const struct mock_param_rule opt = {false, NULL, NULL};
    const struct mock_world *w = c->world;
    int64_t id;
    bool need_records = false, searchable;
    if (!mock_param_int(c, "after_sale_id", &id_rule, &id, NULL) ||
        !mock_param_bool(c, "need_operation_record", &opt, &need_records,
                         NULL) ||
        !mock_param_bool(c, "is_searchable", &opt, &searchable, NULL))
        return;
    uint32_t as = find_as(c, id);
    if (as == MOCK_NONE) {
        mock_call_fail(c, "isv.parameter-invalid:11000",
                       "after-sale %lld not found", (long long)id);
        return;
    }
    const struct mock_aftersale *a = &w->aftersales.v[as];
    const struct mock_order *o = &w->orders.v[a->order];
    const struct mock_sku_order *so = &w->sku_orders.v[a->sku_order];
    const struct mock_sku *sku = &w->skus.v[so->sku];
    const struct mock_product *p = &w->products.v[sku->product];
    bool shipped =
        so->status == MOCK_SKU_SHIPPED || so->status == MOCK_SKU_DONE;
    struct dd_jw *jw = c->data;

    dd_jw_object_begin(jw);
    dd_jw_key(jw, "process_info");
    dd_jw_object_begin(jw);

    dd_jw_key(jw, "after_sale_info");
    dd_jw_object_begin(jw);
    dd_jw_kint(jw, "after_sale_id", a->aftersale_id);
    dd_jw_kint(jw, "after_sale_status", a->status);
    dd_jw_kstr(jw, "after_sale_status_desc",
               PICK(detail_status_texts, a->status));
    dd_jw_kint(jw, "refund_type", a->refund_type);
    dd_jw_kstr(jw, "refund_type_text", PICK(refund_way_texts, a->refund_type));
    dd_jw_kint(jw, "refund_status", a->refund_status);
    dd_jw_kint(jw, "refund_total_amount", a->refund_amount);
    dd_jw_kint(jw, "refund_post_amount", a->refund_post_amount);
    dd_jw_kint(jw, "refund_promotion_amount", 0);
    dd_jw_kint(jw, "apply_time", a->apply_time);
    dd_jw_kint(jw, "update_time", a->update_time);
    dd_jw_kstr(jw, "reason", reason_text(a));
    dd_jw_kint(jw, "reason_code", a->reason_code);
    dd_jw_kint(jw, "after_sale_type", a->type);
    dd_jw_kstr(jw, "after_sale_type_text", PICK(detail_type_texts, a->type));
    dd_jw_kstr(jw, "reason_remark", a->reason_text);
    write_empty_array(jw, "evidence");
    dd_jw_kint(jw, "after_sale_apply_count", a->quantity);
    dd_jw_kint(jw, "need_return_count", shipped ? a->quantity : 0);
    dd_jw_kint(jw, "deduction_amount", 0);
    dd_jw_kstr(jw, "disable_coupon_id", "");
    dd_jw_kint(jw, "platform_discount_return_amount", 0);
    dd_jw_kint(jw, "platform_discount_return_status", 0);
    dd_jw_kint(jw, "kol_discount_return_amount", 0);
    dd_jw_kint(jw, "kol_discount_return_status", 0);
    dd_jw_kstr(jw, "post_receiver", "");
    dd_jw_kstr(jw, "post_tel_sec", "");
    write_empty_object(jw, "post_address");
    dd_jw_kint(jw, "risk_decsison_code", 0);
    dd_jw_kstr(jw, "risk_decsison_reason", "");
    dd_jw_kstr(jw, "risk_decsison_description", "");
    write_empty_object(jw, "return_address");
    dd_jw_kint(jw, "real_refund_amount",
               a->refund_status == MOCK_REFUND_DONE ? refunded_for(w, as) : 0);
    dd_jw_kint(jw, "got_pkg", a->got_pkg);
    dd_jw_kint(jw, "status_deadline", a->status_deadline);
    dd_jw_kint(jw, "return_address_id", 0);
    write_empty_object(jw, "exchange_sku_info");
    dd_jw_kint(jw, "post_discount_return_amount", 0);
    dd_jw_kint(jw, "post_discount_return_status", 0);
    dd_jw_kint(jw, "part_type", part_type(a, so));
    write_empty_array(jw, "reason_second_labels");
    dd_jw_kint(jw, "refund_voucher_num", 0);
    dd_jw_kint(jw, "refund_voucher_times", 0);
    dd_jw_kint(jw, "gold_coin_return_amount", 0);
    dd_jw_kstr(jw, "refund_fail_reason", "");
    write_empty_array(jw, "aftersale_tags");
    dd_jw_kstr(jw, "store_id", "");
    dd_jw_kstr(jw, "store_name", "");
    dd_jw_kint(jw, "after_sale_order_type", 1);
    dd_jw_kint(jw, "refund_packing_charge_amount", 0);
    dd_jw_kint(jw, "shop_discount_return_amount", 0);
    dd_jw_kint(jw, "after_sale_sub_type", 0);
    dd_jw_kint(jw, "agree_refuse_sign", 0);
    dd_jw_kint(jw, "apply_role", a->apply_role ? a->apply_role : 1);
    dd_jw_kint(jw, "refund_time", a->refund_time);
    dd_jw_kint(jw, "aftersale_status_to_final_time", a->final_time);
    dd_jw_kint(jw, "return_method", a->return_tracking_no ? 1 : 0);
    dd_jw_key(jw, "auto_audit_bits");
    write_audit_bits(jw, a->auto_audit_bits);
    dd_jw_kstr(jw, "open_address_id", "");
    dd_jw_object_end(jw);

    dd_jw_key(jw, "arbitrate_info");
    dd_jw_object_begin(jw);
    dd_jw_kstr(jw, "arbitrate_id", "");
    dd_jw_kint(jw, "arbitrate_status", a->arbitrate_status);
    dd_jw_kbool(jw, "is_required_evidence", false);
    dd_jw_kstr(jw, "arbitrate_status_deadline", "");
    dd_jw_kstr(jw, "arbitrate_opinion", "");
    dd_jw_kint(jw, "arbitrate_conclusion", 0);
    dd_jw_kint(jw, "arbitrate_create_time", 0);
    dd_jw_kint(jw, "arbitrate_update_time", 0);
    write_empty_object(jw, "arbitrate_evidence_tmpl");
    write_empty_object(jw, "arbitrate_evidence");
    dd_jw_kint(jw, "arbitrate_blame", 0);
    dd_jw_object_end(jw);

    dd_jw_key(jw, "after_sale_service_tag");
    dd_jw_object_begin(jw);
    write_empty_array(jw, "after_sale_service_tag");
    dd_jw_object_end(jw);

    dd_jw_key(jw, "logistics_info");
    dd_jw_object_begin(jw);
    dd_jw_key(jw, "return");
    dd_jw_object_begin(jw);
    dd_jw_kstr(jw, "tracking_no", a->return_tracking_no);
    dd_jw_kstr(jw, "company_name", company_name(a->return_company_code));
    dd_jw_kstr(jw, "company_code", a->return_company_code);
    dd_jw_kint(jw, "logistics_time", a->return_ship_time);
    dd_jw_object_end(jw);
    write_empty_object(jw, "exchange");
    dd_jw_key(jw, "order");
    write_order_logistics(jw, o, so, true);
    write_empty_object(jw, "resend");
    dd_jw_object_end(jw);

    dd_jw_key(jw, "after_sale_shop_remarks");
    dd_jw_array_begin(jw);
    for (const struct mock_record *r = a->records; r; r = r->next) {
        if (r->role != MOCK_ROLE_SELLER || !r->action ||
            strcmp(r->action, "remark") != 0)
            continue;
        dd_jw_object_begin(jw);
        dd_jw_kint(jw, "order_id", o->order_id);
        dd_jw_kint(jw, "after_sale_id", a->aftersale_id);
        dd_jw_kstr(jw, "remark", r->text);
        dd_jw_kint(jw, "create_time", r->time);
        dd_jw_kstr(jw, "operator", "商家");
        dd_jw_object_end(jw);
    }
    dd_jw_array_end(jw);

    write_empty_object(jw, "price_protection_detail");

    dd_jw_key(jw, "record_logs_list");
    dd_jw_array_begin(jw);
    for (const struct mock_record *r = need_records ? a->records : NULL; r;
         r = r->next) {
        dd_jw_object_begin(jw);
        dd_jw_kstr(jw, "operator", PICK(role_texts, r->role));
        dd_jw_key(jw, "time");
        jw_date(jw, r->time);
        dd_jw_kstr(jw, "text", r->text);
        write_empty_array(jw, "images");
        write_empty_array(jw, "desc_kvs");
        dd_jw_kstr(jw, "action", r->action);
        dd_jw_kint(jw, "role", r->role);
        write_empty_array(jw, "all_evidence");
        dd_jw_object_end(jw);
    }
    dd_jw_array_end(jw);

    dd_jw_object_end(jw); /* process_info */

    dd_jw_key(jw, "order_info");
    dd_jw_object_begin(jw);
    dd_jw_kint(jw, "shop_order_id", o->order_id);
    dd_jw_key(jw, "sku_order_infos");
    dd_jw_array_begin(jw);
    dd_jw_object_begin(jw);
    dd_jw_kint(jw, "sku_order_id", so->sku_order_id);
    dd_jw_kint(jw, "order_status", so->status);
    dd_jw_kint(jw, "pay_amount", so->pay_amount);
    dd_jw_kint(jw, "post_amount", so->post_amount);
    dd_jw_kint(jw, "item_quantity", so->quantity);
    dd_jw_kint(jw, "create_time", o->create_time);
    dd_jw_kint(jw, "tax_amount", 0);
    dd_jw_kint(jw, "is_oversea_order", 0);
    dd_jw_kstr(jw, "product_name", p->name);
    dd_jw_kint(jw, "product_id", p->product_id);
    dd_jw_kstr(jw, "product_image", p->image);
    write_empty_array(jw, "tags");
    dd_jw_key(jw, "sku_spec");
    write_spec(jw, sku->spec);
    dd_jw_kstr(jw, "shop_sku_code", sku->code);
    dd_jw_kint(jw, "sku_id", sku->sku_id);
    int64_t sum = so->quantity > 0 && sku->price > INT64_MAX / so->quantity
                      ? INT64_MAX /* a world file's absurd amounts: clamp */
                      : sku->price * so->quantity;
    dd_jw_kint(jw, "item_sum_amount", sum);
    dd_jw_kint(jw, "sku_pay_amount", so->pay_amount);
    dd_jw_kint(jw, "promotion_amount",
               sum > so->pay_amount ? sum - so->pay_amount : 0);
    dd_jw_kint(jw, "pay_type", o->pay_type);
    write_empty_array(jw, "insurance_tags");
    dd_jw_kint(jw, "after_sale_item_count", a->quantity);
    write_empty_array(jw, "given_sku_details");
    dd_jw_object_end(jw);
    dd_jw_array_end(jw);
    dd_jw_object_end(jw);

    dd_jw_object_end(jw);
}

/* =========================================================== write-backs */

/* Formats the merchant's op_time for a record: Beijing date when it is a
 * plausible Unix time in seconds, else the raw number. */
static void op_time_text(struct dd_buf *b, const char *what, int64_t op_time)
{
    if (op_time > 0 && op_time < INT64_C(253402300800)) {
        char d[20];
        dd_timestamp_format_date(op_time, d);
        dd_buf_printf(b, "%s（操作时间 %.19s）", what, d);
    } else {
        dd_buf_printf(b, "%s（操作时间 %lld）", what, (long long)op_time);
    }
}

void api_afterSale_CancelSendGoodsSuccess(struct mock_call *c)
{
    static const struct mock_param_rule rule = {
        true, "isv.business-failed:11000", "isv.business-failed:11000"};
    static const char ser[] = "isv.business-failed:11004";
    struct mock_world *w = c->world;
    int64_t id, op_time;
    if (!typed_int(c, "aftersale_id", &rule, ser, &id, NULL) ||
        !typed_int(c, "op_time", &rule, ser, &op_time, NULL))
        return;
    if (op_time <= 0) {
        mock_call_fail(c, "isv.business-failed:11000", "op_time must be > 0");
        return;
    }
    uint32_t as = find_as(c, id);
    if (as == MOCK_NONE) {
        mock_call_fail(c, "isv.business-failed:11003",
                       "after-sale %lld not found", (long long)id);
        return;
    }
    struct mock_aftersale *a = &w->aftersales.v[as];
    const struct mock_order *o = &w->orders.v[a->order];
    const struct mock_sku_order *so = &w->sku_orders.v[a->sku_order];
    if (!w->shops.v[o->shop].cancel_auto_refund) {
        mock_call_fail(c, "isv.business-failed:11002",
                       "cancel_auto_refund strategy is off");
        return;
    }
    const char *why = NULL;
    if (mock_aftersale_is_final(a))
        why = "the after-sale is final";
    else if (a->type != MOCK_AS_TYPE_UNSHIPPED_REFUND)
        why = "not a pre-shipment refund (aftersale_type 2)";
    else if (a->status != MOCK_AS_WAIT_SELLER_AGREE)
        why = "status is not 6";
    else if (so->status != MOCK_SKU_UNSHIPPED)
        why = "the SKU order is no longer unshipped (shipped or cancelled)";
    if (why) {
        mock_call_fail(c, "isv.business-failed:12001", "%s", why);
        return;
    }
    struct dd_buf text;
    dd_buf_init(&text, 0);
    op_time_text(&text, "ERP取消发货回传", op_time);
    mock_aftersale_record(w, as, c->now, MOCK_ROLE_SELLER, "cancel_send_goods",
                          dd_buf_str(&text));
    dd_buf_free(&text);
    mock_aftersale_refund(w, as, c->now, MOCK_REFUND_BY_ASSISTANT,
                          MOCK_AUDIT_ASSISTANT_REFUND,
                          "CancelSendGoodsSuccess");
    dd_jw_object_begin(c->data);
    dd_jw_object_end(c->data);
}

void api_afterSale_returnGoodsToWareHouseSuccess(struct mock_call *c)
{
    static const struct mock_param_rule req = {
        true, "isv.business-failed:11000", "isv.business-failed:11000"};
    static const struct mock_param_rule opt = {false, NULL,
                                               "isv.business-failed:11000"};
    static const char ser[] = "isv.parameter-invalid:11004";
    struct mock_world *w = c->world;
    int64_t id, op_time;
    const char *tracking = NULL, *company = NULL;
    if (!typed_int(c, "aftersale_id", &req, ser, &id, NULL) ||
        !typed_int(c, "op_time", &req, ser, &op_time, NULL) ||
        !typed_str(c, "tracking_no", &opt, ser, &tracking, NULL) ||
        !typed_str(c, "logistics_company_code", &opt, ser, &company, NULL))
        return;
    if (op_time <= 0) {
        mock_call_fail(c, "isv.business-failed:11000", "op_time must be > 0");
        return;
    }
    uint32_t as = find_as(c, id);
    if (as == MOCK_NONE) {
        mock_call_fail(c, "isv.business-failed:11000",
                       "after-sale %lld not found", (long long)id);
        return;
    }
    struct mock_aftersale *a = &w->aftersales.v[as];
    const struct mock_order *o = &w->orders.v[a->order];
    if (!w->shops.v[o->shop].return_auto_refund) {
        mock_call_fail(c, "isv.business-failed:11002",
                       "return_auto_refund strategy is off");
        return;
    }
    const char *why = NULL;
    if (a->type != MOCK_AS_TYPE_RETURN)
        why = "not a return (aftersale_type 0)";
    else if (mock_aftersale_is_final(a))
        why = "the after-sale is final";
    else if (a->status != MOCK_AS_WAIT_BUYER_RETURN &&
             a->status != MOCK_AS_WAIT_SELLER_RECEIVE)
        why = "status is not 7 or 11";
    if (why) {
        mock_call_fail(c, "isv.business-failed:12001", "%s", why);
        return;
    }
    struct dd_buf text;
    dd_buf_init(&text, 0);
    op_time_text(&text, "退货入仓回传", op_time);
    if (tracking && *tracking)
        dd_buf_printf(&text, "，退货物流单号 %s", tracking);
    if (company && *company)
        dd_buf_printf(&text, "，物流公司 %s", company);
    a->got_pkg = 1;
    mock_aftersale_record(w, as, c->now, MOCK_ROLE_SELLER,
                          "return_to_warehouse", dd_buf_str(&text));
    dd_buf_free(&text);
    mock_aftersale_refund(w, as, c->now, MOCK_REFUND_BY_ASSISTANT,
                          MOCK_AUDIT_ASSISTANT_REFUND,
                          "returnGoodsToWareHouseSuccess");
    dd_jw_object_begin(c->data);
    dd_jw_object_end(c->data);
}

/* ================================================================ operate */

/*
 * The operate types the mock implements (doudian-shipping-and-operations.md
 * §4; the gates are those of the shipping page's table):
 *
 *   type  aftersale_type  from       to  meaning
 *   101   0               6, 27      7   同意退货申请 (needs logistics)
 *   102   0               6          27  拒绝退货申请 (reject fields)
 *   111   0               7, 11, 29  12  同意退货（二次审核）: refund
 *   112   0               11         29  拒绝退货（二次审核） (reject fields)
 *   201   1               6, 27      12  同意仅退款: refund
 *   202   1               6          27  拒绝仅退款 (reject fields)
 *   401   2               6          12  同意售前退申请: refund
 *
 * A final after-sale (aftersale_status_to_final_time != 0) accepts none
 * (§7.5); in the mock's state machine 29 is final, so 111 from 29 only
 * applies to a world-file after-sale that carries no final time.
 */
struct op_rule {
    int type;
    int as_type;
    int from[3];
    bool reject;
    bool logistics;
};

static const struct op_rule op_rules[] = {
    {101, MOCK_AS_TYPE_RETURN, {6, 27, 0}, false, true},
    {102, MOCK_AS_TYPE_RETURN, {6, 0, 0}, true, false},
    {111, MOCK_AS_TYPE_RETURN, {7, 11, 29}, false, false},
    {112, MOCK_AS_TYPE_RETURN, {11, 0, 0}, true, false},
    {201, MOCK_AS_TYPE_SHIPPED_REFUND, {6, 27, 0}, false, false},
    {202, MOCK_AS_TYPE_SHIPPED_REFUND, {6, 0, 0}, true, false},
    {401, MOCK_AS_TYPE_UNSHIPPED_REFUND, {6, 0, 0}, false, false},
};

/* Real operate types the mock does not implement (answered 11001). */
static const int op_known[] = {121, 203, 301, 302, 311, 312, 321, 501,
                               502, 601, 602, 603, 611, 612, 621};

struct op_item {
    uint32_t as;
    const char *reason, *remark;
};

/* Validates item k of afterSale.operate against rule `r`. */
static bool op_check_item(struct mock_call *c, const struct op_rule *r,
                          const struct dd_json *item, size_t k,
                          struct op_item *out, const struct op_item *prev)
{
    static const struct mock_param_rule id_rule = {true, NULL,
                                                   "isp.service-error:10000"};
    static const struct mock_param_rule opt = {false, NULL, NULL};
    const struct mock_world *w = c->world;
    if (item->type != DD_JSON_OBJECT) {
        mock_call_fail(c, BAD_PARAM, "items[%zu] must be an object", k);
        return false;
    }
    int64_t id, code = 0, version = 0;
    bool has_code = false, has_version = false;
    const char *reason = NULL, *remark = NULL;
    if (!typed_int(c, "aftersale_id", &id_rule, BAD_PARAM, &id, NULL) ||
        !mock_param_str(c, "reason", &opt, &reason, NULL) ||
        !mock_param_str(c, "remark", &opt, &remark, NULL) ||
        !mock_param_int(c, "reject_reason_code", &opt, &code, &has_code) ||
        !mock_param_int(c, "update_time", &opt, &version, &has_version) ||
        !mock_param_int(c, "repair_type", &opt, &(int64_t){0}, NULL))
        return false;
    const struct dd_json *ev = param(c, "evidence");
    if (ev && (ev->type != DD_JSON_ARRAY || ev->n > EVIDENCE_MAX)) {
        mock_call_fail(c, BAD_PARAM,
                       "items[%zu].evidence must be an array of at most %d", k,
                       EVIDENCE_MAX);
        return false;
    }
    for (size_t i = 0; ev && i < ev->n; i++) {
        const struct dd_json *e = &ev->kids[i];
        const struct dd_json *url = dd_json_get(e, "url");
        int64_t et;
        if (e->type != DD_JSON_OBJECT ||
            (!dd_json_is_absent(url) && url->type != DD_JSON_STRING) ||
            (!dd_json_is_absent(dd_json_get(e, "type")) &&
             (dd_json_int64(dd_json_get(e, "type"), &et) || et < 1 ||
              et > 4))) {
            mock_call_fail(c, BAD_PARAM, "items[%zu].evidence[%zu] is invalid",
                           k, i);
            return false;
        }
    }
    const struct dd_json *lg = param(c, "logistics");
    if (lg && lg->type != DD_JSON_OBJECT) {
        mock_call_fail(c, BAD_PARAM, "items[%zu].logistics must be an object",
                       k);
        return false;
    }

    uint32_t as = find_as(c, id);
    if (as == MOCK_NONE) {
        mock_call_fail(c, "isp.service-error:10000",
                       "after-sale %lld not found", (long long)id);
        return false;
    }
    for (const struct op_item *p = prev; p < out; p++) {
        if (p->as == as) {
            mock_call_fail(c, BAD_PARAM, "items[%zu]: after-sale %lld twice", k,
                           (long long)id);
            return false;
        }
    }
    const struct mock_aftersale *a = &w->aftersales.v[as];
    if (has_version && version != a->update_time) {
        mock_call_fail(c, "isv.business-failed:20309541",
                       "update_time %lld is not the current %lld",
                       (long long)version, (long long)a->update_time);
        return false;
    }
    bool gate = false;
    for (int i = 0; i < 3; i++)
        gate |= r->from[i] && a->status == r->from[i];
    if (mock_aftersale_is_final(a) || a->type != r->as_type || !gate) {
        mock_call_fail(c, "isv.business-failed:20309541",
                       "type %d not allowed for aftersale_type %d status %d%s",
                       r->type, a->type, a->status,
                       mock_aftersale_is_final(a) ? " (final)" : "");
        return false;
    }
    if (r->logistics) {
        const struct dd_json *addr = dd_json_get(lg, "receiver_address_id");
        const struct dd_json *detail =
            dd_json_get(lg, "after_sale_address_detail");
        int64_t aid;
        bool ok_id =
            !dd_json_is_absent(addr) && !dd_json_int64(addr, &aid) && aid > 0;
        bool ok_detail =
            !dd_json_is_absent(detail) && detail->type == DD_JSON_OBJECT;
        if (!ok_id && !ok_detail) {
            mock_call_fail(c, MISSING_PARAM,
                           "items[%zu].logistics.receiver_address_id is "
                           "required for type %d",
                           k, r->type);
            return false;
        }
    }
    if (r->reject) {
        if (!has_code) {
            mock_call_fail(c, MISSING_PARAM,
                           "items[%zu].reject_reason_code is required", k);
            return false;
        }
        const struct reject_reason *rr = reject_reason_find(code);
        if (!rr || !pkg_fits(rr, a->got_pkg)) {
            mock_call_fail(c, BAD_PARAM,
                           "items[%zu].reject_reason_code %lld does not fit "
                           "(see afterSale.rejectReasonCodeList)",
                           k, (long long)code);
            return false;
        }
        if (!reason || !*reason || !remark || !*remark) {
            mock_call_fail(c, MISSING_PARAM,
                           "items[%zu].reason and remark are required to "
                           "reject",
                           k);
            return false;
        }
        if (rr->evidence_need && (!ev || ev->n == 0)) {
            mock_call_fail(c, MISSING_PARAM,
                           "items[%zu].evidence is required for reject "
                           "reason %lld",
                           k, (long long)code);
            return false;
        }
    }
    out->as = as;
    out->reason = reason;
    out->remark = remark;
    return true;
}

/* Applies one validated operation. */
static void op_apply(struct mock_call *c, const struct op_rule *r,
                     const struct op_item *it)
{
    struct mock_world *w = c->world;
    struct mock_aftersale *a = &w->aftersales.v[it->as];
    struct dd_buf text;
    dd_buf_init(&text, 0);
    switch (r->type) {
    case 101:
        mock_aftersale_set_status(w, it->as, MOCK_AS_WAIT_BUYER_RETURN, c->now,
                                  MOCK_ROLE_SELLER, "agree_return",
                                  "商家同意退货申请");
        break;
    case 102:
    case 112:
    case 202:
        dd_buf_printf(&text, "%s：%s（%s）",
                      r->type == 102   ? "商家拒绝退货申请"
                      : r->type == 112 ? "商家拒绝退款（退货后）"
                                       : "商家拒绝仅退款",
                      it->reason, it->remark);
        mock_aftersale_set_status(w, it->as,
                                  r->type == 112 ? MOCK_AS_SELLER_REFUSED_2
                                                 : MOCK_AS_SELLER_REFUSED,
                                  c->now, MOCK_ROLE_SELLER,
                                  r->type == 102   ? "refuse_return"
                                  : r->type == 112 ? "refuse_after_return"
                                                   : "refuse_refund",
                                  dd_buf_str(&text));
        break;
    case 111:
        if (a->status == MOCK_AS_WAIT_SELLER_RECEIVE ||
            a->status == MOCK_AS_SELLER_REFUSED_2)
            a->got_pkg = 1;
        mock_aftersale_record(w, it->as, c->now, MOCK_ROLE_SELLER,
                              "agree_refund", "商家确认收货，同意退款");
        mock_aftersale_refund(w, it->as, c->now, MOCK_REFUND_BY_NONE, 0,
                              "operate:111");
        break;
    case 201:
        mock_aftersale_record(w, it->as, c->now, MOCK_ROLE_SELLER,
                              "agree_refund", "商家同意仅退款");
        mock_aftersale_refund(w, it->as, c->now, MOCK_REFUND_BY_NONE, 0,
                              "operate:201");
        break;
    case 401:
        mock_aftersale_record(w, it->as, c->now, MOCK_ROLE_SELLER,
                              "agree_refund", "商家同意售前退款");
        mock_aftersale_refund(w, it->as, c->now, MOCK_REFUND_BY_NONE, 0,
                              "operate:401");
        break;
    default:
        break;
    }
    dd_buf_free(&text);
}

void api_afterSale_operate(struct mock_call *c)
{
    static const struct mock_param_rule req = {true, NULL, NULL};
    static const struct mock_param_rule opt = {false, NULL, NULL};
    int64_t type, store;
    if (!mock_param_int(c, "type", &req, &type, NULL) ||
        !mock_param_int(c, "store_id", &opt, &store, NULL))
        return;
    const struct dd_json *items = param(c, "items");
    if (!items) {
        mock_call_fail(c, MISSING_PARAM, "items is required");
        return;
    }
    if (items->type != DD_JSON_ARRAY || items->n == 0 ||
        items->n > OPERATE_MAX_ITEMS) {
        mock_call_fail(c, BAD_PARAM, "items must be an array of 1..%d",
                       OPERATE_MAX_ITEMS);
        return;
    }
    const struct op_rule *r = NULL;
    for (size_t i = 0; i < sizeof op_rules / sizeof op_rules[0]; i++)
        if (op_rules[i].type == type)
            r = &op_rules[i];
    if (!r) {
        for (size_t i = 0; i < sizeof op_known / sizeof op_known[0]; i++) {
            if (op_known[i] == type) {
                mock_call_fail(c, "isv.business-failed:11001",
                               "type %lld is not implemented by the mock",
                               (long long)type);
                return;
            }
        }
        mock_call_fail(c, BAD_PARAM, "type %lld is not an operate type",
                       (long long)type);
        return;
    }

    /* All or nothing: validate every item, then apply them all. */
    struct op_item ok[OPERATE_MAX_ITEMS];
    const struct dd_json *root = c->params;
    bool good = true;
    for (size_t k = 0; good && k < items->n; k++) {
        c->params = &items->kids[k];
        good = op_check_item(c, r, &items->kids[k], k, &ok[k], ok);
    }
    c->params = root;
    if (!good)
        return;
    for (size_t k = 0; k < items->n; k++)
        op_apply(c, r, &ok[k]);

    struct dd_jw *jw = c->data;
    dd_jw_object_begin(jw);
    dd_jw_key(jw, "items");
    dd_jw_array_begin(jw);
    for (size_t k = 0; k < items->n; k++) {
        dd_jw_object_begin(jw);
        dd_jw_kint(jw, "aftersale_id",
                   c->world->aftersales.v[ok[k].as].aftersale_id);
        dd_jw_kint(jw, "status_code", 0);
        dd_jw_kstr(jw, "status_msg", "success");
        dd_jw_object_end(jw);
    }
    dd_jw_array_end(jw);
    dd_jw_object_end(jw);
}

/* ================================================================ reasons */

void api_afterSale_rejectReasonCodeList(struct mock_call *c)
{
    static const struct mock_param_rule opt = {false, NULL, NULL};
    const struct mock_world *w = c->world;
    int64_t id;
    bool by_id = false;
    if (!mock_param_int(c, "aftersale_id", &opt, &id, &by_id))
        return;
    /* With an id: only an open after-sale under review (first review 6 or
     * second review 11) of a shipped line has reasons to offer. */
    const struct mock_aftersale *a = NULL;
    bool any = true;
    if (by_id) {
        uint32_t as = find_as(c, id);
        a = as == MOCK_NONE ? NULL : &w->aftersales.v[as];
        any = a && !mock_aftersale_is_final(a) &&
              a->type != MOCK_AS_TYPE_UNSHIPPED_REFUND &&
              (a->status == MOCK_AS_WAIT_SELLER_AGREE ||
               a->status == MOCK_AS_WAIT_SELLER_RECEIVE) &&
              w->sku_orders.v[a->sku_order].status != MOCK_SKU_UNSHIPPED;
    }
    struct dd_jw *jw = c->data;
    dd_jw_object_begin(jw);
    dd_jw_key(jw, "items");
    dd_jw_array_begin(jw);
    for (size_t i = 0; any && i < N_REJECT_REASONS; i++) {
        const struct reject_reason *rr = &reject_reasons[i];
        if (a && !pkg_fits(rr, a->got_pkg))
            continue;
        dd_jw_object_begin(jw);
        dd_jw_kint(jw, "reject_reason_code", rr->code);
        dd_jw_kstr(jw, "reason", rr->reason);
        dd_jw_kstr(jw, "evidence_description", rr->evidence_description);
        dd_jw_kstr(jw, "evidence_need", rr->evidence_need ? "Y" : "N");
        dd_jw_kstr(jw, "image", rr->code == 1 ? reject_image : "");
        dd_jw_kint(jw, "order_type", -1);
        dd_jw_kint(jw, "pkg", rr->pkg);
        dd_jw_object_end(jw);
    }
    dd_jw_array_end(jw);
    dd_jw_object_end(jw);
}

/* ================================================================ remark */

void api_afterSale_addOrderRemark(struct mock_call *c)
{
    static const struct mock_param_rule opt = {false, NULL, NULL};
    static const struct mock_param_rule req = {true, NULL, NULL};
    struct mock_world *w = c->world;
    int64_t as_id = 0, order_id = 0;
    bool has_as = false, has_order = false;
    const char *remark;
    if (!mock_param_int(c, "after_sale_id", &opt, &as_id, &has_as))
        return;
    if (!has_as && !mock_param_int(c, "order_id", &opt, &order_id, &has_order))
        return;
    if (!has_as && !has_order) {
        mock_call_fail(c, MISSING_PARAM,
                       "order_id or after_sale_id is "
                       "required");
        return;
    }
    if (!mock_param_str(c, "remark", &req, &remark, NULL))
        return;
    if (utf8_chars(remark, strlen(remark)) > REMARK_MAX_CHARS) {
        mock_call_fail(c, BAD_PARAM, "remark is longer than %d characters",
                       REMARK_MAX_CHARS);
        return;
    }
    if (has_as) {
        uint32_t as = find_as(c, as_id);
        if (as == MOCK_NONE) {
            mock_call_fail(c, BAD_PARAM, "after-sale %lld not found",
                           (long long)as_id);
            return;
        }
        struct mock_aftersale *a = &w->aftersales.v[as];
        free(a->remark);
        a->remark = xstrdup(remark);
        mock_aftersale_record(w, as, c->now, MOCK_ROLE_SELLER, "remark",
                              remark);
        mock_aftersale_touch(w, as, c->now);
    } else {
        uint32_t oi = mock_world_order(w, order_id);
        if (oi == MOCK_NONE || w->orders.v[oi].shop != c->shop) {
            mock_call_fail(c, BAD_PARAM, "order %lld not found",
                           (long long)order_id);
            return;
        }
        struct mock_order *o = &w->orders.v[oi];
        free(o->seller_words);
        o->seller_words = xstrdup(remark);
        mock_order_refresh(w, oi, c->now);
    }
    dd_jw_object_begin(c->data);
    dd_jw_object_end(c->data);
}
