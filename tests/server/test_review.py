"""Tests of _server/review.py and _signer.py: the review-and-sign workflow of Remote Settings, live
on the test kit's server with two users (an editor and a reviewer, as ``publish()`` does),
and the guard that keeps writes off the collections the signer owns."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import requests

from kinto_query import (
    BatchError,
    Bucket,
    Client,
    CollectionRef,
    Forbidden,
    InvalidReviewStep,
    LastEditorCannotReview,
    PreconditionFailed,
    ReviewConflict,
    ReviewError,
    ReviewForbidden,
    ReviewStatus,
    SignerOwned,
    SigningNotEnabled,
    verify_signature,
)
from kinto_query._messages import Request
from kinto_query.testing import RemoteSettingsServer, publish
from kinto_query.testing.remote_settings import EDITOR, REVIEWER

from ..conftest import RequestLog, scripted_client

REGIONS = [{"id": "fr", "name": "France"}, {"id": "de", "name": "Germany"}]
WORKSPACE = "/buckets/main-workspace/collections/regions"


def _raw_destination(server: RemoteSettingsServer) -> dict[str, Any]:
    """The destination's changeset, read with plain requests (not through kinto_query)."""
    answer = requests.get(f"{server.url}/buckets/main/collections/regions/changeset",
                          params={"_expected": "0"}, timeout=10)
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def _names(changeset: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["name"] for r in changeset["changes"] if not r.get("deleted")}


def _user_id(client: Client) -> str:
    user_id: str = client.server_info()["user"]["id"]
    return user_id


@pytest.fixture
def rs(kinto_fresh_rs_server: RemoteSettingsServer) -> RemoteSettingsServer:
    """The kit's Remote Settings server with ``regions`` published (memory backend)."""
    kinto_fresh_rs_server.publish("regions", REGIONS)
    return kinto_fresh_rs_server


@pytest.fixture
def any_rs(kinto_any_rs_server: RemoteSettingsServer) -> RemoteSettingsServer:
    """The same, on each backend in turn."""
    kinto_any_rs_server.publish("regions", REGIONS)
    return kinto_any_rs_server


@pytest.fixture
def editor(rs: RemoteSettingsServer) -> Client:
    return Client(rs.url, auth=EDITOR)


@pytest.fixture
def reviewer(rs: RemoteSettingsServer) -> Client:
    return Client(rs.url, auth=REVIEWER)


def _workspace(client: Client) -> Any:
    return client.bucket("main-workspace").collection("regions")


def test_a_full_cycle_edit_request_decline_edit_request_approve(
    any_rs: RemoteSettingsServer,
) -> None:
    rs = any_rs
    editor, reviewer = Client(rs.url, auth=EDITOR), Client(rs.url, auth=REVIEWER)
    ours, theirs = _workspace(editor), _workspace(reviewer)
    status = ours.review_status()
    assert isinstance(status, ReviewStatus) and status.status == "signed"
    assert status.workspace == CollectionRef("main-workspace", "regions")
    assert status.preview == CollectionRef("main-preview", "regions")
    assert str(status.destination) == "/buckets/main/collections/regions"
    assert status.signer.to_review_enabled and status.signer.reviewers_group == "reviewers"

    ours.create_record({"id": "be", "name": "Belgium?"})
    assert ours.review_status().status == "work-in-progress"
    asked = ours.request_review("Add Belgium")
    assert (asked.status, asked.editor_comment) == ("to-review", "Add Belgium")
    assert asked.last_review_request_by == _user_id(editor)
    assert asked.under_review and asked.last_review_request_date is not None

    declined = theirs.decline("Its name is Belgium")
    assert (declined.status, declined.reviewer_comment) == ("work-in-progress",
                                                            "Its name is Belgium")
    assert "be" not in _names(_raw_destination(rs))  # nothing published by a decline

    ours.update_record("be", {"name": "Belgium"})
    ours.refresh()
    assert ours.request_review("Fixed").status == "to-review"
    # The reviewer's last read predates this request: read again, then approve.
    assert theirs.review_status().editor_comment == "Fixed"
    approved = theirs.approve()
    assert approved.status == "signed"
    assert approved.last_review_by == approved.last_signature_by == _user_id(reviewer)
    assert approved.last_signature_date is not None

    published = _raw_destination(rs)
    assert _names(published) == {"fr": "France", "de": "Germany", "be": "Belgium"}
    verify_signature(published, public_key=rs.public_key_pem)


