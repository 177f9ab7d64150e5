/*
 * api_order.c: the order and logistics APIs an ERP uses around refunds:
 * order.orderDetail (doudian-open-api.md §4.7), order.searchList (§4.8,
 * §4.10), order.logisticsAdd and order.logisticsCompanyList
 * (doudian-shipping-and-operations.md §1.1, §1.6, §7), and the default list
 * of logistics companies.
 *
 * Shipping is how a merchant refuses a pre-shipment refund (shipping §1.1,
 * "备货中未发货订单如需拒绝请使用物流发货接口拒绝即可"): logisticsAdd with
 * is_refund_reject / is_reject_refund refuses every open pre-shipment
 * refund of the order (status 27, final for type 2) and ships; without the
 * flag it fails with 60040. Lines whose pre-shipment refund succeeded stay
 * cancelled; the others ship. orderDetail and searchList write orders
 * through one function, so both show the same shape (§4.8: "same shape as
 * orderDetail's shop_order_detail"), ids as strings as §7.6 says.
 *
 * Decisions; (G) marks a guess where the real behaviour is not public:
 * order.orderDetail
 *   shop_order_id absent, null or "" -> 40002 isv.missing-parameter:20000
 *   shop_order_id not an id, or <= 0 -> 40004 isv.parameter-invalid:20001
 *       "订单不存在" (G)
 *   well-formed but unknown (a sub-order id too)
 *       -> 40004 isv.parameter-invalid:20014 "查询订单不存在" (G)
 *   another shop's order -> 50002 isv.business-failed:20015
 * order.searchList
 *   neither create_time_start nor update_time_start -> 40004 :20011; with
 *       only update_time_start the create window defaults to the last
 *       search_window_days days (the 20022 hint): both [CS] statements hold
 *   create_time_start older than search_window_days (90) -> 40004 :20022,
 *       with skew_seconds of slack for the client's clock (G)
 *   a time bound of 0 -> absent (the Go SDK omits zeros); bounds are
 *       inclusive at both ends (G: "not stated")
 *   page, size required (40001 when missing); page < 0 -> :10035;
 *       size > 100 -> :20008; size < 1 -> 40003 isv.parameter-invalid (G);
 *       page * size > 50 000 -> :20013
 *   combine_status: more than one element -> :20012; order_status and
 *       main_status are ","-separated codes; a non-integer code -> 40003 (G)
 *   after_sale_status_desc, on each line's latest after-sale (G):
 *       in_aftersale not final; refund refund_status 2 退款中;
 *       refund_success 3; refund_fail 4; exchange_success none (the mock
 *       has no exchanges); aftersale_close final and not 12; all or "" no
 *       filter; anything else 40003
 *   product: all digits -> a line's product_id, else a substring of a
 *       line's product name
 *   order_type, trade_type, presell_type, abnormal_order, b_type: compared
 *       with what every order shows (0, 0, 0, 0, 2 抖音); 0 is absent;
 *       fulfil_status and is_searchable accepted and ignored
 *   order_by create_time (default) or update_time, else 40003; descending
 *       unless order_asc; ties broken by order id
 *   `size` in the answer -> the requested size (G)
 * order.logisticsAdd
 *   check order (G): order_id (50049), company_code missing (60011),
 *       company unknown (60018), tracking rule (60017), order unknown
 *       (60033), other shop (60101), order state, open refunds (60040)
 *   tracking number rule (G): 8 to 32 ASCII letters or digits; absent or
 *       anything else -> 50002 :60017
 *   company_code must be a code of mock_companies (case-sensitive), else
 *       :60018; `company` (the name) and logistics_id are ignored
 *   order finished (5) -> :60113 "订单已完结"
 *   nothing left to ship: any line shipped -> :60110; else any line
 *       refunded before shipping -> :60068; else -> :60021
 *   order cancelled (4) with lines not cancelled -> :60021
 *   order partly shipped (101) -> :60110 (the documented message
 *       "该订单当前为"部分发货"状态" has no row of its own)
 *   serial numbers, addresses, store_id, product_orders -> ignored
 * order.logisticsCompanyList
 *   `data` is a bare array [{id, name, code}] (shipping §1.6 inference);
 *   ids are guesses (1..11); only the codes shunfeng and qita are facts
 * What orders show
 *   order_amount = pay_amount = the lines' pay_amount + post (no
 *       promotions); post = the order's post_amount, or the lines' sum
 *       when that is 0
 *   main_status 21 / 22 / 39 when every line's latest after-sale refunded
 *       it (before shipping / after shipping / after receipt), else the
 *       order_status
 *   exp_ship_time = pay_time + 48 h (G); order_expire_time 0 (paid orders)
 *   receiver fields: fixed fake ciphertexts "#...#" and masked text
 *       (order.batchDecrypt is not implemented)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* ============================================================ companies */

/* The default logistics companies. Only the codes `shunfeng` and `qita`
 * appear in the docs (shipping §1.1, JAVA example); the other codes are the
 * common ones of Chinese logistics code lists and every id is a guess. */
const struct mock_company mock_companies[] = {
    {1, "shunfeng", "顺丰速运"},
    {2, "yuantong", "圆通快递"},
    {3, "zhongtong", "中通快递"},
    {4, "shentong", "申通快递"},
    {5, "yunda", "韵达快递"},
    {6, "jtexpress", "极兔速递"},
    {7, "youzhengguonei", "邮政快递包裹"},
    {8, "ems", "EMS"},
    {9, "jd", "京东物流"},
    {10, "debangkuaidi", "德邦快递"},
    {11, "qita", "其他"},
    {0, NULL, NULL},
};

