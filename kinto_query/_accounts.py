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

import dataclasses
from typing import Any

from requests.auth import HTTPBasicAuth

from ._auth import parse_auth
from ._endpoints import endpoint_path
from ._messages import Request
from ._plugins import ACCOUNTS, requires
from ._transport import Transport
from .exceptions import (
    AlreadyExists,
    Forbidden,
    InvalidResponse,
    NotAuthenticated,
    NotFound,
    Unauthorized,
)

__all__ = ["Account", "Accounts", "Identity", "whoami"]


class _Password(str):
    """A password: itself in the JSON sent, ``'***'`` in every repr."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"


@dataclasses.dataclass(frozen=True)
class Account:
    """An account as Kinto keeps it, without its password (nor the password's hash)."""

    id: str
    last_modified: int | None = None

    @property
    def user_id(self) -> str:
        """The user id the account authenticates as: ``account:<id>``."""
        return f"account:{self.id}"

    @classmethod
    def from_server(cls, data: Any) -> Account:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise InvalidResponse(f"not a Kinto account: {str(data)[:100]}")
        stamp = data.get("last_modified")
        return cls(data["id"], stamp if isinstance(stamp, int) else None)


@dataclasses.dataclass(frozen=True)
class Identity:
    """Who the server takes the client for (``GET /v1/``, its ``user`` field)."""

    user_id: str | None
    """E.g. ``account:ann`` or ``basicauth:<hmac>``; None when nobody is authenticated."""
    principals: tuple[str, ...] = ("system.Everyone",)
    """The user id, ``system.Authenticated``, ``system.Everyone``, the groups..."""
    bucket: str | None = None
    """The id of the user's default bucket, when the ``default_bucket`` plugin is on."""

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def policy(self) -> str | None:
        """The authentication policy that recognised the user: ``account``, ``basicauth``..."""
        return self.user_id.partition(":")[0] if self.user_id else None


def _basic_user(transport: Transport) -> str | None:
    auth = transport.auth
    if isinstance(auth, HTTPBasicAuth) and isinstance(auth.username, str):
        return auth.username
    return None


def whoami(transport: Transport, *, expect_account: bool = False) -> Identity:
    """Who the server authenticates the transport's credentials as (one ``GET /v1/``).

    Raises ``NotAuthenticated`` (an ``Unauthorized``) when credentials were sent yet the
    server authenticated nobody, and with ``expect_account=True`` when the Basic-auth user
    name was not authenticated as its account ``account:<name>`` (a wrong password, or no
    such account, on a server that falls back to another policy).
    """
    if expect_account and _basic_user(transport) is None:
        raise ValueError("expect_account=True needs Basic-auth credentials (an account name "
                         "and its password)")
    response = transport.send(Request("GET", endpoint_path("root")))
    body = response.json()
    if not isinstance(body, dict):
        raise InvalidResponse(f"GET {response.url} did not answer a JSON object")
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        if transport.auth is not None:
            raise NotAuthenticated(response, why=(
                "credentials were sent, yet the server authenticated nobody (wrong password "
                "or unknown user, with no policy accepting them)"))
        return Identity(None)
    principals = user.get("principals")
    bucket = user.get("bucket")
    identity = Identity(
        user["id"],
        tuple(p for p in principals if isinstance(p, str)) if isinstance(principals, list)
        else (user["id"],),
        bucket if isinstance(bucket, str) else None,
    )
    name = _basic_user(transport)
    if expect_account and identity.user_id != f"account:{name}":
        raise NotAuthenticated(response, why=(
            f"the server did not authenticate account {name!r}: it took these credentials "
            f"for another user (policy {identity.policy!r}); the password is wrong or there "
            "is no such account (Kinto does not say which)"))
    return identity


class Accounts:
    """The server's accounts: ``client.accounts.create("ann", "s3cret")``. No request is made
    until a method is called.

    >>> Client("http://localhost:8888/v1").accounts
    <Accounts of 'http://localhost:8888/v1'>
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return f"<Accounts of {self._transport.server_url!r}>"

    def _path(self, account_id: str) -> str:
        return endpoint_path("account", account=account_id)

    def _anonymous(self) -> Transport:
        """The client's transport without credentials (same session: cassettes see it)."""
        return self._transport.anonymous()

    def create(self, account_id: str, password: str, *, exist_ok: bool = False) -> Account:
        """Create an account; ``AlreadyExists`` if the name is taken, unless ``exist_ok=True``
        (then the account is returned unchanged, its password not checked).

        Sent without credentials (sign-up); sent again with the client's credentials only if
        the server refuses anonymous sign-up (then they must be an administrator's).
        """
        if not isinstance(password, str) or not password:
            raise ValueError("an account needs a non-empty password (a string)")
        request = Request("PUT", self._path(account_id),
                          {"data": {"password": _Password(password)}}, {"If-None-Match": "*"})
        with requires(ACCOUNTS):
            try:
                try:
                    response = self._anonymous().send(request)
                except (Unauthorized, Forbidden):
                    if self._transport.auth is None:
                        raise
                    response = self._transport.send(request)
            except AlreadyExists as error:
                if not exist_ok:
                    raise
                return Account.from_server(error.existing)
        return Account.from_server(response.data())

    def get(self, account_id: str) -> Account:
        """Read an account (with its own credentials, or an administrator's)."""
        with requires(ACCOUNTS):
            return Account.from_server(
                self._transport.send(Request("GET", self._path(account_id))).data())

    def change_password(self, account_id: str, new_password: str) -> Account:
        """Set a new password (as the account itself, or an administrator).

        When the client is that account, it switches to the new password: with the old one,
        its next request would not be refused but authenticated as another user (on a server
        that also accepts Basic auth), see ``whoami``.
        """
        if not isinstance(new_password, str) or not new_password:
            raise ValueError("the new password must be a non-empty string")
        request = Request("PATCH", self._path(account_id),
                          {"data": {"password": _Password(new_password)}})
        with requires(ACCOUNTS):
            response = self._transport.send(request)
        if _basic_user(self._transport) == account_id:
            self._transport.auth = parse_auth((account_id, new_password))
        return Account.from_server(response.data())

    def delete(self, account_id: str, *, missing_ok: bool = False) -> None:
        """Delete an account (as itself, or an administrator).

        Kinto answers 403 both for an account that does not exist and for one you may not
        touch: with ``missing_ok=True`` a 403 is accepted when the account cannot be read
        either (missing, or invisible to you: Kinto does not tell those apart).
        """
        path = self._path(account_id)
        with requires(ACCOUNTS):
            try:
                self._transport.send(Request("DELETE", path))
            except Forbidden:
                if not missing_ok or self._readable(path):
                    raise

    def _readable(self, path: str) -> bool:
        try:
            self._transport.send(Request("GET", path))
        except (Forbidden, NotFound, Unauthorized):
            return False
        return True
