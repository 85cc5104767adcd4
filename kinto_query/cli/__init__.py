"""``kinto-query``: the command line of kinto_query (``pip install "kinto_query[cli]"``).

Commands: ``records``, ``count``, ``get``, ``buckets``, ``collections``, ``export``,
``import``, ``delete``, ``dump``, ``load``, ``whoami``, ``history``, ``completion``;
``kinto-query --help`` and ``kinto-query COMMAND --help`` show an example for each. Built on
click (commands, options, shell completion) and rich (tables and progress bars on a
terminal); the library itself does not need either.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """The console script's entry point."""
    try:
        from .app import run
    except ImportError as error:  # the extra is not installed
        print(f"error: kinto-query needs the cli extra ({error.name} is missing): "
              'pip install "kinto_query[cli]"', file=sys.stderr)
        sys.exit(2)
    run()
