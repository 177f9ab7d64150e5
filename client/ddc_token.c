/*
 * ddc_token.c: token answers, the refresh rule and the durable token store
 * (ddc_token.h; doudian-open-api.md §2.2-§2.3).
 */
#include "ddc_token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dd_err.h"
#include "dd_jw.h"
#include "ddc_err.h"
#include "ddc_read.h"

#define STORE_FORMAT  "ddclient-token"
#define STORE_MAX     (64 * 1024)
#define ABSOLUTE_FROM 1000000000LL

/* Copies member `key` (a string) of `obj` into `dst`. Returns 0, or
 * DDC_E_PROTOCOL when required and missing, or too long. */
static int copy_str(const struct dd_json *obj, const char *key, char *dst,
                    size_t cap, bool required, char *err, size_t errlen)
{
    const struct dd_json *v = dd_json_get(obj, key);
    if (!v || v->type != DD_JSON_STRING || v->len == 0 ||
        memchr(v->text, '\0', v->len)) {
        if (!required) {
            if (v && (v->type == DD_JSON_STRING || v->type == DD_JSON_NUMBER) &&
                v->len < cap && !memchr(v->text, '\0', v->len)) {
                memcpy(dst, v->text, v->len + 1);
                return 0;
            }
            dst[0] = '\0';
            return 0;
        }
        snprintf(err, errlen, "token answer: %s is missing or not a string",
                 key);
        return DDC_E_PROTOCOL;
    }
    if (v->len >= cap) {
        if (!required) {
            dst[0] = '\0';
            return 0;
        }
        snprintf(err, errlen, "token answer: %s is longer than %zu bytes", key,
                 cap - 1);
        return DDC_E_PROTOCOL;
    }
    memcpy(dst, v->text, v->len + 1);
    return 0;
}

int ddc_token_from_answer(const struct dd_json *data, int64_t now,
                          const struct ddc_token *prev, struct ddc_token *out,
                          char *err, size_t errlen)
{
    struct ddc_token t;
    memset(&t, 0, sizeof t);
    if (!data || data->type != DD_JSON_OBJECT) {
        snprintf(err, errlen, "token answer: data is not an object");
        return DDC_E_PROTOCOL;
    }
    int rc;
    if ((rc = copy_str(data, "access_token", t.access_token,
                       sizeof t.access_token, true, err, errlen)) ||
        (rc = copy_str(data, "refresh_token", t.refresh_token,
                       sizeof t.refresh_token, true, err, errlen)))
        return rc;
    copy_str(data, "shop_name", t.shop_name, sizeof t.shop_name, false, err,
             errlen);
    copy_str(data, "authority_id", t.authority_id, sizeof t.authority_id, false,
             err, errlen);
    int64_t expires_in;
    if (dd_json_int64(dd_json_get(data, "expires_in"), &expires_in) != 0 ||
        expires_in <= 0) {
        snprintf(err, errlen,
                 "token answer: expires_in is missing or not a positive "
                 "integer");
        return DDC_E_PROTOCOL;
    }
    t.expires_at = expires_in < ABSOLUTE_FROM ? now + expires_in : expires_in;
    /* shop_id is an int64 in the API models and a string in the Go core
     * struct (§2.2): both read the same. */
    if (dd_json_int64(dd_json_get(data, "shop_id"), &t.shop_id) != 0)
        t.shop_id = 0;
    if (prev && strcmp(prev->access_token, t.access_token) == 0 &&
        prev->lifetime_s > 0) {
        t.issued_at = prev->issued_at;
        t.lifetime_s = prev->lifetime_s;
    } else {
        t.issued_at = now;
        t.lifetime_s = t.expires_at - now > 0 ? t.expires_at - now : 1;
    }
    *out = t;
    return 0;
}

int64_t ddc_token_refresh_window(const struct ddc_token *t, int64_t configured)
{
    if (configured > 0)
        return configured;
    int64_t w = t->lifetime_s / (DDC_ACCESS_LIFETIME_S / DDC_REFRESH_WINDOW_S);
    if (w > DDC_REFRESH_WINDOW_S)
        w = DDC_REFRESH_WINDOW_S;
    return w < 1 ? 1 : w;
}

bool ddc_token_refresh_due(const struct ddc_token *t, int64_t now,
                           int64_t configured_window)
{
    int64_t half = ddc_token_refresh_window(t, configured_window) / 2;
    if (half < 1)
        half = 1;
    return t->expires_at - now <= half;
}

bool ddc_token_expired(const struct ddc_token *t, int64_t now)
{
    return now >= t->expires_at;
}

int64_t ddc_token_refresh_expires_at(const struct ddc_token *t)
{
    return t->issued_at + 2 * t->lifetime_s;
}

/* ================================================================ store */

int ddc_token_store_path(const char *dir, const char *app_key, char *out,
                         size_t cap)
{
    int n = snprintf(out, cap, "%s/doudian-token-%s.json", dir, app_key);
    return n < 0 || (size_t)n >= cap ? DD_E_TOO_LARGE : 0;
}

/* Reads a whole small file into `b`. Returns 0, DD_E_NOT_FOUND, DD_E_IO or
 * DD_E_TOO_LARGE. */
static int read_file(const char *path, struct dd_buf *b)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? DD_E_NOT_FOUND : DD_E_IO;
    char chunk[4096];
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return DD_E_IO;
        }
        if (n == 0)
            break;
        if (dd_buf_append(b, chunk, (size_t)n)) {
            rc = DD_E_TOO_LARGE;
            break;
        }
    }
    close(fd);
    return rc;
}

