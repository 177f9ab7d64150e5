"""doudian_sdk_styles.py: a Doudian (抖店) open-platform client in two styles.

An independent implementation, in python3 with only the standard library,
of how the two official SDKs put a request on the wire
(doudian-open-api.md §1.2-§1.6, §2.2, §3.1). It shares no code with the
C project: it exists so that ddmock's signature checks are tested against
something that did not come from the same hands as the code under test.

  JavaStyle  the official Java SDK (com.doudian:open-sdk 1.1.0):
             URL base + "/" + path without its leading slash; query built
             with String.format "app_key=..&method=..&v=2&sign=..&
             timestamp=..&access_token=.." (values not URL-encoded,
             access_token empty when there is none); 13-digit millisecond
             timestamp; MD5 and no sign_method; body = Gson toJson of the
             param object: fields in declared order, nulls dropped,
             HTML-safe escaping; signed string = recursively key-sorted,
             compact, HTML-safe, nulls KEPT (toJsonWithNull).
  GoStyle    the official Go SDK (doudian-sdk-golang): URL
             fmt.Sprintf("%s/%s", base, "/afterSale/List") = a double
             slash; query = url.Values.Encode (sorted, escaped), with
             sign_method=hmac-sha256 and access_token only when present;
             Unix-seconds timestamp; HMAC-SHA256; body = the signed
             canonical string itself (sorted, compact, no HTML escaping,
             nulls kept); the SDK's Content-Type header bug is imitated.

The gap this implies for the Java SDK (issue 3): Java signs its unset
optional fields as `null` but drops them from the body it sends, so a
gateway that re-canonicalises the body cannot rebuild the signed string.
JavaStyle reproduces that faithfully: a None value in the params is signed
and not sent. Callers that want an accepted request send no unset fields.

Nothing here prints; everything returns values or raises.
"""

import hashlib
import hmac
import http.client
import json
import time
import urllib.parse

JAVA_HEADERS = (
    ("Content-Type", "application/json;charset=UTF-8"),
    ("accept", "*/*"),
    ("from", "sdk"),
    ("sdk-type", "java"),
    ("sdk-version", "1.1.0"),  # version string: a guess, not signed
    ("x-open-no-old-err-code", "1"),
)

GO_HEADERS = (
    # The Go SDK's bug, kept: the header *value* repeats the header name.
    ("Content-Type", "Content-Type: application/json"),
    ("from", "sdk"),
    ("sdk-type", "golang"),
    ("sdk-version", "1.1.0"),  # version string: a guess, not signed
    ("x-open-no-old-err-code", "1"),
)


# ------------------------------------------------------------ JSON writing


class RawNumber(str):
    """A JSON number written exactly as given (e.g. RawNumber("1.50")):
    both SDKs preserve number lexemes (Go UseNumber, Gson lazy numbers)."""


_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                 "=": "\\u003d", "'": "\\u0027"}
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f",
                  "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def json_string(s, html_safe):
    """Returns the JSON string literal of `s`: raw UTF-8 (no \\u for
    non-ASCII), `/` not escaped, \\b \\f \\n \\r \\t short, other control
    characters \\u00xx in lower case, U+2028/U+2029 escaped (both Go and
    Gson do); with html_safe also < > & = ' as \\u003c \\u003e \\u0026
    \\u003d \\u0027 (Gson's default HTML-safe mode)."""
    out = ['"']
    for ch in s:
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        elif ch in ("\u2028", "\u2029"):
            out.append("\\u%04x" % ord(ch))
        elif html_safe and ch in _HTML_ESCAPES:
            out.append(_HTML_ESCAPES[ch])
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _scalar(v, html_safe):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, RawNumber):
        return str.__str__(v)
    if isinstance(v, int):
        return str(v)  # exact for any size (19-digit ids included)
    if isinstance(v, str):
        return json_string(v, html_safe)
    raise TypeError("no JSON form chosen for %r (use int or RawNumber)" %
                    (v,))


