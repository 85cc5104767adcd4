"""Tests of _data.py: the view allowing both data.title and data["title"]."""

from __future__ import annotations

import gc
import json
import pickle
import weakref
from typing import Any

import pytest

from kinto_query import Client, Collection, Data, Record


def test_attribute_and_item_access() -> None:
    data = Data({"title": "milk"})
    assert data.title == data["title"] == "milk"


def test_nested_objects_are_live_views() -> None:
    raw = {"title": "milk", "author": {"name": "a"}}
    data = Data(raw)
    data.author.name = "b"
    assert data["author"]["name"] == "b"
    assert raw["author"]["name"] == "b"


def test_unknown_field_names_the_known_ones() -> None:
    data = Data({"title": "milk", "author": {"name": "a"}})
    with pytest.raises(AttributeError, match="no field 'nope' \\(fields: author, title\\)"):
        data.nope  # noqa: B018


def test_data_equals_its_dict() -> None:
    assert Data({"a": 1}) == {"a": 1}
    assert Data({"a": 1}) == Data({"a": 1})


def test_setting_a_data_value_stores_its_dict() -> None:
    data = Data({})
    data.author = Data({"name": "a"})
    assert type(data.to_dict()["author"]) is dict


def test_deleting_a_field() -> None:
    data = Data({"a": 1, "b": 2})
    del data.a
    del data["b"]
    assert data.to_dict() == {}
    with pytest.raises(AttributeError, match="no field 'a'"):
        del data.a


def test_to_dict_is_not_a_copy() -> None:
    raw = {"a": 1}
    assert Data(raw).to_dict() is raw


def test_mapping_method_names_need_item_access() -> None:
    data = Data({"items": 3})
    assert data["items"] == 3
    assert callable(data.items)


# -- change tracking: reading costs nothing, any change is seen --------------------------------


def loaded(offline_client: Client, data: dict[str, Any]) -> Record:
    record = offline_client.bucket("b").collection("c").record(id="r1")
    record.take_answer({"data": {"id": "r1", "last_modified": 1, **data}})
    return record


@pytest.mark.parametrize(
    "change",
    [
        lambda d: setattr(d, "title", "x"),
        lambda d: d.__setitem__("title", "x"),
        lambda d: d.__delitem__("title"),
        lambda d: setattr(d.author, "name", "x"),
        lambda d: d.tags.append("x"),
        lambda d: d.tags.__iadd__(["x"]),
        lambda d: d.tags.remove("a"),
        lambda d: d.tags.sort(reverse=True),
        lambda d: d.items_[0].__setitem__("n", 9),
        lambda d: next(iter(d.items_)).update(n=9),
        lambda d: d.nested[0].append(1),
        lambda d: d.to_dict().__setitem__("title", "x"),
        lambda d: d.update(title="x"),
    ],
)
def test_every_kind_of_change_is_seen(offline_client: Client, change: Any) -> None:
    record = loaded(offline_client, {"title": "t", "author": {"name": "ann"}, "tags": ["a", "b"],
                                     "items_": [{"n": 1}], "nested": [[0]]})
    change(record.data)
    request = record.save_request()
    assert request is not None and request.method == "PUT"


def test_reading_everything_changes_nothing(offline_client: Client) -> None:
    record = loaded(offline_client, {"title": "t", "author": {"name": "ann"}, "tags": ["a"],
                                     "items_": [{"n": 1}]})
    data = record.data
    assert (data.title, data.author.name, list(data.tags), data.items_[0]["n"]) == (
        "t", "ann", ["a"], 1)
    assert record.save_request() is None  # a list of objects not handed out yet


def test_a_list_of_objects_handed_out_is_compared_on_save(offline_client: Client) -> None:
    record = loaded(offline_client, {"items_": [{"n": 1}]})
    assert [dict(item) for item in record.data.items_] == [{"n": 1}]
    assert record.save_request() is None  # compared with the copy kept: unchanged


