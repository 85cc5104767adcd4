"""Benchmark: a full scan through kinto_query against a hand-written requests loop.

Both follow Next-Page over the same collection on a local Kinto (memory backend), in the same
run, alternating, best of several rounds; printed as ratios to the hand-written baseline.
Run: make bench (or python bench/paging.py [records]).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import requests

from kinto_query import Bucket, Client
from kinto_query.testing import KintoServer

AUTH = ("alice", "s3cret")


def raw_scan(url: str, limit: int | None) -> int:
    """The baseline: what a user would write with requests alone."""
    session = requests.Session()
    params = {"_sort": "id", **({"_limit": str(limit)} if limit else {})}
    response = session.get(url, params=params, auth=AUTH, timeout=60)
    seen = 0
    while True:
        response.raise_for_status()
        seen += len(response.json()["data"])
        next_page = response.headers.get("Next-Page")
        if not next_page:
            return seen
        response = session.get(next_page, auth=AUTH, timeout=60)


def best_of(rounds: int, run: Callable[[], int], expected: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        assert run() == expected
        times.append(time.perf_counter() - started)
    return min(times)


def main(count: int = 5000, rounds: int = 5) -> None:
    with KintoServer() as server:
        client = Client(server.url, auth=AUTH)
        todo = Bucket("bench", client=client, create=True).create_collection("todo")
        started = time.perf_counter()
        todo.create_records({"id": f"r{i:06d}", "n": i, "title": f"todo {i}"}
                            for i in range(count))
        load = time.perf_counter() - started
        print(f"loaded {count} records in {load:.1f} s ({count / load:.0f}/s, server-bound)")
        records_url = server.url + "/buckets/bench/collections/todo/records"
        for page in (None, 1000):
            query = todo.sort("id") if page is None else todo.sort("id").page_size(page)
            baseline = best_of(rounds, lambda p=page: raw_scan(records_url, p), count)
            ours = best_of(rounds, lambda q=query: sum(1 for _ in q), count)
            label = "server's default page" if page is None else f"pages of {page}"
            print(f"full scan, {label}: requests loop {baseline * 1000:.0f} ms (1.00), "
                  f"kinto_query {ours * 1000:.0f} ms ({ours / baseline:.2f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
