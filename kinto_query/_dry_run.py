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

import copy
import dataclasses
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ._answers import (
    Held,
    conflict,
    error_body,
    make_response,
    merged,
    not_found,
    upload_answer,
)
from ._messages import Request, Response, StreamBody
from ._values import dumps
from ._wording import object_named

__all__ = ["PlannedWrite", "Planner"]

logger = logging.getLogger("kinto_query")

_LISTS = ("buckets", "collections", "groups", "records")
_PRECONDITIONS = ("If-Match", "If-None-Match")
# The headers a planned write shows: the request's own (never the session's credentials).
_SHOWN_HEADERS = (*_PRECONDITIONS, "Content-Type")
_WORDS = {201: "created", 403: "forbidden", 404: "missing", 412: "conflict"}
_DONE = {"PUT": "replaced", "PATCH": "patched", "DELETE": "deleted"}

Read = Callable[[Request], Response]  # sends a read; an error answer is returned, not raised


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


class Planner:
    """The writes of one dry run: predicts each from the server's state and the plan so far.

    ``user_id`` gives the id Kinto adds to a written object's ``write`` permission.
    """

    def __init__(self, user_id: Callable[[], str | None]) -> None:
        self._user_id = user_id
        self._lock = threading.RLock()  # the user id is read (once) while predicting
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

    # -- entry points ----------------------------------------------------------------------

    def answer(self, request: Request, read: Read, url: Callable[[str], str]) -> Response:
        """The predicted answer to a write (a ``POST /batch`` of writes: each sub-answer).

        ``read`` sends a read through the dry-run transport; ``url`` makes a path absolute.
        """
        path = _local(request.path, url)
        if urlsplit(path).path.rstrip("/").endswith("/batch"):
            return self._batch(request, read, url)
        if isinstance(request.body, StreamBody):
            return self._upload(request, path, request.body, read, url)
        if request.method == "DELETE" and _is_list(path):
            return self._delete_list(request, path, read, url)
        target = self._target(request, path)
        if object_named(target)[0] == "object":  # not a bucket, group, record... (a flush)
            self._record(request, path, 200, "not a Kinto object: its answer is not predicted")
            return make_response(request, url(path), 200, {})
        held = self._refined(target, _held(read(Request("GET", target))), read)
        status, body = self._predict(request, path, target, held)
        return make_response(request, url(path), status, body)

    def _upload(self, request: Request, path: str, body: StreamBody, read: Read,
                url: Callable[[str], str]) -> Response:
        """A file sent to kinto-attachment (``.../records/ID/attachment``): its record read,
        then planned as holding the file (the file is not read: no hash, no location)."""
        target = urlsplit(path).path.rstrip("/").removesuffix("/attachment")
        held = self._refined(target, _held(read(Request("GET", target))), read)
        with self._lock:
            current, refusal = self._known(target, held)
            if refusal is not None:
                self._record(request, path, refusal[0], locked=True)
                return make_response(request, url(path), *refusal)
            answer = upload_answer(body)
            object_id = object_named(target)[1]
            obj = copy.deepcopy(current) if current is not None else {"data": {},
                                                                      "permissions": {}}
            obj["data"].update(id=object_id, last_modified=self._stamp(), attachment=answer)
            self._plan[target] = obj
            self._record(request, path, 201, "a file upload: its answer is made up (no "
                         "location, no hash)", locked=True)
        return make_response(request, url(path), 201, answer)

    def _batch(self, request: Request, read: Read,
               url: Callable[[str], str]) -> Response:
        subs = [dict(sub) for sub in (request.body or {}).get("requests", [])]
        defaults = (request.body or {}).get("defaults") or {}
        subs = [{**defaults, **sub} for sub in subs]
        subrequests = [Request(str(s.get("method", "GET")).upper(), str(s["path"]),
                               s.get("body"), dict(s.get("headers") or {})) for s in subs]
        targets = [sub.path if sub.method in ("GET", "HEAD") else
                   self._target(sub, _local(sub.path, url)) for sub in subrequests]
        # One batch of reads, as big as the batch of writes: the real run's request count.
        reads = Request("POST", "/batch", {"requests": [{"method": "GET", "path": t}
                                                        for t in targets]})
        status, found = _held(read(reads))
        responses = found.get("responses") if isinstance(found, dict) else None
        if status != 200 or not isinstance(responses, list) or len(responses) != len(subs):
            return make_response(request, url("/batch"), status, found)
        answers = []
        for sub, target, got in zip(subrequests, targets, responses, strict=True):
            held = (int(got.get("status", 0)), got.get("body"))
            if sub.method in ("GET", "HEAD"):
                answer = held
            else:
                held = self._refined(target, held, read)
                answer = self._predict(sub, _local(sub.path, url), target, held)
            answers.append({"status": answer[0], "path": sub.path, "body": answer[1],
                            "headers": {}})
        return make_response(request, url("/batch"), 200, {"responses": answers})

    def _delete_list(self, request: Request, path: str, read: Read,
                     url: Callable[[str], str]) -> Response:
        # The whole listing, read page by page; one answer (the real run takes a call a page).
        matched: list[dict[str, Any]] = []
        page: str | None = path
        while page is not None:
            response = read(Request("GET", page))
            status, body = _held(response)
            if status >= 400 or not isinstance(body, dict):
                self._record(request, path, status)
                return make_response(request, url(path), status, body)
            matched.extend(body.get("data") or [])
            page = response.headers.get("Next-Page")
        base = urlsplit(path).path.rstrip("/")
        with self._lock:
            gone = []
            for obj in matched:
                child = f"{base}/{obj['id']}"
                if child in self._plan and self._plan[child] is None:
                    continue
                stamp = self._stamp()
                self._forget(child)
                gone.append({"id": obj["id"], "last_modified": stamp, "deleted": True})
            self._record(request, path, 200, "", locked=True)
        return make_response(request, url(path), 200, {"data": gone})

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

    def _refined(self, target: str, held: Held, read: Read) -> Held:
        """A record's refused read (403), made precise where Kinto's write would differ:
        a record written where no collection is answers 404, though read it answers 403.
        Its collection is read (once per run): readable, the 403 stands; not, the bucket
        is missing or unreadable, and the 404 is predicted (with a note)."""
        kind = object_named(target)[0]
        if kind != "record" or held[0] != 403 or target in self._plan:
            return held
        collection = target.rsplit("/", 2)[0]
        status = self._collections.get(collection)
        if status is None:
            status = read(Request("GET", collection)).status
            with self._lock:
                self._collections[collection] = status
        if status not in (403, 404):
            return held
        with self._lock:
            self._guessed.add(target)
        return not_found("collection", object_named(collection)[1])

    def _parent_deleted(self, target: str) -> bool:
        return any(self._plan.get(p, {}) is None for p in _parents(target))

    def _predict(self, request: Request, path: str, target: str, held: Held) -> Held:
        with self._lock:
            current, refusal = self._known(target, held)
            note = ""
            kind, object_id, _ = object_named(target)
            if refusal is not None and refusal[0] in (401, 403) and \
                    kind in ("bucket", "account") and request.method in ("PUT", "POST"):
                # Kinto answers 403 for a bucket (or an account) that does not exist, as for
                # one you may not read: a create may be allowed.
                note, refusal = (f"predicted a create: the server answers {refusal[0]} both "
                                 f"for a missing {kind} and for one you may not write"), None
            if target in self._guessed and refusal is not None and refusal[0] == 404:
                note = ("its bucket cannot be read: Kinto answers this 404 when the bucket or "
                        "collection does not exist, 403 when the bucket exists unreadable")
            if request.method == "PATCH" and isinstance(request.body, list):
                note = "a JSON-Patch: its answer is predicted, not its effect on the data"
            if refusal is not None:
                answer = refusal
            else:
                answer = self._apply(request, target, kind, object_id, current)
            self._record(request, path, answer[0], note, locked=True)
            return answer

    def _apply(self, request: Request, target: str, kind: str, object_id: str,
               current: dict[str, Any] | None) -> Held:
        method = request.method
        headers = {k.lower(): v for k, v in request.headers.items()}
        existing = current.get("data") if current is not None else None
        if headers.get("if-none-match") == "*" and current is not None:
            return conflict(existing)
        expected = headers.get("if-match")
        if expected is not None and current is None and method in ("PATCH", "DELETE"):
            return not_found(kind, object_id)
        version = str((existing or {}).get("last_modified"))
        stale = expected is not None and expected.strip() != "*" and \
            expected.strip('"') != version  # "*": any version, but one must exist
        if expected is not None and (current is None or stale):
            return conflict(existing)
        if method in ("PATCH", "DELETE") and current is None:
            return not_found(kind, object_id)
        if method == "POST" and current is not None:
            return 200, current  # Kinto answers the existing object, unchanged
        if method == "DELETE":
            stamp = self._stamp()
            self._forget(target)
            return 200, {"data": {"id": object_id, "last_modified": stamp, "deleted": True}}
        sent = json.loads(dumps(request.body)) if request.body is not None else {}
        sent = sent if isinstance(sent, dict) else {}
        data = copy.deepcopy(existing) if method == "PATCH" and existing else {}
        if method == "PATCH":
            merge = headers.get("content-type", "").startswith("application/merge-patch")
            merged(data, sent.get("data") or {}, merge)
        else:
            data = copy.deepcopy(sent.get("data") or {})
        data.update(id=object_id, last_modified=self._stamp())
        permissions = copy.deepcopy((current or {}).get("permissions") or {})
        permissions.update(copy.deepcopy(sent.get("permissions") or {}))
        writer = self._user_id()
        if writer and writer not in permissions.setdefault("write", []):
            permissions["write"].append(writer)
        obj = {"data": data, "permissions": permissions}
        self._plan[target] = obj
        return (201 if current is None else 200), copy.deepcopy(obj)

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


