"""The permissions endpoint (``GET /permissions``): what you may do, where, as a lazy query.

The entries are pure (``kinto_query._grant``); the query is written once, async, in
``kinto_query._async.grants`` and generated into ``kinto_query._blocking.grants``: this module
is where both have always been imported from.
"""

from ._blocking.grants import GrantQuery
from ._grant import Grant

__all__ = ["Grant", "GrantQuery"]