def test_tracked_lists_are_lists_to_json_and_pickle(offline_client: Client) -> None:
    record = loaded(offline_client, {"tags": ["a", {"k": 1}]})
    tags = record.data.tags
    assert isinstance(tags, list) and tags == ["a", {"k": 1}]
    assert json.dumps(tags) == '["a", {"k": 1}]'
    copy = pickle.loads(pickle.dumps(tags))
    assert type(copy) is list and copy == ["a", {"k": 1}]


def test_a_dropped_record_is_freed_without_the_garbage_collector(offline_client: Client) -> None:
    gc.disable()
    try:
        record = loaded(offline_client, {"title": "t"})
        record.data.title = "x"
        alive = weakref.ref(record)
        del record
        assert alive() is None
    finally:
        gc.enable()


def test_a_record_hands_out_one_view_until_its_data_is_replaced(offline_client: Client) -> None:
    record = loaded(offline_client, {"title": "t"})
    view = record.data
    assert record.data is view  # the same view: a change through either is one change
    record.data = {"title": "u"}
    assert record.data is not view and record.data.title == "u" and view.title == "t"
    record.take_answer({"data": {"id": "r1", "last_modified": 2, "title": "v"}})
    assert record.data.title == "v" and record.last_modified == 2


def test_a_field_named_like_a_method_needs_brackets_and_attributes_say_what_exists() -> None:
    data = Data({"keys": 1, "title": "t"})
    assert callable(data.keys) and data["keys"] == 1
    with pytest.raises(AttributeError, match=r"no field 'nope' \(fields: keys, title\)"):
        data.nope  # noqa: B018
    assert getattr(data, "nope", "default") == "default"


# -- JSON: a view is a dict to encoders, and stays a view --------------------------------------


def test_json_dumps_takes_a_view_nested_lists_and_all() -> None:
    raw = {"title": "milk", "author": {"name": "ann"}, "tags": ["a", {"k": [1]}], "n": None}
    data = Data(raw)
    assert isinstance(data, dict)
    assert json.loads(json.dumps(data)) == raw
    assert json.dumps(data, sort_keys=True) == json.dumps(raw, sort_keys=True)
    assert json.dumps(data, indent=2) == json.dumps(raw, indent=2)  # the pure-Python encoder
    assert json.dumps(Data()) == "{}" and json.dumps({"d": data.author}) == '{"d": {"name": "ann"}}'
    assert dict(data) == {**data} == data.copy() == raw and len(data) == 4
    assert data != {"title": "milk"} and (data != raw) is False  # not dict.__ne__
    assert list(reversed(data)) == ["n", "tags", "author", "title"]
    assert (data | {"n": 1})["n"] == 1 and raw["n"] is None


def test_a_record_of_a_page_dumps_to_json_and_still_tracks_changes(offline_client: Client) -> None:
    todo = offline_client.bucket("b").collection("c")
    record = Record.from_page(todo, {"id": "r1", "last_modified": 5, "title": "milk",
                                     "tags": [{"k": 1}]}, None, None)
    assert json.dumps(record.data) == '{"title": "milk", "tags": [{"k": 1}]}'
    assert record.save_request() is None  # reading it as JSON is no change
    assert record.path == "/buckets/b/collections/c/records/r1"
    record.data.tags[0]["k"] = 2
    request = record.save_request()
    assert request is not None and request.body == {"data": {"title": "milk", "tags": [{"k": 2}]}}
    assert pickle.loads(pickle.dumps(record.data)) == {"title": "milk", "tags": [{"k": 2}]}


def test_a_record_is_not_a_dict_and_says_where_its_fields_are(offline_client: Client) -> None:
    record = loaded(offline_client, {"title": "milk"})
    with pytest.raises(TypeError, match=r"read its fields as record\.data\['title'\], its id as "
                                        r"record\.id; json\.dumps\(record\.data\)"):
        record["title"]


def test_live_json_dumps_of_each_record_of_a_scan(todo: Collection) -> None:
    sent = {r["id"]: r for r in todo.dicts()}
    for record in todo:
        server = {k: v for k, v in sent[record.id].items() if k not in ("id", "last_modified")}
        assert json.loads(json.dumps(record.data)) == server
