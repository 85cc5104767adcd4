"""Tests of cli/sync.py: ``sync`` makes a collection hold a file's records, live."""

from __future__ import annotations

import json
from pathlib import Path

from kinto_query import Collection

from ..conftest import raw_dump, raw_get
from .clitools import Terminal, cli_env, run
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
    done = run(["sync", "shop/todo", "todo.jsonl", "--delete", "--yes"],
               server=kinto_fresh_server, cwd=tmp_path)
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


# -- deleting asks first --------------------------------------------------------------------------

def test_delete_without_a_terminal_is_refused_unless_yes(kinto_fresh_server: str,
                                                         shop: Collection,
                                                         tmp_path: Path) -> None:
    before = raw_dump(kinto_fresh_server)
    (tmp_path / "one.jsonl").write_text(json.dumps({"id": "t000", "title": "only"}) + "\n")
    refused = run(["sync", "shop/todo", "one.jsonl", "--delete"], server=kinto_fresh_server,
                  cwd=tmp_path)
    assert refused.status == 2
    assert refused.err.splitlines()[-1] == (  # after the difference
        "error: not deleting 13 records not in one.jsonl from shop/todo without "
        "confirmation: there is no terminal to ask on, pass --yes")
    assert raw_dump(kinto_fresh_server) == before  # nothing written, not even the update
    done = run(["sync", "shop/todo", "one.jsonl", "--delete", "-y"],
               server=kinto_fresh_server, cwd=tmp_path)
    assert done.status == 0, done.err
    assert done.err.splitlines()[-1] == "shop/todo: created 0, updated 1, deleted 13, unchanged 0"
    assert held(kinto_fresh_server) == {"t000": {"title": "only"}}


def test_an_empty_file_is_refused_even_on_a_terminal(kinto_fresh_server: str, shop: Collection,
                                                     terminal: Terminal,
                                                     tmp_path: Path) -> None:
    before = raw_dump(kinto_fresh_server)
    (tmp_path / "empty.jsonl").write_text("")
    terminal.start(["sync", "shop/todo", "empty.jsonl", "--delete"], cli_env(kinto_fresh_server))
    screen = terminal.wait_for("EXIT=")
    assert "[y/N]" not in screen
    assert ("error: empty.jsonl holds no record: not deleting 14 records not in empty.jsonl "
            "from shop/todo (a truncated file?); nothing was changed, pass --yes to delete "
            "them\nEXIT=2") in screen
    assert raw_dump(kinto_fresh_server) == before
    done = run(["sync", "shop/todo", "empty.jsonl", "--delete", "--yes"],
               server=kinto_fresh_server, cwd=tmp_path)
    assert done.status == 0, done.err
    assert held(kinto_fresh_server) == {}


def test_on_a_terminal_it_asks_and_no_changes_nothing(kinto_fresh_server: str, shop: Collection,
                                                      terminal: Terminal,
                                                      tmp_path: Path) -> None:
    before = raw_dump(kinto_fresh_server)
    (tmp_path / "one.jsonl").write_text(json.dumps({"id": "t000", "title": "only"}) + "\n")
    args = ["sync", "shop/todo", "one.jsonl", "--delete"]
    terminal.start(args, cli_env(kinto_fresh_server))
    terminal.wait_for("Delete 13 records not in one.jsonl from shop/todo? [y/N]: ")
    terminal.type("n")
    screen = terminal.wait_for("EXIT=")
    assert "error: nothing synced, nothing deleted\nEXIT=1" in screen
    assert raw_dump(kinto_fresh_server) == before

    again = Terminal(tmp_path)
    try:
        again.start(args, cli_env(kinto_fresh_server))
        again.wait_for("Delete 13 records not in one.jsonl from shop/todo? [y/N]: ")
        again.type("y")
        screen = again.wait_for("EXIT=")
    finally:
        again.stop()
    assert "shop/todo: created 0, updated 1, deleted 13, unchanged 0\nEXIT=0" in screen
    assert held(kinto_fresh_server) == {"t000": {"title": "only"}}


def test_a_dry_run_asks_nothing_and_deletes_nothing(kinto_fresh_server: str, shop: Collection,
                                                    tmp_path: Path) -> None:
    before = raw_dump(kinto_fresh_server)
    (tmp_path / "one.jsonl").write_text(json.dumps({"id": "t000", "title": "only"}) + "\n")
    (tmp_path / "empty.jsonl").write_text("")
    for name in ("one.jsonl", "empty.jsonl"):
        done = run(["sync", "shop/todo", name, "--delete", "--dry-run"],
                   server=kinto_fresh_server, cwd=tmp_path)
        assert done.status == 0, done.err
        assert "confirmation" not in done.err and "[y/N]" not in done.err
    assert raw_dump(kinto_fresh_server) == before
