"""Remote Settings content signatures: the bytes signed, the ECDSA check, the x5u chain.

A Remote Settings collection is signed (mode ``p384ecdsa``) over the canonical JSON of
``{"data": <its records, tombstones left out, sorted by id>, "last_modified": "<timestamp>"}``
prefixed with ``b"Content-Signature:\\x00"``: ECDSA on P-384 with SHA-384, the signature being
the urlsafe base64 of r and s (48 bytes each). What vouches for the key is either a public
key the caller trusts (the local signer's), or, as Firefox does, the certificate chain at the
signature's ``x5u``: checked leaf to root (issuers, signatures, validity dates), its root
pinned by SHA-256 fingerprint. Needs the ``remote-settings`` extra (cryptography,
canonicaljson-rs).

This module is pure (the payload, the ECDSA check, the chain's checks, the verifier's
settings); the verifier, which fetches x5u chains, is written once, async, in
``kinto_query._server._async.signature`` (generated into ``_blocking``);
``kinto_query._server._blocking.signature``
holds the names users import.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import itertools
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Union
from urllib.parse import urlsplit

from .._urls import is_local
from ..exceptions import ConfigurationError, InvalidSignature

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["SIGN_PREFIX", "Fetch", "PublicKey", "VerifierBase", "check_chain", "signed_payload"]

SIGN_PREFIX = b"Content-Signature:\x00"
_INSTALL = "pip install 'kinto_query[remote-settings]'"
PublicKey = Union[str, bytes, "ec.EllipticCurvePublicKey"]
Fetch = Callable[[str], bytes]


def _canonicaljson() -> Any:
    try:
        import canonicaljson
    except ImportError:
        raise ConfigurationError(f"verifying signatures needs canonicaljson-rs: {_INSTALL}") \
            from None
    return canonicaljson


def _plain(item: object) -> dict[str, Any]:
    """A record as the server sent it: a mapping, or a ``Record`` (its id, timestamp, data)."""
    if isinstance(item, Mapping):
        return dict(item)
    data = getattr(item, "data", None)
    to_dict = getattr(data, "to_dict", None)
    if not callable(to_dict):
        raise TypeError(f"a changeset's changes are records, not {type(item).__name__}")
    if getattr(item, "deleted", False):
        return {"id": getattr(item, "id", None), "deleted": True}
    return {**to_dict(), "id": getattr(item, "id", None),
            "last_modified": getattr(item, "last_modified", None)}


def signed_payload(records: Iterable[object], timestamp: int | str) -> bytes:
    """The bytes a Remote Settings signature is over (prefix included), for ``records`` at
    ``timestamp``.

    >>> signed_payload([{"id": "b", "last_modified": 2}, {"id": "a", "deleted": True}], 2)
    b'Content-Signature:\\x00{"data":[{"id":"b","last_modified":2}],"last_modified":"2"}'
    """
    kept = [record for record in map(_plain, records) if not record.get("deleted", False)]
    for record in kept:
        if not isinstance(record.get("id"), str):
            raise InvalidSignature(f"a record has no string id, so nothing can be verified: "
                                   f"{record!r}"[:200], check="records")
    kept.sort(key=lambda record: record["id"])
    text: str = _canonicaljson().dumps({"data": kept, "last_modified": str(timestamp)})
    return SIGN_PREFIX + text.encode("utf-8")


def _parts(changeset: object) -> tuple[dict[str, Any], Any, list[object]]:
    """(metadata, timestamp, changes) of a changeset: its JSON, or an object with those."""
    if isinstance(changeset, Mapping):
        metadata, timestamp, changes = (changeset.get(name) for name in
                                        ("metadata", "timestamp", "changes"))
    else:
        metadata, timestamp, changes = (getattr(changeset, name, None) for name in
                                        ("metadata", "timestamp", "changes"))
    to_dict = getattr(metadata, "to_dict", None)
    if callable(to_dict):
        metadata = to_dict()
    if not isinstance(metadata, Mapping) or changes is None or \
            not isinstance(timestamp, (int, str)) or isinstance(timestamp, bool):
        raise TypeError("verify a changeset: an object (or its JSON) with metadata, "
                        "timestamp and changes")
    return dict(metadata), timestamp, list(changes)


def _signature_bytes(signature: Mapping[str, Any]) -> bytes:
    mode = signature.get("mode")
    if mode != "p384ecdsa":
        raise InvalidSignature(f"the signature's mode is {mode!r}; only 'p384ecdsa' is known",
                               check="mode")
    value = signature.get("signature")
    try:
        raw = base64.urlsafe_b64decode(value) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 96:
        raise InvalidSignature("the signature is not the urlsafe base64 of 96 bytes (r, s)",
                               check="signature")
    return raw


def _load_public_key(key: PublicKey) -> ec.EllipticCurvePublicKey:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    loaded = load_pem_public_key(key.encode() if isinstance(key, str) else key) \
        if isinstance(key, (str, bytes)) else key
    if not isinstance(loaded, ec.EllipticCurvePublicKey) or \
            not isinstance(loaded.curve, ec.SECP384R1):
        raise ConfigurationError("public_key must be an ECDSA P-384 public key (PEM)")
    return loaded


def _check_ecdsa(key: ec.EllipticCurvePublicKey, raw: bytes, payload: bytes, what: str) -> None:
    from cryptography.exceptions import InvalidSignature as BadSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    der = encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
    try:
        key.verify(der, payload, ec.ECDSA(hashes.SHA384()))
    except BadSignature:
        raise InvalidSignature(
            f"the signature does not match the records and timestamp under {what}: the data "
            "was changed after signing, or it was signed with another key",
            check="signature") from None


def _fingerprint(text: str) -> bytes:
    """A SHA-256 fingerprint given as hex, with or without colons (Firefox's root_hash)."""
    try:
        value = bytes.fromhex(text.replace(":", ""))
    except ValueError:
        value = b""
    if len(value) != 32:
        raise ConfigurationError(f"root_hash must be a SHA-256 fingerprint in hex (64 digits, "
                                 f"colons allowed), got {text!r}")
    return value


def _subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or "(no subject)"


def check_chain(pem: bytes, root_hash: bytes, now: datetime.datetime) -> x509.Certificate:
    """The leaf of a PEM chain (leaf first, root last) that is valid at ``now``, each
    certificate issued and signed by the next, the last one being the pinned root; else
    ``InvalidSignature`` naming the certificate and the check that failed."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature as BadSignature
    from cryptography.hazmat.primitives import hashes

    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise InvalidSignature("the x5u document is not a PEM certificate chain",
                               check="chain") from None
    for cert in chain:
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise InvalidSignature(
                f"the certificate {_subject(cert)!r} is valid from "
                f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} to "
                f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC, not now", check="validity")
    for cert, issuer in itertools.pairwise(chain):
        if cert.issuer != issuer.subject:
            raise InvalidSignature(
                f"the chain is broken: {_subject(cert)!r} is issued by "
                f"{cert.issuer.rfc4514_string()!r}, not by the next certificate "
                f"{_subject(issuer)!r}", check="chain")
        if not _is_ca(issuer):
            raise InvalidSignature(f"the certificate {_subject(issuer)!r} issues another one "
                                   "but is not a CA", check="chain")
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, BadSignature) as error:
            raise InvalidSignature(
                f"the chain is broken: {_subject(cert)!r} is not signed by "
                f"{_subject(issuer)!r} ({error or type(error).__name__})", check="chain") from None
    root = chain[-1]
    if root.fingerprint(hashes.SHA256()) != root_hash:
        raise InvalidSignature(
            f"the chain's root {_subject(root)!r} has SHA-256 fingerprint "
            f"{root.fingerprint(hashes.SHA256()).hex(':').upper()}, not the pinned root_hash",
            check="root")
    return chain[0]


def _dns_names(cert: x509.Certificate) -> list[str]:
    from cryptography import x509

    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(name) for name in names.get_values_for_type(x509.DNSName)]


def _is_ca(cert: x509.Certificate) -> bool:
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


class VerifierBase:
    """A verifier's trust root and settings, and its checks that need no request (see
    ``SignatureVerifier``, ``AsyncSignatureVerifier``)."""

    def __init__(
        self,
        *,
        public_key: PublicKey | None = None,
        root_hash: str | None = None,
        subject_name: str | None = None,
        transport: Any = None,
        fetch: Fetch | None = None,
        now: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        if (public_key is None) == (root_hash is None):
            raise ConfigurationError("give exactly one trust root: public_key= (PEM) or "
                                     "root_hash= (the root certificate's SHA-256 fingerprint)")
        _canonicaljson()  # fail now, not at the first verification, without the extra
        self._key = _load_public_key(public_key) if public_key is not None else None
        self._root = _fingerprint(root_hash) if root_hash is not None else None
        if subject_name is not None and self._root is None:
            raise ConfigurationError("subject_name names the leaf certificate of an x5u chain: "
                                     "it goes with root_hash=")
        self._subject_name = subject_name
        self._transport = transport
        self._fetch = fetch
        self._now = now or (lambda: datetime.datetime.now(datetime.timezone.utc))
        self._chains: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        root = "public_key" if self._key is not None else f"root_hash={self._root!r:.20}..."
        return f"<{type(self).__name__} {root}>"

    def _signed(self, changeset: object) -> tuple[str, Mapping[str, Any], bytes, bytes]:
        """Where (for messages), the signature, its bytes and the payload of a changeset."""
        metadata, timestamp, changes = _parts(changeset)
        where = f"collection {metadata.get('id', '?')!r}"
        signature = metadata.get("signature")
        if not isinstance(signature, Mapping):
            raise InvalidSignature(f"{where} carries no signature (metadata.signature)",
                                   check="signature")
        return where, signature, _signature_bytes(signature), signed_payload(changes, timestamp)

    @staticmethod
    def _check(key: ec.EllipticCurvePublicKey, what: str, where: str, raw: bytes,
               payload: bytes) -> None:
        try:
            _check_ecdsa(key, raw, payload, what)
        except InvalidSignature as error:
            raise InvalidSignature(f"{where}: {error}", check=error.check) from None

    @staticmethod
    def _x5u_url(x5u: object) -> str:
        """The x5u, if it is a URL a chain may be fetched from."""
        if not isinstance(x5u, str) or not x5u:
            raise InvalidSignature("the signature names no certificate chain (x5u is empty): "
                                   "verify it with public_key=", check="x5u")
        parts = urlsplit(x5u)
        if parts.scheme != "https" and not (parts.scheme == "http" and
                                            is_local(parts.hostname or "")):
            raise InvalidSignature(f"the x5u {x5u!r} is not an https URL", check="x5u")
        return x5u

    def _leaf_key_of(self, pem: bytes) -> ec.EllipticCurvePublicKey:
        """The leaf's key of a chain checked leaf to root, for the subject asked."""
        from cryptography.hazmat.primitives.asymmetric import ec

        assert self._root is not None
        leaf = check_chain(pem, self._root, self._now())
        if self._subject_name is not None and self._subject_name not in _dns_names(leaf):
            raise InvalidSignature(
                f"the certificate {_subject(leaf)!r} is not for {self._subject_name!r} (its "
                f"names: {', '.join(_dns_names(leaf)) or 'none'})", check="subject")
        key = leaf.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey) or \
                not isinstance(key.curve, ec.SECP384R1):
            raise InvalidSignature(f"the certificate {_subject(leaf)!r} holds no P-384 key",
                                   check="chain")
        return key

    def _cached(self, x5u: str) -> bytes | None:
        with self._lock:
            return self._chains.get(x5u)

    def _keep(self, x5u: str, pem: bytes) -> None:
        with self._lock:
            self._chains[x5u] = pem
