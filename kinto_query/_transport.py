"""The one object that sends requests to a Kinto server.

Everything the package sends goes through ``Transport.send``: it is the only place that
touches ``requests``, checks that a URL stays on the configured server, follows redirects
of reads only (a bounded number, never from https to http, without credentials once they
leave the server's origin), retries what is safe to retry, honours the server's ``Backoff``
and maps error answers to exceptions. Concurrent sends plug in here too, not in callers.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import platform
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict

from ._auth import parse_auth
from ._config import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, Config, Options, Timeout, configure
from ._dry_run import PlannedWrite, Planner
from ._endpoints import endpoint_path
from ._messages import Request, Response, StreamBody, StreamedResponse, if_match
from ._retry import Again, applied, idempotent, only_reads, retry_after_seconds, with_retries
from ._signer import names_a_collection, refuse_signer_owned
from ._urls import (
    DEFAULT_SERVER_URL,
    check_v1_redirect,
    is_local,
    origin,
    redacted,
    refuse_redirect,
    without_userinfo,
)
from ._values import dumps
from .exceptions import (
    BackoffRequested,
    Forbidden,
    HTTPError,
    InvalidResponse,
    KintoConnectionError,
    KintoError,
    NotFound,
    OutcomeUnknown,
    ServerError,
    SignerOwned,
    TooManyRedirects,
    TooManyRequests,
    UnsafeURL,
    raise_for_response,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

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

_CHUNK = 1 << 16
_READS = ("GET", "HEAD", "OPTIONS")
# Redirects a read follows, at most: Remote Settings sends one (monitor/changes to its CDN).
MAX_REDIRECTS = 5
_FOLLOWED = ("GET", "HEAD")
# Never sent to another origin than the server's, whatever the request or the session holds.
_PRIVATE_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


def user_agent_header(product: str | None = None) -> str:
    """What every request says in ``User-Agent``: the caller's product token first, if any.

    >>> user_agent_header("myproduct/1.2").split()[:2]
    ['myproduct/1.2', 'kinto_query/0.1.0']
    """
    from . import __version__  # at call time: the package is imported by then

    ours = (f"kinto_query/{__version__} requests/{requests.__version__} "
            f"python/{platform.python_version()}")
    return f"{product} {ours}" if product else ours


class _NoCredentials(AuthBase):
    """The auth of a request to another origin: none, whatever the session or netrc has."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        for name in _PRIVATE_HEADERS:
            request.headers.pop(name, None)
        return request

    def __repr__(self) -> str:
        return "<no credentials>"


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


