"""The kinto-query command line, shown: part of `make demo`.

Starts a throwaway local Kinto, loads sample todos with the library, then runs kinto-query
as a user would in a shell (each command printed before its output). Stops the server.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from demo import sample_todos  # examples/demo.py, next to this file

from kinto_query import Bucket, Client
from kinto_query.testing import KintoServer

KINTO_QUERY = str(Path(sys.executable).with_name("kinto-query"))


def shell(*args: str, cwd: str) -> None:
    print(f"\n$ kinto-query {shlex.join(args)}", flush=True)
    subprocess.run([KINTO_QUERY, *args], cwd=cwd, check=False, stderr=subprocess.STDOUT)


def main(count: int = 500) -> None:
    with KintoServer() as server, tempfile.TemporaryDirectory() as folder:
        client = Client(server.url, auth=("alice", "s3cret"))
        bucket = Bucket("demo", client=client, create=True)
        bucket.create_collection("todo").create_records(sample_todos(count))
        bucket.create_collection("copy")
        print(f"Local Kinto at {server.url}, {count} todos in demo/todo; in the shell:\n"
              f"$ export KINTO_SERVER_URL={server.url} KINTO_AUTH=alice:s3cret")
        os.environ.update(KINTO_SERVER_URL=server.url, KINTO_AUTH="alice:s3cret")
        shell("count", "demo/todo", "--filter", "status=done", "--filter", "priority__gte=4",
              cwd=folder)
        shell("records", "demo/todo", "-f", "status=done", "-f", "priority__gte=4", "--sort",
              "-priority,title", "--fields", "title,priority,author", "-n", "5", "--format",
              "table", cwd=folder)
        shell("export", "demo/todo", "-f", "tags__contains_any=urgent", "-o", "urgent.jsonl",
              cwd=folder)
        shell("import", "demo/copy", "urgent.jsonl", cwd=folder)
        shell("count", "demo/copy", cwd=folder)
    print("\nServer stopped.")


if __name__ == "__main__":
    main()
