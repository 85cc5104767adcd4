"""Tests of _queries/scan.py: paging, answers that are not Kinto's, and scans resumed after a
failure.

Malformed answers come from the hand-written scripted server of test_retry.py (a real Kinto
never sends them); faults come from the loopback fault proxy in front of a real Kinto.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import pickle
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kinto_query import (
    Bucket,
    Client,
    Collection,
    IncompleteScan,
    InvalidQuery,
    InvalidResponse,
    RetryPolicy,
)
from kinto_query._queries.scan import Position

from ..conftest import AUTH, Script, batch_put
from ..faultproxy import Fault, FaultProxy

RECORDS = "/buckets/b/collections/c/records"


def page(items: list[Any], **headers: str) -> tuple[int, dict[str, str], bytes]:
    return (200, {"Content-Type": "application/json", **headers},
            json.dumps({"data": items}).encode())


def scan_ids(client: Client) -> list[str]:
    return [r.id for r in client.bucket("b").collection("c")]


# -- tokens, pure -------------------------------------------------------------------------------


def test_a_position_survives_as_a_string() -> None:
    position = Position("http://h.test/v1/buckets/b/records?_token=abc", skip=2, remaining=7)
    assert Position.from_token(position.token()) == position


@pytest.mark.parametrize("token", ["", "kq1.", "kq1.not-base64!", "abc", "kq1.e30="])
def test_a_token_that_is_not_ours_is_refused(token: str) -> None:
    with pytest.raises(InvalidQuery, match="not a resume token"):
        Position.from_token(token)


def test_a_token_resumes_only_the_endpoint_it_came_from(offline_client: Client) -> None:
    bucket = offline_client.bucket("b")
    token = Position(bucket.collection("c").url + "?_token=x").token()
    with pytest.raises(InvalidQuery, match="another endpoint"):
        bucket.collection("other").resume(token)


def test_a_token_cannot_send_the_scan_elsewhere(offline_client: Client) -> None:
    token = Position("http://elsewhere.test/v1/buckets/b/collections/c/records").token()
    with pytest.raises(Exception, match="refusing"):
        offline_client.bucket("b").collection("c").resume(token)


# -- answers that are not Kinto's (scripted) --------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (page([{"id": "a"}, {"title": "no id"}]), "an item has no 'id'"),
        (page([{"id": "a"}, "text"]), "an item has no 'id'"),
        ((200, {"Content-Type": "application/json"}, b'{"data": {"id": "a"}}'), "not a list"),
        ((200, {"Content-Type": "application/json"}, b'{"items": []}'), "no 'data'"),
        ((200, {"Content-Type": "text/html"}, b"<html>hello</html>"), "expected JSON"),
        (page([{"id": "a"}], **{"Total-Objects": "many"}), "Total-Objects is not a number"),
    ],
)
def test_a_malformed_page_is_an_invalid_response(
    scripted: tuple[str, Script], answer: Any, message: str
) -> None:
    url, script = scripted
    script.answers = [answer]
    with pytest.raises(InvalidResponse, match=message):
        scan_ids(Client(url, retry=None))


def test_a_next_page_pointing_at_itself_stops(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = [page([{"id": "a"}], **{"Next-Page": url + RECORDS})] * 3
    with pytest.raises(InvalidResponse, match="points back"):
        scan_ids(Client(url, retry=None))
    assert len(script.seen) == 1


def test_a_next_page_pointing_back_at_an_earlier_page_stops(
    scripted: tuple[str, Script],
) -> None:
    url, script = scripted
    second = url + RECORDS + "?_token=2"
    script.answers = [page([{"id": "a"}], **{"Next-Page": second}),
                      page([{"id": "b"}], **{"Next-Page": url + RECORDS})]
    with pytest.raises(InvalidResponse, match="points back"):  # resuming would loop too
        scan_ids(Client(url, retry=None))
    assert len(script.seen) == 2


# -- resuming against a real Kinto through the fault proxy ------------------------------------


@pytest.fixture
def hundred(kinto_fresh_server: str) -> str:
    """100 records in b/c on a fresh server."""
    client = Client(kinto_fresh_server, auth=AUTH)
    Bucket("b", client=client, create=True).create_collection("c")
    batch_put(client, RECORDS, ({"id": f"r{i:03d}", "n": i} for i in range(100)))
    return kinto_fresh_server


@pytest.fixture
def behind_proxy(hundred: str) -> Iterator[tuple[FaultProxy, Collection]]:
    """The 100 records of ``hundred``, reached through a fault proxy, with no retries."""
    with FaultProxy(hundred) as proxy:
        yield proxy, Client(proxy.url, auth=AUTH, retry=None).bucket("b").collection("c")


def test_a_failed_scan_resumes_with_nothing_missing_and_nothing_twice(
    behind_proxy: tuple[FaultProxy, Collection],
) -> None:
    proxy, todo = behind_proxy
    query = todo.sort("id").page_size(10)
    seen: list[str] = []
    proxy.inject(Fault.UNAVAILABLE, methods={"GET"}, path_contains="_token", times=1)
    with pytest.raises(IncompleteScan) as caught:
        seen.extend(record.id for record in query)
    assert caught.value.delivered == len(seen) == 10
    token = pickle.loads(pickle.dumps(caught.value)).resume_token  # survives pickling
    seen.extend(record.id for record in query.resume(token))
    assert seen == [f"r{i:03d}" for i in range(100)]


def test_a_resumed_scan_keeps_the_limit(behind_proxy: tuple[FaultProxy, Collection]) -> None:
    proxy, todo = behind_proxy
    query = todo.sort("id").page_size(10).limit(25)
    seen: list[str] = []
    proxy.inject(Fault.RESET, methods={"GET"}, path_contains="_token", times=1)
    with pytest.raises(IncompleteScan) as caught:
        seen.extend(record.id for record in query)
    seen.extend(record.id for record in query.resume(caught.value))
    assert seen == [f"r{i:03d}" for i in range(25)]


def test_pages_resume_too(behind_proxy: tuple[FaultProxy, Collection]) -> None:
    proxy, todo = behind_proxy
    query = todo.sort("id").page_size(30)
    sizes: list[int] = []
    proxy.inject(Fault.TOO_MANY, methods={"GET"}, path_contains="_token", times=1)
    with pytest.raises(IncompleteScan) as caught:
        sizes.extend(len(p.items) for p in query.pages())
    sizes.extend(len(p.items) for p in query.resume(caught.value).pages())
    assert sizes == [30, 30, 30, 10]


def test_an_error_on_the_first_page_is_raised_as_is(
    behind_proxy: tuple[FaultProxy, Collection],
) -> None:
    proxy, todo = behind_proxy
    proxy.fail_next(Fault.UNAVAILABLE)
    with pytest.raises(Exception) as caught:
        list(todo)
    assert not isinstance(caught.value, IncompleteScan)
    assert "503" in str(caught.value)


def test_with_retries_a_scan_rides_out_faults(hundred: str) -> None:
    with FaultProxy(hundred, seed=3) as proxy:
        retry = RetryPolicy(attempts=8, sleep=lambda seconds: None)  # 6 faults may hit one GET
        client = Client(proxy.url, auth=AUTH, retry=retry)
        for fault in (Fault.UNAVAILABLE, Fault.TOO_MANY, Fault.RESET):
            proxy.inject(fault, methods={"GET"}, times=2)
        ids = [r.id for r in client.bucket("b").collection("c").sort("id").page_size(10)]
        assert proxy.counts().get("RESET") == 2
    assert ids == [f"r{i:03d}" for i in range(100)]



# -- scans under faults, as the issue measured them (both backends) -----------------------------


def test_thirty_scans_at_five_percent_faults_all_complete_exactly(kinto_any_server: str) -> None:
    """Before retries, 0 of 30 such scans completed. Each GET meets a 503 (with Retry-After),
    a 429 or a connection reset with a probability of about 5%."""
    client = Client(kinto_any_server, auth=AUTH)
    Bucket("b", client=client, create=True).create_collection("c")
    expected = [f"r{i:04d}" for i in range(2000)]
    batch_put(client, RECORDS, ({"id": key, "n": i} for i, key in enumerate(expected)))
    with FaultProxy(kinto_any_server, seed=5) as proxy:
        for fault in (Fault.UNAVAILABLE, Fault.TOO_MANY, Fault.RESET):
            proxy.inject(fault, methods={"GET"}, rate=0.017)
        retry = RetryPolicy(sleep=lambda seconds: None)
        query = Client(proxy.url, auth=AUTH, retry=retry).bucket("b").collection("c")
        complete = sum(
            [r.id for r in query.sort("id").page_size(100)] == expected for _ in range(30)
        )
        faults = sum(count for outcome, count in proxy.counts().items() if outcome != "forwarded")
    assert complete == 30
    assert faults >= 15  # about 5% of some 630 GETs were hit


def test_a_postgresql_restart_mid_scan_is_survived(
    kinto_postgresql: Any, kinto_fresh_pg_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kinto_query")
    client = Client(kinto_fresh_pg_server, auth=AUTH)
    Bucket("b", client=client, create=True).create_collection("c")
    expected = [f"r{i:03d}" for i in range(300)]
    batch_put(client, RECORDS, ({"id": key} for key in expected))
    patient = Client(kinto_fresh_pg_server, auth=AUTH, retry=RetryPolicy(backoff=0.2))
    seen = []
    for record in patient.bucket("b").collection("c").sort("id").page_size(50):
        seen.append(record.id)
        if len(seen) == 100:
            kinto_postgresql.restart()  # Kinto answers 503 for a few requests after this
    assert seen == expected
    assert any("retrying" in line.message for line in caplog.records)  # it did meet a 503


# -- prefetch: the next page fetched while this one is consumed ---------------------------------


def test_prefetch_gives_the_same_records_in_order(hundred: str) -> None:
    todo = Client(hundred, auth=AUTH).bucket("b").collection("c")
    query = todo.sort("id").page_size(10)
    assert [r.id for r in query.prefetch()] == [r.id for r in query]
    assert [len(p.items) for p in query.prefetch().pages()] == [10] * 10


def test_prefetch_fetches_at_most_one_page_ahead_of_a_consumer_that_stops(hundred: str) -> None:
    with FaultProxy(hundred) as proxy:
        todo = Client(proxy.url, auth=AUTH).bucket("b").collection("c")
        for record in todo.sort("id").page_size(10).prefetch():
            assert record.id == "r000"
            break
        gets = [path for method, path, _ in proxy.log if method == "GET"]
        time.sleep(0.3)
        later = [path for method, path, _ in proxy.log if method == "GET"]
    # The page consumed, and perhaps the one fetched ahead (cancelled if not started yet);
    # nothing after the consumer stopped.
    assert len(gets) in (1, 2) and later == gets


def test_prefetch_raises_where_the_failure_is_and_resumes(
    behind_proxy: tuple[FaultProxy, Collection],
) -> None:
    proxy, todo = behind_proxy
    query = todo.sort("id").page_size(10).prefetch()
    proxy.inject(Fault.UNAVAILABLE, methods={"GET"}, path_contains="_token", times=1)
    seen: list[str] = []
    with pytest.raises(IncompleteScan) as caught:
        seen.extend(record.id for record in query)
    assert len(seen) == caught.value.delivered == 10  # all of page 1, then the error
    seen.extend(record.id for record in query.resume(caught.value))
    assert seen == [f"r{i:03d}" for i in range(100)]


@pytest.mark.parametrize(("etag", "timestamp"), [
    ('"1700000000000"', 1700000000000), ('W/"21"', 21), (None, None), ("not-a-time", None),
])
def test_a_pages_timestamp_is_the_int_of_its_etag(
    scripted: tuple[str, Script], etag: str | None, timestamp: int | None
) -> None:
    """Timestamps are ints across the API (as collection.timestamp()); ETags only on input."""
    url, script = scripted
    script.answers = [page([{"id": "a"}], **({"ETag": etag} if etag else {}))]
    collection = Client(url, retry=None).bucket("b").collection("todo")
    assert [p.timestamp for p in collection.pages()] == [timestamp]


@pytest.mark.parametrize("tamper", [{"skip": -5}, {"remaining": -1}, {"skip": 2.5},
                                    {"remaining": True}])
def test_a_token_with_impossible_counts_is_refused(
    behind_proxy: tuple[FaultProxy, Collection], tamper: dict[str, Any]
) -> None:
    """A token taken from a real failed scan, its counts made impossible: refused before any
    request, never a scan missing results."""
    proxy, todo = behind_proxy
    query = todo.sort("id").page_size(10).limit(40)
    proxy.inject(Fault.UNAVAILABLE, methods={"GET"}, path_contains="_token", times=1)
    with pytest.raises(IncompleteScan) as caught:
        list(query)
    position = Position.from_token(caught.value.resume_token)
    forged = dataclasses.replace(position, **tamper).token()
    proxy.log.clear()
    with pytest.raises(InvalidQuery, match="not a resume token"):
        list(query.resume(forged))
    assert proxy.log == []
