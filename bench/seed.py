"""The benchmark's data, and how it gets into Kinto quickly.

Writing 100,000 records over HTTP would take minutes (Kinto accepts about 240 records/s on
the memory backend and 50/s on PostgreSQL here), so the harness writes them straight into
Kinto's storage, where the server keeps them:

- **memory backend**: this module is also a Kinto plugin. The harness starts Kinto (the
  test suite's ``KintoServer``) with ``bench.seed`` added to ``kinto.includes`` and the
  collections to fill in the ``KINTO_BENCH_SEED`` environment variable; at start-up, before
  the server answers its first request, :func:`includeme` creates the bucket, the
  collections and their records in the in-process storage (``storage.create``, the call
  Kinto's own views make), and grants ``write`` on the bucket to every authenticated user.
- **PostgreSQL**: the bucket and collections are created over HTTP (two requests each),
  then the records go into Kinto's ``objects`` table with one ``COPY`` (triggers off for the
  session: the rows carry their own distinct ``last_modified``, as the trigger would keep).

Both backends hold the same records, the same ones the canned pages of the client-only work
are made of (:func:`make_records`): ids ``r000000``..., ascending ``last_modified``.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import random
import time
from collections.abc import Iterator
from typing import Any

# Kinto timestamps of the seeded records: fixed, in the past, one millisecond apart.
BASE_TIMESTAMP = 1_700_000_000_000
SEED_ENV = "KINTO_BENCH_SEED"
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")


def make_records(count: int) -> Iterator[dict[str, Any]]:
    """``count`` records of a to-do list (about 300 bytes of JSON each), always the same.

    Half have ``status`` "done" (every other one), for the filtered scan."""
    rng = random.Random(count)
    for i in range(count):
        yield {
            "id": f"r{i:06d}",
            "last_modified": BASE_TIMESTAMP + i,
            "title": f"task {i}",
            "status": "done" if i % 2 else "todo",
            "priority": rng.randint(1, 5),
            "tags": rng.sample(["work", "home", "urgent", "later"], 2),
            "author": {"name": rng.choice(["ann", "bob", "cid"]), "age": rng.randint(20, 60)},
            "notes": " ".join(rng.choice(WORDS) for _ in range(20)),
        }


def spec(collections: dict[str, int]) -> str:
    """``{"bench/m20k": 20000}`` -> ``"bench/m20k:20000"``, the value of KINTO_BENCH_SEED."""
    return ",".join(f"{path}:{count}" for path, count in collections.items())


def parse_spec(value: str) -> dict[tuple[str, str], int]:
    """``"bench/m20k:20000,..."`` -> ``{("bench", "m20k"): 20000, ...}``."""
    parsed = {}
    for item in filter(None, value.split(",")):
        path, _, count = item.partition(":")
        bucket, _, collection = path.partition("/")
        parsed[(bucket, collection)] = int(count)
    return parsed


def includeme(config: Any) -> None:
    """Kinto plugin: fill the memory storage with the collections of ``KINTO_BENCH_SEED``."""
    storage, permission = config.registry.storage, config.registry.permission
    started, total = time.perf_counter(), 0
    buckets: set[str] = set()
    for (bucket, collection), count in parse_spec(os.environ.get(SEED_ENV, "")).items():
        bucket_uri = f"/buckets/{bucket}"
        if bucket not in buckets:
            buckets.add(bucket)
            storage.create("bucket", "", {"id": bucket})
            permission.add_principal_to_ace(bucket_uri, "write", "system.Authenticated")
        storage.create("collection", bucket_uri, {"id": collection})
        parent = f"{bucket_uri}/collections/{collection}"
        for record in make_records(count):
            storage.create("record", parent, record)
        total += count
    if total:
        rate = total / (time.perf_counter() - started)
        print(f"bench.seed: {total} records in memory storage ({rate:,.0f}/s)", flush=True)


def _timestamp(milliseconds: int) -> str:
    moment = datetime.datetime.fromtimestamp(milliseconds / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def copy_postgresql(database_url: str, bucket: str, collection: str, count: int) -> float:
    """COPY ``count`` records into an existing collection of Kinto on PostgreSQL; returns
    records/s."""
    import psycopg2  # type: ignore[import-untyped]  # Kinto's driver (kinto[postgresql])

    started = time.perf_counter()
    parent = f"/buckets/{bucket}/collections/{collection}"
    rows = io.StringIO()
    writer = csv.writer(rows)
    for record in make_records(count):
        data = {k: v for k, v in record.items() if k not in ("id", "last_modified")}
        writer.writerow([record["id"], parent, "record", _timestamp(record["last_modified"]),
                         json.dumps(data), "f"])
    rows.seek(0)
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            # No bump_timestamp trigger: each row keeps its own last_modified (superuser only;
            # the harness owns the cluster).
            cursor.execute("SET session_replication_role = replica")
            cursor.copy_expert(
                "COPY objects (id, parent_id, resource_name, last_modified, data, deleted) "
                "FROM STDIN WITH (FORMAT csv)", rows)
            cursor.execute("ANALYZE objects")
    finally:
        connection.close()
    return count / (time.perf_counter() - started)
