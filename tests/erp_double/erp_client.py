"""erp_client.py: the ERP double's own small Doudian open-platform client.

Part of the ERP double (tests/erp_double/README.md), python3 standard library
only, sharing no code with the project or with tests/external. It puts a
request on the wire the way the official Go SDK does
(doudian-open-api.md §1.2-§1.6): POST {base}/{path}, the system parameters
in the query string (app_key, method, timestamp in Unix seconds, v=2,
sign_method=hmac-sha256, sign, access_token), the canonical param_json
(keys sorted at every level, compact, raw UTF-8) as the body, and the sign
HMAC-SHA256(secret, secret + "app_key"K "method"M "param_json"P
"timestamp"T "v2" + secret). It reads the §3.1 envelope, and keeps the
access token (token.create / token.refresh, §2.2-§2.3) in the shared state
file so that the ERP process and its hook use one token and one
authorization code.

Threads: a Client is one persistent HTTP connection and is used by one
thread only; a TokenKeeper is shared by every Client of a process (it locks).
"""

import hashlib
import hmac
import http.client
import json
import threading
import time
import urllib.parse

TOKEN_ERRORS = ("isv.access-token-expired", "isv.access-token-no-existed",
                "isv.access-token-invalid", "isv.access-token-missing")


class TransportError(Exception):
    """No usable answer: connection refused or reset, timeout, a status
    other than 200, or a body that is not a JSON envelope. The call may or
    may not have been applied by the gateway."""


class Answer:
    """One envelope (§3.1): code (int), msg, sub_code, sub_msg, log_id,
    data. ok is True for code 10000."""

    def __init__(self, env):
        try:
            self.code = int(env.get("code"))
        except (TypeError, ValueError):
            self.code = -1
        self.msg = env.get("msg") or ""
        self.sub_code = env.get("sub_code") or ""
        self.sub_msg = env.get("sub_msg") or ""
        self.log_id = env.get("log_id") or ""
        self.data = env.get("data")

    @property
    def ok(self):
        return self.code == 10000

    def brief(self):
        """One line for the log: code and sub_code, or "ok"."""
        if self.ok:
            return "10000 ok"
        return "%d %s %s" % (self.code, self.sub_code, self.sub_msg)


