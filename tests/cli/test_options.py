"""Tests of cli/options.py: the options the commands share, wherever they are given."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import requests
import yaml

from kinto_query import Client, Collection
from kinto_query.testing import RemoteSettingsServer
from kinto_query.testing.remote_settings import EDITOR

from ..conftest import raw_dump, raw_get
from .clitools import AUTH, PASSWORD, cli_env, jsonl, run
from .conftest import TODO, WIZARD, build, server_ids, wizard


def test_exclude_fields_and_nested_lookups(kinto_fresh_server: str, shop: Collection):
    done = run(["records", "shop/todo", "-f", "author__name=ann", "-x", "priority__in=0,2",
                "--fields", "title", "--sort", "id"], server=kinto_fresh_server)
    assert done.status == 0
    records = jsonl(done.out)
    assert [r["id"] for r in records] == server_ids(
        kinto_fresh_server, "author.name=ann&exclude_priority=0,2&_sort=id")
    assert all(set(r) == {"id", "last_modified", "title"} for r in records)


# -- server, credentials, errors ------------------------------------------------------------------

def test_server_and_auth_from_options_before_or_after_the_command(kinto_fresh_server: str,
                                                                 shop: Collection):
    before = run(["--server", kinto_fresh_server, "--auth", f"alice:{PASSWORD}", "count",
                  "shop/todo"], server=None, auth=None)
    after = run(["count", "shop/todo", "-s", kinto_fresh_server, "-a", f"alice:{PASSWORD}"],
                server=None, auth=None)
    assert (before.status, before.out) == (after.status, after.out) == (0, "14\n")
    # An option wins over the environment.
    bob = run(["count", "shop/todo", "--auth", "bob:hunter22"], server=kinto_fresh_server)
    assert bob.status == 4


# -- --dry-run: every writing command, then the real run ----------------------------------------

def planned(err: str) -> list[str]:
    """The writes a dry run printed (``would METHOD PATH ... -> STATUS outcome``)."""
    return [line.removeprefix("would ") for line in err.splitlines()
            if line.startswith("would ") and " -> " in line]


def test_a_dry_import_writes_nothing_and_says_what_the_import_then_does(
        kinto_fresh_server: str, shop: Collection, tmp_path: Path):
    (tmp_path / "in.jsonl").write_text('{"id": "t001", "title": "x"}\n{"id": "new"}\n')
    before = raw_dump(kinto_fresh_server)
    dry = run(["import", "shop/todo", "in.jsonl", "--dry-run"], server=kinto_fresh_server,
              cwd=tmp_path)
    assert raw_dump(kinto_fresh_server) == before
    assert dry.status == 0, dry.err
    assert not (tmp_path / "in.failed.jsonl").exists()
    assert planned(dry.err) == [
        f"PUT {TODO}/records/t001 (If-None-Match: *) -> 412 conflict",
        f"PUT {TODO}/records/new (If-None-Match: *) -> 201 created"]
    assert dry.err.splitlines()[-1] == ("dry run: nothing was written; 2 writes not sent "
                                        "(1 conflict, 1 created)")
    real = run(["import", "shop/todo", "in.jsonl"], server=kinto_fresh_server, cwd=tmp_path)
    assert real.status == 1
    # The same lines, item by item: the conflict, then the total (the dry one says "would",
    # and writes no failed file).
    assert dry.err.splitlines()[:2] == [
        real.err.splitlines()[0],
        "dry run: would have created 1 record in shop/todo; 1 would fail (no failed file in "
        "a dry run)"]
    assert real.err.splitlines()[1].startswith("created 1 record in shop/todo; 1 failed")
    assert raw_get(kinto_fresh_server, f"{TODO}/records/new")["data"]["id"] == "new"


def test_a_dry_delete_prints_the_ids_and_the_delete_and_deletes_nothing(
        kinto_fresh_server: str, shop: Collection):
    before = raw_dump(kinto_fresh_server)
    dry = run(["delete", "shop/todo", "-f", "status=done", "--dry-run"],
              server=kinto_fresh_server)
    assert raw_dump(kinto_fresh_server) == before
    done = server_ids(kinto_fresh_server, "status=done&_sort=id")
    assert (dry.status, dry.lines) == (0, done)
    assert dry.err.splitlines() == [
        f"would delete {len(done)} records from shop/todo",
        f"would DELETE {TODO}/records?status=done -> 200 deleted",
        "dry run: nothing was written; 1 write not sent (1 deleted)"]
    real = run(["delete", "shop/todo", "-f", "status=done", "--yes"], server=kinto_fresh_server)
    assert real.err == f"deleted {len(done)} records from shop/todo\n"


def test_a_dry_load_writes_what_kinto_wizards_dry_load_writes_and_nothing(
        kinto_fresh_server: str, alice: Client, tmp_path: Path):
    build(alice)
    none: dict[str, Any] = {"permissions": {}}  # kinto-wizard wants them on each object
    (tmp_path / "w.yaml").write_text(yaml.safe_dump({"buckets": {
        "shop": {"data": {"title": "New"}, "permissions": {"read": ["system.Authenticated"]},
                 "groups": {"new": {"data": {"members": ["account:ann"]}, **none}},
                 "collections": {"todo": {**none, "records": {
                     "a": {"data": {"id": "a", "title": "changed"}, **none},
                     "z": {"data": {"id": "z"}, **none}}}}},
        "fresh": {**none, "collections": {"list": {**none, "records": {
            "x": {"data": {"id": "x"}, **none}}}}},
    }}))
    before = raw_dump(kinto_fresh_server)
    ours = run(["load", "w.yaml", "--dry-run"], server=kinto_fresh_server, cwd=tmp_path)
    assert raw_dump(kinto_fresh_server) == before
    wizard(["--help"], kinto_fresh_server, tmp_path)  # skips where kinto-wizard is missing
    theirs = subprocess.run([WIZARD, "load", "w.yaml", "--dry-run", "-v", "--server",
                             kinto_fresh_server, "--auth", AUTH], cwd=tmp_path, text=True,
                            capture_output=True, timeout=120, env=cli_env(None)).stderr
    assert raw_dump(kinto_fresh_server) == before
    assert ours.status == 0, ours.err
    # kinto-wizard logs each write of its batches: "Batch #0: PUT /buckets/shop - 200".
    wizard_writes = sorted(line.split(": ", 1)[1].rsplit(" - ", 1)[0]
                           for line in theirs.splitlines() if line.startswith("Batch #"))
    ours_writes = sorted(line.split(" (")[0].split(" -> ")[0] for line in planned(ours.err))
    # The same writes, but one: kinto-wizard also rewrites the collection the file gives
    # "permissions: {}" (our load reads {} as nothing to change there).
    assert set(wizard_writes) - set(ours_writes) == {f"PUT {TODO}"}
    assert set(ours_writes) <= set(wizard_writes)
    real = run(["load", "w.yaml"], server=kinto_fresh_server, cwd=tmp_path)
    assert ours.err.splitlines()[0] == real.err.replace("loaded", "dry run: would have loaded",
                                                        1).strip()


def test_a_dry_import_into_a_new_collection_plans_it_and_fails_where_the_real_one_does(
        kinto_fresh_server: str, tmp_path: Path):
    (tmp_path / "in.jsonl").write_text('{"id": "a"}\n{"id": "b"}\n')
    args = ["import", "new/todo", "in.jsonl"]
    dry_refused = run([*args, "--dry-run"], server=kinto_fresh_server, cwd=tmp_path)
    dry = run([*args, "--dry-run", "--create-collection"], server=kinto_fresh_server,
              cwd=tmp_path)
    assert raw_dump(kinto_fresh_server) == {"/buckets": b'{"data":[]}'}
    assert planned(dry.err) == [
        "PUT /buckets/new (If-None-Match: *) -> 201 created; predicted a create: the server "
        "answers 403 both for a missing bucket and for one you may not write",
        "PUT /buckets/new/collections/todo (If-None-Match: *) -> 201 created",
        "PUT /buckets/new/collections/todo/records/a (If-None-Match: *) -> 201 created",
        "PUT /buckets/new/collections/todo/records/b (If-None-Match: *) -> 201 created"]
    refused = run(args, server=kinto_fresh_server, cwd=tmp_path)
    # No bucket: each record refused with 404, though the server answers 403 to reading it.
    assert (dry_refused.status, refused.status) == (3, 3)
    assert dry_refused.err.splitlines()[0].split(";")[0] == refused.err.split(";")[0]
    real = run([*args, "--create-collection"], server=kinto_fresh_server, cwd=tmp_path)
    assert (dry.status, real.status) == (0, 0)
    assert dry.err.splitlines()[0] == "dry run: would have " + real.err.strip()
    assert sorted(raw_dump(kinto_fresh_server)) == sorted([
        "/buckets", "/buckets/new", "/buckets/new/groups", "/buckets/new/collections",
        "/buckets/new/collections/todo", "/buckets/new/collections/todo/records",
        "/buckets/new/collections/todo/records/a", "/buckets/new/collections/todo/records/b"])


def test_a_dry_review_request_changes_nothing_and_says_what_the_real_one_does(
        kinto_fresh_rs_server: RemoteSettingsServer):
    rs = kinto_fresh_rs_server
    rs.publish("regions", [{"id": "fr", "name": "France"}])
    workspace = "/buckets/main-workspace/collections/regions"
    requests.put(f"{rs.url}{workspace}/records/be", json={"data": {"name": "Belgium"}},
                 auth=EDITOR, timeout=10).raise_for_status()

    def state() -> list[bytes]:
        return [requests.get(f"{rs.url}{path}", auth=EDITOR, timeout=10).content
                for path in (workspace, f"{workspace}/records",
                             "/buckets/main/collections/regions/records")]

    before = state()
    editor = ":".join(EDITOR)
    dry = run(["review", "request", "main-workspace/regions", "-m", "hi", "--dry-run"],
              server=rs.url, auth=editor)
    assert state() == before
    assert dry.status == 0, dry.err
    version = json.loads(before[0])["data"]["last_modified"]
    assert planned(dry.err) == [f'PATCH {workspace} (If-Match: "{version}") -> 200 patched']
    assert dry.err.splitlines()[0] == ("main-workspace/regions: dry run: would have asked "
                                       "for a review (status to-review)")
    real = run(["review", "request", "main-workspace/regions", "-m", "hi"], server=rs.url,
               auth=editor)
    assert real.err == "main-workspace/regions: review requested (status to-review)\n"
    assert json.loads(dry.out)["editor_comment"] == json.loads(real.out)["editor_comment"]


def test_a_dry_sync_writes_nothing_and_plans_what_the_real_one_does(
        kinto_fresh_server: str, shop: Collection, tmp_path: Path):
    (tmp_path / "want.jsonl").write_text('{"id": "t001", "title": "renamed"}\n{"id": "new"}\n')
    before = raw_dump(kinto_fresh_server)
    dry = run(["sync", "shop/todo", "want.jsonl", "--delete", "--dry-run"],
              server=kinto_fresh_server, cwd=tmp_path)
    assert raw_dump(kinto_fresh_server) == before
    assert dry.status == 0, dry.err
    writes = planned(dry.err)
    real = run(["sync", "shop/todo", "want.jsonl", "--delete", "--yes"],
               server=kinto_fresh_server, cwd=tmp_path)
    assert real.status == 0, real.err
    assert sorted(r["id"] for r in raw_get(kinto_fresh_server, f"{TODO}/records")["data"]) == [
        "new", "t001"]
    # Each planned write succeeds, one per record the real run changed: "new" created,
    # "t001" replaced, every other record of the fixture deleted.
    assert all(" -> 20" in w for w in writes)
    held = {path.rsplit("/", 1)[-1] for path in before if path.startswith(f"{TODO}/records/")}
    assert sorted(w.split(" ")[1].rsplit("/", 1)[-1] for w in writes) == sorted(held | {"new"})
