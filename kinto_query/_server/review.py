"""The review-and-sign workflow of Remote Settings (kinto-signer), on a workspace collection.

A record change in the workspace makes its status ``work-in-progress``; an editor asks for a
review (``to-review``: the records are signed into the preview); another user approves
(``to-sign``: signed into the destination, status ``signed``) or declines (back to
``work-in-progress``); a rollback (``to-rollback``) puts the workspace back to the
destination's records. Each step is one ``PATCH`` of the collection's ``data.status`` with
``If-Match`` on the version read: a collection changed meanwhile (another status, an edited
record, which the signer notes on the collection) is a ``ReviewConflict``, never a step
taken on a state nobody looked at.

This module is pure (the status read, the step's request, the refusals); the steps' I/O is
written once, async, in ``kinto_query._server._async.review`` (generated into ``_blocking.review``).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from typing import Any, Literal, Protocol

from .._data import Data
from .._messages import Request, if_match
from .._signer import CollectionRef, SignerResource, signer_resource
from ..exceptions import (
    BadRequest,
    Forbidden,
    InvalidReviewStep,
    LastEditorCannotReview,
    PreconditionFailed,
    ReviewConflict,
    ReviewForbidden,
    SignerOwned,
    SigningNotEnabled,
)

__all__ = ["ReviewStatus", "Reviewed", "Step", "signer_of", "status_of", "step_conflict",
           "step_refusal", "step_request", "workspace_of"]

Step = Literal["request_review", "approve", "decline", "rollback"]
# The status each step sets, and the field its message goes in (kinto-signer's names).
_STEPS: dict[str, tuple[str, str | None]] = {
    "request_review": ("to-review", "last_editor_comment"),
    "approve": ("to-sign", None),
    "decline": ("work-in-progress", "last_reviewer_comment"),
    "rollback": ("to-rollback", None),
}


class _Named(Protocol):
    @property
    def id(self) -> str: ...


class Reviewed(Protocol):
    """A collection of either side (``Collection``, ``AsyncCollection``), as read here."""

    @property
    def id(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def last_modified(self) -> int | None: ...

    @property
    def bucket(self) -> _Named: ...

    @property
    def data(self) -> Data: ...


def _date(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclasses.dataclass(frozen=True)
class ReviewStatus:
    """Where a workspace collection stands in the review workflow, as read from the server.

    ``status`` is kinto-signer's (``"work-in-progress"``, ``"to-review"``, ``"signed"``...);
    who last edited it, asked for a review, reviewed and signed it, and when (aware
    datetimes); the comments of the last review request and decline; ``timestamp``, the
    collection's version the next step is sent against; and the signer's collections for it.

    >>> status = client.bucket("main-workspace").collection("regions").review_status()
    >>> status.status, str(status.destination)
    ('signed', '/buckets/main/collections/regions')
    """

    bucket: str
    collection: str
    status: str | None
    timestamp: int
    last_edit_by: str | None
    last_edit_date: datetime.datetime | None
    last_review_request_by: str | None
    last_review_request_date: datetime.datetime | None
    last_review_by: str | None
    last_review_date: datetime.datetime | None
    last_signature_by: str | None
    last_signature_date: datetime.datetime | None
    editor_comment: str | None
    """The message of the last review request (``last_editor_comment``)."""
    reviewer_comment: str | None
    """The message of the last decline (``last_reviewer_comment``)."""
    signer: SignerResource
    """The signer's workflow for this collection: workspace, preview, destination, settings."""

    @property
    def workspace(self) -> CollectionRef:
        """Where records are edited and reviews asked for (this collection)."""
        return self.signer.workspace

    @property
    def preview(self) -> CollectionRef | None:
        """Where records under review are signed for testers, if the server has one."""
        return self.signer.preview

    @property
    def destination(self) -> CollectionRef:
        """Where approved records are signed and published."""
        return self.signer.destination

    @property
    def under_review(self) -> bool:
        """Whether a review was asked for and not approved or declined yet."""
        return self.status == "to-review"

    def __repr__(self) -> str:
        return (f"<ReviewStatus /buckets/{self.bucket}/collections/{self.collection} "
                f"{self.status} timestamp={self.timestamp}>")


def signer_of(info: Mapping[str, Any], collection: Reviewed) -> tuple[str, SignerResource]:
    """The signer workflow of this collection (its role in it, and the workflow), from the
    server's ``GET /v1/`` answer ``info``; or ``SigningNotEnabled``."""
    bucket, cid = collection.bucket.id, collection.id
    path = f"/buckets/{bucket}/collections/{cid}"
    if "signer" not in (info.get("capabilities") or {}):
        raise SigningNotEnabled(
            f"{path}: this server signs nothing (no 'signer' capability in GET /v1/): review "
            "steps need kinto-signer (Remote Settings); check the server URL", collection=path)
    found = signer_resource(info, bucket, cid)
    if found is None:
        raise SigningNotEnabled(
            f"{path}: the server's signer does not review this collection (it is no workspace "
            "listed in the 'signer' capability of GET /v1/): check the bucket, or ask the "
            "server's admin to add it to kinto.signer.resources", collection=path)
    return found


def workspace_of(info: Mapping[str, Any], collection: Reviewed,
                 step: str) -> SignerResource:
    """The workflow whose workspace ``collection`` is, or ``SignerOwned`` (nothing sent)."""
    role, resource = signer_of(info, collection)
    if role != "source":
        path = f"/buckets/{collection.bucket.id}/collections/{collection.id}"
        raise SignerOwned(
            f"{path} is the {role} of {resource.workspace}, written by the signer only: "
            f"{step}() the workspace instead, client.bucket({resource.workspace.bucket!r})"
            f".collection({resource.workspace.collection!r}); nothing was sent",
            collection=path, workspace=str(resource.workspace))
    return resource


