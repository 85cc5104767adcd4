"""What to tell a user whose test asks a cassette for something it does not hold: the
request, the nearest recorded one and how it differs, and the command that records anew."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from .cassettes import body_of
from .scrub import Scrub

__all__ = ["explain"]

_SHOWN = 120  # characters of a body shown in a message


def _target(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path, parts.query


def describe(method: str, url: str) -> str:
    """``GET /v1/buckets/b?_limit=5``: a request as a user reads it, without the origin."""
    path, query = _target(url)
    return f"{method} {path}" + (f"?{query}" if query else "")


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def explain(
    request: Any,
    recorded: list[tuple[dict[str, Any], bool]],
    scrub: Scrub,
    cassette: str,
    command: str,
) -> str:
    """The message for ``request`` (a prepared request) that none of ``recorded`` (each a
    recorded request and whether it was replayed already) answers."""
    url = scrub.url(request.url or "")
    method = request.method or ""
    path, query = _target(url)
    body = scrub.body(body_of(request.body))
    best: tuple[int, bool, dict[str, Any], list[str]] | None = None
    for data, used in recorded:
        other_body = data.get("body", {})
        other_text = other_body.get("string", "") if isinstance(other_body, dict) else ""
        other_path, other_query = _target(data.get("uri", ""))
        same = {
            "path": other_path == path,
            "method": data.get("method") == method,
            "query": other_query == query,
            "body": scrub.body(other_text) == body,
        }
        score = 8 * same["path"] + 4 * same["method"] + 2 * same["query"] + same["body"]
        if not (same["path"] or same["method"]):
            continue
        candidate = (score, not used, data, [name for name, ok in same.items() if not ok])
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    lines = [f"the cassette {cassette} holds no answer for {describe(method, url)}"]
    if best is None:
        lines.append("  nothing like it was recorded")
    else:
        _, _, data, differs = best
        near = describe(data.get("method", ""), data.get("uri", ""))
        if not differs:
            why = ("recorded once and already replayed: the test sends it more often than when "
                   "it was recorded")
        else:
            why = " and ".join(f"the {name}" for name in differs) + " differ"
            why = why if len(differs) > 1 else why + "s"
        lines.append(f"  nearest recorded: {near} ({why})")
        if "body" in differs:
            recorded_body = data.get("body", {})
            text = recorded_body.get("string", "") if isinstance(recorded_body, dict) else ""
            lines.append(f"  sent body:     {_short(body)}")
            lines.append(f"  recorded body: {_short(scrub.body(text))}")
    lines.append(f"  re-record this test: {command}")
    return "\n".join(lines)
