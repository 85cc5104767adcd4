"""``load``'s work: bring a server to what a kinto-wizard tree says (see ``wizard``).

Objects given are created or patched (fields given set, others kept; permissions given
replaced, others kept); records given are written whole when a field given differs, as
kinto-wizard does. ``--delete-records`` deletes, in each collection of the file that lists
records and already exists, the records the file does not list (kinto-wizard's rule).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Union

from .. import BatchReport, Bucket, Client, Collection, Group
from ..exceptions import Forbidden, HTTPError, NotFound
from .attachments_dir import attachment_file, differs, upload_attachment
from .errors import CliError, ExitStatus
from .selection import EVERYTHING, Selection

__all__ = ["Counts", "load_server", "missing_records"]

Container = Union[Bucket, Collection, Group]  # noqa: UP007 - runtime alias on 3.10
Counts = dict[tuple[str, str], int]
_SERVER_FIELDS = ("id", "last_modified")


def _own(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in _SERVER_FIELDS}


def _changed(held: Mapping[str, Any], given: Mapping[str, Any]) -> bool:
    """Whether setting the fields ``given`` would change ``held`` (kinto-wizard's test)."""
    return any(key not in held or held[key] != value for key, value in given.items())


def _entry(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _exists(obj: Container) -> bool:
    try:
        obj.refresh()
    except (NotFound, Forbidden):  # Kinto answers 403 for a bucket that does not exist
        return False
    return True


def _with_writer(name: str, principals: Any, user_id: str | None) -> list[str]:
    wanted = list(principals or [])
    if name == "write" and user_id and user_id not in wanted:
        wanted.append(user_id)  # Kinto adds the writer anyway: not a difference
    return wanted


def _permissions_differ(held: Mapping[str, Any], given: Mapping[str, Any],
                        user_id: str | None) -> bool:
    return any(sorted(held.get(name) or []) != sorted(_with_writer(name, principals, user_id))
               for name, principals in given.items())


def _apply(obj: Container, entry: dict[str, Any], selection: Selection,
           user_id: str | None, force: bool, ignore_4xx: bool = False,
           say: Callable[[str], None] = lambda line: None) -> str:
    """Create ``obj`` or bring it to the entry's data and permissions (those selected)."""
    data = _own(_entry(entry.get("data"))) if selection.data else {}
    permissions = _entry(entry.get("permissions")) if selection.permissions else {}
    exists = _exists(obj)
    if exists:
        for key, value in data.items():
            if obj.data.get(key) != value:
                obj.data[key] = value
    else:
        obj.data = data
    for name, principals in permissions.items():
        wanted = _with_writer(name, principals, user_id)
        if sorted(obj.permissions[name]) != sorted(wanted):
            obj.permissions[name][:] = wanted
    if obj.save_request(force=force) is None:
        return "unchanged"
    try:
        obj.save(force=force)
    except HTTPError as error:
        if not (ignore_4xx and error.status is not None and 400 <= error.status < 500):
            raise
        say(f"warning: {error}")
        return "refused"
    return "updated" if exists else "created"


def _settle(report: BatchReport, what: str, ignore_4xx: bool,
            say: Callable[[str], None]) -> int:
    """Raise unless every failure of ``report`` is a 4xx that ``--ignore-batch-4xx`` lets by
    (each then said in a warning); how many were let by."""
    failures = report.conflicts + report.missing + report.failed + report.unknown
    if not failures:
        return 0
    if ignore_4xx and all(f.status is not None and 400 <= f.status < 500 for f in failures):
        for failure in failures:
            say(f"warning: {what}: {failure.id} refused ({failure.status}): {failure.message}")
        return len(failures)
    raise CliError(f"{what}: {report.summary()}", ExitStatus.FAILED)


def _buckets(config: Any, selection: Selection) -> list[tuple[str, dict[str, Any]]]:
    """The file's buckets within the selection (with ``-c``: those holding the collection)."""
    if not isinstance(config, dict) or not isinstance(config.get("buckets"), dict):
        raise CliError("not a kinto-wizard file: it has no 'buckets' mapping", ExitStatus.USAGE)
    return [(bucket_id, _entry(entry)) for bucket_id, entry in config["buckets"].items()
            if selection.keeps(bucket_id) and (
                selection.collection is None
                or selection.collection in _entry(_entry(entry).get("collections")))]


def _collections(entry: dict[str, Any], bucket_id: str,
                 selection: Selection) -> list[tuple[str, dict[str, Any]]]:
    return [(collection_id, _entry(described)) for collection_id, described
            in _entry(entry.get("collections")).items()
            if selection.keeps(bucket_id, collection_id)]


def missing_records(client: Client, config: Any,
                    selection: Selection) -> dict[tuple[str, str], list[str]]:
    """What ``--delete-records`` deletes: by ``(bucket, collection)``, the ids of records on
    the server that the file does not list, in each existing collection it lists records of."""
    found: dict[tuple[str, str], list[str]] = {}
    for bucket_id, entry in _buckets(config, selection):
        for collection_id, described in _collections(entry, bucket_id, selection):
            listed = _entry(described.get("records"))
            if not listed:
                continue  # kinto-wizard's rule: a collection without records is left alone
            collection = client.bucket(bucket_id).collection(collection_id)
            try:
                held = [r.id for r in collection.records().fields("id").sort("id")]
            except (NotFound, Forbidden):
                continue  # not there yet: nothing to delete
            extra = [record_id for record_id in held if record_id not in listed]
            if extra:
                found[bucket_id, collection_id] = extra
    return found


def load_server(client: Client, config: Any, selection: Selection = EVERYTHING, *,
                force: bool = False, delete: Mapping[tuple[str, str], list[str]] | None = None,
                attachments: Path | None = None, ignore_4xx: bool = False,
                say: Callable[[str], None] = lambda line: None) -> Counts:
    """Bring the server to what ``config`` (kinto-wizard's shape) says, within ``selection``;
    then delete the records of ``delete`` (see ``missing_records``); ``ignore_4xx``: writes
    the server refuses (4xx) are warnings, not errors. Counts by ``(kind, outcome)``, e.g.
    ``("bucket", "created")``."""
    buckets = _buckets(config, selection)
    if attachments is not None:
        _check_locations(buckets, selection, attachments)  # before any write
    user_id = (client.server_info().get("user") or {}).get("id")
    counts: Counts = {}

    def note(kind: str, outcome: str, n: int = 1) -> None:
        if n:
            counts[kind, outcome] = counts.get((kind, outcome), 0) + n

    for bucket_id, entry in buckets:
        handle = Bucket(bucket_id, client=client)
        if selection.wants("buckets"):
            note("bucket", _apply(handle, entry, selection, user_id, force, ignore_4xx, say))
        if selection.wants("groups"):  # with -c too, as kinto-wizard does
            for group_id, group in _entry(entry.get("groups")).items():
                note("group", _apply(handle.group(group_id), _entry(group), selection,
                                     user_id, force, ignore_4xx, say))
        for collection_id, described in _collections(entry, bucket_id, selection):
            collection = handle.collection(collection_id)
            if selection.wants("collections"):
                note("collection", _apply(collection, described, selection, user_id, force,
                                          ignore_4xx, say))
            if selection.wants("records"):
                _load_records(collection, _entry(described.get("records")), selection,
                              user_id, attachments, ignore_4xx, note, say)
    for (bucket_id, collection_id), ids in (delete or {}).items():
        collection = client.bucket(bucket_id).collection(collection_id)
        report = collection.delete_records(ids, missing_ok=True, raise_on_error=False)
        note("record", "deleted", len(report.succeeded))
        note("record", "not deleted", _settle(
            report, f"deleting records of {bucket_id}/{collection_id}", ignore_4xx, say))
    return counts


def _check_locations(buckets: list[tuple[str, dict[str, Any]]], selection: Selection,
                     attachments: Path) -> None:
    for bucket_id, entry in buckets:
        for collection_id, described in _collections(entry, bucket_id, selection):
            for record_id, record in _entry(described.get("records")).items():
                metadata = _entry(_entry(record).get("data")).get("attachment")
                if isinstance(metadata, dict):
                    attachment_file(attachments, metadata,
                                    f"{bucket_id}/{collection_id}/{record_id}")


def _load_records(collection: Collection, wanted: dict[str, Any], selection: Selection,
                  user_id: str | None, attachments: Path | None, ignore_4xx: bool,
                  note: Callable[..., None], say: Callable[[str], None]) -> None:
    """Write the records of ``wanted`` that are missing or differ; with ``attachments``, upload
    the files of those whose attachment is missing or differs."""
    if not wanted:
        return
    where = f"{collection.bucket.id}/{collection.id}"
    held = {obj["id"]: obj for obj in collection.dicts()}
    # A list of records has no permissions: those the file gives are read (batches of GETs).
    given = [record_id for record_id, entry in wanted.items() if record_id in held
             and selection.permissions and _entry(_entry(entry).get("permissions"))]
    held_permissions = dict(zip(given, collection.permissions_of(given), strict=True)) \
        if given else {}
    changed, uploads = [], []
    for record_id, entry in wanted.items():
        entry = _entry(entry)
        data = _own(_entry(entry.get("data"))) if selection.data else {}
        permissions = _entry(entry.get("permissions")) if selection.permissions else {}
        current = held.get(record_id)
        if not selection.data and current is not None:
            data = _own(current)  # permissions only: the data stays as it is
        ours = data.get("attachment") if selection.data else None
        if attachments is not None and isinstance(ours, dict):
            # The attachment is the server's to describe: the file decides.
            path = attachment_file(attachments, ours, f"{where}/{record_id}")
            data.pop("attachment")
            if current is not None and "attachment" in current:
                data["attachment"] = current["attachment"]
            if not path.is_file():
                say(f"warning: {where}/{record_id}: no file {path}: attachment not loaded")
            elif differs(path, current.get("attachment") if current else None):
                uploads.append((record_id, path, ours))
        if current is None or _changed(_own(current), data) or (permissions and (
                _permissions_differ(held_permissions.get(record_id, {}), permissions,
                                    user_id))):
            changed.append(collection.record({**data, "id": record_id},
                                             permissions=permissions or None))
    if changed:
        report = collection.save_records(changed, force=True, raise_on_error=False)
        note("record", "written", len(report.succeeded))
        note("record", "refused", _settle(report, f"records of {where}", ignore_4xx, say))
    for record_id, path, metadata in uploads:
        upload_attachment(collection.record(id=record_id), path, metadata)
        note("attachment", "uploaded")
