"""Prefetch against a live local Kinto: a consumer that spends about as long on each page as
fetching it takes, with and without prefetching, alternated; the physical limit is
max(fetching alone, consuming alone).

    python bench/prefetch.py [--records 5000] [--page 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from kinto_query import Bucket, Client, Request
from kinto_query.testing import KintoServer


def load(client: Client, count: int) -> None:
    Bucket("bench", client=client, create=True).create_collection("c", exist_ok=True)
    path = "/buckets/bench/collections/c/records"
    for start in range(0, count, 25):
        requests = [{"method": "PUT", "path": f"{path}/r{i:06d}", "body": {"data": {"n": i}}}
                    for i in range(start, min(count, start + 25))]
        client.transport.send(Request("POST", "/batch", {"requests": requests}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with KintoServer() as server:
        client = Client(server.url, auth=("bench", "bench"))
        load(client, args.records)
        query = client.bucket("bench").collection("c").sort("id").page_size(args.page)
        started = time.perf_counter()
        assert sum(1 for _ in query) == args.records
        fetch = time.perf_counter() - started
        per_record = fetch / args.records  # the consumer spends as long as fetching took

        def consume(q: object) -> float:
            started = time.perf_counter()
            for n, _ in enumerate(q, 1):  # type: ignore[call-overload]
                if n % 50 == 0:
                    time.sleep(per_record * 50)  # work that waits (I/O), as most loops do
            return time.perf_counter() - started

        times: dict[str, list[float]] = {"fetch alone": [], "consume alone": [],
                                         "without prefetch": [], "with prefetch": []}
        records = list(query)
        for _ in range(args.rounds):
            started = time.perf_counter()
            sum(1 for _ in query)
            times["fetch alone"].append(time.perf_counter() - started)
            times["consume alone"].append(consume(records))
            times["without prefetch"].append(consume(query))
            times["with prefetch"].append(consume(query.prefetch()))
        medians = {name: statistics.median(samples) for name, samples in times.items()}
        limit = max(medians["fetch alone"], medians["consume alone"])
        for name, median in medians.items():
            print(f"{name:17} median {median:6.3f} s   ratio to the limit {median / limit:5.2f}")


if __name__ == "__main__":
    main()
