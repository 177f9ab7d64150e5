/*
 * settings.h: ddmock's tunable behaviour, with documented defaults.
 *
 * Many facts about the real gateway are not public (doudian-open-api.md §8
 * "NOT FOUND"): the timestamp skew window, the platform's timers, the push
 * retry policy, the form of `expires_in`. The mock picks a default for each,
 * says in mock/README.md that it is a guess, and lets it be changed: in a
 * world file's "settings" object, with `ddmock --set key=value`, or through
 * the admin API (POST /_mock/settings). Each world holds its own copy,
 * taken from the process defaults when it is created.
 *
 * The table in settings.c is the single list of names, types, defaults and
 * one-line docs; `ddmock --help-settings` prints it.
 */
#ifndef MOCK_SETTINGS_H
#define MOCK_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "dd_json.h"

enum mock_expires_form {
    MOCK_EXPIRES_DURATION, /* expires_in = seconds left (default) */
    MOCK_EXPIRES_UNIX,     /* expires_in = absolute Unix seconds */
};

struct mock_settings {
    int64_t skew_seconds;      /* timestamp window, both ways (600) */
    int64_t body_max_bytes;    /* request body cap (1 MiB) */
    int64_t time_scale;        /* platform timers run N times faster (1) */
    int64_t access_token_ttl;  /* 7 days, platform seconds */
    int64_t refresh_token_ttl; /* 14 days */
    int64_t refresh_window;    /* last hour before expiry: new pair */
    int64_t old_pair_grace;    /* old pair valid 1 h after a refresh */
    int64_t auth_code_ttl;     /* 10 minutes (not scaled) */
    int64_t expires_form;      /* enum mock_expires_form */
    int64_t merchant_response_timeout; /* pre-ship refund/return review */
    int64_t buyer_return_timeout;      /* buyer ships the return */
    int64_t merchant_receive_timeout;  /* confirm receipt, else refund */
    int64_t push_timeout_ms;           /* one push attempt (5000) */
    int64_t push_backoff_initial_ms;   /* first retry delay (1000) */
    int64_t push_backoff_max_ms;       /* cap of the delay (60000) */
    int64_t push_max_attempts;         /* give up after N (10) */
    int64_t push_batch_max;            /* messages per POST (20) */
    int64_t legacy_err_no;             /* also send err_no/message (0) */
    int64_t list_default_window_days;  /* afterSale.List default (183) */
    int64_t search_window_days;        /* order.searchList window (90) */
    int64_t journal_capacity;          /* in-memory ring entries (10000) */
    int64_t seed;                      /* RNG seed for ids and tokens */
};

/* Fills `s` with the documented defaults. */
void mock_settings_default(struct mock_settings *s);

/*
 * Sets one setting from text ("skew_seconds", "600"); durations accept a
 * unit suffix s, m, h, d ("48h"). Returns 0, or -1 with a message in `err`
 * (unknown name, bad value).
 */
int mock_settings_set(struct mock_settings *s, const char *name,
                      const char *value, char *err, size_t errlen);

/*
 * Applies every member of a JSON object (numbers, or strings with units).
 * On the first bad member returns -1 and writes "line:col: message" into
 * `err`. Unknown names are errors.
 */
int mock_settings_apply_json(struct mock_settings *s, const struct dd_json *obj,
                             char *err, size_t errlen);

/* Writes the settings as a JSON object (for the admin API and dumps). */
struct dd_jw;
void mock_settings_write_json(const struct mock_settings *s, struct dd_jw *w);

/* Prints the table of settings with defaults and docs (for --help). */
void mock_settings_print_help(void *file);

#endif