def test_each_step_is_one_patch_with_if_match_then_a_read(editor: Client) -> None:
    ours = _workspace(editor)
    ours.create_record({"id": "be", "name": "Belgium"})
    status = ours.review_status()
    log = RequestLog(editor)
    ours.request_review("please")
    assert log.sent == [("PATCH", WORKSPACE), ("GET", WORKSPACE)]
    patch = log.requests[0]
    assert patch.headers["If-Match"] == f'"{status.timestamp}"'
    assert patch.body is not None and b'"status":"to-review"' in patch.body.replace(b" ", b"")
    assert b'"last_editor_comment":"please"' in patch.body.replace(b" ", b"")


def test_a_status_changed_by_the_other_user_meanwhile_is_a_conflict(
    any_rs: RemoteSettingsServer,
) -> None:
    rs = any_rs
    editor, reviewer = Client(rs.url, auth=EDITOR), Client(rs.url, auth=REVIEWER)
    ours, theirs = _workspace(editor), _workspace(reviewer)
    ours.create_record({"id": "be", "name": "Belgium"})
    ours.request_review("Add Belgium")
    seen = theirs.review_status()
    assert seen.under_review
    # Between the reviewer's read and approval, the editor changes a record: the reviewer
    # would sign what they never saw.
    ours.create_record({"id": "nl", "name": "Netherlands"})
    with pytest.raises(ReviewConflict) as caught:
        theirs.approve()
    error = caught.value
    assert isinstance(error, PreconditionFailed) and isinstance(error, ReviewError)
    assert error.status == 412 and error.review_status == "work-in-progress"
    assert error.collection == WORKSPACE
    assert ("collection main-workspace/regions changed on the server since you read its "
            "review status (its status is now 'work-in-progress')") in str(error)
    assert "read review_status() again" in str(error)
    assert set(_names(_raw_destination(rs))) == {"fr", "de"}
    assert pickle.loads(pickle.dumps(error)).review_status == "work-in-progress"

    # The status itself changed by the other user: the editor reads it under review and
    # means to roll back; the reviewer approves first.
    ours.review_status()
    ours.request_review("Add Belgium and the Netherlands")
    assert ours.review_status().under_review
    theirs.review_status()
    theirs.approve()
    with pytest.raises(ReviewConflict, match=r"\(its status is now 'signed'\)") as late:
        ours.rollback()
    assert "rollback() again if it still holds" in str(late.value)
    assert set(_names(_raw_destination(rs))) == {"fr", "de", "be", "nl"}


def test_the_last_editor_cannot_approve(rs: RemoteSettingsServer, editor: Client) -> None:
    ours = _workspace(editor)
    ours.create_record({"id": "be", "name": "Belgium"})
    ours.request_review("mine")
    log = RequestLog(editor)
    with pytest.raises(LastEditorCannotReview) as caught:
        ours.approve()
    error = caught.value
    # Sure before sending (If-Match pins who asked): nothing sent, and the memory backend,
    # which keeps a refused status, is not left at 'to-sign'.
    assert error.cause is None and log.sent == []
    assert error.review_status == "to-review" and error.collection == WORKSPACE
    assert str(error) == (
        f"{WORKSPACE}: you ({_user_id(editor)}) asked for this review yourself, and the last "
        "editor cannot approve it; another user (a reviewer) must approve() it, or decline() "
        "it and edit on; nothing was sent")
    assert ours.review_status().status == "to-review"
    assert set(_names(_raw_destination(rs))) == {"fr", "de"}


