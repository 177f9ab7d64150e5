/*
 * fuzz_client_response.c: libFuzzer target for everything the client
 * reads from the gateway's answers (client/ddc_api.c, client/ddc_token.c,
 * client/ddc_read.c; doudian-open-api.md §2.2, §3.1, §4).
 *
 * The input is an answer body. It goes through dd_envelope_parse, and its
 * `data` (or, when the body is no envelope, the body itself read as JSON)
 * through every ddc_parse_* function and ddc_token_from_answer. Each must
 * return 0 or DDC_E_PROTOCOL, leave its struct zeroed on failure, and on
 * success hand out only non-NULL strings and arrays as long as they say;
 * the _free functions must leave the structs zeroed (a second free is a
 * no-op). ASan and UBSan catch the rest.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_envelope.h"
#include "dd_json.h"
#include "ddc_api.h"
#include "ddc_err.h"
#include "ddc_token.h"
#include "fuzz_check.h"

/* True when all `n` bytes at p are zero. */
static bool zeroed(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

#define RESULT_OK(rc, out)                                                     \
    do {                                                                       \
        CHECK((rc) == 0 || (rc) == DDC_E_PROTOCOL);                            \
        if (rc)                                                                \
            CHECK(zeroed(&(out), sizeof(out)));                                \
    } while (0)

static void check_aftersale(const struct ddc_aftersale *a)
{
    CHECK(a->return_logistics_code && a->return_logistics_company_name &&
          a->remark && a->aftersale_status_text && a->aftersale_type_text &&
          a->reason_text);
    CHECK(a->n_lines == 0 || a->lines);
    for (size_t i = 0; i < a->n_lines; i++)
        CHECK(a->lines[i].product_name && a->lines[i].shop_sku_code &&
              a->lines[i].logistics_code);
    CHECK((a->auto_audit_bits & 1) == 0); /* bit 0 is never a value */
}

static void check_order(const struct ddc_order *o)
{
    CHECK(o->order_status_desc && o->buyer_words && o->seller_words);
    for (size_t i = 0; i < o->n_lines; i++)
        CHECK(o->lines[i].product_name && o->lines[i].code &&
              o->lines[i].out_sku_id);
    for (size_t i = 0; i < o->n_parcels; i++) {
        const struct ddc_parcel *p = &o->parcels[i];
        CHECK(p->tracking_no && p->company && p->company_name);
        CHECK(p->n_sku_order_ids == 0 || p->sku_order_ids);
    }
}

static void parse_all(const struct dd_json *v)
{
    char err[200];
    int rc;

    struct ddc_aftersale_page page;
    rc = ddc_parse_aftersale_page(v, &page, err, sizeof err);
    RESULT_OK(rc, page);
    for (size_t i = 0; i < page.n; i++)
        check_aftersale(&page.items[i]);
    ddc_aftersale_page_free(&page);
    CHECK(zeroed(&page, sizeof page));
    ddc_aftersale_page_free(&page);

    struct ddc_aftersale_detail d;
    rc = ddc_parse_aftersale_detail(v, &d, err, sizeof err);
    RESULT_OK(rc, d);
    if (rc == 0) {
        CHECK(d.after_sale_status_desc && d.reason && d.reason_remark &&
              d.return_tracking_no && d.return_company_code &&
              d.return_company_name);
        for (size_t i = 0; i < d.n_records; i++)
            CHECK(d.records[i].operator_name && d.records[i].time &&
                  d.records[i].text && d.records[i].action);
        for (size_t i = 0; i < d.n_lines; i++)
            CHECK(d.lines[i].product_name && d.lines[i].shop_sku_code);
    }
    ddc_aftersale_detail_free(&d);
    CHECK(zeroed(&d, sizeof d));

    struct ddc_operate_result res;
    rc = ddc_parse_operate_result(v, &res, err, sizeof err);
    RESULT_OK(rc, res);
    for (size_t i = 0; i < res.n; i++)
        CHECK(res.items[i].status_msg);
    ddc_operate_result_free(&res);

    struct ddc_reject_reasons rr;
    rc = ddc_parse_reject_reasons(v, &rr, err, sizeof err);
    RESULT_OK(rc, rr);
    for (size_t i = 0; i < rr.n; i++)
        CHECK(rr.items[i].reason && rr.items[i].evidence_description &&
              rr.items[i].image);
    ddc_reject_reasons_free(&rr);

    struct ddc_order o;
    rc = ddc_parse_order_detail(v, &o, err, sizeof err);
    RESULT_OK(rc, o);
    if (rc == 0)
        check_order(&o);
    ddc_order_free(&o);
    CHECK(zeroed(&o, sizeof o));

    struct ddc_order_page op;
    rc = ddc_parse_order_page(v, &op, err, sizeof err);
    RESULT_OK(rc, op);
    for (size_t i = 0; i < op.n; i++)
        check_order(&op.orders[i]);
    ddc_order_page_free(&op);

    struct ddc_companies cs;
    rc = ddc_parse_companies(v, &cs, err, sizeof err);
    RESULT_OK(rc, cs);
    for (size_t i = 0; i < cs.n; i++)
        CHECK(cs.items[i].name && cs.items[i].code);
    ddc_companies_free(&cs);

    struct ddc_token t, prev;
    memset(&prev, 0, sizeof prev);
    snprintf(prev.access_token, sizeof prev.access_token, "a");
    prev.lifetime_s = 604800;
    prev.issued_at = 1700000000;
    rc = ddc_token_from_answer(v, 1700000000, &prev, &t, err, sizeof err);
    CHECK(rc == 0 || rc == DDC_E_PROTOCOL);
    if (rc == 0) {
        CHECK(t.access_token[0] && t.refresh_token[0]);
        CHECK(t.lifetime_s >= 1);
        CHECK(ddc_token_refresh_window(&t, 0) >= 1);
        CHECK(ddc_token_refresh_window(&t, 0) <= DDC_REFRESH_WINDOW_S);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dd_envelope env;
    struct dd_json_error jerr;
    if (dd_envelope_parse((const char *)data, size, &env, &jerr) == 0) {
        if (env.data)
            parse_all(env.data);
        else
            parse_all(NULL);
        dd_envelope_free(&env);
    } else {
        struct dd_json_doc doc;
        if (dd_json_parse((const char *)data, size, NULL, &doc, &jerr) == 0)
            parse_all(doc.root);
        dd_json_doc_free(&doc);
    }
    return 0;
}
