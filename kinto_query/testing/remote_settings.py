"""A real Remote Settings server in a child process: Kinto with ``kinto-changes`` and
``kinto-signer``, its local ECDSA signer on a key pair made per server.

Needs the ``remote-settings-server`` extra (``pip install 'kinto_query[remote-settings-server]'``).
Like Mozilla's, records are written in ``main-workspace``, reviewed, and signed into ``main``
(through ``main-preview``); ``/buckets/monitor/collections/changes`` lists the collections of
``main`` with their timestamps, and ``.../changeset`` endpoints serve a collection whole or
since a timestamp. ``http_host`` names this server, so the monitor's redirects come back here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import requests

from .server import _PLUGINS, _SERVER_PACKAGES, KintoServer

__all__ = [
    "RS_INSTALL_HINT",
    "RemoteSettingsServer",
    "SignerKeys",
    "publish",
]

RS_INSTALL_HINT = "pip install 'kinto_query[remote-settings-server]'"
# Two basic-auth users: one edits and asks for review, the other signs (Remote Settings
# refuses the last editor as reviewer).
EDITOR = ("rs-editor", "rs-editor-password")
REVIEWER = ("rs-reviewer", "rs-reviewer-password")

_RS_INI = """\
kinto.changes.resources = /buckets/{destination}
kinto.signer.resources = /buckets/{source} -> /buckets/{preview} -> /buckets/{destination}
kinto.signer.signer_backend = kinto_signer.signer.local_ecdsa
kinto.signer.ecdsa.private_key = {private_key}
kinto.signer.ecdsa.public_key = {public_key}
kinto.signer.to_review_enabled = true
kinto.signer.group_check_enabled = false
# The monitor's 307 (an old _since) points at http_scheme://http_host: back at this server.
kinto.http_host = {host}:{port}
kinto.http_scheme = http
"""


class SignerKeys:
    """An ECDSA P-384 key pair, as PEM: what the server's local signer signs with."""

    def __init__(self) -> None:
        # cryptography, not the signer's own ecdsa: typed, and fast in this process; the
        # signer reads PKCS#8 and SubjectPublicKeyInfo PEM as its own generate_keypair's.
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP384R1())
        self.private_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        self.public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def __repr__(self) -> str:
        return "<SignerKeys ECDSA P-384>"


