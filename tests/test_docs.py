"""Every python example of the documentation site (docs/) runs as written: each page's blocks
in order, in a namespace of their own, against a Kinto of their own (written for
``make serve`` on localhost:8888; that address is replaced by the server's). Included
snippets (``{include}``) are part of the page that includes them, as the reader sees it."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from .conftest import for_docs_server, markdown_blocks, paste_into_repl

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
    "guides/async.md": [
        "auth=BasicAuth('alice', '***')>\n<BatchReport 120 of 120 succeeded>",
        "records?status=done&min_priority=3&_sort=-priority,id\n24\n",
        "t009 task 9 4\nt019 task 19 4\nt029 task 29 4\n", "buy oat milk",
        "[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]",
        "created 1, updated 0, deleted 1, unchanged 1 2\ncreated 1, updated 0, deleted 1, "
        "unchanged 1\nto-review\nsigned\n['fr', 'it']\n",
    ],
    "guides/dataframes.md": [
        "60 ['id', 'last_modified']", "struct<name: string>", "{'done': 120, 'todo': 120}",
        "['id', 'last_modified', 'title', 'author']", "{'name': 'ann'}", "[50, 50, 20]\nTrue",
        "\n4\n120\n120\n",
    ],
}


@pytest.fixture
def fresh_docs_server(docs_server: str) -> str:
    """The documents' Kinto, emptied: each page starts as on a reader's new server (and the
    memory backend's history does not grow with every page run before)."""
    requests.post(docs_server + "/__flush__", timeout=30).raise_for_status()
    return docs_server


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


# Pages whose examples a test of their own runs, on the server they need.
OWN_TEST = {"remote-settings.md": "tests/test_remote_settings_docs.py"}
RUNNABLE = [p for p in PAGES if markdown_blocks(page_text(p)) and page_id(p) not in OWN_TEST]


def test_the_guides_have_examples() -> None:
    names = {page_id(p) for p in RUNNABLE}
    for guide in ("queries", "writes", "bulk", "faults", "attachments", "history", "accounts",
                  "testing", "async"):
        assert f"guides/{guide}.md" in names
    assert "index.md" in names


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_code_fits_the_column(page: Path) -> None:
    wide = [line for info, body in fences(page_text(page))
            if not info.startswith("{") or info.startswith("{code-block}")
            for line in body.splitlines() if len(line) > WIDEST]
    assert not wide, f"lines wider than {WIDEST} characters scroll sideways: {wide}"


@pytest.mark.live
@pytest.mark.parametrize("page", RUNNABLE, ids=page_id)
def test_page_examples_run(page: Path, fresh_docs_server: str) -> None:
    docs_server = fresh_docs_server
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in markdown_blocks(page_text(page)):
            exec(for_docs_server(block, docs_server), namespace)
    printed = out.getvalue()
    print(printed)  # shown on failure, to compare with the page's comments
    for expected in PRINTED.get(page_id(page), []):
        assert expected in printed


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as ``make docs`` builds it (warnings as errors, every reference resolved)."""
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
         str(DOCS), str(out)], capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


def test_site_reference_reads_as_users_look_things_up(site: Path) -> None:
    pages = {p.relative_to(site).as_posix(): p.read_text() for p in site.rglob("*.html")
             if "_modules" not in p.parts}
    # Grouped by object, not one flat list.
    for group in ("client", "bucket", "collection", "query", "record", "group", "batches",
                  "reports", "errors", "testing"):
        assert f"api/{group}.html" in pages
    # Each object documented once in the whole site: no copy under :no-index: (which has no
    # id), and no id twice.
    assert not [p for p in DOCS.rglob("*.rst") if "no-index" in p.read_text()]
    ids = [i for text in pages.values()
           for i in re.findall(r'<dt class="sig sig-object py" id="([^"]+)"', text)]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    # Every public name has its entry.
    import kinto_query

    missing = [name for name in kinto_query.__all__
               if name != "__version__" and f"kinto_query.{name}" not in ids]
    assert missing == []
    # No "Return type: None" under constructors, nor a separate __init__ entry.
    assert not [name for name, text in pages.items() if "Return type" in text]
    assert not [i for i in ids if i.endswith(".__init__")]


def test_site_home_is_a_quickstart_not_the_readme(site: Path) -> None:
    home = (site / "index.html").read_text()
    assert "Quickstart" in home
    assert "Two commands" not in home
    assert 'href="kinto-http.html"' in home


@pytest.mark.live
@pytest.mark.parametrize("page", RUNNABLE, ids=page_id)
def test_page_examples_paste_into_the_python_repl(page: Path, fresh_docs_server: str) -> None:
    docs_server = fresh_docs_server
    # As the README's: a reader pastes a block into `python`; an indented block must end at a
    # blank line there, and a blank line inside one ends it too early.
    printed = paste_into_repl(markdown_blocks(page_text(page)), docs_server, timeout=180)
    for expected in PRINTED.get(page_id(page), []):
        assert expected in printed


PACKAGE = Path(__file__).parent.parent / "kinto_query"
SKIPPED = re.compile(r"#\s*doctest:[^\n]*\+SKIP")


def test_no_docstring_example_is_skipped() -> None:
    """Every docstring example runs and is checked (those needing a server in the live
    namespace of the root conftest.py): none is marked ``+SKIP``."""
    skipped = [f"{path.relative_to(PACKAGE.parent)}:{number}"
               for path in sorted(PACKAGE.rglob("*.py"))
               for number, line in enumerate(path.read_text().splitlines(), 1)
               if SKIPPED.search(line)]
    assert not skipped, f"docstring examples marked +SKIP: {skipped}; give them what they " \
                        "need in conftest.py's doctest namespace instead"
