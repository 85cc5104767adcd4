"""Words for what Kinto answers: which object a path names, and what an error body says.

Shared by single requests (``exceptions``) and batch items (``_report``), so both read alike.
Imports nothing of the package.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

__all__ = ["already_exists", "describe", "names_itself", "object_named"]

_PLURALS = ("buckets", "collections", "groups", "records", "accounts")
_FORBIDDEN_HINT = (
    "Kinto answers 403 both when you may not access an object and when a bucket does not exist"
)


def object_named(path: str) -> tuple[str, str, dict[str, str]]:
    """``/v1/buckets/b/collections/c`` -> ``("collection", "c", {"bucket": "b", ...})``."""
    segments = [s for s in path.split("/") if s]
    ids = {
        plural.removesuffix("s"): value
        for plural, value in itertools.pairwise(segments)
        if plural in _PLURALS
    }
    if len(segments) >= 2 and segments[-2] in _PLURALS:
        # Account ids may hold "@" or "+", which travel percent-encoded.
        return segments[-2].removesuffix("s"), unquote(segments[-1]), ids
    return "object", path, ids


def names_itself(details: object, kind: str) -> bool:
    """Whether a 404's details name an object of ``kind`` (not its collection or bucket)."""
    name = details.get("resource_name") if isinstance(details, Mapping) else None
    return name in (None, kind)


def already_exists(path: str) -> str:
    """The message of a create that met an existing object."""
    kind, object_id, _ = object_named(path)
    if kind == "account":
        return (
            f"account {object_id!r} already exists (pass exist_ok=True to accept it as it is; "
            "its owner may change its password)"
        )
    return (
        f"{kind} {object_id!r} already exists (pass exist_ok=True to accept it as it is, "
        "or save(force=True) to overwrite it)"
    )


def describe(status: int, body: Mapping[str, Any], path: str = "") -> str:
    """Words for a Kinto error body, e.g. ``collection 'c' not found``."""
    message = body.get("message")
    details = body.get("details")
    if status == 404 and isinstance(details, Mapping) and "resource_name" in details:
        # Kinto's 404s carry no message, only which object was missing.
        missing, missing_id = details["resource_name"], details.get("id")
        text = f"{missing} {missing_id!r} not found"
        bucket = object_named(path)[2].get("bucket")
        if missing == "collection" and bucket:
            # Kinto says "collection" also when the bucket itself is missing.
            text += f" in bucket {bucket!r} (or the bucket does not exist)"
        return text
    if isinstance(details, list) and details and isinstance(details[0], Mapping):
        # 400s put the useful part in details: [{location, name, description}].
        first = details[0]
        where = ".".join(str(first[k]) for k in ("location", "name") if first.get(k))
        described = f"{where}: {first.get('description')}" if where else str(first)
        if message and str(first.get("description")) in message:
            return str(message)
        return f"{message} ({described})" if message else described
    if status == 403:
        return f"{message or 'forbidden'} ({_FORBIDDEN_HINT})"
    if isinstance(message, str) and message:
        return message
    error = body.get("error")
    return str(error) if error else ""
