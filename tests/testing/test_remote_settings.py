"""Tests of testing/remote_settings.py: a real Remote Settings server, its signer's key pair,
publishing, and its command line. Everything is read raw (requests), never through kinto_query."""

from __future__ import annotations

import base64
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from kinto_query.testing import RemoteSettingsServer

REPO = Path(__file__).parent.parent.parent
MONITOR = "/buckets/monitor/collections/changes/changeset"


def verifies(public_pem: bytes, changeset: dict[str, Any]) -> bool:
    """Whether the changeset's signature verifies with the key, as KINTO.md says Firefox
    checks it (canonical JSON of the live records sorted by id, and the timestamp)."""
    import canonicaljson
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    records = sorted((r for r in changeset["changes"] if not r.get("deleted")),
                     key=lambda r: r["id"])
    payload = canonicaljson.dumps({"data": records,
                                   "last_modified": str(changeset["timestamp"])})
    raw = base64.urlsafe_b64decode(changeset["metadata"]["signature"]["signature"])
    der = encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
    key = serialization.load_pem_public_key(public_pem)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    try:
        key.verify(der, b"Content-Signature:\x00" + payload.encode(), ec.ECDSA(hashes.SHA384()))
    except InvalidSignature:
        return False
    return True


def test_published_records_are_signed_with_the_exposed_key_on_each_backend(
    kinto_any_rs_server: RemoteSettingsServer,
) -> None:
    server = kinto_any_rs_server
    first = server.publish("regions", [{"id": "fr", "name": "France"},
                                       {"id": "de", "name": "Germany"}])
    second = server.publish("regions", [{"id": "it", "name": "Italy"}], delete=["de"])
    url = server.url + "/buckets/main/collections/regions/changeset"
    whole = requests.get(url, params={"_expected": second}, timeout=10).json()
    assert whole["timestamp"] == second > first
    assert sorted(r["id"] for r in whole["changes"]) == ["fr", "it"]
    assert whole["metadata"]["signature"]["mode"] == "p384ecdsa"
    assert verifies(server.public_key_pem, whole)
    assert server.public_key_path.read_bytes() == server.public_key_pem
    since = requests.get(url, params={"_expected": second, "_since": f'"{first}"'},
                         timeout=10).json()
    assert {(r["id"], r.get("deleted", False)) for r in since["changes"]} == {
        ("it", False), ("de", True)}
    # A changed record no longer verifies: the check above is not vacuous.
    whole["changes"][0]["name"] = "changed"
    assert not verifies(server.public_key_pem, whole)


def test_the_monitor_names_this_server_and_its_redirect_comes_back_here(
    kinto_fresh_rs_server: RemoteSettingsServer,
) -> None:
    server = kinto_fresh_rs_server
    stamp = server.publish("regions", [{"id": "fr"}])
    host = server.url.removeprefix("http://").removesuffix("/v1")
    entries = requests.get(server.url + MONITOR, params={"_expected": 0}, timeout=10).json()
    assert [(e["bucket"], e["collection"], e["last_modified"], e["host"])
            for e in entries["changes"]] == [("main", "regions", stamp, host)]
    old = requests.get(server.url + MONITOR, params={"_expected": 0, "_since": '"1"'},
                       allow_redirects=False, timeout=10)
    assert old.status_code == 307
    assert old.headers["Location"] == f"{server.url}{MONITOR}?_expected=0"
    capabilities = requests.get(server.url + "/", timeout=10).json()["capabilities"]
    assert capabilities["signer"]["resources"][0]["destination"]["bucket"] == "main"
    assert capabilities["changes"]["collections"] == ["/buckets/main"]


@pytest.mark.live
def test_the_key_pair_is_made_on_start_and_kept_across_restarts() -> None:
    server = RemoteSettingsServer()
    with pytest.raises(RuntimeError, match=r"made on start\(\): start the server"):
        server.public_key_pem  # noqa: B018
    with server:
        pem = server.public_key_pem
        assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
        assert oct(Path(server.public_key_path.parent, "ecdsa.private.pem").stat().st_mode
                   )[-3:] == "600"
    with server:
        assert server.public_key_pem == pem
        stamp = server.publish("c", [{"id": "r"}])
        changeset = requests.get(server.url + "/buckets/main/collections/c/changeset",
                                 params={"_expected": stamp}, timeout=10).json()
        assert verifies(pem, changeset)
    with RemoteSettingsServer() as other:  # another server has a key of its own
        assert other.public_key_pem != pem


def test_the_extra_names_the_plugins_and_the_server_extra_is_unchanged() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    names = sorted(re.split(r"[\s<>=;]", r)[0] for r in extras["remote-settings-server"])
    assert names == ["cornice", "cryptography", "kinto-changes", "kinto-signer",
                     "kinto_query[server]", "setuptools"]
    assert "kinto_query[remote-settings-server]" in extras["dev"]


# Runs python with kinto-signer made unimportable, as where only the server extra is installed.
WITHOUT_SIGNER = """
import runpy, sys

class NoSigner:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "kinto_signer":
            raise ModuleNotFoundError(f"No module named {name!r}")

sys.meta_path.insert(0, NoSigner())
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


def test_the_command_line_says_what_is_missing(tmp_path: Path) -> None:
    script = tmp_path / "without_signer.py"
    script.write_text(WITHOUT_SIGNER)
    done = subprocess.run(
        [sys.executable, str(script), "kinto_query.testing", "--remote-settings", "--port", "0"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert re.fullmatch(r"cannot start Kinto: kinto_signer is not installed in \S+ "
                        r"\(pip install 'kinto_query\[remote-settings-server\]'\)\n", done.stderr)


@pytest.mark.live
def test_the_command_line_starts_a_remote_settings_server(tmp_path: Path) -> None:
    from kinto_query.testing.server import free_port

    port = free_port("127.0.0.1")
    process = subprocess.Popen(
        [sys.executable, "-m", "kinto_query.testing", "--remote-settings", "--host",
         "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert process.stdout is not None
        first, second = process.stdout.readline(), process.stdout.readline()
        assert first == (f"Remote Settings at http://127.0.0.1:{port}/v1 (any user:password "
                         "over Basic auth); Ctrl-C stops it\n")
        key_file = Path(re.fullmatch(r"Signer's public key: (\S+)\n", second).group(1))  # type: ignore[union-attr]
        assert key_file.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
        info = requests.get(f"http://127.0.0.1:{port}/v1/", timeout=10).json()
        assert {"signer", "changes"} <= set(info["capabilities"])
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0
    assert not key_file.exists()  # its files went with it
