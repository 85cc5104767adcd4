"""Tests of cli/wizard_load.py: ``load``'s options beside kinto-wizard's own, on the same YAML
(same server state after, read raw), and ours beyond them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kinto_query import Bucket, Client
from kinto_query.testing import KintoServer

from .clitools import Terminal, cli_env, run
from .conftest import build, flush, snapshot, wizard


def start(client: Client) -> None:
    """``build``'s server, plus a collection the file does not mention."""
    build(client)
    notes = Bucket("shop", client=client).create_collection("notes")
    notes.create_records([{"id": "n1", "text": "kept"}])


FILE = {"buckets": {
    "shop": {
        "data": {"title": "New title"},
        "permissions": {"read": ["system.Everyone"]},
        "groups": {"staff": {"data": {"members": ["account:carol"]}}},
        "collections": {
            "todo": {"permissions": {"read": ["account:dan"]}, "records": {
                "a": {"data": {"id": "a", "title": "changed"}, "permissions": {}},
                "c": {"data": {"id": "c", "title": "new"}, "permissions": {}},
            }},
            "empty": {"data": {"label": "still no records"}},
            "fresh": {"records": {"f1": {"data": {"id": "f1", "n": 1}, "permissions": {}}}},
        },
    },
    "made": {"data": {"title": "Made"}, "collections": {"x": {}}},
}}


def loaded(url: str, tmp_path: Path, client: Client, args: list[str], *,
           theirs: bool) -> dict[str, Any]:
    """The server state after loading FILE with ``args``, by kinto-wizard or by us."""
    flush(url)
    start(client)
    (tmp_path / "file.yaml").write_text(yaml.safe_dump(FILE))
    if theirs:
        wizard(["load", "file.yaml", *args], url, tmp_path)
    else:
        done = run(["load", "file.yaml", *args], server=url, cwd=tmp_path)
        assert done.status == 0, done.err
    return snapshot(url)


# kinto-wizard 6.0.1 fails where ours loads: kinds without --buckets (UnboundLocalError), -c
# with the bucket's groups (it creates groups that exist: 412).
@pytest.mark.parametrize("args", [
    ["--delete-records", "--force"],
    ["--buckets", "--collections", "--records"],
    ["--buckets", "--collections"],
    ["--data"],
    ["-b", "shop", "-c", "todo", "--buckets", "--collections", "--records"],
    ["-b", "shop", "-c", "todo", "--records", "--delete-records", "--force"],
    ["-c", "x"],
], ids=" ".join)
def test_load_leaves_the_server_as_kinto_wizard_does(kinto_fresh_server: str, alice: Client,
                                                     tmp_path: Path, args: list[str]):
    theirs = loaded(kinto_fresh_server, tmp_path, alice, args, theirs=True)
    ours = loaded(kinto_fresh_server, tmp_path, alice, args, theirs=False)
    assert ours == theirs


def test_delete_records_deletes_only_in_the_collections_listing_records(
        kinto_fresh_server: str, alice: Client, tmp_path: Path):
    after = loaded(kinto_fresh_server, tmp_path, alice, ["--delete-records", "--yes"],
                   theirs=False)
    todo = "/buckets/shop/collections/todo/records"
    assert sorted(k for k in after if k.startswith(todo)) == [f"{todo}/a", f"{todo}/c"]
    assert "/buckets/shop/collections/notes/records/n1" in after  # not in the file
    assert after["/buckets/shop/collections/empty"]["data"] == {"id": "empty",
                                                               "label": "still no records"}


def test_delete_records_asks_first_and_without_a_terminal_refuses(
        kinto_fresh_server: str, alice: Client, tmp_path: Path):
    start(alice)
    before = snapshot(kinto_fresh_server)
    (tmp_path / "file.yaml").write_text(yaml.safe_dump(FILE))
    refused = run(["load", "file.yaml", "--delete-records"], server=kinto_fresh_server,
                  cwd=tmp_path)
    assert refused.status == 2
    assert refused.err == ("error: not deleting 1 record not in file.yaml (shop/todo: 1) "
                           "without confirmation: there is no terminal to ask on, pass --yes\n")
    assert snapshot(kinto_fresh_server) == before  # nothing written either
    done = run(["load", "file.yaml", "--delete-records", "-y"], server=kinto_fresh_server,
               cwd=tmp_path)
    assert done.status == 0, done.err
    assert done.err.endswith(", 1 record deleted\n")
    kinds = run(["load", "file.yaml", "--delete-records", "--collections"],
                server=kinto_fresh_server, cwd=tmp_path)
    assert kinds.status == 2
    assert "--delete-records deletes records: add --records to the kinds" in kinds.err


