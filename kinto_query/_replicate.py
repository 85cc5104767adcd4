"""Copying the records of one collection into another, on the same server or another one.

``replicate`` is written once, async, in ``kinto_query._async.replicate`` and generated into
``kinto_query._blocking.replicate``; its report and the filing of each window are the pure
``kinto_query._replication`` (whose docstring says how a run reads, writes and resumes). This
module is where they have always been imported from.
"""

from __future__ import annotations

from ._blocking.replicate import replicate
from ._replication import ReplicationReport

__all__ = ["ReplicationReport", "replicate"]
