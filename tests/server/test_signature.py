"""Tests of _server/_blocking/signature.py: Remote Settings signatures, checked against
kinto-signer's own.

Signatures come from kinto-signer's local signer (``ECDSASigner``, the class a Remote Settings
server signs with), over the bytes its own serializer makes; certificate chains are made here
with ``cryptography``, as Autograph's would be (a real server signs with a bare key, no x5u).
"""

from __future__ import annotations

import datetime
import pickle
import re
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from kinto_query import (
    Client,
    ConfigurationError,
    InvalidSignature,
    KintoError,
    Request,
    SignatureVerifier,
    Transport,
    verify_signature,
)
from kinto_query._server.signing import SIGN_PREFIX, signed_payload

from ..conftest import AUTH, local_server

signer_module = pytest.importorskip("kinto_signer.signer.local_ecdsa")
serializer = pytest.importorskip("kinto_signer.serializer")

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)
RECORDS = [
    {"id": "b-rule", "last_modified": 1700000000002, "title": "Zoë \u2028 \"quoted\"",
     "ratio": 0.1, "big": 1e21, "nested": {"z": [1, 2.5, None], "a": True}},
    {"id": "a-rule", "last_modified": 1700000000001, "title": "plain"},
]
TIMESTAMP = 1700000000002


def sign(private_pem: bytes, tmp_path: Path, records: list[dict[str, Any]], timestamp: int,
         x5u: str = "") -> dict[str, Any]:
    """A changeset as a Remote Settings server serves it, signed by kinto-signer."""
    key_file = tmp_path / f"key-{id(private_pem)}.pem"
    key_file.write_bytes(private_pem)
    bundle = signer_module.ECDSASigner(private_key=str(key_file)).sign(
        serializer.canonical_json(records, timestamp))
    bundle["x5u"] = x5u
    return {"metadata": {"bucket": "main", "id": "rules", "signature": bundle},
            "timestamp": timestamp, "changes": records}


@pytest.fixture(scope="module")
def keypair() -> tuple[bytes, bytes]:
    private, public = signer_module.ECDSASigner.generate_keypair()
    return private, public


@pytest.fixture
def changeset(keypair: tuple[bytes, bytes], tmp_path: Path) -> dict[str, Any]:
    return sign(keypair[0], tmp_path, [dict(r) for r in RECORDS], TIMESTAMP)


# -- the bytes signed ------------------------------------------------------------------------


def test_the_payload_is_byte_for_byte_kinto_signers() -> None:
    records = [*RECORDS, {"id": "0-gone", "deleted": True, "last_modified": 3}]
    expected = SIGN_PREFIX + serializer.canonical_json(records, TIMESTAMP).encode()
    assert signed_payload(records, TIMESTAMP) == expected


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) |
    st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries({"id": st.text(min_size=1), "x": _json,
                                       "deleted": st.booleans()}), max_size=5),
       st.integers(0, 2**53))
def test_the_payload_matches_kinto_signers_on_fuzzed_records(
    records: list[dict[str, Any]], timestamp: int
) -> None:
    expected = SIGN_PREFIX + serializer.canonical_json(records, timestamp).encode()
    assert signed_payload(records, timestamp) == expected


# -- a public key as the trust root ----------------------------------------------------------


def test_a_signature_of_the_real_signer_verifies(
    changeset: dict[str, Any], keypair: tuple[bytes, bytes]
) -> None:
    verify_signature(changeset, public_key=keypair[1])
    verify_signature(changeset, public_key=keypair[1].decode())


def test_tombstones_are_not_signed(keypair: tuple[bytes, bytes], tmp_path: Path) -> None:
    # A changeset read since a timestamp carries tombstones; the signature is of what is left.
    signed = sign(keypair[0], tmp_path, [dict(r) for r in RECORDS], TIMESTAMP)
    signed["changes"].append({"id": "gone", "deleted": True, "last_modified": TIMESTAMP})
    verify_signature(signed, public_key=keypair[1])


def test_records_given_as_typed_objects_verify(
    changeset: dict[str, Any], keypair: tuple[bytes, bytes]
) -> None:
    collection = Client("http://kinto.test/v1").bucket("main").collection("rules")
    records = [collection.record(dict(r)) for r in changeset["changes"]]

    class Changeset:
        metadata = changeset["metadata"]
        timestamp = changeset["timestamp"]
        changes = records

    verify_signature(Changeset(), public_key=keypair[1])


def _changed(changeset: dict[str, Any]) -> None:
    changeset["changes"][0]["title"] = "tampered"


