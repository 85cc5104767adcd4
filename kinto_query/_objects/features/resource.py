"""Reading an object's data or permissions before they are loaded, per side."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..state import ResourceState

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AsyncResourceFeatures", "ResourceFeatures"]


class AsyncResourceFeatures(ResourceState):
    """Not yet async: nothing. An attribute cannot await, so reading ``data`` or
    ``permissions`` before ``await obj.load()`` raises ``NotLoaded`` (``ResourceState``'s
    own ``_fetch``)."""


class ResourceFeatures(ResourceState):
    """The sync objects load their data and permissions on first use."""

    if TYPE_CHECKING:
        def load(self) -> Self: ...

    def _fetch(self, what: str) -> None:
        self.load()
