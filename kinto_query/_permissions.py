"""Mutable permissions of one Kinto object, and what changed since they were loaded."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, SupportsIndex

from ._endpoints import validate_id
from .exceptions import InvalidId, KintoError

__all__ = ["PERMISSIONS", "Permissions", "Principals"]

# Kinto's permission names for each kind of object.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "bucket": ("read", "write", "collection:create", "group:create"),
    "collection": ("read", "write", "record:create"),
    "group": ("read", "write"),
    "record": ("read", "write"),
}


def _attribute(permission: str) -> str:
    return permission.replace(":", "_")


def _seed_spelling(permission: str) -> str | None:
    # The seed README writes create_collection for collection:create.
    kind, sep, action = permission.partition(":")
    return f"{action}_{kind}" if sep else None


def expand(principal: str, bucket_id: str) -> str:
    """``group:friends`` -> ``/buckets/<bucket>/groups/friends``; others unchanged."""
    if not isinstance(principal, str):
        raise TypeError(f"a principal is a string, not {type(principal).__name__}")
    if principal.startswith("group:"):
        group_id = validate_id(principal[len("group:") :], "group")
        return f"/buckets/{bucket_id}/groups/{group_id}"
    return principal


class Principals(list[str]):
    """The principals of one permission, where ``group:ID`` and the group's URI (as the
    server sends it back) are the same principal: ``in``, ``==``, ``remove`` and ``index``
    take either spelling; ``==`` compares as sets, the server keeping no order.

    >>> read = Principals(["/buckets/tour/groups/friends"], bucket_id="tour")
    >>> "group:friends" in read, read == ["group:friends"]
    (True, True)
    """

    __slots__ = ("_bucket_id",)

    def __init__(self, principals: Iterable[str] = (), *, bucket_id: str) -> None:
        super().__init__(principals)
        self._bucket_id = bucket_id

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))  # a plain list

    def _same(self, principal: object) -> str | None:
        """The URI form of ``principal``, or None if it cannot be one."""
        try:
            return expand(principal, self._bucket_id)  # type: ignore[arg-type]
        except (TypeError, InvalidId):
            return None

    def _position(self, principal: object) -> int | None:
        wanted = self._same(principal)
        for position, held in enumerate(self):
            if wanted is not None and self._same(held) == wanted:
                return position
        return None

    def __contains__(self, principal: object) -> bool:
        return self._position(principal) is not None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (list, tuple, set, frozenset)):
            return NotImplemented
        theirs = {self._same(principal) for principal in other}
        return None not in theirs and theirs == {self._same(held) for held in self}

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # mutable

    def remove(self, principal: str) -> None:
        position = self._position(principal)
        if position is None:
            raise ValueError(f"{principal!r} is not among {list(self)!r}")
        del self[position]

    def index(self, principal: str, start: SupportsIndex = 0,
              stop: SupportsIndex = 2**63 - 1) -> int:
        position = self._position(principal)
        if position is None or not int(start) <= position < int(stop):
            raise ValueError(f"{principal!r} is not among {list(self)!r}")
        return position


class Permissions:
    """``obj.permissions.read``, ``.write``, ``.collection_create`` (or ``.create_collection``)...

    Each is a list to change in place (``+=``, ``append``, ``remove``); ``obj.save()`` sends only
    what changed. ``group:ID`` stands for the group ``/buckets/<this bucket>/groups/ID``.
    """

    _kind: str
    _bucket_id: str
    _aliases: dict[str, str]
    _lists: dict[str, Principals]
    _loaded: dict[str, list[str]]
    _from_server: bool

    def __init__(
        self, kind: str, bucket_id: str, current: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        names = PERMISSIONS[kind]
        aliases: dict[str, str] = {}
        for name in names:
            aliases[_attribute(name)] = name
            seed = _seed_spelling(name)
            if seed:
                aliases[seed] = name
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_bucket_id", bucket_id)
        object.__setattr__(self, "_aliases", aliases)
        object.__setattr__(self, "_lists", {})
        object.__setattr__(self, "_loaded", {})
        object.__setattr__(self, "_from_server", current is not None)
        current = current or {}
        for name in PERMISSIONS[self._kind]:
            principals = [self.expand(p) for p in current.get(name, ())]
            self._lists[name] = Principals(principals, bucket_id=bucket_id)
            self._loaded[name] = principals

    def expand(self, principal: str) -> str:
        """``group:friends`` -> ``/buckets/<bucket>/groups/friends``; others unchanged."""
        return expand(principal, self._bucket_id)

    def _name(self, attribute: str) -> str:
        try:
            return self._aliases[attribute]
        except KeyError:
            valid = ", ".join(sorted(self._aliases))
            raise AttributeError(
                f"a {self._kind} has no permission {attribute!r}; valid: {valid}"
            ) from None

    def __getattr__(self, attribute: str) -> Principals:
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return self._lists[self._name(attribute)]

    def __setattr__(self, attribute: str, principals: Iterable[str]) -> None:
        # `perms.write += friends` reads the list, extends it in place, then assigns it back.
        name = self._name(attribute)
        self._lists[name] = Principals(principals, bucket_id=self._bucket_id)

    def __getitem__(self, permission: str) -> Principals:
        return getattr(self, _attribute(permission))  # type: ignore[no-any-return]

    def to_dict(self) -> dict[str, list[str]]:
        """Every permission that has principals, as Kinto spells them."""
        return {
            name: self._normalized(name) for name in PERMISSIONS[self._kind] if self._lists[name]
        }

    def _normalized(self, name: str) -> list[str]:
        seen: dict[str, None] = {}
        for principal in self._lists[name]:
            seen[self.expand(principal)] = None
        return list(seen)

    def changes(self) -> dict[str, tuple[list[str], list[str]]]:
        """``{permission: (added, removed)}`` since loaded, for the permissions that changed."""
        result = {}
        for name in PERMISSIONS[self._kind]:
            now, before = self._normalized(name), self._loaded[name]
            added = [p for p in now if p not in before]
            removed = [p for p in before if p not in now]
            if added or removed:
                result[name] = (added, removed)
        return result

    @property
    def hidden(self) -> bool:
        """True when the server hid them: Kinto shows permissions only to the object's writers."""
        return self._from_server and not self._loaded["write"]

    def rebased(self, server: Mapping[str, Iterable[str]]) -> Permissions:
        """The server's permissions with our unsaved changes applied on top."""
        fresh = Permissions(self._kind, self._bucket_id, server)
        for name, (added, removed) in self.changes().items():
            principals = fresh._lists[name]
            principals[:] = [p for p in principals if p not in removed]
            principals.extend(p for p in added if p not in principals)
        return fresh

    def changed(self) -> dict[str, list[str]]:
        """``{permission: its whole new list}`` for each permission that changed.

        A save sends these lists whole, with ``If-Match``: a concurrent change makes the save
        fail (412) instead of being overwritten, and the object then re-applies our changes on
        the server's current permissions.
        """
        changes = self.changes()
        if changes and self.hidden:
            # Kinto applies a change to the permissions the caller sees: from a hidden (empty)
            # view it would replace every principal we cannot see (measured on Kinto 26.5).
            raise KintoError(
                f"cannot save permission changes: Kinto hides this {self._kind}'s permissions "
                "from you (you are not one of its writers), and saving would drop the "
                "principals you cannot see"
            )
        return {name: self._normalized(name) for name in changes}

    def __repr__(self) -> str:
        return f"Permissions({self.to_dict()!r})"