def _added(changeset: dict[str, Any]) -> None:
    changeset["changes"].append({"id": "c-rule", "last_modified": 1})


def _removed(changeset: dict[str, Any]) -> None:
    del changeset["changes"][1]


def _timestamp(changeset: dict[str, Any]) -> None:
    changeset["timestamp"] += 1


@pytest.mark.parametrize("tamper", [_changed, _added, _removed, _timestamp])
def test_a_tampered_changeset_fails(
    changeset: dict[str, Any], keypair: tuple[bytes, bytes], tamper: Any
) -> None:
    tamper(changeset)
    with pytest.raises(InvalidSignature, match=r"collection 'rules': the signature does not "
                       r"match the records and timestamp under the given public key") as caught:
        verify_signature(changeset, public_key=keypair[1])
    assert caught.value.check == "signature"
    assert isinstance(caught.value, KintoError)


def test_another_key_fails(changeset: dict[str, Any]) -> None:
    _, other = signer_module.ECDSASigner.generate_keypair()
    with pytest.raises(InvalidSignature, match="signed with another key") as caught:
        verify_signature(changeset, public_key=other)
    assert caught.value.check == "signature"


@pytest.mark.parametrize(
    ("signature", "check", "message"),
    [
        (None, "signature", "carries no signature"),
        ({"mode": "rsa", "signature": "x"}, "mode", "only 'p384ecdsa'"),
        ({"mode": "p384ecdsa", "signature": "not base64!"}, "signature", "96 bytes"),
        ({"mode": "p384ecdsa", "signature": "AAAA"}, "signature", "96 bytes"),
    ],
)
def test_a_malformed_signature_says_what_is_wrong(
    changeset: dict[str, Any], keypair: tuple[bytes, bytes], signature: Any, check: str,
    message: str,
) -> None:
    changeset["metadata"]["signature"] = signature
    with pytest.raises(InvalidSignature, match=message) as caught:
        verify_signature(changeset, public_key=keypair[1])
    assert caught.value.check == check


def test_exactly_one_trust_root() -> None:
    with pytest.raises(ConfigurationError, match="exactly one trust root"):
        SignatureVerifier()
    with pytest.raises(ConfigurationError, match="SHA-256 fingerprint"):
        SignatureVerifier(root_hash="abc")
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ConfigurationError, match="P-384"):
        SignatureVerifier(public_key=p256)


def test_the_error_pickles_with_its_check() -> None:
    error = pickle.loads(pickle.dumps(InvalidSignature("bad", check="root")))
    assert (str(error), error.check) == ("bad", "root")


# -- the x5u certificate chain as the trust root ---------------------------------------------


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str,
                 issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool,
                 start: datetime.datetime = NOW - DAY,
                 end: datetime.datetime = NOW + 30 * DAY) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(_name(subject))
               .issuer_name(_name(issuer)).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:  # a content-signature leaf names its signer, as Autograph's do
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA384())


class Chain:
    """A root, an intermediate and a leaf (the signing key), as PEM the way x5u serves it."""

    def __init__(self, **leaf_dates: datetime.datetime) -> None:
        self.root_key = ec.generate_private_key(ec.SECP384R1())
        self.intermediate_key = ec.generate_private_key(ec.SECP384R1())
        self.leaf_key = ec.generate_private_key(ec.SECP384R1())
        self.root = _certificate("test root", self.root_key, "test root", self.root_key,
                                 ca=True)
        self.intermediate = _certificate("test intermediate", self.intermediate_key,
                                         "test root", self.root_key, ca=True)
        self.leaf = _certificate("rules.content-signature.test", self.leaf_key,
                                 "test intermediate", self.intermediate_key, ca=False,
                                 **leaf_dates)

    def pem(self, *certificates: x509.Certificate) -> bytes:
        chosen = certificates or (self.leaf, self.intermediate, self.root)
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chosen)

    @property
    def root_hash(self) -> str:
        return self.root.fingerprint(hashes.SHA256()).hex(":").upper()

    @property
    def leaf_private_pem(self) -> bytes:
        return self.leaf_key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption())


X5U = "https://content-signature.cdn.test/chains/rules.pem"


def _verifier(chain: Chain, pem: bytes | None = None, *, root_hash: str | None = None,
              subject_name: str | None = None) -> SignatureVerifier:
    served = chain.pem() if pem is None else pem
    return SignatureVerifier(root_hash=root_hash or chain.root_hash, subject_name=subject_name,
                             fetch={X5U: served}.__getitem__, now=lambda: NOW)


@pytest.fixture(scope="module")
def chain() -> Chain:
    return Chain()


