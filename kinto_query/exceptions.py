"""Every error kinto_query raises, in one hierarchy.

::

    KintoError
    ├── HTTPError                  the server answered with an error status
    │   ├── BadRequest             400 (invalid id, filter, body...)
    │   ├── Unauthorized           401 (missing or wrong credentials)
    │   │   └── NotAuthenticated   sent credentials authenticated nobody (or another user)
    │   ├── Forbidden              403 (also: a bucket that does not exist)
    │   ├── NotFound               404
    │   │   └── NotEnabled         404 from an endpoint the server has turned off (a plugin)
    │   ├── Conflict               409
    │   ├── PreconditionFailed     412 (.existing: the server's current version)
    │   │   ├── AlreadyExists      412 on a create that must not overwrite
    │   │   └── ReviewConflict     a review step on a collection changed since read
    │   ├── TooManyRequests        429 (.retry_after)
    │   └── ServerError            5xx (.retry_after)
    ├── IncompleteScan             a scan stopped midway (.resume_token, .cause)
    ├── Overwritten                save(verify=True) found its write already replaced
    ├── InvalidResponse            a success answer that is not what Kinto sends
    │   └── HashMismatch           a downloaded attachment is not the file recorded
    ├── BackoffRequested           the server asked to back off, and the client raises then
    ├── NotLoaded                  an async object read before ``await obj.load()``
    ├── KintoConnectionError       no answer: refused, DNS, timeout (wraps requests' error)
    ├── OutcomeUnknown             a write's answer was lost and reading it back failed too
    ├── UnsafeURL                  the server pointed us to another origin
    │   └── TooManyRedirects       a read's redirects loop or do not end
    ├── InvalidSignature           a Remote Settings signature did not verify (.check)
    ├── ReviewError                the review-and-sign workflow (kinto-signer) refused a step
    │   ├── ReviewForbidden        not allowed to take this step (not in the group)
    │   │   └── LastEditorCannotReview  the user who asked for the review cannot approve it
    │   ├── InvalidReviewStep      the step does not apply to the status (not under review...)
    │   ├── SigningNotEnabled      no signer on this server, or not for this collection
    │   └── SignerOwned            a write to a destination or preview, refused before sending
    ├── BatchError                 some items of a bulk write failed (.report)
    │   └── ReplicationError       a replication stopped midway (.report.timestamp resumes)
    ├── BatchNotSent (RuntimeError)  a batch's result asked for before the batch was sent
    ├── NoAttachment (LookupError)  the record has no file attached
    ├── ConfigurationError (ValueError)  the client is set up wrong (server_url without /v1)
    ├── InvalidQuery (ValueError)  a query that cannot be expressed, caught before sending
    ├── InvalidRecords (ValueError)  a list of records to sync: one without its key, or two with one
    ├── InvalidId (ValueError)     an id Kinto would refuse, caught before sending
    └── SchemaMismatch (TypeError)  records that fit no one Arrow schema (pass schema=)

``raise_for_response`` is the one place that maps a response to one of these; ``describe``
words a Kinto error body, for single requests and batch items alike. This module imports
nothing of the package: every layer may raise these.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from ._wording import already_exists, describe, object_named

if TYPE_CHECKING:
    from ._messages import Request, Response

__all__ = [
    "AlreadyExists",
    "BackoffRequested",
    "BadRequest",
    "BatchError",
    "BatchNotSent",
    "ConfigurationError",
    "Conflict",
    "Forbidden",
    "HTTPError",
    "HashMismatch",
    "IncompleteScan",
    "InvalidId",
    "InvalidQuery",
    "InvalidResponse",
    "InvalidReviewStep",
    "InvalidSignature",
    "KintoConnectionError",
    "KintoError",
    "LastEditorCannotReview",
    "NoAttachment",
    "NotAuthenticated",
    "NotEnabled",
    "NotFound",
    "NotLoaded",
    "OutcomeUnknown",
    "Overwritten",
    "PreconditionFailed",
    "ReplicationError",
    "ReviewConflict",
    "ReviewError",
    "ReviewForbidden",
    "SchemaMismatch",
    "ServerError",
    "SignerOwned",
    "SigningNotEnabled",
    "TooManyRedirects",
    "TooManyRequests",
    "Unauthorized",
    "UnsafeURL",
    "raise_for_response",
]


class KintoError(Exception):
    """Base class of every kinto_query error."""


def _rebuild(cls: type[KintoError], message: str, attributes: dict[str, Any]) -> KintoError:
    """Unpickle an error: its message and attributes, without calling ``__init__``."""
    error = Exception.__new__(cls)
    error.args = (message,)
    error.__dict__.update(attributes)
    return error


class InvalidQuery(KintoError, ValueError):
    """A query or argument that Kinto cannot express; nothing was sent."""


class InvalidRecords(KintoError, ValueError):
    """A list of records a collection cannot be made to hold: a record without its key (its
    id), or two records with the same; caught before any request is sent."""


class SchemaMismatch(KintoError, TypeError):
    """Records that do not fit one Arrow schema (``to_arrow()``, ``to_dask_dataframe()``):
    pass ``schema=`` to say each field's type."""


