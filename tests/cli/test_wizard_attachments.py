"""Tests of cli/attachments_dir.py: ``dump --attachments DIR`` downloads the records' files,
``load --attachments DIR`` uploads those missing or different, byte for byte (live, on the
kit's Kinto, which runs kinto-attachment)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import requests

from kinto_query import Bucket, Client

from ..conftest import raw_get
from .clitools import run
from .conftest import flush, snapshot, wizard
from .test_wizard import read_yaml

RECORDS = "/buckets/shop/collections/todo/records"
BIG = os.urandom(700_000)  # more than a few of the 256 KiB pieces files are streamed in


def attached(client: Client, tmp_path: Path) -> None:
    todo = Bucket("shop", client=client, create=True).create_collection("todo")
    todo.create_records([{"id": "r1", "title": "report"}, {"id": "r2", "title": "none"},
                         {"id": "r3", "title": "note"}])
    (tmp_path / "report.pdf").write_bytes(BIG)
    todo.record(id="r1").attach(tmp_path / "report.pdf")
    todo.record(id="r3").attach(tmp_path / "report.pdf", filename="note.txt",
                                mimetype="text/plain")
    (tmp_path / "report.pdf").unlink()


def files_of(url: str) -> dict[str, tuple[str, str, bytes]]:
    """Each record's attachment as the server holds it, read raw: name, type, bytes."""
    found = {}
    for record in raw_get(url, RECORDS)["data"]:
        if record.get("attachment"):
            meta = record["attachment"]
            body = requests.get(meta["location"], timeout=30).content
            found[record["id"]] = (meta["filename"], meta["mimetype"], body)
    return found


def test_attachments_round_trip_byte_for_byte(kinto_fresh_server: str, alice: Client,
                                             tmp_path: Path):
    attached(alice, tmp_path)
    before = files_of(kinto_fresh_server)
    assert sorted(before) == ["r1", "r3"] and before["r1"][2] == BIG
    dumped = run(["dump", "shop", "--full", "--attachments", "files", "-o", "shop.yaml"],
                 server=kinto_fresh_server, cwd=tmp_path)
    assert dumped.status == 0, dumped.err
    assert dumped.err == "shop/todo: 2 attachments in files\ndumped 1 bucket to shop.yaml\n"
    tree = read_yaml((tmp_path / "shop.yaml").read_text())
    for record_id in ("r1", "r3"):
        location = tree["buckets"]["shop"]["collections"]["todo"]["records"][record_id][
            "data"]["attachment"]["location"]
        # kinto-wizard's layout: DIR/LOCATION (a URL's path, without its leading slash).
        path = tmp_path / "files" / location.split("/", 3)[3]
        assert path.read_bytes() == BIG
        meta = json.loads(Path(f"{path}.meta.json").read_text())
        assert meta["id"] == record_id and meta["attachment"]["location"] == location

    # Dumped again into the same folder: the files already right are kept, not rewritten.
    kept = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (tmp_path / "files").rglob("*")}
    again = run(["dump", "shop", "--full", "--attachments", "files", "-o", "shop.yaml"],
                server=kinto_fresh_server, cwd=tmp_path)
    assert again.status == 0, again.err
    assert {p: v for p, v in kept.items() if not p.name.endswith(".meta.json")} == {
        p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (tmp_path / "files").rglob("*")
        if not p.name.endswith(".meta.json")}

    flush(kinto_fresh_server)
    loaded = run(["load", "shop.yaml", "--attachments", "files"], server=kinto_fresh_server,
                 cwd=tmp_path)
    assert loaded.status == 0, loaded.err
    assert loaded.err.endswith("3 records written, 2 attachments uploaded\n")
    assert files_of(kinto_fresh_server) == before
    titles = {r["id"]: r["title"] for r in raw_get(kinto_fresh_server, RECORDS)["data"]}
    assert titles == {"r1": "report", "r2": "none", "r3": "note"}

    # Again: every file is already there, and right: nothing is sent but reads.
    stamps = raw_get(kinto_fresh_server, RECORDS)["data"]
    again = run(["load", "shop.yaml", "--attachments", "files"], server=kinto_fresh_server,
                cwd=tmp_path)
    assert again.err.endswith("1 bucket unchanged, 1 collection unchanged\n"), again.err
    assert raw_get(kinto_fresh_server, RECORDS)["data"] == stamps


