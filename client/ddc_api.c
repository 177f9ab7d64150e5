/*
 * ddc_api.c: the typed calls of ddc_api.h: each builds its API's
 * param_json with proto/dd_jw.h, sends it through ddc_client_call and
 * reads the answer's `data` with the readers of ddc_read.h.
 *
 * Request id types follow the API tables of doudian-open-api.md §4 (the
 * after-sale id is a string in List, Detail, operate and the write-backs,
 * a number in rejectReasonCodeList; order ids are strings), so the same
 * bytes would go out from the official Go SDK.
 */
#include "ddc_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dd_err.h"
#include "dd_jw.h"
#include "ddc_read.h"

/* ================================================================ helpers */

/* Sends `method` with the param_json in `pj` (freed here) and, on success,
 * runs `parse` on the answer's data (NULL: the data is not read). */
typedef int (*parse_fn)(const struct dd_json *data, void *out, char *err,
                        size_t errlen);

static int call_parsed(struct ddc_client *c, const char *method,
                       struct dd_buf *pj, int build_err, parse_fn parse,
                       void *out, struct ddc_status *st)
{
    if (build_err) {
        dd_buf_free(pj);
        ddc_status_clear(st);
        ddc_status_detail(st, "%s: the request is too large", method);
        return build_err;
    }
    struct dd_envelope env;
    int rc = ddc_client_call(c, method, dd_buf_str(pj), &env, st);
    dd_buf_free(pj);
    if (rc == 0 && parse) {
        char err[200] = "";
        rc = parse(env.data, out, err, sizeof err);
        if (rc)
            ddc_status_detail(st, "%s: %s", method, err);
    }
    dd_envelope_free(&env);
    return rc;
}

/* Ends a parse: on a reader error copies where it failed into `err`. */
static int finish(const struct ddc_reader *r, char *err, size_t errlen)
{
    if (r->err)
        snprintf(err, errlen, "%s", r->where);
    return r->err;
}

/* The values of an int array member as a bit mask (values 1..63). */
static uint64_t read_bits(const struct dd_json *obj, const char *key)
{
    const struct dd_json *a = dd_json_get(obj, key);
    uint64_t bits = 0;
    if (!a || a->type != DD_JSON_ARRAY)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        int64_t v;
        if (dd_json_int64(&a->kids[i], &v) == 0 && v >= 1 && v <= 63)
            bits |= (uint64_t)1 << v;
    }
    return bits;
}

/* Starts a param_json object in `pj`. */
static void begin(struct dd_buf *pj, struct dd_jw *w)
{
    dd_buf_init(pj, 0);
    dd_jw_init(w, pj);
    dd_jw_object_begin(w);
}

static int end(struct dd_jw *w)
{
    dd_jw_object_end(w);
    return dd_jw_error(w);
}

static int64_t now_or(int64_t t)
{
    return t > 0 ? t : (int64_t)time(NULL);
}

/* ============================================================ after-sales */

void ddc_aftersale_list_req_init(struct ddc_aftersale_list_req *r)
{
    memset(r, 0, sizeof *r);
    r->size = 100;
    r->aftersale_type = DDC_ANY;
}

int ddc_aftersale_list_json(const struct ddc_aftersale_list_req *r,
                            struct dd_buf *out)
{
    struct dd_jw w;
    dd_jw_init(&w, out);
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "page", r->page);
    dd_jw_kint(&w, "size", r->size);
    if (r->order_id)
        dd_jw_kint_str(&w, "order_id", r->order_id);
    if (r->aftersale_id)
        dd_jw_kint_str(&w, "aftersale_id", r->aftersale_id);
    if (r->aftersale_type != DDC_ANY)
        dd_jw_kint(&w, "aftersale_type", r->aftersale_type);
    if (r->n_status) {
        dd_jw_key(&w, "standard_aftersale_status");
        dd_jw_array_begin(&w);
        for (size_t i = 0; i < r->n_status && i < 16; i++)
            dd_jw_int(&w, r->standard_aftersale_status[i]);
        dd_jw_array_end(&w);
    }
    if (r->start_time)
        dd_jw_kint(&w, "start_time", r->start_time);
    if (r->end_time)
        dd_jw_kint(&w, "end_time", r->end_time);
    if (r->update_start_time)
        dd_jw_kint(&w, "update_start_time", r->update_start_time);
    if (r->update_end_time)
        dd_jw_kint(&w, "update_end_time", r->update_end_time);
    if (r->order_by[0]) {
        dd_jw_key(&w, "order_by");
        dd_jw_array_begin(&w);
        for (size_t i = 0; i < 3 && r->order_by[i]; i++)
            dd_jw_str(&w, r->order_by[i]);
        dd_jw_array_end(&w);
    }
    dd_jw_object_end(&w);
    return dd_jw_error(&w);
}

