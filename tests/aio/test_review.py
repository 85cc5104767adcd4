"""Tests of _server/_async/review.py: the review-and-sign workflow of Remote Settings, awaited,
live on
the test kit's server with two users (an editor and a reviewer, as ``publish()`` does); the
refusals are the sync ones, checked before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from kinto_query import (
    CollectionRef,
    InvalidReviewStep,
    LastEditorCannotReview,
    PreconditionFailed,
    ReviewConflict,
    ReviewStatus,
    SignerOwned,
    SigningNotEnabled,
    verify_signature,
)
from kinto_query.aio import AsyncClient, AsyncCollection
from kinto_query.testing import RemoteSettingsServer
from kinto_query.testing.remote_settings import EDITOR, REVIEWER

pytestmark = pytest.mark.anyio

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


def _workspace(client: AsyncClient) -> AsyncCollection:
    return client.bucket("main-workspace").collection("regions")


async def _user_id(client: AsyncClient) -> str:
    user_id: str = (await client.server_info())["user"]["id"]
    return user_id


@pytest.fixture
def rs(kinto_fresh_rs_server: RemoteSettingsServer) -> RemoteSettingsServer:
    kinto_fresh_rs_server.publish("regions", REGIONS)
    return kinto_fresh_rs_server


@pytest.fixture
def any_rs(kinto_any_rs_server: RemoteSettingsServer) -> RemoteSettingsServer:
    kinto_any_rs_server.publish("regions", REGIONS)
    return kinto_any_rs_server


async def test_a_full_cycle_edit_request_decline_edit_request_approve(
    any_rs: RemoteSettingsServer,
) -> None:
    rs = any_rs
    async with AsyncClient(rs.url, auth=EDITOR) as editor, \
            AsyncClient(rs.url, auth=REVIEWER) as reviewer:
        ours, theirs = _workspace(editor), _workspace(reviewer)
        status = await ours.review_status()
        assert isinstance(status, ReviewStatus) and status.status == "signed"
        assert status.workspace == CollectionRef("main-workspace", "regions")
        assert str(status.destination) == "/buckets/main/collections/regions"

        await ours.create_record({"id": "be", "name": "Belgium?"})
        assert (await ours.review_status()).status == "work-in-progress"
        asked = await ours.request_review("Add Belgium")
        assert (asked.status, asked.editor_comment) == ("to-review", "Add Belgium")
        assert asked.last_review_request_by == await _user_id(editor)

        declined = await theirs.decline("Its name is Belgium")
        assert (declined.status, declined.reviewer_comment) == ("work-in-progress",
                                                                "Its name is Belgium")
        assert "be" not in _names(_raw_destination(rs))

        await ours.update_record("be", {"name": "Belgium"})
        await ours.refresh()
        assert (await ours.request_review("Fixed")).status == "to-review"
        assert (await theirs.review_status()).editor_comment == "Fixed"
        approved = await theirs.approve()
        assert approved.status == "signed"
        assert approved.last_review_by == approved.last_signature_by == \
            await _user_id(reviewer)

    published = _raw_destination(rs)
    assert _names(published) == {"fr": "France", "de": "Germany", "be": "Belgium"}
    verify_signature(published, public_key=rs.public_key_pem)


async def test_a_collection_changed_since_read_is_a_conflict(rs: RemoteSettingsServer) -> None:
    async with AsyncClient(rs.url, auth=EDITOR) as editor, \
            AsyncClient(rs.url, auth=REVIEWER) as reviewer:
        ours, theirs = _workspace(editor), _workspace(reviewer)
        await ours.create_record({"id": "be", "name": "Belgium"})
        await ours.request_review("Add Belgium")
        assert (await theirs.review_status()).under_review
        await ours.create_record({"id": "nl", "name": "Netherlands"})
        with pytest.raises(ReviewConflict) as caught:
            await theirs.approve()
    error = caught.value
    assert isinstance(error, PreconditionFailed) and error.status == 412
    assert error.review_status == "work-in-progress" and error.collection == WORKSPACE
    assert "read review_status() again" in str(error)
    assert set(_names(_raw_destination(rs))) == {"fr", "de"}


async def test_the_refusals_sure_before_sending(rs: RemoteSettingsServer) -> None:
    async with AsyncClient(rs.url, auth=EDITOR) as editor:
        ours = _workspace(editor)
        with pytest.raises(InvalidReviewStep, match=r"has no changes to roll back \(its "
                           r"status is 'signed'\)") as rolled:
            await ours.rollback()
        assert rolled.value.cause is None
        await ours.create_record({"id": "be", "name": "Belgium"})
        await ours.refresh()  # the record moved the version the rollback() read
        await ours.request_review("mine")
        with pytest.raises(LastEditorCannotReview) as last:
            await ours.approve()
        assert str(last.value) == (
            f"{WORKSPACE}: you ({await _user_id(editor)}) asked for this review yourself, and "
            "the last editor cannot approve it; another user (a reviewer) must approve() it, "
            "or decline() it and edit on; nothing was sent")
        assert (await ours.review_status()).status == "to-review"

        destination = editor.bucket("main").collection("regions")
        assert (await destination.review_status()).bucket == "main-workspace"
        with pytest.raises(SignerOwned, match=r"is the destination of /buckets/main-workspace"
                           r"/collections/regions, written by the signer only: approve\(\) "
                           r"the workspace instead"):
            await destination.approve()
        with pytest.raises(SigningNotEnabled, match="does not review this collection"):
            await editor.bucket("elsewhere").collection("c").review_status()
    assert set(_names(_raw_destination(rs))) == {"fr", "de"}
