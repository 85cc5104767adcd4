"""Typed text: how a value typed on the command line, or held in a CSV cell, becomes JSON.

One rule for both, the one Kinto itself applies to querystring values: text that is valid
JSON means that JSON (``3`` a number, ``true`` a boolean, ``null``, ``[1, 2]`` a list,
``"1.0"`` in double quotes a string); any other text is the string as written (``done``).
So ``priority__gte=3`` compares with the number 3 and ``title='"1.0"'`` with the string
"1.0". Writing a CSV cell is the inverse: a string that would read as something else is
written JSON-quoted, everything else as JSON, so a file exported then imported is exact.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["read_text_value", "read_value", "write_value"]


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (Kinto refuses them): such text stays a string.
    raise ValueError(name)


def _json(text: str) -> tuple[bool, Any]:
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except ValueError:
        return False, None
    if isinstance(value, float) and not math.isfinite(value):
        return False, None  # 1e999: too big for a float, so no number Kinto could hold
    return True, value


def read_value(text: str) -> Any:
    """The value a piece of typed text means.

    >>> read_value("3"), read_value("done"), read_value('"1.0"'), read_value("[1, 2]")
    (3, 'done', '1.0', [1, 2])
    """
    ok, value = _json(text)
    return value if ok else text


def read_text_value(text: str) -> str:
    """Text that must be a string (an id, a ``like`` pattern): JSON quotes are removed,
    anything else is kept as written.

    >>> read_text_value('"007"'), read_text_value("007")
    ('007', '007')
    """
    ok, value = _json(text)
    return value if ok and isinstance(value, str) else text


def write_value(value: Any) -> str:
    """The typed text of a value, read back by ``read_value`` as the same value.

    >>> write_value("done"), write_value("3"), write_value(3), write_value({"a": [1]})
    ('done', '"3"', '3', '{"a":[1]}')
    """
    if isinstance(value, str) and value and not _json(value)[0]:
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
