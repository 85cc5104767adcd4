"""Tests of cli/values.py: typed text on the command line and in CSV cells."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kinto_query import Collection
from kinto_query.cli.values import read_value, write_value

from .clitools import run


def test_values_are_typed_as_json_and_quotes_force_a_string(kinto_fresh_server: str,
                                                            shop: Collection):
    def ids(*filters: str) -> list[str]:
        args = ["records", "shop/todo", "--format", "ids", "--sort", "id"]
        for text in filters:
            args += ["--filter", text]
        done = run(args, server=kinto_fresh_server)
        assert done.status == 0, done.err
        return done.lines

    assert ids("title=1.0") == []  # the number 1.0: no title is a number
    assert ids('title="1.0"') == ["odd"]  # JSON-quoted: the string "1.0"
    assert ids('title="007"') == ["quoted"]
    assert ids("priority=3") == ["odd", "t003", "t008"]  # the number 3
    assert ids('priority="3"') == ["quoted"]  # the string "3"
    assert ids("status__in=todo,nope", "priority__in=0,4") == ["t000", "t004", "t010"]
    assert ids("tags__contains_any=home", "status=done") == ["t003", "t009"]
    assert ids("title__like=task 1*") == ["t001", "t010", "t011"]
    # And the URLs say exactly that.
    url = run(["records", "shop/todo", "-f", 'title="1.0"', "-f", "priority__gte=3", "--url"],
              server=kinto_fresh_server)
    assert url.out == (f"GET {kinto_fresh_server}/buckets/shop/collections/todo/records"
                       "?title=%221.0%22&min_priority=3\n")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(json_values)
def test_a_cell_reads_back_as_the_value_written(value: Any):
    assert read_value(write_value(value)) == value


@given(st.text())
def test_a_string_is_written_as_is_unless_it_would_read_as_something_else(text: str):
    cell = write_value(text)
    assert cell == text or json.loads(cell) == text


def test_typed_text():
    assert [read_value(t) for t in ("3", "-1.5", "true", "null", '"3"', "done", "007", "NaN",
                                    " 3 ", "[1,2]", '{"a":1}', "", "1e999")] == [
        3, -1.5, True, None, "3", "done", "007", "NaN", 3, [1, 2], {"a": 1}, "", "1e999"]
    assert [write_value(v) for v in ("3", "", "done", None, "NaN", 2.5, [1, "a"])] == [
        '"3"', '""', "done", "null", "NaN", "2.5", '[1,"a"]']
