"""Bucket: the root of collections and groups. Generated (``_blocking/bucket.py``) from
``_async/bucket.py``; its sync-only features are ``_features.bucket.BucketFeatures``."""

from ._blocking.bucket import Bucket

__all__ = ["Bucket"]