int ddc_token_store_load(const char *dir, const char *app_key,
                         struct ddc_token *out, char *err, size_t errlen)
{
    char path[1200];
    if (ddc_token_store_path(dir, app_key, path, sizeof path)) {
        snprintf(err, errlen, "token store: the directory name is too long");
        return DD_E_IO;
    }
    struct dd_buf b;
    dd_buf_init(&b, STORE_MAX);
    int rc = read_file(path, &b);
    if (rc) {
        int e = errno;
        if (rc != DD_E_NOT_FOUND)
            snprintf(err, errlen, "token store: cannot read %s: %s", path,
                     rc == DD_E_IO ? strerror(e) : dd_strerror(rc));
        dd_buf_free(&b);
        return rc;
    }
    struct dd_json_doc doc = {0};
    struct dd_json_error jerr;
    rc = dd_json_parse(b.data ? b.data : "", b.len, NULL, &doc, &jerr);
    dd_buf_free(&b);
    if (rc) {
        snprintf(err, errlen, "token store: %s:%u:%u: %s", path, jerr.pos.line,
                 jerr.pos.col, jerr.msg);
        return DD_E_FORMAT;
    }
    const struct dd_json *root = doc.root;
    const struct dd_json *fmt = dd_json_get(root, "format");
    const struct dd_json *key = dd_json_get(root, "app_key");
    struct ddc_token t;
    memset(&t, 0, sizeof t);
    char why[160] = "";
    if (!fmt || fmt->type != DD_JSON_STRING || strcmp(fmt->text, STORE_FORMAT))
        snprintf(why, sizeof why, "not a token store file");
    else if (!key || key->type != DD_JSON_STRING ||
             strcmp(key->text, app_key) != 0)
        snprintf(why, sizeof why, "stored for another app_key");
    else if (copy_str(root, "access_token", t.access_token,
                      sizeof t.access_token, true, why, sizeof why) ||
             copy_str(root, "refresh_token", t.refresh_token,
                      sizeof t.refresh_token, true, why, sizeof why))
        ;
    else if (dd_json_int64(dd_json_get(root, "expires_at"), &t.expires_at) ||
             dd_json_int64(dd_json_get(root, "issued_at"), &t.issued_at) ||
             dd_json_int64(dd_json_get(root, "lifetime_s"), &t.lifetime_s) ||
             t.lifetime_s <= 0)
        snprintf(why, sizeof why, "times missing or invalid");
    if (!why[0]) {
        if (dd_json_int64(dd_json_get(root, "shop_id"), &t.shop_id))
            t.shop_id = 0;
        copy_str(root, "shop_name", t.shop_name, sizeof t.shop_name, false, why,
                 sizeof why);
        copy_str(root, "authority_id", t.authority_id, sizeof t.authority_id,
                 false, why, sizeof why);
        why[0] = '\0';
    }
    dd_json_doc_free(&doc);
    if (why[0]) {
        snprintf(err, errlen, "token store: %s: %s", path, why);
        return DD_E_FORMAT;
    }
    *out = t;
    return 0;
}

/* Writes all of `len` bytes to fd. Returns 0 or -1 (errno set). */
static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int ddc_token_store_save(const char *dir, const char *app_key,
                         const struct ddc_token *t, char *err, size_t errlen)
{
    char path[1200], tmp[1300];
    static unsigned counter;
    if (ddc_token_store_path(dir, app_key, path, sizeof path)) {
        snprintf(err, errlen, "token store: the directory name is too long");
        return DD_E_IO;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(),
             __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));

    struct dd_buf b;
    dd_buf_init(&b, STORE_MAX);
    struct dd_jw w;
    dd_jw_init(&w, &b);
    dd_jw_object_begin(&w);
    dd_jw_kstr(&w, "format", STORE_FORMAT);
    dd_jw_kint(&w, "version", 1);
    dd_jw_kstr(&w, "app_key", app_key);
    dd_jw_kint_str(&w, "shop_id", t->shop_id);
    dd_jw_kstr(&w, "shop_name", t->shop_name);
    dd_jw_kstr(&w, "authority_id", t->authority_id);
    dd_jw_kstr(&w, "access_token", t->access_token);
    dd_jw_kstr(&w, "refresh_token", t->refresh_token);
    dd_jw_kint(&w, "expires_at", t->expires_at);
    dd_jw_kint(&w, "issued_at", t->issued_at);
    dd_jw_kint(&w, "lifetime_s", t->lifetime_s);
    dd_jw_object_end(&w);
    dd_buf_putc(&b, '\n');
    if (dd_jw_error(&w)) {
        dd_buf_free(&b);
        snprintf(err, errlen, "token store: the token is too large to store");
        return DD_E_IO;
    }

    const char *step = "create";
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int ok = fd >= 0;
    if (ok && (step = "write", write_all(fd, b.data, b.len) != 0))
        ok = 0;
    if (ok && (step = "fsync", fsync(fd) != 0))
        ok = 0;
    int saved = errno;
    if (fd >= 0 && close(fd) != 0 && ok) {
        step = "close";
        saved = errno;
        ok = 0;
    }
    if (ok && (step = "rename", rename(tmp, path) != 0)) {
        saved = errno;
        ok = 0;
    }
    dd_buf_free(&b);
    if (!ok) {
        if (fd >= 0)
            unlink(tmp);
        snprintf(err, errlen, "token store: cannot %s %s: %s", step,
                 strcmp(step, "rename") ? tmp : path, strerror(saved));
        return DD_E_IO;
    }
    /* Make the rename itself durable. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int ddc_token_store_remove(const char *dir, const char *app_key)
{
    char path[1200];
    if (ddc_token_store_path(dir, app_key, path, sizeof path))
        return DD_E_IO;
    if (unlink(path) != 0 && errno != ENOENT)
        return DD_E_IO;
    return 0;
}
