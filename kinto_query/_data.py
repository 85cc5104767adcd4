"""``Data``: a view on an object's JSON allowing both ``data.title`` and ``data["title"]``.

The views also tell their owner before the first change, wherever it happens (a field set, a
nested object changed, a list appended to): the owner then keeps a copy of the data as it
was, to find what changed. Reading costs nothing, and neither does a record never changed
(except that handing out a list of objects counts as a change: see ``_tracked``).

A view is a ``dict`` subclass so that ``json.dumps(record.data)`` works: the JSON encoders
(C and Python) read a dict subclass through its ``items()``, which here are the object's
fields. The view's own dict storage holds no field, only the ``touch`` callback (under
``_TOUCH``, never a string key), which also keeps the C encoder off its fast path for an
empty dict. Making it costs what the slotted view it replaces cost: three C calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any, SupportsIndex

__all__ = ["TOUCH", "Data", "TrackedList", "new_view", "raw_of", "set_raw", "set_touch", "view"]

Touch = Callable[[], None]
_TOUCH = 0  # the storage key of the touch callback: no field name (they are strings)


def _nothing() -> None:
    pass


def _unwrap(value: Any) -> Any:
    return _get_raw(value) if isinstance(value, Data) else value


if TYPE_CHECKING:
    _Base = dict[str, Any]
else:
    class _Base(MutableMapping, dict):
        """The mapping methods of MutableMapping (through the view's fields) first; dict for
        what JSON encoders and ``isinstance(x, dict)`` check."""

        __slots__ = ()


class Data(_Base):
    """A live view on a JSON object: ``data.title``, ``data["title"]``, ``data.author.name``.

    Nested objects come back as views on the same dict, so ``data.author.name = "x"`` changes
    the record; lists come back as lists whose changes are noticed too. Keys that clash with
    mapping methods (``items``, ``get``, ``copy``...) need ``data[...]``. A view is a ``dict``
    (``json.dumps(record.data)`` works); ``to_dict()`` is the plain dict under it.

    >>> data = Data({"title": "milk", "author": {"name": "ann"}})
    >>> data.author.name = "bob"
    >>> data.to_dict()
    {'title': 'milk', 'author': {'name': 'bob'}}
    >>> import json; json.dumps(data)
    '{"title": "milk", "author": {"name": "bob"}}'
    """

    __slots__ = ("_raw",)
    _raw: dict[str, Any]

    def __init__(self, raw: dict[str, Any] | None = None, touch: Touch | None = None) -> None:
        _set_raw(self, {} if raw is None else raw)
        _set_touch(self, _TOUCH, touch or _nothing)

    def __getitem__(self, key: str) -> Any:
        value = _get_raw(self)[key]
        return _view(self, key, value) if type(value) in _CONTAINERS else value

    def __getattribute__(self, name: str) -> Any:
        # Instead of __getattr__: on Python 3.11 reaching __getattr__ costs an AttributeError
        # built and dropped on every field read, the main cost of ``record.data.title``.
        if name in _OWN:  # methods and internals win over fields, as documented above
            return object.__getattribute__(self, name)
        raw = _get_raw(self)
        try:
            value = raw[name]
        except KeyError:
            keys = ", ".join(sorted(raw)) or "none"
            raise AttributeError(f"no field {name!r} (fields: {keys})") from None
        return _view(self, name, value) if type(value) in _CONTAINERS else value

    def __setitem__(self, key: str, value: Any) -> None:
        _get_stored(self, _TOUCH)()
        _get_raw(self)[key] = _unwrap(value)

    def __delitem__(self, key: str) -> None:
        _get_stored(self, _TOUCH)()
        del _get_raw(self)[key]

    def __iter__(self) -> Iterator[str]:
        return iter(_get_raw(self))

    def __len__(self) -> int:
        return len(_get_raw(self))

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        if name not in _get_raw(self):
            raise AttributeError(f"no field {name!r}")
        del self[name]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Data):
            return _get_raw(self) == _get_raw(other)
        return _get_raw(self) == other

    def __ne__(self, other: object) -> bool:  # dict's own would compare the storage
        return not self == other

    __hash__ = None  # mutable

    def __repr__(self) -> str:
        return f"Data({_get_raw(self)!r})"

    def __reversed__(self) -> Iterator[str]:
        return reversed(_get_raw(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Data, (dict(_get_raw(self)),))  # detached from its owner (a weak reference)

    def __or__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        return {**self.to_dict(), **other}

    def __ror__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        return {**other, **self.to_dict()}

    def __ior__(self, other: Any) -> Data:  # type: ignore[override]
        self.update(other)
        return self

    def copy(self) -> dict[str, Any]:
        """A shallow copy, as a plain dict (nested objects are shared with the record)."""
        return dict(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """The underlying JSON object (not a copy): changing it counts as a change."""
        _get_stored(self, _TOUCH)()  # the caller may change it behind our back
        return _get_raw(self)


# The view's parts, read and written without going through Data's own methods.
_get_raw: Callable[[Data], dict[str, Any]] = Data._raw.__get__  # type: ignore[attr-defined]
_set_raw: Callable[[Data, dict[str, Any]], None] = Data._raw.__set__  # type: ignore[attr-defined]
_set_touch: Callable[[Data, int, Touch], None] = dict.__setitem__  # type: ignore[assignment]
_get_stored: Callable[[Data, int], Touch] = dict.__getitem__  # type: ignore[assignment]
_new = dict.__new__
# Values handed out as views (the test is inlined where a field is read: it is the hot path).
_CONTAINERS = frozenset((dict, list))
# What ``data.<name>`` finds on the class rather than in the fields.
_OWN = frozenset(dir(Data))


# What ``view`` does, for an owner that makes views where a call of ours costs too much (a
# record's first read of its data, once per record of a scan): ``v = new_view(Data)``,
# ``set_raw(v, raw)``, ``set_touch(v, TOUCH, touch)``.
TOUCH = _TOUCH
new_view = _new
set_raw = _set_raw
set_touch = _set_touch


def view(raw: dict[str, Any], touch: Touch) -> Data:
    """A view on ``raw`` calling ``touch`` before its first change (cheaper than ``Data()``:
    a scan makes one per record)."""
    data: Data = _new(Data)
    _set_raw(data, raw)
    _set_touch(data, _TOUCH, touch)
    return data


def _view(data: Data, key: str, value: Any) -> Any:
    """What a field read hands out: nested objects and lists as views noticing changes."""
    kind = type(value)
    if kind is dict:
        return view(value, _get_stored(data, _TOUCH))
    if kind is list:
        value = _get_raw(data)[key] = _tracked(value, _get_stored(data, _TOUCH))
    return value


def _tracked(items: list[Any], touch: Touch) -> TrackedList:
    """A list of the data, swapped in place for one that notices its own changes.

    Objects inside it can be changed without the list knowing (iterating hands them out
    as they are, which is what JSON encoders need), so a list holding objects or lists
    counts as changed from the moment it is handed out.
    """
    if any(type(item) in (dict, list, TrackedList) for item in items):
        touch()
    return TrackedList(items, touch)


class TrackedList(list[Any]):
    """A list of an object's data that tells its owner before its first change."""

    __slots__ = ("_touch",)

    def __init__(self, items: Iterable[Any] = (), touch: Touch | None = None) -> None:
        super().__init__(items)
        self._touch = touch or _nothing

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(super().__iter__()),))  # a plain list: the owner stays behind

    def __setitem__(self, index: Any, value: Any) -> None:
        self._touch()
        super().__setitem__(index, _unwrap(value))

    def __delitem__(self, index: Any) -> None:
        self._touch()
        super().__delitem__(index)

    def __iadd__(self, items: Iterable[Any]) -> TrackedList:  # type: ignore[misc]
        self._touch()
        return super().__iadd__(items)

    def __imul__(self, count: SupportsIndex) -> TrackedList:
        self._touch()
        return super().__imul__(count)

    def append(self, item: Any) -> None:
        self._touch()
        super().append(_unwrap(item))

    def extend(self, items: Iterable[Any]) -> None:
        self._touch()
        super().extend(_unwrap(item) for item in items)

    def insert(self, index: SupportsIndex, item: Any) -> None:
        self._touch()
        super().insert(index, _unwrap(item))

    def pop(self, index: SupportsIndex = -1) -> Any:
        self._touch()
        return super().pop(index)

    def remove(self, item: Any) -> None:
        self._touch()
        super().remove(item)

    def clear(self) -> None:
        self._touch()
        super().clear()

    def sort(self, *args: Any, **kwargs: Any) -> None:
        self._touch()
        super().sort(*args, **kwargs)

    def reverse(self) -> None:
        self._touch()
        super().reverse()


def raw_of(data: Data) -> dict[str, Any]:
    """The dict under a view, without counting as a change (for the library's own reads)."""
    return _get_raw(data)
