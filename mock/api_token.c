/*
 * api_token.c: token.create and token.refresh (doudian-open-api.md §2.2,
 * §2.3, §2.4), the only APIs called without an access_token.
 *
 * token.create turns an authorization into a token pair: for a self-use
 * app `authorization_self` with a shop id, for any app `authorization_code`
 * with a one-time code issued through the admin API (valid 10 minutes, not
 * scaled). token.refresh applies the lifetime rules of §2.3 exactly, with
 * every duration divided by the world's time_scale like mock_token_issue
 * does: more than refresh_window before expiry the same pair comes back
 * unchanged; inside the window a new pair, the old one still valid for
 * old_pair_grace; after expiry a new pair and the old one dead at once.
 * The router checks access tokens against the same fields (revoked,
 * dead_after, access_expires), so what is written here is what it enforces.
 *
 * Decisions; (G) marks a guess where the real behaviour is not public:
 *   grant_type or refresh_token missing, null or ""
 *       -> 40001 isv.parameter-missing (issue rule: no row says "missing";
 *          the 50001 rows say "wrong value") (G)
 *   grant_type not a known value -> 50001 ...:grant-type-invalid (§2.4)
 *   authorization_self from a tool-type app -> grant-type-invalid (G)
 *   authorization_self without shop_id -> the world's only shop; with 0 or
 *       2+ shops -> no-authorization (G)
 *   shop_id / auth_id not an id or not a shop of the world
 *       -> 50001 ...:no-authorization (G)
 *   auth_id without shop_id -> read as the shop id (§2.2 "replaces shop_id")
 *   auth_subject_type non-empty -> no-authorization: the mock models shop
 *       authorizations only (G)
 *   code with authorization_self, shop_id with authorization_code -> ignored
 *       (§2.2: self-use apps pass code "")
 *   test_shop -> accepted, ignored (the world's shops serve as test shops)
 *   code missing or "", never issued, or already used -> ...:code-invalid
 *   code older than auth_code_ttl (not scaled) -> ...:code-expired (§2.1)
 *   token.create again for a shop -> a new pair; older pairs stay valid (G)
 *   refresh_token unknown -> 50001 ...:token-invalid (§2.4)
 *   refresh_token expired, or its pair revoked or past dead_after
 *       -> 50001 ...:token-expired; a dead pair is "expired" as the router
 *          says of its access token (G)
 *   exactly refresh_window left -> new pair ("earlier than 1 h" in §2.3 is
 *       read as strictly more than the window)
 *   refresh of an old pair during its grace -> another new pair; the old
 *       dead_after is never extended (literal §2.3)
 *   isv.business-failed:31012 (concurrent refresh) -> never: one thread
 *       serialises requests
 *   expires_in -> settings.expires_form: seconds left (default) or the
 *       absolute Unix second (§2.2 conflict, §8)
 *   shop_id in the answer -> a JSON number (§2.2: int64 in the API models,
 *       a string only in the Go core struct)
 *   scope "SCOPE"; authority_id the shop id as a string (§2.2);
 *       auth_subject_type "" (a shop is none of the listed types) (G);
 *       encrypt_operator "", operator_name "", shop_biz_type 0 普通店铺
 */
#include <string.h>

#include "api.h"

/* The scale of the platform's timers (token lifetimes, windows). */
static int64_t scale_of(const struct mock_world *w)
{
    return w->settings.time_scale > 0 ? w->settings.time_scale : 1;
}

/* True when a parameter is absent, null or the empty string: clients send
 * all three for "not given" (§2.2: self-use apps pass code ""). */
static bool blank(const struct mock_call *c, const char *name)
{
    const struct dd_json *v = dd_json_get(c->params, name);
    return dd_json_is_absent(v) || (v->type == DD_JSON_STRING && v->len == 0);
}

/* Writes the data shared by token.create and token.refresh (§2.2) for
 * token `t`. */
