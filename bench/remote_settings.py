"""The Remote Settings work: read the monitor, then every changed collection's changeset, as
every Remote Settings reader does. ``client.fetch_changed()`` (changesets in flight at once)
against the loop readers write by hand (one changeset after another), over a loopback proxy
that adds 50 ms per request and on plain loopback (no proxy).

The server is the test kit's ``RemoteSettingsServer`` (memory backend), its collections
published (reviewed and signed) at start, untimed."""

from __future__ import annotations

from collections.abc import Callable

from kinto_query import Client
from kinto_query.testing import RemoteSettingsServer

from .timing import Figure, Prepare, alternate, set_ratios
from .writes import _faultproxy


def _one_by_one(client: Client) -> int:
    """The reader's loop: the monitor, then each changeset in turn, ``_expected`` set."""
    records = 0
    for entry in client.monitor():
        changes = client.bucket(entry.bucket).collection(entry.collection).changeset(
            expected=entry.last_modified)
        records += len(changes.records)
    return records


def _concurrently(client: Client, concurrency: int) -> int:
    report = client.fetch_changed(concurrency=concurrency)
    if report.failed:
        raise AssertionError(report.summary())
    return sum(len(f.changeset.records) for f in report if f.changeset is not None)


def fetch_changed(collections: int, records: int, rounds: int, latency: float = 0.05,
                  concurrency: int = 10) -> list[Figure]:
    """``collections`` collections of ``records`` records each, read whole each round."""
    faultproxy = _faultproxy()
    with RemoteSettingsServer() as server:
        for n in range(collections):
            server.publish(f"c{n:02d}", [{"id": f"r{i}", "n": i} for i in range(records)])
        with faultproxy.FaultProxy(server.url, latency=latency) as far:
            contenders: dict[str, Prepare] = {}
            for link, url in ((f"+{latency * 1000:.0f} ms", far.url), ("loopback", server.url)):
                client = Client(url)
                client.server_info()  # fetched once per client, before the clock starts
                runs: dict[str, Callable[[], int]] = {
                    "one by one": lambda client=client: _one_by_one(client),
                    f"fetch_changed(concurrency={concurrency})":
                        lambda client=client: _concurrently(client, concurrency),
                }
                for label, run in runs.items():
                    contenders[f"{label}, {link}"] = lambda _round, run=run: run
            figures = alternate("fetch everything that changed (Remote Settings)", "memory",
                                collections, contenders, rounds=rounds,
                                expected=collections * records, warm_up=True, ratio_to=None)
    for link in (f"+{latency * 1000:.0f} ms", "loopback"):
        pair = [f for f in figures if f.contender.endswith(link)]
        set_ratios(pair, f"one by one, {link}")
    for figure in figures:
        figure.extra.update(latency_s=latency, concurrency=concurrency, records=records)
    figures[0].extra["note"] = (f"{collections} collections of {records} records: the monitor, "
                                "then each changeset; ratios to one by one on the same link")
    return figures
