/*
 * dd_params.c: Doudian's common request parameters (dd_params.h):
 * method <-> path (doudian-open-api.md §1.2), the three timestamp forms and
 * the 19-digit app_key (§1.4), query-string decoding, and the gateway's
 * syntactic checks in their documented order.
 *
 * Dates are converted with the days-from-civil algorithm in plain integer
 * arithmetic, so nothing depends on the TZ variable or the C library's time
 * zone database: Doudian's date-form timestamps are Beijing time (UTC+8,
 * no daylight saving).
 */
#include "dd_params.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dd_err.h"

#define BEIJING_OFFSET (8 * 3600)

static int is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

int dd_method_from_path(const char *path, char out[DD_METHOD_MAX])
{
    size_t o = 0;
    int pending_sep = 0;
    for (const char *s = path; *s && *s != '?'; s++) {
        if (*s == '/') {
            pending_sep = o > 0;
            continue;
        }
        if (!is_word_char(*s))
            return DD_E_FORMAT;
        if (pending_sep) {
            if (o + 1 >= DD_METHOD_MAX)
                return DD_E_TOO_LARGE;
            out[o++] = '.';
            pending_sep = 0;
        }
        if (o + 1 >= DD_METHOD_MAX)
            return DD_E_TOO_LARGE;
        out[o++] = *s;
    }
    out[o] = '\0';
    /* Leave room for the leading '/' of the path it maps back to. */
    if (o + 2 > DD_METHOD_MAX)
        return DD_E_TOO_LARGE;
    return o ? 0 : DD_E_FORMAT;
}

int dd_path_from_method(const char *method, char out[DD_METHOD_MAX])
{
    size_t o = 0;
    int seg_len = 0;
    out[o++] = '/';
    for (const char *s = method; *s; s++) {
        if (o + 1 >= DD_METHOD_MAX)
            return DD_E_TOO_LARGE;
        if (*s == '.') {
            if (seg_len == 0)
                return DD_E_FORMAT;
            out[o++] = '/';
            seg_len = 0;
        } else if (is_word_char(*s)) {
            out[o++] = *s;
            seg_len++;
        } else {
            return DD_E_FORMAT;
        }
    }
    out[o] = '\0';
    return seg_len ? 0 : DD_E_FORMAT;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned dm[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int dd_timestamp_parse(const char *s, int64_t *unix_seconds,
                       enum dd_ts_form *form)
{
    if (!s)
        return DD_E_FORMAT;
    size_t n = strlen(s);
    size_t nd = 0;
    while (nd < n && s[nd] >= '0' && s[nd] <= '9')
        nd++;
    if (nd == n && (n == 10 || n == 13)) {
        int64_t v = 0;
        for (size_t i = 0; i < n; i++)
            v = v * 10 + (s[i] - '0');
        *unix_seconds = n == 13 ? v / 1000 : v;
        if (form)
            *form = n == 13 ? DD_TS_MILLIS : DD_TS_SECONDS;
        return 0;
    }
    /* yyyy-MM-dd HH:mm:ss */
    unsigned y, mo, d, h, mi, se;
    if (n != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' ||
        s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
        digits(s + 8, 2, &d) || digits(s + 11, 2, &h) ||
        digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
        return DD_E_FORMAT;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
        h > 23 || mi > 59 || se > 59)
        return DD_E_FORMAT;
    int64_t days = days_from_civil(y, mo, d);
    *unix_seconds = days * 86400 + h * 3600 + mi * 60 + se - BEIJING_OFFSET;
    if (form)
        *form = DD_TS_DATE;
    return 0;
}

void dd_timestamp_format_date(int64_t unix_seconds, char out[20])
{
    int64_t t = unix_seconds + BEIJING_OFFSET;
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t rem = t - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    unsigned h = (unsigned)(rem / 3600), mi = (unsigned)(rem / 60 % 60),
             se = (unsigned)(rem % 60);
    /* Fixed width: every field fits (years are clamped to 4 digits). */
    if (y < 0)
        y = 0;
    if (y > 9999)
        y = 9999;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = ' ';
    out[11] = (char)('0' + h / 10);
    out[12] = (char)('0' + h % 10);
    out[13] = ':';
    out[14] = (char)('0' + mi / 10);
    out[15] = (char)('0' + mi % 10);
    out[16] = ':';
    out[17] = (char)('0' + se / 10);
    out[18] = (char)('0' + se % 10);
    out[19] = '\0';
}

int dd_app_key_valid(const char *s)
{
    if (!s)
        return 0;
    size_t i = 0;
    for (; s[i]; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return i == 19;
}

/* ============================================================== query */

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..n) into a new string; NULL on a bad escape or a NUL. */
static char *form_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (!out)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = n - i >= 3 ? hexdigit(s[i + 1]) : -1;
            int lo = n - i >= 3 ? hexdigit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(out);
                return NULL;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') {
            free(out);
            return NULL;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

void dd_query_free(struct dd_query *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->kv[i].key);
        free(q->kv[i].value);
    }
    q->n = 0;
}

