"""What a Remote Settings server signs, from its ``signer`` capability (kinto-signer), and
the guard that keeps writes off the collections the signer owns.

The capability lists resources, each a workspace (``source``), an optional ``preview`` and
a ``destination``, either whole buckets (``collection`` null: every collection of the
workspace bucket) or single collections; a collection's own entry wins over its bucket's, as
kinto-signer picks them. Review settings (``to_review_enabled``, ``editors_group``...) come
server-wide, overridden per resource; group names of a bucket entry hold ``{collection_id}``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from .exceptions import SignerOwned

__all__ = ["CollectionRef", "SignerResource", "names_a_collection", "refuse_signer_owned",
           "signer_resource", "signer_resources"]

_WRITES = ("PUT", "PATCH", "POST", "DELETE")


class CollectionRef(NamedTuple):
    """A collection by bucket and id: ``client.bucket(ref.bucket).collection(ref.collection)``.

    >>> str(CollectionRef("main", "regions"))
    '/buckets/main/collections/regions'
    """

    bucket: str
    collection: str

    def __str__(self) -> str:
        return f"/buckets/{self.bucket}/collections/{self.collection}"


@dataclasses.dataclass(frozen=True)
class SignerResource:
    """One workflow of the signer, resolved for one collection: where it is edited
    (``workspace``), previewed and published (``destination``), and its review settings."""

    workspace: CollectionRef
    preview: CollectionRef | None
    destination: CollectionRef
    to_review_enabled: bool
    group_check_enabled: bool
    editors_group: str
    reviewers_group: str


@dataclasses.dataclass(frozen=True)
class _Entry:
    """A resource as the capability lists it (collection None: a whole bucket)."""

    source: tuple[str, str | None]
    preview: tuple[str, str | None] | None
    destination: tuple[str, str | None]
    settings: Mapping[str, Any]

    def resolve(self, collection: str) -> SignerResource:
        def ref(part: tuple[str, str | None]) -> CollectionRef:
            return CollectionRef(part[0], part[1] or collection)

        def group(name: str) -> str:
            return str(self.settings.get(name, "")).replace("{collection_id}", collection)

        return SignerResource(
            workspace=ref(self.source), preview=ref(self.preview) if self.preview else None,
            destination=ref(self.destination),
            to_review_enabled=bool(self.settings.get("to_review_enabled")),
            group_check_enabled=bool(self.settings.get("group_check_enabled")),
            editors_group=group("editors_group"), reviewers_group=group("reviewers_group"))


_SETTINGS = ("to_review_enabled", "group_check_enabled", "editors_group", "reviewers_group")


def _part(value: Any) -> tuple[str, str | None] | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("bucket"), str):
        return None
    collection = value.get("collection")
    return value["bucket"], collection if isinstance(collection, str) else None


# The last answer parsed and its entries: a client's server_info is one dict, read once, so
# the guard of each write parses it once, not at every write.
_parsed: tuple[Mapping[str, Any], tuple[_Entry, ...] | None] | None = None


def signer_resources(info: Mapping[str, Any]) -> tuple[_Entry, ...] | None:
    """The resources of a server's ``GET /v1/`` answer, or None when it has no signer."""
    global _parsed
    last = _parsed
    if last is not None and last[0] is info:
        return last[1]
    entries = _parse(info)
    _parsed = (info, entries)
    return entries


def _parse(info: Mapping[str, Any]) -> tuple[_Entry, ...] | None:
    capability = (info.get("capabilities") or {}).get("signer")
    if not isinstance(capability, Mapping):
        return None
    defaults = {name: capability.get(name) for name in _SETTINGS}
    entries = []
    for raw in capability.get("resources") or ():
        if not isinstance(raw, Mapping):
            continue
        source, destination = _part(raw.get("source")), _part(raw.get("destination"))
        if source is None or destination is None:
            continue
        settings = {**defaults, **{k: raw[k] for k in _SETTINGS if k in raw}}
        entries.append(_Entry(source, _part(raw.get("preview")), destination, settings))
    return tuple(entries)


def _pick(entries: tuple[_Entry, ...], role: str, bucket: str,
          collection: str) -> _Entry | None:
    """The entry whose ``role`` part is this collection: its own entry before its bucket's."""
    def part(entry: _Entry) -> tuple[str, str | None] | None:
        value: tuple[str, str | None] | None = getattr(entry, role)
        return value

    for wanted in ((bucket, collection), (bucket, None)):
        for entry in entries:
            if part(entry) == wanted:
                return entry
    return None


def signer_resource(info: Mapping[str, Any], bucket: str,
                    collection: str) -> tuple[str, SignerResource] | None:
    """The signer workflow this collection belongs to, and its role in it (``"source"``,
    ``"preview"`` or ``"destination"``); None if the server signs nothing of it."""
    entries = signer_resources(info)
    if not entries:
        return None
    for role in ("source", "preview", "destination"):
        entry = _pick(entries, role, bucket, collection)
        if entry is not None:
            return role, entry.resolve(collection)
    return None


def _targets(method: str, path: str, body: Any) -> Iterator[tuple[str, str]]:
    """(method, path) of a request, or of each request a ``POST /batch`` carries."""
    if method == "POST" and urlsplit(path).path.rstrip("/").endswith("/batch") \
            and isinstance(body, Mapping):
        found = body.get("defaults")
        defaults: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        for sub in body.get("requests") or ():
            if isinstance(sub, Mapping):
                yield (str(sub.get("method", defaults.get("method", "GET"))).upper(),
                       str(sub.get("path", defaults.get("path", ""))))
        return
    yield method.upper(), path


def _collection_of(path: str) -> tuple[str, str] | None:
    """The (bucket, collection) a path is in or below, if it names one."""
    segments = [s for s in urlsplit(path).path.split("/") if s]
    if "buckets" not in segments:
        return None
    at = segments.index("buckets")
    rest = segments[at + 1:]
    if len(rest) >= 3 and rest[1] == "collections":
        return rest[0], rest[2]
    return None


def names_a_collection(method: str, path: str, body: Any = None) -> bool:
    """Whether this write (or one a batch carries) is in a collection: what a signer may own."""
    return any(verb in _WRITES and _collection_of(target) is not None
               for verb, target in _targets(method, path, body))


def refuse_signer_owned(info: Mapping[str, Any] | None, method: str, path: str,
                        body: Any = None, *, refused: bool = False) -> None:
    """``SignerOwned`` if this write (or one a batch carries) changes a destination or
    preview collection (or what is in it); ``info`` is the server's ``GET /v1/`` answer,
    None when not read yet (then nothing is checked). ``refused``: the server refused the
    write already (the message says so, instead of "nothing was sent")."""
    if info is None:
        return
    entries = signer_resources(info)
    if not entries:
        return
    for verb, target in _targets(method, path, body):
        named = _collection_of(target) if verb in _WRITES else None
        if named is None:
            continue
        for role in ("destination", "preview"):
            entry = _pick(entries, role, *named)
            if entry is None:
                continue
            resource = entry.resolve(named[1])
            raise SignerOwned(
                f"{verb} {urlsplit(target).path}: /buckets/{named[0]}/collections/{named[1]} "
                f"is the {role} of {resource.workspace}, written by the signer only; make the "
                f"change in {resource.workspace} (bucket {resource.workspace.bucket!r}) and "
                f"have it reviewed: {'the server refused it' if refused else 'nothing was sent'}",
                collection=f"/buckets/{named[0]}/collections/{named[1]}",
                workspace=str(resource.workspace))
