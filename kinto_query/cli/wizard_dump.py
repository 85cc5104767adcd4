"""``dump``'s work: the server's objects as a kinto-wizard tree (see ``wizard``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Union

from .. import Bucket, Client, Collection, Group
from ..exceptions import NotFound
from .attachments_dir import download_attachment
from .selection import EVERYTHING, Selection

__all__ = ["dump_server"]

Container = Union[Bucket, Collection, Group]  # noqa: UP007 - runtime alias on 3.10


def _sorted(permissions: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: sorted(principals) for name, principals in sorted(permissions.items())}


def _describe(obj: Container, selection: Selection, *, data: bool) -> dict[str, Any]:
    """The object's ``permissions`` and ``data``, those selected (one GET: ``refresh``)."""
    obj.refresh()
    entry: dict[str, Any] = {}
    if selection.permissions:
        entry["permissions"] = _sorted(obj.permissions.to_dict())
    if data:
        entry["data"] = {"id": obj.id, "last_modified": obj.last_modified,
                         **obj.data.to_dict()}
    return entry


def _group(group: Group, selection: Selection) -> dict[str, Any]:
    described = _describe(group, selection, data=True)
    # Members always come (kinto-wizard's dump does the same); the rest with --data.
    if not selection.data:
        described["data"] = {"members": described["data"].get("members", [])}
    return described


def _collection(collection: Collection, selection: Selection, attachments: Path | None,
                say: Callable[[str], None]) -> dict[str, Any]:
    described = (_describe(collection, selection, data=selection.data)
                 if selection.wants("collections") else {})
    if selection.wants("records"):
        records: dict[str, Any] = {}
        files = 0
        for record in collection.sort("id"):
            data = {"id": record.id, "last_modified": record.last_modified,
                    **record.data.to_dict()}
            records[record.id] = ({"data": data, "permissions": {}} if selection.permissions
                                  else {"data": data})
            if attachments is not None:
                files += download_attachment(record, attachments)
        if selection.permissions and selection.record_permissions and records:
            # A list has no permissions: each record's is read (batches of GETs).
            for record_id, permissions in zip(records, collection.permissions_of(records),
                                              strict=True):
                records[record_id]["permissions"] = _sorted(permissions)
        described["records"] = records
        if files:
            say(f"{collection.bucket.id}/{collection.id}: {files} attachment"
                f"{'s' if files != 1 else ''} in {attachments}")
    return described


def _bucket(bucket: Bucket, selection: Selection, attachments: Path | None,
            say: Callable[[str], None]) -> dict[str, Any] | None:
    """One bucket's entry; None when ``-c`` names a collection it does not have."""
    entry: dict[str, Any] = {}
    if selection.wants("buckets"):
        entry = _describe(bucket, selection, data=selection.data)
    if selection.collection is not None:
        collection = bucket.collection(selection.collection)
        try:
            described = _collection(collection, selection, attachments, say)
        except NotFound:
            if selection.bucket is not None:
                raise  # asked for by name: say it is not there
            return None
        entry["collections"] = {collection.id: described}
        return entry
    if selection.wants("collections") or selection.wants("records"):
        entry["collections"] = {
            collection_id: _collection(bucket.collection(collection_id), selection,
                                       attachments, say)
            for collection_id in sorted(c.id for c in bucket.collections().fields("id"))}
    if selection.wants("groups"):
        entry["groups"] = {
            group_id: _group(bucket.group(group_id), selection)
            for group_id in sorted(g.id for g in bucket.groups().fields("id"))}
    return entry


def dump_server(client: Client, selection: Selection = EVERYTHING, *,
                attachments: Path | None = None,
                say: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """The server's (or one bucket's, one collection's) objects in kinto-wizard's shape;
    with ``attachments``, the records' files downloaded there."""
    ids = ([selection.bucket] if selection.bucket
           else sorted(b.id for b in client.buckets().fields("id")))
    buckets: dict[str, Any] = {}
    for bucket_id in ids:
        entry = _bucket(client.bucket(bucket_id), selection, attachments, say)
        if entry is not None:
            buckets[bucket_id] = entry
    return {"buckets": buckets}
