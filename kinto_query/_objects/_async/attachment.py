"""Files attached to records (the kinto-attachment plugin): the upload and the download.

Neither way holds a file whole in memory, on either side. An upload is a multipart body made
as it is sent, from the file read in 256 KiB pieces; a download is written as it arrives, its
size and SHA-256 checked against the record's metadata, to a temporary file renamed over the
target only once it proved right (or taken back from a file object given). The files, the
body and the checks are pure (``kinto_query._objects.attachment``); what is here sends the requests.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..._messages import Request
from ...exceptions import (
    HTTPError,
    InvalidResponse,
    KintoConnectionError,
    KintoError,
    OutcomeUnknown,
    ServerError,
    TooManyRequests,
)
from ..attachment import (
    Attachment,
    FileSource,
    Target,
    _multipart,
    _ReadFailed,
    _Sink,
    _Source,
    checked_upload,
    download_path,
    file_url,
    mismatch,
    sent_file,
    unclear,
)

if TYPE_CHECKING:
    from ..._wire._async.transport import AsyncTransport

__all__ = ["download", "upload"]

logger = logging.getLogger("kinto_query")


async def upload(transport: AsyncTransport, path: str, file: FileSource, *,
                 filename: str | None, mimetype: str | None, fields: Mapping[str, bytes],
                 where: str) -> Attachment:
    """``POST`` a file to kinto-attachment's endpoint ``path``, streamed, with the form
    ``fields`` (``data``, ``permissions``: JSON); the server's metadata of it."""
    source, name, media = checked_upload(file, filename, mimetype)
    try:
        request = Request("POST", path, _multipart(source, name, media, fields))
        try:
            answer = (await transport.send(request)).json()
        except _ReadFailed as failed:
            raise failed.error from None  # the file's own error, not a "lost connection"
        except (KintoConnectionError, ServerError, InvalidResponse) as error:
            if not (source.read_whole and unclear(error)):
                raise
            # Applied or not, the answer does not say: the record tells (never resent blindly).
            answer = await _read_back(transport, request, source, where, error)
    finally:
        source.close()
    return Attachment.from_server(answer, where)


async def _read_back(transport: AsyncTransport, request: Request, source: _Source, where: str,
                     error: KintoError) -> Any:
    """The record's attachment metadata if it is the file we sent (same size and SHA-256),
    else ``error``; ``OutcomeUnknown`` if the record cannot be read (its GET retried as
    reads are)."""
    record_path = urlsplit(request.path).path.rsplit("/attachment", 1)[0]
    try:
        held = (await transport.send(Request("GET", record_path))).json_object()
    except (KintoConnectionError, ServerError, TooManyRequests, InvalidResponse) as failed:
        raise OutcomeUnknown(request, failed) from failed
    except HTTPError:
        raise error from None  # not there (404), or not ours to read: the failure stands
    meta = sent_file(held, source)
    if meta is None:
        raise error
    logger.info("%s: the upload was applied though its answer was lost (%s)", where, error)
    return meta


async def download(transport: AsyncTransport, attachment: Attachment, target: Target, *,
                   where: str) -> Path | None:
    """Write the file at ``attachment.location`` to ``target`` (a path, a folder for the file's
    own name in it, or a binary file object), streamed; ``HashMismatch`` if its size or
    SHA-256 differ from the metadata. A path that already holds that exact file is left as it
    is, with no request. The path written (or kept), None for a file object."""
    destination, already = download_path(target, attachment, where)
    if already:
        assert isinstance(destination, Path)
        return destination
    sink = _Sink(destination)
    try:
        found = file_url(transport, None, attachment, where)
        if found is None:  # below the server's attachments base_url: it says which
            found = file_url(transport, await transport.server_info(), attachment, where)
        assert found is not None
        url, on_server = found
        # identity: the bytes as stored, which the hash is of (no compression on the way).
        headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
        digest, size = hashlib.sha256(), 0
        if on_server:
            answer = await transport.send(Request("GET", url, headers=headers), stream=True)
        else:
            answer = await transport.fetch(url, headers=headers, stream=True)
        async with answer:
            async for chunk in answer.iter_bytes():
                size += len(chunk)
                if size > attachment.size:
                    break  # already wrong: no need to read the rest
                digest.update(chunk)
                # Written as it arrives (a local file: quick enough not to need a thread).
                sink.file.write(chunk)
        wrong = mismatch(url, attachment, size, digest, sink, where)
        if wrong is not None:
            raise wrong
    except BaseException:  # a cancelled task too: nothing half-written is left
        sink.discard()
        raise
    sink.commit()
    return sink.path
