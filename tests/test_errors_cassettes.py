"""Cassette tests: server info and every error class, from a real Kinto's answers."""

from __future__ import annotations

import pytest

from kinto_query import (
    BadRequest,
    Client,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unauthorized,
)
from kinto_query.testing import Recorder

from .conftest import put


def test_server_info_is_fetched_once(kinto_client: Client, request_log: object) -> None:
    info = kinto_client.server_info()
    assert info["project_name"] == "kinto"
    assert info["http_api_version"].startswith("1.")
    assert kinto_client.batch_max_requests == 25
    assert {"default_bucket", "accounts", "history"} <= set(kinto_client.capabilities)
    assert info["user"]["id"].startswith("basicauth:")
    kinto_client.server_info()
    assert request_log.sent == [("GET", "/")]  # type: ignore[attr-defined]


def test_unauthorized_without_credentials(kinto_recorder: Recorder) -> None:
    anonymous = kinto_recorder.client()
    with pytest.raises(Unauthorized) as caught:
        anonymous._request("PUT", "/buckets/b", body={"data": {}})
    error = caught.value
    assert (error.status, error.errno) == (401, 104)
    assert str(error) == (
        "PUT /v1/buckets/b -> 401 Unauthorized: "
        "Please authenticate yourself to use this endpoint. (errno 104)"
    )


def test_forbidden_for_a_bucket_of_someone_else(kinto_recorder: Recorder) -> None:
    alice = kinto_recorder.client(auth=("alice", "s3cret"))
    bob = kinto_recorder.client(auth=("bob", "hunter22"))
    put(alice, "/buckets/private")
    for path in ("/buckets/private", "/buckets/does-not-exist"):
        with pytest.raises(Forbidden) as caught:
            bob._request("GET", path)
        assert (caught.value.status, caught.value.errno) == (403, 121)
        assert str(caught.value) == (
            f"GET /v1{path} -> 403 Forbidden: This user cannot access this resource. "
            "(Kinto answers 403 both when you may not access an object and when a bucket "
            "does not exist) (errno 121)"
        )


def test_not_found_missing_collection_and_record(kinto_client: Client) -> None:
    put(kinto_client, "/buckets/b")
    with pytest.raises(NotFound) as caught:
        kinto_client._request("GET", "/buckets/b/collections/c/records")
    assert str(caught.value) == (
        "GET /v1/buckets/b/collections/c/records -> 404 Not Found: "
        "collection 'c' not found (errno 111)"
    )
    assert caught.value.details == {"id": "c", "resource_name": "collection"}
    put(kinto_client, "/buckets/b/collections/c")
    with pytest.raises(NotFound) as caught:
        kinto_client.bucket("b").collection("c").get("nope")
    assert str(caught.value) == (
        "GET /v1/buckets/b/collections/c/records/nope -> 404 Not Found: "
        "record 'nope' not found (errno 110)"
    )


def test_bad_request_for_an_invalid_id_sent_raw(kinto_client: Client) -> None:
    # The client never builds such a path (InvalidId first); sent raw to see the server's answer.
    with pytest.raises(BadRequest) as caught:
        kinto_client._request("PUT", "/buckets/x.y", body={"data": {}})
    error = caught.value
    assert (error.status, error.errno) == (400, 107)
    assert str(error) == (
        "PUT /v1/buckets/x.y -> 400 Bad Request: path: Invalid object id (errno 107)"
    )


def test_precondition_failed_carries_the_existing_object(kinto_client: Client) -> None:
    put(kinto_client, "/buckets/b")
    first = put(kinto_client, "/buckets/b/collections/c", {"v": 1})
    put(kinto_client, "/buckets/b/collections/c", {"v": 2})
    with pytest.raises(PreconditionFailed) as caught:
        kinto_client._request(
            "PUT",
            "/buckets/b/collections/c",
            body={"data": {"v": 3}},
            headers={"If-Match": f'"{first["data"]["last_modified"]}"'},
        )
    error = caught.value
    assert (error.status, error.errno) == (412, 114)
    assert error.existing is not None and error.existing["v"] == 2
    assert kinto_client._request("GET", "/buckets/b/collections/c").json()["data"]["v"] == 2


def test_credentials_set_outside_the_recorder_are_scrubbed(kinto_recorder: Recorder) -> None:
    # Auth set on the session itself, and a token sent as a plain header: neither is written
    # to the cassette (test_cassette_hygiene scans for both).
    kinto_recorder.session.auth = ("carol", "c4r0l-pw")
    session_auth = Client(kinto_recorder.server_url, session=kinto_recorder.session)
    assert session_auth.server_info()["user"]["id"].startswith("basicauth:")
    kinto_recorder.session.auth = None
    header_token = Client(kinto_recorder.server_url, session=kinto_recorder.session,
                          headers={"Authorization": "Bearer t0ken-xyz"})
    with pytest.raises(Unauthorized):
        header_token._request("PUT", "/buckets/b", body={"data": {}})
