"""Tests of _server/_async/accounts.py: accounts and ``await client.whoami()``, on real Kinto
servers;
the accounts, identities and errors are the sync ones."""

from __future__ import annotations

import pickle

import pytest
import requests

from kinto_query import (
    Account,
    AlreadyExists,
    Forbidden,
    Identity,
    NotAuthenticated,
    NotEnabled,
    Unauthorized,
)
from kinto_query.aio import AsyncAccounts, AsyncClient
from kinto_query.testing import KintoServer

from ..conftest import AUTH
from .sent import LoggedClient

pytestmark = pytest.mark.anyio


def test_accounts_is_a_handle_that_sends_nothing() -> None:
    accounts = AsyncClient("http://localhost:8888/v1").accounts
    assert isinstance(accounts, AsyncAccounts)
    assert repr(accounts) == "<AsyncAccounts of 'http://localhost:8888/v1'>"


async def test_expect_account_needs_basic_auth_before_any_request() -> None:
    async with AsyncClient("http://127.0.0.1:9/v1", auth="Bearer x") as client:
        with pytest.raises(ValueError, match="expect_account=True needs Basic-auth"):
            await client.whoami(expect_account=True)


async def test_whoami_of_a_basic_auth_user(kinto_fresh_server: str) -> None:
    async with LoggedClient(kinto_fresh_server, auth=AUTH) as client:
        me = await client.whoami()
        assert client.sent == [("GET", "/")]
    assert me.policy == "basicauth" and me.user_id and me.user_id.startswith("basicauth:")
    assert me.principals[0] == me.user_id and "system.Everyone" in me.principals
    async with AsyncClient(kinto_fresh_server) as nobody:
        assert await nobody.whoami() == Identity(None)


async def test_account_lifecycle(kinto_fresh_server: str) -> None:
    async with LoggedClient(kinto_fresh_server) as anonymous:
        ann = await anonymous.accounts.create("ann", "first-Pw-1")
        assert ann == Account("ann", ann.last_modified) and ann.user_id == "account:ann"
        assert anonymous.sent == [("PUT", "/accounts/ann")]
        assert "Authorization" not in anonymous.requests[0].headers
        with pytest.raises(AlreadyExists, match="account 'ann' already exists") as caught:
            await anonymous.accounts.create("ann", "other-Pw-4")
        assert repr(caught.value.request.body) == "{'data': {'password': '***'}}"
        assert "other-Pw-4" not in repr(pickle.loads(pickle.dumps(caught.value)).request)
        assert await anonymous.accounts.create("ann", "x", exist_ok=True) == ann
    async with AsyncClient(kinto_fresh_server, auth=("ann", "first-Pw-1")) as client:
        assert (await client.whoami(expect_account=True)).user_id == "account:ann"
        assert (await client.accounts.get("ann")).id == "ann"
        await client.accounts.change_password("ann", "second-Pw-2")
        assert repr(client.auth) == "BasicAuth('ann', '***')"
        # The client switched to the new password: it is still the account.
        assert (await client.whoami(expect_account=True)).user_id == "account:ann"
        old = requests.get(kinto_fresh_server + "/", auth=("ann", "first-Pw-1"), timeout=10)
        assert old.json()["user"]["id"].startswith("basicauth:")  # the old one: another user
        await client.accounts.delete("ann")
        await client.accounts.delete("ann", missing_ok=True)
    gone = requests.get(kinto_fresh_server + "/accounts/ann", auth=("ann", "second-Pw-2"),
                        timeout=10)
    assert gone.status_code == 403


async def test_a_wrong_password_becomes_another_user(kinto_fresh_server: str) -> None:
    async with AsyncClient(kinto_fresh_server) as anonymous:
        await anonymous.accounts.create("ann", "right-pw")
    async with AsyncClient(kinto_fresh_server, auth=("ann", "wrong-pw")) as wrong:
        assert (await wrong.whoami()).policy == "basicauth"  # not refused: someone else
        with pytest.raises(NotAuthenticated) as caught:
            await wrong.whoami(expect_account=True)
    assert isinstance(caught.value, Unauthorized)
    assert "wrong-pw" not in str(caught.value) and "account 'ann'" in str(caught.value)


async def test_others_may_not_touch_an_account(kinto_fresh_server: str) -> None:
    async with AsyncClient(kinto_fresh_server) as anonymous:
        await anonymous.accounts.create("ann", "ann-pw")
    async with AsyncClient(kinto_fresh_server, auth=("bob", "hunter22")) as bob:
        with pytest.raises(Forbidden):
            await bob.accounts.change_password("ann", "hijacked")
        with pytest.raises(Forbidden):
            await bob.accounts.delete("ann")
        await bob.accounts.delete("ann", missing_ok=True)  # Kinto cannot tell: still there
    ann = requests.get(kinto_fresh_server + "/accounts/ann", auth=("ann", "ann-pw"), timeout=10)
    assert ann.status_code == 200 and ann.json()["data"]["id"] == "ann"


@pytest.mark.live
async def test_credentials_that_authenticate_nobody_and_accounts_off() -> None:
    with KintoServer(settings={"multiauth_policies": "account"}) as server:
        async with AsyncClient(server.url, auth=AUTH) as client:
            with pytest.raises(NotAuthenticated, match="authenticated nobody") as caught:
                await client.whoami()
            assert caught.value.status == 200 and "s3cret" not in str(caught.value)
    with KintoServer(settings={"includes": "kinto.plugins.default_bucket",
                               "multiauth_policies": "basicauth"}) as bare:
        async with AsyncClient(bare.url, auth=AUTH) as client:
            with pytest.raises(NotEnabled) as off:
                await client.accounts.create("ann", "pw")
            assert str(off.value) == (
                "PUT /v1/accounts/ann -> 404 Not Found: this server has no accounts plugin "
                "(turned on by kinto.plugins.accounts in kinto.includes) (errno 111)")
