"""What to create, change and delete so that a collection holds a given list of records.

Pure: ``diff_records`` compares two iterables of records (dicts, or ``Record`` objects) and
sends nothing. The wanted list is held in memory (a record is looked up by its key, and
duplicates are refused); the current side is read once, as it streams (a query's pages),
keeping of an unchanged record its id alone.

Records are compared on their own data: without ``id`` and ``last_modified`` (the server's),
and without the fields named in ``ignore``, by default ``schema`` (the timestamp Kinto stamps
on records of a collection that has a JSON schema) and ``attachment`` (what kinto-attachment
writes when a file is uploaded). Values are compared as the JSON the server stores, so
``1`` and ``1.0`` differ, as do ``True`` and ``1``, while a ``date`` equals its ISO string.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .._changes import fingerprint, own_fields
from .._data import Data, raw_of
from .._endpoints import validate_id
from .._objects.state import RecordState
from ..exceptions import InvalidRecords

__all__ = ["DEFAULT_IGNORE", "RecordChange", "RecordsDiff", "RecordsDiffer", "diff_records"]

DEFAULT_IGNORE = ("schema", "attachment")
_SHOWN = 10  # lines per kind of change in str(diff)


@dataclasses.dataclass(frozen=True)
class RecordChange:
    """One record to change: as the server holds it, as it should be, and what differs."""

    id: str
    current: dict[str, Any]
    """The record as read from the collection (``id`` and ``last_modified`` included)."""
    wanted: dict[str, Any]
    """The record as the list gives it."""
    changed: tuple[str, ...]
    """Dotted paths of the fields that differ (``author.name``), sorted."""

    @property
    def last_modified(self) -> int | None:
        """The version read: the update is sent only if the record is still at it."""
        value = self.current.get("last_modified")
        return value if isinstance(value, int) else None


@dataclasses.dataclass(frozen=True)
class RecordsDiff:
    """What ``diff_records`` found: ``to_create`` (records of the list, as given),
    ``to_update`` (``RecordChange``), ``to_delete`` (records of the collection that the list
    does not hold, as read) and ``unchanged`` (ids).

    >>> diff = diff_records([{"id": "a", "n": 1}, {"id": "b"}], [{"id": "a", "n": 2}])
    >>> print(diff)
    0 to create, 1 to update, 1 to delete, 0 unchanged
    ~ a: n
    - b
    """

    to_create: tuple[dict[str, Any], ...]
    to_update: tuple[RecordChange, ...]
    to_delete: tuple[dict[str, Any], ...]
    unchanged: tuple[str, ...]
    key: str = "id"
    ignore: tuple[str, ...] = DEFAULT_IGNORE

    @property
    def counts(self) -> dict[str, int]:
        """``{"create": n, "update": n, "delete": n, "unchanged": n}``."""
        return {"create": len(self.to_create), "update": len(self.to_update),
                "delete": len(self.to_delete), "unchanged": len(self.unchanged)}

    @property
    def in_sync(self) -> bool:
        """True when the collection already holds exactly the list."""
        return not (self.to_create or self.to_update or self.to_delete)

    def summary(self) -> str:
        """One line: ``2 to create, 1 to update, 0 to delete, 7 unchanged``."""
        return ", ".join(f"{count} {'unchanged' if kind == 'unchanged' else 'to ' + kind}"
                         for kind, count in self.counts.items())

    def describe(self, limit: int | None = _SHOWN) -> str:
        """The summary, then a line per record (``+`` create, ``~`` update with the fields
        that differ, ``-`` delete), at most ``limit`` of each kind (None: all of them)."""
        lines = [self.summary()]
        kinds: list[tuple[str, list[str]]] = [
            ("+", [self._name(r) for r in self.to_create]),
            ("~", [f"{change.id}: {', '.join(change.changed)}" for change in self.to_update]),
            ("-", [self._name(r) for r in self.to_delete]),
        ]
        for sign, names in kinds:
            shown = names if limit is None else names[:limit]
            lines += [f"{sign} {name}" for name in shown]
            if len(names) > len(shown):
                lines.append(f"{sign} ... and {len(names) - len(shown)} more")
        return "\n".join(lines)

    def _name(self, record: Mapping[str, Any]) -> str:
        if self.key == "id":
            return str(record.get("id"))
        named = f"{self.key}={fingerprint(record.get(self.key))}"
        return f"{record['id']} ({named})" if "id" in record else named

    def __str__(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return f"<RecordsDiff {self.summary()}>"


def _plain(record: object, where: str) -> dict[str, Any]:
    """A record as a plain dict with its ``id`` (and ``last_modified`` when known)."""
    if isinstance(record, RecordState):  # a Record or an AsyncRecord
        if record.deleted:
            raise InvalidRecords(f"{where} is a tombstone (a deleted record): leave it out")
        plain = dict(raw_of(record.data))
        plain["id"] = record.id
        if record.last_modified is not None:
            plain["last_modified"] = record.last_modified
        return plain
    if isinstance(record, Data):
        return dict(raw_of(record))
    if isinstance(record, Mapping):
        return dict(record)
    raise TypeError(f"{where} is a {type(record).__name__}, not a record (a dict or a Record)")


def _tombstone(record: Mapping[str, Any]) -> bool:
    return record.get("deleted") is True and set(record) <= {"id", "last_modified", "deleted"}


def _compared(record: Mapping[str, Any], ignore: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in own_fields(record).items() if k not in ignore}


def _changed_paths(before: Any, after: Any, prefix: str = "") -> Iterator[str]:
    """The dotted paths where two JSON values differ, descending into objects."""
    if isinstance(before, dict) and isinstance(after, dict):
        for name in sorted(set(before) | set(after)):
            path = f"{prefix}.{name}" if prefix else name
            if name not in before or name not in after:
                yield path
            else:
                yield from _changed_paths(before[name], after[name], path)
    elif fingerprint(before) != fingerprint(after):
        yield prefix


class RecordsDiffer:
    """``diff_records`` one record at a time, so that either side's streams, iterated or
    awaited, feed it: first the list (``want_all``, or ``want`` each record), then the
    collection (``see`` each record); ``result()`` is the diff."""

    def __init__(self, *, key: str = "id", ignore: Iterable[str] = DEFAULT_IGNORE) -> None:
        ignored = tuple(ignore)
        if key in ("last_modified", *ignored):
            raise ValueError(f"key={key!r} is a field that is not compared: match on the id or "
                             "on a field of the records' own data")
        self._key, self._ignored = key, ignored
        # The list, by the fingerprint of each record's key: (position, record).
        self._by_key: dict[str, tuple[int, dict[str, Any]]] = {}
        self._to_update: list[RecordChange] = []
        self._to_delete: list[dict[str, Any]] = []
        self._unchanged: list[str] = []
        self._matched: dict[str, str] = {}  # key fingerprint -> the current record's id

    def want_all(self, wanted: Iterable[Mapping[str, Any] | RecordState]) -> None:
        """Add every record of the list (any iterable of records)."""
        if isinstance(wanted, (str, bytes, Mapping)) or not isinstance(wanted, Iterable):
            # One record, or no list at all: iterating it would give keys or characters.
            raise InvalidRecords(f"the records to hold must be a list (any iterable) of "
                                 f"records, not a {type(wanted).__name__}")
        for item in wanted:
            self.want(item)

    def want(self, item: Mapping[str, Any] | RecordState) -> None:
        """Add the next record of the list; ``InvalidRecords`` if it has no key, or the key
        of a record added before."""
        key, found = self._key, self._by_key
        index = len(found)
        where = f"record {index} of the list"
        record = _plain(item, where)
        if key not in record:
            fix = ("give each record its id, or match records on one of their fields with "
                   "key=" if key == "id" else f"give each record a {key!r} field")
            raise InvalidRecords(f"{where} has no {key!r}: {fingerprint(record)[:80]}; {fix}")
        if "id" in record:
            validate_id(record["id"], "record")
        value = fingerprint(record[key])
        if value in found:
            raise InvalidRecords(
                f"the list holds two records with {key} {value} (records {found[value][0]} and "
                f"{index}): a collection holds one record per {key}; remove or merge one")
        found[value] = (index, record)

    def see(self, item: Mapping[str, Any] | RecordState) -> None:
        """Compare one record of the collection (a tombstone is skipped)."""
        key, by_key, matched = self._key, self._by_key, self._matched
        record = _plain(item, "a record of the collection")
        if _tombstone(record):
            return
        value = fingerprint(record[key]) if key in record else None
        if value is None or value not in by_key:
            self._to_delete.append(record)
            return
        if value in matched:
            raise InvalidRecords(
                f"the collection holds two records with {key} {value} (ids {matched[value]!r} "
                f"and {record['id']!r}): match on a field whose values are unique, or remove "
                "one of them")
        matched[value] = record["id"]
        given = by_key[value][1]
        if key != "id" and given.get("id", record["id"]) != record["id"]:
            raise InvalidRecords(
                f"the record with {key} {value} has id {given['id']!r} in the list but "
                f"{record['id']!r} in the collection: drop the ids from the list, or match on "
                "the id")
        before, after = _compared(record, self._ignored), _compared(given, self._ignored)
        if fingerprint(before) == fingerprint(after):
            self._unchanged.append(record["id"])
        else:
            self._to_update.append(RecordChange(record["id"], record, given,
                                                tuple(_changed_paths(before, after))))

    def result(self) -> RecordsDiff:
        """The diff of what was seen with the list."""
        to_create = tuple(record for value, (_, record) in self._by_key.items()
                          if value not in self._matched)
        return RecordsDiff(to_create, tuple(self._to_update), tuple(self._to_delete),
                           tuple(self._unchanged), self._key, self._ignored)


def diff_records(
    current: Iterable[Mapping[str, Any] | RecordState],
    wanted: Iterable[Mapping[str, Any] | RecordState],
    *,
    key: str = "id",
    ignore: Iterable[str] = DEFAULT_IGNORE,
) -> RecordsDiff:
    """What turns ``current`` (what a collection holds) into ``wanted`` (what it should hold).

    Records are matched on ``key`` (their id, or another field whose values are unique:
    then an update keeps the collection's id, and a record to create keeps the id it has,
    if any); ``InvalidRecords`` for a record of the list without it, or two with the same.
    Each side may be dicts or ``Record`` objects (a query of another collection); tombstones
    in ``current`` are skipped. See the module's docstring for what is compared.

    >>> diff = diff_records(todo.dicts(), [{"id": "r1", "title": "milk"}])
    >>> diff.counts
    {'create': 0, 'update': 1, 'delete': 2, 'unchanged': 0}
    """
    differ = RecordsDiffer(key=key, ignore=ignore)
    differ.want_all(wanted)
    for item in current:
        differ.see(item)
    return differ.result()
