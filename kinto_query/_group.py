"""Group: a named set of principals in a bucket, usable in permissions as ``group:ID``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._endpoints import endpoint_path
from ._messages import Request
from ._resource import Resource

if TYPE_CHECKING:
    from ._bucket import Bucket

__all__ = ["Group"]


class Group(Resource):
    """A group of principals; ``members`` is a list to change in place, then ``save()``.

    Members behave as a set: adding one twice stores it once.
    """

    kind = "group"

    def __init__(
        self,
        bucket: Bucket,
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

    @property
    def members(self) -> list[str]:
        """The group's principals (part of its data)."""
        data = self.data
        if "members" not in data:
            if self.loaded_fields is not None:
                # Reading must not invent an empty list that a save would then store.
                raise AttributeError(
                    f"{self!r} was loaded without its members (fields{self.loaded_fields}): "
                    "refresh() it, or load it with fields('members', ...)"
                )
            data["members"] = []
        members = data["members"]  # a list that notices changes (append, +=, remove...)
        if not isinstance(members, list):
            raise TypeError(f"{self!r} has members that are not a list: {members!r}")
        return members

    @members.setter
    def members(self, principals: list[str]) -> None:
        # A principal is in a group or not: keep the first of each, in order.
        self.data["members"] = list(dict.fromkeys(principals))

    def save_request(self, *, force: bool = False) -> Request | None:
        """As for any object, members first made a set (``members.append`` may repeat one)."""
        if self._raw is not None and isinstance(self._raw.get("members"), list):
            self.members = self._raw["members"]
        return super().save_request(force=force)
