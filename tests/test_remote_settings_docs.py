"""docs/remote-settings.md: the python examples of its reading sections (up to "Verifying
signatures") run as written, in order, and print what their comments say."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest

from .conftest import markdown_blocks, paste_into_repl

PAGE = Path(__file__).parent.parent / "docs" / "remote-settings.md"
READING = PAGE.read_text().partition("## Verifying signatures")[0]


def _printed(blocks: list[str]) -> list[str]:
    """The lines the blocks print, run in order in one namespace; the server they start is
    stopped (by their last block, or here if one failed)."""
    namespace: dict[str, Any] = {}
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            for block in blocks:
                exec(block, namespace)
    finally:
        if "server" in namespace:
            namespace["server"].stop()
    return out.getvalue().splitlines()


@pytest.mark.live
def test_the_reading_examples_run_as_written() -> None:
    blocks = markdown_blocks(READING)
    assert len(blocks) == 4
    lines = _printed(blocks)
    assert lines[0] == "b'-----BEGIN PUBLIC KEY-----'"
    assert lines[1:4] == ["True ['de', 'fr']", "['it'] ['de']", "[('main', 'regions')]"]
    assert lines[4].startswith("_expected=0&_since=%22") and lines[4].endswith(
        "%22&bucket=main&collection=regions")
    assert lines[5:] == ["True", "1 changed, 1 fetched, 0 failed, 0 unchanged",
                         "[('main/fonts', None)] ('main/regions',)"]


@pytest.mark.live
def test_the_publishing_example_runs_as_written() -> None:
    section = PAGE.read_text().partition("## Publishing: the review workflow")[2]
    blocks = markdown_blocks(section.partition("\n## ")[0].partition("\n### ")[0])
    assert len(blocks) == 1
    assert _printed(blocks) == [
        "work-in-progress /buckets/main/collections/regions", "to-review",
        "LastEditorCannotReview", "Add Belgium", "signed", "['be', 'fr']",
        "/buckets/main-workspace/collections/regions"]
    # Pasted into the REPL as a reader would: the same lines, among the REPL's prompts.
    pasted = paste_into_repl(blocks, "http://localhost:8888/v1", timeout=120)
    assert "LastEditorCannotReview" in pasted and "['be', 'fr']" in pasted


@pytest.mark.live
def test_the_sync_then_review_example_runs_as_written() -> None:
    section = PAGE.read_text().partition("### Syncing the workspace from a source of truth")[2]
    blocks = markdown_blocks(section.partition("\n## ")[0])
    assert len(blocks) == 1
    assert _printed(blocks) == [
        "1 to create, 0 to update, 1 to delete, 1 unchanged",
        "created 1, updated 0, deleted 1, unchanged 1", "to-review", "signed", "['fr', 'it']"]
