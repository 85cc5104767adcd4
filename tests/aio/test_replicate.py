"""Tests of _server/_async/replicate.py: replicate() awaited, copying a collection into another one
(another server, the same), incrementally with ``since``, its report the sync one; what the
servers hold is read raw."""

from __future__ import annotations

from typing import Any

import pytest

from kinto_query import Client, ReplicationReport
from kinto_query.aio import AsyncClient, replicate

from ..conftest import AUTH, raw, raw_put_record

pytestmark = pytest.mark.anyio

SOURCE = "/buckets/w/collections/todo"
COPY = "/buckets/copy/collections/todo"


def contents(url: str, path: str) -> dict[str, dict[str, Any]]:
    answer = raw("GET", url, f"{path}/records")
    answer.raise_for_status()
    return {r["id"]: {k: v for k, v in r.items() if k != "last_modified"}
            for r in answer.json()["data"]}


async def test_a_copy_then_only_what_changed_since(kinto_fresh_server: str) -> None:
    url = kinto_fresh_server
    Client(url, auth=AUTH).bucket("w").create(exist_ok=True).create_collection("todo")
    for n in range(30):
        raw_put_record(url, f"r{n:02}", {"n": n})
    async with AsyncClient(url, auth=AUTH) as client:
        source = client.bucket("w").collection("todo")
        target = client.bucket("copy").collection("todo")
        report = await replicate(source, target, chunk_size=7, concurrency=2, page_size=10)
        assert isinstance(report, ReplicationReport) and report.ok
        assert (report.read, report.created, report.updated, report.deleted) == (30, 30, 0, 0)
        assert contents(url, COPY) == contents(url, SOURCE)

        raw_put_record(url, "r05", {"n": 500})
        assert raw("DELETE", url, f"{SOURCE}/records/r07").ok
        later = await replicate(source, target, since=report.timestamp)
        assert (later.read, later.updated, later.deleted) == (2, 1, 1)
        assert later.summary().startswith("read 2 changes: 0 created, 1 updated, 1 deleted")
        assert contents(url, COPY) == contents(url, SOURCE)

        with pytest.raises(ValueError, match="source and target are the same collection"):
            await replicate(source, source)
        with pytest.raises(TypeError, match="replicate\\(\\) copies a AsyncCollection into a "
                           "AsyncCollection; target is Collection"):
            await replicate(source, Client(url).bucket("copy").collection("todo"))  # type: ignore[arg-type]
