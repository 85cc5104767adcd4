"""Tests of cli/wizard.py: ``dump`` and ``load`` read and write kinto-wizard's YAML."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from kinto_query import Bucket, Client
from kinto_query.cli.yamlio import load_yaml

from ..conftest import raw_get
from .clitools import AUTH, cli_env, run

WIZARD = str(Path(sys.executable).with_name("kinto-wizard"))


# kinto-wizard's --full also dumps attachments, which needs Python 3.12 (itertools.batched):
# everything else is asked for by name.

WIZARD_DUMP = ["dump", "--data", "--permissions", "--buckets", "--collections", "--groups",
               "--records"]


def build(client: Client) -> None:
    """Buckets, a group, collections with data and permissions, records; dates as strings."""
    shop = Bucket("shop", client=client, create=True,
                  data={"title": "Shop", "opened": "2018-06-22"},
                  permissions={"read": ["system.Authenticated"]})
    shop.create_group("staff", members=["account:bob", "basicauth:abc"],
                      data={"label": "Staff"}, permissions={"read": ["system.Everyone"]})
    todo = shop.create_collection("todo", data={"when": "2018-06-22 16:34:43", "n": 1.5},
                                  permissions={"record:create": ["group:staff"]})
    todo.create_records([
        {"id": "a", "title": "1.0", "due": "2024-01-02", "tags": ["x", "y"], "done": False},
        {"id": "b", "nested": {"k": [1, {"deep": None}]}, "yes": "yes", "text": "café ✓"},
    ])
    shop.create_collection("empty")
    Bucket("other", client=client, create=True)


def snapshot(url: str) -> dict[str, Any]:
    """Every bucket, group, collection and record as the server holds them (read raw),
    without the timestamps the server sets."""

    def own(body: dict[str, Any]) -> dict[str, Any]:
        data = {k: v for k, v in body["data"].items() if k != "last_modified"}
        permissions = {k: sorted(v) for k, v in body.get("permissions", {}).items()}
        return {"data": data, "permissions": permissions}

    state: dict[str, Any] = {}
    for bucket in raw_get(url, "/buckets")["data"]:
        path = f"/buckets/{bucket['id']}"
        state[path] = own(raw_get(url, path))
        for kind in ("groups", "collections"):
            for child in raw_get(url, f"{path}/{kind}")["data"]:
                child_path = f"{path}/{kind}/{child['id']}"
                state[child_path] = own(raw_get(url, child_path))
                if kind == "collections":
                    for record in raw_get(url, f"{child_path}/records")["data"]:
                        record_path = f"{child_path}/records/{record['id']}"
                        state[record_path] = own(raw_get(url, record_path))
    return state


def flush(url: str) -> None:
    requests.post(url + "/__flush__", timeout=10).raise_for_status()
    assert raw_get(url, "/buckets")["data"] == []


def wizard(args: list[str], url: str, cwd: Path) -> str:
    if not Path(WIZARD).exists() and shutil.which("kinto-wizard") is None:
        pytest.skip("kinto-wizard is not installed (pip install '.[cli-tests]')")
    done = subprocess.run([WIZARD, *args, "--server", url, "--auth", AUTH], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=cli_env(None))
    assert done.returncode == 0, done.stderr
    return done.stdout


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
    assert "--bucket" not in run(["dump", "--help"], server=None).out
    flush(kinto_fresh_server)
    loaded = run(["load", "shop.yaml"], server=kinto_fresh_server, cwd=tmp_path)
    assert loaded.err == ("loaded shop.yaml: 1 bucket created, 1 group created, "
                          "2 collections created\n")
