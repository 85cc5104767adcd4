"""Tests of testing/scrub.py: what never reaches a cassette, and recorded user ids."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import subprocess
import sys

import pytest
import requests

from kinto_query.testing import SCRUBBED, KintoServer, Scrub
from kinto_query.testing.scrub import label_user_ids, labels_in_use

pytest_plugins = ["pytester"]

CONFTEST = 'pytest_plugins = ["kinto_query.testing"]\n'


_ENV = ("KINTO_QUERY_RECORD_MODE", "KINTO_QUERY_RECORD_URL", "KINTO_QUERY_RECORD_AUTH",
        "KINTO_SERVER_URL")


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An empty project that opted in to the plugin, and no record setting from outside."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(CONFTEST)
    return pytester


# -- 2. secrets ----------------------------------------------------------------------------------

_SCRUB_CONFTEST = CONFTEST + """
import pytest
from kinto_query.testing import Scrub

@pytest.fixture
def kinto_scrub():
    return Scrub(headers=["X-Tenant"], fields=["data.ssn"], patterns=[r"sk_live_[a-z0-9]+"])
"""


_SECRETS = """
from kinto_query import Bucket, Request

def test_secrets(kinto_recorder):
    anonymous = kinto_recorder.client()
    account = anonymous.transport.send(
        Request("PUT", "/accounts/bob", {"data": {"password": "b0b-pa55"}})).json()
    assert set(account["data"]) >= {"id", "password"}   # the bcrypt hash comes back
    bob = kinto_recorder.client(auth=("bob", "b0b-pa55"))
    assert bob.server_info()["user"]["id"] == "account:bob"

    alice = kinto_recorder.client(auth=("alice", "s3cret"), headers={
        "X-Api-Key": "k3y-123", "Cookie": "session=c00kie", "X-Tenant": "t3nant"})
    me = alice.server_info()["user"]["id"]
    bucket = Bucket("b", client=alice, create=True)
    bucket.permissions.read += [me, "account:bob"]      # a user id read, then sent back
    bucket.save()
    assert me in bucket.refresh().permissions.write
    todo = bucket.create_collection("todo")
    record = todo.create_record({"ssn": "123-45-6789", "note": "key sk_live_abc123 here"})
    assert todo.get(record.id).data.note.startswith("key ")
"""


@pytest.mark.live
def test_2_cassettes_hold_no_credential_and_no_secret(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makeconftest(_SCRUB_CONFTEST)
    project.makepyfile(test_secrets=_SECRETS)
    monkeypatch.setenv("KINTO_QUERY_RECORD_MODE", "once")
    project.runpytest().assert_outcomes(passed=1)
    text = (project.path / "cassettes" / "test_secrets" / "test_secrets.json").read_text()
    basic = [base64.b64encode(c.encode()).decode() for c in ("alice:s3cret", "bob:b0b-pa55")]
    for secret in ("s3cret", "b0b-pa55", "$2b$", "k3y-123", "c00kie", "t3nant", "123-45-6789",
                   "sk_live_abc123", *basic):
        assert secret not in text
    assert not re.search(r"basicauth:[0-9a-f]{64}", text)
    assert "<SCRUBBED>" in text and '"basicauth:user1"' in text
    # Replayed: the password and the user id sent back match what was recorded.
    monkeypatch.setenv("KINTO_QUERY_RECORD_MODE", "none")
    project.runpytest().assert_outcomes(passed=1)


_FORM_AND_URL_SECRETS = """
import io
from kinto_query import Bucket, Request

def test_form_and_url_secrets(kinto_recorder):
    alice = kinto_recorder.client(auth=("alice", "s3cret"))
    todo = Bucket("b", client=alice, create=True).create_collection("todo")
    record = todo.record({"id": "r1", "password": "f0rm-pa55"})
    record.attach(io.BytesIO(bytes(range(256))), filename="blob.png")
    record.attach(io.BytesIO(b"plain text"), filename="note.txt")
    found = alice.transport.send(Request("GET", "/buckets?token=ur1-t0ken&_limit=5")).json()
    assert found["data"] == []
