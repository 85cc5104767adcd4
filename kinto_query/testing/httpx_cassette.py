"""The httpx side of the recorder: an ``httpx.AsyncBaseTransport`` on a Recorder's cassette.

One cassette serves both sides. :class:`AsyncCassetteTransport` reads and writes the very
betamax cassette the requests side uses (``Recorder.cassette``): a request is matched by the
cassette's own matchers (method, then URL and body after scrubbing), an answer recorded from
the live server is stored by betamax's ``save_interaction`` and written by the same
serializer (scrubbing, placeholders, user id labels), and a request the cassette lacks fails
with the same :class:`~kinto_query.testing.CassetteMismatch` and message. So a
cassette recorded by a sync test replays in an async one, and the other way round.

To do so each httpx request is handed to the cassette as the ``requests.PreparedRequest``
requests would have sent (its URL normalised as requests normalises one), and each live
answer as the ``requests.Response`` requests would have built: the stored interaction is
then byte for byte what the requests side stores.

Needs the ``aio`` extra (httpx); use it through :meth:`Recorder.httpx_transport
<kinto_query.testing.Recorder.httpx_transport>` or ``Recorder.route_clients()``.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

if TYPE_CHECKING:
    from .recorder import Recorder

__all__ = ["AsyncCassetteTransport", "as_prepared"]


def as_prepared(request: httpx.Request) -> requests.PreparedRequest:
    """``request`` as the ``requests.PreparedRequest`` the cassette's matcher, serializer and
    mismatch messages read. Its body must have been read (``await request.aread()``)."""
    prepared = requests.PreparedRequest()
    prepared.method = request.method
    # requests' own normalisation (quoting, IDNA): the URL a cassette holds is the same
    # whichever side recorded it.
    prepared.prepare_url(str(request.url), None)
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    encoding = request.headers.encoding
    for raw_name, raw_value in request.headers.raw:  # raw: the names as sent, not lowercased
        name, value = raw_name.decode(encoding), raw_value.decode(encoding)
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    prepared.headers = headers
    prepared.body = request.content or None
    return prepared


class _Recorded(httpx.AsyncByteStream):
    """A recorded body, unread as a live one is (httpx reads a ``content=`` body at once, and
    a streamed read of it would then fail)."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.content


def _answer(interaction: Any, request: httpx.Request) -> httpx.Response:
    """The httpx response for a recorded interaction, read by betamax as the requests side
    reads it (so both sides see one answer: same status, headers and bytes)."""
    recorded: requests.Response = interaction.as_response()
    content = recorded.raw.read(decode_content=False)  # as stored: httpx decodes it itself
    return httpx.Response(
        recorded.status_code,
        headers=list(recorded.raw.headers.items()),
        stream=_Recorded(content),
        request=request,
        extensions={"reason_phrase": (recorded.reason or "").encode("ascii", "replace"),
                    "http_version": b"HTTP/1.1"},
    )


class AsyncCassetteTransport(httpx.AsyncBaseTransport):
    """Answers from ``recorder``'s cassette; while it records, a request the cassette lacks
    goes to the live server (the request's own URL) and its answer is added to the cassette.

    ``httpx.AsyncClient(transport=recorder.httpx_transport())``. Requests in flight at once
    are fine: the cassette is touched only between awaits, under the recorder's lock.
    """

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        # Builds the requests.Response of a live answer as requests' own adapter does.
        self._responses = HTTPAdapter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()  # a streamed upload too: matched and recorded by its bytes
        prepared = as_prepared(request)
        cassette = self.recorder.cassette
        with self.recorder.lock:
            interaction = cassette.find_match(prepared)
            recording = cassette.is_recording()
        if interaction is None:
            if not recording:
                raise self.recorder.mismatch(prepared)
            live = await self._send_live(request, prepared)
            with self.recorder.lock:
                before = len(cassette.interactions)
                interaction = cassette.save_interaction(live, prepared)
                if len(cassette.interactions) > before:
                    # Just recorded: never replayed in its place later in the same test, as
                    # on the requests side.
                    interaction.used = True
        self.recorder.sent += 1
        return _answer(interaction, request)

    async def _send_live(
        self, request: httpx.Request, prepared: requests.PreparedRequest
    ) -> requests.Response:
        # A transport per request: a connection pool belongs to one event loop, and a
        # recorder may outlive one (each async test runs its own).
        async with httpx.AsyncHTTPTransport() as live:
            answer = await live.handle_async_request(request)
            try:
                # The bytes as they came (still compressed, if they were), as requests
                # records them.
                body = b"".join([chunk async for chunk in answer.aiter_raw()])
            finally:
                await answer.aclose()
        headers = urllib3.HTTPHeaderDict()
        for raw_name, raw_value in answer.headers.raw:
            headers.add(raw_name.decode("latin-1"), raw_value.decode("latin-1"))
        reason = answer.extensions.get("reason_phrase", b"").decode("ascii", "replace")
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(body), headers=headers, status=answer.status_code,
            reason=reason or httpx.codes.get_reason_phrase(answer.status_code),
            preload_content=False, decode_content=False,
        )
        return self._responses.build_response(prepared, raw)