const struct mock_company *mock_company_find(const char *code)
{
    if (!code)
        return NULL;
    for (const struct mock_company *k = mock_companies; k->code; k++)
        if (strcmp(k->code, code) == 0)
            return k;
    return NULL;
}

/* ============================================================ helpers */

static char *dupstr(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (!d) {
        fputs("ddmock: out of memory\n", stderr);
        abort();
    }
    memcpy(d, s, n + 1);
    return d;
}

static bool blank(const struct mock_call *c, const char *name)
{
    const struct dd_json *v = dd_json_get(c->params, name);
    return dd_json_is_absent(v) || (v->type == DD_JSON_STRING && v->len == 0);
}

/* §4.7 order_status / main_status wording. */
static const char *status_desc(int64_t s)
{
    switch (s) {
    case 1:
        return "待确认/待支付";
    case 103:
        return "部分支付";
    case 105:
        return "已支付";
    case MOCK_ORDER_PAID:
        return "备货中";
    case MOCK_ORDER_PARTLY_SHIPPED:
        return "部分发货";
    case MOCK_ORDER_SHIPPED:
        return "已发货";
    case MOCK_ORDER_CANCELLED:
        return "已取消";
    case MOCK_ORDER_DONE:
        return "已完成";
    case 21:
        return "发货前退款完结";
    case 22:
        return "发货后退款完结";
    case 39:
        return "收货后退款完结";
    default:
        return "";
    }
}

/* The latest after-sale of a line, or NULL. */
static const struct mock_aftersale *
line_aftersale(const struct mock_world *w, const struct mock_sku_order *so)
{
    if (so->aftersale == MOCK_NONE || so->aftersale >= w->aftersales.n)
        return NULL;
    return &w->aftersales.v[so->aftersale];
}

/* 21, 22 or 39 when the line's latest after-sale refunded it for good
 * (before shipping, after shipping, after receipt), else 0. */
static int refund_main(const struct mock_world *w,
                       const struct mock_sku_order *so)
{
    const struct mock_aftersale *a = line_aftersale(w, so);
    if (!a || a->status != MOCK_AS_SUCCESS ||
        a->refund_status != MOCK_REFUND_DONE)
        return 0;
    switch (so->status) {
    case MOCK_SKU_CANCELLED:
        return 21;
    case MOCK_SKU_SHIPPED:
        return so->refunded >= so->pay_amount ? 22 : 0;
    case MOCK_SKU_DONE:
        return so->refunded >= so->pay_amount ? 39 : 0;
    default:
        return 0;
    }
}

static const struct mock_sku_order *
line_at(const struct mock_world *w, const struct mock_order *o, uint32_t k)
{
    uint32_t i = o->first_sku_order + k;
    return i < w->sku_orders.n ? &w->sku_orders.v[i] : NULL;
}

/* The order's main_status (§4.7). */
static int64_t order_main(const struct mock_world *w,
                          const struct mock_order *o)
{
    int best = 0;
    for (uint32_t k = 0; k < o->n_sku_orders; k++) {
        const struct mock_sku_order *so = line_at(w, o, k);
        int r = so ? refund_main(w, so) : 0;
        if (r == 0)
            return o->status;
        if (r == 39 || (r == 22 && best != 39) || best == 0)
            best = r;
    }
    return best ? best : o->status;
}

static int64_t order_post(const struct mock_world *w,
                          const struct mock_order *o)
{
    if (o->post_amount)
        return o->post_amount;
    int64_t sum = 0;
    for (uint32_t k = 0; k < o->n_sku_orders; k++) {
        const struct mock_sku_order *so = line_at(w, o, k);
        if (so)
            sum += so->post_amount;
    }
    return sum;
}

static const struct mock_sku *line_sku(const struct mock_world *w,
                                       const struct mock_sku_order *so)
{
    return so->sku < w->skus.n ? &w->skus.v[so->sku] : NULL;
}

static const struct mock_product *sku_product(const struct mock_world *w,
                                              const struct mock_sku *sku)
{
    return sku && sku->product < w->products.n ? &w->products.v[sku->product]
                                               : NULL;
}

/* ============================================================ writing */

/* Fixed fake ciphertexts: receiver data is encrypted on the real platform
 * (§7.9) and the mock has none to hide. */
#define FAKE_TEL  "#ddmockTEL#ZGRtb2NrLXRlbA==#1##"
#define FAKE_NAME "#ddmockNAME#ZGRtb2NrLW5hbWU=#1##"
#define FAKE_ADDR "#ddmockADDR#ZGRtb2NrLWFkZHI=#1##"

/* "颜色:红色;尺码:M" as [{"name":"颜色","value":"红色"},...]. */
static void write_spec(struct dd_jw *j, const char *spec)
{
    dd_jw_array_begin(j);
    const char *p = spec ? spec : "";
    while (*p) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            const char *colon = memchr(p, ':', len);
            dd_jw_object_begin(j);
            dd_jw_key(j, "name");
            dd_jw_strn(j, p, colon ? (size_t)(colon - p) : 0);
            dd_jw_key(j, "value");
            if (colon)
                dd_jw_strn(j, colon + 1, len - (size_t)(colon - p) - 1);
            else
                dd_jw_strn(j, p, len);
            dd_jw_object_end(j);
        }
        if (!end)
            break;
        p = end + 1;
    }
    dd_jw_array_end(j);
}