static void line_free(struct ddc_aftersale_line *l)
{
    free(l->product_name);
    free(l->shop_sku_code);
    free(l->logistics_code);
}

void ddc_aftersale_free(struct ddc_aftersale *a)
{
    free(a->return_logistics_code);
    free(a->return_logistics_company_name);
    free(a->remark);
    free(a->aftersale_status_text);
    free(a->aftersale_type_text);
    free(a->reason_text);
    for (size_t i = 0; i < a->n_lines; i++)
        line_free(&a->lines[i]);
    free(a->lines);
    memset(a, 0, sizeof *a);
}

void ddc_aftersale_page_free(struct ddc_aftersale_page *p)
{
    for (size_t i = 0; i < p->n; i++)
        ddc_aftersale_free(&p->items[i]);
    free(p->items);
    memset(p, 0, sizeof *p);
}

static void read_aftersale_line(struct ddc_reader *r, const struct dd_json *o,
                                struct ddc_aftersale_line *l)
{
    l->sku_order_id = ddc_rd_i64(r, o, "sku_order_id", true);
    l->order_status = ddc_rd_i64(r, o, "order_status", false);
    l->product_id = ddc_rd_i64(r, o, "product_id", false);
    l->item_num = ddc_rd_i64(r, o, "item_num", false);
    l->pay_amount = ddc_rd_i64(r, o, "pay_amount", false);
    l->post_amount = ddc_rd_i64(r, o, "post_amount", false);
    l->price = ddc_rd_i64(r, o, "price", false);
    l->aftersale_item_num = ddc_rd_i64(r, o, "aftersale_item_num", false);
    l->aftersale_pay_amount = ddc_rd_i64(r, o, "aftersale_pay_amount", false);
    l->aftersale_post_amount = ddc_rd_i64(r, o, "aftersale_post_amount", false);
    l->product_name = ddc_rd_str(r, o, "product_name", false);
    l->shop_sku_code = ddc_rd_str(r, o, "shop_sku_code", false);
    l->logistics_code = ddc_rd_str(r, o, "logistics_code", false);
}

static void read_aftersale(struct ddc_reader *r, const struct dd_json *item,
                           struct ddc_aftersale *a)
{
    const struct dd_json *ai = ddc_rd_object(r, item, "aftersale_info", true);
    a->aftersale_id = ddc_rd_i64(r, ai, "aftersale_id", true);
    a->aftersale_type = ddc_rd_i64(r, ai, "aftersale_type", true);
    a->aftersale_status = ddc_rd_i64(r, ai, "aftersale_status", true);
    a->refund_status = ddc_rd_i64(r, ai, "refund_status", false);
    a->refund_type = ddc_rd_i64(r, ai, "refund_type", false);
    a->related_id = ddc_rd_i64(r, ai, "related_id", false);
    a->apply_time = ddc_rd_i64(r, ai, "apply_time", false);
    a->update_time = ddc_rd_i64(r, ai, "update_time", false);
    a->create_time = ddc_rd_i64(r, ai, "create_time", false);
    a->status_deadline = ddc_rd_i64(r, ai, "status_deadline", false);
    a->aftersale_status_to_final_time =
        ddc_rd_i64(r, ai, "aftersale_status_to_final_time", false);
    a->refund_amount = ddc_rd_i64(r, ai, "refund_amount", false);
    a->refund_post_amount = ddc_rd_i64(r, ai, "refund_post_amount", false);
    a->aftersale_num = ddc_rd_i64(r, ai, "aftersale_num", false);
    a->got_pkg = ddc_rd_i64(r, ai, "got_pkg", false);
    a->arbitrate_status = ddc_rd_i64(r, ai, "arbitrate_status", false);
    a->auto_audit_bits = read_bits(ai, "auto_audit_bits");
    a->return_logistics_code =
        ddc_rd_str(r, ai, "return_logistics_code", false);
    a->return_logistics_company_name =
        ddc_rd_str(r, ai, "return_logistics_company_name", false);
    a->remark = ddc_rd_str(r, ai, "remark", false);

    const struct dd_json *tp = ddc_rd_object(r, item, "text_part", false);
    a->aftersale_status_text =
        ddc_rd_str(r, tp, "aftersale_status_text", false);
    a->aftersale_type_text = ddc_rd_str(r, tp, "aftersale_type_text", false);
    a->reason_text = ddc_rd_str(r, tp, "reason_text", false);

    const struct dd_json *oi = ddc_rd_object(r, item, "order_info", false);
    a->shop_order_id = ddc_rd_i64(r, oi, "shop_order_id", false);
    const struct dd_json *lines =
        ddc_rd_array(r, oi, "related_order_info", false);
    size_t n = lines ? lines->n : 0;
    a->lines = ddc_calloc(n, sizeof *a->lines);
    a->n_lines = n;
    for (size_t i = 0; i < n; i++)
        read_aftersale_line(r, &lines->kids[i], &a->lines[i]);
}