class InvalidId(KintoError, ValueError):
    """An id that Kinto would refuse; nothing was sent."""


class ConfigurationError(KintoError, ValueError):
    """The client is configured wrong (for example a server URL without ``/v1``)."""


class UnsafeURL(KintoError):
    """The server pointed us to a URL outside the configured server; not followed."""


class TooManyRedirects(UnsafeURL):
    """A read was redirected in a loop, or more times than a client should follow."""


class InvalidSignature(KintoError):
    """A Remote Settings changeset's signature did not verify: do not use its records.

    ``.check`` names what failed: ``"signature"`` (the records or timestamp differ from what
    was signed, or another key signed them), ``"mode"``, ``"records"``, ``"x5u"`` (no chain,
    or it could not be fetched), ``"chain"`` (a certificate not issued or signed by the
    next), ``"validity"`` (a certificate expired or not yet valid), ``"root"`` (the chain
    does not end at the pinned root), ``"subject"`` (the leaf is not for the expected signer).
    """

    def __init__(self, message: str, *, check: str) -> None:
        super().__init__(message)
        self.check = check

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), {"check": self.check}))


class ReviewError(KintoError):
    """The review-and-sign workflow of Remote Settings (kinto-signer) refused a step, or would.

    ``.collection`` is the path of the collection concerned, ``.review_status`` its status when
    known (``"to-review"``...), ``.cause`` the server's refusal (an ``HTTPError``) when it
    came from the server, None when caught before sending.
    """

    collection: str = ""
    review_status: str | None = None
    cause: HTTPError | None = None

    def __init__(self, message: str, *, collection: str = "", review_status: str | None = None,
                 cause: HTTPError | None = None) -> None:
        super().__init__(message)
        self.collection = collection
        self.review_status = review_status
        self.cause = cause

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


class ReviewForbidden(ReviewError):
    """The server does not let this user take this step (403): not in the editors or
    reviewers group the signer checks."""


class LastEditorCannotReview(ReviewForbidden):
    """Approving a review you asked for yourself (403, errno 121): another user must."""


class InvalidReviewStep(ReviewError):
    """The step does not apply to the collection's status: approving or declining what is
    not under review, approving what is signed, rolling back with nothing to roll back."""


class SigningNotEnabled(ReviewError):
    """The server signs nothing (no ``signer`` capability), or not this collection (not a
    workspace its signer lists): a review step would be an ordinary field, signing nothing."""


class SignerOwned(ReviewError):
    """A write aimed at a destination or preview collection, which the signer owns, refused
    before any request; ``.workspace`` is the path of the collection to write instead."""

    def __init__(self, message: str, *, collection: str, workspace: str) -> None:
        super().__init__(message, collection=collection)
        self.workspace = workspace


