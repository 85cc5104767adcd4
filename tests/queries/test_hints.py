"""Tests of _queries/hints.py: the warnings a filtered query's first page gives (pure and live)."""

from __future__ import annotations

import logging

import pytest

from kinto_query import Bucket, Client
from kinto_query._queries.hints import first_page_warnings

from ..conftest import AUTH, raw_put_record


@pytest.mark.parametrize(
    ("filters", "advice"),
    [
        ((("priority", '"3"'),), "write filter(priority=3)"),
        ((("min_priority", '"2.5"'),), "write filter(priority__gte=2.5)"),
        ((("in_priority", '"3","x"'),), "write filter(priority__in=[3, 'x'])"),
    ],
)
def test_a_number_sent_as_a_string_that_matched_nothing_is_pointed_out(
    filters: tuple[tuple[str, str], ...], advice: str
) -> None:
    (warning,) = first_page_warnings(filters, [], ())
    assert "matched nothing" in warning and "values mean what you wrote" in warning
    assert warning.endswith(advice)


@pytest.mark.parametrize(
    ("filters", "items", "fields"),
    [
        ((("title", "milk"),), [], ()),  # not a number: an empty answer is an answer
        ((("priority", "3"),), [], ()),  # a number sent as one
        ((("min_priority", "3"),), [{"id": "a", "priority": 4}], ()),
        ((("min_author.age", "3"),), [{"id": "a", "author": {"age": 4}}], ()),
        ((("has_author", "false"),), [{"id": "a"}], ()),  # absent on purpose
        ((("not_id", "x"),), [{"id": "a"}], ()),
        ((("min_priority", "3"),), [{"id": "a"}], ("title",)),  # fields() left it out
        ((("min_priority", "3"),), [{"id": "a", "deleted": True}], ()),  # tombstones only
    ],
)
def test_no_warning_for_what_is_a_real_answer(
    filters: tuple[tuple[str, str], ...], items: list[dict[str, object]], fields: tuple[str, ...]
) -> None:
    assert first_page_warnings(filters, items, fields) == []


def test_a_field_in_no_result_of_the_first_page_is_pointed_out() -> None:
    (warning,) = first_page_warnings((("min_prioritty", "3"),), [{"id": "a", "priority": 1}], ())
    assert warning.startswith("no result of the first page has the field 'prioritty' of "
                              "filter(prioritty__gte=3): is it misspelt?")


def test_live_the_first_page_warns_of_a_string_number_and_a_misspelt_field(
    kinto_fresh_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(kinto_fresh_server, auth=AUTH)
    todo = Bucket("w", client=client, create=True).create_collection("todo")
    for record_id, priority in (("a", 3), ("b", 1)):
        raw_put_record(kinto_fresh_server, record_id, {"priority": priority})
    caplog.set_level(logging.WARNING, logger="kinto_query")

    # The string is still sent as written (and matches nothing), with a warning saying why.
    assert list(todo.filter(priority="3")) == []
    assert [r.message for r in caplog.records] == [
        "filter(priority='3') matched nothing: '3' was sent as a string (values mean what you "
        "wrote); if the field holds numbers, write filter(priority=3)"]
    caplog.clear()
    assert [r.id for r in todo.filter(priority=3)] == ["a"]
    assert caplog.records == []

    # Kinto counts the missing field as greater than any value: every record comes back.
    assert sorted(r["id"] for r in todo.filter(prioritty__gte=3).dicts()) == ["a", "b"]
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "the field 'prioritty' of filter(prioritty__gte=3): is it misspelt?" in record.message
    caplog.clear()
    assert [r.id for r in todo.filter(priority__gte=3)] == ["a"]
    assert caplog.records == []