int ddc_parse_aftersale_page(const struct dd_json *data,
                             struct ddc_aftersale_page *out, char *err,
                             size_t errlen)
{
    struct ddc_reader r;
    ddc_reader_init(&r);
    memset(out, 0, sizeof *out);
    const struct dd_json *items = ddc_rd_array(&r, data, "items", true);
    size_t n = items ? items->n : 0;
    out->items = ddc_calloc(n, sizeof *out->items);
    out->n = n;
    for (size_t i = 0; i < n && !r.err; i++)
        read_aftersale(&r, &items->kids[i], &out->items[i]);
    out->has_more = ddc_rd_bool(data, "has_more");
    out->total = ddc_rd_i64(&r, data, "total", false);
    out->page = ddc_rd_i64(&r, data, "page", false);
    out->size = ddc_rd_i64(&r, data, "size", false);
    if (r.err)
        ddc_aftersale_page_free(out);
    return finish(&r, err, errlen);
}

static int parse_page_cb(const struct dd_json *d, void *o, char *e, size_t n)
{
    return ddc_parse_aftersale_page(d, o, e, n);
}

int ddc_aftersale_list(struct ddc_client *c,
                       const struct ddc_aftersale_list_req *r,
                       struct ddc_aftersale_page *out, struct ddc_status *st)
{
    memset(out, 0, sizeof *out);
    struct dd_buf pj;
    dd_buf_init(&pj, 0);
    int berr = ddc_aftersale_list_json(r, &pj);
    return call_parsed(c, "afterSale.List", &pj, berr, parse_page_cb, out, st);
}

void ddc_aftersale_detail_free(struct ddc_aftersale_detail *d)
{
    free(d->after_sale_status_desc);
    free(d->reason);
    free(d->reason_remark);
    free(d->return_tracking_no);
    free(d->return_company_code);
    free(d->return_company_name);
    for (size_t i = 0; i < d->n_lines; i++) {
        free(d->lines[i].product_name);
        free(d->lines[i].shop_sku_code);
    }
    free(d->lines);
    for (size_t i = 0; i < d->n_records; i++) {
        free(d->records[i].operator_name);
        free(d->records[i].time);
        free(d->records[i].text);
        free(d->records[i].action);
    }
    free(d->records);
    memset(d, 0, sizeof *d);
}

