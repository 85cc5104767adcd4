"""``import``: records from JSON lines or CSV, through the library's bulk writes.

Three modes, each one request per record in ``POST /batch`` chunks:

- ``--create`` (default): create each record; one whose id exists is reported and left
  as it is (``If-None-Match: *``).
- ``--update``: replace existing records only; one missing is reported, not created. A
  record carrying ``last_modified`` (as exported) is replaced only if unchanged since;
  otherwise reported as a conflict and left as it is (``If-Match``).
- ``--upsert``: create or replace, unconditionally: the file wins.

The input is read lazily and sent in slices (so even the report's list of ids stays small);
each failed item is reported on stderr as it is known and written, in the input's format,
to a file that can be imported again. The first Ctrl-C stops reading, lets the chunks in
flight finish and files the rest as not imported; a second one stops at once.
"""

from __future__ import annotations

import collections
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import click

from .. import BatchReport, Collection, ItemFailure, Record
from .errors import CliError, ExitStatus, classify
from .options import Target, connection_options, dry_run_option, settings_of, target_argument
from .output import plural_records
from .progress import Progress
from .sources import FailedFile, Item, count_lines, csv_header, open_input, read_items, stdin_input

__all__ = ["import_records"]

SLICE = 5000  # items per bulk call: a report (and its ids) lives for one slice only
_MODE_WORDS = {"create": "created", "update": "replaced", "upsert": "created or replaced"}
SHOWN_FAILURES = 10  # failure lines on stderr; the failed file has them all


class _Stopped(Exception):
    """Every item of the first chunk refused the same way: the rest would be too."""

    def __init__(self, failure: ItemFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class _Run:
    """One import: the input, what is in flight, the failures, the counts."""

    def __init__(self, items: Iterator[Item], failed: FailedFile, mode: str, bar: Progress):
        self.items = items
        self.failed = failed
        self.mode = mode
        self.bar = bar
        self.imported = 0
        self.stop_requested = False
        self.exhausted = False
        self.pending: collections.deque[tuple[int, Item]] = collections.deque()
        self.seen = [0, 0, 0, 0]
        self.told = 0  # failures reported on stderr (or left unsaid past SHOWN_FAILURES)

    # -- the items of one slice ----------------------------------------------------------------

    def records(self, collection: Collection) -> Iterator[dict[str, Any] | Record]:
        """The next slice's records (as Records when they carry permissions); unreadable
        items are filed as failed on the way."""
        index = 0
        self.seen = [0, 0, 0, 0]  # a new bulk call: a new report
        while index < SLICE:
            if self.stop_requested:
                self.bar.say("stopping: the requests in flight finish first (Ctrl-C again to "
                             "stop at once)")
                return
            item = next(self.items, None)
            if item is None:
                self.exhausted = True
                return
            if item.problem is not None or item.record is None:
                self._fail(item, item.problem or "unreadable")
                self.bar.advance(1)
                continue
            self.pending.append((index, item))
            index += 1
            if item.permissions is None:
                yield item.record
            else:
                yield collection.record(item.record, permissions=item.permissions)

    # -- what the server said ------------------------------------------------------------------

    def filed(self, report: BatchReport) -> None:
        """After each chunk: report and keep the items just filed that failed; stop at once
        when the whole first chunk was refused for want of the collection or of rights."""
        whole = (report.chunks == 1 and not report.succeeded and bool(report.failed)
                 and not self.imported
                 and all(f.status in (401, 403, 404) for f in report.failed))
        self._take(report, quiet=whole)
        if whole:
            raise _Stopped(report.failed[0])

    def _take(self, report: BatchReport, *, quiet: bool = False) -> None:
        failures: dict[int, tuple[str, ItemFailure]] = {}
        groups = (report.conflicts, report.missing, report.failed, report.unknown)
        for number, (label, group) in enumerate(zip(("conflict", "missing", "failed",
                                                     "unknown"), groups, strict=True)):
            for failure in group[self.seen[number]:]:
                failures[failure.index] = (label, failure)
            self.seen[number] = len(group)
        while self.pending and self.pending[0][0] < report.total:
            index, item = self.pending.popleft()
            if index not in failures:
                self.imported += 1
            elif quiet:
                self.failed.write(item)
            else:
                self._fail(item, self._reason(*failures[index]))
            self.bar.advance(1)

    def _reason(self, label: str, failure: ItemFailure) -> str:
        if label == "conflict" and self.mode == "create":
            return "already exists (--update or --upsert replace it)"
        if label == "conflict" and self.mode == "update":
            if failure.existing is None:
                return ("not on the server (--update changes existing records only; --upsert "
                        "creates it)")
            return (f"the server holds another version (last_modified "
                    f"{failure.existing.get('last_modified')}, not the file's): left as it is "
                    "(--upsert overwrites it)")
        return f"{label}: {failure.message}"

    def _fail(self, item: Item, why: str) -> None:
        self.failed.write(item)
        self.told += 1
        if self.told <= SHOWN_FAILURES:
            name = f" (id {item.id!r})" if item.id else ""
            self.bar.say(f"line {item.line}{name}: {why}")

    def unsaid(self) -> str | None:
        """The line that stands for the failures not shown, if any."""
        more = self.told - SHOWN_FAILURES
        if more <= 0:
            return None
        return f"... and {more:,} more, in {self.failed.path}"

    def close_slice(self, report: BatchReport | None) -> None:
        """After a slice that stopped early: what was not filed goes to the failed file."""
        if report is not None:
            self._take(report)
        while self.pending:
            _, item = self.pending.popleft()
            self._fail(item, "not imported (stopped before its answer came)")

    def file_the_rest(self) -> int:
        """Copy the input not read yet to the failed file, unreported; how many items."""
        rest = 0
        for item in self.items:
            self.failed.write(item)
            rest += 1
        return rest


def _bulk(collection: Collection, run: _Run, mode: str, concurrency: int) -> None:
    options: dict[str, Any] = {"progress": run.filed, "concurrency": concurrency}
    if mode == "create":
        report = collection.create_records(run.records(collection), raise_on_error=False,
                                           **options)
    elif mode == "upsert":
        report = collection.save_records(run.records(collection), force=True,
                                         raise_on_error=False, **options)
    else:
        # Replaced only if unchanged since its last_modified (if it carries one), or if it
        # exists at all: the library's conditional PUT.
        report = collection.replace_records(run.records(collection), raise_on_error=False,
                                            **options)
    run.close_slice(report)


def _sigint(run: _Run) -> Callable[[int, Any], None]:
    def handler(signum: int, frame: Any) -> None:
        run.stop_requested = True  # the reading loop sees it and stops
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C: at once

    return handler


@click.command("import")
@target_argument()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True,
                                        path_type=Path))
