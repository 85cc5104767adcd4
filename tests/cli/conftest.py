"""What the CLI's tests share: a to-do list to read (fixture ``shop``), sample records and
reading them back (export, import), a terminal (fixture ``terminal``), and kinto-wizard (its
dump and load, against ours). A test module may override a fixture with its own."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kinto_query import Bucket, Client, Collection

from ..conftest import raw, raw_get
from .clitools import AUTH, Terminal, cli_env

TODO = "/buckets/shop/collections/todo"


# -- a to-do list to read ------------------------------------------------------------------------


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


# -- a real terminal ------------------------------------------------------------------------------


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    screen = Terminal(tmp_path)
    try:
        yield screen
    finally:
        screen.stop()


@pytest.fixture
def terminal_shop(alice: Client) -> Collection:
    todo = Bucket("shop", client=alice, create=True).create_collection("todo")
    todo.create_records({"id": f"t{i:03d}", "title": f"task {i}", "done": i % 3 == 0}
                        for i in range(300))
    return todo


# -- sample records, and where they are -----------------------------------------------------------


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


def file_records(path: Path) -> dict[str, dict[str, Any]]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return {r["id"]: {k: v for k, v in r.items() if k != "last_modified"} for r in records}


def wait_until(condition: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("waited in vain")
        time.sleep(0.01)


# -- kinto-wizard ---------------------------------------------------------------------------------

WIZARD = str(Path(sys.executable).with_name("kinto-wizard"))


# kinto-wizard's --full also dumps attachments, which needs Python 3.12 (itertools.batched):
# everything else is asked for by name.

WIZARD_DUMP = ["dump", "--data", "--permissions", "--buckets", "--collections", "--groups",
               "--records"]


def build(client: Client) -> None:
    """Buckets, a group, collections with data and permissions, records; dates as strings."""
    shop = Bucket("shop", client=client, create=True,
                  data={"title": "Shop", "opened": "2018-06-22"},
                  permissions={"read": ["system.Authenticated"]})
    shop.create_group("staff", members=["account:bob", "basicauth:abc"],
                      data={"label": "Staff"}, permissions={"read": ["system.Everyone"]})
    todo = shop.create_collection("todo", data={"when": "2018-06-22 16:34:43", "n": 1.5},
                                  permissions={"record:create": ["group:staff"]})
    todo.create_records([
        {"id": "a", "title": "1.0", "due": "2024-01-02", "tags": ["x", "y"], "done": False},
        {"id": "b", "nested": {"k": [1, {"deep": None}]}, "yes": "yes", "text": "café ✓"},
    ])
    shop.create_collection("empty")
    Bucket("other", client=client, create=True)


def snapshot(url: str) -> dict[str, Any]:
    """Every bucket, group, collection and record as the server holds them (read raw),
    without the timestamps the server sets."""

    def own(body: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in body["data"].items() if k != "last_modified"}
        permissions = {k: sorted(v) for k, v in body.get("permissions", {}).items()}
        return {"data": data, "permissions": permissions}

    state: dict[str, Any] = {}
    for bucket in raw_get(url, "/buckets")["data"]:
        path = f"/buckets/{bucket['id']}"
        state[path] = own(raw_get(url, path))
        for kind in ("groups", "collections"):
            for child in raw_get(url, f"{path}/{kind}")["data"]:
                child_path = f"{path}/{kind}/{child['id']}"
                state[child_path] = own(raw_get(url, child_path))
                if kind == "collections":
                    for record in raw_get(url, f"{child_path}/records")["data"]:
                        record_path = f"{child_path}/records/{record['id']}"
                        state[record_path] = own(raw_get(url, record_path))
    return state


def flush(url: str) -> None:
    requests.post(url + "/__flush__", timeout=10).raise_for_status()
    assert raw_get(url, "/buckets")["data"] == []


def wizard(args: list[str], url: str, cwd: Path) -> str:
    if not Path(WIZARD).exists() and shutil.which("kinto-wizard") is None:
        pytest.skip("kinto-wizard is not installed (pip install '.[cli-tests]')")
    done = subprocess.run([WIZARD, *args, "--server", url, "--auth", AUTH], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=cli_env(None))
    assert done.returncode == 0, done.stderr
    return done.stdout
