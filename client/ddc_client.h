/*
 * ddc_client.h: a Doudian open-platform client: signed calls, the token
 * lifecycle and retries (doudian-open-api.md §1-§3).
 *
 * A request goes out like the official Go SDK's: POST {base}/{path}, the
 * system parameters (app_key, method, v=2, timestamp in Unix seconds,
 * sign, sign_method, access_token) in the query string, the canonical
 * param_json (proto/dd_json.h) as the body and as the signed text
 * (proto/dd_sign.h, §1.5-§1.6).
 *
 * Token lifecycle (§2.2-§2.4, rules in ddc_token.h): the first call that
 * needs a token loads it from the durable store, else creates one
 * (authorization_self with the shop id, or authorization_code with the
 * auth code); a token within its refresh window is refreshed before the
 * call; an answer 40003 isv.access-token-expired or
 * isv.access-token-no-existed makes the client refresh (or, when the
 * refresh token is dead too, create) and send the call once more. Every
 * new pair is written to the store before it is used.
 *
 * Retries: an answer 20000 (系统错误), 60000 (rate limited) or, for reads
 * and token calls, a transport failure (no answer, HTTP status other than
 * 200, a body that is no envelope) is retried up to max_attempts requests in
 * all, after a wait drawn uniformly from [d/2, d] with d = initial x 2^(n-1)
 * capped at backoff_max_ms (60000 starts from rate_limit_initial_ms). Business
 * errors are never retried. A call that changes something (write-backs,
 * afterSale.operate, order.logisticsAdd, addOrderRemark) travels on a
 * fresh connection and is never sent again after a lost answer: it
 * returns DDC_E_TRANSPORT and the caller re-reads the platform's state
 * before sending it again. Note that a write-back whose answer was lost
 * may have been applied: its retry then gets the API's "already done"
 * error (for the assistant write-backs 50002 isv.business-failed:12001),
 * which the caller should confirm with afterSale.Detail.
 *
 * Threads: a client may be shared; each call holds the client's mutex for
 * its whole length (backoff waits included), so calls are serialised.
 * Threads that call the client should call dd_json_release_cache() before
 * they end (proto/dd_json.h keeps per-thread parse memory).
 */
#ifndef DDC_CLIENT_H
#define DDC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "dd_envelope.h"
#include "ddc_config.h"
#include "ddc_err.h"
#include "ddc_token.h"

struct ddc_client;

/* Counters since the client was made (for logs and tests). */
struct ddc_client_stats {
    uint64_t requests;        /* HTTP requests sent, token calls included */
    uint64_t retries;         /* requests that repeated a failed one */
    uint64_t token_creates;   /* token.create calls that succeeded */
    uint64_t token_refreshes; /* token.refresh calls that gave a new pair */
    uint64_t token_retries;   /* calls re-sent after a token error */
    uint64_t store_errors;    /* failed writes of the token store */
    char last_store_error[256];
};

/*
 * Makes a client for `cfg` (copied; checked with ddc_config_check). No
 * request is sent yet. Returns a new client (free with ddc_client_free),
 * or NULL with the reason in `err`.
 */
struct ddc_client *ddc_client_new(const struct ddc_config *cfg, char *err,
                                  size_t errlen);

/* Frees the client. Safe on NULL. No call may be running. */
void ddc_client_free(struct ddc_client *c);

/* The client's configuration (borrowed, read-only). */
const struct ddc_config *ddc_client_config(const struct ddc_client *c);

/*
 * Calls API `method` ("afterSale.List") with `param_json` (a JSON object
 * as text, NUL-terminated; NULL or "" means {}), with the token lifecycle
 * and retries described above (token.create and token.refresh are sent
 * without a token and without the token logic).
 * Returns:
 *   0                 success; `env` holds the answer (code 10000);
 *   DDC_E_API         an error envelope; `env` holds it;
 *   DDC_E_TRANSPORT   no usable answer after every attempt;
 *   DDC_E_AUTH        no token could be obtained (st says why);
 *   a DD_E_* code     `param_json` is not a JSON object (st->detail).
 * `env` must be freed with dd_envelope_free whatever the result (it is
 * empty when no envelope is held). `st` may be NULL.
 */
int ddc_client_call(struct ddc_client *c, const char *method,
                    const char *param_json, struct dd_envelope *env,
                    struct ddc_status *st);

/* Makes sure a usable token is held (loading, creating or refreshing it
 * as a call would) and copies it into `out` (may be NULL). Returns 0,
 * DDC_E_AUTH, DDC_E_API or DDC_E_TRANSPORT. */
int ddc_client_token(struct ddc_client *c, struct ddc_token *out,
                     struct ddc_status *st);

/* Refreshes the token now, whatever its age (creating one when there is
 * none or the refresh token is dead). Same returns as ddc_client_token. */
int ddc_client_refresh(struct ddc_client *c, struct ddc_status *st);

/* Copies the counters. */
void ddc_client_stats(struct ddc_client *c, struct ddc_client_stats *out);

#endif