def canonical_json(value):
    """The canonical param_json of §1.6: object keys sorted at every level,
    no whitespace, non-ASCII raw, integers exact (Python ints never pass
    through a double)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def sign_request(app_key, app_secret, method, param_json, timestamp):
    """The §1.5 signature, hmac-sha256 flavour, lowercase hex."""
    text = (app_secret + "app_key" + app_key + "method" + method +
            "param_json" + param_json + "timestamp" + str(timestamp) +
            "v2" + app_secret)
    return hmac.new(app_secret.encode("utf-8"), text.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def push_sign(app_key, body, app_secret):
    """The event-sign of a pushed message (§5.1): md5 of app_key + the raw
    body bytes + app_secret, lowercase hex."""
    return hashlib.md5(app_key.encode("utf-8") + body +
                       app_secret.encode("utf-8")).hexdigest()


class Client:
    """One persistent connection to the gateway, for one thread.

    call() signs and sends one API call and returns an Answer, or raises
    TransportError. Token errors (40003/40001 access-token-*) are handled
    here: the keeper refreshes (or creates again) and the call is sent once
    more. `idempotent` says whether a connection that died under the request
    may be retried at once (reads, unless retry_reads is False); writes
    never are, the caller decides."""

    IDLE_REOPEN_S = 20.0

    def __init__(self, env, keeper, log, timeout=8.0, retry_reads=True):
        u = urllib.parse.urlsplit(env["base_url"])
        self.host = u.hostname
        self.port = u.port or 80
        self.base_path = u.path.rstrip("/")
        self.app_key = env["app_key"]
        self.app_secret = env["app_secret"]
        self.keeper = keeper
        self.log = log
        self.timeout = timeout
        self.retry_reads = retry_reads
        self.conn = None
        self.last_used = 0.0

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None

    def _send_once(self, method, params, access_token):
        pj = canonical_json(params)
        ts = str(int(time.time()))
        query = [("app_key", self.app_key), ("method", method),
                 ("timestamp", ts), ("v", "2"),
                 ("sign_method", "hmac-sha256"),
                 ("sign", sign_request(self.app_key, self.app_secret, method,
                                       pj, ts))]
        if access_token is not None:
            query.append(("access_token", access_token))
        target = (self.base_path + "/" + method.replace(".", "/") + "?" +
                  urllib.parse.urlencode(query))
        if (self.conn is not None and
                time.monotonic() - self.last_used > self.IDLE_REOPEN_S):
            self.close()  # the gateway may have closed it while idle
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port,
                                                   timeout=self.timeout)
        try:
            self.conn.request("POST", target, body=pj.encode("utf-8"),
                              headers={"Content-Type":
                                       "application/json;charset=UTF-8"})
            r = self.conn.getresponse()
            body = r.read()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise TransportError("%s: %s" % (type(e).__name__, e)) from e
        self.last_used = time.monotonic()
        if r.status != 200:
            self.close()
            raise TransportError("HTTP %d" % r.status)
        try:
            env = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            self.close()
            raise TransportError("answer is not JSON (%d bytes)" %
                                 len(body)) from e
        if not isinstance(env, dict):
            raise TransportError("answer is not a JSON object")
        return Answer(env)

    def raw(self, method, params, access_token=None, idempotent=True):
        """Sends one call with the given token (None: no access_token, for
        token.*). A read whose connection died is sent once more on a
        fresh connection."""
        try:
            return self._send_once(method, params, access_token)
        except TransportError:
            if not idempotent or not self.retry_reads:
                raise
            return self._send_once(method, params, access_token)

    def call(self, method, params, idempotent=True):
        """Sends one business API call with the current access token,
        handling token errors once (see the class comment)."""
        token = self.keeper.access_token(self)
        ans = self.raw(method, params, token, idempotent)
        if ans.code in (40001, 40003) and ans.sub_code in TOKEN_ERRORS:
            self.log("token: %s answered %s; getting a fresh token" %
                     (method, ans.sub_code))
            fresh = self.keeper.replace(self, token)
            if fresh is None or fresh == token:
                return ans
            ans = self.raw(method, params, fresh, idempotent)
        return ans


class TokenKeeper:
    """The access token, kept in the state file (key "token") so that the
    ERP process, its restarts and the hook share it (an authorization code
    can be used once only).

    access_token() returns the token to use, obtaining one first when there
    is none (token.create: authorization_code with DOUDIAN_AUTH_CODE when
    set, else authorization_self with DOUDIAN_SHOP_ID), and refreshing it
    before it expires. replace(bad) is called when the gateway refused
    `bad`: if the state already holds another token (another process
    refreshed) that one is returned, else token.refresh, else token.create
    again. With refresh=False (the no-token-refresh bug) it never refreshes
    and never creates a second token."""

    def __init__(self, env, store, log, refresh=True):
        self.env = env
        self.store = store
        self.log = log
        self.refresh_allowed = refresh
        self.lock = threading.Lock()
        self.cached = None

    @staticmethod
    def _record(data, now):
        expires_in = int(data.get("expires_in") or 0)
        # §2.2: seconds left (what the mock sends by default) or an
        # absolute Unix second; a value this large can only be the latter.
        if expires_in > 1000000000:
            expires_at = expires_in
        else:
            expires_at = now + expires_in
        return {"access_token": data.get("access_token"),
                "refresh_token": data.get("refresh_token"),
                "expires_at": expires_at,
                "lifetime": max(1, expires_at - now),
                "obtained_at": now,
                "next_proactive": 0}

    def _create(self, client):
        env = self.env
        if env.get("auth_code"):
            params = {"code": env["auth_code"],
                      "grant_type": "authorization_code"}
        else:
            params = {"code": "", "grant_type": "authorization_self",
                      "shop_id": env["shop_id"]}
        ans = client.raw("token.create", params, None)
        self.log("token: token.create (%s) -> %s" %
                 (params["grant_type"], ans.brief()))
        return ans

    def _refresh(self, client, tok):
        ans = client.raw("token.refresh",
                         {"grant_type": "refresh_token",
                          "refresh_token": tok["refresh_token"]}, None)
        self.log("token: token.refresh -> %s" % ans.brief())
        return ans

    def _obtain(self, client, st, old):
        """Under both locks: refresh `old` when there is one (and refreshing
        is allowed), else or when that fails create a new token (not when
        refreshing is forbidden and a token existed); stores and returns
        the new record, or None."""
        now = int(time.time())
        if old and not self.refresh_allowed:
            return None
        if old and old.get("refresh_token"):
            try:
                ans = self._refresh(client, old)
                if ans.ok and isinstance(ans.data, dict) and \
                        ans.data.get("access_token"):
                    st["token"] = self._record(ans.data, now)
                    return st["token"]
            except TransportError as e:
                self.log("token: token.refresh failed: %s" % e)
        try:
            ans = self._create(client)
        except TransportError as e:
            self.log("token: token.create failed: %s" % e)
            return None
        if ans.ok and isinstance(ans.data, dict) and \
                ans.data.get("access_token"):
            st["token"] = self._record(ans.data, now)
            return st["token"]
        return None

    def _due(self, tok, now):
        left = tok["expires_at"] - now
        return (self.refresh_allowed and left > 0 and
                left < max(2.0, tok.get("lifetime", 0) * 0.05) and
                now >= tok.get("next_proactive", 0))

    def access_token(self, client):
        with self.lock:
            tok = self.cached
            now = time.time()
            if tok and tok.get("access_token") and not self._due(tok, now):
                return tok["access_token"]
            with self.store.transaction() as st:
                tok = st.get("token")
                if not tok or not tok.get("access_token"):
                    tok = self._obtain(client, st, None)
                elif self._due(tok, now):
                    # §2.3: a refresh more than an hour (scaled) before
                    # expiry gives the same pair back; then try again at
                    # half the time left, at most once a second.
                    left = tok["expires_at"] - now
                    old_exp = tok["expires_at"]
                    new = self._obtain(client, st, tok)
                    if new is None or new["expires_at"] == old_exp:
                        tok = new or tok
                        tok["next_proactive"] = now + max(1.0, left / 2)
                        st["token"] = tok
                    else:
                        tok = new
                self.cached = dict(tok) if tok else None
                return tok["access_token"] if tok else None

    def replace(self, client, bad):
        with self.lock:
            with self.store.transaction() as st:
                tok = st.get("token")
                if tok and tok.get("access_token") and \
                        tok["access_token"] != bad:
                    self.cached = dict(tok)
                    return tok["access_token"]
                if not self.refresh_allowed:
                    self.log("token: refused, and this ERP never refreshes "
                             "(bug no-token-refresh)")
                    return None
                new = self._obtain(client, st, tok)
                self.cached = dict(new) if new else None
                return new["access_token"] if new else None
