"""Sphinx configuration: the README as the first page, an API reference generated from the
docstrings, the changelog. Built by ``make docs`` with warnings as errors (nitpicky)."""

from __future__ import annotations

import kinto_query

project = "kinto_query"
author = "kinto_query maintainers"
release = version = kinto_query.__version__
copyright = "kinto_query maintainers, Apache-2.0"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_class_signature = "separated"

# Every reference must resolve, except to the libraries we build on, whose inventories are not
# fetched (the build needs no network).
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(requests|urllib3|betamax|pytest|_pytest|uritemplate|cryptography|ec)(\..*)?"),
    (r"py:.*", r"(collections\.abc|typing|typing_extensions|types|re|os|pathlib|subprocess"
               r"|concurrent\.futures|threading|datetime|decimal|uuid|contextlib|dataclasses)"
               r"\..*"),
    # Type aliases, type variables and private helpers of ours that signatures name.
    (r"py:.*", r"(AuthLike|Timeout|OnBackoff|Options|PermissionLists|PublicKey|Fetch|_HasTransport|[A-Z])"),
    (r"py:.*", r"kinto_query\.(\w+\.)*(_\w+|[A-Z]|Resource|BatchItem)"),
    # The mixins a query is made of (each class documents the methods it has).
    (r"py:class", r"kinto_query\._query\.(Timed|Projected|Addressed|Deletable)"),
    # The docstring of random.random, shown as the default of RetryPolicy's jitter source.
    (r"py:class", r"x in the interval \[0, 1\)\."),
]

html_theme = "alabaster"
html_title = f"kinto_query {release}"
