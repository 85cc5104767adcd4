"""Tests of _lookups.py: lookups and value encoding (pure), and what Kinto reads of them (live)."""

from __future__ import annotations

import datetime
import decimal
import re
import uuid

import pytest
import requests

from kinto_query import Bucket, Client, InvalidQuery
from kinto_query._lookups import encode_filter, field_path

from .conftest import AUTH, TODO, raw_put_record


def raw_ids(url: str) -> list[str]:
    """The ids of the records a raw GET returns (Basic auth, nothing of kinto_query)."""
    response = requests.get(url, auth=AUTH, timeout=10)
    response.raise_for_status()
    return sorted(record["id"] for record in response.json()["data"])


@pytest.mark.parametrize(
    ("key", "value", "sent"),
    [
        ("status", "done", ("status", "done")),
        ("status__eq", "done", ("status", "done")),
        ("status__ne", "done", ("not_status", "done")),
        ("n__gt", 3, ("gt_n", "3")),
        ("n__gte", 3, ("min_n", "3")),
        ("n__lt", 2.5, ("lt_n", "2.5")),
        ("n__lte", 3, ("max_n", "3")),
        ("n__in", [1, 2, 3], ("in_n", "1,2,3")),
        ("status__not_in", ("a", "b"), ("exclude_status", "a,b")),
        ("title__like", "milk*", ("like_title", "milk*")),
        ("author__has", True, ("has_author", "true")),
        ("author__has", False, ("has_author", "false")),
        ("tags__contains", ["a", "b"], ("contains_tags", '["a","b"]')),
        ("tags__contains_any", ["work"], ("contains_any_tags", '["work"]')),
        ("tags__contains", "a", ("contains_tags", '"a"')),
        ("author__name", "ann", ("author.name", "ann")),
        ("author__age__gte", 25, ("min_author.age", "25")),
        ("author.name", "ann", ("author.name", "ann")),
        ("author.age__lt", 30, ("lt_author.age", "30")),
        ("done", True, ("done", "true")),
        ("done", None, ("done", "null")),
        ("n", 0, ("n", "0")),
        # A field whose own name Kinto would read as an operator, named with an explicit
        # __eq (the plain name is refused as a raw-prefix habit), goes as eq_<field>.
        ("in_stock__eq", True, ("eq_in_stock", "true")),
        ("contains_x__eq", "y", ("eq_contains_x", "y")),
        ("opt_in", True, ("opt_in", "true")),  # "_in" is a lookup slip only with a list
        ("index", 1, ("index", "1")),
    ],
)
def test_lookup_table(key: str, value: object, sent: tuple[str, str]) -> None:
    assert encode_filter(key, value) == sent


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("1.0", '"1.0"'),
        ("100", '"100"'),
        ("true", '"true"'),
        ("null", '"null"'),
        ('"quoted"', '"\\"quoted\\""'),
        ("[1]", '"[1]"'),
        (" 7 ", '" 7 "'),
        ("NaN", '"NaN"'),
        ("done", "done"),
        ("a&b=c#d+e f", "a&b=c#d+e f"),
        ("héllo 漢字", "héllo 漢字"),
        ("", ""),
    ],
)
def test_strings_the_server_would_decode_are_quoted(value: str, sent: str) -> None:
    assert encode_filter("title", value) == ("title", sent)


