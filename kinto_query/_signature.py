"""Remote Settings content signatures: the bytes signed, the ECDSA check, the x5u chain.

The checks are the pure ``kinto_query._signing`` (whose docstring says what is signed and
what vouches for the key); the verifier, which fetches x5u chains, is written once, async,
in ``kinto_query._async.signature`` and generated into ``kinto_query._blocking.signature``.
This module is where their names have always been imported from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._blocking.signature import SignatureVerifier
from ._signing import SIGN_PREFIX, PublicKey, signed_payload

if TYPE_CHECKING:
    from ._transport import Transport

__all__ = ["SIGN_PREFIX", "SignatureVerifier", "signed_payload", "verify_signature"]


def verify_signature(
    changeset: object,
    *,
    public_key: PublicKey | None = None,
    root_hash: str | None = None,
    transport: Transport | None = None,
) -> None:
    """Raise ``InvalidSignature`` unless a changeset's signature is valid (see
    ``SignatureVerifier``; reuse one of those to fetch each x5u chain once). Either side's
    changeset: with ``public_key`` nothing is fetched (in async code, an x5u chain is
    fetched with ``await AsyncSignatureVerifier(root_hash=...).verify(changeset)``).

    >>> verify_signature(collection.changeset(), public_key=PEM)
    """
    SignatureVerifier(public_key=public_key, root_hash=root_hash,
                      transport=transport).verify(changeset)
