"""Dry runs: every read sent, no write; each write planned and answered as the server would.

A transport made with ``dry_run=True`` hands each write to a ``Planner`` instead of the
network. The planner reads the object the write concerns (one ``GET``; for a ``POST /batch``
of writes, one ``POST /batch`` of ``GET``s, so a dry bulk write costs the requests the real
one would), predicts the server's answer from what it holds and from the writes planned
before (a bucket planned earlier in the run counts as there), records a ``PlannedWrite`` and
returns the predicted answer. Everything above the transport (single writes, bulk writes,
mixed batches, their reports and errors) then runs unchanged, as on a real answer.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .._messages import Request, Response, StreamBody
from .._values import dumps
from .._wording import object_named
from .answers import Held, error_body, make_response, not_found

__all__ = ["PlanState", "PlannedWrite", "Read"]

logger = logging.getLogger("kinto_query")

_LISTS = ("buckets", "collections", "groups", "records")
_PRECONDITIONS = ("If-Match", "If-None-Match")
# The headers a planned write shows: the request's own (never the session's credentials).
_SHOWN_HEADERS = (*_PRECONDITIONS, "Content-Type")
_WORDS = {201: "created", 403: "forbidden", 404: "missing", 412: "conflict"}
_DONE = {"PUT": "replaced", "PATCH": "patched", "DELETE": "deleted"}

# Sends a read; an error answer is returned, not raised (awaited on the async side).
Read = Callable[[Request], Any]


@dataclasses.dataclass(frozen=True)
class PlannedWrite:
    """A write a dry run did not send: the request, and the answer predicted for it.

    ``path`` is below the server URL (a write inside a ``POST /batch`` is planned on its
    own); ``body`` is the JSON body as it would have been sent (None for a delete, a
    description for a file upload), left out of the repr (an account's password rides in
    it); ``headers`` are the request's own (``If-Match``, ``If-None-Match``,
    ``Content-Type``), never credentials. ``status`` is the answer predicted from the
    server's current state (``412`` for a create of an existing object); ``note`` says why
    the prediction may be wrong (e.g. permissions that reading could not show), else ``""``.

    >>> from kinto_query import AlreadyExists
    >>> dry = Client(auth=("alice", "s3cret"), dry_run=True)   # $KINTO_SERVER_URL
    >>> try:
    ...     dry.bucket("w").collection("todo").create_record({"id": "r1", "title": "x"})
    ... except AlreadyExists:
    ...     print(dry.dry_run_log[0])
    PUT /buckets/w/collections/todo/records/r1 (If-None-Match: *) -> 412 conflict
    """

    method: str
    path: str
    body: Any = dataclasses.field(default=None, repr=False)
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    status: int = 200
    note: str = ""

    @property
    def preconditions(self) -> dict[str, str]:
        """``If-Match`` / ``If-None-Match`` of the write, if any."""
        return {k: v for k, v in self.headers.items() if k in _PRECONDITIONS}

    @property
    def outcome(self) -> str:
        """In one word: ``created``, ``replaced``, ``patched``, ``deleted``, ``done`` (another
        success), or ``conflict`` (412), ``missing`` (404), ``forbidden`` (403), ``refused``."""
        if self.status >= 300 or self.status == 201:
            return _WORDS.get(self.status, "refused")
        return _DONE.get(self.method, "done")

    def __str__(self) -> str:
        pre = "".join(f" ({k}: {v})" for k, v in self.preconditions.items())
        note = f"; {self.note}" if self.note else ""
        return f"{self.method} {self.path}{pre} -> {self.status} {self.outcome}{note}"


class PlanState:
    """The writes of one dry run so far, and what they predict without reading anything.

    The planner itself (``AsyncPlanner`` in ``kinto_query._wire._async.dry_run``, ``Planner`` on the
    sync side) adds the reads: it predicts each write from the server's state and the plan.

    ``user_id`` gives the id Kinto adds to a written object's ``write`` permission.
    """

    def __init__(self) -> None:
        # Threads of one sync dry run share a plan. Re-entrant: the user id is read (once)
        # while predicting; on the async side, tasks of one thread pass it (they interleave
        # only there, at that one read).
        self._lock = threading.RLock()
        self._log: list[PlannedWrite] = []
        self._plan: dict[str, dict[str, Any] | None] = {}  # path -> object, None: deleted
        self._last = 0
        self._collections: dict[str, int] = {}  # a collection read for a refused record
        self._guessed: set[str] = set()  # records whose refusal is a 404 guessed

    @property
    def log(self) -> tuple[PlannedWrite, ...]:
        """The writes planned so far, in order."""
        with self._lock:
            return tuple(self._log)

    def planned(self, request: Request, url: Callable[[str], str]) -> Response | None:
        """The answer to a ``GET`` of one object that the plan wrote (sent, then answered
        as the real run would read it: as planned, or gone), or None when it did not."""
        path = _local(request.path, url)
        bare = urlsplit(path).path.rstrip("/")
        if request.method != "GET" or _is_list(bare):
            return None
        with self._lock:
            if bare not in self._plan:
                return None
            obj = self._plan[bare]
        if obj is not None:
            return make_response(request, url(path), 200, obj)
        kind, object_id, _ = object_named(bare)
        if kind == "bucket":  # Kinto's answer for a bucket that does not exist
            return make_response(request, url(path), 403, error_body(
                403, 121, "Forbidden", "This user cannot access this resource."))
        return make_response(request, url(path), *not_found(kind, object_id))

    def planned_listing(self, request: Request, url: Callable[[str], str]) -> Response | None:
        """The answer to a listing the server refused (403, 404) under a parent the plan
        creates: the objects planned there (its filters not applied), or None."""
        path = _local(request.path, url)
        bare = urlsplit(path).path.rstrip("/")
        if not _is_list(bare):
            return None
        with self._lock:
            if self._plan.get(bare.rsplit("/", 1)[0]) is None:
                return None
            children = [obj["data"] for key, obj in self._plan.items()
                        if obj is not None and key.rsplit("/", 1)[0] == bare]
        return make_response(request, url(path), 200, {"data": children},
                             {"Total-Objects": str(len(children))})

    # -- prediction ------------------------------------------------------------------------

    def _target(self, request: Request, path: str) -> str:
        """The object a write concerns: its path, or for a ``POST`` to a list the new one's."""
        bare = urlsplit(path).path.rstrip("/")
        if request.method != "POST" or not _is_list(bare):
            return bare
        data = (request.body or {}).get("data") if isinstance(request.body, Mapping) else None
        object_id = data.get("id") if isinstance(data, Mapping) else None
        return f"{bare}/{object_id or uuid.uuid4()}"

    def _known(self, target: str, held: Held) -> tuple[dict[str, Any] | None, Held | None]:
        """The object as the run sees it (the plan over the server), or the refusal that
        reading met (a missing parent, no right to read)."""
        if target in self._plan:
            return self._plan[target], None
        status, body = held
        kind, object_id, _ = object_named(target)
        if status == 200 and isinstance(body, dict):
            if self._parent_deleted(target):
                return None, not_found(kind, object_id)
            return body, None
        details = body.get("details") if isinstance(body, dict) else None
        missing_self = status == 404 and isinstance(details, Mapping) and \
            details.get("resource_name") in (None, kind)
        if missing_self or (status in (403, 404) and self._parent_planned(target)):
            return None, None
        return None, (status, body)

    def _parent_planned(self, target: str) -> bool:
        parent = target.rsplit("/", 2)[0]
        while parent.count("/") >= 2:
            if self._plan.get(parent) is not None:
                return True
            parent = parent.rsplit("/", 2)[0]
        return False

    def _parent_deleted(self, target: str) -> bool:
        return any(self._plan.get(p, {}) is None for p in _parents(target))

    # -- bookkeeping -----------------------------------------------------------------------

    def _stamp(self) -> int:
        self._last = max(self._last + 1, int(time.time() * 1000))
        return self._last

    def _forget(self, target: str) -> None:
        """``target`` planned deleted, and what the plan had below it."""
        for path in [p for p in self._plan if p.startswith(target + "/")]:
            self._plan[path] = None
        self._plan[target] = None

    def _record(self, request: Request, path: str, status: int, note: str = "", *,
                locked: bool = False) -> None:
        body: Any = request.body
        if isinstance(body, StreamBody):
            body = {"upload": body.content_type, "bytes": body.length}
        elif body is not None:
            body = json.loads(dumps(body))
            data = body.get("data") if isinstance(body, dict) else None
            if object_named(path)[0] == "account" and isinstance(data, dict) \
                    and "password" in data:
                data["password"] = "***"  # a credential: never kept, never shown
        headers = {k: v for k, v in request.headers.items() if k.title() in _SHOWN_HEADERS}
        write = PlannedWrite(request.method, path, body, headers, status, note)
        if locked:
            self._log.append(write)
        else:
            with self._lock:
                self._log.append(write)
        logger.info("dry run, not sent: %s", write)


def _held(response: Response) -> Held:
    return response.status, response.json_or_none()


def _parents(target: str) -> list[str]:
    parts = target.strip("/").split("/")
    return ["/" + "/".join(parts[:n]) for n in range(2, len(parts) - 1, 2)]


def _is_list(path: str) -> bool:
    return urlsplit(path).path.rstrip("/").rsplit("/", 1)[-1] in _LISTS


def _local(path: str, url: Callable[[str], str]) -> str:
    """A path below the server URL, from a path or an absolute URL on the server."""
    if "://" not in path:
        return path
    root = url("")
    return path[len(root):] if path.startswith(root) else urlsplit(path).path


