/*
 * dd_json.h: a small lexeme-preserving JSON reader and the canonical writer
 * that Doudian signatures are computed over.
 *
 * Why not cJSON: Doudian signs a canonical form of `param_json` (spec
 * doudian-open-api.md §1.5-§1.6): object keys sorted by byte order at every
 * depth, no whitespace, number lexemes exactly as the client wrote them,
 * `null` kept. cJSON turns every number into a double (19-digit ids and `1e2`
 * do not survive) and sorts only the top level, so it can neither produce nor
 * check that form. This reader keeps each number's text, decodes strings to
 * UTF-8, and remembers the byte offset, line and column of every value and
 * key, so that file formats built on it (worlds, scenarios) can report
 * `file:line:col: message`.
 *
 * The canonical writer has two string variants (doudian-open-api.md §1.6):
 * DD_ESCAPE_PLAIN, what the official Go and PHP SDKs sign, and
 * DD_ESCAPE_HTML, the official Java SDK's Gson form. Edge-case decisions, each
 * covered by a vector in tests/data/:
 *   - duplicate keys: the last one wins (as the SDKs' decoders do), both in
 *     dd_json_get and in the canonical output;
 *   - a top level that is not an object: rejected by dd_canonical_param_json;
 *   - empty or whitespace-only input: `{}`;
 *   - `\b \f \n \r \t` written as short escapes, other control characters as
 *     lowercase `\u00xx`, U+2028 and U+2029 as `\u2028` `\u2029` in both
 *     variants, `/` never escaped, all other UTF-8 raw;
 *   - invalid UTF-8 and lone surrogates (raw or as \u escapes): rejected;
 *   - nesting deeper than the limit (64) or input over the size cap: rejected;
 *   every error carries the byte offset, line and column.
 *
 * Memory: a parsed document owns one arena that holds every node and every
 * decoded string; dd_json_doc_free releases it all. Nodes are read-only.
 */
#ifndef DD_JSON_H
#define DD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_buf.h"

#define DD_JSON_DEFAULT_MAX_DEPTH 64
#define DD_JSON_DEFAULT_MAX_BYTES ((size_t)8 << 20) /* 8 MiB */

enum dd_json_type {
    DD_JSON_NULL,
    DD_JSON_FALSE,
    DD_JSON_TRUE,
    DD_JSON_NUMBER,
    DD_JSON_STRING,
    DD_JSON_ARRAY,
    DD_JSON_OBJECT,
};

/* Where a value or key starts in the input: 0-based byte offset, 1-based
 * line, 1-based column counted in characters (UTF-8 code points). */
struct dd_json_pos {
    size_t offset;
    unsigned line;
    unsigned col;
};

struct dd_json {
    enum dd_json_type type;
    struct dd_json_pos pos;
    /* NUMBER: the lexeme as written. STRING: the decoded UTF-8 bytes (may
     * contain NUL; text[len] is always NUL). Otherwise NULL/0. */
    const char *text;
    size_t len;
    /* ARRAY and OBJECT: the elements or member values, in input order
     * (duplicates kept here; readers take the last). */
    struct dd_json *kids;
    size_t n;
    /* Set on the member values of an OBJECT: the decoded key and where it
     * starts. NULL/0 elsewhere. */
    const char *key;
    size_t key_len;
    struct dd_json_pos key_pos;
};

struct dd_json_limits {
    unsigned max_depth; /* 0 = DD_JSON_DEFAULT_MAX_DEPTH */
    size_t max_bytes;   /* 0 = DD_JSON_DEFAULT_MAX_BYTES */
};

/* A parse error: what went wrong (one English sentence) and where. */
struct dd_json_error {
    int code; /* a DD_E_* code */
    struct dd_json_pos pos;
    char msg[160];
};

struct dd_json_arena;

struct dd_json_doc {
    struct dd_json *root; /* NULL until a successful parse */
    struct dd_json_arena *arena;
};

/*
 * Parses `len` bytes of JSON (RFC 8259; any value at the top level; trailing
 * whitespace allowed, anything else after the value is an error).
 * `limits` may be NULL for the defaults. On success returns 0 and fills
 * `doc` (free with dd_json_doc_free). On failure returns a negative DD_E_*
 * code (SYNTAX, DEPTH, TOO_LARGE, UTF8), fills `err` if non-NULL, and leaves
 * `doc` empty (dd_json_doc_free is still safe to call). Empty or
 * whitespace-only input is a SYNTAX error here; dd_canonical_param_json is
 * where it means `{}`.
 */
