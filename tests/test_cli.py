"""kinto-query as a user runs it: the console script, against a live Kinto, in pipes.

Reading commands, filters and typed values, formats, --url, credentials, errors and exit
statuses, help and completion. Exports, imports and deletes: test_cli_transfer.py; the
terminal (prompts, bars, tables): test_cli_terminal.py; dump/load: test_cli_wizard.py.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kinto_query import Bucket, Client, Collection

from .clitools import PASSWORD, run
from .conftest import raw, raw_get

TODO = "/buckets/shop/collections/todo"
COMMANDS = ["records", "count", "get", "buckets", "collections", "export", "import", "delete",
            "dump", "load", "completion", "whoami", "history"]


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


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def one_error_line(err: str) -> str:
    """stderr of a failed command: exactly one line, starting with 'error: '."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]


# -- records, count, get --------------------------------------------------------------------------


def test_records_filters_sort_and_limit_as_json_lines(kinto_fresh_server: str, shop: Collection):
    done = run(["records", "shop/todo", "--filter", "status=done", "--filter", "priority__gte=2",
                "--sort", "-priority,id", "--limit", "3"], server=kinto_fresh_server)
    assert done.status == 0 and done.err == ""
    records = jsonl(done.out)
    assert [r["id"] for r in records] == server_ids(
        kinto_fresh_server, "status=done&min_priority=2&_sort=-priority,id&_limit=3")
    assert [r["priority"] for r in records] == [4, 3, 2]
    assert all(set(r) >= {"id", "last_modified", "title"} for r in records)


def test_exclude_fields_and_nested_lookups(kinto_fresh_server: str, shop: Collection):
    done = run(["records", "shop/todo", "-f", "author__name=ann", "-x", "priority__in=0,2",
                "--fields", "title", "--sort", "id"], server=kinto_fresh_server)
    assert done.status == 0
    records = jsonl(done.out)
    assert [r["id"] for r in records] == server_ids(
        kinto_fresh_server, "author.name=ann&exclude_priority=0,2&_sort=id")
    assert all(set(r) == {"id", "last_modified", "title"} for r in records)


def test_values_are_typed_as_json_and_quotes_force_a_string(kinto_fresh_server: str,
                                                            shop: Collection):
    def ids(*filters: str) -> list[str]:
        args = ["records", "shop/todo", "--format", "ids", "--sort", "id"]
        for text in filters:
            args += ["--filter", text]
        done = run(args, server=kinto_fresh_server)
        assert done.status == 0, done.err
        return done.lines

    assert ids("title=1.0") == []  # the number 1.0: no title is a number
    assert ids('title="1.0"') == ["odd"]  # JSON-quoted: the string "1.0"
    assert ids('title="007"') == ["quoted"]
    assert ids("priority=3") == ["odd", "t003", "t008"]  # the number 3
    assert ids('priority="3"') == ["quoted"]  # the string "3"
    assert ids("status__in=todo,nope", "priority__in=0,4") == ["t000", "t004", "t010"]
    assert ids("tags__contains_any=home", "status=done") == ["t003", "t009"]
    assert ids("title__like=task 1*") == ["t001", "t010", "t011"]
    # And the URLs say exactly that.
    url = run(["records", "shop/todo", "-f", 'title="1.0"', "-f", "priority__gte=3", "--url"],
              server=kinto_fresh_server)
    assert url.out == (f"GET {kinto_fresh_server}/buckets/shop/collections/todo/records"
                       "?title=%221.0%22&min_priority=3\n")


def test_url_prints_the_request_and_sends_nothing(tmp_path: Path):
    # Nothing listens on this port, and no password is known: neither is needed.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = f"http://127.0.0.1:{port}/v1"
    cases = {
        ("records", "shop/todo", "-f", "status=done", "--sort", "-priority", "-n", "10"):
            f"GET {server}{TODO}/records?status=done&_sort=-priority&_limit=10",
        ("count", "shop/todo", "-x", "status=done"): f"HEAD {server}{TODO}/records?not_status=done",
        ("get", "shop/todo/t001", "--fields", "title"):
            f"GET {server}{TODO}/records/t001?_fields=title",
        ("export", "shop/todo", "--page-size", "500"): f"GET {server}{TODO}/records?_limit=500",
        ("delete", "shop/todo", "-f", "tags__contains=a"):
            f'DELETE {server}{TODO}/records?contains_tags=%5B%22a%22%5D',
    }
    for args, expected in cases.items():
        done = run([*args, "--url"], server=server, auth="alice")
        assert (done.status, done.out, done.err) == (0, expected + "\n", ""), args


