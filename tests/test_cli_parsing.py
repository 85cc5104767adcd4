"""The command line's own rules, without a server: typed text, filters, CSV cells, and the
exit status of each error."""

from __future__ import annotations

import csv
import datetime
import io
import json
import warnings
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kinto_query import InvalidQuery, Request, Response
from kinto_query.cli.errors import CliError, ExitStatus, classify
from kinto_query.cli.lookups import parse_lookup
from kinto_query.cli.output import CsvEncoder, JsonEncoder
from kinto_query.cli.values import read_value, write_value
from kinto_query.exceptions import raise_for_response

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(json_values)
def test_a_cell_reads_back_as_the_value_written(value: Any):
    assert read_value(write_value(value)) == value


@given(st.text())
def test_a_string_is_written_as_is_unless_it_would_read_as_something_else(text: str):
    cell = write_value(text)
    assert cell == text or json.loads(cell) == text


def test_typed_text():
    assert [read_value(t) for t in ("3", "-1.5", "true", "null", '"3"', "done", "007", "NaN",
                                    " 3 ", "[1,2]", '{"a":1}', "", "1e999")] == [
        3, -1.5, True, None, "3", "done", "007", "NaN", 3, [1, 2], {"a": 1}, "", "1e999"]
    assert [write_value(v) for v in ("3", "", "done", None, "NaN", 2.5, [1, "a"])] == [
        '"3"', '""', "done", "null", "NaN", "2.5", '[1,"a"]']


def test_filters_are_the_librarys_lookups_with_typed_values():
    assert parse_lookup("priority__gte=3") == ("priority__gte", 3)
    assert parse_lookup('title="1.0"') == ("title", "1.0")
    assert parse_lookup("title=1.0") == ("title", 1.0)
    assert parse_lookup("status=") == ("status", "")
    assert parse_lookup("a=b=c") == ("a", "b=c")
    assert parse_lookup("author__name=ann") == ("author__name", "ann")
    assert parse_lookup("author.name__in=ann,bob") == ("author.name__in", ["ann", "bob"])
    assert parse_lookup("n__not_in=1,2,x") == ("n__not_in", [1, 2, "x"])
    assert parse_lookup('tags__contains=["a,b", 3]') == ("tags__contains", ["a,b", 3])
    assert parse_lookup("tags__contains_any=work") == ("tags__contains_any", ["work"])
    assert parse_lookup("due__has=false") == ("due__has", False)
    assert parse_lookup("title__like=12*") == ("title__like", "12*")  # always a pattern
    assert parse_lookup("last_modified__gte=2024-01-01T00:00:00Z") == (
        "last_modified__gte", datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
    assert parse_lookup("last_modified__lt=1700000000000") == (
        "last_modified__lt", 1700000000000)


@pytest.mark.parametrize(("text", "message"), [
    ("status", "a filter is NAME=VALUE"),
    ("=3", "a filter is NAME=VALUE"),
    ("priority__gtee=3", "unknown lookup 'gtee': did you mean 'gte'?"),
    ("done__has=yes", "has takes true or false"),
    ("tags__in=[1,", "is not a JSON array"),
    ("last_modified__gte=2024-01-01T00:00:00", "has no time zone"),
    ("_since=3", "names starting with '_' are Kinto's own parameters"),
])
def test_filters_that_cannot_be_sent_are_refused(text: str, message: str):
    with pytest.raises(InvalidQuery, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_lookup(text)


def test_csv_columns_come_from_the_first_page_or_the_fields():
    encoder = CsvEncoder()
    first = encoder.page([{"id": "a", "last_modified": 1, "n": 3},
                          {"id": "b", "last_modified": 2, "s": "3", "x": None}])
    assert list(csv.reader(io.StringIO(first))) == [
        ["id", "last_modified", "n", "s", "x"], ["a", "1", "3", "", ""],
        ["b", "2", "", '"3"', "null"]]
    with pytest.raises(CliError, match="record 'c' has the field 'late'") as raised:
        encoder.page([{"id": "c", "last_modified": 3, "late": 1}])
    assert raised.value.status == ExitStatus.USAGE
    assert CsvEncoder(fields=("title", "author.name")).end() == (
        "id,last_modified,title,author\n")


def test_a_json_array_streams_page_by_page():
    encoder = JsonEncoder()
    text = encoder.page([{"id": "a"}]) + encoder.page([]) + encoder.page([{"id": "b"}])
    assert json.loads(text + encoder.end()) == [{"id": "a"}, {"id": "b"}]
    assert JsonEncoder().end() == "[]\n"


def _http_error(status: int, body: dict[str, Any], method: str = "PUT") -> Exception:
    # Hand-written answers: a real Kinto gives 409 and 5xx only under races and faults.
    request = Request(method, "/buckets/b/collections/c/records/r")
    response = Response(request, "http://kinto.test/v1/buckets/b/collections/c/records/r",
                        status, "Reason", {"Content-Type": "application/json"},
                        json.dumps(body).encode())
    with pytest.raises(Exception) as raised:
        raise_for_response(response)
    return raised.value


@pytest.mark.parametrize(("status", "errno", "exit_status"), [
    (400, 107, ExitStatus.USAGE), (401, 104, ExitStatus.FORBIDDEN),
    (403, 121, ExitStatus.FORBIDDEN), (404, 110, ExitStatus.NOT_FOUND),
    (409, 122, ExitStatus.CONFLICT), (412, 114, ExitStatus.CONFLICT),
    (429, 117, ExitStatus.SERVER), (503, 201, ExitStatus.SERVER), (410, 202, ExitStatus.FAILED),
])
def test_each_kind_of_error_has_its_exit_status(status: int, errno: int,
                                                exit_status: ExitStatus):
    error = _http_error(status, {"code": status, "errno": errno, "message": "first\nsecond"})
    got, line = classify(error)
    assert got == exit_status
    assert "\n" not in line and line.startswith(f"PUT /v1/buckets/b/collections/c/records/r -> "
                                                f"{status} Reason")


def test_other_errors():
    assert classify(KeyboardInterrupt()) == (ExitStatus.INTERRUPTED, "interrupted")
    assert classify(InvalidQuery("bad"))[0] == ExitStatus.USAGE
    assert classify(FileNotFoundError(2, "No such file or directory", "in.jsonl")) == (
        ExitStatus.FAILED, "in.jsonl: No such file or directory")
    assert classify(RuntimeError("boom")) == (
        ExitStatus.FAILED, "unexpected RuntimeError: boom (run with --debug for the traceback)")


def test_library_warnings_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from kinto_query.cli import app

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = app._one_line_warning  # as run() sets it, without --debug
        warnings.warn("Basic auth over plain http to example.test", UserWarning, stacklevel=1)
    assert capsys.readouterr().err == "warning: Basic auth over plain http to example.test\n"
