"""Attachments in tests: a Kinto plugin serving the files, and a session cassettes can record.

kinto-attachment stores files under ``kinto.attachment.base_path`` and records their URL as
``kinto.attachment.base_url`` + name, but serves nothing itself: in production a CDN or nginx
does. ``KintoServer`` lists this module in ``kinto.includes`` so that the files are served by
Kinto itself, below ``/v1/attachments/`` on the same 127.0.0.1 origin. Only the Kinto child
process calls ``includeme`` (Pyramid is Kinto's dependency, not ours).

``RecordableSession`` is the session of ``Recorder``: it makes streamed uploads fit in a
cassette.
"""

from __future__ import annotations

import os
import re
from typing import Any

import requests

__all__ = ["RecordableSession", "includeme"]

ROUTE = "/attachments/*subpath"


def includeme(config: Any) -> None:
    """Pyramid's hook: serve the files of the attachment folder, read-only, streamed."""
    from pyramid.httpexceptions import HTTPNotFound  # type: ignore[import-untyped]
    from pyramid.response import FileResponse  # type: ignore[import-untyped]

    base = os.path.realpath(config.get_settings()["attachment.base_path"])

    def serve(request: Any) -> Any:
        path = os.path.realpath(os.path.join(base, *request.matchdict["subpath"]))
        if not path.startswith(base + os.sep):
            raise HTTPNotFound()
        # Not Pyramid's static_view: it caches what it found, and answers 500 for a file
        # deleted since (kinto-attachment deletes replaced files).
        try:
            return FileResponse(path, request=request)
        except (FileNotFoundError, IsADirectoryError):
            raise HTTPNotFound() from None

    # Kinto's route prefix applies: the files are served below /v1/attachments/.
    config.add_route("kinto_query_attachments", ROUTE)
    config.add_view(serve, route_name="kinto_query_attachments", request_method="GET")


_BOUNDARY = re.compile(r"boundary=([0-9A-Za-z'()+_,./:=?-]+)")
CASSETTE_BOUNDARY = "kinto-query-cassette-boundary"


class RecordableSession(requests.Session):
    """A session whose streamed request bodies (attachment uploads) can go in a cassette.

    Betamax stores only a body of bytes and matches bodies byte for byte: a streamed body is
    read whole here (cassettes hold small files), and its random multipart boundary becomes
    a fixed one, so that a replayed upload matches the recorded one.
    """

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        body = request.body
        if body is not None and not isinstance(body, (bytes, str)):
            content = b"".join(body)
            kind = request.headers.get("Content-Type", "")
            found = _BOUNDARY.search(kind)
            if found:
                content = content.replace(found.group(1).encode(), CASSETTE_BOUNDARY.encode())
                request.headers["Content-Type"] = kind.replace(found.group(1), CASSETTE_BOUNDARY)
            request.body = content
            request.headers["Content-Length"] = str(len(content))
            request.headers.pop("Transfer-Encoding", None)
        return super().send(request, **kwargs)
