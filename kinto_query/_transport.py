"""The one object that sends requests to a Kinto server.

Everything the package sends goes through ``Transport.send``: it is the only place that
touches ``requests``, checks that a URL stays on the configured server, refuses redirects,
retries what is safe to retry, honours the server's ``Backoff`` and maps error answers to
exceptions. Concurrent sends plug in here too, not in callers.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from typing import Any, Literal, Union, overload
from urllib.parse import urlsplit

import requests
import urllib3
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict

from ._auth import AuthLike, parse_auth
from ._endpoints import endpoint_path
from ._messages import Request, Response, StreamBody, StreamedResponse, if_match
from ._retry import DEFAULT_RETRY, RetryPolicy, applied, idempotent, retry_after_seconds
from ._urls import DEFAULT_SERVER_URL, check_server_url, is_local, origin, refuse_redirect
from ._values import dumps
from .exceptions import (
    BackoffRequested,
    InvalidResponse,
    KintoConnectionError,
    UnsafeURL,
    raise_for_response,
)

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_SERVER_URL",
    "DEFAULT_TIMEOUT",
    "KintoAlert",
    "Request",
    "Response",
    "StreamedResponse",
    "Timeout",
    "Transport",
    "if_match",
]

logger = logging.getLogger("kinto_query")

# (connect, read) seconds: long enough for a 10,000-record page, short enough never to hang.
DEFAULT_TIMEOUT = (5.0, 60.0)
# Seconds one attempt may take in all, body included: a body that trickles in cannot hang.
DEFAULT_DEADLINE = 120.0
Timeout = Union[float, tuple[float, float]]  # noqa: UP007 - runtime alias on 3.10
OnBackoff = Literal["wait", "raise"]
_CHUNK = 1 << 16
_READS = ("GET", "HEAD", "OPTIONS")


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
    warnings.warn(f"the Kinto server says: {text}", KintoAlert, stacklevel=4)


class _DeadlinePassed(requests.Timeout):
    """An answer still coming in when the attempt's deadline passed."""


