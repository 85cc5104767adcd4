"""``--filter name__op=value`` and friends, read into the library's own lookups.

The lookup name goes through ``kinto_query.split_lookup`` (the same check and the same
suggestions as ``query.filter()``); the value is typed text (see ``values``), shaped by the
operator: ``in``, ``not_in``, ``contains`` and ``contains_any`` take a comma list or a JSON
array, ``has`` takes true or false, ``like`` is always a string pattern, and a
``last_modified`` bound may be an ISO 8601 date-time with a time zone.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from typing import Any

from .. import split_lookup
from ..exceptions import InvalidQuery
from .values import read_text_value, read_value

__all__ = ["parse_lookup", "split_list"]

_LISTS = ("in", "not_in", "contains", "contains_any")


def split_list(values: Iterable[str]) -> tuple[str, ...]:
    """``("a,b", "c")`` -> ``("a", "b", "c")``: options given comma-separated or repeated."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _timestamp(text: str) -> Any:
    """An aware ISO 8601 date-time as a datetime (the library turns it into milliseconds)."""
    try:
        when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return read_value(text)
    if when.tzinfo is None:
        raise InvalidQuery(f"{text!r} has no time zone: add one, e.g. {text}Z or {text}+02:00")
    return when


def _list_value(text: str, what: str) -> list[Any]:
    if text.lstrip().startswith("["):
        try:
            value = json.loads(text)
        except ValueError as error:
            raise InvalidQuery(f"{what}: {text!r} is not a JSON array ({error})") from None
        if not isinstance(value, list):
            raise InvalidQuery(f"{what}: {text!r} is not a JSON array")
        return value
    return [read_value(part) for part in text.split(",")]


def parse_lookup(text: str) -> tuple[str, Any]:
    """``"priority__gte=3"`` -> ``("priority__gte", 3)``, ready for ``query.filter(**...)``.

    >>> parse_lookup("priority__gte=3"), parse_lookup("status__in=todo,doing")
    (('priority__gte', 3), ('status__in', ['todo', 'doing']))
    >>> parse_lookup('title="1.0"')
    ('title', '1.0')
    """
    name, equals, raw = text.partition("=")
    name = name.strip()
    if not equals or not name:
        raise InvalidQuery(
            f"{text!r}: a filter is NAME=VALUE, e.g. status=done, priority__gte=3 or "
            "author__name=ann"
        )
    field, op = split_lookup(name)
    what = f"{name}={raw}"
    if op in _LISTS:
        return name, _list_value(raw, what)
    if op == "has":
        value = read_value(raw)
        if not isinstance(value, bool):
            raise InvalidQuery(f"{what}: has takes true or false")
        return name, value
    if op == "like":
        return name, read_text_value(raw)
    if field == "last_modified" and "T" in raw:
        return name, _timestamp(raw)
    return name, read_value(raw)
