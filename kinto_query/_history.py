"""A bucket's history (``kinto.plugins.history``): a lazy query of typed entries.

The entries are pure (``kinto_query._history_entry``); the query is written once, async, in
``kinto_query._async.history`` and generated into ``kinto_query._blocking.history``: this
module is where both have always been imported from.
"""

from ._blocking.history import HistoryQuery
from ._history_entry import HistoryEntry

__all__ = ["HistoryEntry", "HistoryQuery"]
