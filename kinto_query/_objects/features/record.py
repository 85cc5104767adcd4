"""The record features per side: none left (attachments are async source now,
``kinto_query._objects._async.record``)."""

from __future__ import annotations

from ..state import RecordState

__all__ = ["AsyncRecordFeatures", "RecordFeatures"]


class AsyncRecordFeatures(RecordState):
    """Nothing the async ``AsyncRecord`` lacks: the base its source names."""


class RecordFeatures(RecordState):
    """Nothing the sync ``Record`` has only: the base the generated code names."""
