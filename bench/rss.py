"""Peak memory of one contender's scan, in a fresh process (the harness runs one per sample).

    python -m bench.rss CONTENDER SERVER_URL BUCKET COLLECTION

Prints one JSON line: ``peak_mb`` is the process's peak resident set size (the
interpreter, the contender's library and the scan), and
``growth_mb`` how much of it the scan added over the peak before it started (the library
already imported, its client made).

The peak is the kernel's high-water mark of this process's resident set, ``VmHWM`` in
/proc/self/status: on Linux ``getrusage().ru_maxrss`` is no good here, as it carries the
parent's peak across fork and exec (the harness's, tens of MB). Elsewhere ``ru_maxrss``.
"""

from __future__ import annotations

import contextlib
import json
import resource
import sys
from pathlib import Path

from .contenders import Scan, scanner
from .timing import REQUESTS


def peak_mb() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10  # kB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes there, KiB here


def measure() -> str:
    return "VmHWM" if Path("/proc/self/status").exists() else "ru_maxrss"


def main(argv: list[str]) -> None:
    name, url, bucket, collection = argv
    REQUESTS.install()
    run = scanner(name, Scan(url, bucket, collection))
    before = peak_mb()
    seen = run()
    after = peak_mb()
    print(json.dumps({"contender": name, "records": seen, "peak_mb": after,
                      "growth_mb": after - before, "requests": REQUESTS.count,
                      "measure": measure()}))


if __name__ == "__main__":
    main(sys.argv[1:])
