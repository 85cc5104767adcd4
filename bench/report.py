"""What a run shows: a table per work on stdout, every figure in results.json, and a chart
(time and peak memory of a full scan against N, one line per contender)."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from .contenders import SCAN_CONTENDERS
from .goals import Row
from .timing import Figure


def _value(value: float, unit: str) -> str:
    if unit == "MB":
        return f"{value:8.1f} MB"
    return f"{value * 1000:8.1f} ms" if value < 10 else f"{value:8.2f} s "


def print_work(figures: list[Figure]) -> None:
    """One work's contenders side by side."""
    if not figures:
        return
    first = figures[0]
    print(f"\n{first.work} · {first.backend} · N={first.n:,} · {len(first.samples)} rounds")
    width = max(len(f.contender) for f in figures) + 2
    print(f"  {'contender':{width}}{'median':>11}  {'min':>11}  {'max':>11}  "
          f"{'ratio':>6}  requests")
    for figure in figures:
        ratio = "" if figure.ratio is None else f"{figure.ratio:6.2f}"
        line = (f"  {figure.contender:{width}}{_value(figure.median, figure.unit)}  "
                f"{_value(min(figure.samples), figure.unit)}  "
                f"{_value(max(figure.samples), figure.unit)}  {ratio:>6}  "
                f"{figure.requests if figure.requests is not None else ''}")
        if "growth_mb" in figure.extra:
            line += f"   (+{figure.extra['growth_mb']:.1f} MB while scanning)"
        if "peak_threads" in figure.extra:
            line += (f"   (peak {figure.extra['peak_threads']} OS threads, "
                     f"{figure.extra['threads_before']} before"
                     + (f"; {figure.extra['cpu_s'] * 1000:.0f} ms CPU" if "cpu_s" in figure.extra
                        else "") + ")")
        print(line)
    if "note" in first.extra:
        print(f"  {first.extra['note']}")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def write_results(path: Path, mode: str, figures: list[Figure], seeding: dict[str, float],
                  durations: dict[str, float], command: str, goals: list[Row]) -> None:
    results: dict[str, Any] = {
        "mode": mode,
        "command": command,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "python": sys.version.split()[0],
                    "cpus": os.cpu_count()},
        "versions": {name: _version(name) for name in ("kinto", "kinto-http", "kinto_query",
                                                       "requests")},
        "seeding_records_per_s": seeding,
        "work_seconds": durations,
        "goals": [row.as_dict() for row in goals],
        "figures": [figure.as_dict() for figure in figures],
    }
    path.write_text(json.dumps(results, indent=1) + "\n")


def chart(path: Path, figures: list[Figure], title: str) -> bool:
    """Full-scan time and peak RSS against N, memory backend; False if there is nothing to
    draw (neither work was run: then matplotlib is not needed)."""
    panels = [("full scan", "time (s)", "Full scan, memory backend"),
              ("peak RSS while iterating", "peak RSS (MB)", "Peak memory while iterating")]
    if not any(f.work == work and f.backend == "memory" for work, _, _ in panels
               for f in figures):
        return False
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, (work, label, heading) in zip(axes, panels, strict=True):
        for contender, style in zip(SCAN_CONTENDERS, ("o-", "s--", "^-", "v:"), strict=True):
            points = sorted((f.n, f.median) for f in figures
                            if f.work == work and f.backend == "memory"
                            and f.contender == contender)
            if points:
                ax.plot(*zip(*points, strict=True), style, label=contender)
        sizes = sorted({f.n for f in figures if f.work == work and f.backend == "memory"})
        ax.set_xscale("log")
        ax.set_xticks(sizes, [f"{n // 1000}k" if n % 1000 == 0 else str(n) for n in sizes])
        ax.minorticks_off()
        if work == "full scan":
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        else:
            ax.set_ylim(bottom=0)
        ax.set_xlabel("records (N)")
        ax.set_ylabel(label)
        ax.set_title(heading)
        ax.grid(True, alpha=0.3)
        if ax.get_lines():
            ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