def test_the_servers_refusals_are_translated() -> None:
    """The server's own refusals, for the cases the client does not see coming (another
    kinto-signer's rules): hand-written answers, since the kit's server, whose rules the
    client checks first, never sends them for these steps."""
    info = {"capabilities": {"signer": {
        "resources": [{"source": {"bucket": "ws", "collection": None},
                       "destination": {"bucket": "pub", "collection": None}}],
        "to_review_enabled": False, "editors_group": "{collection_id}-editors",
        "reviewers_group": "{collection_id}-reviewers", "group_check_enabled": True}},
        "user": {"id": "account:ann"}}
    said: dict[str, tuple[int, dict[str, Any]]] = {}

    def answer(request: Request) -> tuple[int, Any]:
        if request.path == "/":
            return 200, info
        if request.method == "GET":
            return 200, {"data": {"id": "c", "status": "work-in-progress",
                                  "last_modified": 10}}
        return said["now"]

    client, transport = scripted_client(answer)
    collection = client.bucket("ws").collection("c")
    said["now"] = (403, {"code": 403, "errno": 121, "error": "Forbidden",
                         "message": "Last editor cannot review"})
    with pytest.raises(LastEditorCannotReview, match=r"\(approve\(\) refused: Last editor "
                       r"cannot review\): you asked for this review yourself") as last:
        collection.approve()
    assert last.value.cause is not None and last.value.cause.errno == 121
    said["now"] = (403, {"code": 403, "errno": 121, "error": "Forbidden",
                         "message": "Not in c-editors group"})
    with pytest.raises(ReviewForbidden, match="this user is not in the group 'c-editors' of "
                       "bucket 'ws' that the signer checks; ask an admin to add you to "
                       "/buckets/ws/groups/c-editors"):
        collection.request_review("x")
    said["now"] = (400, {"code": 400, "errno": 109, "error": "Bad Request",
                         "message": "Collection not under review"})
    with pytest.raises(InvalidReviewStep, match=r"\(approve\(\) refused: Collection not "
                       r"under review\): the status is 'work-in-progress'"):
        collection.approve()
    patch = [r for r in transport.sent if r.method == "PATCH"][-1]
    assert patch.headers == {"If-Match": '"10"'} and patch.body == {"data": {"status": "to-sign"}}


@pytest.mark.live
def test_the_group_check_of_a_server_that_enforces_it() -> None:
    with RemoteSettingsServer(settings={"signer_group_check_enabled": "true"}) as server:
        editor, reviewer = Client(server.url, auth=EDITOR), Client(server.url, auth=REVIEWER)
        Bucket("main-workspace", client=editor, create=True,
               permissions={"write": ["system.Authenticated"]})
        # Its creator is made the only member of 'editors'; 'reviewers' starts empty.
        ours = editor.bucket("main-workspace").create_collection("regions")
        ours.create_record({"id": "fr", "name": "France"})
        # A record change moves the collection's version: read it, then step from it.
        assert ours.review_status().status == "work-in-progress"
        ours.request_review("first")
        with pytest.raises(ReviewForbidden, match="not in the group 'reviewers' of bucket "
                           "'main-workspace'") as caught:
            _workspace(reviewer).approve()
        assert caught.value.cause is not None and caught.value.cause.status == 403


