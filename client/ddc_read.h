/*
 * ddc_read.h: reading what the platform sent into the client's structs.
 *
 * Shared by the typed calls (ddc_api), the token answers (ddc_token) and
 * pushed messages (ddc_push). The policy, chosen once here: a field the
 * client relies on (an id that names the thing, a page's list) is
 * *required*, and a missing or mistyped one makes the whole parse fail
 * with DDC_E_PROTOCOL and the field's name; every other field is read
 * leniently (absent, null or of another type reads as 0, false or "").
 * Integers go through dd_json_int64, so a 19-digit id is exact whether it
 * travels as a number or as a numeric string (doudian-open-api.md §7.6).
 *
 * Strings handed out are new NUL-terminated copies (never NULL) that the
 * struct that holds them owns; out of memory aborts (house style).
 */
#ifndef DDC_READ_H
#define DDC_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_json.h"

/* The first failure met while reading one document. */
struct ddc_reader {
    int err;         /* 0 or DDC_E_PROTOCOL */
    char where[160]; /* the field that failed and why */
};

/* Starts a reader with no error. */
void ddc_reader_init(struct ddc_reader *r);

/* Records a failure (only the first one is kept). Returns r->err. */
int ddc_reader_fail(struct ddc_reader *r, const char *key, const char *why);

/* The int64 member `key` of object `obj` (a number or a numeric string);
 * 0 when absent or unreadable, which fails the reader when `required`. */
int64_t ddc_rd_i64(struct ddc_reader *r, const struct dd_json *obj,
                   const char *key, bool required);

/* The string member `key` as a new string: a JSON string's bytes, a
 * number's lexeme, else "" (which fails the reader when `required` and the
 * member is absent or of another type). */
char *ddc_rd_str(struct ddc_reader *r, const struct dd_json *obj,
                 const char *key, bool required);

/* The boolean member `key`: true, or the number 1, or the string "true"
 * or "Y"; else false. Never fails. */
bool ddc_rd_bool(const struct dd_json *obj, const char *key);

/* The array member `key`, or NULL when absent (which fails the reader when
 * `required`) or not an array (always a failure when present). */
const struct dd_json *ddc_rd_array(struct ddc_reader *r,
                                   const struct dd_json *obj, const char *key,
                                   bool required);

/* The object member `key`, or NULL (absent or another type; fails the
 * reader only when `required`). */
const struct dd_json *ddc_rd_object(struct ddc_reader *r,
                                    const struct dd_json *obj, const char *key,
                                    bool required);

/* A new copy of `len` bytes of `s` with a NUL after them. */
char *ddc_strndup(const char *s, size_t len);

/* A new copy of a NUL-terminated string (NULL copies as ""). */
char *ddc_strdup(const char *s);

/* calloc that aborts when out of memory; n == 0 gives a valid pointer. */
void *ddc_calloc(size_t n, size_t size);

#endif
