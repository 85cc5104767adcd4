"""Remote Settings content signatures: the bytes signed, the ECDSA check, the x5u chain.

The checks are the pure ``kinto_query._signing`` (whose docstring says what is signed and
what vouches for the key); the verifier, which fetches x5u chains, is written once, async,
in ``kinto_query._async.signature`` and generated into ``kinto_query._blocking.signature``.
This module is where their names have always been imported from.
"""

from __future__ import annotations

from ._blocking.signature import SignatureVerifier, verify_signature
from ._signing import SIGN_PREFIX, signed_payload

__all__ = ["SIGN_PREFIX", "SignatureVerifier", "signed_payload", "verify_signature"]
