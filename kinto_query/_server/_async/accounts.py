"""Accounts (``kinto.plugins.accounts``) and who the server takes you for (``whoami``).

An account is a user name and a password kept by Kinto; its user id is ``account:<name>``.
Kinto lets anyone in ``account_create_principals`` sign up without credentials; an
authenticated user who is not an administrator (``account_write_principals``) may only create
an account named after their own user id, which a ``basicauth:`` user can never match. So
``create`` signs up without credentials first, and sends the client's credentials (an
administrator's) only when the server refuses anonymous sign-up.

The trap ``whoami(expect_account=True)`` exists for: with ``multiauth.policies = account
basicauth``, a wrong password for an existing account is not refused. The accounts policy
declines it and the basicauth policy, which accepts any ``user:password``, authenticates it
as another user (``basicauth:<hmac>``). No request tells "no such account" from "wrong
password" (Kinto answers alike, by design), so only the caller can say that an account was
meant.

Passwords are sent as a ``str`` whose ``repr`` is ``'***'``: a ``Request`` holding one (in an
error's ``.request``, in a log line) never shows it, and errors pickle without bodies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._auth import parse_auth
from ..._endpoints import endpoint_path
from ..._messages import Request
from ..._wire.plugins import ACCOUNTS, requires
from ...exceptions import AlreadyExists, Forbidden, NotFound, Unauthorized
from ..account import Account, Identity, Password, basic_user, check_expect_account, identity_of

if TYPE_CHECKING:
    from ..._wire._async.transport import AsyncTransport

__all__ = ["AsyncAccounts", "whoami"]


async def whoami(transport: AsyncTransport, *, expect_account: bool = False) -> Identity:
    """Who the server authenticates the transport's credentials as (one ``GET /v1/``).

    Raises ``NotAuthenticated`` (an ``Unauthorized``) when credentials were sent yet the
    server authenticated nobody, and with ``expect_account=True`` when the Basic-auth user
    name was not authenticated as its account ``account:<name>`` (a wrong password, or no
    such account, on a server that falls back to another policy).
    """
    check_expect_account(transport.auth, expect_account)
    response = await transport.send(Request("GET", endpoint_path("root")))
    return identity_of(response, transport.auth, expect_account=expect_account)


class AsyncAccounts:
    """The server's accounts: ``client.accounts.create("ann", "s3cret")``. No request is made
    until a method is called.

    >>> Client("http://localhost:8888/v1").accounts
    <Accounts of 'http://localhost:8888/v1'>
    """

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._transport.server_url!r}>"

    def _path(self, account_id: str) -> str:
        return endpoint_path("account", account=account_id)

    def _anonymous(self) -> AsyncTransport:
        """The client's transport without credentials (same session: cassettes see it)."""
        return self._transport.anonymous()

    async def create(self, account_id: str, password: str, *, exist_ok: bool = False) -> Account:
        """Create an account; ``AlreadyExists`` if the name is taken, unless ``exist_ok=True``
        (then the account is returned unchanged, its password not checked).

        Sent without credentials (sign-up); sent again with the client's credentials only if
        the server refuses anonymous sign-up (then they must be an administrator's).
        """
        if not isinstance(password, str) or not password:
            raise ValueError("an account needs a non-empty password (a string)")
        request = Request("PUT", self._path(account_id),
                          {"data": {"password": Password(password)}}, {"If-None-Match": "*"})
        with requires(ACCOUNTS):
            try:
                try:
                    response = await self._anonymous().send(request)
                except (Unauthorized, Forbidden):
                    if self._transport.auth is None:
                        raise
                    response = await self._transport.send(request)
            except AlreadyExists as error:
                if not exist_ok:
                    raise
                return Account.from_server(error.existing)
        return Account.from_server(response.data())

    async def get(self, account_id: str) -> Account:
        """Read an account (with its own credentials, or an administrator's)."""
        with requires(ACCOUNTS):
            return Account.from_server(
                (await self._transport.send(Request("GET", self._path(account_id)))).data())

    async def change_password(self, account_id: str, new_password: str) -> Account:
        """Set a new password (as the account itself, or an administrator).

        When the client is that account, it switches to the new password: with the old one,
        its next request would not be refused but authenticated as another user (on a server
        that also accepts Basic auth), see ``whoami``.
        """
        if not isinstance(new_password, str) or not new_password:
            raise ValueError("the new password must be a non-empty string")
        request = Request("PATCH", self._path(account_id),
                          {"data": {"password": Password(new_password)}})
        with requires(ACCOUNTS):
            response = await self._transport.send(request)
        if basic_user(self._transport.auth) == account_id:
            self._transport.auth = parse_auth((account_id, new_password))
        return Account.from_server(response.data())

    async def delete(self, account_id: str, *, missing_ok: bool = False) -> None:
        """Delete an account (as itself, or an administrator).

        Kinto answers 403 both for an account that does not exist and for one you may not
        touch: with ``missing_ok=True`` a 403 is accepted when the account cannot be read
        either (missing, or invisible to you: Kinto does not tell those apart).
        """
        path = self._path(account_id)
        with requires(ACCOUNTS):
            try:
                await self._transport.send(Request("DELETE", path))
            except Forbidden:
                if not missing_ok or await self._readable(path):
                    raise

    async def _readable(self, path: str) -> bool:
        try:
            await self._transport.send(Request("GET", path))
        except (Forbidden, NotFound, Unauthorized):
            return False
        return True
