/*
 * dd_envelope.c: the Doudian response envelope and its log_id.
 *
 * Every gateway answer is HTTP 200 with one JSON object, written here with
 * the keys code, msg, sub_code, sub_msg, log_id, data in that order
 * (doudian-open-api.md §3.1, the official Go SDK's base response). Reading
 * is liberal where real clients differ: `code` may be a number or a numeric
 * string (the official Java SDK types it as a String); absent strings read
 * as "".
 *
 * The log_id copies the real shape (§3.1 sample
 * "20211203091350010194059098259B567F"): yyyyMMddHHmmss in Beijing time
 * (UTC+8, no daylight saving), computed arithmetically so that TZ and the C
 * library's zone tables play no part, then 20 upper-case hex digits.
 */
#include "dd_envelope.h"

#include <stdio.h>
#include <string.h>

#include "dd_err.h"

/* ---------------------------------------------------------------- log_id */

#define UTC8_SECONDS    (8 * 3600)
#define SECONDS_PER_DAY 86400
/* Local (Beijing) seconds of 0000-01-01 00:00:00 and 9999-12-31 23:59:59,
 * the range a 4-digit year can show. */
#define LOCAL_MIN INT64_C(-62167219200)
#define LOCAL_MAX INT64_C(253402300799)

/*
 * Converts a day count since 1970-01-01 to a proleptic Gregorian date
 * (Howard Hinnant's civil_from_days, the inverse of days_from_civil). Valid
 * for any day this file passes (years 0 to 9999).
 */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468; /* shift the epoch to 0000-03-01 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097); /* [0, 146096] */
    unsigned yoe =
        (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);    /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                         /* [0, 11] */
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Writes `v` as exactly `width` decimal digits, zero-padded. */
static char *put_dec(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* Writes the low 4*`ndigits` bits of `v` as upper-case hex. */
static char *put_hex(char *p, uint64_t v, int ndigits)
{
    static const char hex[] = "0123456789ABCDEF";
    for (int i = ndigits - 1; i >= 0; i--) {
        p[i] = hex[v & 0xF];
        v >>= 4;
    }
    return p + ndigits;
}

/*
 * A time outside years 0000-9999 (Beijing) is clamped to the nearest end of
 * that range, so the result always has the log_id shape. The entropy is
 * written as hi (4 digits) then lo (16 digits), most significant first.
 */
void dd_log_id_format(char out[DD_LOG_ID_LEN + 1], int64_t unix_seconds,
                      uint16_t hi, uint64_t lo)
{
    int64_t local;
    if (unix_seconds < LOCAL_MIN - UTC8_SECONDS)
        local = LOCAL_MIN;
    else if (unix_seconds > LOCAL_MAX - UTC8_SECONDS)
        local = LOCAL_MAX;
    else
        local = unix_seconds + UTC8_SECONDS;

    int64_t days = local / SECONDS_PER_DAY;
    int64_t secs = local % SECONDS_PER_DAY;
    if (secs < 0) { /* floor division for times before 1970 */
        secs += SECONDS_PER_DAY;
        days -= 1;
    }
    int64_t year;
    unsigned month, day;
    civil_from_days(days, &year, &month, &day);

    char *p = out;
    p = put_dec(p, (unsigned)year, 4);
    p = put_dec(p, month, 2);
    p = put_dec(p, day, 2);
    p = put_dec(p, (unsigned)(secs / 3600), 2);
    p = put_dec(p, (unsigned)(secs / 60 % 60), 2);
    p = put_dec(p, (unsigned)(secs % 60), 2);
    p = put_hex(p, hi, 4);
    p = put_hex(p, lo, 16);
    *p = '\0';
}

/* Reads `n` decimal digits at `s` (already known to be digits). */
static unsigned get_dec(const char *s, int n)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

/*
 * The shape: exactly 34 characters, 14 digits forming a plausible
 * yyyyMMddHHmmss (month 01-12, day 01-31, hour 00-23, minute and second
 * 00-59), then 20 characters of 0-9 or A-F. Lower-case hex is rejected: the
 * platform writes upper case. NULL is not valid.
 */
bool dd_log_id_valid(const char *s)
{
    if (s == NULL)
        return false;
    for (int i = 0; i < DD_LOG_ID_LEN; i++) {
        char c = s[i];
        if (c == '\0')
            return false;
        bool digit = c >= '0' && c <= '9';
        if (i < 14 ? !digit : !(digit || (c >= 'A' && c <= 'F')))
            return false;
    }
    if (s[DD_LOG_ID_LEN] != '\0')
        return false;
    unsigned month = get_dec(s + 4, 2), day = get_dec(s + 6, 2);
    return month >= 1 && month <= 12 && day >= 1 && day <= 31 &&
           get_dec(s + 8, 2) < 24 && get_dec(s + 10, 2) < 60 &&
           get_dec(s + 12, 2) < 60;
}

/* ---------------------------------------------------------------- writing */

/* Appends `"key":` and the JSON string `s` (NULL as ""). */
static int put_member(struct dd_buf *out, const char *key, const char *s)
{
    int rc = dd_buf_printf(out, ",\"%s\":", key);
    if (rc == 0) {
        if (s == NULL)
            s = "";
        rc = dd_json_write_string(out, s, strlen(s), DD_ESCAPE_PLAIN);
    }
    return rc;
}

/*
 * NULL `msg`, `sub_code`, `sub_msg` or `log_id` are written as "". The
 * strings must be valid UTF-8 (they come from the error table or from the
 * mock's own text). All or nothing: on DD_E_TOO_LARGE the buffer is left as
 * it was before the call.
 */
/* Everything up to and including `"data":`. */
static int write_head(struct dd_buf *out, int code, const char *msg,
                      const char *sub_code, const char *sub_msg,
                      const char *log_id)
{
    int rc = dd_buf_printf(out, "{\"code\":%d", code);
    if (rc == 0)
        rc = put_member(out, "msg", msg);
    if (rc == 0)
        rc = put_member(out, "sub_code", sub_code);
    if (rc == 0)
        rc = put_member(out, "sub_msg", sub_msg);
    if (rc == 0)
        rc = put_member(out, "log_id", log_id);
    if (rc == 0)
        rc = dd_buf_puts(out, ",\"data\":");
    return rc;
}

int dd_envelope_write(struct dd_buf *out, int code, const char *msg,
                      const char *sub_code, const char *sub_msg,
                      const char *log_id, const char *data_json)
{
    size_t start = out->len;
    int rc = write_head(out, code, msg, sub_code, sub_msg, log_id);
    if (rc == 0)
        rc = dd_buf_puts(out, data_json != NULL ? data_json : "{}");
    if (rc == 0)
        rc = dd_buf_putc(out, '}');
    if (rc != 0 && out->data != NULL) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

int dd_envelope_open_ok(struct dd_buf *out, const char *log_id)
{
    size_t start = out->len;
    int rc = write_head(out, DD_CODE_SUCCESS, DD_MSG_SUCCESS, "", "", log_id);
    if (rc != 0 && out->data != NULL) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

int dd_envelope_write_ok(struct dd_buf *out, const char *log_id,
                         const char *data_json)
{
    return dd_envelope_write(out, DD_CODE_SUCCESS, DD_MSG_SUCCESS, "", "",
                             log_id, data_json);
}

/* `e` is a row of the table (dd_errtab_find / dd_errtab_must); a NULL row
 * is a caller bug and returns DD_E_USAGE with nothing written. */
int dd_envelope_write_error(struct dd_buf *out, const struct dd_api_error *e,
                            const char *log_id)
{
    if (e == NULL)
        return DD_E_USAGE;
    return dd_envelope_write(out, e->code, e->msg, e->sub_code, e->sub_msg,
                             log_id, NULL);
}

/* ---------------------------------------------------------------- reading */

static void envelope_clear(struct dd_envelope *env)
{
    env->code = 0;
    env->msg = "";
    env->sub_code = "";
    env->sub_msg = "";
    env->log_id = "";
    env->data = NULL;
    env->doc.root = NULL;
    env->doc.arena = NULL;
}

/* Fills `err` (if any) for an error found after the JSON parsed. */
static int fail(struct dd_json_error *err, int code, const struct dd_json *at,
                const char *what)
{
    if (err != NULL) {
        memset(err, 0, sizeof *err);
        err->code = code;
        if (at != NULL)
            err->pos = at->pos;
        snprintf(err->msg, sizeof err->msg, "%s", what);
    }
    return code;
}

/* Reads member `key` as a string: "" when absent or null, DD_E_TYPE when it
 * is something else. */
static int get_string(const struct dd_json *root, const char *key,
                      const char **out, struct dd_json_error *err)
{
    const struct dd_json *v = dd_json_get(root, key);
    if (dd_json_is_absent(v)) {
        *out = "";
        return 0;
    }
    if (v->type != DD_JSON_STRING) {
        char what[96];
        snprintf(what, sizeof what, "envelope member \"%s\" is not a string",
                 key);
        return fail(err, DD_E_TYPE, v, what);
    }
    *out = v->text;
    return 0;
}

/*
 * `env` is overwritten, not freed: free an earlier parse first.
 * Beyond the header's returns: a `code` that is present but not an integer
 * (a fraction, true, "abc") is DD_E_TYPE, one outside int64 DD_E_RANGE, and
 * a msg/sub_code/sub_msg/log_id that is neither absent, null nor a string
 * is DD_E_TYPE; `err` then points at the value. `code: null` counts as
 * missing. Other members (the legacy err_no/message pair) are ignored.
 */
int dd_envelope_parse(const char *body, size_t len, struct dd_envelope *env,
                      struct dd_json_error *err)
{
    envelope_clear(env);
    struct dd_json_doc doc = {0};
    int rc = dd_json_parse(body, len, NULL, &doc, err);
    if (rc != 0)
        return rc;

    const struct dd_json *root = doc.root;
    struct dd_envelope e;
    envelope_clear(&e);
    if (root->type != DD_JSON_OBJECT) {
        rc = fail(err, DD_E_NOT_OBJECT, root,
                  "the response body is not a JSON object");
        goto out;
    }
    const struct dd_json *code = dd_json_get(root, "code");
    if (dd_json_is_absent(code)) {
        rc = fail(err, DD_E_MISSING, root, "the envelope has no \"code\"");
        goto out;
    }
    rc = dd_json_int64(code, &e.code);
    if (rc != 0) {
        rc = fail(err, rc, code, "envelope \"code\" is not an integer");
        goto out;
    }
    if ((rc = get_string(root, "msg", &e.msg, err)) != 0 ||
        (rc = get_string(root, "sub_code", &e.sub_code, err)) != 0 ||
        (rc = get_string(root, "sub_msg", &e.sub_msg, err)) != 0 ||
        (rc = get_string(root, "log_id", &e.log_id, err)) != 0)
        goto out;
    const struct dd_json *data = dd_json_get(root, "data");
    e.data = dd_json_is_absent(data) ? NULL : data;

    e.doc = doc;
    *env = e;
    return 0;
out:
    dd_json_doc_free(&doc);
    return rc;
}

/* Frees the parsed document and leaves `env` empty (strings "", data NULL);
 * safe on an empty or already freed envelope. */
void dd_envelope_free(struct dd_envelope *env)
{
    if (env == NULL)
        return;
    dd_json_doc_free(&env->doc);
    envelope_clear(env);
}