def test_steps_that_do_not_apply_to_the_status(editor: Client, reviewer: Client) -> None:
    """Each sure before sending: ``If-Match`` pins the status they are judged on."""
    ours, theirs = _workspace(editor), _workspace(reviewer)
    ours.refresh()
    editor.server_info()
    log = RequestLog(editor)
    with pytest.raises(InvalidReviewStep, match="has no changes to roll back \\(its status "
                       "is 'signed'\\)") as rolled:
        ours.rollback()
    with pytest.raises(InvalidReviewStep, match="is signed already"):
        ours.approve()
    assert rolled.value.cause is None and log.sent == []
    ours.create_record({"id": "be", "name": "Belgium"})
    theirs.refresh()
    reviewer.server_info()
    log = RequestLog(reviewer)
    with pytest.raises(InvalidReviewStep, match="is not under review \\(its status is "
                       "'work-in-progress'\\): there is nothing to decline") as declined:
        theirs.decline("no")
    assert declined.value.review_status == "work-in-progress"
    with pytest.raises(InvalidReviewStep, match=r"is not under review \(its status is "
                       r"'work-in-progress'\): request_review\(\) first \(as the editor\)"):
        theirs.approve()
    assert log.sent == []


def test_a_rollback_puts_the_workspace_back_to_the_destination(
    rs: RemoteSettingsServer, editor: Client,
) -> None:
    ours = _workspace(editor)
    ours.create_record({"id": "be", "name": "Belgium"})
    ours.delete_record("fr")
    assert ours.rollback().status == "signed"
    assert sorted(r.id for r in ours) == ["de", "fr"]


def test_a_plain_kinto_server_has_no_signing(kinto_fresh_server: str) -> None:
    client = Client(kinto_fresh_server, auth=("alice", "s3cret"))
    collection = client.bucket("b").collection("c")
    with pytest.raises(SigningNotEnabled, match=r"/buckets/b/collections/c: this server signs "
                       r"nothing \(no 'signer' capability in GET /v1/\)"):
        collection.request_review("x")


def test_a_collection_the_signer_does_not_list(editor: Client) -> None:
    with pytest.raises(SigningNotEnabled, match="does not review this collection"):
        editor.bucket("elsewhere").collection("c").review_status()


def test_steps_on_a_destination_name_the_workspace(rs: RemoteSettingsServer,
                                                    reviewer: Client) -> None:
    destination = reviewer.bucket("main").collection("regions")
    # Its status is its workspace's.
    assert destination.review_status().collection == "regions"
    assert destination.review_status().bucket == "main-workspace"
    log = RequestLog(reviewer)
    with pytest.raises(SignerOwned, match=r"is the destination of "
                       r"/buckets/main-workspace/collections/regions, written by the signer "
                       r"only: approve\(\) the workspace instead") as caught:
        destination.approve()
    assert caught.value.workspace == WORKSPACE and log.sent == []


def test_writes_to_a_destination_are_refused_before_any_request(
    rs: RemoteSettingsServer, editor: Client,
) -> None:
    # The editor set the first review going: kinto-signer made it a writer of the
    # destination bucket, so the server itself would take this write.
    editor.server_info()
    log = RequestLog(editor)
    destination = editor.bucket("main").collection("regions")
    with pytest.raises(SignerOwned) as caught:
        destination.create_record({"id": "be", "name": "Belgium"})
    assert str(caught.value) == (
        "PUT /buckets/main/collections/regions/records/be: "
        "/buckets/main/collections/regions is the destination of "
        "/buckets/main-workspace/collections/regions, written by the signer only; make the "
        "change in /buckets/main-workspace/collections/regions (bucket 'main-workspace') and "
        "have it reviewed: nothing was sent")
    with pytest.raises(SignerOwned, match="is the preview of"):
        editor.bucket("main-preview").collection("regions").delete_record("fr")
    with pytest.raises(SignerOwned):
        destination.create_records([{"id": "nl", "name": "Netherlands"}])
    assert log.sent == []
    assert set(_names(_raw_destination(rs))) == {"fr", "de"}
    # Reads stay allowed, and so do writes to the workspace.
    assert sorted(r.id for r in destination) == ["de", "fr"]
    _workspace(editor).create_record({"id": "be", "name": "Belgium"})


