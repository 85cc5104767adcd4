"""The ``kinto-query`` command as a whole: help, usage, completion, warnings and pipes."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

from kinto_query import Client, Collection

from .clitools import KINTO_QUERY, cli_env, run
from .conftest import seed

COMMANDS = ["records", "count", "get", "buckets", "collections", "export", "import", "delete",
            "sync", "dump", "load", "completion", "whoami", "history"]


# -- help and completion --------------------------------------------------------------------------

def test_help_shows_an_example_for_every_command():
    main = run(["--help"], server=None, auth=None)
    assert main.status == 0 and "Exit status: 0 ok, 1 some items failed, 2 usage" in main.out
    for command in COMMANDS:
        done = run([command, "--help"], server=None, auth=None)
        assert done.status == 0, command
        examples = done.out.split("Examples:")[1]
        assert f"kinto-query {command}" in examples, command


def test_shell_completion(kinto_fresh_server: str, shop: Collection):
    script = run(["completion", "bash"], server=None, auth=None)
    assert script.status == 0 and "_KINTO_QUERY_COMPLETE=bash_complete" in script.out

    def complete(words: str) -> list[str]:
        done = run([], server=kinto_fresh_server, env={
            "_KINTO_QUERY_COMPLETE": "bash_complete", "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))})
        assert done.status == 0, done.err
        return done.lines

    assert complete("kinto-query rec") == ["plain,records"]
    assert "plain,--filter" in complete("kinto-query records shop/todo --f")
    # Bucket and collection ids come from the server named in the environment.
    assert complete("kinto-query records sh") == ["plain,shop/"]
    assert complete("kinto-query export shop/t") == ["plain,shop/todo"]


def test_the_library_does_not_need_the_cli_extra():
    # Importing the library pulls in neither click nor rich nor YAML.
    code = ("import sys, kinto_query; "
            "print(sorted(m for m in ('click', 'rich', 'yaml') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout == "[]\n"


def test_no_command_shows_the_usage():
    done = run([], server=None, auth=None)
    assert done.status == 2 and done.err.startswith("Usage: kinto-query [OPTIONS] COMMAND")


def test_library_warnings_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from kinto_query.cli import app

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = app._one_line_warning  # as run() sets it, without --debug
        warnings.warn("Basic auth over plain http to example.test", UserWarning, stacklevel=1)
    assert capsys.readouterr().err == "warning: Basic auth over plain http to example.test\n"


def test_a_reader_that_stops_early_gets_no_complaint(kinto_fresh_server: str, alice: Client):
    seed(alice, 600)  # about 90 kB: more than a pipe buffer holds
    done = subprocess.run(["bash", "-o", "pipefail", "-c",
                           f"{KINTO_QUERY} records shop/todo | head -n 1"],
                          capture_output=True, text=True, env=cli_env(kinto_fresh_server),
                          timeout=120)
    assert done.returncode == 0
    assert (len(done.stdout.splitlines()), done.stderr) == (1, "")


def test_the_command_line_uses_only_the_public_api() -> None:
    import ast
    from pathlib import Path

    import kinto_query.cli

    private = []
    for path in sorted(Path(kinto_query.cli.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (
                (node.level == 2 and (node.module or "").startswith("_"))
                or (node.module or "").startswith("kinto_query._")):
                private.append(f"{path.name}:{node.lineno} {node.module}")
    assert private == []
