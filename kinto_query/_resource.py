"""What buckets, collections, groups and records share, on the sync side: ``Resource`` is
generated (``_blocking/resource.py``) from its async source ``_async/resource.py``; its pure
state is ``_state.ResourceState``. Kept for the names it always held."""

from ._blocking.resource import Resource
from ._state import Toucher, loader

__all__ = ["Resource", "Toucher", "loader"]