static void write_region(struct dd_jw *j, const char *key, const char *name,
                         const char *id)
{
    dd_jw_key(j, key);
    dd_jw_object_begin(j);
    dd_jw_kstr(j, "name", name);
    dd_jw_kstr(j, "id", id);
    dd_jw_object_end(j);
}

static void write_addr(struct dd_jw *j, const char *key, bool masked)
{
    dd_jw_key(j, key);
    dd_jw_object_begin(j);
    write_region(j, "province", "北京市", "11");
    write_region(j, "city", "北京市", "110000");
    write_region(j, "town", "朝阳区", "110105");
    write_region(j, "street", "建国门外街道", "110105001");
    dd_jw_kstr(j, "detail", masked ? "建国门外大街**号" : "");
    if (!masked)
        dd_jw_kstr(j, "encrypt_detail", FAKE_ADDR);
    dd_jw_object_end(j);
}

/* The fields of §4.7 every (shop or SKU) order level has alike. */
static void write_common(struct dd_jw *j, const struct mock_order *o)
{
    dd_jw_kint(j, "biz", 2);
    dd_jw_kstr(j, "biz_desc", "小店");
    dd_jw_kint(j, "order_type", 0);
    dd_jw_kstr(j, "order_type_desc", "普通订单");
    dd_jw_kint(j, "trade_type", 0);
    dd_jw_kstr(j, "trade_type_desc", "普通");
    dd_jw_kint(j, "pay_time", o->pay_time);
    dd_jw_kint(j, "order_expire_time", 0);
    dd_jw_kint(j, "finish_time", o->finish_time);
    dd_jw_kint(j, "create_time", o->create_time);
    dd_jw_kint(j, "update_time", o->update_time);
    dd_jw_kstr(j, "cancel_reason", "");
    dd_jw_kint(j, "b_type", 2);
    dd_jw_kstr(j, "b_type_desc", "抖音");
    dd_jw_kint(j, "sub_b_type", 1);
    dd_jw_kstr(j, "sub_b_type_desc", "app内-原生");
    dd_jw_kint(j, "app_id", 0);
    dd_jw_kint(j, "pay_type", o->pay_type);
    dd_jw_kstr(j, "channel_payment_no", "");
    dd_jw_kint(j, "exp_ship_time", o->pay_time ? o->pay_time + 48 * 3600 : 0);
    dd_jw_kstr(j, "post_tel", "");
    dd_jw_kstr(j, "encrypt_post_tel", FAKE_TEL);
    dd_jw_kstr(j, "post_receiver", "");
    dd_jw_kstr(j, "encrypt_post_receiver", FAKE_NAME);
    write_addr(j, "post_addr", false);
    dd_jw_kstr(j, "mask_post_receiver", "测**");
    dd_jw_kstr(j, "mask_post_tel", "1**********");
    write_addr(j, "mask_post_addr", true);
    dd_jw_kint(j, "post_insurance_amount", 0);
    dd_jw_kint(j, "modify_amount", 0);
    dd_jw_kint(j, "modify_post_amount", 0);
    dd_jw_kint(j, "promotion_amount", 0);
    dd_jw_kint(j, "promotion_shop_amount", 0);
    dd_jw_kint(j, "promotion_platform_amount", 0);
    dd_jw_kint(j, "promotion_talent_amount", 0);
    dd_jw_kint(j, "promotion_pay_amount", 0);
    dd_jw_kint(j, "shop_cost_amount", 0);
    dd_jw_kint(j, "platform_cost_amount", 0);
    dd_jw_kint(j, "author_cost_amount", 0);
    dd_jw_kint(j, "only_platform_cost_amount", 0);
    dd_jw_kint(j, "promotion_redpack_amount", 0);
    dd_jw_kint(j, "promotion_redpack_platform_amount", 0);
    dd_jw_kint(j, "promotion_redpack_talent_amount", 0);
    dd_jw_kint(j, "tax_amount", 0);
}

