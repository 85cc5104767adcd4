"""Python values users hold, turned into the JSON Kinto stores and the milliseconds it counts in.

``date``/``datetime`` become ISO 8601 strings, ``UUID`` its canonical string, ``Decimal`` a JSON
number (Kinto reads numbers as floats, so that is all the precision it keeps). Anything else
that JSON cannot hold is a ``TypeError`` naming the field, before any request.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import re
import uuid
from typing import Any

__all__ = ["dumps", "etag_timestamp", "milliseconds", "to_json"]

# Kinto's ETag is its timestamp quoted (weak, W/"...", through some proxies); bare digits too.
_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?\Z')


def etag_timestamp(value: str) -> int | None:
    """The timestamp (milliseconds) an ``ETag`` stands for, or None if it is not one.

    >>> etag_timestamp('"1700000000000"'), etag_timestamp('W/"12"'), etag_timestamp("soon")
    (1700000000000, 12, None)
    """
    match = _ETAG.match(value.strip())
    return None if match is None else int(match.group(1))


def to_json(value: object) -> Any:
    """The JSON-ready form of one of the extra types, or ``TypeError``.

    >>> to_json(datetime.date(2024, 1, 2))
    '2024-01-02'
    """
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise TypeError(f"{value!r} is not a finite number")
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _find_unserializable(value: object, path: str) -> str | None:
    """The dotted path of the first value JSON cannot hold, for the error message."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                return f"{path}.{key!r}" if path else repr(key)  # JSON keys are strings
            found = _find_unserializable(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _find_unserializable(item, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if value is None or isinstance(value, (str, int, bool)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    try:
        to_json(value)
    except TypeError:
        return path
    return None


def dumps(body: object) -> bytes:
    """Compact JSON of a request body, or ``TypeError`` naming the field that cannot be sent.

    >>> dumps({"data": {"uid": uuid.UUID(int=1)}})
    b'{"data":{"uid":"00000000-0000-0000-0000-000000000001"}}'
    """
    try:
        return json.dumps(
            body, separators=(",", ":"), allow_nan=False, default=to_json
        ).encode()
    except (TypeError, ValueError) as error:
        where = _find_unserializable(body, "")
        field = where.removeprefix("data.") if where else None
        what = f"field {field!r}" if field else "the body"
        raise TypeError(f"cannot send {what} to Kinto: {error}") from None


def milliseconds(value: object, what: str) -> int | None:
    """Kinto's timestamp (ms since the epoch) of an aware ``datetime``; None for other types.

    A naive datetime is refused: its time zone would be a guess.

    >>> milliseconds(datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc), "since")
    1704067200000
    """
    if not isinstance(value, datetime.datetime):
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{what}: a naive datetime has no time zone; pass an aware one, "
            "e.g. datetime.now(timezone.utc)"
        )
    delta = value - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return delta // datetime.timedelta(milliseconds=1)
