"""What changed in an object since it was loaded, and the partial save that sends only that.

A partially loaded object (``fields()``) is saved as a merge (``PATCH`` of the changed
top-level fields), which ``POST /batch`` can carry; only a change a merge cannot express (a
removed field, a change inside a nested object loaded in part) becomes a JSON-Patch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._messages import Request
from ._values import to_json

__all__ = ["fingerprint", "own_fields", "partial_save", "split_server_fields"]
_JSON_PATCH = {"Content-Type": "application/json-patch+json"}


def _lenient(value: object) -> Any:
    try:
        return to_json(value)
    except TypeError:
        return repr(value)  # counts as a change; sending it then names the field


def fingerprint(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=_lenient)


def split_server_fields(
    obj: Mapping[str, Any], *, owned: bool = False
) -> tuple[dict[str, Any], int | None]:
    """A server object -> (its own data, last_modified); id and last_modified live apart.
    ``owned``: ``obj`` (a freshly decoded dict) is the caller's to change: not copied.

    >>> split_server_fields({"id": "r1", "last_modified": 12, "title": "milk"})
    ({'title': 'milk'}, 12)
    """
    # dict.copy() and pop: the cost of every record a scan loads.
    data = (obj if owned else obj.copy()) if type(obj) is dict else dict(obj)
    data.pop("id", None)
    last_modified = data.pop("last_modified", None)
    return data, last_modified if type(last_modified) is int else None


def own_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A server object's own data: without ``id`` and ``last_modified`` (a copy)."""
    return split_server_fields(obj)[0]


def _pointer(*segments: str) -> str:
    # JSON-Pointer escaping: "~" and "/" may appear in field names and group URIs.
    return "".join("/" + s.replace("~", "~0").replace("/", "~1") for s in segments)


def _data_ops(before: Any, now: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """JSON-Patch operations turning ``before`` into ``now``, descending into objects."""
    if isinstance(before, dict) and isinstance(now, dict):
        ops: list[dict[str, Any]] = [
            {"op": "remove", "path": _pointer(*path, key)} for key in before if key not in now
        ]
        for key, value in now.items():
            if key not in before:
                ops.append({"op": "add", "path": _pointer(*path, key), "value": value})
            else:
                ops.extend(_data_ops(before[key], value, (*path, key)))
        return ops
    if fingerprint(before) == fingerprint(now):
        return []
    return [{"op": "add", "path": _pointer(*path), "value": now}]


def _loaded_in_part(key: str, fields: tuple[str, ...]) -> bool:
    """Whether only some of a top-level field was loaded (``fields("author.name")``)."""
    return key not in fields and any(f.startswith(key + ".") for f in fields)


def partial_save(
    path: str,
    loaded: str,
    now: dict[str, Any],
    fields: tuple[str, ...],
    permissions: dict[str, list[str]],
    headers: Mapping[str, str],
) -> Request:
    """The request saving a partially loaded object: ``loaded`` is its data as loaded (JSON),
    ``now`` as it is, ``permissions`` the whole lists of those that changed."""
    before = json.loads(loaded)
    changed = {k: v for k, v in now.items()
               if k not in before or fingerprint(v) != fingerprint(before[k])}
    if any(k not in now for k in before) or any(_loaded_in_part(k, fields) for k in changed):
        ops = _data_ops(before, now, ("data",))
        ops.extend({"op": "add", "path": _pointer("permissions", name),
                    "value": {p: p for p in principals}}
                   for name, principals in permissions.items())
        return Request("PATCH", path, ops, {**_JSON_PATCH, **headers})
    merge: dict[str, Any] = {}
    if changed:
        merge["data"] = changed
    if permissions:
        merge["permissions"] = permissions
    return Request("PATCH", path, merge, dict(headers))
