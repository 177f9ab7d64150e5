/*
 * ddc_read.c: the lenient/strict JSON field readers of the client
 * (ddc_read.h).
 */
#include "ddc_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddc_err.h"

void ddc_reader_init(struct ddc_reader *r)
{
    r->err = 0;
    r->where[0] = '\0';
}

int ddc_reader_fail(struct ddc_reader *r, const char *key, const char *why)
{
    if (r->err == 0) {
        r->err = DDC_E_PROTOCOL;
        snprintf(r->where, sizeof r->where, "%s %s", key, why);
    }
    return r->err;
}

void *ddc_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        abort();
    return p;
}

char *ddc_strndup(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (!p)
        abort();
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *ddc_strdup(const char *s)
{
    return s ? ddc_strndup(s, strlen(s)) : ddc_strndup("", 0);
}

int64_t ddc_rd_i64(struct ddc_reader *r, const struct dd_json *obj,
                   const char *key, bool required)
{
    const struct dd_json *v = dd_json_get(obj, key);
    int64_t out = 0;
    if (dd_json_is_absent(v)) {
        if (required)
            ddc_reader_fail(r, key, "is missing");
        return 0;
    }
    if (dd_json_int64(v, &out) != 0) {
        if (required)
            ddc_reader_fail(r, key, "is not an integer");
        return 0;
    }
    return out;
}

char *ddc_rd_str(struct ddc_reader *r, const struct dd_json *obj,
                 const char *key, bool required)
{
    const struct dd_json *v = dd_json_get(obj, key);
    if (v && (v->type == DD_JSON_STRING || v->type == DD_JSON_NUMBER))
        return ddc_strndup(v->text, v->len);
    if (required)
        ddc_reader_fail(
            r, key, dd_json_is_absent(v) ? "is missing" : "is not a string");
    return ddc_strdup("");
}

bool ddc_rd_bool(const struct dd_json *obj, const char *key)
{
    const struct dd_json *v = dd_json_get(obj, key);
    if (!v)
        return false;
    switch (v->type) {
    case DD_JSON_TRUE:
        return true;
    case DD_JSON_NUMBER:
        return strcmp(v->text, "1") == 0;
    case DD_JSON_STRING:
        return strcmp(v->text, "true") == 0 || strcmp(v->text, "Y") == 0;
    default:
        return false;
    }
}

const struct dd_json *ddc_rd_array(struct ddc_reader *r,
                                   const struct dd_json *obj, const char *key,
                                   bool required)
{
    const struct dd_json *v = dd_json_get(obj, key);
    if (dd_json_is_absent(v)) {
        if (required)
            ddc_reader_fail(r, key, "is missing");
        return NULL;
    }
    if (v->type != DD_JSON_ARRAY) {
        ddc_reader_fail(r, key, "is not an array");
        return NULL;
    }
    return v;
}

const struct dd_json *ddc_rd_object(struct ddc_reader *r,
                                    const struct dd_json *obj, const char *key,
                                    bool required)
{
    const struct dd_json *v = dd_json_get(obj, key);
    if (v && v->type == DD_JSON_OBJECT)
        return v;
    if (required)
        ddc_reader_fail(
            r, key, dd_json_is_absent(v) ? "is missing" : "is not an object");
    return NULL;
}
