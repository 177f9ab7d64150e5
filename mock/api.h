/*
 * api.h: what an API handler of the mock gateway gets and gives.
 *
 * The router (router.c) has already done every platform-level check
 * (app_key, method, timestamp, signature, unknown API, access_token) when it
 * calls a handler; the handler only validates its own parameters, applies
 * its business rules to the world and writes its `data`. One file per API
 * group: api_token.c, api_aftersale.c, api_order.c (order and logistics).
 * A reader finds any API's handler from its method name: the function is
 * the method with '.' replaced by '_' and an `api_` prefix
 * (afterSale.List -> api_afterSale_List).
 *
 * Errors: a handler fails by calling mock_call_fail with the sub_code of
 * the row it answers (the API's own row in proto/dd_errtab.def wins over
 * the platform row); the router writes the envelope. Where the API's own
 * table has no row for a case, missing required parameters are
 * 40001/40002 and wrong types or values 40003/40004 (issue rule), through
 * the mock_param_* helpers below.
 */
#ifndef MOCK_API_H
#define MOCK_API_H

#include <stdbool.h>
#include <stdint.h>

#include "dd_buf.h"
#include "dd_errtab.h"
#include "dd_json.h"
#include "dd_jw.h"
#include "world.h"

struct mock_call {
    struct mock_world *world;         /* the app's world */
    const char *method;               /* "afterSale.List" */
    const struct dd_json *params;     /* param_json root: always an object */
    uint32_t token;                   /* index of the access token, MOCK_NONE
                                         for token.create/token.refresh */
    uint32_t shop;                    /* the token's shop index, or MOCK_NONE */
    int64_t now;                      /* real Unix seconds at arrival */
    struct dd_jw *data;               /* write the `data` value here (once) */
    const struct dd_api_error *error; /* set by mock_call_fail */
    char note[160];                   /* optional detail for the journal */
};

typedef void (*mock_api_fn)(struct mock_call *c);

struct mock_api {
    const char *method;
    mock_api_fn fn;
    bool needs_token; /* false only for token.create and token.refresh */
};

/* The table of implemented APIs (api_table.c), NULL-terminated. */
extern const struct mock_api mock_apis[];

/* Finds an implemented API by exact method name, or NULL. */
const struct mock_api *mock_api_find(const char *method);

/* True for real Doudian APIs the mock knows of but does not implement: the
 * router answers them 70000 like unknown ones, but the journal marks them
 * "known API, not implemented by the mock" (harness.md). */
bool mock_api_is_known_unimplemented(const char *method);

/* Fails the call with the row for `sub_code` as answered by c->method
 * (aborts when the table has no such row: a programming error). Optional
 * printf-style detail goes into c->note for the journal. */
void mock_call_fail(struct mock_call *c, const char *sub_code,
                    const char *note_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Parameter readers. Each returns true when the value is usable; on a
 * problem it fails the call (missing required -> `missing_sub`, or when
 * NULL the platform's 40001 isv.parameter-missing; wrong type/value ->
 * `invalid_sub`, or when NULL 40003 isv.parameter-invalid) and returns
 * false. An absent optional parameter returns true and leaves *out alone
 * (with *present false when `present` is non-NULL). `null` counts as
 * absent. Ids accept a JSON number or a numeric string alike.
 */
struct mock_param_rule {
    bool required;
    const char *missing_sub; /* NULL = isv.parameter-missing */
    const char *invalid_sub; /* NULL = isv.parameter-invalid */
};

bool mock_param_int(struct mock_call *c, const char *name,
                    const struct mock_param_rule *r, int64_t *out,
                    bool *present);
bool mock_param_str(struct mock_call *c, const char *name,
                    const struct mock_param_rule *r, const char **out,
                    bool *present);
bool mock_param_bool(struct mock_call *c, const char *name,
                     const struct mock_param_rule *r, bool *out, bool *present);
/* An array of integers (each a number or numeric string); up to `max`
 * values go into out, their count into *n. */
bool mock_param_int_array(struct mock_call *c, const char *name,
                          const struct mock_param_rule *r, int64_t *out,
                          size_t max, size_t *n, bool *present);

/* The handlers. */
void api_token_create(struct mock_call *c);
void api_token_refresh(struct mock_call *c);
void api_afterSale_List(struct mock_call *c);
void api_afterSale_Detail(struct mock_call *c);
void api_afterSale_operate(struct mock_call *c);
void api_afterSale_CancelSendGoodsSuccess(struct mock_call *c);
void api_afterSale_returnGoodsToWareHouseSuccess(struct mock_call *c);
void api_afterSale_rejectReasonCodeList(struct mock_call *c);
void api_afterSale_addOrderRemark(struct mock_call *c);
void api_order_orderDetail(struct mock_call *c);
void api_order_searchList(struct mock_call *c);
void api_order_logisticsAdd(struct mock_call *c);
void api_order_logisticsCompanyList(struct mock_call *c);

/* The default logistics companies (order.logisticsCompanyList, and the
 * codes order.logisticsAdd accepts). NULL-terminated. */
struct mock_company {
    int64_t id;
    const char *code;
    const char *name;
};
extern const struct mock_company mock_companies[];
const struct mock_company *mock_company_find(const char *code);

#endif