def test_count_is_one_number(kinto_fresh_server: str, shop: Collection):
    done = run(["count", "shop/todo", "-f", "priority__gte=3", "-x", "status=done"],
               server=kinto_fresh_server)
    head = raw("HEAD", kinto_fresh_server, f"{TODO}/records?min_priority=3&not_status=done")
    assert (done.status, done.out) == (0, head.headers["Total-Objects"] + "\n")
    assert run(["count", "shop/todo"], server=kinto_fresh_server).out == "14\n"


def test_get_prints_the_record(kinto_fresh_server: str, shop: Collection):
    done = run(["get", "shop/todo/t001"], server=kinto_fresh_server)
    assert done.status == 0
    assert json.loads(done.out) == raw_get(kinto_fresh_server, f"{TODO}/records/t001")["data"]
    assert done.out.startswith('{\n  "id": "t001",')  # indented, id first
    shown = run(["get", "shop/todo/t001", "--permissions", "--format", "jsonl"],
                server=kinto_fresh_server)
    body = raw_get(kinto_fresh_server, f"{TODO}/records/t001")
    assert json.loads(shown.out) == {"data": body["data"], "permissions": body["permissions"]}
    assert len(shown.lines) == 1
    part = run(["get", "shop/todo/t002", "--fields", "title,status"], server=kinto_fresh_server)
    assert set(json.loads(part.out)) == {"id", "last_modified", "title", "status"}


def test_formats_json_csv_ids_and_a_table_in_a_pipe(kinto_fresh_server: str, shop: Collection):
    args = ["records", "shop/todo", "--sort", "id", "-n", "4"]
    lines = jsonl(run(args, server=kinto_fresh_server).out)
    array = run([*args, "--format", "json"], server=kinto_fresh_server)
    assert json.loads(array.out) == lines
    ids = run([*args, "--format", "ids"], server=kinto_fresh_server)
    assert ids.lines == ["odd", "quoted", "t000", "t001"]
    table = run([*args, "--format", "table", "--fields", "title,status"],
                server=kinto_fresh_server)
    assert table.status == 0 and "\x1b" not in table.out
    header, _rule, *rows = table.lines  # columns split by box-drawing bars
    assert [cell.strip() for cell in header.split("┃")] == ["id", "title", "status"]
    assert [[cell.strip() for cell in row.split("│")] for row in rows] == [
        ["odd", "1.0", "todo"], ["quoted", "007", "todo"], ["t000", "task 0", "todo"],
        ["t001", "task 1", "done"]]
    sheet = run([*args, "--format", "csv"], server=kinto_fresh_server)
    rows_csv = list(csv.reader(io.StringIO(sheet.out)))
    # Columns: id, last_modified, then every field of the first page, in order first seen.
    assert rows_csv[0] == ["id", "last_modified", "title", "status", "priority", "tags",
                           "author"]
    # Typed cells: the strings "1.0" and "3" are JSON-quoted (they would read as numbers),
    # "007" is not (it is no JSON), JSON is compact, an empty cell is a missing field.
    assert rows_csv[1][2:] == ['"1.0"', "todo", "3", "", ""]
    assert rows_csv[2][2:] == ["007", "todo", '"3"', "", ""]
    assert rows_csv[3][2:] == ["task 0", "todo", "0", '["home"]', '{"name":"ann"}']
    empty = run(["records", "shop/todo", "-f", "status=nope", "--format", "json"],
                server=kinto_fresh_server)
    assert empty.out == "[]\n"


