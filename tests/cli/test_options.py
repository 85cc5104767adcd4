"""Tests of cli/options.py: the options the commands share, wherever they are given."""

from __future__ import annotations

from typing import Any

import pytest

from kinto_query import Bucket, Client, Collection

from ..conftest import raw_get
from .clitools import PASSWORD, jsonl, run

TODO = "/buckets/shop/collections/todo"


def todo_records() -> list[dict[str, Any]]:
    records = [{"id": f"t{i:03d}", "title": f"task {i}", "status": ["todo", "done"][i % 2],
                "priority": i % 5, "tags": ["work"] if i % 3 else ["home"],
                "author": {"name": ["ann", "bob"][i % 2]}} for i in range(12)]
    records.append({"id": "odd", "title": "1.0", "status": "todo", "priority": 3})
    records.append({"id": "quoted", "title": "007", "status": "todo", "priority": "3"})
    return records


@pytest.fixture
def shop(alice: Client) -> Collection:
    todo = Bucket("shop", client=alice, create=True).create_collection("todo")
    todo.create_records(todo_records())
    return todo


def server_ids(url: str, query: str) -> list[str]:
    return [r["id"] for r in raw_get(url, f"{TODO}/records?{query}")["data"]]


def test_exclude_fields_and_nested_lookups(kinto_fresh_server: str, shop: Collection):
    done = run(["records", "shop/todo", "-f", "author__name=ann", "-x", "priority__in=0,2",
                "--fields", "title", "--sort", "id"], server=kinto_fresh_server)
    assert done.status == 0
    records = jsonl(done.out)
    assert [r["id"] for r in records] == server_ids(
        kinto_fresh_server, "author.name=ann&exclude_priority=0,2&_sort=id")
    assert all(set(r) == {"id", "last_modified", "title"} for r in records)


# -- server, credentials, errors ------------------------------------------------------------------

def test_server_and_auth_from_options_before_or_after_the_command(kinto_fresh_server: str,
                                                                 shop: Collection):
    before = run(["--server", kinto_fresh_server, "--auth", f"alice:{PASSWORD}", "count",
                  "shop/todo"], server=None, auth=None)
    after = run(["count", "shop/todo", "-s", kinto_fresh_server, "-a", f"alice:{PASSWORD}"],
                server=None, auth=None)
    assert (before.status, before.out) == (after.status, after.out) == (0, "14\n")
    # An option wins over the environment.
    bob = run(["count", "shop/todo", "--auth", "bob:hunter22"], server=kinto_fresh_server)
    assert bob.status == 4
