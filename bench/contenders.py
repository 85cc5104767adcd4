"""The contenders: the same job written three ways.

- ``floor``: what a user writes with requests alone: a loop that follows ``Next-Page`` and
  decodes JSON (for writes, a ``POST /batch`` loop). Nothing can do the same work for less.
- ``kinto-http``: Mozilla's client (``kinto_http.Client``), as its README shows it:
  ``get_records()`` (every page fetched, then the list returned) and ``batch()``.
- ``kinto_query``: this library, through its public API.

Every scan touches each record's title, so that no contender is timed for records it never
builds. Libraries are imported inside the functions: a child process measuring one
contender's memory loads only that contender's library.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from typing import Any

import requests
from requests.adapters import BaseAdapter

AUTH = ("bench", "s3cret")
TIMEOUT = 60
CONTENDERS = ("floor", "kinto-http", "kinto_query")
# Scans also time kinto_query's plain-JSON read (query.dicts(): no Record built).
SCAN_CONTENDERS = (*CONTENDERS, "kinto_query.dicts()")


@dataclasses.dataclass(frozen=True)
class Scan:
    """One scan of one collection: the server (``.../v1``), filters, sort and page size.

    ``adapter`` replaces the network (canned pages)."""

    url: str
    bucket: str
    collection: str
    filters: tuple[tuple[str, str], ...] = ()
    sort: tuple[str, ...] = ()
    page_size: int | None = None
    adapter: BaseAdapter | None = None

    @property
    def records_url(self) -> str:
        return f"{self.url}/buckets/{self.bucket}/collections/{self.collection}/records"

    def params(self) -> dict[str, str]:
        """Kinto's querystring for this scan (plain equality filters only)."""
        params = dict(self.filters)
        if self.sort:
            params["_sort"] = ",".join(self.sort)
        if self.page_size:
            params["_limit"] = str(self.page_size)
        return params


def scanner(name: str, scan: Scan, *, first: bool = False) -> Callable[[], int]:
    """The timed run of contender ``name``: scan, return how many records it handed out
    (``first``: stop at the first one and return 1)."""
    makers = {"floor": _floor, "kinto-http": _kinto_http, "kinto_query": _kinto_query,
              "kinto_query.dicts()": _kinto_query_dicts}
    return makers[name](scan, first)


def _session(scan: Scan) -> requests.Session:
    session = requests.Session()
    if scan.adapter is not None:
        session.mount("http://", scan.adapter)
    return session


def _floor(scan: Scan, first: bool) -> Callable[[], int]:
    session = _session(scan)

    def run() -> int:
        seen = 0
        answer = session.get(scan.records_url, params=scan.params(), auth=AUTH, timeout=TIMEOUT)
        while True:
            answer.raise_for_status()
            for record in answer.json()["data"]:
                seen += record["title"] is not None
                if first:
                    return seen
            next_page = answer.headers.get("Next-Page")
            if not next_page:
                return seen
            answer = session.get(next_page, auth=AUTH, timeout=TIMEOUT)

    return run


def _kinto_http(scan: Scan, first: bool) -> Callable[[], int]:
    from kinto_http import Client  # type: ignore[import-untyped]

    client = Client(server_url=scan.url, auth=AUTH, timeout=TIMEOUT)
    if scan.adapter is not None:
        # kinto-http keeps one requests.Session per thread (a private property): canned
        # pages are mounted on this thread's.
        client.session._session.mount("http://", scan.adapter)
    params: dict[str, Any] = dict(scan.filters)
    if scan.sort:
        params["_sort"] = ",".join(scan.sort)
    if scan.page_size:
        # With _limit, get_records() stops after one page unless told how many to follow.
        params.update(_limit=scan.page_size, pages=float("inf"))

    def run() -> int:
        records = client.get_records(bucket=scan.bucket, collection=scan.collection, **params)
        if first:
            return int(records[0]["title"] is not None)
        return sum(record["title"] is not None for record in records)

    return run


def kinto_query_records(scan: Scan, session: requests.Session | None = None) -> Any:
    """The kinto_query query of ``scan`` (a ``RecordQuery``), on a client of its own."""
    from kinto_query import Client

    if session is None and scan.adapter is not None:
        session = _session(scan)
    client = Client(scan.url, auth=AUTH, session=session)
    query = client.bucket(scan.bucket).collection(scan.collection).records()
    if scan.filters:
        query = query.filter(**dict(scan.filters))
    if scan.sort:
        query = query.sort(*scan.sort)
    if scan.page_size:
        query = query.page_size(scan.page_size)
    return query


def _kinto_query(scan: Scan, first: bool) -> Callable[[], int]:
    query = kinto_query_records(scan)

    def run() -> int:
        seen = 0
        for record in query:
            seen += record.data.title is not None
            if first:
                break
        return seen

    return run


def _kinto_query_dicts(scan: Scan, first: bool) -> Callable[[], int]:
    query = kinto_query_records(scan).dicts()

    def run() -> int:
        seen = 0
        for record in query:
            seen += record["title"] is not None
            if first:
                break
        return seen

    return run


# -- bulk create ---------------------------------------------------------------------------------


def new_records(count: int) -> Iterator[dict[str, Any]]:
    """Records to create: the seeded ones, without the server's ``last_modified``."""
    from .seed import make_records

    for record in make_records(count):
        del record["last_modified"]
        yield record


def creator(name: str, url: str, bucket: str, chunk: int) -> Callable[[str, list[Any]], int]:
    """The timed bulk create of contender ``name``: ``run(collection, records)`` returns how
    many the server created. ``chunk`` is the server's ``batch_max_requests``."""
    if name == "floor":
        session = requests.Session()

        def floor(collection: str, records: list[Any]) -> int:
            path = f"/buckets/{bucket}/collections/{collection}/records"
            created = 0
            for start in range(0, len(records), chunk):
                batch = [{"method": "PUT", "path": f"{path}/{record['id']}",
                          "body": {"data": record}, "headers": {"If-None-Match": "*"}}
                         for record in records[start:start + chunk]]
                answer = session.post(f"{url}/batch", json={"requests": batch}, auth=AUTH,
                                      timeout=TIMEOUT)
                answer.raise_for_status()
                created += sum(item["status"] == 201 for item in answer.json()["responses"])
            return created

        return floor
    if name == "kinto-http":
        from kinto_http import Client as KintoHttp

        # kinto-http logs every batch answer, successes at WARNING: quiet, or stderr floods.
        logging.getLogger("kinto_http").setLevel(logging.ERROR)
        client = KintoHttp(server_url=url, auth=AUTH, bucket=bucket, timeout=TIMEOUT)

        def kinto_http(collection: str, records: list[Any]) -> int:
            with client.batch(collection=collection) as batch:
                for record in records:
                    batch.create_record(data=record)
            return sum("data" in body for body in batch.results())

        return kinto_http
    from kinto_query import Client

    ours = Client(url, auth=AUTH)

    def kinto_query(collection: str, records: list[Any]) -> int:
        report = ours.bucket(bucket).collection(collection).create_records(records)
        return len(report.succeeded)

    return kinto_query
