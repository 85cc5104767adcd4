"""Property tests (hypothesis, derandomized): every request stays on its path and origin, and
the server reads what was meant.

- ids: ``endpoint_path`` raises ``InvalidId`` or gives a path whose segments are the ids;
- lookups: ``encode_filter`` raises ``InvalidQuery`` or gives one querystring parameter that
  survives our URL quoting and that Kinto's own parser (its keyword regex and value decoding,
  imported from the installed ``kinto``) reads as the operator, field and value meant;
- live, a sample: string values and keyword-like field names round-trip through a real Kinto;
- ``Next-Page`` URLs: ``Transport.url`` raises ``UnsafeURL`` or gives a URL on the server's
  origin, as both urllib3 and urllib (which ``requests`` uses for its connection pool) parse it.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlparse

import pytest
import requests
import urllib3
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st

from kinto_query import Client, InvalidId, InvalidQuery, Transport, UnsafeURL
from kinto_query._endpoints import endpoint_path
from kinto_query._lookups import _ALIASES, OPERATORS, encode_filter

from .conftest import AUTH, TODO

kinto_utils = pytest.importorskip("kinto.core.utils")

SEED = settings(derandomize=True, database=None, deadline=None)

# -- ids ---------------------------------------------------------------------------------------

ID = st.one_of(
    st.text(),
    st.text(alphabet="abZ09-_./%?#\\@:; \n\t\u00e9\u0663\uff41", max_size=8),
    st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9_-]*", fullmatch=True),
    st.sampled_from(["..", ".", "a/b", "a%2Fb", "%2e%2e", "a?b", "a#b", "b\n", "\u0663", "\uff41",
                     "a\x00", "a b", "A-1_z"]),
)


@settings(SEED, max_examples=600)
@given(bucket=ID, collection=ID, record=ID)
def test_an_endpoint_path_holds_exactly_the_ids(bucket: str, collection: str, record: str) -> None:
    try:
        path = endpoint_path("record", bucket=bucket, collection=collection, record=record)
    except InvalidId:
        return
    assert path.split("/") == ["", "buckets", bucket, "collections", collection, "records", record]
    for forbidden in ("..", "%", "?", "#", "\\", "//"):
        assert forbidden not in path
    prepared = requests.Request("GET", "http://h/v1" + path).prepare().url
    assert prepared == "http://h/v1" + path


# -- lookups -----------------------------------------------------------------------------------

# Kinto's own reading of a querystring parameter (kinto.core.resource and its QuerySchema).
_KEYWORDS = "|".join(keyword.name.lower() for keyword in kinto_utils.COMPARISON)
_KINTO_FILTER = re.compile(r"^(" + _KEYWORDS + r")_([\w\.]+)$")


def kinto_reads(name: str, text: str) -> tuple[str, str, Any]:
    """(keyword, field, value) as Kinto 26.5 reads the querystring parameter ``name=text``."""
    if name.startswith("contains_"):
        decoded = kinto_utils.native_value(text)
        value = decoded if isinstance(decoded, list) else [decoded]
    elif name.startswith(("in_", "exclude_")):
        # colander drops empty items of the comma list.
        value = [kinto_utils.native_value(item) for item in text.split(",") if item != ""]
    else:
        value = kinto_utils.native_value(text)
    match = _KINTO_FILTER.match(name.strip())
    if match:
        return match.group(1), match.group(2), value
    return "eq", name.strip(), value


def same(read: Any, meant: Any) -> bool:
    """Equal with the same JSON types (True is not 1, 1 is not 1.0).

    A float is compared with Kinto's own parse of its JSON: rapidjson's native numbers are
    not correctly rounded (2.9147558089732126e-149 is read as 2.914755808973213e-149), the
    same for the records Kinto stores, so this is no misreading.
    """
    if isinstance(read, list) and isinstance(meant, list):
        return len(read) == len(meant) and all(
            same(x, y) for x, y in zip(read, meant, strict=True))
    if type(meant) is float:
        meant = kinto_utils.json.loads(json.dumps(meant))
    return type(read) is type(meant) and (read == meant or (read != read and meant != meant))


_PARTS = ["any", "in", "not", "eq", "lt", "gt", "min", "max", "has", "like", "exclude",
          "contains", "contains_any", "tags", "x", "_", "__", ".", "1", "\u00e9", "\u0663",
          "-", " ", "\ud800", "\x00", "$", "\n"]
FIELD = st.one_of(
    st.lists(st.sampled_from(_PARTS), min_size=1, max_size=5).map("".join),
    st.text(max_size=12),
)
LOOKUP = st.sampled_from(["", *OPERATORS, *_ALIASES])
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.sampled_from(["", " ", "1.0", "true", "null", '""', "[1]", "a,b", ",", "\ud800", "x\x00",
                     "Infinity", "-0", "1e999", "%2C", "+", "&", "=", "#", "\u2028"]),
)
VALUE = st.one_of(SCALAR, st.lists(SCALAR, max_size=4),
                  st.lists(st.lists(SCALAR, max_size=2), max_size=2))


def _meant(op: str, value: Any) -> Any:
    """The value Kinto should decode for our lookup ``op`` given ``value``."""
    if op in ("in", "not_in"):
        return list(value)
    if op in ("contains", "contains_any"):
        return list(value) if isinstance(value, list) else [value]
    return value


@settings(SEED, max_examples=2500)
@given(field=FIELD, lookup=LOOKUP, value=VALUE, negate=st.booleans())
@example(field="any_tags", lookup="contains", value=["y"], negate=False)
@example(field="status", lookup="in", value=["", "done"], negate=False)
@example(field="in_", lookup="", value="v", negate=False)
def test_a_filter_is_one_parameter_that_kinto_reads_as_meant(
    field: str, lookup: str, value: Any, negate: bool
) -> None:
    key = f"{field}__{lookup}" if lookup else field
    try:
        name, text = encode_filter(key, value, negate=negate)
    except InvalidQuery:
        return
    # The same quoting as Query._url; one parameter comes back, intact.
    query = urlencode({name: text}, quote_via=quote, safe=",*")
    assert parse_qsl(query, keep_blank_values=True) == [(name, text)]

    # What was meant: the last "__" part is the lookup when it names one, else a field.
    head, _, last = key.rpartition("__")
    path, op = (head, last) if head and last in OPERATORS else (key, "eq")
    path = path.replace("__", ".")
    if negate:
        op = {"eq": "ne", "ne": "eq", "in": "not_in", "not_in": "in"}.get(op, op)
    prefix = OPERATORS[op]
    assert name == f"{prefix}_{path}" if prefix else name in (path, f"eq_{path}")

    keyword, read_field, read_value = kinto_reads(name, text)
    assert (keyword, read_field) == (prefix or "eq", path)
    if op == "has":
        assert same(read_value, value is not negate)
    elif isinstance(value, (str, list)) or value is None or isinstance(value, (bool, int, float)):
        assert same(read_value, _meant(op, value)), (name, text, read_value)


# -- live: string values round-trip through a real Kinto ----------------------------------------

LIVE_FIELD = st.one_of(
    st.just("title"),
    st.from_regex(r"(lt|min|max|not|eq|gt|in|exclude|like|has|contains|contains_any|any)"
                  r"(_[a-z]{1,3}){0,3}_?", fullmatch=True),  # "__" would mean nesting
)


@settings(SEED, max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.generate])  # no shrinking over HTTP: it takes minutes
@given(field=LIVE_FIELD, values=st.lists(st.text(), min_size=2, max_size=2, unique=True))
@example(field="title", values=["", "done"])
@example(field="in_stock", values=["1.0", "1"])
def test_live_a_string_value_finds_its_record_and_not_another(
    kinto_fresh_server: str, field: str, values: list[str]
) -> None:
    value, other = values
    records = f"{kinto_fresh_server}{TODO}/records"
    raw = requests.Session()
    raw.auth = AUTH
    raw.put(f"{kinto_fresh_server}/buckets/w", json={}).raise_for_status()
    raw.put(f"{kinto_fresh_server}{TODO}", json={}).raise_for_status()
    for record_id, held in (("match", value), ("other", other)):
        raw.put(f"{records}/{record_id}", json={"data": {field: held}}).raise_for_status()
    todo = Client(kinto_fresh_server, auth=AUTH).bucket("w").collection("todo")
    for lookup in ("eq", "in"):
        try:
            query = todo.filter(**{f"{field}__{lookup}": value if lookup == "eq" else [value]})
        except InvalidQuery:
            assume(False)
        assert [r.id for r in query] == ["match"], query.url


# -- Next-Page URLs ----------------------------------------------------------------------------

SERVERS = ["http://127.0.0.1:8888/v1", "https://kinto.example.com/v1", "http://[::1]:8888/v1",
           "http://localhost/v1"]
HOSTS = ["127.0.0.1", "localhost", "LOCALHOST", "[::1]", "[::ffff:127.0.0.1]", "kinto.example.com",
         "KINTO.example.com", "kinto.example.com.", "evil.com", "127.1", "0x7f.0.0.1", "2130706433",
         "%31%32%37.0.0.1", "127.0.0.1%2f", "kinto.example.com%40evil.com", "::1", ""]
PORTS = ["", ":8888", ":8889", ":80", ":443", ":08888", ":+8888", ":", ":65536", ":8888\\"]
USERINFO = ["", "a@", "a:b@", "127.0.0.1:8889\\@", "evil.com\\@", "kinto.example.com:443\\@",
            "a\\b@", "@", "%40@", "localhost:1@", "[::1]:8889\\@"]
SCHEMES = ["http", "https", "HTTP", "Https", "ftp", "http:", "", "h\ttp"]
SEPARATORS = ["://", ":\\\\", ":/", ":///", "://\\", "//"]
PATHS = ["/v1/x", "", "/", "\\@evil.com/", "@evil.com/", "/@evil.com", "?a=1", "#f", "%2F%2Fevil",
         "/v1/a@b:9/c", "\\\\evil.com\\x", "//evil.com/x", "/v1/x?next=http://evil.com/"]
TEXTY = st.text(alphabet=":/\\@?#[]%.1ah ", max_size=6)


@st.composite
def next_page_urls(draw: st.DrawFn) -> str:
    parts = [draw(st.sampled_from(SCHEMES)), draw(st.sampled_from(SEPARATORS)),
             draw(st.sampled_from(USERINFO)), draw(st.sampled_from(HOSTS)),
             draw(st.sampled_from(PORTS)), draw(st.sampled_from(PATHS))]
    # Some noise at a random place.
    where = draw(st.integers(0, len(parts)))
    parts.insert(where, draw(TEXTY))
    return "".join(parts)


def _origin_urllib3(url: str) -> tuple[str, str, int | None]:
    parts = urllib3.util.parse_url(url)
    scheme = (parts.scheme or "").lower()
    return scheme, (parts.host or "").lower(), parts.port or {"http": 80, "https": 443}[scheme]


def _origin_urllib(url: str) -> tuple[str, str, int | None]:
    parts = urlparse(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return scheme, host, parts.port or {"http": 80, "https": 443}[scheme]


@settings(SEED, max_examples=1500)
@given(server=st.sampled_from(SERVERS), candidate=st.one_of(next_page_urls(), st.text()))
@example(server=SERVERS[0], candidate="http://127.0.0.1:8889\\@127.0.0.1:8888/v1/x")
@example(server=SERVERS[0], candidate="http://127.0.0.1:8888\\@127.0.0.1:8889/v1/x")
def test_a_next_page_url_is_refused_or_stays_on_the_server(server: str, candidate: str) -> None:
    transport = Transport(server)
    expected = _origin_urllib3(requests.Request("GET", server).prepare().url or "")
    try:
        url = transport.url(candidate)
    except UnsafeURL:
        return
    try:
        prepared = requests.Request("GET", url).prepare().url or ""
    except requests.RequestException:
        return  # requests cannot send it: nothing leaves
    assert _origin_urllib3(prepared) == expected, (candidate, prepared)
    # requests 2.3x keys its connection pool on urllib's parse of the prepared URL.
    assert _origin_urllib(prepared) == expected, (candidate, prepared)


def test_the_origins_compared_are_those_of_the_server() -> None:
    assert json.dumps(_origin_urllib3("http://[::1]:8888/v1")) == '["http", "[::1]", 8888]'
    assert _origin_urllib("http://[::1]:8888/v1") == ("http", "[::1]", 8888)
