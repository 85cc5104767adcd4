"""The reading works: scans against live servers and canned pages, time to the first
record, peak memory, prefetch and parallel scans. Each returns its figures."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from . import canned
from .contenders import (
    AUTH,
    CONTENDERS,
    SCAN_CONTENDERS,
    TIMEOUT,
    Scan,
    kinto_query_records,
    scanner,
)
from .servers import BUCKET, ROOT, collection
from .timing import Figure, Prepare, alternate, set_ratios


def _same(run: Callable[[], int]) -> Prepare:
    """A contender whose run is the same every round."""
    return lambda _round: run


def full_scan(url: str, backend: str, n: int, rounds: int) -> list[Figure]:
    scan = Scan(url, BUCKET, collection(backend, n))
    contenders = {name: _same(scanner(name, scan)) for name in SCAN_CONTENDERS}
    return alternate("full scan", backend, n, contenders, rounds=rounds, expected=n,
                     warm_up=True)


def filtered_scan(url: str, n: int, rounds: int) -> list[Figure]:
    """Half the records (status "done"), sorted by priority."""
    scan = Scan(url, BUCKET, collection("memory", n), filters=(("status", "done"),),
                sort=("priority",))
    contenders = {name: _same(scanner(name, scan)) for name in SCAN_CONTENDERS}
    return alternate("filtered + sorted scan", "memory", n, contenders, rounds=rounds,
                     expected=n // 2, warm_up=True)


def canned_scan(n: int, rounds: int) -> list[Figure]:
    """Client-only CPU: the pages come from memory, not from a server."""
    scan = Scan(canned.SERVER, canned.BUCKET, canned.COLLECTION, adapter=canned.Canned(n))
    contenders = {name: _same(scanner(name, scan)) for name in SCAN_CONTENDERS}
    return alternate("client-only, canned pages", "canned", n, contenders, rounds=rounds,
                     expected=n, warm_up=True)


def first_record(url: str, n: int, rounds: int) -> list[Figure]:
    scan = Scan(url, BUCKET, collection("memory", n))
    contenders = {name: _same(scanner(name, scan, first=True)) for name in SCAN_CONTENDERS}
    figures = alternate("time to first record", "memory", n, contenders, rounds=rounds,
                        expected=1, warm_up=True)
    figures[0].extra["note"] = "kinto-http's get_records() returns once every page is in"
    return figures


def peak_rss(url: str, n: int, rounds: int) -> list[Figure]:
    """Each sample in a fresh process (``bench.rss``), the contenders taking turns."""
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in CONTENDERS}
    names = list(CONTENDERS)
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            done = subprocess.run(
                [sys.executable, "-m", "bench.rss", name, url, BUCKET, collection("memory", n)],
                cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"bench.rss {name} failed:\n{done.stderr[-2000:]}")
            measured = json.loads(done.stdout.splitlines()[-1])
            if measured["records"] != n:
                raise AssertionError(f"{name} handled {measured['records']} records, not {n}")
            samples[name].append(measured)
    figures = []
    for name in names:
        growth = sorted(s["growth_mb"] for s in samples[name])
        figures.append(Figure(
            "peak RSS while iterating", "memory", n, name, [s["peak_mb"] for s in samples[name]],
            unit="MB", requests=samples[name][-1]["requests"],
            extra={"growth_mb": growth[len(growth) // 2], "measure": samples[name][-1]["measure"]}))
    set_ratios(figures, "floor")
    figures[0].extra["note"] = (f"each sample a fresh process; peak RSS by "
                                f"{figures[0].extra['measure']}")
    return figures


# -- prefetch ---------------------------------------------------------------------------------


def _floor_records(scan: Scan) -> Callable[[], Iterator[dict[str, Any]]]:
    """The floor's loop as a generator, for a consumer to drive."""
    session = requests.Session()

    def records() -> Iterator[dict[str, Any]]:
        answer = session.get(scan.records_url, params=scan.params(), auth=AUTH, timeout=TIMEOUT)
        while True:
            answer.raise_for_status()
            yield from answer.json()["data"]
            next_page = answer.headers.get("Next-Page")
            if not next_page:
                return
            answer = session.get(next_page, auth=AUTH, timeout=TIMEOUT)

    return records


