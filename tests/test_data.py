"""Tests of _data.py: the view allowing both data.title and data["title"]."""

from __future__ import annotations

import pytest

from kinto_query import Data


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
