"""Record: one record of a collection, saved safely. Generated (``_blocking/record.py``) from
``_async/record.py``; its state is ``_state.RecordState``, its sync-only features
``_features.record.RecordFeatures``."""

from ._blocking.record import Record

__all__ = ["Record"]
