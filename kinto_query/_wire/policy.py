"""The transport's policy that involves no I/O, shared by the sync and the async side.

What a request may be sent to (origin checks, redirects), with which headers and
credentials, what the server's ``Backoff`` and ``Alert`` headers mean, which error answers
prove nothing was applied: decisions on plain values. The sending itself (retries,
read-backs) is ``kinto_query._wire._async.transport`` and the sync code generated from it.
"""

from __future__ import annotations

import json
import logging
import platform
import threading
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import requests
from requests.auth import AuthBase

from .._auth import parse_auth
from .._config import Config, Timeout
from .._messages import Request, Response, StreamBody
from .._retry import idempotent
from .._urls import check_v1_redirect, is_local, origin, redacted, refuse_redirect, without_userinfo
from .._values import dumps
from ..exceptions import BackoffRequested, TooManyRedirects, UnsafeURL, raise_for_response
from .dry_run import PlannedWrite
from .http import PRIVATE_HEADERS, Outgoing, RequestsWire

if TYPE_CHECKING:
    from .http import AsyncWire, Wire

__all__ = ["MAX_REDIRECTS", "READS", "KintoAlert", "TransportBase", "user_agent_header"]

logger = logging.getLogger("kinto_query")

READS = ("GET", "HEAD", "OPTIONS")
# Redirects a read follows, at most: Remote Settings sends one (monitor/changes to its CDN).
MAX_REDIRECTS = 5
_FOLLOWED = ("GET", "HEAD")
_REDIRECTS = (301, 302, 303, 307, 308)


def user_agent_header(product: str | None = None, wire: str | None = None) -> str:
    """What every request says in ``User-Agent``: the caller's product token first, if any.

    >>> user_agent_header("myproduct/1.2").split()[:2]
    ['myproduct/1.2', 'kinto_query/0.1.0']
    """
    from .. import __version__  # at call time: the package is imported by then

    wire = wire or RequestsWire.agent
    ours = f"kinto_query/{__version__} {wire} python/{platform.python_version()}"
    return f"{product} {ours}" if product else ours


class KintoAlert(UserWarning):
    """The server announced something (Kinto's ``Alert`` header), e.g. an end of life."""


_alerts_seen: set[str] = set()
_alerts_lock = threading.Lock()


def _warn_alert(value: str) -> None:
    # One warning per distinct alert per process: the header comes on every answer.
    with _alerts_lock:
        if value in _alerts_seen:
            return
        _alerts_seen.add(value)
    try:
        alert = json.loads(value)
        text = f"{alert.get('message', value)} ({alert.get('url', 'no URL given')})"
    except (ValueError, AttributeError):
        text = value
    warnings.warn(f"the Kinto server says: {text}", KintoAlert, stacklevel=5)


