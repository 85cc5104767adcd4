"""Tests of cli/options.py: the options the commands share, wherever they are given."""

from __future__ import annotations

from kinto_query import Collection

from .clitools import PASSWORD, jsonl, run
from .conftest import server_ids


def test_exclude_fields_and_nested_lookups(kinto_fresh_server: str, shop: Collection):
    done = run(["records", "shop/todo", "-f", "author__name=ann", "-x", "priority__in=0,2",
                "--fields", "title", "--sort", "id"], server=kinto_fresh_server)
    assert done.status == 0
    records = jsonl(done.out)
    assert [r["id"] for r in records] == server_ids(
        kinto_fresh_server, "author.name=ann&exclude_priority=0,2&_sort=id")
    assert all(set(r) == {"id", "last_modified", "title"} for r in records)


# -- server, credentials, errors ------------------------------------------------------------------

def test_server_and_auth_from_options_before_or_after_the_command(kinto_fresh_server: str,
                                                                 shop: Collection):
    before = run(["--server", kinto_fresh_server, "--auth", f"alice:{PASSWORD}", "count",
                  "shop/todo"], server=None, auth=None)
    after = run(["count", "shop/todo", "-s", kinto_fresh_server, "-a", f"alice:{PASSWORD}"],
                server=None, auth=None)
    assert (before.status, before.out) == (after.status, after.out) == (0, "14\n")
    # An option wins over the environment.
    bob = run(["count", "shop/todo", "--auth", "bob:hunter22"], server=kinto_fresh_server)
    assert bob.status == 4
