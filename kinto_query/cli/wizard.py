"""``dump`` and ``load``: buckets, groups, collections, permissions (and records) as YAML, in
kinto-wizard's format, so that either tool reads what the other wrote::

    buckets:
      BUCKET:
        permissions: {read: [...], write: [...], ...}
        data: {id: ..., last_modified: ..., ...}          # with --data
        groups:
          GROUP: {data: {members: [...]}, permissions: {...}}
        collections:
          COLLECTION:
            permissions: {...}
            data: {...}                                    # with --data
            records:                                       # with --records
              RECORD: {data: {id: ..., ...}, permissions: {}}

Loading creates what is missing and updates what differs (fields given are set, others
kept; permissions given are replaced, others kept), as kinto-wizard does; ``--force``
overwrites without checking versions. YAML is read and written as kinto-wizard does (see
``yamlio``): dates stay strings both ways. The work is in ``wizard_dump`` and
``wizard_load``; what to take in ``selection``; the files in ``attachments_dir``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import click
import yaml

from .confirm import confirm_deletion
from .errors import CliError, ExitStatus
from .options import bucket_argument, connection_options, dry_run_option, settings_of
from .output import plural
from .selection import KINDS, Selection, chosen_kinds, kind_options
from .wizard_dump import dump_server
from .wizard_load import load_server, missing_records
from .yamlio import dump_yaml, load_yaml

__all__ = ["dump", "load"]

_DUMPED = ("buckets", "groups", "collections")
_FOLDER = click.Path(file_okay=False, path_type=Path)


@click.command()
@bucket_argument(required=False)
@click.option("--bucket", "-b", "bucket_option", hidden=True,
              help="Only this bucket (the old spelling of the BUCKET argument).")
@click.option("--collection", "-c", metavar="COLLECTION",
              help="Only this collection (of BUCKET, or of every bucket that has one), "
                   "without the groups.")
@kind_options("dump")
@click.option("--data", "with_data", is_flag=True,
              help="Include the data of buckets, collections and groups (not only members).")
@click.option("--permissions/--no-permissions", default=True,
              help="Include the permissions (the default), or leave them out.")
@click.option("--record-permissions", is_flag=True,
              help="Include each record's permissions too (read in batches of requests, one "
                   "per record; kinto-wizard writes none).")
@click.option("--full", is_flag=True,
              help="Everything: every kind, with data and permissions (attachments only "
                   "with --attachments, record permissions only with --record-permissions).")
@click.option("--attachments", metavar="DIR", type=_FOLDER,
              help="Download the records' attachments into DIR (files already there and "
                   "right are kept); implies the records.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The YAML file to write [default: stdout].")
@connection_options
@click.pass_context
def dump(ctx: click.Context, /, bucket: str | None, bucket_option: str | None,
         collection: str | None, with_data: bool, permissions: bool,
         record_permissions: bool, full: bool, attachments: Path | None,
         output: Path | None, **kinds: bool) -> None:
    """Dump buckets, groups, collections and permissions (optionally data and records) as
    YAML that kinto-wizard loads: the whole server, or BUCKET only.

    Kinds: --buckets, --groups, --collections, --records each dump that kind of object,
    and only the kinds named are dumped; with none of them named, buckets, groups and
    collections are (--records alone adds the records to those).

    \b
    Examples:
      kinto-query dump > server.yaml
      kinto-query dump shop --full -o shop.yaml
      kinto-query dump shop -c todo --records --no-permissions
      kinto-query dump shop --full --attachments files/ -o shop.yaml
    """
    # --bucket still works (scripts written for it), hidden from the help: one way to say it.
    if bucket and bucket_option and bucket != bucket_option:
        raise click.UsageError(f"two buckets given: {bucket!r} and --bucket {bucket_option!r}")
    named = chosen_kinds(kinds, ())
    if full:
        named = frozenset(KINDS)
    elif named <= {"records"}:
        named |= frozenset(_DUMPED)
    if attachments is not None:
        named |= {"records"}  # the files are the records': they come with them
    selection = Selection(kinds=named, data=with_data or full, permissions=permissions,
                          bucket=bucket or bucket_option, collection=collection,
                          record_permissions=record_permissions)
    say = _say_on_stderr
    tree = dump_server(settings_of(ctx).client(), selection, attachments=attachments, say=say)
    text = dump_yaml(tree)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"dumped {plural(len(tree['buckets']), 'bucket')} to {output}", err=True)


def _say_on_stderr(line: str) -> None:
    click.echo(line, err=True)


def _confirm_deletions(found: dict[tuple[str, str], list[str]], file: str, *,
                       yes: bool) -> None:
    """Ask before ``--delete-records`` deletes (not with --yes/--force); refuse without a
    terminal to ask on."""
    total = sum(len(ids) for ids in found.values())
    where = ", ".join(f"{b}/{c}: {len(ids):,}" for (b, c), ids in found.items())
    what = f"{plural(total, 'record')} not in {file} ({where})"
    if total and not confirm_deletion(what, yes=yes):
        raise CliError("nothing loaded, nothing deleted", ExitStatus.FAILED)


@click.command()
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--bucket", "-b", metavar="BUCKET", help="Only this bucket of the file.")
@click.option("--collection", "-c", metavar="COLLECTION",
              help="Only this collection of the file (its bucket and the bucket's groups "
                   "are loaded too, as kinto-wizard does).")
@kind_options("load")
@click.option("--full", is_flag=True, help="Everything in the file (the default).")
@click.option("--data", "only_data", is_flag=True,
              help="Load the data only, not the permissions.")
@click.option("--permissions", "only_permissions", is_flag=True,
              help="Load the permissions only, not the data.")
@click.option("--delete-records", is_flag=True,
              help="Also delete, in each collection of the file that lists records, the "
                   "records it does not list (asks first, not with --yes or --force).")
@click.option("--attachments", metavar="DIR",
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Upload the records' files from DIR (as 'dump --attachments' wrote it), "
                   "for those whose attachment on the server is missing or differs.")
@click.option("--force", is_flag=True, help="Overwrite without checking versions.")
@click.option("--ignore-batch-4xx", "ignore_4xx", is_flag=True,
              help="A write the server refuses (4xx: an invalid record, no permission) is a "
                   "warning and the load goes on (exit 0), as kinto-wizard's option.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before deleting records.")
@dry_run_option
@connection_options
@click.pass_context
def load(ctx: click.Context, /, file: IO[str], bucket: str | None, collection: str | None,
         full: bool, only_data: bool, only_permissions: bool, delete_records: bool,
         attachments: Path | None, force: bool, ignore_4xx: bool, yes: bool,
         **kinds: bool) -> None:
    """Load a YAML file in kinto-wizard's format (as 'dump' or 'kinto-wizard dump' write
    it): create what is missing, update what differs, leave the rest.

    Kinds: --buckets, --groups, --collections, --records each load that kind of object
    of the file, and only the kinds named are loaded (all of them when none is named).

    \b
    Examples:
      kinto-query load server.yaml
      kinto-query load shop.yaml --bucket shop
      kinto-query load shop.yaml -b shop -c todo --records --delete-records --yes
      kinto-query load shop.yaml --attachments files/
      kinto-query load server.yaml --dry-run     # what it would change, changing nothing
    """
    try:
        config = load_yaml(file)
    except yaml.YAMLError as error:
        raise CliError(f"{file.name}: not YAML ({error})", ExitStatus.USAGE) from None
    named = chosen_kinds(kinds, KINDS)
    both = full or only_data == only_permissions
    selection = Selection(kinds=frozenset(KINDS) if full else named,
                          data=both or only_data, permissions=both or only_permissions,
                          bucket=bucket, collection=collection)
    if delete_records and not selection.wants("records"):
        raise click.UsageError("--delete-records deletes records: add --records to the kinds")
    client = settings_of(ctx).client()
    found: dict[tuple[str, str], list[str]] = {}
    if delete_records:
        found = missing_records(client, config, selection)
        # A dry run deletes nothing: nothing to confirm.
        _confirm_deletions(found, file.name, yes=yes or force or settings_of(ctx).dry_run)
    counts = load_server(client, config, selection, force=force, delete=found,
                         attachments=attachments, ignore_4xx=ignore_4xx, say=_say_on_stderr)
    summary = ", ".join(f"{plural(n, kind)} {outcome}" for (kind, outcome), n in counts.items())
    summary = summary or "nothing to load"
    done = "dry run: would have loaded" if settings_of(ctx).dry_run else "loaded"
    click.echo(f"{done} {file.name}: {summary}", err=True)
