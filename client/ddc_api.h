/*
 * ddc_api.h: typed calls for every API that ddmock serves, with their
 * answers parsed into structs (doudian-open-api.md §2, §4;
 * doudian-shipping-and-operations.md §1.1, §1.6).
 *
 * Ids are int64 everywhere in these structs, whatever their type on the
 * wire (the platform sends after-sale ids as strings in afterSale.List and
 * as numbers in afterSale.Detail, §7.6); requests write each id the way
 * its API documents it (string or number). Amounts are fen, times Unix
 * seconds, except where a field says otherwise.
 *
 * Ownership (cJSON's words): every answer struct is caller-allocated and
 * filled by the call; it owns every string and array in it (strings are
 * never NULL, "" when absent) and is released with its _free function,
 * which also leaves it zeroed, so freeing twice is safe. On failure the
 * struct is left zeroed. Request structs are borrowed, never kept.
 *
 * Every call returns what ddc_client_call returns, plus DDC_E_PROTOCOL
 * when a success answer lacks a field the client relies on (named in
 * st->detail). Parsing rules: ddc_read.h. The ddc_parse_* functions read
 * an answer's `data` without any network, for tests and fuzzing.
 */
#ifndef DDC_API_H
#define DDC_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_buf.h"
#include "dd_json.h"
#include "ddc_client.h"

/* "No filter" for integer request fields where 0 is a real value. */
#define DDC_ANY (-1)

/* ============================================================ after-sales */

/* afterSale.List request (§4.1). Fields left at their ddc_..._init value
 * are not sent. */
struct ddc_aftersale_list_req {
    int64_t page;           /* from 0 */
    int64_t size;           /* 1..100 */
    int64_t order_id;       /* shop order id, 0 = any */
    int64_t aftersale_id;   /* 0 = any */
    int64_t aftersale_type; /* DDC_ANY, or 0 return, 1, 2, 3, ... */
    int64_t standard_aftersale_status[16];
    size_t n_status;                            /* 0 = any status */
    int64_t start_time, end_time;               /* apply time, 0 = none */
    int64_t update_start_time, update_end_time; /* 0 = none */
    const char *order_by[3]; /* e.g. "update_time asc"; NULL ends */
};

/* Page 0, size 100, no filter, no order. */
void ddc_aftersale_list_req_init(struct ddc_aftersale_list_req *r);

/* Writes the request's param_json into `out`. Returns 0 or DD_E_TOO_LARGE. */
int ddc_aftersale_list_json(const struct ddc_aftersale_list_req *r,
                            struct dd_buf *out);

/* One SKU line of an after-sale (List `related_order_info[]`). */
struct ddc_aftersale_line {
    int64_t sku_order_id;
    int64_t order_status; /* 2 unshipped, 3 shipped, 5 received/done */
    int64_t product_id;
    int64_t item_num;
    int64_t pay_amount;
    int64_t post_amount;
    int64_t price;
    int64_t aftersale_item_num;
    int64_t aftersale_pay_amount;
    int64_t aftersale_post_amount;
    char *product_name;
    char *shop_sku_code;
    char *logistics_code; /* forward tracking number */
};

/* One afterSale.List item (`aftersale_info` + `order_info`). */
struct ddc_aftersale {
    int64_t aftersale_id;
    int64_t aftersale_type;   /* 0 return, 1 shipped refund, 2 unshipped */
    int64_t aftersale_status; /* 6, 7, 11, 12, 27, 28, 29, ... (§4.9) */
    int64_t refund_status;    /* 1 pending, 2 refunding, 3 done, 4 failed */
    int64_t refund_type; /* 退款方式: 1 极速退款助手, 2 售后小助手, ... */
    int64_t related_id; /* the SKU order */
    int64_t shop_order_id;
    int64_t apply_time, update_time, create_time;
    int64_t status_deadline;
    int64_t aftersale_status_to_final_time; /* != 0: can no longer act */
    int64_t refund_amount, refund_post_amount;
    int64_t aftersale_num;
    int64_t got_pkg;
    int64_t arbitrate_status;
    uint64_t auto_audit_bits; /* bit n set for value n (1..63) */
    char *return_logistics_code;
    char *return_logistics_company_name;
    char *remark;
    char *aftersale_status_text;
    char *aftersale_type_text;
    char *reason_text;
    struct ddc_aftersale_line *lines;
    size_t n_lines;
};

