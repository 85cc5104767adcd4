"""``sync``: make a collection hold the records of a file (``Collection.sync``).

The file is read whole first (JSON lines or CSV as ``import`` reads them, or a JSON array,
or a Kinto answer ``{"data": [...]}``): a line that cannot be read stops the run before any
request, since a record left out would otherwise be deleted with ``--delete``. Then one scan,
the difference on stderr, the question before any deletion (cli/confirm.py; an empty file is
refused outright, as a likely truncated source), and the guarded writes of the library's sync.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import IO, Any

import click

from .. import BatchError, InvalidRecords, SyncReport
from .confirm import confirm_deletion
from .errors import CliError, ExitStatus
from .options import Target, connection_options, dry_run_option, settings_of, target_argument
from .output import plural
from .sources import open_input, read_items, stdin_input

__all__ = ["sync"]

SHOWN = 10  # lines per kind of change, and failures, on stderr


def _json_array(stream: IO[str], name: str) -> list[dict[str, Any]]:
    try:
        loaded = json.load(stream)
    except ValueError as error:
        raise CliError(f"{name}: not JSON ({error})", ExitStatus.USAGE) from None
    records = loaded.get("data") if isinstance(loaded, dict) else loaded
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise CliError(f"{name}: a JSON file holds an array of records (or a Kinto answer "
                       '{"data": [...]})', ExitStatus.USAGE)
    return records


def _records(stream: IO[str], fmt: str, name: str, key: str) -> list[dict[str, Any]]:
    if fmt == "json":
        return _json_array(stream, name)
    records: list[dict[str, Any]] = []
    for item in read_items(stream, fmt, needs_id=key == "id"):
        if item.problem is not None or item.record is None:
            raise CliError(f"{name}, line {item.line}: {item.problem or 'unreadable'}; nothing "
                           "was changed (fix the line: a record left out would be deleted "
                           "with --delete)", ExitStatus.USAGE)
        records.append(item.record)
    return records


def _confirm(count: int, name: str, target: Target, *, empty: bool, yes: bool) -> None:
    """Ask before deleting ``count`` records; refuse an empty FILE, even on a terminal."""
    what = f"{plural(count, 'record')} not in {name} from {target}"
    if empty and not yes:
        # A cut-off download or an empty export would otherwise wipe the collection.
        raise CliError(f"{name} holds no record: not deleting {what} (a truncated file?); "
                       "nothing was changed, pass --yes to delete them", ExitStatus.USAGE)
    if not confirm_deletion(what, yes=yes):
        raise CliError("nothing synced, nothing deleted", ExitStatus.FAILED)


@click.command()
@target_argument()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True,
                                        path_type=Path))
@click.option("--delete", is_flag=True,
              help="Delete the records of the collection that FILE does not hold.")
@click.option("--key", default="id", show_default=True,
              help="The field records are matched on (its values unique).")
@click.option("--yes", "-y", is_flag=True,
              help="With --delete, do not ask before deleting (needed without a terminal).")
@click.option("--format", "fmt", type=click.Choice(("jsonl", "csv", "json")),
              help="[default: csv for .csv, json (an array) for .json, else jsonl]")
@dry_run_option
@connection_options
@click.pass_context
def sync(ctx: click.Context, /, target: Target, file: Path, delete: bool, yes: bool, key: str,
         fmt: str | None) -> ExitStatus:
    """Make BUCKET/COLLECTION hold the records of FILE ('-' for stdin): create what is
    missing, replace what differs (only if unchanged since read: a record changed meanwhile
    is reported, left as it is), and with --delete delete what FILE does not hold.

    Records are compared without id, last_modified, schema and attachment. The difference
    goes to stderr before it is applied. The exit status is 1 when any write failed.

    Before --delete deletes, it asks (not with --yes or --dry-run); without a terminal to ask
    on, --yes is required. A FILE holding no record (a truncated source?) is refused with
    --delete, even on a terminal, unless --yes is given.

    \b
    Examples:
      kinto-query sync shop/todo todo.jsonl
      kinto-query sync main-workspace/regions regions.json --delete
      kinto-query sync main-workspace/regions regions.json --delete --yes   # from cron
    """
    fmt = fmt or {".csv": "csv", ".json": "json"}.get(file.suffix.lower(), "jsonl")
    stdin = str(file) == "-"
    name = "stdin" if stdin else str(file)
    stream: IO[str] = stdin_input() if stdin else open_input(file)
    try:
        records = _records(stream, fmt, name, key)
    finally:
        if not stdin:
            stream.close()
    collection = target.of(settings_of(ctx))
    try:
        diff = collection.diff(records, key=key)
    except InvalidRecords as error:
        raise CliError(f"{error}; nothing was changed", ExitStatus.USAGE) from None
    # Without --delete, what FILE lacks stays: not listed as deleted (the summary counts it).
    shown = diff if delete else dataclasses.replace(diff, to_delete=())
    click.echo(shown.describe(limit=SHOWN), err=True)
    if delete and diff.to_delete:
        _confirm(len(diff.to_delete), name, target, empty=not records,
                 yes=yes or settings_of(ctx).dry_run)
    try:
        report = collection.sync(diff, delete=delete)
    except BatchError as error:
        assert isinstance(error.report, SyncReport)  # what sync() raises with
        report = error.report
        for failure in [*report.conflicts, *report.failed][:SHOWN]:
            click.echo(f"{failure.id}: {failure.message}", err=True)
        click.echo(f"{target}: {report.summary()}", err=True)
        return ExitStatus.FAILED
    click.echo(f"{target}: {report.summary()}", err=True)
    return ExitStatus.OK
