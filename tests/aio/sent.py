"""What an async client sends, as the sync tests' ``RequestLog`` sees it: an httpx client of
our own (``HttpxWire(client)``) whose request hook notes each request as it leaves."""

from __future__ import annotations

from typing import Any

import httpx

from kinto_query.aio import AsyncClient, HttpxWire

__all__ = ["LoggedClient"]


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
