/*
 * ddc_http.c: the client's libcurl POST (ddc_http.h).
 */
#include "ddc_http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddc_err.h"

struct ddc_http {
    CURL *curl;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        abort();
}

struct ddc_http *ddc_http_new(void)
{
    pthread_once(&global_once, global_init);
    struct ddc_http *h = calloc(1, sizeof *h);
    if (!h)
        abort();
    h->curl = curl_easy_init();
    if (!h->curl)
        abort();
    return h;
}

void ddc_http_free(struct ddc_http *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->curl);
    free(h);
}

/* libcurl write callback: appends to the dd_buf; a body over its cap
 * makes libcurl stop with CURLE_WRITE_ERROR. */
static size_t collect_cb(char *p, size_t size, size_t n, void *userdata)
{
    struct dd_buf *b = userdata;
    if (dd_buf_append(b, p, size * n) != 0)
        return 0;
    return size * n;
}

int ddc_http_post(struct ddc_http *h, const struct ddc_http_request *rq,
                  long *status, struct dd_buf *out, char *err, size_t errlen)
{
    CURL *c = h->curl;
    char curl_err[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    for (const char *const *l = rq->headers; l && *l; l++) {
        struct curl_slist *n = curl_slist_append(hdrs, *l);
        if (!n)
            abort();
        hdrs = n;
    }
    /* Without this, libcurl sends "Expect: 100-continue" for bodies over
     * 1 KiB and waits for the server's go-ahead: a round trip for nothing. */
    struct curl_slist *n = curl_slist_append(hdrs, "Expect:");
    if (!n)
        abort();
    hdrs = n;

    dd_buf_reset(out);
    out->max = DDC_HTTP_BODY_MAX;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, rq->url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(rq->body ? rq->len : 0));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (rq->fresh_connection) {
        curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    }
    CURLcode rc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s",
                 curl_err[0] ? curl_err : curl_easy_strerror(rc));
        return DDC_E_TRANSPORT;
    }
    return 0;
}
