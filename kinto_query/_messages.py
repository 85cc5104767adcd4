"""Requests and responses as values: what the package sends and what it gets back."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any

from ._json import loads
from .exceptions import InvalidResponse

__all__ = ["AsyncStreamedResponse", "Request", "Response", "StreamBody", "StreamedResponse",
           "if_match"]


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
            return loads(self.content)
        except ValueError:
            kind = self.headers.get("Content-Type", "no content type").split(";")[0]
            raise InvalidResponse(
                f"{self.request.method} {self.url} -> {self.status}: expected JSON, got "
                f"{kind} ({len(self.content)} bytes)"
            ) from None

    def json_or_none(self) -> Any:
        """The JSON body, or None when there is none (a HEAD, an HTML error page)."""
        try:
            return loads(self.content) if self.content else None
        except ValueError:
            return None

    def json_object(self) -> dict[str, Any]:
        """The body of an answer about one object (``{"data": {...}, ...}``), checked."""
        body = self.json()
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise InvalidResponse(
                f"{self.request.method} {self.url} -> {self.status}: no 'data' object in the answer"
            )
        return body

    def data(self) -> Any:
        """The ``data`` member of a JSON-object body, or ``InvalidResponse``."""
        body = self.json()
        if not isinstance(body, dict) or "data" not in body:
            raise InvalidResponse(
                f"{self.request.method} {self.url} -> {self.status}: the answer has no 'data'"
            )
        return body["data"]


@dataclasses.dataclass(frozen=True)
class StreamBody:
    """A request body sent as it is read (a file upload), never held whole in memory.

    ``chunks()`` starts its bytes afresh; ``length`` is its size in bytes when known (sent as
    ``Content-Length``), else it goes out chunked. ``Request(method, path, StreamBody(...))``
    is never retried: what it reads from may not be readable twice.
    """

    content_type: str
    chunks: Callable[[], Iterator[bytes]]
    length: int | None = None

    def open(self) -> Iterable[bytes]:
        """Its bytes as requests sends them: sized (``Content-Length``) when the length is known."""
        chunks = self.chunks()
        return chunks if self.length is None else _Sized(chunks, self.length)


class _Sized:
    """An iterable with a length: requests sends it with ``Content-Length``, not chunked."""

    def __init__(self, chunks: Iterator[bytes], length: int) -> None:
        self._chunks = chunks
        self._length = length

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def __len__(self) -> int:
        return self._length


@dataclasses.dataclass(frozen=True, eq=False)
class StreamedResponse(Response):
    """A success answer whose body is read as it comes (``Transport.send(..., stream=True)``).

    ``content`` is empty; ``iter_bytes()`` yields the body once, as sent (a ``Content-Encoding``
    is not undone), and raises ``KintoConnectionError`` if the transfer breaks. Close it (or
    use it as a context manager) when done, read whole or not.
    """

    chunks: Iterator[bytes] = dataclasses.field(default_factory=lambda: iter(()), repr=False)
    closer: Callable[[], None] = dataclasses.field(default=lambda: None, repr=False)

    def iter_bytes(self) -> Iterator[bytes]:
        """The body's bytes, in pieces of at most 64 KiB, as they arrive."""
        return self.chunks

    def close(self) -> None:
        """Release the connection (what was not read is dropped)."""
        self.closer()

    def __enter__(self) -> StreamedResponse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclasses.dataclass(frozen=True, eq=False)
class AsyncStreamedResponse(Response):
    """``StreamedResponse`` on the async side: ``async for piece in response.iter_bytes()``,
    then ``await response.aclose()`` (or ``async with response:``)."""

    # Defaults only because Response's fields have some; the wire always gives both.
    achunks: AsyncIterator[bytes] | None = dataclasses.field(default=None, repr=False)
    closer: Callable[[], Awaitable[None]] | None = dataclasses.field(default=None, repr=False)

    def iter_bytes(self) -> AsyncIterator[bytes]:
        """The body's bytes, in pieces of at most 64 KiB, as they arrive."""
        assert self.achunks is not None
        return self.achunks

    async def aclose(self) -> None:
        """Release the connection (what was not read is dropped)."""
        if self.closer is not None:
            await self.closer()

    async def __aenter__(self) -> AsyncStreamedResponse:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
