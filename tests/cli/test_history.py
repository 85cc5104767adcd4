"""Tests of cli/history.py: ``kinto-query history BUCKET`` against a live Kinto."""

from __future__ import annotations

import csv
import io
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from kinto_query import Bucket, Client
from kinto_query.cli.history import FIELDS

from ..conftest import raw, raw_get
from .clitools import Terminal, cli_env, jsonl, one_error_line, run

HISTORY = "/buckets/shop/history"


TODO = "/buckets/shop/collections/todo"


@pytest.fixture
def shop(alice: Client, kinto_fresh_server: str) -> None:
    """Bucket shop: a collection todo, four records created, one updated, one deleted."""
    todo = Bucket("shop", client=alice, create=True).create_collection("todo")
    todo.create_records([
        {"id": "t1", "title": "milk", "status": "todo", "priority": 3},
        {"id": "t2", "title": "eggs", "status": "done", "priority": "3"},
        {"id": "t3", "title": "1.0", "status": "todo", "priority": 1},
        {"id": "t4", "title": "tea", "status": "todo", "priority": 2},
    ])
    raw("PATCH", kinto_fresh_server, f"{TODO}/records/t1", {"data": {"status": "done"}})
    raw("DELETE", kinto_fresh_server, f"{TODO}/records/t4").raise_for_status()


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    screen = Terminal(tmp_path, width=120)  # a common terminal: rows must not wrap
    try:
        yield screen
    finally:
        screen.stop()


def server_entries(url: str, query: str = "") -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = raw_get(url, f"{HISTORY}?{query}")["data"]
    return entries


def as_shown(entry: dict[str, Any]) -> dict[str, Any]:
    """A raw history entry as kinto-query writes it: flat, every field, in order."""
    return {
        "id": entry["id"], "last_modified": entry["last_modified"], "date": entry["date"],
        "user_id": entry["user_id"], "action": entry["action"],
        "resource_name": entry["resource_name"], "uri": entry["uri"],
        "bucket_id": entry.get("bucket_id", "shop"),
        "collection_id": entry.get("collection_id"), "group_id": entry.get("group_id"),
        "record_id": entry.get("record_id"),
        "data": entry["target"]["data"], "permissions": entry["target"]["permissions"],
    }


def ids(url: str, *args: str) -> list[str]:
    done = run(["history", "shop", "--format", "ids", *args], server=url)
    assert (done.status, done.err) == (0, ""), done.err
    return done.lines


def test_history_writes_every_entry_as_json_lines(kinto_fresh_server: str, shop: None):
    done = run(["history", "shop"], server=kinto_fresh_server)
    assert (done.status, done.err) == (0, "")
    assert "\x1b" not in done.out
    shown = jsonl(done.out)
    entries = server_entries(kinto_fresh_server)
    assert len(entries) == 8  # bucket, collection, 4 creates, 1 update, 1 delete
    assert shown == [as_shown(entry) for entry in entries]  # newest first, as the server
    assert all(list(obj) == list(FIELDS) for obj in shown)
    assert [(e["action"], e["resource_name"]) for e in shown[:2]] == [
        ("delete", "record"), ("update", "record")]
    assert shown[1]["data"]["status"] == "done" and shown[1]["record_id"] == "t1"
    assert shown[-1]["resource_name"] == "bucket" and shown[-1]["collection_id"] is None


def test_filters_typed_values_sort_and_limit_as_records_does(kinto_fresh_server: str,
                                                            shop: None):
    def server(query: str) -> list[str]:
        return [e["id"] for e in server_entries(kinto_fresh_server, query)]

    assert ids(kinto_fresh_server, "-f", "resource_name=record", "-f", "action=update") == \
        server("resource_name=record&action=update")
    assert len(server("resource_name=record&action=update")) == 1
    assert ids(kinto_fresh_server, "-x", "action=create", "--sort", "last_modified") == \
        server("not_action=create&_sort=last_modified")
    assert ids(kinto_fresh_server, "-f", "resource_name__in=bucket,collection", "-n", "1") == \
        server("in_resource_name=bucket,collection&_limit=1")
    # Typed values: 3 is the number, '"3"' the string; the object's fields are target.data.*
    number = run(["history", "shop", "-f", "target.data.priority=3"], server=kinto_fresh_server)
    assert [e["record_id"] for e in jsonl(number.out)] == ["t1", "t1"]  # its update, create
    string = run(["history", "shop", "-f", 'target.data.priority="3"'],
                 server=kinto_fresh_server)
    assert [e["record_id"] for e in jsonl(string.out)] == ["t2"]
    title = run(["history", "shop", "-f", 'target.data.title="1.0"', "-f", "action=create"],
                server=kinto_fresh_server)
    assert [e["record_id"] for e in jsonl(title.out)] == ["t3"]