def canonical_json(value, html_safe=False):
    """Returns the canonical form of doudian-open-api.md §1.6 as a str:
    every object's keys sorted by their UTF-8 bytes at every level, no
    whitespace, nulls kept. html_safe=False is what the Go SDK signs and
    sends; html_safe=True what the Java SDK signs.

    The real Java SDK (SignUtil.sortParamJson) recurses into an array only
    when its first element is an object; for the arrays an ERP sends
    (all objects or all scalars) that is the same as recursing always."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-8"))
        return "{" + ",".join(
            json_string(k, html_safe) + ":" +
            canonical_json(value[k], html_safe) for k in keys) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical_json(v, html_safe)
                              for v in value) + "]"
    return _scalar(value, html_safe)


def gson_body(value):
    """Returns what Gson's default toJson writes for the Java SDK's param
    object: fields in the order given (the declared field order: a dict's
    insertion order), object fields whose value is None left out, array
    elements kept as they are, HTML-safe escaping, no whitespace."""
    if isinstance(value, dict):
        return "{" + ",".join(
            json_string(k, True) + ":" + gson_body(v)
            for k, v in value.items() if v is not None) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(gson_body(v) for v in value) + "]"
    return _scalar(value, True)


# ------------------------------------------------------------ signing


def path_to_method(path):
    """"/afterSale/List" or "afterSale/List" -> "afterSale.List" (§1.2)."""
    if path.startswith("/"):
        path = path[1:]
    return path.replace("/", ".")


def string_to_sign(app_key, app_secret, method, param_json, timestamp):
    """The §1.5 sign base string: the secret, the five signed parameters in
    alphabetical order as key+value with no separators, the secret."""
    return (app_secret + "app_key" + app_key + "method" + method +
            "param_json" + param_json + "timestamp" + str(timestamp) +
            "v" + "2" + app_secret)


def sign(app_secret, text, sign_method):
    """Lowercase hex digest of the sign base string: MD5 of its UTF-8 bytes
    ("md5") or HMAC-SHA256 keyed with the secret ("hmac-sha256")."""
    data = text.encode("utf-8")
    if sign_method == "md5":
        return hashlib.md5(data).hexdigest()
    if sign_method == "hmac-sha256":
        return hmac.new(app_secret.encode("utf-8"), data,
                        hashlib.sha256).hexdigest()
    raise ValueError("unknown sign_method %r" % (sign_method,))


# ------------------------------------------------------------ requests


class Prepared:
    """One request ready to send. `path` is the request path exactly as the
    SDK forms it (possibly with a leading "//"); `query` is an ordered
    list of [key, value] pairs the test may edit before sending;
    `encode_query` says whether values are percent-encoded (Go) or put in
    raw (Java's String.format); `body` is bytes. `signed` is the string
    that was hashed into the sign (secret included: never send it)."""

    def __init__(self, path, query, encode_query, body, headers, signed,
                 param_json_signed):
        self.path = path
        self.query = query
        self.encode_query = encode_query
        self.body = body
        self.headers = list(headers)
        self.signed = signed
        self.param_json_signed = param_json_signed

    def get(self, key):
        for k, v in self.query:
            if k == key:
                return v
        return None

    def set(self, key, value):
        """Replaces the value of `key` (appends it when absent)."""
        for pair in self.query:
            if pair[0] == key:
                pair[1] = value
                return
        self.query.append([key, value])

    def drop(self, key):
        self.query = [p for p in self.query if p[0] != key]

    def target(self):
        """The request target: path and query string."""
        if self.encode_query:
            qs = urllib.parse.urlencode([tuple(p) for p in self.query])
        else:
            qs = "&".join("%s=%s" % (k, v) for k, v in self.query)
        return self.path + "?" + qs


class Answer:
    """What came back: HTTP status, headers (list of pairs), raw body, the
    parsed JSON (None when the body is not JSON) and, for convenience, the
    envelope fields of §3.1."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self.json = None
        env = self.json if isinstance(self.json, dict) else {}
        self.code = env.get("code")
        self.msg = env.get("msg")
        self.sub_code = env.get("sub_code")
        self.sub_msg = env.get("sub_msg")
        self.log_id = env.get("log_id")
        self.data = env.get("data")

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def __repr__(self):
        return "Answer(%d, %s)" % (self.status,
                                   self.body[:600].decode("utf-8", "replace"))


class _Style:
    """Shared by both styles: credentials, the base URL, one persistent
    HTTP/1.1 connection (both SDKs keep connections alive) and sending."""

    sign_method = None
    headers = ()

    def __init__(self, base_url, app_key, app_secret, clock=time.time,
                 timeout=15):
        u = urllib.parse.urlsplit(base_url)
        if u.scheme != "http":
            raise ValueError("only http:// base URLs: %r" % (base_url,))
        self.base_url = base_url.rstrip("/")
        self.base_path = u.path.rstrip("/")
        self.host = u.hostname
        self.port = u.port or 80
        self.app_key = app_key
        self.app_secret = app_secret
        self.clock = clock
        self.timeout = timeout
        self.conn = None

    def connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port,
                                                   timeout=self.timeout)
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def send(self, prep, conn=None):
        """POSTs `prep` on `conn` (default: this client's persistent
        connection) and returns an Answer. A persistent connection the
        server closed while idle is reopened once, as the SDKs' pools do;
        an explicit `conn` is never retried."""
        own = conn is None
        attempts = 2 if own else 1
        for attempt in range(attempts):
            c = self.connection() if own else conn
            try:
                c.request("POST", prep.target(), body=prep.body,
                          headers=dict(prep.headers))
                r = c.getresponse()
                body = r.read()
                return Answer(r.status, r.getheaders(), body)
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError):
                if own:
                    self.close()
                if attempt + 1 >= attempts:
                    raise
        raise AssertionError("unreachable")

    def call(self, path, params, access_token=None, **kw):
        """prepare + send."""
        return self.send(self.prepare(path, params, access_token, **kw))