/* afterSale.List answer. */
struct ddc_aftersale_page {
    struct ddc_aftersale *items;
    size_t n;
    bool has_more;
    int64_t total, page, size;
};

int ddc_aftersale_list(struct ddc_client *c,
                       const struct ddc_aftersale_list_req *r,
                       struct ddc_aftersale_page *out, struct ddc_status *st);
int ddc_parse_aftersale_page(const struct dd_json *data,
                             struct ddc_aftersale_page *out, char *err,
                             size_t errlen);
void ddc_aftersale_free(struct ddc_aftersale *a);
void ddc_aftersale_page_free(struct ddc_aftersale_page *p);

/* A record of an after-sale's history (Detail `record_logs_list[]`). */
struct ddc_aftersale_record {
    char *operator_name; /* 买家, 商家, 平台客服, 系统 */
    char *time;          /* "yyyy-MM-dd HH:mm:ss" as sent */
    char *text;
    char *action;
    int64_t role; /* 1 buyer, 2 seller, 3 service, 4 system */
};

/* An SKU line of afterSale.Detail (`order_info.sku_order_infos[]`). */
struct ddc_detail_line {
    int64_t sku_order_id;
    int64_t order_status;
    int64_t product_id;
    int64_t sku_id;
    int64_t item_quantity;
    int64_t after_sale_item_count;
    int64_t pay_amount;
    int64_t post_amount;
    char *product_name;
    char *shop_sku_code;
};

/* afterSale.Detail answer (§4.2), the fields an ERP decides on. */
struct ddc_aftersale_detail {
    int64_t after_sale_id;
    int64_t after_sale_status;
    int64_t after_sale_type;
    int64_t refund_status;
    int64_t refund_type;
    int64_t refund_total_amount, refund_post_amount, real_refund_amount;
    int64_t apply_time, update_time, refund_time;
    int64_t status_deadline;
    int64_t aftersale_status_to_final_time;
    int64_t got_pkg;
    int64_t reason_code;
    int64_t after_sale_apply_count, need_return_count;
    int64_t return_method;
    uint64_t auto_audit_bits;
    char *after_sale_status_desc;
    char *reason;
    char *reason_remark;
    /* The buyer's return parcel (`logistics_info.return`), "" when none. */
    char *return_tracking_no;
    char *return_company_code;
    char *return_company_name;
    int64_t return_logistics_time;
    int64_t shop_order_id;
    struct ddc_detail_line *lines;
    size_t n_lines;
    struct ddc_aftersale_record *records; /* oldest first, as sent */
    size_t n_records;
};

/* afterSale.Detail for `after_sale_id`, with the operation records when
 * `with_records`. */
int ddc_aftersale_detail(struct ddc_client *c, int64_t after_sale_id,
                         bool with_records, struct ddc_aftersale_detail *out,
                         struct ddc_status *st);
int ddc_parse_aftersale_detail(const struct dd_json *data,
                               struct ddc_aftersale_detail *out, char *err,
                               size_t errlen);
void ddc_aftersale_detail_free(struct ddc_aftersale_detail *d);

/* One piece of evidence of afterSale.operate (`items[].evidence[]`). */
struct ddc_evidence {
    int64_t type; /* 1 image, 4 text */
    const char *url;
    const char *desc; /* NULL = not sent */
};

/* One item of afterSale.operate (§4.5). Optional fields: 0 / NULL = not
 * sent. */
