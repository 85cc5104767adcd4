"""Which server, which credentials: from the options, else the environment, else a prompt.

``--server`` / ``$KINTO_SERVER_URL`` (default ``http://localhost:8888/v1``) and ``--auth`` /
``$KINTO_AUTH``, in the library's spellings: ``user:password``, ``"Bearer <token>"``, or a
bare ``user``, whose password is then asked for on the terminal without echo. Credentials
are never printed: not in messages, not with ``--debug`` (which shows the auth's repr, with
the secret starred).
"""

from __future__ import annotations

import dataclasses
import getpass
import logging
import os
import sys

import click

from .. import DEFAULT_SERVER_URL, Client
from .errors import CliError, ExitStatus

__all__ = ["AUTH_ENV", "SERVER_ENV", "Settings", "resolve_auth", "setup_logging"]

SERVER_ENV = "KINTO_SERVER_URL"
AUTH_ENV = "KINTO_AUTH"


def _terminal_available() -> bool:
    try:
        with open("/dev/tty"):
            return True
    except OSError:
        return sys.stdin.isatty()


def resolve_auth(value: str | None) -> tuple[str, str] | str | None:
    """Credentials as the library takes them, asking for a missing password.

    ``user:password`` and ``"<Type> <credentials>"`` are passed on; a bare ``user`` (no
    colon, no space) has its password prompted for without echo (on ``/dev/tty``, so it
    works with piped input too).
    """
    if value is None or value == "":
        return None
    scheme, space, _ = value.partition(" ")
    if (space and scheme and ":" not in scheme) or ":" in value:
        return value
    if not _terminal_available():
        raise CliError(
            f"no password for {value!r} and no terminal to ask for it: give --auth "
            f"{value}:PASSWORD or set {AUTH_ENV}",
            ExitStatus.USAGE,
        )
    try:
        password = getpass.getpass(f"Password for {value}: ")
    except EOFError:  # Ctrl-D at the prompt
        raise CliError(f"no password given for {value!r}", ExitStatus.USAGE) from None
    return (value, password)


@dataclasses.dataclass
class Settings:
    """The options every command shares; the client is made once, on first use."""

    server: str | None = None
    auth: str | None = None
    debug: bool = False
    dry_run: bool = False
    _client: Client | None = None

    @property
    def server_url(self) -> str:
        return self.server or os.environ.get(SERVER_ENV) or DEFAULT_SERVER_URL

    def client(self) -> Client:
        """The client for this run (the password, if any, is asked for here)."""
        if self._client is None:
            auth = resolve_auth(self.auth if self.auth is not None else os.environ.get(AUTH_ENV))
            self._client = Client(self.server_url, auth=auth, dry_run=self.dry_run)
            if self.debug:
                # The auth's repr stars its secret: safe to show.
                click.echo(f"debug: {self._client!r}", err=True)
        return self._client

    def say_dry_run(self) -> None:
        """With ``--dry-run``: each write not sent, with its predicted answer, then a total,
        on stderr (one line each)."""
        if not self.dry_run:
            return
        planned = self._client.dry_run_log if self._client is not None else ()
        for write in planned:
            click.echo(f"would {write}", err=True)
        outcomes: dict[str, int] = {}
        for write in planned:
            outcomes[write.outcome] = outcomes.get(write.outcome, 0) + 1
        counts = ", ".join(f"{n:,} {outcome}" for outcome, n in outcomes.items())
        writes = f"{len(planned):,} write{'s' if len(planned) != 1 else ''}"
        click.echo(f"dry run: nothing was written; {writes} not sent"
                   + (f" ({counts})" if counts else ""), err=True)

    def url_client(self) -> Client:
        """A client that only builds URLs (``--url``): no credentials asked for, none sent."""
        return Client(self.server_url)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def setup_logging(debug: bool) -> None:
    """The library's logged warnings (a filter whose first page suggests a slip) on stderr,
    one line each; with ``--debug``, its whole log (each request and its status)."""
    handler = logging.StreamHandler(sys.stderr)
    logger = logging.getLogger("kinto_query")
    logger.addHandler(handler)
    if not debug:
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        logger.setLevel(logging.WARNING)
        return
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    logger.setLevel(logging.DEBUG)
