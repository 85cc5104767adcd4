"""Tests of testing/server.py: the extras a server needs, and its command line."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REPO = Path(__file__).parent.parent.parent


CONFTEST = 'pytest_plugins = ["kinto_query.testing"]\n'


_ENV = ("KINTO_QUERY_RECORD_MODE", "KINTO_QUERY_RECORD_URL", "KINTO_QUERY_RECORD_AUTH",
        "KINTO_SERVER_URL")


# Runs python with Kinto made unimportable, as where only the testing extra is installed.

WITHOUT_KINTO = """
import runpy, sys

class NoKinto:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("kinto", "kinto_attachment"):
            raise ModuleNotFoundError(f"No module named {name!r}")

sys.meta_path.insert(0, NoKinto())
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An empty project that opted in to the plugin, and no record setting from outside."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(CONFTEST)
    return pytester


# -- 7. replay needs pytest and betamax only -----------------------------------------------------

def test_7_the_testing_extra_is_replay_only_and_servers_need_the_server_extra() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    names = {extra: sorted(re.split(r"[\s<>=\[;]", r)[0] for r in extras[extra])
             for extra in ("testing", "server")}
    assert names == {"testing": ["betamax", "pytest"], "server": ["kinto", "kinto-attachment"]}


def run_without_kinto(project: pytest.Pytester, *args: str) -> subprocess.CompletedProcess[str]:
    script = project.path / "without_kinto.py"
    script.write_text(WITHOUT_KINTO)
    return subprocess.run([sys.executable, str(script), *args], cwd=project.path,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_7_the_command_line_ends_with_one_clear_line(
    project: pytest.Pytester, taken_port: int
) -> None:
    busy = project.run(sys.executable, "-m", "kinto_query.testing", "--port", str(taken_port),
                       timeout=60)
    assert busy.ret == 1 and str(busy.stdout) == ""
    assert busy.errlines == [f"cannot start Kinto: localhost:{taken_port} is already in use "
                             "(another Kinto running? choose another port with --port)"]
    missing = run_without_kinto(project, "kinto_query.testing", "--port", "0")
    assert missing.returncode == 1 and missing.stdout == ""
    assert re.fullmatch(r"cannot start Kinto: kinto and kinto_attachment are not installed in "
                        r"\S+ \(pip install 'kinto_query\[server\]'\)\n", missing.stderr)


# -- 8. make test while make serve runs ----------------------------------------------------------

@pytest.fixture
def port_8888_in_use() -> Iterator[None]:
    """Port 8888 taken, as by a ``make serve`` from another clone (if something already
    holds it, that is the same situation)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", 8888))
            sock.listen()
        except OSError:
            pass  # in use already
        yield


@pytest.mark.live
def test_8_the_document_examples_run_while_make_serve_holds_8888(
    pytester: pytest.Pytester, port_8888_in_use: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KINTO_SERVER_URL", raising=False)
    result = pytester.runpytest_subprocess(
        str(REPO / "tests" / "test_readme.py"), str(REPO / "tests" / "test_seed.py"),
        f"--rootdir={REPO}", "-c", str(REPO / "pyproject.toml"), "-p", "no:cacheprovider",
        timeout=600)
    result.assert_outcomes(passed=6)  # test_readme.py: 4 tests, test_seed.py: 2
