"""``export``: records to JSON lines or CSV, streamed, resumable after any interruption.

One page is in memory at a time. After each page is written, the export notes in
``FILE.resume`` where it stands: the resume token of the next page (the library's, as
``query.resume()`` takes it and ``IncompleteScan`` carries it) and the size of the file up
to the last complete page. ``--resume`` cuts the file back to that size and goes on from
that token, so an export stopped anywhere (Ctrl-C, a failure, even ``kill -9``) ends with
the same bytes as one that never stopped. The note is removed when the export completes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import click

from .. import Collection, Query
from ..exceptions import IncompleteScan, KintoError
from .errors import CliError, ExitStatus, classify
from .options import (
    QueryOptions,
    Target,
    connection_options,
    query_options,
    select_from,
    settings_of,
    target_argument,
)
from .output import EXPORT_FORMATS, CsvEncoder, Encoder, JsonlEncoder, plural_records
from .progress import Progress

__all__ = ["ExportState", "export"]

STATE_SUFFIX = ".resume"
_GO_ON = "run the same command with --resume to go on"


@dataclasses.dataclass(frozen=True)
class ExportState:
    """Where an export to a file stands (saved as JSON next to it)."""

    query: str  # the first URL of the query: a resume must be of the same query
    format: str
    token: str  # the library's resume token of the next page to write
    offset: int  # bytes of the file that hold complete pages
    written: int  # records in those bytes
    columns: list[str] | None = None  # CSV columns, once chosen
    permissions: bool = False  # lines of {"data", "permissions"}

    def save(self, path: Path) -> None:
        # Written aside then renamed: a kill leaves the old note or the new one, never half.
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(dataclasses.asdict(self)) + "\n")
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> ExportState | None:
        try:
            fields = json.loads(path.read_text())
            return cls(**fields)
        except FileNotFoundError:
            return None
        except (ValueError, TypeError) as error:
            raise CliError(f"{path} is not a resume note of kinto-query ({error}): delete it "
                           "to start over", ExitStatus.USAGE) from None


Shape = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def _as_listed(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return objects


def _permissions_of(collection: Collection,
                     objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each record as ``{"data": ..., "permissions": ...}`` (a list of records does not carry
    permissions: ``collection.permissions_of`` reads them in batches)."""
    permissions = collection.permissions_of(obj["id"] for obj in objects)
    return [{"data": obj, "permissions": held}
            for obj, held in zip(objects, permissions, strict=True)]


def _encoder(fmt: str, fields: tuple[str, ...], columns: list[str] | None) -> Encoder:
    return CsvEncoder(columns, fields) if fmt == "csv" else JsonlEncoder()


@click.command()
@target_argument()
@query_options()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write [default: stdout, not resumable].")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS),
              help="jsonl or csv [default: csv for a .csv file, else jsonl].")
@click.option("--resume", is_flag=True,
              help="Go on with an interrupted export to the same file (same options).")
@click.option("--page-size", type=click.IntRange(min=1),
              help="Records per request, and per resume point [default: the server's].")
@click.option("--permissions", "with_permissions", is_flag=True,
              help='Lines of {"data": ..., "permissions": ...} (JSON lines only; one more '
                   "request per batch of records).")
@click.option("--url", "show_url", is_flag=True,
              help="Print the request that would be sent (method and URL), and send nothing.")
