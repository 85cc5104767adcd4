"""The Client: server URL, credentials, session, and the one method that sends requests."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import urljoin, urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from ._endpoints import endpoint_path
from .exceptions import KintoConnectionError, UnsafeURL, raise_for_response

if TYPE_CHECKING:
    from ._bucket import Bucket

__all__ = ["DEFAULT_SERVER_URL", "DEFAULT_TIMEOUT", "AuthLike", "Client", "TokenAuth"]

logger = logging.getLogger("kinto_query")

DEFAULT_SERVER_URL = "http://localhost:8888/v1"
# (connect, read) seconds: long enough for a 10,000-record page, short enough never to hang.
DEFAULT_TIMEOUT = (5.0, 60.0)

AuthLike = Union[tuple[str, str], str, AuthBase, None]  # noqa: UP007 - runtime alias on 3.10
Timeout = Union[float, tuple[float, float]]  # noqa: UP007 - runtime alias on 3.10
_DEFAULT_PORTS = {"http": 80, "https": 443}


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


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def _check_server_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"server_url must be an http(s) URL such as {DEFAULT_SERVER_URL!r}")
    if parts.username or parts.password:
        raise ValueError("server_url must not hold credentials; pass them as auth=")
    if parts.query or parts.fragment:
        raise ValueError("server_url must not have a query or fragment")
    return url.rstrip("/")


def _check_timeout(timeout: object) -> Timeout:
    values = timeout if isinstance(timeout, tuple) else (timeout,)
    valid = len(values) in (1, 2) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in values
    )
    if not valid:
        raise ValueError("timeout must be a positive number of seconds or a (connect, read) pair")
    return timeout  # type: ignore[return-value]


class Client:
    """A connection to one Kinto server.

    >>> client = Client("http://localhost:8888/v1", auth=("alice", "s3cret"))
    >>> client.bucket("b").collection("todo")
    <Collection '/buckets/b/collections/todo'>
    """

    def __init__(
        self,
        server_url: str | None = None,
        *,
        auth: AuthLike = None,
        session: requests.Session | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        url = server_url or os.environ.get("KINTO_SERVER_URL") or DEFAULT_SERVER_URL
        self.server_url = _check_server_url(url)
        self.auth = parse_auth(auth)
        self.timeout = _check_timeout(timeout)
        self.headers = dict(headers or {})
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()
        self._server_info: dict[str, Any] | None = None

    def __repr__(self) -> str:
        auth = f", auth={self.auth!r}" if self.auth is not None else ""
        return f"<Client {self.server_url!r}{auth}>"

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the session, if this client created it (an injected one is the caller's)."""
        if self._owns_session:
            self.session.close()

    def bucket(self, bucket_id: str) -> Bucket:
        """A handle on a bucket; no request is made.

        >>> Client().bucket("b")
        <Bucket '/buckets/b'>
        """
        from ._bucket import Bucket  # the resources import the client, not the reverse

        return Bucket(bucket_id, client=self)

    def server_info(self) -> dict[str, Any]:
        """``GET /v1/`` (settings, capabilities, user), fetched once and cached."""
        if self._server_info is None:
            self._server_info = self._request("GET", endpoint_path("root")).json()
        return self._server_info

    @property
    def batch_max_requests(self) -> int:
        """How many requests the server accepts in one batch."""
        return int(self.server_info()["settings"]["batch_max_requests"])

    @property
    def capabilities(self) -> dict[str, Any]:
        """The server's plugins and features, by name."""
        capabilities: dict[str, Any] = self.server_info().get("capabilities", {})
        return capabilities

    def url(self, path_or_url: str) -> str:
        """The absolute URL of a path below the server URL; an absolute URL must share its origin.

        >>> Client("http://localhost:8888/v1").url("/buckets/b")
        'http://localhost:8888/v1/buckets/b'
        """
        if "://" not in path_or_url:
            return self.server_url + path_or_url
        if _origin(path_or_url) != _origin(self.server_url):
            raise UnsafeURL(
                f"refusing to follow {path_or_url!r}: it is not on {self.server_url!r}, "
                "and following it would send your credentials elsewhere"
            )
        return path_or_url

    def _request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one request and return its response, or raise the matching KintoError.

        Every request of the library goes through here.
        """
        url = self.url(path_or_url)
        all_headers = {"Accept": "application/json", **self.headers, **(headers or {})}
        data = None
        if body is not None:
            try:
                data = json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
            except (TypeError, ValueError) as error:
                raise TypeError(f"cannot send {method} {url}: body is not JSON: {error}") from None
            all_headers.setdefault("Content-Type", "application/json")
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                data=data,
                headers=all_headers,
                auth=self.auth,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as error:
            raise KintoConnectionError(
                f"{method} {url}: no answer within {self.timeout} s ({type(error).__name__})",
                method=method,
                url=url,
                cause=error,
            ) from error
        except requests.RequestException as error:
            raise KintoConnectionError(
                f"{method} {url}: cannot reach the server at {self.server_url} "
                f"({type(error).__name__})",
                method=method,
                url=url,
                cause=error,
            ) from error
        logger.debug("%s %s -> %s", method, response.url, response.status_code)
        if response.is_redirect:
            # Kinto redirects only malformed URLs (a trailing slash, a missing /v1); following
            # silently could resend credentials elsewhere, so report the mistake instead.
            location = urljoin(url, response.headers.get("Location", ""))
            raise UnsafeURL(f"{method} {url} was redirected to {location}; use the exact URL")
        raise_for_response(response)
        return response
