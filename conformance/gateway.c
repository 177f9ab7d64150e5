/*
 * gateway.c: the admin-API client of the ERP driver (gateway.h). The only
 * file of conformance/ that includes <curl/curl.h>.
 *
 * Every call goes through the client's one easy handle, so a worker keeps
 * one keep-alive connection to the mock. Answers are JSON objects or
 * arrays (the journal); they are parsed here once with limits wide enough
 * for a journal page (entries embed the ERP's parameters, which may be
 * nested deeply, and a page may pass the reader's default 8 MiB).
 */
#include "gateway.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_jw.h"

#define DEFAULT_TIMEOUT_MS 30000L
#define ANSWER_MAX         ((size_t)512 << 20) /* a journal page at most */
#define ANSWER_MAX_DEPTH   256
#define DESCRIBE_MAX       300 /* bytes of a body quoted in a message */

int conf_gw_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void conf_gw_global_cleanup(void)
{
    curl_global_cleanup();
}

int conf_gw_init(struct conf_gw *g, const char *base_url, double stretch,
                 char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    dd_buf_init(&g->body, ANSWER_MAX);
    size_t n = strlen(base_url);
    while (n > 0 && base_url[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof g->base) {
        snprintf(err, errlen, "bad mock URL \"%s\"", base_url);
        return -1;
    }
    memcpy(g->base, base_url, n);
    g->base[n] = '\0';
    g->stretch = stretch < 1 ? 1 : stretch;
    g->curl = curl_easy_init();
    if (!g->curl) {
        snprintf(err, errlen, "curl_easy_init failed");
        return -1;
    }
    return 0;
}

void conf_gw_free(struct conf_gw *g)
{
    if (g->curl)
        curl_easy_cleanup(g->curl);
    g->curl = NULL;
    dd_json_doc_free(&g->doc);
    dd_buf_free(&g->body);
}

static size_t collect_cb(char *p, size_t size, size_t n, void *userdata)
{
    struct dd_buf *b = userdata;
    if (dd_buf_append(b, p, size * n) != 0)
        return 0; /* over the cap: libcurl stops with a write error */
    return size * n;
}

long conf_gw_call(struct conf_gw *g, const char *verb, const char *target,
                  const char *body, size_t len, long timeout_ms)
{
    CURL *c = g->curl;
    dd_buf_reset(&g->body);
    dd_json_doc_free(&g->doc);
    g->status = 0;
    g->err[0] = '\0';

    struct dd_buf url;
    dd_buf_init(&url, 0);
    dd_buf_printf(&url, "%s%s", g->base, target);
    if (timeout_ms <= 0)
        timeout_ms = DEFAULT_TIMEOUT_MS;
    long timeout = (long)((double)timeout_ms * g->stretch);

    struct curl_slist *h = NULL;
    if (body)
        h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url.data);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &g->body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (h)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, verb);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else if (strcmp(verb, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, verb);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(h);
    if (rc != CURLE_OK) {
        snprintf(g->err, sizeof g->err, "%s %s: %s", verb, url.data,
                 curl_easy_strerror(rc));
        dd_buf_free(&url);
        return -1;
    }
    dd_buf_free(&url);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &g->status);
    if (g->body.len) {
        struct dd_json_limits lim = {ANSWER_MAX_DEPTH, g->body.len + 1};
        if (dd_json_parse(g->body.data, g->body.len, &lim, &g->doc, NULL) != 0)
            dd_json_doc_free(&g->doc);
    }
    return g->status;
}

const struct dd_json *conf_gw_json(const struct conf_gw *g)
{
    return g->doc.root;
}

const char *conf_gw_describe(struct conf_gw *g)
{
    if (g->err[0])
        return g->err;
    const struct dd_json *e = dd_json_get(g->doc.root, "error");
    if (e && e->type == DD_JSON_STRING)
        snprintf(g->err, sizeof g->err, "HTTP %ld: %s", g->status, e->text);
    else
        snprintf(g->err, sizeof g->err, "HTTP %ld: %.*s", g->status,
                 (int)(g->body.len < DESCRIBE_MAX ? g->body.len : DESCRIBE_MAX),
                 g->body.len ? g->body.data : "");
    return g->err;
}

void conf_gw_escape(struct dd_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
            *p == '~') {
            dd_buf_putc(out, (char)*p);
        } else {
            dd_buf_putc(out, '%');
            dd_buf_putc(out, hex[*p >> 4]);
            dd_buf_putc(out, hex[*p & 15]);
        }
    }
}

