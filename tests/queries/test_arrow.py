"""Arrow and pandas output of a query (kinto_query/_queries/arrow.py): one record batch per page,
compared with the records read raw from a real Kinto."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
import requests

from kinto_query import Bucket, Client, ConfigurationError, SchemaMismatch
from kinto_query._queries import arrow as _arrow
from kinto_query._queries.scan import Page
from kinto_query.testing import KintoServer

from ..conftest import AUTH, batch_put

ROOT = Path(__file__).resolve().parents[2]
PATH = "/buckets/b/collections/c/records"


def varied(i: int) -> dict[str, Any]:
    """Records whose fields vary: some missing, nested objects, arrays, and a number that is
    an integer on the first pages and a float on the last."""
    record: dict[str, Any] = {"id": f"r{i:03d}", "title": f"t{i}",
                              "n": i if i < 20 else i + 0.5}
    if i % 3 == 0:
        record["author"] = {"name": f"ann{i}", "age": i}
    if i % 4 == 0:
        record["tags"] = ["x", f"y{i}"]
    if i % 5 == 0:
        record["done"] = i % 2 == 0
    return record


def raw(url: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{url}{PATH}?_sort=id", auth=AUTH, timeout=30)
    answer.raise_for_status()
    data: list[dict[str, Any]] = answer.json()["data"]
    return data


@pytest.fixture
def todo(kinto_any_server: str) -> Any:
    """b/c holding ``varied(i)`` for 30 records, on each backend in turn."""
    client = Client(kinto_any_server, auth=AUTH)
    collection = Bucket("b", client=client, create=True).create_collection("c")
    batch_put(client, PATH, (varied(i) for i in range(30)))
    return collection


def test_a_table_equals_the_records_read_raw(todo: Any, kinto_any_server: str) -> None:
    expected = raw(kinto_any_server)
    table = todo.sort("id").page_size(7).to_arrow()
    assert table.num_rows == 30
    assert table.column_names[:2] == ["id", "last_modified"]
    assert set(table.column_names) == {"id", "last_modified", "title", "n", "author", "tags",
                                       "done"}
    # Each row is the record as sent, a field it lacks null.
    assert table.to_pylist() == [{name: obj.get(name) for name in table.column_names}
                                 for obj in expected]
    types = {field.name: field.type for field in table.schema}
    # A struct's fields come in the order the server sends them (PostgreSQL's JSONB sorts
    # an object's keys).
    author = types.pop("author")
    assert {field.name: field.type for field in author} == {"name": pa.string(),
                                                            "age": pa.int64()}
    assert types == {
        "id": pa.string(), "last_modified": pa.int64(), "title": pa.string(),
        "n": pa.float64(),  # integers on the first pages, floats on the last: unified
        "tags": pa.list_(pa.string()), "done": pa.bool_(),
    }


def test_pandas_holds_the_same_values(todo: Any, kinto_any_server: str) -> None:
    expected = raw(kinto_any_server)
    frame = todo.sort("id").page_size(7).to_pandas()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 30
    assert frame["id"].tolist() == [obj["id"] for obj in expected]
    assert frame["last_modified"].tolist() == [obj["last_modified"] for obj in expected]
    assert frame["last_modified"].dtype == "int64" and frame["n"].dtype == "float64"
    assert frame["n"].tolist() == [obj["n"] for obj in expected]
    assert frame["author"][3] == {"name": "ann3", "age": 3}


def test_one_batch_per_page_and_a_schema_for_all(todo: Any) -> None:
    batches = list(todo.sort("id").page_size(7).iter_batches())
    assert [batch.num_rows for batch in batches] == [7, 7, 7, 7, 2]
    assert batches[0].schema.field("n").type == pa.int64()  # each page's own types
    assert batches[-1].schema.field("n").type == pa.float64()
    schema = pa.schema([("id", pa.string()), ("n", pa.float64()), ("author", pa.struct(
        [("name", pa.string())]))])
    fitted = list(todo.sort("id").page_size(7).iter_batches(schema))
    assert all(batch.schema == schema for batch in fitted)
    assert pa.Table.from_batches(fitted).to_pylist()[3] == {"id": "r003", "n": 3.0,
                                                            "author": {"name": "ann3"}}
    with pytest.raises(SchemaMismatch, match=r"fields the schema lacks \(done, last_modified"):
        list(todo.sort("id").page_size(7).iter_batches(schema, strict=True))


def test_fields_shape_the_columns(todo: Any) -> None:
    table = todo.sort("id").fields("title", "author.name", "nowhere").to_arrow()
    assert table.column_names == ["id", "last_modified", "title", "author", "nowhere"]
    assert table.schema.field("nowhere").type == pa.null()
    assert table.column("author").to_pylist()[:4] == [{"name": "ann0"}, None, None,
                                                     {"name": "ann3"}]
    empty = todo.filter(title="none such").fields("title").to_arrow()
    assert (empty.num_rows, empty.column_names) == (0, ["id", "last_modified", "title"])


def test_values_that_fit_no_one_type_say_to_pass_a_schema(kinto_fresh_server: str) -> None:
    client = Client(kinto_fresh_server, auth=AUTH)
    todo = Bucket("b", client=client, create=True).create_collection("c")
    batch_put(client, PATH, ({"id": f"r{i}", "v": "text" if i < 3 else i} for i in range(6)))
    with pytest.raises(SchemaMismatch, match=r"pages disagree on a field.s type.*pass schema="):
        todo.sort("id").page_size(3).to_arrow()
    with pytest.raises(SchemaMismatch, match=r"one Arrow type per field.*pass schema="):
        todo.sort("id").to_arrow()  # one page
    assert todo.to_arrow(pa.schema([("id", pa.string())])).num_rows == 6
    with pytest.raises(SchemaMismatch, match=r"does not fit the schema.*pass schema="):
        todo.to_arrow(pa.schema([("v", pa.string())]))  # the numbers are no strings


def test_a_missing_extra_is_a_clear_error_before_any_request(
        offline_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    todo = offline_client.bucket("b").collection("c")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow fails
    with pytest.raises(ConfigurationError, match=r"pip install 'kinto_query\[arrow\]'"):
        todo.to_arrow()
    with pytest.raises(ConfigurationError, match=r"pip install 'kinto_query\[arrow\]'"):
        next(todo.iter_batches())
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ConfigurationError, match=r"needs pandas: pip install"):
        todo.to_pandas()
    monkeypatch.setitem(sys.modules, "dask.bag", None)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'kinto_query\[dask\]'"):
        todo.to_dask_bag(2)
    with pytest.raises(ConfigurationError, match=r"pip install 'kinto_query\[dask\]'"):
        todo.to_dask_dataframe(2)


# -- memory: a table is built page by page, not from a list of every record -----------------

VOLUME = 20_000


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Kinto holding VOLUME records in b/c, filled at start-up in process
    (tests/cli/kinto_seed.py: seconds, where HTTP writes take minutes)."""
    seed_file = tmp_path_factory.mktemp("seed") / "c.jsonl"
    with open(seed_file, "w", encoding="utf-8") as out:
        out.writelines(json.dumps({"id": f"r{i:05d}", "title": f"title {i}", "n": i,
                                   "author": {"name": f"a{i % 7}"}}) + "\n"
                       for i in range(VOLUME))
    server = KintoServer(settings={"includes": "kinto.plugins.flush tests.cli.kinto_seed",
                                   "test_seed": f"b/c:{seed_file}"})
    with contextlib.ExitStack() as stack, pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        stack.enter_context(server)
        patch.undo()
        yield server.url


