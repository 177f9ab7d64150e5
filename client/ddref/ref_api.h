/*
 * ref_api.h: ddref's calls to the Doudian open platform, on top of the
 * client library (client/ddc_*.h).
 *
 * Every call of the ERP and of its hook goes through ref_api_call, one
 * place that sends, logs failures and, for the no-token-refresh mutant,
 * swaps the library's token lifecycle for a fixed token. The client is made
 * with max_attempts 1: ddref decides itself what to retry, because a
 * write-back must never be repeated blindly (harness.md, crash safety) and
 * a read may be retried freely:
 *   - reads (afterSale.List, afterSale.Detail) are retried on 20000, 60000
 *     and no answer, up to `read_attempts` requests with a backoff of
 *     0.5 s, 1 s, 2 s (1 s, 2 s, 4 s after 60000);
 *   - write-backs and uploads are sent once per call; ref_classify decides
 *     what comes next, and the caller records it before trying again.
 * Token errors (40003) are cured inside the library (refresh, or create,
 * and one retry); when no token can be had, the client is made again so
 * that a token another process (the hook) stored is picked up.
 *
 * Param_json follows doudian-open-api.md §4 exactly as the library's typed
 * calls write it (ids as strings where the API documents strings).
 */
#ifndef REF_API_H
#define REF_API_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dd_envelope.h"
#include "ddc_api.h"
#include "ddc_client.h"
#include "ddc_config.h"
#include "ddc_http.h"
#include "ddc_token.h"
#include "ref_store.h"

struct ref_api {
    struct ddc_config cfg;
    struct ddc_client *client;
    uint64_t bugs;
    int read_attempts;
    pthread_mutex_t mu; /* one call at a time (the push thread may call) */
    /* The no-token-refresh mutant: its own requests with a fixed token. */
    struct ddc_http *raw;
    struct dd_buf raw_body;
    bool have_fixed;
    char fixed_token[DDC_TOKEN_MAX];
};

/* Makes the API for `cfg` (copied; max_attempts is set to 1). `bugs` are
 * ref_bugs.h bits. Returns 0 or DDC_E_CONFIG with the reason in `err`. */
int ref_api_init(struct ref_api *a, const struct ddc_config *cfg, uint64_t bugs,
                 char *err, size_t errlen);

void ref_api_free(struct ref_api *a);

/* One request (plus the library's token cure). Returns as ddc_client_call;
 * `env` must be freed with dd_envelope_free whatever the result. */
int ref_api_call(struct ref_api *a, const char *method, const char *pj,
                 struct dd_envelope *env, struct ddc_status *st);

/* ref_api_call with the read retries described above. */
int ref_api_read(struct ref_api *a, const char *method, const char *pj,
                 struct dd_envelope *env, struct ddc_status *st);

/* afterSale.List (with read retries), parsed. Free `out` with
 * ddc_aftersale_page_free. */
int ref_api_list(struct ref_api *a, const struct ddc_aftersale_list_req *r,
                 struct ddc_aftersale_page *out, struct ddc_status *st);

/* afterSale.Detail (with read retries), parsed. Free `out` with
 * ddc_aftersale_detail_free. */
int ref_api_detail(struct ref_api *a, int64_t aftersale_id,
                   struct ddc_aftersale_detail *out, struct ddc_status *st);

/* The write-back of `kind` for after-sale `as`, one request:
 * CancelSendGoodsSuccess, returnGoodsToWareHouseSuccess (with the tracking
 * number the warehouse reported in `ro`, when there is one; the
 * refund-by-operate mutant sends afterSale.operate 111 instead), or
 * afterSale.operate 101 with the return address. `method` (may be NULL)
 * gets the method's name. */
int ref_api_writeback(struct ref_api *a, enum ref_kind kind,
                      const struct ref_aftersale *as,
                      const struct ref_return_order *ro, const char **method,
                      struct ddc_status *st);

/* order.logisticsAdd for shop order `order_id` with is_refund_reject true
 * (refuses a pre-shipment refund that came too late; harmless otherwise),
 * one request. */
int ref_api_logistics_add(struct ref_api *a, int64_t order_id,
                          const char *company_code, const char *tracking_no,
                          struct ddc_status *st);

/* The after-sale of a List item or of a Detail answer, read at
 * `read_at_us`. */
void ref_aftersale_from_list(const struct ddc_aftersale *in, int64_t read_at_us,
                             struct ref_aftersale *out);
void ref_aftersale_from_detail(const struct ddc_aftersale_detail *in,
                               int64_t read_at_us, struct ref_aftersale *out);

/* One line about a failed call: "CODE SUB_CODE SUB_MSG" or the transport
 * error. */
void ref_api_brief(int rc, const struct ddc_status *st, char *out, size_t cap);

/* The return address id sent with operate 101. The ERP keeps no address
 * book; the platform only needs a positive id of the shop's (§4.5). */
#define REF_RETURN_ADDRESS_ID 1

#endif
