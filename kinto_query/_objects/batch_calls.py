"""Mixed batches, their pure part: the calls queued (``BatchCalls``), their handles
(``BatchHandle``), and how the report resolves them; shared by both sides. Sending is
``kinto_query._objects._async.mixed_batch`` (``AsyncBatch``, generated into ``Batch``).

``with client.batch() as batch:`` (``async with`` on the async side) queues any mix of
creates, saves, patches, deletes and reads of buckets, collections, groups and records, sent
when the block ends.

Each call builds its request at once, with the object's own builder (``create_request``,
``save_request``, ``patch_request``, ``delete_request``: the very requests the single writes
send), from the object as it is then, and returns a handle. Sending is the bulk writes' own
(``send_batch``): chunks of the server's ``batch_max_requests`` in call order, a chunk whose
answer is unclear read back and never guessed, an item whose fate cannot be learned reported
unknown. Handles are resolved from that report alone: what it calls succeeded is what
``result()`` returns, anything else raises the error the same request sent alone would raise.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import http
import json
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from .._messages import Request, Response
from .._report import BatchItem, BatchReport, ItemFailure
from .._values import dumps
from ..exceptions import BatchError, BatchNotSent, HTTPError, KintoError, raise_for_response
from .bulk import Progress
from .state import RecordState, ResourceState

__all__ = ["BatchCalls", "BatchHandle", "Outcome", "Progress", "Sent", "outcomes_of"]

T = TypeVar("T")
R = TypeVar("R", bound=ResourceState)


class _State(enum.Enum):
    OPEN = "not sent yet: results are there once the batch's with block ends"
    ABANDONED = "not sent: an exception left the batch's with block, so nothing was sent"
    SENT = "sent"


class BatchHandle(Generic[T]):
    """What one call of a batch gives back; ``result()`` once the batch is sent.

    ``request`` is the request the call queued (None for a save with nothing to send).
    """

    def __init__(self, request: Request | None, value: T) -> None:
        self.request = request
        self._value = value
        self._done = False
        self._error: KintoError | None = None
        self._why_not: str = _State.OPEN.value
        self._deletes: RecordState | None = None  # a record this call deletes: marked deleted
        self._exist_ok = False  # a create that may meet its object: then read it as it is

    def __repr__(self) -> str:
        state = ("not sent" if not self._done else "succeeded" if self._error is None
                 else f"failed: {self._error}")
        return f"<BatchHandle {self._describe()}: {state}>"

    def result(self) -> T:
        """The object, updated from the server's answer (None for a delete); or the item's
        error, of the class the same request sent alone raises (``NotFound``,
        ``PreconditionFailed``...), or ``BatchError`` when its outcome is unknown."""
        error = self.exception()
        if error is not None:
            raise error.with_traceback(None)
        return self._value

    def exception(self) -> KintoError | None:
        """The item's error, or None if it succeeded (``BatchNotSent`` before it is sent)."""
        if not self._done:
            raise BatchNotSent(f"{self._describe()}: {self._why_not}")
        return self._error

    def _describe(self) -> str:
        if self.request is None:
            return "a save with nothing to send"
        return f"{self.request.method} {self.request.path}"

    def _settle(self, error: KintoError | None) -> None:
        self._done, self._error = True, error


Sent = tuple[int, BatchHandle[Any], BatchItem]  # call position, handle, item
_FAILURE_KINDS = ("conflicts", "missing", "failed", "unknown")