def test_since_and_before_take_milliseconds_or_a_date_time(kinto_fresh_server: str,
                                                          shop: None):
    entries = server_entries(kinto_fresh_server, "_sort=last_modified")
    low, high = entries[2]["last_modified"], entries[6]["last_modified"]
    between = ids(kinto_fresh_server, "--since", str(low), "--before", f'"{high}"',
                  "--sort", "last_modified")
    assert between == [e["id"] for e in entries[3:6]]  # both bounds excluded
    assert between == [e["id"] for e in server_entries(
        kinto_fresh_server, f"_since={low}&_before={high}&_sort=last_modified")]
    assert len(ids(kinto_fresh_server, "--since", "2000-01-01T00:00:00Z")) == 8
    empty = run(["history", "shop", "--before", "2000-01-01T02:00:00+02:00", "--format",
                 "json"], server=kinto_fresh_server)
    assert (empty.status, empty.out) == (0, "[]\n")


def test_formats_json_csv_and_a_table_in_a_pipe(kinto_fresh_server: str, shop: None):
    lines = jsonl(run(["history", "shop"], server=kinto_fresh_server).out)
    array = run(["history", "shop", "--format", "json"], server=kinto_fresh_server)
    assert json.loads(array.out) == lines
    sheet = run(["history", "shop", "--format", "csv"], server=kinto_fresh_server)
    assert sheet.status == 0
    rows = list(csv.reader(io.StringIO(sheet.out)))
    assert rows[0] == list(FIELDS)  # the same columns whatever changed
    assert len(rows) == 9 and all(len(row) == len(FIELDS) for row in rows)
    bucket_row = dict(zip(FIELDS, rows[-1], strict=True))
    assert (bucket_row["resource_name"], bucket_row["collection_id"]) == ("bucket", "null")
    update = dict(zip(FIELDS, rows[2], strict=True))
    assert update["action"] == "update"
    assert json.loads(update["data"]) == lines[1]["data"]  # typed cells: compact JSON
    table = run(["history", "shop", "--format", "table", "-n", "2"], server=kinto_fresh_server)
    assert table.status == 0 and "\x1b" not in table.out
    header = table.lines[0]
    assert [cell.strip() for cell in header.split("┃")] == [
        "date (UTC)", "user_id", "action", "resource_name", "object"]
    none = run(["history", "shop", "-f", "action=nope", "--format", "table"],
               server=kinto_fresh_server)
    assert (none.status, none.out, none.err) == (0, "", "no history entry matches\n")


def test_history_is_a_table_on_a_terminal(kinto_fresh_server: str, shop: None,
                                          terminal: Terminal):
    terminal.start(["history", "shop", "-f", "resource_name=record", "-n", "3"],
                   cli_env(kinto_fresh_server))
    screen = terminal.wait_for("EXIT=")
    assert "\x1b[" in terminal.screen_with_escapes()  # a terminal: the header is bold
    entries = server_entries(kinto_fresh_server, "resource_name=record&_limit=3")
    rows = [[cell.strip() for cell in line.split("│")] for line in screen.splitlines()
            if "│" in line]
    # One line per entry in 120 columns: user ids and URIs shortened (the formats keep them).
    assert len(rows) == 3 and all(len(line) <= 120 for line in screen.splitlines())
    assert [row[2:] for row in rows] == [
        [e["action"], "record", f"todo/{e['record_id']}"] for e in entries]
    assert [row[1] for row in rows] == [e["user_id"][:len("basicauth:") + 8] + "…"
                                        for e in entries]
    assert [row[0] for row in rows] == [e["date"][:19].replace("T", " ") for e in entries]
    assert "EXIT=0" in screen


