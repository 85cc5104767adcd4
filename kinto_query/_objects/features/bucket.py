"""The bucket features per side: ``create=True`` in the constructor (a constructor cannot
await)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..state import ResourceState

if TYPE_CHECKING:
    from typing_extensions import Self

    from ..._wire._blocking.transport import Transport

__all__ = ["AsyncBucketFeatures", "BucketFeatures"]


class AsyncBucketFeatures(ResourceState):
    """``AsyncBucket(..., create=True)`` is refused: a constructor cannot await;
    ``await AsyncBucket(...).create(exist_ok=True)`` does it."""

    def _refuse_create_on_init(self, create: bool) -> None:
        if create:
            raise TypeError("AsyncBucket(create=True): a constructor cannot await; create it "
                            "with `await bucket.create(exist_ok=True)`")

    def _create_on_init(self) -> None:  # pragma: no cover - refused before
        raise AssertionError("refused by _refuse_create_on_init")


class BucketFeatures(ResourceState):
    """The sync-only part of ``Bucket``: ``create=True``."""

    if TYPE_CHECKING:
        transport: Transport

        def create(self, *, exist_ok: bool = False) -> Self: ...

    def _refuse_create_on_init(self, create: bool) -> None:
        """The sync Bucket creates in its constructor: nothing to refuse."""

    def _create_on_init(self) -> None:
        self.create(exist_ok=True)
