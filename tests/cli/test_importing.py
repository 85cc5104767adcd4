"""Tests of cli/importing.py: ``import`` and its modes, against a live Kinto."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from kinto_query import Bucket, Client

from ..conftest import raw, raw_get
from ..faultproxy import FaultProxy
from .clitools import KINTO_QUERY, cli_env, finish, run, spawn
from .conftest import TODO, file_records, sample, seed, server_records, wait_until


def test_importing_the_same_file_twice_shows_ten_failures_and_counts_the_rest(
        kinto_fresh_server: str, alice: Client, tmp_path: Path):
    seed(alice, 0)
    lines = [{"id": f"r{i:03d}", "title": f"task {i}"} for i in range(121)]
    (tmp_path / "todo.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    first = run(["import", "shop/todo", "todo.jsonl"], server=kinto_fresh_server, cwd=tmp_path)
    assert (first.status, first.err) == (0, "created 121 records in shop/todo\n")
    again = run(["import", "shop/todo", "todo.jsonl"], server=kinto_fresh_server, cwd=tmp_path)
    assert again.status == 1
    assert again.err.splitlines() == [
        *(f"line {i + 1} (id 'r{i:03d}'): already exists (--update or --upsert replace it)"
          for i in range(10)),
        "... and 111 more, in todo.failed.jsonl",
        "created 0 records in shop/todo; 121 failed, written to todo.failed.jsonl: fix them "
        "and import that file"]
    assert len((tmp_path / "todo.failed.jsonl").read_text().splitlines()) == 121


def test_import_modes_create_update_upsert(kinto_fresh_server: str, alice: Client,
                                           tmp_path: Path):
    todo = seed(alice, 4)  # r00000..r00003 on the server
    exported = run(["export", "shop/todo", "-o", "old.jsonl"], server=kinto_fresh_server,
                   cwd=tmp_path)
    assert exported.status == 0
    todo.update_record("r00001", {"title": "changed meanwhile"})
    lines = [{"id": "r00000", "title": "mine 0"}, {"id": "r00009", "title": "new 9"}]
    (tmp_path / "mine.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))

    create = run(["import", "shop/todo", "mine.jsonl"], server=kinto_fresh_server, cwd=tmp_path)
    assert create.status == 1
    assert create.err.splitlines() == [
        "line 1 (id 'r00000'): already exists (--update or --upsert replace it)",
        "created 1 record in shop/todo; 1 failed, written to mine.failed.jsonl: "
        "fix them and import that file"]
    held = server_records(kinto_fresh_server)
    assert held["r00000"]["title"] == "1.0" and held["r00009"]["title"] == "new 9"
    assert (tmp_path / "mine.failed.jsonl").read_text() == json.dumps(lines[0]) + "\n"

    # --update: r00000 replaced (no version given); r00001 changed since the export: kept.
    (tmp_path / "upd.jsonl").write_text(
        json.dumps({"id": "r00000", "title": "updated"}) + "\n"
        + (tmp_path / "old.jsonl").read_text().splitlines(keepends=True)[2]  # r00001, exported
        + json.dumps({"id": "r00077", "title": "not there"}) + "\n")
    update = run(["import", "shop/todo", "upd.jsonl", "--update"], server=kinto_fresh_server,
                 cwd=tmp_path)
    assert update.status == 1
    errors = update.err.splitlines()
    assert errors[0].startswith("line 2 (id 'r00001'): the server holds another version")
    assert errors[1] == ("line 3 (id 'r00077'): not on the server (--update changes existing "
                         "records only; --upsert creates it)")
    held = server_records(kinto_fresh_server)
    assert held["r00000"] == {"id": "r00000", "title": "updated"}  # replaced, not merged
    assert held["r00001"]["title"] == "changed meanwhile" and "r00077" not in held

    # The failed items, as written, import with --upsert: the file wins.
    upsert = run(["import", "shop/todo", "upd.failed.jsonl", "--upsert"],
                 server=kinto_fresh_server, cwd=tmp_path)
    assert (upsert.status, upsert.err) == (
        0, "created or replaced 2 records in shop/todo\n")
    held = server_records(kinto_fresh_server)
    assert held["r00001"]["title"] == "007" and held["r00077"]["title"] == "not there"


def test_permissions_round_trip_where_asked(kinto_fresh_server: str, alice: Client,
                                           tmp_path: Path):
    todo = Bucket("shop", client=alice, create=True).create_collection("todo")
    shares = [{"read": ["system.Everyone"]}, {"write": ["basicauth:someone"]}, {}]
    todo.create_records(todo.record(data, permissions=shares[int(data["n"]) % 3])
                        for data in sample(40))
    Bucket("shop", client=alice).create_collection("copy")
    exported = run(["export", "shop/todo", "--permissions", "--page-size", "30", "-o",
                    "p.jsonl"], server=kinto_fresh_server, cwd=tmp_path)
    assert exported.status == 0, exported.err
    lines = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text().splitlines()]
    for line in lines:
        body = raw_get(kinto_fresh_server, f"{TODO}/records/{line['data']['id']}")
        assert line == {"data": body["data"], "permissions": body["permissions"]}
    imported = run(["import", "shop/copy", "p.jsonl", "--permissions"],
                   server=kinto_fresh_server, cwd=tmp_path)
    assert (imported.status, imported.err) == (0, "created 40 records in shop/copy\n")
    for line in lines:
        record_id = line["data"]["id"]
        copy = raw_get(kinto_fresh_server, f"/buckets/shop/collections/copy/records/{record_id}")
        assert {k: v for k, v in copy["data"].items() if k != "last_modified"} == {
            k: v for k, v in line["data"].items() if k != "last_modified"}
        assert {k: sorted(v) for k, v in copy["permissions"].items()} == {
            k: sorted(v) for k, v in line["permissions"].items()}
    csv_asked = run(["export", "shop/todo", "--permissions", "-o", "p.csv"],
                    server=kinto_fresh_server, cwd=tmp_path)
    assert (csv_asked.status, csv_asked.err) == (
        2, "error: --permissions goes with JSON lines, not CSV\n")
    (tmp_path / "bad.jsonl").write_text('{"id": "flat"}\n'
                                        '{"data": {"id": "x"}, "permissions": {"own": []}}\n')
    bad = run(["import", "shop/copy", "bad.jsonl", "--permissions"], server=kinto_fresh_server,
              cwd=tmp_path)
    assert bad.status == 1
    assert bad.err.splitlines()[:2] == [
        'line 1: --permissions reads lines of {"data": {...}, "permissions": {...}}, as export '
        "--permissions writes them",
        "line 2 (id 'x'): permissions must map read and/or write to lists of principals, not "
        '{"own": []}']


def test_import_into_a_missing_collection_stops_at_once(kinto_fresh_server: str, alice: Client,
                                                        tmp_path: Path):
    Bucket("shop", client=alice, create=True)
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in sample(80)))
    done = run(["import", "shop/nope", "in.jsonl"], server=kinto_fresh_server, cwd=tmp_path)
    assert done.status == 3
    assert done.err.splitlines() == [
        "error: collection 'nope' not found in bucket 'shop' (or the bucket does not exist); "
        "imported 0, 80 not imported (55 never sent) are in in.failed.jsonl"]
    assert (tmp_path / "in.failed.jsonl").read_text() == (tmp_path / "in.jsonl").read_text()


def test_import_can_create_the_bucket_and_collection_first(kinto_fresh_server: str,
                                                          alice: Client, tmp_path: Path):
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in sample(30)))
    done = run(["import", "backup/todo", "in.jsonl", "--create-collection"],
               server=kinto_fresh_server, cwd=tmp_path)
    assert (done.status, done.err.splitlines()) == (
        0, ["created 30 records in backup/todo"])
    path = "/buckets/backup/collections/todo"
    assert server_records(kinto_fresh_server, path) == {r["id"]: r for r in sample(30)}
    again = run(["import", "backup/todo", "in.jsonl", "--create-collection", "--upsert"],
                server=kinto_fresh_server, cwd=tmp_path)  # both exist now: kept as they are
    assert again.status == 0 and len(server_records(kinto_fresh_server, path)) == 30


def test_ctrl_c_stops_an_import_cleanly_and_says_how_to_go_on(kinto_fresh_server: str,
                                                              alice: Client, tmp_path: Path):
    Bucket("shop", client=alice, create=True).create_collection("todo")
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in sample(500)))

    def count() -> int:
        head = raw("HEAD", kinto_fresh_server, f"{TODO}/records")
        return int(head.headers["Total-Objects"])

    with FaultProxy(kinto_fresh_server, latency=0.1) as proxy:
        process = spawn(["import", "shop/todo", "in.jsonl"], server=proxy.url, cwd=tmp_path)
        wait_until(lambda: count() >= 100)
        process.send_signal(signal.SIGINT)
        stopped = finish(process)
    assert stopped.status == 130
    imported = count()
    message = stopped.err.splitlines()[-1]
    assert message.startswith(f"interrupted: created {imported} records in shop/todo; "
                              f"the {500 - imported} not imported (")
    assert message.endswith("are in in.failed.jsonl: go on with 'kinto-query import shop/todo "
                            "in.failed.jsonl --create'")
    go_on = run(["import", "shop/todo", "in.failed.jsonl", "--create"],
                server=kinto_fresh_server, cwd=tmp_path)
    assert go_on.status == 0, go_on.err
    assert server_records(kinto_fresh_server) == file_records(tmp_path / "in.jsonl")


def test_export_piped_into_import(kinto_fresh_server: str, alice: Client, tmp_path: Path):
    seed(alice, 50)
    Bucket("backup", client=alice, create=True).create_collection("todo")
    pipeline = (f"{KINTO_QUERY} export shop/todo | "
                f"{KINTO_QUERY} import backup/todo - --upsert --concurrency 3")
    done = subprocess.run(["bash", "-o", "pipefail", "-c", pipeline], capture_output=True,
                          text=True, env=cli_env(kinto_fresh_server), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == ["created or replaced 50 records in backup/todo"]
    assert server_records(kinto_fresh_server, "/buckets/backup/collections/todo") == \
        server_records(kinto_fresh_server)