@pytest.fixture
def chained(chain: Chain, tmp_path: Path) -> dict[str, Any]:
    return sign(chain.leaf_private_pem, tmp_path, [dict(r) for r in RECORDS], TIMESTAMP, X5U)


def test_a_signature_verifies_through_its_chain(chain: Chain, chained: dict[str, Any]) -> None:
    _verifier(chain).verify(chained)
    # The pin in lower case without colons is the same pin.
    _verifier(chain, root_hash=chain.root_hash.replace(":", "").lower()).verify(chained)


def test_the_leaf_must_be_for_the_expected_signer(chain: Chain,
                                                  chained: dict[str, Any]) -> None:
    _verifier(chain, subject_name="rules.content-signature.test").verify(chained)
    with pytest.raises(InvalidSignature, match=re.escape(
            "the certificate 'CN=rules.content-signature.test' is not for "
            "'onecrl.content-signature.test' (its names: rules.content-signature.test)")) as caught:
        _verifier(chain, subject_name="onecrl.content-signature.test").verify(chained)
    assert caught.value.check == "subject"
    with pytest.raises(ConfigurationError, match="goes with root_hash="):
        SignatureVerifier(public_key=chain.leaf_key.public_key(), subject_name="x")


def test_a_changed_record_fails_under_the_chain(chain: Chain, chained: dict[str, Any]) -> None:
    _changed(chained)
    with pytest.raises(InvalidSignature, match="under the x5u certificate") as caught:
        _verifier(chain).verify(chained)
    assert caught.value.check == "signature"


def test_an_expired_leaf_fails(tmp_path: Path) -> None:
    expired = Chain(start=NOW - 60 * DAY, end=NOW - DAY)
    signed = sign(expired.leaf_private_pem, tmp_path, RECORDS, TIMESTAMP, X5U)
    with pytest.raises(InvalidSignature, match=r"'CN=rules.content-signature.test' is valid "
                       r"from .* to .* UTC, not now") as caught:
        _verifier(expired).verify(signed)
    assert caught.value.check == "validity"


def test_a_leaf_not_yet_valid_fails(tmp_path: Path) -> None:
    early = Chain(start=NOW + DAY, end=NOW + 60 * DAY)
    signed = sign(early.leaf_private_pem, tmp_path, RECORDS, TIMESTAMP, X5U)
    with pytest.raises(InvalidSignature) as caught:
        _verifier(early).verify(signed)
    assert caught.value.check == "validity"


def test_a_chain_missing_its_intermediate_is_broken(chain: Chain,
                                                    chained: dict[str, Any]) -> None:
    with pytest.raises(InvalidSignature, match=r"the chain is broken: "
                       r"'CN=rules.content-signature.test' is issued by 'CN=test intermediate'"
                       r", not by the next certificate 'CN=test root'") as caught:
        _verifier(chain, chain.pem(chain.leaf, chain.root)).verify(chained)
    assert caught.value.check == "chain"


def test_an_intermediate_signed_by_another_root_is_broken(chain: Chain,
                                                          chained: dict[str, Any]) -> None:
    # Same names, another key: only the signature check tells them apart.
    impostor = Chain()
    with pytest.raises(InvalidSignature, match=r"'CN=test intermediate' is not signed by "
                       r"'CN=test root'") as caught:
        _verifier(chain, chain.pem(chain.leaf, chain.intermediate, impostor.root)
                  ).verify(chained)
    assert caught.value.check == "chain"


def test_a_chain_to_another_root_fails_the_pin(chain: Chain, chained: dict[str, Any]) -> None:
    other = Chain()
    with pytest.raises(InvalidSignature, match=r"root 'CN=test root' has SHA-256 fingerprint "
                       r"[0-9A-F:]{95}, not the pinned root_hash") as caught:
        _verifier(chain, root_hash=other.root_hash).verify(chained)
    assert caught.value.check == "root"


def test_a_leaf_that_did_not_sign_fails(chain: Chain, tmp_path: Path) -> None:
    other = Chain()
    signed = sign(other.leaf_private_pem, tmp_path, RECORDS, TIMESTAMP, X5U)
    with pytest.raises(InvalidSignature, match="signed with another key") as caught:
        _verifier(chain).verify(signed)
    assert caught.value.check == "signature"


@pytest.mark.parametrize(
    ("x5u", "pem", "message"),
    [
        ("", b"", r"x5u is empty\): verify it with public_key="),
        ("http://cdn.example/chain.pem", b"", "not an https URL"),
        (X5U, b"<html>not found</html>", "not a PEM certificate chain"),
    ],
)
def test_an_unusable_x5u_says_what_is_wrong(chain: Chain, chained: dict[str, Any], x5u: str,
                                           pem: bytes, message: str) -> None:
    chained["metadata"]["signature"]["x5u"] = x5u
    with pytest.raises(InvalidSignature, match=message) as caught:
        _verifier(chain, pem).verify(chained)
    assert caught.value.check in ("x5u", "chain")