@click.option("--create", "mode", flag_value="create", default=True,
              help="Create new records; an id that exists is reported, left as it is [default].")
@click.option("--update", "mode", flag_value="update",
              help="Replace existing records only (unchanged since last_modified, when given).")
@click.option("--upsert", "mode", flag_value="upsert",
              help="Create or replace every record: the file wins.")
@click.option("--format", "fmt", type=click.Choice(("jsonl", "csv")),
              help="[default: csv for a .csv file, else jsonl]")
@click.option("--concurrency", "-c", type=click.IntRange(1, 32), default=1, show_default=True,
              help="Batch requests in flight at once (helps over a slow link).")
@click.option("--permissions", "with_permissions", is_flag=True,
              help='Lines are {"data": ..., "permissions": ...}, as export --permissions '
                   "writes them: each record gets its permissions too.")
@click.option("--failed", "failed_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where failed items go [default: FILE.failed.jsonl or .csv].")
@click.option("--create-collection", is_flag=True,
              help="Create the bucket and the collection first if they do not exist.")
@dry_run_option
@connection_options
@click.pass_context
def import_records(ctx: click.Context, /, target: Target, file: Path, mode: str, fmt: str | None,
                   concurrency: int, with_permissions: bool,
                   failed_path: Path | None, create_collection: bool) -> ExitStatus:
    """Import records from FILE (JSON lines or CSV, '-' for stdin) into BUCKET/COLLECTION.

    Records keep their ids (a record without one gets a new UUID). --create (the default)
    never changes an existing record, --update never creates one, --upsert does both.
    Each failed item is reported on stderr and written to a file in the input's format:
    fix it and import that file. The exit status is 1 when any item failed.

    \b
    Examples:
      kinto-query import shop/todo todo.jsonl
      kinto-query import backup/todo todo.jsonl --create-collection
      kinto-query import shop/todo edited.csv --update --dry-run
      kinto-query export shop/todo | kinto-query import backup/todo - --upsert -c 4
    """
    fmt = fmt or ("csv" if file.suffix.lower() == ".csv" else "jsonl")
    if with_permissions and fmt != "jsonl":
        raise CliError("--permissions goes with JSON lines, not CSV", ExitStatus.USAGE)
    stdin = str(file) == "-"
    if failed_path is None:
        stem = "import" if stdin else str(file.with_suffix(""))
        failed_path = Path(f"{stem}.failed.{fmt}")
    dry_run = settings_of(ctx).dry_run
    if dry_run:  # a rehearsal leaves no file behind (nor overwrites a real run's)
        failed_path = Path(os.devnull)
    collection = target.of(settings_of(ctx))
    if create_collection:  # each kept as it is when it exists
        collection.bucket.create(exist_ok=True)
        collection.create(exist_ok=True)
    stream: IO[str] = stdin_input() if stdin else open_input(file)
    try:
        header = None
        if fmt == "csv":
            try:
                header = csv_header(stream)
            except ValueError as error:
                raise CliError(f"{file}: {error}", ExitStatus.USAGE) from None
        total = None if stdin else max(0, count_lines(file) - (1 if header else 0))
        items = read_items(stream, fmt, needs_id=mode == "update", header=header,
                           with_permissions=with_permissions)
        return _import(collection, target, items, FailedFile(failed_path, fmt, header), mode,
                       concurrency, total, file, dry_run)
    finally:
        if not stdin:
            stream.close()


