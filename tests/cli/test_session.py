"""Tests of cli/session.py: which server and which credentials, asked for or given."""

from __future__ import annotations

import socket
from pathlib import Path

from kinto_query import Collection

from .clitools import PASSWORD, Terminal, cli_env, one_error_line, run
from .conftest import TODO


def test_url_prints_the_request_and_sends_nothing(tmp_path: Path):
    # Nothing listens on this port, and no password is known: neither is needed.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = f"http://127.0.0.1:{port}/v1"
    cases = {
        ("records", "shop/todo", "-f", "status=done", "--sort", "-priority", "-n", "10"):
            f"GET {server}{TODO}/records?status=done&_sort=-priority&_limit=10",
        ("count", "shop/todo", "-x", "status=done"): f"HEAD {server}{TODO}/records?not_status=done",
        ("get", "shop/todo/t001", "--fields", "title"):
            f"GET {server}{TODO}/records/t001?_fields=title",
        ("export", "shop/todo", "--page-size", "500"): f"GET {server}{TODO}/records?_limit=500",
        ("delete", "shop/todo", "-f", "tags__contains=a"):
            f'DELETE {server}{TODO}/records?contains_tags=%5B%22a%22%5D',
    }
    for args, expected in cases.items():
        done = run([*args, "--url"], server=server, auth="alice")
        assert (done.status, done.out, done.err) == (0, expected + "\n", ""), args


def test_a_missing_password_without_a_terminal_is_a_usage_error(kinto_fresh_server: str):
    done = run(["count", "shop/todo"], server=kinto_fresh_server, auth="alice")
    assert done.status == 2
    assert one_error_line(done.err) == (
        "error: no password for 'alice' and no terminal to ask for it: give --auth "
        "alice:PASSWORD or set KINTO_AUTH")


def test_a_token_is_sent_as_given(kinto_fresh_server: str, shop: Collection):
    # Kinto's test setup knows no Bearer tokens: the 401 proves the header went out as given.
    done = run(["count", "shop/todo"], server=kinto_fresh_server, auth="Bearer not-a-token")
    assert done.status == 4
    assert "401 Unauthorized" in one_error_line(done.err)


def test_debug_shows_requests_and_tracebacks_never_credentials(kinto_fresh_server: str,
                                                              shop: Collection):
    ok = run(["--debug", "count", "shop/todo", "--auth", f"alice:{PASSWORD}"],
             server=kinto_fresh_server, auth=None)
    assert ok.status == 0
    assert "debug: <Client " in ok.err and "BasicAuth('alice', '***')" in ok.err
    assert f"HEAD {kinto_fresh_server}{TODO}/records -> 200" in ok.err
    failed = run(["get", "shop/todo/nope", "--debug"], server=kinto_fresh_server)
    assert failed.status == 3
    assert "Traceback (most recent call last)" in failed.err
    assert failed.err.splitlines()[-1].startswith("error: GET ")
    for done in (ok, failed):
        assert PASSWORD not in done.out + done.err


def test_a_missing_password_is_asked_for_without_echo(kinto_fresh_server: str,
                                                      terminal_shop: Collection,
                                                      terminal: Terminal):
    terminal.start(["count", "shop/todo"], cli_env(kinto_fresh_server, auth="alice"))
    terminal.wait_for("Password for alice: ")
    terminal.type(PASSWORD)
    screen = terminal.wait_for("EXIT=")
    assert screen.split() == ["Password", "for", "alice:", "300", "EXIT=0"]
    assert PASSWORD not in screen  # not echoed
