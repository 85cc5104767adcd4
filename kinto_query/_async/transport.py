"""BRIDGE, replaced on merging main's "aio: AsyncTransport": until then the objects' source
names the sync Transport, so that the generated sync objects run as before."""

from .._transport import Transport as AsyncTransport

__all__ = ["AsyncTransport"]
