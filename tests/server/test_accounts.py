"""Tests of _server/_blocking/accounts.py: accounts (create, change password, delete) and whoami."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from kinto_query import (
    Account,
    Accounts,
    AlreadyExists,
    Client,
    Forbidden,
    Identity,
    InvalidId,
    NotAuthenticated,
    Unauthorized,
)
from kinto_query.testing import KintoServer, PostgreSQL, Recorder

from ..conftest import NoNetwork, RequestLog

CASSETTES = Path(__file__).parents[2] / "cassettes"
# The passwords of the cassette tests: none may be written in a cassette.
PASSWORDS = ("first-Pw-1", "second-Pw-2", "taken-Pw-3", "other-Pw-4")

# -- pure -----------------------------------------------------------------------------------------


def test_accounts_is_a_handle_that_sends_nothing(offline_client: Client) -> None:
    accounts = offline_client.accounts
    assert isinstance(accounts, Accounts)
    assert repr(accounts) == "<Accounts of 'http://localhost:8888/v1'>"


def test_account_ids_follow_kintos_account_rule(offline_client: Client) -> None:
    with pytest.raises(InvalidId, match="account ids must match"):
        offline_client.accounts.create("_ann", "pw")
    with pytest.raises(InvalidId, match="account ids must match"):
        offline_client.accounts.delete("a/b")
    with pytest.raises(ValueError, match="non-empty password"):
        offline_client.accounts.create("ann", "")
    with pytest.raises(ValueError, match="non-empty string"):
        offline_client.accounts.change_password("ann", "")


def test_an_account_holds_no_password() -> None:
    account = Account.from_server({"id": "ann", "password": "$2b$12$hash", "last_modified": 3})
    assert account == Account("ann", 3)
    assert account.user_id == "account:ann"
    assert "hash" not in repr(account)


def test_expect_account_needs_basic_auth() -> None:
    client = Client("http://localhost:8888/v1", auth="Bearer abc", session=NoNetwork())
    with pytest.raises(ValueError, match="needs Basic-auth credentials"):
        client.whoami(expect_account=True)


def test_identity_reads_the_policy() -> None:
    assert Identity("account:ann").policy == "account"
    assert Identity("basicauth:0ad0").authenticated
    assert Identity(None).policy is None and not Identity(None).authenticated


def test_cassettes_hold_no_account_password() -> None:
    cassettes = sorted(CASSETTES.glob("tests/server/test_accounts/*.json"))
    assert len(cassettes) >= 3
    for cassette in cassettes:
        text = cassette.read_text()
        assert not any(password in text for password in PASSWORDS), cassette.name
        assert "$2b$" not in text, cassette.name  # nor the hashes Kinto sends back


# -- cassettes ------------------------------------------------------------------------------------


def test_account_lifecycle(kinto_recorder: Recorder, kinto_client: Client,
                           request_log: RequestLog) -> None:
    account = kinto_client.accounts.create("ann", "first-Pw-1")
    assert account.id == "ann" and account.user_id == "account:ann"
    # Signed up without credentials (alice's would make Kinto refuse: see
    # _server/_blocking/accounts.py).
    assert request_log.sent == [("PUT", "/accounts/ann")]
    assert "Authorization" not in request_log.requests[0].headers

    ann = kinto_recorder.client(auth=("ann", "first-Pw-1"))
    me = ann.whoami(expect_account=True)
    assert me.user_id == "account:ann" and me.policy == "account"
    assert {"account:ann", "system.Authenticated"} <= set(me.principals)
    assert ann.accounts.get("ann").id == "ann"

    changed = ann.accounts.change_password("ann", "second-Pw-2")
    assert changed.id == "ann" and changed.last_modified != account.last_modified
    assert repr(ann.auth) == "BasicAuth('ann', '***')"
    assert ann.whoami(expect_account=True).user_id == "account:ann"  # the client switched
    stale = kinto_recorder.client(auth=("ann", "first-Pw-1"))
    with pytest.raises(NotAuthenticated, match="did not authenticate account 'ann'") as caught:
        stale.whoami(expect_account=True)
    assert "first-Pw-1" not in str(caught.value)

    ann.accounts.delete("ann")
    with pytest.raises(NotAuthenticated):
        ann.whoami(expect_account=True)  # the account is gone: basicauth took the credentials
    ann.accounts.delete("ann", missing_ok=True)


def test_whoami_of_a_basic_auth_user(kinto_client: Client, request_log: RequestLog) -> None:
    me = kinto_client.whoami()
    assert me.policy == "basicauth" and me.user_id and me.user_id.startswith("basicauth:")
    assert me.principals[0] == me.user_id and "system.Everyone" in me.principals
    assert isinstance(me.bucket, str)  # the default bucket's id
    assert request_log.sent == [("GET", "/")]


def test_creating_a_taken_name(kinto_client: Client) -> None:
    first = kinto_client.accounts.create("bob", "taken-Pw-3")
    with pytest.raises(AlreadyExists, match="account 'bob' already exists") as caught:
        kinto_client.accounts.create("bob", "other-Pw-4")
    error = caught.value
    assert "other-Pw-4" not in str(error) and "other-Pw-4" not in repr(error.request)
    assert repr(error.request.body) == "{'data': {'password': '***'}}"
    assert "other-Pw-4" not in repr(pickle.loads(pickle.dumps(error)).request)
    assert kinto_client.accounts.create("bob", "other-Pw-4", exist_ok=True) == first


# -- live -----------------------------------------------------------------------------------------


def test_a_wrong_password_becomes_another_user(kinto_fresh_server: str) -> None:
    Client(kinto_fresh_server).accounts.create("ann", "right-pw")
    wrong = Client(kinto_fresh_server, auth=("ann", "wrong-pw"))
    # The trap: not refused, but authenticated as someone else.
    assert wrong.whoami().policy == "basicauth"
    with pytest.raises(NotAuthenticated) as caught:
        wrong.whoami(expect_account=True)
    assert isinstance(caught.value, Unauthorized)
    assert "wrong-pw" not in str(caught.value) and "ann" in str(caught.value)
    assert Client(kinto_fresh_server, auth=("ann", "right-pw")).whoami(
        expect_account=True).user_id == "account:ann"


def test_others_may_not_touch_an_account(kinto_fresh_server: str, bob: Client) -> None:
    Client(kinto_fresh_server).accounts.create("ann", "ann-pw")
    with pytest.raises(Forbidden):
        bob.accounts.change_password("ann", "hijacked")
    assert repr(bob.auth) == "BasicAuth('bob', '***')"
    with pytest.raises(Forbidden):
        bob.accounts.delete("ann")
    # Kinto answers alike for an account that is not yours and one that does not exist, so
    # missing_ok cannot tell them apart (documented): the account is still there.
    bob.accounts.delete("ann", missing_ok=True)
    ann = requests.get(kinto_fresh_server + "/accounts/ann", auth=("ann", "ann-pw"), timeout=10)
    assert ann.status_code == 200 and ann.json()["data"]["id"] == "ann"


def test_an_email_address_as_account_id(kinto_fresh_server: str) -> None:
    created = Client(kinto_fresh_server).accounts.create("ann+kinto@example.com", "pw")
    assert created.user_id == "account:ann+kinto@example.com"
    me = Client(kinto_fresh_server, auth=("ann+kinto@example.com", "pw"))
    assert me.whoami(expect_account=True).user_id == created.user_id
    me.accounts.delete("ann+kinto@example.com")
    gone = requests.get(kinto_fresh_server + "/accounts/ann+kinto@example.com",
                        auth=("ann+kinto@example.com", "pw"), timeout=10)
    assert gone.status_code == 403


@pytest.fixture(scope="module")
def accounts_only() -> Iterator[str]:
    """A Kinto whose only policy is accounts (no basicauth fallback), like kinto-http.py's."""
    with KintoServer(settings={"multiauth_policies": "account"}) as server:
        yield server.url


