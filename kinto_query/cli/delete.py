"""``delete``: the records matching filters, after saying how many and asking."""

from __future__ import annotations

import sys
from typing import Any

import click

from .confirm import confirm_deletion
from .errors import CliError, ExitStatus
from .options import (
    Target,
    connection_options,
    dry_run_option,
    query_options,
    select_from,
    settings_of,
    target_argument,
)
from .output import emit, plural_records

__all__ = ["delete"]


@click.command()
@target_argument()
@query_options(shape=False, limit=False)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--url", "show_url", is_flag=True,
              help="Print the request that would be sent (method and URL), and send nothing.")
@dry_run_option
@connection_options
@click.pass_context
def delete(ctx: click.Context, /, target: Target, yes: bool, show_url: bool,
           **select: Any) -> ExitStatus:
    """Delete the records of BUCKET/COLLECTION that match the filters (all of them without
    filters), after showing how many and asking (not with --yes).

    Filters are those of 'kinto-query records'. Without a terminal to ask on, --yes is
    required. --dry-run prints the ids that would be deleted (stdout) and the requests that
    would be sent (stderr), and deletes nothing.

    \b
    Examples:
      kinto-query delete shop/todo --filter status=done --dry-run
      kinto-query delete shop/todo --filter status=done
      kinto-query delete shop/todo --filter last_modified__lt=2024-01-01T00:00:00Z --yes
    """
    options = select_from(select)
    dry_run = settings_of(ctx).dry_run
    query = options.apply(target.of(settings_of(ctx), offline=show_url).records())
    if show_url:
        click.echo(f"DELETE {query.url}")
        return ExitStatus.OK
    matching = query.count()
    what = f"from {target}" + (" (every record)" if not (options.filters or options.excludes)
                               else "")
    if dry_run:  # the ids, then the deletes the dry-run client plans (none sent)
        emit(query.fields("id").sort("id").dicts().pages(), "ids", sys.stdout)
        click.echo(f"would delete {plural_records(query.delete())} {what}", err=True)
        return ExitStatus.OK
    if matching == 0:
        click.echo(f"nothing to delete: no record matches in {target}", err=True)
        return ExitStatus.OK
    if not confirm_deletion(f"{plural_records(matching)} {what}", yes=yes):
        click.echo("nothing deleted", err=True)
        return ExitStatus.FAILED
    # Read the capabilities (cached; one GET): a Remote Settings destination, which its
    # signer owns, is then refused before anything is deleted (SignerOwned).
    settings_of(ctx).client().server_info()
    try:
        deleted = query.delete()
    except KeyboardInterrupt:
        # Kinto deletes a page per request: the pages before this one are gone.
        raise CliError(f"interrupted: some of the {plural_records(matching)} may be deleted "
                       "already; run the same command to delete the rest",
                       ExitStatus.INTERRUPTED) from None
    click.echo(f"deleted {plural_records(deleted)} {what}", err=True)
    return ExitStatus.OK
