"""A Kinto plugin for the CLI's volume test: it fills the memory storage at start-up, before
the server answers, from a JSON Lines file (20,000 records in about a second, where writing
them over HTTP takes a minute). The same approach as ``bench.seed``.

Enabled by ``tests.cli.kinto_seed`` in ``kinto.includes`` (the server finds it on
``PYTHONPATH``), with ``KINTO_TEST_SEED=bucket/collection:path``: the bucket and collection are
created, every authenticated user may write the bucket, and each line of the file is a record.
"""

from __future__ import annotations

import json
import os
from typing import Any

SEED_ENV = "KINTO_TEST_SEED"


def includeme(config: Any) -> None:
    spec = os.environ.get(SEED_ENV)
    if not spec:
        return
    where, _, path = spec.partition(":")
    bucket, _, collection = where.partition("/")
    storage, permission = config.registry.storage, config.registry.permission
    bucket_uri = f"/buckets/{bucket}"
    # storage.create: the call Kinto's own views make.
    storage.create("bucket", "", {"id": bucket})
    permission.add_principal_to_ace(bucket_uri, "write", "system.Authenticated")
    storage.create("collection", bucket_uri, {"id": collection})
    parent = f"{bucket_uri}/collections/{collection}"
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            storage.create("record", parent, json.loads(line))
