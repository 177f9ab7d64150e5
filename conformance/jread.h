/*
 * jread.h: the two small readers of journal JSON that the judge
 * (judge.c) and the metrics (metrics.c) share, as static inline functions:
 * a member's string or "", a member's integer. Both read members of a
 * parsed dd_json object and never fail on a missing or mistyped member.
 */
#ifndef CONF_JREAD_H
#define CONF_JREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "dd_json.h"

/* The string member `key` of `o`, or "" when absent or not a string. */
static inline const char *jstr(const struct dd_json *o, const char *key)
{
    const struct dd_json *v = dd_json_get(o, key);
    return v && v->type == DD_JSON_STRING ? v->text : "";
}

/* The integer member `key` of `o` into *out; false when absent or not an
 * integer. */
static inline bool jint(const struct dd_json *o, const char *key, int64_t *out)
{
    return dd_json_int64(dd_json_get(o, key), out) == 0;
}

#endif
