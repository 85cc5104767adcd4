"""Every cassette is free of credentials and of the recording server's address."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

CASSETTES = sorted(Path(__file__).parent.parent.joinpath("cassettes").glob("*.json"))
SECRETS = ["s3cret", "hunter22", "p4ssw0rd", "c4r0l-pw", "t0ken-xyz"]
ENCODED = [base64.b64encode(f"{u}:{p}".encode()).decode() for u, p in
           [("alice", "s3cret"), ("bob", "hunter22"), ("alexis", "p4ssw0rd"),
            ("carol", "c4r0l-pw")]]


def test_there_are_cassettes() -> None:
    assert len(CASSETTES) >= 10


@pytest.mark.parametrize("path", CASSETTES, ids=[p.stem for p in CASSETTES])
def test_cassette_holds_no_credential_and_no_port(path: Path) -> None:
    text = path.read_text()
    for secret in SECRETS + ENCODED:
        assert secret not in text
    assert not re.search(r"127\.0\.0\.1:\d+", text)
    for interaction in json.loads(text)["http_interactions"]:
        for value in interaction["request"]["headers"].get("Authorization", []):
            assert value == "<AUTHORIZATION>"