int ddc_parse_aftersale_detail(const struct dd_json *data,
                               struct ddc_aftersale_detail *d, char *err,
                               size_t errlen)
{
    struct ddc_reader r;
    ddc_reader_init(&r);
    memset(d, 0, sizeof *d);
    const struct dd_json *pi = ddc_rd_object(&r, data, "process_info", true);
    const struct dd_json *ai = ddc_rd_object(&r, pi, "after_sale_info", true);
    d->after_sale_id = ddc_rd_i64(&r, ai, "after_sale_id", true);
    d->after_sale_status = ddc_rd_i64(&r, ai, "after_sale_status", true);
    d->after_sale_type = ddc_rd_i64(&r, ai, "after_sale_type", true);
    d->refund_status = ddc_rd_i64(&r, ai, "refund_status", false);
    d->refund_type = ddc_rd_i64(&r, ai, "refund_type", false);
    d->refund_total_amount = ddc_rd_i64(&r, ai, "refund_total_amount", false);
    d->refund_post_amount = ddc_rd_i64(&r, ai, "refund_post_amount", false);
    d->real_refund_amount = ddc_rd_i64(&r, ai, "real_refund_amount", false);
    d->apply_time = ddc_rd_i64(&r, ai, "apply_time", false);
    d->update_time = ddc_rd_i64(&r, ai, "update_time", false);
    d->refund_time = ddc_rd_i64(&r, ai, "refund_time", false);
    d->status_deadline = ddc_rd_i64(&r, ai, "status_deadline", false);
    d->aftersale_status_to_final_time =
        ddc_rd_i64(&r, ai, "aftersale_status_to_final_time", false);
    d->got_pkg = ddc_rd_i64(&r, ai, "got_pkg", false);
    d->reason_code = ddc_rd_i64(&r, ai, "reason_code", false);
    d->after_sale_apply_count =
        ddc_rd_i64(&r, ai, "after_sale_apply_count", false);
    d->need_return_count = ddc_rd_i64(&r, ai, "need_return_count", false);
    d->return_method = ddc_rd_i64(&r, ai, "return_method", false);
    d->auto_audit_bits = read_bits(ai, "auto_audit_bits");
    d->after_sale_status_desc =
        ddc_rd_str(&r, ai, "after_sale_status_desc", false);
    d->reason = ddc_rd_str(&r, ai, "reason", false);
    d->reason_remark = ddc_rd_str(&r, ai, "reason_remark", false);

    const struct dd_json *li = ddc_rd_object(&r, pi, "logistics_info", false);
    const struct dd_json *ret = ddc_rd_object(&r, li, "return", false);
    d->return_tracking_no = ddc_rd_str(&r, ret, "tracking_no", false);
    d->return_company_code = ddc_rd_str(&r, ret, "company_code", false);
    d->return_company_name = ddc_rd_str(&r, ret, "company_name", false);
    d->return_logistics_time = ddc_rd_i64(&r, ret, "logistics_time", false);

    const struct dd_json *recs =
        ddc_rd_array(&r, pi, "record_logs_list", false);
    size_t n = recs ? recs->n : 0;
    d->records = ddc_calloc(n, sizeof *d->records);
    d->n_records = n;
    for (size_t i = 0; i < n; i++) {
        const struct dd_json *o = &recs->kids[i];
        struct ddc_aftersale_record *rec = &d->records[i];
        rec->operator_name = ddc_rd_str(&r, o, "operator", false);
        rec->time = ddc_rd_str(&r, o, "time", false);
        rec->text = ddc_rd_str(&r, o, "text", false);
        rec->action = ddc_rd_str(&r, o, "action", false);
        rec->role = ddc_rd_i64(&r, o, "role", false);
    }

    const struct dd_json *oi = ddc_rd_object(&r, data, "order_info", false);
    d->shop_order_id = ddc_rd_i64(&r, oi, "shop_order_id", false);
    const struct dd_json *lines =
        ddc_rd_array(&r, oi, "sku_order_infos", false);
    n = lines ? lines->n : 0;
    d->lines = ddc_calloc(n, sizeof *d->lines);
    d->n_lines = n;
    for (size_t i = 0; i < n; i++) {
        const struct dd_json *o = &lines->kids[i];
        struct ddc_detail_line *l = &d->lines[i];
        l->sku_order_id = ddc_rd_i64(&r, o, "sku_order_id", true);
        l->order_status = ddc_rd_i64(&r, o, "order_status", false);
        l->product_id = ddc_rd_i64(&r, o, "product_id", false);
        l->sku_id = ddc_rd_i64(&r, o, "sku_id", false);
        l->item_quantity = ddc_rd_i64(&r, o, "item_quantity", false);
        l->after_sale_item_count =
            ddc_rd_i64(&r, o, "after_sale_item_count", false);
        l->pay_amount = ddc_rd_i64(&r, o, "pay_amount", false);
        l->post_amount = ddc_rd_i64(&r, o, "post_amount", false);
        l->product_name = ddc_rd_str(&r, o, "product_name", false);
        l->shop_sku_code = ddc_rd_str(&r, o, "shop_sku_code", false);
    }
    if (r.err)
        ddc_aftersale_detail_free(d);
    return finish(&r, err, errlen);
}

static int parse_detail_cb(const struct dd_json *d, void *o, char *e, size_t n)
{
    return ddc_parse_aftersale_detail(d, o, e, n);
}

int ddc_aftersale_detail(struct ddc_client *c, int64_t after_sale_id,
                         bool with_records, struct ddc_aftersale_detail *out,
                         struct ddc_status *st)
{
    memset(out, 0, sizeof *out);
    struct dd_buf pj;
    struct dd_jw w;
    begin(&pj, &w);
    dd_jw_kint_str(&w, "after_sale_id", after_sale_id);
    if (with_records)
        dd_jw_kbool(&w, "need_operation_record", true);
    int berr = end(&w);
    return call_parsed(c, "afterSale.Detail", &pj, berr, parse_detail_cb, out,
                       st);
}

int ddc_operate_json(const struct ddc_operate_req *r, struct dd_buf *out)
{
    struct dd_jw w;
    dd_jw_init(&w, out);
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "type", r->type);
    dd_jw_key(&w, "items");
    dd_jw_array_begin(&w);
    for (size_t i = 0; i < r->n_items; i++) {
        const struct ddc_operate_item *it = &r->items[i];
        dd_jw_object_begin(&w);
        dd_jw_kint_str(&w, "aftersale_id", it->aftersale_id);
        if (it->reason)
            dd_jw_kstr(&w, "reason", it->reason);
        if (it->remark)
            dd_jw_kstr(&w, "remark", it->remark);
        if (it->reject_reason_code)
            dd_jw_kint(&w, "reject_reason_code", it->reject_reason_code);
        if (it->update_time)
            dd_jw_kint(&w, "update_time", it->update_time);
        if (it->n_evidence) {
            dd_jw_key(&w, "evidence");
            dd_jw_array_begin(&w);
            for (size_t k = 0; k < it->n_evidence; k++) {
                const struct ddc_evidence *e = &it->evidence[k];
                dd_jw_object_begin(&w);
                dd_jw_kint(&w, "type", e->type);
                dd_jw_kstr(&w, "url", e->url);
                if (e->desc)
                    dd_jw_kstr(&w, "desc", e->desc);
                dd_jw_object_end(&w);
            }
            dd_jw_array_end(&w);
        }
        if (it->receiver_address_id || it->company_code || it->logistics_code) {
            dd_jw_key(&w, "logistics");
            dd_jw_object_begin(&w);
            if (it->receiver_address_id)
                dd_jw_kint(&w, "receiver_address_id", it->receiver_address_id);
            if (it->company_code)
                dd_jw_kstr(&w, "company_code", it->company_code);
            if (it->logistics_code)
                dd_jw_kstr(&w, "logistics_code", it->logistics_code);
            dd_jw_object_end(&w);
        }
        dd_jw_object_end(&w);
    }
    dd_jw_array_end(&w);
    if (r->store_id)
        dd_jw_kint(&w, "store_id", r->store_id);
    dd_jw_object_end(&w);
    return dd_jw_error(&w);
}