def test_a_refused_write_from_a_fresh_client_names_the_workspace(
    rs: RemoteSettingsServer, reviewer: Client,
) -> None:
    # Nothing read yet: the write goes, the server refuses it (the reviewer may not write
    # there), and only then are the capabilities read, to say where to write.
    log = RequestLog(reviewer)
    with pytest.raises(SignerOwned, match=r"have it reviewed: the server refused it$") as caught:
        reviewer.bucket("main").collection("regions").create_record({"id": "be"})
    assert isinstance(caught.value.__cause__, Forbidden)
    assert log.sent == [("PUT", "/buckets/main/collections/regions/records/be"), ("GET", "/")]


def test_a_bulk_write_from_a_fresh_client_is_guarded_too(
    rs: RemoteSettingsServer, editor: Client,
) -> None:
    log = RequestLog(editor)
    with pytest.raises((SignerOwned, BatchError)) as caught:
        editor.bucket("main").collection("regions").create_records([{"id": "x", "name": "X"}])
    assert isinstance(caught.value, SignerOwned)
    assert log.sent == [("GET", "/")]  # its chunk size, read once; no batch sent
    with pytest.raises(SignerOwned), editor.batch() as batch:  # a mixed batch too
        batch.create(editor.bucket("main").collection("regions").record({"id": "y"}))
    assert log.sent == [("GET", "/")]


def test_a_plain_kinto_write_sends_no_more_requests(kinto_fresh_server: str) -> None:
    client = Client(kinto_fresh_server, auth=("alice", "s3cret"))
    Bucket("b", client=client, create=True).create_collection("c")
    fresh = Client(kinto_fresh_server, auth=("alice", "s3cret"))
    log = RequestLog(fresh)
    fresh.bucket("b").collection("c").create_record({"id": "r1", "title": "milk"})
    fresh.bucket("b").collection("c").update_record("r1", {"title": "tea"})
    assert log.sent == [("PUT", "/buckets/b/collections/c/records/r1"),
                        ("PATCH", "/buckets/b/collections/c/records/r1")]
    # Known capabilities without a signer: the guard passes, still one request a write.
    fresh.server_info()
    log.clear()
    fresh.bucket("b").collection("c").delete_record("r1")
    assert log.sent == [("DELETE", "/buckets/b/collections/c/records/r1")]
    # A refused write from a client that has read nothing: one GET /v1/ more, to tell a
    # signer's destination from an ordinary refusal; the refusal stands.
    stranger = Client(kinto_fresh_server, auth=("bob", "s3cret"))
    log = RequestLog(stranger)
    with pytest.raises(Forbidden):
        stranger.bucket("b").collection("c").create_record({"id": "r2"})
    assert log.sent == [("PUT", "/buckets/b/collections/c/records/r2"), ("GET", "/")]


@pytest.mark.kinto_remote_settings
def test_a_review_request_on_a_cassette(kinto_client: Client, kinto_recorder: Any) -> None:
    publish(kinto_recorder.server_url, "regions", REGIONS, session=kinto_recorder.new_session())
    ours = kinto_client.bucket("main-workspace").collection("regions")
    ours.create_record({"id": "be", "name": "Belgium"})
    before = ours.review_status()
    assert before.status == "work-in-progress"
    assert before.last_edit_by == kinto_client.server_info()["user"]["id"]
    log = RequestLog(kinto_client)
    asked = ours.request_review("Add Belgium")
    assert (asked.status, asked.editor_comment) == ("to-review", "Add Belgium")
    assert log.sent == [("PATCH", WORKSPACE), ("GET", WORKSPACE)]
    assert log.requests[0].headers["If-Match"] == f'"{before.timestamp}"'
    with pytest.raises(LastEditorCannotReview):
        ours.approve()
    with pytest.raises(SignerOwned):
        kinto_client.bucket("main").collection("regions").delete_record("fr")
    assert len(log.sent) == 2  # neither refusal sent anything
