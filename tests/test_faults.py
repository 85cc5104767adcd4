"""Write outcomes under faults, through the fault proxy on a live Kinto: lost and late answers,
read-backs that fail too, unreadable answers. Each test judges against the server read raw.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kinto_query import (
    Attachment,
    Bucket,
    Client,
    Collection,
    KintoConnectionError,
    OutcomeUnknown,
    Record,
    ServerError,
)
from kinto_query._report import BatchReport
from kinto_query._retry import RetryPolicy

from .conftest import AUTH, batch_put, own, raw, raw_get
from .faultproxy import Fault, FaultProxy

RECORD = "/buckets/f/collections/c/records/r1"


@pytest.fixture
def proxied(kinto_any_server: str) -> Iterator[tuple[str, FaultProxy, Collection]]:
    """(server URL, proxy, collection f/c through the proxy, retries without waiting), r1 in it."""
    client = Client(kinto_any_server, auth=AUTH)
    Bucket("f", client=client, create=True).create_collection("c").create_record(
        {"id": "r1", "title": "old"})
    with FaultProxy(kinto_any_server, seed=3) as proxy:
        quick = RetryPolicy(sleep=lambda seconds: None)
        yield kinto_any_server, proxy, Client(proxy.url, auth=AUTH, retry=quick).bucket(
            "f").collection("c")


def held(url: str, path: str = RECORD) -> dict[str, Any]:
    return own(raw_get(url, path)["data"])


def _save(todo: Collection) -> Callable[[], Record]:
    record = todo.get("r1")
    record.data.title = "mine"
    return record.save


def _create(todo: Collection) -> Callable[[], Record]:
    return lambda: todo.create_record({"id": "r2", "title": "mine"})


def _patch(todo: Collection) -> Callable[[], Record]:
    record = todo.get("r1")
    return lambda: record.patch(title="mine")


# A write's name -> (what loads the object and returns the write, its method, its path).
WRITES: dict[str, tuple[Callable[[Collection], Callable[[], Record]], str, str]] = {
    "save": (_save, "PUT", RECORD),
    "create": (_create, "PUT", RECORD.replace("r1", "r2")),
    "patch": (_patch, "PATCH", RECORD),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_landed_whose_read_back_failed_once_is_a_success(
    proxied: tuple[str, FaultProxy, Collection], write: str
) -> None:
    """The write is applied but its answer lost, the retry meets 412, the read-back meant to
    settle it gets a 503: it is read again under the retry policy, and the write is ours."""
    url, proxy, todo = proxied
    prepare, method, path = WRITES[write]
    send = prepare(todo)
    proxy.fail_next(Fault.RESET_AFTER, methods={method})
    proxy.fail_next(Fault.UNAVAILABLE, methods={"GET"})
    result = send()
    assert held(url, path) == {"title": "mine"}
    assert result.data.title == "mine"
    assert result.last_modified == raw_get(url, path)["data"]["last_modified"]
    assert [o for m, _, o in proxy.log if m == method] == ["RESET_AFTER", "forwarded"]
    assert [o for m, _, o in proxy.log if m == "GET"][-2:] == ["UNAVAILABLE", "forwarded"]


def test_a_write_whose_outcome_cannot_be_read_says_so(
    proxied: tuple[str, FaultProxy, Collection],
) -> None:
    """Answer lost, retry refused (412), and the object cannot be read back at all: the error
    says the outcome is unknown and carries what was sent: not a conflict."""
    url, proxy, todo = proxied
    record = todo.get("r1")
    record.data.title = "mine"
    proxy.fail_next(Fault.RESET_AFTER, methods={"PUT"})
    proxy.inject(Fault.UNAVAILABLE, methods={"GET"})
    with pytest.raises(OutcomeUnknown) as caught:
        record.save()
    assert caught.value.request.body == {"data": {"title": "mine"}}
    assert "the outcome is unknown" in str(caught.value)
    assert held(url) == {"title": "mine"}  # it had landed


NUMBERS = {"big": 1e20, "neg": -0.0, "list": [1.5e300, -0.0]}


def as_floats(value: Any) -> Any:
    """Every number as a float (-0.0 == 0.0 then): how to compare what PostgreSQL re-spells."""
    return json.loads(json.dumps(value), parse_int=float)


def test_a_lost_answer_is_recognised_though_the_server_respells_numbers(
    proxied: tuple[str, FaultProxy, Collection],
) -> None:
    """PostgreSQL gives 1e20 back as 100000000000000000000 and -0.0 as 0.0: the read-back
    after a lost answer compares numbers as numbers, single and bulk."""
    url, proxy, todo = proxied
    proxy.fail_next(Fault.RESET_AFTER, methods={"PUT"})
    todo.create_record({"id": "one", **NUMBERS})
    proxy.fail_next(Fault.RESET_AFTER, methods={"POST"})
    report = todo.create_records({"id": f"b{i}", **NUMBERS} for i in range(3))
    assert report.succeeded == ["b0", "b1", "b2"] and report.ok
    for record_id in ("one", "b0", "b1", "b2"):
        assert as_floats(held(url, RECORD.replace("r1", record_id))) == NUMBERS


def test_a_bulk_item_refused_for_its_own_late_write_is_saved(kinto_any_server: str) -> None:
    """A chunk gets no answer and is read back: nothing there yet. Before it is sent again the
    first attempt lands after all (a late answer; played here by writing the same records raw
    during the retry's wait), so the resend meets 412: the server holds what we sent, so each
    item is saved, neither a conflict nor "already exists"."""
    url = kinto_any_server
    Bucket("f", client=Client(url, auth=AUTH), create=True).create_collection("c")
    wanted = [{"id": f"r{i}", "n": i} for i in range(5)]

    def first_attempt_lands(seconds: float) -> None:
        for record in wanted:
            raw("PUT", url, RECORD.replace("r1", record["id"]), {"data": record})

    with FaultProxy(url) as proxy:
        retry = RetryPolicy(sleep=first_attempt_lands)
        todo = Client(proxy.url, auth=AUTH, retry=retry).bucket("f").collection("c")
        proxy.fail_next(Fault.RESET, methods={"POST"})
        report = todo.create_records(wanted, raise_on_error=False)
    assert report.ok, report.summary()
    assert report.succeeded == [r["id"] for r in wanted]
    assert {r["id"]: held(url, RECORD.replace("r1", r["id"])) for r in wanted} == {
        r["id"]: {"n": r["n"]} for r in wanted}


def test_a_bulk_item_refused_for_someone_elses_write_stays_a_conflict(
    kinto_fresh_server: str,
) -> None:
    """The same, but what landed meanwhile is not ours: the 412 stands."""
    url = kinto_fresh_server
    Bucket("f", client=Client(url, auth=AUTH), create=True).create_collection("c")

    def someone_else_writes(seconds: float) -> None:
        raw("PUT", url, RECORD, {"data": {"n": "theirs"}})

    with FaultProxy(url) as proxy:
        retry = RetryPolicy(sleep=someone_else_writes)
        todo = Client(proxy.url, auth=AUTH, retry=retry).bucket("f").collection("c")
        proxy.fail_next(Fault.RESET, methods={"POST"})
        report = todo.create_records([{"id": "r1", "n": 1}], raise_on_error=False)
    assert [f.id for f in report.conflicts] == ["r1"] and not report.succeeded
    assert held(url) == {"n": "theirs"}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_answered_unreadably_is_read_back(
    proxied: tuple[str, FaultProxy, Collection], write: str
) -> None:
    """The write is applied and answered 200, its body cut short: the object is read back
    (as bulk writes do), so it is neither an InvalidResponse nor left stale."""
    url, proxy, todo = proxied
    prepare, method, path = WRITES[write]
    send = prepare(todo)
    proxy.fail_next(Fault.GARBLED_AFTER, methods={method})
    result = send()
    assert held(url, path) == {"title": "mine"}
    assert result.last_modified == raw_get(url, path)["data"]["last_modified"]


def test_single_saves_under_contention_on_postgresql_are_retried(
    kinto_fresh_pg_server: str,
) -> None:
    """Kinto on PostgreSQL answers 409 "please retry" (errno 122, Retry-After) when concurrent
    writers collide, its transaction rolled back: single saves retry it, as they do a 503."""
    url = kinto_fresh_pg_server
    Bucket("f", client=Client(url, auth=AUTH), create=True).create_collection("c")
    errors: list[Exception] = []
    collided: list[int] = []

    def write(worker: int) -> None:
        client = Client(url, auth=AUTH, retry=RetryPolicy(sleep=lambda s: None, attempts=10))
        client.session.hooks["response"].append(
            lambda r, *a, **k: collided.append(1) if r.status_code == 409 else None)
        todo = client.bucket("f").collection("c")
        for i in range(40):
            try:
                todo.record({"id": f"w{worker}-{i}", "n": i}).save()
            except Exception as error:
                errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert collided, "no 409 this time: the contention did not happen"
    assert errors == []
    assert len(raw_get(url, "/buckets/f/collections/c/records")["data"]) == 240


def test_query_delete_retries_answers_that_prove_nothing_was_applied(
    proxied: tuple[str, FaultProxy, Collection],
) -> None:
    """A list DELETE is not safe to resend blindly (it deletes the next page too), but a 429 or
    Kinto's 503 (errno 201) prove it was not applied: those are retried."""
    url, proxy, todo = proxied
    batch_put(Client(url, auth=AUTH), todo.records_path,
              [{"id": f"d{i}", "kind": "d"} for i in range(6)])
    proxy.fail_next(Fault.UNAVAILABLE, methods={"DELETE"})
    proxy.fail_next(Fault.TOO_MANY, methods={"DELETE"})
    assert todo.filter(kind="d").page_size(2).delete() == 6
    assert [r["id"] for r in raw_get(url, "/buckets/f/collections/c/records")["data"]] == ["r1"]


def test_query_delete_stopped_midway_says_how_many_it_deleted(
    proxied: tuple[str, FaultProxy, Collection],
) -> None:
    """The second page's DELETE is applied but its answer lost: not resent (it would delete
    the third page unseen), and the error says how many the first call deleted."""
    url, proxy, todo = proxied
    batch_put(Client(url, auth=AUTH), todo.records_path,
              [{"id": f"d{i}", "kind": "d"} for i in range(6)])
    query = todo.filter(kind="d").page_size(2)
    # Kinto's Next-Page of a DELETE is the same URL: the first passes (trickled, harmless).
    proxy.fail_next(Fault.SLOW_BODY, methods={"DELETE"}, trickle_interval=0.001)
    proxy.inject(Fault.GATEWAY_AFTER, methods={"DELETE"})
    with pytest.raises(ServerError) as caught:
        query.delete()
    assert caught.value.deleted == 2  # type: ignore[attr-defined]
    assert len(raw_get(url, "/buckets/f/collections/c/records")["data"]) == 3  # r1, 2 left


def test_a_bulk_chunk_that_cannot_be_encoded_is_not_sent_not_unknown(
    proxied: tuple[str, FaultProxy, Collection],
) -> None:
    """A NaN in the third chunk: the error leaves with the report, the first two chunks
    saved, the third "not sent" (nothing of it went out), not "unknown"."""
    url, proxy, todo = proxied
    records = [{"id": f"n{i:02d}", "v": float("nan") if i == 60 else i} for i in range(75)]
    with pytest.raises(TypeError, match="cannot send field") as caught:
        todo.create_records(records)
    report = caught.value.report  # type: ignore[attr-defined]
    assert len(report.succeeded) == 50 and not report.unknown
    assert [f.id for f in report.failed] == [f"n{i:02d}" for i in range(50, 75)]
    assert all(f.message.startswith("not sent:") for f in report.failed)
    assert [m for m, _, _ in proxy.log].count("POST") == 2
    assert len(raw_get(url, "/buckets/f/collections/c/records")["data"]) == 51  # r1 and 50


def test_items_unknown_while_the_server_was_down_are_read_back_once_it_answers(
    proxied: tuple[str, FaultProxy, Collection],
) -> None:
    """The third chunk is applied, then the server goes away (every connection reset, as a
    killed server's are) before its answer and through every read-back; it comes back for
    the fourth chunk. At the end the unknown items are read once more: saved, none unknown."""
    url, proxy, todo = proxied

    def kill_at_chunk_three(report: BatchReport) -> None:
        if report.chunks == 2:
            proxy.fail_next(Fault.RESET_AFTER, methods={"POST"})
            proxy.inject(Fault.RESET, times=5)  # the read-back and its retries: no server

    wanted = [{"id": f"k{i:03d}", "n": i} for i in range(100)]
    report = todo.create_records(wanted, progress=kill_at_chunk_three, raise_on_error=False)
    assert proxy.counts().get("RESET") == 5
    assert report.ok, report.summary()
    assert report.succeeded == [r["id"] for r in wanted]  # in input order
    held_ids = {r["id"] for r in raw_get(url, "/buckets/f/collections/c/records")["data"]}
    assert held_ids == {"r1", *report.succeeded}


def test_items_still_unreadable_at_the_end_stay_unknown(
    proxied: tuple[str, FaultProxy, Collection],
) -> None:
    _, proxy, todo = proxied

    def kill_at_chunk_two(report: BatchReport) -> None:
        if report.chunks == 1:
            proxy.fail_next(Fault.RESET_AFTER, methods={"POST"})
            proxy.inject(Fault.RESET)  # the server never comes back

    report = todo.create_records(({"id": f"k{i:02d}"} for i in range(50)),
                                 progress=kill_at_chunk_two, raise_on_error=False)
    assert len(report.succeeded) == 25 and len(report.unknown) == 25


@pytest.mark.parametrize("fault", [Fault.GATEWAY_AFTER, Fault.RESET_AFTER])
def test_an_unconditional_patch_that_landed_before_a_lost_answer_is_a_success(
    proxied: tuple[str, FaultProxy, Collection], fault: Fault
) -> None:
    """update_record() sends a PATCH without If-Match, which is not resent blindly: its answer
    lost after it landed, the record is read back and the write found ours (not a 502, not
    a connection error)."""
    url, proxy, todo = proxied
    proxy.fail_next(fault, methods={"PATCH"})
    record = todo.update_record("r1", {"title": "mine"})
    assert held(url) == {"title": "mine"} and record.data.title == "mine"
    assert [o for m, _, o in proxy.log if m == "PATCH"] == [fault.name]


def test_a_write_whose_retries_ran_out_unanswered_says_the_outcome_is_unknown(
    proxied: tuple[str, FaultProxy, Collection],
) -> None:
    url, proxy, todo = proxied
    record = todo.get("r1")
    record.data.title = "mine"
    proxy.inject(Fault.RESET_AFTER, methods={"PUT"})
    proxy.inject(Fault.RESET, methods={"GET"})
    with pytest.raises(OutcomeUnknown):
        record.save()
    assert held(url) == {"title": "mine"}


@pytest.mark.parametrize("fault", [Fault.RESET_AFTER, Fault.GATEWAY_AFTER, Fault.GARBLED_AFTER])
def test_an_upload_that_landed_before_its_answer_was_lost_is_a_success(
    proxied: tuple[str, FaultProxy, Collection], fault: Fault, tmp_path: Path
) -> None:
    """attach(): the POST is applied, its answer lost (or a gateway's 502, or cut short): the
    record is read back, holds the file we sent (size and SHA-256), so it is attached, not
    resent, and the loaded record shows it."""
    url, proxy, todo = proxied
    content = b"quarterly figures\n" * 20_000  # several 256 KiB pieces
    source = tmp_path / "figures.txt"
    source.write_bytes(content)
    record = todo.get("r1")
    proxy.fail_next(fault, methods={"POST"})
    attached = record.attach(source)
    stored = raw_get(url, RECORD)["data"]["attachment"]
    assert (stored["size"], stored["hash"]) == (len(content), hashlib.sha256(content).hexdigest())
    assert attached == record.attachment == Attachment.from_server(stored, "r1")
    assert record.last_modified == raw_get(url, RECORD)["data"]["last_modified"]
    assert [o for m, _, o in proxy.log if m == "POST"] == [fault.name]


def test_an_upload_not_applied_keeps_its_error(
    proxied: tuple[str, FaultProxy, Collection],
) -> None:
    """The connection is reset before the server got the upload: the read-back finds no such
    file on the record, so the connection error stands (and nothing was resent)."""
    url, proxy, todo = proxied
    proxy.fail_next(Fault.RESET, methods={"POST"})
    with pytest.raises(KintoConnectionError):
        todo.record(id="r1").attach(io.BytesIO(b"hello"), filename="a.txt")
    assert raw_get(url, RECORD)["data"].get("attachment") is None
    assert [o for m, _, o in proxy.log if m == "POST"] == ["RESET"]


def test_an_upload_whose_outcome_cannot_be_read_says_so(
    proxied: tuple[str, FaultProxy, Collection],
) -> None:
    url, proxy, todo = proxied
    proxy.fail_next(Fault.RESET_AFTER, methods={"POST"})
    proxy.inject(Fault.UNAVAILABLE, methods={"GET"})
    with pytest.raises(OutcomeUnknown, match="the outcome is unknown") as caught:
        todo.record(id="r1").attach(io.BytesIO(b"hello"), filename="a.txt")
    assert caught.value.request.method == "POST"
    assert caught.value.request.path.endswith("/records/r1/attachment")
    assert raw_get(url, RECORD)["data"]["attachment"]["size"] == 5  # it had landed
    assert [o for m, _, o in proxy.log if m == "POST"] == ["RESET_AFTER"]