/* One entry of sku_order_list (§4.7). */
static void write_line(struct dd_jw *j, const struct mock_world *w,
                       const struct mock_order *o,
                       const struct mock_sku_order *so)
{
    const struct mock_sku *sku = line_sku(w, so);
    const struct mock_product *p = sku_product(w, sku);
    int r = refund_main(w, so);
    int64_t main = r ? r : so->status;
    int64_t price = sku ? sku->price : 0;
    dd_jw_object_begin(j);
    dd_jw_kint_str(j, "order_id", so->sku_order_id);
    dd_jw_kint_str(j, "parent_order_id", o->order_id);
    dd_jw_kint(j, "order_level", 3);
    dd_jw_kint(j, "order_status", so->status);
    dd_jw_kstr(j, "order_status_desc", status_desc(so->status));
    dd_jw_kint(j, "main_status", main);
    dd_jw_kstr(j, "main_status_desc", status_desc(main));
    write_common(j, o);
    dd_jw_kint(j, "order_amount", so->pay_amount + so->post_amount);
    dd_jw_kint(j, "pay_amount", so->pay_amount);
    dd_jw_kint(j, "post_amount", so->post_amount);
    dd_jw_kint(j, "origin_amount", price);
    dd_jw_kint(j, "item_num", so->quantity);
    dd_jw_kint(j, "sum_amount", price * so->quantity);
    dd_jw_kbool(j, "has_tax", false);
    dd_jw_kstr(j, "code", sku ? sku->code : "");
    dd_jw_kint(j, "ship_time", so->ship_time);
    dd_jw_kint(j, "logistics_receipt_time", 0);
    dd_jw_kint(j, "confirm_receipt_time",
               so->status == MOCK_SKU_DONE ? o->finish_time : 0);
    dd_jw_kint(j, "goods_type", 0);
    dd_jw_kint(j, "product_id", p ? p->product_id : 0);
    dd_jw_kint_str(j, "product_id_str", p ? p->product_id : 0);
    dd_jw_kstr(j, "product_name", p ? p->name : "");
    dd_jw_kstr(j, "product_pic", p ? p->image : "");
    dd_jw_kint(j, "sku_id", sku ? sku->sku_id : 0);
    dd_jw_key(j, "spec");
    write_spec(j, sku ? sku->spec : NULL);
    dd_jw_kstr(j, "out_sku_id", "");
    dd_jw_kstr(j, "out_product_id", "");
    dd_jw_kstr(j, "supplier_id", "");
    dd_jw_key(j, "inventory_list");
    dd_jw_array_begin(j);
    dd_jw_array_end(j);
    dd_jw_kint(j, "reduce_stock_type", 2);
    dd_jw_kstr(j, "reduce_stock_type_desc", "支付减库存");
    dd_jw_kint(j, "pre_sale_type", 0);
    dd_jw_kint(j, "is_comment", 0);
    dd_jw_kint(j, "receive_type", 1);
    dd_jw_kbool(j, "need_serial_number", false);
    dd_jw_kbool(j, "is_activity", false);
    const struct mock_aftersale *a = line_aftersale(w, so);
    dd_jw_key(j, "after_sale_info");
    dd_jw_object_begin(j);
    dd_jw_kint(j, "after_sale_status", a ? a->status : 0);
    dd_jw_kint(j, "after_sale_type", a ? a->type : 0);
    dd_jw_kint(j, "refund_status", a ? a->refund_status : 0);
    dd_jw_object_end(j);
    dd_jw_object_end(j);
}

/* logistics_info (§4.7): the order's one parcel, once shipped. */
static void write_logistics(struct dd_jw *j, const struct mock_world *w,
                            const struct mock_order *o)
{
    dd_jw_key(j, "logistics_info");
    dd_jw_array_begin(j);
    if (o->tracking_no && o->tracking_no[0]) {
        const struct mock_company *k = mock_company_find(o->company_code);
        dd_jw_object_begin(j);
        dd_jw_kstr(j, "tracking_no", o->tracking_no);
        dd_jw_kstr(j, "company", o->company_code);
        dd_jw_kstr(j, "company_name", k ? k->name : o->company_code);
        dd_jw_kint(j, "ship_time", o->ship_time);
        dd_jw_kstr(j, "delivery_id", "");
        dd_jw_key(j, "product_info");
        dd_jw_array_begin(j);
        for (uint32_t n = 0; n < o->n_sku_orders; n++) {
            const struct mock_sku_order *so = line_at(w, o, n);
            if (!so ||
                (so->status != MOCK_SKU_SHIPPED && so->status != MOCK_SKU_DONE))
                continue;
            const struct mock_sku *sku = line_sku(w, so);
            const struct mock_product *p = sku_product(w, sku);
            dd_jw_object_begin(j);
            dd_jw_kstr(j, "product_name", p ? p->name : "");
            dd_jw_kint(j, "price", sku ? sku->price : 0);
            dd_jw_kstr(j, "outer_sku_id", sku ? sku->code : "");
            dd_jw_kint(j, "sku_id", sku ? sku->sku_id : 0);
            dd_jw_key(j, "sku_specs");
            write_spec(j, sku ? sku->spec : NULL);
            dd_jw_kint(j, "product_count", so->quantity);
            dd_jw_kint(j, "product_id", p ? p->product_id : 0);
            dd_jw_kint_str(j, "sku_order_id", so->sku_order_id);
            dd_jw_kint_str(j, "product_id_str", p ? p->product_id : 0);
            dd_jw_object_end(j);
        }
        dd_jw_array_end(j);
        dd_jw_key(j, "added_services");
        dd_jw_array_begin(j);
        dd_jw_array_end(j);
        dd_jw_kstr(j, "hour_up_pickup_code", "");
        dd_jw_object_end(j);
    }
    dd_jw_array_end(j);
}

