"""YAML as kinto-wizard reads and writes it: YAML 1.2's core schema (ruamel.yaml's), and no
dates.

PyYAML speaks YAML 1.1, where ``yes``, ``on`` and ``no`` are booleans, ``012`` is octal and
``2018-06-22`` a date; kinto-wizard (ruamel.yaml) writes such strings unquoted, as 1.2 allows.
So reading uses the 1.2 core schema (null, true/false, decimal/0o/0x integers, floats) and
keeps dates as the strings they were in Kinto. Writing quotes every string that either
version would read as something else, so both read back the same JSON.
"""

from __future__ import annotations

import re
from typing import IO, Any

import yaml

__all__ = ["dump_yaml", "load_yaml"]

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_DIGITS = list("-+0123456789")
_TAG = "tag:yaml.org,2002:"


class _Loader(yaml.SafeLoader):
    """The YAML 1.2 core schema, without timestamps."""


_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (("null", _NULL, ["~", "n", "N", ""]),
                               ("bool", _BOOL, list("tTfF")),
                               ("int", _INT, _DIGITS),
                               ("float", _FLOAT, [*_DIGITS, "."])):
    _Loader.add_implicit_resolver(_TAG + _tag, _pattern, _first)


def _int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    sign, digits = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
    if digits.startswith("0o"):
        return sign * int(digits[2:], 8)
    if digits.startswith("0x"):
        return sign * int(digits[2:], 16)
    return sign * int(digits)  # "012" is twelve in YAML 1.2


def _float(loader: yaml.SafeLoader, node: yaml.Node) -> float:
    text = str(loader.construct_scalar(node)).lower()  # type: ignore[arg-type]
    if text.endswith((".inf", ".nan")):
        return float(text.replace(".", ""))
    return float(text)


_Loader.add_constructor(_TAG + "int", _int)
_Loader.add_constructor(_TAG + "float", _float)


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, quoting also what YAML 1.2 would not read as a string."""


for _tag, _pattern, _first in (("int", _INT, _DIGITS), ("float", _FLOAT, [*_DIGITS, "."])):
    _Dumper.add_implicit_resolver(_TAG + _tag, _pattern, _first)


# How many nodes aliases may add by repeating others: a 1 KB "billion laughs" file nests
# aliases of aliases to billions of nodes; a real dump repeats a few lists at most.
ALIASED_NODES = 10_000


class AliasBomb(yaml.YAMLError):
    """A YAML document whose aliases would expand beyond ``ALIASED_NODES`` (or into a loop)."""


def load_yaml(stream: IO[str] | str) -> Any:
    """A YAML document as kinto-wizard means it (see the module's docstring); ``AliasBomb``
    (a ``yaml.YAMLError``) when its aliases would make it huge."""
    loader = _Loader(stream)  # a safe loader: plain data only
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_aliases(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_aliases(root: yaml.Node) -> None:
    """Refuse a document whose expanded size passes its own by more than ``ALIASED_NODES``:
    a node met again is an alias (the composer shares it), counted in full each time."""
    sizes: dict[int, int] = {}
    composed: set[int] = set()

    def size(node: yaml.Node, open_: frozenset[int]) -> int:
        key = id(node)
        if key in open_:
            raise AliasBomb("an alias refers to the node that contains it (a loop)")
        composed.add(key)
        if key not in sizes:
            children: list[yaml.Node] = []
            if isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            elif isinstance(node, yaml.MappingNode):
                children = [part for pair in node.value for part in pair]
            inner = open_ | {key}
            sizes[key] = 1 + sum(size(child, inner) for child in children)
            if sizes[key] - len(composed) > ALIASED_NODES:
                raise AliasBomb(f"its aliases would repeat more than {ALIASED_NODES:,} nodes; "
                                "write the values out instead")
        return sizes[key]

    size(root, frozenset())


def dump_yaml(tree: Any) -> str:
    """YAML that kinto-wizard and PyYAML both read back as ``tree``; keys in their order."""
    return yaml.dump(tree, Dumper=_Dumper, default_flow_style=False, allow_unicode=True,
                     sort_keys=False)