def _import(collection: Collection, target: Target, items: Iterator[Item], failed: FailedFile,
            mode: str, concurrency: int, total: int | None, file: Path,
            dry_run: bool = False) -> ExitStatus:
    with Progress(f"importing into {target}", total) as bar:
        run = _Run(items, failed, mode, bar)
        previous = signal.signal(signal.SIGINT, _sigint(run))
        try:
            while not (run.exhausted or run.stop_requested):
                _bulk(collection, run, mode, concurrency)
        except (Exception, KeyboardInterrupt) as error:
            run.close_slice(getattr(error, "report", None))
            rest = run.file_the_rest()
            failed.close()
            if (unsaid := run.unsaid()) is not None:
                click.echo(unsaid, err=True)
            if isinstance(error, _Stopped):
                status, message = classify_failure(error.failure)
            else:
                status, message = classify(error)
            where = "(no failed file in a dry run)" if dry_run else f"are in {failed.path}"
            raise CliError(f"{message}; imported {run.imported:,}, {failed.count:,} not "
                           f"imported ({rest:,} never sent) {where}", status) from error
        finally:
            signal.signal(signal.SIGINT, previous)
        rest = run.file_the_rest() if run.stop_requested else 0
    failed.close()
    if (unsaid := run.unsaid()) is not None:
        click.echo(unsaid, err=True)
    # The verb says what happened to the records (never to the collection): "created 0
    # records in backup/todo; 121 failed".
    done = f"{_MODE_WORDS[mode]} {plural_records(run.imported)} in {target}"
    if dry_run:
        done = f"dry run: would have {done}"
    if run.stop_requested:
        click.echo(f"interrupted: {done}; the {failed.count:,} not imported ({rest:,} never "
                   f"sent) are in {failed.path}: go on with 'kinto-query import {target} "
                   f"{failed.path} --{mode}'", err=True)
        return ExitStatus.INTERRUPTED
    if failed.count and dry_run:
        click.echo(f"{done}; {failed.count:,} would fail (no failed file in a dry run)",
                   err=True)
        return ExitStatus.FAILED
    if failed.count:
        click.echo(f"{done}; {failed.count:,} failed, written to {failed.path}: fix them and "
                   f"import that file", err=True)
        return ExitStatus.FAILED
    click.echo(done, err=True)
    return ExitStatus.OK


def classify_failure(failure: ItemFailure) -> tuple[ExitStatus, str]:
    """The exit status of a refusal that every item met (a missing collection, no right)."""
    status = {404: ExitStatus.NOT_FOUND}.get(failure.status or 0, ExitStatus.FORBIDDEN)
    return status, failure.message
