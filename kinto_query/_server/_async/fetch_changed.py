"""Fetch every collection that changed: the monitor, then each changed collection's changeset,
a bounded number in flight (sync: threads, each with its own session; async: tasks on the one
client), each with its own result or error. The reports are the pure
``kinto_query._server.fetch_changed``'s."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from ..._wire.concurrency import AsyncWorkers
from ...exceptions import KintoError
from ..changeset import MonitorEntry
from ..fetch_changed import (
    CollectionFetch,
    FetchReport,
    Seen,
    Verify,
    check_verified,
    fetch_report,
    seen_timestamps,
    to_fetch,
)
from .changeset import read_changeset
from .monitor import AsyncMonitor

if TYPE_CHECKING:
    from ..._objects._async.client import AsyncClient
    from ..._wire._async.transport import AsyncTransport

__all__ = ["fetch_changed"]


async def fetch_changed(client: AsyncClient, seen: Seen = None, *, bucket: str | None = None,
                        collection: str | None = None, concurrency: int = 10,
                        verify: Verify | None = None) -> FetchReport:
    """``client.fetch_changed(...)`` (see ``Client.fetch_changed``)."""
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ValueError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
    known = seen_timestamps(seen)
    snapshot = await AsyncMonitor(client.transport, bucket=bucket, collection=collection).read()
    todo, unchanged = to_fetch(snapshot, known)
    fetched: list[CollectionFetch] = []

    async def one(entry: MonitorEntry, transport: AsyncTransport) -> CollectionFetch:
        since = known.get(entry.key)
        target = client.bucket(entry.bucket).collection(entry.collection)
        try:
            changeset = await read_changeset(target, since=since, expected=entry.last_modified,
                                             transport=transport)
            if verify is not None:
                check_verified(verify(changeset))
        except KintoError as error:
            return CollectionFetch(entry.bucket, entry.collection, entry.last_modified, since,
                                   error=error)
        return CollectionFetch(entry.bucket, entry.collection, entry.last_modified, since,
                               changeset=changeset)

    if concurrency == 1 or len(todo) < 2:
        for entry in todo:
            fetched.append(await one(entry, client.transport))
        return fetch_report(snapshot, known, fetched, unchanged)
    results: list[CollectionFetch | None] = [None] * len(todo)

    async def into(index: int, entry: MonitorEntry, transport: AsyncTransport) -> None:
        results[index] = await one(entry, transport)  # in the monitor's order

    workers = AsyncWorkers(client.transport, min(concurrency, len(todo)))
    try:
        jobs = [workers.start(functools.partial(into, index, entry))
                for index, entry in enumerate(todo)]
        for job in jobs:
            await job.result()
    except BaseException as error:
        await workers.stop(error)
        raise
    finally:
        await workers.aclose()
    fetched = [fetch for fetch in results if fetch is not None]
    return fetch_report(snapshot, known, fetched, unchanged)
