"""Fetch every collection that changed: the monitor, then each changed collection's changeset,
a bounded number in flight, each with its own result or error.

This is what every Remote Settings reader writes by hand. The monitor says which collections
changed and their new timestamps; each changeset is asked with ``_expected`` set to that
timestamp (so no cached copy older than it answers) and, for a collection already seen, with
``_since`` its last timestamp (only the changes, tombstones included). A failure is that
collection's; the others are kept, and ``timestamps`` (what to pass as ``seen`` next time)
keeps the old timestamp of a collection that failed, so it is fetched again.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from ._changeset import Changeset, read_changeset
from ._monitor import Monitor, MonitorEntry
from .exceptions import KintoError

if TYPE_CHECKING:
    from ._client import Client
    from ._transport import Transport

__all__ = ["CollectionFetch", "FetchReport", "fetch_changed"]

Verify = Callable[[Changeset], object]


@dataclasses.dataclass(frozen=True)
class CollectionFetch:
    """One changed collection: its changeset, or the error that stopped it."""

    bucket: str
    collection: str
    expected: int
    """Its timestamp as the monitor listed it (the ``_expected`` sent)."""
    since: int | None
    """The timestamp already seen (``_since``), None for a first read."""
    changeset: Changeset | None = None
    error: KintoError | None = None

    @property
    def key(self) -> str:
        """``bucket/collection``."""
        return f"{self.bucket}/{self.collection}"

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclasses.dataclass(frozen=True)
class FetchReport:
    """What ``fetch_changed`` read: one ``CollectionFetch`` per changed collection, in the
    monitor's order, and ``timestamps`` to pass as ``seen`` next time."""

    monitor_timestamp: int
    """The monitor's timestamp when read."""
    fetched: tuple[CollectionFetch, ...]
    unchanged: tuple[str, ...]
    """The ``bucket/collection`` keys the monitor lists at a timestamp already seen."""
    timestamps: dict[str, int] = dataclasses.field(hash=False, compare=False)
    """``bucket/collection`` -> the timestamp now held: the fetched ones' new timestamps,
    the failed and unchanged ones' as they were in ``seen``."""

    def __iter__(self) -> Iterator[CollectionFetch]:
        return iter(self.fetched)

    @property
    def succeeded(self) -> list[CollectionFetch]:
        return [fetch for fetch in self.fetched if fetch.ok]

    @property
    def failed(self) -> list[CollectionFetch]:
        return [fetch for fetch in self.fetched if not fetch.ok]

    def summary(self) -> str:
        """One line: how many changed, fetched, failed and why (the first failure)."""
        text = (f"{len(self.fetched)} changed, {len(self.succeeded)} fetched, "
                f"{len(self.failed)} failed, {len(self.unchanged)} unchanged")
        if self.failed:
            first = self.failed[0]
            text += f"; {first.key}: {first.error}"
        return text


Seen = Mapping[str, int] | FetchReport | None


def _seen(seen: Seen) -> dict[str, int]:
    if isinstance(seen, FetchReport):
        return dict(seen.timestamps)
    result = dict(seen or {})
    for key, value in result.items():
        if not isinstance(key, str) or key.count("/") != 1 or type(value) is not int:
            raise TypeError(f"seen maps 'bucket/collection' to a timestamp (int), got "
                            f"{key!r}: {value!r}")
    return result


def fetch_changed(client: Client, seen: Seen = None, *, bucket: str | None = None,
                  collection: str | None = None, concurrency: int = 10,
                  verify: Verify | None = None) -> FetchReport:
    """``client.fetch_changed(...)`` (see ``Client.fetch_changed``)."""
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ValueError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
    known = _seen(seen)
    snapshot = Monitor(client.transport, bucket=bucket, collection=collection).read()
    todo: list[MonitorEntry] = []
    unchanged: list[str] = []
    for entry in snapshot:
        if entry.deleted:
            continue
        if known.get(entry.key, -1) >= entry.last_modified:
            unchanged.append(entry.key)
        else:
            todo.append(entry)
    local = threading.local()
    copies: list[Transport] = []
    lock = threading.Lock()

    def transport() -> Transport:
        # One session per thread (requests does not promise a session is thread-safe); an
        # injected session (betamax...) is the caller's, shared.
        if not client.transport.owns_session:
            return client.transport
        if not hasattr(local, "transport"):
            local.transport = client.transport.copy()
            with lock:
                copies.append(local.transport)
        mine: Transport = local.transport
        return mine

    def one(entry: MonitorEntry) -> CollectionFetch:
        since = known.get(entry.key)
        target = client.bucket(entry.bucket).collection(entry.collection)
        try:
            changeset = read_changeset(target, since=since, expected=entry.last_modified,
                                       transport=transport() if concurrency > 1 else None)
            if verify is not None:
                verify(changeset)
        except KintoError as error:
            return CollectionFetch(entry.bucket, entry.collection, entry.last_modified, since,
                                   error=error)
        return CollectionFetch(entry.bucket, entry.collection, entry.last_modified, since,
                               changeset=changeset)

    try:
        if concurrency == 1 or len(todo) < 2:
            fetched = [one(entry) for entry in todo]
        else:
            with ThreadPoolExecutor(min(concurrency, len(todo)),
                                    thread_name_prefix="kinto-query-fetch") as pool:
                fetched = list(pool.map(one, todo))  # in the monitor's order
    finally:
        for copy in copies:
            copy.close()
    timestamps = dict(known)
    for fetch in fetched:
        if fetch.changeset is not None:
            timestamps[fetch.key] = fetch.changeset.timestamp
    return FetchReport(snapshot.timestamp, tuple(fetched), tuple(unchanged), timestamps)
