"""The wire layer's I/O, written once, async: the source of ``kinto_query._wire._blocking``.

Each module here is rewritten into its sync twin by ``tools/generate_sync.py`` (``make unasync``);
what differs per side (the HTTP client, sleeping, concurrency) is in ``kinto_query._wire.http``
and ``kinto_query._wire.concurrency``.
"""
