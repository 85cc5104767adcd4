"""The lazy, immutable query over a Kinto list endpoint (records, collections, groups).

Its pure part (state, builders, URLs) is ``kinto_query._listing``; its terminal operations are
written once, async, in ``kinto_query._async.query`` and generated into
``kinto_query._blocking.query``, whose classes are the ones named here: this module is where
they have always been imported from.
"""

from __future__ import annotations

from ._blocking.query import Addressed, Deletable, Listing, Projected, Query, Timed
from ._listing import Factory, _as_sent, _State, _timestamp, delegate
from ._scan import Page

__all__ = ["Addressed", "Deletable", "Factory", "Listing", "Page", "Projected", "Query", "Timed",
           "_State", "_as_sent", "_timestamp", "delegate"]
