"""The one object that sends requests to a Kinto server: ``Transport``.

Everything the package sends goes through ``Transport.send``. Its code is generated
(``kinto_query._blocking.transport``) from the async source ``kinto_query._async.transport``,
over the decisions of ``kinto_query._policy`` and a wire (``kinto_query._wire``: requests
here); this module keeps the names the rest of the package and its users import.

>>> Transport("http://localhost:8888/v1").url("/buckets/b")
'http://localhost:8888/v1/buckets/b'
>>> Transport("http://localhost:8888/v1").fetch(server.url + "/__heartbeat__").status
200
"""

from __future__ import annotations

from ._blocking.transport import Transport
from ._config import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, Timeout
from ._messages import Request, Response, StreamedResponse, if_match
from ._policy import MAX_REDIRECTS, KintoAlert, user_agent_header
from ._urls import DEFAULT_SERVER_URL

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_SERVER_URL",
    "DEFAULT_TIMEOUT",
    "MAX_REDIRECTS",
    "KintoAlert",
    "Request",
    "Response",
    "StreamedResponse",
    "Timeout",
    "Transport",
    "if_match",
    "user_agent_header",
]
