"""``dump`` and ``load``: buckets, groups, collections, permissions (and records) as YAML, in
kinto-wizard's format, so that either tool reads what the other wrote::

    buckets:
      BUCKET:
        permissions: {read: [...], write: [...], ...}
        data: {id: ..., last_modified: ..., ...}          # with --data
        groups:
          GROUP: {data: {members: [...]}, permissions: {...}}
        collections:
          COLLECTION:
            permissions: {...}
            data: {...}                                    # with --data
            records:                                       # with --records
              RECORD: {data: {id: ..., ...}, permissions: {}}

Loading creates what is missing and updates what differs (fields given are set, others
kept; permissions given are replaced, others kept), as kinto-wizard does; ``--force``
overwrites without checking versions. YAML is read and written as kinto-wizard does (see
``yamlio``): dates stay strings both ways.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any, Union

import click
import yaml

from .. import Bucket, Client, Collection, Group
from ..exceptions import Forbidden, NotFound
from .errors import CliError, ExitStatus
from .options import bucket_argument, connection_options, dry_run_option, settings_of
from .output import plural
from .yamlio import dump_yaml, load_yaml

__all__ = ["dump", "dump_server", "load", "load_server"]

Container = Union[Bucket, Collection, Group]  # noqa: UP007 - runtime alias on 3.10
_SERVER_FIELDS = ("id", "last_modified")


def _sorted(permissions: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: sorted(principals) for name, principals in sorted(permissions.items())}


def _own(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in _SERVER_FIELDS}


def _describe(obj: Container, *, data: bool) -> dict[str, Any]:
    """``{permissions, data}`` of an object (one GET: ``refresh``)."""
    obj.refresh()
    entry: dict[str, Any] = {"permissions": _sorted(obj.permissions.to_dict())}
    if data:
        entry["data"] = {"id": obj.id, "last_modified": obj.last_modified,
                         **obj.data.to_dict()}
    return entry


def dump_server(client: Client, *, bucket: str | None = None, data: bool = False,
                records: bool = False) -> dict[str, Any]:
    """The server's (or one bucket's) objects, in kinto-wizard's shape."""
    ids = [bucket] if bucket else sorted(b.id for b in client.buckets().fields("id"))
    buckets: dict[str, Any] = {}
    for bucket_id in ids:
        handle = client.bucket(bucket_id)
        entry = _describe(handle, data=data)
        groups: dict[str, Any] = {}
        for group_id in sorted(g.id for g in handle.groups().fields("id")):
            group = handle.group(group_id)
            described = _describe(group, data=True)
            # Members always come (kinto-wizard's dump does the same); the rest with --data.
            described["data"] = (described["data"] if data
                                 else {"members": described["data"].get("members", [])})
            groups[group_id] = described
        collections: dict[str, Any] = {}
        for collection_id in sorted(c.id for c in handle.collections().fields("id")):
            collection = handle.collection(collection_id)
            described = _describe(collection, data=data)
            if records:
                described["records"] = {
                    obj["id"]: {"data": obj, "permissions": {}}
                    for obj in collection.sort("id").dicts()
                }
            collections[collection_id] = described
        entry["collections"] = collections
        entry["groups"] = groups
        buckets[bucket_id] = entry
    return {"buckets": buckets}


def _apply(obj: Container, data: dict[str, Any], permissions: dict[str, list[str]],
           user_id: str | None, force: bool) -> str:
    """Create ``obj`` or bring it to ``data``/``permissions``; says what was done."""
    try:
        obj.refresh()
        exists = True
    except (NotFound, Forbidden):  # Kinto answers 403 for a bucket that does not exist
        exists = False
    if exists:
        for key, value in _own(data).items():
            if obj.data.get(key) != value:
                obj.data[key] = value
    else:
        obj.data = _own(data)
    for name, principals in permissions.items():
        wanted = list(principals)
        if name == "write" and user_id and user_id not in wanted:
            wanted.append(user_id)  # Kinto adds the writer anyway: not a difference
        if sorted(obj.permissions[name]) != sorted(wanted):
            obj.permissions[name][:] = wanted
    request = obj.save_request(force=force)
    if request is None:
        return "unchanged"
    obj.save(force=force)
    return "updated" if exists else "created"


