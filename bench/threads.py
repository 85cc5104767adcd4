"""How many OS threads a contender runs: the peak, sampled while it runs.

An async client needs none of its own to keep requests in flight; a sync client made
awaitable (kinto-http's ``AsyncClient``: its methods in ``run_in_executor``) needs a thread
per request in flight. ``PeakThreads`` shows which: a background thread reads the process's
thread count every 2 ms (Linux: ``Threads:`` in ``/proc/self/status``, which counts
threads Python did not start too; elsewhere ``threading.active_count()``) and keeps the
largest, its own thread left out (``ThreadSampler``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path

STATUS = Path("/proc/self/status")


def os_threads(status: Path = STATUS) -> int:
    """The threads of this process now: the kernel's count, or Python's where there is no
    ``/proc``."""
    try:
        text = status.read_text()
    except OSError:
        return threading.active_count()
    return threads_in_status(text)


def threads_in_status(text: str) -> int:
    """The ``Threads:`` line of a ``/proc/<pid>/status`` text."""
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name == "Threads":
            return int(value)
    raise ValueError("no Threads: line in the status text")


@dataclasses.dataclass
class Peak:
    """One measure: the threads as it began (``before``), the most seen (``most``), and how
    many samples it took."""

    before: int
    most: int
    samples: int = 0
    sampler_cpu: float = 0.0  # the CPU seconds the sampling thread spent meanwhile

    def add(self, count: int) -> None:
        self.most = max(self.most, count)
        self.samples += 1


class ThreadSampler:
    """A background thread counting the process's threads every ``every`` seconds, for the
    length of a ``with`` block (a work); ``with sampler.peak() as peak:`` measures one run.
    Counts leave the sampler's own thread out.

    One sampling thread for the whole work, not one per run: the kernel counts a joined
    thread a moment longer, so a sampler stopped just before the next run would be counted
    in it. Each run is sampled as it begins and ends too: a thread living less than
    ``every`` may be missed; the ones that matter here (a thread pool's workers) live for
    the whole run."""

    def __init__(self, every: float = 0.002) -> None:
        self.every = every
        self.cpu = 0.0  # the sampling thread's CPU seconds so far (a run's CPU leaves it out)
        self._current: Peak | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _count(self) -> int:
        return os_threads() - (self._thread is not None)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            current = self._current
            if current is not None:
                current.add(self._count())
            self.cpu = time.thread_time()

    def __enter__(self) -> ThreadSampler:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="bench-thread-sampler",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        self._thread = None

    @contextlib.contextmanager
    def peak(self) -> Iterator[Peak]:
        """The threads of the process while the block runs."""
        if self._thread is None:
            raise RuntimeError("the sampler is not running: use it in a with block first")
        now, cpu = self._count(), self.cpu
        current = self._current = Peak(now, now, 1)
        try:
            yield current
        finally:
            current.add(self._count())
            self._current = None
            current.sampler_cpu = self.cpu - cpu