class BackoffRequested(KintoError):
    """The server asked clients to back off (``Backoff``) and the client was set to raise."""

    def __init__(self, message: str, *, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), {"seconds": self.seconds}))


class Overwritten(KintoError):
    """A save the server accepted was replaced by another write at once (``save(verify=True)``).

    ``.existing`` is the server's version now.
    """

    def __init__(self, path: str, existing: dict[str, Any]) -> None:
        kind, object_id, _ = object_named(path)
        data = existing.get("data") if isinstance(existing, dict) else None
        super().__init__(
            f"{kind} {object_id!r} was saved, then overwritten by another write at the same "
            f"moment (it now has last_modified {(data or {}).get('last_modified')})"
        )
        self.path = path
        self.existing = data

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


class IncompleteScan(KintoError):
    """A scan failed after handing out some results; ``.resume_token`` continues it.

    ``query.resume(error)`` (or ``query.resume(error.resume_token)``, a string that survives
    a restart) goes on with no result missing and none twice. ``.cause`` is the error that
    stopped it; ``.delivered`` how many results were handed out before.
    """

    def __init__(self, cause: KintoError, *, resume_token: str, delivered: int) -> None:
        super().__init__(
            f"the scan stopped after {delivered} result{'' if delivered == 1 else 's'}: {cause} "
            "(resume it with query.resume(error))"
        )
        self.cause = cause
        self.resume_token = resume_token
        self.delivered = delivered

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


class InvalidResponse(KintoError):
    """A success answer that is not what Kinto sends (not JSON, a field missing...)."""


class HashMismatch(InvalidResponse):
    """A downloaded attachment is not the file its record describes (size or SHA-256).

    Nothing is left at the target path. ``.expected`` / ``.received``: the SHA-256 hex digests;
    ``.expected_size`` / ``.size``: the byte counts.
    """

    def __init__(self, message: str, *, expected: str, received: str, expected_size: int,
                 size: int) -> None:
        super().__init__(message)
        self.expected = expected
        self.received = received
        self.expected_size = expected_size
        self.size = size

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


class NoAttachment(KintoError, LookupError):
    """The record has no file attached (kinto-attachment's ``attachment`` field is empty)."""


class NotLoaded(KintoError, RuntimeError):
    """An async object's data or permissions read before it was loaded: an attribute cannot
    await, so ``await obj.load()`` first (the sync objects fetch them on first use)."""


class KintoConnectionError(KintoError):
    """The server could not be reached or did not answer in time. ``never_sent`` is True
    when the request surely did not reach it (no connection could be made)."""

    def __init__(self, message: str, *, method: str, url: str, cause: Exception,
                 never_sent: bool = False) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.cause = cause
        self.never_sent = never_sent

    def __reduce__(self) -> tuple[Any, ...]:
        # requests' exceptions hold the prepared request, Authorization header included.
        cause = RuntimeError(f"{type(self.cause).__name__}: {self.cause}")
        return (_rebuild, (type(self), str(self),
                           {"method": self.method, "url": self.url, "cause": cause,
                            "never_sent": self.never_sent}))


