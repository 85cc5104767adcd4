"""Bulk writes through ``POST /batch``, chunk by chunk, with a report of every item.

The code that sends them is generated (``kinto_query._blocking.batch``) from its async source
(``kinto_query._async.batch``, which says how an unclear chunk is read back, never guessed);
the chunk's request, the reading of its answer and the chunking decisions are the pure
``kinto_query._bulk``; the reports ``kinto_query._report``'s. This module keeps the names the
rest of the package, and its tests, import.
"""

from __future__ import annotations

from ._blocking.batch import checked_chunk_size, chunk_size_of, send_batch
from ._bulk import DEFAULT_CHUNK_SIZE, Progress
from ._report import BatchItem, BatchReport, ItemFailure

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BatchItem",
    "BatchReport",
    "ItemFailure",
    "Progress",
    "checked_chunk_size",
    "chunk_size_of",
    "send_batch",
]
