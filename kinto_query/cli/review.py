"""``kinto-query review status|request|approve|decline|rollback B/C``: the review workflow of
Remote Settings (kinto-signer) on a workspace collection.

Each command prints where the collection stands afterwards: on a terminal as a table of
fields, in a pipe as one JSON object (``status``, who and when, the comments, the
workspace, preview and destination paths); a step says what it did on stderr. A step is
sent against the version just read, so a collection changed meanwhile fails with exit
status 5 and nothing done.
"""

from __future__ import annotations

import datetime
import sys
from typing import Any

import click

from .. import ReviewStatus
from .options import Target, connection_options, dry_run_option, settings_of, target_argument
from .output import dumps

__all__ = ["review", "status_object"]

_FORMATS = ("table", "json")
_FORMAT_HELP = "Output format [default: table on a terminal, else json]."


def _when(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def status_object(status: ReviewStatus) -> dict[str, Any]:
    """A review status as one JSON object (dates as ISO 8601, collections as paths)."""
    return {
        "bucket": status.bucket, "collection": status.collection, "status": status.status,
        "timestamp": status.timestamp,
        "last_edit_by": status.last_edit_by, "last_edit_date": _when(status.last_edit_date),
        "last_review_request_by": status.last_review_request_by,
        "last_review_request_date": _when(status.last_review_request_date),
        "last_review_by": status.last_review_by,
        "last_review_date": _when(status.last_review_date),
        "last_signature_by": status.last_signature_by,
        "last_signature_date": _when(status.last_signature_date),
        "editor_comment": status.editor_comment, "reviewer_comment": status.reviewer_comment,
        "workspace": str(status.workspace),
        "preview": str(status.preview) if status.preview is not None else None,
        "destination": str(status.destination),
        "to_review_enabled": status.signer.to_review_enabled,
    }


def _print(status: ReviewStatus, fmt: str | None) -> None:
    obj = status_object(status)
    if (fmt or ("table" if sys.stdout.isatty() else "json")) == "json":
        click.echo(dumps(obj))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False, show_header=False, pad_edge=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for name, value in obj.items():
        if value is not None and name not in ("bucket", "collection"):
            table.add_row(Text(name), Text(value if isinstance(value, str) else dumps(value)))
    Console(file=sys.stdout, soft_wrap=False).print(table)


def _format_option(f: Any) -> Any:
    return click.option("--format", "fmt", type=click.Choice(_FORMATS), help=_FORMAT_HELP)(f)


@click.group()
def review() -> None:
    """The review workflow of Remote Settings (kinto-signer) on BUCKET/COLLECTION, a
    workspace collection: see where it stands, ask for a review, approve, decline or roll
    back.

    \b
    Examples:
      kinto-query review status main-workspace/regions
      kinto-query review request main-workspace/regions -m "Add Belgium"
      kinto-query review approve main-workspace/regions --auth reviewer
      kinto-query review decline main-workspace/regions -m "Belgium is BE"
    """


@review.command()
@target_argument()
@_format_option
@connection_options
@click.pass_context
def status(ctx: click.Context, /, target: Target, fmt: str | None) -> None:
    """Print where BUCKET/COLLECTION stands: its status, who edited it, asked for a review
    and signed it last and when, and its preview and destination."""
    _print(target.of(settings_of(ctx)).review_status(), fmt)


def _step(name: str, done: str, planned: str, help_text: str, *, message: bool
          ) -> click.Command:
    def run(ctx: click.Context, /, target: Target, fmt: str | None,
            text: str | None = None) -> None:
        collection = target.of(settings_of(ctx))
        step = getattr(collection, {"request": "request_review"}.get(name, name))
        after: ReviewStatus = step(text or "") if message else step()
        said = f"dry run: would have {planned}" if settings_of(ctx).dry_run else done
        click.echo(f"{target}: {said} (status {after.status})", err=True)
        _print(after, fmt)

    command = click.pass_context(run)
    command = connection_options(command)
    command = dry_run_option(command)
    if message:
        command = click.option("--message", "-m", "text", metavar="MSG",
                               help="Said to the other side (kept on the collection).")(command)
    command = _format_option(command)
    command = target_argument()(command)
    return click.command(name, help=help_text)(command)


review.add_command(_step(
    "request", "review requested", "asked for a review",
    "Ask for a review of the changes of BUCKET/COLLECTION (status to-review: the records "
    "are signed into the preview), with -m MSG for the reviewer.", message=True))
review.add_command(_step(
    "approve", "approved and signed", "approved and signed",
    "Approve the review of BUCKET/COLLECTION (another user than the one who asked): the "
    "records are signed into the destination.", message=False))
review.add_command(_step(
    "decline", "review declined", "declined the review",
    "Decline the review of BUCKET/COLLECTION (back to work-in-progress), with -m MSG "
    "saying why.", message=True))
review.add_command(_step(
    "rollback", "rolled back", "rolled back",
    "Drop the changes of BUCKET/COLLECTION not signed yet: the workspace gets the "
    "destination's records back.", message=False))
