"""Issue 19: every public async method of ``kinto_query.aio`` runs in a cassette replay.

The cassette tests of ``tests/aio`` are replayed offline in a pytest of their own, with the
``tests.aio.surface`` plugin noting each Python frame entered; what no test called is a
method a user may await that no replayed test drives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .surface import OUT_ENV, uncovered

ROOT = Path(__file__).resolve().parents[2]

# What a cassette cannot drive, each with why. Nothing else: a method missing from the
# replays needs a cassette test, not a line here.
NOT_BY_CASSETTE = {
    # A Protocol's stubs: their bodies (a docstring) never run, HttpxWire's do.
    "AsyncWire.exchange": "Protocol stub; HttpxWire.exchange is the one that runs",
    "AsyncWire.sleep": "Protocol stub; HttpxWire.sleep is the one that runs",
    "AsyncWire.aclose": "Protocol stub; HttpxWire.aclose is the one that runs",
}


# Issue 19, still open: the server features' and the frames' async methods, driven live
# (tests/aio/test_*.py on memory and PostgreSQL) but on no cassette yet. The list must
# shrink, never grow: the test below fails on a method missing from the replays that is not
# here, and on one listed here that a replay now drives (strike it off).
NOT_ON_A_CASSETTE_YET = {
    "AsyncAccounts.change_password", "AsyncAccounts.create", "AsyncAccounts.delete",
    "AsyncAccounts.get", "AsyncChanges.__aiter__", "AsyncClient.fetch_changed",
    "AsyncClient.whoami", "AsyncCollection.approve", "AsyncCollection.changeset",
    "AsyncCollection.decline", "AsyncCollection.request_review", "AsyncCollection.review_status",
    "AsyncCollection.rollback", "AsyncGrantQuery.count", "AsyncHistoryQuery.count",
    "AsyncHistoryQuery.delete", "AsyncHistoryQuery.partition", "AsyncHistoryQuery.previous",
    "AsyncMonitor.__aiter__", "AsyncMonitor.read", "AsyncRecord.attach", "AsyncRecord.detach",
    "AsyncRecord.download_attachment", "AsyncSignatureVerifier.verify", "AsyncWatch.__aiter__",
    "AsyncWatch.__anext__", "HttpxWire.sleep", "replicate", "verify_signature",
    # Arrow, pandas and Dask output (tests/aio/test_frames.py, live).
    "AsyncCollection.to_dask_bag", "AsyncCollection.to_dask_dataframe",
    "AsyncListing.iter_batches", "AsyncListing.to_arrow", "AsyncListing.to_pandas",
}


def test_the_surface_lists_what_it_should() -> None:
    # Without a single call, every method is uncovered: the list is the whole surface, its
    # inherited methods named once, by the class that defines them.
    everything = uncovered(set())
    assert {"AsyncTransport.send", "AsyncResource.create", "AsyncListing.__aiter__",
            "AsyncBatch.__aexit__", "AsyncStreamedResponse.__aenter__",
            "replicate"} <= set(everything)
    assert "AsyncBucket.create" not in everything  # AsyncResource.create, the same code
    assert not any(name.split(".")[-1].startswith("_") and not name.endswith(
        ("__aiter__", "__anext__", "__aenter__", "__aexit__")) for name in everything)
    assert set(NOT_BY_CASSETTE) <= set(everything)


@pytest.mark.skipif(bool(os.environ.get(OUT_ENV)), reason="inside the surface run itself")
def test_every_public_async_method_runs_in_a_cassette_replay(tmp_path: Path) -> None:
    out = tmp_path / "uncovered.json"
    env = {**os.environ, OUT_ENV: str(out)}
    env.pop("KINTO_QUERY_RECORD_MODE", None)  # replay only: offline
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/aio", "-m", "cassette", "-p", "tests.aio.surface",
         "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    left = [name for name in json.loads(out.read_text()) if name not in NOT_BY_CASSETTE]
    missing = [name for name in left if name not in NOT_ON_A_CASSETTE_YET]
    assert not missing, (
        f"{len(missing)} public async method(s) no cassette test of tests/aio calls: "
        + ", ".join(missing))
    now_covered = sorted(NOT_ON_A_CASSETTE_YET - set(left))
    assert not now_covered, f"on a cassette now, strike off NOT_ON_A_CASSETTE_YET: {now_covered}"
