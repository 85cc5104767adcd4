"""Tests of cli/wizard_dump.py: ``dump``'s options beside kinto-wizard's own on the same
server (the same tree, value for value), and ours beyond them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinto_query import Client

from .clitools import run
from .conftest import build, flush, snapshot, wizard
from .test_wizard import read_yaml

# kinto-wizard's default leaves the permissions out, ours puts them in: each pair says the
# same in both tools' words (kinto-wizard's --full also dumps attachments, on Python 3.12).
PAIRS = [
    (["--data", "--permissions", "--buckets", "--collections", "--groups", "--records"],
     ["--data", "--permissions", "--buckets", "--collections", "--groups", "--records"]),
    (["--permissions", "--buckets", "--groups"], ["--buckets", "--groups"]),
    (["--data", "--buckets", "--collections", "--groups"],
     ["--data", "--no-permissions", "--buckets", "--collections", "--groups"]),
    (["--permissions", "--collections", "--records"], ["--collections", "--records"]),
    (["--data", "--permissions", "--buckets", "--collections", "--records", "-b", "shop",
      "-c", "todo"],
     ["shop", "-c", "todo", "--data", "--buckets", "--collections", "--records"]),
    (["--permissions", "--collections", "--records", "-c", "todo"],
     ["-c", "todo", "--collections", "--records"]),
]


@pytest.mark.parametrize(("theirs", "ours"), PAIRS, ids=[" ".join(o) for _, o in PAIRS])
def test_dump_gives_kinto_wizards_tree(kinto_fresh_server: str, alice: Client, tmp_path: Path,
                                       theirs: list[str], ours: list[str]):
    build(alice)
    done = run(["dump", *ours], server=kinto_fresh_server, cwd=tmp_path)
    assert done.status == 0, done.err
    expected = read_yaml(wizard(["dump", *theirs], kinto_fresh_server, tmp_path))
    if "--buckets" not in theirs and "-b" not in theirs:
        # kinto-wizard 6.0.1 dumps the buckets' permissions when not asked to (its list of
        # buckets hides its --buckets flag): ours leaves them out, as asked.
        for entry in expected["buckets"].values():
            del entry["permissions"]
    assert read_yaml(done.out) == expected


def test_our_defaults_and_full(kinto_fresh_server: str, alice: Client, tmp_path: Path):
    """Ours: buckets, groups, collections with permissions by default; --records adds the
    records; --full is every kind with data (no attachment without --attachments)."""
    build(alice)
    plain = read_yaml(run(["dump"], server=kinto_fresh_server).out)
    assert plain == read_yaml(wizard(["dump", "--permissions", "--buckets", "--groups",
                                      "--collections"], kinto_fresh_server, tmp_path))
    records = read_yaml(run(["dump", "--records"], server=kinto_fresh_server).out)
    assert records == read_yaml(wizard(["dump", "--permissions", "--buckets", "--groups",
                                        "--collections", "--records"], kinto_fresh_server,
                                       tmp_path))
    full = read_yaml(run(["dump", "--full"], server=kinto_fresh_server, cwd=tmp_path).out)
    assert full == read_yaml(run(["dump", "--data", "--buckets", "--groups", "--collections",
                                  "--records"], server=kinto_fresh_server).out)
    assert list(tmp_path.iterdir()) == []  # no __attachments__ folder, unlike kinto-wizard


def test_a_collection_asked_for_by_name_must_exist(kinto_fresh_server: str, alice: Client):
    build(alice)
    missing = run(["dump", "shop", "-c", "nope"], server=kinto_fresh_server)
    assert missing.status == 3
    everywhere = run(["dump", "-c", "nope"], server=kinto_fresh_server)
    assert (everywhere.status, read_yaml(everywhere.out)) == (0, {"buckets": {}})


def test_record_permissions_round_trip(kinto_fresh_server: str, alice: Client,
                                       tmp_path: Path):
    """Ours beyond kinto-wizard (whose records come with ``permissions: {}``): every
    permission of every record survives dump and load, and a second load writes nothing."""
    build(alice)
    todo = alice.bucket("shop").collection("todo")
    todo.create_record({"id": "p", "title": "shared"},
                       permissions={"read": ["account:bob"], "write": ["account:carol"]})
    before = snapshot(kinto_fresh_server)
    assert before["/buckets/shop/collections/todo/records/p"]["permissions"]["read"] == [
        "account:bob"]
    done = run(["dump", "--full", "--record-permissions", "-o", "all.yaml"],
               server=kinto_fresh_server, cwd=tmp_path)
    assert done.status == 0, done.err
    flush(kinto_fresh_server)
    loaded = run(["load", "all.yaml"], server=kinto_fresh_server, cwd=tmp_path)
    assert loaded.status == 0, loaded.err
    assert snapshot(kinto_fresh_server) == before
    again = run(["load", "all.yaml"], server=kinto_fresh_server, cwd=tmp_path)
    assert "record" not in again.err, again.err  # nothing written
