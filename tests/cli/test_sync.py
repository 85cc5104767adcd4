"""Tests of cli/sync.py: ``sync`` makes a collection hold a file's records, live."""

from __future__ import annotations

import json
from pathlib import Path

from kinto_query import Collection

from ..conftest import raw_get
from .clitools import run
from .conftest import TODO


def held(url: str) -> dict[str, dict[str, object]]:
    return {r["id"]: {k: v for k, v in r.items() if k not in ("id", "last_modified")}
            for r in raw_get(url, f"{TODO}/records")["data"]}


def test_sync_a_jsonl_file_with_delete(kinto_fresh_server: str, shop: Collection,
                                       tmp_path: Path) -> None:
    before = held(kinto_fresh_server)
    wanted = [{"id": "t000", **before["t000"], "title": "changed"},
              {"id": "t001", **before["t001"]}, {"id": "new", "title": "n"}]
    (tmp_path / "todo.jsonl").write_text("".join(json.dumps(r) + "\n" for r in wanted))
    done = run(["sync", "shop/todo", "todo.jsonl", "--delete"], server=kinto_fresh_server,
               cwd=tmp_path)
    assert done.status == 0, done.err
    lines = done.err.splitlines()
    assert lines[0] == "1 to create, 1 to update, 12 to delete, 1 unchanged"
    assert lines[1:3] == ["+ new", "~ t000: title"]
    assert lines[-1] == "shop/todo: created 1, updated 1, deleted 12, unchanged 1"
    assert held(kinto_fresh_server) == {r["id"]: {k: v for k, v in r.items() if k != "id"}
                                        for r in wanted}
    again = run(["sync", "shop/todo", "todo.jsonl"], server=kinto_fresh_server, cwd=tmp_path)
    assert again.err.splitlines() == ["0 to create, 0 to update, 0 to delete, 3 unchanged",
                                      "shop/todo: created 0, updated 0, deleted 0, unchanged 3"]


def test_sync_a_json_array_without_delete_keeps_the_rest(kinto_fresh_server: str,
                                                         shop: Collection,
                                                         tmp_path: Path) -> None:
    (tmp_path / "todo.json").write_text(json.dumps({"data": [{"id": "t000", "title": "x"}]}))
    done = run(["sync", "shop/todo", "todo.json"], server=kinto_fresh_server, cwd=tmp_path)
    assert done.status == 0, done.err
    assert done.err.splitlines() == [
        "0 to create, 1 to update, 0 to delete, 0 unchanged", "~ t000: author, priority, "
        "status, tags, title", "shop/todo: created 0, updated 1, deleted 0, unchanged 0, "
        "13 not in the list kept (delete=True deletes them)"]
    assert held(kinto_fresh_server)["t000"] == {"title": "x"}
    assert len(held(kinto_fresh_server)) == 14


def test_a_bad_line_or_a_duplicate_changes_nothing(kinto_fresh_server: str, shop: Collection,
                                                  tmp_path: Path) -> None:
    before = held(kinto_fresh_server)
    (tmp_path / "bad.jsonl").write_text('{"id": "a"}\n{"id": \n')
    bad = run(["sync", "shop/todo", "bad.jsonl", "--delete"], server=kinto_fresh_server,
              cwd=tmp_path)
    assert bad.status == 2 and "bad.jsonl, line 2: not JSON" in bad.err
    (tmp_path / "dup.jsonl").write_text('{"id": "a"}\n{"id": "a", "n": 1}\n')
    dup = run(["sync", "shop/todo", "dup.jsonl", "--delete"], server=kinto_fresh_server,
              cwd=tmp_path)
    assert dup.status == 2 and "two records with id" in dup.err
    assert held(kinto_fresh_server) == before
