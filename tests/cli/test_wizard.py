"""Tests of cli/wizard.py: ``dump`` and ``load`` read and write kinto-wizard's YAML."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import yaml

from kinto_query import Client
from kinto_query.cli.yamlio import load_yaml

from ..faultproxy import FaultProxy
from .clitools import one_error_line, run
from .conftest import WIZARD_DUMP, build, flush, snapshot, wizard


def read_yaml(text: str) -> Any:
    return load_yaml(text)  # YAML 1.2, as kinto-wizard (ruamel.yaml) reads it


def test_our_dump_is_kinto_wizards_and_it_loads_it(kinto_fresh_server: str, alice: Client,
                                                  tmp_path: Path):
    build(alice)
    before = snapshot(kinto_fresh_server)
    ours = run(["dump", "--full", "-o", "ours.yaml"], server=kinto_fresh_server, cwd=tmp_path)
    assert (ours.status, ours.err) == (0, "dumped 2 buckets to ours.yaml\n")
    theirs = wizard(WIZARD_DUMP, kinto_fresh_server, tmp_path)
    # The same tree as kinto-wizard's own dump of the same server, value for value.
    assert read_yaml((tmp_path / "ours.yaml").read_text()) == read_yaml(theirs)
    flush(kinto_fresh_server)
    wizard(["load", "ours.yaml"], kinto_fresh_server, tmp_path)
    assert snapshot(kinto_fresh_server) == before


def test_load_updates_what_differs_and_keeps_the_rest(kinto_fresh_server: str, alice: Client,
                                                     tmp_path: Path):
    build(alice)
    (tmp_path / "part.yaml").write_text(yaml.safe_dump({"buckets": {"shop": {
        "data": {"title": "New title"},
        "collections": {"todo": {"records": {"a": {"data": {"title": "changed"}}}}},
    }}}))
    before = snapshot(kinto_fresh_server)
    done = run(["load", "part.yaml", "--bucket", "shop"], server=kinto_fresh_server,
               cwd=tmp_path)
    assert done.status == 0, done.err
    after = snapshot(kinto_fresh_server)
    assert after["/buckets/shop"]["data"] == {"id": "shop", "title": "New title",
                                              "opened": "2018-06-22"}
    assert after["/buckets/shop/collections/todo/records/a"]["data"] == {"id": "a",
                                                                         "title": "changed"}
    changed = {"/buckets/shop", "/buckets/shop/collections/todo/records/a"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed}
    bad = run(["load", "part.yaml", "--bucket", "shop"], server=kinto_fresh_server, cwd=tmp_path,
              auth=None)
    assert bad.status == 4
    (tmp_path / "not.yaml").write_text("just: [a, list")
    broken = run(["load", "not.yaml"], server=kinto_fresh_server, cwd=tmp_path)
    assert broken.status == 2 and broken.err.startswith("error: not.yaml: not YAML")


def test_dump_takes_the_bucket_as_an_argument_and_load_counts_in_the_singular(
        kinto_fresh_server: str, alice: Client, tmp_path: Path):
    build(alice)
    done = run(["dump", "shop", "-o", "shop.yaml"], server=kinto_fresh_server, cwd=tmp_path)
    assert (done.status, done.err) == (0, "dumped 1 bucket to shop.yaml\n")
    dumped = read_yaml((tmp_path / "shop.yaml").read_text())
    assert list(dumped["buckets"]) == ["shop"]
    # The old spelling still works (hidden from the help); two different buckets are refused.
    old = run(["dump", "--bucket", "shop"], server=kinto_fresh_server, cwd=tmp_path)
    assert old.status == 0 and read_yaml(old.out) == dumped
    both = run(["dump", "shop", "--bucket", "other"], server=kinto_fresh_server, cwd=tmp_path)
    assert both.status == 2 and "two buckets given: 'shop' and --bucket 'other'" in both.err
    assert not re.search(r"--bucket(?!s)", run(["dump", "--help"], server=None).out)
    flush(kinto_fresh_server)
    loaded = run(["load", "shop.yaml"], server=kinto_fresh_server, cwd=tmp_path)
    assert loaded.err == ("loaded shop.yaml: 1 bucket created, 1 group created, "
                          "2 collections created\n")


def test_load_refuses_a_yaml_alias_bomb_at_once(kinto_fresh_server: str, tmp_path: Path) -> None:
    """A 1 KB "billion laughs" file (aliases of aliases, 9 levels of 9): refused in a moment,
    one line, exit 2, nothing sent (a live server behind the fault proxy, its log empty)."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [{', '.join(['*' + previous] * 9)}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    assert bomb.stat().st_size < 1024
    with FaultProxy(kinto_fresh_server) as proxy:
        started = time.monotonic()
        result = run(["load", str(bomb)], server=proxy.url, timeout=30)
        assert time.monotonic() - started < 10
        assert proxy.log == []
    assert result.status == 2
    assert "aliases would repeat more than 10,000 nodes" in one_error_line(result.err)

