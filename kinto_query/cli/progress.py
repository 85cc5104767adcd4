"""A progress bar on stderr when it is a terminal; nothing at all otherwise.

In a pipe, a log file or CI, stderr gets only the final summary lines: no escape codes, no
carriage returns.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

import click

__all__ = ["Progress", "interactive"]


def interactive() -> bool:
    """Whether stderr is a terminal (where bars and prompts belong)."""
    return sys.stderr.isatty()


class Progress:
    """``with Progress("exporting", total) as bar: bar.advance(n)``; ``bar.say(text)`` prints
    a line (above the bar when there is one)."""

    def __init__(self, description: str, total: int | None = None, *,
                 unit: str = "records") -> None:
        self.description = description
        self.total = total
        self.unit = unit
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if interactive():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as Bar

            self._bar = Bar(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn(self.unit), TaskProgressColumn(), TimeElapsedColumn(),
                TimeRemainingColumn(), console=Console(stderr=True), transient=False,
                # Data written to stdout meanwhile goes to stdout, not above the bar.
                redirect_stdout=False, redirect_stderr=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def set_total(self, total: int | None) -> None:
        self.total = total
        if self._bar is not None:
            self._bar.update(self._task, total=total)

    def update(self, completed: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=completed)

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def say(self, text: str) -> None:
        if self._bar is not None:
            from rich.text import Text

            self._bar.console.print(Text(text))
        else:
            click.echo(text, err=True)
