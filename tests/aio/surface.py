"""A pytest plugin: which public async methods of ``kinto_query.aio`` a run never called.

``pytest tests/aio -m cassette -p tests.aio.surface``, with ``$KINTO_QUERY_SURFACE_OUT``
naming a file: at the session's end that file holds the JSON list of the methods (as
``Class.method``) whose code never ran. ``tests/aio/test_surface.py`` runs it on the
cassette replays and fails on any. A profile hook, not coverage: what counts is that a
method's own frame was entered (a coroutine's frame included), not which of its lines ran.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
import threading
from types import CodeType, FrameType
from typing import Any

import pytest

OUT_ENV = "KINTO_QUERY_SURFACE_OUT"
# Not async, yet the async protocol's entry points: covered only if called as the rest.
_PROTOCOL = ("__aiter__", "__anext__", "__aenter__", "__aexit__")

_called: set[CodeType] = set()


def _profile(frame: FrameType, event: str, arg: Any) -> None:
    if event == "call":
        _called.add(frame.f_code)


def _code(value: Any) -> CodeType | None:
    """The code object of a function, through staticmethod/classmethod and the decorators
    that keep ``__wrapped__`` (``functools.wraps``, ``delegate``)."""
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if not callable(value):
        return None
    value = inspect.unwrap(value)
    code = getattr(value, "__code__", None)
    return code if isinstance(code, CodeType) else None


def _is_async(value: Any) -> bool:
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if not callable(value):
        return False
    value = inspect.unwrap(value)
    return inspect.iscoroutinefunction(value) or inspect.isasyncgenfunction(value)


def public_async_methods() -> dict[CodeType, list[str]]:
    """Every public async method of ``kinto_query.aio``'s classes (inherited ones included)
    and its async functions, by code object: one code object, the names it goes by."""
    import kinto_query.aio as aio

    found: dict[CodeType, list[str]] = {}
    for export in sorted(aio.__all__):
        value = getattr(aio, export)
        if not inspect.isclass(value):
            if _is_async(value) and (code := _code(value)) is not None:
                found.setdefault(code, []).append(export)
            continue
        names = {name for klass in value.__mro__ for name in vars(klass)}
        for name in sorted(names):
            attribute = inspect.getattr_static(value, name)
            code = _code(attribute)
            if code is None:
                continue
            if name in _PROTOCOL:
                wanted = code.co_filename.startswith(_package_dir())
            else:
                wanted = not name.startswith("_") and _is_async(attribute)
            if wanted:
                found.setdefault(code, []).append(f"{export}.{name}")
    return found


def _package_dir() -> str:
    import kinto_query

    return os.path.dirname(os.path.abspath(kinto_query.__file__))


def _name(code: CodeType, names: list[str]) -> str:
    """The name to report a method by: its defining class's (``AsyncResource.create``, not
    ``AsyncBucket.create``) when that class is exported, else the first class's that has it."""
    return code.co_qualname if code.co_qualname in names else names[0]


def uncovered(called: set[CodeType]) -> list[str]:
    """The methods whose code never ran, by name."""
    return sorted(_name(code, names) for code, names in public_async_methods().items()
                  if code not in called)


def pytest_configure(config: pytest.Config) -> None:
    # At configure time: every test's frames, fixtures' included, are seen.
    sys.setprofile(_profile)
    threading.setprofile(_profile)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    sys.setprofile(None)
    threading.setprofile(None)  # type: ignore[arg-type]
    out = os.environ.get(OUT_ENV)
    if out:
        with open(out, "w", encoding="utf-8") as file:
            json.dump(uncovered(_called), file, indent=1)
