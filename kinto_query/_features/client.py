"""The client features not yet async: the requests session and auth, permissions,
accounts, whoami, flush."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests

from .._accounts import Accounts, Identity
from .._accounts import whoami as ask_whoami
from .._batch import chunk_size_of
from .._grants import GrantQuery
from .._plugins import flush as flush_server

if TYPE_CHECKING:
    from .._transport import Transport

__all__ = ["AsyncClientFeatures", "ClientFeatures"]


class AsyncClientFeatures:
    """Not yet async: ``permissions()``,
    ``accounts``, ``whoami()``, ``flush()``, ``capabilities``, ``batch_max_requests``: only the
    sync ``Client`` has them for now."""


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

    def permissions(self) -> GrantQuery:
        """The lazy query of what you may do where (``GET /permissions``, every page).

        >>> Client().permissions().filter(resource_name="collection", bucket_id="b").url
        'http://localhost:8888/v1/permissions?resource_name=collection&bucket_id=b'
        """
        return GrantQuery.of_server(self.transport)

    @property
    def accounts(self) -> Accounts:
        """The server's accounts: ``client.accounts.create("ann", "s3cret")``."""
        return Accounts(self.transport)

    def whoami(self, *, expect_account: bool = False) -> Identity:
        """Who the server takes this client for (user id, principals), from ``GET /v1/``.

        Raises ``NotAuthenticated`` (an ``Unauthorized``) if credentials were given but the
        server authenticated nobody, and with ``expect_account=True`` if the Basic-auth user
        name was not authenticated as the account ``account:<name>``.
        """
        return ask_whoami(self.transport, expect_account=expect_account)

    def flush(self) -> None:
        """Delete everything on the server (``POST /__flush__``): for test servers only.

        Raises ``NotEnabled`` where the flush plugin is off (as it should be in production).
        """
        flush_server(self.transport)
