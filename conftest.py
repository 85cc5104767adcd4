"""Names every docstring example of the package may use (pytest --doctest-modules)."""

from __future__ import annotations

from typing import Any

import pytest

from kinto_query import Client


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict[str, Any]) -> None:
    doctest_namespace["Client"] = Client
