"""Every python example of the documentation site (docs/) runs as written: each page's blocks
in order, in a namespace of their own, against a Kinto of their own (written for
``make serve`` on localhost:8888; that address is replaced by the server's). Included
snippets (``{include}``) are part of the page that includes them, as the reader sees it."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import for_docs_server, markdown_blocks

DOCS = Path(__file__).parent.parent / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_snippets" not in p.parts
               and "_build" not in p.parts)
INCLUDE = re.compile(r"^```\{include\} (\S+)\n(?::[^\n]*\n)*```\n", re.M)
# The widest code line that shows whole in the site's content column at 1280 px (furo):
# measured on the screenshots; wider lines scroll sideways and hide their comments.
WIDEST = 88

# What some pages say their examples print.
PRINTED: dict[str, list[str]] = {
    "index.md": ["<BatchReport 120 of 120 succeeded>", "t009 task 9 4"],
    "guides/queries.md": [
        "records?status=done&_sort=-last_modified&_limit=10", "\n16\n",
        "{'author.name': 'bob', 'in_priority': '1,2'}", "{'min_last_modified': '1795858200000'}",
        "['id', 'last_modified', 'title']",
    ],
}


def page_text(page: Path) -> str:
    """The page as the reader sees it: its own text with included files in place."""
    return INCLUDE.sub(lambda m: page_text((page.parent / m.group(1)).resolve()),
                       page.read_text())


def fences(text: str) -> list[tuple[str, str]]:
    """Every fenced block of a Markdown text, directives included, as (info string, body)."""
    found = []
    lines = iter(text.splitlines())
    for line in lines:
        opening = re.match(r"( *)(`{3,})(.*)", line)
        if not opening:
            continue
        indent, ticks, info = opening.groups()
        body = []
        for inner in lines:
            if inner.strip() == ticks and inner.startswith(indent):
                break
            body.append(inner[len(indent):])
        found.append((info.strip(), "\n".join(body)))
    return found


def page_id(page: Path) -> str:
    return page.relative_to(DOCS).as_posix()


RUNNABLE = [p for p in PAGES if markdown_blocks(page_text(p))]


def test_the_guides_have_examples() -> None:
    names = {page_id(p) for p in RUNNABLE}
    for guide in ("queries", "writes", "bulk", "faults", "attachments", "history", "accounts",
                  "testing"):
        assert f"guides/{guide}.md" in names
    assert "index.md" in names


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_code_fits_the_column(page: Path) -> None:
    wide = [line for info, body in fences(page_text(page)) if not info.startswith("{")
            for line in body.splitlines() if len(line) > WIDEST]
    assert not wide, f"lines wider than {WIDEST} characters scroll sideways: {wide}"


@pytest.mark.live
@pytest.mark.parametrize("page", RUNNABLE, ids=page_id)
def test_page_examples_run(page: Path, docs_server: str) -> None:
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in markdown_blocks(page_text(page)):
            exec(for_docs_server(block, docs_server), namespace)
    printed = out.getvalue()
    print(printed)  # shown on failure, to compare with the page's comments
    for expected in PRINTED.get(page_id(page), []):
        assert expected in printed
