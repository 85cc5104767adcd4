"""Remote Settings signatures, verified: the verifier, which fetches each x5u certificate chain
once (the only I/O of a verification). The payload, the ECDSA check and the chain's checks
are the pure ``kinto_query._server.signing``'s."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._wire._async.transport import AsyncTransport
from ...exceptions import InvalidSignature, KintoError
from ..signing import Fetch, PublicKey, VerifierBase

if TYPE_CHECKING:
    import datetime
    from collections.abc import Callable

    from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["AsyncSignatureVerifier", "verify_signature"]


class AsyncSignatureVerifier(VerifierBase):
    """Verifies Remote Settings changesets against one trust root; x5u chains are cached.

    Give ``public_key`` (PEM, what the local signer uses) or ``root_hash`` (the SHA-256
    fingerprint of the root certificate, as Firefox pins it); with ``root_hash``, the chain at
    each signature's ``x5u`` is fetched once (without credentials; ``transport``'s session
    and User-Agent when given) and checked leaf to root. ``subject_name`` (e.g.
    ``"remote-settings.content-signature.mozilla.org"``): the DNS name the leaf certificate
    must carry, as Firefox requires, so that a signer of another product under the same root
    is refused. ``fetch(url) -> bytes`` replaces the fetch of chains; ``now`` is a clock, for
    tests.

    >>> verifier = SignatureVerifier(public_key=PEM)
    >>> verifier.verify(collection.changeset())
    """

    _transport: AsyncTransport | None

    def __init__(
        self,
        *,
        public_key: PublicKey | None = None,
        root_hash: str | None = None,
        subject_name: str | None = None,
        transport: AsyncTransport | None = None,
        fetch: Fetch | None = None,
        now: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        super().__init__(public_key=public_key, root_hash=root_hash, subject_name=subject_name,
                         transport=transport, fetch=fetch, now=now)

    async def verify(self, changeset: object) -> None:
        """Raise ``InvalidSignature`` (``.check`` says which) unless ``changeset`` (its JSON or
        the typed result) carries a valid signature of its records and timestamp."""
        where, signature, raw, payload = self._signed(changeset)
        if self._key is not None:
            key, what = self._key, "the given public key"
        else:
            key, what = await self._leaf_key(signature.get("x5u")), "the x5u certificate"
        self._check(key, what, where, raw, payload)

    async def _leaf_key(self, x5u: object) -> ec.EllipticCurvePublicKey:
        return self._leaf_key_of(await self._chain(self._x5u_url(x5u)))

    async def _chain(self, x5u: str) -> bytes:
        cached = self._cached(x5u)
        if cached is not None:
            return cached
        try:
            pem = self._fetch(x5u) if self._fetch is not None else await self._get(x5u)
        except KintoError as error:
            raise InvalidSignature(f"cannot fetch the certificate chain at {x5u}: {error}",
                                   check="x5u") from error
        self._keep(x5u, pem)
        return pem

    async def _get(self, url: str) -> bytes:
        # No credentials: the chain is public and on another origin than the server.
        if self._transport is not None:
            return (await self._transport.fetch(url, headers={"Accept": "*/*"})).content
        own = AsyncTransport(url)
        try:
            return (await own.fetch(url, headers={"Accept": "*/*"})).content
        finally:
            await own.aclose()


async def verify_signature(
    changeset: object,
    *,
    public_key: PublicKey | None = None,
    root_hash: str | None = None,
    transport: AsyncTransport | None = None,
) -> None:
    """Raise ``InvalidSignature`` unless a changeset's signature is valid (a verifier made for
    one check; keep a verifier to fetch each x5u chain once). Either side's changeset: with
    ``public_key`` nothing is fetched.

    >>> verify_signature(collection.changeset(), public_key=PEM)
    """
    verifier = AsyncSignatureVerifier(public_key=public_key, root_hash=root_hash,
                                      transport=transport)
    await verifier.verify(changeset)