int dd_json_parse(const char *text, size_t len,
                  const struct dd_json_limits *limits, struct dd_json_doc *doc,
                  struct dd_json_error *err);

/* Frees everything the document owns. Safe on an empty document. Its
 * memory is kept by the calling thread for the next parse (up to 64 MiB):
 * see dd_json_release_cache. */
void dd_json_doc_free(struct dd_json_doc *doc);

/* Frees the memory the calling thread keeps for reuse by later parses.
 * Call it before a thread or the process ends to leave nothing behind. */
void dd_json_release_cache(void);

/* Returns the value of member `key` of an object (the last one when the key
 * is repeated), or NULL when `obj` is NULL, not an object, or has no such
 * member. Borrowed from the document. */
const struct dd_json *dd_json_get(const struct dd_json *obj, const char *key);

/* True when v is NULL or a JSON null: how Doudian treats an absent field
 * (the official Go SDK sends `"auth_id":null`). */
bool dd_json_is_absent(const struct dd_json *v);

/*
 * Reads an exact signed 64-bit integer from a JSON number without a fraction
 * or exponent ("-0" reads as 0), or from a string of decimal digits with an
 * optional leading '-' (how Doudian ids travel: "7000000000000000001" and
 * 7000000000000000001 read the same). Never goes through a double.
 * Returns 0, DD_E_TYPE (not a number or string, or a fraction/exponent, or a
 * string that is not a plain integer), or DD_E_RANGE (outside int64).
 */
int dd_json_int64(const struct dd_json *v, int64_t *out);

/* Parses an exact int64 from decimal text (optional '-', 1-19 digits, no
 * spaces, no '+'). Same returns as dd_json_int64. */
int dd_parse_int64(const char *s, size_t len, int64_t *out);

/* Length of the well-formed UTF-8 sequence that starts s (n bytes
 * available): 1 for ASCII, 2-4 for a valid multi-byte character, 0 when
 * the bytes are not valid UTF-8 (overlong, surrogate, > U+10FFFF, cut). */
size_t dd_utf8_seq_len(const char *s, size_t n);

enum dd_escape {
    DD_ESCAPE_PLAIN, /* Go/PHP: only '"', '\\', control chars, U+2028/9 */
    DD_ESCAPE_HTML,  /* Gson: also < > & = ' as \u003c \u003e \u0026 \u003d
                        \u0027 */
};

/* Appends `s` (len bytes of valid UTF-8) as a quoted JSON string escaped per
 * `mode`. Returns 0 or DD_E_TOO_LARGE. */
int dd_json_write_string(struct dd_buf *out, const char *s, size_t len,
                         enum dd_escape mode);

/*
 * Appends the canonical form of `v`: object keys sorted by byte order at
 * every depth (last duplicate wins), no whitespace, numbers as written, null
 * kept, strings escaped per `mode`. Returns 0 or DD_E_TOO_LARGE.
 */
int dd_json_write_canonical(struct dd_buf *out, const struct dd_json *v,
                            enum dd_escape mode);

/* True when some string (key or value) of `v` contains one of < > & = ',
 * i.e. when the two escape modes may give different canonical forms. (A
 * duplicate key that a later member overrides still counts: the answer is
 * conservative, never wrong in the other direction.) */
bool dd_json_has_html_chars(const struct dd_json *v);

/*
 * Canonicalises a request's `param_json` as the gateway must before checking
 * its signature. `text` may be NULL or empty or whitespace-only: that is
 * `{}`. Otherwise it must be a JSON object. Writes the plain variant into
 * `plain` and, if `html` is non-NULL, the HTML-safe variant into `html`
 * (identical bytes when there is nothing to escape). `limits` may be NULL.
 * Returns 0, or a negative DD_E_* code (SYNTAX, DEPTH, TOO_LARGE, UTF8,
 * NOT_OBJECT) with `err` filled in.
 */
int dd_canonical_param_json(const char *text, size_t len,
                            const struct dd_json_limits *limits,
                            struct dd_buf *plain, struct dd_buf *html,
                            struct dd_json_error *err);

#endif
