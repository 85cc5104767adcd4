"""Tests of scripts.py: a script's options (argparse and click), from flags or the
environment, and the client they make (live Kinto where one is reached)."""

from __future__ import annotations

import argparse
from typing import Any

import click
import pytest
from click.testing import CliRunner

from kinto_query import Client, ConfigurationError, scripts

from .conftest import AUTH, raw_dump

USER = f"{AUTH[0]}:{AUTH[1]}"
ENVS = ("KINTO_SERVER_URL", "KINTO_AUTH", "KINTO_BUCKET", "KINTO_COLLECTION", "KINTO_DRY_RUN",
        "DRY_RUN")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVS:
        monkeypatch.delenv(name, raising=False)


def parse(*argv: str) -> argparse.Namespace:
    return scripts.argument_parser(prog="publish").parse_args(argv)


def click_run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    """A click command with the options: its exit code, what it received, its output."""
    seen: dict[str, Any] = {}

    @click.command()
    @scripts.click_options()
    @click.option("--extra", default="x")
    def main(kinto: scripts.Connection, extra: str) -> None:
        seen.update(server=kinto.client.server_url, bucket=kinto.bucket,
                    collection=kinto.collection, dry_run=kinto.dry_run, extra=extra,
                    auth=repr(kinto.client.auth))

    result = CliRunner().invoke(main, list(argv), env=env)
    return result.exit_code, seen, result.output


@pytest.mark.parametrize(("value", "dry"), [
    ("1", True), ("true", True), (" YES ", True), ("On", True),
    ("0", False), ("false", False), ("no", False), ("OFF", False), ("", False)])
def test_which_values_of_the_environment_ask_for_a_dry_run(value: str, dry: bool):
    assert scripts.dry_run_from_env({"DRY_RUN": value}) is dry
    assert scripts.dry_run_from_env({"KINTO_DRY_RUN": value, "DRY_RUN": "1"}) is dry
    with pytest.raises(ValueError, match=r"\$DRY_RUN='maybe' is neither true nor false"):
        scripts.dry_run_from_env({"DRY_RUN": "maybe"})


def test_argparse_flags_win_over_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KINTO_SERVER_URL", "http://env.test/v1")
    monkeypatch.setenv("KINTO_BUCKET", "main")
    monkeypatch.setenv("KINTO_COLLECTION", "cfr")
    monkeypatch.setenv("DRY_RUN", "1")
    from_env = parse()
    assert (from_env.server, from_env.bucket, from_env.collection, from_env.dry_run) == (
        "http://env.test/v1", "main", "cfr", True)
    flags = parse("-s", "http://flag.test/v1", "-b", "other", "--no-dry-run", "-vv")
    assert (flags.server, flags.bucket, flags.collection, flags.dry_run, flags.verbose) == (
        "http://flag.test/v1", "other", "cfr", False, 2)
    monkeypatch.setenv("KINTO_DRY_RUN", "no")  # ours first, then Remote Settings' DRY_RUN
    assert (parse().dry_run, parse("--dry-run").dry_run) == (False, True)
    monkeypatch.delenv("DRY_RUN")
    monkeypatch.delenv("KINTO_DRY_RUN")
    assert parse().dry_run is False


def test_click_flags_win_over_the_environment():
    env = {"KINTO_SERVER_URL": "http://env.test/v1", "KINTO_BUCKET": "main", "DRY_RUN": "yes"}
    code, seen, _ = click_run(env=env)
    assert code == 0
    assert (seen["server"], repr(seen["bucket"]), seen["collection"], seen["dry_run"]) == (
        "http://env.test/v1", "<Bucket '/buckets/main'>", None, True)
    code, seen, _ = click_run("-b", "other", "-c", "c", "--no-dry-run", "--extra", "y", env=env)
    assert (code, repr(seen["collection"]), seen["dry_run"], seen["extra"]) == (
        0, "<Collection '/buckets/other/collections/c'>", False, "y")
    code, seen, _ = click_run(env={**env, "KINTO_DRY_RUN": "0"})
    assert seen["dry_run"] is False


@pytest.mark.parametrize("auth", ["Bearer", "Bearer ", ":s3cret", "alice"])
def test_a_bad_auth_is_a_usage_error_not_a_traceback(auth: str,
                                                     capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_:
        parse("--auth", auth)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err
    assert "publish: error: argument -a/--auth: " in err
    assert ("USER:PASSWORD" in err) or ("no terminal to ask for it" in err)
    code, _, output = click_run("--auth", auth)
    assert code == 2 and "Invalid value for '-a' / '--auth'" in output
    assert "Traceback" not in output


def test_a_bad_dry_run_variable_or_id_is_a_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("DRY_RUN", "maybe")
    with pytest.raises(SystemExit):
        parse()
    assert "argument --dry-run: $DRY_RUN='maybe' is neither true nor false" in \
        capsys.readouterr().err
    code, _, output = click_run(env={"DRY_RUN": "maybe"})
    assert code == 2 and "$DRY_RUN='maybe' is neither true nor false" in output
    monkeypatch.delenv("DRY_RUN")
    with pytest.raises(SystemExit):
        parse("-b", "x.y")
    assert "invalid bucket id 'x.y'" in capsys.readouterr().err


@pytest.mark.live
def test_the_client_reaches_the_server_and_a_dry_run_writes_nothing(
        kinto_fresh_server: str, alice: Client, monkeypatch: pytest.MonkeyPatch):
    alice.bucket("main").create().collection("todo").create()
    monkeypatch.setenv("KINTO_SERVER_URL", kinto_fresh_server)
    monkeypatch.setenv("KINTO_AUTH", USER)
    monkeypatch.setenv("DRY_RUN", "1")
    before = raw_dump(kinto_fresh_server)
    with scripts.connect(parse("-b", "main", "-c", "todo")) as kinto:
        assert kinto.client.whoami().user_id == alice.whoami().user_id
        kinto.collection.create_records([{"id": "a"}])
        assert [str(w) for w in kinto.dry_run_log] == [
            "PUT /buckets/main/collections/todo/records/a (If-None-Match: *) -> 201 created"]
    assert raw_dump(kinto_fresh_server) == before
    counted: list[int] = []

    @click.command()
    @scripts.click_options()
    def count(kinto: scripts.Connection) -> None:
        assert kinto.collection is not None
        kinto.collection.create_records([{"id": "b"}])
        counted.append(kinto.collection.count())

    result = CliRunner().invoke(count, ["-b", "main", "-c", "todo", "--no-dry-run"],
                                env={"KINTO_SERVER_URL": kinto_fresh_server, "KINTO_AUTH": USER})
    assert (result.exit_code, counted) == (0, [1]), result.output
    with pytest.raises(ConfigurationError, match="given without a bucket"):
        scripts.connect({"collection": "todo"})
