"""The Client: one Kinto server, its configuration, and the buckets on it. Generated
(``_blocking/client.py``) from ``_async/client.py``; its sync-only features are
``_features.client.ClientFeatures``."""

from ._blocking.client import Client

__all__ = ["Client"]
