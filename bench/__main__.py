"""The benchmark harness: ``make bench`` (10-15 minutes) or ``make bench QUICK=1`` (under
a minute, small N, run by CI so the harness cannot rot; numbers are never asserted).

    python -m bench [--quick] [--only WORK,...] [--out DIR]

Starts its own servers (``bench.servers``), seeds them (``bench.seed``), runs each work with
the contenders alternated (``bench.timing``, ``bench.contenders``), prints a table per work,
then the goals (``bench.goals``: each ratio beside its goal, met or missed), and writes
DIR/results.json and DIR/chart.png (DIR: bench/, or bench/quick/ in quick mode).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import aio, dask_scans, goals, remote_settings, report, scans, servers, writes
from .timing import REQUESTS, Figure

HERE = Path(__file__).resolve().parent


@dataclasses.dataclass(frozen=True)
class Plan:
    sizes: tuple[int, int, int]  # N of the chart (small, main, big)
    postgresql: int  # N on PostgreSQL
    rounds: int  # live scans
    canned_rounds: int
    rss_rounds: int
    write_rounds: int
    bulk: int  # records of a bulk create
    concurrent: int  # records of the concurrent bulk create
    page_size: int  # prefetch's pages
    rs_collections: int  # Remote Settings collections read by fetch_changed
    rs_rounds: int
    reads_rounds: int  # 100 reads over +50 ms: one by one, a round takes 100 latencies


FULL = Plan(sizes=(10_000, 20_000, 100_000), postgresql=20_000, rounds=5, canned_rounds=7,
            rss_rounds=3, write_rounds=3, bulk=2_000, concurrent=500, page_size=1_000,
            rs_collections=60, rs_rounds=5, reads_rounds=5)
QUICK = Plan(sizes=(1_000, 2_000, 5_000), postgresql=2_000, rounds=2, canned_rounds=2,
             rss_rounds=1, write_rounds=1, bulk=200, concurrent=100, page_size=200,
             rs_collections=12, rs_rounds=1, reads_rounds=1)

WORKS = ("scan", "scan-pg", "filtered", "canned", "first", "rss", "bulk", "prefetch",
         "concurrent", "partition", "dask", "remote-settings", "aio-scan", "aio-reads")
NEEDS_PG = {"scan-pg", "partition", "dask"}
SELF_CONTAINED = {"remote-settings"}


def works(plan: Plan, env: servers.Servers) -> dict[str, Callable[[], list[list[Figure]]]]:
    main, big = plan.sizes[1:]
    pg = env.postgresql
    # Prefetch hides fetch time: on PostgreSQL, where pages are cheap to ask for anywhere.
    prefetch_on = (pg, "postgresql") if pg else (env.memory, "memory")
    prefetch_n = plan.postgresql if pg else main
    return {
        "scan": lambda: [scans.full_scan(env.memory, "memory", n, plan.rounds)
                         for n in plan.sizes],
        "scan-pg": lambda: [scans.full_scan(pg, "postgresql", plan.postgresql, plan.rounds)]
        if pg else [],
        "filtered": lambda: [scans.filtered_scan(env.memory, main, plan.rounds)],
        "canned": lambda: [scans.canned_scan(n, plan.canned_rounds) for n in (main, big)],
        "first": lambda: [scans.first_record(env.memory, main, plan.rounds)],
        "rss": lambda: [scans.peak_rss(env.memory, n, plan.rss_rounds) for n in plan.sizes],
        "bulk": lambda: [writes.bulk_create(env.writes, "memory", plan.bulk, plan.write_rounds)],
        "prefetch": lambda: [scans.prefetch(*prefetch_on, prefetch_n, plan.page_size,
                                            plan.rounds)],
        "concurrent": lambda: [writes.concurrent_bulk(env.writes, "memory", plan.concurrent,
                                                      plan.write_rounds)],
        "partition": lambda: [scans.partition(env.heads, plan.postgresql, plan.rounds)]
        if pg else [],
        "dask": lambda: [dask_scans.dask_partition(env.heads, plan.postgresql, plan.rounds)]
        if pg else [],
        # Its own Remote Settings server, started and published inside the work.
        "remote-settings": lambda: [remote_settings.fetch_changed(plan.rs_collections, 10,
                                                                  plan.rs_rounds)],
        # kinto_query.aio: the scan of the sync scan's collections, and 100 reads in flight.
        "aio-scan": lambda: [aio.full_scan(env.memory, "memory", n, plan.rounds)
                             for n in plan.sizes],
        "aio-reads": lambda: [aio.reads_in_flight(env.memory, main, 100, plan.reads_rounds)],
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description="The benchmark harness.")
    parser.add_argument("--quick", action="store_true", help="small N, 1-2 rounds")
    parser.add_argument("--only", default=",".join(WORKS),
                        help=f"comma-separated works among {', '.join(WORKS)}")
    parser.add_argument("--out", type=Path, help="where results.json and chart.png go")
    args = parser.parse_args(argv)
    selected = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = set(selected) - set(WORKS)
    if unknown:
        parser.error(f"unknown works {sorted(unknown)}; choose among {', '.join(WORKS)}")
    plan, mode = (QUICK, "quick") if args.quick else (FULL, "full")
    out = args.out or (HERE / "quick" if args.quick else HERE)
    out.mkdir(parents=True, exist_ok=True)
    command = "make bench QUICK=1" if args.quick else "make bench"
    started = time.perf_counter()
    REQUESTS.install()
    need_pg = bool(NEEDS_PG & set(selected)) or "prefetch" in selected
    figures: list[Figure] = []
    durations: dict[str, float] = {}
    # The Remote Settings work starts a server of its own: alone, it needs no seeded Kinto.
    memory_sizes = [] if set(selected) <= SELF_CONTAINED else list(plan.sizes)
    with servers.running(memory_sizes, [plan.postgresql] if need_pg else []) as env:
        todo = works(plan, env)
        for work in selected:
            began = time.perf_counter()
            for group in todo[work]():
                report.print_work(group)
                figures += group
            durations[work] = round(time.perf_counter() - began, 2)
        seeding = env.seeding
    held = goals.rows(figures)
    goals.print_rows(held)
    report.write_results(out / "results.json", mode, figures, seeding, durations, command, held)
    drawn = report.chart(out / "chart.png", figures,
                         f"kinto_query benchmark ({mode}; `{command}`)")
    print(f"\n{mode} run: {time.perf_counter() - started:.0f} s in all; wrote "
          f"{out / 'results.json'}" + (f" and {out / 'chart.png'}" if drawn else ""))


if __name__ == "__main__":
    main(sys.argv[1:])