class RemoteSettingsServer(KintoServer):
    """A real Remote Settings server (Kinto, kinto-changes, kinto-signer) in a child process.

    Takes :class:`~kinto_query.testing.server.KintoServer`'s arguments (``backend``,
    ``settings``...). Its key pair is made on the first ``start()`` and kept across restarts:
    :attr:`public_key_pem` is the trust root of its signatures (:attr:`public_key_path` is
    the same in a file while the server runs). :meth:`publish` writes records and has them
    reviewed and signed, as two users of Remote Settings would.

    >>> with RemoteSettingsServer() as server:
    ...     timestamp = server.publish("regions", [{"id": "fr", "name": "France"}])
    ...     print(server.url, server.public_key_pem[:26])
    http://127.0.0.1:.../v1 b'-----BEGIN PUBLIC KEY-----'
    """

    _packages = (*_SERVER_PACKAGES, "kinto_changes", "kinto_signer", "cornice", "cryptography")
    _install_hint = RS_INSTALL_HINT

    source = "main-workspace"
    """Where records are written (and reviewed)."""
    preview = "main-preview"
    """Where records under review are signed for testers."""
    destination = "main"
    """Where signed records are published: what the monitor lists and readers read."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._keys: SignerKeys | None = None

    @property
    def public_key_pem(self) -> bytes:
        """The signer's public key (PEM), once the server was started."""
        if self._keys is None:
            raise RuntimeError("the signer's key pair is made on start(): start the server")
        return self._keys.public_pem

    @property
    def public_key_path(self) -> Path:
        """The file holding :attr:`public_key_pem`, while the server runs."""
        if self._dir is None:
            raise RuntimeError("the public key file exists while the server runs: start it")
        return Path(self._dir, "ecdsa.public.pem")

    def _plugins(self) -> tuple[str, ...]:
        return (*_PLUGINS, "kinto_changes", "kinto_signer")

    def _extra_ini(self, directory: Path) -> str:
        if self._keys is None:
            self._keys = SignerKeys()
        private, public = directory / "ecdsa.private.pem", directory / "ecdsa.public.pem"
        private.write_bytes(self._keys.private_pem)
        private.chmod(0o600)
        public.write_bytes(self._keys.public_pem)
        return _RS_INI.format(
            source=self.source, preview=self.preview, destination=self.destination,
            private_key=str(private).replace("%", "%%"),
            public_key=str(public).replace("%", "%%"), host=self.host, port=self.port,
        )

    def publish(
        self,
        collection: str,
        records: Iterable[Mapping[str, Any]] = (),
        *,
        delete: Iterable[str] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> int:
        """:func:`publish` on this server."""
        return publish(self.url, collection, records, delete=delete, metadata=metadata)


def publish(
    url: str,
    collection: str,
    records: Iterable[Mapping[str, Any]] = (),
    *,
    delete: Iterable[str] = (),
    metadata: Mapping[str, Any] | None = None,
    session: requests.Session | None = None,
) -> int:
    """Write ``records`` (each with its ``id``) into ``main-workspace/collection`` of the
    Remote Settings server at ``url``, delete the records ``delete`` names, then have it
    reviewed and signed into ``main/collection``, as an editor and a reviewer would; returns
    the published collection's timestamp.

    Sent raw, never through kinto_query: what tests read is made by another path than the
    one under test. ``session`` sends it elsewhere, e.g. through a cassette
    (``kinto_recorder.new_session()``, with ``url=kinto_recorder.server_url``).

    >>> timestamp = publish(server.url, "regions", [{"id": "fr", "name": "France"}])
    >>> Client(server.url).bucket("main").collection("regions").changeset().timestamp == timestamp
    True
    """
    own = session is None
    session = session or requests.Session()
    try:
        return _publish(session, url, collection, list(records), list(delete),
                        dict(metadata or {}))
    finally:
        if own:
            session.close()


def _publish(session: requests.Session, url: str, cid: str, records: list[Mapping[str, Any]],
             delete: list[str], metadata: dict[str, Any]) -> int:
    def send(method: str, path: str, body: Any = None, auth: tuple[str, str] = EDITOR,
             create_only: bool = False) -> requests.Response:
        headers = {"If-None-Match": "*"} if create_only else {}
        response = session.request(method, url + path, json=body, auth=auth, headers=headers,
                                   timeout=30)
        if response.status_code >= 400 and response.status_code != 412:
            raise RuntimeError(f"{method} {path} -> {response.status_code}: "
                               f"{response.text[:300]}")
        return response

    source = RemoteSettingsServer.source
    bucket = f"/buckets/{source}"
    # Both users edit the workspace; created once (412 when it exists).
    send("PUT", bucket, {"permissions": {"write": ["system.Authenticated"]}}, create_only=True)
    collection = f"{bucket}/collections/{cid}"
    send("PUT", collection, {"data": {}}, create_only=True)
    if metadata:
        send("PATCH", collection, {"data": metadata})
    writes = [{"method": "PUT", "path": f"{collection}/records/{r['id']}",
               "body": {"data": dict(r)}} for r in records]
    writes += [{"method": "DELETE", "path": f"{collection}/records/{record_id}"}
               for record_id in delete]
    for start in range(0, len(writes), 25):  # Kinto's default batch_max_requests
        answer = send("POST", "/batch", {"requests": writes[start:start + 25]}).json()
        failed = [r for r in answer["responses"] if r["status"] >= 400]
        if failed:
            raise RuntimeError(f"publishing {cid}: {failed[0]}")
    send("PATCH", collection, {"data": {"status": "to-review"}}, auth=EDITOR)
    send("PATCH", collection, {"data": {"status": "to-sign"}}, auth=REVIEWER)
    destination = RemoteSettingsServer.destination
    changeset = send("GET", f"/buckets/{destination}/collections/{cid}/changeset"
                            "?_expected=0").json()
    timestamp: int = changeset["timestamp"]
    return timestamp
