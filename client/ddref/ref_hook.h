/*
 * ref_hook.h: `ddref hook`, the warehouse hook of harness.md ("Hook"): one
 * JSON object in on stdin, one out on stdout, 10 s at most, sharing the
 * ERP's database (ref_store.h).
 *
 *   warehouse.ship_request  May these SKU orders leave? The hook first
 *       reads the order's after-sales from the platform (afterSale.List by
 *       order_id), so that a refund the ERP process has not seen yet still
 *       stops the parcel; then, in one IMMEDIATE transaction (so that the
 *       ERP cannot cancel the outbound and the warehouse ship it at the
 *       same time), answers {"shipped": false} when any SKU order has an
 *       open or succeeded pre-shipment refund or an outbound cancelled for
 *       one (ref_sku_may_ship), else marks the outbounds shipped, records
 *       the shipment for the ERP to upload and answers {"shipped": true,
 *       "company_code", "tracking_no"} (the same number again for the same
 *       order).
 *   warehouse.return_arrived  Records the inspection (items, quantities,
 *       condition, tracking number) on the return order and answers
 *       {"received": true}; the ERP process decides about the write-back.
 */
#ifndef REF_HOOK_H
#define REF_HOOK_H

#include <stdint.h>
#include <stdio.h>

#include "dd_buf.h"
#include "ddc_config.h"
#include "ref_api.h"
#include "ref_store.h"

/* The courier the warehouse hands parcels to (a code of
 * order.logisticsCompanyList). */
#define REF_COMPANY_CODE "zhongtong"

/*
 * Handles one hook event (`input`, len bytes of JSON) against the store
 * `s`, reading the platform through `api` (may be NULL: then decides from
 * the store alone). Writes the answer object into `answer`. Returns 0, or
 * DD_E_FORMAT / a JSON error for input it cannot handle (reason in `err`),
 * or a store error.
 */
int ref_hook_handle(struct ref_store *s, struct ref_api *api, uint64_t bugs,
                    const char *input, size_t len, struct dd_buf *answer,
                    char *err, size_t errlen);

/* The whole `ddref hook` process: reads stdin `in`, opens the state of
 * `cfg`, answers on `out`. Returns the exit status (0, or 2). */
int ref_hook_main(const struct ddc_config *cfg, uint64_t bugs, FILE *in,
                  FILE *out);

#endif
