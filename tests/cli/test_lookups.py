"""Tests of cli/lookups.py: ``--filter`` read into the library's lookups."""

from __future__ import annotations

import datetime

import pytest

from kinto_query import InvalidQuery
from kinto_query.cli.lookups import parse_lookup


def test_filters_are_the_librarys_lookups_with_typed_values():
    assert parse_lookup("priority__gte=3") == ("priority__gte", 3)
    assert parse_lookup('title="1.0"') == ("title", "1.0")
    assert parse_lookup("title=1.0") == ("title", 1.0)
    assert parse_lookup("status=") == ("status", "")
    assert parse_lookup("a=b=c") == ("a", "b=c")
    assert parse_lookup("author__name=ann") == ("author__name", "ann")
    assert parse_lookup("author.name__in=ann,bob") == ("author.name__in", ["ann", "bob"])
    assert parse_lookup("n__not_in=1,2,x") == ("n__not_in", [1, 2, "x"])
    assert parse_lookup('tags__contains=["a,b", 3]') == ("tags__contains", ["a,b", 3])
    assert parse_lookup("tags__contains_any=work") == ("tags__contains_any", ["work"])
    assert parse_lookup("due__has=false") == ("due__has", False)
    assert parse_lookup("title__like=12*") == ("title__like", "12*")  # always a pattern
    assert parse_lookup("last_modified__gte=2024-01-01T00:00:00Z") == (
        "last_modified__gte", datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
    assert parse_lookup("last_modified__lt=1700000000000") == (
        "last_modified__lt", 1700000000000)


@pytest.mark.parametrize(("text", "message"), [
    ("status", "a filter is NAME=VALUE"),
    ("=3", "a filter is NAME=VALUE"),
    ("priority__gtee=3", "unknown lookup 'gtee': did you mean 'gte'?"),
    ("done__has=yes", "has takes true or false"),
    ("tags__in=[1,", "is not a JSON array"),
    ("last_modified__gte=2024-01-01T00:00:00", "has no time zone"),
    ("_since=3", "names starting with '_' are Kinto's own parameters"),
])
def test_filters_that_cannot_be_sent_are_refused(text: str, message: str):
    with pytest.raises(InvalidQuery, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_lookup(text)
