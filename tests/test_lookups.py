"""Pure tests: field__op lookups and value encoding."""

from __future__ import annotations

import datetime
import decimal
import uuid

import pytest

from kinto_query import InvalidQuery
from kinto_query._lookups import encode_filter, field_path


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
        # A field whose own name Kinto would read as an operator goes as eq_<field>.
        ("in_stock", True, ("eq_in_stock", "true")),
        ("contains_x", "y", ("eq_contains_x", "y")),
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
