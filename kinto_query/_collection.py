"""Collection: a handle on a collection that is also the query of all its records. Generated
(``_blocking/collection.py``) from ``_async/collection.py``; its sync-only features are
``_features.collection.CollectionFeatures``."""

from ._blocking.collection import Collection, RecordQuery

__all__ = ["Collection", "RecordQuery"]
