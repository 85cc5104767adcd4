"""Retries, Backoff, Alert and deadlines (kinto_query/_retry.py and the transport's use of it).

The answers here come from a tiny scripted HTTP server on 127.0.0.1, written by hand: a real
Kinto cannot be made to answer 503 or reset a connection on demand. The same behaviours are
checked against a real Kinto behind the fault proxy in test_faults.py.
"""

from __future__ import annotations

import gzip
import json
import pickle
import time
import warnings
from typing import Any

import pytest
import requests

from kinto_query import (
    AlreadyExists,
    BackoffRequested,
    Bucket,
    Client,
    IncompleteScan,
    KintoConnectionError,
    NotFound,
    PreconditionFailed,
    Request,
    ServerError,
    TooManyRequests,
    UnsafeURL,
)
from kinto_query._queries.scan import Position
from kinto_query._retry import RetryPolicy, applied, idempotent, retry_after_seconds
from kinto_query._wire._blocking.transport import Transport
from kinto_query._wire.policy import KintoAlert
from kinto_query.testing import KintoServer

from .conftest import WIRE_OK, Script, WireAnswer
from .faultproxy import Fault, FaultProxy

OK: WireAnswer = WIRE_OK


def kinto_error(status: int, errno: int, **headers: str) -> WireAnswer:
    body = json.dumps({"code": status, "errno": errno, "error": "x", "message": "m"}).encode()
    return (status, {"Content-Type": "application/json", **headers}, body)


GATEWAY: WireAnswer = (502, {"Content-Type": "text/html"}, b"<html>Bad Gateway</html>")