class Transport:
    """Sends requests to one Kinto server and returns responses, or raises ``KintoError``.

    Configured by a ``Config`` (``config=``) and/or its options as keywords (see ``Config``):
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
        config: Config | None = None,
        **options: Unpack[Options],
    ) -> None:
        self.config = config = configure(server_url, config, **options)
        """The configuration this transport was made from, complete (its server URL and
        factories filled in)."""
        assert config.server_url is not None and config.session_factory is not None
        assert config.id_factory is not None
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
        self._user_agent = user_agent_header(config.user_agent)
        self.owns_session = config.session is None
        self.session = config.session if config.session is not None else config.session_factory()
        self._origin = origin(self.server_url)
        self._backoff_until = 0.0
        self._server_info: dict[str, Any] | None = None
        self._planner = Planner(self._user_id) if config.dry_run else None
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
        twin = Transport(config=dataclasses.replace(self.config, session=None))
        twin._server_info = self._server_info
        twin._planner = self._planner  # one dry run: one plan, whichever thread sends
        return twin

    def anonymous(self) -> Transport:
        """This transport without credentials, on the same session (and the same dry run)."""
        twin = Transport(config=dataclasses.replace(self.config, auth=None,
                                                    session=self.session))
        twin._planner = self._planner
        return twin

    @property
    def dry_run(self) -> bool:
        """Whether writes are planned (``dry_run_log``) instead of sent."""
        return self._planner is not None

    @property
    def dry_run_log(self) -> tuple[PlannedWrite, ...]:
        """The writes a dry run did not send, in order (empty when not a dry run)."""
        return self._planner.log if self._planner is not None else ()

    def _user_id(self) -> str | None:
        user = self.server_info().get("user")
        return user.get("id") if isinstance(user, dict) else None

    def _read_for_plan(self, request: Request) -> Response:
        """A read a dry run's prediction needs: sent; an error answer returned, not raised."""
        try:
            return self.send(request)
        except HTTPError as error:
            return error.response

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
                f"refusing to follow {redacted(path_or_url)!r}: it is not on {self.server_url!r}, "
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

        Safe requests are retried on 429, 502, 503, 504, Kinto's 409 "please retry" (its
        transaction rolled back) and lost connections, as the retry policy says; others (a
        list ``DELETE``, a ``POST``) only on answers proving nothing was applied (429, and
        Kinto's own 503 and 409 "please retry"). A conditional write whose first attempt got
        no clear answer and whose retry is then refused (412, or 404 for a delete) is checked
        against the server: if the first attempt was applied, that is the answer.
        A ``StreamBody`` is never retried.

        A write to a collection that a Remote Settings signer owns (a destination or
        preview) is refused before sending (``SignerOwned``), once the server's capabilities
        are known (``server_info()``, which review steps and bulk writes read); the guard
        never reads them before a write, so a plain Kinto server gets no extra request. A
        write refused (403) before they were read has them read then: a refusal of such a
        write becomes ``SignerOwned`` too.

        ``stream=True``: a success comes back as a ``StreamedResponse`` whose body is read as it
        arrives (errors are read whole and raised as usual); the deadline still bounds the
        attempt, body included. Only the request is retried, never a body half read.
        """
        if request.method in _READS:
            return self._send(request, stream=stream, public=False)
        known = self._server_info
        refuse_signer_owned(known, request.method, request.path, request.body)
        try:
            return self._send(request, stream=stream, public=False)
        except Forbidden as error:
            if known is None and names_a_collection(request.method, request.path,
                                                    request.body):
                self._explain_refusal(request, error)
            raise

    def _explain_refusal(self, request: Request, error: Forbidden) -> None:
        """A write refused (403) by a server whose capabilities were not read yet: if it
        aimed at what a Remote Settings signer owns, ``SignerOwned`` (naming the workspace)
        says so instead; one ``GET /v1/``, on a refusal only."""
        try:
            info = self.server_info()
        except KintoError:
            return  # the refusal itself says enough
        try:
            refuse_signer_owned(info, request.method, request.path, request.body,
                                refused=True)
        except SignerOwned as owned:
            raise owned from error

    @overload
    def fetch(self, url: str, *, headers: Mapping[str, str] | None = None,
              stream: Literal[False] = False) -> Response: ...

    @overload
    def fetch(self, url: str, *, headers: Mapping[str, str] | None = None,
              stream: Literal[True]) -> StreamedResponse: ...

    def fetch(self, url: str, *, headers: Mapping[str, str] | None = None,
              stream: bool = False) -> Response:
        """``GET`` a URL on any origin, without credentials or the configured headers: what
        Kinto points at elsewhere (attachments on a CDN, certificate chains), retried and
        redirected as reads are; an https server's transport fetches https only.

        >>> Transport("http://localhost:8888/v1").fetch(server.url + "/__heartbeat__").status
        200
        """
        return self._send(Request("GET", url, headers=dict(headers or {})), stream=stream,
                          public=True)

    def _send(self, request: Request, *, stream: bool, public: bool) -> Response:
        if self._planner is None or public:
            return self._send_now(request, stream=stream, public=public)
        if request.method not in _READS and not only_reads(request):
            answer = self._planner.answer(request, self._read_for_plan, self.url)
            if answer.status >= 400:
                raise_for_response(answer, credentials_sent=self._credentials_sent())
            return answer
        try:
            response = self._send_now(request, stream=stream, public=public)
        except (Forbidden, NotFound):
            # Refused: it may read what the dry run planned to create.
            planned = None if stream else (self._planner.planned(request, self.url)
                                           or self._planner.planned_listing(request, self.url))
            if planned is None:
                raise
            return self._planned_answer(planned)
        # Sent for real; what the plan wrote reads as the real run would read it.
        planned = None if stream else self._planner.planned(request, self.url)
        return response if planned is None else self._planned_answer(planned)

    def _planned_answer(self, response: Response) -> Response:
        if response.status >= 400:
            raise_for_response(response, credentials_sent=self._credentials_sent())
        return response

    def _send_now(self, request: Request, *, stream: bool, public: bool) -> Response:
        safe = idempotent(request)
        # A POST /batch of writes is resent by the bulk writes' own loop, which reads back first.
        batch = urlsplit(request.path).path.rstrip("/").endswith("/batch")
        policy = self.retry if safe or not batch else None
        if isinstance(request.body, StreamBody):
            policy = None  # what it reads from may not be readable twice
        unsure = False  # an attempt may have been applied without our knowing

        def attempt() -> Response | Again[Response]:
            nonlocal unsure
            try:
                response = self._attempt(request, stream=stream, public=public)
            except KintoConnectionError as error:
                cause = error.cause
                never_sent = isinstance(cause, requests.RequestException) and _never_sent(cause)
                unsure = unsure or not never_sent
                if not (safe or never_sent):  # it may have been applied: never resent blindly
                    return self._settle(request, unsure, error, None, 1)
                return Again(None, functools.partial(self._settle, request, unsure, error, None))
            if response.status < 400:
                return response
            if unsure and response.status in (404, 412) and request.method not in _READS:
                resolved = self._resolve(request, response)
                if resolved is not None:
                    return resolved
            retryable = policy is not None and (
                (response.status in policy.statuses if safe else _nothing_applied(response))
                or _please_retry(response))
            unsure = unsure or (response.status != 429 and not _from_kinto(response))
            if not retryable:
                return self._settle(request, unsure, None, response, 1)
            after = retry_after_seconds(response.headers.get("Retry-After"))
            return Again(after, functools.partial(self._settle, request, unsure, None, response))

        return with_retries(policy, attempt, f"{request.method} {request.path}")

    def _settle(self, request: Request, unsure: bool, error: KintoConnectionError | None,
                response: Response | None, tries: int) -> Response:
        """No retry left: the failure raised, unless an earlier attempt may have landed and
        the last answer says nothing of it: then what the server holds tells (a read-back;
        ``OutcomeUnknown`` when it cannot be read)."""
        settled = response is None or response.status not in (404, 412)  # else: resolved
        if unsure and settled and _one_object_write(request):
            resolved = self.read_back(request)
            if resolved is not None:
                return resolved
        if error is not None:
            raise error
        assert response is not None
        raise_for_response(response, credentials_sent=self._credentials_sent())
        raise AssertionError("unreachable: an error status raises")  # pragma: no cover

    def _credentials_sent(self) -> bool:
        headers = {name.lower() for name in self.headers}
        return self.auth is not None or self.session.auth is not None or \
            "authorization" in headers

    def _sleep(self, seconds: float) -> None:
        (self.retry.sleep if self.retry is not None else time.sleep)(seconds)

    def _resolve(self, request: Request, refusal: Response) -> Response | None:
        """The answer to a write that a lost attempt had already applied, or None."""
        current = self.read_back(request)
        if current is not None:
            logger.info("%s %s: an earlier attempt was applied (%s on retry)", request.method,
                        request.path, refusal.status)
        return current

    def read_back(self, request: Request) -> Response | None:
        """After a write whose answer was lost or unreadable: the object as the server holds it
        (its ``GET``, retried as reads are) if it shows the write applied, else None (a
        ``DELETE`` found applied: an empty 200).

        ``OutcomeUnknown`` when it cannot be read (no answer, 5xx, 429 to the end, garbage):
        the write may have landed, so neither success nor refusal may be claimed.
        Example: ``transport.read_back(Request("PUT", "/buckets/b", {"data": {}}))``.
        """
        read = Request("GET", urlsplit(request.path).path)
        try:
            current: Response | None = self.send(read)
            held = current.json_object() if current is not None else None
        except NotFound:
            current = held = None
        except (KintoConnectionError, ServerError, TooManyRequests, InvalidResponse) as error:
            raise OutcomeUnknown(request, error) from error
        except HTTPError:
            return None  # the server does not say (403...): the write's refusal stands
        if not applied(request, held):
            return None
        if current is None:  # a delete, applied
            return Response(request, self.url(read.path), 200, "OK", {}, b'{"data": {}}')
        return current

    def _attempt(self, request: Request, *, stream: bool = False,
                 public: bool = False) -> Response:
        """One exchange: the request sent, its redirects followed (reads only), the whole
        answer read within the deadline (or, for a success with ``stream``, handed out unread).
        ``public``: a URL on any origin, sent without credentials."""
        self._honour_backoff()
        method = request.method
        url = self._public_url(request.path) if public else self.url(request.path)
        trusted = not public and origin(url) == self._origin
        seen = [url]
        limit = time.monotonic() + self.deadline
        while True:
            response, location = self._exchange(request, url, trusted, stream, limit)
            if location is None:
                return response
            url = self._next_hop(method, url, location, seen)
            # Credentials stay off for the rest of the way once it left the server's origin.
            trusted = trusted and origin(url) == self._origin

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

    def _exchange(self, request: Request, url: str, trusted: bool, stream: bool,
                  limit: float) -> tuple[Response, str | None]:
        """One request and its answer; the redirect's ``Location`` if it is one."""
        method = request.method
        headers = {"Accept": "application/json", "User-Agent": self._user_agent}
        if trusted:
            headers.update(self.headers)
        headers.update(request.headers)
        auth: AuthBase | None = self.auth
        if not trusted:
            headers = {k: v for k, v in headers.items() if k.title() not in _PRIVATE_HEADERS}
            auth = _NoCredentials()
        data: Any = None
        if isinstance(request.body, StreamBody):
            data = request.body.open()
            headers.setdefault("Content-Type", request.body.content_type)
        elif request.body is not None:
            data = dumps(request.body)
            headers.setdefault("Content-Type", "application/json")
        try:
            answer = self.session.request(
                method, url, data=data, headers=headers, auth=auth,
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
            return response, answer.headers.get("Location", "")
        return response, None

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

def _one_object_write(request: Request) -> bool:
    """A write of one named object (not a list, not a batch, not a file upload)."""
    if request.method in _READS or request.method == "POST":
        return False
    return not isinstance(request.body, StreamBody) and idempotent(
        Request("DELETE", request.path))  # True exactly when the path names one object


def _please_retry(response: Response) -> bool:
    """Kinto's 409 after a storage conflict (PostgreSQL, concurrent writers): the transaction
    was rolled back, and the answer says to retry (errno 122 with ``Retry-After``)."""
    body = response.json_or_none()
    return (response.status == 409 and "Retry-After" in response.headers
            and isinstance(body, dict) and body.get("errno") == 122)


def _nothing_applied(response: Response) -> bool:
    """An error answer proving the request was not applied: 429 (refused before), Kinto's own
    503 (errno 201: the backend failed, the transaction rolled back), its "please retry"."""
    body = response.json_or_none()
    errno = body.get("errno") if isinstance(body, dict) else None
    return response.status == 429 or (response.status == 503 and errno == 201) \
        or _please_retry(response)


def _from_kinto(response: Response) -> bool:
    """Whether an error answer is Kinto's own (its JSON with an errno), not a gateway's."""
    body = response.json_or_none()
    return isinstance(body, dict) and isinstance(body.get("errno"), int)
