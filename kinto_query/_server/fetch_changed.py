"""Fetch every collection that changed: the monitor, then each changed collection's changeset,
a bounded number in flight, each with its own result or error.

This is what every Remote Settings reader writes by hand. The monitor says which collections
changed and their new timestamps; each changeset is asked with ``_expected`` set to that
timestamp (so no cached copy older than it answers) and, for a collection already seen, with
``_since`` its last timestamp (only the changes, tombstones included). A failure is that
collection's; the others are kept, and ``timestamps`` (what to pass as ``seen`` next time)
keeps the old timestamp of a collection that failed, so it is fetched again.

This module is pure (the reports, what to fetch); the reads are written once, async, in
``kinto_query._server._async.fetch_changed`` (generated into ``_blocking``).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..exceptions import KintoError
from .changeset import Changeset, MonitorEntry, MonitorSnapshot

__all__ = ["CollectionFetch", "FetchReport", "Seen", "Verify", "check_verified", "fetch_report",
           "seen_timestamps", "to_fetch"]

Verify = Callable[[Changeset[Any]], object]


@dataclasses.dataclass(frozen=True)
class CollectionFetch:
    """One changed collection: its changeset, or the error that stopped it."""

    bucket: str
    collection: str
    expected: int
    """Its timestamp as the monitor listed it (the ``_expected`` sent)."""
    since: int | None
    """The timestamp already seen (``_since``), None for a first read."""
    changeset: Changeset[Any] | None = None
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


def seen_timestamps(seen: Seen) -> dict[str, int]:
    """``bucket/collection`` -> timestamp, from what the caller passed as ``seen``."""
    if isinstance(seen, FetchReport):
        return dict(seen.timestamps)
    result = dict(seen or {})
    for key, value in result.items():
        if not isinstance(key, str) or key.count("/") != 1 or type(value) is not int:
            raise TypeError(f"seen maps 'bucket/collection' to a timestamp (int), got "
                            f"{key!r}: {value!r}")
    return result


def check_verified(outcome: object) -> None:
    """What ``verify`` returned: never an awaitable, which would leave the changeset unchecked
    (``verify`` is called, not awaited, on either side)."""
    if inspect.isawaitable(outcome):
        close = getattr(outcome, "close", None)
        if callable(close):
            close()  # a coroutine never awaited: no "never awaited" warning, nothing run
        raise TypeError("verify= is called on each changeset, not awaited: give a function "
                        "that verifies without awaiting (SignatureVerifier(...).verify, "
                        "public_key= needs no request), or await "
                        "AsyncSignatureVerifier(...).verify(fetch.changeset) on each changeset "
                        "of the report")


def to_fetch(snapshot: MonitorSnapshot,
             known: Mapping[str, int]) -> tuple[list[MonitorEntry], list[str]]:
    """The monitor's entries to fetch (changed since ``known``), and the keys unchanged."""
    todo: list[MonitorEntry] = []
    unchanged: list[str] = []
    for entry in snapshot:
        if entry.deleted:
            continue
        if known.get(entry.key, -1) >= entry.last_modified:
            unchanged.append(entry.key)
        else:
            todo.append(entry)
    return todo, unchanged


def fetch_report(snapshot: MonitorSnapshot, known: Mapping[str, int],
                 fetched: list[CollectionFetch], unchanged: list[str]) -> FetchReport:
    """The report, with the timestamps to pass as ``seen`` next time."""
    timestamps = dict(known)
    for fetch in fetched:
        if fetch.changeset is not None:
            timestamps[fetch.key] = fetch.changeset.timestamp
    return FetchReport(snapshot.timestamp, tuple(fetched), tuple(unchanged), timestamps)
