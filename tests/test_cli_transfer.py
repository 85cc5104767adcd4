"""kinto-query export, import and delete, run as a user runs them, against a live Kinto.

Exports resumed after Ctrl-C, kill -9 and a server failure end with the same bytes as one
that never stopped; imports report each failed item and write a file that imports again;
20,000 records round-trip exactly, in flat memory (measured).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kinto_query import Bucket, Client, Collection
from kinto_query.testing import KintoServer

from .clitools import KINTO_QUERY, cli_env, finish, run, run_measured, spawn
from .conftest import AUTH, raw, raw_get
from .faultproxy import Fault, FaultProxy

TODO = "/buckets/shop/collections/todo"


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


def written(state: Path) -> int:
    try:
        return int(json.loads(state.read_text())["written"])
    except (OSError, ValueError):
        return 0


# -- export ---------------------------------------------------------------------------------------


def test_export_writes_what_the_server_holds(kinto_fresh_server: str, alice: Client,
                                             tmp_path: Path):
    seed(alice, 120)
    done = run(["export", "shop/todo", "-o", "todo.jsonl"], server=kinto_fresh_server,
               cwd=tmp_path)
    assert (done.status, done.out) == (0, "")
    assert done.err == "exported 120 records of shop/todo to todo.jsonl\n"
    assert file_records(tmp_path / "todo.jsonl") == server_records(kinto_fresh_server)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["todo.jsonl"]  # no note left
    # The same bytes to stdout, and in the server's order (newest first).
    piped = run(["export", "shop/todo"], server=kinto_fresh_server)
    assert piped.out == (tmp_path / "todo.jsonl").read_text()
    first = json.loads(piped.lines[0])
    assert first == raw_get(kinto_fresh_server, f"{TODO}/records?_limit=1")["data"][0]
    part = run(["export", "shop/todo", "-f", "done=true", "--fields", "n", "--sort", "n",
                "--limit", "3"], server=kinto_fresh_server)
    assert [json.loads(line)["n"] for line in part.lines] == [0, 2, 4]


@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_interrupted_export_resumes_to_the_same_bytes(kinto_fresh_server: str, alice: Client,
                                                         tmp_path: Path, how: str, fmt: str):
    seed(alice, 600)
    args = ["export", "shop/todo", "--page-size", "20", "-o", f"todo.{fmt}"]
    whole = tmp_path / "whole"
    whole.mkdir()
    assert run(args, server=kinto_fresh_server, cwd=whole).status == 0
    expected = (whole / f"todo.{fmt}").read_bytes()
    output, state = tmp_path / f"todo.{fmt}", tmp_path / f"todo.{fmt}.resume"
    # Through a proxy adding latency, so that the export is still running when stopped.
    with FaultProxy(kinto_fresh_server, latency=0.05) as proxy:
        process = spawn(args, server=proxy.url, cwd=tmp_path)
        wait_until(lambda: written(state) >= 200)
        process.send_signal(getattr(signal, how))
        stopped = finish(process)
        note = json.loads(state.read_text())
        assert 200 <= note["written"] < 600
        if how == "SIGINT":
            assert stopped.status == 130
            assert stopped.err.splitlines()[-1] == (
                f"error: interrupted: {note['written']:,} of 600 records are in {output.name}; "
                "run the same command with --resume to go on")
            # The file was cut back to its last complete page.
            assert output.stat().st_size == note["offset"]
        else:
            assert stopped.status == -signal.SIGKILL
            assert output.stat().st_size >= note["offset"]
        assert expected.startswith(output.read_bytes()[: note["offset"]])
        resumed = run([*args, "--resume"], server=proxy.url, cwd=tmp_path)
    assert resumed.status == 0, resumed.err
    assert output.read_bytes() == expected
    assert not state.exists()


def test_an_export_that_fails_midway_resumes_from_the_library_token(kinto_fresh_server: str,
                                                                    alice: Client,
                                                                    tmp_path: Path):
    seed(alice, 300)
    args = ["export", "shop/todo", "--page-size", "50", "-o", "todo.jsonl"]
    expected = run(args[:-2], server=kinto_fresh_server).out
    with FaultProxy(kinto_fresh_server, latency=0.05) as proxy:
        process = spawn(args, server=proxy.url, cwd=tmp_path)
        wait_until(lambda: written(tmp_path / "todo.jsonl.resume") >= 100)
        # From now on every read answers 503: retries run out, the scan stops midway.
        proxy.inject(Fault.UNAVAILABLE, methods={"GET"})
        failed = finish(process)
        assert failed.status == 6
        line = failed.err.splitlines()[-1]
        assert line.startswith("error: the export stopped: GET /v1/buckets/shop/collections/"
                               "todo/records?_limit=50&_token=")
        assert "-> 503 Service Unavailable" in line
        assert line.endswith("records are in todo.jsonl: run the same command with --resume "
                             "to go on")
        token = json.loads((tmp_path / "todo.jsonl.resume").read_text())["token"]
        assert token.startswith("kq1.")  # the library's resume token
        proxy.clear()
        resumed = run([*args, "--resume"], server=proxy.url, cwd=tmp_path)
    assert resumed.status == 0
    assert (tmp_path / "todo.jsonl").read_text() == expected


def test_resuming_checks_what_it_resumes(kinto_fresh_server: str, alice: Client,
                                         tmp_path: Path):
    seed(alice, 30)
    args = ["export", "shop/todo", "-o", "todo.jsonl"]
    nothing = run([*args, "--resume"], server=kinto_fresh_server, cwd=tmp_path)
    assert nothing.status == 2
    assert "nothing to resume: there is no todo.jsonl.resume" in nothing.err
    # A note as an interrupted export leaves it (after its first page of 10).
    with FaultProxy(kinto_fresh_server, latency=0.05) as proxy:
        process = spawn([*args, "--page-size", "10"], server=proxy.url, cwd=tmp_path)
        wait_until(lambda: written(tmp_path / "todo.jsonl.resume") >= 10)
        process.send_signal(signal.SIGKILL)
        finish(process)
    other = run([*args, "--page-size", "10", "-f", "done=true", "--resume"],
                server=kinto_fresh_server, cwd=tmp_path)
    assert other.status == 2 and "is the resume note of another export" in other.err
    again = run([*args, "--page-size", "10"], server=kinto_fresh_server, cwd=tmp_path)
    assert again.status == 2
    assert "todo.jsonl holds an interrupted export: add --resume to go on" in again.err
    stdout = run(["export", "shop/todo", "--resume"], server=kinto_fresh_server)
    assert stdout.status == 2 and "--resume needs an output file" in stdout.err


# -- import ---------------------------------------------------------------------------------------


def test_csv_round_trip_is_exact(kinto_fresh_server: str, alice: Client, tmp_path: Path):
    seed(alice, 60)
    Bucket("shop", client=alice).create_collection("copy")
    exported = run(["export", "shop/todo", "-o", "todo.csv"], server=kinto_fresh_server,
                   cwd=tmp_path)
    assert exported.status == 0
    imported = run(["import", "shop/copy", "todo.csv"], server=kinto_fresh_server, cwd=tmp_path)
    assert (imported.status, imported.err) == (
        0, "imported 60 records into shop/copy (created)\n")
    copy = server_records(kinto_fresh_server, "/buckets/shop/collections/copy")
    assert copy == server_records(kinto_fresh_server)
    assert copy["r00004"]["title"] == "" and "note" not in copy["r00005"]
    assert copy["r00001"]["title"] == "007" and copy["r00000"]["title"] == "1.0"


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
        "imported 1 record into shop/todo (created); 1 failed, written to mine.failed.jsonl: "
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
        0, "imported 2 records into shop/todo (created or replaced)\n")
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
    assert (imported.status, imported.err) == (0, "imported 40 records into shop/copy "
                                                  "(created)\n")
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
    assert errors[3] == ("imported 2 records into shop/todo (created); 3 failed, written to "
                         "redo.jsonl: fix them and import that file")
    assert (tmp_path / "redo.jsonl").read_text() == (
        'not json\n["a list"]\n{"id": "bad id", "n": 4}\n')
    held = server_records(kinto_fresh_server)
    assert held["a1"] == {"id": "a1", "n": 1}
    assert [r["n"] for r in held.values() if r["id"] != "a1"] == [5]  # a new id was given


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
        0, ["imported 30 records into backup/todo (created)"])
    path = "/buckets/backup/collections/todo"
    assert server_records(kinto_fresh_server, path) == {r["id"]: r for r in sample(30)}
    again = run(["import", "backup/todo", "in.jsonl", "--create-collection", "--upsert"],
                server=kinto_fresh_server, cwd=tmp_path)  # both exist now: kept as they are
    assert again.status == 0 and len(server_records(kinto_fresh_server, path)) == 30


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
        "imported 1 record into shop/todo (created); 2 failed, written to in.failed.csv: fix "
        "them and import that file"]
    assert (tmp_path / "in.failed.csv").read_text() == (
        'id,title,priority\nd4,four\nc2,"two,2\nc3,three,3\n')
    assert list(server_records(kinto_fresh_server)) == ["c1"]


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
    assert message.startswith(f"interrupted: imported {imported} records into shop/todo "
                              f"(created); the {500 - imported} not imported (")
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
    assert done.stderr.splitlines() == ["imported 50 records into backup/todo (created or "
                                        "replaced)"]
    assert server_records(kinto_fresh_server, "/buckets/backup/collections/todo") == \
        server_records(kinto_fresh_server)


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


# -- pipes ----------------------------------------------------------------------------------------


def test_pipes_get_no_escape_codes(kinto_fresh_server: str, alice: Client, tmp_path: Path):
    seed(alice, 30)
    Bucket("shop", client=alice).create_collection("copy")
    commands = [
        ["records", "shop/todo", "--format", "table"], ["records", "shop/todo"],
        ["count", "shop/todo"], ["get", "shop/todo/r00001", "--format", "table"],
        ["export", "shop/todo", "-o", "t.jsonl"], ["import", "shop/copy", "t.jsonl"],
        ["import", "shop/copy", "t.jsonl"], ["delete", "shop/copy", "--yes"],
        ["records", "shop/nope"], ["records", "shop/todo", "-f", "x__gtee=1"], ["--help"],
    ]
    for args in commands:
        done = run(args, server=kinto_fresh_server, cwd=tmp_path,
                   env={"TERM": "xterm-256color"})
        assert "\x1b" not in done.out + done.err, args
        assert "\r" not in done.err, args  # no progress bar redrawn in place


def test_a_reader_that_stops_early_gets_no_complaint(kinto_fresh_server: str, alice: Client):
    seed(alice, 600)  # about 90 kB: more than a pipe buffer holds
    done = subprocess.run(["bash", "-o", "pipefail", "-c",
                           f"{KINTO_QUERY} records shop/todo | head -n 1"],
                          capture_output=True, text=True, env=cli_env(kinto_fresh_server),
                          timeout=120)
    assert done.returncode == 0
    assert (len(done.stdout.splitlines()), done.stderr) == (1, "")


# -- 20,000 records -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_servers() -> Iterator[tuple[str, str]]:
    """Two Kinto servers without the history plugin: the export's source and the import's
    target (a migration). Kinto's memory backend finds permissions by scanning all of them,
    so each write slows as a server fills; history would double the cost of each."""
    settings = {"includes": "kinto.plugins.flush"}
    with KintoServer(settings=settings) as source, KintoServer(settings=settings) as target:
        yield source.url, target.url


@pytest.mark.live
def test_twenty_thousand_records_round_trip_exactly_in_flat_memory(
        two_servers: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    source, target = two_servers
    n = 20_000
    seed(Client(source, auth=AUTH), n)  # the library's bulk writes
    Bucket("shop", client=Client(target, auth=AUTH), create=True).create_collection("todo")

    export = run_measured(["export", "shop/todo", "--page-size", "2000", "-o", "all.jsonl"],
                          server=source, cwd=tmp_path)
    assert (export.status, export.err) == (
        0, f"exported {n:,} records of shop/todo to all.jsonl\n")
    small_export = run_measured(["export", "shop/todo", "--page-size", "2000", "--limit",
                                 "2000", "-o", "small.jsonl"], server=source, cwd=tmp_path)
    assert small_export.status == 0
    exported = file_records(tmp_path / "all.jsonl")
    assert exported == server_records(source)
    assert len(exported) == n

    started = time.monotonic()
    imported = run_measured(["import", "shop/todo", "all.jsonl", "--concurrency", "2"],
                            server=target, cwd=tmp_path)
    import_seconds = time.monotonic() - started
    assert (imported.status, imported.err) == (
        0, f"imported {n:,} records into shop/todo (created)\n")
    Bucket("shop", client=Client(target, auth=AUTH)).create_collection("small")
    small_import = run_measured(["import", "shop/small", "small.jsonl"], server=target,
                                cwd=tmp_path)
    assert small_import.status == 0

    # Exact: every id, every value, read back raw from the target server.
    assert server_records(target) == exported
    # Flat: ten times the records, about the same peak memory.
    figures = {
        "export 20k": export.max_rss_kib, "export 2k": small_export.max_rss_kib,
        "import 20k": imported.max_rss_kib, "import 2k": small_import.max_rss_kib,
    }
    with capsys.disabled():
        print("\npeak RSS (MiB): " + ", ".join(f"{k} {v / 1024:.1f}" for k, v in
                                                figures.items())
              + f"; import of 20k took {import_seconds:.0f} s")
    # (Measured: 37.7 against 35.5 MiB, and 34.6 against 32.9 MiB; 32.6 MiB for --help.)
    assert export.max_rss_kib - small_export.max_rss_kib < 8 * 1024
    assert imported.max_rss_kib - small_import.max_rss_kib < 8 * 1024

