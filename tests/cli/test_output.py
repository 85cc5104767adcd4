"""Tests of cli/output.py: the output formats, in a pipe and on a terminal."""

from __future__ import annotations

import csv
import io
import json

import pytest

from kinto_query import Collection
from kinto_query.cli.errors import CliError, ExitStatus
from kinto_query.cli.output import CsvEncoder, JsonEncoder

from .clitools import Terminal, cli_env, jsonl, run


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


def test_csv_columns_come_from_the_first_page_or_the_fields():
    encoder = CsvEncoder()
    first = encoder.page([{"id": "a", "last_modified": 1, "n": 3},
                          {"id": "b", "last_modified": 2, "s": "3", "x": None}])
    assert list(csv.reader(io.StringIO(first))) == [
        ["id", "last_modified", "n", "s", "x"], ["a", "1", "3", "", ""],
        ["b", "2", "", '"3"', "null"]]
    with pytest.raises(CliError, match="record 'c' has the field 'late'") as raised:
        encoder.page([{"id": "c", "last_modified": 3, "late": 1}])
    assert raised.value.status == ExitStatus.USAGE
    assert CsvEncoder(fields=("title", "author.name")).end() == (
        "id,last_modified,title,author\n")


def test_a_json_array_streams_page_by_page():
    encoder = JsonEncoder()
    text = encoder.page([{"id": "a"}]) + encoder.page([]) + encoder.page([{"id": "b"}])
    assert json.loads(text + encoder.end()) == [{"id": "a"}, {"id": "b"}]
    assert JsonEncoder().end() == "[]\n"


def test_records_are_a_table_on_a_terminal(kinto_fresh_server: str, terminal_shop: Collection,
                                           terminal: Terminal):
    terminal.start(["records", "shop/todo", "--sort", "id", "-n", "2"],
                   cli_env(kinto_fresh_server))
    screen = terminal.wait_for("EXIT=")
    lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
    assert [cell.strip() for cell in lines[0].split("┃")] == ["id", "title", "done"]
    assert [[cell.strip() for cell in line.split("│")] for line in lines[2:4]] == [
        ["t000", "task 0", "true"], ["t001", "task 1", "false"]]
    assert lines[4] == "EXIT=0"