void ddc_operate_result_free(struct ddc_operate_result *res)
{
    for (size_t i = 0; i < res->n; i++)
        free(res->items[i].status_msg);
    free(res->items);
    memset(res, 0, sizeof *res);
}

int ddc_parse_operate_result(const struct dd_json *data,
                             struct ddc_operate_result *out, char *err,
                             size_t errlen)
{
    struct ddc_reader r;
    ddc_reader_init(&r);
    memset(out, 0, sizeof *out);
    const struct dd_json *items = ddc_rd_array(&r, data, "items", false);
    size_t n = items ? items->n : 0;
    out->items = ddc_calloc(n, sizeof *out->items);
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        const struct dd_json *o = &items->kids[i];
        out->items[i].aftersale_id = ddc_rd_i64(&r, o, "aftersale_id", true);
        out->items[i].status_code = ddc_rd_i64(&r, o, "status_code", false);
        out->items[i].status_msg = ddc_rd_str(&r, o, "status_msg", false);
    }
    if (r.err)
        ddc_operate_result_free(out);
    return finish(&r, err, errlen);
}

static int parse_operate_cb(const struct dd_json *d, void *o, char *e, size_t n)
{
    return ddc_parse_operate_result(d, o, e, n);
}

int ddc_aftersale_operate(struct ddc_client *c, const struct ddc_operate_req *r,
                          struct ddc_operate_result *out, struct ddc_status *st)
{
    memset(out, 0, sizeof *out);
    struct dd_buf pj;
    dd_buf_init(&pj, 0);
    int berr = ddc_operate_json(r, &pj);
    return call_parsed(c, "afterSale.operate", &pj, berr, parse_operate_cb, out,
                       st);
}

int ddc_aftersale_cancel_send_goods_success(struct ddc_client *c,
                                            int64_t aftersale_id,
                                            int64_t op_time,
                                            struct ddc_status *st)
{
    struct dd_buf pj;
    struct dd_jw w;
    begin(&pj, &w);
    dd_jw_kint_str(&w, "aftersale_id", aftersale_id);
    dd_jw_kint(&w, "op_time", now_or(op_time));
    int berr = end(&w);
    return call_parsed(c, "afterSale.CancelSendGoodsSuccess", &pj, berr, NULL,
                       NULL, st);
}

int ddc_aftersale_return_goods_to_warehouse_success(
    struct ddc_client *c, int64_t aftersale_id, int64_t op_time,
    const char *tracking_no, const char *logistics_company_code,
    struct ddc_status *st)
{
    struct dd_buf pj;
    struct dd_jw w;
    begin(&pj, &w);
    dd_jw_kint_str(&w, "aftersale_id", aftersale_id);
    dd_jw_kint(&w, "op_time", now_or(op_time));
    if (tracking_no)
        dd_jw_kstr(&w, "tracking_no", tracking_no);
    if (logistics_company_code)
        dd_jw_kstr(&w, "logistics_company_code", logistics_company_code);
    int berr = end(&w);
    return call_parsed(c, "afterSale.returnGoodsToWareHouseSuccess", &pj, berr,
                       NULL, NULL, st);
}

void ddc_reject_reasons_free(struct ddc_reject_reasons *rr)
{
    for (size_t i = 0; i < rr->n; i++) {
        free(rr->items[i].reason);
        free(rr->items[i].evidence_description);
        free(rr->items[i].image);
    }
    free(rr->items);
    memset(rr, 0, sizeof *rr);
}

