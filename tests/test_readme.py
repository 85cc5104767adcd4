"""README.md's python examples run as written, in order, against a Kinto of their own (they
are written for ``make serve`` on localhost:8888; that address is replaced by the server's)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest

from .conftest import for_docs_server, markdown_blocks

README = Path(__file__).parent.parent / "README.md"
BLOCKS = markdown_blocks(README.read_text())


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.live
def test_readme_examples_run(docs_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A block that builds a Client without a URL reaches the same server.
    monkeypatch.setenv("KINTO_SERVER_URL", docs_server)
    namespace: dict[str, Any] = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in BLOCKS:
            exec(for_docs_server(block, docs_server), namespace)
    printed = out.getvalue()
    assert f"<Client '{docs_server}', auth=BasicAuth('alice', '***')>" in printed
    assert "<BatchReport 120 of 120 succeeded>" in printed
    assert "records?status=done&_sort=-last_modified&_limit=10" in printed
    assert "['/buckets/tour/groups/friends']" in printed
    assert "1 changed, 1 fetched, 0 failed, 0 unchanged\n['de']\n" in printed  # Remote Settings
    todo = namespace["todo"]
    assert todo.filter(seen=True).count() == todo.count()
    assert todo.get(namespace["record"].id).data.title == "oat milk"
