"""Client-only cost of a scan, server out of the picture: canned pages served by a requests
adapter, the contenders alternated in one run. Prints medians and ratios to the floor (a
hand-written loop that follows Next-Page and decodes JSON).

    python bench/canned.py [--records 20000] [--page 10000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import time
from collections.abc import Callable

import requests
from requests.adapters import BaseAdapter

from kinto_query import Client

SERVER = "http://bench.test/v1"
RECORDS = "/buckets/b/collections/c/records"


def make_pages(count: int, page_size: int) -> dict[str, bytes]:
    """URL -> body, each page pointing at the next as Kinto does."""
    rng = random.Random(1)
    records = [
        {"id": f"r{i:06d}", "last_modified": 1_700_000_000_000 + i, "title": f"task {i}",
         "status": rng.choice(["todo", "done"]), "priority": rng.randint(1, 5),
         "tags": rng.sample(["work", "home", "urgent", "later"], 2),
         "author": {"name": rng.choice(["ann", "bob"]), "age": rng.randint(20, 60)}}
        for i in range(count)
    ]
    pages = {}
    for start in range(0, count, page_size):
        url = SERVER + RECORDS + ("" if start == 0 else f"?_token={start}")
        pages[url] = json.dumps({"data": records[start:start + page_size]}).encode()
    return pages


class Canned(BaseAdapter):  # type: ignore[misc]
    def __init__(self, pages: dict[str, bytes], page_size: int, count: int) -> None:
        super().__init__()
        self.pages, self.page_size, self.count = pages, page_size, count

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        response = requests.Response()
        url = request.url or ""
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        start = int(url.rsplit("=", 1)[1]) if "_token=" in url else 0
        if start + self.page_size < self.count:
            response.headers["Next-Page"] = f"{SERVER}{RECORDS}?_token={start + self.page_size}"
        response.url = url
        response.request = request
        response.raw = io.BytesIO(self.pages[url])  # read as a stream, as a real answer is
        return response

    def close(self) -> None:
        pass


def session(adapter: Canned) -> requests.Session:
    s = requests.Session()
    s.mount("http://", adapter)
    return s


def floor(adapter: Canned) -> Callable[[], int]:
    s = session(adapter)

    def run() -> int:
        seen, url = 0, SERVER + RECORDS
        while url:
            answer = s.get(url)
            for record in answer.json()["data"]:
                seen += record["title"] is not None
            url = answer.headers.get("Next-Page")
        return seen

    return run


def ours(adapter: Canned) -> Callable[[], int]:
    todo = Client(SERVER, session=session(adapter)).bucket("b").collection("c")

    def run() -> int:
        return sum(record.data.title is not None for record in todo)

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--page", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    adapter = Canned(make_pages(args.records, args.page), args.page, args.records)
    contenders = {"floor": floor(adapter), "kinto_query": ours(adapter)}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, run in contenders.items():  # alternated: the machine's noise hits both
            started = time.perf_counter()
            assert run() == args.records
            times[name].append(time.perf_counter() - started)
    base = statistics.median(times["floor"])
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:12} median {median * 1000:8.1f} ms  min {min(samples) * 1000:8.1f}  "
              f"max {max(samples) * 1000:8.1f}  ratio {median / base:5.2f}")


if __name__ == "__main__":
    main()
