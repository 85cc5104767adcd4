"""The goals a run is held to (issue 22): one row per goal and per N, the ratio beside its
goal and a met/missed mark, printed after the works and kept in results.json.

``GOALS`` is keyed by row name; a work that wants a goal adds its entry. A row is every
figure of ``work`` (and ``backend``, when given) by ``contender``: one row per N run. A
goal's work left out of the run (``--only``, no PostgreSQL) shows as "not run".
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .timing import Figure

# The other columns, shown beside the goal where the work has them.
CONTEXT = ("kinto-http", "kinto_query.dicts()")


@dataclasses.dataclass(frozen=True)
class Goal:
    """``contender``'s ratio at most ``at_most`` (or, for a speedup, at least ``at_least``),
    and below ``ahead_of``'s on the same N."""

    work: str
    contender: str
    at_most: float | None = None
    backend: str | None = None  # None: whichever backend the work ran on
    ahead_of: str | None = None
    at_least: float | None = None

    def __post_init__(self) -> None:
        if (self.at_most is None) == (self.at_least is None):
            raise ValueError("a goal is at_most or at_least, one of the two")

    def matches(self, figure: Figure) -> bool:
        return figure.work == self.work and (self.backend is None
                                             or figure.backend == self.backend)

    def text(self) -> str:
        ahead = f", < {self.ahead_of}" if self.ahead_of else ""
        if self.at_least is not None:
            return f">= {self.at_least:g}x{ahead}"
        return f"<= {self.at_most:g}{ahead}"

    def held(self, ratio: float) -> bool:
        """Whether ``ratio`` meets the bound (the rival aside)."""
        if self.at_least is not None:
            return ratio >= self.at_least
        assert self.at_most is not None
        return ratio <= self.at_most


GOALS: dict[str, Goal] = {
    "client-only CPU, canned pages": Goal("client-only, canned pages", "kinto_query", 1.25,
                                          backend="canned", ahead_of="kinto-http"),
    "full scan, memory": Goal("full scan", "kinto_query", 1.03, backend="memory"),
    "full scan, PostgreSQL": Goal("full scan", "kinto_query", 1.03, backend="postgresql"),
    "prefetch + consumer": Goal("prefetch", "kinto_query.prefetch() + consumer", 1.15),
    "bulk create, concurrency=4, +100 ms": Goal("concurrent bulk create (proxy)",
                                                "concurrency=4, +100 ms", 1.4),
    # The async side (bench.aio): its scan against the sync one's, and reads in flight.
    "async full scan, memory": Goal("async full scan", "kinto_query.aio", 1.1,
                                    backend="memory"),
    "100 reads in flight, +50 ms": Goal("100 reads in flight (proxy)",
                                        "asyncio.gather, unbounded", at_least=8),
}


@dataclasses.dataclass(frozen=True)
class Row:
    """One goal on one N: the ratio, the other columns, and whether it is met (None: not
    run)."""

    name: str
    goal: Goal
    n: int | None = None
    ratio: float | None = None
    ratio_to: str | None = None
    context: dict[str, float] = dataclasses.field(default_factory=dict)
    met: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.name, "work": self.goal.work, "backend": self.goal.backend,
                "n": self.n, "contender": self.goal.contender, "ratio": self.ratio,
                "ratio_to": self.ratio_to,
                "goal": self.goal.text(), "at_most": self.goal.at_most,
                "at_least": self.goal.at_least,
                "ahead_of": self.goal.ahead_of, "context": self.context,
                "met": self.met}


def rows(figures: list[Figure], goals: dict[str, Goal] = GOALS) -> list[Row]:
    """Every goal's rows, in the table's order, N ascending."""
    found: list[Row] = []
    for name, goal in goals.items():
        mine = sorted((f for f in figures if goal.matches(f) and f.contender == goal.contender
                       and f.ratio is not None), key=lambda f: f.n)
        if not mine:
            found.append(Row(name, goal))
        for figure in mine:
            assert figure.ratio is not None
            context = {f.contender: f.ratio for f in figures
                       if goal.matches(f) and f.n == figure.n and f.ratio is not None
                       and f.contender in {*CONTEXT, goal.ahead_of}}
            met = goal.held(figure.ratio)
            if goal.ahead_of is not None:
                rival = context.get(goal.ahead_of)
                met = met and rival is not None and figure.ratio < rival
            found.append(Row(name, goal, figure.n, figure.ratio, figure.ratio_to, context, met))
    return found


def print_rows(found: list[Row]) -> None:
    """The goals table: row, N, the other columns, the ratio, the goal, met or missed."""
    if not found:
        return
    width = max(len(row.name) for row in found) + 2
    to = max(len(row.ratio_to or "") for row in found) + 2
    print(f"\ngoals (issue 22) · ratios as in the tables above\n  {'row':{width}}{'N':>8}  "
          f"{'ratio to':{to}}{'kinto-http':>10}  {'.dicts()':>8}  {'ratio':>6}  {'goal':22}  "
          "mark")
    for row in found:
        if row.ratio is None:
            print(f"  {row.name:{width}}{'':>8}  {'':{to}}{'':>10}  {'':>8}  {'':>6}  "
                  f"{row.goal.text():22}  not run")
            continue
        http, dicts = (row.context.get(name) for name in CONTEXT)
        print(f"  {row.name:{width}}{row.n:>8,}  {row.ratio_to or '':{to}}{_ratio(http):>10}  "
              f"{_ratio(dicts):>8}  "
              f"{row.ratio:6.2f}  {row.goal.text():22}  {'met' if row.met else 'MISSED'}")


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