/* Calls `verb` on a target built from a path prefix, the run key
 * (escaped) and a suffix. */
static long run_call(struct conf_gw *g, const char *verb, const char *prefix,
                     const char *run, const char *suffix, const char *body,
                     size_t len, long timeout_ms)
{
    struct dd_buf t;
    dd_buf_init(&t, 0);
    dd_buf_puts(&t, prefix);
    conf_gw_escape(&t, run);
    dd_buf_puts(&t, suffix);
    long st = conf_gw_call(g, verb, t.data, body, len, timeout_ms);
    dd_buf_free(&t);
    return st;
}

long conf_gw_run_create(struct conf_gw *g, const char *name, bool push,
                        bool hook, int64_t time_scale, double stretch,
                        const char *scenario, size_t len)
{
    struct dd_buf t;
    dd_buf_init(&t, 0);
    dd_buf_puts(&t, "/_mock/runs?name=");
    conf_gw_escape(&t, name);
    dd_buf_printf(&t, "&push=%d&hook=%d&stretch=%g", push ? 1 : 0, hook ? 1 : 0,
                  stretch);
    if (time_scale > 0)
        dd_buf_printf(&t, "&time_scale=%" PRId64, time_scale);
    if (g->run_seed_set)
        dd_buf_printf(&t, "&seed=%" PRIu64, g->run_seed);
    long st = conf_gw_call(g, "POST", t.data, scenario, len, 0);
    dd_buf_free(&t);
    return st;
}

long conf_gw_run_start(struct conf_gw *g, const char *run, const char *body)
{
    return run_call(g, "POST", "/_mock/runs/", run, "/start", body,
                    strlen(body), 0);
}

long conf_gw_subscribe(struct conf_gw *g, const char *run, const char *url)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    struct dd_jw w;
    dd_jw_init(&w, &b);
    dd_jw_object_begin(&w);
    dd_jw_kstr(&w, "url", url);
    dd_jw_object_end(&w);
    long st = run_call(g, "PUT", "/_mock/worlds/", run, "/subscription", b.data,
                       b.len, 0);
    dd_buf_free(&b);
    return st;
}

long conf_gw_run_next(struct conf_gw *g, const char *run, int wait_ms)
{
    char suffix[48];
    snprintf(suffix, sizeof suffix, "/next?wait_ms=%d", wait_ms);
    return run_call(g, "GET", "/_mock/runs/", run, suffix, NULL, 0,
                    DEFAULT_TIMEOUT_MS + wait_ms);
}

long conf_gw_run_reply(struct conf_gw *g, const char *run, int64_t event_id,
                       const char *body, size_t len)
{
    char suffix[64];
    snprintf(suffix, sizeof suffix, "/events/%" PRId64 "/reply", event_id);
    return run_call(g, "POST", "/_mock/runs/", run, suffix, body, len, 0);
}

long conf_gw_run_erp(struct conf_gw *g, const char *run, const char *what,
                     long pid, int status, const char *note)
{
    struct dd_buf b;
    dd_buf_init(&b, 0);
    struct dd_jw w;
    dd_jw_init(&w, &b);
    dd_jw_object_begin(&w);
    dd_jw_kstr(&w, "what", what);
    dd_jw_kint(&w, "pid", pid);
    if (status >= 0)
        dd_jw_kint(&w, "status", status);
    if (note)
        dd_jw_kstr(&w, "note", note);
    dd_jw_object_end(&w);
    long st =
        run_call(g, "POST", "/_mock/runs/", run, "/erp", b.data, b.len, 0);
    dd_buf_free(&b);
    return st;
}

long conf_gw_run_end(struct conf_gw *g, const char *run)
{
    return run_call(g, "POST", "/_mock/runs/", run, "/end", "{}", 2, 0);
}

long conf_gw_run_delete(struct conf_gw *g, const char *run)
{
    return run_call(g, "DELETE", "/_mock/runs/", run, "", NULL, 0, 0);
}

long conf_gw_journal(struct conf_gw *g, const char *run, uint64_t since)
{
    struct dd_buf t;
    dd_buf_init(&t, 0);
    dd_buf_printf(&t, "/_mock/journal?since=%" PRIu64 "&app_key=", since);
    conf_gw_escape(&t, run);
    dd_buf_puts(&t, "&limit=0");
    long st = conf_gw_call(g, "GET", t.data, NULL, 0, 0);
    dd_buf_free(&t);
    return st;
}
