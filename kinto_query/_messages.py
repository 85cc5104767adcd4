"""Requests and responses as values: what the package sends and what it gets back."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from .exceptions import InvalidResponse

__all__ = ["Request", "Response", "if_match"]


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
            return json.loads(self.content)
        except ValueError:
            kind = self.headers.get("Content-Type", "no content type").split(";")[0]
            raise InvalidResponse(
                f"{self.request.method} {self.url} -> {self.status}: expected JSON, got "
                f"{kind} ({len(self.content)} bytes)"
            ) from None

    def json_or_none(self) -> Any:
        """The JSON body, or None when there is none (a HEAD, an HTML error page)."""
        try:
            return json.loads(self.content) if self.content else None
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