def test_in_lists_quote_ambiguous_strings_and_keep_numbers() -> None:
    assert encode_filter("v__in", ["1", 1, True, None, "x", 2.5]) == (
        "in_v",
        '"1",1,true,null,x,2.5',
    )
    assert encode_filter("v__in", (s for s in ["a", "b"])) == ("in_v", "a,b")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("v__in", ["a,b"], "holds a comma"),
        ("v__in", [], "empty list"),
        ("v__in", "abc", "expected a list"),
        ("v__in", [[1]], "expected a string, number"),
        ("v__has", "yes", "has takes True or False"),
        ("v__like", 3, "like takes a string"),
        ("v", [1, 2], "contains or contains_any"),
        ("v", float("nan"), "cannot be sent"),
        ("v", "a\x00b", "NUL"),
        ("v__gtee", 1, "unknown lookup 'gtee': did you mean 'gte'?"),
        ("v__min", 1, "did you mean 'gte'?"),
        ("v__icontains", "x", "did you mean 'like'?"),
        ("v__contain", [1], "did you mean 'contains'?"),
        ("_limit", 1, "Kinto's own parameters"),
        ("_since__gt", 1, "Kinto's own parameters"),
        ("a__", 1, "invalid field name"),
        ("a-b", 1, "invalid field name"),
        ("", 1, "invalid field name"),
    ],
)
def test_inexpressible_lookups_raise(key: str, value: object, message: str) -> None:
    with pytest.raises(InvalidQuery, match=message) as caught:
        encode_filter(key, value)
    assert isinstance(caught.value, ValueError)


def test_unknown_lookup_lists_the_valid_ones() -> None:
    with pytest.raises(InvalidQuery) as caught:
        encode_filter("n__gtee", 1)
    assert "valid lookups: eq, ne, gt, gte, lt, lte, in, not_in, like, has" in str(caught.value)
    assert "write 'n__gtee__eq'" in str(caught.value)
    assert encode_filter("n__gtee__eq", 1) == ("n.gtee", "1")


@pytest.mark.parametrize(
    ("key", "value", "sent"),
    [
        ("status", "done", ("not_status", "done")),
        ("status__ne", "done", ("status", "done")),
        ("status__in", ["a", "b"], ("exclude_status", "a,b")),
        ("status__not_in", ["a"], ("in_status", "a")),
        ("author__has", True, ("has_author", "false")),
    ],
)
def test_exact_negations(key: str, value: object, sent: tuple[str, str]) -> None:
    assert encode_filter(key, value, negate=True) == sent


@pytest.mark.parametrize("op", ["gt", "gte", "lt", "lte", "like", "contains", "contains_any"])
def test_inexact_negations_are_refused_with_a_hint(op: str) -> None:
    with pytest.raises(InvalidQuery, match=r"no exact negation.*opposite lookup"):
        encode_filter(f"n__{op}", 1 if op[0] in "gl" and op != "like" else "x", negate=True)


def test_field_path() -> None:
    assert field_path("a__b__c") == "a.b.c"
    assert field_path("a.b") == "a.b"
    assert field_path("émoji_ok") == "émoji_ok"


@pytest.mark.parametrize(
    ("key", "value", "sent"),
    [
        ("day", datetime.date(2024, 1, 2), ("day", "2024-01-02")),
        ("uid", uuid.UUID(int=1), ("uid", "00000000-0000-0000-0000-000000000001")),
        ("price__gte", decimal.Decimal("12.50"), ("min_price", "12.5")),
        ("day__in", [datetime.date(2024, 1, 2)], ("in_day", "2024-01-02")),
        ("last_modified__gte", datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
         ("min_last_modified", "1704067200000")),
    ],
)
def test_values_are_encoded_as_records_store_them(
    key: str, value: object, sent: tuple[str, str]
) -> None:
    assert encode_filter(key, value) == sent


def test_last_modified_refuses_a_naive_datetime() -> None:
    with pytest.raises(InvalidQuery, match="naive datetime"):
        encode_filter("last_modified__gte", datetime.datetime(2024, 1, 1))


# -- names and values Kinto would read as something else --------------------------------------


def test_contains_on_a_field_named_any_something_is_refused(offline_client: Client) -> None:
    # Sent as contains_any_tags, Kinto would read contains_any on "tags" (checked live below).
    todo = offline_client.bucket("b").collection("todo")
    with pytest.raises(InvalidQuery) as caught:
        todo.filter(any_tags__contains=["y"])
    assert str(caught.value) == (
        "any_tags__contains: Kinto would read the parameter 'contains_any_tags' as contains_any "
        "on field 'tags', not contains on 'any_tags', and cannot express this lookup; for a "
        "single value, any_tags__contains_any=[value] means the same; otherwise rename the field"
    )