/* A whole shop order as shop_order_detail / a shop_order_list entry. */
static void write_order(struct dd_jw *j, const struct mock_world *w,
                        uint32_t oi)
{
    const struct mock_order *o = &w->orders.v[oi];
    const struct mock_shop *s =
        o->shop < w->shops.n ? &w->shops.v[o->shop] : NULL;
    int64_t post = order_post(w, o);
    int64_t goods = 0;
    for (uint32_t k = 0; k < o->n_sku_orders; k++) {
        const struct mock_sku_order *so = line_at(w, o, k);
        if (so)
            goods += so->pay_amount;
    }
    int64_t main = order_main(w, o);
    dd_jw_object_begin(j);
    dd_jw_kint_str(j, "order_id", o->order_id);
    dd_jw_kint(j, "shop_id", s ? s->shop_id : 0);
    dd_jw_kstr(j, "shop_name", s ? s->name : "");
    dd_jw_kstr(j, "open_id", "");
    dd_jw_kstr(j, "doudian_open_id", "");
    dd_jw_kint(j, "order_level", 2);
    dd_jw_kint(j, "order_status", o->status);
    dd_jw_kstr(j, "order_status_desc", status_desc(o->status));
    dd_jw_kint(j, "main_status", main);
    dd_jw_kstr(j, "main_status_desc", status_desc(main));
    write_common(j, o);
    dd_jw_kstr(j, "buyer_words", o->buyer_words);
    dd_jw_kstr(j, "seller_words", o->seller_words);
    dd_jw_kint(j, "seller_remark_stars", 0);
    dd_jw_kint(j, "order_amount", goods + post);
    dd_jw_kint(j, "pay_amount", goods + post);
    dd_jw_kint(j, "post_amount", post);
    dd_jw_kint(j, "post_origin_amount", post);
    dd_jw_kint(j, "post_promotion_amount", 0);
    dd_jw_kint(j, "total_promotion_amount", 0);
    dd_jw_kint(j, "packing_amount", 0);
    dd_jw_kint(j, "ship_time", o->ship_time);
    dd_jw_kint(j, "appointment_ship_time", 0);
    dd_jw_kint(j, "accept_order_status", 0);
    dd_jw_key(j, "serial_number_list");
    dd_jw_array_begin(j);
    dd_jw_array_end(j);
    write_logistics(j, w, o);
    dd_jw_key(j, "sku_order_list");
    dd_jw_array_begin(j);
    for (uint32_t k = 0; k < o->n_sku_orders; k++) {
        const struct mock_sku_order *so = line_at(w, o, k);
        if (so)
            write_line(j, w, o, so);
    }
    dd_jw_array_end(j);
    dd_jw_object_end(j);
}

/* ============================================================ orderDetail */

void api_order_orderDetail(struct mock_call *c)
{
    static const struct mock_param_rule id_rule = {
        true, "isv.missing-parameter:20000", "isv.parameter-invalid:20001"};
    const struct mock_world *w = c->world;
    int64_t id = 0;
    if (blank(c, "shop_order_id")) {
        mock_call_fail(c, "isv.missing-parameter:20000",
                       "shop_order_id is required");
        return;
    }
    if (!mock_param_int(c, "shop_order_id", &id_rule, &id, NULL))
        return;
    if (id <= 0) {
        mock_call_fail(c, "isv.parameter-invalid:20001",
                       "shop_order_id must be a positive id");
        return;
    }
    uint32_t oi = mock_world_order(w, id);
    if (oi == MOCK_NONE) {
        mock_call_fail(c, "isv.parameter-invalid:20014", "no shop order %lld",
                       (long long)id);
        return;
    }
    if (w->orders.v[oi].shop != c->shop) {
        mock_call_fail(c, "isv.business-failed:20015",
                       "order %lld belongs to another shop", (long long)id);
        return;
    }
    dd_jw_object_begin(c->data);
    dd_jw_key(c->data, "shop_order_detail");
    write_order(c->data, w, oi);
    dd_jw_object_end(c->data);
}

/* ============================================================ searchList */

enum as_filter {
    AS_ANY,
    AS_IN,
    AS_REFUNDING,
    AS_REFUND_OK,
    AS_REFUND_FAIL,
    AS_EXCHANGE_OK,
    AS_CLOSED,
};

#define MAX_CODES 16

struct search {
    int64_t cts, cte, uts, ute; /* 0 = no bound */
    int64_t status[MAX_CODES];
    size_t n_status;
    int64_t main[MAX_CODES];
    size_t n_main;
    enum as_filter as;
    const char *tracking_no; /* NULL = any */
    const char *product;     /* NULL = any */
    bool product_is_id;
    int64_t product_id;
    bool match_none; /* a filter no order of the mock can meet */
};

/* Reads an optional time bound; 0 counts as absent. */
static bool time_param(struct mock_call *c, const char *name, int64_t *out)
{
    static const struct mock_param_rule opt = {false, NULL, NULL};
    int64_t v = 0;
    if (!mock_param_int(c, name, &opt, &v, NULL))
        return false;
    if (v < 0) {
        mock_call_fail(c, "isv.parameter-invalid", "%s must be >= 0", name);
        return false;
    }
    *out = v;
    return true;
}

/* Parses "2,3" (or a bare number) into codes. */
static bool codes(struct mock_call *c, const struct dd_json *obj,
                  const char *name, int64_t *out, size_t *n)
{
    const struct dd_json *v = dd_json_get(obj, name);
    *n = 0;
    if (dd_json_is_absent(v))
        return true;
    if (v->type == DD_JSON_NUMBER) {
        if (dd_json_int64(v, &out[0]) != 0)
            goto bad;
        *n = 1;
        return true;
    }
    if (v->type != DD_JSON_STRING)
        goto bad;
    const char *p = v->text, *end = v->text + v->len;
    while (p < end) {
        const char *q = memchr(p, ',', (size_t)(end - p));
        if (!q)
            q = end;
        const char *a = p, *b = q;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        if (a < b) {
            if (*n == MAX_CODES)
                goto bad;
            if (dd_parse_int64(a, (size_t)(b - a), &out[*n]) != 0)
                goto bad;
            (*n)++;
        }
        p = q + 1;
    }
    return true;
bad:
    mock_call_fail(c, "isv.parameter-invalid",
                   "combine_status.%s must be \",\"-separated status codes",
                   name);
    return false;
}