int dd_query_parse(const char *s, size_t len, struct dd_query *q)
{
    q->n = 0;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && s[end] != '&')
            end++;
        if (end > i) {
            size_t eq = i;
            while (eq < end && s[eq] != '=')
                eq++;
            if (q->n == DD_QUERY_MAX_PARAMS) {
                dd_query_free(q);
                return DD_E_TOO_LARGE;
            }
            char *k = form_decode(s + i, eq - i);
            char *v = eq < end ? form_decode(s + eq + 1, end - eq - 1)
                               : form_decode("", 0);
            if (!k || !v) {
                free(k);
                free(v);
                dd_query_free(q);
                return DD_E_FORMAT;
            }
            q->kv[q->n].key = k;
            q->kv[q->n].value = v;
            q->n++;
        }
        i = end + 1;
    }
    return 0;
}

const char *dd_query_get(const struct dd_query *q, const char *key)
{
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->kv[i].key, key) == 0)
            return q->kv[i].value;
    return NULL;
}

int dd_url_encode(struct dd_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (size_t i = 0; i < len && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
            c == '~') {
            rc = dd_buf_putc(out, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = dd_buf_append(out, e, 3);
        }
    }
    return rc;
}

/* ============================================================== checks */

void dd_common_from_query(struct dd_common *c, const struct dd_query *q)
{
    memset(c, 0, sizeof *c);
    c->app_key = dd_query_get(q, "app_key");
    c->method = dd_query_get(q, "method");
    c->access_token = dd_query_get(q, "access_token");
    c->timestamp = dd_query_get(q, "timestamp");
    c->v = dd_query_get(q, "v");
    c->sign = dd_query_get(q, "sign");
    c->sign_method = dd_query_get(q, "sign_method");
}

static int absent(const char *s)
{
    return !s || !*s;
}

const char *dd_common_check(struct dd_common *c, const char *path_method)
{
    if (absent(c->app_key))
        return "isv.app-id-missing";
    if (!dd_app_key_valid(c->app_key))
        return "isv.app-id-invalid";
    if (absent(c->method))
        return "isv.parameter-missing";
    /* Path matching is case-insensitive: some SDKs call /afterSale/Operate
     * for afterSale.operate (doudian-open-api.md §1.2). */
    if (path_method && strcasecmp(c->method, path_method) != 0)
        return "isv.parameter-invalid";
    if (absent(c->timestamp))
        return "isv.parameter-missing";
    if (dd_timestamp_parse(c->timestamp, &c->ts_seconds, &c->ts_form))
        return "isv.timestamp-format-error";
    if (c->skew_seconds > 0 && (c->ts_seconds < c->now - c->skew_seconds ||
                                c->ts_seconds > c->now + c->skew_seconds))
        return "isv.timestamp-invalid";
    if (dd_sign_method_parse(c->sign_method, &c->sign_alg))
        return "isv.parameter-invalid";
    if (absent(c->sign))
        return "isv.signature-missing";
    return NULL;
}