def prefetch(url: str, backend: str, n: int, page_size: int, rounds: int) -> list[Figure]:
    """A consumer that spends on each record about as long as fetching it costs (measured
    first, with the floor): the physical limit is max(fetching alone, consuming alone)."""
    scan = Scan(url, BUCKET, collection(backend, n), page_size=page_size)
    fetch = scanner("floor", scan)
    for _ in range(2):  # warm
        fetch()
    calibration, cpu = [], []
    for _ in range(3):
        started, on_cpu = time.perf_counter(), time.thread_time()
        fetch()
        calibration.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - on_cpu)
    every = 50  # records between two waits: work that waits (I/O), as most loops do
    pause = sorted(calibration)[1] / n * every

    def consume(records: Iterable[Any]) -> int:
        seen = 0
        for seen, _ in enumerate(records, 1):
            if seen % every == 0:
                time.sleep(pause)
        return seen

    query = kinto_query_records(scan)
    records = list(_floor_records(scan)())
    floor_records = _floor_records(scan)
    contenders: dict[str, Prepare] = {
        "fetch alone (floor)": _same(fetch),
        "consume alone": _same(lambda: consume(records)),
        "floor + consumer": _same(lambda: consume(floor_records())),
        "kinto_query + consumer": _same(lambda: consume(query)),
        "kinto_query.prefetch() + consumer": _same(lambda: consume(query.prefetch())),
        # The same without building Records: what is left is the overlap itself.
        "kinto_query.dicts().prefetch() + consumer": _same(
            lambda: consume(query.dicts().prefetch())),
    }
    figures = alternate("prefetch", backend, n, contenders, rounds=rounds, expected=n,
                        ratio_to=None)
    medians = {f.contender: f.median for f in figures}
    limit = max(medians["fetch alone (floor)"], medians["consume alone"])
    set_ratios(figures, "max(fetch, consume)", base=limit)
    pages = -(-n // page_size)
    # Nothing overlaps the first page's fetch: at best the limit plus one page of it.
    first_page = 1 + medians["fetch alone (floor)"] / pages / limit
    # The fetching thread's own CPU (reading, decoding) holds the interpreter lock: the
    # consumer cannot run meanwhile, so at best it takes consume + that CPU.
    fetch_cpu = sorted(cpu)[1]
    with_lock = max(medians["fetch alone (floor)"], medians["consume alone"] + fetch_cpu) / limit
    for figure in figures:
        figure.extra.update(page_size=page_size, limit_s=limit, first_page_ratio=first_page,
                            fetch_cpu_s=fetch_cpu, lock_bound_ratio=with_lock)
    figures[0].extra["note"] = (
        f"pages of {page_size}; ratios to the physical limit max(fetch alone, consume alone) "
        f"= {limit * 1000:.1f} ms\n  bounds: the first page's fetch, which nothing overlaps, "
        f"{first_page:.2f}; the fetch's CPU ({fetch_cpu * 1000:.0f} ms, the interpreter lock "
        f"held) not overlapping the consumer, {with_lock:.2f}")
    return figures


# -- parallel scans ---------------------------------------------------------------------------


def partition(heads: list[str], n: int, rounds: int, ks: tuple[int, ...] = (1, 2, 4)
              ) -> list[Figure]:
    """``query.partition(k)`` scanned by k threads, part i through web head i % heads.

    Each thread has its own client (a requests session is not shared across threads) and
    scans ``partition(k)[i]`` of its own query: the parts are the same on every head."""
    name = collection("postgresql", n)

    def threads(k: int) -> Callable[[], int]:
        queries = [kinto_query_records(Scan(heads[i % len(heads)], BUCKET, name))
                   for i in range(k)]

        def part(i: int) -> int:
            return sum(record.data.title is not None for record in queries[i].partition(k)[i])

        def run() -> int:
            with ThreadPoolExecutor(k) as pool:
                return sum(pool.map(part, range(k)))

        return run

    contenders = {"floor (one loop)": _same(scanner("floor", Scan(heads[0], BUCKET, name)))}
    contenders.update({f"k={k}": _same(threads(k)) for k in ks})
    figures = alternate("parallel scans, partition(k)", "postgresql", n, contenders,
                        rounds=rounds, expected=n, warm_up=True, ratio_to="k=1")
    for figure in figures:
        figure.extra["heads"] = len(heads)
    figures[0].extra["note"] = (f"k threads, part i through web head i % {len(heads)} "
                                f"(one PostgreSQL); ratios to k=1")
    return figures
