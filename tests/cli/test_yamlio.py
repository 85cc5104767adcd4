"""Tests of cli/yamlio.py: YAML that kinto-wizard and kinto-query both read."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from kinto_query import Bucket, Client

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
