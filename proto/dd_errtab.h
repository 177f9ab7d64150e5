/*
 * dd_errtab.h: Doudian's error codes, with their exact strings, defined once.
 *
 * The mock quotes these in its error envelopes and the client matches on
 * them, so both must use identical text. Sources: doudian-open-api.md §2.4
 * (token errors), §3.2 (top-level codes), §3.3 (platform sub_codes), §3.4
 * (per-API tables) and doudian-shipping-and-operations.md (the
 * order.logisticsAdd table). The rows live in dd_errtab.def as an X-macro
 * list.
 *
 * A sub_code can carry a different sub_msg per API (isv.business-failed:12001
 * means one thing for CancelSendGoodsSuccess and another for
 * returnGoodsToWareHouseSuccess), so a lookup takes (method, sub_code): the
 * API's own row wins, else the platform row (method NULL).
 */
#ifndef DD_ERRTAB_H
#define DD_ERRTAB_H

#include <stddef.h>

struct dd_api_error {
    const char *method;   /* "afterSale.List", or NULL for a platform row */
    int code;             /* 20000, 40001, ... */
    const char *msg;      /* the top-level msg shown with this row */
    const char *sub_code; /* "isv.signature-invalid" */
    const char *sub_msg;
    const char *solution; /* the docs' advice; "" when none */
};

/* Success: code 10000, msg "success". */
#define DD_CODE_SUCCESS 10000
#define DD_MSG_SUCCESS  "success"

/*
 * Finds the row for `sub_code` as answered by API `method`: the API's own
 * row first, then the platform row. `method` may be NULL (platform only).
 * Returns NULL when neither exists. Borrowed, static.
 */
const struct dd_api_error *dd_errtab_find(const char *method,
                                          const char *sub_code);

/* Like dd_errtab_find but aborts when the row is missing: for the mock's
 * own fixed choices, where a missing row is a programming error. */
const struct dd_api_error *dd_errtab_must(const char *method,
                                          const char *sub_code);

/* Returns the whole table and its length (for listing and tests). */
const struct dd_api_error *dd_errtab_all(size_t *n);

/* The generic top-level msg of a code (§3.2), e.g. 40003 -> "非法的参数",
 * or NULL for an unknown code. Where §3.2 gives two wordings, the one used
 * by the per-API tables is chosen (documented in dd_errtab.def). */
const char *dd_code_msg(int code);

#endif
