"""Tests of _urls.py: the server URL's rules and the origin a URL really points at (pure)."""

from __future__ import annotations

import re

import pytest

from kinto_query import ConfigurationError, UnsafeURL
from kinto_query._urls import check_server_url, is_local, origin, refuse_redirect


def test_origin_is_where_requests_connects() -> None:
    assert origin("HTTP://Kinto.Test/v1/x") == ("http", "kinto.test", 80)
    assert origin("https://kinto.test:8443/v1") == ("https", "kinto.test", 8443)
    # urllib's urlsplit reads port 2222 here; requests (urllib3) connects to 1111.
    assert origin("http://127.0.0.1:1111\\@127.0.0.1:2222/v1") == ("http", "127.0.0.1", 1111)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://kinto.test/v1", "http\\(s\\) URL"),
        ("http://alice:pw@kinto.test/v1", "must not hold credentials"),
        ("http://kinto.test/v1?x=1", "query or fragment"),
    ],
)
def test_bad_server_urls_are_configuration_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        check_server_url(url)
    assert check_server_url("http://kinto.test/v1/") == "http://kinto.test/v1"


def test_local_hosts() -> None:
    assert all(map(is_local, ["localhost", "127.0.0.2", "::1", "kinto.test", "a.localhost"]))
    assert not any(map(is_local, ["kinto.example.com", "10.0.0.1", "test.com"]))


def test_a_redirect_that_inserts_v1_names_the_url_to_use() -> None:
    with pytest.raises(ConfigurationError, match=re.escape("probably 'http://kinto.test/v1'")):
        refuse_redirect("http://kinto.test", "GET", "http://kinto.test/buckets/b",
                        "/v1/buckets/b")


def test_any_other_redirect_is_refused() -> None:
    with pytest.raises(UnsafeURL, match=re.escape("redirected to http://elsewhere.test/v1/buckets")):
        refuse_redirect("http://kinto.test/v1", "GET", "http://kinto.test/v1/buckets",
                        "http://elsewhere.test/v1/buckets")
