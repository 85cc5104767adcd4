"""URI templates for every Kinto endpoint, and the id rule every id is checked against."""

from __future__ import annotations

import re
from typing import Literal

from uritemplate import URITemplate

from .exceptions import InvalidId

__all__ = ["ACCOUNT_ID_RULE", "ID_RULE", "Endpoint", "endpoint_path", "validate_id"]

ID_RULE = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"
# \Z, not $: "$" would accept a trailing newline, which Kinto refuses.
_ID_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]*\Z")
# Account ids may also hold "+", "." and "@" (an email address is a valid account id).
ACCOUNT_ID_RULE = r"^[a-zA-Z0-9][+.@a-zA-Z0-9_-]*$"
_ACCOUNT_ID_PATTERN = re.compile(r"[a-zA-Z0-9][+.@a-zA-Z0-9_-]*\Z")

Endpoint = Literal[
    "root",
    "batch",
    "permissions",
    "buckets",
    "bucket",
    "history",
    "groups",
    "group",
    "collections",
    "collection",
    "records",
    "record",
    "changeset",
    "attachment",
    "flush",
    "accounts",
    "account",
]

_TEMPLATES: dict[str, URITemplate] = {
    name: URITemplate(template)
    for name, template in {
        "root": "/",
        "batch": "/batch",
        "permissions": "/permissions",
        "buckets": "/buckets",
        "bucket": "/buckets/{bucket}",
        "history": "/buckets/{bucket}/history",
        "groups": "/buckets/{bucket}/groups",
        "group": "/buckets/{bucket}/groups/{group}",
        "collections": "/buckets/{bucket}/collections",
        "collection": "/buckets/{bucket}/collections/{collection}",
        "records": "/buckets/{bucket}/collections/{collection}/records",
        "record": "/buckets/{bucket}/collections/{collection}/records/{record}",
        # kinto-changes: a collection's metadata, timestamp and records in one read; the
        # monitor is the changeset of /buckets/monitor/collections/changes.
        "changeset": "/buckets/{bucket}/collections/{collection}/changeset",
        # kinto-attachment's endpoint: POST a file (multipart), DELETE it.
        "attachment": "/buckets/{bucket}/collections/{collection}/records/{record}/attachment",
        "flush": "/__flush__",
        "accounts": "/accounts",
        "account": "/accounts/{account}",
    }.items()
}


def validate_id(value: object, kind: str = "id") -> str:
    """Return ``value`` if Kinto accepts it as an id, else raise ``InvalidId``.

    >>> validate_id("todo", "collection")
    'todo'
    """
    if not isinstance(value, str):
        raise InvalidId(f"{kind} id must be a string, not {type(value).__name__}: {value!r}")
    if kind == "account":
        if not _ACCOUNT_ID_PATTERN.match(value):
            raise InvalidId(
                f"invalid account id {value!r}: Kinto account ids must match {ACCOUNT_ID_RULE} "
                "(letters, digits, '-', '_', '+', '.' and '@', starting with a letter or digit)"
            )
        return value
    if not _ID_PATTERN.match(value):
        raise InvalidId(
            f"invalid {kind} id {value!r}: Kinto ids must match {ID_RULE} "
            "(letters, digits, '-' and '_', not starting with '-' or '_')"
        )
    return value


def endpoint_path(name: Endpoint, **ids: str) -> str:
    """The path of an endpoint below the server URL, every id checked first.

    >>> endpoint_path("record", bucket="b", collection="todo", record="r1")
    '/buckets/b/collections/todo/records/r1'
    """
    template = _TEMPLATES[name]
    expected = set(template.variable_names)
    if set(ids) != expected:
        raise TypeError(f"endpoint {name!r} takes ids {sorted(expected)}, got {sorted(ids)}")
    for kind, value in ids.items():
        validate_id(value, kind)
    return str(template.expand(dict(ids)))
