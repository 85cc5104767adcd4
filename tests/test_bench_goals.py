"""The benchmark's goals table (bench/goals.py): each ratio held to its goal, per N."""

from __future__ import annotations

import pytest

from bench.goals import GOALS, Goal, print_rows, rows
from bench.timing import Figure, set_ratios

CANNED = "client-only, canned pages"


def _work(work: str, backend: str, n: int, medians: dict[str, float]) -> list[Figure]:
    figures = [Figure(work, backend, n, name, [median]) for name, median in medians.items()]
    set_ratios(figures, "floor")
    return figures


def test_a_row_per_n_met_only_under_the_goal_and_ahead_of_the_rival() -> None:
    figures = [
        *_work(CANNED, "canned", 2_000, {"floor": 1.0, "kinto-http": 1.3, "kinto_query": 1.2,
                                          "kinto_query.dicts()": 1.05}),
        # Under 1.25 but behind kinto-http: missed.
        *_work(CANNED, "canned", 5_000, {"floor": 1.0, "kinto-http": 1.1, "kinto_query": 1.2}),
    ]
    goals = {"canned": Goal(CANNED, "kinto_query", 1.25, backend="canned",
                            ahead_of="kinto-http")}
    found = rows(figures, goals)
    assert [(row.n, row.met) for row in found] == [(2_000, True), (5_000, False)]
    assert found[0].ratio == pytest.approx(1.2)
    assert found[0].context == pytest.approx({"kinto-http": 1.3, "kinto_query.dicts()": 1.05})
    assert found[0].as_dict()["goal"] == "<= 1.25, < kinto-http"


def test_a_goal_whose_work_did_not_run_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    figures = _work("full scan", "memory", 1_000, {"floor": 1.0, "kinto_query": 1.01})
    found = rows(figures)
    by_name = {row.name: row for row in found}
    assert by_name["full scan, memory"].met is True
    assert by_name["full scan, PostgreSQL"].met is None  # no figure on PostgreSQL
    assert {row.name for row in found} == set(GOALS)
    print_rows(found)
    lines = capsys.readouterr().out.splitlines()
    assert any("full scan, memory" in line and line.endswith("met") for line in lines)
    assert any("full scan, PostgreSQL" in line and line.endswith("not run") for line in lines)
