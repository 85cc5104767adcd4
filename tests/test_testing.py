"""Tests of kinto_query.testing, the pytest plugin: servers, recorders, cassette hygiene."""

from __future__ import annotations

import base64
import json
import os
import pwd
import re
import socket
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from kinto_query import Client, Request, Unauthorized
from kinto_query.testing import (
    RECORD_MODE_ENV,
    KintoServer,
    MissingCassette,
    PortInUse,
    PostgreSQL,
    PostgreSQLNotFound,
    Recorder,
    find_postgresql,
    record_mode,
)
from kinto_query.testing.postgresql import _alive

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


def test_missing_postgresql_binaries_say_how_to_install_them(tmp_path: Path) -> None:
    # A PATH and search directories that hold no PostgreSQL at all.
    (tmp_path / "16" / "bin").mkdir(parents=True)
    (tmp_path / "16" / "bin" / "initdb").write_text("")  # not executable, and alone
    with pytest.raises(PostgreSQLNotFound, match=r"apt-get install postgresql") as caught:
        PostgreSQL(path=str(tmp_path), search=[str(tmp_path / "*" / "bin")])
    assert isinstance(caught.value, RuntimeError)
    assert "initdb, pg_ctl, postgres" in str(caught.value)


def test_the_newest_postgresql_is_found_when_none_is_on_path(tmp_path: Path) -> None:
    for version in ("9.6", "15", "13"):
        bin_dir = tmp_path / version / "bin"
        bin_dir.mkdir(parents=True)
        for name in ("initdb", "pg_ctl", "postgres"):
            (bin_dir / name).write_text("#!/bin/sh\n")
            (bin_dir / name).chmod(0o755)
    found = find_postgresql(path=str(tmp_path / "empty"), search=[str(tmp_path / "*" / "bin")])
    assert found == {name: str(tmp_path / "15" / "bin" / name)
                     for name in ("initdb", "pg_ctl", "postgres")}


_MISSING_POSTGRESQL = """
import kinto_query.testing.postgresql

kinto_query.testing.postgresql._PG_SEARCH = ()
pytest_plugins = ["kinto_query.testing"]
"""


@pytest.mark.parametrize("ci", [False, True], ids=["locally", "on_ci"])
def test_the_fixture_skips_or_fails_loudly_without_postgresql(tmp_path: Path, ci: bool) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(_MISSING_POSTGRESQL)
    (tmp_path / "test_pg.py").write_text("def test_it(kinto_postgresql):\n    pass\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = str(tmp_path)  # no initdb there
    if ci:
        env["CI"] = "true"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-rsf", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert "apt-get install postgresql" in done.stdout
    if ci:
        assert done.returncode == 1 and "1 error" in done.stdout
        assert "CI is set and PostgreSQL is missing" in done.stdout
    else:
        assert done.returncode == 0 and "1 skipped" in done.stdout


def _owner(path: Path) -> int:
    return path.stat().st_uid


def test_postgresql_listens_on_loopback_only_as_an_unprivileged_user(
    kinto_postgresql: PostgreSQL,
) -> None:
    pg = kinto_postgresql
    assert re.fullmatch(rf"postgresql://{pg.user}@127\.0\.0\.1:{pg.port}/kinto", pg.url)
    assert pg.directory is not None
    with psycopg2.connect(pg.url) as connection, connection.cursor() as cursor:
        settings = {}
        for name in ("listen_addresses", "unix_socket_directories", "TimeZone",
                     "server_encoding"):
            cursor.execute(f"SHOW {name}")
            settings[name] = cursor.fetchone()[0]
    connection.close()
    assert settings == {"listen_addresses": "127.0.0.1", "unix_socket_directories": pg.directory,
                        "TimeZone": "UTC", "server_encoding": "UTF8"}
    # Bound to 127.0.0.1 alone: another loopback address of the same machine is refused.
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.2", pg.port)) != 0
    assert Path(pg.directory, f".s.PGSQL.{pg.port}").exists()
    assert not Path("/var/run/postgresql", f".s.PGSQL.{pg.port}").exists()
    # Every file of the cluster belongs to the system user it runs as; never root when the
    # suite runs as root.
    owner = pwd.getpwnam(pg.system_user).pw_uid
    if os.geteuid() == 0:
        assert pg.system_user in ("postgres", "nobody") and owner != 0
    directory = Path(pg.directory)
    assert {_owner(p) for p in [directory, *directory.rglob("*")]} == {owner}


def test_two_kinto_web_heads_on_one_database(
    kinto_postgresql: PostgreSQL, kinto_fresh_pg_server: str
) -> None:
    """Two Kinto processes on one database are two web heads of one Kinto: what one writes,
    the other reads."""
    auth = ("alice", "s3cret")
    with KintoServer(backend="postgresql", database_url=kinto_postgresql.url,
                     migrate=False) as second:
        first = Client(kinto_fresh_pg_server, auth=auth)
        other = Client(second.url, auth=auth)
        first.transport.send(Request("PUT", "/buckets/b", {"data": {}}))
        first.transport.send(Request("PUT", "/buckets/b/collections/c", {"data": {}}))
        first.transport.send(Request("PUT", "/buckets/b/collections/c/records/r1",
                                     {"data": {"title": "from the first"}}))
        record = other.bucket("b").collection("c").get("r1")
        assert record.data.title == "from the first"
        record.data.title = "from the second"
        record.save()
        assert first.bucket("b").collection("c").get("r1").data.title == "from the second"
    assert second.process is None


def test_stop_removes_the_cluster_and_frees_its_port(kinto_postgresql: PostgreSQL) -> None:
    # A second cluster of its own, beside the session's.
    with PostgreSQL(database="other") as pg:
        assert pg.port != kinto_postgresql.port and repr(pg).endswith("running>")
        assert pg.directory is not None
        directory = Path(pg.directory)
        pid = int(Path(directory, "data", "postmaster.pid").read_text().split()[0])
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", pg.port)) == 0
    assert pg.directory is None and not directory.exists()
    assert not _alive(pid)
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", pg.port))  # free again
    pg.stop()  # a second stop does nothing
    assert repr(pg).endswith("stopped>")