class JavaStyle(_Style):
    """The official Java SDK's wire form (see the module comment)."""

    sign_method = "md5"
    headers = JAVA_HEADERS

    def prepare(self, path, params, access_token=None, method=None,
                timestamp=None):
        """Builds the request for API `path` ("/afterSale/List") with
        `params`, a dict whose insertion order is the declared field order.
        `method` and `timestamp` override the derived values (still
        signed). None values are signed but not sent, as Java does."""
        if method is None:
            method = path_to_method(path)
        if timestamp is None:
            timestamp = str(int(self.clock() * 1000))
        body = gson_body(params)
        signed_pj = canonical_json(params, html_safe=True)
        text = string_to_sign(self.app_key, self.app_secret, method,
                              signed_pj, timestamp)
        sig = sign(self.app_secret, text, "md5")
        url_path = path[1:] if path.startswith("/") else path
        query = [["app_key", self.app_key], ["method", method], ["v", "2"],
                 ["sign", sig], ["timestamp", timestamp],
                 ["access_token", access_token or ""]]
        return Prepared(self.base_path + "/" + url_path, query, False,
                        body.encode("utf-8"), self.headers, text, signed_pj)

    def token_create_self(self, shop_id):
        """token.create for a self-use app as the Java SDK's
        AccessTokenBuilder.build(shopId) sends it, minus the unset fields
        (test_shop, auth_id, auth_subject_type) that the real SDK signs as
        null: see the module comment. shop_id is a string (TokenCreateParam
        declares String)."""
        params = {"code": "", "grant_type": "authorization_self",
                  "shop_id": str(shop_id)}
        return self.call("/token/create", params)


class GoStyle(_Style):
    """The official Go SDK's wire form (see the module comment)."""

    sign_method = "hmac-sha256"
    headers = GO_HEADERS

    def prepare(self, path, params, access_token=None, method=None,
                timestamp=None):
        """Builds the request for API `path` exactly as the generated Go
        request returns it ("/afterSale/List", giving a double slash; the
        core token requests use "token/create"). `method` and `timestamp`
        override the derived values (still signed)."""
        if method is None:
            method = path_to_method(path)
        if timestamp is None:
            timestamp = str(int(self.clock()))
        pj = canonical_json(params, html_safe=False)
        text = string_to_sign(self.app_key, self.app_secret, method, pj,
                              timestamp)
        sig = sign(self.app_secret, text, "hmac-sha256")
        params_map = {"app_key": self.app_key, "method": method,
                      "timestamp": timestamp, "sign": sig, "v": "2",
                      "sign_method": "hmac-sha256"}
        if access_token is not None:
            params_map["access_token"] = access_token
        # url.Values.Encode sorts by key.
        query = [[k, params_map[k]] for k in sorted(params_map)]
        return Prepared(self.base_path + "/" + path, query, True,
                        pj.encode("utf-8"), self.headers, text, pj)

    def token_create_self(self, shop_id):
        """token.create as the Go SDK's BuildAccessToken sends it for a
        self-use app (2024 copy: pointer fields without omitempty, so the
        unset ones go out as null, and shop_id is an int64)."""
        params = {"code": "", "grant_type": "authorization_self",
                  "shop_id": int(shop_id), "auth_id": None,
                  "auth_subject_type": None}
        return self.call("token/create", params)
