"""Tests of cli/attachments_dir.py: where each attachment's file goes in --attachments DIR,
and whether a file there is the attachment (pure; the round trip through a live server is
in test_wizard_attachments.py)."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from kinto_query.cli.attachments_dir import attachment_file, differs
from kinto_query.cli.errors import CliError


@pytest.mark.parametrize(("location", "relative"), [
    ("b/c/f.txt", "b/c/f.txt"),
    ("http://127.0.0.1:8888/v1/attachments/b/c/f%20x.txt", "v1/attachments/b/c/f x.txt"),
])
def test_a_location_names_a_file_in_the_folder(tmp_path: Path, location: str,
                                               relative: str) -> None:
    assert attachment_file(tmp_path, {"location": location}, "b/c/r1") == tmp_path / relative


@pytest.mark.parametrize("location", ["../x", "b/../../x", "http://h/%2e%2e/x", "a\\b",
                                      "", "/", None])
def test_a_location_cannot_lead_out_of_the_folder(tmp_path: Path, location: object) -> None:
    with pytest.raises(CliError, match=r"^b/c/r1: the attachment"):
        attachment_file(tmp_path, {"location": location}, "b/c/r1")


def _described(content: bytes) -> dict[str, object]:
    return {"location": "f.txt", "filename": "f.txt", "mimetype": "text/plain",
            "size": len(content), "hash": hashlib.sha256(content).hexdigest()}


def test_a_file_differs_unless_its_size_and_sha256_are_the_attachments(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"hello")
    assert not differs(path, _described(b"hello"))
    assert differs(path, _described(b"hellO"))
    assert differs(path, None)  # no attachment on the server: upload it
    assert differs(path, {"location": "f.txt"})  # described wrong: upload it again


def test_a_file_is_the_original_of_an_attachment_the_server_compressed(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"hello")
    stored = _described(gzip.compress(b"hello"))
    assert differs(path, stored)
    original = {key: _described(b"hello")[key] for key in ("filename", "mimetype", "size",
                                                           "hash")}
    assert not differs(path, {**stored, "original": original})
