/*
 * ddc_token.h: an access-token pair, when to refresh it, and its durable
 * store (doudian-open-api.md §2.2-§2.4).
 *
 * §2.3's rules, which decide when this client refreshes: an access token
 * lives 7 days and its refresh token 14; refreshing earlier than one hour
 * before expiry returns the same pair (useless), refreshing within the last
 * hour returns a new pair while the old one keeps working for one more
 * hour, refreshing after expiry returns a new pair and kills the old one.
 * So a refresh is due inside that last hour: the client refreshes once the
 * token is halfway into it (30 minutes left), which leaves room for clock
 * skew on both sides. A gateway that compresses time (ddmock
 * --time-scale N) issues tokens living 7 d / N; the window is scaled the
 * same way, from the lifetime the token was issued with (window = lifetime
 * / 168, at most 1 h), unless the caller fixes it.
 *
 * The store is one small JSON file per app in the state directory,
 * "doudian-token-<app_key>.json", mode 0600, replaced atomically (written
 * to a temporary file in the same directory, fsync'd, renamed over the old
 * one, directory fsync'd), so a crash at any moment leaves either the old
 * pair or the new one, never a torn file.
 */
#ifndef DDC_TOKEN_H
#define DDC_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dd_json.h"

#define DDC_TOKEN_MAX 512

/* The documented lifetimes (§2.3), in seconds. */
#define DDC_ACCESS_LIFETIME_S (7 * 24 * 3600)
#define DDC_REFRESH_WINDOW_S  3600

/* A token pair and what came with it. Plain data; copy by assignment. */
struct ddc_token {
    char access_token[DDC_TOKEN_MAX];
    char refresh_token[DDC_TOKEN_MAX];
    int64_t expires_at; /* Unix seconds when the access token expires */
    int64_t issued_at;  /* when this access token was first received */
    int64_t lifetime_s; /* expires_at - issued_at as first received */
    int64_t shop_id;
    char shop_name[256];
    char authority_id[64];
};

/*
 * Reads the `data` of a token.create / token.refresh answer (§2.2) at time
 * `now`. `expires_in` is read as a duration in seconds when it is below
 * 10^9 and as an absolute Unix time otherwise (§2.2 records both readings;
 * 10^9 s is 31 years as a duration and 2001 as a date, so the two cannot
 * be confused). When `prev` names the same access token (a refresh made
 * too early returns the same pair) its issued_at and lifetime are kept.
 * Returns 0, or DDC_E_PROTOCOL with the field in `err`.
 */
int ddc_token_from_answer(const struct dd_json *data, int64_t now,
                          const struct ddc_token *prev, struct ddc_token *out,
                          char *err, size_t errlen);

/* The refresh window in seconds: `configured` when > 0, else the scaled
 * §2.3 hour described above (at least 1 s). */
int64_t ddc_token_refresh_window(const struct ddc_token *t, int64_t configured);

/* True when `now` is at or past the middle of the refresh window. */
bool ddc_token_refresh_due(const struct ddc_token *t, int64_t now,
                           int64_t configured_window);

/* True when the access token has expired at `now`. */
bool ddc_token_expired(const struct ddc_token *t, int64_t now);

/* When the refresh token is expected to die: issued_at + 2 x lifetime
 * (14 days for a 7-day token, §2.3). */
int64_t ddc_token_refresh_expires_at(const struct ddc_token *t);

/* Writes the store's file name for `app_key` into `out`. Returns 0 or
 * DD_E_TOO_LARGE. */
int ddc_token_store_path(const char *dir, const char *app_key, char *out,
                         size_t cap);

/*
 * Loads the pair stored for `app_key` in `dir`. Returns 0, DD_E_NOT_FOUND
 * when there is no file, or DD_E_IO / DD_E_FORMAT (unreadable, not our
 * format, another app_key) with one sentence in `err`.
 */
int ddc_token_store_load(const char *dir, const char *app_key,
                         struct ddc_token *out, char *err, size_t errlen);

/* Stores the pair atomically (see the header comment). Returns 0 or DD_E_IO
 * with the failing step and errno text in `err`. */
int ddc_token_store_save(const char *dir, const char *app_key,
                         const struct ddc_token *t, char *err, size_t errlen);

/* Removes the stored pair (none is fine). Returns 0 or DD_E_IO. */
int ddc_token_store_remove(const char *dir, const char *app_key);

#endif
