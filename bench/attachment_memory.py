"""Peak client memory attaching and downloading a large file (default 200 MB) on a live local
Kinto with kinto-attachment, each way in a fresh child process: the growth of its peak RSS
(ru_maxrss) over its size after imports, and tracemalloc's peak of Python allocations. For
comparison, the same upload with requests' own ``files=``.

    python bench/attachment_memory.py [--mb 200]
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import tempfile
import time

from kinto_query import Bucket, Client
from kinto_query.testing import KintoServer

AUTH = ("bench", "bench")

# Run in a child: argv = url, mode, file path; prints one JSON line.
CHILD = """
import json, resource, sys, time, tracemalloc
import requests
from kinto_query import Client

def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

url, mode, path = sys.argv[1:4]
client = Client(url, auth=("bench", "bench"), deadline=600)
record = client.bucket("bench").collection("files").record(id="big")
if mode == "download":
    record.attachment  # the metadata first (one GET), outside the measure
before = rss_mb()
tracemalloc.start()
started = time.perf_counter()
if mode == "attach":
    record.attach(path)
elif mode == "download":
    record.download_attachment(path)
else:  # requests' files=, for comparison
    with open(path, "rb") as f:
        requests.post(f"{url}/buckets/bench/collections/files/records/other/attachment",
                      files={"attachment": ("big.json", f, "application/json")},
                      auth=("bench", "bench"), timeout=600).raise_for_status()
seconds = time.perf_counter() - started
_, peak = tracemalloc.get_traced_memory()
print(json.dumps({"rss_growth_mb": rss_mb() - before, "rss_mb": rss_mb(),
                  "tracemalloc_peak_mb": peak / 2**20, "seconds": seconds}))
"""


def child(url: str, mode: str, path: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, url, mode, path], check=True,
                          capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, KintoServer() as server:
        source = os.path.join(folder, "big.json")  # an extension the server accepts
        with open(source, "wb") as out:
            for _ in range(args.mb):
                out.write(os.urandom(1 << 20))
        Bucket("bench", client=Client(server.url, auth=AUTH), create=True) \
            .create_collection("files")
        started = time.perf_counter()
        for mode, path in (("attach", source), ("download", os.path.join(folder, "copy.json")),
                           ("requests-files", source)):
            result = child(server.url, mode, path)
            print(f"{mode:15} {args.mb} MB: peak RSS +{result['rss_growth_mb']:.1f} MB "
                  f"(total {result['rss_mb']:.1f} MB), tracemalloc peak "
                  f"{result['tracemalloc_peak_mb']:.2f} MB, {result['seconds']:.1f} s")
        same = filecmp.cmp(source, os.path.join(folder, "copy.json"), shallow=False)
        print(f"download identical to the source: {same}; "
              f"{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
