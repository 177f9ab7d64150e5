/*
 * ddc_config.h: what a client needs to know, and reading it from the
 * environment of the ERP-under-test contract (harness.md, version 1).
 *
 * The contract's variables: DOUDIAN_HARNESS_CONTRACT, DOUDIAN_BASE_URL,
 * DOUDIAN_APP_KEY, DOUDIAN_APP_SECRET, DOUDIAN_SHOP_ID, DOUDIAN_AUTH_CODE
 * (tool-type apps only), DOUDIAN_PUSH_LISTEN, DOUDIAN_POLL_INTERVAL and
 * DOUDIAN_STATE_DIR. The rest (timeouts, retry budget, backoff, signature
 * method) are the client's own knobs with defaults chosen here.
 *
 * The struct is caller-allocated and holds no pointers: strings live in
 * fixed arrays, so a config can be copied by assignment and needs no free.
 */
#ifndef DDC_CONFIG_H
#define DDC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "dd_sign.h"

/* The production gateway (doudian-open-api.md §1.1). */
#define DDC_DEFAULT_BASE_URL "https://openapi-fxg.jinritemai.com"

struct ddc_config {
    char base_url[512]; /* no trailing slash */
    char app_key[32];   /* 19 digits */
    char app_secret[128];
    int64_t shop_id;         /* 0 = none (then an auth code is needed) */
    char auth_code[256];     /* "" = self-use app: authorization_self */
    char push_listen[128];   /* "host:port", "" = poll-only */
    int64_t poll_interval_s; /* 0 = not given */
    char state_dir[1024];    /* "" = tokens kept in memory only */
    int contract_version;    /* DOUDIAN_HARNESS_CONTRACT, 0 = absent */

    enum dd_sign_method sign_method; /* default hmac-sha256, as the Go SDK */
    long connect_timeout_ms;         /* default 3000 */
    long timeout_ms;                 /* whole request, default 15000 */
    unsigned max_attempts;           /* requests per call, default 5 */
    unsigned backoff_initial_ms;     /* after a 20000 or a transport error,
                                        default 200 */
    unsigned rate_limit_initial_ms;  /* after a 60000, default 1000 */
    unsigned backoff_max_ms;         /* cap of one wait, default 10000 */
    int64_t refresh_window_s;        /* 0 = derived from the token's life */
};

/* Fills `cfg` with the defaults above and empty credentials. */
void ddc_config_init(struct ddc_config *cfg);

/*
 * Reads the contract's environment variables into `cfg`, which should have
 * been through ddc_config_init: a variable that is absent or empty leaves
 * its field as it was (after ddc_config_init: the production gateway, no
 * push address, no state directory). Then checks the result with
 * ddc_config_check. Returns 0, or DDC_E_CONFIG with one sentence naming
 * the variable in `err`.
 */
int ddc_config_from_env(struct ddc_config *cfg, char *err, size_t errlen);

/*
 * Checks a filled config: base URL http(s) without trailing slash (one is
 * removed), app_key of 19 digits, a secret, a shop id or an auth code,
 * push_listen of the form host:port when set, sane timeouts and retry
 * numbers. Returns 0 or DDC_E_CONFIG with the reason in `err`.
 */
int ddc_config_check(struct ddc_config *cfg, char *err, size_t errlen);

/*
 * Splits "host:port" (IPv6 as "[::1]:port"; host may be empty for all
 * addresses) into `host` (hostcap bytes) and `*port`. Returns 0 or
 * DDC_E_CONFIG.
 */
int ddc_split_host_port(const char *listen, char *host, size_t hostcap,
                        uint16_t *port);

#endif
