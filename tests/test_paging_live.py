"""Live tests: what a cassette cannot show - memory over a many-page scan, 1,000+ pages."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import pytest

from kinto_query import Client, UnsafeURL

from .conftest import RequestLog, batch_put, put

RECORDS_PATH = "/buckets/live/collections/{}/records"


@pytest.fixture(scope="module")
def live_client(kinto_server: str) -> Client:
    client = Client(kinto_server, auth=("alice", "s3cret"))
    put(client, "/buckets/live")
    return client


def test_memory_stays_near_one_page(live_client: Client) -> None:
    put(live_client, "/buckets/live/collections/big")
    padding = "x" * 1000
    batch_put(
        live_client,
        RECORDS_PATH.format("big"),
        ({"id": f"r{i:05d}", "n": i, "body": padding} for i in range(3000)),
    )
    query = live_client.bucket("live").collection("big").sort("n").page_size(200)

    def peak(run: Callable[[], object]) -> int:
        gc.collect()
        tracemalloc.start()
        run()
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    seen: list[int] = []

    def stream() -> None:
        for expected, record in enumerate(query):
            assert record.data.n == expected
            seen.append(1)

    one_page = peak(lambda: list(query.limit(200)))
    streamed = peak(stream)
    whole = peak(lambda: list(query))
    assert len(seen) == 3000
    print(f"\npeaks: one page {one_page / 1e6:.2f} MB, streaming 15 pages {streamed / 1e6:.2f} MB,"
          f" holding all {whole / 1e6:.2f} MB")
    assert streamed < 1.5 * one_page
    assert streamed < whole / 3


def test_a_thousand_pages_in_order(live_client: Client) -> None:
    put(live_client, "/buckets/live/collections/many")
    batch_put(live_client, RECORDS_PATH.format("many"), ({"id": f"m{i:04d}", "n": i}
                                                         for i in range(1050)))
    query = live_client.bucket("live").collection("many").sort("n").page_size(1)
    pages = 0
    previous = -1
    for page in query.pages():
        pages += 1
        (record,) = page.items
        assert record.data.n == previous + 1
        previous = record.data.n
    assert (pages, previous) == (1050, 1049)

    # The request counts, on this larger collection.
    log = RequestLog(live_client.session, live_client.server_url)
    many = live_client.bucket("live").collection("many")
    assert [r.data.n for r in many.sort("n").page_size(10).limit(25)] == list(range(25))
    assert len(log.sent) == 3
    log.clear()
    assert len(list(many.sort("n").limit(10))) == 10
    assert log.sent == [("GET", "/buckets/live/collections/many/records?_sort=n&_limit=10")]


def test_next_page_on_another_host_is_not_followed(live_client: Client, kinto_server: str) -> None:
    # Kinto builds Next-Page from the Host header it received: a real server, told it is
    # "elsewhere.example", sends a Next-Page pointing there (as a proxy misconfiguration would).
    put(live_client, "/buckets/live/collections/two")
    batch_put(live_client, RECORDS_PATH.format("two"), ({"id": f"t{i}"} for i in range(2)))
    fooled = Client(kinto_server, auth=("alice", "s3cret"), headers={"Host": "elsewhere.example"})
    pages = fooled.bucket("live").collection("two").page_size(1).pages()
    first = next(pages)
    assert first.next_page is not None and first.next_page.startswith("http://elsewhere.example/")
    with pytest.raises(UnsafeURL, match="would send your credentials elsewhere"):
        next(pages)