struct ddc_operate_item {
    int64_t aftersale_id;
    const char *reason;
    const char *remark;
    int64_t reject_reason_code;
    int64_t update_time;         /* the optimistic version check */
    int64_t receiver_address_id; /* logistics for 101/301 */
    const char *company_code;    /* logistics for 311 */
    const char *logistics_code;  /* logistics for 311 */
    const struct ddc_evidence *evidence;
    size_t n_evidence;
};

struct ddc_operate_req {
    int64_t type; /* 101, 102, 111, 112, 201, 202, 401, ... */
    const struct ddc_operate_item *items;
    size_t n_items;   /* 1..20, all or nothing */
    int64_t store_id; /* 0 = not sent */
};

int ddc_operate_json(const struct ddc_operate_req *r, struct dd_buf *out);

/* afterSale.operate answer: one result per item. */
struct ddc_operate_result_item {
    int64_t aftersale_id;
    int64_t status_code;
    char *status_msg;
};
struct ddc_operate_result {
    struct ddc_operate_result_item *items;
    size_t n;
};

int ddc_aftersale_operate(struct ddc_client *c, const struct ddc_operate_req *r,
                          struct ddc_operate_result *out,
                          struct ddc_status *st);
int ddc_parse_operate_result(const struct dd_json *data,
                             struct ddc_operate_result *out, char *err,
                             size_t errlen);
void ddc_operate_result_free(struct ddc_operate_result *r);

/* afterSale.CancelSendGoodsSuccess (§4.3): the ERP cancelled the outbound
 * of an unshipped refund; `op_time` in Unix seconds (0 = now). Data is
 * empty. */
int ddc_aftersale_cancel_send_goods_success(struct ddc_client *c,
                                            int64_t aftersale_id,
                                            int64_t op_time,
                                            struct ddc_status *st);

/* afterSale.returnGoodsToWareHouseSuccess (§4.4): the returned parcel
 * arrived and passed inspection; `op_time` 0 = now; `tracking_no` and
 * `logistics_company_code` may be NULL (not sent). */
int ddc_aftersale_return_goods_to_warehouse_success(
    struct ddc_client *c, int64_t aftersale_id, int64_t op_time,
    const char *tracking_no, const char *logistics_company_code,
    struct ddc_status *st);

/* One reason of afterSale.rejectReasonCodeList (§4.6). */
struct ddc_reject_reason {
    int64_t reject_reason_code;
    char *reason;
    char *evidence_description;
    bool evidence_need; /* "Y" */
    char *image;
    int64_t order_type;
    int64_t pkg; /* 0 not received, 1 received, -1 either */
};
struct ddc_reject_reasons {
    struct ddc_reject_reason *items;
    size_t n;
};

/* The whole list (aftersale_id 0) or the reasons for one after-sale. */
int ddc_aftersale_reject_reason_code_list(struct ddc_client *c,
                                          int64_t aftersale_id,
                                          struct ddc_reject_reasons *out,
                                          struct ddc_status *st);
int ddc_parse_reject_reasons(const struct dd_json *data,
                             struct ddc_reject_reasons *out, char *err,
                             size_t errlen);
void ddc_reject_reasons_free(struct ddc_reject_reasons *r);

/* afterSale.addOrderRemark (§4.6): a seller remark on an after-sale
 * (after_sale_id != 0, which wins) or on an order. */
int ddc_aftersale_add_order_remark(struct ddc_client *c, int64_t order_id,
                                   int64_t after_sale_id, const char *remark,
                                   struct ddc_status *st);

/* ================================================================ orders */

/* One SKU order of an order (`sku_order_list[]`, §4.7). */
struct ddc_order_line {
    int64_t sku_order_id;
    int64_t parent_order_id;
    int64_t order_status;
    int64_t main_status;
    int64_t product_id;
    int64_t sku_id;
    int64_t item_num;
    int64_t pay_amount;
    int64_t post_amount;
    int64_t ship_time;
    int64_t after_sale_status; /* of the line's latest after-sale, 0 none */
    int64_t after_sale_type;
    int64_t refund_status;
    char *product_name;
    char *code; /* 商家编码 */
    char *out_sku_id;
};