@pytest.mark.live
def test_credentials_that_authenticate_nobody(accounts_only: str) -> None:
    requests.post(accounts_only + "/__flush__", timeout=10).raise_for_status()
    with pytest.raises(NotAuthenticated, match="authenticated nobody") as caught:
        Client(accounts_only, auth=("alice", "s3cret")).whoami()
    assert caught.value.status == 200 and "s3cret" not in str(caught.value)
    assert Client(accounts_only).whoami() == Identity(None)
    Client(accounts_only).accounts.create("alice", "s3cret")
    assert Client(accounts_only, auth=("alice", "s3cret")).whoami().user_id == "account:alice"
    with pytest.raises(NotAuthenticated, match="authenticated nobody"):
        Client(accounts_only, auth=("alice", "wrong")).whoami()


def test_an_administrator_creates_accounts_when_sign_up_is_closed(
    kinto_fresh_pg_server: str, kinto_postgresql: PostgreSQL
) -> None:
    # The administrator signs up while sign-up is open; then a second Kinto on the same
    # database closes sign-up to everyone but that administrator.
    Client(kinto_fresh_pg_server).accounts.create("admin", "admin-pw")
    closed = {"account_create_principals": "account:admin",
              "account_write_principals": "account:admin"}
    with KintoServer(backend="postgresql", database_url=kinto_postgresql.url, migrate=False,
                     settings=closed) as server:
        with pytest.raises(Unauthorized):
            Client(server.url).accounts.create("bob", "bob-pw")
        admin = Client(server.url, auth=("admin", "admin-pw"))
        log = RequestLog(admin)
        assert admin.accounts.create("bob", "bob-pw").user_id == "account:bob"
        assert log.sent == [("PUT", "/accounts/bob"), ("PUT", "/accounts/bob")]
        assert "Authorization" not in log.requests[0].headers
        assert "Authorization" in log.requests[1].headers
        bob = Client(server.url, auth=("bob", "bob-pw"))
        assert bob.whoami(expect_account=True).user_id == "account:bob"
        admin.accounts.change_password("bob", "bob-pw-2")
        assert repr(admin.auth) == "BasicAuth('admin', '***')"  # not the admin's own password
        assert Client(server.url, auth=("bob", "bob-pw-2")).whoami(
            expect_account=True).user_id == "account:bob"
        admin.accounts.delete("bob")
        with pytest.raises(NotAuthenticated):
            Client(server.url, auth=("bob", "bob-pw-2")).whoami(expect_account=True)