class ChainHandler(BaseHTTPRequestHandler):
    """Serves one PEM chain and records what each request carried (no Kinto serves x5u)."""

    pem = b""
    seen: list[dict[str, str]] = []  # noqa: RUF012 - one server per test, reset by the fixture

    def do_GET(self) -> None:
        type(self).seen.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-pem-file")
        self.send_header("Content-Length", str(len(self.pem)))
        self.end_headers()
        self.wfile.write(self.pem)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def chain_origin(chain: Chain) -> Iterator[str]:
    ChainHandler.pem, ChainHandler.seen = chain.pem(), []
    with local_server(ChainHandler) as origin:
        yield origin


def test_the_chain_is_fetched_once_without_credentials(
    chain: Chain, chain_origin: str, tmp_path: Path
) -> None:
    x5u = f"{chain_origin}/chains/rules.pem"
    signed = sign(chain.leaf_private_pem, tmp_path, RECORDS, TIMESTAMP, x5u)
    # The transport of a Kinto server elsewhere, with credentials and a header of its own.
    transport = Transport("http://127.0.0.1:9/v1", auth=AUTH, headers={"X-Team": "secret"},
                          user_agent="reader/2")
    verifier = SignatureVerifier(root_hash=chain.root_hash, transport=transport,
                                 now=lambda: NOW)
    verifier.verify(signed)
    verifier.verify(signed)
    assert len(ChainHandler.seen) == 1
    headers = ChainHandler.seen[0]
    assert "Authorization" not in headers and "X-Team" not in headers
    assert headers["User-Agent"].startswith("reader/2 kinto_query/")


def test_an_unreachable_chain_is_an_x5u_failure(chain: Chain, tmp_path: Path) -> None:
    signed = sign(chain.leaf_private_pem, tmp_path, RECORDS, TIMESTAMP,
                  "http://127.0.0.1:9/chain.pem")  # port 9 (discard): nothing listens
    verifier = SignatureVerifier(root_hash=chain.root_hash, now=lambda: NOW,
                                 transport=Transport("http://127.0.0.1:9", retry=None))
    with pytest.raises(InvalidSignature, match=re.escape(
            "cannot fetch the certificate chain at http://127.0.0.1:9/chain.pem")) as caught:
        verifier.verify(signed)
    assert caught.value.check == "x5u"


def test_without_a_transport_the_chain_is_fetched_by_one_of_its_own(
    chain: Chain, chain_origin: str, tmp_path: Path
) -> None:
    x5u = f"{chain_origin}/chains/rules.pem"
    signed = sign(chain.leaf_private_pem, tmp_path, RECORDS, TIMESTAMP, x5u)
    SignatureVerifier(root_hash=chain.root_hash, now=lambda: NOW).verify(signed)
    [headers] = ChainHandler.seen
    assert headers["User-Agent"].startswith("kinto_query/") and "Authorization" not in headers


# -- against a real Remote Settings server (kinto-signer signing as it does in production) --------


def test_a_real_remote_settings_changeset_verifies_on_each_backend(
    kinto_any_rs_server: Any,
) -> None:
    server = kinto_any_rs_server
    server.publish("rules", [{"id": "fr", "name": "Zoë \u2028 \"q\" \\"}, {"id": "de", "n": 7},
                             {"id": "nested", "v": {"z": [1, "2", None], "a": True}}])
    second = server.publish("rules", [{"id": "it", "name": "Italia"}], delete=["de"])
    client = Client(server.url)
    path = "/buckets/main/collections/rules/changeset"
    whole = client.transport.send(Request("GET", f"{path}?_expected={second}")).json()
    verifier = SignatureVerifier(public_key=server.public_key_pem)
    verifier.verify(whole)
    assert sorted(r["id"] for r in whole["changes"]) == ["fr", "it", "nested"]

    whole["changes"][0]["name"] = "tampered"
    with pytest.raises(InvalidSignature, match="collection 'rules': the signature does not "
                       "match") as caught:
        verifier.verify(whole)
    assert caught.value.check == "signature"
    with pytest.raises(InvalidSignature, match="signed with another key"):
        verify_signature(client.transport.send(Request("GET", f"{path}?_expected={second}"))
                         .json(), public_key=signer_module.ECDSASigner.generate_keypair()[1])
    client.close()
