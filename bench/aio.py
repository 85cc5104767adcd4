"""The async works (``kinto_query.aio``): the async full scan beside the sync one, and record
reads in flight over a link that adds latency.

The async contenders take turns with the others as every work's do (``bench.timing``): each
run is ``loop.run_until_complete(...)`` on one event loop kept for the whole work, since an
async client and its connections belong to the loop they were opened on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import proxy
from .contenders import AUTH, TIMEOUT, Scan, scanner
from .servers import BUCKET, collection
from .threads import Peak, ThreadSampler
from .timing import Figure, Prepare, alternate, set_speedups


@contextlib.contextmanager
def _loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def _on(loop: asyncio.AbstractEventLoop, run: Callable[[], Awaitable[int]]) -> Prepare:
    """A contender whose timed run is ``run()`` awaited on ``loop``, the same every round."""
    return lambda _round: lambda: loop.run_until_complete(run())


# -- the async full scan ------------------------------------------------------------------------


def full_scan(url: str, backend: str, n: int, rounds: int) -> list[Figure]:
    """The sync scan's collection scanned by ``async for``: kinto_query.aio's records and
    plain JSON (``.dicts()``), and the least an async loop can do (httpx following
    ``Next-Page``); ratios to the sync kinto_query's scan, timed in the same rounds."""
    import httpx

    from kinto_query.aio import AsyncClient

    scan = Scan(url, BUCKET, collection(backend, n))
    with _loop() as loop:
        client = AsyncClient(url, auth=AUTH)
        records = client.bucket(BUCKET).collection(scan.collection).records()
        raw = httpx.AsyncClient(auth=AUTH, timeout=TIMEOUT)

        async def aio() -> int:
            seen = 0
            async for record in records:
                seen += record.data.title is not None
            return seen

        async def aio_dicts() -> int:
            seen = 0
            async for record in records.dicts():
                seen += record["title"] is not None
            return seen

        async def floor() -> int:
            seen = 0
            answer = await raw.get(scan.records_url)
            while True:
                answer.raise_for_status()
                for record in answer.json()["data"]:
                    seen += record["title"] is not None
                next_page = answer.headers.get("Next-Page")
                if not next_page:
                    return seen
                answer = await raw.get(next_page)

        sync = scanner("kinto_query", scan)
        contenders: dict[str, Prepare] = {
            "kinto_query": lambda _round: sync,
            "kinto_query.aio": _on(loop, aio),
            "kinto_query.aio .dicts()": _on(loop, aio_dicts),
            "floor (httpx)": _on(loop, floor),
        }
        try:
            figures = alternate("async full scan", backend, n, contenders, rounds=rounds,
                                expected=n, warm_up=True, ratio_to="kinto_query")
        finally:
            loop.run_until_complete(client.aclose())
            loop.run_until_complete(raw.aclose())
    figures[0].extra["note"] = ("kinto_query: the sync scan (requests); the others async "
                                "(httpx), async for; ratios to the sync scan")
    return figures


# -- reads in flight over a distant link ----------------------------------------------------------


