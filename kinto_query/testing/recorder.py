"""The recorder: one cassette, recording from a live Kinto or replaying offline, and every
Client of a test routed through it.

Record modes (``--kinto-record-mode``, or ``KINTO_QUERY_RECORD_MODE``):

- ``none`` (the default): replay only; a missing cassette, or a request it does not hold, fails.
- ``once``: record the cassettes that do not exist yet, replay the others.
- ``new``: like ``once``, and a request an existing cassette does not hold is sent to the live
  server and added to it (that server never saw the requests replayed before it).
- ``all``: record every cassette anew.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from betamax import Betamax
from betamax.exceptions import BetamaxError
from requests.adapters import BaseAdapter

from .._auth import AuthLike
from .._config import Config
from .._objects._blocking.client import Client
from .attachment_files import RecordableSession
from .cassettes import (
    SERIALIZER,
    KintoSerializer,
    register_matcher,
    register_serializer,
    unregister_matcher,
)
from .mismatch import explain
from .scrub import Scrub

if TYPE_CHECKING:
    import httpx

    from .._objects._async.client import AsyncClient
    from .._wire._async.transport import AsyncTransport
    from .httpx_cassette import AsyncCassetteTransport

__all__ = [
    "RECORD_MODES",
    "RECORD_MODE_ENV",
    "REPLAY_SERVER_URL",
    "CassetteMismatch",
    "MissingCassette",
    "NothingRecorded",
    "Recorder",
    "record_mode",
]

RECORD_MODE_ENV = "KINTO_QUERY_RECORD_MODE"
RECORD_MODES = ("none", "once", "new", "all")
# What a cassette's server address becomes on replay: a reserved name, never a real host.
REPLAY_SERVER_URL = "http://kinto.test/v1"
_ORIGIN_PLACEHOLDER = "<KINTO_ORIGIN>"
# The server's host:port alone, as Remote Settings names it (monitor entries' "host").
_HOST_PLACEHOLDER = "<KINTO_HOST>"


class MissingCassette(FileNotFoundError):
    """Replaying a cassette that was never recorded."""


class CassetteMismatch(Exception):
    """A request the cassette holds no answer for (the test asks something else now)."""


class NothingRecorded(Exception):
    """A test recorded with no request through the recorder (its clients went around it)."""


def record_mode(mode: str | None = None) -> str:
    """``mode``, else ``$KINTO_QUERY_RECORD_MODE``, else ``none``; checked."""
    mode = mode or os.environ.get(RECORD_MODE_ENV) or "none"
    if mode not in RECORD_MODES:
        raise ValueError(f"the record mode must be one of {', '.join(RECORD_MODES)}, "
                         f"not {mode!r}")
    return mode


class _Tap(BaseAdapter):
    """The adapter every routed session sends through: one cassette, one request at a time
    (betamax's cassettes are not made for threads), its failures said plainly."""

    def __init__(self, recorder: Recorder, betamax_adapter: Any) -> None:
        super().__init__()
        self.recorder = recorder
        self.betamax_adapter = betamax_adapter

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        with self.recorder.lock:
            cassette = self.betamax_adapter.cassette
            before = len(cassette.interactions)
            try:
                response: requests.Response = self.betamax_adapter.send(request, **kwargs)
            except BetamaxError:
                raise self.recorder.mismatch(request) from None
            if len(cassette.interactions) > before:
                # Just recorded: never replayed in its place later in the same test (a GET
                # before and after a change are two answers).
                cassette.interactions[-1].used = True
            self.recorder.sent += 1
            return response

    def close(self) -> None:
        """Sessions come and go; the recorder closes the cassette itself."""


class Recorder:
    """One cassette, recording from ``live_url`` or replaying at ``REPLAY_SERVER_URL`` (``http://kinto.test/v1``).

    ``name`` may hold ``/`` (sub-folders of ``cassette_dir``). ``mode`` is one of
    ``RECORD_MODES`` (see above) (default: :func:`record_mode`). ``scrub`` adds to what is scrubbed.
    ``command`` is how to run this one test (the pytest plugin gives its node id), for the
    messages. Use :meth:`client`, or :meth:`route_clients` for code that builds its own.
    """

    def __init__(
        self,
        cassette_dir: str | os.PathLike[str],
        name: str,
        *,
        live_url: str | None = None,
        mode: str | None = None,
        scrub: Scrub | None = None,
        command: str | None = None,
    ) -> None:
        self.mode = record_mode(mode)
        self.cassette_path = Path(cassette_dir, f"{name}.json")
        self.command = command
        self.recording = self.will_record(cassette_dir, name, self.mode)
        if self.recording and live_url is None:
            raise ValueError("recording needs a live server URL")
        self.server_url = live_url if self.recording and live_url else REPLAY_SERVER_URL
        if not self.recording and not self.cassette_path.exists():
            raise MissingCassette(
                f"no cassette {self.describe_cassette()}: record it with "
                f"{self.record_command('once')}")
        self.sent = 0
        self.mismatches: list[CassetteMismatch] = []
        # One request at a time on the cassette, from either side: betamax's cassettes are not
        # made for threads (the sync tap holds it for a whole request, the async one only
        # while it reads or writes the cassette, never across an await).
        self.lock = threading.Lock()
        self.scrub = scrub or Scrub()
        self._ids = random.Random(hashlib.sha256(name.encode()).digest())
        self._before = self.cassette_path.read_bytes() if self.cassette_path.exists() else None
        # The folders made for this cassette, deepest first: removed again if it is not kept.
        self._made = [p for p in self.cassette_path.parents if not p.exists()]
        self.cassette_path.parent.mkdir(parents=True, exist_ok=True)
        if self.mode == "all":
            # betamax's own "all" replaces an earlier identical request by a later one, losing
            # e.g. a GET before a change; recording anew into an empty cassette keeps both.
            self.cassette_path.unlink(missing_ok=True)
        register_serializer()
        self._matcher = register_matcher(self.scrub)
        self.session = RecordableSession()  # streamed uploads recorded too
        self._betamax = Betamax(self.session, cassette_library_dir=str(cassette_dir))
        # new: replay what the cassette holds, record what it lacks.
        record = {"new": "new_episodes"}.get(self.mode, "once" if self.recording else "none")
        origin = re.sub(r"/v1/?$", "", self.server_url)
        self._betamax.use_cassette(
            name,
            record=record,
            serialize_with=SERIALIZER,
            match_requests_on=["method", self._matcher],
            # The origin first: its host:port is then gone from what the second one sees.
            placeholders=[{"placeholder": _ORIGIN_PLACEHOLDER, "replace": origin},
                          {"placeholder": _HOST_PLACEHOLDER, "replace": urlsplit(origin).netloc}],
        )
        cassette = self._betamax.current_cassette
        cassette.serializer.proxied_serializer = KintoSerializer(self.scrub)
        self._betamax.start()
        self._tap = _Tap(self, self._betamax.betamax_adapter)
        self._mount(self.session)

    @staticmethod
    def will_record(cassette_dir: str | os.PathLike[str], name: str,
                    mode: str | None = None) -> bool:
        """Whether this cassette is recorded (and so needs a live server) in ``mode``."""
        mode = record_mode(mode)
        missing = not Path(cassette_dir, f"{name}.json").exists()
        return mode in ("all", "new") or (mode == "once" and missing)

    def describe_cassette(self) -> str:
        with contextlib.suppress(ValueError):
            return str(self.cassette_path.relative_to(Path.cwd()))
        return str(self.cassette_path)

    def record_command(self, mode: str) -> str:
        """The command that records this test alone in ``mode``."""
        if self.command is None:
            return f"{RECORD_MODE_ENV}={mode} (this cassette only)"
        return f"pytest --kinto-record-mode={mode} {self.command}"

    @property
    def cassette(self) -> Any:
        """The betamax cassette both sides answer from and record into (the requests tap
        through betamax's adapter, the httpx one directly)."""
        return self._betamax.current_cassette

    def mismatch(self, request: requests.PreparedRequest) -> CassetteMismatch:
        """The error for ``request``, which the cassette holds no answer for (kept in
        ``mismatches``: the plugin reports it even if the code under test swallows it)."""
        cassette = self.cassette
        error = CassetteMismatch(explain(
            request, [(i.data["request"], i.used) for i in cassette.interactions],
            self.scrub, self.describe_cassette(), self.record_command("all")))
        self.mismatches.append(error)
        return error

    def httpx_transport(self) -> AsyncCassetteTransport:
        """An ``httpx.AsyncBaseTransport`` on this cassette (needs the ``aio`` extra): for an
        ``httpx.AsyncClient(transport=...)`` of your own. Same cassette, same matching, same
        scrubbing and the same failures as the requests side."""
        from .httpx_cassette import AsyncCassetteTransport

        return AsyncCassetteTransport(self)

    def httpx_client(self) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` on this cassette, as kinto_query makes one for an
        ``HttpxWire`` given none (``kinto_query._wire.http.new_httpx_client``, which
        :meth:`route_clients` replaces by this): no redirects followed (the transport decides),
        and no proxies from the environment, which would send around the cassette."""
        import httpx

        return httpx.AsyncClient(transport=self.httpx_transport(), follow_redirects=False,
                                 trust_env=False)

    def async_transport(self, *, auth: AuthLike = None, **options: Any) -> AsyncTransport:
        """An ``AsyncTransport`` (``kinto_query.aio``) on this cassette, as :meth:`client` is
        a Client on it (credentials are never written, however they are set)."""
        from .._wire._async.transport import AsyncTransport

        options.setdefault("id_factory", self.new_id)
        if "wire" not in options:
            with self._owned_httpx_client():
                return AsyncTransport(self.server_url, auth=auth, **options)
        return AsyncTransport(self.server_url, auth=auth, **options)

    def async_client(self, *, auth: AuthLike = None, **options: Any) -> AsyncClient:
        """An ``AsyncClient`` (``kinto_query.aio``) on this cassette, as :meth:`client` is a
        Client on it (credentials are never written, however they are set)."""
        from .._objects._async.client import AsyncClient

        options.setdefault("id_factory", self.new_id)
        if "wire" not in options:
            with self._owned_httpx_client():
                return AsyncClient(self.server_url, auth=auth, **options)
        return AsyncClient(self.server_url, auth=auth, **options)

    @contextlib.contextmanager
    def _owned_httpx_client(self) -> Iterator[None]:
        """While inside, a transport built without ``wire=`` makes its ``HttpxWire`` on this
        cassette's httpx client, and owns it: ``aclose()`` (``async with``) closes it, as it
        closes the one it makes off the cassette. A ``wire=HttpxWire(client)`` would be the
        caller's, never closed."""
        from .._wire import http as _wire

        saved = _wire.new_httpx_client
        _wire.new_httpx_client = self.httpx_client
        try:
            yield
        finally:
            _wire.new_httpx_client = saved

    def _mount(self, session: requests.Session) -> requests.Session:
        for prefix in ("http://", "https://"):
            session.mount(prefix, self._tap)
        return session

    def new_session(self) -> requests.Session:
        """A session of its own (for another client, another thread) on this cassette."""
        return self._mount(RecordableSession())

    def new_id(self) -> str:
        """A UUID4 for a new record, the same on replay as when recorded: the n-th of a
        sequence drawn from the cassette's name (a request naming it then matches)."""
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def client(self, *, auth: AuthLike = None, **options: Any) -> Client:
        """A Client on this cassette (credentials are never written, however they are set)."""
        options.setdefault("id_factory", self.new_id)
        return Client(self.server_url, auth=auth, session=self.session, **options)

    @contextlib.contextmanager
    def route_clients(self) -> Iterator[None]:
        """While inside: every Client built without a session of its own, and every async
        one (``AsyncTransport``...) built without a wire of its own, talks through this
        cassette; one built without a URL talks to this recorder's server
        (``KINTO_SERVER_URL``), and the ids of new records are :meth:`new_id`'s."""
        from .._wire import http as _wire

        saved_url = os.environ.get("KINTO_SERVER_URL")
        os.environ["KINTO_SERVER_URL"] = self.server_url
        routed = Config(session_factory=self.new_session, id_factory=self.new_id)
        # The async side's httpx client, made when an HttpxWire is given none.
        saved_httpx_client = _wire.new_httpx_client
        _wire.new_httpx_client = self.httpx_client
        try:
            with routed.as_default():
                yield
        finally:
            _wire.new_httpx_client = saved_httpx_client
            if saved_url is None:
                os.environ.pop("KINTO_SERVER_URL", None)
            else:
                os.environ["KINTO_SERVER_URL"] = saved_url

    def stop(self, *, keep: bool = True) -> None:
        """Write the cassette (when recording) and close it. ``keep=False`` (the test failed)
        leaves the cassette as it was before; so does a recording that sent nothing."""
        try:
            self._betamax.stop()
        finally:
            self.session.close()
            unregister_matcher(self._matcher)
        if self.recording and (not keep or self.sent == 0):
            if self._before is None:
                self.cassette_path.unlink(missing_ok=True)
                for folder in self._made:
                    with contextlib.suppress(OSError):  # another cassette may be in it now
                        folder.rmdir()
            else:
                self.cassette_path.write_bytes(self._before)

    def nothing_recorded(self) -> NothingRecorded:
        """The error for a recording that sent nothing through this recorder."""
        return NothingRecorded(
            f"recorded nothing into {self.describe_cassette()}: no request went through the "
            "recorder. Use the kinto_client fixture (kinto_async_transport for async code), "
            "or build clients while kinto_recorder is active without passing session= (async "
            "ones without wire=: they are then routed through it), at the URL "
            "kinto_recorder.server_url (KINTO_SERVER_URL is set to it)")