@connection_options
@click.pass_context
def export(ctx: click.Context, /, target: Target, output: Path | None, fmt: str | None,
           resume: bool, page_size: int | None, with_permissions: bool, show_url: bool,
           **select: Any) -> None:
    """Export the records of BUCKET/COLLECTION that match the filters, as JSON lines (one
    record per line, as Kinto sends it) or CSV, with a progress bar on a terminal.

    Filters are those of 'kinto-query records'. Memory stays flat however many records.
    Stopped for any reason (Ctrl-C, a failure, a kill), the same command with --resume
    goes on where it stopped: the file ends the same as if it never stopped. CSV cells hold
    typed text (3 is a number, "3" a string), so 'kinto-query import' reads them back exactly.

    \b
    Examples:
      kinto-query export shop/todo -o todo.jsonl
      kinto-query export shop/todo -o todo.jsonl --resume      # after an interruption
      kinto-query export shop/todo -f status=done --fields title,status -o done.csv
      kinto-query export shop/todo | gzip > todo.jsonl.gz
    """
    options = select_from(select)
    collection = target.of(settings_of(ctx), offline=show_url)
    records = options.apply(collection.records())
    query = records.dicts()
    if page_size is not None:
        query = query.page_size(page_size)
    if show_url:
        click.echo(f"GET {query.url}")
        return
    fmt = fmt or ("csv" if output is not None and output.suffix.lower() == ".csv" else "jsonl")
    if with_permissions and fmt != "jsonl":
        raise CliError("--permissions goes with JSON lines, not CSV", ExitStatus.USAGE)
    shape: Shape = _as_listed
    if with_permissions:
        shape = functools.partial(_permissions_of, collection)
    if output is None:
        if resume:
            raise CliError("--resume needs an output file (-o FILE)", ExitStatus.USAGE)
        _to_stream(query, _encoder(fmt, options.fields, None), sys.stdout, str(target), shape)
        return
    state_path = output.with_name(output.name + STATE_SUFFIX)
    state = ExportState.load(state_path)
    if resume:
        if state is None:
            raise CliError(f"nothing to resume: there is no {state_path} (the export to "
                           f"{output} finished, or never started)", ExitStatus.USAGE)
        if (state.query, state.format, state.permissions) != (query.url, fmt, with_permissions):
            raise CliError(f"{state_path} is the resume note of another export ({state.format} "
                           f"of {state.query}): resume with the same options, or delete it",
                           ExitStatus.USAGE)
        size = output.stat().st_size if output.exists() else -1
        if size < state.offset:
            raise CliError(f"cannot resume: {output} is missing or shorter than {state_path} "
                           f"says ({state.offset} bytes); delete {state_path} to start over",
                           ExitStatus.USAGE)
    elif state is not None:
        raise CliError(f"{output} holds an interrupted export: add --resume to go on, or delete "
                       f"{state_path} to start over", ExitStatus.USAGE)
    else:
        state = ExportState(query.url, fmt, query.resume_token, 0, 0,
                            permissions=with_permissions)
    total = query.count()
    written = _to_file(query, state, output, state_path, options, total, str(target), shape)
    state_path.unlink(missing_ok=True)
    click.echo(f"exported {plural_records(written)} of {target} to {output}", err=True)


def _cut_back(file: IO[bytes], state: ExportState, state_path: Path) -> ExportState:
    """Cut the file back to the last complete page the note on disk knows (an interruption
    may have come between writing a page and noting it), and return that note."""
    noted = ExportState.load(state_path) or state
    with contextlib.suppress(OSError):
        file.truncate(noted.offset)
    return noted


def _to_stream(query: Query[dict[str, Any]], encoder: Encoder, stream: IO[str],
               name: str, shape: Shape) -> None:
    with Progress(f"exporting {name}", query.count()) as bar:
        for page in query.pages():
            stream.write(encoder.page(shape(page.items)))
            bar.advance(len(page.items))
        stream.write(encoder.end())
        stream.flush()


def _to_file(query: Query[dict[str, Any]], state: ExportState, output: Path, state_path: Path,
             options: QueryOptions, total: int, name: str, shape: Shape) -> int:
    """Write pages from where ``state`` stands; returns how many records the file holds."""
    state.save(state_path)
    encoder = _encoder(state.format, options.fields, state.columns)
    mode = "r+b" if state.offset else "wb"
    with open(output, mode) as file, Progress(f"exporting {name}", total) as bar:
        file.truncate(state.offset)  # whatever followed the last complete page goes
        file.seek(state.offset)
        bar.update(state.written)
        try:
            for page in query.resume(state.token).pages():
                file.write(encoder.page(shape(page.items)).encode())
                file.flush()
                written = state.written + len(page.items)
                bar.update(written)
                if page.resume_token is not None:
                    columns = getattr(encoder, "columns", None)
                    state = dataclasses.replace(state, token=page.resume_token,
                                                offset=file.tell(), written=written,
                                                columns=columns)
                    state.save(state_path)
                else:
                    state = dataclasses.replace(state, written=written)
            file.write(encoder.end().encode())
        except KeyboardInterrupt:
            state = _cut_back(file, state, state_path)
            raise CliError(f"interrupted: {state.written:,} of {total:,} records are in "
                           f"{output}; {_GO_ON}", ExitStatus.INTERRUPTED) from None
        except (KintoError, CliError) as error:
            status, message = classify(error)
            if isinstance(error, IncompleteScan):
                # The library's own token for the page that failed: where the note stands.
                state = dataclasses.replace(state, token=error.resume_token)
                state.save(state_path)
                message = f"the export stopped: {classify(error.cause)[1]}"
            state = _cut_back(file, state, state_path)
            raise CliError(f"{message}; {state.written:,} of {total:,} records are in {output}: "
                           f"{_GO_ON}", status) from error
    return state.written
