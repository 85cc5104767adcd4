"""Mixed batches: ``with client.batch() as batch:`` any mix of creates, saves, patches,
deletes and reads of buckets, collections, groups and records, sent when the block ends.

``Batch`` is generated (``kinto_query._blocking.mixed_batch``) from its async source
(``kinto_query._async.mixed_batch``); the calls and their handles are the pure
``kinto_query._batch_calls``. This module keeps the names the package and its users import.
"""

from __future__ import annotations

from ._batch_calls import BatchHandle
from ._blocking.mixed_batch import Batch
from ._bulk import Progress

__all__ = ["Batch", "BatchHandle", "Progress"]
