"""The server URL's rules, and the origin a URL really points at.

Only the transport sends; this module says which URLs it may send to.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from .exceptions import ConfigurationError, UnsafeURL

__all__ = [
    "DEFAULT_SERVER_URL",
    "check_server_url",
    "check_v1_redirect",
    "is_local",
    "origin",
    "refuse_redirect",
    "without_userinfo",
]

DEFAULT_SERVER_URL = "http://localhost:8888/v1"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = ("localhost", "::1", "[::1]")
# Names that never leave the machine or never resolve (RFC 6761): no password crosses a network.
_LOCAL_SUFFIXES = (".localhost", ".test", ".invalid")


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port that ``requests`` will connect to for ``url``.

    Parsed as requests prepares it (urllib3's parser), not with urllib's ``urlsplit``: the two
    disagree on URLs such as ``http://h:1\\@h:2/``, and only the connecting parser tells
    where credentials would go.
    """
    try:
        prepared = requests.Request("GET", url).prepare().url or ""
        parts = urllib3.util.parse_url(prepared)
    except (requests.RequestException, ValueError, urllib3.exceptions.HTTPError):
        raise UnsafeURL(f"refusing {url!r}: not a URL requests can send to") from None
    scheme = (parts.scheme or "").lower()
    host = (parts.host or "").lower()
    return scheme, host, parts.port or _DEFAULT_PORTS.get(scheme)


def check_server_url(url: str) -> str:
    """The server URL without a trailing slash, or ``ConfigurationError`` saying what is wrong.

    A bare origin is taken as the server's root, below which Kinto's API lives at ``/v1``
    (Kinto redirects ``/`` there): same origin, nothing guessed. A URL with another path is
    kept as written (a proxy may map it anywhere).

    >>> check_server_url("http://localhost:8888")
    'http://localhost:8888/v1'
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"server_url must be an http(s) URL such as {DEFAULT_SERVER_URL!r}, got {url!r}"
        )
    if parts.username or parts.password or "@" in parts.netloc:
        raise ConfigurationError("server_url must not hold credentials; pass them as auth=")
    if parts.query or parts.fragment:
        raise ConfigurationError("server_url must not have a query or fragment")
    url = url.rstrip("/")
    return url + "/v1" if parts.path in ("", "/") else url


def is_local(host: str) -> bool:
    """Whether a host name never leads off this machine (loopback, ``.localhost``, ``.test``)."""
    return host in _LOOPBACK or host.startswith("127.") or host.endswith(_LOCAL_SUFFIXES)


def check_v1_redirect(server_url: str, method: str, url: str, location: str) -> None:
    """Raise a ``ConfigurationError`` naming the server URL to use when a redirect only
    inserts a prefix (Kinto's answer to a URL without ``/v1``)."""
    # Following it would work for reads and fail every write: report the mistake instead.
    target = urljoin(url, location)
    ours, theirs = urlsplit(url).path, urlsplit(target).path
    parts = urlsplit(server_url)
    below = ours.removeprefix(parts.path.rstrip("/"))
    if origin(target) == origin(url) and theirs.endswith(below) and theirs != ours:
        prefix = theirs[: len(theirs) - len(below)]
        suggested = f"{parts.scheme}://{parts.netloc}{prefix}"
        raise ConfigurationError(
            f"the server at {server_url!r} redirected {method} {ours} to {theirs}: "
            f"the server URL is probably {suggested!r} (Kinto's API lives below /v1)"
        )


def refuse_redirect(server_url: str, method: str, url: str, location: str) -> None:
    """Raise for a redirect of a write: a ``ConfigurationError`` naming the server URL to use
    when it only inserts a prefix (``/v1``), else ``UnsafeURL``."""
    # A write is never resent elsewhere: the body and credentials would follow it.
    check_v1_redirect(server_url, method, url, location)
    target = urljoin(url, location)
    raise UnsafeURL(f"{method} {url} was redirected to {target}; kinto_query follows "
                    "redirects of reads only: use the exact URL")


def without_userinfo(url: str) -> str:
    """``url`` without any ``user:password@`` (credentials never ride in a followed URL).

    >>> without_userinfo("https://u:p@cdn.test/a?b=1")
    'https://cdn.test/a?b=1'
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
