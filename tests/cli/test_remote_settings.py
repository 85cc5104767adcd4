"""Tests of cli/remote_settings.py: ``kinto-query changeset`` and ``kinto-query monitor`` run as
a user does, against the kit's live Remote Settings server."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinto_query.testing import RemoteSettingsServer

from .clitools import Terminal, cli_env, jsonl, one_error_line, run

REGIONS = [{"id": "fr", "name": "France"}, {"id": "de", "name": "Germany"}]


@pytest.fixture
def published(kinto_fresh_rs_server: RemoteSettingsServer) -> tuple[int, int]:
    """main/regions published twice (the second time: it added, de deleted), main/fonts once."""
    first = kinto_fresh_rs_server.publish("regions", REGIONS)
    second = kinto_fresh_rs_server.publish("regions", [{"id": "it", "name": "Italy"}],
                                           delete=["de"])
    kinto_fresh_rs_server.publish("fonts", [{"id": "mono"}])
    return first, second


def test_changeset_prints_records_in_a_pipe_and_verifies_the_signature(
    kinto_fresh_rs_server: RemoteSettingsServer, published: tuple[int, int], tmp_path: Path
) -> None:
    server = kinto_fresh_rs_server
    key = tmp_path / "key.pem"
    key.write_bytes(server.public_key_pem)
    done = run(["changeset", "main/regions", "--verify", str(key)], server=server.url, auth=None)
    assert done.status == 0, done.err
    first, second = published
    assert sorted((r["id"], r["name"]) for r in jsonl(done.out)) == [("fr", "France"),
                                                                     ("it", "Italy")]
    assert done.err.startswith(f"main/regions: timestamp {second} (")
    assert done.err.endswith("UTC), 2 records, 0 deleted; signature verified\n")
    since = run(["changeset", "main/regions", "--since", str(first)], server=server.url,
                auth=None)
    assert since.status == 0, since.err
    assert sorted((r["id"], r.get("deleted", False)) for r in jsonl(since.out)) == [
        ("de", True), ("it", False)]
    assert "1 records, 1 deleted; signature not checked" in since.err


def test_a_signature_that_does_not_verify_has_its_own_exit_status(
    kinto_fresh_rs_server: RemoteSettingsServer, published: tuple[int, int], tmp_path: Path
) -> None:
    with RemoteSettingsServer() as other:
        key = tmp_path / "other.pem"
        key.write_bytes(other.public_key_pem)
    done = run(["changeset", "main/regions", "--verify", str(key)],
               server=kinto_fresh_rs_server.url, auth=None)
    assert done.status == 7 and done.out == ""
    assert "signature" in one_error_line(done.err)


def test_changeset_of_a_missing_collection_or_a_plain_kinto_fails_clearly(
    kinto_fresh_rs_server: RemoteSettingsServer, kinto_fresh_server: str
) -> None:
    missing = run(["changeset", "main/nope", "--expected", "0"],
                  server=kinto_fresh_rs_server.url)
    assert missing.status in (3, 4), missing.err  # Kinto may hide what you cannot read
    one_error_line(missing.err)
    plain = run(["changeset", "b/c", "--expected", "0"], server=kinto_fresh_server)
    assert plain.status == 3
    assert one_error_line(plain.err) == (
        "error: GET /v1/buckets/b/collections/c/changeset?_expected=0 -> 404 Not Found: this "
        "server has no kinto-changes plugin (turned on by kinto_changes in kinto.includes) "
        "(errno 111)")


def test_monitor_lists_collections_filters_and_shows_its_url(
    kinto_fresh_rs_server: RemoteSettingsServer, published: tuple[int, int]
) -> None:
    url = kinto_fresh_rs_server.url
    done = run(["monitor"], server=url, auth=None)
    assert done.status == 0, done.err
    entries = jsonl(done.out)
    assert sorted(e["collection"] for e in entries) == ["fonts", "regions"]
    assert {e["bucket"] for e in entries} == {"main"}
    assert all(set(e) == {"bucket", "collection", "last_modified", "host"} for e in entries)
    regions = next(e for e in entries if e["collection"] == "regions")
    assert regions["last_modified"] == published[1]
    newest = max(e["last_modified"] for e in entries)
    assert done.err == f"2 collections; monitor timestamp {newest}\n"
    only = run(["monitor", "--collection", "fonts"], server=url, auth=None)
    assert [e["collection"] for e in jsonl(only.out)] == ["fonts"]
    later = run(["monitor", "--since", str(published[1])], server=url, auth=None)
    assert [e["collection"] for e in jsonl(later.out)] == ["fonts"]
    shown = run(["monitor", "--bucket", "main", "--url"], server=url, auth=None)
    assert shown.out == (f"GET {url}/buckets/monitor/collections/changes/changeset"
                         "?_expected=0&bucket=main\n")


def test_on_a_terminal_the_monitor_is_a_table(
    kinto_fresh_rs_server: RemoteSettingsServer, published: tuple[int, int],
    terminal: Terminal,
) -> None:
    terminal.start(["monitor"], cli_env(kinto_fresh_rs_server.url, None))
    screen = terminal.wait_for("EXIT=")
    assert "EXIT=0" in screen
    cells = [[c.strip() for c in line.replace("┃", "│").split("│")]
             for line in screen.splitlines()]
    assert ["bucket", "collection", "last_modified", "date (UTC)"] in cells
    assert any(row[:3] == ["main", "regions", str(published[1])] for row in cells)
