"""Tests of testing/postgresql.py: finding the server binaries, a private cluster on
loopback run as an unprivileged user, and Kinto on it."""

from __future__ import annotations

import os
import pwd
import re
import socket
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from kinto_query import Client, Request
from kinto_query.testing import KintoServer, PostgreSQL, PostgreSQLNotFound, find_postgresql
from kinto_query.testing.postgresql import _alive


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
