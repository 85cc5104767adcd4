"""The wire: what differs between the sync and the async side, and nothing else.

A transport (``kinto_query._wire._async.transport``, and the sync one generated from it) decides
what to send, to whom, with which credentials, what to retry and how to read an answer; a
wire only carries one exchange over HTTP and sleeps. The sync wire is ``requests`` (so
betamax, users' sessions and adapters keep working); the async one is ``httpx``. A user can
plug a wire of their own (``Client(..., wire=...)``, ``AsyncClient(..., wire=...)``): any
object with the methods of ``Wire`` (or ``AsyncWire``), e.g. one answering from memory in a
unit test that runs without a server.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import inspect
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Iterator
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar, runtime_checkable

import requests
import urllib3
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict

from .._messages import AsyncStreamedResponse, Request, Response, StreamBody, StreamedResponse
from ..exceptions import KintoConnectionError

if TYPE_CHECKING:
    import httpx

    from .._config import Config, Timeout
    from .._retry import RetryPolicy

__all__ = [
    "AsyncOutcome",
    "AsyncWire",
    "HttpxWire",
    "Outcome",
    "Outgoing",
    "RequestsWire",
    "Wire",
    "async_wire_for",
    "new_httpx_client",
    "wire_for",
]

_CHUNK = 1 << 16

T = TypeVar("T")
# What an I/O function gives, in the generated code's type hints: awaited on the async side
# (``AsyncOutcome[T]``), the value itself on the sync side (``Outcome[T]`` is just ``T``).
AsyncOutcome = Awaitable[T]
Outcome = Annotated[T, "the value itself (sync side)"]
# Never sent to another origin than the server's, whatever the request or the session holds.
PRIVATE_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """One exchange as the transport decided it: what a wire sends, and how to fail.

    ``trusted`` False: the URL is not the server's, so no credentials go with it (neither
    ``auth`` nor anything the session or client holds). ``limit`` is the ``time.monotonic()``
    by which the whole answer must be in (the attempt's deadline).
    """

    request: Request
    url: str
    headers: dict[str, str]
    body: bytes | StreamBody | None
    auth: AuthBase | None
    trusted: bool
    stream: bool
    timeout: Timeout
    deadline: float
    limit: float
    server_url: str

    def failure(self, error: Exception, *, never_sent: bool = False,
                deadline_passed: bool = False, timed_out: bool = False,
                kind: str | None = None) -> KintoConnectionError:
        """The ``KintoConnectionError`` of this exchange, worded the same on both sides:
        ``kind`` names the failure as requests does (``ConnectionError``, ``ReadTimeout``...)
        when ``error``'s own class is another library's (httpx's ``ReadError``)."""
        method, url = self.request.method, self.url
        kind = kind or type(error).__name__
        if deadline_passed:
            text = f"{method} {url}: no complete answer within the {self.deadline} s deadline"
        elif timed_out:
            text = f"{method} {url}: no answer within {self.timeout} s ({kind})"
        else:
            text = f"{method} {url}: cannot reach the server at {self.server_url} ({kind})"
        return KintoConnectionError(text, method=method, url=url, cause=error,
                                    never_sent=never_sent)

    def response(self, status: int, reason: str, headers: Any, url: str | None) -> dict[str, Any]:
        """The fields every ``Response`` of this exchange shares."""
        return {"request": self.request, "url": url or self.url, "status": status,
                "reason": reason or "", "headers": CaseInsensitiveDict(headers)}


@runtime_checkable
class Wire(Protocol):
    """What the sync transport needs of a wire."""

    agent: str  # e.g. "requests/2.32.3", said in User-Agent

    def exchange(self, out: Outgoing) -> Response:
        """Send ``out`` and return its answer, read whole within ``out.limit`` (or, for a
        success with ``out.stream``, a ``StreamedResponse``); never follow a redirect. A
        failure to exchange raises ``out.failure(...)``."""

    def sleep(self, policy: RetryPolicy | None, seconds: float) -> None:
        """Wait (between retries, while the server asks to back off)."""

    def has_credentials(self) -> bool:
        """Whether the wire adds credentials of its own (a session's auth)."""

    def close(self) -> None:
        """Release the wire's connections, if they are its own."""


@runtime_checkable
class AsyncWire(Protocol):
    """What the async transport needs of a wire: ``Wire``'s methods, awaitable."""

    agent: str

    async def exchange(self, out: Outgoing) -> Response:
        """As ``Wire.exchange``; a streamed success is an ``AsyncStreamedResponse``."""

    async def sleep(self, policy: RetryPolicy | None, seconds: float) -> None:
        """As ``Wire.sleep``, without blocking the event loop."""

    def has_credentials(self) -> bool:
        """As ``Wire.has_credentials``."""

    async def aclose(self) -> None:
        """As ``Wire.close``."""


# -- sync: requests ----------------------------------------------------------------------------


class _NoCredentials(AuthBase):
    """The auth of a request to another origin: none, whatever the session or netrc has."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        for name in PRIVATE_HEADERS:
            request.headers.pop(name, None)
        return request

    def __repr__(self) -> str:
        return "<no credentials>"


class _DeadlinePassed(requests.Timeout):
    """An answer still coming in when the attempt's deadline passed."""


def _never_sent(error: requests.RequestException) -> bool:
    """Whether the request surely did not reach the server (no connection was made)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


class RequestsWire:
    """The sync wire: a ``requests.Session`` (closed by ``close()`` only if ``owned``)."""

    agent = f"requests/{requests.__version__}"

    def __init__(self, session: requests.Session, *, owned: bool = False) -> None:
        self.session = session
        self.owned = owned

    def __repr__(self) -> str:
        return f"<RequestsWire {type(self.session).__name__}>"

    def exchange(self, out: Outgoing) -> Response:
        data: Any = out.body.open() if isinstance(out.body, StreamBody) else out.body
        auth = out.auth if out.trusted else _NoCredentials()
        method = out.request.method
        try:
            answer = self.session.request(
                method, out.url, data=data, headers=out.headers, auth=auth,
                timeout=out.timeout, allow_redirects=False, stream=True)
            streamed = out.stream and answer.status_code < 400 and not answer.is_redirect
            if not streamed:
                try:
                    content = b"".join(self._pieces(answer, out, decode=True))
                finally:
                    answer.close()
        except requests.RequestException as error:
            raise self._failure(out, error) from error
        parts = out.response(answer.status_code, answer.reason, answer.headers, answer.url)
        if streamed:
            return StreamedResponse(**parts, content=b"", chunks=self._stream(answer, out),
                                    closer=answer.close)
        return Response(**parts, content=content)

    @staticmethod
    def _failure(out: Outgoing, error: requests.RequestException) -> KintoConnectionError:
        return out.failure(error, never_sent=_never_sent(error),
                           deadline_passed=isinstance(error, _DeadlinePassed),
                           timed_out=isinstance(error, requests.Timeout))

    def _pieces(self, answer: requests.Response, out: Outgoing, *,
                decode: bool) -> Iterator[bytes]:
        # read1 returns whatever has arrived, so a body trickling in is checked against the
        # deadline as it comes; iter_content would block until a whole chunk is there.
        raw = answer.raw
        if isinstance(raw, urllib3.response.BaseHTTPResponse) and hasattr(raw, "read1"):
            pieces: Iterator[bytes] = iter(lambda: raw.read1(_CHUNK, decode_content=decode), b"")
        else:  # another adapter's body (a mock, a file): requests knows how to read it
            pieces = answer.iter_content(_CHUNK)
        try:
            for chunk in pieces:
                if time.monotonic() > out.limit:
                    raise _DeadlinePassed(f"the answer took more than {out.deadline} s in all")
                yield chunk
        except urllib3.exceptions.ReadTimeoutError as error:  # read1 bypasses requests'
            raise requests.ReadTimeout(error) from error  # wrapping: a body stalled, timed out
        except urllib3.exceptions.HTTPError as error:
            raise requests.ConnectionError(error) from error

    def _stream(self, answer: requests.Response, out: Outgoing) -> Iterator[bytes]:
        """A streamed body as sent (not decoded), its failures as ``KintoConnectionError``."""
        try:
            yield from self._pieces(answer, out, decode=False)
        except requests.RequestException as error:
            raise self._failure(out, error) from error
        finally:
            answer.close()

    def sleep(self, policy: RetryPolicy | None, seconds: float) -> None:
        (policy.sleep if policy is not None else time.sleep)(seconds)

    def has_credentials(self) -> bool:
        return self.session.auth is not None

    def close(self) -> None:
        if self.owned:
            self.session.close()


def wire_for(config: Config) -> Wire:
    """The sync wire of a configuration: its own ``wire``, else a requests session (the
    configured one, else a new one from ``session_factory``, closed with the transport)."""
    if config.wire is not None:
        if not isinstance(config.wire, Wire) or inspect.iscoroutinefunction(
                config.wire.exchange):
            raise TypeError("wire must be a sync wire (kinto_query.RequestsWire or an object "
                            "with its methods) for a Client; AsyncClient takes async wires")
        return config.wire
    if config.session is not None:
        return RequestsWire(config.session)
    assert config.session_factory is not None  # configure() fills it in
    return RequestsWire(config.session_factory(), owned=True)


# -- async: httpx ------------------------------------------------------------------------------


def new_httpx_client() -> httpx.AsyncClient:
    """The httpx client of an ``HttpxWire`` given none (the test kit routes it through a
    cassette while a test runs). No redirects followed, no environment proxies or netrc:
    the transport decides those, as the sync side does."""
    import httpx

    return httpx.AsyncClient(follow_redirects=False, trust_env=False)


def _httpx_timeout(timeout: Timeout) -> httpx.Timeout:
    import httpx

    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return httpx.Timeout(connect=connect, read=read, write=read, pool=None)


def _auth_headers(auth: AuthBase | None, out: Outgoing) -> dict[str, str]:
    """The headers a requests auth object adds: how the async side honours the same auth
    values (``("user", "pw")``, ``"Bearer x"``, a custom ``AuthBase`` that sets headers)."""
    if auth is None:
        return {}
    prepared = requests.Request(out.request.method, out.url, headers={}).prepare()
    prepared = auth(prepared)
    return {name: value for name, value in prepared.headers.items()
            if name.title() in PRIVATE_HEADERS and isinstance(value, str)}


class HttpxWire:
    """The async wire: an ``httpx.AsyncClient`` (by default a new one, closed by
    ``aclose()``; one given is the caller's to close)."""

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        import httpx

        self.owned = client is None
        self.client = client if client is not None else new_httpx_client()
        self.agent = f"httpx/{httpx.__version__}"

    def __repr__(self) -> str:
        return "<HttpxWire>"

    async def exchange(self, out: Outgoing) -> Response:
        import httpx

        headers = dict(out.headers)
        if out.trusted:
            headers.update(_auth_headers(out.auth, out))
        content: Any = out.body
        upload: AsyncGenerator[bytes, None] | None = None
        if isinstance(out.body, StreamBody):
            content = upload = _file_chunks(out.body.chunks())
            if out.body.length is not None:
                headers["Content-Length"] = str(out.body.length)
        request = self.client.build_request(out.request.method, out.url, headers=headers,
                                            content=content, timeout=_httpx_timeout(out.timeout))
        if not out.trusted:  # what the client itself adds (its headers, its cookies) stays home
            for name in PRIVATE_HEADERS:
                request.headers.pop(name, None)
        # The client's own auth (``httpx.AsyncClient(auth=...)``) goes to the server's origin
        # when the transport has none, as a requests session's does; never elsewhere.
        auth: Any = httpx.USE_CLIENT_DEFAULT if out.trusted and out.auth is None else None
        try:
            answer = await self.client.send(request, stream=True, auth=auth,
                                            follow_redirects=False)
        except httpx.RequestError as error:
            raise self._failure(out, error) from error
        finally:
            # Sent whole, failed or cancelled: what it read from is closed now (its file
            # among them), not whenever the garbage collector gets to the generator.
            if upload is not None:
                await upload.aclose()
        streamed = out.stream and answer.status_code < 400 and not answer.is_redirect
        parts = out.response(answer.status_code, answer.reason_phrase, _joined(answer.headers),
                             str(answer.url))
        if streamed:
            chunks = self._stream(answer, out)
            return AsyncStreamedResponse(**parts, content=b"", achunks=chunks,
                                         closer=functools.partial(_close, chunks, answer))
        try:
            body = b"".join([chunk async for chunk in self._pieces(answer, out, decode=True)])
        except (httpx.RequestError, _DeadlineError) as error:
            raise self._failure(out, error) from error
        finally:
            await answer.aclose()
        return Response(**parts, content=body)

    @staticmethod
    def _failure(out: Outgoing, error: Exception) -> KintoConnectionError:
        import httpx

        timed_out = isinstance(error, httpx.TimeoutException)
        # Named as requests names the same failure, for one message on both sides.
        kind = "ConnectionError"
        if isinstance(error, httpx.ConnectTimeout):
            kind = "ConnectTimeout"
        elif timed_out:
            kind = "ReadTimeout"
        return out.failure(error, never_sent=isinstance(error, (httpx.ConnectError,
                                                                httpx.ConnectTimeout)),
                           deadline_passed=isinstance(error, _DeadlineError),
                           timed_out=timed_out, kind=kind)

    async def _pieces(self, answer: httpx.Response, out: Outgoing, *,
                      decode: bool) -> AsyncIterator[bytes]:
        # Without a chunk size httpx gives each piece as it arrives (at most what one read
        # gives, 64 KiB): with one it would hold pieces back until 64 KiB are in, so a body
        # trickling in would pass the deadline unchecked (and a stream would stall).
        pieces = answer.aiter_bytes() if decode else answer.aiter_raw()
        try:
            async for chunk in pieces:
                if time.monotonic() > out.limit:
                    raise _DeadlineError(f"the answer took more than {out.deadline} s in all")
                yield chunk
        finally:  # left early (a stream closed half read): finished now, not by the GC
            await _finish(pieces)

    async def _stream(self, answer: httpx.Response, out: Outgoing) -> AsyncIterator[bytes]:
        import httpx

        pieces = self._pieces(answer, out, decode=False)
        try:
            async for chunk in pieces:
                yield chunk
        except (httpx.RequestError, _DeadlineError) as error:
            raise self._failure(out, error) from error
        finally:
            await _finish(pieces)
            await answer.aclose()

    async def sleep(self, policy: RetryPolicy | None, seconds: float) -> None:
        custom = policy.sleep if policy is not None and policy.sleep is not time.sleep else None
        if custom is None:
            await asyncio.sleep(seconds)
            return
        outcome: Any = custom(seconds)  # a policy's own sleep (tests: no waiting), maybe async
        if inspect.isawaitable(outcome):
            await outcome

    def has_credentials(self) -> bool:
        return self.client.auth is not None

    async def aclose(self) -> None:
        if self.owned:
            await self.client.aclose()


class _DeadlineError(Exception):
    """An async answer still coming in when the attempt's deadline passed."""


async def _finish(chunks: AsyncIterator[bytes]) -> None:
    """Finish an async generator left early (``async for`` does not): now, in this task, not
    later by the garbage collector's hook in a task of its own (or never, if the loop ends)."""
    aclose = getattr(chunks, "aclose", None)
    if aclose is None:
        return
    with contextlib.suppress(RuntimeError):  # being read by another task: it finishes there
        await aclose()


async def _close(chunks: AsyncIterator[bytes], answer: httpx.Response) -> None:
    """Close a streamed answer: its connection released and its pieces' generator finished."""
    try:
        await _finish(chunks)
    finally:
        await answer.aclose()


def _joined(headers: httpx.Headers) -> dict[str, str]:
    # requests joins a repeated header with ", "; so do we, for one Response on both sides.
    # The names as the server spelled them (``raw``; httpx's own items are lowercased).
    joined: dict[str, str] = {}
    lower: dict[str, str] = {}  # a name as first seen, by its lowercase
    for raw_name, raw_value in headers.raw:
        name, value = raw_name.decode(headers.encoding), raw_value.decode(headers.encoding)
        name = lower.setdefault(name.lower(), name)
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined


async def _file_chunks(chunks: Iterator[bytes]) -> AsyncGenerator[bytes, None]:
    # The file is read in pieces as it is sent (never whole in memory); reading a local file
    # is quick enough not to need a thread.
    try:
        for chunk in chunks:
            yield chunk
    finally:
        close = getattr(chunks, "close", None)  # a generator's: its own cleanup runs now
        if close is not None:
            close()


def async_wire_for(config: Config) -> AsyncWire:
    """The async wire of a configuration: its own ``wire``, else a new ``HttpxWire``."""
    if config.session is not None:
        raise TypeError("session= is a requests session, for Client; give AsyncClient "
                        "wire=HttpxWire(httpx.AsyncClient(...)) to bring your own client")
    if config.wire is not None:
        if not isinstance(config.wire, AsyncWire) or not inspect.iscoroutinefunction(
                config.wire.exchange):
            raise TypeError("wire must be an async wire (kinto_query.aio.HttpxWire or an "
                            "object with its methods) for an AsyncClient")
        return config.wire
    return HttpxWire()
