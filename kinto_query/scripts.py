"""Scripts in two lines: ``--server``, ``--auth``, ``--bucket``, ``--collection``, ``-v`` and
``--dry-run`` for argparse or click, and a client (with its bucket and collection) from them.

argparse::

    parser = scripts.argument_parser(description="Publish the todo list")
    kinto = scripts.connect(parser.parse_args())

click::

    @click.command()
    @scripts.click_options()
    def main(kinto: scripts.Connection) -> None: ...

Each option falls back on an environment variable, those of ``kinto-query`` first:
``KINTO_SERVER_URL``, ``KINTO_AUTH``, ``KINTO_BUCKET``, ``KINTO_COLLECTION``, and for the dry
run ``KINTO_DRY_RUN``, then ``DRY_RUN`` (as Remote Settings' scripts read it). A flag given
wins over the environment (``--no-dry-run`` over a ``DRY_RUN=1``). A dry-run variable counts
as true for ``1``, ``true``, ``yes``, ``on`` and false for ``0``, ``false``, ``no``, ``off``
or empty (any case, spaces ignored); any other value is an error, not a guess.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import getpass
import logging
import os
import sys
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from ._auth import AuthLike, parse_auth
from ._endpoints import validate_id
from ._objects._blocking.bucket import Bucket
from ._objects._blocking.client import Client
from ._objects._blocking.collection import Collection
from ._urls import DEFAULT_SERVER_URL, check_server_url
from ._wire.dry_run import PlannedWrite
from .exceptions import ConfigurationError, InvalidId

if TYPE_CHECKING:
    import click

__all__ = [
    "AUTH_ENV",
    "BUCKET_ENV",
    "COLLECTION_ENV",
    "DRY_RUN_ENVS",
    "SERVER_ENV",
    "Connection",
    "add_arguments",
    "argument_parser",
    "click_options",
    "connect",
    "dry_run_from_env",
]

SERVER_ENV = "KINTO_SERVER_URL"
AUTH_ENV = "KINTO_AUTH"
BUCKET_ENV = "KINTO_BUCKET"
COLLECTION_ENV = "KINTO_COLLECTION"
DRY_RUN_ENVS = ("KINTO_DRY_RUN", "DRY_RUN")
"""Read in this order: the first one set decides."""

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")
F = TypeVar("F", bound=Callable[..., Any])


@dataclasses.dataclass
class Connection:
    """What a script's options gave: the client, and the bucket and collection named (None
    when not given). Close it (or use it as a context manager) when done.

    >>> kinto = Connection(Client("http://localhost:8888/v1", dry_run=True), None, None)
    >>> kinto.dry_run
    True
    """

    client: Client
    bucket: Bucket | None
    collection: Collection | None

    @property
    def dry_run(self) -> bool:
        """Whether writes are planned, not sent (``--dry-run``, ``DRY_RUN=1``...)."""
        return self.client.dry_run

    @property
    def dry_run_log(self) -> tuple[PlannedWrite, ...]:
        """The writes the dry run did not send (``Client.dry_run_log``)."""
        return self.client.dry_run_log

    def close(self) -> None:
        """Close the client's session."""
        self.client.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def dry_run_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``KINTO_DRY_RUN`` (else ``DRY_RUN``) asks for a dry run; ``ValueError`` for a
    value that is neither true nor false.

    >>> dry_run_from_env({"DRY_RUN": "1"}), dry_run_from_env({})
    (True, False)
    """
    environ = os.environ if environ is None else environ
    for name in DRY_RUN_ENVS:
        if name in environ:
            return _yes_no(environ[name], f"${name}")
    return False


def _yes_no(value: str, where: str) -> bool:
    word = value.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise ValueError(f"{where}={value!r} is neither true nor false: use 1, true, yes or on "
                     "for a dry run, 0, false, no, off or empty for a real one")


def _server(value: str) -> str:
    try:
        return check_server_url(value)
    except ConfigurationError as error:
        raise ValueError(str(error)) from None


def _auth(value: str) -> AuthLike:
    """Credentials in ``kinto-query``'s spellings; a bare user's password asked for."""
    if not value:
        return None
    if ":" not in value and " " not in value:
        if not sys.stdin.isatty():
            raise ValueError(f"no password for {value!r} and no terminal to ask for it: give "
                             f"{value}:PASSWORD or set ${AUTH_ENV}")
        return (value, getpass.getpass(f"Password for {value}: "))
    try:
        parse_auth(value)
    except ValueError:
        raise ValueError("credentials must be USER:PASSWORD, USER (the password is asked "
                         "for) or 'Bearer TOKEN'") from None
    return value


def _id(kind: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            return validate_id(value, kind)
        except InvalidId as error:
            raise ValueError(str(error)) from None

    return check


def _typed(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    # argparse shows an ArgumentTypeError's text as it is (a ValueError's as "invalid value").
    def typed(value: str) -> Any:
        try:
            return convert(value)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    typed.__name__ = convert.__name__
    return typed


class _Flag(argparse.Action):
    """A flag (no value) whose default may come as a string, converted by ``type``."""

    def __init__(self, option_strings: list[str], dest: str, const: Any, default: Any = None,
                 type: Callable[[str], Any] | None = None, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, const=const, default=default,
                         type=type, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, self.const)


def add_arguments(parser: argparse.ArgumentParser, *, bucket: bool = True,
                  collection: bool = True) -> argparse.ArgumentParser:
    """Add ``-s/--server``, ``-a/--auth``, ``-b/--bucket``, ``-c/--collection`` (unless told
    not to), ``-v/--verbose`` and ``--dry-run/--no-dry-run`` to ``parser``; returns it.

    >>> args = add_arguments(argparse.ArgumentParser()).parse_args(["-b", "main"])
    >>> args.bucket
    'main'
    """
    env = os.environ
    parser.add_argument("-s", "--server", type=_typed(_server),
                        default=env.get(SERVER_ENV) or DEFAULT_SERVER_URL,
                        help=f"Kinto's URL, with /v1 [env {SERVER_ENV}; default "
                             f"{DEFAULT_SERVER_URL}]")
    parser.add_argument("-a", "--auth", type=_typed(_auth), default=env.get(AUTH_ENV),
                        metavar="USER[:PASSWORD]|'Bearer TOKEN'",
                        help=f"Credentials [env {AUTH_ENV}]; a USER alone: the password is "
                             "asked for")
    if bucket:
        parser.add_argument("-b", "--bucket", type=_typed(_id("bucket")),
                            default=env.get(BUCKET_ENV), help=f"Bucket id [env {BUCKET_ENV}]")
    if collection:
        parser.add_argument("-c", "--collection", type=_typed(_id("collection")),
                            default=env.get(COLLECTION_ENV),
                            help=f"Collection id [env {COLLECTION_ENV}]")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="Log what the client does on stderr (-v: each write planned or "
                             "batch sent; -vv: each request)")
    named = [name for name in DRY_RUN_ENVS if name in env][:1]
    # The environment's value is checked when parsing (argparse converts a string default
    # through ``type``): a bad one is a usage error, like a bad option.
    parser.add_argument("--dry-run", action=_Flag, const=True,
                        default=env[named[0]] if named else False,
                        type=_typed(lambda value: _yes_no(value, f"${named[0]}")),
                        help="Read for real, write nothing: each write is planned with the "
                             f"answer the server would give [env {' or '.join(DRY_RUN_ENVS)}]")
    parser.add_argument("--no-dry-run", dest="dry_run", action="store_const", const=False,
                        default=argparse.SUPPRESS,
                        help="Write for real, whatever the environment says")
    return parser


def argument_parser(**kwargs: Any) -> argparse.ArgumentParser:
    """A new ``argparse.ArgumentParser(**kwargs)`` with the options of ``add_arguments``.

    >>> argument_parser(description="Publish").parse_args(["--dry-run"]).dry_run
    True
    """
    return add_arguments(argparse.ArgumentParser(**kwargs))


def connect(args: argparse.Namespace | Mapping[str, Any]) -> Connection:
    """The client, bucket and collection of parsed options (``add_arguments``' or
    ``click_options``'); logging set up as ``-v`` asks.

    >>> kinto = connect(argument_parser().parse_args(["-b", "main", "-c", "c"]))
    >>> kinto.collection
    <Collection '/buckets/main/collections/c'>
    """
    values = dict(vars(args) if isinstance(args, argparse.Namespace) else args)
    _log(int(values.get("verbose") or 0))
    client = Client(values.get("server") or DEFAULT_SERVER_URL, auth=values.get("auth"),
                    dry_run=bool(values.get("dry_run")))
    bucket_id, collection_id = values.get("bucket"), values.get("collection")
    if collection_id and not bucket_id:
        client.close()
        raise ConfigurationError(f"collection {collection_id!r} given without a bucket: give "
                                 f"--bucket too (or ${BUCKET_ENV})")
    bucket = client.bucket(bucket_id) if bucket_id else None
    return Connection(client, bucket,
                      bucket.collection(collection_id) if bucket and collection_id else None)


def _log(verbose: int) -> None:
    if not verbose:
        return
    logger = logging.getLogger("kinto_query")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)


def click_options(*, bucket: bool = True, collection: bool = True) -> Callable[[F], F]:
    """A click decorator: the options of ``add_arguments``, and the command receives
    ``kinto``, a ``Connection`` (closed when the command returns). Needs click (the
    ``cli`` extra).

    >>> import click
    >>> @click.command()
    ... @click_options()
    ... def main(kinto: Connection) -> None:
    ...     print(kinto.collection, kinto.dry_run)
    >>> main(["-b", "main", "-c", "regions", "--dry-run"], standalone_mode=False)
    <Collection '/buckets/main/collections/regions'> True
    """
    import click

    def checked(convert: Callable[[str], Any]) -> Callable[[click.Context, click.Parameter,
                                                             Any], Any]:
        def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
            try:
                return None if value is None else convert(value)
            except ValueError as error:
                raise click.BadParameter(str(error), ctx, param) from None

        return callback

    def dry_run(ctx: click.Context, param: click.Parameter, value: bool | None) -> bool:
        try:
            return dry_run_from_env() if value is None else value
        except ValueError as error:
            raise click.BadParameter(str(error), ctx, param) from None

    names = ["server", "auth", "bucket", "collection", "verbose", "dry_run"]

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def command(*args: Any, **kwargs: Any) -> Any:
            ours = {name: kwargs.pop(name, None) for name in names}
            with connect(ours) as kinto:
                return f(*args, kinto=kinto, **kwargs)

        options = [
            click.option("-s", "--server", envvar=SERVER_ENV, default=DEFAULT_SERVER_URL,
                         callback=checked(_server),
                         help=f"Kinto's URL, with /v1 [env {SERVER_ENV}]."),
            click.option("-a", "--auth", envvar=AUTH_ENV, callback=checked(_auth),
                         metavar="USER[:PASSWORD]|'Bearer TOKEN'",
                         help=f"Credentials [env {AUTH_ENV}]; a USER alone: the password is "
                              "asked for."),
        ]
        if bucket:
            options.append(click.option("-b", "--bucket", envvar=BUCKET_ENV,
                                        callback=checked(_id("bucket")),
                                        help=f"Bucket id [env {BUCKET_ENV}]."))
        if collection:
            options.append(click.option("-c", "--collection", envvar=COLLECTION_ENV,
                                        callback=checked(_id("collection")),
                                        help=f"Collection id [env {COLLECTION_ENV}]."))
        options += [
            click.option("-v", "--verbose", count=True,
                         help="Log what the client does on stderr (-vv: each request)."),
            click.option("--dry-run/--no-dry-run", default=None, callback=dry_run,
                         help="Read for real, write nothing: each write is planned with the "
                              f"server's predicted answer [env {' or '.join(DRY_RUN_ENVS)}]."),
        ]
        for option in reversed(options):
            command = option(command)
        return command  # type: ignore[return-value]

    return decorate