class TransportBase:
    """What both transports hold and decide without sending anything.

    Configured by a ``Config``, complete (see ``kinto_query._config.configure``); the wire
    is made by the side (``wire_for`` / ``async_wire_for``) from it.
    """

    def __init__(self, config: Config, wire: Wire | AsyncWire) -> None:
        self.config = config
        """The configuration this transport was made from, complete (its server URL and
        factories filled in)."""
        assert config.server_url is not None and config.id_factory is not None
        self.server_url: str = config.server_url
        self.id_factory: Callable[[], str] = config.id_factory
        """Makes the id of a new record whose data has none."""
        self.auth: AuthBase | None = parse_auth(config.auth)
        self.timeout: Timeout = config.timeout
        self.deadline = config.deadline
        self.retry = config.retry
        self.on_backoff = config.on_backoff
        self.headers: dict[str, str] = dict(config.headers or {})
        self.user_agent = config.user_agent
        self._user_agent = user_agent_header(config.user_agent, wire.agent)
        self.owns_session = config.session is None and config.wire is None
        self._origin = origin(self.server_url)
        self._backoff_until = 0.0
        self._server_info: dict[str, Any] | None = None
        if isinstance(self.auth, requests.auth.HTTPBasicAuth) and self._origin[0] == "http" \
                and not is_local(self._origin[1]):
            warnings.warn(
                f"Basic auth over plain http to {self._origin[1]}: the password crosses the "
                "network in clear; use https", UserWarning, stacklevel=4)

    def __repr__(self) -> str:
        auth = f", auth={self.auth!r}" if self.auth is not None else ""
        return f"<{type(self).__name__} {self.server_url!r}{auth}>"

    @property
    def session(self) -> requests.Session:
        """The requests session this transport sends through (the sync side's wire)."""
        session = getattr(self._wire(), "session", None)
        if not isinstance(session, requests.Session):
            raise AttributeError(f"{type(self).__name__}'s wire has no requests session")
        return session

    def _wire(self) -> Wire | AsyncWire:
        raise NotImplementedError  # each side's transport holds its own kind of wire

    @property
    def dry_run(self) -> bool:
        """Whether writes are planned (``dry_run_log``) instead of sent."""
        return getattr(self, "_planner", None) is not None

    @property
    def dry_run_log(self) -> tuple[PlannedWrite, ...]:
        """The writes a dry run did not send, in order (empty when not a dry run)."""
        planner = getattr(self, "_planner", None)
        return planner.log if planner is not None else ()

    def url(self, path_or_url: str) -> str:
        """The absolute URL of a path below the server URL; an absolute URL must share its origin.

        >>> from kinto_query import Transport
        >>> Transport("http://localhost:8888/v1").url("http://localhost:8888/v1/buckets")
        'http://localhost:8888/v1/buckets'
        """
        if "://" not in path_or_url:
            return self.server_url + path_or_url
        if origin(path_or_url) != self._origin:
            raise UnsafeURL(
                f"refusing to follow {redacted(path_or_url)!r}: it is not on {self.server_url!r}, "
                "and following it would send your credentials elsewhere"
            )
        return path_or_url

    def _public_url(self, url: str) -> str:
        scheme = origin(url)[0]
        if scheme not in ("http", "https") or (scheme == "http" and self._origin[0] == "https"):
            raise UnsafeURL(f"refusing to fetch {url!r}: only https URLs (http too for an http "
                            "server) are fetched")
        return without_userinfo(url)

    def _next_hop(self, method: str, url: str, location: str, seen: list[str]) -> str:
        """Where a redirect of ``url`` leads, if a client may follow it; else the error."""
        if origin(url) == self._origin:
            check_v1_redirect(self.server_url, method, url, location)
        if method.upper() not in _FOLLOWED:
            refuse_redirect(self.server_url, method, url, location)
        target = urljoin(url, location)
        scheme = origin(target)[0]
        if scheme not in ("http", "https") or (origin(url)[0] == "https" and scheme == "http"):
            raise UnsafeURL(f"{method} {url} was redirected to {target}: not followed, it "
                            "leaves https (or http) for a plain or unknown scheme")
        target = without_userinfo(target)
        if target in seen:
            raise TooManyRedirects(f"{method} {seen[0]}: the redirects loop ("
                                   f"{' -> '.join([*seen, target])})")
        if len(seen) > MAX_REDIRECTS:
            raise TooManyRedirects(f"{method} {seen[0]}: more than {MAX_REDIRECTS} redirects "
                                   f"(the last to {target}); not followed further")
        seen.append(target)
        logger.debug("%s %s: redirected to %s", method, url, target)
        return target

    def _outgoing(self, request: Request, url: str, trusted: bool, stream: bool,
                  limit: float) -> Outgoing:
        """One exchange as a wire sends it: headers (credentials only to the server's own
        origin), the body serialized."""
        headers = {"Accept": "application/json", "User-Agent": self._user_agent}
        if trusted:
            headers.update(self.headers)
        headers.update(request.headers)
        if not trusted:
            headers = {k: v for k, v in headers.items() if k.title() not in PRIVATE_HEADERS}
        body: bytes | StreamBody | None = None
        if isinstance(request.body, StreamBody):
            body = request.body
            headers.setdefault("Content-Type", request.body.content_type)
        elif request.body is not None:
            body = dumps(request.body)
            headers.setdefault("Content-Type", "application/json")
        return Outgoing(request=request, url=url, headers=headers, body=body,
                        auth=self.auth if trusted else None, trusted=trusted, stream=stream,
                        timeout=self.timeout, deadline=self.deadline, limit=limit,
                        server_url=self.server_url)

    @staticmethod
    def _location(response: Response) -> str | None:
        """A redirect's ``Location`` (as requests tells one: a 3xx with a Location)."""
        if response.status in _REDIRECTS and "Location" in response.headers:
            return str(response.headers["Location"])
        return None

    def _planned_answer(self, response: Response) -> Response:
        if response.status >= 400:
            raise_for_response(response, credentials_sent=self._credentials_sent())
        return response

    def _credentials_sent(self) -> bool:
        headers = {name.lower() for name in self.headers}
        return self.auth is not None or self._wire().has_credentials() or \
            "authorization" in headers

    def _note_headers(self, response: Response) -> None:
        backoff = response.headers.get("Backoff", "")
        if backoff.isascii() and backoff.isdigit() and int(backoff) > 0:
            self._backoff_until = max(self._backoff_until, time.monotonic() + int(backoff))
        alert = response.headers.get("Alert")
        if alert:
            _warn_alert(alert)

    @property
    def backoff_remaining(self) -> float:
        """Seconds the server still asks clients to back off for (``Backoff``), or 0."""
        return max(0.0, self._backoff_until - time.monotonic())

    def _backoff_wait(self) -> float:
        """How long to wait before the next attempt (0: none), or ``BackoffRequested``."""
        remaining = self._backoff_until - time.monotonic()
        if remaining <= 0:
            return 0.0
        if self.on_backoff == "raise":
            raise BackoffRequested(
                f"the server at {self.server_url} asked clients to back off for "
                f"{remaining:.0f} more seconds", seconds=remaining)
        cap = self.retry.max_wait if self.retry is not None else remaining
        logger.info("the server asked to back off: waiting %.1f s", min(remaining, cap))
        return min(remaining, cap)

    def _backoff_waited(self, until: float) -> None:
        """A wait for the back-off that lasted ``until`` is over: the next requests go at
        once, unless a newer ``Backoff`` came meanwhile. Cleared only once a wait is over,
        so that requests sent while one waits (an async transport's, a thread's) wait too."""
        if self._backoff_until == until:
            self._backoff_until = 0.0


