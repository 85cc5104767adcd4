"""The write-outcome sweep (``make sweep``): every write path, single and bulk, on memory and
PostgreSQL, through the loopback fault proxy with faults on about 15% of requests; each
outcome judged against the server read raw. Prints a table of items misreported (0 on every
path is the bar) and fails if any is.

Misreported: reported saved (returned, or in ``succeeded``) while the server does not hold
the write, or reported failed (raised, or a conflict, failure, missing) while it does.
``OutcomeUnknown`` and a report's ``unknown`` are honest and counted apart. Not collected by
``pytest`` alone (its name): run it with ``make sweep`` (``SWEEP_RUNS=N`` for more runs).
"""

from __future__ import annotations

import collections
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kinto_query import Batch, Bucket, Client, Collection, KintoError, OutcomeUnknown
from kinto_query._retry import RetryPolicy

from .conftest import AUTH, batch_put, raw_get
from .faultproxy import Fault, FaultProxy

RUNS = int(os.environ.get("SWEEP_RUNS", "5"))
SINGLE_OPS = 20  # per single-write path and run
BULK_ITEMS = 60  # per bulk path and run
CHUNK = 5  # items per POST /batch: 12 chunks a run, so that faults meet bulk writes often
FAULTS = (Fault.UNAVAILABLE, Fault.TOO_MANY, Fault.RESET, Fault.GATEWAY_AFTER,
          Fault.RESET_AFTER, Fault.GARBLED_AFTER)
RATE = 0.027  # per fault, drawn in turn: 1 - (1 - 0.027) ** 6, about 15% of requests
RECORDS = "/buckets/s/collections/c/records"
# (backend, path) -> counts of: ops, misreported, unknown, failed honestly
TABLE: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(
    collections.Counter)


@pytest.fixture(scope="module", autouse=True)
def table() -> Iterator[None]:
    started = time.monotonic()
    yield
    print(f"\n\nwrite-outcome sweep: {RUNS} runs, faults on ~15% of requests "
          f"({', '.join(f.name for f in FAULTS)}), {time.monotonic() - started:.0f} s")
    columns = ("items", "requests", "faults", "misreported", "unknown", "failed")
    print(f"{'backend':<11}{'path':<16}" + "".join(f"{c:>12}" for c in columns))
    for (backend, path), counts in sorted(TABLE.items()):
        print(f"{backend:<11}{path:<16}" + "".join(f"{counts[c]:>12}" for c in columns))


def held(url: str) -> dict[str, dict[str, Any]]:
    """Every record of s/c as the server has it: id -> its own fields."""
    data = raw_get(url, RECORDS + "?_limit=10000")["data"]
    return {r["id"]: {k: v for k, v in r.items() if k not in ("id", "last_modified")}
            for r in data}


def tally(proxy: FaultProxy, counts: collections.Counter[str]) -> None:
    """Stop the proxy; count the requests it saw and the faults it made."""
    proxy.stop()
    seen = proxy.counts()
    counts["requests"] += sum(seen.values())
    counts["faults"] += sum(n for outcome, n in seen.items() if outcome != "forwarded")


def faulty_proxy(url: str, seed: int) -> FaultProxy:
    proxy = FaultProxy(url, seed=seed).start()
    for fault in FAULTS:
        proxy.inject(fault, rate=RATE)
    return proxy


def client_of(proxy: FaultProxy) -> Collection:
    quick = RetryPolicy(sleep=lambda seconds: None)
    return Client(proxy.url, auth=AUTH, retry=quick).bucket("s").collection("c")


def loaded(todo: Collection, record_id: str) -> Any:
    """The record read through the proxy (a read: retried here until one gets through)."""
    for _ in range(20):
        try:
            return todo.get(record_id)
        except KintoError:
            continue
    raise AssertionError(f"could not read {record_id} through the proxy")


def _create(todo: Collection, i: int) -> None:
    todo.create_record({"id": f"x{i}", "v": f"new{i}"})


def _save(todo: Collection, i: int) -> None:
    record = loaded(todo, f"e{i}")
    record.data.v = f"saved{i}"
    record.save()


def _patch(todo: Collection, i: int) -> None:
    loaded(todo, f"e{i}").patch(v=f"patched{i}")


def _update(todo: Collection, i: int) -> None:
    todo.update_record(f"e{i}", {"v": f"updated{i}"})


def _delete(todo: Collection, i: int) -> None:
    loaded(todo, f"e{i}").delete()


# What each single write claims; the expected server state, for judging, is known up front.
SINGLE: dict[str, tuple[Callable[[Collection, int], None], Callable[[int], tuple[str, Any]]]] = {
    "create_record": (_create, lambda i: (f"x{i}", {"v": f"new{i}"})),
    "record.save": (_save, lambda i: (f"e{i}", {"v": f"saved{i}"})),
    "record.patch": (_patch, lambda i: (f"e{i}", {"v": f"patched{i}"})),
    "update_record": (_update, lambda i: (f"e{i}", {"v": f"updated{i}"})),
    "record.delete": (_delete, lambda i: (f"e{i}", None)),
}