static bool read_combine(struct mock_call *c, struct search *s)
{
    const struct dd_json *v = dd_json_get(c->params, "combine_status");
    if (dd_json_is_absent(v))
        return true;
    const struct dd_json *el = v;
    if (v->type == DD_JSON_ARRAY) {
        if (v->n == 0)
            return true;
        if (v->n > 1) {
            mock_call_fail(c, "isv.parameter-invalid:20012",
                           "combine_status has %zu elements", v->n);
            return false;
        }
        el = &v->kids[0];
    }
    if (el->type != DD_JSON_OBJECT) {
        mock_call_fail(c, "isv.parameter-invalid",
                       "combine_status must be an array of objects");
        return false;
    }
    return codes(c, el, "order_status", s->status, &s->n_status) &&
           codes(c, el, "main_status", s->main, &s->n_main);
}

static bool read_as_filter(struct mock_call *c, struct search *s)
{
    static const struct mock_param_rule opt = {false, NULL, NULL};
    static const struct {
        const char *name;
        enum as_filter f;
    } names[] = {
        {"all", AS_ANY},
        {"in_aftersale", AS_IN},
        {"refund", AS_REFUNDING},
        {"refund_success", AS_REFUND_OK},
        {"refund_fail", AS_REFUND_FAIL},
        {"exchange_success", AS_EXCHANGE_OK},
        {"aftersale_close", AS_CLOSED},
    };
    const char *v = NULL;
    s->as = AS_ANY;
    if (!mock_param_str(c, "after_sale_status_desc", &opt, &v, NULL))
        return false;
    if (!v || !v[0])
        return true;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i].name, v) == 0) {
            s->as = names[i].f;
            return true;
        }
    }
    mock_call_fail(c, "isv.parameter-invalid",
                   "after_sale_status_desc: unknown value");
    return false;
}

/* The fields compared with constants of the mock's orders: a value other
 * than the one every order shows means nothing matches. 0 counts as absent
 * (the Go SDK omits zeros), so b_type 0 (站外) is not a filter. */
static bool read_fixed(struct mock_call *c, struct search *s)
{
    static const struct mock_param_rule opt = {false, NULL, NULL};
    static const struct {
        const char *name;
        int64_t shown; /* the value every order of the mock has */
    } fixed[] = {
        {"order_type", 0},     {"trade_type", 0}, {"presell_type", 0},
        {"abnormal_order", 0}, {"b_type", 2},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        int64_t v = 0;
        if (!mock_param_int(c, fixed[i].name, &opt, &v, NULL))
            return false;
        if (v != 0 && v != fixed[i].shown)
            s->match_none = true;
    }
    const char *ignored = NULL;
    bool searchable = false;
    return mock_param_str(c, "fulfil_status", &opt, &ignored, NULL) &&
           mock_param_bool(c, "is_searchable", &opt, &searchable, NULL);
}

