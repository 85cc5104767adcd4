"""What changed in a collection since a timestamp, its timestamp, and watching it for changes.

The rounds are written once, async, in ``kinto_query._async.changes_feed`` (whose docstring
says how no change is missed or repeated) and generated into
``kinto_query._blocking.changes_feed``; the pure part is ``kinto_query._feed``. This module is
where they have always been imported from.
"""

from ._blocking.changes_feed import Changes, Watch, collection_timestamp

__all__ = ["Changes", "Watch", "collection_timestamp"]
