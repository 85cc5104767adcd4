"""What never reaches a cassette: the one place that says it, and the code that does it.

Every cassette written by :class:`~kinto_query.testing.recorder.Recorder` is scrubbed before
it touches the disk:

- **Headers** that carry credentials lose their values (``<SCRUBBED>``): ``Authorization``,
  ``Proxy-Authorization``, ``Cookie``, ``Set-Cookie``, ``X-Api-Key`` and the others of
  ``SECRET_HEADERS``, and any header whose name holds ``token``, ``secret``,
  ``password``, ``api-key``, ``apikey`` or ``session``.
- **JSON fields** named by ``SECRET_FIELDS`` (by default ``**.password``: a password
  sent to Kinto's accounts plugin, and the bcrypt hash it answers with), in request and
  response bodies, batch requests included.
- **Multipart form fields** (an ``attach()`` upload): a field whose name holds one of those
  words loses its value; a JSON field (``data``, ``permissions``) is scrubbed as a JSON body
  under its name (so ``**.password`` reaches ``data.password``).
- **URL query parameters** whose name holds one of those words (``?token=``,
  ``?api_key=``, ``?access_token=``...) lose their values; Kinto's page token ``_token``
  is kept (it is no credential, and replay needs it).
- **User ids** that Kinto derives from Basic auth credentials (``basicauth:<hmac>``) become
  ``basicauth:user1``, ``basicauth:user2``... in order of appearance, the same label for the
  same id everywhere in a cassette (so that a test sending back a user id it read still
  matches on replay).

Add your own with a :class:`Scrub` returned by the ``kinto_scrub`` fixture::

    # conftest.py
    import pytest
    from kinto_query.testing import Scrub

    @pytest.fixture
    def kinto_scrub():
        return Scrub(headers=["X-Tenant-Key"], fields=["data.ssn", "**.card.number"],
                     patterns=[r"sk_live_[A-Za-z0-9]+"])

Scrubbed values read ``<SCRUBBED>`` on replay: a test may not assert on them. A request is
matched on replay after the same scrubbing, so a test that sends a secret still finds its
answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SCRUBBED", "SECRET_FIELDS", "SECRET_HEADERS", "Scrub"]

SCRUBBED = "<SCRUBBED>"
SECRET_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key",
    "x-auth-token", "x-access-token", "x-csrf-token", "x-xsrf-token", "x-amz-security-token",
})
# Any header whose name holds one of these carries a credential.
_SECRET_HEADER_WORDS = ("token", "secret", "password", "api-key", "apikey", "session")
SECRET_FIELDS = ("**.password",)
_USER_ID = re.compile(r"basicauth:[0-9a-f]{64}")
_USER_LABEL = re.compile(r"basicauth:user(\d+)")
_JSON_START = ("{", "[")
_URL_SECRET_WORDS = (*_SECRET_HEADER_WORDS, "passwd", "api_key", "access_key", "signature")
_QUERY_PARAM = re.compile(r"([?&])([^=&#]*)=([^&#]*)")
_MULTIPART = re.compile(r"--([0-9A-Za-z'()+_,./:=?-]{1,70})\r\n")
_PART_NAME = re.compile(r'Content-Disposition: form-data; name="([^"]*)"', re.IGNORECASE)


def _path(spec: str) -> tuple[str, ...]:
    parts = tuple(spec.split("."))
    if not spec or any(not part for part in parts):
        raise ValueError(f"a JSON path is dotted names, * or **, e.g. data.password: {spec!r}")
    return parts


def _matches(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """Whether a JSON path (keys; list indexes as digits) matches a pattern of names, ``*``
    (one level) and ``**`` (any number of levels)."""
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_matches(rest, path[i:]) for i in range(len(path) + 1))
    return bool(path) and head in ("*", path[0]) and _matches(rest, path[1:])


@dataclass(frozen=True)
class Scrub:
    """What to scrub from cassettes besides the defaults (which always apply).

    ``headers``: header names (any case). ``fields``: JSON paths into request and response
    bodies, dotted, with ``*`` for one level and ``**`` for any number (``data.ssn``,
    ``**.token``). ``patterns``: regular expressions, whose matches are replaced wherever they
    occur (URLs, header values, every string of a body).

    >>> Scrub(fields=["data.ssn"]).json({"data": {"ssn": "123", "password": "x", "n": 1}})
    {'data': {'ssn': '<SCRUBBED>', 'password': '<SCRUBBED>', 'n': 1}}
    """

    headers: Iterable[str] = ()
    fields: Iterable[str] = ()
    patterns: Iterable[str] = ()
    _headers: frozenset[str] = field(init=False, repr=False, compare=False)
    _fields: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)
    _patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("headers", "fields", "patterns"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"Scrub({name}=...) takes a list of strings, not one string")
            object.__setattr__(self, name, tuple(value))
        object.__setattr__(self, "_headers",
                           SECRET_HEADERS | {h.lower() for h in self.headers})
        object.__setattr__(self, "_fields",
                           tuple(_path(f) for f in (*SECRET_FIELDS, *self.fields)))
        object.__setattr__(self, "_patterns", tuple(re.compile(p) for p in self.patterns))

    def secret_header(self, name: str) -> bool:
        """Whether a header's value is a credential.

        >>> Scrub().secret_header("X-Auth-Token"), Scrub().secret_header("ETag")
        (True, False)
        """
        lower = name.lower()
        return lower in self._headers or any(word in lower for word in _SECRET_HEADER_WORDS)

    def text(self, value: str) -> str:
        """A string with every match of the patterns replaced."""
        for pattern in self._patterns:
            value = pattern.sub(SCRUBBED, value)
        return value

    def url(self, value: str) -> str:
        """A URL with the patterns applied and the values of secret query parameters replaced.

        >>> Scrub().url("http://h/v1/x?token=abc&_token=page2&n=1")
        'http://h/v1/x?token=<SCRUBBED>&_token=page2&n=1'
        """
        def hide(match: re.Match[str]) -> str:
            name = match.group(2).lower()
            if name == "_token" or not any(word in name for word in _URL_SECRET_WORDS):
                return match.group()
            return f"{match.group(1)}{match.group(2)}={SCRUBBED}"

        return _QUERY_PARAM.sub(hide, self.text(value))

    def multipart(self, text: str) -> str | None:
        """A multipart/form-data body with its secret and JSON fields scrubbed, or None when
        ``text`` is not one."""
        start = _MULTIPART.match(text)
        if start is None:
            return None
        delimiter = f"--{start.group(1)}"
        parts = text.split(delimiter)
        for number, part in enumerate(parts):
            head, gap, content = part.partition("\r\n\r\n")
            name = _PART_NAME.search(head)
            if not gap or name is None or "filename=" in head:
                continue  # the file itself: its bytes are the test's own
            value, end = (content[:-2], "\r\n") if content.endswith("\r\n") else (content, "")
            if any(word in name.group(1).lower() for word in _SECRET_HEADER_WORDS):
                value = SCRUBBED
            else:
                scrubbed = self.body(value)
                value = scrubbed if isinstance(scrubbed, str) else json.dumps(
                    self.json(json.loads(value), (name.group(1),)), ensure_ascii=False)
            parts[number] = head + gap + value + end
        return delimiter.join(parts)

    def json(self, value: Any, path: tuple[str, ...] = ()) -> Any:
        """A JSON value with the secret fields replaced and the patterns applied to strings."""
        if path and any(_matches(pattern, path) for pattern in self._fields):
            return SCRUBBED
        if isinstance(value, dict):
            return {key: self.json(item, (*path, str(key))) for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item, (*path, str(i))) for i, item in enumerate(value)]
        if isinstance(value, str):
            return self.text(value)
        return value

    def body(self, text: str) -> Any:
        """A body: its JSON scrubbed when it is JSON (an object or an array), else its text
        with the patterns applied."""
        if text.lstrip().startswith(_JSON_START):
            try:
                return self.json(json.loads(text))
            except ValueError:
                pass
        form = self.multipart(text)
        return self.text(text if form is None else form)

    def interaction(self, data: dict[str, Any]) -> dict[str, Any]:
        """A betamax interaction, scrubbed; JSON bodies are stored as JSON (``"json"``)."""
        scrubbed = dict(data)
        for side, url_key in (("request", "uri"), ("response", "url")):
            part = dict(data[side])
            if url_key in part:
                part[url_key] = self.url(part[url_key])
            part["headers"] = {
                name: [SCRUBBED] if self.secret_header(name) else
                [self.text(v) for v in (values if isinstance(values, list) else [values])]
                for name, values in part.get("headers", {}).items()
            }
            body = part.get("body")
            if isinstance(body, dict) and "string" in body and "base64_string" not in body:
                content = self.body(body["string"])
                body = {k: v for k, v in body.items() if k != "string"}
                body["json" if not isinstance(content, str) else "string"] = content
                part["body"] = body
            scrubbed[side] = part
        return scrubbed


def label_user_ids(value: Any, labels: dict[str, str]) -> Any:
    """``value`` with every ``basicauth:<hmac>`` replaced by its label in ``labels``, new ids
    getting the next free label (``basicauth:user1``, ``user2``...) in order of appearance."""
    if isinstance(value, dict):
        return {label_user_ids(k, labels): label_user_ids(v, labels) for k, v in value.items()}
    if isinstance(value, list):
        return [label_user_ids(item, labels) for item in value]
    if not isinstance(value, str) or "basicauth:" not in value:
        return value

    def label(match: re.Match[str]) -> str:
        if match.group() not in labels:
            taken = [int(m.group(1)) for m in map(_USER_LABEL.fullmatch, labels.values()) if m]
            labels[match.group()] = f"basicauth:user{max(taken, default=0) + 1}"
        return labels[match.group()]

    return _USER_ID.sub(label, value)


def labels_in_use(value: Any) -> dict[str, str]:
    """The labels a cassette already holds (recording more into it goes on after them)."""
    found = set(_USER_LABEL.findall(json.dumps(value)))
    return {f"<held {n}>": f"basicauth:user{n}" for n in found}
