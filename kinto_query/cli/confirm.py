"""Asking before deleting records, the one rule of ``delete``, ``load --delete-records`` and
``sync --delete``: a question on a terminal, a refusal without one (unless ``--yes``)."""

from __future__ import annotations

import sys

import click

from .errors import CliError, ExitStatus

__all__ = ["confirm_deletion"]


def confirm_deletion(what: str, *, yes: bool) -> bool:
    """Whether to delete ``what`` ("12 records from shop/todo"): True with ``yes``, else the
    answer to ``Delete WHAT? [y/N]``; without a terminal to ask on, a usage error.

    Example: ``if not confirm_deletion("3 records from shop/todo", yes=False): return``
    """
    if yes:
        return True
    # A cron job or a pipe has no one to answer: deleting silently is what --yes is for.
    if not sys.stdin.isatty():
        raise CliError(f"not deleting {what} without confirmation: there is no terminal to "
                       "ask on, pass --yes", ExitStatus.USAGE)
    return click.confirm(f"Delete {what}?", default=False, err=True)
