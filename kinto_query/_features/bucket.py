"""The bucket features not yet async: ``create=True`` in the constructor, history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._history import HistoryQuery
from .._state import ResourceState

if TYPE_CHECKING:
    from typing_extensions import Self

    from .._transport import Transport

__all__ = ["AsyncBucketFeatures", "BucketFeatures"]


class AsyncBucketFeatures(ResourceState):
    """Not yet async: ``history()``. And ``AsyncBucket(..., create=True)`` is refused: a
    constructor cannot await; ``await AsyncBucket(...).create(exist_ok=True)`` does it."""

    def _refuse_create_on_init(self, create: bool) -> None:
        if create:
            raise TypeError("AsyncBucket(create=True): a constructor cannot await; create it "
                            "with `await bucket.create(exist_ok=True)`")

    def _create_on_init(self) -> None:  # pragma: no cover - refused before
        raise AssertionError("refused by _refuse_create_on_init")


class BucketFeatures(ResourceState):
    """The sync-only methods of ``Bucket``: ``create=True``, history."""

    if TYPE_CHECKING:
        transport: Transport

        def create(self, *, exist_ok: bool = False) -> Self: ...

    def _refuse_create_on_init(self, create: bool) -> None:
        """The sync Bucket creates in its constructor: nothing to refuse."""

    def _create_on_init(self) -> None:
        self.create(exist_ok=True)

    def history(self) -> HistoryQuery:
        """The lazy query of this bucket's history, newest first (same builders as records);
        ``history().delete()`` purges it.

        >>> Client().bucket("b").history().filter(action="delete").url
        'http://localhost:8888/v1/buckets/b/history?action=delete'
        """
        return HistoryQuery.of_bucket(self.transport, self.id)
