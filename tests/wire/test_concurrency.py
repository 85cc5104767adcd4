"""Tests of _wire/concurrency.py: prefetch one item ahead, on a thread (sync) or a task (async)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Generator

import pytest

from kinto_query._wire.concurrency import AsyncPrefetched, Prefetched


def test_prefetched_fetches_the_next_item_in_another_thread() -> None:
    fetched_by: list[str] = []

    def items() -> Generator[int, None, None]:
        for n in range(3):
            fetched_by.append(threading.current_thread().name)
            yield n

    assert list(Prefetched(items())) == [0, 1, 2]
    assert fetched_by and all(name.startswith("kinto-query-prefetch") for name in fetched_by)


def test_prefetched_closed_early_stops_fetching() -> None:
    closed = threading.Event()

    def items() -> Generator[int, None, None]:
        try:
            yield from range(100)
        finally:
            closed.set()

    ahead = Prefetched(items())
    assert next(ahead) == 0
    ahead.close()
    assert closed.is_set() and list(ahead) == []


@pytest.mark.anyio
async def test_async_prefetched_in_order_and_no_task_left_after_a_break() -> None:
    async def items() -> AsyncGenerator[int, None]:
        for n in range(5):
            await asyncio.sleep(0)
            yield n

    before = len(asyncio.all_tasks())
    seen = []
    ahead = AsyncPrefetched(items())
    async for n in ahead:
        seen.append(n)
        if n == 2:
            break
    await ahead.aclose()
    assert seen == [0, 1, 2]
    assert len(asyncio.all_tasks()) == before
