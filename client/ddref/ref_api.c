/*
 * ref_api.c: ddref's calls, read retries, and the fixed-token requests of
 * the no-token-refresh mutant (ref_api.h).
 */
#include "ref_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_err.h"
#include "dd_errtab.h"
#include "dd_json.h"
#include "dd_jw.h"
#include "dd_params.h"
#include "dd_sign.h"
#include "ddc_err.h"
#include "ref_bugs.h"
#include "ref_decide.h"
#include "ref_log.h"

int ref_api_init(struct ref_api *a, const struct ddc_config *cfg, uint64_t bugs,
                 char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->cfg = *cfg;
    a->cfg.max_attempts = 1; /* ddref decides what to retry */
    a->bugs = bugs;
    a->read_attempts = REF_BUGGY(bugs, GIVE_UP_TRANSIENT) ? 1 : 4;
    a->client = ddc_client_new(&a->cfg, err, errlen);
    if (!a->client)
        return DDC_E_CONFIG;
    pthread_mutex_init(&a->mu, NULL);
    dd_buf_init(&a->raw_body, DDC_HTTP_BODY_MAX);
    if (REF_BUGGY(bugs, NO_TOKEN_REFRESH))
        a->raw = ddc_http_new();
    return 0;
}

void ref_api_free(struct ref_api *a)
{
    if (!a->client)
        return;
    ddc_client_free(a->client);
    a->client = NULL;
    ddc_http_free(a->raw);
    a->raw = NULL;
    dd_buf_free(&a->raw_body);
    pthread_mutex_destroy(&a->mu);
}

void ref_api_brief(int rc, const struct ddc_status *st, char *out, size_t cap)
{
    if (rc == DDC_E_API)
        snprintf(out, cap, "%lld %s %s", (long long)st->code, st->sub_code,
                 st->sub_msg);
    else if (rc == 0)
        snprintf(out, cap, "10000 ok");
    else
        snprintf(out, cap, "%s%s%s", ddc_strerror(rc),
                 st->detail[0] ? ": " : "", st->detail);
}

/* The no-token-refresh mutant: a signed request with the first token it
 * ever got, whatever the platform says about it (a copy of what the
 * library sends, minus the token lifecycle). */
static int raw_call(struct ref_api *a, const char *method, const char *pj,
                    struct dd_envelope *env, struct ddc_status *st)
{
    if (!a->have_fixed) {
        struct ddc_token t;
        int rc = ddc_client_token(a->client, &t, st);
        if (rc)
            return rc == DDC_E_TRANSPORT ? rc : DDC_E_AUTH;
        snprintf(a->fixed_token, sizeof a->fixed_token, "%s", t.access_token);
        a->have_fixed = true;
        ref_log("token: keeping access token %.8s… forever (bug "
                "no-token-refresh)",
                a->fixed_token);
    }
    struct dd_buf canon, url;
    dd_buf_init(&canon, 0);
    dd_buf_init(&url, 0);
    struct dd_json_error jerr;
    int rc = dd_canonical_param_json(pj, strlen(pj), NULL, &canon, NULL, &jerr);
    char path[DD_METHOD_MAX], ts[24], sign[DD_SIGN_HEX_MAX];
    if (!rc)
        rc = dd_path_from_method(method, path);
    snprintf(ts, sizeof ts, "%lld", (long long)ref_now_s());
    struct dd_sign_params sp = {a->cfg.app_key, method, dd_buf_str(&canon), ts,
                                "2"};
    if (!rc)
        rc = dd_sign_compute(&sp, a->cfg.app_secret, a->cfg.sign_method, sign);
    if (rc) {
        dd_buf_free(&canon);
        dd_buf_free(&url);
        ddc_status_detail(st, "%s: cannot build the request", method);
        return rc;
    }
    dd_buf_printf(&url, "%s%s?app_key=%s&method=%s&v=2&timestamp=%s&sign=%s",
                  a->cfg.base_url, path, a->cfg.app_key, method, ts, sign);
    if (a->cfg.sign_method == DD_SIGN_HMAC_SHA256)
        dd_buf_puts(&url, "&sign_method=hmac-sha256");
    dd_buf_puts(&url, "&access_token=");
    dd_url_encode(&url, a->fixed_token, strlen(a->fixed_token));
    static const char *const headers[] = {
        "Content-Type: application/json;charset=UTF-8", NULL};
    struct ddc_http_request rq = {.url = dd_buf_str(&url),
                                  .body = dd_buf_str(&canon),
                                  .len = canon.len,
                                  .headers = headers,
                                  .connect_timeout_ms =
                                      a->cfg.connect_timeout_ms,
                                  .timeout_ms = a->cfg.timeout_ms};
    long status = 0;
    char err[256] = "";
    if (st)
        st->attempts++;
    rc = ddc_http_post(a->raw, &rq, &status, &a->raw_body, err, sizeof err);
    dd_buf_free(&canon);
    dd_buf_free(&url);
    if (st)
        st->http_status = status;
    if (rc || status != 200) {
        ddc_status_detail(st, "%s: %s", method, rc ? err : "HTTP status");
        return DDC_E_TRANSPORT;
    }
    if (dd_envelope_parse(a->raw_body.data ? a->raw_body.data : "",
                          a->raw_body.len, env, &jerr) != 0) {
        ddc_status_detail(st, "%s: the answer is not an envelope", method);
        return DDC_E_TRANSPORT;
    }
    if (st) {
        st->code = env->code;
        snprintf(st->msg, sizeof st->msg, "%s", env->msg);
        snprintf(st->sub_code, sizeof st->sub_code, "%s", env->sub_code);
        snprintf(st->sub_msg, sizeof st->sub_msg, "%s", env->sub_msg);
        snprintf(st->log_id, sizeof st->log_id, "%s", env->log_id);
    }
    return env->code == DD_CODE_SUCCESS ? 0 : DDC_E_API;
}

