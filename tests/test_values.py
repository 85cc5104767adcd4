"""Tests of _values.py: the Python values users hold, as the JSON and milliseconds Kinto reads."""

from __future__ import annotations

import datetime
import decimal
import re
import time
import uuid

import pytest

from kinto_query import Collection
from kinto_query._values import dumps, milliseconds, to_json

from .conftest import TODO, raw, raw_put_record, raw_record

UTC = datetime.timezone.utc

# -- pure ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (datetime.date(2024, 1, 2), b'"2024-01-02"'),
        (datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), b'"2024-01-02T03:04:05+00:00"'),
        (datetime.datetime(2024, 1, 2, 3, 4, 5), b'"2024-01-02T03:04:05"'),
        (datetime.time(3, 4), b'"03:04:00"'),
        (uuid.UUID(int=1), b'"00000000-0000-0000-0000-000000000001"'),
        (decimal.Decimal("12.50"), b"12.5"),
        (decimal.Decimal("12.00"), b"12"),
    ],
)
def test_dumps_encodes_standard_values(value: object, sent: bytes) -> None:
    assert dumps({"v": value}) == b'{"v":' + sent + b"}"


def test_dumps_is_compact() -> None:
    assert dumps({"data": {"a": [1, 2], "b": None}}) == b'{"data":{"a":[1,2],"b":null}}'


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"data": {"bad": object()}}, "field 'bad'"),
        ({"data": {"meta": {"when": object()}}}, "field 'meta.when'"),
        ({"data": {"tags": [1, {"x": object()}]}}, "field 'tags[1].x'"),
        ({"data": {"n": float("nan")}}, "field 'n'"),
        ({"data": {"price": decimal.Decimal("NaN")}}, "field 'price'"),
    ],
)
def test_dumps_names_what_cannot_be_sent(body: object, named: str) -> None:
    with pytest.raises(TypeError, match=re.escape(f"cannot send {named} to Kinto")):
        dumps(body)


def test_to_json_refuses_other_types() -> None:
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        to_json({1})


def test_milliseconds_of_an_aware_datetime() -> None:
    moment = datetime.datetime(2024, 1, 1, 0, 0, 0, 1500, tzinfo=UTC)
    assert milliseconds(moment, "since") == 1704067200001


def test_milliseconds_honours_the_time_zone() -> None:
    paris = datetime.timezone(datetime.timedelta(hours=1))
    moment = datetime.datetime(2024, 1, 1, 1, 0, tzinfo=paris)
    assert milliseconds(moment, "since") == 1704067200000


def test_milliseconds_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="since: a naive datetime has no time zone"):
        milliseconds(datetime.datetime(2024, 1, 1), "since")


@pytest.mark.parametrize("value", [1704067200000, "1704067200000", datetime.date(2024, 1, 1)])
def test_milliseconds_leaves_other_values_to_the_caller(value: object) -> None:
    assert milliseconds(value, "since") is None


# -- live: what the server stores and matches ---------------------------------------------------


def test_create_record_encodes_standard_values(todo: Collection, kinto_fresh_server: str) -> None:
    """Dates, aware datetimes, UUIDs and Decimals are sent as ISO strings, strings, numbers."""
    todo.create_record(
        {
            "id": "v1",
            "day": datetime.date(2024, 1, 2),
            "at": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
            "uid": uuid.UUID(int=1),
            "price": decimal.Decimal("12.50"),
        }
    )
    saved = raw_record(kinto_fresh_server, "v1")
    assert saved["day"] == "2024-01-02"
    assert saved["at"] == "2024-01-02T03:04:05+00:00"
    assert saved["uid"] == "00000000-0000-0000-0000-000000000001"
    assert saved["price"] == 12.5
    assert isinstance(saved["price"], float)


def test_filter_by_date(todo: Collection, kinto_fresh_server: str) -> None:
    """filter(day=date) matches the ISO string stored."""
    raw_put_record(kinto_fresh_server, "v1", {"day": "2024-01-02"})
    assert [r.id for r in todo.filter(day=datetime.date(2024, 1, 2))] == ["v1"]


def test_filter_by_decimal(todo: Collection, kinto_fresh_server: str) -> None:
    """filter(price__gte=Decimal) compares as a number."""
    raw_put_record(kinto_fresh_server, "v0", {"price": 3})
    raw_put_record(kinto_fresh_server, "v1", {"price": 12.5})
    ids = [r.id for r in todo.filter(price__gte=decimal.Decimal("12"))]
    assert "v1" in ids
    assert "v0" not in ids


def _moment_then_late(url: str) -> datetime.datetime:
    """An aware datetime at r3's last change, then a record "late" created after it."""
    ms = raw_record(url, "r3")["last_modified"]
    time.sleep(0.01)
    raw_put_record(url, "late", {"title": "late"})
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)


def test_since_aware_datetime(todo: Collection, kinto_fresh_server: str) -> None:
    """since(datetime) returns the records changed after that moment only."""
    dt = _moment_then_late(kinto_fresh_server)
    ids = [r.id for r in todo.since(dt)]
    assert "late" in ids
    assert "r1" not in ids


def test_filter_last_modified_gte_datetime(todo: Collection, kinto_fresh_server: str) -> None:
    """filter(last_modified__gte=datetime) compares with the timestamp in milliseconds."""
    dt = _moment_then_late(kinto_fresh_server)
    ids = [r.id for r in todo.filter(last_modified__gte=dt)]
    assert "late" in ids
    assert "r1" not in ids


def test_unserializable_value_names_field(todo: Collection, kinto_fresh_server: str) -> None:
    """A value JSON cannot hold raises TypeError naming the field; nothing is created."""
    with pytest.raises(TypeError) as caught:
        todo.create_record({"id": "v2", "bad": object()})
    assert "bad" in str(caught.value)
    assert raw("GET", kinto_fresh_server, f"{TODO}/records/v2").status_code == 404


def test_unserializable_nested_value_names_path(todo: Collection, kinto_fresh_server: str) -> None:
    """A bad value inside a nested object is named by its dotted path."""
    with pytest.raises(TypeError) as caught:
        todo.create_record({"id": "v2", "meta": {"when": object()}})
    assert "meta.when" in str(caught.value)
    assert raw("GET", kinto_fresh_server, f"{TODO}/records/v2").status_code == 404


def test_the_field_named_is_the_one_json_refuses() -> None:
    """Keys JSON accepts (an int) are not blamed for another field's bytes value."""
    with pytest.raises(TypeError, match="field 'z'"):
        dumps({"data": {"m": {1: "a"}, "z": b"x"}})
