"""Tests of cli/errors.py: one line per error, and an exit status by kind."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from kinto_query import (
    Client,
    Collection,
    ConfigurationError,
    InvalidQuery,
    Request,
    Response,
    UnsafeURL,
)
from kinto_query._urls import origin
from kinto_query.cli.errors import ExitStatus, classify
from kinto_query.exceptions import raise_for_response

from ..faultproxy import FaultProxy
from .clitools import PASSWORD, one_error_line, run


def test_errors_are_one_line_with_an_exit_status_by_kind(kinto_fresh_server: str,
                                                        shop: Collection):
    def fails(args: list[str], auth: str = f"alice:{PASSWORD}") -> tuple[int, str]:
        done = run(args, server=kinto_fresh_server, auth=auth)
        assert done.out == ""
        assert "Traceback" not in done.err
        return done.status, one_line_text(one_error_line(done.err))

    def one_line_text(line: str) -> str:
        return line.removeprefix("error: ")

    status, text = fails(["records", "shop/todo", "-f", "priority__gtee=3"])
    assert status == 2 and "unknown lookup 'gtee': did you mean 'gte'?" in text
    assert fails(["records", "shop/todo", "-f", "status"])[0] == 2
    assert fails(["records", "shop"])[0] == 2
    assert fails(["records", "shop/todo", "--limit", "-1"])[0] == 2
    assert fails(["nonsense"])[0] == 2
    status, text = fails(["get", "shop/todo/nope"])
    assert (status, text) == (3, "GET /v1/buckets/shop/collections/todo/records/nope -> 404 "
                                 "Not Found: record 'nope' not found (errno 110)")
    status, text = fails(["count", "shop/nope"])
    assert status == 3 and "collection 'nope' not found in bucket 'shop'" in text
    assert fails(["records", "shop/todo"], auth="bob:hunter22")[0] == 4
    assert fails(["records", "nope/todo"])[0] == 4  # Kinto: 403 for a missing bucket
    # The library's advice is for Python; the shell user is told the command's way.
    status, text = fails(["count", "nope/todo"], auth="bob:hunter22")
    assert status == 4 and "kinto-query whoami says who" in text and "client." not in text


def test_an_unreachable_server_is_a_server_error(tmp_path: Path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = run(["count", "shop/todo"], server=f"http://127.0.0.1:{port}/v1")
    assert done.status == 6
    assert one_error_line(done.err).startswith(
        f"error: HEAD http://127.0.0.1:{port}/v1/buckets/shop/collections/todo/records: "
        f"cannot reach the server at http://127.0.0.1:{port}/v1")


def _http_error(status: int, body: dict[str, Any], method: str = "PUT") -> Exception:
    # Hand-written answers: a real Kinto gives 409 and 5xx only under races and faults.
    request = Request(method, "/buckets/b/collections/c/records/r")
    response = Response(request, "http://kinto.test/v1/buckets/b/collections/c/records/r",
                        status, "Reason", {"Content-Type": "application/json"},
                        json.dumps(body).encode())
    with pytest.raises(Exception) as raised:
        raise_for_response(response)
    return raised.value


@pytest.mark.parametrize(("status", "errno", "exit_status"), [
    (400, 107, ExitStatus.USAGE), (401, 104, ExitStatus.FORBIDDEN),
    (403, 121, ExitStatus.FORBIDDEN), (404, 110, ExitStatus.NOT_FOUND),
    (409, 122, ExitStatus.CONFLICT), (412, 114, ExitStatus.CONFLICT),
    (429, 117, ExitStatus.SERVER), (503, 201, ExitStatus.SERVER), (410, 202, ExitStatus.FAILED),
])
def test_each_kind_of_error_has_its_exit_status(status: int, errno: int,
                                                exit_status: ExitStatus):
    error = _http_error(status, {"code": status, "errno": errno, "message": "first\nsecond"})
    got, line = classify(error)
    assert got == exit_status
    assert "\n" not in line and line.startswith(f"PUT /v1/buckets/b/collections/c/records/r -> "
                                                f"{status} Reason")


def test_other_errors():
    assert classify(KeyboardInterrupt()) == (ExitStatus.INTERRUPTED, "interrupted")
    assert classify(InvalidQuery("bad"))[0] == ExitStatus.USAGE
    assert classify(FileNotFoundError(2, "No such file or directory", "in.jsonl")) == (
        ExitStatus.FAILED, "in.jsonl: No such file or directory")
    assert classify(RuntimeError("boom")) == (
        ExitStatus.FAILED, "unexpected RuntimeError: boom (run with --debug for the traceback)")


@pytest.mark.parametrize("scheme", ["htp", "http"])
@pytest.mark.parametrize("where", ["option", "environment"])
def test_a_server_url_with_user_info_is_one_line_that_never_shows_the_password(
    kinto_fresh_server: str, scheme: str, where: str
) -> None:
    """``htp://alice:PASSWORD@...`` (a typo) or ``http://alice:PASSWORD@...``, from --server
    or $KINTO_SERVER_URL: one line, exit 2, the password nowhere, nothing sent (the URL points
    at a live server behind the fault proxy, whose log stays empty)."""
    with FaultProxy(kinto_fresh_server) as proxy:
        port = proxy.url.split(":")[2].split("/")[0]
        url = f"{scheme}://alice:{PASSWORD}@127.0.0.1:{port}/v1"
        args = ["records", "b/c"]
        result = (run(["--server", url, *args], server=None, auth=None) if where == "option"
                  else run(args, server=url, auth=None))
        assert proxy.log == []
    assert result.status == ExitStatus.USAGE
    assert PASSWORD not in result.err + result.out
    assert len(result.err.strip().splitlines()) == 1 and result.err.startswith("error: ")
    if scheme == "http":
        assert "pass them with --auth or $KINTO_AUTH" in result.err and "auth=" not in result.err


def test_no_library_error_echoes_the_user_info_of_a_url(kinto_fresh_server: str) -> None:
    """A URL with user info handed to the library in the places it quotes URLs back."""
    secret = f"htp://alice:{PASSWORD}@127.0.0.1:1/v1"
    with pytest.raises(ConfigurationError) as bad_scheme:
        Client(secret)
    transport = Client(kinto_fresh_server, auth=("alice", PASSWORD)).transport
    with pytest.raises(UnsafeURL) as elsewhere:
        transport.url(f"http://alice:{PASSWORD}@example.invalid/v1/buckets")
    with pytest.raises(UnsafeURL) as unparsable:
        origin(f"http://alice:{PASSWORD}@[::1/v1")
    for caught in (bad_scheme, elsewhere, unparsable):
        assert PASSWORD not in str(caught.value) and "***@" in str(caught.value)
