"""Pages of a scan as Apache Arrow record batches, one per page, and as tables (``arrow`` extra).

Each page's JSON objects become one ``RecordBatch`` as the page arrives, and the objects are
dropped before the next page is fetched: a table of a large collection costs its columns
and one page of objects, never a list of every object. Without a schema, each page's types
are inferred from all its objects (every field any of them has; nested objects become
structs, arrays lists), and a table unifies its pages' schemas (a field missing on a page is
null there, an integer field that also holds floats becomes float). A boolean is never a
number, an integer must fit 64 bits and an integer field takes no fraction, on a page as
across pages, with or without a schema: such values raise ``SchemaMismatch`` naming the
field and the first record at fault. ``id`` comes first,
``last_modified`` second, then the fields of ``fields()`` in their order, then the others.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Generator, Iterable
from typing import Any

from ..exceptions import ConfigurationError, SchemaMismatch
from .scan import Page

__all__ = ["base_schema", "batch_of", "batches", "pandas", "pyarrow", "table", "table_of"]

ARROW_INSTALL = "pip install 'kinto_query[arrow]'"
_FIRST = ("id", "last_modified")


def pyarrow() -> Any:
    """The ``pyarrow`` module, or ``ConfigurationError`` saying how to install it."""
    try:
        import pyarrow
    except ImportError:
        raise ConfigurationError(f"Arrow and pandas output needs pyarrow: {ARROW_INSTALL}") \
            from None
    return pyarrow


def pandas() -> Any:
    """The ``pandas`` module, or ``ConfigurationError`` saying how to install it."""
    try:
        import pandas
    except ImportError:
        raise ConfigurationError(f"pandas output needs pandas: {ARROW_INSTALL}") from None
    return pandas


def _columns(fields: tuple[str, ...]) -> list[str]:
    """The columns a query asks for first: ``id``, ``last_modified``, then each ``fields()``
    name (a nested path ``author.name`` is its top-level field, ``author``)."""
    names = list(_FIRST)
    for path in fields:
        top = path.split(".", 1)[0]
        if top not in names:
            names.append(top)
    return names


def base_schema(fields: tuple[str, ...]) -> Any:
    """The schema of a query with no result: its first columns (``id`` a string,
    ``last_modified`` an integer, fields of unknown type null)."""
    pa = pyarrow()
    known = {"id": pa.string(), "last_modified": pa.int64()}
    return pa.schema([(name, known.get(name, pa.null())) for name in _columns(fields)])


def _first(count: int, fails: Callable[[int], bool]) -> int:
    """The index of the first item at fault: the least ``m`` such that the first ``m + 1``
    items fail (a prefix that fails keeps failing as it grows)."""
    low, high = 0, count - 1
    while low < high:
        middle = (low + high) // 2
        if fails(middle + 1):
            high = middle
        else:
            low = middle + 1
    return low


def _record(objects: list[dict[str, Any]], index: int) -> str:
    object_id = objects[index].get("id")
    return repr(object_id) if isinstance(object_id, str) else f"#{index + 1} of its page"


def _fails(pa: Any, values: list[Any], kind: Any, count: int | None = None) -> bool:
    """Whether pyarrow refuses ``values`` (their first ``count``) as an array of ``kind``."""
    try:
        pa.array(values[:count], type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return True
    return False


def _culprit(pa: Any, objects: list[dict[str, Any]], schema: Any) -> str:
    """``field 'w', record 'r2': `` for the first field (of ``schema``, or any) whose values
    pyarrow refuses, and the first record at fault; empty if no one field is."""
    if schema is None:
        kinds: dict[str, Any] = {name: None for obj in objects for name in obj}
    else:
        kinds = {field.name: field.type for field in schema}
    for name, kind in kinds.items():
        values = [obj.get(name) for obj in objects]
        if _fails(pa, values, kind):
            index = _first(len(values), functools.partial(_fails, pa, values, kind))
            return f"field {name!r}, record {_record(objects, index)}: "
    return ""


def _has_number(pa: Any, kind: Any) -> bool:
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return True
    if pa.types.is_struct(kind):
        return any(_has_number(pa, field.type) for field in kind)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return bool(_has_number(pa, kind.value_type))
    return False


def _offence(pa: Any, kind: Any, value: Any) -> tuple[str, str] | None:
    """What pyarrow would silently coerce in ``value`` of Arrow type ``kind``: the path below
    the field (``.age``, ``[]``) and why, or None. Python's bool is an int, so pyarrow takes
    ``true`` as 1 in a number field, and truncates 1.5 in an integer one."""
    if value is None:
        return None
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        if isinstance(value, bool):
            return "", f"{json.dumps(value)} is a boolean, never a number"
        if pa.types.is_integer(kind) and isinstance(value, float) and not value.is_integer():
            return "", f"{value!r} is not an integer"
        return None
    if pa.types.is_struct(kind) and isinstance(value, dict):
        for field in kind:
            found = _offence(pa, field.type, value.get(field.name))
            if found:
                return f".{field.name}{found[0]}", found[1]
    elif (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and isinstance(value, list):
        for item in value:
            found = _offence(pa, kind.value_type, item)
            if found:
                return f"[]{found[0]}", found[1]
    return None


def _check_numbers(pa: Any, objects: list[dict[str, Any]], schema: Any, where: str,
                   what: str) -> None:
    """``SchemaMismatch`` for the first value pyarrow would coerce into a number field."""
    for field in schema:
        if not _has_number(pa, field.type):
            continue
        for index, obj in enumerate(objects):
            found = _offence(pa, field.type, obj.get(field.name))
            if found:
                raise SchemaMismatch(
                    f"{where}: {what} (field {field.name + found[0]!r}, record "
                    f"{_record(objects, index)}: {found[1]}, the field is {field.type}); "
                    "pass schema= (a pyarrow.Schema) to say each field's type")


def _inferred(pa: Any, objects: list[dict[str, Any]], fields: tuple[str, ...], where: str) -> Any:
    what = "the records' values do not fit one Arrow type per field"
    try:
        batch = pa.RecordBatch.from_struct_array(pa.array(objects))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
        raise SchemaMismatch(
            f"{where}: {what} ({_culprit(pa, objects, None)}{error}); "
            "pass schema= (a pyarrow.Schema) to say each field's type") from None
    _check_numbers(pa, objects, batch.schema, where, what)
    # id and last_modified where the objects have them (a grant has neither); fields()
    # named, had or not.
    first = [name for name in _columns(fields)
             if name not in _FIRST or name in batch.schema.names]
    order = first + [name for name in batch.schema.names if name not in first]
    columns = [batch.column(name) if name in batch.schema.names
               else pa.nulls(batch.num_rows) for name in order]
    return pa.RecordBatch.from_arrays(columns, names=order)


def _fitted(pa: Any, objects: list[dict[str, Any]], schema: Any, strict: bool,
            where: str) -> Any:
    if strict:
        extra = set().union(*map(dict.keys, objects)) - set(schema.names)
        if extra:
            raise SchemaMismatch(
                f"{where}: records have fields the schema lacks ({', '.join(sorted(extra))}); "
                "pass schema= with every field (a pyarrow.Schema)")
    what = "a record does not fit the schema"
    _check_numbers(pa, objects, schema, where, what)
    try:
        return pa.RecordBatch.from_pylist(objects, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
        raise SchemaMismatch(f"{where}: {what} ({_culprit(pa, objects, schema)}{error}); pass "
                             "schema= with each field's type (a pyarrow.Schema)") from None


def batch_of(pa: Any, objects: list[dict[str, Any]], fields: tuple[str, ...], where: str,
             schema: Any = None, *, strict: bool = False) -> Any:
    """The ``RecordBatch`` of one page's objects (``pa``: the ``pyarrow`` module, asked for
    once per scan), or None for an empty page: of ``schema`` when given (fields it lacks are
    left out, unless ``strict``: then they are an error), else inferred from the objects.
    Pure: the sync and async page loops (``Query.iter_batches``) both call it."""
    if not objects:
        return None
    if schema is None:
        return _inferred(pa, objects, fields, where)
    return _fitted(pa, objects, schema, strict, where)


def batches(pages: Iterable[Page[dict[str, Any]]], fields: tuple[str, ...], where: str,
            schema: Any = None, *, strict: bool = False) -> Generator[Any, None, None]:
    """One ``RecordBatch`` per non-empty page (see ``batch_of``)."""
    pa = pyarrow()
    for page in pages:
        objects = page.items
        del page  # only the objects are needed, and only until their batch is built
        batch = batch_of(pa, objects, fields, where, schema, strict=strict)
        del objects
        if batch is not None:
            yield batch


def table(pages: Iterable[Page[dict[str, Any]]], fields: tuple[str, ...], where: str,
          schema: Any = None, *, strict: bool = False) -> Any:
    """One ``pyarrow.Table`` of every page (see ``batches``), its pages' schemas unified."""
    return table_of(batches(pages, fields, where, schema, strict=strict), fields, where, schema)


