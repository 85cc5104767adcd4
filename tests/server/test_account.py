"""Tests of _server/account.py: accounts and identities as plain values."""

from __future__ import annotations

import pytest

from kinto_query import Request, Response
from kinto_query._auth import TokenAuth, parse_auth
from kinto_query._server.account import (
    Account,
    Identity,
    Password,
    basic_user,
    check_expect_account,
    identity_of,
)
from kinto_query.exceptions import InvalidResponse, NotAuthenticated


def _root(body: bytes) -> Response:
    return Response(Request("GET", "/"), "http://kinto.test/v1/", 200, "OK", {}, body)


def test_a_password_is_itself_in_json_and_stars_in_a_repr() -> None:
    assert (Password("s3cret") == "s3cret", repr(Password("s3cret"))) == (True, "'***'")


def test_an_account_from_the_server_and_its_user_id() -> None:
    account = Account.from_server({"id": "ann", "last_modified": 7, "password": "hash"})
    assert (account, account.user_id) == (Account("ann", 7), "account:ann")
    with pytest.raises(InvalidResponse, match="not a Kinto account"):
        Account.from_server({"last_modified": 7})


def test_basic_user_only_for_basic_auth() -> None:
    assert basic_user(parse_auth(("ann", "pw"))) == "ann"
    assert basic_user(TokenAuth("Bearer", "x")) is None
    with pytest.raises(ValueError, match="needs Basic-auth credentials"):
        check_expect_account(TokenAuth("Bearer", "x"), True)
    check_expect_account(None, False)  # nothing expected: nothing checked


def test_identity_of_the_root_answer() -> None:
    body = b'{"user": {"id": "account:ann", "principals": ["account:ann", 3], "bucket": "b1"}}'
    identity = identity_of(_root(body), parse_auth(("ann", "pw")))
    assert identity.user_id == "account:ann" and identity.policy == "account"
    assert identity.principals == ("account:ann",) and identity.bucket == "b1"
    assert identity_of(_root(b"{}"), None) == Identity(None)
    with pytest.raises(NotAuthenticated, match="authenticated nobody"):
        identity_of(_root(b"{}"), parse_auth(("ann", "wrong")))
