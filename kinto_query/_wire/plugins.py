"""What a server's optional parts need: the error when one is off, and the flush endpoint.

Kinto answers 404 (errno 111, "could not be found") for an endpoint whose plugin is not in
``kinto.includes``, the same answer as for a missing object. The endpoints below have no
object in their path that could be missing (ids are checked before sending), so there a 404
means the part is off, and ``requires`` says so with ``NotEnabled``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .._endpoints import endpoint_path
from .._messages import Request
from ..exceptions import NotEnabled, NotFound

if TYPE_CHECKING:
    from ._blocking.transport import Transport

__all__ = ["ACCOUNTS", "FLUSH", "HISTORY", "PERMISSIONS_ENDPOINT", "flush", "requires"]

# (what it is, what turns it on), as NotEnabled words them.
FLUSH = ("flush endpoint", "kinto.plugins.flush in kinto.includes")
HISTORY = ("history plugin", "kinto.plugins.history in kinto.includes")
PERMISSIONS_ENDPOINT = ("permissions endpoint", "kinto.experimental_permissions_endpoint = true")
ACCOUNTS = ("accounts plugin", "kinto.plugins.accounts in kinto.includes")
ATTACHMENTS = ("kinto-attachment plugin", "kinto_attachment in kinto.includes")
# Kinto's errno for a URL no view answers; a missing object is told by its ``details``
# (``{id, resource_name}``), with errno 110, or 111 from kinto-attachment.
_NO_SUCH_ROUTE = 111


@contextmanager
def requires(part: tuple[str, str]) -> Iterator[None]:
    """Turn a 404 raised inside into ``NotEnabled`` naming ``part``."""
    try:
        yield
    except NotEnabled:
        raise
    except NotFound as error:
        body = error.response.json_or_none()
        if isinstance(body, dict) and (
            body.get("errno", _NO_SUCH_ROUTE) != _NO_SUCH_ROUTE or "details" in body
        ):
            raise  # an object that is missing, not an endpoint
        feature, setting = part
        raise NotEnabled(
            error.response, body if isinstance(body, dict) else None,
            feature=feature, setting=setting,
        ) from None


def flush(transport: Transport) -> None:
    """``POST /__flush__``: delete everything on the server, or ``NotEnabled``."""
    with requires(FLUSH):
        transport.send(Request("POST", endpoint_path("flush")))
