"""Names every docstring example of the package may use (pytest --doctest-modules).

Examples that need a server are listed below by their doctest's name: they are marked
``live`` (and ``postgresql``), so ``make check`` (``-m "pure or cassette"``) leaves them
out, and they run against the session's Remote Settings server, emptied first, with:

- ``server``: that server (``.url``, ``.public_key_pem``, ``.publish(...)``);
  ``$KINTO_SERVER_URL`` is its URL, so ``Client()`` talks to it;
- ``client``: a ``Client`` of it, as alice;
- ``todo``: alice's ``w/todo`` collection, holding ``r1`` and ``r3`` (alice's) and, newest, ``r2``
  (bob's: alice may read it, not its permissions);
- ``collection``: ``main/regions``, published and signed with ``de`` and ``fr``;
  ``PEM``, its signer's public key; ``heads``, the server's URLs (one web head).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from kinto_query import Client
from kinto_query.testing.remote_settings import RemoteSettingsServer

# The kit's server fixtures, also when only the package's doctests are collected.
pytest_plugins = ["kinto_query.testing"]

# The examples of the async sources are those of the sync code generated from them
# (kinto_query/*/_blocking), which run: once is enough.
collect_ignore = [str(p) for p in Path(__file__).parent.glob("kinto_query/*/_async")]

# The examples that start servers of their own.
_OWN_SERVER = {
    "kinto_query.testing.server.KintoServer",
    "kinto_query.testing.remote_settings.RemoteSettingsServer",
}
_OWN_POSTGRESQL = {"kinto_query.testing.postgresql.PostgreSQL"}
# The examples that run in the namespace described above.
_SERVED = {
    "kinto_query._objects._blocking.client.Client.batch",
    "kinto_query._objects._blocking.client.Client.fetch_changed",
    "kinto_query._server.review.ReviewStatus",
    "kinto_query._server.diff.diff_records",
    "kinto_query._server.sync.SyncReport",
    "kinto_query._queries._blocking.query.Listing.iter_batches",
    "kinto_query._queries._blocking.query.Listing.to_arrow",
    "kinto_query._queries._blocking.query.Listing.to_pandas",
    "kinto_query._queries._blocking.query.Timed.to_dask_bag",
    "kinto_query._queries._blocking.query.Timed.to_dask_dataframe",
    "kinto_query._server.changeset.Changeset",
    "kinto_query._objects._blocking.mixed_batch.Batch",
    "kinto_query._server._blocking.signature.SignatureVerifier",
    "kinto_query._server._blocking.signature.verify_signature",
    "kinto_query.testing.remote_settings.publish",
    "kinto_query._objects._blocking.collection.Collection.diff",
    "kinto_query._objects._blocking.collection.Collection.sync",
    "kinto_query._objects._blocking.collection.Collection.permissions_of",
    "kinto_query._objects._blocking.collection.Collection.changeset",
    "kinto_query._objects._blocking.collection.Collection.review_status",
    "kinto_query._wire._blocking.transport",
    "kinto_query._objects._blocking.client.Client.dry_run_log",
    "kinto_query._wire.dry_run.PlannedWrite",
}
ALICE = ("alice", "s3cret")
BOB = ("bob", "s3cret")


def pytest_itemcollected(item: pytest.Item) -> None:
    # Marked as collected, before any collection_modifyitems marks the rest "pure".
    if isinstance(item, pytest.DoctestItem):
        if item.name in _SERVED | _OWN_SERVER | _OWN_POSTGRESQL:
            item.add_marker(pytest.mark.live)
        if item.name in _OWN_POSTGRESQL:
            item.add_marker(pytest.mark.postgresql)


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict[str, Any], request: pytest.FixtureRequest,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    doctest_namespace["Client"] = Client
    if request.node.name not in _SERVED or not isinstance(request.node, pytest.DoctestItem):
        return
    server: RemoteSettingsServer = request.getfixturevalue("kinto_fresh_rs_server")
    monkeypatch.setenv("KINTO_SERVER_URL", server.url)
    server.publish("regions", [{"id": "fr", "name": "France"}, {"id": "de", "name": "Germany"}])
    client = Client(server.url, auth=ALICE)
    names = {"server": server, "client": client, "todo": _todo(server.url, client),
             "collection": client.bucket("main").collection("regions"),
             "PEM": server.public_key_pem, "heads": [server.url]}
    for name, value in names.items():
        monkeypatch.setitem(doctest_namespace, name, value)


def _todo(url: str, client: Client) -> Any:
    """alice's w/todo, where any signed-in user may add records, seeded raw (not through the
    code under test)."""
    def put(path: str, body: dict[str, Any], auth: tuple[str, str] = ALICE) -> None:
        requests.put(url + path, json=body, auth=auth, timeout=30).raise_for_status()

    put("/buckets/w", {"permissions": {"read": ["system.Authenticated"]}})
    put("/buckets/w/collections/todo",
        {"permissions": {"record:create": ["system.Authenticated"]}})
    todo = "/buckets/w/collections/todo/records/"
    put(todo + "r1", {"data": {"title": "bread", "status": "todo"},
                      "permissions": {"read": ["system.Everyone"]}})
    put(todo + "r3", {"data": {"title": "jam", "status": "done"}})
    put(todo + "r2", {"data": {"title": "eggs", "status": "done"}}, auth=BOB)
    return client.bucket("w").collection("todo")
