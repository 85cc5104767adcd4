"""The Remote Settings monitor (``kinto-changes``): one entry per monitored collection with its
timestamp, the first thing a reader asks to know what to fetch.

``GET /buckets/monitor/collections/changes/changeset?_expected=N`` is public; it filters by
``bucket=``, ``collection=`` and ``_since="T"`` (only collections changed after ``T``). Its
entries and query builders are the pure ``kinto_query._changeset``'s; its reads are written
once, async, in ``kinto_query._async.monitor`` and generated into
``kinto_query._blocking.monitor``, whose names are the ones this module has always had.
"""

from __future__ import annotations

from ._blocking.monitor import Monitor, collection_changeset, expected_timestamp
from ._changeset import MONITOR_PATH, MonitorEntry, MonitorSnapshot

__all__ = ["MONITOR_PATH", "Monitor", "MonitorEntry", "MonitorSnapshot", "collection_changeset",
           "expected_timestamp"]