int ddc_parse_reject_reasons(const struct dd_json *data,
                             struct ddc_reject_reasons *out, char *err,
                             size_t errlen)
{
    struct ddc_reader r;
    ddc_reader_init(&r);
    memset(out, 0, sizeof *out);
    const struct dd_json *items = ddc_rd_array(&r, data, "items", true);
    size_t n = items ? items->n : 0;
    out->items = ddc_calloc(n, sizeof *out->items);
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        const struct dd_json *o = &items->kids[i];
        struct ddc_reject_reason *x = &out->items[i];
        x->reject_reason_code = ddc_rd_i64(&r, o, "reject_reason_code", true);
        x->reason = ddc_rd_str(&r, o, "reason", false);
        x->evidence_description =
            ddc_rd_str(&r, o, "evidence_description", false);
        x->evidence_need = ddc_rd_bool(o, "evidence_need");
        x->image = ddc_rd_str(&r, o, "image", false);
        x->order_type = ddc_rd_i64(&r, o, "order_type", false);
        x->pkg = ddc_rd_i64(&r, o, "pkg", false);
    }
    if (r.err)
        ddc_reject_reasons_free(out);
    return finish(&r, err, errlen);
}

static int parse_reasons_cb(const struct dd_json *d, void *o, char *e, size_t n)
{
    return ddc_parse_reject_reasons(d, o, e, n);
}

int ddc_aftersale_reject_reason_code_list(struct ddc_client *c,
                                          int64_t aftersale_id,
                                          struct ddc_reject_reasons *out,
                                          struct ddc_status *st)
{
    memset(out, 0, sizeof *out);
    struct dd_buf pj;
    struct dd_jw w;
    begin(&pj, &w);
    if (aftersale_id)
        dd_jw_kint(&w, "aftersale_id", aftersale_id);
    int berr = end(&w);
    return call_parsed(c, "afterSale.rejectReasonCodeList", &pj, berr,
                       parse_reasons_cb, out, st);
}

int ddc_aftersale_add_order_remark(struct ddc_client *c, int64_t order_id,
                                   int64_t after_sale_id, const char *remark,
                                   struct ddc_status *st)
{
    struct dd_buf pj;
    struct dd_jw w;
    begin(&pj, &w);
    if (after_sale_id)
        dd_jw_kint_str(&w, "after_sale_id", after_sale_id);
    else if (order_id)
        dd_jw_kint_str(&w, "order_id", order_id);
    dd_jw_kstr(&w, "remark", remark ? remark : "");
    int berr = end(&w);
    return call_parsed(c, "afterSale.addOrderRemark", &pj, berr, NULL, NULL,
                       st);
}

/* ================================================================ orders */

void ddc_order_free(struct ddc_order *o)
{
    free(o->order_status_desc);
    free(o->buyer_words);
    free(o->seller_words);
    for (size_t i = 0; i < o->n_lines; i++) {
        free(o->lines[i].product_name);
        free(o->lines[i].code);
        free(o->lines[i].out_sku_id);
    }
    free(o->lines);
    for (size_t i = 0; i < o->n_parcels; i++) {
        free(o->parcels[i].tracking_no);
        free(o->parcels[i].company);
        free(o->parcels[i].company_name);
        free(o->parcels[i].sku_order_ids);
    }
    free(o->parcels);
    memset(o, 0, sizeof *o);
}

static void read_order_line(struct ddc_reader *r, const struct dd_json *o,
                            struct ddc_order_line *l)
{
    l->sku_order_id = ddc_rd_i64(r, o, "order_id", true);
    l->parent_order_id = ddc_rd_i64(r, o, "parent_order_id", false);
    l->order_status = ddc_rd_i64(r, o, "order_status", false);
    l->main_status = ddc_rd_i64(r, o, "main_status", false);
    l->product_id = ddc_rd_i64(r, o, "product_id", false);
    l->sku_id = ddc_rd_i64(r, o, "sku_id", false);
    l->item_num = ddc_rd_i64(r, o, "item_num", false);
    l->pay_amount = ddc_rd_i64(r, o, "pay_amount", false);
    l->post_amount = ddc_rd_i64(r, o, "post_amount", false);
    l->ship_time = ddc_rd_i64(r, o, "ship_time", false);
    const struct dd_json *as = ddc_rd_object(r, o, "after_sale_info", false);
    l->after_sale_status = ddc_rd_i64(r, as, "after_sale_status", false);
    l->after_sale_type = ddc_rd_i64(r, as, "after_sale_type", false);
    l->refund_status = ddc_rd_i64(r, as, "refund_status", false);
    l->product_name = ddc_rd_str(r, o, "product_name", false);
    l->code = ddc_rd_str(r, o, "code", false);
    l->out_sku_id = ddc_rd_str(r, o, "out_sku_id", false);
}

static void read_parcel(struct ddc_reader *r, const struct dd_json *o,
                        struct ddc_parcel *p)
{
    p->tracking_no = ddc_rd_str(r, o, "tracking_no", false);
    p->company = ddc_rd_str(r, o, "company", false);
    p->company_name = ddc_rd_str(r, o, "company_name", false);
    p->ship_time = ddc_rd_i64(r, o, "ship_time", false);
    const struct dd_json *pi = ddc_rd_array(r, o, "product_info", false);
    size_t n = pi ? pi->n : 0;
    p->sku_order_ids = ddc_calloc(n, sizeof *p->sku_order_ids);
    p->n_sku_order_ids = n;
    for (size_t i = 0; i < n; i++)
        p->sku_order_ids[i] = ddc_rd_i64(r, &pi->kids[i], "sku_order_id", true);
}

