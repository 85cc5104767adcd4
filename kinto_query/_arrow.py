"""Pages of a scan as Apache Arrow record batches, one per page, and as tables (``arrow`` extra).

Each page's JSON objects become one ``RecordBatch`` as the page arrives, and the objects are
dropped before the next page is fetched: a table of a large collection costs its columns
and one page of objects, never a list of every object. Without a schema, each page's types
are inferred from all its objects (every field any of them has; nested objects become
structs, arrays lists), and a table unifies its pages' schemas (a field missing on a page is
null there, an integer field that also holds floats becomes float). ``id`` comes first,
``last_modified`` second, then the fields of ``fields()`` in their order, then the others.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any

from ._scan import Page
from .exceptions import ConfigurationError, SchemaMismatch

__all__ = ["base_schema", "batches", "pandas", "pyarrow", "table"]

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


def _inferred(pa: Any, objects: list[dict[str, Any]], fields: tuple[str, ...], where: str) -> Any:
    try:
        batch = pa.RecordBatch.from_struct_array(pa.array(objects))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise SchemaMismatch(
            f"{where}: the records' values do not fit one Arrow type per field ({error}); "
            "pass schema= (a pyarrow.Schema) to say each field's type") from None
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
    try:
        return pa.RecordBatch.from_pylist(objects, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise SchemaMismatch(f"{where}: a record does not fit the schema ({error}); pass "
                             "schema= with each field's type (a pyarrow.Schema)") from None


def batches(pages: Iterable[Page[dict[str, Any]]], fields: tuple[str, ...], where: str,
            schema: Any = None, *, strict: bool = False) -> Generator[Any, None, None]:
    """One ``RecordBatch`` per non-empty page: of ``schema`` when given (fields it lacks are
    left out, unless ``strict``: then they are an error), else inferred from the page."""
    pa = pyarrow()
    for page in pages:
        objects = page.items
        del page  # only the objects are needed, and only until their batch is built
        if not objects:
            continue
        if schema is None:
            batch = _inferred(pa, objects, fields, where)
        else:
            batch = _fitted(pa, objects, schema, strict, where)
        del objects
        yield batch


def table(pages: Iterable[Page[dict[str, Any]]], fields: tuple[str, ...], where: str,
          schema: Any = None, *, strict: bool = False) -> Any:
    """One ``pyarrow.Table`` of every page (see ``batches``), its pages' schemas unified."""
    pa = pyarrow()
    if schema is not None:
        found = batches(pages, fields, where, schema, strict=strict)
        return pa.Table.from_batches(list(found), schema=schema)
    parts = [pa.Table.from_batches([batch]) for batch in batches(pages, fields, where)]
    if not parts:
        return base_schema(fields).empty_table()
    try:
        return pa.concat_tables(parts, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise SchemaMismatch(
            f"{where}: pages disagree on a field's type ({error}); pass schema= "
            "(a pyarrow.Schema) to say each field's type") from None