def test_url_prints_the_request_and_sends_nothing():
    with socket.socket() as sock:  # nothing listens there, and no password is known
        sock.bind(("127.0.0.1", 0))
        server = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    done = run(["history", "shop", "-f", "action=delete", "-f", "user_id=account:ann",
                "--since", "2024-06-01T00:00:00Z", "--sort", "last_modified", "-n", "5",
                "--url"], server=server, auth="alice")
    assert (done.status, done.err) == (0, "")
    assert done.out == (f"GET {server}{HISTORY}?action=delete&user_id={quote('account:ann')}"
                        "&_sort=last_modified&_since=1717200000000&_limit=5\n")


def test_usage_errors_and_a_missing_bucket(kinto_fresh_server: str, shop: None):
    def fails(*args: str, auth: str | None = "alice:s3cret") -> tuple[int, str]:
        done = run(["history", *args], server=kinto_fresh_server, auth=auth)
        assert done.out == "" and "Traceback" not in done.err
        return done.status, one_error_line(done.err)

    status, line = fails("shop", "-f", "action__gtee=update")
    assert status == 2 and "unknown lookup 'gtee': did you mean 'gte'?" in line
    status, line = fails("shop", "--since", "2024-06-01T00:00:00")
    assert status == 2 and "'2024-06-01T00:00:00' has no time zone" in line
    status, line = fails("shop", "--before", "yesterday")
    assert status == 2 and "neither a timestamp in milliseconds nor an ISO 8601" in line
    status, line = fails("shop", "--fields", "data")  # entries are read whole
    assert status == 2 and "No such option '--fields'" in line
    status, line = fails("no.such")
    assert status == 2 and "invalid bucket id 'no.such'" in line
    status, line = fails("nope")  # Kinto: 403 for a bucket that does not exist
    assert status == 4 and line.startswith("error: GET /v1/buckets/nope/history -> 403")


def test_without_credentials_the_history_is_unauthorized(kinto_fresh_server: str, shop: None):
    done = run(["history", "shop"], server=kinto_fresh_server, auth=None)
    assert (done.status, done.out) == (4, "")
    assert one_error_line(done.err).startswith(
        "error: GET /v1/buckets/shop/history -> 401 Unauthorized")


@pytest.fixture(scope="module")
def server_without_history() -> Iterator[str]:
    from kinto_query.testing import KintoServer

    with KintoServer(settings={"includes": "kinto.plugins.default_bucket"}) as server:
        yield server.url


@pytest.mark.live  # a server of its own, not a fixture of the plugin's
def test_a_server_without_the_history_plugin_says_so(server_without_history: str):
    url = server_without_history
    put = requests.put(f"{url}/buckets/shop", auth=("alice", "s3cret"), timeout=10)
    assert put.status_code in (200, 201)  # the bucket is there: the plugin is what is missing
    done = run(["history", "shop"], server=url)
    assert (done.status, done.out) == (3, "")
    assert one_error_line(done.err) == (
        "error: GET /v1/buckets/shop/history -> 404 Not Found: this server has no history "
        "plugin (turned on by kinto.plugins.history in kinto.includes) (errno 111)")


def test_completion_of_the_command_and_its_bucket(kinto_fresh_server: str, shop: None,
                                                  alice: Client):
    Bucket("shelf", client=alice, create=True)

    def complete(words: str) -> list[str]:
        done = run([], server=kinto_fresh_server, env={
            "_KINTO_QUERY_COMPLETE": "bash_complete", "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))})
        assert done.status == 0, done.err
        return done.lines

    assert complete("kinto-query hist") == ["plain,history"]
    assert complete("kinto-query who") == ["plain,whoami"]
    assert complete("kinto-query history sh") == ["plain,shelf", "plain,shop"]
    assert complete("kinto-query history sho") == ["plain,shop"]  # a bucket: no trailing /
    assert "plain,--since" in complete("kinto-query history shop --s")
    assert "plain,--account" in complete("kinto-query whoami --")
