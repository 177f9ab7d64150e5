/*
 * api_common.c: what every API handler shares: the table of implemented
 * APIs, the list of real Doudian APIs the mock knows but does not implement
 * (answered 70000 like unknown ones, but marked in the journal, as
 * harness.md asks), failing a call with a row of the error table, and the
 * parameter readers that are liberal where the official SDKs differ (ids as
 * JSON numbers or numeric strings, `null` as absent; doudian-open-api.md
 * §1.6 and §7.6).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "dd_err.h"

const struct mock_api mock_apis[] = {
    {"token.create", api_token_create, false},
    {"token.refresh", api_token_refresh, false},
    {"afterSale.List", api_afterSale_List, true},
    {"afterSale.Detail", api_afterSale_Detail, true},
    {"afterSale.operate", api_afterSale_operate, true},
    {"afterSale.CancelSendGoodsSuccess", api_afterSale_CancelSendGoodsSuccess,
     true},
    {"afterSale.returnGoodsToWareHouseSuccess",
     api_afterSale_returnGoodsToWareHouseSuccess, true},
    {"afterSale.rejectReasonCodeList", api_afterSale_rejectReasonCodeList,
     true},
    {"afterSale.addOrderRemark", api_afterSale_addOrderRemark, true},
    {"order.orderDetail", api_order_orderDetail, true},
    {"order.searchList", api_order_searchList, true},
    {"order.logisticsAdd", api_order_logisticsAdd, true},
    {"order.logisticsCompanyList", api_order_logisticsCompanyList, true},
    {NULL, NULL, false},
};

/* Real APIs named in the specs that an ERP may call but the mock does not
 * implement (doudian-open-api.md §4, doudian-shipping-and-operations.md §1). */
static const char *const known_unimplemented[] = {
    "afterSale.timeExtend",
    "afterSale.buyerExchange",
    "afterSale.buyerExchangeConfirm",
    "afterSale.submitEvidence",
    "afterSale.OpenAfterSaleChannel",
    "afterSale.applyLogisticsIntercept",
    "afterSale.fillLogistics",
    "order.logisticsAddMultiPack",
    "order.logisticsAddSinglePack",
    "order.logisticsEdit",
    "order.logisticsEditByPack",
    "order.batchDecrypt",
    "sendHome.afterSale.operateAfterSale",
    "supplyChain.queryReturnOrderList",
    "appMessage.send",
    NULL,
};

const struct mock_api *mock_api_find(const char *method)
{
    for (const struct mock_api *a = mock_apis; a->method; a++)
        if (strcmp(a->method, method) == 0)
            return a;
    /* /afterSale/Operate is what some SDKs call (§1.2): accept the case. */
    for (const struct mock_api *a = mock_apis; a->method; a++)
        if (strcasecmp(a->method, method) == 0)
            return a;
    return NULL;
}

bool mock_api_is_known_unimplemented(const char *method)
{
    for (const char *const *m = known_unimplemented; *m; m++)
        if (strcasecmp(*m, method) == 0)
            return true;
    return false;
}

void mock_call_fail(struct mock_call *c, const char *sub_code,
                    const char *note_fmt, ...)
{
    if (c->error)
        return; /* the first failure is the answer */
    c->error = dd_errtab_must(c->method, sub_code);
    if (note_fmt) {
        va_list ap;
        va_start(ap, note_fmt);
        vsnprintf(c->note, sizeof c->note, note_fmt, ap);
        va_end(ap);
    }
}

/* Looks a parameter up; NULL when absent or null. */
static const struct dd_json *param(struct mock_call *c, const char *name)
{
    const struct dd_json *v = dd_json_get(c->params, name);
    return dd_json_is_absent(v) ? NULL : v;
}

static bool missing(struct mock_call *c, const char *name,
                    const struct mock_param_rule *r, bool *present)
{
    if (present)
        *present = false;
    if (r && r->required) {
        mock_call_fail(
            c, r->missing_sub ? r->missing_sub : "isv.parameter-missing",
            "%s is required", name);
        return false;
    }
    return true;
}

static bool invalid(struct mock_call *c, const char *name,
                    const struct mock_param_rule *r, const char *why)
{
    mock_call_fail(
        c, r && r->invalid_sub ? r->invalid_sub : "isv.parameter-invalid",
        "%s %s", name, why);
    return false;
}

bool mock_param_int(struct mock_call *c, const char *name,
                    const struct mock_param_rule *r, int64_t *out,
                    bool *present)
{
    const struct dd_json *v = param(c, name);
    if (!v)
        return missing(c, name, r, present);
    int64_t x;
    int rc = dd_json_int64(v, &x);
    if (rc == DD_E_RANGE)
        return invalid(c, name, r, "is out of range");
    if (rc)
        return invalid(c, name, r, "must be an integer");
    *out = x;
    if (present)
        *present = true;
    return true;
}

bool mock_param_str(struct mock_call *c, const char *name,
                    const struct mock_param_rule *r, const char **out,
                    bool *present)
{
    const struct dd_json *v = param(c, name);
    if (!v)
        return missing(c, name, r, present);
    /* A string field sent as a number (an id) reads as its digits. */
    if (v->type != DD_JSON_STRING && v->type != DD_JSON_NUMBER)
        return invalid(c, name, r, "must be a string");
    if (r && r->required && v->len == 0)
        return missing(c, name, r, present);
    if (v->type == DD_JSON_STRING && memchr(v->text, '\0', v->len))
        return invalid(c, name, r, "must not contain NUL");
    *out = v->text;
    if (present)
        *present = true;
    return true;
}

bool mock_param_bool(struct mock_call *c, const char *name,
                     const struct mock_param_rule *r, bool *out, bool *present)
{
    const struct dd_json *v = param(c, name);
    if (!v)
        return missing(c, name, r, present);
    bool b;
    if (v->type == DD_JSON_TRUE || v->type == DD_JSON_FALSE)
        b = v->type == DD_JSON_TRUE;
    else if (v->type == DD_JSON_STRING && strcmp(v->text, "true") == 0)
        b = true;
    else if (v->type == DD_JSON_STRING && strcmp(v->text, "false") == 0)
        b = false;
    else if (v->type == DD_JSON_NUMBER && strcmp(v->text, "1") == 0)
        b = true;
    else if (v->type == DD_JSON_NUMBER && strcmp(v->text, "0") == 0)
        b = false;
    else
        return invalid(c, name, r, "must be a boolean");
    *out = b;
    if (present)
        *present = true;
    return true;
}

bool mock_param_int_array(struct mock_call *c, const char *name,
                          const struct mock_param_rule *r, int64_t *out,
                          size_t max, size_t *n, bool *present)
{
    const struct dd_json *v = param(c, name);
    if (!v)
        return missing(c, name, r, present);
    *n = 0;
    if (v->type != DD_JSON_ARRAY) {
        /* one value where an array is expected: read it as [value] */
        int64_t x;
        if (dd_json_int64(v, &x))
            return invalid(c, name, r, "must be an array of integers");
        if (max < 1)
            return invalid(c, name, r, "has too many values");
        out[0] = x;
        *n = 1;
    } else {
        if (v->n > max)
            return invalid(c, name, r, "has too many values");
        for (size_t k = 0; k < v->n; k++) {
            if (dd_json_int64(&v->kids[k], &out[k]))
                return invalid(c, name, r, "must be an array of integers");
        }
        *n = v->n;
    }
    if (present)
        *present = true;
    return true;
}
