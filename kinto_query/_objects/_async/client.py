"""The Client: one Kinto server, its configuration, and the buckets on it."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from requests.auth import AuthBase

from ..._config import Config, Options
from ..._endpoints import endpoint_path
from ..._queries._async.query import AsyncQuery
from ..._server._async.accounts import AsyncAccounts
from ..._server._async.accounts import whoami as ask_whoami
from ..._server._async.fetch_changed import fetch_changed
from ..._server._async.grants import AsyncGrantQuery
from ..._server._async.monitor import AsyncMonitor
from ..._server.account import Identity
from ..._server.fetch_changed import FetchReport, Seen, Verify
from ..._wire._async.transport import AsyncTransport
from ..._wire.dry_run import PlannedWrite
from ..bulk import Progress
from ..features.client import AsyncClientFeatures
from ..state import loader
from .bucket import AsyncBucket
from .mixed_batch import AsyncBatch

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["AsyncClient"]


class AsyncClient(AsyncClientFeatures):
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
        self.transport = AsyncTransport(server_url, config=config, **options)

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

    def __repr__(self) -> str:
        auth = f", auth={self.auth!r}" if self.auth is not None else ""
        dry = ", dry_run=True" if self.dry_run else ""  # a rehearsing script shows it
        return f"<{type(self).__name__} {self.server_url!r}{auth}{dry}>"

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client, if this client created it (an injected one is the caller's)."""
        await self.transport.aclose()

    def bucket(self, bucket_id: str) -> AsyncBucket:
        """A handle on a bucket; no request is made.

        >>> Client().bucket("b")
        <Bucket '/buckets/b'>
        """
        return AsyncBucket(bucket_id, client=self)

    def buckets(self) -> AsyncQuery[AsyncBucket]:
        """The lazy query of the buckets you may read (same builders as records).

        >>> Client().buckets().sort("id").url
        'http://localhost:8888/v1/buckets?_sort=id'
        """

        return AsyncQuery(
            self.transport,
            endpoint_path("buckets"),
            loader(self.bucket),
            item_path=lambda bucket_id: endpoint_path("bucket", bucket=bucket_id),
        )

    async def server_info(self) -> dict[str, Any]:
        """``GET /v1/`` (settings, capabilities, user), fetched once and cached."""
        return await self.transport.server_info()

    def batch(
        self,
        *,
        raise_on_error: bool = True,
        chunk_size: int | None = None,
        progress: Progress | None = None,
    ) -> AsyncBatch:
        """A mixed batch: creates, saves, patches, deletes and reads of any buckets,
        collections, groups and records, queued in a ``with`` block and sent when it ends,
        in ``POST /batch`` chunks of the server's ``batch_max_requests`` (see ``Batch``).
        An exception raised inside the block sends nothing. On the async side: ``async with
        client.batch() as batch:``.

        >>> with client.batch() as batch:
        ...     created = batch.create(todo.record({"title": "milk"}))
        >>> created.result().data.title
        'milk'
        """
        return AsyncBatch(
            self.transport, raise_on_error=raise_on_error, chunk_size=chunk_size,
            progress=progress)

    # -- Remote Settings (kinto-changes) -------------------------------------------------------

    def monitor(self) -> AsyncMonitor:
        """The Remote Settings monitor (kinto-changes): a lazy query of one entry per
        monitored collection (bucket, collection, last_modified).

        >>> Client().monitor().filter(bucket="main").url
        'http://localhost:8888/v1/buckets/monitor/collections/changes/changeset?_expected=0&bucket=main'
        """
        return AsyncMonitor(self.transport)

    async def fetch_changed(self, seen: Seen = None, *, bucket: str | None = None,
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
        return await fetch_changed(self, seen, bucket=bucket, collection=collection,
                                   concurrency=concurrency, verify=verify)

    # -- who you are, what you may do (plugins) -----------------------------------------------

    def permissions(self) -> AsyncGrantQuery:
        """The lazy query of what you may do where (``GET /permissions``, every page).

        >>> Client().permissions().filter(resource_name="collection", bucket_id="b").url
        'http://localhost:8888/v1/permissions?resource_name=collection&bucket_id=b'
        """
        return AsyncGrantQuery.of_server(self.transport)

    @property
    def accounts(self) -> AsyncAccounts:
        """The server's accounts: ``client.accounts.create("ann", "s3cret")``."""
        return AsyncAccounts(self.transport)

    async def whoami(self, *, expect_account: bool = False) -> Identity:
        """Who the server takes this client for (user id, principals), from ``GET /v1/``.

        Raises ``NotAuthenticated`` (an ``Unauthorized``) if credentials were given but the
        server authenticated nobody, and with ``expect_account=True`` if the Basic-auth user
        name was not authenticated as the account ``account:<name>``.
        """
        return await ask_whoami(self.transport, expect_account=expect_account)
