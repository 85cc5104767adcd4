"""A Kinto plugin for test servers: serves kinto-attachment's local folder.

kinto-attachment stores files under ``kinto.attachment.base_path`` and records their URL as
``kinto.attachment.base_url`` + name, but serves nothing itself: in production a CDN or nginx
does. ``KintoServer`` lists this module in ``kinto.includes`` so that the files are served by
Kinto itself, below ``/v1/attachments/`` on the same 127.0.0.1 origin. Only the Kinto child
process imports it (Pyramid is Kinto's dependency, not ours).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["includeme"]

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
