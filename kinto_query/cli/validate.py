"""``validate``: check a collection's records against its JSON schema, as Kinto's own schema
validation would (``experimental_collection_schema_validation``).

Kinto checks a record against its collection's ``schema`` field and its bucket's
``record:schema``, leaving out ``last_modified``, ``schema`` and ``id`` (unless the schema
names ``id``), and not requiring them. So does this; it reports every error of every record
(Kinto stops at the first), each with its JSON pointer.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Union

import click
import yaml

from .errors import CliError, ExitStatus
from .options import Target, connection_options, settings_of, target_argument
from .output import plural_records
from .sources import open_input, read_items, stdin_input
from .yamlio import load_yaml

__all__ = ["problems", "validate"]

_IGNORED = ("last_modified", "schema", "__permissions__")
# Each record to check: its name, the record (None when unreadable), why it is unreadable.
Source = Iterator[tuple[str, Union[dict[str, Any], None], Union[str, None]]]  # noqa: UP007


def _jsonschema() -> Any:
    try:
        import jsonschema
    except ImportError:
        raise CliError("validate needs the jsonschema library: "
                       "pip install 'kinto_query[validate]'", ExitStatus.USAGE) from None
    return jsonschema


def _pointer(path: Any) -> str:
    """A JSON pointer (RFC 6901) for a jsonschema error path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _checker(schema: Mapping[str, Any], where: str) -> Any:
    jsonschema = _jsonschema()
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as error:
        raise CliError(f"{where} is not a valid JSON schema: {error.message}",
                       ExitStatus.INVALID) from None
    return cls(schema)


