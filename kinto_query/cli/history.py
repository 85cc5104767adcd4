"""``kinto-query history BUCKET``: the changes made in a bucket (Kinto's history plugin).

Each entry is written as one flat object with the fields of ``HistoryEntry``, always all of
them and in that order (``collection_id``, ``group_id``, ``record_id`` are null where they do
not apply, where Kinto leaves them out): so every page, and every CSV row, has the same
columns whatever changed. ``data`` and ``permissions`` are the object after the change.
"""

from __future__ import annotations

import dataclasses
import datetime
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any

import click

from .. import HistoryEntry, Page
from .options import bucket_argument, connection_options, query_options, select_from, settings_of
from .output import FORMATS, emit
from .read import FORMAT_HELP, URL_HELP, default_format

__all__ = ["entry_object", "history", "moment", "short_uri", "short_user"]

FIELDS = tuple(field.name for field in dataclasses.fields(HistoryEntry))
_TABLE_COLUMNS = ("date (UTC)", "user_id", "action", "resource_name", "object")
_ID_SHOWN = 8  # characters of a long user id hash shown in the table (the formats keep all)
_FILTER_EXAMPLES = ("action=delete, resource_name=record, collection_id=todo, "
                    "target.data.status=done")


def moment(ctx: click.Context, param: click.Parameter,
           value: str | None) -> int | datetime.datetime | None:
    """``--since``/``--before``: milliseconds (what ``last_modified`` and ETags hold) or an
    ISO 8601 date-time with its time zone."""
    if value is None:
        return None
    text = value.strip()
    if text.strip('"').isdigit():  # an ETag is the number in quotes
        return int(text.strip('"'))
    try:
        when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither a timestamp in milliseconds nor an ISO 8601 date-time, "
            "e.g. 1700000000000 or 2024-06-01T12:00:00Z", ctx, param) from None
    if when.tzinfo is None:  # the server's clock is UTC, the user's may not be: ask
        raise click.BadParameter(
            f"{value!r} has no time zone: add one, e.g. {text}Z or {text}+02:00", ctx, param)
    return when


def entry_object(entry: HistoryEntry) -> dict[str, Any]:
    """An entry as one JSON object: every field of ``HistoryEntry``, the date in ISO 8601."""
    obj = {name: getattr(entry, name) for name in FIELDS}
    obj["date"] = entry.date.isoformat()
    return obj


def _objects(pages: Iterable[Page[HistoryEntry]]) -> Iterator[Page[dict[str, Any]]]:
    for page in pages:
        yield Page([entry_object(entry) for entry in page.items], page.timestamp, page.total,
                   page.next_page, page.resume_token)


def short_user(user_id: str) -> str:
    """``basicauth:5b0c56ed…`` for a 64-character hash; ``account:ann`` as it is.

    >>> short_user("basicauth:" + "5b0c56ed" * 8), short_user("account:ann")
    ('basicauth:5b0c56ed…', 'account:ann')
    """
    kind, colon, rest = user_id.rpartition(":")
    if len(rest) <= 2 * _ID_SHOWN:
        return user_id
    return f"{kind}{colon}{rest[:_ID_SHOWN]}…"


def short_uri(uri: str, bucket: str) -> str:
    """The object of an entry within its bucket: ``todo/t005`` for the record t005 of the
    collection todo, ``todo`` for a collection or ``friends`` for a group (the resource_name
    column says which), ``shop`` for the bucket itself.

    >>> short_uri("/buckets/shop/collections/todo/records/t005", "shop")
    'todo/t005'
    """
    parts = uri.strip("/").split("/")
    if parts[:2] != ["buckets", bucket]:
        return uri
    return "/".join(parts[3::2]) or bucket


def print_history(entries: Iterable[HistoryEntry], stream: IO[str], bucket: str) -> int:
    """Draw entries as a table: when, who, what was done to which object; returns how many.
    The objects' data is left to the other formats (it rarely fits a row), and so are whole
    user ids and URIs: the table fits a 120-column terminal."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    for name in _TABLE_COLUMNS:
        table.add_column(name, overflow="fold")
    count = 0
    for entry in entries:
        when = entry.date.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(Text(when), Text(short_user(entry.user_id)), Text(entry.action),
                      Text(entry.resource_name), Text(short_uri(entry.uri, bucket)))
        count += 1
    if count:
        Console(file=stream, soft_wrap=False).print(table)
    return count


@click.command()
@bucket_argument()
@query_options(fields=False, what="entries", examples=_FILTER_EXAMPLES)
@click.option("--since", metavar="TIME", callback=moment,
              help="Only entries after this time (excluded): a timestamp in milliseconds or "
                   "an ISO 8601 date-time with its time zone.")
@click.option("--before", metavar="TIME", callback=moment,
              help="Only entries before this time (excluded), as --since.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help=FORMAT_HELP)
@click.option("--url", "show_url", is_flag=True, help=URL_HELP)
@connection_options
@click.pass_context
def history(ctx: click.Context, /, bucket: str, since: int | datetime.datetime | None,
            before: int | datetime.datetime | None, fmt: str | None, show_url: bool,
            **select: Any) -> None:
    """List the changes made in BUCKET, newest first (needs Kinto's history plugin).

    One entry per change of the bucket, its groups, collections and records: who (user_id),
    when (date, last_modified), the action (create, update, delete), which object
    (resource_name, uri, collection_id, group_id, record_id) and, in the jsonl, json and csv
    formats, the object after the change (data, permissions). Filters and typed values are
    those of 'kinto-query records', on these fields; the object's own fields are
    target.data.NAME.

    \b
    Examples:
      kinto-query history shop --limit 20
      kinto-query history shop -f resource_name=record -f action=delete --since 2024-06-01T00:00:00Z
      kinto-query history shop -f collection_id=todo -f target.data.status=done --format jsonl
      kinto-query history shop -f user_id=account:ann --sort last_modified --url
    """
    options = select_from(select)
    client = settings_of(ctx).url_client() if show_url else settings_of(ctx).client()
    query = options.apply(client.bucket(bucket).history())
    if since is not None:
        query = query.since(since)
    if before is not None:
        query = query.before(before)
    if show_url:
        click.echo(f"GET {query.url}")
        return
    fmt = default_format(fmt)
    if fmt == "table":
        shown = print_history((e for page in query.pages() for e in page.items), sys.stdout,
                              bucket)
        if not shown:
            click.echo("no history entry matches", err=True)
        return
    emit(_objects(query.pages()), fmt, sys.stdout)
