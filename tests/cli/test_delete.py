"""Tests of cli/delete.py: ``delete`` counts, asks, and deletes what matches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kinto_query import Bucket, Client, Collection

from ..conftest import raw, raw_get
from .clitools import (
    Terminal,
    cli_env,
    run,
)

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


def sample(n: int, start: int = 0) -> Iterator[dict[str, Any]]:
    """Records whose values test the typing: numbers, strings that look like numbers or
    JSON, unicode, nesting, lists, booleans, null, a field sometimes missing."""
    looks = ["1.0", "007", "true", "null", "", " 3 ", "[1]", '{"a"', "a,b", 'say "hi"',
             "two\nlines", "café ✓"]
    for i in range(start, start + n):
        record: dict[str, Any] = {
            "id": f"r{i:05d}", "title": looks[i % len(looks)], "n": i, "ratio": i / 8,
            "done": i % 2 == 0, "tags": ["a", "b"][: i % 3], "author": {"name": f"u{i % 7}"},
            "note": None,
        }
        if i % 5 == 0:
            del record["note"]
        yield record


def seed(client: Client, n: int, *, bucket: str = "shop", collection: str = "todo",
         start: int = 0) -> Collection:
    todo = Bucket(bucket, client=client, create=True).create_collection(collection,
                                                                       exist_ok=True)
    todo.create_records(sample(n, start))
    return todo


def server_records(url: str, path: str = TODO) -> dict[str, dict[str, Any]]:
    """The records as the server holds them, read raw: id -> data without last_modified."""
    held: dict[str, dict[str, Any]] = {}
    next_url: str | None = f"{url}{path}/records"
    while next_url:
        response = raw("GET", next_url, "")
        response.raise_for_status()
        for record in response.json()["data"]:
            held[record["id"]] = {k: v for k, v in record.items() if k != "last_modified"}
        next_url = response.headers.get("Next-Page")
    return held


# -- delete ---------------------------------------------------------------------------------------

def test_delete_counts_asks_and_deletes_what_matches(kinto_fresh_server: str, alice: Client):
    seed(alice, 40)
    before = server_records(kinto_fresh_server)
    matching = sorted(i for i, r in before.items() if r["done"] and r["n"] >= 10)

    dry = run(["delete", "shop/todo", "-f", "done=true", "-f", "n__gte=10", "--dry-run"],
              server=kinto_fresh_server)
    assert (dry.status, dry.lines) == (0, matching)
    assert dry.err == f"would delete {len(matching)} records from shop/todo\n"
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
