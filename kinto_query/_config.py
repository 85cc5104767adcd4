"""The configuration of a connection: one value, taken by every entry point.

``Client``, ``Bucket`` and ``Transport`` accept a ``Config`` (``config=``) and the same
options as keywords, which override the ones of ``config``; a transport's copy (for another
thread) is made from its ``Config``, so no option is ever dropped on the way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Literal, TypedDict, Union

import requests

from ._auth import AuthLike
from ._retry import DEFAULT_RETRY, RetryPolicy
from ._urls import DEFAULT_SERVER_URL, check_server_url

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._wire.http import AsyncWire, Wire

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_TIMEOUT", "Config", "OnBackoff", "Options", "Timeout",
           "configure", "new_record_id"]

# (connect, read) seconds: long enough for a 10,000-record page, short enough never to hang.
DEFAULT_TIMEOUT = (5.0, 60.0)
# Seconds one attempt may take in all, body included: a body that trickles in cannot hang.
DEFAULT_DEADLINE = 120.0
Timeout = Union[float, tuple[float, float]]  # noqa: UP007 - runtime alias on 3.10
OnBackoff = Literal["wait", "raise"]


def new_record_id() -> str:
    """The id of a new record whose data has none, by default: a UUID4 (so a retried create
    can never make a duplicate)."""
    return str(uuid.uuid4())


def _positive(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


@dataclasses.dataclass(frozen=True)
class Config:
    """How to reach one Kinto server: URL, credentials, session, timeouts, retries.

    ``server_url`` None means ``$KINTO_SERVER_URL``, then ``http://localhost:8888/v1`` (read
    when a transport is made). ``session`` is used as given (and never closed by us); without
    one, each transport makes its own. ``timeout`` bounds connecting and each read;
    ``deadline`` a whole attempt, body included; ``retry`` (None: no retries) retries reads
    and safe writes; ``on_backoff`` is ``"wait"`` or ``"raise"`` while the server asks
    clients to back off; ``user_agent`` (e.g. ``"myproduct/1.2"``) goes in front of the
    ``User-Agent`` every request sends. ``session_factory`` makes the session of a transport
    given none, ``id_factory`` the id of a new record whose data has none (None: those of the
    default configuration, see ``as_default``; else ``requests.Session`` and a UUID4).
    ``dry_run=True``: every read is sent, no write is; each write is answered as the server
    would from its current state and recorded (``Client.dry_run_log``). ``wire`` carries the
    exchanges instead of a requests session (``Client``) or an httpx client (``AsyncClient``):
    see ``kinto_query._wire.http``. Its repr shows no credentials.

    >>> config = Config("http://localhost:8888/v1", auth=("alice", "s3cret"), retry=None)
    >>> Client(config=config, deadline=30.0).transport.deadline
    30.0
    """

    server_url: str | None = None
    auth: AuthLike = dataclasses.field(default=None, repr=False)
    session: requests.Session | None = dataclasses.field(default=None, repr=False)
    headers: Mapping[str, str] | None = dataclasses.field(default=None, repr=False)
    timeout: Timeout = DEFAULT_TIMEOUT
    deadline: float = DEFAULT_DEADLINE
    retry: RetryPolicy | None = DEFAULT_RETRY
    on_backoff: OnBackoff = "wait"
    user_agent: str | None = None
    session_factory: Callable[[], requests.Session] | None = dataclasses.field(
        default=None, repr=False)
    id_factory: Callable[[], str] | None = dataclasses.field(default=None, repr=False)
    dry_run: bool = False
    wire: Wire | AsyncWire | None = dataclasses.field(default=None, repr=False)

    @staticmethod
    def default() -> Config:
        """What an entry point given no ``config=`` starts from (``Config()`` unless inside
        ``as_default``)."""
        return _default

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Config]:
        """While inside: every ``Client``, ``Bucket`` or ``Transport`` made without ``config=``
        starts from this configuration, and one made with a ``config`` lacking factories takes
        this one's. Process-wide (a test's setup, e.g. how ``kinto_query.testing`` routes the
        clients a test builds through its cassette); not for concurrent use.

        >>> with Config(id_factory=lambda: "fixed").as_default():
        ...     Client().bucket("b").collection("c").record({"title": "x"}).id
        'fixed'
        """
        global _default
        saved, _default = _default, self
        try:
            yield self
        finally:
            _default = saved

    def __post_init__(self) -> None:
        timeouts = self.timeout if isinstance(self.timeout, tuple) else (self.timeout,)
        if not (len(timeouts) in (1, 2) and all(_positive(v) for v in timeouts)):
            raise ValueError("timeout must be a positive number of seconds or a (connect, read) "
                             "pair")
        if not _positive(self.deadline):
            raise ValueError("deadline must be a positive number of seconds")
        if self.retry is not None and not isinstance(self.retry, RetryPolicy):
            raise TypeError("retry must be a RetryPolicy, or None for no retries")
        if self.on_backoff not in ("wait", "raise"):
            raise ValueError("on_backoff must be 'wait' or 'raise'")
        ua = self.user_agent
        if ua is not None and (not isinstance(ua, str) or not ua.strip()
                               or any(c in ua for c in "\r\n")):
            raise ValueError("user_agent must be a product token such as 'myproduct/1.2'")
        if not isinstance(self.dry_run, bool):
            raise TypeError("dry_run must be True or False")
        object.__setattr__(self, "deadline", float(self.deadline))
        object.__setattr__(self, "headers", dict(self.headers or {}))


class Options(TypedDict, total=False):
    """The fields of ``Config`` but ``server_url`` (an argument of its own), as the keywords
    every entry point takes (for type checkers)."""

    auth: AuthLike
    session: requests.Session | None
    headers: Mapping[str, str] | None
    timeout: Timeout
    deadline: float
    retry: RetryPolicy | None
    on_backoff: OnBackoff
    user_agent: str | None
    session_factory: Callable[[], requests.Session] | None
    id_factory: Callable[[], str] | None
    dry_run: bool
    wire: Wire | AsyncWire | None


_default = Config()


def configure(server_url: str | None, config: Config | None, /,
              **options: Unpack[Options]) -> Config:
    """``config`` (or the default one) with ``server_url`` (unless None) and the options
    given as keywords on top, complete: its server URL (checked) and factories filled in.

    >>> configure(None, Config("http://h.test/v1"), deadline=5).deadline
    5.0
    """
    base = config if config is not None else _default
    if not isinstance(base, Config):
        raise TypeError(f"config must be a kinto_query.Config, got {type(base).__name__}")
    if server_url is not None:
        options["server_url"] = server_url  # type: ignore[typeddict-unknown-key]
    given = dataclasses.replace(base, **options) if options else base
    url = given.server_url or os.environ.get("KINTO_SERVER_URL") or DEFAULT_SERVER_URL
    return dataclasses.replace(
        given,
        server_url=check_server_url(url),
        session_factory=given.session_factory or _default.session_factory or requests.Session,
        id_factory=given.id_factory or _default.id_factory or new_record_id,
    )