def test_load_uploads_only_the_file_that_differs_and_says_what_is_missing(
        kinto_fresh_server: str, alice: Client, tmp_path: Path):
    attached(alice, tmp_path)
    run(["dump", "shop", "--records", "--attachments", "files", "-o", "shop.yaml"],
        server=kinto_fresh_server, cwd=tmp_path)
    r1 = raw_get(kinto_fresh_server, f"{RECORDS}/r1")["data"]["attachment"]
    r3 = raw_get(kinto_fresh_server, f"{RECORDS}/r3")["data"]["attachment"]
    (tmp_path / "files" / r1["location"].split("/", 3)[3]).write_bytes(b"edited")
    (tmp_path / "files" / r3["location"].split("/", 3)[3]).unlink()
    done = run(["load", "shop.yaml", "--attachments", "files"], server=kinto_fresh_server,
               cwd=tmp_path)
    assert done.status == 0, done.err
    assert "warning: shop/todo/r3: no file " in done.err
    assert done.err.endswith("1 attachment uploaded\n")
    assert files_of(kinto_fresh_server)["r1"] == ("report.pdf", "application/pdf", b"edited")
    assert raw_get(kinto_fresh_server, f"{RECORDS}/r3")["data"]["attachment"] == r3


def test_a_location_leading_out_of_the_folder_is_refused(kinto_fresh_server: str,
                                                        tmp_path: Path):
    (tmp_path / "evil.yaml").write_text(json.dumps({"buckets": {"shop": {"collections": {
        "todo": {"records": {"r1": {"data": {"attachment": {
            "location": "../../etc/passwd", "hash": "0", "size": 1}}}}}}}}}))
    done = run(["load", "evil.yaml", "--attachments", "."], server=kinto_fresh_server,
               cwd=tmp_path)
    assert done.status == 1
    assert done.err.startswith("error: shop/todo/r1: the attachment location "
                               "'../../etc/passwd' cannot name a file in .")
    assert raw_get(kinto_fresh_server, "/buckets")["data"] == []  # refused before any write


def test_load_uploads_as_kinto_wizard_does(kinto_fresh_server: str, alice: Client,
                                          tmp_path: Path):
    """The same YAML and folder, loaded by kinto-wizard and by us: the same records and files.
    Its layout needs locations relative to the attachments base_url (as Remote Settings
    serves them): the dump's are rewritten so, and the files moved to match."""
    attached(alice, tmp_path)
    run(["dump", "shop", "--full", "--attachments", "dumped", "-o", "shop.yaml"],
        server=kinto_fresh_server, cwd=tmp_path)
    tree = read_yaml((tmp_path / "shop.yaml").read_text())
    for entry in tree["buckets"]["shop"]["collections"]["todo"]["records"].values():
        meta = entry["data"].get("attachment")
        if meta:
            relative = meta["location"].split("/v1/attachments/", 1)[1]
            (tmp_path / "files" / relative).parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", ".meta.json"):  # kinto-wizard reads the name from the latter
                (tmp_path / "dumped" / "v1" / "attachments" / f"{relative}{suffix}").rename(
                    tmp_path / "files" / f"{relative}{suffix}")
            meta["location"] = relative
    (tmp_path / "shop.yaml").write_text(json.dumps(tree))
    before = files_of(kinto_fresh_server)

    def loaded(theirs: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        flush(kinto_fresh_server)
        if theirs:
            wizard(["load", "shop.yaml", "--attachments", "files"], kinto_fresh_server,
                   tmp_path)
        else:
            done = run(["load", "shop.yaml", "--attachments", "files"],
                       server=kinto_fresh_server, cwd=tmp_path)
            assert done.status == 0, done.err
        state = snapshot(kinto_fresh_server)
        for obj in state.values():
            if "attachment" in obj["data"]:  # new uuids each time: the files are compared
                obj["data"]["attachment"].pop("location")
        return state, files_of(kinto_fresh_server)

    theirs = loaded(True)
    assert theirs[1] == before
    assert loaded(False) == theirs
