"""Tests of cli/identity.py: ``kinto-query whoami`` against a live Kinto."""

from __future__ import annotations

import json
from typing import Any

import requests

from .clitools import AUTH, Terminal, cli_env, one_error_line, run


def server_user(url: str, auth: tuple[str, str]) -> dict[str, Any]:
    """The ``user`` of ``GET /v1/`` as the server answers it, read raw."""
    user: dict[str, Any] = requests.get(url + "/", auth=auth, timeout=10).json()["user"]
    return user


def test_whoami_prints_one_json_object_in_a_pipe(kinto_fresh_server: str):
    done = run(["whoami"], server=kinto_fresh_server)
    assert (done.status, done.err) == (0, "")
    assert "\x1b" not in done.out
    user = server_user(kinto_fresh_server, ("alice", "s3cret"))
    assert json.loads(done.out) == {"user_id": user["id"], "principals": user["principals"],
                                    "bucket": user["bucket"], "policy": "basicauth"}
    assert str(user["id"]).startswith("basicauth:")
    assert run(["whoami", "--format", "json"], server=kinto_fresh_server).out == done.out


def test_whoami_as_an_account_with_account(kinto_fresh_server: str):
    created = requests.put(f"{kinto_fresh_server}/accounts/ann",
                           json={"data": {"password": "pw-of-ann"}}, timeout=10)
    assert created.status_code == 201
    done = run(["whoami", "--account"], server=kinto_fresh_server, auth="ann:pw-of-ann")
    assert (done.status, done.err) == (0, "")
    shown = json.loads(done.out)
    assert shown["user_id"] == "account:ann" and shown["policy"] == "account"
    assert shown["principals"] == server_user(kinto_fresh_server, ("ann", "pw-of-ann"))[
        "principals"]


def test_a_wrong_account_password_fails_with_account(kinto_fresh_server: str):
    # The basicauth policy takes ann:wrong for another user: only --account tells.
    requests.put(f"{kinto_fresh_server}/accounts/ann", json={"data": {"password": "pw-of-ann"}},
                 timeout=10).raise_for_status()
    fooled = run(["whoami"], server=kinto_fresh_server, auth="ann:wrong")
    assert fooled.status == 0 and json.loads(fooled.out)["policy"] == "basicauth"
    done = run(["whoami", "--account"], server=kinto_fresh_server, auth="ann:wrong")
    assert (done.status, done.out) == (4, "")
    assert one_error_line(done.err) == (
        "error: GET /v1/ -> 200 OK: the server did not authenticate account 'ann': it took "
        "these credentials for another user (policy 'basicauth'); the password is wrong or "
        "there is no such account (Kinto does not say which)")
    assert "wrong" not in done.err.replace("the password is wrong", "")


def test_credentials_that_authenticate_nobody_are_unauthorized(kinto_fresh_server: str):
    # No policy of the test server knows Bearer tokens: GET /v1/ answers 200 without a user.
    done = run(["whoami"], server=kinto_fresh_server, auth="Bearer not-a-token")
    assert (done.status, done.out) == (4, "")
    assert one_error_line(done.err) == (
        "error: GET /v1/ -> 200 OK: credentials were sent, yet the server authenticated nobody "
        "(wrong password or unknown user, with no policy accepting them)")


def test_without_credentials_you_are_anonymous(kinto_fresh_server: str):
    done = run(["whoami"], server=kinto_fresh_server, auth=None)
    assert (done.status, done.err) == (0, "")
    assert json.loads(done.out) == {"user_id": None, "principals": ["system.Everyone"],
                                    "bucket": None, "policy": None}
    # --account has no account name to check: a usage error, before any request.
    account = run(["whoami", "--account"], server=kinto_fresh_server, auth=None)
    assert (account.status, account.out) == (2, "")
    assert one_error_line(account.err) == (
        "error: --account needs an account's name and password: give --auth USER[:PASSWORD] "
        "or set KINTO_AUTH")
    token = run(["whoami", "--account"], server=kinto_fresh_server, auth="Bearer x")
    assert token.status == 2


def test_whoami_is_a_table_on_a_terminal(kinto_fresh_server: str, terminal: Terminal):
    terminal.start(["whoami"], cli_env(kinto_fresh_server))
    screen = terminal.wait_for("EXIT=")
    user = server_user(kinto_fresh_server, ("alice", "s3cret"))
    rows = [[cell.strip() for cell in line.split("│")] for line in screen.splitlines()
            if "│" in line]
    principals = user["principals"]
    assert rows == [
        ["user_id", user["id"]],
        ["principals", principals[0]], *[["", p] for p in principals[1:]],
        ["bucket", user["bucket"]],
        ["policy", "basicauth"],
    ]
    assert "EXIT=0" in screen
    anonymous = Terminal(terminal.tmp_path)
    try:
        anonymous.start(["whoami"], cli_env(kinto_fresh_server, auth=None))
        screen = anonymous.wait_for("EXIT=")
    finally:
        anonymous.stop()
    assert "nobody is authenticated: no credentials were given (--auth or KINTO_AUTH)" in screen
    assert "system.Everyone" in screen and "EXIT=0" in screen


def test_whoami_never_prints_the_password(kinto_fresh_server: str):
    done = run(["--debug", "whoami"], server=kinto_fresh_server)
    assert done.status == 0
    assert AUTH.split(":")[1] not in done.out + done.err
    assert f"GET {kinto_fresh_server}/ -> 200" in done.err
