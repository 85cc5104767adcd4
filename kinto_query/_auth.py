"""The spellings of credentials users pass, turned into ``requests`` auth objects."""

from __future__ import annotations

from typing import Union

import requests
from requests.auth import AuthBase, HTTPBasicAuth

__all__ = ["AuthLike", "TokenAuth", "parse_auth"]

AuthLike = Union[tuple[str, str], str, AuthBase, None]  # noqa: UP007 - runtime alias on 3.10


class TokenAuth(AuthBase):
    """``Authorization: <Type> <credentials>``, e.g. ``TokenAuth("Bearer", "abc")``."""

    def __init__(self, auth_type: str, credentials: str) -> None:
        self.auth_type = auth_type
        self._credentials = credentials

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"{self.auth_type} {self._credentials}"
        return request

    def __repr__(self) -> str:
        return f"TokenAuth({self.auth_type!r}, '***')"


class _BasicAuth(HTTPBasicAuth):
    # requests' HTTPBasicAuth has no repr of its own; make sure ours never shows the password.
    def __repr__(self) -> str:
        return f"BasicAuth({self.username!r}, '***')"


def parse_auth(auth: object) -> AuthBase | None:
    """Turn the accepted spellings of credentials into a requests auth object.

    >>> parse_auth(("alice", "s3cret"))
    BasicAuth('alice', '***')
    >>> parse_auth("Bearer abc")
    TokenAuth('Bearer', '***')
    """
    if auth is None or isinstance(auth, AuthBase):
        return auth
    if isinstance(auth, tuple):
        if len(auth) == 2 and all(isinstance(part, str) for part in auth):
            return _BasicAuth(auth[0], auth[1])
        raise TypeError("auth tuple must be (user, password), two strings")
    if isinstance(auth, str):
        scheme, space, credentials = auth.partition(" ")
        if space and scheme and ":" not in scheme and credentials.strip():
            return TokenAuth(scheme, credentials.strip())
        user, colon, password = auth.partition(":")
        if colon and user:
            return _BasicAuth(user, password)
        raise ValueError(
            "auth string must be 'user:password' or '<Type> <credentials>' "
            "(e.g. 'Bearer <token>')"
        )
    if callable(auth):
        raise TypeError("auth callables must subclass requests.auth.AuthBase")
    raise TypeError(
        "auth must be a (user, password) tuple, a 'user:password' string, "
        f"a '<Type> <credentials>' string or a requests auth object, not {type(auth).__name__}"
    )