def _peak(run: Any) -> tuple[int, Any]:
    tracemalloc.start()
    try:
        kept = run()
        return tracemalloc.get_traced_memory()[1], kept
    finally:
        tracemalloc.stop()


@pytest.mark.live
def test_a_table_of_twenty_thousand_records_peaks_far_below_a_list_of_them(
        seeded: str) -> None:
    query = Client(seeded, auth=AUTH).bucket("b").collection("c").page_size(1000).dicts()
    list_peak, rows = _peak(lambda: list(query))
    assert len(rows) == VOLUME
    del rows
    # tracemalloc sees Python's heap only; Arrow's buffers are counted apart (nbytes).
    table_peak, table = _peak(query.to_arrow)
    assert table.num_rows == VOLUME and sorted(table.column("n").to_pylist()) == list(range(VOLUME))
    arrow_total = table_peak + table.nbytes
    print(f"\nlist of dicts: {list_peak / 1e6:.1f} MB peak; to_arrow(): {table_peak / 1e6:.1f} "
          f"MB peak + {table.nbytes / 1e6:.1f} MB of columns")
    assert arrow_total < list_peak / 3


# -- type rules: the same answer on one page as across pages --------------------------------
# Pure: _arrow.table over hand-built pages, the objects as a Kinto server sends them (the live
# test below sends them through a real one).

