"""Group: a named set of principals in a bucket, usable in permissions as ``group:ID``
(its members: ``_objects.state.GroupState``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..._endpoints import endpoint_path
from ..state import GroupState
from .resource import AsyncResource

if TYPE_CHECKING:
    from .bucket import AsyncBucket

__all__ = ["AsyncGroup"]


class AsyncGroup(GroupState, AsyncResource):
    """A group of principals; ``members`` is a list to change in place, then ``save()``.

    Members behave as a set: adding one twice stores it once.
    """

    def __init__(
        self,
        bucket: AsyncBucket,
        group_id: str,
        *,
        data: Mapping[str, Any] | None = None,
        permissions: Mapping[str, list[str]] | None = None,
    ) -> None:
        path = endpoint_path("group", bucket=bucket.id, group=group_id)
        super().__init__(
            bucket.transport, path, bucket.id, group_id, data=data, permissions=permissions
        )
        self.bucket = bucket
