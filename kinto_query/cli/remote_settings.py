"""``kinto-query changeset B/C`` and ``kinto-query monitor``: what Remote Settings readers read
(kinto-changes), on a terminal as tables, in a pipe as JSON lines.

A changeset prints its changes, one object each (the record's fields with ``id`` and
``last_modified``; a tombstone is ``{"id", "last_modified", "deleted": true}``); its timestamp
(the next ``--since``) and whether its signature verified are said on stderr. The monitor
prints one object per collection: ``bucket``, ``collection``, ``last_modified``, ``host``.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any

import click

from .. import Changeset, MonitorEntry, Page, Record, SignatureVerifier
from .history import moment
from .options import Target, connection_options, settings_of, target_argument
from .output import FORMATS, emit, print_table
from .read import FORMAT_HELP, URL_HELP, default_format

__all__ = ["changeset", "monitor"]

_SINCE_HELP = ("Only what changed after this time (deletions as tombstones): a timestamp in "
               "milliseconds (a changeset's timestamp) or an ISO 8601 date-time with its "
               "time zone.")


def change_object(record: Record) -> dict[str, Any]:
    """A change as one JSON object: the record as the server sent it."""
    if record.deleted:
        return {"id": record.id, "last_modified": record.last_modified, "deleted": True}
    return {"id": record.id, "last_modified": record.last_modified, **record.data.to_dict()}


def entry_object(entry: MonitorEntry) -> dict[str, Any]:
    obj: dict[str, Any] = {"bucket": entry.bucket, "collection": entry.collection,
                           "last_modified": entry.last_modified, "host": entry.host}
    if entry.deleted:
        obj["deleted"] = True
    return obj


def _utc(milliseconds: int) -> str:
    when = datetime.datetime.fromtimestamp(milliseconds / 1000, datetime.timezone.utc)
    return when.strftime("%Y-%m-%d %H:%M:%S")


def _verify(changes: Changeset[Any], key: Path | None, root_hash: str | None,
            subject: str | None, ctx: click.Context) -> str:
    """Check the signature as asked; what to say of it on stderr."""
    if key is None and root_hash is None:
        return "signature not checked (--verify KEY.pem or --root-hash HASH)"
    public_key = key.read_bytes() if key is not None else None
    verifier = SignatureVerifier(public_key=public_key, root_hash=root_hash,
                                 subject_name=subject,
                                 transport=settings_of(ctx).client().transport)
    verifier.verify(changes)  # InvalidSignature leaves the command with its own status
    return "signature verified"


@click.command()
@target_argument()
@click.option("--since", metavar="TIME", callback=moment, help=_SINCE_HELP)
@click.option("--expected", type=click.IntRange(min=0), metavar="TIMESTAMP",
              help="The _expected sent (busts caches) [default: the collection's timestamp "
                   "in the monitor].")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many changes, newest.")
@click.option("--verify", "key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="KEY.pem", help="Check the signature with this public key (PEM).")
@click.option("--root-hash", metavar="HASH",
              help="Check the signature through its x5u certificate chain, whose root has "
                   "this SHA-256 fingerprint (AA:BB:...).")
@click.option("--subject", metavar="DNS-NAME",
              help="With --root-hash: the name the chain's leaf must carry.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help=FORMAT_HELP)
@connection_options
@click.pass_context
def changeset(ctx: click.Context, /, target: Target, since: int | datetime.datetime | None,
              expected: int | None, limit: int | None, key: Path | None,
              root_hash: str | None, subject: str | None, fmt: str | None) -> None:
    """Print the changeset of BUCKET/COLLECTION (kinto-changes, Remote Settings): its
    records, or with --since the changes after a time (tombstones too); its timestamp is
    said on stderr, to pass as the next --since.

    \b
    Examples:
      kinto-query changeset main/regions --verify ecdsa.public.pem
      kinto-query changeset main/regions --since 1700000000000 --format jsonl
      kinto-query changeset main/regions --root-hash 97:E8:BA:... --subject rs.example.org
    """
    if subject is not None and root_hash is None:
        raise click.UsageError("--subject goes with --root-hash")
    collection = target.of(settings_of(ctx))
    changes = collection.changeset(since=since, expected=expected, limit=limit)
    said = _verify(changes, key, root_hash, subject, ctx)
    objects = [change_object(record) for record in changes.changes]
    fmt = default_format(fmt)
    if fmt == "table":
        print_table(objects, sys.stdout)
    else:
        emit([Page(objects, changes.timestamp, None, None)], fmt, sys.stdout)
    click.echo(f"{target}: timestamp {changes.timestamp} ({_utc(changes.timestamp)} UTC), "
               f"{len(changes.records)} records, {len(changes.deleted)} deleted; {said}",
               err=True)


@click.command()
@click.option("--bucket", help="Only the collections of this bucket.")
@click.option("--collection", help="Only the collections of this id.")
@click.option("--since", metavar="TIME", callback=moment,
              help="Only collections changed after this time (a timestamp in milliseconds "
                   "or an ISO 8601 date-time with its time zone).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help=FORMAT_HELP)
@click.option("--url", "show_url", is_flag=True, help=URL_HELP)
@connection_options
@click.pass_context
def monitor(ctx: click.Context, /, bucket: str | None, collection: str | None,
            since: int | datetime.datetime | None, fmt: str | None, show_url: bool) -> None:
    """List the collections the server monitors (Remote Settings' monitor/changes) and
    their timestamps: what changed, and the --expected of each changeset.

    \b
    Examples:
      kinto-query monitor
      kinto-query monitor --bucket main --since 2024-06-01T00:00:00Z --format jsonl
    """
    client = settings_of(ctx).url_client() if show_url else settings_of(ctx).client()
    query = client.monitor().filter(bucket=bucket, collection=collection)
    if since is not None:
        query = query.since(since)
    if show_url:
        click.echo(f"GET {query.url}")
        return
    snapshot = query.read()
    fmt = default_format(fmt)
    if fmt == "table":
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(show_edge=False, header_style="bold", pad_edge=False)
        for name in ("bucket", "collection", "last_modified", "date (UTC)"):
            table.add_column(name, overflow="fold")
        for entry in snapshot:
            table.add_row(Text(entry.bucket), Text(entry.collection),
                          Text(str(entry.last_modified)), Text(_utc(entry.last_modified)))
        if len(snapshot):
            Console(file=sys.stdout, soft_wrap=False).print(table)
    else:
        emit([Page([entry_object(e) for e in snapshot], None, None, None)], fmt, sys.stdout)
    click.echo(f"{len(snapshot)} collections; monitor timestamp {snapshot.timestamp}",
               err=True)
