"""Warnings from a query's first page, where a filter's answer suggests a slip.

Kinto answers two common slips with results, not errors: a string value where the records
hold numbers (``filter(priority="3")`` is sent as the string "3": values mean what you wrote)
matches nothing, and a misspelt field matches every record under ``gt``, ``gte`` and ``ne``
(a missing field is greater than any value). The first page tells both apart from a real
answer cheaply: it is checked once per scan, never per record (``watched`` in
``kinto_query._queries._async.scan``: the page stream that logs them).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from .._lookups import read_back

__all__ = ["first_page_warnings"]

logger = logging.getLogger("kinto_query")

# Fields every object of a list has, and the lookups a missing field is expected under.
_ALWAYS = frozenset(("id", "last_modified"))
_ABSENCE_IS_THE_POINT = frozenset(("has",))


def _lookup(field: str, op: str, value: Any) -> str:
    key = field.replace(".", "__") + ("" if op == "eq" else f"__{op}")
    return f"{key}={value!r}"


def _number(value: object) -> int | float | None:
    """The number a string spells (``"3"`` -> 3), or None."""
    if not isinstance(value, str):
        return None
    try:
        number = json.loads(value)
    except ValueError:
        return None
    return number if isinstance(number, (int, float)) and not isinstance(number, bool) else None


def _has_path(obj: Any, path: list[str]) -> bool:
    for part in path:
        if not isinstance(obj, dict) or part not in obj:
            return False
        obj = obj[part]
    return True


def first_page_warnings(filters: tuple[tuple[str, str], ...], items: list[dict[str, Any]],
                        fields: tuple[str, ...]) -> list[str]:
    """What the first page of a filtered query suggests went wrong (empty when nothing).

    >>> first_page_warnings((("priority", '"3"'),), [], ())[0].endswith("filter(priority=3)")
    True
    """
    warnings = []
    live = [item for item in items if item.get("deleted") is not True]
    for name, text in filters:
        field, op, value = read_back(name, text)
        if not items:
            values = value if isinstance(value, list) else [value]
            numbers = [_number(v) for v in values]
            if any(n is not None for n in numbers):
                spelt = [v if n is None else n for v, n in zip(values, numbers, strict=True)]
                meant = spelt if isinstance(value, list) else spelt[0]
                sent = "were sent as strings" if isinstance(value, list) else "was sent as a string"
                warnings.append(
                    f"filter({_lookup(field, op, value)}) matched nothing: {value!r} {sent} "
                    "(values mean what you wrote); if the field holds numbers, write "
                    f"filter({_lookup(field, op, meant)})"
                )
            continue
        path = field.split(".")
        if field in _ALWAYS or op in _ABSENCE_IS_THE_POINT or not live:
            continue
        if fields and path[0] not in fields and field not in fields:
            continue  # fields() left it out of the answer: its absence says nothing
        if not any(_has_path(item, path) for item in live):
            warnings.append(
                f"no result of the first page has the field {field!r} of "
                f"filter({_lookup(field, op, value)}): is it misspelt? (Kinto counts a "
                "missing field as greater than any value and unequal to all)"
            )
    return warnings

