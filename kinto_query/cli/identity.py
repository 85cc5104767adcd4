"""``kinto-query whoami``: who the server takes your credentials for (``client.whoami()``)."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

import click
from requests.auth import HTTPBasicAuth

from .. import Identity
from .errors import CliError, ExitStatus
from .options import connection_options, settings_of

__all__ = ["identity_object", "whoami"]


def identity_object(identity: Identity) -> dict[str, Any]:
    """The identity as one JSON object (null where the server said nothing)."""
    return {"user_id": identity.user_id, "principals": list(identity.principals),
            "bucket": identity.bucket, "policy": identity.policy}


def _print_table(obj: dict[str, Any], stream: IO[str]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=False, show_edge=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for name, value in obj.items():
        shown = "\n".join(value) if isinstance(value, list) else value or ""
        table.add_row(name, Text(shown))
    Console(file=stream, soft_wrap=False).print(table)


@click.command()
@click.option("--account", "expect_account", is_flag=True,
              help="Fail (exit status 4) unless the credentials authenticate as the account "
                   "of their user name: where Kinto also accepts Basic auth, a wrong account "
                   "password is not refused but taken for another user.")
@click.option("--format", "fmt", type=click.Choice(("table", "json")),
              help="Output format [default: table on a terminal, json otherwise].")
@connection_options
@click.pass_context
def whoami(ctx: click.Context, /, expect_account: bool, fmt: str | None) -> None:
    """Print who the server takes you for: user id, principals, default bucket, policy.

    One GET /v1/. Credentials that authenticate nobody (an unknown token, say) fail with
    exit status 4. Without credentials you are anonymous: the user id is null and the only
    principal system.Everyone (exit status 0).

    \b
    Examples:
      kinto-query whoami
      kinto-query whoami --auth ann --account
      kinto-query whoami --format json | jq -r .user_id
    """
    client = settings_of(ctx).client()
    if expect_account and not isinstance(client.transport.auth, HTTPBasicAuth):
        raise CliError("--account needs an account's name and password: give --auth "
                       "USER[:PASSWORD] or set KINTO_AUTH", ExitStatus.USAGE)
    obj = identity_object(client.whoami(expect_account=expect_account))
    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    if fmt == "json":
        click.echo(json.dumps(obj, ensure_ascii=False, indent=2))
    else:
        _print_table(obj, sys.stdout)
    if obj["user_id"] is None and fmt == "table":
        click.echo("nobody is authenticated: no credentials were given (--auth or "
                   "KINTO_AUTH)", err=True)
