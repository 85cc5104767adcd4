"""``--attachments DIR`` of ``dump`` and ``load``: the records' files in a folder.

The layout is kinto-wizard's: each file at ``DIR/LOCATION``, ``LOCATION`` being the
attachment's ``location`` when it is relative (as Remote Settings serves them), or the path of
its URL without the leading ``/`` when it is a URL (``v1/attachments/b/c/<uuid>.txt``), so
that the YAML alone says where each file is. Beside each, ``FILE.meta.json`` holds the
record (kinto-wizard reads the original file name from it). Files are streamed both ways.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .. import Attachment, InvalidResponse, Record
from .errors import CliError, ExitStatus

__all__ = ["attachment_file", "differs", "download_attachment", "upload_attachment"]

def attachment_file(directory: Path, metadata: Mapping[str, Any], where: str) -> Path:
    """Where the file of the attachment described by ``metadata`` is in ``directory``."""
    location = metadata.get("location")
    if not isinstance(location, str) or not location:
        raise CliError(f"{where}: the attachment has no location", ExitStatus.FAILED)
    path = urlsplit(location).path if "://" in location else location
    parts = [part for part in unquote(path).split("/") if part]
    # A location is the server's text: it must not lead out of the folder.
    if not parts or any(part in (".", "..") or "\\" in part or "\0" in part
                        for part in parts):
        raise CliError(f"{where}: the attachment location {location!r} cannot name a file "
                       f"in {directory}", ExitStatus.FAILED)
    return directory.joinpath(*parts)


def differs(path: Path, metadata: Any) -> bool:
    """Whether the file at ``path`` is not the attachment ``metadata`` describes (its size
    and SHA-256; or those of the original file, when the server stored it compressed)."""
    try:
        return not Attachment.from_server(metadata, str(path)).held_at(path)
    except InvalidResponse:  # no attachment, or one described wrong: upload it again
        return True


def download_attachment(record: Record, directory: Path) -> bool:
    """Download the record's file into ``directory`` (kept with no request when already
    there), with its ``.meta.json``; whether it has one."""
    metadata = record.data.to_dict().get("attachment")
    if not isinstance(metadata, Mapping):
        return False
    where = f"{record.collection.bucket.id}/{record.collection.id}/{record.id}"
    path = attachment_file(directory, metadata, where)
    path.parent.mkdir(parents=True, exist_ok=True)
    record.download_attachment(path)
    meta = {"id": record.id, "last_modified": record.last_modified, **record.data.to_dict()}
    Path(f"{path}.meta.json").write_text(json.dumps(meta, ensure_ascii=False, sort_keys=True),
                                         encoding="utf-8")
    return True


def upload_attachment(record: Record, path: Path, metadata: Mapping[str, Any]) -> None:
    """Attach the file at ``path`` to ``record``, under the name and type ``metadata`` gives
    (the original's, when the server had compressed it)."""
    original = metadata.get("original")
    described = original if isinstance(original, Mapping) else metadata
    filename, mimetype = described.get("filename"), described.get("mimetype")
    record.attach(path, filename=filename if isinstance(filename, str) else None,
                  mimetype=mimetype if isinstance(mimetype, str) else None)
