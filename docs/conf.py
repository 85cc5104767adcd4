"""Sphinx configuration: a quickstart home page, guides, the kinto-http.py migration guide, an
API reference generated from the docstrings and grouped by object, the changelog. Built by
``make docs`` with warnings as errors (nitpicky)."""

from __future__ import annotations

import re
from typing import Any

import kinto_query

project = "kinto_query"
author = "kinto_query maintainers"
release = version = kinto_query.__version__
copyright = "kinto_query maintainers, Apache-2.0"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_snippets"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True}
autodoc_member_order = "bysource"
# Types in the signature, one parameter a line when it is long: no "Return type: None" under
# every __init__, and the class signature is the constructor's (no separate __init__ entry).
autodoc_typehints = "signature"
autodoc_class_signature = "mixed"
# Defaults as written in the source (DEFAULT_RETRY, not the repr of a whole RetryPolicy).
autodoc_preserve_defaults = True
maximum_signature_line_length = 88
python_use_unqualified_type_names = True
add_module_names = False
# Aliases stay named in signatures (their expansion is long, and split badly at commas).
autodoc_type_aliases = {name: name for name in ("AuthLike", "Timeout", "OnBackoff")}
# The page's table of contents names methods without their class ("save", not
# "Collection.save"): the sidebar's names stay whole.
toc_object_entries_show_parents = "hide"

# Every reference must resolve, except to the libraries we build on, whose inventories are not
# fetched (the build needs no network).
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(requests|urllib3|betamax|pytest|_pytest|uritemplate|cryptography|ec|pyarrow"
               r"|pandas|dask|httpx)(\..*)?"),
    (r"py:.*", r"(collections\.abc|typing|typing_extensions|types|re|os|pathlib|subprocess"
               r"|concurrent\.futures|threading|datetime|decimal|uuid|contextlib|dataclasses|argparse)"
               r"\..*"),
    # Type aliases, type variables and private helpers of ours that signatures name.
    (r"py:.*", r"(AuthLike|Timeout|OnBackoff|Options|PermissionLists|PublicKey|Fetch"
               r"|_HasTransport|[A-Z])"),
    (r"py:.*", r"kinto_query\.(\w+\.)*(_\w+|[A-Z]|Resource|BatchItem)"),
    # What stops a watch: a protocol (threading.Event, asyncio.Event), said in watch()'s doc.
    (r"py:class", r"kinto_query\._server\.feed\.Flag"),
    # The mixins a query is made of (each class documents the methods it has).
    (r"py:class", r"kinto_query\._queries\._(blocking|async)\.query\.(Async)?(Timed|Projected"
                  r"|Addressed|Deletable)"),
    # The pure state of the objects, which a mixed batch's calls take (either side's objects).
    (r"py:class", r"kinto_query\._objects\.state\.\w+State"),
    # The pure part of a query, and the sync-only Arrow/Dask part, each a base of the queries.
    (r"py:class", r"kinto_query\._queries\.(listing\.\w+Core|frames\.\w*Frames)"),
    # kinto_query.aio's classes, named by the test kit's signatures: no reference page yet.
    (r"py:class", r"AsyncTransport"),
    # The docstring of random.random, shown as the default of RetryPolicy's jitter source.
    (r"py:class", r"x in the interval \[0, 1\)\."),
]

html_theme = "furo"
html_title = f"kinto_query {release}"
html_static_path = ["_static"]
html_css_files = ["site.css"]
pygments_style = "friendly"
pygments_dark_style = "monokai"

# A dataclass's generated __init__ shows defaults as reprs Python cannot parse back
# ("<factory>", "<built-in function sleep>"): Sphinx then prints the signature raw, on one
# line. Name them instead, so that it parses and folds like the others.
_UNPARSABLE_DEFAULTS = [
    (re.compile(r"<built-in (?:function|method) (\w+)[^>]*>"), r"\1"),
    (re.compile(r"<factory>"), "..."),
]


def _readable_defaults(app: Any, what: str, name: str, obj: Any, options: Any,
                       signature: str | None, return_annotation: str | None) -> Any:
    if signature:
        for pattern, replacement in _UNPARSABLE_DEFAULTS:
            signature = pattern.sub(replacement, signature)
    return signature, return_annotation


def setup(app: Any) -> None:
    app.connect("autodoc-process-signature", _readable_defaults)