static void write_token(struct mock_call *c, uint32_t t)
{
    const struct mock_world *w = c->world;
    const struct mock_token *k = &w->tokens.v[t];
    const struct mock_shop *s = &w->shops.v[k->shop];
    int64_t expires_in = w->settings.expires_form == MOCK_EXPIRES_UNIX
                             ? k->access_expires
                             : k->access_expires - c->now;
    struct dd_jw *j = c->data;
    dd_jw_object_begin(j);
    dd_jw_kstr(j, "access_token", k->access_token);
    dd_jw_kint(j, "expires_in", expires_in);
    dd_jw_kstr(j, "refresh_token", k->refresh_token);
    dd_jw_kstr(j, "scope", "SCOPE");
    dd_jw_kint(j, "shop_id", s->shop_id);
    dd_jw_kstr(j, "shop_name", s->name);
    dd_jw_kint_str(j, "authority_id", s->shop_id);
    dd_jw_kstr(j, "auth_subject_type", "");
    dd_jw_kstr(j, "encrypt_operator", "");
    dd_jw_kstr(j, "operator_name", "");
    dd_jw_kint(j, "shop_biz_type", 0);
    dd_jw_object_end(j);
}

/* Reads an optional string parameter only to check its type (40003 when it
 * is not a string or a number). */
static bool check_str(struct mock_call *c, const char *name)
{
    static const struct mock_param_rule opt = {false, NULL, NULL};
    const char *s;
    return mock_param_str(c, name, &opt, &s, NULL);
}

/* authorization_self: the shop named by shop_id (or auth_id), or the
 * world's only shop. Returns its index, or MOCK_NONE after failing. */
static uint32_t self_shop(struct mock_call *c)
{
    static const struct mock_param_rule id_rule = {
        false, NULL, "dop.token-generate-failed:no-authorization"};
    struct mock_world *w = c->world;
    if (w->app_type != MOCK_APP_SELF) {
        mock_call_fail(c, "dop.token-generate-failed:grant-type-invalid",
                       "authorization_self is for self-use apps; this app "
                       "is tool-type: use authorization_code");
        return MOCK_NONE;
    }
    if (!blank(c, "auth_subject_type")) {
        mock_call_fail(c, "dop.token-generate-failed:no-authorization",
                       "the mock models shop authorizations only "
                       "(auth_subject_type must be absent)");
        return MOCK_NONE;
    }
    const char *name = !blank(c, "shop_id")   ? "shop_id"
                       : !blank(c, "auth_id") ? "auth_id"
                                              : NULL;
    if (!name) {
        if (w->shops.n == 1)
            return 0;
        mock_call_fail(c, "dop.token-generate-failed:no-authorization",
                       "shop_id is required: the app has %u shops",
                       (unsigned)w->shops.n);
        return MOCK_NONE;
    }
    int64_t id = 0;
    if (!mock_param_int(c, name, &id_rule, &id, NULL))
        return MOCK_NONE;
    uint32_t shop = mock_world_shop(w, id);
    if (shop == MOCK_NONE) {
        mock_call_fail(c, "dop.token-generate-failed:no-authorization",
                       "%s %lld has not authorized this app", name,
                       (long long)id);
        return MOCK_NONE;
    }
    return shop;
}

/* authorization_code: the shop of a valid one-time code, which is used up.
 * Returns its index, or MOCK_NONE after failing. */
static uint32_t code_shop(struct mock_call *c)
{
    static const struct mock_param_rule code_rule = {
        false, NULL, "dop.token-generate-failed:code-invalid"};
    struct mock_world *w = c->world;
    const char *code = NULL;
    if (blank(c, "code")) {
        mock_call_fail(c, "dop.token-generate-failed:code-invalid",
                       "code is required with authorization_code");
        return MOCK_NONE;
    }
    if (!mock_param_str(c, "code", &code_rule, &code, NULL))
        return MOCK_NONE;
    for (uint32_t i = 0; i < w->auth_codes.n; i++) {
        struct mock_auth_code *a = &w->auth_codes.v[i];
        if (strcmp(a->code, code) != 0)
            continue;
        if (a->used) {
            mock_call_fail(c, "dop.token-generate-failed:code-invalid",
                           "code already used (codes are one-time)");
            return MOCK_NONE;
        }
        if (c->now >= a->expires) {
            mock_call_fail(c, "dop.token-generate-failed:code-expired",
                           "code expired %lld s ago",
                           (long long)(c->now - a->expires));
            return MOCK_NONE;
        }
        if (a->shop >= w->shops.n) {
            mock_call_fail(c, "dop.token-generate-failed:no-authorization",
                           "the code's shop no longer exists");
            return MOCK_NONE;
        }
        a->used = true;
        return a->shop;
    }
    mock_call_fail(c, "dop.token-generate-failed:code-invalid",
                   "no such code was issued for this app");
    return MOCK_NONE;
}

