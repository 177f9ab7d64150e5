#!/usr/bin/env python3
"""gen_vectors.py: golden vectors for Doudian's canonical param_json and
request signatures, computed OUTSIDE the C code under test.

This is an independent Python implementation (standard library only) of
doudian-open-api.md section 1.5 (the string to sign, MD5 and HMAC-SHA256)
and section 1.6 (canonical param_json: keys sorted by UTF-8 byte order at
every depth, no whitespace, number lexemes kept, null kept, strings escaped
in the PLAIN or the Gson HTML-safe variant). It writes sign_vectors.tsv next
to itself, which tests/check_vectors.c reads.

Before writing anything it cross-checks itself:
  * spec_vectors.tsv (typed by hand from the section 1.5 table) must agree
    with this implementation, byte for byte and digest for digest;
  * every row of json_errors.tsv (hand-written error cases) must be rejected
    here with the same error kind, and its line/column must follow from its
    byte offset (so a typo in the hand-typed numbers is caught).
Any disagreement is printed and the script exits with status 1.

Usage: python3 tests/data/gen_vectors.py          (rewrites sign_vectors.tsv)
       python3 tests/data/gen_vectors.py --check  (compares, writes nothing)
The output is deterministic: same script, same bytes.
"""

import binascii
import hashlib
import hmac
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SIGN_FILE = "sign_vectors.tsv"
SPEC_FILE = "spec_vectors.tsv"
ERRORS_FILE = "json_errors.tsv"
SIGN_FIELDS = 12
ERROR_FIELDS = 6
MAX_DEPTH = 64  # DD_JSON_DEFAULT_MAX_DEPTH in proto/dd_json.h
JSON_WS = " \t\n\r"  # RFC 8259 whitespace, nothing else
HTML_CHARS = "<>&='"  # what Gson's HTML-safe mode escapes


# ---------------------------------------------------------------- parsing


class RawNumber(str):
    """A JSON number kept as the exact lexeme the client wrote."""


class Rejected(Exception):
    """The input is not an acceptable param_json. kind is a DD_E_* name
    without the prefix; offset is known only for raw UTF-8 errors."""

    def __init__(self, kind, detail, offset=None):
        super().__init__("%s: %s" % (kind, detail))
        self.kind = kind
        self.offset = offset


def _reject_constant(name):
    raise Rejected("SYNTAX", "non-JSON constant %s" % name)


def _last_wins(pairs):
    obj = {}
    for key, value in pairs:
        obj[key] = value  # a repeated key replaces the earlier value
    return obj


def _check_tree(value, level):
    """Rejects lone surrogates (Python's json accepts them) and nesting
    deeper than MAX_DEPTH (the top-level object is level 1)."""
    if isinstance(value, (dict, list)) and level > MAX_DEPTH:
        raise Rejected("DEPTH", "level %d" % level)
    if isinstance(value, dict):
        for key, item in value.items():
            _check_str(key)
            _check_tree(item, level + 1)
    elif isinstance(value, list):
        for item in value:
            _check_tree(item, level + 1)
    elif isinstance(value, str) and not isinstance(value, RawNumber):
        _check_str(value)


def _check_str(s):
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as e:
        raise Rejected("UTF8", "lone surrogate U+%04X" % ord(s[e.start]))