static bool in_codes(const int64_t *v, size_t n, int64_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static bool line_as_match(const struct mock_world *w,
                          const struct mock_sku_order *so, enum as_filter f)
{
    const struct mock_aftersale *a = line_aftersale(w, so);
    if (!a)
        return false;
    switch (f) {
    case AS_IN:
        return !mock_aftersale_is_final(a);
    case AS_REFUNDING:
        return a->refund_status == MOCK_REFUND_RUNNING;
    case AS_REFUND_OK:
        return a->refund_status == MOCK_REFUND_DONE;
    case AS_REFUND_FAIL:
        return a->refund_status == MOCK_REFUND_FAILED;
    case AS_CLOSED:
        return mock_aftersale_is_final(a) && a->status != MOCK_AS_SUCCESS;
    case AS_EXCHANGE_OK: /* the mock has no exchanges */
    case AS_ANY:
    default:
        return false;
    }
}

static bool order_matches(const struct mock_world *w, const struct search *s,
                          const struct mock_order *o)
{
    if (s->cts && o->create_time < s->cts)
        return false;
    if (s->cte && o->create_time > s->cte)
        return false;
    if (s->uts && o->update_time < s->uts)
        return false;
    if (s->ute && o->update_time > s->ute)
        return false;
    if (s->n_status && !in_codes(s->status, s->n_status, o->status))
        return false;
    if (s->n_main && !in_codes(s->main, s->n_main, order_main(w, o)))
        return false;
    if (s->tracking_no &&
        (!o->tracking_no || strcmp(o->tracking_no, s->tracking_no) != 0))
        return false;
    if (s->as == AS_ANY && !s->product)
        return true;
    bool as_ok = s->as == AS_ANY, product_ok = !s->product;
    for (uint32_t k = 0; k < o->n_sku_orders; k++) {
        const struct mock_sku_order *so = line_at(w, o, k);
        if (!so)
            continue;
        if (!as_ok)
            as_ok = line_as_match(w, so, s->as);
        if (!product_ok) {
            const struct mock_product *p = sku_product(w, line_sku(w, so));
            if (p && s->product_is_id)
                product_ok = p->product_id == s->product_id;
            else if (p && p->name)
                product_ok = strstr(p->name, s->product) != NULL;
        }
    }
    return as_ok && product_ok;
}

struct hit {
    int64_t key;
    int64_t id;
    uint32_t idx;
};

static int hit_cmp(const void *pa, const void *pb)
{
    const struct hit *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return 0;
}

/* Reads every filter of §4.8. Returns false after failing the call. */
static bool read_search(struct mock_call *c, struct search *s, int64_t *page,
                        int64_t *size, bool *by_update, bool *asc)
{
    static const struct mock_param_rule req = {true, NULL, NULL};
    static const struct mock_param_rule opt = {false, NULL, NULL};
    const struct mock_world *w = c->world;
    memset(s, 0, sizeof *s);
    if (!mock_param_int(c, "page", &req, page, NULL) ||
        !mock_param_int(c, "size", &req, size, NULL))
        return false;
    if (*page < 0) {
        mock_call_fail(c, "isv.parameter-invalid:10035", "page %lld",
                       (long long)*page);
        return false;
    }
    if (*size > 100) {
        mock_call_fail(c, "isv.parameter-invalid:20008", "size %lld",
                       (long long)*size);
        return false;
    }
    if (*size < 1) {
        mock_call_fail(c, "isv.parameter-invalid", "size must be 1..100");
        return false;
    }
    if (*page > 50000 / *size) {
        mock_call_fail(c, "isv.parameter-invalid:20013",
                       "page*size must be <= 50000");
        return false;
    }
    if (!time_param(c, "create_time_start", &s->cts) ||
        !time_param(c, "create_time_end", &s->cte) ||
        !time_param(c, "update_time_start", &s->uts) ||
        !time_param(c, "update_time_end", &s->ute))
        return false;
    if (!s->cts && !s->uts) {
        mock_call_fail(c, "isv.parameter-invalid:20011",
                       "create_time_start or update_time_start is required");
        return false;
    }
    int64_t days = w->settings.search_window_days;
    int64_t oldest = c->now - (days > 0 ? days : 0) * 86400;
    if (s->cts && s->cts < oldest - w->settings.skew_seconds) {
        mock_call_fail(c, "isv.parameter-invalid:20022",
                       "create_time_start is before the last %lld days",
                       (long long)days);
        return false;
    }
    if (!s->cts)
        s->cts = oldest; /* the 20022 hint: defaults to 90 days ago */
    if (!read_combine(c, s) || !read_as_filter(c, s) || !read_fixed(c, s))
        return false;
    const char *v = NULL;
    if (!mock_param_str(c, "tracking_no", &opt, &v, NULL))
        return false;
    s->tracking_no = v && v[0] ? v : NULL;
    v = NULL;
    if (!mock_param_str(c, "product", &opt, &v, NULL))
        return false;
    if (v && v[0]) {
        s->product = v;
        s->product_is_id =
            dd_parse_int64(v, strlen(v), &s->product_id) == 0 && v[0] != '-';
    }
    v = NULL;
    if (!mock_param_str(c, "order_by", &opt, &v, NULL))
        return false;
    if (v && v[0] && strcmp(v, "create_time") != 0 &&
        strcmp(v, "update_time") != 0) {
        mock_call_fail(c, "isv.parameter-invalid",
                       "order_by must be create_time or update_time");
        return false;
    }
    *by_update = v && strcmp(v, "update_time") == 0;
    *asc = false;
    return mock_param_bool(c, "order_asc", &opt, asc, NULL);
}

void api_order_searchList(struct mock_call *c)
{
    const struct mock_world *w = c->world;
    struct search s;
    int64_t page = 0, size = 0;
    bool by_update = false, asc = false;
    if (!read_search(c, &s, &page, &size, &by_update, &asc))
        return;
    struct hit *hits = NULL;
    size_t n = 0;
    if (!s.match_none && w->orders.n > 0) {
        hits = malloc(w->orders.n * sizeof *hits);
        if (!hits) {
            fputs("ddmock: out of memory\n", stderr);
            abort();
        }
        for (uint32_t i = 0; i < w->orders.n; i++) {
            const struct mock_order *o = &w->orders.v[i];
            if (o->shop != c->shop || !order_matches(w, &s, o))
                continue;
            hits[n].key = by_update ? o->update_time : o->create_time;
            hits[n].id = o->order_id;
            hits[n].idx = i;
            n++;
        }
        qsort(hits, n, sizeof *hits, hit_cmp);
    }
    struct dd_jw *j = c->data;
    dd_jw_object_begin(j);
    dd_jw_kint(j, "page", page);
    dd_jw_kint(j, "size", size);
    dd_jw_kint(j, "total", (int64_t)n);
    dd_jw_key(j, "shop_order_list");
    dd_jw_array_begin(j);
    size_t first = (size_t)(page * size);
    for (size_t k = first; k < n && k < first + (size_t)size; k++)
        write_order(j, w, hits[asc ? k : n - 1 - k].idx);
    dd_jw_array_end(j);
    dd_jw_object_end(j);
    free(hits);
}

/* ============================================================ logisticsAdd */

/* The mock's rule for tracking numbers: 8 to 32 ASCII letters or digits. */
static bool tracking_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 8 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= 'a' && ch <= 'z')))
            return false;
    }
    return true;
}

/* The order-state gate of logisticsAdd: fails and returns false when the
 * order cannot ship at all. */
static bool can_ship(struct mock_call *c, const struct mock_order *o)
{
    const struct mock_world *w = c->world;
    uint32_t shipped = 0, refunded = 0, open = 0;
    for (uint32_t k = 0; k < o->n_sku_orders; k++) {
        const struct mock_sku_order *so = line_at(w, o, k);
        if (!so)
            continue;
        if (so->status == MOCK_SKU_SHIPPED || so->status == MOCK_SKU_DONE)
            shipped++;
        else if (so->status == MOCK_SKU_UNSHIPPED)
            open++;
        else if (so->status == MOCK_SKU_CANCELLED && refund_main(w, so) == 21)
            refunded++;
    }
    if (o->status == MOCK_ORDER_DONE) {
        mock_call_fail(c, "isv.business-failed:60113", "order is finished");
        return false;
    }
    if (open == 0) {
        if (shipped)
            mock_call_fail(c, "isv.business-failed:60110",
                           "nothing left to ship: already shipped");
        else if (refunded)
            mock_call_fail(c, "isv.business-failed:60068",
                           "every line was refunded before shipping");
        else
            mock_call_fail(c, "isv.business-failed:60021",
                           "order is cancelled");
        return false;
    }
    if (o->status == MOCK_ORDER_CANCELLED) {
        mock_call_fail(c, "isv.business-failed:60021", "order is cancelled");
        return false;
    }
    if (o->status == MOCK_ORDER_PARTLY_SHIPPED || shipped) {
        mock_call_fail(c, "isv.business-failed:60110",
                       "order is partly shipped: whole-order shipping only");
        return false;
    }
    return true;
}

