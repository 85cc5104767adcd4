"""Reading records to import from JSON lines or CSV, one at a time, and writing back the
ones that failed in the same format (so that file can be imported again).

A JSON line is one record, as ``export`` writes it (``id`` and ``last_modified`` included).
A CSV file has a header row; each cell is typed text (see ``values``), an empty cell a
missing field, the ``id`` column always a string. A line that cannot be read is reported
as an item of its own, never a reason to stop.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .. import validate_id
from ..exceptions import InvalidId
from .values import read_text_value, read_value

__all__ = ["FailedFile", "Item", "count_lines", "read_items"]


@dataclasses.dataclass(frozen=True)
class Item:
    """One record of the input: where it is, its text as read, and what it holds."""

    line: int
    text: str | list[str]  # a JSON line, or the cells of a CSV row
    record: dict[str, Any] | None  # None when it cannot be read
    problem: str | None = None  # why it cannot be imported, found before sending
    permissions: dict[str, list[str]] | None = None  # with --permissions

    @property
    def id(self) -> str | None:
        value = (self.record or {}).get("id")
        return value if isinstance(value, str) else None


def _problem(record: dict[str, Any], needs_id: bool) -> str | None:
    if "id" in record:
        try:
            validate_id(record["id"], "record")
        except InvalidId as error:
            return str(error)
    elif needs_id:
        return "no id (--update changes existing records, found by id)"
    last_modified = record.get("last_modified")
    if last_modified is not None and (not isinstance(last_modified, int)
                                      or isinstance(last_modified, bool)):
        return f"last_modified must be an integer, not {last_modified!r}"
    return None


_RECORD_PERMISSIONS = ("read", "write")


def _permissions(obj: dict[str, Any]) -> tuple[dict[str, Any] | None, Any, str | None]:
    """``{"data": ..., "permissions": ...}`` -> (data, permissions, problem)."""
    data, permissions = obj.get("data"), obj.get("permissions", {})
    if not isinstance(data, dict) or set(obj) - {"data", "permissions"}:
        return None, None, ('--permissions reads lines of {"data": {...}, "permissions": '
                            '{...}}, as export --permissions writes them')
    if not isinstance(permissions, dict) or any(
            name not in _RECORD_PERMISSIONS or not isinstance(principals, list)
            or not all(isinstance(p, str) for p in principals)
            for name, principals in permissions.items()):
        return data, None, ("permissions must map read and/or write to lists of principals, "
                            f"not {json.dumps(permissions)[:80]}")
    return data, permissions, None


def _jsonl(stream: IO[str], needs_id: bool, with_permissions: bool) -> Iterator[Item]:
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            yield Item(number, line, None, f"not JSON ({error})")
            continue
        if not isinstance(record, dict):
            yield Item(number, line, None, f"not a JSON object: {line.strip()[:60]}")
            continue
        if with_permissions:
            data, permissions, problem = _permissions(record)
            yield Item(number, line, data,
                       problem or _problem(data or {}, needs_id), permissions)
            continue
        yield Item(number, line, record, _problem(record, needs_id))


def _csv_record(header: list[str], row: list[str]) -> tuple[dict[str, Any], str | None]:
    # export writes every column (an empty cell for a missing field): a row with fewer
    # cells was cut or mis-edited, not a record with fewer fields.
    if len(row) != len(header):
        return {}, f"{len(row)} cells for {len(header)} columns"
    record: dict[str, Any] = {}
    for name, cell in zip(header, row, strict=False):
        if cell == "":
            continue  # an empty cell is a missing field
        record[name] = read_text_value(cell) if name == "id" else read_value(cell)
    return record, None


class _Lines:
    """The lines of a stream, remembering those read since ``taken`` was last cleared (the
    raw text of a row the csv module could not read)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self.stream)
        self.taken.append(line)
        return line


def _csv(stream: IO[str], needs_id: bool, header: list[str]) -> Iterator[Item]:
    lines = _Lines(stream)
    # strict: a quote never closed is an error at the end of the file, instead of one cell
    # silently holding every line after it.
    reader = csv.reader(lines, strict=True)
    below = 1  # line numbers are the file's: the header (read before) is line 1
    while True:
        start = below + reader.line_num + 1
        lines.taken.clear()
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            rest = "".join(lines.taken) + "".join(lines.stream)
            yield Item(start, rest, None, f"not CSV from here to the end of the file ({error}): "
                       "a quoted cell that is never closed?")
            return
        if not any(cell.strip() for cell in row):
            continue
        record, problem = _csv_record(header, row)
        yield Item(below + reader.line_num, row, record, problem or _problem(record, needs_id))


def csv_header(stream: IO[str]) -> list[str]:
    """The header row of a CSV file (consumed from the stream)."""
    header = next(csv.reader(stream), None)
    if not header or any(not name for name in header):
        raise ValueError("the CSV file has no header row (or an empty column name)")
    return header


def read_items(stream: IO[str], fmt: str, *, needs_id: bool, header: list[str] | None = None,
               with_permissions: bool = False) -> Iterator[Item]:
    """The records of an input stream, in order."""
    if fmt == "csv":
        return _csv(stream, needs_id, header or csv_header(stream))
    return _jsonl(stream, needs_id, with_permissions)


def count_lines(path: Path) -> int:
    """Lines in a file (to size the progress bar; cheap: bytes are only counted)."""
    lines = 0
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            lines += block.count(b"\n")
    return lines


class FailedFile:
    """The items that failed, in the input's own format; created on the first one."""

    def __init__(self, path: Path, fmt: str, header: list[str] | None) -> None:
        self.path = path
        self.fmt = fmt
        self.header = header
        self.count = 0
        self._file: IO[str] | None = None

    def write(self, item: Item) -> None:
        if self._file is None:
            self._file = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            if self.header is not None:
                self._write_row(self.header)
        if isinstance(item.text, list):
            self._write_row(item.text)
        else:
            self._file.write(item.text if item.text.endswith("\n") else item.text + "\n")
        self.count += 1

    def _write_row(self, row: list[str]) -> None:
        assert self._file is not None
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(row)
        self._file.write(out.getvalue())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
