/*
 * ddc_http.h: one HTTP/1.1 POST over libcurl, for the client.
 *
 * The only file of client/ that includes <curl/curl.h> (the protocol
 * library stays free of it, house style "curlx"). A struct ddc_http wraps
 * one CURL easy handle, so consecutive requests reuse one keep-alive
 * connection like the official SDKs do (doudian-open-api.md §1.3). It is
 * not thread-safe: one thread at a time (ddc_client serialises).
 *
 * What counts as "an answer": any HTTP status with a whole body. Whether
 * a status other than 200 is an error is the caller's decision (the
 * official SDKs treat it as a transport error, §1.3).
 */
#ifndef DDC_HTTP_H
#define DDC_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "dd_buf.h"

/* Largest answer body read (longer ones are a transport error). */
#define DDC_HTTP_BODY_MAX ((size_t)32 << 20)

struct ddc_http;

/* Returns a new handle (free with ddc_http_free). Initialises libcurl
 * globally on first use (thread-safe). Aborts when out of memory. */
struct ddc_http *ddc_http_new(void);

void ddc_http_free(struct ddc_http *h);

/* One request: POST `body` (len bytes) to `url` with extra header lines
 * ("Name: value", NULL-terminated, may be NULL). */
struct ddc_http_request {
    const char *url;
    const char *body;
    size_t len;
    const char *const *headers;
    long connect_timeout_ms;
    long timeout_ms;
    /* A call that changes something (a write-back, an operate, a logistics
     * upload): sent on a new connection that is closed afterwards. On a
     * reused keep-alive connection that dies before the answer, libcurl
     * sends the request again by itself, so a write-back the platform had
     * already applied would go out twice. */
    bool fresh_connection;
};

/*
 * Sends the request and collects the answer's body into `out` (reset
 * first; capped at DDC_HTTP_BODY_MAX). Returns 0 when an answer arrived
 * (its status in *status), or DDC_E_TRANSPORT with libcurl's message in
 * `err` (connection refused or reset, timeout, a cut body, a body over
 * the cap); *status is then 0 or what arrived before the failure.
 */
int ddc_http_post(struct ddc_http *h, const struct ddc_http_request *rq,
                  long *status, struct dd_buf *out, char *err, size_t errlen);

#endif
