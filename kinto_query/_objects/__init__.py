"""The objects layer: buckets, collections, groups and records, what they are (``state``),
their writes one by one, in bulk and in mixed batches, their attachments; and the client."""
