"""Tests of cli/yamlio.py: YAML that kinto-wizard and kinto-query both read."""

from __future__ import annotations

from pathlib import Path

from kinto_query import Client

from .clitools import run
from .conftest import WIZARD_DUMP, build, flush, snapshot, wizard


def test_we_load_what_kinto_wizard_dumps(kinto_fresh_server: str, alice: Client,
                                         tmp_path: Path):
    build(alice)
    before = snapshot(kinto_fresh_server)
    (tmp_path / "theirs.yaml").write_text(wizard(WIZARD_DUMP, kinto_fresh_server, tmp_path))
    flush(kinto_fresh_server)
    loaded = run(["load", "theirs.yaml"], server=kinto_fresh_server, cwd=tmp_path)
    assert loaded.status == 0, loaded.err
    assert loaded.err == ("loaded theirs.yaml: 2 buckets created, 1 group created, "
                          "2 collections created, 2 records written\n")
    assert snapshot(kinto_fresh_server) == before
    # Loading again changes nothing.
    again = run(["load", "theirs.yaml"], server=kinto_fresh_server, cwd=tmp_path)
    assert again.err == ("loaded theirs.yaml: 2 buckets unchanged, 1 group unchanged, "
                         "2 collections unchanged\n")
    assert snapshot(kinto_fresh_server) == before
