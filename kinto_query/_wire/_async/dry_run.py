"""The dry run's planner: the reads its predictions need (async source of ``Planner``).

``PlanState`` (``kinto_query._wire.dry_run``) holds the plan and predicts from plain values;
this adds what reads the server: the object a write concerns, the collection of a refused
record, the user id Kinto adds to ``write``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ..._messages import Request, Response, StreamBody
from ..._values import dumps
from ..._wording import object_named
from ..answers import Held, conflict, make_response, merged, not_found, upload_answer
from ..dry_run import PlanState, Read, _held, _is_list, _local
from ..http import AsyncOutcome

__all__ = ["AsyncPlanner"]


class AsyncPlanner(PlanState):
    """The writes of one dry run: predicts each from the server's state and the plan so far.

    ``user_id`` gives the id Kinto adds to a written object's ``write`` permission.
    """

    def __init__(self, user_id: Callable[[], AsyncOutcome[str | None]]) -> None:
        super().__init__()
        self._user_id = user_id

    async def answer(self, request: Request, read: Read, url: Callable[[str], str]) -> Response:
        """The predicted answer to a write (a ``POST /batch`` of writes: each sub-answer).

        ``read`` sends a read through the dry-run transport; ``url`` makes a path absolute.
        """
        path = _local(request.path, url)
        if urlsplit(path).path.rstrip("/").endswith("/batch"):
            return await self._batch(request, read, url)
        if isinstance(request.body, StreamBody):
            return await self._upload(request, path, request.body, read, url)
        if request.method == "DELETE" and _is_list(path):
            return await self._delete_list(request, path, read, url)
        target = self._target(request, path)
        if object_named(target)[0] == "object":  # not a bucket, group, record... (a flush)
            self._record(request, path, 200, "not a Kinto object: its answer is not predicted")
            return make_response(request, url(path), 200, {})
        held = await self._refined(target, _held(await read(Request("GET", target))), read)
        status, body = await self._predict(request, path, target, held)
        return make_response(request, url(path), status, body)

    async def _upload(self, request: Request, path: str, body: StreamBody, read: Read,
                url: Callable[[str], str]) -> Response:
        """A file sent to kinto-attachment (``.../records/ID/attachment``): its record read,
        then planned as holding the file (the file is not read: no hash, no location)."""
        target = urlsplit(path).path.rstrip("/").removesuffix("/attachment")
        held = await self._refined(target, _held(await read(Request("GET", target))), read)
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

    async def _batch(self, request: Request, read: Read,
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
        status, found = _held(await read(reads))
        responses = found.get("responses") if isinstance(found, dict) else None
        if status != 200 or not isinstance(responses, list) or len(responses) != len(subs):
            return make_response(request, url("/batch"), status, found)
        answers = []
        for sub, target, got in zip(subrequests, targets, responses, strict=True):
            held = (int(got.get("status", 0)), got.get("body"))
            if sub.method in ("GET", "HEAD"):
                answer = held
            else:
                held = await self._refined(target, held, read)
                answer = await self._predict(sub, _local(sub.path, url), target, held)
            answers.append({"status": answer[0], "path": sub.path, "body": answer[1],
                            "headers": {}})
        return make_response(request, url("/batch"), 200, {"responses": answers})

    async def _delete_list(self, request: Request, path: str, read: Read,
                     url: Callable[[str], str]) -> Response:
        # The whole listing, read page by page; one answer (the real run takes a call a page).
        matched: list[dict[str, Any]] = []
        page: str | None = path
        while page is not None:
            response = await read(Request("GET", page))
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

    async def _refined(self, target: str, held: Held, read: Read) -> Held:
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
            status = (await read(Request("GET", collection))).status
            with self._lock:
                self._collections[collection] = status
        if status not in (403, 404):
            return held
        with self._lock:
            self._guessed.add(target)
        return not_found("collection", object_named(collection)[1])

    async def _predict(self, request: Request, path: str, target: str, held: Held) -> Held:
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
                answer = await self._apply(request, target, kind, object_id, current)
            self._record(request, path, answer[0], note, locked=True)
            return answer

    async def _apply(self, request: Request, target: str, kind: str, object_id: str,
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
        writer = await self._user_id()
        if writer and writer not in permissions.setdefault("write", []):
            permissions["write"].append(writer)
        obj = {"data": data, "permissions": permissions}
        self._plan[target] = obj
        return (201 if current is None else 200), copy.deepcopy(obj)
