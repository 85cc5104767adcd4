"""``field__op=value`` lookups, turned into Kinto querystring parameters that mean what was asked.

Kinto JSON-decodes every filter value it can (``n=3`` is the number 3, ``s=true`` the boolean),
so a string that would decode into something else is sent JSON-quoted; ``in``/``not_in`` values
are comma-joined (a string holding a comma cannot be expressed: refused; ``""`` is sent quoted,
since Kinto drops empty items); ``contains`` and ``contains_any`` take JSON arrays.

Every parameter name is checked against Kinto's own reading of it (``_kinto_reads``): a name
Kinto would read as another operator or another field is refused, never sent.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import math
import re
from collections.abc import Iterable
from typing import Any

from ._values import milliseconds, to_json
from .exceptions import InvalidQuery

__all__ = ["OPERATORS", "encode_filter", "field_path", "read_back"]

# Our lookup name -> Kinto's querystring prefix ("" for plain equality).
OPERATORS: dict[str, str] = {
    "eq": "",
    "ne": "not",
    "gt": "gt",
    "gte": "min",
    "lt": "lt",
    "lte": "max",
    "in": "in",
    "not_in": "exclude",
    "like": "like",
    "has": "has",
    "contains": "contains",
    "contains_any": "contains_any",
}

# exclude(field__op=v) is sent as filter(field__<negation>=v); only exact negations are listed:
# "not gt" is not "lte" in Kinto, since a record without the field is greater than any value.
NEGATIONS: dict[str, str] = {"eq": "ne", "ne": "eq", "in": "not_in", "not_in": "in"}

# Spellings users bring from Kinto's own querystring or other ORMs, and what they meant.
_ALIASES = {
    "min": "gte",
    "max": "lte",
    "ge": "gte",
    "le": "lte",
    "not": "ne",
    "neq": "ne",
    "exclude": "not_in",
    "nin": "not_in",
    "icontains": "like",
    "startswith": "like",
    "endswith": "like",
    "isnull": "has",
    "exists": "has",
}

# Kinto reads "<keyword>_<field>" as an operator on <field>; a field whose own name starts
# like that must be sent as eq_<field>.
_KINTO_KEYWORDS = ("lt", "min", "max", "not", "eq", "gt", "in", "exclude", "like", "has",
                   "contains_any", "contains")
_KEYWORD_PREFIX = re.compile(rf"^(?:{'|'.join(_KINTO_KEYWORDS)})_")
# Kinto's parser of a filter name (kinto.core.resource, Kinto 26.5): the first keyword of its
# list that fits wins, so "contains_any_tags" is contains_any on "tags", never contains on
# "any_tags".
_KINTO_FILTER = re.compile(rf"^({'|'.join(_KINTO_KEYWORDS)})_([\w\.]+)$")
_SEGMENT = re.compile(r"\w+\Z")
Scalar = str | int | float | bool | None


def _operator_hint(name: str) -> str:
    valid = ", ".join(OPERATORS)
    if name in _ALIASES:
        return f"unknown lookup {name!r}: did you mean {_ALIASES[name]!r}? Valid lookups: {valid}"
    guess = difflib.get_close_matches(name, OPERATORS, n=1, cutoff=0.75)
    suggestion = f"did you mean {guess[0]!r}? " if guess else ""
    return f"unknown lookup {name!r}: {suggestion}valid lookups: {valid}"


def _looks_like_operator(name: str) -> bool:
    return name in _ALIASES or bool(difflib.get_close_matches(name, OPERATORS, n=1, cutoff=0.75))


def field_path(name: str) -> str:
    """Check a field name (``author.name`` or ``author__name``) and return its dotted path.

    >>> field_path("author__name")
    'author.name'
    """
    segments = re.split(r"__|\.", name)
    for segment in segments:
        if not _SEGMENT.match(segment):
            raise InvalidQuery(
                f"invalid field name {name!r}: each part must be letters, digits or '_' "
                "(nested fields as 'author__name' or 'author.name')"
            )
    if segments[0].startswith("_"):
        raise InvalidQuery(
            f"invalid field name {name!r}: names starting with '_' are Kinto's own parameters "
            "(use since(), before(), sort(), fields(), limit() or page_size() instead)"
        )
    return ".".join(segments)


def split_lookup(key: str) -> tuple[str, str]:
    """``"author__age__gte"`` -> ``("author.age", "gte")``.

    A last part that looks like a misspelt operator is refused rather than taken as a nested
    field (the server would silently match nothing); write ``field__eq`` to mean the field.

    >>> split_lookup("author__age__gte"), split_lookup("title")
    (('author.age', 'gte'), ('title', 'eq'))
    """
    head, sep, last = key.rpartition("__")
    if sep and last in OPERATORS:
        return field_path(head), last
    if sep and _looks_like_operator(last):
        raise InvalidQuery(_operator_hint(last) + f" (for a field named {last!r}, write "
                           f"'{key}__eq')")
    return field_path(key), "eq"


# Kinto's querystring keyword -> our lookup, for the suggestion made to a raw-prefix habit.
_FROM_KINTO = {prefix or "eq": op for op, prefix in OPERATORS.items()}
# Our operators written with one underscore ("priority_gte"), longest first ("not_in" before
# "in"); "_in" only with a list value: opt_in=True is a field, status_in=[...] a slip.
_ONE_UNDERSCORE = re.compile(
    rf"^(\w+?)_({'|'.join(sorted(OPERATORS, key=len, reverse=True))})\Z"
)


def check_habit(key: str, value: object, *, call: str = "filter") -> None:
    """Refuse a plain name that reads as a kinto-http.py habit: a raw Kinto prefix
    (``min_priority``) or an operator after one underscore (``priority_gte``).

    Either would be taken as a field name and match nothing; ``name__eq`` is the spelling of
    a field really named so.

    >>> check_habit("min_priority", 3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kinto_query.exceptions.InvalidQuery: filter(min_priority=3): ... `priority__gte=3`? ...
    """
    if key.rpartition("__")[2] in OPERATORS:
        return  # an explicit lookup (``min_priority__eq``): the field is named as written
    path = key.replace("__", ".")
    head, dot, last = path.rpartition(".")
    meant = None
    if match := _KINTO_FILTER.match(path):
        keyword, field = match.groups()
        what = f"Kinto's raw prefix '{keyword}_' is not a lookup here"
        meant = (field, _FROM_KINTO[keyword])
    elif match := _ONE_UNDERSCORE.match(last):
        field, op = match.groups()
        listed = isinstance(value, (list, tuple, set, frozenset))
        if op not in ("in", "not_in") or listed:
            what = "lookups take two underscores"
            meant = (head + dot + field, op)
    if meant is None:
        return
    field, op = meant
    lookup = field.replace(".", "__") + ("" if op == "eq" else f"__{op}")
    scalar = not isinstance(value, (list, tuple, set, frozenset, dict))
    hatch = f"{key}__{'eq' if scalar else 'contains'}={value!r}"
    raise InvalidQuery(
        f"{call}({key}={value!r}): {what}: did you mean `{lookup}={value!r}`? (for a field "
        f"really named {key!r}, write `{hatch}`)"
    )

def _kinto_reads(name: str) -> tuple[str, str]:
    """The ``(keyword, field)`` Kinto reads in a querystring name (``"eq"`` for plain ones)."""
    match = _KINTO_FILTER.match(name.strip())
    return (match.group(1), match.group(2)) if match else ("eq", name.strip())


def _decoded(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def read_back(name: str, text: str) -> tuple[str, str, Any]:
    """What a sent filter means, as ``(field, lookup, value)``, the value as Kinto reads it.

    >>> read_back("min_priority", '"3"')
    ('priority', 'gte', '3')
    >>> read_back("in_status", "todo,3")
    ('status', 'in', ['todo', 3])
    """
    keyword, field = _kinto_reads(name)
    op = _FROM_KINTO[keyword]
    if op in ("in", "not_in"):
        return field, op, [_decoded(item) for item in text.split(",")]
    return field, op, _decoded(text)


def _check_reading(name: str, op: str, field: str) -> None:
    """Refuse a parameter name that Kinto would read as another operator or field."""
    meant = (OPERATORS[op] or "eq", field)
    read = _kinto_reads(name)
    if read == meant:
        return
    fix = "rename the field"
    if op == "contains":
        fix = (f"for a single value, {field.replace('.', '__')}__contains_any=[value] means the "
               "same; otherwise rename the field")
    raise InvalidQuery(
        f"{field}__{op}: Kinto would read the parameter {name!r} as {read[0]} on field "
        f"{read[1]!r}, not {op} on {field!r}, and cannot express this lookup; {fix}"
    )


def _check_encodable(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidQuery(
            f"{what}: the value holds {text[error.start:error.end]!r}, a lone surrogate that "
            "cannot be sent in a URL (not valid UTF-8)"
        ) from None


# Kinto decodes JSON with rapidjson's native numbers: an integer outside this range is read
# as a float (2**64 + 1 as 1.8446744073709552e19, which also equals 2**64).
_KINTO_INTEGERS = range(-(2**63), 2**64)


def _check_integer(value: object, what: str) -> None:
    """Refuse an integer (also inside lists and dicts) that Kinto would read as a float."""
    with contextlib.suppress(TypeError):
        value = to_json(value)
    if isinstance(value, int) and not isinstance(value, bool) and value not in _KINTO_INTEGERS:
        raise InvalidQuery(
            f"{what}: Kinto reads integers beyond 64 bits as floats, so {value} would mean "
            f"{float(value)!r} (pass float(value) if that is what you mean)"
        )
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_integer(item, what)
    elif isinstance(value, dict):
        for item in value.values():
            _check_integer(item, what)


def _encode_scalar(value: object, what: str) -> str:
    if what.startswith("last_modified__"):
        try:
            ms = milliseconds(value, what)
        except ValueError as error:
            raise InvalidQuery(str(error)) from None
        if ms is not None:
            return str(ms)
    with contextlib.suppress(TypeError):
        value = to_json(value)  # date, datetime, UUID, Decimal: as the records store them
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidQuery(f"{what}: {value!r} cannot be sent to Kinto")
        _check_integer(value, what)
        return json.dumps(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidQuery(f"{what}: Kinto refuses the NUL character")
        try:
            json.loads(value)
        except ValueError:
            return value
        # The server would decode it ("1.0" -> 1.0, "true" -> True): quote it to keep a string.
        return json.dumps(value, ensure_ascii=False)
    raise InvalidQuery(
        f"{what}: expected a string, number, bool, None, date, datetime, UUID or Decimal, got "
        f"{type(value).__name__} (for arrays use the contains or contains_any lookup)"
    )


def _elements(value: object, what: str) -> list[object]:
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        raise InvalidQuery(f"{what}: expected a list (or other iterable) of values, got {value!r}")
    return list(value)


def _encode_in(value: object, what: str) -> str:
    elements = _elements(value, what)
    if not elements:
        raise InvalidQuery(f"{what}: an empty list cannot be sent (Kinto would ignore it)")
    encoded = []
    for element in elements:
        text = _encode_scalar(element, what)
        if text == "":
            # Kinto drops empty items of a comma list ("in_s=,done" is "in_s=done"); it reads
            # the JSON-quoted "" as the empty string.
            text = json.dumps("")
        if "," in text:
            raise InvalidQuery(
                f"{what}: {element!r} holds a comma, which Kinto's in/not_in lists cannot carry"
            )
        encoded.append(text)
    return ",".join(encoded)


def encode_filter(key: str, value: object, *, negate: bool = False) -> tuple[str, str]:
    """One lookup as a Kinto querystring ``(name, value)``.

    >>> encode_filter("priority__gte", 3)
    ('min_priority', '3')
    >>> encode_filter("status", "done", negate=True)
    ('not_status', 'done')
    """
    field, op = split_lookup(key)
    check_habit(key, value, call="exclude" if negate else "filter")
    if negate:
        if op == "has":
            if not isinstance(value, bool):
                raise InvalidQuery(f"{key}: has takes True or False, got {value!r}")
            value = not value
        elif op in NEGATIONS:
            op = NEGATIONS[op]
        else:
            raise InvalidQuery(
                f"exclude({key}=...): Kinto has no exact negation of {op!r}; use filter() with "
                "the opposite lookup (note that records lacking the field count as greater "
                "than any value)"
            )
    what = f"{field}__{op}"
    if op in ("in", "not_in"):
        text = _encode_in(value, what)
    elif op in ("contains", "contains_any"):
        scalar = isinstance(value, (str, int, float, bool, dict)) or value is None
        value = value if scalar else _elements(value, what)
        _check_integer(value, what)
        try:
            text = json.dumps(
                value,
                allow_nan=False,
                ensure_ascii=False,
                separators=(",", ":"),
                default=to_json,
            )
        except (TypeError, ValueError) as error:
            raise InvalidQuery(f"{what}: cannot be sent as JSON ({error})") from None
    elif op == "has":
        if not isinstance(value, bool):
            raise InvalidQuery(f"{what}: has takes True or False, got {value!r}")
        text = json.dumps(value)
    elif op == "like":
        if not isinstance(value, str):
            raise InvalidQuery(f"{what}: like takes a string pattern ('*' is the wildcard)")
        text = _encode_scalar(value, what)
    else:
        text = _encode_scalar(value, what)
    _check_encodable(text, what)
    prefix = OPERATORS[op]
    if prefix:
        name = f"{prefix}_{field}"
    else:
        name = f"eq_{field}" if _KEYWORD_PREFIX.match(field) else field
    _check_reading(name, op, field)
    return name, text
