/*
 * ddc_config.c: defaults, the contract's environment variables, and the
 * checks of a client configuration (ddc_config.h; harness.md "The
 * ERP-under-test contract").
 */
#include "ddc_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd_json.h"
#include "dd_params.h"
#include "ddc_err.h"

void ddc_config_init(struct ddc_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->base_url, sizeof cfg->base_url, "%s", DDC_DEFAULT_BASE_URL);
    cfg->sign_method = DD_SIGN_HMAC_SHA256;
    cfg->connect_timeout_ms = 3000;
    cfg->timeout_ms = 15000;
    cfg->max_attempts = 5;
    cfg->backoff_initial_ms = 200;
    cfg->rate_limit_initial_ms = 1000;
    cfg->backoff_max_ms = 10000;
}

/* Copies environment variable `name` into `dst` when it is set and not
 * empty. Returns 1 when copied, 0 when absent, DDC_E_CONFIG when too long. */
static int env_str(const char *name, char *dst, size_t cap, char *err,
                   size_t errlen)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    if (strlen(v) >= cap) {
        snprintf(err, errlen, "%s is longer than %zu bytes", name, cap - 1);
        return DDC_E_CONFIG;
    }
    memcpy(dst, v, strlen(v) + 1);
    return 1;
}

/* Reads environment variable `name` as a positive int64 into *out when it
 * is set. Same returns as env_str. */
static int env_int(const char *name, int64_t *out, char *err, size_t errlen)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    int64_t n;
    if (dd_parse_int64(v, strlen(v), &n) != 0 || n <= 0) {
        snprintf(err, errlen, "%s must be a positive integer, not '%s'", name,
                 v);
        return DDC_E_CONFIG;
    }
    *out = n;
    return 1;
}

int ddc_config_from_env(struct ddc_config *cfg, char *err, size_t errlen)
{
    int64_t contract = 0;
    int rc;
    if ((rc = env_int("DOUDIAN_HARNESS_CONTRACT", &contract, err, errlen)) < 0)
        return rc;
    if (rc == 1) {
        if (contract != 1) {
            snprintf(err, errlen,
                     "DOUDIAN_HARNESS_CONTRACT is %lld; this client speaks "
                     "version 1",
                     (long long)contract);
            return DDC_E_CONFIG;
        }
        cfg->contract_version = 1;
    }
    if ((rc = env_str("DOUDIAN_BASE_URL", cfg->base_url, sizeof cfg->base_url,
                      err, errlen)) < 0)
        return rc;
    if ((rc = env_str("DOUDIAN_APP_KEY", cfg->app_key, sizeof cfg->app_key, err,
                      errlen)) < 0)
        return rc;
    if ((rc = env_str("DOUDIAN_APP_SECRET", cfg->app_secret,
                      sizeof cfg->app_secret, err, errlen)) < 0)
        return rc;
    if ((rc = env_int("DOUDIAN_SHOP_ID", &cfg->shop_id, err, errlen)) < 0)
        return rc;
    if ((rc = env_str("DOUDIAN_AUTH_CODE", cfg->auth_code,
                      sizeof cfg->auth_code, err, errlen)) < 0)
        return rc;
    if ((rc = env_str("DOUDIAN_PUSH_LISTEN", cfg->push_listen,
                      sizeof cfg->push_listen, err, errlen)) < 0)
        return rc;
    if ((rc = env_int("DOUDIAN_POLL_INTERVAL", &cfg->poll_interval_s, err,
                      errlen)) < 0)
        return rc;
    if ((rc = env_str("DOUDIAN_STATE_DIR", cfg->state_dir,
                      sizeof cfg->state_dir, err, errlen)) < 0)
        return rc;
    return ddc_config_check(cfg, err, errlen);
}

int ddc_split_host_port(const char *listen, char *host, size_t hostcap,
                        uint16_t *port)
{
    const char *colon;
    const char *h = listen;
    size_t hlen;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':')
            return DDC_E_CONFIG;
        h = listen + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            return DDC_E_CONFIG;
        hlen = (size_t)(colon - listen);
        if (memchr(listen, ':', hlen))
            return DDC_E_CONFIG; /* a bare IPv6 address needs brackets */
    }
    int64_t p;
    const char *ps = colon + 1;
    if (dd_parse_int64(ps, strlen(ps), &p) != 0 || p < 0 || p > 65535)
        return DDC_E_CONFIG;
    if (hlen >= hostcap)
        return DDC_E_CONFIG;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)p;
    return 0;
}

int ddc_config_check(struct ddc_config *cfg, char *err, size_t errlen)
{
    size_t n = strlen(cfg->base_url);
    while (n > 0 && cfg->base_url[n - 1] == '/')
        cfg->base_url[--n] = '\0';
    if (strncmp(cfg->base_url, "http://", 7) != 0 &&
        strncmp(cfg->base_url, "https://", 8) != 0) {
        snprintf(err, errlen,
                 "the base URL '%s' must start with http:// or https://",
                 cfg->base_url);
        return DDC_E_CONFIG;
    }
    if (!dd_app_key_valid(cfg->app_key)) {
        snprintf(err, errlen,
                 "the app_key must be 19 digits (DOUDIAN_APP_KEY)");
        return DDC_E_CONFIG;
    }
    if (!cfg->app_secret[0]) {
        snprintf(err, errlen, "the app secret is missing (DOUDIAN_APP_SECRET)");
        return DDC_E_CONFIG;
    }
    if (cfg->shop_id <= 0 && !cfg->auth_code[0]) {
        snprintf(err, errlen,
                 "neither a shop id (DOUDIAN_SHOP_ID) nor an authorization "
                 "code (DOUDIAN_AUTH_CODE) is given");
        return DDC_E_CONFIG;
    }
    if (cfg->push_listen[0]) {
        char host[128];
        uint16_t port;
        if (ddc_split_host_port(cfg->push_listen, host, sizeof host, &port)) {
            snprintf(err, errlen,
                     "the push address '%s' is not host:port "
                     "(DOUDIAN_PUSH_LISTEN)",
                     cfg->push_listen);
            return DDC_E_CONFIG;
        }
    }
    if (cfg->connect_timeout_ms <= 0 || cfg->timeout_ms <= 0 ||
        cfg->max_attempts < 1 || cfg->max_attempts > 100 ||
        cfg->backoff_max_ms < cfg->backoff_initial_ms ||
        cfg->refresh_window_s < 0) {
        snprintf(err, errlen,
                 "timeouts must be positive, max_attempts 1..100, "
                 "backoff_max_ms at least backoff_initial_ms");
        return DDC_E_CONFIG;
    }
    return 0;
}
