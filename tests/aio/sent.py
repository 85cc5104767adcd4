"""What an async client sends, as the sync tests' ``RequestLog`` sees it: an httpx client of
our own (``HttpxWire(client)``) whose request hook notes each request as it leaves."""

from __future__ import annotations

from typing import Any

import httpx

from kinto_query.aio import AsyncClient, AsyncTransport, HttpxWire

__all__ = ["LoggedClient", "log_of"]


class LoggedClient(AsyncClient):
    """An ``AsyncClient`` noting every request it sends: ``sent`` as (method, path and query
    below the server URL), ``requests`` as httpx sent them. ``async with`` closes its httpx
    client (injected, so the wire leaves it to us)."""

    def __init__(self, server_url: str, **options: Any) -> None:
        self.sent: list[tuple[str, str]] = []
        self.requests: list[httpx.Request] = []
        self._http = httpx.AsyncClient(event_hooks={"request": [self._note]},
                                       follow_redirects=False, trust_env=False)
        super().__init__(server_url, wire=HttpxWire(self._http), **options)

    async def _note(self, request: httpx.Request) -> None:
        self.requests.append(request)
        self.sent.append((request.method, str(request.url).replace(self.server_url, "")))

    def clear(self) -> None:
        self.sent.clear()
        self.requests.clear()

    async def aclose(self) -> None:
        await super().aclose()
        await self._http.aclose()


def log_of(sender: AsyncClient | AsyncTransport) -> list[tuple[str, str]]:
    """What ``sender`` (on a cassette: ``kinto_async_client``, ``kinto_async_transport``)
    sends from now on, as (method, path and query below its server URL), noted by a request
    hook on its httpx client: the same list whether the cassette records (the live server's
    URL) or replays (kinto.test)."""
    transport = sender if isinstance(sender, AsyncTransport) else sender.transport
    wire = transport.wire
    assert isinstance(wire, HttpxWire)
    sent: list[tuple[str, str]] = []
    server_url = transport.server_url

    async def note(request: httpx.Request) -> None:
        sent.append((request.method, str(request.url).replace(server_url, "")))

    wire.client.event_hooks["request"].append(note)
    return sent
