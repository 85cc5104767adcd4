"""Tests of cli/review.py: ``kinto-query review ...`` run as users do, an editor and a
reviewer, against the kit's live Remote Settings server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from kinto_query import verify_signature
from kinto_query.testing import RemoteSettingsServer
from kinto_query.testing.remote_settings import EDITOR, REVIEWER

from .clitools import Terminal, cli_env, one_error_line, run

REGIONS = [{"id": "fr", "name": "France"}, {"id": "de", "name": "Germany"}]
TARGET = "main-workspace/regions"
ED, REV = ":".join(EDITOR), ":".join(REVIEWER)


@pytest.fixture
def rs(kinto_fresh_rs_server: RemoteSettingsServer) -> RemoteSettingsServer:
    kinto_fresh_rs_server.publish("regions", REGIONS)
    return kinto_fresh_rs_server


def _edit(server: RemoteSettingsServer, record_id: str, name: str) -> None:
    answer = requests.put(f"{server.url}/buckets/{TARGET.replace('/', '/collections/')}"
                          f"/records/{record_id}", json={"data": {"name": name}},
                          auth=EDITOR, timeout=10)
    answer.raise_for_status()


def test_a_cycle_from_the_command_line(rs: RemoteSettingsServer) -> None:
    status = run(["review", "status", TARGET], server=rs.url, auth=ED)
    assert status.status == 0, status.err
    shown = json.loads(status.out)
    assert (shown["status"], shown["workspace"], shown["preview"], shown["destination"]) == (
        "signed", "/buckets/main-workspace/collections/regions",
        "/buckets/main-preview/collections/regions", "/buckets/main/collections/regions")

    _edit(rs, "be", "Belgium?")
    asked = run(["review", "request", TARGET, "-m", "Add Belgium"], server=rs.url, auth=ED)
    assert asked.status == 0, asked.err
    assert asked.err == f"{TARGET}: review requested (status to-review)\n"
    assert json.loads(asked.out)["editor_comment"] == "Add Belgium"

    declined = run(["review", "decline", TARGET, "-m", "Belgium"], server=rs.url, auth=REV)
    assert declined.status == 0, declined.err
    assert json.loads(declined.out)["reviewer_comment"] == "Belgium"

    _edit(rs, "be", "Belgium")
    assert run(["review", "request", TARGET], server=rs.url, auth=ED).status == 0
    mine = run(["review", "approve", TARGET], server=rs.url, auth=ED)
    assert mine.status == 4 and mine.out == ""
    assert "asked for this review yourself, and the last editor" in one_error_line(mine.err)
    approved = run(["review", "approve", TARGET], server=rs.url, auth=REV)
    assert approved.status == 0, approved.err
    assert json.loads(approved.out)["status"] == "signed"

    published = requests.get(f"{rs.url}/buckets/main/collections/regions/changeset",
                             params={"_expected": "0"}, timeout=10).json()
    assert sorted(r["name"] for r in published["changes"]) == ["Belgium", "France", "Germany"]
    verify_signature(published, public_key=rs.public_key_pem)


def test_refusals_have_their_exit_status(rs: RemoteSettingsServer,
                                         kinto_fresh_server: str) -> None:
    rolled = run(["review", "rollback", TARGET], server=rs.url, auth=ED)
    assert rolled.status == 5 and "nothing to roll back" in one_error_line(rolled.err)
    declined = run(["review", "decline", TARGET], server=rs.url, auth=REV)
    assert declined.status == 5
    assert "is not under review (its status is 'signed')" in one_error_line(declined.err)
    owned = run(["review", "approve", "main/regions"], server=rs.url, auth=REV)
    assert owned.status == 4
    assert one_error_line(owned.err).startswith(
        "error: /buckets/main/collections/regions is the destination of "
        "/buckets/main-workspace/collections/regions")
    plain = run(["review", "status", "b/c"], server=kinto_fresh_server)
    assert plain.status == 3
    assert "this server signs nothing" in one_error_line(plain.err)


def test_writing_commands_refuse_a_destination(rs: RemoteSettingsServer,
                                               tmp_path: Path) -> None:
    # import sends bulk writes, which read the server's capabilities first.
    done = run(["import", "main/regions", "-"], server=rs.url, auth=ED, cwd=tmp_path,
               input='{"id": "be", "name": "Belgium"}\n')
    assert done.status == 4, done.err
    assert "make the change in /buckets/main-workspace/collections/regions" in done.err
    # delete sends one request for the lot: the capabilities are read before it.
    deleted = run(["delete", "main/regions", "--yes"], server=rs.url, auth=ED, cwd=tmp_path)
    assert deleted.status == 4, deleted.err
    assert "nothing was sent" in one_error_line(deleted.err)
    published = requests.get(f"{rs.url}/buckets/main/collections/regions/records",
                             timeout=10).json()["data"]
    assert sorted(r["id"] for r in published) == ["de", "fr"]


def test_on_a_terminal_the_status_is_a_table(rs: RemoteSettingsServer,
                                             terminal: Terminal) -> None:
    terminal.start(["review", "status", TARGET], cli_env(rs.url, ED))
    screen = terminal.wait_for("EXIT=")
    assert "EXIT=0" in screen
    cells = [[c.strip() for c in line.split("│")] for line in screen.splitlines()]
    rows = {row[0]: row[1] for row in cells if len(row) == 2}
    assert rows["status"] == "signed"
    assert rows["destination"] == "/buckets/main/collections/regions"
    assert rows["last_signature_by"].startswith("basicauth:")
