"""``Data``: a view on an object's JSON allowing both ``data.title`` and ``data["title"]``."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

__all__ = ["Data"]


class Data(MutableMapping[str, Any]):
    """A live view on a JSON object: ``data.title``, ``data["title"]``, ``data.author.name``.

    Nested objects come back as views on the same dict, so ``data.author.name = "x"`` changes
    the record. Keys that clash with mapping methods (``items``, ``get``...) need ``data[...]``.

    >>> data = Data({"title": "milk", "author": {"name": "ann"}})
    >>> data.author.name = "bob"
    >>> data.to_dict()
    {'title': 'milk', 'author': {'name': 'bob'}}
    """

    __slots__ = ("_raw",)
    _raw: dict[str, Any]

    def __init__(self, raw: dict[str, Any] | None = None) -> None:
        object.__setattr__(self, "_raw", {} if raw is None else raw)

    @staticmethod
    def _wrap(value: Any) -> Any:
        return Data(value) if isinstance(value, dict) else value

    def __getitem__(self, key: str) -> Any:
        return self._wrap(self._raw[key])

    def __setitem__(self, key: str, value: Any) -> None:
        self._raw[key] = value.to_dict() if isinstance(value, Data) else value

    def __delitem__(self, key: str) -> None:
        del self._raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._wrap(self._raw[name])
        except KeyError:
            keys = ", ".join(sorted(self._raw)) or "none"
            raise AttributeError(f"no field {name!r} (fields: {keys})") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self._raw[name]
        except KeyError:
            raise AttributeError(f"no field {name!r}") from None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Data):
            return self._raw == other._raw
        return self._raw == other

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Data({self._raw!r})"

    def to_dict(self) -> dict[str, Any]:
        """The underlying JSON object (not a copy)."""
        return self._raw