def table_of(found: Iterable[Any], fields: tuple[str, ...], where: str,
             schema: Any = None) -> Any:
    """One ``pyarrow.Table`` of the batches ``found`` (those of ``batch_of``, read as they
    come): of ``schema`` when given, else their schemas unified. Pure, for both sides."""
    pa = pyarrow()
    if schema is not None:
        return pa.Table.from_batches(list(found), schema=schema)
    parts = [pa.Table.from_batches([batch]) for batch in found]
    if not parts:
        return base_schema(fields).empty_table()
    try:
        return pa.concat_tables(parts, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise SchemaMismatch(
            f"{where}: pages disagree on a field's type ({_disagreeing(pa, parts)}{error}); "
            "pass schema= (a pyarrow.Schema) to say each field's type") from None


def _unify_fails(pa: Any, tables: list[Any], count: int) -> bool:
    """Whether the first ``count`` of ``tables`` do not unify."""
    try:
        pa.concat_tables(tables[:count], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return True
    return False


def _disagreeing(pa: Any, parts: list[Any]) -> str:
    """``field 'w', record 'r2': `` for the first field whose pages do not unify, and the
    first record holding a value of it on the first page that disagrees; empty if none."""
    names = dict.fromkeys(name for part in parts for name in part.column_names)
    for name in names:
        having = [part for part in parts if name in part.column_names]
        columns = [part.select([name]) for part in having]
        fails = functools.partial(_unify_fails, pa, columns)
        if not fails(len(columns)):
            continue
        page = having[_first(len(columns), fails)]
        values = page.column(name).to_pylist()
        index = next((i for i, value in enumerate(values) if value is not None), 0)
        ids = page.column("id").to_pylist() if "id" in page.column_names else []
        record = repr(ids[index]) if index < len(ids) else "#1 of its page"
        return f"field {name!r}, record {record}: "
    return ""
