"""Tests of _server/signing.py: what a Remote Settings signature is over, and refused chains."""

from __future__ import annotations

import datetime

import pytest

from kinto_query._server.signing import SIGN_PREFIX, check_chain, signed_payload
from kinto_query.exceptions import InvalidSignature


def test_the_payload_sorts_records_and_drops_tombstones() -> None:
    payload = signed_payload([{"id": "b", "last_modified": 2, "x": "é"},
                              {"id": "a", "deleted": True}, {"id": "a2", "last_modified": 1}],
                             2)
    assert payload.startswith(SIGN_PREFIX)
    assert payload[len(SIGN_PREFIX):].decode() == (
        '{"data":[{"id":"a2","last_modified":1},{"id":"b","last_modified":2,"x":"\\u00e9"}],'
        '"last_modified":"2"}')
    with pytest.raises(InvalidSignature, match="no string id"):
        signed_payload([{"last_modified": 1}], 1)


def test_a_chain_that_is_no_pem_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        check_chain(b"not a certificate", b"\x00" * 32,
                    datetime.datetime.now(datetime.timezone.utc))
