/*
 * ref_hook.c: the warehouse hook (ref_hook.h; harness.md "Hook").
 */
#include "ref_hook.h"

#include <stdlib.h>
#include <string.h>

#include "dd_err.h"
#include "dd_json.h"
#include "dd_jw.h"
#include "ddc_err.h"
#include "ddc_token.h"
#include "ref_bugs.h"
#include "ref_decide.h"
#include "ref_log.h"

#define SKUS_MAX           64
#define SKU_AFTERSALES_MAX 32
#define READ_BUDGET_MS     6000

/* Reads the order's after-sales from the platform into the store. */
static void read_order(struct ref_store *s, struct ref_api *api, uint64_t bugs,
                       int64_t order_id)
{
    /* The hook has 10 s in all: stop reading after READ_BUDGET_MS. */
    int64_t deadline = ref_mono_ms() + READ_BUDGET_MS;
    for (int64_t page = 0; page < 5 && ref_mono_ms() < deadline; page++) {
        struct ddc_aftersale_list_req req;
        ddc_aftersale_list_req_init(&req);
        req.page = page;
        req.size = 100;
        req.order_id = order_id;
        struct ddc_aftersale_page p;
        struct ddc_status st;
        int64_t read_at = ref_now_us();
        int rc = ref_api_list(api, &req, &p, &st);
        if (rc) {
            char brief[300];
            ref_api_brief(rc, &st, brief, sizeof brief);
            ref_log("ship_request: afterSale.List of order %lld failed (%s); "
                    "deciding from what is known",
                    (long long)order_id, brief);
            return;
        }
        if (ref_store_begin(s) == 0) {
            for (size_t i = 0; i < p.n; i++) {
                struct ref_aftersale a;
                ref_aftersale_from_list(&p.items[i], read_at, &a);
                if (a.id > 0)
                    ref_store_aftersale_put(
                        s, &a, REF_BUGGY(bugs, IGNORE_BUYER_CANCEL), NULL);
            }
            if (ref_store_commit(s))
                ref_store_rollback(s);
        }
        bool more = p.has_more && p.n;
        ddc_aftersale_page_free(&p);
        if (!more)
            return;
    }
}

static void answer_object(struct dd_buf *answer, bool shipped,
                          const char *company, const char *tracking)
{
    struct dd_jw w;
    dd_buf_reset(answer);
    dd_jw_init(&w, answer);
    dd_jw_object_begin(&w);
    dd_jw_kbool(&w, "shipped", shipped);
    if (shipped) {
        dd_jw_kstr(&w, "company_code", company);
        dd_jw_kstr(&w, "tracking_no", tracking);
    }
    dd_jw_object_end(&w);
}

