"""The review workflow's I/O (Remote Settings, kinto-signer): read where a workspace
collection stands, take one step. The status, the step's request and the refusals are the
pure ``kinto_query._server.review``'s."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...exceptions import BadRequest, Forbidden, PreconditionFailed
from ..review import (
    ReviewStatus,
    Step,
    signer_of,
    status_of,
    step_conflict,
    step_refusal,
    step_request,
    workspace_of,
)

if TYPE_CHECKING:
    from ..._objects._async.collection import AsyncCollection

__all__ = ["review_status", "review_step"]


async def review_status(collection: AsyncCollection) -> ReviewStatus:
    """Read the collection (one ``GET``; the status lives in the workspace, so a destination
    or preview reads its workspace's) and where it stands."""
    role, resource = signer_of(await collection.transport.server_info(), collection)
    if role != "source":
        from ..._objects._async.bucket import (
            AsyncBucket,  # which imports the collection, which imports this
        )

        collection = AsyncBucket(resource.workspace.bucket, client=collection.bucket) \
            .collection(resource.workspace.collection)
    await collection.refresh()
    return status_of(collection, resource)


async def review_step(collection: AsyncCollection, step: Step,
                      message: str | None = None) -> ReviewStatus:
    """Take one step (one ``PATCH`` with ``If-Match``), then read where it leads."""
    info = await collection.transport.server_info()
    resource = workspace_of(info, collection, step)
    if collection.last_modified is None:
        await collection.refresh()  # nothing read yet: the step goes against what is there now
    request = step_request(collection, step, message, info, resource)
    try:
        await collection.transport.send(request)
    except PreconditionFailed as error:
        raise step_conflict(error, step) from None
    except (Forbidden, BadRequest) as error:
        raise step_refusal(error, collection, step, resource) from error
    # The answer predates what the signer then writes on the collection (its status, its
    # tracking fields, a newer timestamp): read that back.
    await collection.refresh()
    return status_of(collection, resource)
