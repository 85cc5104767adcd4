"""The ``kinto-query`` command: its group, its commands, and the one place errors leave it.

Every failure ends here as one line on stderr, ``error: ...``, and an exit status by kind
(see ``errors.ExitStatus``); ``--debug`` adds the traceback. Output that is data goes to
stdout, everything said to a person to stderr, so pipes get only data.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import NoReturn, TextIO

import click

from .. import __version__
from .errors import EXIT_STATUS_HELP, CliError, ExitStatus, classify, one_line
from .options import connection_options
from .session import Settings, setup_logging

__all__ = ["cli", "run"]

PROG = "kinto-query"
COMPLETE_VAR = "_KINTO_QUERY_COMPLETE"


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EXIT_STATUS_HELP,
)
@connection_options
@click.version_option(__version__, "--version", prog_name=PROG, message="%(prog)s %(version)s")
def cli() -> None:
    """Query, export and import the records of a Kinto server from the shell.

    The server and credentials come from --server and --auth (before or after the command
    name) or from $KINTO_SERVER_URL and $KINTO_AUTH; with a user name alone, the password is
    asked for without echo. Data goes to stdout (tables on a terminal, JSON lines in a pipe);
    messages, prompts and progress bars to stderr.

    \b
    Examples:
      export KINTO_SERVER_URL=http://localhost:8888/v1 KINTO_AUTH=alice
      kinto-query records shop/todo --filter status=done --limit 10
      kinto-query export shop/todo -o todo.jsonl
      kinto-query import shop/todo todo.jsonl --upsert
    """


@cli.command()
@click.argument("shell", required=False, type=click.Choice(("bash", "zsh", "fish")))
def completion(shell: str | None) -> None:
    """Print the shell completion script (commands, options, bucket/collection ids).

    \b
    Examples:
      eval "$(kinto-query completion bash)"      # in ~/.bashrc
      kinto-query completion fish > ~/.config/fish/completions/kinto-query.fish
    """
    from click.shell_completion import get_completion_class

    shell = shell or os.path.basename(os.environ.get("SHELL", "bash"))
    completion_class = get_completion_class(shell)
    if completion_class is None:
        raise CliError(f"no completion for the shell {shell!r}: choose bash, zsh or fish",
                       ExitStatus.USAGE)
    click.echo(completion_class(cli, {}, PROG, COMPLETE_VAR).source())


def _register() -> None:
    from . import read

    for command in (read.records, read.count, read.get, read.buckets, read.collections):
        cli.add_command(command)
    from . import delete, export, importing, sync, validate, wizard

    cli.add_command(export.export)
    cli.add_command(importing.import_records)
    cli.add_command(delete.delete)
    cli.add_command(sync.sync)
    cli.add_command(wizard.dump)
    cli.add_command(wizard.load)
    cli.add_command(validate.validate)
    from . import history, identity

    cli.add_command(identity.whoami)
    cli.add_command(history.history)
    from . import remote_settings

    cli.add_command(remote_settings.changeset)
    cli.add_command(remote_settings.monitor)
    from . import review

    cli.add_command(review.review)


_register()


# click >= 8.2 raises this for a group given no command (older ones print the help and exit).
_NO_ARGS: type[click.UsageError] = getattr(click.exceptions, "NoArgsIsHelpError",
                                           type("_Never", (click.UsageError,), {}))


def _usage_line(error: click.ClickException) -> str:
    message = error.format_message()
    context = getattr(error, "ctx", None)
    if isinstance(error, click.UsageError) and context is not None:
        message += f" (see '{context.command_path} --help')"
    return one_line(message)


def _quiet_broken_pipe() -> NoReturn:
    # The reader went away (``| head``): it has what it wanted. Say nothing, and keep
    # Python from complaining when it flushes stdout at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(ExitStatus.OK)


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str,
                      lineno: int, file: TextIO | None = None, line: str | None = None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def run(argv: Sequence[str] | None = None) -> NoReturn:
    """Run the command line and exit with its status."""
    instruction = os.environ.get(COMPLETE_VAR)
    if instruction:  # the shell asks for completions (see the completion command)
        from click.shell_completion import shell_complete

        sys.exit(shell_complete(cli, {}, PROG, COMPLETE_VAR, instruction))
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args  # known before parsing, for errors while parsing
    setup_logging(debug)
    if not debug:  # the library's warnings (Basic auth over plain http...) in one line each
        warnings.showwarning = _one_line_warning
    context: click.Context | None = None
    try:
        with cli.make_context(PROG, args, obj=Settings()) as context:
            result = cli.invoke(context)
        status = result if isinstance(result, int) else ExitStatus.OK
    except click.exceptions.Exit as done:  # --help, --version
        status = done.exit_code
    except _NO_ARGS as error:  # a command (or none) given without its arguments: its help
        click.echo(error.format_message(), err=True)
        status = error.exit_code
    except click.ClickException as error:
        click.echo(f"error: {_usage_line(error)}", err=True)
        status = error.exit_code
    except click.exceptions.Abort:  # Ctrl-C or end of input at a prompt
        click.echo("\naborted: nothing was changed" if sys.stderr.isatty() else
                   "aborted: nothing was changed", err=True)
        status = ExitStatus.INTERRUPTED
    except BrokenPipeError:
        _quiet_broken_pipe()
    except (Exception, KeyboardInterrupt) as error:
        if debug:
            traceback.print_exc()
        status, message = classify(error)
        click.echo(f"error: {message}", err=True)
    finally:
        if context is not None and isinstance(context.obj, Settings):
            context.obj.say_dry_run()
            context.obj.close()
    if context is not None and isinstance(context.obj, Settings) and context.obj.dry_run \
            and status == ExitStatus.FAILED:
        status = ExitStatus.OK  # items predicted to fail: the rehearsal itself succeeded
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
    sys.exit(int(status))
