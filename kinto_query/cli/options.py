"""Options and arguments the commands share: where (``BUCKET/COLLECTION``), who (``--server``,
``--auth``, ``--debug``) and which records (``--filter``, ``--exclude``, ``--sort``,
``--fields``, ``--limit``), turned into the library's lazy query.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Any, TypeVar, cast

import click
from click.shell_completion import CompletionItem

from .. import Collection, Listing, Query, validate_id
from ..exceptions import InvalidId, InvalidQuery
from .lookups import parse_lookup, split_list
from .session import AUTH_ENV, SERVER_ENV, Settings

__all__ = [
    "QueryOptions",
    "Target",
    "bucket_argument",
    "connection_options",
    "dry_run_option",
    "query_options",
    "select_from",
    "settings_of",
    "target_argument",
]

F = TypeVar("F", bound=Callable[..., Any])
Q = TypeVar("Q", bound=Listing[Any])


@dataclasses.dataclass(frozen=True)
class Target:
    """``BUCKET/COLLECTION`` or ``BUCKET/COLLECTION/RECORD``, every id checked."""

    bucket: str
    collection: str
    record: str | None = None

    def __str__(self) -> str:
        return "/".join(part for part in (self.bucket, self.collection, self.record) if part)

    def of(self, settings: Settings, *, offline: bool = False) -> Collection:
        """The collection, on the run's client (``offline``: one that only builds URLs)."""
        client = settings.url_client() if offline else settings.client()
        return client.bucket(self.bucket).collection(self.collection)


def _complete_ids(incomplete: str, parts: int) -> list[CompletionItem]:
    """Bucket and collection ids from the server named in the environment (no prompt: only
    ``$KINTO_SERVER_URL`` and a complete ``$KINTO_AUTH`` are used); nothing on any error."""
    from .. import Client

    auth = os.environ.get(AUTH_ENV)
    if auth and ":" not in auth and " " not in auth:
        return []
    try:
        with Client(os.environ.get(SERVER_ENV), auth=auth or None, timeout=2,
                    retry=None) as client:
            head, _, _ = incomplete.rpartition("/")
            if not head:
                ids = [b.id + "/" for b in client.buckets().fields("id")]
            elif head.count("/") == 0 and parts >= 2:
                ids = [f"{head}/{c.id}" for c in client.bucket(head).collections().fields("id")]
            else:
                return []
    except Exception:  # completion must never fail the shell
        return []
    return [CompletionItem(i, type="plain") for i in sorted(ids) if i.startswith(incomplete)]


def _target(record: bool) -> Callable[[click.Context, click.Parameter, str | None],
                                       Target | None]:
    name = "BUCKET/COLLECTION/RECORD" if record else "BUCKET/COLLECTION"
    example = "shop/todo/r1" if record else "shop/todo"

    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> Target | None:
        if value is None:  # an optional argument not given
            return None
        parts = value.strip("/").split("/")
        if len(parts) != (3 if record else 2):
            raise click.BadParameter(f"{value!r} is not {name}, e.g. {example}", ctx, param)
        try:
            for kind, part in zip(("bucket", "collection", "record"), parts, strict=False):
                validate_id(part, kind)
        except InvalidId as error:
            raise click.BadParameter(str(error), ctx, param) from None
        return Target(*parts)

    return convert


def target_argument(*, record: bool = False, required: bool = True) -> Callable[[F], F]:
    """The ``BUCKET/COLLECTION`` (``record``: ``BUCKET/COLLECTION/RECORD``) argument, checked,
    with ids completed from the server (None when not ``required`` and not given)."""

    def complete(ctx: click.Context, param: click.Parameter,
                 incomplete: str) -> list[CompletionItem]:
        return _complete_ids(incomplete, 3 if record else 2)

    metavar = "BUCKET/COLLECTION/RECORD" if record else "BUCKET/COLLECTION"
    return click.argument("target", metavar=metavar, callback=_target(record),
                          shell_complete=complete, required=required)


def bucket_argument(*, required: bool = True) -> Callable[[F], F]:
    """The ``BUCKET`` argument, its id checked, completed from the server."""

    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            validate_id(value, "bucket")
        except InvalidId as error:
            raise click.BadParameter(str(error), ctx, param) from None
        return value

    def complete(ctx: click.Context, param: click.Parameter,
                 incomplete: str) -> list[CompletionItem]:
        # The ids come as BUCKET/ (ready for a collection): here the bucket alone is wanted.
        return [CompletionItem(item.value.rstrip("/"), type="plain")
                for item in _complete_ids(incomplete, 1)]

    return click.argument("bucket", callback=convert, shell_complete=complete,
                          required=required)


