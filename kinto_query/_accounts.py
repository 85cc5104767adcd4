"""Accounts (``kinto.plugins.accounts``) and who the server takes you for (``whoami``).

The values are pure (``kinto_query._account``); the requests are written once, async, in
``kinto_query._async.accounts`` and generated into ``kinto_query._blocking.accounts``: this
module is where they have always been imported from.
"""

from ._account import Account, Identity
from ._blocking.accounts import Accounts, whoami

__all__ = ["Account", "Accounts", "Identity", "whoami"]
