"""The Client: one Kinto server, its configuration, and the buckets on it."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

import requests
from requests.auth import AuthBase

from ._accounts import Accounts, Identity
from ._accounts import whoami as ask_whoami
from ._batch import chunk_size_of
from ._bucket import Bucket
from ._config import Config, Options
from ._dry_run import PlannedWrite
from ._endpoints import endpoint_path
from ._fetch_changed import FetchReport, Seen, Verify, fetch_changed
from ._grants import GrantQuery
from ._mixed_batch import Batch, Progress
from ._monitor import Monitor
from ._plugins import flush as flush_server
from ._query import Query
from ._resource import loader
from ._transport import Transport

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["Client"]


class Client:
    """A connection to one Kinto server.

    ``server_url`` defaults to ``$KINTO_SERVER_URL``, then ``http://localhost:8888/v1``. The
    other options (``auth``, ``session``, ``headers``, ``timeout``, ``deadline``, ``retry``,
    ``on_backoff``, ``user_agent``) are those of ``Config``: pass them as keywords, or a
    ``Config`` as ``config=`` (keywords given too override its fields). ``retry`` (a
    ``RetryPolicy``, or None for none) retries reads and safe writes on 429, 502, 503, 504 and
    lost connections.
    ``user_agent`` (e.g. ``"myproduct/1.2"``) goes in front of the ``User-Agent`` every
    request sends (``kinto_query/<version> requests/<v> python/<v>``). ``dry_run=True``
    sends every read and no write: each write is answered as the server would answer it
    now and recorded in ``dry_run_log``.

    >>> client = Client("http://localhost:8888/v1", auth=("alice", "s3cret"))
    >>> client.bucket("b").collection("todo")
    <Collection '/buckets/b/collections/todo'>
    """

    def __init__(
        self,
        server_url: str | None = None,
        *,
        config: Config | None = None,
        **options: Unpack[Options],
    ) -> None:
        self.transport = Transport(server_url, config=config, **options)

    @property
    def config(self) -> Config:
        """The configuration of this client (its server URL resolved)."""
        return self.transport.config

    @property
    def dry_run(self) -> bool:
        """Whether this client plans its writes instead of sending them (``dry_run=True``)."""
        return self.transport.dry_run

    @property
    def dry_run_log(self) -> tuple[PlannedWrite, ...]:
        """The writes this dry-run client did not send, in order, each with the answer
        predicted from the server's state (``PlannedWrite``); empty when not a dry run.

        >>> dry = Client(auth=("alice", "s3cret"), dry_run=True)   # $KINTO_SERVER_URL
        >>> dry.bucket("w").collection("todo").create_record({"id": "r4", "title": "tea"})
        <Record 'r4' last_modified=...>
        >>> [str(write) for write in dry.dry_run_log]
        ['PUT /buckets/w/collections/todo/records/r4 (If-None-Match: *) -> 201 created']
        """
        return self.transport.dry_run_log

    @property
    def server_url(self) -> str:
        """The server's API root, e.g. ``http://localhost:8888/v1``."""
        return self.transport.server_url

    @property
    def auth(self) -> AuthBase | None:
        """The credentials, as a requests auth object (its repr hides secrets)."""
        return self.transport.auth

    @property
    def session(self) -> requests.Session:
        """The requests session every request goes through."""
        return self.transport.session

    def __repr__(self) -> str:
        auth = f", auth={self.auth!r}" if self.auth is not None else ""
        dry = ", dry_run=True" if self.dry_run else ""  # a rehearsing script shows it
        return f"<Client {self.server_url!r}{auth}{dry}>"

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the session, if this client created it (an injected one is the caller's)."""
        self.transport.close()

    def bucket(self, bucket_id: str) -> Bucket:
        """A handle on a bucket; no request is made.

        >>> Client().bucket("b")
        <Bucket '/buckets/b'>
        """
        return Bucket(bucket_id, client=self)

    def buckets(self) -> Query[Bucket]:
        """The lazy query of the buckets you may read (same builders as records).

        >>> Client().buckets().sort("id").url
        'http://localhost:8888/v1/buckets?_sort=id'
        """

        return Query(
            self.transport,
            endpoint_path("buckets"),
            loader(self.bucket),
            item_path=lambda bucket_id: endpoint_path("bucket", bucket=bucket_id),
        )

    def server_info(self) -> dict[str, Any]:
        """``GET /v1/`` (settings, capabilities, user), fetched once and cached."""
        return self.transport.server_info()

    @property
    def batch_max_requests(self) -> int:
        """How many requests one batch may hold (Kinto's default 25 when none is advertised)."""
        return chunk_size_of(self.transport)

    @property
    def capabilities(self) -> dict[str, Any]:
        """The server's plugins and features, by name."""
        capabilities: dict[str, Any] = self.server_info().get("capabilities", {})
        return capabilities

    def batch(
        self,
        *,
        raise_on_error: bool = True,
        chunk_size: int | None = None,
        progress: Progress | None = None,
    ) -> Batch:
        """A mixed batch: creates, saves, patches, deletes and reads of any buckets,
        collections, groups and records, queued in a ``with`` block and sent when it ends,
        in ``POST /batch`` chunks of the server's ``batch_max_requests`` (see ``Batch``).
        An exception raised inside the block sends nothing.

        >>> with client.batch() as batch:
        ...     created = batch.create(todo.record({"title": "milk"}))
        >>> created.result().data.title
        'milk'
        """
        return Batch(self.transport, raise_on_error=raise_on_error, chunk_size=chunk_size,
                     progress=progress)
    # -- server-wide endpoints (plugins) -------------------------------------------------------

    def monitor(self) -> Monitor:
        """The Remote Settings monitor (kinto-changes): a lazy query of one entry per
        monitored collection (bucket, collection, last_modified).

        >>> Client().monitor().filter(bucket="main").url
        'http://localhost:8888/v1/buckets/monitor/collections/changes/changeset?_expected=0&bucket=main'
        """
        return Monitor(self.transport)

    def fetch_changed(self, seen: Seen = None, *, bucket: str | None = None,
                      collection: str | None = None, concurrency: int = 10,
                      verify: Verify | None = None) -> FetchReport:
        """Read the monitor, then the changeset of every collection that changed since
        ``seen`` (``{"bucket/collection": timestamp}``, or the previous ``FetchReport``),
        ``concurrency`` at a time, each with ``_expected`` its monitor timestamp and
        ``_since`` the one seen. Each collection gets its result or its error (``verify``,
        e.g. ``SignatureVerifier(...).verify``, runs on each changeset; what it raises is
        that collection's error); ``report.timestamps`` is the next ``seen``.

        >>> report = client.fetch_changed(bucket="main")
        >>> list(report.timestamps)
        ['main/regions']
        >>> later = client.fetch_changed(report)  # only what changed since
        >>> later.fetched, later.unchanged
        ((), ('main/regions',))
        """
        return fetch_changed(self, seen, bucket=bucket, collection=collection,
                             concurrency=concurrency, verify=verify)

    def permissions(self) -> GrantQuery:
        """The lazy query of what you may do where (``GET /permissions``, every page).

        >>> Client().permissions().filter(resource_name="collection", bucket_id="b").url
        'http://localhost:8888/v1/permissions?resource_name=collection&bucket_id=b'
        """
        return GrantQuery.of_server(self.transport)

    @property
    def accounts(self) -> Accounts:
        """The server's accounts: ``client.accounts.create("ann", "s3cret")``."""
        return Accounts(self.transport)

    def whoami(self, *, expect_account: bool = False) -> Identity:
        """Who the server takes this client for (user id, principals), from ``GET /v1/``.

        Raises ``NotAuthenticated`` (an ``Unauthorized``) if credentials were given but the
        server authenticated nobody, and with ``expect_account=True`` if the Basic-auth user
        name was not authenticated as the account ``account:<name>``.
        """
        return ask_whoami(self.transport, expect_account=expect_account)

    def flush(self) -> None:
        """Delete everything on the server (``POST /__flush__``): for test servers only.

        Raises ``NotEnabled`` where the flush plugin is off (as it should be in production).
        """
        flush_server(self.transport)
