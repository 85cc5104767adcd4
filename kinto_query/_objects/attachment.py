"""Files attached to records (the kinto-attachment plugin): metadata, and the pure part of
uploads and downloads (the files, the multipart body, the checks), shared by both sides; the
exchanges are ``kinto_query._objects._async.attachment``, generated into
``kinto_query._objects._blocking``.

Neither way holds a file whole in memory. An upload is a multipart body made as it is sent,
from the file read in 256 KiB pieces (requests' own ``files=`` builds the whole body in memory
first); a download is written as it arrives, its size and SHA-256 checked against the
record's metadata, to a temporary file renamed over the target only once it proved right.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import io
import logging
import mimetypes
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Union
from urllib.parse import urljoin

from .._messages import StreamBody
from .._urls import origin, redacted
from ..exceptions import (
    HashMismatch,
    InvalidResponse,
    KintoConnectionError,
    KintoError,
    ServerError,
    UnsafeURL,
)

if TYPE_CHECKING:
    from .._wire.policy import TransportBase

__all__ = ["Attachment", "FileSource", "OriginalFile", "Target", "checked_upload",
           "download_path", "file_url", "mismatch", "sent_file", "unclear"]

FileSource = Union[str, os.PathLike[str], IO[bytes]]  # noqa: UP007 - runtime alias on 3.10
"""What can be attached: a path, or a binary file object open for reading."""
Target = Union[str, os.PathLike[str], IO[bytes]]  # noqa: UP007

logger = logging.getLogger("kinto_query")
_PIECE = 1 << 18
# A media type as a header may carry it (no CR/LF, no quotes): type/subtype[; parameters].
_MEDIA_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+(\s*;\s*[\w.+-]+=[\w.+-]+)*\Z")


@dataclasses.dataclass(frozen=True)
class OriginalFile:
    """The file as uploaded, when the server stored it compressed (kinto-attachment's gzip)."""

    filename: str
    mimetype: str
    size: int
    hash: str


@dataclasses.dataclass(frozen=True)
class Attachment:
    """A record's attached file as the server describes it.

    ``location``: its URL; ``size`` in bytes; ``hash``: the SHA-256 (hex) of the bytes at
    ``location``; ``original``: the file before the server compressed it, if it did;
    ``extra``: any other field the server sent.
    """

    location: str
    filename: str
    mimetype: str
    size: int
    hash: str
    original: OriginalFile | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    @classmethod
    def from_server(cls, obj: object, where: str) -> Attachment:
        """The metadata the server sent (``InvalidResponse`` when malformed); ``where`` names
        its origin for the message."""
        fields = _checked(obj, where, ("location", "filename", "mimetype", "size", "hash"))
        original = None
        if isinstance(obj, Mapping) and obj.get("original") is not None:
            original = OriginalFile(**_checked(obj["original"], f"{where} (original)",
                                               ("filename", "mimetype", "size", "hash")))
        assert isinstance(obj, Mapping)  # _checked made sure
        extra = {k: v for k, v in obj.items() if k not in fields and k != "original"}
        return cls(**fields, original=original, extra=extra)

    def held_at(self, path: str | Path) -> bool:
        """Whether the file at ``path`` is exactly this attachment, as served or as uploaded
        before the server compressed it (size and SHA-256). Example:
        ``record.attachment.held_at("report.pdf")``."""
        return any(described is not None and _holds(Path(path), described)
                   for described in (self, self.original))


def _checked(obj: object, where: str, names: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(obj, Mapping):
        raise InvalidResponse(f"{where}: the attachment metadata is not an object: {obj!r}")
    fields = {name: obj.get(name) for name in names}
    wrong = [name for name, value in fields.items()
             if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0
                     if name == "size" else isinstance(value, str))]
    if wrong:
        raise InvalidResponse(f"{where}: the attachment metadata has no valid {', '.join(wrong)}")
    return fields


# -- upload ----------------------------------------------------------------------------------


class _ReadFailed(Exception):
    """An error reading the file being sent, carried out of urllib3 as it is: urllib3 would
    report any ``OSError`` raised while sending as a lost connection."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _Source:
    """The bytes to upload: a file opened (by us, for a path) and checked before any request."""

    def __init__(self, file: object) -> None:
        self.owned = isinstance(file, (str, os.PathLike))
        if isinstance(file, (str, os.PathLike)):
            path = os.fsdecode(os.fspath(file))
            if os.path.isdir(path):
                raise IsADirectoryError(errno.EISDIR, "a directory cannot be attached", path)
            # Closed by close(), once sent (FileNotFoundError, PermissionError: before sending).
            self.file: IO[bytes] = open(path, "rb")  # noqa: SIM115
        elif callable(getattr(file, "read", None)):
            self.file = _readable(file)
        else:
            hint = " (wrap bytes in io.BytesIO)" if isinstance(file, (bytes, bytearray)) else ""
            raise TypeError(f"attach a path or a binary file object, not "
                            f"{type(file).__name__}{hint}")
        self.digest, self.size, self.read_whole = hashlib.sha256(), 0, False
        name = getattr(self.file, "name", None)
        self.name = os.path.basename(name) if isinstance(name, str) and name else None
        try:
            self.start, self.length = _position_and_size(self.file)
        except BaseException:
            self.close()
            raise

    def chunks(self) -> Iterator[bytes]:
        """The bytes from where the file stood, exactly ``length`` of them when it is known;
        their SHA-256 and size kept as they go (``read_whole`` once all were given)."""
        if self.start is not None:
            self.file.seek(self.start)
        self.digest, self.size, self.read_whole = hashlib.sha256(), 0, False
        left = self.length
        while left is None or left > 0:
            try:
                piece = self.file.read(_PIECE if left is None else min(_PIECE, left))
            except Exception as error:
                raise _ReadFailed(error) from error
            if not piece:
                if left:
                    raise _ReadFailed(OSError(f"{_describe(self.file)} shrank by {left} bytes "
                                              "while it was being sent"))
                self.read_whole = True
                return
            if left is not None:
                left -= len(piece)
            self.digest.update(piece)
            self.size += len(piece)
            yield piece
        self.read_whole = True

    def close(self) -> None:
        if self.owned:
            self.file.close()


def _readable(file: Any) -> IO[bytes]:
    if isinstance(file, io.TextIOBase):
        raise TypeError(f"{_describe(file)} is open in text mode: open it with 'rb' to attach it")
    if callable(getattr(file, "readable", None)) and not file.readable():
        raise io.UnsupportedOperation(f"{_describe(file)} is not open for reading")
    if not isinstance(file.read(0), bytes):  # a text file-like that is not a TextIOBase
        raise TypeError(f"{_describe(file)} reads text, not bytes: open it with 'rb'")
    return file  # type: ignore[no-any-return]


def _describe(file: Any) -> str:
    name = getattr(file, "name", None)
    return f"the file {name!r}" if isinstance(name, str) else f"the {type(file).__name__}"


def _position_and_size(file: IO[bytes]) -> tuple[int | None, int | None]:
    """Where a seekable file stands and how many bytes are left (None, None for a stream)."""
    try:
        if not file.seekable():
            return None, None
        start = file.tell()
        end = file.seek(0, os.SEEK_END)
        file.seek(start)
    except (AttributeError, OSError):
        return None, None
    return start, max(0, end - start)


def _quoted(filename: str) -> str:
    """A filename as a quoted-string of a Content-Disposition header (UTF-8, as browsers do)."""
    if any(c in filename for c in "\r\n\0"):
        raise ValueError(f"a file name cannot hold line breaks or NUL: {filename!r}")
    return '"' + filename.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _multipart(source: _Source, filename: str, mimetype: str,
               fields: Mapping[str, bytes]) -> StreamBody:
    # A random boundary: a file (or data) crafted to hold it cannot inject form fields.
    boundary = uuid.uuid4().hex
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value + b"\r\n" for name, value in fields.items()
    ) + (f"--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; "
         f"filename={_quoted(filename)}\r\nContent-Type: {mimetype}\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def chunks() -> Iterator[bytes]:
        yield head
        yield from source.chunks()
        yield tail

    length = None if source.length is None else len(head) + source.length + len(tail)
    return StreamBody(f"multipart/form-data; boundary={boundary}", chunks, length)


def unclear(error: KintoError) -> bool:
    """Whether a failed upload may have been applied: its answer lost after sending, a
    gateway's 5xx (not Kinto's own, whose transaction rolled back), or a 2xx unreadable."""
    if isinstance(error, KintoConnectionError):
        return not error.never_sent
    if isinstance(error, ServerError):
        return error.errno is None
    return True


def sent_file(held: Any, source: _Source) -> Any:
    """The attachment metadata of a record read back (``GET``'s JSON) if it describes the file
    ``source`` sent (same size and SHA-256), else None."""
    data = held.get("data") if isinstance(held, Mapping) else None
    meta = data.get("attachment") if isinstance(data, Mapping) else None
    # A file the server gzipped is described, as uploaded, by "original".
    sent = meta.get("original") if isinstance(meta, Mapping) and meta.get("original") else meta
    if not (isinstance(sent, Mapping) and sent.get("size") == source.size
            and isinstance(sent.get("hash"), str) and _digest_matches(sent["hash"], source.digest)):
        return None
    return meta


def checked_upload(file: FileSource, filename: str | None, mimetype: str | None
                   ) -> tuple[_Source, str, str]:
    """The file to upload opened and checked, its name and media type (before any request);
    the source is the caller's to close."""
    source = _Source(file)
    try:
        name = filename if filename is not None else source.name
        if not name:
            raise ValueError(f"{_describe(source.file)} has no name: pass filename=")
        media = mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream"
        if not _MEDIA_TYPE.match(media):
            raise ValueError(f"not a media type: {media!r} (e.g. 'text/csv')")
    except BaseException:
        source.close()
        raise
    return source, name, media


# -- download --------------------------------------------------------------------------------


class _Sink:
    """Where downloaded bytes go: ``commit()`` once they proved right, else ``discard()``."""

    def __init__(self, target: object) -> None:
        self.path: Path | None = None
        self.temporary: Path | None = None
        if isinstance(target, (str, os.PathLike)):
            self.path = Path(os.fsdecode(os.fspath(target)))
            if self.path.is_dir():
                raise IsADirectoryError(errno.EISDIR, "the download target is a directory",
                                        str(self.path))
            parent = self.path.parent
            if not parent.is_dir():
                raise FileNotFoundError(errno.ENOENT, "no such directory", str(parent))
            # Beside the target (same file system: the rename is atomic); opened like open()
            # would, so the umask sets its mode.
            self.temporary = parent / f".{self.path.name}.{uuid.uuid4().hex[:12]}.part"
            handle = os.open(self.temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            self.file: IO[bytes] = os.fdopen(handle, "wb")
            self.start: int | None = None
        elif callable(getattr(target, "write", None)):
            if isinstance(target, io.TextIOBase):
                raise TypeError(f"{_describe(target)} is open in text mode: open it with 'wb'")
            try:
                target.write(b"")  # type: ignore[attr-defined]
            except TypeError:
                raise TypeError(f"{_describe(target)} takes text, not bytes: "
                                "open it with 'wb'") from None
            self.file = target  # type: ignore[assignment]
            self.start = _position_and_size(self.file)[0]
        else:
            raise TypeError(f"download to a path or a binary file object, not "
                            f"{type(target).__name__}")

    def describe(self) -> str:
        if self.path is not None:
            return f"nothing was written to {str(self.path)!r}"
        if self.start is not None:
            return "what was written to the file object was taken back"
        return "the file object holds the bytes received"

    def discard(self) -> None:
        if self.temporary is not None:
            self.file.close()
            self.temporary.unlink(missing_ok=True)
        elif self.start is not None:
            self.file.seek(self.start)
            self.file.truncate()

    def commit(self) -> None:
        if self.temporary is not None and self.path is not None:
            self.file.close()
            os.replace(self.temporary, self.path)
        else:
            self.file.flush()


def file_url(transport: TransportBase, info: Mapping[str, Any] | None,
             attachment: Attachment, where: str) -> tuple[str, bool] | None:
    """The file's URL, and whether it is on the server itself (sent with credentials) rather
    than below the attachments ``base_url`` the server advertises (a CDN: fetched without).
    None when that takes the server's capabilities: call again with ``info``, the server's
    ``GET /v1/`` (``server_info()``)."""
    location = attachment.location
    if "://" in location and origin(location) == origin(transport.server_url):
        return transport.url(location), True
    if info is None:
        return None
    capability = info.get("capabilities", {}).get("attachments", {})
    base = capability.get("base_url") if isinstance(capability, Mapping) else None
    if not isinstance(base, str) or "://" not in base:
        base = None
    if "://" not in location:  # a location relative to the server's attachments base_url
        if base is None:
            raise InvalidResponse(f"{where}: the attachment location {location!r} is relative "
                                  "and the server names no attachments base_url")
        location = urljoin(base, location)
        if origin(location) == origin(transport.server_url):
            return transport.url(location), True
    if base is not None and origin(location) == origin(base) and location.startswith(base):
        return location, False
    raise UnsafeURL(
        f"{where}: the attachment is at {redacted(location)}, neither on "
        f"{transport.server_url} nor "
        f"below the attachments base_url it advertises ({base or 'none'}): kinto_query does "
        "not fetch it (fetch it yourself and compare its SHA-256 with attachment.hash)")


def _own_name(attachment: Attachment, where: str) -> str:
    """The attachment's file name, if it can name a file inside a folder (no path in it)."""
    name = attachment.filename
    if not name or name in (".", "..") or any(c in name for c in "/\\\0") or \
            os.path.basename(name) != name:
        raise InvalidResponse(f"{where}: the attachment's filename {name!r} cannot name a file "
                              "in a folder: download it to a file path")
    return name


def _holds(path: Path, attachment: Attachment | OriginalFile) -> bool:
    """Whether the file at ``path`` is already exactly the attachment (size and SHA-256)."""
    try:
        if not path.is_file() or path.stat().st_size != attachment.size:
            return False
        digest = hashlib.sha256()
        with open(path, "rb") as existing:
            for piece in iter(lambda: existing.read(_PIECE), b""):
                digest.update(piece)
    except OSError:
        return False
    return _digest_matches(attachment.hash, digest)


def _digest_matches(expected: str, received: Any) -> bool:
    if re.fullmatch(r"[0-9a-fA-F]{64}", expected):
        return bool(expected.lower() == received.hexdigest())
    import base64  # early kinto-attachment versions sent the digest in base64

    try:
        return bool(base64.b64decode(expected, validate=True) == received.digest())
    except ValueError:
        return False


def download_path(target: Target, attachment: Attachment, where: str
                  ) -> tuple[Path | IO[bytes], bool]:
    """Where a download goes: a path (in a folder, the file's own name) or the file object
    given; and whether that path already holds that exact file (nothing to download)."""
    if isinstance(target, (str, os.PathLike)):
        path = Path(os.fsdecode(os.fspath(target)))
        if path.is_dir():
            path = path / _own_name(attachment, where)
        if _holds(path, attachment):
            logger.debug("%s: %s already holds the attachment; not downloaded", where, path)
            return path, True
        return path, False
    return target, False


def mismatch(url: str, attachment: Attachment, size: int, digest: Any, sink: _Sink,
             where: str) -> HashMismatch | None:
    """The ``HashMismatch`` of a download that received ``size`` bytes hashing to ``digest``
    (counted up to one byte too many), None if it is the attachment."""
    if size == attachment.size and _digest_matches(attachment.hash, digest):
        return None
    received = digest.hexdigest() if size == attachment.size else "(not computed)"
    got = f"{size} bytes" if size <= attachment.size else "more bytes"
    return HashMismatch(
        f"GET {url}: the file received ({got}, sha256 {received[:16]}) is not the "
        f"attachment of {where} ({attachment.size} bytes, sha256 "
        f"{attachment.hash[:16]}); {sink.describe()}",
        expected=attachment.hash, received=received, expected_size=attachment.size,
        size=size)
