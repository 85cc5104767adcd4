"""kinto-query in a real terminal (tmux): the password prompt, the confirmation prompt, the
progress bars and the default table, as a person sees them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kinto_query import Bucket, Client, Collection

from .clitools import PASSWORD, Terminal, cli_env
from .conftest import raw_get

TODO = "/buckets/shop/collections/todo"


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    screen = Terminal(tmp_path)
    try:
        yield screen
    finally:
        screen.stop()


@pytest.fixture
def shop(alice: Client) -> Collection:
    todo = Bucket("shop", client=alice, create=True).create_collection("todo")
    todo.create_records({"id": f"t{i:03d}", "title": f"task {i}", "done": i % 3 == 0}
                        for i in range(300))
    return todo


def test_a_missing_password_is_asked_for_without_echo(kinto_fresh_server: str, shop: Collection,
                                                      terminal: Terminal):
    terminal.start(["count", "shop/todo"], cli_env(kinto_fresh_server, auth="alice"))
    terminal.wait_for("Password for alice: ")
    terminal.type(PASSWORD)
    screen = terminal.wait_for("EXIT=")
    assert screen.split() == ["Password", "for", "alice:", "300", "EXIT=0"]
    assert PASSWORD not in screen  # not echoed


def test_delete_asks_for_confirmation_with_the_count(kinto_fresh_server: str, shop: Collection,
                                                     terminal: Terminal, tmp_path: Path):
    args = ["delete", "shop/todo", "-f", "done=true", "-f", "title__like=task 1*"]
    matching = len(raw_get(kinto_fresh_server, f"{TODO}/records?done=true&like_title=task 1*")
                   ["data"])
    assert matching > 10
    terminal.start(args, cli_env(kinto_fresh_server))
    terminal.wait_for(f"Delete {matching} records from shop/todo? [y/N]: ")
    terminal.type("n")
    screen = terminal.wait_for("EXIT=")
    assert "nothing deleted\nEXIT=1" in screen
    assert len(raw_get(kinto_fresh_server, f"{TODO}/records")["data"]) == 300
    terminal.stop()

    again = Terminal(tmp_path)
    try:
        again.start(args, cli_env(kinto_fresh_server))
        again.wait_for(f"Delete {matching} records from shop/todo? [y/N]: ")
        again.type("y")
        screen = again.wait_for("EXIT=")
    finally:
        again.stop()
    assert f"deleted {matching} records from shop/todo\nEXIT=0" in screen
    assert len(raw_get(kinto_fresh_server, f"{TODO}/records")["data"]) == 300 - matching


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
    assert "imported 300 records into shop/copy (created)\nEXIT=0" in screen


def test_records_are_a_table_on_a_terminal(kinto_fresh_server: str, shop: Collection,
                                           terminal: Terminal):
    terminal.start(["records", "shop/todo", "--sort", "id", "-n", "2"],
                   cli_env(kinto_fresh_server))
    screen = terminal.wait_for("EXIT=")
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    assert [cell.strip() for cell in lines[0].split("┃")] == ["id", "title", "done"]
    assert [[cell.strip() for cell in line.split("│")] for line in lines[2:4]] == [
        ["t000", "task 0", "true"], ["t001", "task 1", "false"]]
    assert lines[4] == "EXIT=0"