def one_object_write(request: Request) -> bool:
    """A write of one named object (not a list, not a batch, not a file upload)."""
    if request.method in READS or request.method == "POST":
        return False
    return not isinstance(request.body, StreamBody) and idempotent(
        Request("DELETE", request.path))  # True exactly when the path names one object


def please_retry(response: Response) -> bool:
    """Kinto's 409 after a storage conflict (PostgreSQL, concurrent writers): the transaction
    was rolled back, and the answer says to retry (errno 122 with ``Retry-After``)."""
    body = response.json_or_none()
    return (response.status == 409 and "Retry-After" in response.headers
            and isinstance(body, dict) and body.get("errno") == 122)


def nothing_applied(response: Response) -> bool:
    """An error answer proving the request was not applied: 429 (refused before), Kinto's own
    503 (errno 201: the backend failed, the transaction rolled back), its "please retry"."""
    body = response.json_or_none()
    errno = body.get("errno") if isinstance(body, dict) else None
    return response.status == 429 or (response.status == 503 and errno == 201) \
        or please_retry(response)


def from_kinto(response: Response) -> bool:
    """Whether an error answer is Kinto's own (its JSON with an errno), not a gateway's."""
    body = response.json_or_none()
    return isinstance(body, dict) and isinstance(body.get("errno"), int)