def _pages(objects: list[dict[str, Any]], size: int) -> list[Page[dict[str, Any]]]:
    return [Page(objects[i:i + size], None, None, None) for i in range(0, len(objects), size)]


@pytest.mark.parametrize(("values", "field", "record", "why"), [
    ([1, 2.5, True], "w", "r2", "true is a boolean, never a number"),
    ([2.5, False], "w", "r1", "false is a boolean, never a number"),
    ([{"a": 1.5}, {"a": True}], "w.a", "r1", "true is a boolean"),
    ([[1.5], [2, True]], "w[]", "r1", "true is a boolean"),
])
def test_a_boolean_is_never_a_number_whatever_the_page_size(
        values: list[Any], field: str, record: str, why: str) -> None:
    objects = [{"id": f"r{i}", "w": value} for i, value in enumerate(values)]
    expected = rf"one Arrow type per field \(field '{re.escape(field)}', record '{record}': {why}"
    with pytest.raises(SchemaMismatch, match=expected):
        _arrow.table(_pages(objects, 100), (), "b/c")
    with pytest.raises(SchemaMismatch, match=rf"\(field 'w', record '{record}': "):
        _arrow.table(_pages(objects, 1), (), "b/c")  # pages disagree, or one page holds both


def test_a_schema_takes_no_boolean_for_a_number_nor_a_fraction_for_an_integer() -> None:
    objects = [{"id": "r0", "f": 1.5, "i": 2}, {"id": "r1", "f": True, "i": 2.5}]
    with pytest.raises(SchemaMismatch, match=r"does not fit the schema \(field 'f', record 'r1': "
                                             r"true is a boolean"):
        _arrow.table(_pages(objects, 100), (), "b/c", pa.schema([("f", pa.float64())]))
    with pytest.raises(SchemaMismatch, match=r"\(field 'i', record 'r1': 2.5 is not an integer"):
        _arrow.table(_pages(objects, 100), (), "b/c", pa.schema([("i", pa.int64())]))
    with pytest.raises(SchemaMismatch, match=r"\(field 'i', record 'r1': .*str"):
        _arrow.table(_pages([{"id": "r0", "i": 1}, {"id": "r1", "i": "two"}], 100), (), "b/c",
                     pa.schema([("i", pa.int64())]))
    table = _arrow.table(_pages(objects[:1], 100), (), "b/c", pa.schema([("i", pa.int64())]))
    assert table.column("i").to_pylist() == [2]


@pytest.mark.parametrize("size", [100, 1])
def test_every_mismatch_names_the_field_and_the_first_record(size: int) -> None:
    objects = [{"id": "r0", "a": 1, "v": 1}, {"id": "r1", "a": 2, "v": "one"}]
    with pytest.raises(SchemaMismatch, match=r"\(field 'v', record 'r1': "):
        _arrow.table(_pages(objects, size), (), "b/c")
    huge = [{"id": "r0", "n": 1}, {"id": "r1", "n": 2 ** 63}]  # beyond int64
    with pytest.raises(SchemaMismatch, match=r"\(field 'n', record 'r1': "):
        _arrow.table(_pages(huge, size), (), "b/c")


@pytest.mark.parametrize("size", [100, 1])
def test_objects_with_differing_keys_unify_into_one_struct(size: int) -> None:
    objects = [{"id": "r0", "s": {"a": 1}}, {"id": "r1", "s": {"a": 1.5, "b": "x"}}]
    table = _arrow.table(_pages(objects, size), (), "b/c")
    assert table.schema.field("s").type == pa.struct([("a", pa.float64()), ("b", pa.string())])
    assert table.column("s").to_pylist() == [{"a": 1.0, "b": None}, {"a": 1.5, "b": "x"}]


def test_a_boolean_among_numbers_is_a_mismatch_on_a_real_server(kinto_fresh_server: str) -> None:
    client = Client(kinto_fresh_server, auth=AUTH)
    todo = Bucket("b", client=client, create=True).create_collection("c")
    batch_put(client, PATH, [{"id": "r0", "w": 1}, {"id": "r1", "w": 2.5}, {"id": "r2", "w": True}])
    with pytest.raises(SchemaMismatch, match=r"field 'w', record 'r2': true is a boolean"):
        todo.sort("id").fields("w").to_arrow()
    with pytest.raises(SchemaMismatch, match=r"pages disagree.*field 'w', record 'r2'"):
        todo.sort("id").fields("w").page_size(1).to_arrow()
