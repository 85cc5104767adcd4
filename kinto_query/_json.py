"""Decoding the JSON of answers: with msgspec when it is installed (the ``fast`` extra), else
with the standard library's ``json``.

msgspec decodes a page of 10,000 records about twice as fast as ``json`` (decoding is the
largest single cost of a scan), to the same values: exact integers of any size, the last of
duplicate keys, the same floats. What it refuses and ``json`` reads (``NaN``, ``Infinity``, a
number beyond a float's range, a lone surrogate escape, a byte-order mark, UTF-16 or UTF-32)
is read by ``json``, so what a body decodes to never depends on which is installed, and a
body that is not JSON raises ``json``'s ``ValueError`` either way. ``KINTO_QUERY_FAST_JSON=0``
in the environment (read at each decoding) makes it use ``json`` alone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

__all__ = ["decoder", "loads"]

_fast: Callable[[bytes], Any] | None
try:
    from msgspec import DecodeError as _FastError
    from msgspec.json import decode as _fast  # the module's function: safe in any thread
except ImportError:  # the extra is not installed
    _fast = None

    class _FastError(Exception):  # type: ignore[no-redef]  # never raised
        pass


def _chosen() -> Callable[[bytes], Any] | None:
    """msgspec's decoder, unless it is not installed or the environment says not to."""
    if _fast is None or os.environ.get("KINTO_QUERY_FAST_JSON", "1") == "0":
        return None
    return _fast


def decoder() -> str:
    """The decoder ``loads`` uses now: ``"msgspec"`` or ``"json"``.

    >>> decoder() in ("msgspec", "json")
    True
    """
    return "json" if _chosen() is None else "msgspec"


def loads(content: bytes) -> Any:
    """The value of a JSON body, as ``json.loads`` gives it (``ValueError`` if it is not JSON).

    >>> loads(b'{"n": 123456789012345678901234567890, "x": NaN}')["n"]
    123456789012345678901234567890
    """
    fast = _chosen()
    if fast is not None:
        try:
            return fast(content)
        except _FastError:
            pass  # json reads a few things msgspec refuses: it has the last word
    return json.loads(content)
