"""Tests of cli/delete.py: ``delete`` counts, asks, and deletes what matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinto_query import Bucket, Client, Collection

from ..conftest import raw_get
from .clitools import Terminal, cli_env, run
from .conftest import TODO, seed, server_records


@pytest.fixture
def shop(alice: Client) -> Collection:
    todo = Bucket("shop", client=alice, create=True).create_collection("todo")
    todo.create_records({"id": f"t{i:03d}", "title": f"task {i}", "done": i % 3 == 0}
                        for i in range(300))
    return todo


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


# -- delete ---------------------------------------------------------------------------------------

def test_delete_counts_asks_and_deletes_what_matches(kinto_fresh_server: str, alice: Client):
    seed(alice, 40)
    before = server_records(kinto_fresh_server)
    matching = sorted(i for i, r in before.items() if r["done"] and r["n"] >= 10)

    dry = run(["delete", "shop/todo", "-f", "done=true", "-f", "n__gte=10", "--dry-run"],
              server=kinto_fresh_server)
    assert (dry.status, dry.lines) == (0, matching)
    assert dry.err.splitlines()[0] == f"would delete {len(matching)} records from shop/todo"
    unasked = run(["delete", "shop/todo", "-f", "done=true", "-f", "n__gte=10"],
                  server=kinto_fresh_server)
    assert unasked.status == 2
    assert unasked.err == (f"error: not deleting {len(matching)} records from shop/todo without "
                           "confirmation: there is no terminal to ask on, pass --yes\n")
    assert server_records(kinto_fresh_server) == before

    done = run(["delete", "shop/todo", "-f", "done=true", "-f", "n__gte=10", "--yes"],
               server=kinto_fresh_server)
    assert (done.status, done.err) == (0, f"deleted {len(matching)} records from shop/todo\n")
    assert sorted(server_records(kinto_fresh_server)) == sorted(set(before) - set(matching))
    again = run(["delete", "shop/todo", "-f", "done=true", "-f", "n__gte=10", "-y"],
                server=kinto_fresh_server)
    assert (again.status, again.err) == (0, "nothing to delete: no record matches in "
                                            "shop/todo\n")
    everything = run(["delete", "shop/todo", "--yes"], server=kinto_fresh_server)
    assert everything.err == (f"deleted {40 - len(matching)} records from shop/todo "
                              "(every record)\n")
    assert server_records(kinto_fresh_server) == {}
