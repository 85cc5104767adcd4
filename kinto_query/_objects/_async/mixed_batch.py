"""Mixed batches, sent (async source of ``kinto_query._objects._blocking.mixed_batch``): the calls
queued in a ``with`` block (``async with`` here) go out as the bulk writes' own chunks when it
ends; the calls and their handles are the pure ``kinto_query._objects.batch_calls``."""

from __future__ import annotations

from types import TracebackType

from ..._report import BatchItem, BatchReport
from ..._wire._async.transport import AsyncTransport
from ..batch_calls import BatchCalls, outcomes_of
from ..bulk import Progress
from .batch import send_batch

__all__ = ["AsyncBatch"]


class AsyncBatch(BatchCalls):
    """Calls queued in a ``with`` block, sent in ``POST /batch`` chunks when it ends.

    ``create``, ``save``, ``patch``, ``delete`` and ``get`` take any bucket, collection, group
    or record of this client (handles cost nothing: ``client.bucket("b").collection("c")``,
    ``collection.record({...})``), build its request at once and return a ``BatchHandle``.
    The object is updated from the server's answer only if its request succeeded. An
    exception raised inside the block sends nothing. At the end, ``batch.report`` (a
    ``BatchReport``, items in call order) says what succeeded; with ``raise_on_error``
    (the default) a report with any failure raises ``BatchError`` carrying it.

    Calls run in order, so a collection created first can receive records later in the
    same batch. Each builds its request from the object as it is then: a second save of one
    object in a batch is checked against the version the first started from (412). A patch
    sets whole top-level fields (Kinto reads every request of a batch as plain JSON); a
    change a batch cannot carry (a JSON-Patch) is sent alone in its place.

    On the async side (``kinto_query.aio``) it is the same, awaited: ``async with
    client.batch() as batch:``, ``await batch.send()``; a cancellation while it is sent
    carries the report of what was sent, as any exception does.

    >>> with client.batch() as batch:
    ...     made = batch.create(todo.record({"title": "milk"}))
    ...     gone = batch.delete(todo.record(id="old"), missing_ok=True)
    >>> batch.report
    <BatchReport 2 of 2 succeeded>
    """

    def __init__(
        self,
        transport: AsyncTransport,
        *,
        raise_on_error: bool = True,
        chunk_size: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        super().__init__(transport, raise_on_error=raise_on_error, chunk_size=chunk_size,
                         progress=progress)
        self.transport: AsyncTransport = transport

    async def __aenter__(self) -> AsyncBatch:
        self._check_open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._left(exc_type):
            await self.send()

    async def send(self) -> BatchReport:
        """Send every call now (what the end of the ``with`` block does) and return the
        report; ``BatchError`` if any item failed and ``raise_on_error``. Any exception
        leaving it carries the report so far as ``.report``."""
        sent, items = self._start()
        report, stopped = await self._send(items)
        outcomes = outcomes_of(report, len(items))
        taken = self._taken(sent, outcomes)
        if taken and stopped is None:
            reads = self._reads(sent, items, taken)
            read_report, stopped = await self._send(reads)
            self._took(items, outcomes, report, taken, reads, read_report)
        return self._finish(sent, items, outcomes, report, stopped)

    async def _send(self, items: list[BatchItem]) -> tuple[BatchReport, BaseException | None]:
        """The report of sending ``items``, and the exception that stopped it, if one did."""
        if not items:
            return BatchReport(), None
        try:
            report = await send_batch(
                self.transport, items, chunk_size=self.chunk_size, progress=self.progress)
            return report, None
        except BaseException as error:  # re-raised by send(), once every handle is settled
            return getattr(error, "report", None) or BatchReport(), error
