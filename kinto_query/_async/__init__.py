"""The library's I/O code, written once, async: the source of ``kinto_query._blocking``.

Every module here is rewritten into its sync twin by ``tools/generate_sync.py`` (``make unasync``);
what differs per side (the HTTP client, sleeping, concurrency) is in ``kinto_query._wire``.
"""
