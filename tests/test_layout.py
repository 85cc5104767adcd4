"""The package's layout shows its layers: the value modules at the floor, then the wire, the
queries, the objects and the server features; no module imports a layer above its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

PACKAGE = Path(__file__).resolve().parent.parent / "kinto_query"
# The floor is 0; objects and server features share a rank (a collection has a changeset, a
# changeset is read from a collection); the public modules, the kit and the CLI are on top.
RANKS = {"_wire": 1, "_queries": 2, "_objects": 3, "_server": 3}
TOP = 4


def rank(module: str) -> int:
    """The layer of a module of the package, by its dotted name below ``kinto_query``."""
    head = module.split(".")[0]
    if head in RANKS:
        return RANKS[head]
    return 0 if head.startswith("_") else TOP


def imported(path: Path) -> list[tuple[int, str]]:
    """(line, module below kinto_query) of every import of the package a module makes at run
    time (those under ``if TYPE_CHECKING:``, for annotations only, are left out)."""
    here = path.relative_to(PACKAGE).with_suffix("").parts
    package = list(here if path.name == "__init__.py" else here[:-1])
    if path.name == "__init__.py":
        package = package[:-1]
    tree = ast.parse(path.read_text())
    typing_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
                   for inner in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - (node.level - 1)]
            target = [*base, *(node.module.split(".") if node.module else [])]
            names = [alias.name for alias in node.names] if not node.module else [""]
            for name in names:
                found.append((node.lineno, ".".join(p for p in [*target, name] if p)))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kinto_query."):
            found.append((node.lineno, (node.module or "")[len("kinto_query."):]))
    return found


def test_the_layers_are_the_folders() -> None:
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert folders == ["_objects", "_queries", "_server", "_wire", "cli", "testing"]
    for layer in RANKS:
        assert {p.name for p in (PACKAGE / layer).iterdir() if p.is_dir()} >= {"_async",
                                                                                "_blocking"}


def test_the_floor_holds_values_only() -> None:
    floor = sorted(p.stem for p in PACKAGE.glob("_*.py") if p.stem != "__init__")
    assert floor, "no value modules at the floor"
    for stem in floor:
        for line, module in imported(PACKAGE / f"{stem}.py"):
            assert rank(module) == 0 or module == "exceptions", (
                f"kinto_query/{stem}.py:{line} imports kinto_query.{module}, above the floor")


def test_no_module_imports_a_layer_above_its_own() -> None:
    above = []
    for layer, own in RANKS.items():
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            for line, module in imported(path):
                if rank(module) > own and module != "exceptions":
                    above.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    assert above == []


def test_every_module_of_a_layer_has_its_test_file() -> None:
    tests = Path(__file__).resolve().parent
    missing = []
    for layer in RANKS:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            if path.name == "__init__.py" or "_blocking" in path.parts:
                continue
            name = f"test_{path.stem}.py"
            # The I/O of a floor module of the same name (the retry loop of _retry's policy)
            # is tested beside that policy.
            beside_the_floor = (PACKAGE / f"_{path.stem}.py").exists() and (tests / name).exists()
            if not (tests / layer.lstrip("_") / name).exists() and not beside_the_floor:
                missing.append(f"{path.relative_to(PACKAGE)}: tests/{layer.lstrip('_')}/{name}")
    assert missing == []
