"""What of a kinto-wizard tree ``dump`` writes or ``load`` applies: kinds of objects, their
data and/or their permissions, one bucket, one collection."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["EVERYTHING", "KINDS", "Selection", "chosen_kinds", "kind_options"]

F = TypeVar("F", bound=Callable[..., Any])
KINDS = ("buckets", "groups", "collections", "records")


@dataclasses.dataclass(frozen=True)
class Selection:
    """The kinds of objects wanted, whether their data and their permissions are (the
    records' too: ``record_permissions``), and the one bucket (``bucket``) or collection
    (``collection``) to keep to, if any."""

    kinds: frozenset[str] = frozenset(KINDS)
    data: bool = True
    permissions: bool = True
    bucket: str | None = None
    collection: str | None = None
    record_permissions: bool = False

    def wants(self, kind: str) -> bool:
        return kind in self.kinds

    def keeps(self, bucket: str, collection: str | None = None) -> bool:
        """Whether ``bucket`` (or its ``collection``) is within ``--bucket``/``--collection``."""
        if self.bucket is not None and bucket != self.bucket:
            return False
        return collection is None or self.collection is None or collection == self.collection


EVERYTHING = Selection()


def kind_options(verb: str) -> Callable[[F], F]:
    """``--buckets``, ``--groups``, ``--collections``, ``--records`` (kinto-wizard's
    spelling): each names a kind of object to ``verb``."""

    def decorate(f: F) -> F:
        for kind in reversed(KINDS):
            f = click.option(f"--{kind}", f"kind_{kind}", is_flag=True,
                             help=f"{verb.capitalize()} {kind} (see 'Kinds' above).")(f)
        return f

    return decorate


def chosen_kinds(given: dict[str, bool], default: tuple[str, ...]) -> frozenset[str]:
    """The kinds named by the ``--KIND`` flags in ``given`` (``kind_buckets`` ...), else
    ``default``."""
    named = {kind for kind in KINDS if given.pop(f"kind_{kind}", False)}
    return frozenset(named) if named else frozenset(default)