static int ship_request(struct ref_store *s, struct ref_api *api, uint64_t bugs,
                        const struct dd_json *in, struct dd_buf *answer,
                        char *err, size_t errlen)
{
    int64_t order_id = 0;
    int64_t skus[SKUS_MAX];
    size_t n = 0;
    const struct dd_json *list = dd_json_get(in, "sku_order_ids");
    if (dd_json_int64(dd_json_get(in, "shop_order_id"), &order_id) != 0 ||
        !list || list->type != DD_JSON_ARRAY || list->n == 0 ||
        list->n > SKUS_MAX) {
        snprintf(err, errlen,
                 "ship_request needs shop_order_id and 1 to %d sku_order_ids",
                 SKUS_MAX);
        return DD_E_FORMAT;
    }
    for (size_t i = 0; i < list->n; i++)
        if (dd_json_int64(&list->kids[i], &skus[n++]) != 0) {
            snprintf(err, errlen, "sku_order_ids[%zu] is not an id", i);
            return DD_E_FORMAT;
        }
    bool check = !REF_BUGGY(bugs, SHIP_AFTER_REFUND);
    if (check && api)
        read_order(s, api, bugs, order_id);
    int rc = ref_store_begin(s);
    if (rc)
        return rc;
    char why[300] = "";
    for (size_t i = 0; i < n && check; i++) {
        struct ref_aftersale as[SKU_AFTERSALES_MAX];
        size_t k = 0;
        struct ref_outbound ob;
        rc =
            ref_store_aftersales_of_sku(s, skus[i], as, SKU_AFTERSALES_MAX, &k);
        if (!rc)
            rc = ref_store_outbound_get(s, skus[i], &ob);
        if (rc) {
            ref_store_rollback(s);
            return rc;
        }
        if (k > SKU_AFTERSALES_MAX)
            k = SKU_AFTERSALES_MAX;
        if (!ref_sku_may_ship(skus[i], as, k, &ob, why, sizeof why)) {
            ref_store_rollback(s);
            ref_log("ship_request %lld: shipped:false: %s", (long long)order_id,
                    why);
            answer_object(answer, false, NULL, NULL);
            return 0;
        }
    }
    struct ref_shipment sh;
    rc = ref_store_shipment_get(s, order_id, &sh);
    int64_t now = ref_now_us();
    if (!rc && sh.state == REF_SHIP_NONE) {
        snprintf(sh.company_code, sizeof sh.company_code, "%s",
                 REF_COMPANY_CODE);
        snprintf(sh.tracking_no, sizeof sh.tracking_no, "ZT%010lld%04lld",
                 (long long)(order_id % 10000000000LL),
                 (long long)(now / 1000000 % 10000));
        sh.state = REF_SHIP_PENDING;
        sh.created_us = now;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        struct ref_outbound ob;
        rc = ref_store_outbound_get(s, skus[i], &ob);
        if (rc || ob.status == REF_OB_SHIPPED)
            continue;
        if ((sh.state == REF_SHIP_DONE || sh.state == REF_SHIP_FAILED)) {
            /* A new parcel of an order uploaded before. */
            sh.state = REF_SHIP_PENDING;
            sh.attempts = 0;
            sh.created_us = now;
        }
        ob.order_id = order_id;
        if (!ob.quantity)
            ob.quantity = 1;
        ob.status = REF_OB_SHIPPED;
        snprintf(ob.company_code, sizeof ob.company_code, "%s",
                 sh.company_code);
        snprintf(ob.tracking_no, sizeof ob.tracking_no, "%s", sh.tracking_no);
        rc = ref_store_outbound_put(s, &ob);
        if (!rc)
            rc = ref_store_stock_move(s, ob.product_id, 0, -ob.quantity);
        if (!rc)
            rc = ref_store_ledger_add(s, 0, skus[i], "shipped", ob.quantity, 0,
                                      sh.tracking_no);
    }
    if (!rc)
        rc = ref_store_shipment_put(s, &sh);
    if (rc || (rc = ref_store_commit(s)) != 0) {
        ref_store_rollback(s);
        return rc;
    }
    ref_log("ship_request %lld (%zu SKU orders): shipped:true %s %s%s",
            (long long)order_id, n, sh.company_code, sh.tracking_no,
            check ? "; nothing open or refunded against them"
                  : " (bug ship-after-refund: nothing checked)");
    answer_object(answer, true, sh.company_code, sh.tracking_no);
    return 0;
}

static int return_arrived(struct ref_store *s, const struct dd_json *in,
                          struct dd_buf *answer, char *err, size_t errlen)
{
    int64_t id = 0;
    const struct dd_json *items = dd_json_get(in, "items");
    const struct dd_json *cond = dd_json_get(in, "condition");
    if (dd_json_int64(dd_json_get(in, "aftersale_id"), &id) != 0 || !items ||
        items->type != DD_JSON_ARRAY || !cond || cond->type != DD_JSON_STRING) {
        snprintf(err, errlen,
                 "return_arrived needs aftersale_id, items and condition");
        return DD_E_FORMAT;
    }
    int rc = ref_store_begin(s);
    if (rc)
        return rc;
    struct ref_return_order ro;
    rc = ref_store_return_get(s, id, &ro);
    if (rc) {
        ref_store_rollback(s);
        return rc;
    }
    ro.arrived = true;
    ro.arrived_us = ref_now_us();
    ref_copy(ro.condition, sizeof ro.condition, cond->text);
    const struct dd_json *tn = dd_json_get(in, "tracking_no");
    ref_copy(ro.arrival_tracking_no, sizeof ro.arrival_tracking_no,
             tn && tn->type == DD_JSON_STRING ? tn->text : "");
    ro.n_items = 0;
    char listed[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < items->n && ro.n_items < REF_ARRIVAL_ITEMS_MAX;
         i++) {
        struct ref_return_item *it = &ro.items[ro.n_items];
        if (dd_json_int64(dd_json_get(&items->kids[i], "sku_order_id"),
                          &it->sku_order_id) != 0 ||
            dd_json_int64(dd_json_get(&items->kids[i], "quantity"),
                          &it->quantity) != 0)
            continue;
        ro.n_items++;
        int k = snprintf(listed + len, sizeof listed - len, "%s%lld x %lld",
                         len ? ", " : "", (long long)it->quantity,
                         (long long)it->sku_order_id);
        if (k > 0 && (size_t)k < sizeof listed - len)
            len += (size_t)k;
    }
    if (ro.state == REF_RO_NONE || ro.state == REF_RO_AWAITING)
        ro.state = REF_RO_ARRIVED;
    rc = ref_store_return_put(s, &ro);
    if (rc || (rc = ref_store_commit(s)) != 0) {
        ref_store_rollback(s);
        return rc;
    }
    ref_log("return_arrived: after-sale %lld, parcel %s, condition %s, items "
            "[%s]: recorded on the return order for the ERP's check",
            (long long)id, ro.arrival_tracking_no, ro.condition, listed);
    dd_buf_reset(answer);
    dd_buf_puts(answer, "{\"received\":true}");
    return 0;
}

