"""A partitioned scan as a Dask bag or dataframe (``dask`` extra): one Dask partition per
part of ``query.partition(k)``, each read by a worker with a client of its own.

The graph is the same whichever side built it (``Query`` or ``kinto_query.aio``'s
``AsyncQuery``): the parts are always read by sync code in Dask's workers.

A worker cannot be handed a live client (a requests session does not travel between
processes): each part travels as a ``ScanPart``, plain values (the connection's ``Config``
without its session or factories, the endpoint's path, the query's state), from which the
worker builds its own transport. The credentials travel inside the task, as they must for
the worker to send them; they never appear in a repr or a key name (the Dask graph's keys
are random names), so not in Dask's logs either.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import inspect
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .._config import Config, configure
from .._wire._blocking.transport import Transport
from ..exceptions import ConfigurationError

if TYPE_CHECKING:
    import dask.bag
    import dask.dataframe

    from ._blocking.query import Query
    from .listing import _State

__all__ = ["ScanPart", "bag", "configs", "dataframe", "parts", "require"]

DASK_INSTALL = "pip install 'kinto_query[dask]'"


def require(what: str) -> Any:
    """``dask.bag`` or ``dask.dataframe`` (``what``), or ``ConfigurationError`` saying how to
    install it."""
    try:
        return importlib.import_module(f"dask.{what}")
    except ImportError:
        raise ConfigurationError(f"a Dask {what} of a scan needs dask: {DASK_INSTALL}") from None


@dataclasses.dataclass(frozen=True, repr=False)
class ScanPart:
    """One part of a partitioned scan as plain, picklable values: where a worker builds its
    own client from (``config`` holds the credentials; its repr, and this one, never show
    them)."""

    config: Config
    path: str
    state: _State

    def query(self, transport: Transport) -> Query[dict[str, Any]]:
        """This part's query of plain JSON objects, sent through ``transport``."""
        from ._blocking.query import Query
        from .listing import _as_sent

        path = self.path
        return Query(transport, path, _as_sent,
                     item_path=lambda object_id: f"{path}/{quote(object_id, safe='')}",
                     _state=self.state)

    def dicts(self) -> list[dict[str, Any]]:
        """Every object of this part, as the server sent it (what a bag partition holds)."""
        with contextlib.closing(Transport(config=self.config)) as transport:
            return list(self.query(transport))

    def frame(self, schema: Any, strict: bool) -> Any:
        """This part as a pandas ``DataFrame`` of ``schema`` (``strict``: a field it lacks is
        an error, not left out)."""
        with contextlib.closing(Transport(config=self.config)) as transport:
            table = self.query(transport).to_arrow(schema, strict=strict)
        return table.to_pandas()

    def __repr__(self) -> str:
        return f"<ScanPart {self.config.server_url}{self.path}>"


def configs(config: Config, servers: Sequence[str] | None) -> list[Config]:
    """The configuration of each server (default: ``config``'s), checked, as a worker takes
    it: without a session or a factory of this process (a worker makes its own), and
    without an async wire (an ``AsyncClient``'s httpx client: a worker reads with a sync
    client, over requests)."""
    if isinstance(servers, str):
        raise ConfigurationError("servers= takes a list of server URLs, not one string")
    urls = list(servers) if servers else [config.server_url]
    wire = config.wire
    if wire is not None and inspect.iscoroutinefunction(getattr(wire, "exchange", None)):
        wire = None
    return [dataclasses.replace(configure(url, config), session=None, session_factory=None,
                                id_factory=None, wire=wire) for url in urls]


def parts(server_configs: Sequence[Config], path: str,
          states: Sequence[_State]) -> list[ScanPart]:
    """The parts, part ``i`` on ``server_configs[i % len(server_configs)]``."""
    n = len(server_configs)
    return [ScanPart(server_configs[i % n], path, state) for i, state in enumerate(states)]


def _name() -> str:
    # Random: a name derived from the tasks' arguments would be a hash of the credentials.
    return f"kinto-scan-{uuid.uuid4().hex}"


def bag(scan_parts: list[ScanPart]) -> dask.bag.Bag:
    """A Dask bag of plain JSON objects, one partition per part."""
    db = require("bag")
    from dask.delayed import delayed

    name = _name()
    read = delayed(ScanPart.dicts, pure=False)
    made: dask.bag.Bag = db.from_delayed(
        [read(part, dask_key_name=(name, i)) for i, part in enumerate(scan_parts)])
    return made


def dataframe(scan_parts: list[ScanPart], schema: Any, strict: bool) -> dask.dataframe.DataFrame:
    """A Dask dataframe of ``schema``, one partition per part (``strict``: see
    ``ScanPart.frame``)."""
    dd = require("dataframe")
    import dask
    from dask.delayed import delayed

    name = _name()
    read = delayed(ScanPart.frame, pure=False)
    # Dask turns object columns into strings by default: a nested object (a dict, as pyarrow
    # gives a struct to pandas) would become the string of its repr.
    with dask.config.set({"dataframe.convert-string": False}):
        made: dask.dataframe.DataFrame = dd.from_delayed(
            [read(part, schema, strict, dask_key_name=(name, i))
             for i, part in enumerate(scan_parts)],
            meta=schema.empty_table().to_pandas(), verify_meta=False)
    return made
