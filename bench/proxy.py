"""The loopback latency proxy of the works that add latency (``tests/faultproxy.py``), in
this process or in a child process of its own.

In a child, its threads (one per request in flight, each sleeping out the latency) are not
the bench process's: a work that counts the threads its contenders run (``bench.threads``)
counts theirs alone.

    python -m bench.proxy UPSTREAM LATENCY

prints the proxy's URL on one line, then serves until its stdin closes.
"""

from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

# bench.servers' ROOT, without importing what it imports: the child stays light.
ROOT = Path(__file__).resolve().parent.parent


def faultproxy() -> ModuleType:
    """tests/faultproxy.py (standard library only), imported by path: tests is no package
    the harness depends on."""
    spec = importlib.util.spec_from_file_location("bench_faultproxy", ROOT / "tests" /
                                                  "faultproxy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def in_child(upstream: str, latency: float) -> Iterator[str]:
    """A proxy to ``upstream`` adding ``latency`` seconds per request, in a child process;
    yields its URL (``.../v1`` as ``upstream``'s), stops it on the way out."""
    child = subprocess.Popen([sys.executable, "-m", "bench.proxy", upstream, str(latency)],
                             cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        if not url:
            raise RuntimeError(f"bench.proxy exited ({child.wait(10)}) before serving")
        yield url
    finally:
        assert child.stdin is not None
        child.stdin.close()  # the child's signal to stop
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.terminate()
            child.wait(timeout=10)


def main(argv: list[str]) -> None:
    upstream, latency = argv[0], float(argv[1])
    with faultproxy().FaultProxy(upstream, latency=latency) as proxy:
        print(proxy.url, flush=True)
        sys.stdin.read()  # until the parent closes it (or exits)


if __name__ == "__main__":
    main(sys.argv[1:])