def reads_in_flight(url: str, n: int, reads: int, rounds: int, latency: float = 0.05
                    ) -> list[Figure]:
    """``reads`` records of collection ``n`` read one request each (``GET`` of one record)
    through a loopback proxy adding ``latency`` per request: kinto_query.aio awaiting them
    one by one, then all at once (``asyncio.gather``, unbounded: every read in flight), and
    kinto-http's ``AsyncClient`` (its sync client's methods in the loop's default thread pool)
    gathered alike; and kinto_query.aio gathered at most as many in flight as kinto-http's
    pool has threads. Ratios are speedups over one by one; beside each, the most OS threads
    the process ran during the run and the CPU it spent (the proxies run in a child process:
    their threads and CPU are not counted).

    The same gather through the same proxy without latency is timed too: how long the one
    server takes to serve the reads all at once, which no concurrency hides. At best the
    gather over latency takes that plus one latency: the bound printed beside.

    The loop's default thread pool is a new one for every run (its threads start as they are
    needed): a run is counted the threads it starts, not those an earlier run left idle."""
    import kinto_http  # type: ignore[import-untyped]

    from kinto_query.aio import AsyncClient

    pool = _pool_size()
    step = n // reads
    ids = [f"r{i * step:06d}" for i in range(reads)]
    name = collection("memory", n)
    with (proxy.in_child(url, latency) as far, proxy.in_child(url, 0) as near, _loop() as loop,
          ThreadSampler() as sampler):
        default_pool = _DefaultPool(loop)
        ours, ours_near = AsyncClient(far, auth=AUTH), AsyncClient(near, auth=AUTH)
        todo = ours.bucket(BUCKET).collection(name)
        todo_near = ours_near.bucket(BUCKET).collection(name)
        theirs = kinto_http.AsyncClient(server_url=far, auth=AUTH, bucket=BUCKET,
                                        collection=name, timeout=TIMEOUT)

        async def one_by_one(ids: list[str] = ids) -> int:
            seen = 0
            for record_id in ids:
                record = await todo.get_record(record_id)
                seen += record.data.title is not None
            return seen

        def gathered(collection: Any, bound: int | None = None) -> Callable[..., Awaitable[int]]:
            """All the reads gathered, at most ``bound`` in flight (None: all of them)."""

            async def read(record_id: str, slots: asyncio.Semaphore | None) -> Any:
                if slots is None:
                    return await collection.get_record(record_id)
                async with slots:
                    return await collection.get_record(record_id)

            async def run(ids: list[str] = ids) -> int:
                slots = None if bound is None else asyncio.Semaphore(bound)
                records = await asyncio.gather(*(read(i, slots) for i in ids))
                return sum(record.data.title is not None for record in records)

            return run

        async def kinto_http_gathered(ids: list[str] = ids) -> int:
            records = await asyncio.gather(*(theirs.get_record(id=i) for i in ids))
            return sum(record["data"]["title"] is not None for record in records)

        peaks: dict[str, list[Peak]] = {}
        # The process's CPU per run: every thread's but the sampler's.
        cpus: dict[str, list[float]] = {}

        def sampled(label: str, run: Callable[..., Awaitable[int]]) -> Prepare:
            def prepare(_round: int) -> Callable[[], int]:
                # Untimed: the last run's pool gone (threads joined), a new empty one set.
                default_pool.renew()

                def timed() -> int:
                    cpu = time.process_time()
                    with sampler.peak() as peak:
                        seen = loop.run_until_complete(run())
                    peaks.setdefault(label, []).append(peak)
                    cpus.setdefault(label, []).append(time.process_time() - cpu
                                                      - peak.sampler_cpu)
                    return seen

                return timed

            return prepare

        runs: dict[str, Callable[..., Awaitable[int]]] = {
            "one by one": one_by_one,
            "asyncio.gather, unbounded": gathered(todo),
            # kinto-http's concurrency (its pool's threads), for the same clients compared.
            f"asyncio.gather, at most {pool} in flight": gathered(todo, pool),
            "kinto-http": kinto_http_gathered,
            "asyncio.gather, no latency": gathered(todo_near),
        }
        try:
            # Warm, untimed, with a tenth of the reads (one by one, a full warm-up would
            # take 100 latencies): every client's first reads, imports and caches done. The
            # rounds open connections anyway: httpx keeps 20 of its 100, and kinto-http's
            # sessions go with the threads of each run's new pool.
            for run in runs.values():
                default_pool.renew()
                loop.run_until_complete(run(ids[: max(1, reads // 10)]))
            figures = alternate(f"{reads} reads in flight (proxy)", "memory", reads,
                                {label: sampled(label, run) for label, run in runs.items()},
                                rounds=rounds, expected=reads, ratio_to=None)
        finally:
            loop.run_until_complete(ours.aclose())
            loop.run_until_complete(ours_near.aclose())
            default_pool.close()
    set_speedups(figures, "one by one")
    medians = {f.contender: f.median for f in figures}
    served = medians["asyncio.gather, no latency"]
    # Every read in flight at once: one latency, then the server serving them all.
    best = medians["one by one"] / (served + latency)
    for figure in figures:
        figure.extra.update(peak_threads=max(p.most for p in peaks[figure.contender]),
                            threads_before=min(p.before for p in peaks[figure.contender]),
                            latency_s=latency, reads=reads, per_read_s=figure.median / reads,
                            served_s=served, best_speedup=best,
                            cpu_s=statistics.median(cpus[figure.contender]))
    figures[0].extra["note"] = (
        f"GET of one record each, through a loopback proxy adding {latency * 1000:.0f} ms per "
        f"request (the last row: the same proxy without); ratios: one by one's time over each "
        f"(a speedup)\n  one by one: {medians['one by one'] / reads * 1000:.1f} ms a read; "
        f"gather: unbounded (all {reads} in flight, over httpx's pool of 100 connections); "
        f"kinto-http: kinto_http.AsyncClient (its sync\n  client in the loop's default pool of "
        f"{pool} threads), gathered alike; CPU: this process's, every thread's but the "
        f"sampler's\n  the one server serves the {reads} reads gathered in "
        f"{served * 1000:.0f} ms: at best the gather over latency takes that plus one latency, "
        f"a speedup of {best:.1f}")
    return figures


def _pool_size() -> int:
    """The default thread pool's size (``ThreadPoolExecutor()``'s documented default)."""
    return min(32, (os.cpu_count() or 1) + 4)


class _DefaultPool:
    """The loop's default thread pool (what ``run_in_executor(None, ...)`` uses: kinto-http's
    AsyncClient, asyncio's ``getaddrinfo``), renewed between runs."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pool: ThreadPoolExecutor | None = None

    def renew(self) -> None:
        """Join the current pool's threads, and give the loop a new, empty pool."""
        self.close()
        self.pool = ThreadPoolExecutor()
        self.loop.set_default_executor(self.pool)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None
