"""Timing rounds, the contenders alternated, and the figures they give.

Machines are noisy: a burst of load hits every contender alike only if they take turns, so
each round runs every contender once (the order rotating from round to round) and never all
rounds of one before the next. Each run is checked (it returns how many records it saw) and
timed with ``time.perf_counter``; the requests it sent are counted where every contender's
HTTP goes through: ``requests``' ``HTTPAdapter.send`` (and the canned-page adapter), and
httpx's ``AsyncHTTPTransport`` for the async contenders.
"""

from __future__ import annotations

import dataclasses
import gc
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests.adapters


class RequestCounter:
    """How many HTTP requests were sent, by any thread, since the process started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0
        self._installed = False

    def add(self) -> None:
        with self._lock:
            self.count += 1

    def install(self) -> None:
        """Count every ``HTTPAdapter.send`` (what requests.Session uses for http://)."""
        if self._installed:
            return
        self._installed = True
        send = requests.adapters.HTTPAdapter.send

        def counting_send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            self.add()
            return send(adapter, request, *args, **kwargs)

        requests.adapters.HTTPAdapter.send = counting_send  # type: ignore[method-assign,assignment]
        # The async side's HTTP: httpx's transport (what an httpx.AsyncClient sends through).
        try:
            import httpx
        except ImportError:
            return
        handle = httpx.AsyncHTTPTransport.handle_async_request

        async def counting_handle(transport: Any, request: Any) -> Any:
            self.add()
            return await handle(transport, request)

        httpx.AsyncHTTPTransport.handle_async_request = counting_handle  # type: ignore[method-assign,assignment]


REQUESTS = RequestCounter()


@dataclasses.dataclass
class Figure:
    """One contender's samples for one work: seconds, or megabytes for ``unit="MB"``."""

    work: str
    backend: str
    n: int
    contender: str
    samples: list[float]
    unit: str = "s"
    requests: int | None = None
    ratio: float | None = None
    ratio_to: str = "floor"
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def as_dict(self) -> dict[str, Any]:
        return {
            "work": self.work, "backend": self.backend, "n": self.n,
            "contender": self.contender, "unit": self.unit, "median": self.median,
            "min": min(self.samples), "max": max(self.samples), "samples": self.samples,
            "rounds": len(self.samples), "ratio": self.ratio, "ratio_to": self.ratio_to,
            "requests": self.requests, **self.extra,
        }


# A contender, given the round's number, prepares (untimed) and returns the timed run, which
# returns how many records it handled.
Prepare = Callable[[int], Callable[[], int]]


def alternate(
    work: str,
    backend: str,
    n: int,
    contenders: Mapping[str, Prepare],
    *,
    rounds: int,
    expected: int,
    warm_up: bool = False,
    ratio_to: str | None = "floor",
) -> list[Figure]:
    """Run every contender once per round, in turn; ratios of medians to ``ratio_to``.

    ``warm_up`` runs each once first, untimed (connections open, caches warm)."""
    names = list(contenders)
    if warm_up:
        for name in names:
            _check(name, contenders[name](-1)(), expected)
    samples: dict[str, list[float]] = {name: [] for name in names}
    sent: dict[str, int] = {}
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            run = contenders[name](round_)
            gc.collect()  # the garbage of the one before is not this one's to collect
            before = REQUESTS.count
            started = time.perf_counter()
            seen = run()
            samples[name].append(time.perf_counter() - started)
            sent[name] = REQUESTS.count - before
            _check(name, seen, expected)
    figures = [Figure(work, backend, n, name, samples[name], requests=sent[name])
               for name in names]
    if ratio_to is not None:
        set_ratios(figures, ratio_to)
    return figures


def set_ratios(figures: list[Figure], to: str, base: float | None = None) -> None:
    """Each figure's median over the median of the contender named ``to`` (or ``base``)."""
    if base is None:
        base = next(f.median for f in figures if f.contender == to)
    for figure in figures:
        figure.ratio, figure.ratio_to = figure.median / base, to


def set_speedups(figures: list[Figure], to: str) -> None:
    """Each figure's speedup: the median of the contender named ``to`` over its own (so a
    figure twice as fast as ``to`` has ratio 2)."""
    base = next(f.median for f in figures if f.contender == to)
    for figure in figures:
        figure.ratio, figure.ratio_to = base / figure.median, f"{to} (speedup)"


def _check(name: str, seen: int, expected: int) -> None:
    if seen != expected:
        raise AssertionError(f"{name} handled {seen} records, not {expected}")