class OutcomeUnknown(KintoError):
    """A write may or may not have been applied: its answer was lost (or unreadable) and the
    object could not be read back to tell. ``.request`` is what was sent (read the object,
    then send it again if it is not there); ``.cause`` the error of the last read-back.
    """

    def __init__(self, request: Request, cause: Exception) -> None:
        super().__init__(
            f"{request.method} {urlsplit(request.path).path}: the outcome is unknown: the answer "
            f"was lost and reading the object back failed too ({cause}); read it back, and "
            "send the write again if it is not there"
        )
        self.request = request
        self.cause = cause

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled without the body, which may hold a secret (an account's password).
        request = dataclasses.replace(self.request, body=None)
        cause = RuntimeError(f"{type(self.cause).__name__}: {self.cause}")
        return (_rebuild, (type(self), str(self), {"request": request, "cause": cause}))


class HTTPError(KintoError):
    """The server answered with an error status.

    ``str(error)`` reads like
    ``GET /v1/buckets/b/collections/c -> 404 Not Found: collection 'c' not found (errno 111)``.
    """

    def __init__(self, response: Response, body: Mapping[str, Any] | None) -> None:
        self.response = response
        self.status: int = response.status
        self.method: str = response.request.method
        self.url: str = response.url
        body = body or {}
        errno = body.get("errno")
        self.errno: int | None = errno if isinstance(errno, int) else None
        self.details: Any = body.get("details")
        self.info: str | None = body.get("info")
        self.message: str = self._message(body)
        super().__init__(str(self))

    def _message(self, body: Mapping[str, Any]) -> str:
        if body:
            return describe(self.status, body, urlsplit(self.url).path)
        # Not Kinto's JSON (a proxy's HTML page, an empty 502): say what came back.
        kind = self.response.headers.get("Content-Type", "no content type").split(";")[0]
        size = len(self.response.content)
        return f"non-JSON answer ({kind}, {size} bytes)" if size else "empty answer"

    @property
    def request(self) -> Request:
        """The request that got this answer (a ``kinto_query.Request``; no credentials)."""
        return self.response.request

    @property
    def retry_after(self) -> int | None:
        """Seconds the server asked us to wait (``Retry-After``), if it said."""
        value = self.response.headers.get("Retry-After", "")
        return int(value) if value.isascii() and value.isdigit() else None

    def __str__(self) -> str:
        # Each part is cut, so that a huge body (or URL, or reason) keeps the text under about
        # 1,000 characters with the status and errno in view; ``.message`` keeps it whole.
        def cut(text: str, limit: int) -> str:
            if len(text) <= limit:
                return text
            return f"{text[:limit]}… [{len(text) - limit} more characters]"

        parts = urlsplit(self.url)
        target = cut(parts.path + (f"?{parts.query}" if parts.query else ""), 250)
        reason = cut(self.response.reason, 60)
        text = f"{cut(self.method, 20)} {target} -> {self.status} {reason}".rstrip()
        if self.message:
            text += f": {cut(self.message, 500)}"
        if self.errno is not None:
            text += f" (errno {self.errno})"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled without the request body, which may hold a secret (an account's password).
        request = dataclasses.replace(self.response.request, body=None)
        attributes = {**self.__dict__, "response": dataclasses.replace(self.response,
                                                                       request=request)}
        return (_rebuild, (type(self), str(self), attributes))


class BadRequest(HTTPError):
    """400: the server refused the request (invalid id, filter or body)."""


class Unauthorized(HTTPError):
    """401: credentials are missing or wrong."""


class NotAuthenticated(Unauthorized):
    """The server answered, yet did not authenticate the credentials sent as the user meant
    (``client.whoami()``): nobody at all, or another user. ``.status`` is the answer's own
    status (Kinto's ``GET /v1/`` answers 200 either way); ``.message`` says what happened.
    """

    def __init__(self, response: Response, *, why: str) -> None:
        self._why = why
        super().__init__(response, None)

    def _message(self, body: Mapping[str, Any]) -> str:
        return self._why


class Forbidden(HTTPError):
    """403: not allowed, or (for a bucket) the bucket does not exist.

    ``.credentials_sent``: whether the request carried credentials (then the message also
    suggests checking them: with Basic auth, Kinto takes a wrong password for another user).
    """

    def __init__(self, response: Response, body: Mapping[str, Any] | None, *,
                 credentials_sent: bool = False) -> None:
        self.credentials_sent = credentials_sent
        super().__init__(response, body)

    def _message(self, body: Mapping[str, Any]) -> str:
        message = super()._message(body)
        if not self.credentials_sent:
            return message
        return (f"{message}; if these credentials may be wrong, client.whoami() says who the "
                "server takes you for")


class NotFound(HTTPError):
    """404: no such collection, group or record."""


class NotEnabled(NotFound):
    """404 from an endpoint this server has turned off: a plugin missing from
    ``kinto.includes``, or the permissions endpoint not enabled. ``.feature`` names it,
    ``.setting`` says what turns it on.
    """

    def __init__(
        self, response: Response, body: Mapping[str, Any] | None, *, feature: str, setting: str
    ) -> None:
        self.feature = feature
        self.setting = setting
        super().__init__(response, body)

    def _message(self, body: Mapping[str, Any]) -> str:
        return f"this server has no {self.feature} (turned on by {self.setting})"


class Conflict(HTTPError):
    """409: a concurrent write conflicted; the request may be retried."""


class PreconditionFailed(HTTPError):
    """412: the object changed (or exists) on the server; ``.existing`` is its current version."""

    def _message(self, body: Mapping[str, Any]) -> str:
        message = super()._message(body)
        if "If-Match" not in self.response.request.headers:
            return message
        kind, object_id, _ = object_named(urlsplit(self.url).path)
        what = f"{kind} {object_id!r}" if kind != "object" else "it"
        verb = "delete" if self.method.upper() == "DELETE" else "save"
        return (f"{message}: {what} changed on the server since you loaded it; refresh() and "
                f"redo your change, read the server's version in error.existing, or "
                f"{verb}(force=True) to overwrite it")

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

    def _message(self, body: Mapping[str, Any]) -> str:
        return already_exists(urlsplit(self.url).path)


class ReviewConflict(PreconditionFailed, ReviewError):
    """412 on a review step: the collection changed (a status set, a record edited) since its
    review status was read; ``.existing`` is the collection now. Read the status again."""

    def __init__(self, response: Response, body: Mapping[str, Any] | None, *,
                 action: str) -> None:
        self.action = action
        super().__init__(response, body)
        # After HTTPError's __init__, which ends in ReviewError's (it sets these to defaults).
        path = urlsplit(response.url).path
        self.collection = path[path.find("/buckets/"):]
        self.review_status = (self.existing or {}).get("status")

    def _message(self, body: Mapping[str, Any]) -> str:
        _, collection, ids = object_named(urlsplit(self.url).path)
        status = (self.existing or {}).get("status")
        now = f" (its status is now {status!r})" if status else ""
        return (f"collection {ids.get('bucket', '?')}/{collection} changed on the server since "
                f"you read its review status{now}: someone changed its status or its records "
                f"meanwhile; read review_status() again, check it, and {self.action} again "
                "if it still holds")


class TooManyRequests(HTTPError):
    """429: slow down, see ``.retry_after``."""


class ServerError(HTTPError):
    """5xx: the server (or a proxy before it) failed."""


class _Report(Protocol):
    def summary(self) -> str: ...


class BatchError(KintoError):
    """Some items of a bulk write were not applied; ``.report`` says which and why."""

    def __init__(self, report: _Report) -> None:
        self.report = report
        super().__init__(report.summary())

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.report,))


class BatchNotSent(KintoError, RuntimeError):
    """A result of ``client.batch()`` asked for before the batch was sent (its ``with``
    block has not ended, or an exception left it: then nothing was sent), or a call made on
    a batch already sent."""
class ReplicationError(BatchError):
    """A replication could not apply every change; ``.report`` says what it copied, what
    failed and why, and ``.report.timestamp`` where to go on from (pass it as ``since``)."""


_BY_STATUS: dict[int, type[HTTPError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    429: TooManyRequests,
}

def raise_for_response(response: Response, *, credentials_sent: bool = False) -> None:
    """Raise the error matching an error response; do nothing for a success.

    ``credentials_sent``: the request carried credentials (a 403 then says to check them).
    """
    if response.status < 400:
        return
    cls = _BY_STATUS.get(response.status)
    if cls is None:
        cls = ServerError if response.status >= 500 else HTTPError
    if cls is PreconditionFailed and response.request.headers.get("If-None-Match") == "*":
        cls = AlreadyExists
    body = response.json_or_none()
    mapping = body if isinstance(body, Mapping) else None
    if cls is Forbidden:
        raise Forbidden(response, mapping, credentials_sent=credentials_sent)
    raise cls(response, mapping)
