"""What one record of a scan costs the client: memory and CPU per record, and client-only CPU
on canned pages with each JSON decoder. No server: a few seconds.

    python -m bench.record_cost [N ...]

- bytes per record held (tracemalloc, beyond the decoded JSON object it keeps), as built and
  once ``record.data`` was read;
- nanoseconds per record (best of several rounds, garbage collector off) to build it and drop
  it, unread or with ``record.data.title`` read, beside popping the bare JSON object;
- CPU seconds of a canned scan of N records (``bench.canned``; default 20,000 and 100,000)
  for each contender, with msgspec (when installed) and with ``json`` alone
  (``KINTO_QUERY_FAST_JSON=0``), as ratios to the floor (which always uses ``json``).

CPU time (``time.process_time``), not wall time: other work on the machine moves it less.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from . import canned
from .contenders import SCAN_CONTENDERS, Scan, kinto_query_records, scanner
from .seed import make_records

PAGE = 10_000


def _factory() -> Callable[[dict[str, Any], Any, Any], Any]:
    scan = Scan(canned.SERVER, canned.BUCKET, canned.COLLECTION, adapter=canned.Canned(1))
    return kinto_query_records(scan)._factory  # type: ignore[no-any-return]


def bytes_per_record(body: bytes, read: bool) -> float:
    """Bytes held by PAGE records beyond their decoded objects, per record."""
    factory = _factory()
    objects = json.loads(body)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    records = [factory(obj, None, None) for obj in objects]
    if read:
        for record in records:
            record.data  # noqa: B018 - the view made on first read
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del records
    return held / PAGE - 8  # the list's own slot


def ns_per_record(body: bytes, rounds: int = 15) -> dict[str, float]:
    """Best time per record to build and drop it (unread, read), and to pop the bare object."""
    factory = _factory()

    def unread(objects: list[Any]) -> None:
        while objects:
            factory(objects.pop(), None, None)

    def read(objects: list[Any]) -> None:
        while objects:
            factory(objects.pop(), None, None).data.title  # noqa: B018

    def bare(objects: list[Any]) -> None:
        while objects:
            objects.pop()["title"]

    best = {"JSON object alone": 1e9, "record, unread": 1e9, "record, data.title read": 1e9}
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            for name, run in zip(best, (bare, unread, read), strict=True):
                objects = json.loads(body)
                objects.reverse()
                started = time.perf_counter()
                run(objects)
                best[name] = min(best[name], time.perf_counter() - started)
    finally:
        gc.enable()
    return {name: seconds / PAGE * 1e9 for name, seconds in best.items()}


def canned_cpu(n: int, rounds: int = 9) -> dict[str, float]:
    """Best CPU seconds of a canned scan of n records, per contender."""
    scan = Scan(canned.SERVER, canned.BUCKET, canned.COLLECTION, adapter=canned.Canned(n))
    runs = {name: scanner(name, scan) for name in SCAN_CONTENDERS}
    best = dict.fromkeys(runs, 1e9)
    for round_ in range(rounds + 1):  # the first round warms up
        for name, run in runs.items():
            gc.collect()
            started = time.process_time()
            if run() != n:
                raise AssertionError(f"{name} did not hand out {n} records")
            if round_:
                best[name] = min(best[name], time.process_time() - started)
    return best


def main(argv: list[str]) -> None:
    sizes = [int(arg) for arg in argv] or [20_000, 100_000]
    from kinto_query._json import decoder

    body = json.dumps(list(make_records(PAGE))).encode()
    print(f"per record, {PAGE:,} records of bench.seed (about 300 bytes of JSON each):")
    for read in (False, True):
        print(f"  bytes held beyond its JSON object, {'data read' if read else 'as built'}: "
              f"{bytes_per_record(body, read):.0f}")
    for name, ns in ns_per_record(body).items():
        print(f"  ns to build and drop, {name}: {ns:.0f}")
    for fast in ("1", "0"):
        os.environ["KINTO_QUERY_FAST_JSON"] = fast
        print(f"client-only CPU, canned pages, kinto_query decoding with {decoder()} "
              "(ratio to the floor, which uses json):")
        for n in sizes:
            best = canned_cpu(n)
            floor = best["floor"]
            print(f"  {n:>7,}: " + "  ".join(f"{name} {seconds * 1000:.0f} ms "
                                             f"({seconds / floor:.2f})"
                                             for name, seconds in best.items()))
    del os.environ["KINTO_QUERY_FAST_JSON"]


if __name__ == "__main__":
    main(sys.argv[1:])