"""


@pytest.mark.live
def test_form_fields_and_url_secrets_never_reach_a_cassette(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """attach() sends a new record's data as a multipart form field (binary file or text
    file), a URL may carry ?token=: neither secret is stored, and the cassette replays."""
    project.makepyfile(test_form_and_url_secrets=_FORM_AND_URL_SECRETS)
    monkeypatch.setenv("KINTO_QUERY_RECORD_MODE", "once")
    project.runpytest().assert_outcomes(passed=1)
    path = project.path / "cassettes" / "test_form_and_url_secrets"
    text = (path / "test_form_and_url_secrets.json").read_text()
    assert '{\\"password\\": \\"<SCRUBBED>\\"}' in text  # the form field, kept scrubbed
    for secret in ("f0rm-pa55", "ur1-t0ken"):
        assert secret not in text
    assert "token=<SCRUBBED>" in text
    monkeypatch.setenv("KINTO_QUERY_RECORD_MODE", "none")
    project.runpytest().assert_outcomes(passed=1)


ALICE = "basicauth:" + "a" * 64


BOB = "basicauth:" + "b" * 64


def test_credential_headers_are_scrubbed_by_default_and_others_kept() -> None:
    scrub = Scrub(headers=["X-Tenant"])
    secret = ["Authorization", "proxy-authorization", "Cookie", "Set-Cookie", "X-Api-Key",
              "X-Auth-Token", "X-My-Session-Id", "X-Tenant", "Client-Secret"]
    kept = ["ETag", "Content-Type", "Total-Objects", "Next-Page", "Backoff", "Alert"]
    assert [scrub.secret_header(h) for h in secret] == [True] * len(secret)
    assert [scrub.secret_header(h) for h in kept] == [False] * len(kept)


def test_json_paths_name_fields_at_a_place_or_at_any_depth() -> None:
    scrub = Scrub(fields=["data.ssn", "*.card.number"])
    body = {
        "data": {"ssn": "1", "password": "p", "keep": "k", "card": {"number": "4", "cvc": 1}},
        "requests": [{"body": {"data": {"password": "q", "ssn": "2"}}}],
    }
    assert scrub.json(body) == {
        "data": {"ssn": SCRUBBED, "password": SCRUBBED, "keep": "k",
                 "card": {"number": SCRUBBED, "cvc": 1}},
        # password (the default, **.password) at any depth; data.ssn only from the root.
        "requests": [{"body": {"data": {"password": SCRUBBED, "ssn": "2"}}}],
    }


def test_patterns_apply_to_every_string_url_and_text_body() -> None:
    scrub = Scrub(patterns=[r"sk_live_\w+"])
    assert scrub.json({"a": ["x sk_live_abc y", 3]}) == {"a": [f"x {SCRUBBED} y", 3]}
    assert scrub.text("/v1/buckets?key=sk_live_9") == f"/v1/buckets?key={SCRUBBED}"
    assert scrub.body("plain sk_live_1") == f"plain {SCRUBBED}"
    assert scrub.body('{"not json') == '{"not json'


def test_scrub_settings_are_checked() -> None:
    with pytest.raises(TypeError, match="takes a list of strings"):
        Scrub(headers="X-Tenant")
    with pytest.raises(ValueError, match="dotted names"):
        Scrub(fields=["data..ssn"])


def test_an_interaction_is_scrubbed_and_its_json_bodies_kept_as_json() -> None:
    interaction = {
        "request": {"method": "PUT", "uri": "http://h/v1/accounts/bob",
                    "headers": {"Authorization": ["Basic Ym9iOnB3"], "Accept": ["*/*"]},
                    "body": {"encoding": "utf-8", "string": '{"data": {"password": "pw"}}'}},
        "response": {"headers": {"Set-Cookie": "s=1"}, "url": "http://h/v1/accounts/bob",
                     "body": {"encoding": "utf-8", "string": '{"data": {"password": "$2b$"}}'}},
    }
    scrubbed = Scrub().interaction(interaction)
    assert scrubbed["request"]["headers"] == {"Authorization": [SCRUBBED], "Accept": ["*/*"]}
    assert scrubbed["request"]["body"] == {"encoding": "utf-8",
                                           "json": {"data": {"password": SCRUBBED}}}
    assert scrubbed["response"]["headers"] == {"Set-Cookie": [SCRUBBED]}
    assert scrubbed["response"]["body"]["json"] == {"data": {"password": SCRUBBED}}
    assert interaction["request"]["headers"]["Authorization"] == ["Basic Ym9iOnB3"]  # a copy


def test_user_ids_get_one_label_each_in_order_of_appearance() -> None:
    labels: dict[str, str] = {}
    cassette = [{"user": {"id": BOB}}, {f"?user_id={ALICE}": [BOB, ALICE, "account:carol"]}]
    assert label_user_ids(cassette, labels) == [
        {"user": {"id": "basicauth:user1"}},
        {"?user_id=basicauth:user2": ["basicauth:user1", "basicauth:user2", "account:carol"]},
    ]
    # A cassette extended later (record mode new) goes on after the labels it holds.
    held = labels_in_use([{"id": "basicauth:user2"}])
    assert label_user_ids(["x " + BOB], held) == ["x basicauth:user3"]


def _hmac(secret: str, credentials: str) -> str:
    return hmac.new(secret.encode(), credentials.encode(), hashlib.sha256).hexdigest()


def test_user_ids_are_keyed_with_a_secret_never_published(kinto_server: str) -> None:
    # Recorded user ids (before their labels) could not be traced back to a password: the
    # secret was the published "kinto-query-tests"; it is now drawn for each process.
    user = requests.get(kinto_server + "/", auth=("alice", "s3cret"), timeout=10).json()["user"]
    assert user["id"] != "basicauth:" + _hmac("kinto-query-tests", "alice:s3cret")
    assert user["id"] == "basicauth:" + _hmac(KintoServer().userid_hmac_secret, "alice:s3cret")
    code = "from kinto_query.testing import KintoServer; print(KintoServer().userid_hmac_secret)"
    drawn = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip() for _ in range(2)}
    assert len(drawn) == 2 and all(len(secret) == 64 for secret in drawn)