int ref_api_call(struct ref_api *a, const char *method, const char *pj,
                 struct dd_envelope *env, struct ddc_status *st)
{
    memset(env, 0, sizeof *env);
    ddc_status_clear(st);
    pthread_mutex_lock(&a->mu);
    int rc;
    if (a->raw) {
        rc = raw_call(a, method, pj, env, st);
    } else {
        rc = ddc_client_call(a->client, method, pj, env, st);
        if (rc == DDC_E_AUTH) {
            /* Maybe another process (the hook) holds the newest pair: make
             * the client again, which reads the store first. */
            char err[256];
            struct ddc_client *fresh = ddc_client_new(&a->cfg, err, sizeof err);
            if (fresh) {
                ddc_client_free(a->client);
                a->client = fresh;
                ref_log("token: no usable token (%s %s); reloading the store",
                        st->sub_code, st->detail);
                dd_envelope_free(env);
                rc = ddc_client_call(a->client, method, pj, env, st);
            }
        }
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

int ref_api_read(struct ref_api *a, const char *method, const char *pj,
                 struct dd_envelope *env, struct ddc_status *st)
{
    int rc = 0;
    for (int attempt = 1;; attempt++) {
        rc = ref_api_call(a, method, pj, env, st);
        if (rc == 0)
            return 0;
        bool rate_limited = rc == DDC_E_API && st->code == 60000;
        bool retryable =
            rc == DDC_E_TRANSPORT || rc == DDC_E_AUTH ||
            (rc == DDC_E_API && (st->code == 20000 || rate_limited));
        char brief[300];
        ref_api_brief(rc, st, brief, sizeof brief);
        if (!retryable || attempt >= a->read_attempts) {
            ref_log("%s: %s%s", method, brief,
                    retryable ? (REF_BUGGY(a->bugs, GIVE_UP_TRANSIENT)
                                     ? " (given up: bug give-up-transient)"
                                     : " (given up for now)")
                              : "");
            return rc;
        }
        int64_t wait = ref_backoff_ms(attempt, rate_limited);
        ref_log("%s: %s; again in %.1f s", method, brief, (double)wait / 1000);
        dd_envelope_free(env);
        ref_sleep_ms(wait);
    }
}

int ref_api_list(struct ref_api *a, const struct ddc_aftersale_list_req *r,
                 struct ddc_aftersale_page *out, struct ddc_status *st)
{
    memset(out, 0, sizeof *out);
    struct dd_buf pj;
    dd_buf_init(&pj, 0);
    if (ddc_aftersale_list_json(r, &pj) != 0) {
        dd_buf_free(&pj);
        return DD_E_TOO_LARGE;
    }
    struct dd_envelope env;
    int rc = ref_api_read(a, "afterSale.List", dd_buf_str(&pj), &env, st);
    dd_buf_free(&pj);
    if (rc == 0) {
        char err[200];
        if (ddc_parse_aftersale_page(env.data, out, err, sizeof err) != 0) {
            ddc_status_detail(st, "afterSale.List: %s", err);
            rc = DDC_E_PROTOCOL;
        }
    }
    dd_envelope_free(&env);
    return rc;
}

int ref_api_detail(struct ref_api *a, int64_t aftersale_id,
                   struct ddc_aftersale_detail *out, struct ddc_status *st)
{
    memset(out, 0, sizeof *out);
    struct dd_buf pj;
    dd_buf_init(&pj, 0);
    struct dd_jw w;
    dd_jw_init(&w, &pj);
    dd_jw_object_begin(&w);
    dd_jw_kint_str(&w, "after_sale_id", aftersale_id);
    dd_jw_object_end(&w);
    struct dd_envelope env;
    int rc = ref_api_read(a, "afterSale.Detail", dd_buf_str(&pj), &env, st);
    dd_buf_free(&pj);
    if (rc == 0) {
        char err[200];
        if (ddc_parse_aftersale_detail(env.data, out, err, sizeof err) != 0) {
            ddc_status_detail(st, "afterSale.Detail: %s", err);
            rc = DDC_E_PROTOCOL;
        }
    }
    dd_envelope_free(&env);
    return rc;
}

int ref_api_writeback(struct ref_api *a, enum ref_kind kind,
                      const struct ref_aftersale *as,
                      const struct ref_return_order *ro, const char **method,
                      struct ddc_status *st)
{
    struct dd_buf pj;
    dd_buf_init(&pj, 0);
    const char *m;
    if (kind == REF_KIND_AGREE ||
        (kind == REF_KIND_RETURN && REF_BUGGY(a->bugs, REFUND_BY_OPERATE))) {
        struct ddc_operate_item item = {.aftersale_id = as->id};
        struct ddc_operate_req req = {
            .type = 111, .items = &item, .n_items = 1};
        if (kind == REF_KIND_AGREE) {
            req.type = 101;
            item.receiver_address_id = REF_RETURN_ADDRESS_ID;
        }
        m = "afterSale.operate";
        ddc_operate_json(&req, &pj);
    } else {
        struct dd_jw w;
        dd_jw_init(&w, &pj);
        dd_jw_object_begin(&w);
        dd_jw_kint_str(&w, "aftersale_id", as->id);
        dd_jw_kint(&w, "op_time", ref_now_s());
        if (kind == REF_KIND_CANCEL) {
            m = "afterSale.CancelSendGoodsSuccess";
        } else {
            m = "afterSale.returnGoodsToWareHouseSuccess";
            const char *tn = ro && ro->arrival_tracking_no[0]
                                 ? ro->arrival_tracking_no
                                 : as->return_tracking_no;
            if (tn[0])
                dd_jw_kstr(&w, "tracking_no", tn);
        }
        dd_jw_object_end(&w);
    }
    if (method)
        *method = m;
    struct dd_envelope env;
    int rc = ref_api_call(a, m, dd_buf_str(&pj), &env, st);
    dd_envelope_free(&env);
    dd_buf_free(&pj);
    return rc;
}

int ref_api_logistics_add(struct ref_api *a, int64_t order_id,
                          const char *company_code, const char *tracking_no,
                          struct ddc_status *st)
{
    struct dd_buf pj;
    dd_buf_init(&pj, 0);
    struct dd_jw w;
    dd_jw_init(&w, &pj);
    dd_jw_object_begin(&w);
    dd_jw_kint_str(&w, "order_id", order_id);
    dd_jw_kstr(&w, "company_code", company_code);
    dd_jw_kstr(&w, "logistics_code", tracking_no);
    dd_jw_kbool(&w, "is_refund_reject", true);
    dd_jw_object_end(&w);
    struct dd_envelope env;
    int rc = ref_api_call(a, "order.logisticsAdd", dd_buf_str(&pj), &env, st);
    dd_envelope_free(&env);
    dd_buf_free(&pj);
    return rc;
}

void ref_aftersale_from_list(const struct ddc_aftersale *in, int64_t read_at_us,
                             struct ref_aftersale *out)
{
    memset(out, 0, sizeof *out);
    out->id = in->aftersale_id;
    out->type = in->aftersale_type;
    out->status = in->aftersale_status;
    out->refund_status = in->refund_status;
    out->refund_type = in->refund_type;
    out->order_id = in->shop_order_id;
    out->sku_order_id = in->related_id;
    if (in->n_lines) {
        if (!out->sku_order_id)
            out->sku_order_id = in->lines[0].sku_order_id;
        out->product_id = in->lines[0].product_id;
    }
    out->quantity = in->aftersale_num;
    out->refund_amount = in->refund_amount;
    out->update_time = in->update_time;
    out->final_time = in->aftersale_status_to_final_time;
    out->got_pkg = in->got_pkg;
    snprintf(out->return_tracking_no, sizeof out->return_tracking_no, "%s",
             in->return_logistics_code);
    snprintf(out->return_company, sizeof out->return_company, "%s",
             in->return_logistics_company_name);
    out->read_at_us = read_at_us;
    snprintf(out->source, sizeof out->source, "list");
}

void ref_aftersale_from_detail(const struct ddc_aftersale_detail *in,
                               int64_t read_at_us, struct ref_aftersale *out)
{
    memset(out, 0, sizeof *out);
    out->id = in->after_sale_id;
    out->type = in->after_sale_type;
    out->status = in->after_sale_status;
    out->refund_status = in->refund_status;
    out->refund_type = in->refund_type;
    out->order_id = in->shop_order_id;
    if (in->n_lines) {
        out->sku_order_id = in->lines[0].sku_order_id;
        out->product_id = in->lines[0].product_id;
    }
    out->quantity = in->after_sale_apply_count;
    out->refund_amount = in->refund_total_amount;
    out->update_time = in->update_time;
    out->final_time = in->aftersale_status_to_final_time;
    out->got_pkg = in->got_pkg;
    snprintf(out->return_tracking_no, sizeof out->return_tracking_no, "%s",
             in->return_tracking_no);
    snprintf(out->return_company, sizeof out->return_company, "%s",
             in->return_company_code[0] ? in->return_company_code
                                        : in->return_company_name);
    out->read_at_us = read_at_us;
    snprintf(out->source, sizeof out->source, "detail");
}