static void read_order(struct ddc_reader *r, const struct dd_json *obj,
                       struct ddc_order *o)
{
    o->order_id = ddc_rd_i64(r, obj, "order_id", true);
    o->shop_id = ddc_rd_i64(r, obj, "shop_id", false);
    o->order_status = ddc_rd_i64(r, obj, "order_status", true);
    o->main_status = ddc_rd_i64(r, obj, "main_status", false);
    o->pay_type = ddc_rd_i64(r, obj, "pay_type", false);
    o->create_time = ddc_rd_i64(r, obj, "create_time", false);
    o->pay_time = ddc_rd_i64(r, obj, "pay_time", false);
    o->update_time = ddc_rd_i64(r, obj, "update_time", false);
    o->finish_time = ddc_rd_i64(r, obj, "finish_time", false);
    o->exp_ship_time = ddc_rd_i64(r, obj, "exp_ship_time", false);
    o->ship_time = ddc_rd_i64(r, obj, "ship_time", false);
    o->order_amount = ddc_rd_i64(r, obj, "order_amount", false);
    o->pay_amount = ddc_rd_i64(r, obj, "pay_amount", false);
    o->post_amount = ddc_rd_i64(r, obj, "post_amount", false);
    o->order_status_desc = ddc_rd_str(r, obj, "order_status_desc", false);
    o->buyer_words = ddc_rd_str(r, obj, "buyer_words", false);
    o->seller_words = ddc_rd_str(r, obj, "seller_words", false);
    const struct dd_json *lines = ddc_rd_array(r, obj, "sku_order_list", false);
    size_t n = lines ? lines->n : 0;
    o->lines = ddc_calloc(n, sizeof *o->lines);
    o->n_lines = n;
    for (size_t i = 0; i < n; i++)
        read_order_line(r, &lines->kids[i], &o->lines[i]);
    const struct dd_json *parcels =
        ddc_rd_array(r, obj, "logistics_info", false);
    n = parcels ? parcels->n : 0;
    o->parcels = ddc_calloc(n, sizeof *o->parcels);
    o->n_parcels = n;
    for (size_t i = 0; i < n; i++)
        read_parcel(r, &parcels->kids[i], &o->parcels[i]);
}

int ddc_parse_order_detail(const struct dd_json *data, struct ddc_order *out,
                           char *err, size_t errlen)
{
    struct ddc_reader r;
    ddc_reader_init(&r);
    memset(out, 0, sizeof *out);
    const struct dd_json *o =
        ddc_rd_object(&r, data, "shop_order_detail", true);
    if (o)
        read_order(&r, o, out);
    if (r.err)
        ddc_order_free(out);
    return finish(&r, err, errlen);
}

static int parse_order_cb(const struct dd_json *d, void *o, char *e, size_t n)
{
    return ddc_parse_order_detail(d, o, e, n);
}

int ddc_order_detail(struct ddc_client *c, int64_t shop_order_id,
                     struct ddc_order *out, struct ddc_status *st)
{
    memset(out, 0, sizeof *out);
    struct dd_buf pj;
    struct dd_jw w;
    begin(&pj, &w);
    dd_jw_kint_str(&w, "shop_order_id", shop_order_id);
    int berr = end(&w);
    return call_parsed(c, "order.orderDetail", &pj, berr, parse_order_cb, out,
                       st);
}

void ddc_order_search_req_init(struct ddc_order_search_req *r)
{
    memset(r, 0, sizeof *r);
    r->size = 100;
    r->order_asc = DDC_ANY;
}

int ddc_order_search_json(const struct ddc_order_search_req *r,
                          struct dd_buf *out)
{
    struct dd_jw w;
    dd_jw_init(&w, out);
    dd_jw_object_begin(&w);
    dd_jw_kint(&w, "page", r->page);
    dd_jw_kint(&w, "size", r->size);
    if (r->create_time_start)
        dd_jw_kint(&w, "create_time_start", r->create_time_start);
    if (r->create_time_end)
        dd_jw_kint(&w, "create_time_end", r->create_time_end);
    if (r->update_time_start)
        dd_jw_kint(&w, "update_time_start", r->update_time_start);
    if (r->update_time_end)
        dd_jw_kint(&w, "update_time_end", r->update_time_end);
    if (r->order_status) {
        dd_jw_key(&w, "combine_status");
        dd_jw_array_begin(&w);
        dd_jw_object_begin(&w);
        dd_jw_kstr(&w, "order_status", r->order_status);
        dd_jw_object_end(&w);
        dd_jw_array_end(&w);
    }
    if (r->after_sale_status_desc)
        dd_jw_kstr(&w, "after_sale_status_desc", r->after_sale_status_desc);
    if (r->tracking_no)
        dd_jw_kstr(&w, "tracking_no", r->tracking_no);
    if (r->order_by)
        dd_jw_kstr(&w, "order_by", r->order_by);
    if (r->order_asc != DDC_ANY)
        dd_jw_kbool(&w, "order_asc", r->order_asc != 0);
    dd_jw_object_end(&w);
    return dd_jw_error(&w);
}