class Sleeps(list[float]):
    """An injectable sleep that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(url: str, sleeps: Sleeps, **policy: Any) -> Client:
    retry = RetryPolicy(sleep=sleeps, random=lambda: 1.0, **policy)
    return Client(url, auth=("alice", "s3cret"), retry=retry)


# -- the policy, pure -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (Request("GET", "/buckets"), True),
        (Request("HEAD", "/buckets/b/collections/c/records"), True),
        (Request("PUT", "/buckets/b", {"data": {}}), True),
        (Request("DELETE", "/buckets/b"), True),
        (Request("PATCH", "/buckets/b", {"data": {}}, {"If-Match": '"1"'}), True),
        (Request("PATCH", "/buckets/b", {"data": {}}), False),
        (Request("POST", "/batch", {"requests": []}), False),
        (Request("POST", "/batch", {"requests": [{"method": "GET", "path": "/b"}]}), True),
        (Request("POST", "/batch", {"requests": [{"method": "GET", "path": "/b"},
                                                 {"method": "PUT", "path": "/b"}]}), False),
        (Request("POST", "/buckets/b/collections/c/records", {"data": {}}), False),
    ],
)
def test_only_requests_safe_to_repeat_are_idempotent(request_: Request, expected: bool) -> None:
    assert idempotent(request_) is expected


def test_waits_grow_with_full_jitter_and_are_capped() -> None:
    policy = RetryPolicy(backoff=0.5, max_wait=3.0, random=lambda: 1.0)
    assert [policy.wait(n, None) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert RetryPolicy(backoff=1.0, random=lambda: 0.25).wait(2, None) == 1.0


def test_retry_after_is_honoured_up_to_max_wait() -> None:
    policy = RetryPolicy(max_wait=5.0)
    assert policy.wait(0, 2.0) == 2.0
    assert policy.wait(0, 60.0) == 5.0


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds("Thu, 01 Jan 1970 00:01:00 GMT", now=30.0) == 30.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_a_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)


def test_applied_tells_a_write_that_landed_from_one_that_did_not() -> None:
    put = Request("PUT", "/buckets/b", {"data": {"a": 1}}, {"If-None-Match": "*"})
    assert applied(put, {"data": {"id": "b", "a": 1, "last_modified": 5}})
    assert not applied(put, {"data": {"id": "b", "a": 2, "last_modified": 5}})
    patch = Request("PATCH", "/buckets/b", {"data": {"a": 1}}, {"If-Match": '"4"'})
    assert applied(patch, {"data": {"a": 1, "other": True}})
    grant = Request("PATCH", "/buckets/b", {"permissions": {"read": ["x"]}}, {"If-Match": '"4"'})
    assert applied(grant, {"data": {}, "permissions": {"read": ["x"], "write": ["me"]}})
    assert not applied(grant, {"data": {}, "permissions": {"read": []}})
    delete = Request("DELETE", "/buckets/b", None, {"If-Match": '"4"'})
    assert applied(delete, None)
    json_patch = Request("PATCH", "/buckets/b", [{"op": "remove", "path": "/data/a"}])
    assert not applied(json_patch, {"data": {}})


# -- the transport retrying, against the scripted server --------------------------------------


def test_a_read_is_retried_on_503_and_429_then_succeeds(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = [kinto_error(503, 201, **{"Retry-After": "2"}), kinto_error(429, 117), OK]
    sleeps = Sleeps()
    response = client_for(url, sleeps).transport.send(Request("GET", "/buckets/b"))
    assert response.status == 200
    assert len(script.seen) == 3
    assert sleeps == [2.0, 0.5]  # Retry-After, then the backoff of the second retry


def test_a_reset_connection_is_retried(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = ["reset", OK]
    sleeps = Sleeps()
    assert client_for(url, sleeps).transport.send(Request("GET", "/buckets/b")).status == 200
    assert len(script.seen) == 2


def test_retries_stop_after_the_attempts(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = [kinto_error(503, 201)] * 5
    sleeps = Sleeps()
    with pytest.raises(ServerError, match="503"):
        client_for(url, sleeps, attempts=3).transport.send(Request("GET", "/buckets/b"))
    assert len(script.seen) == 3
    assert len(sleeps) == 2


def test_retries_stop_when_the_total_time_would_pass(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = [kinto_error(429, 117, **{"Retry-After": "30"}), OK]
    sleeps = Sleeps()
    with pytest.raises(TooManyRequests):
        client_for(url, sleeps, total=10.0, max_wait=60.0).transport.send(Request("GET", "/"))
    assert sleeps == []


def test_a_post_is_never_retried(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = [GATEWAY, OK]
    with pytest.raises(ServerError, match="502"):
        client_for(url, Sleeps()).transport.send(Request("POST", "/batch", {"requests": []}))
    assert len(script.seen) == 1


def test_no_retry_when_the_client_says_none(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = [kinto_error(503, 201), OK]
    with pytest.raises(ServerError):
        Client(url, retry=None).transport.send(Request("GET", "/buckets/b"))
    assert len(script.seen) == 1


def test_a_create_applied_before_a_gateway_error_is_a_success(
    scripted: tuple[str, Script],
) -> None:
    url, script = scripted
    stored = {"data": {"id": "b", "a": 1, "last_modified": 7}, "permissions": {"write": ["me"]}}
    # The gateway lost the first answer; the retry meets the object the first attempt made.
    script.answers = [GATEWAY, kinto_error(412, 114),
                      (200, {"Content-Type": "application/json"}, json.dumps(stored).encode())]
    request = Request("PUT", "/buckets/b", {"data": {"a": 1}}, {"If-None-Match": "*"})
    response = client_for(url, Sleeps()).transport.send(request)
    assert response.json() == stored
    assert [seen[0] for seen in script.seen] == ["PUT", "PUT", "GET"]


def test_a_create_refused_for_someone_elses_object_stays_refused(
    scripted: tuple[str, Script],
) -> None:
    url, script = scripted
    theirs = {"data": {"id": "b", "a": 2, "last_modified": 7}}
    script.answers = [GATEWAY, kinto_error(412, 114),
                      (200, {"Content-Type": "application/json"}, json.dumps(theirs).encode())]
    request = Request("PUT", "/buckets/b", {"data": {"a": 1}}, {"If-None-Match": "*"})
    with pytest.raises(AlreadyExists):
        client_for(url, Sleeps()).transport.send(request)


def test_a_412_without_an_earlier_unknown_outcome_is_not_second_guessed(
    scripted: tuple[str, Script],
) -> None:
    url, script = scripted
    script.answers = [kinto_error(412, 114)]
    request = Request("PUT", "/buckets/b", {"data": {"a": 1}}, {"If-Match": '"3"'})
    with pytest.raises(PreconditionFailed):
        client_for(url, Sleeps()).transport.send(request)
    assert len(script.seen) == 1


def test_a_delete_applied_before_a_reset_is_a_success(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    gone = (404, {"Content-Type": "application/json"},
            b'{"code": 404, "errno": 110, "details": {"id": "b", "resource_name": "bucket"}}')
    script.answers = ["reset", gone, gone]
    response = client_for(url, Sleeps()).transport.send(Request("DELETE", "/buckets/b"))
    assert response.status == 200


# -- Backoff, Alert, deadline ------------------------------------------------------------------


def test_backoff_is_waited_out_before_the_next_request(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = [(200, {"Backoff": "5", "Content-Type": "application/json"}, b"{}"), OK]
    sleeps = Sleeps()
    transport = client_for(url, sleeps).transport
    transport.send(Request("GET", "/"))
    assert sleeps == []
    transport.send(Request("GET", "/"))
    assert len(sleeps) == 1 and 4.0 < sleeps[0] <= 5.0


def test_backoff_can_raise_instead(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = [(200, {"Backoff": "30", "Content-Type": "application/json"}, b"{}")]
    client = Client(url, on_backoff="raise")
    client.transport.send(Request("GET", "/"))
    with pytest.raises(BackoffRequested, match="back off") as caught:
        client.transport.send(Request("GET", "/"))
    assert 29 < caught.value.seconds <= 30
    assert len(script.seen) == 1


def test_an_alert_warns_once_per_process(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    alert = json.dumps({"code": "soft-eol", "message": "v1 ends soon", "url": "https://x.test"})
    answer = (200, {"Alert": alert, "Content-Type": "application/json"}, b"{}")
    script.answers = [answer, answer]
    transport = Client(url).transport
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        transport.send(Request("GET", "/"))
        transport.send(Request("GET", "/"))
    alerts = [w for w in caught if issubclass(w.category, KintoAlert)]
    assert len(alerts) == 1
    assert "v1 ends soon" in str(alerts[0].message)


def test_a_trickling_answer_is_cut_at_the_deadline(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = [(200, {"Content-Type": "application/json"}, b'{"data": {}}' * 20)]
    script.trickle = 0.05  # 240 bytes at 20 bytes/s: 12 s, each read well within the timeout
    client = Client(url, timeout=(1, 1), deadline=0.5, retry=None)
    started = time.monotonic()
    with pytest.raises(KintoConnectionError, match=r"0\.5 s deadline"):
        client.transport.send(Request("GET", "/"))
    assert time.monotonic() - started < 2


# -- security -----------------------------------------------------------------------------------


def test_a_backslash_url_cannot_smuggle_another_port() -> None:
    transport = Transport("http://127.0.0.1:2222/v1")
    # urllib reads port 2222 here; urllib3, which connects, reads 1111.
    with pytest.raises(UnsafeURL):
        transport.url("http://127.0.0.1:1111\\@127.0.0.1:2222/v1/buckets")


def test_errors_pickle_without_credentials(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answers = [kinto_error(503, 201)]
    client = Client(url, auth=("alice", "t0p-s3cret"), retry=None)
    with pytest.raises(ServerError) as caught:
        client.transport.send(Request("PUT", "/accounts/alice", {"data": {"password": "pw"}}))
    data = pickle.dumps(caught.value)
    assert b"t0p-s3cret" not in data and b"password" not in data
    assert str(pickle.loads(data)) == str(caught.value)
    lost = Client("http://127.0.0.1:9/v1", auth=("alice", "t0p-s3cret"), retry=None)
    with pytest.raises(KintoConnectionError) as refused:
        lost.server_info()
    copy = pickle.loads(pickle.dumps(refused.value))
    assert str(copy) == str(refused.value)
    assert b"t0p-s3cret" not in pickle.dumps(refused.value)


def test_basic_auth_over_plain_http_to_another_host_warns() -> None:
    with pytest.warns(UserWarning, match="in clear"):
        Client("http://kinto.example.com/v1", auth=("alice", "s3cret"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Client("http://127.0.0.1:8888/v1", auth=("alice", "s3cret"))
        Client("https://kinto.example.com/v1", auth=("alice", "s3cret"))


@pytest.mark.live
def test_a_real_kinto_asking_to_back_off_is_honoured() -> None:
    """KINTO_BACKOFF makes a real Kinto send ``Backoff`` on every answer."""
    with KintoServer(settings={"backoff": 2}) as server:
        sleeps = Sleeps()
        client = Client(server.url, retry=RetryPolicy(sleep=sleeps))
        client.transport.send(Request("GET", "/"))
        client.transport.send(Request("GET", "/"))
        assert len(sleeps) == 1 and 1.0 < sleeps[0] <= 2.0
        raising = Client(server.url, on_backoff="raise")
        raising.transport.send(Request("GET", "/"))
        with pytest.raises(BackoffRequested):
            raising.transport.send(Request("GET", "/"))


# -- review findings: each pinned --------------------------------------------------------------


def test_a_revoke_that_did_not_land_is_not_applied() -> None:
    revoke = Request("PATCH", "/buckets/b", {"permissions": {"read": []}}, {"If-Match": '"4"'})
    held = {"data": {}, "permissions": {"read": ["system.Everyone"]}}
    assert not applied(revoke, held)
    grant = Request("PATCH", "/buckets/b", {"permissions": {"write": ["a"]}}, {"If-Match": '"4"'})
    assert applied(grant, {"data": {}, "permissions": {"write": ["a", "me"]}})


def test_a_list_delete_is_not_retried_but_an_object_delete_is() -> None:
    assert not idempotent(Request("DELETE", "/buckets/b/collections/c/records?status=done"))
    assert not idempotent(Request("DELETE", "/buckets/b/collections/c/records"))
    assert idempotent(Request("DELETE", "/buckets/b/collections/c/records/r1"))


@pytest.mark.parametrize("value", ["²", "1²", "٣"])
def test_digits_that_are_not_ascii_are_no_number(value: str) -> None:
    assert retry_after_seconds(value) is None


def test_a_gzip_answer_is_decoded(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    body = gzip.compress(b'{"data": {"id": "b"}}')
    script.answers = [(200, {"Content-Type": "application/json", "Content-Encoding": "gzip"},
                       body)]
    assert Client(url).transport.send(Request("GET", "/buckets/b")).json() == {
        "data": {"id": "b"}}


def test_an_unsure_read_that_meets_a_404_is_not_read_back(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    gone = (404, {"Content-Type": "application/json"},
            b'{"code": 404, "errno": 110, "details": {"id": "b", "resource_name": "bucket"}}')
    script.answers = ["reset", gone]
    with pytest.raises(NotFound):
        client_for(url, Sleeps()).transport.send(Request("GET", "/buckets/b"))
    assert len(script.seen) == 2


@pytest.mark.live
def test_a_create_whose_answer_was_lost_returns_the_record(kinto_fresh_server: str) -> None:
    """Live, through the fault proxy: the server applied the create, the gateway lost the
    answer; the retry meets our own record, and the read-back (the right URL) says so."""
    Bucket("b", client=Client(kinto_fresh_server, auth=("alice", "s3cret")), create=True
           ).create_collection("c")
    with FaultProxy(kinto_fresh_server) as proxy:
        todo = client_for(proxy.url, Sleeps()).bucket("b").collection("c")
        proxy.fail_next(Fault.GATEWAY_AFTER, methods={"PUT"})
        record = todo.create_record({"id": "r1", "title": "mine"})
        assert record.last_modified is not None
        paths = [path for method, path, _ in proxy.log if method == "GET"]
        assert paths == ["/v1/buckets/b/collections/c/records/r1"]


@pytest.mark.live
def test_a_lost_delete_meeting_another_write_stays_refused(kinto_fresh_server: str) -> None:
    """The delete is lost (reset, not applied); meanwhile someone changes the record; the
    retry is refused (412) and the read-back shows the record still there: the refusal
    stands, nothing is called deleted."""
    alice = Client(kinto_fresh_server, auth=("alice", "s3cret"))
    Bucket("b", client=alice, create=True).create_collection("c")
    path = "/buckets/b/collections/c/records/r1"

    def someone_edits(seconds: float) -> None:
        requests.put(kinto_fresh_server + path, json={"data": {"title": "theirs"}},
                     auth=("alice", "s3cret"), timeout=10)

    with FaultProxy(kinto_fresh_server) as proxy:
        retry = RetryPolicy(sleep=someone_edits, random=lambda: 1.0)
        todo = Client(proxy.url, auth=("alice", "s3cret"), retry=retry).bucket("b").collection("c")
        record = todo.create_record({"id": "r1", "title": "mine"})
        proxy.fail_next(Fault.RESET, methods={"DELETE"})
        with pytest.raises(PreconditionFailed):
            record.delete()
    assert requests.get(kinto_fresh_server + path, auth=("alice", "s3cret"),
                        timeout=10).json()["data"]["title"] == "theirs"


def test_a_scan_stopped_by_backoff_can_be_resumed(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    first = (200, {"Content-Type": "application/json", "Backoff": "30",
                   "Next-Page": url + "/buckets/b/collections/c/records?_token=2"},
             b'{"data": [{"id": "a"}]}')
    script.answers = [first]
    query = Client(url, on_backoff="raise").bucket("b").collection("c")
    seen: list[str] = []
    with pytest.raises(IncompleteScan) as caught:
        seen.extend(r.id for r in query)
    assert seen == ["a"] and isinstance(caught.value.cause, BackoffRequested)
    assert "_token=2" in Position.from_token(caught.value.resume_token).url


def test_a_bulk_write_stopped_by_backoff_says_the_chunk_was_not_sent(
    scripted: tuple[str, Script],
) -> None:
    url, script = scripted
    answers = json.dumps({"responses": [{"status": 201, "body": {"data": {"id": f"r{i}"}}}
                                        for i in range(2)]}).encode()
    script.answers = [(200, {"Content-Type": "application/json"},
                       b'{"settings": {"batch_max_requests": 2}}'),
                      (200, {"Content-Type": "application/json", "Backoff": "30"}, answers)]
    todo = Client(url, on_backoff="raise").bucket("b").collection("c")
    with pytest.raises(BackoffRequested) as caught:
        todo.create_records({"id": f"r{i}"} for i in range(5))
    report = caught.value.report  # type: ignore[attr-defined]
    assert report.succeeded == ["r0", "r1"]
    assert [(f.id, f.message) for f in report.failed] == [
        ("r2", "not sent: the server asked to back off"),
        ("r3", "not sent: the server asked to back off")]
    assert len(script.seen) == 2  # GET /v1/ and the first batch: nothing more went out
