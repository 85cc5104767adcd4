"""BRIDGE, replaced on merging feat-aioquery's AsyncQuery: until then the objects' source names
the sync Query, so that the generated sync objects run as before."""

from .._query import Query as AsyncQuery

__all__ = ["AsyncQuery"]
