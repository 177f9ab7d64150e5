/*
 * router.h: one HTTP request in, one HTTP answer out.
 *
 * The HTTP front (http.c, the only file that includes <microhttpd.h>)
 * collects a request into a struct mock_request and calls mock_route; the
 * router decides whether it is an admin call (/_mock/...) or an API call
 * and, for API calls, applies the gateway's checks in the mock's fixed
 * order (documented in mock/README.md, a guess: the real order is not
 * public), calls the API handler and writes the envelope. API errors are
 * always HTTP 200 with the Doudian error envelope.
 *
 * Gateway check order:
 *   1. app_key missing -> 40001 isv.app-id-missing; not 19 digits ->
 *      40003 isv.app-id-invalid; unknown -> 40003 isv.app-id-invalid
 *   2. method missing -> 40001 isv.parameter-missing; not the path's
 *      method -> 40003 isv.parameter-invalid
 *   3. timestamp missing -> 40001 isv.parameter-missing; malformed ->
 *      40003 isv.timestamp-format-error; outside the skew window -> 40003
 *      isv.timestamp-invalid
 *   4. sign_method unknown -> 40003 isv.parameter-invalid; sign missing ->
 *      40001 isv.signature-missing; param_json not valid JSON (cannot be
 *      canonicalised) -> 40003 isv.parameter-format-invalid; wrong ->
 *      40003 isv.signature-invalid
 *   5. unknown API -> 70000 isp.api-service-off
 *   6. access_token (all but token.*): missing -> 40001
 *      isv.access-token-missing; unknown -> 40003
 *      isv.access-token-no-existed; expired or revoked -> 40003
 *      isv.access-token-expired; another app's -> 40003
 *      isv.access-token-invalid
 *   7. injected faults armed on the app (faults.h: an error of the table,
 *      rate limits, latency, reset, truncation, page drift);
 *   8. the API's own checks.
 */
#ifndef MOCK_ROUTER_H
#define MOCK_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_buf.h"

struct mock_server;

struct mock_request {
    const char *http_method; /* "POST", "GET", ... */
    const char *uri;         /* raw request target: path and query */
    const char *body;        /* raw body (may be NULL) */
    size_t body_len;
    const char *content_type; /* NULL when absent */
    const char *admin_token;  /* value of the X-Admin-Token header or NULL */
    int64_t received_us;      /* real time the request arrived */
};

struct mock_response {
    int status;               /* HTTP status */
    const char *content_type; /* static string */
    struct dd_buf body;
    /* Injected faults (faults.h), carried out by the HTTP front: */
    int64_t delay_ms;    /* send the answer this much later */
    bool reset;          /* close the connection instead of answering */
    int64_t truncate_to; /* send only this many bytes of the body, then
                            close (-1: the whole body) */
    /* A long-poll (admin): with delay_ms > 0, a ticket from
     * mock_http_ticket that names the held answer, so that another answer
     * can replace it and go out sooner (mock_http_answer_held); 0 = none. */
    uint64_t hold_ticket;
};

/* Handles one request. `rs` must be initialised by the caller
 * (mock_response_init); the caller sends and frees it. */
void mock_route(struct mock_server *s, const struct mock_request *rq,
                struct mock_response *rs);

void mock_response_init(struct mock_response *rs);
void mock_response_free(struct mock_response *rs);

#endif
