"""The server features layer: what Kinto plugins and Remote Settings add over the objects:
history, grants, accounts, the changes feed, replication, changesets, the monitor, review,
signatures, diff and sync."""
