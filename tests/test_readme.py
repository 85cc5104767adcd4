"""README.md's python examples run as written, in order, against a Kinto on localhost:8888."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest

from .conftest import markdown_blocks

README = Path(__file__).parent.parent / "README.md"
BLOCKS = markdown_blocks(README.read_text())


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.live
def test_readme_examples_run(server_on_8888: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KINTO_SERVER_URL", raising=False)
    namespace: dict[str, Any] = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in BLOCKS:
            exec(block, namespace)
    printed = out.getvalue()
    assert "<Client 'http://localhost:8888/v1', auth=BasicAuth('alice', '***')>" in printed
    assert "<BatchReport 120 of 120 succeeded>" in printed
    assert "records?status=done&_sort=-last_modified&_limit=10" in printed
    assert "['/buckets/tour/groups/friends']" in printed
    todo = namespace["todo"]
    assert todo.filter(seen=True).count() == todo.count()
    assert todo.get(namespace["record"].id).data.title == "oat milk"