void ddc_order_page_free(struct ddc_order_page *p)
{
    for (size_t i = 0; i < p->n; i++)
        ddc_order_free(&p->orders[i]);
    free(p->orders);
    memset(p, 0, sizeof *p);
}

int ddc_parse_order_page(const struct dd_json *data, struct ddc_order_page *out,
                         char *err, size_t errlen)
{
    struct ddc_reader r;
    ddc_reader_init(&r);
    memset(out, 0, sizeof *out);
    const struct dd_json *list =
        ddc_rd_array(&r, data, "shop_order_list", true);
    size_t n = list ? list->n : 0;
    out->orders = ddc_calloc(n, sizeof *out->orders);
    out->n = n;
    for (size_t i = 0; i < n && !r.err; i++)
        read_order(&r, &list->kids[i], &out->orders[i]);
    out->total = ddc_rd_i64(&r, data, "total", false);
    out->page = ddc_rd_i64(&r, data, "page", false);
    out->size = ddc_rd_i64(&r, data, "size", false);
    if (r.err)
        ddc_order_page_free(out);
    return finish(&r, err, errlen);
}

static int parse_order_page_cb(const struct dd_json *d, void *o, char *e,
                               size_t n)
{
    return ddc_parse_order_page(d, o, e, n);
}

int ddc_order_search_list(struct ddc_client *c,
                          const struct ddc_order_search_req *r,
                          struct ddc_order_page *out, struct ddc_status *st)
{
    memset(out, 0, sizeof *out);
    struct dd_buf pj;
    dd_buf_init(&pj, 0);
    int berr = ddc_order_search_json(r, &pj);
    return call_parsed(c, "order.searchList", &pj, berr, parse_order_page_cb,
                       out, st);
}

int ddc_order_logistics_add(struct ddc_client *c,
                            const struct ddc_logistics_add_req *r,
                            struct ddc_status *st)
{
    struct dd_buf pj;
    struct dd_jw w;
    begin(&pj, &w);
    dd_jw_kint_str(&w, "order_id", r->order_id);
    dd_jw_kstr(&w, "company_code", r->company_code);
    dd_jw_kstr(&w, "logistics_code", r->logistics_code);
    if (r->company)
        dd_jw_kstr(&w, "company", r->company);
    if (r->is_refund_reject)
        dd_jw_kbool(&w, "is_refund_reject", true);
    int berr = end(&w);
    return call_parsed(c, "order.logisticsAdd", &pj, berr, NULL, NULL, st);
}

void ddc_companies_free(struct ddc_companies *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        free(cs->items[i].name);
        free(cs->items[i].code);
    }
    free(cs->items);
    memset(cs, 0, sizeof *cs);
}

int ddc_parse_companies(const struct dd_json *data, struct ddc_companies *out,
                        char *err, size_t errlen)
{
    struct ddc_reader r;
    ddc_reader_init(&r);
    memset(out, 0, sizeof *out);
    if (!data || data->type != DD_JSON_ARRAY) {
        ddc_reader_fail(&r, "data", "is not an array");
        return finish(&r, err, errlen);
    }
    out->items = ddc_calloc(data->n, sizeof *out->items);
    out->n = data->n;
    for (size_t i = 0; i < data->n; i++) {
        const struct dd_json *o = &data->kids[i];
        out->items[i].id = ddc_rd_i64(&r, o, "id", false);
        out->items[i].name = ddc_rd_str(&r, o, "name", false);
        out->items[i].code = ddc_rd_str(&r, o, "code", true);
    }
    if (r.err)
        ddc_companies_free(out);
    return finish(&r, err, errlen);
}

static int parse_companies_cb(const struct dd_json *d, void *o, char *e,
                              size_t n)
{
    return ddc_parse_companies(d, o, e, n);
}

int ddc_order_logistics_company_list(struct ddc_client *c,
                                     struct ddc_companies *out,
                                     struct ddc_status *st)
{
    memset(out, 0, sizeof *out);
    struct dd_buf pj;
    struct dd_jw w;
    begin(&pj, &w);
    int berr = end(&w);
    return call_parsed(c, "order.logisticsCompanyList", &pj, berr,
                       parse_companies_cb, out, st);
}
