"""Tests of _wire/dry_run.py: a dry run reads for real, writes nothing, and predicts each write's
answer as the real run then gives it (live Kinto: the state a prediction comes from is a
real server's)."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

from kinto_query import (
    AlreadyExists,
    BatchReport,
    Client,
    Config,
    NotFound,
    PlannedWrite,
    PreconditionFailed,
)

from ..conftest import AUTH, RequestLog, raw_dump

pytestmark = pytest.mark.live

TODO = "/buckets/shop/collections/todo"


def seed(client: Client) -> dict[str, Any]:
    todo = client.bucket("shop").create(exist_ok=True).collection("todo")
    todo.create(exist_ok=True)
    todo.create_records([{"id": "a", "n": 1}, {"id": "b", "n": 2}, {"id": "c", "n": 3}])
    return {r.id: r for r in todo.records()}


def outcome(report: BatchReport) -> dict[str, Any]:
    """What a report says item by item (not the timestamps the server picks)."""
    return {
        "succeeded": report.succeeded, "created": report.created,
        **{kind: [(f.index, f.id, f.status, f.message) for f in getattr(report, kind)]
           for kind in ("conflicts", "missing", "failed", "unknown")},
    }


@pytest.fixture
def dry(kinto_fresh_server: str) -> Client:
    return Client(kinto_fresh_server, auth=AUTH, dry_run=True)


def test_a_dry_bulk_write_changes_nothing_and_predicts_the_real_report(
        kinto_any_server: str, any_alice: Client):
    # Both backends: PostgreSQL answers a batch's refused items as memory does.
    kinto_fresh_server, alice = kinto_any_server, any_alice
    dry = Client(kinto_any_server, auth=AUTH, dry_run=True)
    held = seed(alice)
    stale = held["b"].last_modified - 1

    def writes(client: Client) -> list[BatchReport]:
        todo = client.bucket("shop").collection("todo")
        return [
            # "a" exists: a conflict; the others are created.
            todo.create_records([{"id": "a", "n": 9}] + [{"id": f"new{i}"} for i in range(30)],
                                raise_on_error=False, chunk_size=25),
            # Two chunks in flight at once: one plan, whichever thread sends.
            todo.save_records([{"id": f"new{i}", "v": 2} for i in range(0, 30, 3)],
                              raise_on_error=False, chunk_size=4, concurrency=2),
            # "b" at a stale timestamp: a conflict; "c" at its own: replaced.
            todo.replace_records([{"id": "b", "n": 0, "last_modified": stale},
                                  {"id": "c", "n": 0, "last_modified": held["c"].last_modified},
                                  {"id": "ghost", "n": 0}, {"id": "a", "n": 0}],
                                 raise_on_error=False),
            todo.delete_records(["a", "nope"], raise_on_error=False),
        ]

    before = raw_dump(kinto_fresh_server)
    log = RequestLog(dry)
    predicted = writes(dry)
    assert raw_dump(kinto_fresh_server) == before
    assert all(method in ("GET", "HEAD", "POST") for method, _ in log.sent)
    assert str(predicted[0]).startswith("<BatchReport 30 of 31 succeeded; "
                                          "1 conflict ['a']")
    real_log = RequestLog(alice)
    real = writes(alice)
    assert [outcome(r) for r in predicted] == [outcome(r) for r in real]
    assert predicted[2].conflicts[0].existing == real[2].conflicts[0].existing
    # The dry run costs the requests the real one does (a batch of reads per batch of
    # writes), and one GET / for the user id Kinto adds to what one writes.
    assert [s for s in log.sent if s != ("GET", "/")] == real_log.sent


def test_the_dry_run_log_has_each_write_with_its_predicted_answer(
        kinto_fresh_server: str, alice: Client, dry: Client, caplog: pytest.LogCaptureFixture):
    seed(alice)
    todo = dry.bucket("shop").collection("todo")
    with caplog.at_level(logging.INFO, logger="kinto_query"):
        todo.create_records([{"id": "a"}, {"id": "z", "secret": "s3cret"}],
                            raise_on_error=False)
    assert dry.dry_run_log == (
        PlannedWrite("PUT", f"{TODO}/records/a", {"data": {}},
                     {"If-None-Match": "*"}, 412),
        PlannedWrite("PUT", f"{TODO}/records/z", {"data": {"secret": "s3cret"}},
                     {"If-None-Match": "*"}, 201),
    )
    assert [str(w) for w in dry.dry_run_log] == [
        f"PUT {TODO}/records/a (If-None-Match: *) -> 412 conflict",
        f"PUT {TODO}/records/z (If-None-Match: *) -> 201 created",
    ]
    planned = [r.getMessage() for r in caplog.records if "dry run" in r.getMessage()]
    assert planned == [f"dry run, not sent: {w}" for w in dry.dry_run_log]
    # Neither bodies nor credentials are logged, nor shown in a planned write's repr.
    assert "s3cret" not in caplog.text and "s3cret" not in repr(dry.dry_run_log)
    assert dry.dry_run_log[0].preconditions == {"If-None-Match": "*"}
    assert Client(kinto_fresh_server).dry_run_log == ()


def test_single_writes_raise_what_the_real_write_raises(
        kinto_fresh_server: str, alice: Client, dry: Client):
    held = seed(alice)
    before = raw_dump(kinto_fresh_server)
    todo = dry.bucket("shop").collection("todo")
    with pytest.raises(AlreadyExists):
        todo.record({"id": "a"}).create()
    stale = todo.get("b")
    alice.bucket("shop").collection("todo").get("b").patch(n=20)  # someone else's change
    before = raw_dump(kinto_fresh_server)
    stale.data["n"] = 5
    with pytest.raises(PreconditionFailed) as conflict:
        stale.save()
    assert conflict.value.existing is not None and conflict.value.existing["n"] == 20
    with pytest.raises(NotFound):
        todo.record(id="ghost").patch(n=1)
    fresh = todo.get("c")
    fresh.data["n"] = 30
    fresh.save()  # predicted to succeed: the record comes back as the server would answer
    assert (fresh.data["n"], fresh.last_modified > held["c"].last_modified) == (30, True)
    fresh.data["n"] = 31
    fresh.save()  # against the predicted version: the plan so far counts
    assert [w.status for w in dry.dry_run_log] == [412, 412, 404, 200, 200]
    assert raw_dump(kinto_fresh_server) == before
    with pytest.raises(PreconditionFailed):  # and the real writes do the same
        alice.bucket("shop").collection("todo").record({"id": "b", "n": 5,
                                                        "last_modified": held["b"].last_modified}
                                                       ).save()


def test_a_dry_mixed_batch_changes_nothing_and_predicts_the_real_one(
        kinto_fresh_server: str, alice: Client, dry: Client):
    seed(alice)

    def batch(client: Client) -> BatchReport:
        todo = client.bucket("shop").collection("todo")
        with client.batch(raise_on_error=False) as calls:
            calls.create(client.bucket("new"))
            calls.create(client.bucket("new").collection("list"))
            calls.create(client.bucket("new").collection("list").record({"id": "x"}))
            calls.create(todo.record({"id": "a"}))
            calls.patch(todo.record(id="ghost"), n=1)
            calls.delete(todo.record(id="b"))
            calls.delete(todo.record(id="b"))
        return calls.report

    before = raw_dump(kinto_fresh_server)
    predicted = batch(dry)
    assert raw_dump(kinto_fresh_server) == before
    assert "bucket" in dry.dry_run_log[0].note  # a 403 on a missing bucket: told so
    real = batch(alice)
    assert outcome(predicted) == outcome(real)
    assert (predicted.succeeded, [f.id for f in predicted.missing]) == (
        ["new", "list", "x", "b"], ["ghost", "b"])


def test_a_dry_list_delete_counts_what_the_real_one_deletes(
        kinto_fresh_server: str, alice: Client, dry: Client):
    seed(alice)
    before = raw_dump(kinto_fresh_server)
    assert dry.bucket("shop").collection("todo").filter(n__gte=2).delete() == 2
    assert raw_dump(kinto_fresh_server) == before
    assert alice.bucket("shop").collection("todo").filter(n__gte=2).delete() == 2


def test_dry_run_is_an_option_like_the_others(kinto_fresh_server: str):
    assert Client(config=Config(kinto_fresh_server, dry_run=True)).dry_run
    assert not Client(kinto_fresh_server).dry_run
    bucket = __import__("kinto_query").Bucket("b", server_url=kinto_fresh_server, auth=AUTH,
                                              dry_run=True)
    bucket.save()
    assert raw_dump(kinto_fresh_server) == {"/buckets": b'{"data":[]}'}
    with pytest.raises(TypeError, match="dry_run"):
        Config(dry_run="yes")  # type: ignore[arg-type]


def test_a_dry_attach_uploads_nothing_and_predicts_the_file(
        kinto_fresh_server: str, alice: Client, dry: Client):
    seed(alice)
    before = raw_dump(kinto_fresh_server)
    planned = dry.bucket("shop").collection("todo").record(id="a").attach(
        io.BytesIO(b"hello"), filename="a.txt")
    assert raw_dump(kinto_fresh_server) == before
    assert [str(w) for w in dry.dry_run_log] == [
        f"POST {TODO}/records/a/attachment -> 201 created; a file upload: its answer is made "
        "up (no location, no hash)"]
    real = alice.bucket("shop").collection("todo").record(id="a").attach(
        io.BytesIO(b"hello"), filename="a.txt")
    assert (planned.filename, planned.mimetype, planned.size) == (
        real.filename, real.mimetype, real.size)


def test_a_dry_flush_flushes_nothing(kinto_fresh_server: str, alice: Client, dry: Client):
    seed(alice)
    before = raw_dump(kinto_fresh_server)
    dry.flush()
    assert raw_dump(kinto_fresh_server) == before
    assert [str(w) for w in dry.dry_run_log] == [
        "POST /__flush__ -> 200 done; not a Kinto object: its answer is not predicted"]


def test_a_dry_sign_up_creates_no_account_and_keeps_no_password(
        kinto_fresh_server: str, dry: Client):
    account = dry.accounts.create("ann", "pa55word")
    assert account.id == "ann"
    assert raw_dump(kinto_fresh_server) == {"/buckets": b'{"data":[]}'}
    assert [(w.method, w.path, w.status, w.body) for w in dry.dry_run_log] == [
        ("PUT", "/accounts/ann", 201, {"data": {"password": "***"}})]
    assert "pa55word" not in repr(dry.dry_run_log)
    real = Client(kinto_fresh_server, auth=AUTH).accounts.create("ann", "pa55word")
    assert real.id == "ann"


def test_a_record_where_no_bucket_is_refused_as_the_write_would_be(
        kinto_fresh_server: str, alice: Client, dry: Client):
    # Kinto answers 403 to reading it, 404 (its collection not found) to writing it.
    with pytest.raises(NotFound) as predicted:
        dry.bucket("nob").collection("c").record({"id": "r"}).save()
    with pytest.raises(NotFound) as real:
        alice.bucket("nob").collection("c").record({"id": "r"}).save()
    assert str(predicted.value) == str(real.value)
    assert "bucket or collection does not exist" in dry.dry_run_log[0].note