void api_token_create(struct mock_call *c)
{
    static const struct mock_param_rule grant_rule = {
        true, NULL, "dop.token-generate-failed:grant-type-invalid"};
    const char *grant = NULL;
    if (!mock_param_str(c, "grant_type", &grant_rule, &grant, NULL))
        return;
    /* Optional fields: only their types are checked. */
    if (!check_str(c, "test_shop") || !check_str(c, "auth_subject_type"))
        return;
    uint32_t shop;
    if (strcmp(grant, "authorization_self") == 0) {
        shop = self_shop(c);
    } else if (strcmp(grant, "authorization_code") == 0) {
        shop = code_shop(c);
    } else {
        mock_call_fail(c, "dop.token-generate-failed:grant-type-invalid",
                       "grant_type must be authorization_self or "
                       "authorization_code");
        return;
    }
    if (shop == MOCK_NONE)
        return;
    uint32_t t = mock_token_issue(c->world, shop, c->now);
    write_token(c, t);
}

void api_token_refresh(struct mock_call *c)
{
    static const struct mock_param_rule grant_rule = {
        true, NULL, "dop.token-generate-failed:grant-type-invalid"};
    static const struct mock_param_rule token_rule = {
        true, NULL, "dop.token-generate-failed:token-invalid"};
    struct mock_world *w = c->world;
    const char *grant = NULL, *rt = NULL;
    if (!mock_param_str(c, "grant_type", &grant_rule, &grant, NULL))
        return;
    if (strcmp(grant, "refresh_token") != 0) {
        mock_call_fail(c, "dop.token-generate-failed:grant-type-invalid",
                       "grant_type must be refresh_token");
        return;
    }
    if (!mock_param_str(c, "refresh_token", &token_rule, &rt, NULL))
        return;
    uint32_t t = mock_token_by_refresh(w, rt);
    if (t == MOCK_NONE) {
        mock_call_fail(c, "dop.token-generate-failed:token-invalid",
                       "no such refresh_token");
        return;
    }
    struct mock_token *k = &w->tokens.v[t];
    int64_t now = c->now;
    if (now >= k->refresh_expires) {
        mock_call_fail(c, "dop.token-generate-failed:token-expired",
                       "refresh_token expired %lld s ago",
                       (long long)(now - k->refresh_expires));
        return;
    }
    if (k->revoked || (k->dead_after != 0 && now >= k->dead_after)) {
        mock_call_fail(c, "dop.token-generate-failed:token-expired",
                       "this pair was replaced by a later refresh");
        return;
    }
    if (k->shop >= w->shops.n) {
        mock_call_fail(c, "dop.token-generate-failed:no-authorization",
                       "the token's shop no longer exists");
        return;
    }
    int64_t scale = scale_of(w);
    int64_t window = w->settings.refresh_window / scale;
    int64_t grace = w->settings.old_pair_grace / scale;
    /* More than the window before expiry: the same pair, unchanged. */
    if (now < k->access_expires && k->access_expires - now > window) {
        write_token(c, t);
        return;
    }
    bool expired = now >= k->access_expires;
    uint32_t shop = k->shop;
    uint32_t fresh = mock_token_issue(w, shop, now);
    k = &w->tokens.v[t]; /* the issue may have moved the array */
    if (expired) {
        k->revoked = true; /* the old pair dies at once */
    } else {
        int64_t dead = now + grace;
        if (k->dead_after == 0 || dead < k->dead_after)
            k->dead_after = dead;
    }
    write_token(c, fresh);
}
