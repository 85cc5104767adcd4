"""Tests of kinto_query.testing, the pytest plugin: servers, recorders, cassette hygiene."""

from __future__ import annotations

import base64
import json
import re
import socket
from pathlib import Path

import pytest

from kinto_query import Client, Request, Unauthorized
from kinto_query.testing import (
    RECORD_MODE_ENV,
    KintoServer,
    MissingCassette,
    PortInUse,
    Recorder,
    record_mode,
)

CASSETTE_DIR = Path(__file__).parent.parent / "cassettes"
CASSETTES = sorted(CASSETTE_DIR.rglob("*.json"))
SECRETS = ["s3cret", "hunter22", "p4ssw0rd", "c4r0l-pw", "t0ken-xyz"]
ENCODED = [base64.b64encode(f"{u}:{p}".encode()).decode() for u, p in
           [("alice", "s3cret"), ("bob", "hunter22"), ("alexis", "p4ssw0rd"),
            ("carol", "c4r0l-pw")]]


# -- cassette hygiene -----------------------------------------------------------------------------


def test_there_are_cassettes() -> None:
    assert len(CASSETTES) >= 10


@pytest.mark.parametrize(
    "path", CASSETTES, ids=[str(p.relative_to(CASSETTE_DIR)) for p in CASSETTES]
)
def test_cassette_holds_no_credential_and_no_port(path: Path) -> None:
    text = path.read_text()
    for secret in SECRETS + ENCODED:
        assert secret not in text
    assert not re.search(r"127\.0\.0\.1:\d+", text)
    assert not re.search(r"basicauth:[0-9a-f]{64}", text)  # user ids are labels
    for interaction in json.loads(text)["http_interactions"]:
        for value in interaction["request"]["headers"].get("Authorization", []):
            assert value == "<SCRUBBED>"


def test_credentials_set_outside_the_recorder_are_scrubbed(kinto_recorder: Recorder) -> None:
    # Auth set on the session itself, and a token sent as a plain header: neither is written
    # to the cassette (test_cassette_holds_no_credential_and_no_port scans for both).
    kinto_recorder.session.auth = ("carol", "c4r0l-pw")
    session_auth = Client(kinto_recorder.server_url, session=kinto_recorder.session)
    assert session_auth.server_info()["user"]["id"].startswith("basicauth:")
    kinto_recorder.session.auth = None
    header_token = Client(kinto_recorder.server_url, session=kinto_recorder.session,
                          headers={"Authorization": "Bearer t0ken-xyz"})
    with pytest.raises(Unauthorized):
        header_token.transport.send(Request("PUT", "/buckets/b", {"data": {}}))


# -- record modes and recorders -------------------------------------------------------------------


def test_record_mode_defaults_to_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RECORD_MODE_ENV, raising=False)
    assert record_mode() == "none"


def test_unknown_record_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RECORD_MODE_ENV, "sometimes")
    with pytest.raises(ValueError, match="must be one of none, once, new, all"):
        record_mode()


def test_replaying_a_missing_cassette_says_how_to_record_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(RECORD_MODE_ENV, raising=False)
    with pytest.raises(MissingCassette, match=f"record it with {RECORD_MODE_ENV}=once"):
        Recorder(tmp_path, "nothing_here", live_url=None)


def test_recording_needs_a_live_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RECORD_MODE_ENV, "all")
    with pytest.raises(ValueError, match="needs a live server URL"):
        Recorder(tmp_path, "nothing_here", live_url=None)


def test_kinto_server_is_described_before_it_starts() -> None:
    server = KintoServer(port=8765, settings={"paginate_by": 5})
    assert server.url == "http://127.0.0.1:8765/v1"
    assert repr(server) == "<KintoServer http://127.0.0.1:8765/v1 stopped>"
    assert server.log == ""


# -- a real server --------------------------------------------------------------------------------


@pytest.mark.live  # starts a server of its own
def test_kinto_server_takes_settings_from_the_environment() -> None:
    with KintoServer(settings={"batch_max_requests": 7}) as server:
        assert repr(server).endswith("running>")
        assert Client(server.url).batch_max_requests == 7
    assert server.process is None


def test_kinto_server_refuses_a_port_in_use(kinto_server: str) -> None:
    port = int(kinto_server.rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(RuntimeError, match="already in use"):
        KintoServer(port=port).start()


@pytest.mark.live  # starts servers of its own
def test_kinto_server_moves_on_when_its_free_port_is_taken_meanwhile() -> None:
    # As when a parallel worker's server takes the port between free_port() and Kinto's
    # bind: a socket bound but not listening looks free to the check and blocks the bind.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse, match=f"127.0.0.1:{port} was taken while Kinto started"):
            KintoServer(port=port).start()
        server = KintoServer()
        server.port, server.url = port, f"http://127.0.0.1:{port}/v1"
        with server:
            assert server.port != port
            assert Client(server.url).server_info()["url"] == server.url + "/"


# -- PostgreSQL: a private cluster, and Kinto on it -----------------------------------------------


def test_kinto_server_refuses_a_backend_without_its_database() -> None:
    with pytest.raises(ValueError, match="backend must be one of memory, postgresql"):
        KintoServer(backend="mysql")
    with pytest.raises(ValueError, match="database_url goes with backend='postgresql'"):
        KintoServer(backend="postgresql")
    with pytest.raises(ValueError, match="database_url goes with backend='postgresql'"):
        KintoServer(database_url="postgresql://u@127.0.0.1:5432/db")
