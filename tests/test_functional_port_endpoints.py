"""kinto-http.py's functional tests that rest on accounts and flush, ported to our API.

kinto-http.py (``tests/test_functional.py`` and ``tests/conftest.py``) runs every test
against a Kinto whose only policy is accounts (``multiauth.policies = account``), with
``paginate_by = 5`` and bucket creation reserved to ``account:user``. Its fixture creates the
account ``user`` (``PUT /accounts/user``), and flushes the server afterwards; its
``get_user_id`` creates an account and returns ``account:<id>``. Here the same server
settings, ``client.accounts.create`` for the accounts, ``client.whoami()`` for the user ids
and ``client.flush()`` for the teardown. The tests are theirs, in the same order, rewritten
as a user of kinto_query would write them; only those about accounts, identities and
sharing between accounts are ported here (the rest belongs to the core's tests).

kinto-http.py's functional suite has no test of history, flush or the permissions endpoint
beyond its teardown's flush; its history calls are tested against a mocked session in
``tests/test_client.py``. Those three are ported at the end, live.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from kinto_query import Bucket, Client, Forbidden, NotAuthenticated
from kinto_query.testing import KintoServer

from .conftest import RequestLog

pytestmark = pytest.mark.live

DEFAULT_AUTH = ("user", "p4ssw0rd")
ALICE = ("alice", "p4ssw0rd")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """kinto-http.py's test server (tests/config/kinto.ini), in our KintoServer."""
    settings = {"multiauth_policies": "account", "paginate_by": 5,
                "bucket_create_principals": "account:user"}
    with KintoServer(settings=settings) as kinto:
        yield kinto.url


@pytest.fixture
def functional_setup(server: str) -> Iterator[Client]:
    """Create the user and return its client; flush the server afterwards."""
    client = Client(server, auth=DEFAULT_AUTH)
    client.accounts.create(*DEFAULT_AUTH)
    yield client
    client.flush()
    # Everything went, the account too: its credentials authenticate nobody now.
    assert requests.get(server + "/", auth=DEFAULT_AUTH, timeout=10).json().get("user") is None


def get_user_id(server: str, credentials: tuple[str, str]) -> str:
    """kinto-http.py's helper: create the account, return its user id."""
    return Client(server).accounts.create(*credentials).user_id


def test_bucket_creation(functional_setup: Client) -> None:
    client = functional_setup
    bucket = Bucket("mozilla", client=client, create=True)
    user_id = client.whoami(expect_account=True).user_id
    assert user_id == "account:user"
    assert user_id in bucket.permissions.write


def test_bucket_save(functional_setup: Client) -> None:
    client = functional_setup
    Bucket("mozilla", client=client, create=True, permissions={"write": ["account:alexis"]})
    bucket = client.bucket("mozilla")
    assert "account:alexis" in bucket.permissions.write


def test_bucket_sharing(functional_setup: Client, server: str) -> None:
    client = functional_setup
    alice_userid = get_user_id(server, ALICE)

    # Create a bucket and share it with alice.
    Bucket("shared-bucket", client=client, create=True, permissions={"read": [alice_userid]})

    alice_client = Client(server, auth=ALICE)
    assert alice_client.bucket("shared-bucket").refresh().id == "shared-bucket"


def test_collection_sharing(functional_setup: Client, server: str) -> None:
    client = functional_setup
    alice_userid = get_user_id(server, ALICE)

    Bucket("bob-bucket", client=client, create=True).create_collection(
        "shared", permissions={"read": [alice_userid]})

    # Try to read the collection as Alice.
    alice_client = Client(server, auth=ALICE)
    assert alice_client.bucket("bob-bucket").collection("shared").refresh().id == "shared"


def test_record_sharing(functional_setup: Client, server: str) -> None:
    client = functional_setup
    alice_userid = get_user_id(server, ALICE)

    # Create a record, and share it with Alice.
    collection = Bucket("bob-bucket", client=client, create=True).create_collection(
        "bob-personal-collection")
    record = collection.create_record({"foo": "bar"}, permissions={"read": [alice_userid]})

    # Try to read the record as Alice
    alice_client = Client(server, auth=ALICE)
    alice_collection = alice_client.bucket("bob-bucket").collection("bob-personal-collection")
    assert alice_collection.get_record(id=record.id).data.foo == "bar"


def test_records_paginated_list_retrieval(functional_setup: Client) -> None:
    collection = Bucket("mozilla", client=functional_setup, create=True).create_collection(
        "payments")
    for _ in range(10):
        collection.create_record({"foo": "bar"}, permissions={"read": ["account:alexis"]})
    # Kinto is running with kinto.paginate_by = 5
    assert len(collection.get_records()) == 10
    assert [len(page.items) for page in collection.pages()] == [5, 5]


# -- what the port adds: the account-only server's answers ---------------------------------------


def test_bucket_creation_is_reserved_to_the_user(functional_setup: Client, server: str) -> None:
    get_user_id(server, ALICE)
    with pytest.raises(Forbidden):
        Bucket("alice-bucket", client=Client(server, auth=ALICE), create=True)


def test_a_wrong_password_is_nobody_there(functional_setup: Client, server: str) -> None:
    with pytest.raises(NotAuthenticated, match="authenticated nobody"):
        Client(server, auth=("user", "wrong")).whoami()


# -- kinto-http.py's history calls (tests/test_client.py, against a mocked session there), ----
# -- live here on a server with the history plugin (kinto-http.py's test server has none) ------


@pytest.fixture
def mybucket(alice: Client) -> Bucket:
    bucket = Bucket("mybucket", client=alice, create=True)
    bucket.create_collection("c1").create_record({"id": "r1"})
    return bucket


def test_get_history_with_limit_sort_and_since(mybucket: Bucket) -> None:
    created = mybucket.history().sort("last_modified").first()
    assert created is not None and created.resource_name == "bucket"
    query = mybucket.history().limit(2).sort("-last_modified").since(created.last_modified)
    assert query.url.endswith(
        f"/buckets/mybucket/history?_sort=-last_modified&_since={created.last_modified}"
        "&_limit=2")
    assert [e.resource_name for e in query] == ["record", "collection"]


def test_filtering_by_resource_name(mybucket: Bucket) -> None:
    query = mybucket.history().filter(resource_name="collection")
    assert query.url.endswith("/buckets/mybucket/history?resource_name=collection")
    assert [(e.resource_name, e.collection_id) for e in query] == [("collection", "c1")]


def test_purging_of_history(mybucket: Bucket, alice: Client) -> None:
    log = RequestLog(alice)
    assert mybucket.history().delete() == 3
    assert log.sent == [("DELETE", "/buckets/mybucket/history")]
    assert list(mybucket.history()) == []
