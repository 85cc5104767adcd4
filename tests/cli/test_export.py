"""Tests of cli/export.py: ``export``, streamed and resumable, against a live Kinto."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kinto_query import Bucket, Client
from kinto_query.testing import KintoServer

from ..conftest import AUTH, raw_get
from ..faultproxy import Fault, FaultProxy
from .clitools import finish, run, run_measured, spawn
from .conftest import TODO, file_records, sample, seed, server_records, wait_until

ROOT = Path(__file__).parents[2]


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

VOLUME = 20_000


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Two Kinto servers without the history plugin: the export's source, holding
    ``sample(VOLUME)`` in shop/todo, and the import's target (a migration). The source is
    filled at start-up, in process (tests/cli/kinto_seed.py): a minute of HTTP writes saved,
    and the CLI's export and import still do all their work over HTTP."""
    seed_file = tmp_path_factory.mktemp("seed") / "todo.jsonl"
    with open(seed_file, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(record) + "\n" for record in sample(VOLUME))
    source = KintoServer(settings={"includes": "kinto.plugins.flush tests.cli.kinto_seed",
                                   "test_seed": f"shop/todo:{seed_file}"})
    target = KintoServer(settings={"includes": "kinto.plugins.flush"})
    with contextlib.ExitStack() as stack, pytest.MonkeyPatch.context() as patch:
        # The source's Kinto imports tests.cli.kinto_seed from this checkout.
        patch.setenv("PYTHONPATH", os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        stack.enter_context(source)
        patch.undo()
        stack.enter_context(target)
        yield source.url, target.url


@pytest.mark.live
def test_twenty_thousand_records_round_trip_exactly_in_flat_memory(
        two_servers: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    source, target = two_servers
    n = VOLUME
    Bucket("shop", client=Client(target, auth=AUTH), create=True).create_collection("todo")

    export = run_measured(["export", "shop/todo", "--page-size", "2000", "-o", "all.jsonl"],
                          server=source, cwd=tmp_path)
    assert (export.status, export.err) == (
        0, f"exported {n:,} records of shop/todo to all.jsonl\n")
    small_export = run_measured(["export", "shop/todo", "--page-size", "2000", "--limit",
                                 "2000", "-o", "small.jsonl"], server=source, cwd=tmp_path)
    assert small_export.status == 0
    exported = file_records(tmp_path / "all.jsonl")
    assert exported == server_records(source) == {r["id"]: r for r in sample(n)}

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
