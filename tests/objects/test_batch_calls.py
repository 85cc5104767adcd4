"""Tests of _objects/batch_calls.py: a mixed batch's handles before and after it is sent."""

from __future__ import annotations

import pytest

from kinto_query import Request
from kinto_query._objects.batch_calls import BatchHandle
from kinto_query.exceptions import BatchNotSent, KintoError


def test_a_handle_has_no_result_before_the_batch_is_sent() -> None:
    handle = BatchHandle(Request("DELETE", "/buckets/b"), None)
    assert repr(handle) == "<BatchHandle DELETE /buckets/b: not sent>"
    with pytest.raises(BatchNotSent, match="DELETE /buckets/b"):
        handle.result()
    assert "a save with nothing to send" in repr(BatchHandle(None, 1))


def test_a_settled_handle_gives_its_value_or_raises_its_error() -> None:
    done = BatchHandle(Request("GET", "/buckets/b"), "value")
    done._settle(None)
    assert (done.result(), done.exception(), repr(done).endswith(": succeeded>")) == (
        "value", None, True)
    failed = BatchHandle(Request("GET", "/buckets/c"), None)
    failed._settle(KintoError("gone"))
    with pytest.raises(KintoError, match="gone"):
        failed.result()
    assert repr(failed).endswith(": failed: gone>")