def _never_sent(error: requests.RequestException) -> bool:
    """Whether the request surely did not reach the server (no connection was made)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _check_timeout(timeout: object) -> Timeout:
    values = timeout if isinstance(timeout, tuple) else (timeout,)
    if not (len(values) in (1, 2) and all(_positive(v) for v in values)):
        raise ValueError("timeout must be a positive number of seconds or a (connect, read) pair")
    return timeout  # type: ignore[return-value]


def _new_session() -> requests.Session:
    """The session of a transport given none (kinto_query.testing routes these through its
    recorder while a test records or replays)."""
    return requests.Session()


class Transport:
    """Sends requests to one Kinto server and returns responses, or raises ``KintoError``.

    ``retry`` says what is retried and how (``None``: nothing is); ``deadline`` bounds each
    attempt, body included; ``on_backoff`` says what to do while the server asks clients to
    back off (Kinto's ``Backoff`` header): ``"wait"`` (at most ``retry.max_wait`` seconds) or
    ``"raise"`` (``BackoffRequested``).

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
        deadline: float = DEFAULT_DEADLINE,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        on_backoff: OnBackoff = "wait",
    ) -> None:
        url = server_url or os.environ.get("KINTO_SERVER_URL") or DEFAULT_SERVER_URL
        self.server_url = check_server_url(url)
        self.auth: AuthBase | None = parse_auth(auth)
        self.timeout = _check_timeout(timeout)
        if not _positive(deadline):
            raise ValueError("deadline must be a positive number of seconds")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError("retry must be a RetryPolicy, or None for no retries")
        if on_backoff not in ("wait", "raise"):
            raise ValueError("on_backoff must be 'wait' or 'raise'")
        self.deadline = float(deadline)
        self.retry = retry
        self.on_backoff = on_backoff
        self.headers = dict(headers or {})
        self.owns_session = session is None
        self.session = session if session is not None else _new_session()
        self._origin = origin(self.server_url)
        self._backoff_until = 0.0
        self._server_info: dict[str, Any] | None = None
        if isinstance(self.auth, requests.auth.HTTPBasicAuth) and self._origin[0] == "http" \
                and not is_local(self._origin[1]):
            warnings.warn(
                f"Basic auth over plain http to {self._origin[1]}: the password crosses the "
                "network in clear; use https", UserWarning, stacklevel=3)

    def __repr__(self) -> str:
        auth = f", auth={self.auth!r}" if self.auth is not None else ""
        return f"<Transport {self.server_url!r}{auth}>"

    def copy(self) -> Transport:
        """A transport like this one with a session of its own (for another thread)."""
        twin = Transport(self.server_url, auth=self.auth, headers=self.headers,
                         timeout=self.timeout, deadline=self.deadline, retry=self.retry,
                         on_backoff=self.on_backoff)
        twin._server_info = self._server_info
        return twin

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
        if origin(path_or_url) != self._origin:
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

    # -- sending ---------------------------------------------------------------------------

    @overload
    def send(self, request: Request, *, stream: Literal[False] = False) -> Response: ...

    @overload
    def send(self, request: Request, *, stream: Literal[True]) -> StreamedResponse: ...

    def send(self, request: Request, *, stream: bool = False) -> Response:
        """Send one request and return its response, or raise the matching ``KintoError``.

        Safe requests are retried on 429, 502, 503, 504 and lost connections, as the retry
        policy says. A conditional write whose first attempt got no clear answer and whose
        retry is then refused (412, or 404 for a delete) is checked against the server: if the
        first attempt was applied, that is the answer. A ``StreamBody`` is never retried.

        ``stream=True``: a success comes back as a ``StreamedResponse`` whose body is read as it
        arrives (errors are read whole and raised as usual); the deadline still bounds the
        attempt, body included. Only the request is retried, never a body half read.
        """
        policy = self.retry if self.retry is not None and idempotent(request) else None
        if isinstance(request.body, StreamBody):
            policy = None  # what it reads from may not be readable twice
        started = time.monotonic()
        unsure = False  # an attempt may have been applied without our knowing
        retry = 0
        failure: KintoConnectionError | None
        while True:
            try:
                response = self._attempt(request, stream=stream)
            except KintoConnectionError as error:
                cause = error.cause
                unsure = unsure or not (
                    isinstance(cause, requests.RequestException) and _never_sent(cause)
                )
                wait = policy.next_wait(retry, started, None) if policy else None
                failure = error
            else:
                if response.status < 400:
                    return response
                if unsure and response.status in (404, 412) and request.method not in _READS:
                    resolved = self._resolve(request, response)
                    if resolved is not None:
                        return resolved
                if policy is None or response.status not in policy.statuses:
                    raise_for_response(response, credentials_sent=self._credentials_sent())
                unsure = unsure or (response.status != 429 and not _from_kinto(response))
                after = retry_after_seconds(response.headers.get("Retry-After"))
                wait = policy.next_wait(retry, started, after) if policy else None
                failure = None
            if wait is None:
                if failure is not None:
                    raise failure
                raise_for_response(response, credentials_sent=self._credentials_sent())
                raise AssertionError("unreachable: an error status raises")  # pragma: no cover
            logger.info("%s %s: retrying in %.2f s (retry %d)", request.method, request.path,
                        wait, retry + 1)
            self._sleep(wait)
            retry += 1

    def _credentials_sent(self) -> bool:
        headers = {name.lower() for name in self.headers}
        return self.auth is not None or self.session.auth is not None or \
            "authorization" in headers

    def _sleep(self, seconds: float) -> None:
        (self.retry.sleep if self.retry is not None else time.sleep)(seconds)

    def _resolve(self, request: Request, refusal: Response) -> Response | None:
        """The answer to a write that a lost attempt had already applied, or None."""
        try:
            current = self._attempt(Request("GET", urlsplit(request.path).path))
        except KintoConnectionError:
            return None
        body = current.json_or_none()
        if current.status == 404:
            held = None
        elif current.status < 400 and isinstance(body, dict):
            held = body
        else:
            return None  # the server does not say: the refusal stands
        if not applied(request, held):
            return None
        logger.info("%s %s: an earlier attempt was applied (%s on retry)", request.method,
                    request.path, refusal.status)
        if request.method.upper() == "DELETE":
            return Response(request, refusal.url, 200, "OK", refusal.headers, b'{"data": {}}')
        return current

    def _attempt(self, request: Request, *, stream: bool = False) -> Response:
        """One exchange: the request sent, the whole answer read within the deadline (or, for
        a success with ``stream``, handed out unread)."""
        self._honour_backoff()
        method = request.method
        url = self.url(request.path)
        headers = {"Accept": "application/json", **self.headers, **request.headers}
        data: Any = None
        if isinstance(request.body, StreamBody):
            data = request.body.open()
            headers.setdefault("Content-Type", request.body.content_type)
        elif request.body is not None:
            data = dumps(request.body)
            headers.setdefault("Content-Type", "application/json")
        limit = time.monotonic() + self.deadline
        try:
            answer = self.session.request(
                method, url, data=data, headers=headers, auth=self.auth,
                timeout=self.timeout, allow_redirects=False, stream=True,
            )
            streamed = stream and answer.status_code < 400 and not answer.is_redirect
            if not streamed:
                try:
                    content = self._read(answer, limit)
                finally:
                    answer.close()
        except requests.RequestException as error:
            raise self._connection_error(method, url, error) from error
        logger.debug("%s %s -> %s", method, answer.url, answer.status_code)
        parts: dict[str, Any] = {
            "request": request, "url": answer.url or url, "status": answer.status_code,
            "reason": answer.reason or "", "headers": CaseInsensitiveDict(answer.headers)}
        if streamed:
            response: Response = StreamedResponse(
                **parts, content=b"", chunks=self._stream(answer, limit, method, url),
                closer=answer.close)
        else:
            response = Response(**parts, content=content)
        self._note_headers(response)
        if answer.is_redirect:
            refuse_redirect(self.server_url, method, url, answer.headers.get("Location", ""))
        return response

    def _read(self, answer: requests.Response, limit: float) -> bytes:
        return b"".join(self._pieces(answer, limit, decode=True))

    def _pieces(self, answer: requests.Response, limit: float, *, decode: bool) -> Iterator[bytes]:
        # read1 returns whatever has arrived, so a body trickling in is checked against the
        # deadline as it comes; iter_content would block until a whole chunk is there.
        raw = answer.raw
        if isinstance(raw, urllib3.response.BaseHTTPResponse) and hasattr(raw, "read1"):
            pieces: Iterator[bytes] = iter(lambda: raw.read1(_CHUNK, decode_content=decode), b"")
        else:  # another adapter's body (a mock, a file): requests knows how to read it
            pieces = answer.iter_content(_CHUNK)
        try:
            for chunk in pieces:
                if time.monotonic() > limit:
                    raise _DeadlinePassed(f"the answer took more than {self.deadline} s in all")
                yield chunk
        except urllib3.exceptions.HTTPError as error:  # read1 bypasses requests' wrapping
            raise requests.ConnectionError(error) from error

    def _stream(
        self, answer: requests.Response, limit: float, method: str, url: str
    ) -> Iterator[bytes]:
        """A streamed body as sent (not decoded), its failures as ``KintoConnectionError``."""
        try:
            yield from self._pieces(answer, limit, decode=False)
        except requests.RequestException as error:
            raise self._connection_error(method, url, error) from error
        finally:
            answer.close()

    def _connection_error(
        self, method: str, url: str, error: requests.RequestException
    ) -> KintoConnectionError:
        if isinstance(error, _DeadlinePassed):
            text = f"{method} {url}: no complete answer within the {self.deadline} s deadline"
        elif isinstance(error, requests.Timeout):
            text = f"{method} {url}: no answer within {self.timeout} s ({type(error).__name__})"
        else:
            text = (f"{method} {url}: cannot reach the server at {self.server_url} "
                    f"({type(error).__name__})")
        return KintoConnectionError(text, method=method, url=url, cause=error)

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

    def _honour_backoff(self) -> None:
        remaining = self._backoff_until - time.monotonic()
        if remaining <= 0:
            return
        if self.on_backoff == "raise":
            raise BackoffRequested(
                f"the server at {self.server_url} asked clients to back off for "
                f"{remaining:.0f} more seconds", seconds=remaining)
        cap = self.retry.max_wait if self.retry is not None else remaining
        logger.info("the server asked to back off: waiting %.1f s", min(remaining, cap))
        self._sleep(min(remaining, cap))
        self._backoff_until = 0.0

def _from_kinto(response: Response) -> bool:
    """Whether an error answer is Kinto's own (its JSON with an errno), not a gateway's."""
    body = response.json_or_none()
    return isinstance(body, dict) and isinstance(body.get("errno"), int)
