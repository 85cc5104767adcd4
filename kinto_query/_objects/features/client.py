"""The client features not yet async: the requests session and auth, flush."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests

from ..._wire.plugins import flush as flush_server
from .._blocking.batch import chunk_size_of

if TYPE_CHECKING:
    from ..._wire._blocking.transport import Transport

__all__ = ["AsyncClientFeatures", "ClientFeatures"]


class AsyncClientFeatures:
    """Not yet async: ``flush()``, ``capabilities``, ``batch_max_requests``: only the sync
    ``Client`` has them for now."""


class ClientFeatures:
    """The sync-only methods of ``Client`` (see ``AsyncClientFeatures``)."""

    transport: Transport

    if TYPE_CHECKING:
        def server_info(self) -> dict[str, Any]: ...

    @property
    def session(self) -> requests.Session:
        """The requests session every request goes through."""
        return self.transport.session

    @property
    def batch_max_requests(self) -> int:
        """How many requests one batch may hold (Kinto's default 25 when none is advertised)."""
        return chunk_size_of(self.transport)

    @property
    def capabilities(self) -> dict[str, Any]:
        """The server's plugins and features, by name."""
        capabilities: dict[str, Any] = self.server_info().get("capabilities", {})
        return capabilities

    # -- server-wide endpoints (plugins) -------------------------------------------------------

    def flush(self) -> None:
        """Delete everything on the server (``POST /__flush__``): for test servers only.

        Raises ``NotEnabled`` where the flush plugin is off (as it should be in production).
        """
        flush_server(self.transport)