def _as_kinto_sees(schema: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The schema without the fields Kinto leaves out in ``required``, and those fields."""
    ignored = _IGNORED if "id" in (schema.get("properties") or {}) else (*_IGNORED, "id")
    required = [f for f in schema.get("required", []) if f not in ignored]
    kept = {k: v for k, v in schema.items() if k != "required"}
    return ({**kept, "required": required} if required else kept), ignored


def problems(record: Mapping[str, Any], checkers: list[tuple[Any, tuple[str, ...], str]]
             ) -> Iterator[tuple[str, str]]:
    """Each ``(pointer, message)`` by which ``record`` fails the schemas."""
    from referencing.exceptions import Unresolvable  # jsonschema's own dependency

    for checker, ignored, where in checkers:
        data = {k: v for k, v in record.items() if k not in ignored}
        try:
            errors = sorted(checker.iter_errors(data),
                            key=lambda e: (list(map(str, e.path)), e.message))
        except Unresolvable as unresolved:  # never fetched: Kinto does not fetch them either
            raise CliError(f"{where} has a $ref that does not resolve ({unresolved}): Kinto "
                           "refuses every record it checks with it", ExitStatus.INVALID) from None
        for found in errors:
            yield _pointer(found.absolute_path), found.message


def _from_file(path: Path) -> Source:
    """``(name, record, problem)`` for each JSON line of ``path`` (``-``: stdin)."""
    with (stdin_input() if str(path) == "-" else open_input(path)) as stream:
        for item in read_items(stream, "jsonl", needs_id=False):
            # What import would refuse (not JSON, a bad id) is reported as it would be.
            yield item.id or f"line {item.line}", item.record, item.problem


def _from_server(collection: Any) -> Source:
    for record in collection.sort("id").dicts():
        yield record["id"], record, None


def _checkers(schemas: list[tuple[str, Any]]) -> list[tuple[Any, tuple[str, ...], str]]:
    """A checker for each ``(where, schema)`` that is a schema."""
    checkers = []
    for where, schema in schemas:
        if isinstance(schema, Mapping):
            stripped, ignored = _as_kinto_sees(schema)
            checkers.append((_checker(stripped, where), ignored, where))
    return checkers


def _report(source: Source, checkers: list[tuple[Any, tuple[str, ...], str]]
            ) -> tuple[int, int]:
    """Print each error of each record of ``source``; how many were checked, and invalid."""
    checked = invalid = 0
    for label, record, unreadable in source:
        checked += 1
        found = [("(record)", unreadable)] if record is None or unreadable else [
            (pointer or "(record)", message) for pointer, message in problems(record, checkers)]
        invalid += bool(found)
        for pointer, message in found:
            click.echo(f"{label} {pointer}: {' '.join(str(message).split())}")
    return checked, invalid


def _verdict(checked: int, invalid: int, what: str) -> ExitStatus:
    sys.stdout.flush()
    if invalid:
        click.echo(f"{plural_records(invalid)} of {checked:,} invalid in {what}", err=True)
        return ExitStatus.INVALID
    click.echo(f"all {plural_records(checked)} of {what} are valid", err=True)
    return ExitStatus.OK


def _entry(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _validate_yaml(path: Path, target: Target | None) -> ExitStatus:
    """kinto-wizard's ``validate FILE``: each collection of a kinto-wizard file against the
    schemas the file gives it (its own, its bucket's), offline."""
    try:
        with open(path, encoding="utf-8") as stream:
            config = load_yaml(stream)
    except yaml.YAMLError as error:
        raise CliError(f"{path}: not YAML ({error})", ExitStatus.USAGE) from None
    buckets = _entry(config).get("buckets")
    if not isinstance(buckets, dict):
        raise CliError(f"{path}: not a kinto-wizard file: it has no 'buckets' mapping",
                       ExitStatus.USAGE)
    checked = invalid = 0
    for bucket_id, bucket in buckets.items():
        for collection_id, collection in _entry(_entry(bucket).get("collections")).items():
            where = f"{bucket_id}/{collection_id}"
            if target is not None and where != str(target):
                continue
            checkers = _checkers([
                (f"the schema of {where} in {path}",
                 _entry(_entry(collection).get("data")).get("schema")),
                (f"the record:schema of {bucket_id} in {path}",
                 _entry(_entry(bucket).get("data")).get("record:schema"))])
            if not checkers:
                continue
            records = _entry(_entry(collection).get("records"))
            counts = _report(((f"{where}/{record_id}", _entry(_entry(entry).get("data")), None)
                              for record_id, entry in records.items()), checkers)
            checked, invalid = checked + counts[0], invalid + counts[1]
    return _verdict(checked, invalid, str(path))


@click.command()
@target_argument(required=False)
@click.option("--file", "-f", "path", type=click.Path(dir_okay=False, allow_dash=True,
                                                      path_type=Path),
              help="Check the records of this file instead: JSON lines (as 'export' writes "
                   "and 'import' reads them; - for stdin) against the server's schema, or a "
                   "kinto-wizard YAML file (.yaml, .yml) against its own schemas, offline.")
@connection_options
@click.pass_context
def validate(ctx: click.Context, /, target: Target | None, path: Path | None) -> ExitStatus:
    """Check every record of BUCKET/COLLECTION (or of --file) against the collection's JSON
    schema (its 'schema' field) and the bucket's 'record:schema', as Kinto's schema
    validation does.

    Prints one line per error, RECORD_ID POINTER: MESSAGE (the pointer is where in the record
    it is, '(record)' for the record itself; a record of a JSON lines file without id is
    named by its line, one of a YAML file by BUCKET/COLLECTION/RECORD_ID), then how many
    records fail (stderr). Exit status 8 when some do. Needs the jsonschema library (pip
    install 'kinto_query[validate]').

    \b
    Examples:
      kinto-query validate shop/todo
      kinto-query validate shop/todo --file new-todos.jsonl   # before importing them
      kinto-query validate --file server.yaml                 # as kinto-wizard validate
    """
    _jsonschema()  # say what to install before any request
    if path is not None and path.suffix.lower() in (".yaml", ".yml"):
        return _validate_yaml(path, target)
    if target is None:
        raise click.UsageError("which collection? BUCKET/COLLECTION is needed, unless --file "
                               "is a kinto-wizard YAML file")
    collection = target.of(settings_of(ctx))
    collection.refresh()
    bucket = collection.bucket
    bucket.refresh()
    checkers = _checkers([(f"the schema of {target}", collection.data.to_dict().get("schema")),
                          (f"the record:schema of {target.bucket}",
                           bucket.data.to_dict().get("record:schema"))])
    if not checkers:
        click.echo(f"{target} has no schema (nor its bucket a record:schema): nothing to check",
                   err=True)
        return ExitStatus.OK
    source = _from_server(collection) if path is None else _from_file(path)
    counts = _report(source, checkers)
    return _verdict(*counts, str(target) if path is None else
                    f"{path} (against {target}'s schema)")