def parse_param_json(raw):
    """Parses raw bytes as the gateway must: strict UTF-8, RFC 8259, the
    top level an object, empty or whitespace-only meaning {}."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Rejected("UTF8", e.reason, e.start)
    if text.strip(JSON_WS) == "":
        return {}
    try:
        value = json.loads(
            text,
            object_pairs_hook=_last_wins,
            parse_int=RawNumber,
            parse_float=RawNumber,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as e:
        raise Rejected("SYNTAX", e.msg)
    _check_tree(value, 1)
    if not isinstance(value, dict):
        raise Rejected("NOT_OBJECT", type(value).__name__)
    return value


# ---------------------------------------------------------------- writing

_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n",
          "\r": "\\r", "\t": "\\t"}


def write_string(s, html):
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif code < 0x20 or code in (0x2028, 0x2029):
            out.append("\\u%04x" % code)
        elif html and ch in HTML_CHARS:
            out.append("\\u%04x" % code)
        else:
            out.append(ch)  # DEL, '/', and all other characters raw
    out.append('"')
    return "".join(out)


def write_canonical(value, html):
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-8"))
        return "{" + ",".join(
            write_string(k, html) + ":" + write_canonical(value[k], html)
            for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(write_canonical(v, html) for v in value) + "]"
    if isinstance(value, RawNumber):
        return str(value)
    if isinstance(value, str):
        return write_string(value, html)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise TypeError("unexpected value %r" % (value,))


def canonical(raw):
    """Returns (plain, html) canonical forms as UTF-8 bytes."""
    value = parse_param_json(raw)
    return (write_canonical(value, False).encode("utf-8"),
            write_canonical(value, True).encode("utf-8"))


# ---------------------------------------------------------------- signing


def string_to_sign(app_key, secret, method, timestamp, canon):
    return (secret.encode("utf-8") + b"app_key" + app_key.encode("utf-8")
            + b"method" + method.encode("utf-8") + b"param_json" + canon
            + b"timestamp" + timestamp.encode("utf-8") + b"v" + b"2"
            + secret.encode("utf-8"))


def sign_md5(s):
    return hashlib.md5(s).hexdigest()


def sign_hmac(secret, s):
    return hmac.new(secret.encode("utf-8"), s, hashlib.sha256).hexdigest()


def hexfield(b):
    return binascii.hexlify(b).decode("ascii") if b else "-"


def unhexfield(s):
    return b"" if s == "-" else binascii.unhexlify(s)


def compute_row(name, app_key, secret, method, timestamp, raw):
    plain, html = canonical(raw)
    s_plain = string_to_sign(app_key, secret, method, timestamp, plain)
    s_html = string_to_sign(app_key, secret, method, timestamp, html)
    return [name, app_key, secret, method, timestamp, hexfield(raw),
            hexfield(plain), hexfield(html), sign_md5(s_plain),
            sign_md5(s_html), sign_hmac(secret, s_plain),
            sign_hmac(secret, s_html)]


# ---------------------------------------------------------------- inputs
#
# Raw param_json exactly as a client might send it. Python str literals are
# sent as their UTF-8 bytes; r'' strings keep JSON escapes for the parser.

CREDENTIALS = [
    ("1234567890123456789", "00000000-test-secret-0000-000000000000"),
    ("7012345678901234567", "a1b2c3d4e5f60718293a4b5c6d7e8f90"),
    # longer than SHA-256's 64-byte block: HMAC must hash the key first
    ("6999999999999999999", "0123456789abcdef" * 5),
    # characters that are escaped in JSON must NOT be escaped in the secret
    ("7123456789012345678", "s3cr&t=<x>'\"/\\密钥"),
]
METHODS = ["afterSale.List", "afterSale.Detail", "afterSale.operate",
           "order.orderDetail", "token.create",
           "sendHome.afterSale.operateAfterSale", "order.searchList"]
TIMESTAMPS = ["1700000000", "1700000000123", "2023-11-15 06:13:20",
              "1731234567", "1699999999999"]


def _nested(levels):
    """levels of objects, each with an unsorted sibling."""
    return ("".join('{"z":%d,"a":' % i for i in range(levels - 1))
            + '{"end":true}' + "}" * (levels - 1))


VECTORS = [
    # (name, raw input, overrides) -- overrides: app_key/secret/method/timestamp
    ("spec_page_size_unsorted_with_spaces", '{ "size": 10, "page": 0 }',
     {"cred": 0, "method": "afterSale.List", "timestamp": "1700000000"}),
    ("spec_operate_as_client_orders_it",
     '{"type":201,"items":[{"remark":"质检<不通过>&退回","reason":"x",'
     '"aftersale_id":"7000000000000000001"}]}',
     {"cred": 0, "method": "afterSale.operate", "timestamp": "1700000000"}),
    ("list_window_pretty_printed",
     '{\n  "update_start_time": 1700000000,\n  "update_end_time": 1700003600,'
     '\n  "size": 100,\n  "page": 0,\n  "order_by": ["update_time asc"]\n}\n',
     {}),
    ("nested_unsorted_three_levels",
     '{"z":{"y":{"b":1,"a":2},"x":[3]},"a":{"d":null,"c":true}}', {}),
    ("array_of_objects_sorted_inside",
     '{"items":[{"b":2,"a":1},{"d":[{"z":0,"y":1}],"c":3}]}', {}),
    ("arrays_of_arrays",
     '{"m":[[3,2,1],[],[[{"b":0,"a":1}]],[[[]]]]}', {}),
    ("chinese_text_raw",
     '{"remark":"质检不通过，已退回","reason":"商品破损","买家":"张三"}', {}),
    ("short_escapes_and_escaped_solidus",
     r'{"s":"a\"b\\c\/d\b\f\n\r\t"}', {}),
    ("control_chars_as_u_escapes",
     r'{"c":"\u0001\u001f\u001F\u000b\u0000x\u007f"}', {}),
    ("all_32_control_chars", '{"all":"'
     + "".join("\\u%04x" % i for i in range(32)) + '"}', {}),
    ("raw_del_is_not_escaped", '{"d":"a\x7fb","\x7f":"key"}', {}),
    ("escaped_solidus_in_url",
     r'{"url":"https:\/\/fxg.jinritemai.com\/ffa\/mshop?a=1&b=2"}', {}),
    ("raw_solidus_stays_raw", '{"path":"/afterSale/List","r":"a//b/"}', {}),
    ("html_chars_in_values",
     '{"remark":"质检<不通过>&退回","q":"a=b","name":"O\'Brien"}', {}),
    ("html_chars_in_keys",
     '{"<k>":1,"a&b":2,"x=y":3,"it\'s":4,"plain":"none"}', {}),
    ("html_keys_sort_by_raw_bytes_not_escaped_form",
     '{"a":4,"A":1,"<b":2,"&":3,"\'":5,"=":6,">":7}', {}),
    ("html_chars_escaped_in_input_like_gson",
     r'{"remark":"\u003cb\u003e \u0026 \u003d \u0027","k\u003d":"v"}', {}),
    ("html_chars_mixed_with_controls",
     r"""{"k":"<\u0001>&\n='\u2028"}""", {}),
    ("u_escapes_for_ascii_letters",
     r'{"\u0061\u0062":"\u0048\u0069","b":"\u4e2d\u6587","c":"\u00e9"}', {}),
    ("surrogate_pair_escapes",
     r'{"e":"\ud83d\ude00","f":"\uD83D\uDE00","g":"x\ud840\udc00y"}', {}),
    ("raw_supplementary_chars", '{"e":"😀 𠀀 🈚","😀":1}', {}),
    ("boundary_code_points_raw",
     '{"s":"\u0080\u07ff\u0800\ufeff\uffff\U00010000\U0010ffff"}', {}),
    ("boundary_code_points_escaped",
     r'{"s":"\u0080\u07ff\u0800\ufeff\uffff\ud800\udc00\udbff\udfff"}', {}),
    ("line_separators_raw",
     '{"ls":"a\u2028b","ps":"c\u2029d","\u2028":"key"}', {}),
    ("line_separators_escaped",
     r'{"ls":"a\u2028b","ps":"c\u2029d","\u2028":"key"}', {}),
    ("ids_19_digits_as_numbers_and_strings",
     '{"id":9223372036854775807,"sid":"9223372036854775807",'
     '"aftersale_id":7000000000000000001,"order_id":"7000000000000000001",'
     '"min":-9223372036854775808}', {}),
    ("numbers_beyond_int64_keep_lexeme",
     '{"n":18446744073709551616,"neg":-9223372036854775809,'
     '"long":123456789012345678901234567890.000}', {}),
    ("number_lexemes_kept_verbatim",
     '{"a":-0,"b":1.50,"c":1e2,"d":1E+2,"e":0.0,"f":-1.5e-3,"g":0,'
     '"h":1e-0,"i":-0.0e00,"j":10E-10}', {}),
    ("numbers_in_arrays", '{"n":[0,-0,1.0,2e0,3E-0,4.25e+10,-5]}', {}),
    ("numeric_strings_stay_strings", '{"a":"1.0","b":"1e2","c":"-0"}', {}),
    ("null_true_false", '{"n":null,"t":true,"f":false,"arr":[null,true,false]}',
     {}),
    ("empty_containers", '{"o":{},"a":[],"oa":[{}],"ao":{"x":[]}}', {}),
    ("empty_object", "{}", {}),
    ("empty_object_with_whitespace", " { } ", {}),
    ("deep_nesting_60_levels", _nested(60), {}),
    ("deep_nesting_64_levels_is_the_limit",
     '{"a":' + "[" * 62 + '{"b":1}' + "]" * 62 + "}", {}),
    ("duplicate_keys_last_wins", '{"a":1,"b":2,"a":3}', {}),
    ("duplicate_keys_nested",
     '{"o":{"x":1,"y":2,"x":{"z":1}},"o2":[{"k":"first","k":"second"}]}', {}),
    ("duplicate_object_replaced_not_merged", '{"o":{"a":1},"o":{"b":2}}', {}),
    ("duplicate_key_spelled_with_escape", r'{"ab":1,"a\u0062":2}', {}),
    ("keys_byte_order_ascii",
     '{"a":1,"B":2,"_":3,"Z":4,"1":5,"":6,"~":7," ":8}', {}),
    ("keys_byte_order_non_ascii",
     '{"z":1,"é":2,"中":3,"a":4,"ä":5,"😀":6,"\uff21":7,"\uffff":8}', {}),
    ("keys_that_are_prefixes_or_hold_nul",
     r'{"ab":1,"a":2,"a\u0000":3,"":4,"a\u0000b":5}', {}),
    ("keys_needing_escapes",
     r'{"a\"b":1,"a\\b":2,"a\nb":3,"a/b":4,"a\tb":5}', {}),
    ("whitespace_everywhere",
     ' \t\n{ "b" :\r\n [ 1 , 2 ] ,\t"a"\n:\n{ } ,"c" : "x y" }\n\t ', {}),
    ("empty_input", "", {}),
    ("whitespace_only_input", " \t\r\n ", {}),
    ("nul_inside_string", r'{"s":"a\u0000b","t":"\u0000"}', {}),
    ("token_create_with_null_auth_id",
     '{"code":"","grant_type":"authorization_self","shop_id":"12345",'
     '"auth_subject_type":"MiniApp","auth_id":null}',
     {"method": "token.create"}),
    ("order_search_list_pretty",
     '{\r\n\t"page": 0,\r\n\t"size": 20,\r\n\t"create_time_start": 1699999999,'
     '\r\n\t"order_by": "create_time",\r\n\t"order_asc": false,\r\n\t'
     '"combine_status": [{"order_status": "2,3", "main_status": "101"}]\r\n}',
     {"method": "order.searchList"}),
    ("operate_after_sale_realistic",
     '{"type":201,"items":[{"aftersale_id":"7000000000000000002",'
     '"reject_reason_code":3,"remark":"拒绝: 商品<已>使用 & 无法=退\'款",'
     '"evidence":[{"url":"https://img.example/a.jpg","type":1,'
     '"desc":"图1"}]}],"store_id":null}',
     {"method": "afterSale.operate"}),
    ("many_keys_in_reverse_order", "{" + ",".join(
        '"k%03d":%d' % (i, i) for i in range(299, -1, -1)) + "}", {}),
    ("long_string_value",
     '{"long":"' + ("数据<&>" * 700) + ("x" * 3000) + '"}', {}),
]


def build_sign_rows():
    rows, names = [], set()
    for i, (name, raw, over) in enumerate(VECTORS):
        if name in names:
            sys.exit("gen_vectors: duplicate vector name %s" % name)
        names.add(name)
        app_key, secret = CREDENTIALS[over.get("cred", i % len(CREDENTIALS))]
        method = over.get("method", METHODS[i % len(METHODS)])
        timestamp = over.get("timestamp", TIMESTAMPS[i % len(TIMESTAMPS)])
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        try:
            row = compute_row(name, app_key, secret, method, timestamp, raw)
        except Rejected as e:
            sys.exit("gen_vectors: vector %s is not valid: %s" % (name, e))
        for field in row:
            if not field or any(c in field for c in "\t\r\n"):
                sys.exit("gen_vectors: vector %s has an unwritable field %r"
                         % (name, field))
        rows.append(row)
    return rows


SIGN_HEADER = """\
# sign_vectors.tsv: golden canonical param_json and request signatures.
# GENERATED by tests/data/gen_vectors.py (independent Python implementation of
# doudian-open-api.md sections 1.5-1.6); do not edit, re-run the script.
# One vector per line, 12 TAB-separated fields; *_hex fields are lowercase hex
# of UTF-8 bytes, "-" for empty; digests are lowercase hex over the string
# secret+"app_key"+app_key+"method"+method+"param_json"+canonical
#   +"timestamp"+timestamp+"v2"+secret (HMAC keyed with the secret).
# name\tapp_key\tapp_secret\tmethod\ttimestamp\tinput_hex\tcanonical_plain_hex\tcanonical_html_hex\tmd5_plain\tmd5_html\thmac_plain\thmac_html
"""


def render_sign_file(rows):
    return SIGN_HEADER + "".join("\t".join(r) + "\n" for r in rows)


# ---------------------------------------------------------------- self-checks


def read_tsv(name, nfields):
    rows = []
    with open(os.path.join(HERE, name), "r", encoding="utf-8",
              newline="") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != nfields:
                sys.exit("gen_vectors: %s:%d: %d fields, want %d"
                         % (name, lineno, len(fields), nfields))
            rows.append((lineno, fields))
    return rows


SIGN_LABELS = ["name", "app_key", "app_secret", "method", "timestamp",
               "input_hex", "canonical_plain_hex", "canonical_html_hex",
               "md5_plain", "md5_html", "hmac_plain", "hmac_html"]


def verify_spec_vectors():
    """The spec table is the only outside truth for the digests: if this
    implementation disagrees with it, nothing it writes can be trusted."""
    failures = 0
    rows = read_tsv(SPEC_FILE, SIGN_FIELDS)
    for lineno, f in rows:
        raw = unhexfield(f[5])
        try:
            got = compute_row(f[0], f[1], f[2], f[3], f[4], raw)
        except Rejected as e:
            print("%s:%d: %s: input rejected: %s" % (SPEC_FILE, lineno, f[0], e))
            failures += 1
            continue
        for idx in range(6, SIGN_FIELDS):
            if got[idx] != f[idx]:
                print("%s:%d: %s: %s: spec says %s, python computes %s"
                      % (SPEC_FILE, lineno, f[0], SIGN_LABELS[idx], f[idx],
                         got[idx]))
                failures += 1
    if len(rows) != 4:
        print("%s: %d vectors, want 4" % (SPEC_FILE, len(rows)))
        failures += 1
    return failures, len(rows)


def line_col(raw, offset):
    """1-based line and column (in UTF-8 characters) of a byte offset."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    line = raw.count(b"\n", 0, offset) + 1
    col = 1 + sum(1 for b in raw[line_start:offset] if (b & 0xC0) != 0x80)
    return line, col