def load_server(client: Client, config: Any, *, bucket: str | None = None,
                force: bool = False, say: Any = None) -> dict[tuple[str, str], int]:
    """Bring the server to what ``config`` (kinto-wizard's shape) says; counts by
    ``(kind, outcome)``, e.g. ``("bucket", "created")``."""
    if not isinstance(config, dict) or not isinstance(config.get("buckets"), dict):
        raise CliError("not a kinto-wizard file: it has no 'buckets' mapping", ExitStatus.USAGE)
    user_id = (client.server_info().get("user") or {}).get("id")
    counts: dict[tuple[str, str], int] = {}

    def note(kind: str, outcome: str) -> None:
        counts[kind, outcome] = counts.get((kind, outcome), 0) + 1

    for bucket_id, entry in config["buckets"].items():
        if bucket and bucket_id != bucket:
            continue
        entry = entry or {}
        handle = Bucket(bucket_id, client=client)
        note("bucket", _apply(handle, entry.get("data") or {}, entry.get("permissions") or {},
                              user_id, force))
        for group_id, group in (entry.get("groups") or {}).items():
            group = group or {}
            note("group", _apply(handle.group(group_id), group.get("data") or {},
                                 group.get("permissions") or {}, user_id, force))
        for collection_id, described in (entry.get("collections") or {}).items():
            described = described or {}
            collection = handle.collection(collection_id)
            note("collection", _apply(collection, described.get("data") or {},
                                      described.get("permissions") or {}, user_id, force))
            wanted = described.get("records") or {}
            if wanted:
                held = {obj["id"]: _own(obj) for obj in collection.dicts()}
                changed = [
                    collection.record({**_own(r.get("data") or {}), "id": record_id},
                                      permissions=r.get("permissions") or None)
                    for record_id, r in wanted.items()
                    if held.get(record_id) != _own((r or {}).get("data") or {})
                ]
                if not changed:
                    continue
                report = collection.save_records(changed, force=True, raise_on_error=False)
                counts["record", "written"] = counts.get(("record", "written"), 0) + len(
                    report.succeeded)
                if not report.ok:
                    raise CliError(f"records of {bucket_id}/{collection_id}: "
                                   f"{report.summary()}", ExitStatus.FAILED)
    return counts


@click.command()
@bucket_argument(required=False)
@click.option("--bucket", "-b", "bucket_option", hidden=True,
              help="Only this bucket (the old spelling of the BUCKET argument).")
@click.option("--data", "with_data", is_flag=True,
              help="Include the data of buckets, collections and groups.")
@click.option("--records", "with_records", is_flag=True, help="Include every record.")
@click.option("--full", is_flag=True, help="Same as --data --records.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The YAML file to write [default: stdout].")
@connection_options
@click.pass_context
def dump(ctx: click.Context, bucket: str | None, bucket_option: str | None, with_data: bool,
         with_records: bool, full: bool, output: Path | None) -> None:
    """Dump buckets, groups, collections and permissions (optionally data and records) as
    YAML that kinto-wizard loads: the whole server, or BUCKET only.

    \b
    Examples:
      kinto-query dump > server.yaml
      kinto-query dump shop --full -o shop.yaml
    """
    # --bucket still works (scripts written for it), hidden from the help: one way to say it.
    if bucket and bucket_option and bucket != bucket_option:
        raise click.UsageError(f"two buckets given: {bucket!r} and --bucket {bucket_option!r}")
    bucket = bucket or bucket_option
    tree = dump_server(settings_of(ctx).client(), bucket=bucket, data=with_data or full,
                       records=with_records or full)
    text = dump_yaml(tree)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"dumped {plural(len(tree['buckets']), 'bucket')} to {output}", err=True)


@click.command()
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--bucket", "-b", help="Only this bucket of the file.")
@click.option("--force", is_flag=True, help="Overwrite without checking versions.")
@dry_run_option
@connection_options
@click.pass_context
def load(ctx: click.Context, file: IO[str], bucket: str | None, force: bool) -> None:
    """Load a YAML file in kinto-wizard's format (as 'dump' or 'kinto-wizard dump' write
    it): create what is missing, update what differs, leave the rest.

    \b
    Examples:
      kinto-query load server.yaml
      kinto-query load shop.yaml --bucket shop
      kinto-query load server.yaml --dry-run     # what it would change, changing nothing
    """
    try:
        config = load_yaml(file)
    except yaml.YAMLError as error:
        raise CliError(f"{file.name}: not YAML ({error})", ExitStatus.USAGE) from None
    counts = load_server(settings_of(ctx).client(), config, bucket=bucket, force=force)
    summary = ", ".join(f"{plural(n, kind)} {outcome}" for (kind, outcome), n in counts.items())
    summary = summary or "nothing to load"
    done = "dry run: would have loaded" if settings_of(ctx).dry_run else "loaded"
    click.echo(f"{done} {file.name}: {summary}", err=True)
