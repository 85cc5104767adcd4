"""``python -m kinto_query.testing [--port N] [--remote-settings]``: a throwaway Kinto in the
foreground (memory backend, Basic auth for any ``user:password``), until Ctrl-C; with
``--remote-settings``, a Remote Settings server (kinto-changes, kinto-signer). What stops it
from starting is said in one line, with exit status 1."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys

from .remote_settings import RemoteSettingsServer
from .server import KintoNotInstalled, KintoServer, PortInUse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kinto_query.testing",
        description="Run a throwaway Kinto (memory backend, any user:password) until Ctrl-C.")
    parser.add_argument("--port", type=int, default=8888)
    # localhost, as the client's default URL and the README's: the attachments' URLs name
    # this host, and the client refuses to send a download anywhere but its server's origin.
    parser.add_argument("--host", default="localhost")
    parser.add_argument(
        "--remote-settings", action="store_true",
        help="a Remote Settings server: records written in main-workspace, reviewed and "
             "signed into main (its signer's public key file is printed)")
    args = parser.parse_args(argv)
    # On SIGTERM too, leave through the with-block so the server child is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    kind = RemoteSettingsServer if args.remote_settings else KintoServer
    server = kind(host=args.host, port=args.port)
    try:
        server.start()
    except PortInUse as error:
        print(f"{error} (another Kinto running? choose another port with --port)", file=sys.stderr)
        return 1
    except KintoNotInstalled as error:
        print(error, file=sys.stderr)
        return 1
    try:
        what = "Remote Settings" if args.remote_settings else "Kinto"
        print(f"{what} at {server.url} (any user:password over Basic auth); Ctrl-C stops it",
              flush=True)
        if isinstance(server, RemoteSettingsServer):
            print(f"Signer's public key: {server.public_key_path}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            assert server.process is not None
            server.process.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
