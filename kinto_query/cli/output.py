"""Output formats: ``jsonl``, ``json``, ``csv``, ``ids`` (plain text) and ``table`` (a terminal).

Text formats are encoders: each page of objects becomes a piece of text, so a whole
collection streams with one page in memory, and an export can note the byte offset after
each page. CSV columns are ``id``, ``last_modified``, then the fields, taken from
``--fields`` or else from the first page; cells hold typed text (see ``values``), an empty
cell is a missing field. The table is for a person at a terminal: it is drawn by rich once
all rows are in.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import IO, Any, Protocol

from .. import Page
from .errors import CliError, ExitStatus
from .values import write_value

__all__ = [
    "EXPORT_FORMATS",
    "FORMATS",
    "CsvEncoder",
    "Encoder",
    "csv_columns",
    "emit",
    "encoder_for",
    "plural",
    "plural_records",
    "print_table",
]

FORMATS = ("table", "jsonl", "json", "csv", "ids")
EXPORT_FORMATS = ("jsonl", "csv")
_SERVER_FIELDS = ("id", "last_modified")


def dumps(obj: Any) -> str:
    """Compact JSON, non-ASCII kept as is (one line: JSON escapes newlines in strings)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class Encoder(Protocol):
    def page(self, objects: Sequence[dict[str, Any]]) -> str: ...
    def end(self) -> str: ...


class JsonlEncoder:
    """One JSON object per line, as the server sent it."""

    def page(self, objects: Sequence[dict[str, Any]]) -> str:
        return "".join(dumps(obj) + "\n" for obj in objects)

    def end(self) -> str:
        return ""


class JsonEncoder:
    """One JSON array, streamed: ``[`` first, ``]`` last, one object per line between."""

    def __init__(self) -> None:
        self.count = 0

    def page(self, objects: Sequence[dict[str, Any]]) -> str:
        parts = []
        for obj in objects:
            parts.append(("[\n" if self.count == 0 else ",\n") + dumps(obj))
            self.count += 1
        return "".join(parts)

    def end(self) -> str:
        return "[]\n" if self.count == 0 else "\n]\n"


class IdsEncoder:
    """One id per line, for ``xargs`` and ``while read``."""

    def page(self, objects: Sequence[dict[str, Any]]) -> str:
        return "".join(f"{obj.get('id')}\n" for obj in objects)

    def end(self) -> str:
        return ""


def csv_columns(objects: Iterable[dict[str, Any]], fields: Sequence[str] = ()) -> list[str]:
    """``id``, ``last_modified``, then the top-level names of ``fields`` or, without fields,
    every field of ``objects`` in the order first seen."""
    columns = dict.fromkeys(_SERVER_FIELDS)
    if fields:
        columns.update(dict.fromkeys(field.split(".")[0] for field in fields))
    else:
        for obj in objects:
            columns.update(dict.fromkeys(obj))
    return list(columns)


class CsvEncoder:
    """CSV with a header row; columns fixed by ``fields`` or by the first page."""

    def __init__(self, columns: Sequence[str] | None = None, fields: Sequence[str] = ()) -> None:
        self.columns = list(columns) if columns is not None else None
        self.fields = fields

    def page(self, objects: Sequence[dict[str, Any]]) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if self.columns is None:
            self.columns = csv_columns(objects, self.fields)
            writer.writerow(self.columns)
        known = set(self.columns)
        for obj in objects:
            extra = [name for name in obj if name not in known]
            if extra:
                raise CliError(
                    f"record {obj.get('id')!r} has the field {extra[0]!r}, which is not among the "
                    f"CSV columns (taken from the first page: {', '.join(self.columns)}): "
                    "choose them with --fields, or use --format jsonl",
                    ExitStatus.USAGE,
                )
            writer.writerow(["" if name not in obj else write_value(obj[name])
                             for name in self.columns])
        return out.getvalue()

    def end(self) -> str:
        if self.columns is None:  # no record at all: the header alone
            return ",".join(csv_columns((), self.fields)) + "\n"
        return ""


def encoder_for(fmt: str, fields: Sequence[str] = ()) -> Encoder:
    """The encoder of a text format."""
    if fmt == "jsonl":
        return JsonlEncoder()
    if fmt == "json":
        return JsonEncoder()
    if fmt == "csv":
        return CsvEncoder(fields=fields)
    if fmt == "ids":
        return IdsEncoder()
    raise ValueError(f"not a text format: {fmt}")


def emit(pages: Iterable[Page[dict[str, Any]]], fmt: str, stream: IO[str],
         fields: Sequence[str] = ()) -> int:
    """Write pages of objects to ``stream`` in a format; returns how many objects."""
    if fmt == "table":
        return print_table((obj for page in pages for obj in page.items), stream, fields)
    encoder = encoder_for(fmt, fields)
    count = 0
    for page in pages:
        stream.write(encoder.page(page.items))
        count += len(page.items)
    stream.write(encoder.end())
    stream.flush()
    return count


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else dumps(value)


def print_table(objects: Iterable[dict[str, Any]], stream: IO[str],
                fields: Sequence[str] = ()) -> int:
    """Draw objects as a table (``id`` then their fields; ``last_modified`` only when asked
    for); returns how many rows. Cells are plain text: no rich markup is read in them."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    rows = list(objects)
    columns = dict.fromkeys(["id"])
    if fields:
        columns.update(dict.fromkeys(field.split(".")[0] for field in fields))
    else:
        for obj in rows:
            columns.update(dict.fromkeys(k for k in obj if k != "last_modified"))
    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    for name in columns:
        table.add_column(name, overflow="fold")
    for obj in rows:
        table.add_row(*(Text(_cell(obj[name])) if name in obj else Text("") for name in columns))
    console = Console(file=stream, soft_wrap=False)
    if rows:
        console.print(table)
    return len(rows)


def plural(count: int, noun: str) -> str:
    """``1 bucket``, ``2,000 records``: the count a message gives (nouns taking an s).

    >>> plural(1, "bucket"), plural(2000, "record")
    ('1 bucket', '2,000 records')
    """
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def plural_records(count: int) -> str:
    """``1 record``, ``2,000 records``: the count a message gives."""
    return plural(count, "record")
