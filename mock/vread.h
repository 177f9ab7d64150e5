/*
 * vread.h: validating readers of parsed JSON, shared by the loaders that
 * must tell a person every mistake of a file at once (the scenario loader,
 * scenario.c, and the world-file loader, worldfile.c).
 *
 * A reader takes a member of an object or a value, checks its type and
 * range, and on a mistake records a problem "path: message" at the
 * value's position instead of stopping. The problems of a load are
 * collected in a struct vr_ctx and written at the end, sorted by position,
 * as "file:line:col: path: message" (vr_flush). vr_read_file reads the
 * file in the first place, its failures reported in the same form.
 *
 * The two loaders quote the input in their messages slightly differently;
 * a struct vr_style says how, so that each keeps its own wording.
 */
#ifndef MOCK_VREAD_H
#define MOCK_VREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_buf.h"
#include "dd_json.h"

/* Bytes of a buffer that receives a quoted piece of input (vr_clip). */
#define VR_CLIP 80

/* Problems written by vr_flush at most; one more line counts the rest. */
#define VR_MAX_PROBLEMS 1000

/* How the messages of one loader quote the input. */
struct vr_style {
    /* true: values and keys are shown JSON-escaped and cut after about 60
     * bytes with "…" (vr_clip); false: as they are, cut after value_bytes
     * (values) or key_bytes (unknown keys) bytes. */
    bool escape;
    int value_bytes, key_bytes;
    /* A known key that differs from an unknown one only in case is
     * offered as "did you mean" whatever its distance. */
    bool hint_ignores_case;
    /* An object with more keys is reported once, its keys unchecked; 0:
     * no limit. */
    size_t max_keys;
    /* vr_is_int says "must not be negative" when the lower bound is 0. */
    bool says_negative;
};

struct vr_problem {
    unsigned line, col;
    size_t seq;
    char *msg;
};

/* The problems of one load. Fields are read-only for users, except that
 * the text of the last problem (v[n - 1].msg, from malloc) may be replaced. */
struct vr_ctx {
    const char *file;
    const struct vr_style *style;
    struct vr_problem *v;
    size_t n, cap;
};

/* Starts an empty collection for `file` (the name messages begin with,
 * borrowed) with the quoting of `style` (borrowed). */
void vr_init(struct vr_ctx *vr, const char *file, const struct vr_style *style);

/* Records one problem at `pos` (a line or column of 0 counts as 1); `fmt`
 * starts with the path ("options.push: ..."). */