def verify_error_vectors():
    failures = 0
    rows = read_tsv(ERRORS_FILE, ERROR_FIELDS)
    kinds = {"SYNTAX", "DEPTH", "TOO_LARGE", "UTF8", "NOT_OBJECT"}
    names = set()
    for lineno, (name, hexin, kind, off, line, col) in rows:
        where = "%s:%d: %s" % (ERRORS_FILE, lineno, name)
        if name in names:
            print("%s: duplicate name" % where)
            failures += 1
        names.add(name)
        raw = unhexfield(hexin)
        off, line, col = int(off), int(line), int(col)
        if kind not in kinds:
            print("%s: unknown error kind %s" % (where, kind))
            failures += 1
        if off > len(raw):
            print("%s: offset %d past the end (%d bytes)"
                  % (where, off, len(raw)))
            failures += 1
        elif line_col(raw, off) != (line, col):
            print("%s: offset %d is line %d col %d, file says %d:%d"
                  % ((where, off) + line_col(raw, off) + (line, col)))
            failures += 1
        try:
            canonical(raw)
            print("%s: python accepts this input" % where)
            failures += 1
        except Rejected as e:
            if e.kind != kind:
                print("%s: python says %s, file says %s" % (where, e, kind))
                failures += 1
            elif e.offset is not None and e.offset != off:
                print("%s: python's UTF-8 decoder puts the error at %d, "
                      "file says %d" % (where, e.offset, off))
                failures += 1
    return failures, len(rows)


def main(argv):
    check_only = argv[1:] == ["--check"]
    if argv[1:] and not check_only:
        sys.exit("usage: gen_vectors.py [--check]")
    spec_failures, nspec = verify_spec_vectors()
    err_failures, nerr = verify_error_vectors()
    if spec_failures or err_failures:
        sys.exit("gen_vectors: %d disagreement(s) with the hand-typed files; "
                 "nothing written" % (spec_failures + err_failures))
    text = render_sign_file(build_sign_rows()).encode("utf-8")
    path = os.path.join(HERE, SIGN_FILE)
    if check_only:
        with open(path, "rb") as f:
            if f.read() != text:
                sys.exit("gen_vectors: %s is stale; re-run gen_vectors.py"
                         % SIGN_FILE)
        print("gen_vectors: %s up to date" % SIGN_FILE)
    else:
        with open(path, "wb") as f:
            f.write(text)
        print("gen_vectors: wrote %d vectors to %s" % (len(VECTORS), SIGN_FILE))
    print("gen_vectors: %s: %d vectors agree with the spec; %s: %d error "
          "cases checked" % (SPEC_FILE, nspec, ERRORS_FILE, nerr))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
