"""Group: a named set of principals in a bucket, usable in permissions as ``group:ID``.
Generated (``_blocking/group.py``) from ``_async/group.py``; its state is ``_state.GroupState``."""

from ._blocking.group import Group

__all__ = ["Group"]
