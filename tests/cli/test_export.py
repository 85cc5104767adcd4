"""Tests of cli/export.py: ``export``, streamed and resumable, against a live Kinto."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kinto_query import Bucket, Client, Collection
from kinto_query.testing import KintoServer

from ..conftest import AUTH, raw, raw_get
from ..faultproxy import Fault, FaultProxy
from .clitools import finish, run, run_measured, spawn

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
        0, f"created {n:,} records in shop/todo\n")
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
