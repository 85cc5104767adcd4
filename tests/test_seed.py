"""The seed README is the user's contract: each of its code blocks runs as written (with
kinto_query for kinto_client) against a real Kinto, and the server's state is then checked
with raw HTTP. The blocks are written for localhost:8888 (make serve); that address is
replaced by the test server's.

The blocks share one namespace, in order. Where a block uses names it never defines
(record1, record2, a record with id 89881454-...) or a collection the previous block deleted,
a setup step below provides them; the blocks themselves are never edited.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from .conftest import code_blocks, for_docs_server

HERE = Path(__file__).parent
SEED = HERE / "seed" / "README.rst"
SHARED_SEED = HERE.parent.parent / "shared" / "seed" / "README.rst"
ALEXIS = ("alexis", "p4ssw0rd")
KNOWN_ID = "89881454-e4e9-4ef0-99a9-404d95900352"


BLOCKS = code_blocks(SEED.read_text().replace("kinto_client", "kinto_query"))


def raw_at(url: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, url + path, auth=ALEXIS, timeout=10, **kwargs)


def test_our_copy_is_the_shared_seed() -> None:
    if SHARED_SEED.exists():
        assert SEED.read_text() == SHARED_SEED.read_text()
    assert len(BLOCKS) == 6


@pytest.mark.live
def test_every_seed_block_runs_as_written(
    docs_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KINTO_SERVER_URL", docs_server)
    raw = functools.partial(raw_at, docs_server)
    blocks = [for_docs_server(block, docs_server) for block in BLOCKS]
    namespace: dict[str, Any] = {}

    # Setup for block 1: a few records in the personal (default) bucket's todo collection.
    for i in range(3):
        raw("PUT", f"/buckets/default/collections/todo/records/t{i}", json={"data": {"n": i}})
    exec(blocks[0], namespace)
    titles = {r["id"]: r["title"] for r in raw(
        "GET", "/buckets/default/collections/todo/records").json()["data"]}
    assert sorted(titles.values()) == ["Todo #0", "Todo #1", "Todo #2"]

    exec(blocks[1], namespace)
    assert raw("GET", "/buckets/payments").status_code == 200

    exec(blocks[2], namespace)
    assert raw("GET", "/buckets/payments/collections/receipts").status_code == 404

    # Setup for block 4: block 3 deleted 'receipts'; bring it back with the records the block
    # names but never defines.
    raw("PUT", "/buckets/payments/collections/receipts", json={"data": {}})
    raw("PUT", f"/buckets/payments/collections/receipts/records/{KNOWN_ID}",
        json={"data": {"title": "known"}})
    receipts = namespace["bucket"].get_collection("receipts")
    namespace["record1"] = receipts.create_record({"id": "one", "title": "first"})
    namespace["record2"] = receipts.create_record({"id": "two", "title": "second"})
    exec(blocks[3], namespace)
    left = {r["id"]: r for r in raw(
        "GET", "/buckets/payments/collections/receipts/records").json()["data"]}
    assert set(left) == {"XXX"}
    assert (left["XXX"]["status"], left["XXX"]["title"]) == ("done", "Todo #1")

    exec(blocks[4], namespace)
    created = namespace["record"]
    answer = raw("GET", f"/buckets/payments/collections/receipts/records/{created.id}").json()
    assert answer["permissions"]["read"] == ["/buckets/payments/groups/groupid"]
    assert re.fullmatch(r"[0-9a-f-]{36}", created.id)

    exec(blocks[5], namespace)
    permissions = raw("GET", "/buckets/default").json()["permissions"]
    friends = ["natim", "niko", "mat", "tarek"]
    assert set(friends) <= set(permissions["write"])
    assert sorted(permissions["collection:create"]) == sorted(friends)
