"""The Dask work: ``query.to_dask_bag(k)`` computed on a local Dask cluster, part i read by a
worker through web head i % heads (one PostgreSQL), against one stream in this process.

The cluster (two worker processes of two threads, on 127.0.0.1) starts before the rounds,
untimed; each timed run builds the bag (``partition(k)``: two small requests), then has the
workers touch every record's title and sum, so the records stay on the workers, as in a
scale-out job. The web heads, the workers and this process share the machine's cores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .contenders import Scan, kinto_query_records, scanner
from .servers import BUCKET, collection
from .timing import Figure, Prepare, alternate

WORKERS, THREADS = 2, 2


def _titled(record: dict[str, Any]) -> int:
    return int(record["title"] is not None)


def dask_partition(heads: list[str], n: int, rounds: int, ks: tuple[int, ...] = (1, 2, 4)
                   ) -> list[Figure]:
    """One stream (``.dicts()`` in one loop) against ``to_dask_bag(k)`` for each k."""
    try:
        import distributed
    except ImportError as error:
        print(f"dask work skipped: {error} (pip install -e '.[dask]')")
        return []
    name = collection("postgresql", n)
    scan = Scan(heads[0], BUCKET, name)
    with distributed.LocalCluster(n_workers=WORKERS, threads_per_worker=THREADS,
                                  processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:

        def on_dask(k: int) -> Prepare:
            query = kinto_query_records(scan)

            def run() -> int:
                bag = query.to_dask_bag(k, servers=heads)
                return int(client.compute(bag.map(_titled).sum(), sync=True))

            return lambda _round: run

        contenders: dict[str, Prepare] = {"one stream": _same(scanner("kinto_query.dicts()",
                                                                      scan))}
        contenders.update({f"dask k={k}": on_dask(k) for k in ks})
        figures = alternate("Dask bag, to_dask_bag(k)", "postgresql", n, contenders,
                            rounds=rounds, expected=n, warm_up=True, ratio_to="one stream")
    for figure in figures:
        figure.extra.update(heads=len(heads), workers=WORKERS, threads=THREADS)
    figures[0].extra["note"] = (f"a local Dask cluster ({WORKERS} processes x {THREADS} "
                                f"threads), part i through web head i % {len(heads)} (one "
                                "PostgreSQL); ratios to one stream in this process")
    return figures


def _same(run: Callable[[], int]) -> Prepare:
    return lambda _round: run