def test_contains_on_a_nested_field_under_any_something_is_refused() -> None:
    with pytest.raises(InvalidQuery, match=r"'contains_any_x\.y' as contains_any on field 'x\.y'"):
        encode_filter("any_x__y__contains", [1])


@pytest.mark.parametrize(
    ("key", "sent"),
    [
        # Kinto falls back to "contains" when what follows "contains_any" is not "_<field>".
        ("any__contains", "contains_any"),
        ("any___contains", "contains_any_"),
        ("any__x__contains", "contains_any.x"),
        ("any_tags__contains_any", "contains_any_any_tags"),
    ],
)
def test_contains_on_fields_named_like_any_that_kinto_reads_right(key: str, sent: str) -> None:
    assert encode_filter(key, [1]) == (sent, "[1]")


def test_a_plain_field_named_like_a_list_operator_goes_as_eq() -> None:
    # "in_=v" would be read as a comma list (["v"]) compared with the field "in_".
    assert encode_filter("in_", "v") == ("eq_in_", "v")


@pytest.mark.parametrize(("lookup", "name"), [("in", "in_status"), ("not_in", "exclude_status")])
def test_an_empty_string_in_an_in_list_is_sent_json_quoted(lookup: str, name: str) -> None:
    # Kinto drops the empty items of "in_status=,done"; it reads '""' as the empty string.
    assert encode_filter(f"status__{lookup}", ["", "done"]) == (name, '"",done')


def test_live_an_empty_string_in_an_in_list_matches(kinto_fresh_server: str) -> None:
    client = Client(kinto_fresh_server, auth=AUTH)
    todo = Bucket("w", client=client, create=True).create_collection("todo")
    for record_id, status in (("blank", ""), ("done", "done"), ("todo", "todo")):
        raw_put_record(kinto_fresh_server, record_id, {"status": status})
    assert sorted(r.id for r in todo.filter(status__in=["", "done"])) == ["blank", "done"]
    assert sorted(r.id for r in todo.filter(status__not_in=["", "done"])) == ["todo"]


def test_live_kinto_reads_contains_any_tags_as_contains_any_on_tags(
    kinto_fresh_server: str,
) -> None:
    # Why any_tags__contains is refused: the parameter it would need means something else.
    client = Client(kinto_fresh_server, auth=AUTH)
    todo = Bucket("w", client=client, create=True).create_collection("todo")
    raw_put_record(kinto_fresh_server, "r", {"tags": ["x"], "any_tags": ["y"]})
    records = f"{kinto_fresh_server}{TODO}/records"
    assert raw_ids(records + '?contains_any_tags=["y"]') == []
    assert raw_ids(records + '?contains_any_tags=["x"]') == ["r"]
    assert [r.id for r in todo.filter(any_tags__contains_any=["y"])] == ["r"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("title", "a\ud800b"),
        ("title__like", "\udfff"),
        ("title__in", ["ok", "\ud800"]),
        ("tags__contains", ["\ud800"]),
        ("tags__contains_any", "\ud800"),
    ],
)
def test_a_lone_surrogate_in_a_value_is_an_invalid_query(key: str, value: object) -> None:
    field, _, op = key.partition("__")
    message = (rf"^{field}__{op or 'eq'}: the value holds '\\ud[8f]\w\w', a lone surrogate "
               r"that cannot be sent in a URL \(not valid UTF-8\)$")
    with pytest.raises(InvalidQuery, match=message):
        encode_filter(key, value)


def test_a_lone_surrogate_in_a_field_name_is_an_invalid_query(offline_client: Client) -> None:
    todo = offline_client.bucket("b").collection("todo")
    with pytest.raises(InvalidQuery, match=r"^invalid field name 'a\\ud800'"):
        todo.filter(**{"a\ud800": 1})
    with pytest.raises(InvalidQuery, match=r"^invalid field name 'a\\ud800'"):
        todo.filter(**{"a\ud800__in": [1]})


