"""Running ``kinto-query`` as a user does: the console script in a child process (pipes), or
in a real terminal (tmux), with its exit status, output and peak memory."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

# The console script installed by `pip install -e .[cli]`, next to this Python.
KINTO_QUERY = str(Path(sys.executable).with_name("kinto-query"))
PASSWORD = "s3cret"
AUTH = f"alice:{PASSWORD}"


def cli_env(server_url: str | None, auth: str | None = AUTH,
            extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment: none of the caller's Kinto or color settings leak in."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KINTO_") and k not in ("FORCE_COLOR", "NO_COLOR", "COLUMNS")}
    if server_url is not None:
        env["KINTO_SERVER_URL"] = server_url
    if auth is not None:
        env["KINTO_AUTH"] = auth
    env.update(extra or {})
    return env


@dataclasses.dataclass
class Result:
    status: int
    out: str
    err: str
    max_rss_kib: int = 0

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def run(args: Sequence[str], *, server: str | None, auth: str | None = AUTH,
        input: str | None = None, cwd: Path | None = None,
        env: Mapping[str, str] | None = None, timeout: float = 120) -> Result:
    """``kinto-query ARGS`` with stdin, stdout and stderr as pipes and no controlling terminal
    (a new session: /dev/tty cannot be opened, as in CI or cron)."""
    process = subprocess.Popen(
        [KINTO_QUERY, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, encoding="utf-8", cwd=cwd,
        env=cli_env(server, auth, env), start_new_session=True,
    )
    try:
        out, err = process.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"kinto-query {shlex.join(args)} did not finish in {timeout} s:\n{err}")
    return Result(process.returncode, out, err)


# Peak memory must be the command's own: a child forked from pytest starts with a copy of
# pytest's pages, and Linux counts them in its ru_maxrss even after exec. So a small Python
# (fresh after its own exec) forks the command and reports the command's ru_maxrss.
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(args: Sequence[str], *, server: str | None, cwd: Path,
                 timeout: float = 900) -> Result:
    """``run``, and the command's peak resident memory (``ru_maxrss``, KiB on Linux)."""
    report = cwd / ".max_rss"
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(report), KINTO_QUERY, *args],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, encoding="utf-8", cwd=cwd,
        env=cli_env(server), start_new_session=True, timeout=timeout,
    )
    max_rss = int(report.read_text())
    report.unlink()
    return Result(done.returncode, done.stdout, done.stderr, max_rss)


# -- a real terminal ------------------------------------------------------------------------------


class Terminal:
    """A command running in a tmux pane of its own (a private tmux server, stopped after)."""

    def __init__(self, tmp_path: Path, width: int = 140, height: int = 40) -> None:
        if shutil.which("tmux") is None:
            pytest.skip("tmux is not installed")
        self.socket = f"kq-{os.getpid()}-{time.monotonic_ns()}"
        self.width, self.height = width, height
        self.tmp_path = tmp_path

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, timeout=20)
        return done.stdout

    def start(self, args: Sequence[str], env: Mapping[str, str]) -> None:
        """Run ``kinto-query ARGS``; when it ends the pane shows ``EXIT=<status>``."""
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()
                           if k.startswith("KINTO_") or k in ("PATH", "HOME", "LANG"))
        command = (f"cd {shlex.quote(str(self.tmp_path))} && env {exports} TERM=xterm-256color "
                   f"{shlex.quote(KINTO_QUERY)} {shlex.join(args)}; echo EXIT=$?; sleep 600")
        # No COLUMNS or LINES, which rich would take over the pane's real size: pytest imports
        # readline, which sets them (80x24 without a terminal) in the process's C environment,
        # and a pytest-xdist worker, started from that environment, has them in os.environ.
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", "new-session", "-d",
                        "-x", str(self.width), "-y", str(self.height), command],
                       check=True, timeout=20, env=env)

    def screen(self) -> str:
        """What the terminal shows now (plain text)."""
        return self._tmux("capture-pane", "-p", "-J", "-S", "-200")

    def screen_with_escapes(self) -> str:
        """What it shows, with its colors as escape codes."""
        return self._tmux("capture-pane", "-p", "-e", "-J", "-S", "-200")

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        pytest.fail(f"the terminal never showed {text!r}; it shows:\n{self.screen()}")

    def type(self, text: str, enter: bool = True) -> None:
        self._tmux("send-keys", "-t", "0", "-l", text)
        if enter:
            self._tmux("send-keys", "-t", "0", "Enter")

    def stop(self) -> None:
        self._tmux("kill-server")  # our own private tmux server only (-L socket)


def spawn(args: Sequence[str], *, server: str, cwd: Path,
          auth: str | None = AUTH) -> subprocess.Popen[str]:
    """``kinto-query ARGS`` started in the background (to be interrupted), pipes for output."""
    return subprocess.Popen(
        [KINTO_QUERY, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, encoding="utf-8", cwd=cwd,
        env=cli_env(server, auth), start_new_session=True, preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    # A suite started as a background job (`make test &`, nohup) ignores SIGINT, and so would
    # the command (Python keeps an ignored SIGINT ignored): Ctrl-C as a user sends it must work.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def finish(process: subprocess.Popen[str], timeout: float = 120) -> Result:
    """Wait for a spawned command; its status, output and errors."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"kinto-query did not finish in {timeout} s:\n{err}")
    return Result(process.returncode, out, err)


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def one_error_line(err: str) -> str:
    """stderr of a failed command: exactly one line, starting with 'error: '."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]
