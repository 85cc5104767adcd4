"""Tests of cli/validate.py: records checked against their collection's JSON schema, as
Kinto's own schema validation does (the same verdicts, proved against a Kinto that has it on)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kinto_query import Bucket, Client
from kinto_query.cli.app import run as run_in_process
from kinto_query.testing import KintoServer

from .clitools import run
from .conftest import WIZARD, server_records

SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "n": {"type": "integer", "minimum": 0},
                   "tags": {"type": "array", "items": {"type": "string"}},
                   "a/b": {"type": "object", "properties": {"c": {"type": "boolean"}}}},
    "required": ["title", "id", "last_modified"],
}
RECORDS = [
    {"id": "good", "title": "fine", "n": 3},
    {"id": "bad", "title": 5, "n": -1, "tags": ["x", 2]},
    {"id": "none", "n": 1},
    {"id": "nested", "title": "t", "a/b": {"c": "yes"}},
]


def fill(client: Client, *, bucket_schema: bool = False) -> None:
    data = {"record:schema": {"type": "object", "properties": {"n": {"maximum": 2}}}} \
        if bucket_schema else {}
    shop = Bucket("shop", client=client, create=True, data=data)
    todo = shop.create_collection("todo")
    todo.create_records(RECORDS)  # this server does not validate: the schema comes after
    todo.data["schema"] = SCHEMA
    todo.save()


def test_validate_reports_each_invalid_record_with_its_path(kinto_fresh_server: str,
                                                           alice: Client):
    fill(alice)
    done = run(["validate", "shop/todo"], server=kinto_fresh_server)
    assert done.status == 8
    assert done.out.splitlines() == [
        "bad /n: -1 is less than the minimum of 0",
        "bad /tags/1: 2 is not of type 'string'",
        "bad /title: 5 is not of type 'string'",
        "nested /a~1b/c: 'yes' is not of type 'boolean'",
        "none (record): 'title' is a required property",
    ]
    assert done.err == "3 records of 4 invalid in shop/todo\n"


def test_the_bucket_record_schema_counts_too_and_a_valid_collection_exits_0(
        kinto_fresh_server: str, alice: Client):
    fill(alice, bucket_schema=True)
    done = run(["validate", "shop/todo"], server=kinto_fresh_server)
    assert "good /n: 3 is greater than the maximum of 2" in done.out.splitlines()
    todo = alice.bucket("shop").collection("todo")
    todo.delete_records(["bad", "none", "nested", "good"])
    todo.create_records([{"id": "ok", "title": "x", "n": 1}])
    done = run(["validate", "shop/todo"], server=kinto_fresh_server)
    assert (done.status, done.out, done.err) == (0, "", "all 1 record of shop/todo are valid\n")
    Bucket("other", client=alice, create=True).create_collection("plain")
    done = run(["validate", "other/plain"], server=kinto_fresh_server)
    assert done.status == 0
    assert done.err == ("other/plain has no schema (nor its bucket a record:schema): "
                        "nothing to check\n")


def test_our_verdicts_are_kintos(alice: Client, kinto_fresh_server: str):
    """A Kinto with schema validation on refuses exactly the records we call invalid."""
    with KintoServer(settings={"experimental_collection_schema_validation": "true"}) as strict:
        client = Client(strict.url, auth=("alice", "s3cret"))
        todo = Bucket("shop", client=client, create=True).create_collection(
            "todo", data={"schema": SCHEMA})
        report = todo.create_records(RECORDS, raise_on_error=False)
        assert sorted(f.id for f in report.failed) == ["bad", "nested", "none"]


def test_without_jsonschema_it_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]):
    """In process, jsonschema made unimportable (``None`` in ``sys.modules``); no server:
    the message comes before any request."""
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    with pytest.raises(SystemExit) as exited:
        run_in_process(["validate", "shop/todo", "--server", "http://127.0.0.1:9/v1"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == ("error: validate needs the jsonschema library: "
                             "pip install 'kinto_query[validate]'\n")


def test_a_file_is_checked_against_the_servers_schema(kinto_fresh_server: str, alice: Client,
                                                     tmp_path: Path):
    fill(alice)
    lines = [json.dumps(r) for r in RECORDS[:2]] + [
        json.dumps({"title": "no id, named by its line", "n": "x"}), "{not json",
        json.dumps({"id": "bad id!", "title": "t"})]
    (tmp_path / "new.jsonl").write_text("\n".join(lines) + "\n")
    done = run(["validate", "shop/todo", "--file", "new.jsonl"], server=kinto_fresh_server,
               cwd=tmp_path)
    assert done.status == 8
    out = done.out.splitlines()
    assert out[:4] == ["bad /n: -1 is less than the minimum of 0",
                       "bad /tags/1: 2 is not of type 'string'",
                       "bad /title: 5 is not of type 'string'",
                       "line 3 /n: 'x' is not of type 'integer'"]
    assert out[4].startswith("line 4 (record): not JSON")
    assert out[5].startswith("bad id! (record): ")
    assert done.err == "4 records of 5 invalid in new.jsonl (against shop/todo's schema)\n"
    assert server_records(kinto_fresh_server).keys() == {r["id"] for r in RECORDS}


def test_a_schema_that_cannot_be_used_is_said_so(kinto_fresh_server: str, alice: Client):
    """A remote $ref (to a port nothing listens on) is not fetched, as Kinto does not: every
    record fails with it. (An invalid schema cannot be saved: Kinto checks it.)"""
    shop = Bucket("shop", client=alice, create=True)
    todo = shop.create_collection("todo", data={"schema": {
        "type": "object", "properties": {"a": {"$ref": "http://127.0.0.1:9/x.json"}}}})
    todo.create_records([{"id": "r1", "a": 1}])
    done = run(["validate", "shop/todo"], server=kinto_fresh_server)
    assert done.status == 8
    assert done.err.startswith("error: the schema of shop/todo has a $ref that does not "
                               "resolve (Unresolvable: http://127.0.0.1:9/x.json)")


def test_a_kinto_wizard_file_against_its_own_schemas_as_kinto_wizard_validate(
        tmp_path: Path):
    """Offline (no server): the same verdict as ``kinto-wizard validate``, with the paths."""
    tree = {"buckets": {"shop": {"collections": {
        "todo": {"data": {"schema": SCHEMA},
                 "records": {r["id"]: {"data": r, "permissions": {}} for r in RECORDS}},
        "free": {"records": {"x": {"data": {"id": "x", "n": "any"}}}},
    }}}}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(tree))
    valid = [r for r in RECORDS if r["id"] == "good"]
    tree["buckets"]["shop"]["collections"]["todo"]["records"] = {
        r["id"]: {"data": r, "permissions": {}} for r in valid}
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(tree))

    theirs = subprocess.run([WIZARD, "validate", "bad.yaml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    ours = run(["validate", "--file", "bad.yaml"], server=None, cwd=tmp_path)
    assert (theirs.returncode, ours.status) == (1, 8)
    assert ours.out.splitlines() == [
        "shop/todo/bad /n: -1 is less than the minimum of 0",
        "shop/todo/bad /tags/1: 2 is not of type 'string'",
        "shop/todo/bad /title: 5 is not of type 'string'",
        "shop/todo/nested /a~1b/c: 'yes' is not of type 'boolean'",
        "shop/todo/none (record): 'title' is a required property",
    ]
    assert ours.err == "3 records of 4 invalid in bad.yaml\n"
    theirs = subprocess.run([WIZARD, "validate", "good.yaml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    ours = run(["validate", "shop/todo", "--file", "good.yaml"], server=None, cwd=tmp_path)
    assert (theirs.returncode, ours.status, ours.err) == (
        0, 0, "all 1 record of good.yaml are valid\n")
    missing = run(["validate"], server=None)
    assert missing.status == 2 and "which collection? BUCKET/COLLECTION is needed" in missing.err