def test_an_integer_kinto_would_read_as_a_float_is_refused() -> None:
    with pytest.raises(InvalidQuery) as caught:
        encode_filter("n", 2**64 + 1)
    assert str(caught.value) == (
        "n__eq: Kinto reads integers beyond 64 bits as floats, so 18446744073709551617 would "
        "mean 1.8446744073709552e+19 (pass float(value) if that is what you mean)"
    )


@pytest.mark.parametrize(
    ("key", "value"), [("n__in", [1, -(2**63) - 1]), ("t__contains", [[2**64]])]
)
def test_an_integer_beyond_64_bits_is_refused_inside_lists(key: str, value: object) -> None:
    with pytest.raises(InvalidQuery, match="integers beyond 64 bits"):
        encode_filter(key, value)


def test_the_64_bit_integers_kinto_reads_exactly_are_sent() -> None:
    assert encode_filter("n__in", [-(2**63), 2**64 - 1]) == (
        "in_n", "-9223372036854775808,18446744073709551615"
    )


def test_live_kinto_reads_an_integer_beyond_64_bits_as_a_float(kinto_fresh_server: str) -> None:
    # Why 2**64 + 1 is refused: Kinto would match a record holding 2**64 too.
    Bucket("w", client=Client(kinto_fresh_server, auth=AUTH), create=True).create_collection(
        "todo")
    raw_put_record(kinto_fresh_server, "big", {"n": 2**64})
    assert raw_ids(f"{kinto_fresh_server}{TODO}/records?n={2**64 + 1}") == ["big"]


@pytest.mark.parametrize(
    ("key", "value", "meant"),
    [
        ("min_priority", 3, "priority__gte=3"),
        ("max_priority", 3, "priority__lte=3"),
        ("not_status", "done", "status__ne='done'"),
        ("in_status", ["a", "b"], "status__in=['a', 'b']"),
        ("exclude_status", ["a"], "status__not_in=['a']"),
        ("like_title", "milk*", "title__like='milk*'"),
        ("has_author", True, "author__has=True"),
        ("gt_priority", 3, "priority__gt=3"),
        ("lt_priority", 3, "priority__lt=3"),
        ("contains_tags", ["a"], "tags__contains=['a']"),
        ("contains_any_tags", ["a"], "tags__contains_any=['a']"),
        ("eq_status", "done", "status='done'"),
        ("min_author.age", 3, "author__age__gte=3"),
        ("priority_gte", 3, "priority__gte=3"),
        ("priority_ne", 3, "priority__ne=3"),
        ("status_in", ["a"], "status__in=['a']"),
        ("status_not_in", ["a"], "status__not_in=['a']"),
        ("tags_contains_any", ["a"], "tags__contains_any=['a']"),
        ("author__age_lt", 3, "author__age__lt=3"),
    ],
)
def test_kinto_http_habits_are_refused_with_the_lookup_meant(
    key: str, value: object, meant: str
) -> None:
    with pytest.raises(InvalidQuery, match=re.escape(f"did you mean `{meant}`?")) as error:
        encode_filter(key, value)
    # The way to filter on a field really named so is in the same message.
    assert f"for a field really named {key!r}, write `{key}__" in str(error.value)


def test_a_habit_in_exclude_is_named_as_written(offline_client: Client) -> None:
    todo = offline_client.bucket("b").collection("todo")
    with pytest.raises(InvalidQuery, match=re.escape("exclude(not_status='done'): Kinto's raw "
                                                     "prefix 'not_'")):
        todo.exclude(not_status="done")


def test_live_a_field_really_named_like_a_prefix_is_filtered_with_eq(
    kinto_fresh_server: str,
) -> None:
    client = Client(kinto_fresh_server, auth=AUTH)
    todo = Bucket("w", client=client, create=True).create_collection("todo")
    raw_put_record(kinto_fresh_server, "named", {"min_priority": 3, "priority": 1})
    raw_put_record(kinto_fresh_server, "other", {"min_priority": 1, "priority": 3})
    assert [r.id for r in todo.filter(min_priority__eq=3)] == ["named"]
    assert [r.id for r in todo.filter(priority__gte=3)] == ["other"]
