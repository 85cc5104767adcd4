"""Every error kinto_query raises, in one hierarchy.

::

    KintoError
    ├── HTTPError                  the server answered with an error status
    │   ├── BadRequest             400 (invalid id, filter, body...)
    │   ├── Unauthorized           401 (missing or wrong credentials)
    │   ├── Forbidden              403 (also: a bucket that does not exist)
    │   ├── NotFound               404
    │   ├── Conflict               409
    │   ├── PreconditionFailed     412 (.existing: the server's current version)
    │   │   └── AlreadyExists      412 on a create that must not overwrite
    │   ├── TooManyRequests        429 (.retry_after)
    │   └── ServerError            5xx (.retry_after)
    ├── KintoConnectionError       no answer: refused, DNS, timeout (wraps requests' error)
    ├── UnsafeURL                  the server pointed us to another origin
    ├── BatchError                 some items of a bulk write failed (.report)
    ├── InvalidQuery (ValueError)  a query that cannot be expressed, caught before sending
    └── InvalidId (ValueError)     an id Kinto would refuse, caught before sending

``raise_for_response`` is the one place that maps a response to one of these.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

if TYPE_CHECKING:
    from ._batch import BatchReport

__all__ = [
    "AlreadyExists",
    "BadRequest",
    "BatchError",
    "Conflict",
    "Forbidden",
    "HTTPError",
    "InvalidId",
    "InvalidQuery",
    "KintoConnectionError",
    "KintoError",
    "NotFound",
    "PreconditionFailed",
    "ServerError",
    "TooManyRequests",
    "Unauthorized",
    "UnsafeURL",
    "raise_for_response",
]


class KintoError(Exception):
    """Base class of every kinto_query error."""


class InvalidQuery(KintoError, ValueError):
    """A query or argument that Kinto cannot express; nothing was sent."""


class InvalidId(KintoError, ValueError):
    """An id that Kinto would refuse; nothing was sent."""


class UnsafeURL(KintoError):
    """The server pointed us to a URL outside the configured server; not followed."""


class KintoConnectionError(KintoError):
    """The server could not be reached or did not answer in time."""

    def __init__(self, message: str, *, method: str, url: str, cause: Exception) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.cause = cause


class HTTPError(KintoError):
    """The server answered with an error status.

    ``str(error)`` reads like
    ``GET /v1/buckets/b/collections/c -> 404 Not Found: collection 'c' not found (errno 111)``.
    """

    def __init__(self, response: requests.Response, body: dict[str, Any] | None) -> None:
        self.response = response
        self.status: int = response.status_code
        self.method: str = response.request.method or "GET"
        self.url: str = response.request.url or response.url
        body = body or {}
        errno = body.get("errno")
        self.errno: int | None = errno if isinstance(errno, int) else None
        self.details: Any = body.get("details")
        self.info: str | None = body.get("info")
        self.message: str = _message_for(self.status, body, response)
        super().__init__(str(self))

    @property
    def request(self) -> requests.PreparedRequest:
        """The request that got this answer (its Authorization header included: do not log it)."""
        return self.response.request

    @property
    def retry_after(self) -> int | None:
        """Seconds the server asked us to wait (``Retry-After``), if it said."""
        value = self.response.headers.get("Retry-After", "")
        return int(value) if value.isdigit() else None

    def __str__(self) -> str:
        parts = urlsplit(self.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        reason = self.response.reason or ""
        text = f"{self.method} {target} -> {self.status} {reason}".rstrip()
        if self.message:
            text += f": {self.message}"
        if self.errno is not None:
            text += f" (errno {self.errno})"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions are pickled by their args by default, which would lose the response.
        return (Exception.__new__, (type(self),), self.__dict__)


class BadRequest(HTTPError):
    """400: the server refused the request (invalid id, filter or body)."""


class Unauthorized(HTTPError):
    """401: credentials are missing or wrong."""


class Forbidden(HTTPError):
    """403: not allowed, or (for a bucket) the bucket does not exist."""


class NotFound(HTTPError):
    """404: no such collection, group or record."""


class Conflict(HTTPError):
    """409: a concurrent write conflicted; the request may be retried."""


class PreconditionFailed(HTTPError):
    """412: the object changed (or exists) on the server; ``.existing`` is its current version."""

    @property
    def existing(self) -> dict[str, Any] | None:
        """The server's current version of the object, if it sent one."""
        if isinstance(self.details, dict):
            existing = self.details.get("existing")
            if isinstance(existing, dict):
                return existing
        return None


class AlreadyExists(PreconditionFailed):
    """412 on a create-only write (``If-None-Match: *``): the object already exists."""


class TooManyRequests(HTTPError):
    """429: slow down, see ``.retry_after``."""


class ServerError(HTTPError):
    """5xx: the server (or a proxy before it) failed."""


class BatchError(KintoError):
    """Some items of a bulk write were not applied; ``.report`` says which and why."""

    def __init__(self, report: BatchReport) -> None:
        self.report = report
        super().__init__(report.summary())


_BY_STATUS: dict[int, type[HTTPError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    429: TooManyRequests,
}

_FORBIDDEN_HINT = (
    "Kinto answers 403 both when you may not access an object and when a bucket does not exist"
)


def _message_for(status: int, body: dict[str, Any], response: requests.Response) -> str:
    message = body.get("message")
    details = body.get("details")
    if status == 404 and isinstance(details, dict) and "resource_name" in details:
        # Kinto's 404s carry no message, only which object was missing.
        return f"{details['resource_name']} {details.get('id')!r} not found"
    if isinstance(details, list) and details and isinstance(details[0], dict):
        # 400s put the useful part in details: [{location, name, description}].
        first = details[0]
        where = ".".join(str(first[k]) for k in ("location", "name") if first.get(k))
        described = f"{where}: {first.get('description')}" if where else str(first)
        if message and str(first.get("description")) in message:
            return str(message)
        return f"{message} ({described})" if message else described
    if status == 403:
        return f"{message or 'forbidden'} ({_FORBIDDEN_HINT})"
    if isinstance(message, str) and message:
        return message
    if not body:
        # Not Kinto's JSON (a proxy's HTML page, an empty 502): say what came back.
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        size = len(response.content)
        return f"non-JSON answer ({kind}, {size} bytes)" if size else "empty answer"
    return ""


def _json_body(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def raise_for_response(response: requests.Response) -> None:
    """Raise the error matching an error response; do nothing for a success."""
    if response.status_code < 400:
        return
    cls = _BY_STATUS.get(response.status_code)
    if cls is None:
        cls = ServerError if response.status_code >= 500 else HTTPError
    if cls is PreconditionFailed and response.request.headers.get("If-None-Match") == "*":
        cls = AlreadyExists
    raise cls(response, _json_body(response))