def status_of(collection: Reviewed, resource: SignerResource) -> ReviewStatus:
    """Where a collection just read from the server stands."""
    data = collection.data
    assert collection.last_modified is not None  # loaded from the server
    return ReviewStatus(
        bucket=collection.bucket.id, collection=collection.id, status=_text(data.get("status")),
        timestamp=collection.last_modified,
        last_edit_by=_text(data.get("last_edit_by")),
        last_edit_date=_date(data.get("last_edit_date")),
        last_review_request_by=_text(data.get("last_review_request_by")),
        last_review_request_date=_date(data.get("last_review_request_date")),
        last_review_by=_text(data.get("last_review_by")),
        last_review_date=_date(data.get("last_review_date")),
        last_signature_by=_text(data.get("last_signature_by")),
        last_signature_date=_date(data.get("last_signature_date")),
        editor_comment=_text(data.get("last_editor_comment")),
        reviewer_comment=_text(data.get("last_reviewer_comment")),
        signer=resource)


def step_request(collection: Reviewed, step: Step, message: str | None,
                 info: Mapping[str, Any], resource: SignerResource) -> Request:
    """The ``PATCH`` of one step against the version read (``If-Match``), after the refusals
    that are sure before sending."""
    version = collection.last_modified
    assert version is not None  # loaded from the server
    path = f"/buckets/{collection.bucket.id}/collections/{collection.id}"
    status = _text(collection.data.get("status"))
    _refuse_before_sending(collection, info, step, path, status, resource)
    target, field = _STEPS[step]
    data: dict[str, Any] = {"status": target}
    if field is not None:
        data[field] = message or ""
    return Request("PATCH", collection.path, {"data": data}, if_match(version))


def step_conflict(error: PreconditionFailed, step: Step) -> ReviewConflict:
    """What a step refused on ``If-Match`` raises: the collection changed since read."""
    return ReviewConflict(error.response, error.response.json_or_none(), action=f"{step}()")


def step_refusal(error: Forbidden | BadRequest, collection: Reviewed, step: Step,
                 resource: SignerResource) -> Exception:
    """kinto-signer's refusal of a step as our error, saying what to do (others as they are)."""
    path = f"/buckets/{collection.bucket.id}/collections/{collection.id}"
    return _refusal(error, step, path, _text(collection.data.get("status")), resource)


def _refuse_before_sending(collection: Reviewed, info: Mapping[str, Any], step: str,
                           path: str, status: str | None, resource: SignerResource) -> None:
    """The refusals that are sure before sending: ``If-Match`` pins the status read, and
    kinto-signer's rules on it are these. Caught here, they also spare the memory backend,
    which does not roll a refused step back (its status would stay the one refused)."""
    def invalid(why: str) -> InvalidReviewStep:
        return InvalidReviewStep(f"{path} {why}; review_status() says where it stands",
                                 collection=path, review_status=status)

    if step == "decline" and status != "to-review":
        # The signer would take work-in-progress over itself as nothing at all.
        raise invalid(f"is not under review (its status is {status!r}): there is nothing to "
                      "decline; request_review() first")
    if step == "rollback" and status == "signed":
        raise invalid("has no changes to roll back (its status is 'signed'): there is "
                      "nothing to roll back")
    if step != "approve":
        return
    if status == "signed":
        raise invalid("is signed already (its status is 'signed'): there is nothing to "
                      "approve")
    if resource.to_review_enabled and status != "to-review":
        raise invalid(f"is not under review (its status is {status!r}): request_review() "
                      "first (as the editor), then another user approves")
    requester = collection.data.get("last_review_request_by")
    user = (info.get("user") or {}).get("id")
    if resource.to_review_enabled and requester is not None and requester == user:
        raise LastEditorCannotReview(
            f"{path}: you ({user}) asked for this review yourself, and the last editor "
            "cannot approve it; another user (a reviewer) must approve() it, or decline() "
            "it and edit on; nothing was sent", collection=path, review_status=status)


def _refusal(error: Forbidden | BadRequest, step: str, path: str, status: str | None,
             resource: SignerResource) -> Exception:
    """kinto-signer's refusal as our error, saying what to do; others stay as they are."""
    body = error.response.json_or_none()
    said = body.get("message") if isinstance(body, dict) else None
    said = said if isinstance(said, str) else ""
    where = f"{path} ({step}() refused: {said})"
    if isinstance(error, Forbidden) and said == "Last editor cannot review":
        return LastEditorCannotReview(
            f"{where}: you asked for this review yourself, and the last editor cannot "
            "approve it; another user (a reviewer) must approve() it, or decline() it and "
            "edit on", collection=path, review_status=status, cause=error)
    if isinstance(error, Forbidden) and said.startswith("Not in "):
        group = resource.reviewers_group if step == "approve" else resource.editors_group
        return ReviewForbidden(
            f"{where}: this user is not in the group {group!r} of bucket "
            f"{resource.workspace.bucket!r} that the signer checks; ask an admin to add "
            f"you to /buckets/{resource.workspace.bucket}/groups/{group}, or let a member "
            "take this step", collection=path, review_status=status, cause=error)
    if isinstance(error, BadRequest) and said in (
            "Collection not under review", "Collection already signed",
            "Collection has no work-in-progress"):
        hint = {"approve": "request_review() first (as the editor)",
                "rollback": "there is nothing to roll back"}.get(step, "")
        return InvalidReviewStep(
            f"{where}: the status is {status!r}; {hint + ', or ' if hint else ''}"
            "review_status() to see where it stands",
            collection=path, review_status=status, cause=error)
    return error
