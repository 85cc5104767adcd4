"""README.md's python examples run as written, in order, against a Kinto of their own (they
are written for ``make serve`` on localhost:8888; that address is replaced by the server's):
once through ``exec``, once pasted line by line into a real ``python`` REPL."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest

from .conftest import for_docs_server, markdown_blocks, paste_into_repl

README = Path(__file__).parent.parent / "README.md"
BLOCKS = markdown_blocks(README.read_text())
# What the README says its examples print.
PRINTED = [
    "<BatchReport 120 of 120 succeeded>",
    "records?status=done&min_priority=3&_sort=-priority,id",
    "\n24\n",
    "t009 task 9 4\nt019 task 19 4\nt029 task 29 4\n",
    "buy oat milk",
    "created 1, updated 0, deleted 1, unchanged 1 2\ncreated 1, updated 0, deleted 1, "
    "unchanged 1\nto-review\nsigned\n['fr', 'it']\n",
]


def test_readme_is_short_and_has_examples() -> None:
    assert len(README.read_text().splitlines()) < 200
    assert len(BLOCKS) >= 4
    assert "kinto_client README" not in README.read_text()


def test_readme_test_example_is_indented_in_its_list_item() -> None:
    # The test file shown in step 2 is a block of its own, run like the others.
    assert any("def test_milk_is_done(kinto_client):" in block for block in BLOCKS)


@pytest.mark.live
def test_readme_examples_run(docs_server: str) -> None:
    namespace: dict[str, Any] = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in BLOCKS:
            exec(for_docs_server(block, docs_server), namespace)
    printed = out.getvalue()
    assert f"<Client '{docs_server}', auth=BasicAuth('alice', '***')>" in printed
    for expected in PRINTED:
        assert expected in printed
    assert namespace["todo"].get("t001").data.title == "buy oat milk"


@pytest.mark.live
def test_readme_blocks_paste_into_the_python_repl(docs_server: str) -> None:
    # Pasted line by line as a reader would: the REPL ends an indented block only at a blank
    # line, so a block without one is a SyntaxError there though it runs as a file.
    printed = paste_into_repl(BLOCKS, docs_server, timeout=120)
    assert f"<Client '{docs_server}', auth=BasicAuth('alice', '***')>" in printed
    for expected in PRINTED:
        assert expected in printed
