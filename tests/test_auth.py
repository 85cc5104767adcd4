"""Tests of _auth.py: the spellings of credentials, turned into requests auth objects."""

from __future__ import annotations

import pytest
import requests
from requests.auth import HTTPDigestAuth

from kinto_query import Client, TokenAuth
from kinto_query._auth import parse_auth


def header_of(auth: object) -> str | None:
    request = requests.Request("GET", "http://x/", auth=parse_auth(auth)).prepare()
    return request.headers.get("Authorization")


@pytest.mark.parametrize(
    ("auth", "header"),
    [
        (("alice", "s3cret"), "Basic YWxpY2U6czNjcmV0"),
        ("alice:s3cret", "Basic YWxpY2U6czNjcmV0"),
        ("alice:pass word:with colon", "Basic YWxpY2U6cGFzcyB3b3JkOndpdGggY29sb24="),
        ("Bearer abc.def", "Bearer abc.def"),
        ("Portier xyz", "Portier xyz"),
        (TokenAuth("Bearer", "t"), "Bearer t"),
        (None, None),
    ],
)
def test_auth_spellings(auth: object, header: str | None) -> None:
    assert header_of(auth) == header


def test_requests_auth_objects_are_used_as_is() -> None:
    digest = HTTPDigestAuth("u", "p")
    assert parse_auth(digest) is digest


@pytest.mark.parametrize(
    ("auth", "error", "message"),
    [
        (("alice",), TypeError, "two strings"),
        (("alice", 3), TypeError, "two strings"),
        ("alice", ValueError, "'user:password' or '<Type> <credentials>'"),
        (":nouser", ValueError, "'user:password'"),
        (42, TypeError, "not int"),
        (lambda r: r, TypeError, "AuthBase"),
    ],
)
def test_bad_auth_says_what_is_accepted(auth: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        Client(auth=auth)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("auth", "shown"),
    [
        (("alice", "s3cret"), "BasicAuth('alice', '***')"),
        ("alice:s3cret", "BasicAuth('alice', '***')"),
        ("Bearer s3cret", "TokenAuth('Bearer', '***')"),
    ],
)
def test_auth_repr_hides_the_secret(auth: object, shown: str) -> None:
    assert repr(parse_auth(auth)) == shown
