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
from typing import Any

import click

from .errors import CliError, ExitStatus
from .options import Target, connection_options, settings_of, target_argument
from .output import plural_records
from .sources import open_input, read_items, stdin_input

__all__ = ["problems", "validate"]

_IGNORED = ("last_modified", "schema", "__permissions__")


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


def _from_file(path: Path) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
    """``(name, record, problem)`` for each JSON line of ``path`` (``-``: stdin)."""
    with (stdin_input() if str(path) == "-" else open_input(path)) as stream:
        for item in read_items(stream, "jsonl", needs_id=False):
            # What import would refuse (not JSON, a bad id) is reported as it would be.
            yield item.id or f"line {item.line}", item.record, item.problem


def _from_server(collection: Any) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
    for record in collection.sort("id").dicts():
        yield record["id"], record, None


@click.command()
@target_argument()
@click.option("--file", "-f", "path", type=click.Path(dir_okay=False, allow_dash=True,
                                                      path_type=Path),
              help="Check the records of this JSON lines file (as 'export' writes and "
                   "'import' reads it; - for stdin) instead of the collection's.")
@connection_options
@click.pass_context
def validate(ctx: click.Context, /, target: Target, path: Path | None) -> ExitStatus:
    """Check every record of BUCKET/COLLECTION (or of --file) against the collection's JSON
    schema (its 'schema' field) and the bucket's 'record:schema', as Kinto's schema
    validation does.

    Prints one line per error, RECORD_ID POINTER: MESSAGE (the pointer is where in the record
    it is, '(record)' for the record itself; a record of --file without id is named by its
    line), then how many records fail (stderr). Exit status 8 when some do. Needs the
    jsonschema library (pip install 'kinto_query[validate]').

    \b
    Examples:
      kinto-query validate shop/todo
      kinto-query validate shop/todo --file new-todos.jsonl   # before importing them
    """
    _jsonschema()  # say what to install before any request
    collection = target.of(settings_of(ctx))
    collection.refresh()
    bucket = collection.bucket
    bucket.refresh()
    checkers = []
    for where, schema in ((f"the schema of {target}", collection.data.to_dict().get("schema")),
                          (f"the record:schema of {target.bucket}",
                           bucket.data.to_dict().get("record:schema"))):
        if isinstance(schema, Mapping):
            stripped, ignored = _as_kinto_sees(schema)
            checkers.append((_checker(stripped, where), ignored, where))
    if not checkers:
        click.echo(f"{target} has no schema (nor its bucket a record:schema): nothing to check",
                   err=True)
        return ExitStatus.OK
    checked = invalid = 0
    source = _from_server(collection) if path is None else _from_file(path)
    for label, record, unreadable in source:
        checked += 1
        found = [("(record)", unreadable)] if record is None or unreadable else [
            (pointer or "(record)", message) for pointer, message in problems(record, checkers)]
        invalid += bool(found)
        for pointer, message in found:
            click.echo(f"{label} {pointer}: {' '.join(str(message).split())}")
    sys.stdout.flush()
    what = target if path is None else f"{path} (against {target}'s schema)"
    if invalid:
        click.echo(f"{plural_records(invalid)} of {checked:,} invalid in {what}", err=True)
        return ExitStatus.INVALID
    click.echo(f"all {plural_records(checked)} of {what} are valid", err=True)
    return ExitStatus.OK
