"""Tests of cli/progress.py: progress bars on a terminal, nothing in a pipe."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinto_query import Bucket, Client, Collection

from .clitools import Terminal, cli_env, run
from .conftest import seed


@pytest.fixture
def shop(alice: Client) -> Collection:
    todo = Bucket("shop", client=alice, create=True).create_collection("todo")
    todo.create_records({"id": f"t{i:03d}", "title": f"task {i}", "done": i % 3 == 0}
                        for i in range(300))
    return todo


def test_progress_bars_on_a_terminal(kinto_fresh_server: str, shop: Collection,
                                     terminal: Terminal, tmp_path: Path, alice: Client):
    terminal.start(["export", "shop/todo", "--page-size", "50", "-o", "todo.jsonl"],
                   cli_env(kinto_fresh_server))
    screen = terminal.wait_for("EXIT=")
    bar = next(line for line in screen.splitlines() if line.startswith("exporting shop/todo"))
    assert "━" in bar and "300/300 records 100%" in bar
    assert "exported 300 records of shop/todo to todo.jsonl" in screen
    assert "\x1b[" in terminal.screen_with_escapes()  # colors: a terminal, not a pipe
    assert len((tmp_path / "todo.jsonl").read_text().splitlines()) == 300  # data untouched
    terminal.stop()

    Bucket("shop", client=alice).create_collection("copy")
    importing = Terminal(tmp_path)
    try:
        importing.start(["import", "shop/copy", "todo.jsonl"], cli_env(kinto_fresh_server))
        screen = importing.wait_for("EXIT=")
    finally:
        importing.stop()
    bar = next(line for line in screen.splitlines() if line.startswith("importing into"))
    assert "300/300 records 100%" in bar
    assert "created 300 records in shop/copy\nEXIT=0" in screen


# -- pipes ----------------------------------------------------------------------------------------

def test_pipes_get_no_escape_codes(kinto_fresh_server: str, alice: Client, tmp_path: Path):
    seed(alice, 30)
    Bucket("shop", client=alice).create_collection("copy")
    commands = [
        ["records", "shop/todo", "--format", "table"], ["records", "shop/todo"],
        ["count", "shop/todo"], ["get", "shop/todo/r00001", "--format", "table"],
        ["export", "shop/todo", "-o", "t.jsonl"], ["import", "shop/copy", "t.jsonl"],
        ["import", "shop/copy", "t.jsonl"], ["delete", "shop/copy", "--yes"],
        ["records", "shop/nope"], ["records", "shop/todo", "-f", "x__gtee=1"], ["--help"],
    ]
    for args in commands:
        done = run(args, server=kinto_fresh_server, cwd=tmp_path,
                   env={"TERM": "xterm-256color"})
        assert "\x1b" not in done.out + done.err, args
        assert "\r" not in done.err, args  # no progress bar redrawn in place