def test_data_only_and_permissions_only(kinto_fresh_server: str, alice: Client,
                                        tmp_path: Path):
    """Ours beyond kinto-wizard: ``--permissions`` leaves every record's data as it was
    (kinto-wizard's writes them with no data)."""
    start(alice)
    before = snapshot(kinto_fresh_server)
    (tmp_path / "file.yaml").write_text(yaml.safe_dump(FILE))
    done = run(["load", "file.yaml", "--permissions"], server=kinto_fresh_server, cwd=tmp_path)
    assert done.status == 0, done.err
    after = snapshot(kinto_fresh_server)
    for path, state in before.items():
        assert after[path]["data"] == state["data"]
    assert after["/buckets/shop"]["permissions"]["read"] == ["system.Everyone"]
    assert after["/buckets/shop/collections/todo/records/c"]["data"] == {"id": "c"}


def test_kinds_alone_and_one_collection_where_kinto_wizard_fails(
        kinto_fresh_server: str, alice: Client, tmp_path: Path):
    start(alice)
    before = snapshot(kinto_fresh_server)
    after = loaded(kinto_fresh_server, tmp_path, alice, ["--groups"], theirs=False)
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed == {"/buckets/shop/groups/staff"}
    assert after["/buckets/shop/groups/staff"]["data"]["members"] == ["account:carol"]
    after = loaded(kinto_fresh_server, tmp_path, alice, ["-b", "shop", "-c", "todo"],
                   theirs=False)
    changed = {k for k in after if after[k] != before.get(k)}
    todo = "/buckets/shop/collections/todo"
    assert changed == {"/buckets/shop", "/buckets/shop/groups/staff", todo,
                       f"{todo}/records/a", f"{todo}/records/c"}


def test_delete_records_asks_on_a_terminal(kinto_fresh_server: str, alice: Client,
                                           tmp_path: Path, terminal: Terminal):
    start(alice)
    before = snapshot(kinto_fresh_server)
    (tmp_path / "file.yaml").write_text(yaml.safe_dump(FILE))
    terminal.start(["load", "file.yaml", "--delete-records"], cli_env(kinto_fresh_server))
    terminal.wait_for("Delete 1 record not in file.yaml (shop/todo: 1)? [y/N]: ")
    terminal.type("n")
    assert "error: nothing loaded, nothing deleted\nEXIT=1" in terminal.wait_for("EXIT=")
    assert snapshot(kinto_fresh_server) == before


def test_ignore_batch_4xx_as_kinto_wizard(tmp_path: Path):
    """A record the server refuses (its schema, on a Kinto that validates): an error by
    default, a warning with --ignore-batch-4xx; the server left as kinto-wizard leaves it."""
    tree = {"buckets": {"shop": {"collections": {"todo": {
        "data": {"schema": {"type": "object", "required": ["title"]}},
        "records": {"ok": {"data": {"id": "ok", "title": "t"}, "permissions": {}},
                    "bad": {"data": {"id": "bad"}, "permissions": {}}}}}}}}
    (tmp_path / "file.yaml").write_text(yaml.safe_dump(tree))
    with KintoServer(settings={"experimental_collection_schema_validation": "true"}) as kinto:
        refused = run(["load", "file.yaml"], server=kinto.url, cwd=tmp_path)
        assert refused.status == 1
        assert refused.err.startswith("error: records of shop/todo: 1 of 2 succeeded; "
                                      "1 failed ['bad']")
        kinto.flush()
        done = run(["load", "file.yaml", "--ignore-batch-4xx"], server=kinto.url,
                   cwd=tmp_path)
        assert done.status == 0, done.err
        assert "warning: records of shop/todo: bad refused (400): " in done.err
        assert done.err.endswith("1 record written, 1 record refused\n")
        ours = snapshot(kinto.url)
        kinto.flush()
        wizard(["load", "file.yaml", "--ignore-batch-4xx"], kinto.url, tmp_path)
        theirs = snapshot(kinto.url)
    record = "/buckets/shop/collections/todo/records/ok"
    for state in (ours, theirs):  # the schema's version Kinto stamps: a timestamp
        assert isinstance(state[record]["data"].pop("schema"), int)
    assert ours == theirs and "/buckets/shop/collections/todo/records/bad" not in ours