void api_order_logisticsAdd(struct mock_call *c)
{
    static const struct mock_param_rule id_rule = {
        true, "isv.parameter-invalid:50049", "isv.parameter-invalid:50049"};
    static const struct mock_param_rule company_rule = {
        true, "isv.missing-parameter:60011", "isv.business-failed:60018"};
    static const struct mock_param_rule tracking_rule = {
        true, "isv.business-failed:60017", "isv.business-failed:60017"};
    static const struct mock_param_rule opt = {false, NULL, NULL};
    struct mock_world *w = c->world;
    int64_t id = 0;
    const char *company = NULL, *tracking = NULL, *name = NULL;
    bool flag1 = false, flag2 = false;
    if (!mock_param_int(c, "order_id", &id_rule, &id, NULL))
        return;
    if (id <= 0) {
        mock_call_fail(c, "isv.parameter-invalid:50049",
                       "order_id must be a positive id");
        return;
    }
    if (!mock_param_str(c, "company_code", &company_rule, &company, NULL))
        return;
    if (!mock_company_find(company)) {
        mock_call_fail(c, "isv.business-failed:60018",
                       "company_code not in order.logisticsCompanyList");
        return;
    }
    if (!mock_param_str(c, "logistics_code", &tracking_rule, &tracking, NULL))
        return;
    if (!tracking_ok(tracking)) {
        mock_call_fail(c, "isv.business-failed:60017",
                       "tracking number must be 8-32 letters or digits");
        return;
    }
    if (!mock_param_str(c, "company", &opt, &name, NULL) ||
        !mock_param_bool(c, "is_refund_reject", &opt, &flag1, NULL) ||
        !mock_param_bool(c, "is_reject_refund", &opt, &flag2, NULL))
        return;
    uint32_t oi = mock_world_order(w, id);
    if (oi == MOCK_NONE) {
        mock_call_fail(c, "isv.business-failed:60033", "no shop order %lld",
                       (long long)id);
        return;
    }
    if (w->orders.v[oi].shop != c->shop) {
        mock_call_fail(c, "isv.business-failed:60101",
                       "order %lld belongs to another shop", (long long)id);
        return;
    }
    if (!can_ship(c, &w->orders.v[oi]))
        return;
    /* Open pre-shipment refunds on the lines to ship: refused by shipping
     * with a flag, else the whole call fails. Checked before any change. */
    struct mock_order *o = &w->orders.v[oi];
    uint32_t pending = 0;
    for (uint32_t k = 0; k < o->n_sku_orders; k++) {
        uint32_t si = o->first_sku_order + k;
        if (si < w->sku_orders.n &&
            w->sku_orders.v[si].status == MOCK_SKU_UNSHIPPED &&
            mock_sku_order_open_refund(w, si) != MOCK_NONE)
            pending++;
    }
    if (pending && !flag1 && !flag2) {
        mock_call_fail(c, "isv.business-failed:60040",
                       "%u line(s) have an open pre-shipment refund; pass "
                       "is_refund_reject to refuse and ship",
                       (unsigned)pending);
        return;
    }
    for (uint32_t k = 0; k < o->n_sku_orders; k++) {
        uint32_t si = o->first_sku_order + k;
        if (si >= w->sku_orders.n ||
            w->sku_orders.v[si].status != MOCK_SKU_UNSHIPPED)
            continue;
        uint32_t as = mock_sku_order_open_refund(w, si);
        if (as != MOCK_NONE)
            mock_aftersale_set_status(w, as, MOCK_AS_SELLER_REFUSED, c->now,
                                      MOCK_ROLE_SELLER, "refuse_by_ship",
                                      "商家发货，拒绝售前退款");
        w->sku_orders.v[si].status = MOCK_SKU_SHIPPED;
        w->sku_orders.v[si].ship_time = c->now;
    }
    o = &w->orders.v[oi];
    free(o->company_code);
    free(o->tracking_no);
    o->company_code = dupstr(company);
    o->tracking_no = dupstr(tracking);
    o->ship_time = c->now;
    mock_order_refresh(w, oi, c->now);
    if (pending)
        snprintf(c->note, sizeof c->note,
                 "shipped; %u pre-shipment refund(s) refused",
                 (unsigned)pending);
    dd_jw_object_begin(c->data);
    dd_jw_object_end(c->data);
}

/* ============================================== logisticsCompanyList */

void api_order_logisticsCompanyList(struct mock_call *c)
{
    struct dd_jw *j = c->data;
    dd_jw_array_begin(j);
    for (const struct mock_company *k = mock_companies; k->code; k++) {
        dd_jw_object_begin(j);
        dd_jw_kint(j, "id", k->id);
        dd_jw_kstr(j, "name", k->name);
        dd_jw_kstr(j, "code", k->code);
        dd_jw_object_end(j);
    }
    dd_jw_array_end(j);
}
