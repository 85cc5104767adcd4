"""A loopback fault-injecting HTTP reverse proxy, for tests of retries and fault handling.

Standard library only. ``with FaultProxy(kinto_url, seed=1) as proxy:``, then
``proxy.inject(Fault.UNAVAILABLE, rate=0.05, methods={"GET"})`` and point a client at
``proxy.url``. Requests go upstream (one connection each) with the upstream's ``Host``, so Kinto
writes absolute URLs with the upstream origin: ``Next-Page`` and ``Location`` are rewritten to
the proxy's origin. Request bodies need a ``Content-Length`` (chunked ones are unsupported).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import enum
import http.client
import json
import random
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Fault", "FaultProxy"]

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
               "trailer", "transfer-encoding", "upgrade", "content-length", "host", "expect"}
_UPSTREAM_TIMEOUT = 60.0
Headers = list[tuple[str, str]]


class Fault(enum.Enum):
    """What the proxy does to a request instead of, or after, forwarding it."""

    UNAVAILABLE = "503 + Retry-After (param retry_after=0), Kinto errno 201; not forwarded"
    TOO_MANY = "429 + Retry-After (param retry_after=0), Kinto errno 117; not forwarded"
    RESET = "connection reset (RST) without an answer; not forwarded"
    GATEWAY_AFTER = "forwarded (applied), then an HTML 502 or 504 (param status=502) instead"
    SLOW_BODY = "forwarded, body trickled (params chunk_size=8, trickle_interval=0.05)"
    RESET_AFTER = "forwarded (applied), then connection reset without an answer"
    GARBLED_AFTER = "forwarded (applied), then its answer with the body cut in half"


_PARAMS = {Fault.UNAVAILABLE: {"retry_after"}, Fault.TOO_MANY: {"retry_after"},
           Fault.GATEWAY_AFTER: {"status"}, Fault.SLOW_BODY: {"chunk_size", "trickle_interval"}}
_ERRORS = {
    Fault.UNAVAILABLE: (503, "Service Unavailable", 201, "Service temporary unavailable due to "
                        "overloading or maintenance, please retry later."),
    Fault.TOO_MANY: (429, "Too Many Requests", 117, "Client has sent too many requests"),
}  # fmt: skip


@dataclasses.dataclass
class _Rule:
    fault: Fault
    rate: float
    methods: frozenset[str] | None
    path_contains: str
    times: int | None
    params: dict[str, Any]


class FaultProxy:
    """A reverse proxy on 127.0.0.1 (free port) to ``upstream``, injecting faults by rule.

    ``log`` holds ``(method, path and query, outcome)`` per request, the outcome being
    ``"forwarded"``, a fault's name, or ``"upstream_error"`` (answered 502).
    """

    def __init__(self, upstream: str, *, seed: int = 0, latency: float = 0.0) -> None:
        """``latency``: seconds added to every request, as a distant link would."""
        self.latency = latency
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be an http:// URL, not {upstream!r}")
        self._netloc = parts.netloc.rpartition("@")[2]
        self.upstream_origin = f"http://{self._netloc}"
        self._address = (parts.hostname, parts.port or 80)
        self._prefix = parts.path.rstrip("/")
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._open: set[socket.socket] = set()  # client and upstream sockets, shut on stop()
        self._clients: set[socket.socket] = set()  # the clients' connections among them
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.log: list[tuple[str, str, str]] = []

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` (only once started)."""
        if self._server is None:
            raise RuntimeError("the proxy is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """The proxy's origin followed by the upstream's path prefix (``.../v1``)."""
        return self.origin + self._prefix

    def start(self) -> FaultProxy:
        """Bind a free port on 127.0.0.1 and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError("the proxy is already started")
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the port and every open connection; return once all threads have ended."""
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is None or thread is None:
            return
        server.shutdown()
        with self._lock:
            self._stopping.set()
            for sock in self._open:
                _shut(sock)
        server.server_close()  # joins the handler threads
        thread.join()

    def __enter__(self) -> FaultProxy:
        return self if self._server is not None else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def inject(self, fault: Fault, *, rate: float = 1.0, methods: set[str] | None = None,
               path_contains: str | None = None, times: int | None = None,
               **params: Any) -> None:  # fmt: skip
        """Add a rule after the others: a matching request gets ``fault`` with probability
        ``rate`` (seeded draws), at most ``times`` times. Rules apply in order, first hit wins.
        """
        unknown = set(params) - _PARAMS.get(fault, set())
        if unknown:
            raise TypeError(f"{fault.name} takes no parameter {sorted(unknown)}")
        if not 0.0 <= rate <= 1.0 or (times is not None and times < 1):
            raise ValueError(f"need 0 <= rate <= 1 and times >= 1, not {rate} and {times}")
        if not 500 <= params.get("status", 502) <= 599:
            raise ValueError(f"status must be a 5xx, not {params['status']}")
        upper = None if methods is None else frozenset(m.upper() for m in methods)
        with self._lock:
            self._rules.append(_Rule(fault, rate, upper, path_contains or "", times, params))

    def fail_next(self, fault: Fault, **kw: Any) -> None:
        """``inject(fault, times=1, **kw)``: the next matching request gets ``fault``."""
        self.inject(fault, times=1, **kw)

    def clear(self) -> None:
        """Remove every rule (the log is kept: ``log.clear()`` empties it)."""
        with self._lock:
            self._rules.clear()

    @property
    def client_connections(self) -> int:
        """How many connections clients hold open to the proxy right now (one a client
        closed counts until the proxy has seen it go: poll for a while)."""
        with self._lock:
            return len(self._clients)

    def counts(self) -> dict[str, int]:
        """How many requests had each outcome."""
        with self._lock:
            return dict(collections.Counter(outcome for _, _, outcome in self.log))

    # -- used by the handler threads -------------------------------------------------------------

    def _choose(self, method: str, target: str) -> tuple[Fault | None, dict[str, Any]]:
        with self._lock:
            for rule in self._rules:
                if (rule.methods is None or method in rule.methods) and (
                    rule.path_contains in target and self._random.random() < rule.rate
                ):
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times == 0:
                            self._rules.remove(rule)
                    return rule.fault, rule.params
        return None, {}

    def _record(self, method: str, target: str, outcome: str) -> None:
        with self._lock:
            self.log.append((method, target, outcome))

    def _track(self, sock: socket.socket, add: bool, client: bool = False) -> None:
        with self._lock:
            if not add:
                self._open.discard(sock)
                self._clients.discard(sock)
            elif self._stopping.is_set():
                _shut(sock)
            else:
                self._open.add(sock)
                if client:
                    self._clients.add(sock)

    def _forward(
        self, method: str, target: str, headers: Headers, body: bytes | None
    ) -> tuple[int, str, Headers, bytes]:
        if self.latency:
            time.sleep(self.latency)
        conn = http.client.HTTPConnection(*self._address, timeout=_UPSTREAM_TIMEOUT)
        try:
            conn.connect()
            assert conn.sock is not None
            self._track(conn.sock, add=True)
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", self._netloc)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP:
                    conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            answer = conn.getresponse()
            payload = answer.read()
        finally:
            if conn.sock is not None:
                self._track(conn.sock, add=False)
            conn.close()
        relayed = [(name, self._rewrite(value) if name.lower() in ("next-page", "location")
                    else value) for name, value in answer.getheaders()
                   if name.lower() not in _HOP_BY_HOP]  # fmt: skip
        if method == "HEAD" and answer.getheader("Content-Length") is not None:
            relayed.append(("Content-Length", answer.getheader("Content-Length", "")))
        return answer.status, answer.reason, relayed, payload

    def _rewrite(self, value: str) -> str:
        origin = self.upstream_origin
        rest = value[len(origin) :]
        if value[: len(origin)].lower() == origin.lower() and rest[:1] in ("", "/", "?", "#"):
            return self.origin + rest
        return value


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so that server_close() joins them on every Python version
    # A client opening a hundred connections at once (reads in flight): past the backlog
    # (socketserver's 5), a connection waits for its SYN to be sent again, a second later.
    request_queue_size = 128
    proxy: FaultProxy

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away, or a reset we made: nothing to report


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 60.0  # an idle keep-alive connection is closed after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.proxy._track(self.connection, add=True, client=True)

    def finish(self) -> None:
        self.server.proxy._track(self.connection, add=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        proxy, method, target = self.server.proxy, self.command, self.path
        length = self.headers.get("Content-Length")
        body = None if length is None else self.rfile.read(int(length))
        fault, params = proxy._choose(method, target)
        if fault in (None, Fault.GATEWAY_AFTER, Fault.SLOW_BODY, Fault.RESET_AFTER,
                     Fault.GARBLED_AFTER):
            try:
                status, reason, headers, payload = proxy._forward(
                    method, target, list(self.headers.items()), body
                )
            except (OSError, http.client.HTTPException) as exc:
                proxy._record(method, target, "upstream_error")
                self._send(502, "Bad Gateway", [], str(exc).encode())
                return
        proxy._record(method, target, "forwarded" if fault is None else fault.name)
        if fault is Fault.RESET or fault is Fault.RESET_AFTER:
            self._reset()
        elif fault is Fault.UNAVAILABLE or fault is Fault.TOO_MANY:
            code, error, errno, message = _ERRORS[fault]
            error_body = {"code": code, "errno": errno, "error": error, "message": message}
            headers = [("Content-Type", "application/json"),
                       ("Retry-After", str(params.get("retry_after", 0)))]  # fmt: skip
            self._send(code, error, headers, json.dumps(error_body).encode())
        elif fault is Fault.GATEWAY_AFTER:
            code = params.get("status", 502)
            name = http.client.responses.get(code, "Gateway Error")
            html = f"<html><head><title>{code} {name}</title></head><body><h1>{name}</h1></body>"
            self._send(code, name, [("Content-Type", "text/html")], f"{html}</html>\n".encode())
        elif fault is Fault.GARBLED_AFTER:
            self._send(status, reason, headers, payload[: len(payload) // 2])
        else:
            self._send(status, reason, headers, payload, params if fault else None)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def _send(self, status: int, reason: str, headers: Headers, payload: bytes,
              trickle: dict[str, Any] | None = None) -> None:  # fmt: skip
        self.send_response_only(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        if status >= 200 and status not in (204, 304) and self.command != "HEAD":
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command == "HEAD" or not payload:
            return
        if trickle is None:
            self.wfile.write(payload)
            return
        size, interval = trickle.get("chunk_size", 8), trickle.get("trickle_interval", 0.05)
        for start in range(0, len(payload), size):
            if self.server.proxy._stopping.wait(interval):
                self.close_connection = True
                return
            self.wfile.write(payload[start : start + size])

    def _reset(self) -> None:
        """Abort the connection: SO_LINGER 0 makes close() send a RST, not a FIN."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()  # the socket's file descriptor closes with its last reference
            self.connection.close()
