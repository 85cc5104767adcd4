"""The writing works: a bulk create by each contender, and kinto_query's concurrent chunks
over a link that adds latency. Every run writes into a new, empty collection of its own on a
server emptied just before (both untimed; see ``bench.servers`` for why)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from kinto_query import Client

from .contenders import AUTH, CONTENDERS, creator, new_records
from .proxy import faultproxy as _faultproxy
from .servers import BUCKET, batch_max_requests, fresh_collection
from .timing import Figure, Prepare, alternate

_names = itertools.count()


def _fresh(url: str, tag: str) -> str:
    """A new empty collection's name, on an emptied server."""
    name = f"w{next(_names)}-{tag}"
    fresh_collection(url, name)
    return name


def _writing(url: str, tag: str, n: int, write: Callable[[str, list[Any]], int]) -> Prepare:
    """Each round: a fresh collection and fresh records (untimed), then the timed write."""

    def prepare(_round: int) -> Callable[[], int]:
        name, records = _fresh(url, tag), list(new_records(n))
        return lambda: write(name, records)

    return prepare


def bulk_create(url: str, backend: str, n: int, rounds: int) -> list[Figure]:
    chunk = batch_max_requests(url)
    contenders = {name: _writing(url, name.replace("_", "-"), n,
                                 creator(name, url, BUCKET, chunk)) for name in CONTENDERS}
    # Warmed up: connections open, kinto-http's and kinto_query's one GET / of server
    # settings done, so every round counts the same requests.
    figures = alternate("bulk create", backend, n, contenders, rounds=rounds, expected=n,
                        warm_up=True)
    for figure in figures:
        figure.extra["chunk"] = chunk
    figures[0].extra["note"] = f"POST /batch in chunks of {chunk} (the server's batch_max_requests)"
    return figures


def concurrent_bulk(url: str, backend: str, n: int, rounds: int, latency: float = 0.1,
                    concurrency: int = 4) -> list[Figure]:
    """kinto_query's create_records through a loopback proxy, sequential and with
    ``concurrency`` chunks in flight, with and without ``latency`` added per request.

    Both proxies are the same code (one upstream connection per request), so the added
    latency is the only difference; ratios are to the sequential create without it."""
    faultproxy = _faultproxy()
    with faultproxy.FaultProxy(url) as near, faultproxy.FaultProxy(url, latency=latency) as far:
        contenders: dict[str, Prepare] = {}
        for link, proxy in (("no latency", near), (f"+{latency * 1000:.0f} ms", far)):
            client = Client(proxy.url, auth=AUTH)
            client.server_info()  # fetched once per client, before the clock starts
            for label, threads in (("sequential", 1), (f"concurrency={concurrency}",
                                                         concurrency)):

                def write(name: str, records: list[Any], client: Client = client,
                          threads: int = threads) -> int:
                    report = client.bucket(BUCKET).collection(name).create_records(
                        records, concurrency=threads)
                    return len(report.succeeded)

                contenders[f"{label}, {link}"] = _writing(url, "c", n, write)
        figures = alternate("concurrent bulk create (proxy)", backend, n, contenders,
                            rounds=rounds, expected=n, warm_up=True,
                            ratio_to="sequential, no latency")
    medians = {f.contender: f.median for f in figures}
    chunks = -(-n // batch_max_requests(url))
    rounds = -(-chunks // concurrency)
    # The latency each request really got: the sequential creates differ by it alone.
    added = (medians[f"sequential, +{latency * 1000:.0f} ms"]
             - medians["sequential, no latency"]) / chunks
    base = medians["sequential, no latency"]
    served = medians[f"concurrency={concurrency}, no latency"]
    # One Kinto process (one GIL) serves a round's chunks together, so they end together
    # and the next round spends its latency with the server idle: the time without latency
    # plus a latency per round. At best the latency hides all but one round's: the larger of
    # that and a latency plus one chunk per round.
    lockstep = (served + rounds * added) / base
    floor = max(served + added, rounds * (added + base / chunks)) / base
    for figure in figures:
        figure.extra.update(latency_s=latency, concurrency=concurrency, chunks=chunks,
                            rounds=rounds, added_latency_s=added, lockstep_ratio=lockstep,
                            latency_floor_ratio=floor)
    figures[0].extra["note"] = (
        f"kinto_query's create_records() through loopback proxies; ratios to the sequential "
        f"one without added latency\n  {chunks} chunks, {rounds} rounds of {concurrency}; "
        f"latency per request as measured {added * 1000:.0f} ms; expected ratio "
        f"{lockstep:.2f} if the server serves each round's chunks together (one process), "
        f"{floor:.2f} at best")
    return figures
