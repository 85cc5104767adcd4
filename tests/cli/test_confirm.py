"""Tests of cli/confirm.py: the one rule for asking before deleting (pure; the question on a
real terminal is tested through tmux in test_sync.py and test_wizard_load.py)."""

from __future__ import annotations

import io

import click
import pytest

from kinto_query.cli.confirm import confirm_deletion
from kinto_query.cli.errors import CliError, ExitStatus


class _Stdin(io.StringIO):
    def __init__(self, text: str, *, tty: bool) -> None:
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_yes_deletes_without_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin("", tty=False))
    assert confirm_deletion("3 records from shop/todo", yes=True) is True


def test_without_a_terminal_it_refuses_and_says_to_pass_yes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin("y\n", tty=False))
    with pytest.raises(CliError) as refused:
        confirm_deletion("3 records from shop/todo", yes=False)
    assert refused.value.status == ExitStatus.USAGE
    assert str(refused.value) == ("not deleting 3 records from shop/todo without confirmation: "
                                  "there is no terminal to ask on, pass --yes")


@pytest.mark.parametrize(("answer", "deleted"), [("y\n", True), ("n\n", False), ("\n", False)])
def test_on_a_terminal_the_answer_decides_and_no_is_the_default(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], answer: str,
        deleted: bool) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(answer, tty=True))
    monkeypatch.setattr(click.termui, "visible_prompt_func", lambda prompt: input(prompt))
    assert confirm_deletion("3 records from shop/todo", yes=False) is deleted
    assert "Delete 3 records from shop/todo? [y/N]" in capsys.readouterr().err
