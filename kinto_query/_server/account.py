"""Accounts and identities as the server describes them, and what ``whoami`` concludes from
its answer: the pure part of ``client.accounts`` and ``client.whoami()``, shared by both sides
(the requests are ``kinto_query._server._async.accounts``, generated into
``kinto_query._server._blocking.accounts``)."""

from __future__ import annotations

import dataclasses
from typing import Any

from requests.auth import AuthBase, HTTPBasicAuth

from .._messages import Response
from ..exceptions import InvalidResponse, NotAuthenticated

__all__ = ["Account", "Identity", "Password", "basic_user", "check_expect_account", "identity_of"]


class Password(str):
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


def basic_user(auth: AuthBase | None) -> str | None:
    """The user name of Basic-auth credentials, None for any other kind (or none)."""
    if isinstance(auth, HTTPBasicAuth) and isinstance(auth.username, str):
        return auth.username
    return None


def check_expect_account(auth: AuthBase | None, expect_account: bool) -> None:
    """Refuse ``expect_account=True`` without Basic-auth credentials (before any request)."""
    if expect_account and basic_user(auth) is None:
        raise ValueError("expect_account=True needs Basic-auth credentials (an account name "
                         "and its password)")


def identity_of(response: Response, auth: AuthBase | None, *,
                expect_account: bool = False) -> Identity:
    """Who ``GET /v1/``'s answer says the credentials ``auth`` authenticated (see ``whoami``)."""
    body = response.json()
    if not isinstance(body, dict):
        raise InvalidResponse(f"GET {response.url} did not answer a JSON object")
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        if auth is not None:
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
    name = basic_user(auth)
    if expect_account and identity.user_id != f"account:{name}":
        raise NotAuthenticated(response, why=(
            f"the server did not authenticate account {name!r}: it took these credentials "
            f"for another user (policy {identity.policy!r}); the password is wrong or there "
            "is no such account (Kinto does not say which)"))
    return identity
