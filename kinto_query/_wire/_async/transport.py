"""The one object that sends requests to a Kinto server (async source of ``Transport``).

Everything the package sends goes through ``send``: it checks that a URL stays on the
configured server, follows redirects of reads only (a bounded number, never from https to
http, without credentials once they leave the server's origin), retries what is safe to
retry, reads back a write whose answer was lost, honours the server's ``Backoff`` and maps
error answers to exceptions. The decisions on plain values are ``TransportBase``'s
(``kinto_query._wire.policy``); one exchange over HTTP is the wire's (``kinto_query._wire.http``).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import urlsplit

from ..._config import Config, Options, configure
from ..._endpoints import endpoint_path
from ..._messages import AsyncStreamedResponse, Request, Response, StreamBody
from ..._retry import Again, applied, idempotent, only_reads, retry_after_seconds
from ..._signer import names_a_collection, refuse_signer_owned
from ..._urls import origin
from ...exceptions import (
    Forbidden,
    HTTPError,
    InvalidResponse,
    KintoConnectionError,
    KintoError,
    NotFound,
    OutcomeUnknown,
    ServerError,
    SignerOwned,
    TooManyRequests,
    raise_for_response,
)
from ..http import AsyncOutcome, AsyncWire, async_wire_for
from ..policy import (
    READS,
    TransportBase,
    from_kinto,
    nothing_applied,
    one_object_write,
    please_retry,
)
from .dry_run import AsyncPlanner
from .retry import with_retries

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["AsyncTransport"]

logger = logging.getLogger("kinto_query")


class AsyncTransport(TransportBase):
    """Sends requests to one Kinto server and returns responses, or raises ``KintoError``.

    Configured by a ``Config`` (``config=``) and/or its options as keywords (see ``Config``):
    ``retry`` says what is retried and how (``None``: nothing is); ``deadline`` bounds each
    attempt, body included; ``on_backoff`` says what to do while the server asks clients to
    back off (Kinto's ``Backoff`` header): ``"wait"`` (at most ``retry.max_wait`` seconds) or
    ``"raise"`` (``BackoffRequested``); ``wire`` carries the exchanges (by default, this
    side's own).
    """

    def __init__(
        self,
        server_url: str | None = None,
        *,
        config: Config | None = None,
        **options: Unpack[Options],
    ) -> None:
        config = configure(server_url, config, **options)
        self.wire: AsyncWire = async_wire_for(config)
        """What carries each exchange over HTTP."""
        super().__init__(config, self.wire)
        self._planner = AsyncPlanner(self._user_id) if config.dry_run else None

    def _wire(self) -> AsyncWire:
        return self.wire

    def copy(self) -> AsyncTransport:
        """A transport like this one with a wire of its own (for another thread), unless the
        configuration brings its own wire."""
        twin = AsyncTransport(config=dataclasses.replace(self.config, session=None))
        twin._server_info = self._server_info
        twin._planner = self._planner  # one dry run: one plan, whichever thread sends
        return twin

    def anonymous(self) -> AsyncTransport:
        """This transport without credentials, on the same wire (and the same dry run)."""
        twin = AsyncTransport(config=dataclasses.replace(self.config, auth=None, session=None,
                                                         wire=self.wire))
        twin._planner = self._planner
        return twin

    async def aclose(self) -> None:
        """Close the wire, if this transport made it (an injected one is the caller's)."""
        if self.owns_session:
            await self.wire.aclose()

    async def __aenter__(self) -> AsyncTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _user_id(self) -> str | None:
        user = (await self.server_info()).get("user")
        return user.get("id") if isinstance(user, dict) else None

    async def _read_for_plan(self, request: Request) -> Response:
        """A read a dry run's prediction needs: sent; an error answer returned, not raised."""
        try:
            return await self.send(request)
        except HTTPError as error:
            return error.response

    async def server_info(self) -> dict[str, Any]:
        """``GET /v1/`` (settings, capabilities, user), fetched once and cached."""
        if self._server_info is None:
            info = (await self.send(Request("GET", endpoint_path("root")))).json()
            if not isinstance(info, dict):
                raise InvalidResponse(f"GET {self.server_url}/ did not answer a JSON object")
            self._server_info = info
        return self._server_info

    # -- sending ---------------------------------------------------------------------------

    @overload
    async def send(self, request: Request, *, stream: Literal[False] = False) -> Response: ...

    @overload
    async def send(self, request: Request, *,
                   stream: Literal[True]) -> AsyncStreamedResponse: ...

    async def send(self, request: Request, *, stream: bool = False) -> Response:
        """Send one request and return its response, or raise the matching ``KintoError``.

        Safe requests are retried on 429, 502, 503, 504, Kinto's 409 "please retry" (its
        transaction rolled back) and lost connections, as the retry policy says; others (a
        list ``DELETE``, a ``POST``) only on answers proving nothing was applied (429, and
        Kinto's own 503 and 409 "please retry"). A conditional write whose first attempt got
        no clear answer and whose retry is then refused (412, or 404 for a delete) is checked
        against the server: if the first attempt was applied, that is the answer.
        A ``StreamBody`` is never retried.

        A write to a collection that a Remote Settings signer owns (a destination or
        preview) is refused before sending (``SignerOwned``), once the server's capabilities
        are known (``server_info()``, which review steps and bulk writes read); the guard
        never reads them before a write, so a plain Kinto server gets no extra request. A
        write refused (403) before they were read has them read then: a refusal of such a
        write becomes ``SignerOwned`` too.

        ``stream=True``: a success comes back as a streamed response whose body is read as it
        arrives (errors are read whole and raised as usual); the deadline still bounds the
        attempt, body included. Only the request is retried, never a body half read.
        """
        if request.method in READS:
            return await self._send(request, stream=stream, public=False)
        known = self._server_info
        refuse_signer_owned(known, request.method, request.path, request.body)
        try:
            return await self._send(request, stream=stream, public=False)
        except Forbidden as error:
            if known is None and names_a_collection(request.method, request.path,
                                                    request.body):
                await self._explain_refusal(request, error)
            raise

    async def _explain_refusal(self, request: Request, error: Forbidden) -> None:
        """A write refused (403) by a server whose capabilities were not read yet: if it
        aimed at what a Remote Settings signer owns, ``SignerOwned`` (naming the workspace)
        says so instead; one ``GET /v1/``, on a refusal only."""
        try:
            info = await self.server_info()
        except KintoError:
            return  # the refusal itself says enough
        try:
            refuse_signer_owned(info, request.method, request.path, request.body,
                                refused=True)
        except SignerOwned as owned:
            raise owned from error

    @overload
    async def fetch(self, url: str, *, headers: Mapping[str, str] | None = None,
                    stream: Literal[False] = False) -> Response: ...

    @overload
    async def fetch(self, url: str, *, headers: Mapping[str, str] | None = None,
                    stream: Literal[True]) -> AsyncStreamedResponse: ...

    async def fetch(self, url: str, *, headers: Mapping[str, str] | None = None,
                    stream: bool = False) -> Response:
        """``GET`` a URL on any origin, without credentials or the configured headers: what
        Kinto points at elsewhere (attachments on a CDN, certificate chains), retried and
        redirected as reads are; an https server's transport fetches https only."""
        return await self._send(Request("GET", url, headers=dict(headers or {})),
                                stream=stream, public=True)

    async def _send(self, request: Request, *, stream: bool, public: bool) -> Response:
        if self._planner is None or public:
            return await self._send_now(request, stream=stream, public=public)
        if request.method not in READS and not only_reads(request):
            answer = await self._planner.answer(request, self._read_for_plan, self.url)
            if answer.status >= 400:
                raise_for_response(answer, credentials_sent=self._credentials_sent())
            return answer
        try:
            response = await self._send_now(request, stream=stream, public=public)
        except (Forbidden, NotFound):
            # Refused: it may read what the dry run planned to create.
            planned = None if stream else (self._planner.planned(request, self.url)
                                           or self._planner.planned_listing(request, self.url))
            if planned is None:
                raise
            return self._planned_answer(planned)
        # Sent for real; what the plan wrote reads as the real run would read it.
        planned = None if stream else self._planner.planned(request, self.url)
        return response if planned is None else self._planned_answer(planned)

    async def _send_now(self, request: Request, *, stream: bool, public: bool) -> Response:
        safe = idempotent(request)
        # A POST /batch of writes is resent by the bulk writes' own loop, which reads back first.
        batch = urlsplit(request.path).path.rstrip("/").endswith("/batch")
        policy = self.retry if safe or not batch else None
        if isinstance(request.body, StreamBody):
            policy = None  # what it reads from may not be readable twice
        unsure = False  # an attempt may have been applied without our knowing

        async def attempt() -> Response | Again[AsyncOutcome[Response]]:
            nonlocal unsure
            try:
                response = await self._attempt(request, stream=stream, public=public)
            except KintoConnectionError as error:
                never_sent = error.never_sent
                unsure = unsure or not never_sent
                if not (safe or never_sent):  # it may have been applied: never resent blindly
                    return await self._settle(request, unsure, error, None, 1)
                return Again(None, functools.partial(self._settle, request, unsure, error, None))
            if response.status < 400:
                return response
            if unsure and response.status in (404, 412) and request.method not in READS:
                resolved = await self._resolve(request, response)
                if resolved is not None:
                    return resolved
            retryable = policy is not None and (
                (response.status in policy.statuses if safe else nothing_applied(response))
                or please_retry(response))
            unsure = unsure or (response.status != 429 and not from_kinto(response))
            if not retryable:
                return await self._settle(request, unsure, None, response, 1)
            after = retry_after_seconds(response.headers.get("Retry-After"))
            return Again(after, functools.partial(self._settle, request, unsure, None, response))

        return await with_retries(policy, attempt, f"{request.method} {request.path}",
                                  self.wire)

    async def _settle(self, request: Request, unsure: bool, error: KintoConnectionError | None,
                      response: Response | None, tries: int) -> Response:
        """No retry left: the failure raised, unless an earlier attempt may have landed and
        the last answer says nothing of it: then what the server holds tells (a read-back;
        ``OutcomeUnknown`` when it cannot be read)."""
        settled = response is None or response.status not in (404, 412)  # else: resolved
        if unsure and settled and one_object_write(request):
            resolved = await self.read_back(request)
            if resolved is not None:
                return resolved
        if error is not None:
            raise error
        assert response is not None
        raise_for_response(response, credentials_sent=self._credentials_sent())
        raise AssertionError("unreachable: an error status raises")  # pragma: no cover

    async def _resolve(self, request: Request, refusal: Response) -> Response | None:
        """The answer to a write that a lost attempt had already applied, or None."""
        current = await self.read_back(request)
        if current is not None:
            logger.info("%s %s: an earlier attempt was applied (%s on retry)", request.method,
                        request.path, refusal.status)
        return current

    async def read_back(self, request: Request) -> Response | None:
        """After a write whose answer was lost or unreadable: the object as the server holds it
        (its ``GET``, retried as reads are) if it shows the write applied, else None (a
        ``DELETE`` found applied: an empty 200).

        ``OutcomeUnknown`` when it cannot be read (no answer, 5xx, 429 to the end, garbage):
        the write may have landed, so neither success nor refusal may be claimed.
        Example: ``transport.read_back(Request("PUT", "/buckets/b", {"data": {}}))``.
        """
        read = Request("GET", urlsplit(request.path).path)
        try:
            current: Response | None = await self.send(read)
            held = current.json_object() if current is not None else None
        except NotFound:
            current = held = None
        except (KintoConnectionError, ServerError, TooManyRequests, InvalidResponse) as error:
            raise OutcomeUnknown(request, error) from error
        except HTTPError:
            return None  # the server does not say (403...): the write's refusal stands
        if not applied(request, held):
            return None
        if current is None:  # a delete, applied
            return Response(request, self.url(read.path), 200, "OK", {}, b'{"data": {}}')
        return current

    async def _attempt(self, request: Request, *, stream: bool = False,
                       public: bool = False) -> Response:
        """One exchange: the request sent, its redirects followed (reads only), the whole
        answer read within the deadline (or, for a success with ``stream``, handed out unread).
        ``public``: a URL on any origin, sent without credentials."""
        until = self._backoff_until
        wait = self._backoff_wait()
        if wait > 0:
            await self.wire.sleep(self.retry, wait)
            self._backoff_waited(until)
        method = request.method
        url = self._public_url(request.path) if public else self.url(request.path)
        trusted = not public and origin(url) == self._origin
        seen = [url]
        limit = time.monotonic() + self.deadline
        while True:
            out = self._outgoing(request, url, trusted, stream, limit)
            response = await self.wire.exchange(out)
            logger.debug("%s %s -> %s", method, response.url, response.status)
            self._note_headers(response)
            location = self._location(response)
            if location is None:
                return response
            url = self._next_hop(method, url, location, seen)
            # Credentials stay off for the rest of the way once it left the server's origin.
            trusted = trusted and origin(url) == self._origin

