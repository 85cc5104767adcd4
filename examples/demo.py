"""kinto_query's main job, shown: `make demo` (or `python examples/demo.py`).

Starts a throwaway local Kinto, loads a sample `todo` collection in batches, then reads it
back with the fluent query, printing each query's URL before its results. Stops the server.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

from kinto_query import Bucket, Client
from kinto_query.testing import KintoServer

STATUSES = ["todo", "doing", "done"]
TAGS = ["work", "home", "errand", "urgent", "later"]
AUTHORS = [("ann", 34), ("bob", 27), ("chloé", 45), ("dmitri", 52)]
VERBS = ["Buy", "Call", "Fix", "Write", "Plan", "Read", "Clean", "Book"]
THINGS = ["milk", "the bank", "the bike", "a report", "holidays", "a novel", "the flat", "tickets"]


def sample_todos(count: int) -> Iterator[dict[str, Any]]:
    """Deterministic sample records, generated lazily."""
    rng = random.Random(42)
    for i in range(count):
        name, age = rng.choice(AUTHORS)
        yield {
            "id": f"todo-{i:05d}",
            "title": f"{rng.choice(VERBS)} {rng.choice(THINGS)}",
            "status": rng.choices(STATUSES, weights=[5, 2, 3])[0],
            "priority": rng.randint(1, 5),
            "tags": rng.sample(TAGS, k=rng.randint(0, 3)),
            "author": {"name": name, "age": age},
        }


def show(title: str, query: Any) -> None:
    print(f"\n{title}\n  {query.url}")


def main(count: int = 2000) -> None:
    with KintoServer() as server:
        print(f"Local Kinto at {server.url}")
        client = Client(server.url, auth=("alice", "s3cret"))
        bucket = Bucket("demo", client=client, create=True)
        todo = bucket.create_collection("todo")

        started = time.perf_counter()
        report = todo.create_records(sample_todos(count))
        elapsed = time.perf_counter() - started
        print(f"Loaded {len(report.succeeded)} records in {elapsed:.1f} s "
              f"({report.requests_sent} batch requests, {len(report.succeeded) / elapsed:.0f}/s)")

        recent_done = todo.filter(status="done").sort("-priority", "title").limit(5)
        show("Five done todos, highest priority first:", recent_done)
        for record in recent_done:
            data = record.data
            print(f"  [{data.priority}] {data.title:<18} by {data.author.name}")

        urgent = todo.filter(priority__gte=4, tags__contains_any=["urgent", "work"]).exclude(
            status="done"
        )
        show("How many open, important, work-or-urgent todos (one HEAD request):", urgent)
        print(f"  {urgent.count()} of {todo.count()}")

        by_chloe = todo.filter(author__name="chloé", title__like="book*").fields("title")
        show("Chloé's 'Book ...' todos, title only:", by_chloe)
        print("  " + ", ".join(sorted({r.data.title for r in by_chloe})))

        first = todo.filter(status="doing").sort("priority").first()
        show("The first todo in progress, lowest priority:", todo.filter(status="doing")
             .sort("priority").limit(1))
        print(f"  {first.id}: {first.data.title!r}" if first else "  none")

        doing = todo.filter(status="doing").fields("status")
        show("Close every todo in progress, loading only its status:", doing)
        records = list(doing)
        for record in records:
            record.data.status = "done"
        saved = todo.save_records(records)
        print(f"  {len(saved.succeeded)} saved as merges in {saved.requests_sent} batch requests;"
              f" the fields not loaded are intact: {todo.get(records[0].id).data.title!r}")

        paged = todo.sort("id").page_size(500)
        show("Every record, 500 per request, one page in memory at a time:", paged)
        sizes = [len(page.items) for page in paged.pages()]
        print(f"  {len(sizes)} pages of {sizes}, following Next-Page")

        window = todo.sort("id")[1000:1003]
        show("Records 1000 to 1002 (Kinto has no offset: slices skip client-side):", window)
        print("  " + ", ".join(r.id for r in window))
    print("\nServer stopped.")


if __name__ == "__main__":
    main()
