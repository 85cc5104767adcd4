"""A partitioned scan on Dask (kinto_query/_queries/dask.py): a local cluster of two worker
processes
reads the parts through two Kinto web heads on one PostgreSQL, each head behind a loopback
proxy (tests/faultproxy.py, no fault set) that logs what it was sent."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import requests

from kinto_query import Bucket, Client, ConfigurationError, SchemaMismatch
from kinto_query._queries.dask import ScanPart
from kinto_query.testing import KintoServer, PostgreSQL
from kinto_query.testing.server import flush, free_port

from ..conftest import batch_put
from ..faultproxy import FaultProxy

if TYPE_CHECKING:
    import distributed

SECRET = "s3cret-of-dask"
AUTH = ("alice", SECRET)
PATH = "/buckets/b/collections/c/records"


@pytest.fixture(scope="module")
def cluster() -> Iterator[distributed.Client]:
    # Imported here: collecting this module (make check) costs no Dask import.
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as local, \
            distributed.Client(local) as client:
        yield client


@pytest.fixture(scope="module")
def heads(kinto_postgresql: PostgreSQL, kinto_pg_server: str) -> Iterator[list[FaultProxy]]:
    """Two web heads on the session's database: the session's Kinto and a second one, each
    behind a proxy that logs its requests."""
    with KintoServer(backend="postgresql", database_url=kinto_postgresql.url,
                     migrate=False) as second, \
            FaultProxy(kinto_pg_server) as one, FaultProxy(second.url) as two:
        yield [one, two]


@pytest.fixture(scope="module")
def seeded(kinto_pg_server: str) -> str:
    """The session's Kinto on PostgreSQL, emptied, then b/c filled once for this module's
    tests (which only read it)."""
    flush(kinto_pg_server)
    client = Client(kinto_pg_server, auth=AUTH)
    collection = Bucket("b", client=client, create=True).create_collection("c")
    batch_put(client, PATH, ({"id": f"r{i:03d}", "n": i, "even": i % 2 == 0,
                              "author": {"name": f"a{i % 5}"}} for i in range(300)))
    collection.delete_records([f"r{i:03d}" for i in range(0, 300, 25)])  # tombstones inside
    return kinto_pg_server


@pytest.fixture
def todo(seeded: str, heads: list[FaultProxy]) -> Any:
    for proxy in heads:
        proxy.log.clear()
    return Client(seeded, auth=AUTH).bucket("b").collection("c")


def raw_ids(url: str) -> list[str]:
    answer = requests.get(f"{url}{PATH}", auth=AUTH, timeout=30)
    answer.raise_for_status()
    return [obj["id"] for obj in answer.json()["data"]]


def test_the_parts_are_complete_and_disjoint_across_two_web_heads(
        todo: Any, seeded: str, heads: list[FaultProxy],
        cluster: distributed.Client) -> None:
    expected = raw_ids(seeded)
    assert len(expected) == 288
    bag = todo.page_size(40).to_dask_bag(4, servers=[proxy.url for proxy in heads])
    assert bag.npartitions == 4
    parts = cluster.compute(bag.to_delayed(), sync=True)
    ids = [[obj["id"] for obj in part] for part in parts]
    assert all(ids)  # every part holds some
    assert sum(map(len, ids)) == len(expected)  # disjoint: none twice
    assert set().union(*ids) == set(expected)  # complete: every live record, no tombstone
    # Part i was read through web head i % 2: parts 0 and 2 through the first, 1 and 3 the
    # second (each part's own last_modified range in its URLs).
    bounds = [part.state.filters[-2][1] for part in todo.page_size(40)._scan_parts(4, None)]
    for i, low in enumerate(bounds):
        through = [target for _, target, _ in heads[i % 2].log]
        elsewhere = [target for _, target, _ in heads[1 - i % 2].log]
        assert any(f"min_last_modified={low}&" in target for target in through)
        assert not any(f"min_last_modified={low}&" in target for target in elsewhere)


def test_a_dataframe_equals_the_records_read_raw(
        todo: Any, seeded: str, heads: list[FaultProxy],
        cluster: distributed.Client) -> None:
    raw = requests.get(f"{seeded}{PATH}?_sort=id", auth=AUTH,
                       timeout=30).json()["data"]
    frame = todo.to_dask_dataframe(3, servers=[proxy.url for proxy in heads])
    assert frame.npartitions == 3
    assert list(frame.columns) == ["id", "last_modified", "n", "even", "author"]
    computed = cluster.compute(frame, sync=True).sort_values("id").reset_index(drop=True)
    local = todo.sort("id").to_pandas()
    assert computed.to_dict("records") == local.to_dict("records") == raw
    assert dict(computed.dtypes) == dict(local.dtypes)
    assert str(computed.dtypes["n"]) == "int64" and str(computed.dtypes["even"]) == "bool"


def test_a_schema_shapes_the_dataframe_and_an_unknown_field_is_an_error(
        todo: Any, seeded: str, cluster: distributed.Client) -> None:
    import pyarrow as pa

    schema = pa.schema([("id", pa.string()), ("n", pa.float64())])
    frame = todo.to_dask_dataframe(2, schema=schema)
    computed = cluster.compute(frame, sync=True)
    assert list(computed.columns) == ["id", "n"] and str(computed.dtypes["n"]) == "float64"
    assert sorted(computed["id"]) == sorted(raw_ids(seeded))
    # Inferred from the first page: a field only later records have fails loudly.
    client = Client(seeded, auth=AUTH)
    late = Bucket("b", client=client).create_collection("late")
    batch_put(client, "/buckets/b/collections/late/records",
              [{"id": f"r{i}", "n": i} for i in range(5)] + [{"id": "zzz", "extra": 1}])
    first_page = late.sort("id").page_size(2)
    with pytest.raises(SchemaMismatch, match=r"fields the schema lacks \(extra\)"):
        cluster.compute(first_page.to_dask_dataframe(2), sync=True)


def test_an_empty_collection_is_one_empty_part(seeded: str,
                                              cluster: distributed.Client) -> None:
    empty = Bucket("b", client=Client(seeded, auth=AUTH)).create_collection("empty")
    bag = empty.to_dask_bag(4)
    assert bag.npartitions == 1 and cluster.compute(bag, sync=True) == []
    frame = cluster.compute(empty.fields("title").to_dask_dataframe(4), sync=True)
    assert (len(frame), list(frame.columns)) == (0, ["id", "last_modified", "title"])


def test_no_credential_in_a_part_repr_nor_a_graph_key(todo: Any, seeded: str,
                                                    heads: list[FaultProxy]) -> None:
    bag = todo.to_dask_bag(2, servers=[proxy.url for proxy in heads])
    frame = todo.to_dask_dataframe(2)
    keys = [*bag.__dask_graph__().keys(), *frame.__dask_graph__().keys()]
    assert keys and all(SECRET not in str(key) and "alice" not in str(key) for key in keys)
    part = todo.records()._scan_parts(2, [heads[1].url])[1]
    assert repr(part) == f"<ScanPart {heads[1].url}/buckets/b/collections/c/records>"
    assert SECRET not in repr(part.config) and SECRET not in repr(part.state)
    # A part is plain values: it travels to a worker process, credentials included.
    copy = pickle.loads(pickle.dumps(part))
    assert isinstance(copy, ScanPart) and copy.config.auth == AUTH
    assert copy.config.session is None and copy.config.session_factory is None


def test_a_failing_part_logs_no_credential(seeded: str, cluster: distributed.Client,
                                           capfd: pytest.CaptureFixture[str]) -> None:
    from kinto_query import KintoConnectionError

    nowhere = f"http://127.0.0.1:{free_port('127.0.0.1')}/v1"  # nothing listens there
    todo = Client(seeded, auth=AUTH, retry=None).bucket("b").collection("c")
    bag = todo.to_dask_bag(2, servers=[nowhere])
    with pytest.raises(KintoConnectionError):
        cluster.compute(bag, sync=True)
    # The workers' stderr (they are this test's children) and the logs Dask keeps.
    logs = capfd.readouterr().err + str(cluster.get_worker_logs())
    assert "Compute Failed" in logs and "cannot reach the server" in logs  # Dask logged it...
    assert SECRET not in logs  # ...and no credential with it


def test_servers_must_be_a_list_of_server_urls(todo: Any) -> None:
    with pytest.raises(ConfigurationError, match="a list of server URLs"):
        todo.to_dask_bag(2, servers="http://127.0.0.1:1/v1")
    with pytest.raises(ConfigurationError, match="must not hold credentials"):
        todo.to_dask_bag(2, servers=["http://alice:pw@127.0.0.1:1/v1"])