def test_buckets_and_collections(kinto_fresh_server: str, shop: Collection, alice: Client):
    Bucket("other", client=alice, create=True).create_collection("a")
    assert run(["buckets", "--format", "ids"], server=kinto_fresh_server).lines == [
        "other", "shop"]
    listed = jsonl(run(["collections", "shop"], server=kinto_fresh_server).out)
    assert [c["id"] for c in listed] == ["todo"]
    bad = run(["collections", "no.such"], server=kinto_fresh_server)
    assert bad.status == 2 and "invalid bucket id 'no.such'" in one_error_line(bad.err)


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


def test_a_missing_password_without_a_terminal_is_a_usage_error(kinto_fresh_server: str):
    done = run(["count", "shop/todo"], server=kinto_fresh_server, auth="alice")
    assert done.status == 2
    assert one_error_line(done.err) == (
        "error: no password for 'alice' and no terminal to ask for it: give --auth "
        "alice:PASSWORD or set KINTO_AUTH")


def test_a_token_is_sent_as_given(kinto_fresh_server: str, shop: Collection):
    # Kinto's test setup knows no Bearer tokens: the 401 proves the header went out as given.
    done = run(["count", "shop/todo"], server=kinto_fresh_server, auth="Bearer not-a-token")
    assert done.status == 4
    assert "401 Unauthorized" in one_error_line(done.err)


def test_errors_are_one_line_with_an_exit_status_by_kind(kinto_fresh_server: str,
                                                        shop: Collection):
    def fails(args: list[str], auth: str = f"alice:{PASSWORD}") -> tuple[int, str]:
        done = run(args, server=kinto_fresh_server, auth=auth)
        assert done.out == ""
        assert "Traceback" not in done.err
        return done.status, one_line_text(one_error_line(done.err))

    def one_line_text(line: str) -> str:
        return line.removeprefix("error: ")

    status, text = fails(["records", "shop/todo", "-f", "priority__gtee=3"])
    assert status == 2 and "unknown lookup 'gtee': did you mean 'gte'?" in text
    assert fails(["records", "shop/todo", "-f", "status"])[0] == 2
    assert fails(["records", "shop"])[0] == 2
    assert fails(["records", "shop/todo", "--limit", "-1"])[0] == 2
    assert fails(["nonsense"])[0] == 2
    status, text = fails(["get", "shop/todo/nope"])
    assert (status, text) == (3, "GET /v1/buckets/shop/collections/todo/records/nope -> 404 "
                                 "Not Found: record 'nope' not found (errno 110)")
    status, text = fails(["count", "shop/nope"])
    assert status == 3 and "collection 'nope' not found in bucket 'shop'" in text
    assert fails(["records", "shop/todo"], auth="bob:hunter22")[0] == 4
    assert fails(["records", "nope/todo"])[0] == 4  # Kinto: 403 for a missing bucket


def test_an_unreachable_server_is_a_server_error(tmp_path: Path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = run(["count", "shop/todo"], server=f"http://127.0.0.1:{port}/v1")
    assert done.status == 6
    assert one_error_line(done.err).startswith(
        f"error: HEAD http://127.0.0.1:{port}/v1/buckets/shop/collections/todo/records: "
        f"cannot reach the server at http://127.0.0.1:{port}/v1")


def test_debug_shows_requests_and_tracebacks_never_credentials(kinto_fresh_server: str,
                                                              shop: Collection):
    ok = run(["--debug", "count", "shop/todo", "--auth", f"alice:{PASSWORD}"],
             server=kinto_fresh_server, auth=None)
    assert ok.status == 0
    assert "debug: <Client " in ok.err and "BasicAuth('alice', '***')" in ok.err
    assert f"HEAD {kinto_fresh_server}{TODO}/records -> 200" in ok.err
    failed = run(["get", "shop/todo/nope", "--debug"], server=kinto_fresh_server)
    assert failed.status == 3
    assert "Traceback (most recent call last)" in failed.err
    assert failed.err.splitlines()[-1].startswith("error: GET ")
    for done in (ok, failed):
        assert PASSWORD not in done.out + done.err


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