class BatchCalls:
    """The calls of a batch, queued; what ``Batch`` (and ``AsyncBatch``) has besides sending:
    see ``Batch``."""

    def __init__(
        self,
        transport: Any,
        *,
        raise_on_error: bool = True,
        chunk_size: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.transport = transport
        self.raise_on_error = raise_on_error
        self.chunk_size = chunk_size
        self.progress = progress
        self._calls: list[tuple[BatchHandle[Any], BatchItem | None]] = []
        self._state = _State.OPEN
        self._report: BatchReport | None = None

    def __repr__(self) -> str:
        if self._report is not None:
            return f"<Batch of {len(self)} calls, sent: {self._report.summary()}>"
        return f"<Batch of {len(self)} calls, {self._state.value.split(':')[0]}>"

    def __len__(self) -> int:
        return len(self._calls)

    def _left(self, exc_type: type[BaseException] | None) -> bool:
        """The ``with`` block was left (with ``exc_type`` raised in it, or None): whether to
        send now. Half a block is not what the caller meant: then none of it is sent."""
        if exc_type is not None:
            if self._state is _State.OPEN:
                self._state = _State.ABANDONED
                for handle, _ in self._calls:
                    handle._why_not = f"{_State.ABANDONED.value} ({exc_type.__name__})"
            return False
        return self._state is _State.OPEN

    @property
    def report(self) -> BatchReport:
        """What the batch did, item by item in call order (``BatchNotSent`` before it is sent)."""
        if self._report is None:
            raise BatchNotSent(f"the batch's report: {self._state.value}")
        return self._report

    # -- the calls -----------------------------------------------------------------------------

    def create(
        self,
        obj: R,
        *,
        data: Mapping[str, Any] | None = None,
        permissions: Mapping[str, list[str]] | None = None,
        exist_ok: bool = False,
        force: bool = False,
    ) -> BatchHandle[R]:
        """Create ``obj``; if it exists: ``AlreadyExists``, or with ``exist_ok=True`` it is
        read as it is after the batch (never overwritten), or with ``force=True`` replaced.
        ``data=``/``permissions=`` replace what ``obj`` holds first (e.g. for a bucket)."""
        self._check(obj)
        if data is not None or permissions is not None:
            obj.data = data or {}
            obj.permissions = permissions or {}
        handle = self._queue(obj, obj.create_request(force=force), obj.take_answer)
        handle._exist_ok = exist_ok
        return handle

    def save(self, obj: R, *, force: bool = False) -> BatchHandle[R]:
        """Save what changed in ``obj``, safely (``PreconditionFailed`` if it changed meanwhile,
        unless ``force``), as ``obj.save()``; nothing changed: no request, the handle gives
        ``obj``."""
        self._check(obj)
        return self._queue(obj, obj.save_request(force=force), obj.take_answer)

    def patch(
        self, obj: R, changes: Mapping[str, Any] | None = None, /, **fields: Any
    ) -> BatchHandle[R]:
        """Set some top-level fields of ``obj``, as ``obj.patch()`` (``If-Match`` when its
        version is known); refused while ``obj`` holds unsaved changes of its data."""
        self._check(obj)
        obj.refuse_unsaved("patch")  # the refusal of patch(), for the same reason
        return self._queue(obj, obj.patch_request({**(changes or {}), **fields}),
                           obj.take_answer)

    def delete(
        self, obj: ResourceState, *, force: bool = False, missing_ok: bool = False
    ) -> BatchHandle[None]:
        """Delete ``obj`` (only if unchanged since loaded, unless ``force``); with
        ``missing_ok=True`` an object already gone counts as deleted (Kinto answers 403, not
        404, for a bucket that does not exist: that stays a failure)."""
        self._check(obj)
        handle = self._queue(None, obj.delete_request(force=force), None, missing_ok)
        handle._deletes = obj if isinstance(obj, RecordState) else None
        return handle

    def get(self, obj: R) -> BatchHandle[R]:
        """Read ``obj`` whole, with its permissions (as ``obj.refresh()``)."""
        self._check(obj)
        return self._queue(obj, Request("GET", obj.path), functools.partial(_fresh, obj))

    def _check(self, obj: object) -> None:
        self._check_open()
        if not isinstance(obj, ResourceState):
            raise TypeError(f"a batch takes buckets, collections, groups and records, not "
                            f"{type(obj).__name__}")
        if obj.transport is not self.transport:
            # Its path would be sent to this client's server, with this client's credentials.
            raise ValueError(f"{obj!r} belongs to another client than this batch's")

    def _check_open(self) -> None:
        if self._state is not _State.OPEN:
            raise BatchNotSent("this batch was already sent (or abandoned): calls on it are "
                               "not sent; start another with client.batch()")

    def _queue(self, value: T, request: Request | None,
               on_success: Callable[[dict[str, Any]], None] | None,
               missing_ok: bool = False) -> BatchHandle[T]:
        if request is None:
            handle: BatchHandle[T] = BatchHandle(None, value)
            self._calls.append((handle, None))
            return handle
        # Frozen as the server will read it: later changes to the object are not sent.
        body = None if request.body is None else json.loads(dumps(request.body))
        request = Request(request.method, request.path, body, dict(request.headers))
        handle = BatchHandle(request, value)
        item_id = request.path.rstrip("/").rsplit("/", 1)[-1]
        self._calls.append((handle, BatchItem(request, item_id, on_success, missing_ok)))
        return handle

    # -- sending -------------------------------------------------------------------------------

    def _start(self) -> tuple[list[Sent], list[BatchItem]]:
        """The batch is being sent: the calls with a request, and their items."""
        self._check_open()
        self._state = _State.SENT
        sent = [(position, handle, item) for position, (handle, item) in enumerate(self._calls)
                if item is not None]
        return sent, [item for _, _, item in sent]

    @staticmethod
    def _taken(sent: list[Sent], outcomes: list[Outcome]) -> list[int]:
        """The creates that met their object, with exist_ok: read as they are, as
        create(exist_ok=True) does; the read's outcome becomes the item's."""
        return [index for index, outcome in enumerate(outcomes)
                if outcome[0] == "conflicts" and sent[index][1]._exist_ok]

    @staticmethod
    def _reads(sent: list[Sent], items: list[BatchItem], taken: list[int]) -> list[BatchItem]:
        return [BatchItem(Request("GET", items[i].request.path), items[i].id,
                          functools.partial(_fresh, sent[i][1]._value))
                for i in taken]

    @staticmethod
    def _took(items: list[BatchItem], outcomes: list[Outcome], report: BatchReport,
              taken: list[int], reads: list[BatchItem], read_report: BatchReport) -> None:
        for index, read, outcome in zip(taken, reads, outcomes_of(read_report, len(reads)),
                                        strict=True):
            items[index], outcomes[index] = read, outcome
        report.requests_sent += read_report.requests_sent
        report.chunks += read_report.chunks

    def _finish(self, sent: list[Sent], items: list[BatchItem], outcomes: list[Outcome],
                report: BatchReport, stopped: BaseException | None) -> BatchReport:
        """Every handle resolved; the report, or the exception that stopped the batch
        (carrying it), or ``BatchError`` if any item failed and ``raise_on_error``."""
        self._settle(sent, items, outcomes, report, stopped)
        assert self._report is not None
        if stopped is not None:
            stopped.report = self._report  # type: ignore[attr-defined]
            raise stopped
        if self.raise_on_error and not self._report.ok:
            raise BatchError(self._report)
        return self._report

    def _settle(self, sent: list[Sent], items: list[BatchItem], outcomes: list[Outcome],
                report: BatchReport, stopped: BaseException | None) -> None:
        """Resolve every handle from its outcome, and keep the report numbered by call."""
        final = BatchReport()
        final.requests_sent, final.chunks = report.requests_sent, report.chunks
        for (position, handle, _), item, (kind, failure) in zip(sent, items, outcomes,
                                                               strict=True):
            if kind == "succeeded":
                final.saved(position, item, None)
                if handle._deletes is not None:
                    handle._deletes.deleted = True
                handle._settle(None)
            elif failure is not None:
                failure = dataclasses.replace(failure, index=position)
                getattr(final, kind).append(failure)
                handle._settle(self._error_of(item, failure, kind))
            else:
                handle._why_not = (f"not sent: the batch stopped before it "
                                   f"({type(stopped).__name__}: {stopped})")
        for call, queued in self._calls:
            if queued is None:  # a save with nothing to send: done, as save() is
                call._settle(None)
        self._report = final

    def _error_of(self, item: BatchItem, failure: ItemFailure, kind: str) -> KintoError:
        """The error the request raises alone: its answer through the one error map."""
        if failure.status is not None and failure.status >= 400:
            content = json.dumps(failure.body).encode() if failure.body else b""
            response = Response(item.request, self.transport.url(item.request.path),
                                failure.status, _reason(failure.status),
                                {"Content-Type": "application/json"}, content)
            try:
                raise_for_response(response)
            except HTTPError as error:
                return error
        single = BatchReport()  # no answer of its own: say so as a bulk write does
        getattr(single, kind).append(failure)
        return BatchError(single)


Outcome = tuple[str, ItemFailure | None]  # ("succeeded", None), (kind, failure), or not sent


def outcomes_of(report: BatchReport, count: int) -> list[Outcome]:
    """Each item's outcome in ``report``: ``("succeeded", None)``, ``(kind, failure)`` (kind
    naming the report's list), or ``("not sent", None)``."""
    # The items filed are the first ``total``: send_batch takes them in order and files each
    # it took, even when stopped.
    outcomes: list[Outcome] = [("succeeded" if i < report.total else "not sent", None)
                                for i in range(count)]
    for kind in _FAILURE_KINDS:
        for failure in getattr(report, kind):
            outcomes[failure.index] = (kind, failure)
    assert sum(kind == "succeeded" for kind, _ in outcomes) == len(report.succeeded)
    return outcomes


def _fresh(obj: ResourceState, body: dict[str, Any]) -> None:
    obj.take_answer(body, fresh=True)


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""
