"""The one retry loop (async source of ``kinto_query._wire._blocking.retry``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from ..._retry import Again, RetryPolicy
from ..http import AsyncOutcome, AsyncWire

__all__ = ["with_retries"]

logger = logging.getLogger("kinto_query")

T = TypeVar("T")


async def with_retries(policy: RetryPolicy | None,
                       attempt: Callable[[], AsyncOutcome[T | Again[AsyncOutcome[T]]]],
                       what: str, wire: AsyncWire) -> T:
    """``attempt()`` until it returns a result, or until ``policy`` (None: no retries) allows
    no more retries (then what the last ``Again`` gives up with); ``what`` names the request
    in the log; ``wire`` sleeps between attempts."""
    started = time.monotonic()
    retry = 0
    while True:
        outcome = await attempt()
        if not isinstance(outcome, Again):
            return outcome
        wait = policy.next_wait(retry, started, outcome.retry_after) if policy else None
        if wait is None:
            return await outcome.give_up(retry + 1)
        logger.info("%s: retrying in %.2f s (retry %d)", what, wait, retry + 1)
        await wire.sleep(policy, wait)
        retry += 1