def fresh(url: str) -> None:
    client = Client(url, auth=AUTH)
    Bucket("s", client=client, create=True).create_collection("c", exist_ok=True)
    client.bucket("s").collection("c").records().delete()
    batch_put(client, RECORDS, ({"id": f"e{i}", "v": "old"} for i in range(BULK_ITEMS)))


@pytest.mark.parametrize("path", list(SINGLE))
def test_single_writes(kinto_any_server: str, path: str, request: pytest.FixtureRequest) -> None:
    url = kinto_any_server
    counts = TABLE[(request.node.callspec.params["kinto_any_server"], path)]
    action, expected_of = SINGLE[path]
    for run in range(RUNS):
        fresh(url)
        proxy = faulty_proxy(url, seed=run * 7 + len(path))
        try:
            todo = client_of(proxy)
            for i in range(SINGLE_OPS):
                record_id, expected = expected_of(i)
                try:
                    action(todo, i)
                    outcome = "ok"
                except OutcomeUnknown:
                    outcome = "unknown"
                except KintoError:
                    outcome = "failed"
                landed = held(url).get(record_id) == expected
                counts["items"] += 1
                if outcome == "unknown":
                    counts["unknown"] += 1
                elif (outcome == "ok") != landed:
                    counts["misreported"] += 1
                elif outcome == "failed":
                    counts["failed"] += 1
        finally:
            tally(proxy, counts)
    assert counts["misreported"] == 0, dict(counts)


def _bulk_create(todo: Collection, client: Client) -> Any:
    return todo.create_records(({"id": k, **v} for k, v in WANTED["create_records"]().items()),
                               raise_on_error=False, chunk_size=CHUNK)


def _bulk_save(todo: Collection, client: Client) -> Any:
    records = list(client.bucket("s").collection("c").sort("id"))  # loaded directly
    for record in records:
        record.data.v = f"bulk-{record.id}"
    return todo.save_records(records, raise_on_error=False, chunk_size=CHUNK)


def _bulk_delete(todo: Collection, client: Client) -> Any:
    return todo.delete_records(list(WANTED["delete_records"]()), raise_on_error=False,
                               chunk_size=CHUNK)


def _mixed_create(todo: Collection, client: Client) -> Any:
    batch = Batch(todo.transport, raise_on_error=False, chunk_size=CHUNK)  # client.batch()
    with batch:
        for key, value in WANTED["batch() creates"]().items():
            batch.create(todo.record({"id": key, **value}))
    return batch.report


BULK: dict[str, Callable[[Collection, Client], Any]] = {
    "create_records": _bulk_create, "save_records": _bulk_save,
    "delete_records": _bulk_delete, "batch() creates": _mixed_create}
# What each bulk path should leave on the server: id -> its own fields (None: deleted).
WANTED: dict[str, Callable[[], dict[str, Any]]] = {
    "create_records": lambda: {f"b{i}": {"v": f"bulk{i}"} for i in range(BULK_ITEMS)},
    "save_records": lambda: {f"e{i}": {"v": f"bulk-e{i}"} for i in range(BULK_ITEMS)},
    "delete_records": lambda: dict.fromkeys(f"e{i}" for i in range(BULK_ITEMS)),
    "batch() creates": lambda: {f"m{i}": {"v": f"mixed{i}"} for i in range(BULK_ITEMS)},
}


@pytest.mark.parametrize("path", list(BULK))
def test_bulk_writes(kinto_any_server: str, path: str, request: pytest.FixtureRequest) -> None:
    url = kinto_any_server
    counts = TABLE[(request.node.callspec.params["kinto_any_server"], path)]
    for run in range(RUNS):
        fresh(url)
        proxy = faulty_proxy(url, seed=run * 11 + len(path))
        wanted = WANTED[path]()
        try:
            report = BULK[path](client_of(proxy), Client(url, auth=AUTH))
        except KintoError as error:  # e.g. the server's limits unreadable: nothing sent
            report = error.report  # type: ignore[attr-defined]
        finally:
            tally(proxy, counts)
        server = held(url)
        said = {**dict.fromkeys(report.succeeded, "ok"),
                **{f.id: "unknown" for f in report.unknown},
                **{f.id: "failed" for f in (*report.conflicts, *report.missing,
                                            *report.failed)}}
        for key, expected in wanted.items():
            landed = server.get(key) == expected
            outcome = said.get(key, "failed")  # not in the report: never sent
            counts["items"] += 1
            if outcome == "unknown":
                counts["unknown"] += 1
            elif (outcome == "ok") != landed:
                counts["misreported"] += 1
            elif outcome == "failed":
                counts["failed"] += 1
    assert counts["misreported"] == 0, dict(counts)