void vr_report(struct vr_ctx *vr, struct dd_json_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends the problems to `errs` (when not NULL) sorted by line, column
 * and order of report, one "file:line:col: message\n" each, at most
 * VR_MAX_PROBLEMS of them, and frees them; `vr` is empty afterwards. */
void vr_flush(struct vr_ctx *vr, struct dd_buf *errs);

/* Reads the whole file `path` (at most `max_bytes` bytes) into a new
 * buffer (free it) with a NUL after its `*len` bytes. Returns NULL when it
 * cannot be opened or read or is larger, and then appends one line
 * "path:1:1: why\n" to `errs` (when not NULL). */
char *vr_read_file(const char *path, size_t max_bytes, size_t *len,
                   struct dd_buf *errs);

/* Copies `s` (up to a NUL) into `buf` (VR_CLIP bytes) for a message:
 * control characters escaped as in JSON, cut at a UTF-8 character boundary
 * after about 60 bytes with "…" when cut. Returns `buf`. */
const char *vr_clip(char *buf, const char *s);

/* The lexeme of a number or the text of a string, clipped (vr_clip) into
 * `buf` (VR_CLIP bytes); "?" for other values. Returns `buf`. */
const char *vr_shown(char *buf, const struct dd_json *v);

/* The Levenshtein (edit) distance of `a` and `b`; 9 when either has 63
 * bytes or more. */
size_t vr_distance(const char *a, const char *b);

/* The number of words of a NULL-terminated list. */
size_t vr_count_words(const char *const *list);

/* Writes " (did you mean \"x\"?)" into `buf` (`size` bytes), x the word of
 * `list` (n words, NULL or empty ones skipped) closest to `w` by edit
 * distance (a word equal but for case counts as one edit); "" when none is
 * close enough to be a likely typo, or `list` has more than 1000 words.
 * Returns `buf`. */
const char *vr_hint(char *buf, size_t size, const char *w,
                    const char *const *list, size_t n);

/* "null", "a boolean", "a number", "a string", "an array" or "an object":
 * the type of `v` for a message. */
const char *vr_a_type(const struct dd_json *v);

/* True when the string or number `v` has no NUL inside its text. */
bool vr_no_nul(const struct dd_json *v);

/* The member `key` of `obj` when present and not null, else NULL. */
const struct dd_json *vr_mem(const struct dd_json *obj, const char *key);

/* Reports "path: missing \"key\"" at `obj`. */
void vr_missing(struct vr_ctx *vr, const struct dd_json *obj, const char *path,
                const char *key);

/* Reports every member of `obj` whose key is not in `known` (NULL
 * terminated), with the closest known key as a hint, and every repeated
 * known key (the last one is the one used, as dd_json_get does). */
void vr_check_keys(struct vr_ctx *vr, const struct dd_json *obj,
                   const char *path, const char *const *known);

/* True when `v` is an object; else reports "what: expected an object". */
bool vr_is_object(struct vr_ctx *vr, const struct dd_json *v, const char *what);

/* The object member `key` of `obj`, or NULL: reported when of another
 * type, or absent and `required`. `path` names `obj` in messages. */
const struct dd_json *vr_rd_object(struct vr_ctx *vr, const struct dd_json *obj,
                                   const char *path, const char *key,
                                   bool required);

/* The array member `key` of `obj`, or NULL; as vr_rd_object. */
const struct dd_json *vr_rd_array(struct vr_ctx *vr, const struct dd_json *obj,
                                  const char *path, const char *key,
                                  bool required);

/* True when `v` is a string without NUL of at most `maxlen` bytes, not
 * empty when `nonempty`; else reports why. `what` names it ("info.id"). */
bool vr_is_str(struct vr_ctx *vr, const struct dd_json *v, const char *what,
               size_t maxlen, bool nonempty);

/* Reads the string member `key` of `obj` into `*out` (borrowed from the
 * document) and returns true; false when absent (reported when
 * `required`) or not valid (vr_is_str, reported). */
bool vr_rd_str(struct vr_ctx *vr, const struct dd_json *obj, const char *path,
               const char *key, bool required, size_t maxlen, bool nonempty,
               const char **out);

/* True, with the value in `*out`, when `v` is an integer in [lo, hi] (a
 * JSON number or a string of digits); else reports why. */
bool vr_is_int(struct vr_ctx *vr, const struct dd_json *v, const char *what,
               int64_t lo, int64_t hi, int64_t *out);

/* Reads the integer member `key` of `obj` (vr_is_int) into `*out`; false
 * when absent (reported when `required`) or not valid (reported). */
bool vr_rd_int(struct vr_ctx *vr, const struct dd_json *obj, const char *path,
               const char *key, bool required, int64_t lo, int64_t hi,
               int64_t *out);

/* True, with the id in `*out`, when `v` is an id: a string of digits or a
 * JSON number, exact and > 0; else reports why. */
bool vr_is_id(struct vr_ctx *vr, const struct dd_json *v, const char *what,
              int64_t *out);

/* Reads the id member `key` of `obj` (vr_is_id) into `*out`; false when
 * absent (reported when `required`) or not valid (reported). */
bool vr_rd_id(struct vr_ctx *vr, const struct dd_json *obj, const char *path,
              const char *key, bool required, int64_t *out);

/* True, with the value in `*out`, when `v` is true or false; else reports
 * "what: expected true or false". */
bool vr_is_bool(struct vr_ctx *vr, const struct dd_json *v, const char *what,
                bool *out);

#endif
