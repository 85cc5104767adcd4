"""Reading commands: ``records``, ``count``, ``get``, ``buckets``, ``collections``."""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import quote, urlencode

import click

from .errors import CliError, ExitStatus
from .options import (
    Target,
    connection_options,
    query_options,
    select_from,
    settings_of,
    target_argument,
)
from .output import FORMATS, emit, print_table

__all__ = ["buckets", "collections", "count", "get", "records"]

FORMAT_HELP = "Output format [default: table on a terminal, jsonl otherwise]."
URL_HELP = "Print the request that would be sent (method and URL), and send nothing."


def default_format(fmt: str | None) -> str:
    return fmt or ("table" if sys.stdout.isatty() else "jsonl")


@click.command()
@target_argument()
@query_options()
@click.option("--format", "fmt", type=click.Choice(FORMATS), help=FORMAT_HELP)
@click.option("--page-size", type=click.IntRange(min=1),
              help="Records per request [default: the server's, up to 10,000].")
@click.option("--url", "show_url", is_flag=True, help=URL_HELP)
@connection_options
@click.pass_context
def records(ctx: click.Context, /, target: Target, fmt: str | None, page_size: int | None,
            show_url: bool, **select: Any) -> None:
    """List the records of BUCKET/COLLECTION that match the filters.

    A filter is NAME=VALUE, NAME a field (author__name or author.name for nested ones) with
    an optional __LOOKUP: eq ne gt gte lt lte in not_in like has contains contains_any.
    A VALUE that is valid JSON is that JSON: priority__gte=3 compares with the number 3,
    done=true with the boolean; any other text is a string (status=done). To force a
    string, quote it as JSON: title='"1.0"'. Lists (in, not_in, contains, contains_any)
    are comma-separated or a JSON array: status__in=todo,doing.

    \b
    Examples:
      kinto-query records shop/todo --filter status=done --sort -priority --limit 10
      kinto-query records shop/todo -f priority__gte=3 -x status=done --fields title,status
      kinto-query records shop/todo -f 'title="1.0"' --url
      kinto-query records shop/todo --format csv > todo.csv
    """
    options = select_from(select)
    query = options.apply(target.of(settings_of(ctx), offline=show_url).records())
    if page_size is not None:
        query = query.page_size(page_size)
    if show_url:
        click.echo(f"GET {query.url}")
        return
    fmt = default_format(fmt)
    shown = emit(query.dicts().pages(), fmt, sys.stdout, options.fields)
    if fmt == "table" and not shown:
        click.echo("no record matches", err=True)


@click.command()
@target_argument()
@query_options(shape=False, limit=False)
@click.option("--url", "show_url", is_flag=True, help=URL_HELP)
@connection_options
@click.pass_context
def count(ctx: click.Context, /, target: Target, show_url: bool, **select: Any) -> None:
    """Print how many records of BUCKET/COLLECTION match (one HEAD request).

    Filters are those of 'kinto-query records'.

    \b
    Examples:
      kinto-query count shop/todo
      kinto-query count shop/todo --filter status=done --filter priority__gte=3
    """
    query = select_from(select).apply(target.of(settings_of(ctx), offline=show_url).records())
    if show_url:
        click.echo(f"HEAD {query.url}")
        return
    click.echo(str(query.count()))


@click.command()
@target_argument(record=True)
@click.option("--fields", multiple=True, metavar="FIELD[,FIELD]",
              help="Only these fields (id and last_modified always come).")
@click.option("--permissions", is_flag=True,
              help='Print {"data": ..., "permissions": ...} (permissions are shown to writers).')
@click.option("--format", "fmt", type=click.Choice(("json", "jsonl", "table")),
              default="json", show_default=True, help="Output format.")
@click.option("--url", "show_url", is_flag=True, help=URL_HELP)
@connection_options
@click.pass_context
def get(ctx: click.Context, /, target: Target, fields: tuple[str, ...], permissions: bool,
        fmt: str, show_url: bool) -> None:
    """Print one record, BUCKET/COLLECTION/RECORD, as JSON.

    \b
    Examples:
      kinto-query get shop/todo/t001
      kinto-query get shop/todo/t001 --fields title,status --format table
    """
    from .lookups import split_list

    names = split_list(fields)
    collection = target.of(settings_of(ctx), offline=show_url)
    assert target.record is not None
    if show_url:
        url = collection.transport.url(collection.record(id=target.record).path)
        if names:
            url += "?" + urlencode({"_fields": ",".join(names)}, quote_via=quote, safe=",")
        click.echo(f"GET {url}")
        return
    query = collection.records().fields(*names) if names else collection.records()
    record = query.get(target.record)
    data = {"id": record.id, "last_modified": record.last_modified, **record.data.to_dict()}
    if fmt == "table":
        print_table([data], sys.stdout, names)
        return
    shown: dict[str, Any] = data
    if permissions:
        shown = {"data": data, "permissions": record.permissions.to_dict()}
    indent = 2 if fmt == "json" else None
    separators = None if fmt == "json" else (",", ":")
    click.echo(json.dumps(shown, ensure_ascii=False, indent=indent, separators=separators))


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), help=FORMAT_HELP)
@connection_options
@click.pass_context
def buckets(ctx: click.Context, /, fmt: str | None) -> None:
    """List the buckets you may read, by id.

    \b
    Examples:
      kinto-query buckets
      kinto-query buckets --format ids
    """
    query = settings_of(ctx).client().buckets().sort("id")
    emit(query.dicts().pages(), default_format(fmt), sys.stdout)


@click.command()
@click.argument("bucket")
@click.option("--format", "fmt", type=click.Choice(FORMATS), help=FORMAT_HELP)
@connection_options
@click.pass_context
def collections(ctx: click.Context, /, bucket: str, fmt: str | None) -> None:
    """List the collections of BUCKET, by id.

    \b
    Examples:
      kinto-query collections shop
      kinto-query collections shop --format ids
    """
    from .. import validate_id
    from ..exceptions import InvalidId

    try:
        validate_id(bucket, "bucket")
    except InvalidId as error:
        raise CliError(str(error), ExitStatus.USAGE) from None
    query = settings_of(ctx).client().bucket(bucket).collections().sort("id")
    emit(query.dicts().pages(), default_format(fmt), sys.stdout)
