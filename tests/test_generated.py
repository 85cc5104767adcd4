"""The sync code is generated from the async source: it must not drift from it."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

_TOOL = Path(__file__).resolve().parent.parent / "tools" / "generate_sync.py"


def _tool() -> object:
    spec = importlib.util.spec_from_file_location("kinto_generate_sync", _TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_generated_sync_code_is_what_the_async_source_generates() -> None:
    stale = _tool().stale()  # type: ignore[attr-defined]
    assert stale == [], f"stale generated files (run `make unasync`): {stale}"


def test_a_hand_edit_of_a_generated_file_is_caught(tmp_path: Path) -> None:
    tool = _tool()
    layer = tmp_path / "_objects"
    shutil.copytree(tool.PACKAGE / "_objects" / "_async", layer / "_async")  # type: ignore[attr-defined]
    (layer / "_blocking").mkdir()
    tool.generate(layer / "_async", layer / "_blocking")  # type: ignore[attr-defined]
    assert tool.stale(tmp_path) == []  # type: ignore[attr-defined]
    edited = layer / "_blocking" / "record.py"
    edited.write_text(edited.read_text() + "\nx = 1\n")
    (layer / "_blocking" / "extra.py").write_text("x = 1\n")
    assert tool.stale(tmp_path) == ["_objects/_blocking/extra.py",  # type: ignore[attr-defined]
                                    "_objects/_blocking/record.py"]


def test_async_names_become_the_sync_names_users_know(tmp_path: Path) -> None:
    tool = _tool()
    source = tmp_path / "_async"
    source.mkdir()
    (source / "demo.py").write_text(
        "from ._async.transport import AsyncTransport\n\n\n"
        "class AsyncQuery:\n"
        "    async def __aiter__(self) -> AsyncIterator[int]:\n"
        "        async with self.lock:\n"
        "            yield await self.transport.send(1)\n\n"
        "    async def aclose(self) -> None:\n"
        "        await self.wire.aclose()\n")
    out = tmp_path / "out"
    out.mkdir()
    tool.generate(source, out)  # type: ignore[attr-defined]
    body = (out / "demo.py").read_text().split("\n", 2)[2]  # past the two header lines
    assert body == (
        "from ._blocking.transport import Transport\n\n\n"
        "class Query:\n"
        "    def __iter__(self) -> Iterator[int]:\n"
        "        with self.lock:\n"
        "            yield self.transport.send(1)\n\n"
        "    def close(self) -> None:\n"
        "        self.wire.close()\n")
