"""Requests and responses as values, and the one object that sends them.

Everything the package sends goes through ``Transport.send``: it is the only place that
touches ``requests``, checks that a URL stays on the configured server, refuses redirects and
maps error answers to exceptions. Retries and concurrent sends plug in here, not in callers.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Mapping
from typing import Any, Union
from urllib.parse import urljoin, urlsplit

import requests
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict

from ._auth import AuthLike, parse_auth
from ._endpoints import endpoint_path
from ._values import dumps
from .exceptions import (
    ConfigurationError,
    InvalidResponse,
    KintoConnectionError,
    UnsafeURL,
    raise_for_response,
)

__all__ = [
    "DEFAULT_SERVER_URL",
    "DEFAULT_TIMEOUT",
    "Request",
    "Response",
    "Timeout",
    "Transport",
    "if_match",
]

logger = logging.getLogger("kinto_query")

DEFAULT_SERVER_URL = "http://localhost:8888/v1"
# (connect, read) seconds: long enough for a 10,000-record page, short enough never to hang.
DEFAULT_TIMEOUT = (5.0, 60.0)
Timeout = Union[float, tuple[float, float]]  # noqa: UP007 - runtime alias on 3.10
_DEFAULT_PORTS = {"http": 80, "https": 443}


def if_match(last_modified: int) -> dict[str, str]:
    """The header that makes a write fail (412) if the object changed since ``last_modified``."""
    return {"If-Match": f'"{last_modified}"'}


@dataclasses.dataclass(frozen=True)
class Request:
    """One HTTP request: ``path`` below the server URL (or an absolute URL on it), a JSON body.

    >>> Request("PUT", "/buckets/b", {"data": {}}, if_match(1))
    Request(method='PUT', path='/buckets/b', body={'data': {}}, headers={'If-Match': '"1"'})
    """

    method: str
    path: str
    body: Any = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def batchable(self) -> bool:
        """Whether it can ride in ``POST /batch`` (Kinto takes only JSON-object bodies there)."""
        return self.body is None or isinstance(self.body, Mapping)


@dataclasses.dataclass(frozen=True, eq=False)
class Response:
    """An answer: status, headers and body bytes, with the request it answers."""

    request: Request
    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        """The JSON body, or ``InvalidResponse`` if it is not JSON."""
        try:
            return json.loads(self.content)
        except ValueError:
            kind = self.headers.get("Content-Type", "no content type").split(";")[0]
            raise InvalidResponse(
                f"{self.request.method} {self.url} -> {self.status}: expected JSON, got "
                f"{kind} ({len(self.content)} bytes)"
            ) from None

    def json_or_none(self) -> Any:
        """The JSON body, or None when there is none (a HEAD, an HTML error page)."""
        try:
            return json.loads(self.content) if self.content else None
        except ValueError:
            return None

    def data(self) -> Any:
        """The ``data`` member of a JSON-object body, or ``InvalidResponse``."""
        body = self.json()
        if not isinstance(body, dict) or "data" not in body:
            raise InvalidResponse(
                f"{self.request.method} {self.url} -> {self.status}: the answer has no 'data'"
            )
        return body["data"]


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def check_server_url(url: str) -> str:
    """The server URL without a trailing slash, or ``ValueError`` saying what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"server_url must be an http(s) URL such as {DEFAULT_SERVER_URL!r}, got {url!r}"
        )
    if parts.username or parts.password:
        raise ConfigurationError("server_url must not hold credentials; pass them as auth=")
    if parts.query or parts.fragment:
        raise ConfigurationError("server_url must not have a query or fragment")
    return url.rstrip("/")


def _check_timeout(timeout: object) -> Timeout:
    values = timeout if isinstance(timeout, tuple) else (timeout,)
    valid = len(values) in (1, 2) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in values
    )
    if not valid:
        raise ValueError("timeout must be a positive number of seconds or a (connect, read) pair")
    return timeout  # type: ignore[return-value]


class Transport:
    """Sends requests to one Kinto server and returns responses, or raises ``KintoError``.

    >>> Transport("http://localhost:8888/v1").url("/buckets/b")
    'http://localhost:8888/v1/buckets/b'
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
        self.server_url = check_server_url(url)
        self.auth: AuthBase | None = parse_auth(auth)
        self.timeout = _check_timeout(timeout)
        self.headers = dict(headers or {})
        self.owns_session = session is None
        self.session = session if session is not None else requests.Session()
        self._server_info: dict[str, Any] | None = None

    def __repr__(self) -> str:
        auth = f", auth={self.auth!r}" if self.auth is not None else ""
        return f"<Transport {self.server_url!r}{auth}>"

    def close(self) -> None:
        """Close the session, if this transport created it (an injected one is the caller's)."""
        if self.owns_session:
            self.session.close()

    def url(self, path_or_url: str) -> str:
        """The absolute URL of a path below the server URL; an absolute URL must share its origin.

        >>> Transport("http://localhost:8888/v1").url("http://localhost:8888/v1/buckets")
        'http://localhost:8888/v1/buckets'
        """
        if "://" not in path_or_url:
            return self.server_url + path_or_url
        if _origin(path_or_url) != _origin(self.server_url):
            raise UnsafeURL(
                f"refusing to follow {path_or_url!r}: it is not on {self.server_url!r}, "
                "and following it would send your credentials elsewhere"
            )
        return path_or_url

    def server_info(self) -> dict[str, Any]:
        """``GET /v1/`` (settings, capabilities, user), fetched once and cached."""
        if self._server_info is None:
            info = self.send(Request("GET", endpoint_path("root"))).json()
            if not isinstance(info, dict):
                raise InvalidResponse(f"GET {self.server_url}/ did not answer a JSON object")
            self._server_info = info
        return self._server_info

    def send(self, request: Request) -> Response:
        """Send one request and return its response, or raise the matching ``KintoError``."""
        method = request.method
        url = self.url(request.path)
        headers = {"Accept": "application/json", **self.headers, **request.headers}
        data = None
        if request.body is not None:
            data = dumps(request.body)
            headers.setdefault("Content-Type", "application/json")
        try:
            answer = self.session.request(
                method,
                url,
                data=data,
                headers=headers,
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
        logger.debug("%s %s -> %s", method, answer.url, answer.status_code)
        response = Response(
            request=request,
            url=answer.url or url,
            status=answer.status_code,
            reason=answer.reason or "",
            headers=CaseInsensitiveDict(answer.headers),
            content=answer.content,
        )
        if answer.is_redirect:
            self._refuse_redirect(method, url, answer.headers.get("Location", ""))
        raise_for_response(response)
        return response

    def _refuse_redirect(self, method: str, url: str, location: str) -> None:
        # Kinto redirects only malformed URLs (a trailing slash, a missing /v1); following
        # silently could resend credentials elsewhere, so report the mistake instead.
        target = urljoin(url, location)
        ours, theirs = urlsplit(url).path, urlsplit(target).path
        parts = urlsplit(self.server_url)
        below = ours.removeprefix(parts.path.rstrip("/"))
        if _origin(target) == _origin(url) and theirs.endswith(below) and theirs != ours:
            prefix = theirs[: len(theirs) - len(below)]
            suggested = f"{parts.scheme}://{parts.netloc}{prefix}"
            raise ConfigurationError(
                f"the server at {self.server_url!r} redirected {method} {ours} to {theirs}: "
                f"the server URL is probably {suggested!r} (Kinto's API lives below /v1)"
            )
        raise UnsafeURL(f"{method} {url} was redirected to {target}; use the exact URL")
