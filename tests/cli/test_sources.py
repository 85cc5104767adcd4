"""Tests of cli/sources.py: reading JSON lines and CSV to import, and the lines that fail."""

from __future__ import annotations

from pathlib import Path

from kinto_query import Bucket, Client

from .clitools import run
from .conftest import seed, server_records

# -- import ---------------------------------------------------------------------------------------

def test_csv_round_trip_is_exact(kinto_fresh_server: str, alice: Client, tmp_path: Path):
    seed(alice, 60)
    Bucket("shop", client=alice).create_collection("copy")
    exported = run(["export", "shop/todo", "-o", "todo.csv"], server=kinto_fresh_server,
                   cwd=tmp_path)
    assert exported.status == 0
    imported = run(["import", "shop/copy", "todo.csv"], server=kinto_fresh_server, cwd=tmp_path)
    assert (imported.status, imported.err) == (
        0, "created 60 records in shop/copy\n")
    copy = server_records(kinto_fresh_server, "/buckets/shop/collections/copy")
    assert copy == server_records(kinto_fresh_server)
    assert copy["r00004"]["title"] == "" and "note" not in copy["r00005"]
    assert copy["r00001"]["title"] == "007" and copy["r00000"]["title"] == "1.0"


def test_import_reports_unreadable_lines_and_imports_the_rest(kinto_fresh_server: str,
                                                              alice: Client, tmp_path: Path):
    Bucket("shop", client=alice, create=True).create_collection("todo")
    text = ('{"id": "a1", "n": 1}\n'
            "not json\n"
            '\n'
            '["a list"]\n'
            '{"id": "bad id", "n": 4}\n'
            '{"n": 5}\n')
    (tmp_path / "in.jsonl").write_text(text)
    done = run(["import", "shop/todo", "in.jsonl", "--failed", "redo.jsonl"],
               server=kinto_fresh_server, cwd=tmp_path)
    assert done.status == 1
    errors = done.err.splitlines()
    assert errors[0].startswith("line 2: not JSON")
    assert errors[1] == 'line 4: not a JSON object: ["a list"]'
    assert errors[2].startswith("line 5 (id 'bad id'): invalid record id 'bad id'")
    assert errors[3] == ("created 2 records in shop/todo; 3 failed, written to "
                         "redo.jsonl: fix them and import that file")
    assert (tmp_path / "redo.jsonl").read_text() == (
        'not json\n["a list"]\n{"id": "bad id", "n": 4}\n')
    held = server_records(kinto_fresh_server)
    assert held["a1"] == {"id": "a1", "n": 1}
    assert [r["n"] for r in held.values() if r["id"] != "a1"] == [5]  # a new id was given


def test_a_broken_csv_is_reported_not_swallowed(kinto_fresh_server: str, alice: Client,
                                               tmp_path: Path):
    Bucket("shop", client=alice, create=True).create_collection("todo")
    (tmp_path / "in.csv").write_text(
        'id,title,priority\nc1,one,1\nd4,four\nc2,"two,2\nc3,three,3\n')
    done = run(["import", "shop/todo", "in.csv"], server=kinto_fresh_server, cwd=tmp_path)
    assert done.status == 1
    assert done.err.splitlines() == [
        "line 3: 2 cells for 3 columns",
        "line 4: not CSV from here to the end of the file (unexpected end of data): a quoted "
        "cell that is never closed?",
        "created 1 record in shop/todo; 2 failed, written to in.failed.csv: fix "
        "them and import that file"]
    assert (tmp_path / "in.failed.csv").read_text() == (
        'id,title,priority\nd4,four\nc2,"two,2\nc3,three,3\n')
    assert list(server_records(kinto_fresh_server)) == ["c1"]
