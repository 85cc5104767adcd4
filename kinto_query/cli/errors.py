"""Exit statuses by kind of failure, and every error told as one line: ``error: ...``.

A script can tell what went wrong from the status alone; a person reads the line. The
traceback is for ``--debug`` only.
"""

from __future__ import annotations

import enum

from ..exceptions import (
    BackoffRequested,
    BadRequest,
    BatchError,
    ConfigurationError,
    Conflict,
    Forbidden,
    HTTPError,
    IncompleteScan,
    InvalidId,
    InvalidQuery,
    InvalidResponse,
    InvalidReviewStep,
    InvalidSignature,
    KintoConnectionError,
    NotFound,
    Overwritten,
    PreconditionFailed,
    ReviewForbidden,
    ServerError,
    SignerOwned,
    SigningNotEnabled,
    TooManyRequests,
    Unauthorized,
    UnsafeURL,
)

__all__ = ["CliError", "ExitStatus", "classify", "one_line"]


class ExitStatus(enum.IntEnum):
    """What the exit status of ``kinto-query`` means (also listed in ``--help``)."""

    OK = 0
    FAILED = 1  # some items of an import failed, or an unexpected error
    USAGE = 2  # bad arguments, an invalid filter or id, a file that cannot be read
    NOT_FOUND = 3  # 404: no such collection, record or group
    FORBIDDEN = 4  # 401/403: wrong credentials, no permission (or a bucket that does not exist)
    CONFLICT = 5  # 409/412: the object exists or changed meanwhile
    SERVER = 6  # 5xx, 429, no answer, an answer that is not Kinto's
    INVALID_SIGNATURE = 7  # a Remote Settings signature did not verify
    INVALID = 8  # validate: records that fail their collection's JSON schema
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)


EXIT_STATUS_HELP = (
    "Exit status: 0 ok, 1 some items failed, 2 usage, 3 not found, 4 forbidden or "
    "unauthorized, 5 conflict, 6 server or network, 7 invalid signature, 8 invalid records "
    "(validate), 130 interrupted."
)


class CliError(Exception):
    """A failure the command line words itself, with its exit status."""

    def __init__(self, message: str, status: ExitStatus = ExitStatus.FAILED) -> None:
        super().__init__(message)
        self.status = status


def one_line(text: str) -> str:
    """The text on one line (messages may quote server text holding newlines)."""
    return " ".join(text.split())


_BY_CLASS: tuple[tuple[type[BaseException], ExitStatus], ...] = (
    (NotFound, ExitStatus.NOT_FOUND),
    (Unauthorized, ExitStatus.FORBIDDEN),
    (Forbidden, ExitStatus.FORBIDDEN),
    (Conflict, ExitStatus.CONFLICT),
    (PreconditionFailed, ExitStatus.CONFLICT),  # AlreadyExists, ReviewConflict too
    (ReviewForbidden, ExitStatus.FORBIDDEN),  # LastEditorCannotReview too
    (SignerOwned, ExitStatus.FORBIDDEN),  # a write to what the signer owns
    (InvalidReviewStep, ExitStatus.CONFLICT),  # the collection's status does not allow it
    (SigningNotEnabled, ExitStatus.NOT_FOUND),  # no such feature here, as NotEnabled
    (Overwritten, ExitStatus.CONFLICT),
    (BadRequest, ExitStatus.USAGE),  # the server refused what we asked: a filter, an id
    (ServerError, ExitStatus.SERVER),
    (TooManyRequests, ExitStatus.SERVER),
    (KintoConnectionError, ExitStatus.SERVER),
    (InvalidResponse, ExitStatus.SERVER),
    (IncompleteScan, ExitStatus.SERVER),
    (BackoffRequested, ExitStatus.SERVER),
    (UnsafeURL, ExitStatus.SERVER),
    (InvalidQuery, ExitStatus.USAGE),
    (InvalidId, ExitStatus.USAGE),
    (ConfigurationError, ExitStatus.USAGE),
    (InvalidSignature, ExitStatus.INVALID_SIGNATURE),
    (BatchError, ExitStatus.FAILED),
    (HTTPError, ExitStatus.FAILED),  # another status (405, 410...)
)


# The library's messages give Python advice; a shell user is told the command's way.
_SHELL_ADVICE = (
    ("client.whoami() says", "kinto-query whoami says"),
    ("pass them as auth=", "pass them with --auth or $KINTO_AUTH"),
)


def _for_the_shell(message: str) -> str:
    for python, shell in _SHELL_ADVICE:
        message = message.replace(python, shell)
    return message


def classify(error: BaseException) -> tuple[ExitStatus, str]:
    """The exit status and the one-line message for an error leaving a command."""
    if isinstance(error, CliError):
        return error.status, one_line(str(error))
    if isinstance(error, KeyboardInterrupt):
        return ExitStatus.INTERRUPTED, "interrupted"
    for cls, status in _BY_CLASS:
        if isinstance(error, cls):
            return status, _for_the_shell(one_line(str(error)))
    if isinstance(error, OSError):
        # A file we could not read or write: its name and the system's reason.
        name = f"{error.filename}: " if error.filename else ""
        return ExitStatus.FAILED, one_line(f"{name}{error.strerror or error}")
    return ExitStatus.FAILED, one_line(
        f"unexpected {type(error).__name__}: {error} (run with --debug for the traceback)"
    )
