"""Tests of cli/read.py: ``records``, ``count``, ``get``, ``buckets`` and ``collections``."""

from __future__ import annotations

import json

from kinto_query import Bucket, Client, Collection

from ..conftest import raw, raw_get
from .clitools import jsonl, one_error_line, run
from .conftest import TODO, server_ids

# -- records, count, get --------------------------------------------------------------------------

def test_records_filters_sort_and_limit_as_json_lines(kinto_fresh_server: str, shop: Collection):
    done = run(["records", "shop/todo", "--filter", "status=done", "--filter", "priority__gte=2",
                "--sort", "-priority,id", "--limit", "3"], server=kinto_fresh_server)
    assert done.status == 0 and done.err == ""
    records = jsonl(done.out)
    assert [r["id"] for r in records] == server_ids(
        kinto_fresh_server, "status=done&min_priority=2&_sort=-priority,id&_limit=3")
    assert [r["priority"] for r in records] == [4, 3, 2]
    assert all(set(r) >= {"id", "last_modified", "title"} for r in records)


def test_a_filtered_field_in_no_record_warns(kinto_fresh_server: str, shop: Collection):
    # Kinto counts the missing field as greater than any value: every record comes back.
    done = run(["records", "shop/todo", "-f", "prioritty__gte=3"], server=kinto_fresh_server)
    assert done.status == 0 and len(jsonl(done.out)) == 14
    assert done.err == ("warning: no result of the first page has the field 'prioritty' of "
                        "filter(prioritty__gte=3): is it misspelt? (Kinto counts a missing "
                        "field as greater than any value and unequal to all)\n")
    right = run(["records", "shop/todo", "-f", "priority__gte=3"], server=kinto_fresh_server)
    assert right.status == 0 and right.err == ""


def test_count_is_one_number(kinto_fresh_server: str, shop: Collection):
    done = run(["count", "shop/todo", "-f", "priority__gte=3", "-x", "status=done"],
               server=kinto_fresh_server)
    head = raw("HEAD", kinto_fresh_server, f"{TODO}/records?min_priority=3&not_status=done")
    assert (done.status, done.out) == (0, head.headers["Total-Objects"] + "\n")
    assert run(["count", "shop/todo"], server=kinto_fresh_server).out == "14\n"


def test_get_prints_the_record(kinto_fresh_server: str, shop: Collection):
    done = run(["get", "shop/todo/t001"], server=kinto_fresh_server)
    assert done.status == 0
    assert json.loads(done.out) == raw_get(kinto_fresh_server, f"{TODO}/records/t001")["data"]
    assert done.out.startswith('{\n  "id": "t001",')  # indented, id first
    shown = run(["get", "shop/todo/t001", "--permissions", "--format", "jsonl"],
                server=kinto_fresh_server)
    body = raw_get(kinto_fresh_server, f"{TODO}/records/t001")
    assert json.loads(shown.out) == {"data": body["data"], "permissions": body["permissions"]}
    assert len(shown.lines) == 1
    part = run(["get", "shop/todo/t002", "--fields", "title,status"], server=kinto_fresh_server)
    assert set(json.loads(part.out)) == {"id", "last_modified", "title", "status"}


def test_buckets_and_collections(kinto_fresh_server: str, shop: Collection, alice: Client):
    Bucket("other", client=alice, create=True).create_collection("a")
    assert run(["buckets", "--format", "ids"], server=kinto_fresh_server).lines == [
        "other", "shop"]
    listed = jsonl(run(["collections", "shop"], server=kinto_fresh_server).out)
    assert [c["id"] for c in listed] == ["todo"]
    bad = run(["collections", "no.such"], server=kinto_fresh_server)
    assert bad.status == 2 and "invalid bucket id 'no.such'" in one_error_line(bad.err)