int ref_hook_handle(struct ref_store *s, struct ref_api *api, uint64_t bugs,
                    const char *input, size_t len, struct dd_buf *answer,
                    char *err, size_t errlen)
{
    struct dd_json_doc doc = {0};
    struct dd_json_error jerr;
    int rc = dd_json_parse(input, len, NULL, &doc, &jerr);
    if (rc) {
        snprintf(err, errlen, "stdin is not JSON (%u:%u: %s)", jerr.pos.line,
                 jerr.pos.col, jerr.msg);
        return rc;
    }
    const struct dd_json *ev = dd_json_get(doc.root, "event");
    if (doc.root->type != DD_JSON_OBJECT || !ev || ev->type != DD_JSON_STRING) {
        snprintf(err, errlen, "stdin is not an object with an \"event\"");
        rc = DD_E_FORMAT;
    } else if (strcmp(ev->text, "warehouse.ship_request") == 0) {
        rc = ship_request(s, api, bugs, doc.root, answer, err, errlen);
    } else if (strcmp(ev->text, "warehouse.return_arrived") == 0) {
        rc = return_arrived(s, doc.root, answer, err, errlen);
    } else {
        snprintf(err, errlen, "unknown event \"%.64s\"", ev->text);
        rc = DD_E_FORMAT;
    }
    dd_json_doc_free(&doc);
    return rc;
}

int ref_hook_main(const struct ddc_config *cfg, uint64_t bugs, FILE *in,
                  FILE *out)
{
    struct dd_buf input, answer;
    dd_buf_init(&input, (size_t)1 << 20);
    dd_buf_init(&answer, 0);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, in)) > 0)
        if (dd_buf_append(&input, chunk, got) != 0) {
            ref_log("stdin is larger than 1 MiB");
            dd_buf_free(&input);
            return 2;
        }
    char err[300];
    struct ref_store s;
    if (ref_store_open(&s, cfg->state_dir, err, sizeof err) != 0) {
        ref_log("%s", err);
        dd_buf_free(&input);
        return 2;
    }
    /* The platform is read with the ERP's stored token. A tool-type app's
     * authorization code works once: without a stored token, the hook
     * does not spend it and decides from the store alone. */
    struct ddc_token tok;
    bool may_call =
        !cfg->auth_code[0] || ddc_token_store_load(cfg->state_dir, cfg->app_key,
                                                   &tok, err, sizeof err) == 0;
    struct ddc_config hc = *cfg;
    hc.connect_timeout_ms = 2000;
    hc.timeout_ms = 3000;
    struct ref_api api;
    bool have_api =
        may_call && ref_api_init(&api, &hc, bugs, err, sizeof err) == 0;
    if (have_api)
        api.read_attempts = REF_BUGGY(bugs, GIVE_UP_TRANSIENT) ? 1 : 2;
    int rc = ref_hook_handle(&s, have_api ? &api : NULL, bugs, input.data,
                             input.len, &answer, err, sizeof err);
    if (have_api)
        ref_api_free(&api);
    ref_store_close(&s);
    dd_buf_free(&input);
    int status = 0;
    if (rc) {
        ref_log("hook: %s", rc == DD_E_IO ? s.err : err);
        status = 2;
    } else {
        fprintf(out, "%s\n", dd_buf_str(&answer));
        fflush(out);
    }
    dd_buf_free(&answer);
    dd_json_release_cache();
    return status;
}
