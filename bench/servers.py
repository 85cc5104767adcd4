"""The servers of a benchmark run, started and seeded by the harness, stopped at the end.

- one Kinto on the memory backend, its collections filled at start-up (see ``bench.seed``);
- another, empty, for the write works: emptied (``POST /__flush__``) before each timed write.
  Kinto's memory backend reads its whole permission store on every write (the history
  plugin asks for an object's permissions, and the memory backend finds them by scanning
  every key), so its writes slow down as writes pile up (from 170 to 20 records/s over a
  few thousand here): on a server of their own, emptied each time, every contender writes
  to the same fresh server;
- a private PostgreSQL cluster (``kinto_query.testing.PostgreSQL``, as the test suite's) and
  two Kinto web heads on it (the second one ``migrate=False``), its collections filled by
  ``COPY``. Where the PostgreSQL server binaries are missing, the PostgreSQL works are skipped.

Collection names say their backend and size: ``bench/m20000`` (memory), ``bench/p20000``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from kinto_query.testing import KintoServer, PostgreSQL, PostgreSQLNotFound

from . import seed
from .contenders import AUTH

BUCKET = "bench"
ROOT = Path(__file__).resolve().parent.parent
# The test suite's plugins (kinto_query.testing), and the seeding one.
INCLUDES = ("kinto.plugins.default_bucket kinto.plugins.accounts kinto.plugins.flush "
            "kinto.plugins.history bench.seed")


def collection(backend: str, n: int) -> str:
    return f"{backend[0]}{n}"


@dataclasses.dataclass
class Servers:
    memory: str
    writes: str  # an empty memory Kinto, for the write works
    heads: list[str]  # Kinto web heads on PostgreSQL; empty without PostgreSQL
    database_url: str | None
    seeding: dict[str, float]  # backend -> records/s

    @property
    def postgresql(self) -> str | None:
        return self.heads[0] if self.heads else None


@contextlib.contextmanager
def running(memory_sizes: list[int], pg_sizes: list[int]) -> Iterator[Servers]:
    """Start (in parallel) and seed every server; stop them all on the way out."""
    # The memory Kinto imports bench.seed: the child finds it on PYTHONPATH.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    memory_spec = {f"{BUCKET}/{collection('memory', n)}": n for n in sorted(set(memory_sizes))}
    with contextlib.ExitStack() as stack:
        cluster = None
        if pg_sizes:
            try:
                cluster = stack.enter_context(PostgreSQL())
            except PostgreSQLNotFound as error:
                print(f"PostgreSQL works skipped: {error}")
        memory = KintoServer(settings={"includes": INCLUDES, "bench_seed": seed.spec(memory_spec)})
        writer = KintoServer()
        servers = [memory, writer]
        if cluster is not None:
            servers += [KintoServer(backend="postgresql", database_url=cluster.url),
                        KintoServer(backend="postgresql", database_url=cluster.url,
                                    migrate=False)]
        for server in servers:
            stack.callback(server.stop)
        started = time.perf_counter()
        with ThreadPoolExecutor(len(servers)) as pool:  # each spends seconds importing Kinto
            for done in [pool.submit(server.start, timeout=600) for server in servers]:
                done.result()
        # The plugin printed its pace in the server's log.
        found = re.search(r"bench\.seed: ([\d,]+) records .*\(([\d,]+)/s\)", memory.log)
        seeding = {"memory": float(found[2].replace(",", ""))} if found else {}
        print(f"servers up in {time.perf_counter() - started:.1f} s"
              + (f", {found[1]} records seeded in memory ({found[2]}/s)" if found else ""))
        heads = [server.url for server in servers[2:]]
        if cluster is not None:
            seeding["postgresql"] = _seed_postgresql(heads[0], cluster.url, pg_sizes)
        yield Servers(memory.url, writer.url, heads, cluster.url if cluster else None, seeding)


def _seed_postgresql(url: str, database_url: str, sizes: list[int]) -> float:
    """Create the bucket and collections over HTTP, COPY their records; records/s."""
    requests.put(f"{url}/buckets/{BUCKET}", auth=AUTH, timeout=60).raise_for_status()
    started, total = time.perf_counter(), 0
    for n in sorted(set(sizes)):
        name = collection("postgresql", n)
        requests.put(f"{url}/buckets/{BUCKET}/collections/{name}", auth=AUTH,
                     timeout=60).raise_for_status()
        seed.copy_postgresql(database_url, BUCKET, name, n)
        total += n
    rate = total / (time.perf_counter() - started)
    print(f"PostgreSQL: {total:,} records seeded by COPY ({rate:,.0f}/s)")
    return rate


def fresh_collection(url: str, name: str) -> None:
    """Empty the server, then create the bench bucket and an empty collection in it."""
    requests.post(f"{url}/__flush__", timeout=60).raise_for_status()
    requests.put(f"{url}/buckets/{BUCKET}", auth=AUTH, timeout=60).raise_for_status()
    requests.put(f"{url}/buckets/{BUCKET}/collections/{name}", auth=AUTH,
                 timeout=60).raise_for_status()


def batch_max_requests(url: str) -> int:
    answer = requests.get(f"{url}/", timeout=60)
    answer.raise_for_status()
    return int(answer.json()["settings"]["batch_max_requests"])