/* One parcel (`logistics_info[]`). */
struct ddc_parcel {
    char *tracking_no;
    char *company; /* the company code */
    char *company_name;
    int64_t ship_time;
    int64_t *sku_order_ids; /* `product_info[].sku_order_id` */
    size_t n_sku_order_ids;
};

/* A shop order (orderDetail `shop_order_detail`, searchList item). */
struct ddc_order {
    int64_t order_id;
    int64_t shop_id;
    int64_t order_status; /* 1, 105, 2 备货中, 101, 3 已发货, 4, 5 */
    int64_t main_status;
    int64_t pay_type;
    int64_t create_time, pay_time, update_time, finish_time;
    int64_t exp_ship_time, ship_time;
    int64_t order_amount, pay_amount, post_amount;
    char *order_status_desc;
    char *buyer_words;
    char *seller_words;
    struct ddc_order_line *lines;
    size_t n_lines;
    struct ddc_parcel *parcels;
    size_t n_parcels;
};

int ddc_order_detail(struct ddc_client *c, int64_t shop_order_id,
                     struct ddc_order *out, struct ddc_status *st);
int ddc_parse_order_detail(const struct dd_json *data, struct ddc_order *out,
                           char *err, size_t errlen);
void ddc_order_free(struct ddc_order *o);

/* order.searchList request (§4.8). Fields left at their init value are
 * not sent; one of create_time_start / update_time_start is required by
 * the platform. */
struct ddc_order_search_req {
    int64_t page, size;                         /* page from 0, size 1..100 */
    int64_t create_time_start, create_time_end; /* 0 = none */
    int64_t update_time_start, update_time_end; /* 0 = none */
    const char *order_status;           /* combine_status[0].order_status,
                                           e.g. "2" or "2,101"; NULL = any */
    const char *after_sale_status_desc; /* "in_aftersale", ...; NULL */
    const char *tracking_no;            /* NULL = any */
    const char *order_by;               /* "create_time" / "update_time" */
    int order_asc;                      /* DDC_ANY (not sent), 0, 1 */
};

void ddc_order_search_req_init(struct ddc_order_search_req *r);
int ddc_order_search_json(const struct ddc_order_search_req *r,
                          struct dd_buf *out);

struct ddc_order_page {
    struct ddc_order *orders;
    size_t n;
    int64_t total, page, size;
};

int ddc_order_search_list(struct ddc_client *c,
                          const struct ddc_order_search_req *r,
                          struct ddc_order_page *out, struct ddc_status *st);
int ddc_parse_order_page(const struct dd_json *data, struct ddc_order_page *out,
                         char *err, size_t errlen);
void ddc_order_page_free(struct ddc_order_page *p);

/* order.logisticsAdd request (shipping §1.1): ship a whole order. */
struct ddc_logistics_add_req {
    int64_t order_id;
    const char *company_code;   /* from order.logisticsCompanyList */
    const char *logistics_code; /* the tracking number */
    const char *company;        /* company name, NULL = not sent */
    bool is_refund_reject;      /* ship although a pre-shipment refund is
                                   open: this refuses the refund */
};

int ddc_order_logistics_add(struct ddc_client *c,
                            const struct ddc_logistics_add_req *r,
                            struct ddc_status *st);

/* One company of order.logisticsCompanyList (shipping §1.6). */
struct ddc_company {
    int64_t id;
    char *name;
    char *code;
};
struct ddc_companies {
    struct ddc_company *items;
    size_t n;
};

int ddc_order_logistics_company_list(struct ddc_client *c,
                                     struct ddc_companies *out,
                                     struct ddc_status *st);
int ddc_parse_companies(const struct dd_json *data, struct ddc_companies *out,
                        char *err, size_t errlen);
void ddc_companies_free(struct ddc_companies *c);

#endif
