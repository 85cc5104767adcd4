"""Tests of cli/selection.py: what of a kinto-wizard tree dump writes or load applies (pure)."""

from __future__ import annotations

import click
from click.testing import CliRunner

from kinto_query.cli.selection import EVERYTHING, KINDS, Selection, chosen_kinds, kind_options


def test_everything_wants_every_kind_its_data_and_permissions() -> None:
    assert all(EVERYTHING.wants(kind) for kind in KINDS)
    assert (EVERYTHING.data, EVERYTHING.permissions, EVERYTHING.record_permissions) == (
        True, True, False)
    assert EVERYTHING.keeps("any") and EVERYTHING.keeps("any", "collection")


def test_keeps_only_the_bucket_and_collection_given() -> None:
    one_bucket = Selection(bucket="main")
    assert one_bucket.keeps("main") and one_bucket.keeps("main", "regions")
    assert not one_bucket.keeps("other") and not one_bucket.keeps("other", "regions")
    one_collection = Selection(bucket="main", collection="regions")
    assert one_collection.keeps("main")  # the bucket holding it is kept
    assert one_collection.keeps("main", "regions")
    assert not one_collection.keeps("main", "fonts")


def test_chosen_kinds_are_the_flags_given_else_the_default() -> None:
    given = {"kind_records": True, "kind_groups": False, "other": 1}
    assert chosen_kinds(given, ("buckets",)) == frozenset({"records"})
    assert given == {"other": 1}  # the flags are taken out of the command's arguments
    assert chosen_kinds({}, ("buckets", "collections")) == frozenset({"buckets",
                                                                      "collections"})


def test_kind_options_are_kinto_wizards_flags() -> None:
    @click.command()
    @kind_options("dump")
    def command(**given: bool) -> None:
        click.echo(sorted(chosen_kinds(given, ("buckets",))))

    runner = CliRunner()
    assert runner.invoke(command, ["--groups", "--records"]).output == "['groups', 'records']\n"
    assert runner.invoke(command, []).output == "['buckets']\n"
    assert "--collections  Dump collections" in runner.invoke(command, ["--help"]).output