def settings_of(ctx: click.Context) -> Settings:
    """The shared settings of this run (made by the root group)."""
    return ctx.ensure_object(Settings)


def _store(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    # Given on the group or on the command, the last one said wins.
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None and value is not False:
            setattr(settings_of(ctx), name, value)
        return value

    return callback


def connection_options(f: F) -> F:
    """``--server``, ``--auth``, ``--debug``: accepted before or after the command name."""
    f = click.option(
        "--debug", is_flag=True, expose_value=False, callback=_store("debug"),
        help="Log each request and show tracebacks (never credentials).")(f)
    f = click.option(
        "--auth", "-a", metavar="USER[:PASSWORD]|'Bearer TOKEN'", expose_value=False,
        callback=_store("auth"),
        help=f"Credentials [env {AUTH_ENV}]; a USER alone: the password is asked for.")(f)
    f = click.option(
        "--server", "-s", metavar="URL", expose_value=False, callback=_store("server"),
        help=f"Kinto's URL, with /v1 [env {SERVER_ENV}; default http://localhost:8888/v1].")(f)
    return f


def dry_run_option(f: F) -> F:
    """``--dry-run``: the command runs with every read sent and no write; each write it would
    send is printed on stderr with the answer the server would give (``Settings.dry_run``)."""
    return click.option(
        "--dry-run", is_flag=True, expose_value=False, callback=_store("dry_run"),
        help="Read for real, write nothing: print each write that would be sent, with the "
             "server's predicted answer (stderr); exit 0.")(f)


@dataclasses.dataclass(frozen=True)
class QueryOptions:
    """The record-selecting options of a command, as given."""

    filters: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    sort: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    limit: int | None = None

    def apply(self, query: Q) -> Q:
        """The query with these options, every lookup checked by the library."""
        try:
            for text in self.filters:
                query = query.filter(**dict([parse_lookup(text)]))
            for text in self.excludes:
                query = query.exclude(**dict([parse_lookup(text)]))
        except InvalidQuery as error:
            raise click.BadParameter(str(error), param_hint="--filter/--exclude") from None
        if self.sort:
            query = query.sort(*self.sort)
        if self.fields:  # offered (query_options(fields=True)) only where queries have it
            query = cast(Q, cast(Query[Any], query).fields(*self.fields))
        if self.limit is not None:
            query = query.limit(self.limit)
        return query


_EXAMPLES = "status=done, priority__gte=3, tags__contains_any=a,b"


def query_options(*, shape: bool = True, limit: bool = True, fields: bool = True,
                  what: str = "records", examples: str = _EXAMPLES) -> Callable[[F], F]:
    """``--filter`` and ``--exclude``; with ``shape`` ``--sort`` and (unless ``fields`` is
    false) ``--fields``; with ``limit`` ``--limit``. ``select_from(kwargs)`` gathers them into
    ``QueryOptions``. ``what`` and ``examples`` word the help (what is listed, some filters)."""

    def decorate(f: F) -> F:
        options = [
            click.option("--filter", "-f", "filters", multiple=True, metavar="NAME=VALUE",
                         help=f"Keep {what} matching (repeat: all must match), e.g. "
                              f"{examples}."),
            click.option("--exclude", "-x", "excludes", multiple=True, metavar="NAME=VALUE",
                         help=f"Drop {what} matching (eq, ne, in, not_in, has)."),
        ]
        if shape:
            options.append(click.option(
                "--sort", "sort_", multiple=True, metavar="FIELD[,-FIELD]",
                help="Order by fields, '-' for descending (default: -last_modified)."))
        if shape and fields:
            options.append(click.option(
                "--fields", multiple=True, metavar="FIELD[,FIELD]",
                help="Only these fields (id and last_modified always come)."))
        if limit:
            options.append(click.option("--limit", "-n", type=click.IntRange(min=0),
                                        help=f"At most this many {what}."))
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


def select_from(kwargs: dict[str, Any]) -> QueryOptions:
    """Pop the query options out of a command's keyword arguments."""
    return QueryOptions(
        filters=kwargs.pop("filters", ()),
        excludes=kwargs.pop("excludes", ()),
        sort=split_list(kwargs.pop("sort_", ())),
        fields=split_list(kwargs.pop("fields", ())),
        limit=kwargs.pop("limit", None),
    )
