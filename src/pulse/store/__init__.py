"""Storage backends behind one interface (:class:`pulse.store.base.Store`)."""

from __future__ import annotations

from pulse.store.base import ExecutionEnd, FireOutcome, Firing, NodeInfo, Store

__all__ = ["ExecutionEnd", "FireOutcome", "Firing", "NodeInfo", "Store", "open_store"]


def open_store(url: str, *, connections: int = 10) -> Store:
    """The store a database URL names: ``sqlite:///path/to/file.db`` or ``postgresql://…``.
    ``connections`` caps a server database's connection pool.

    The store is returned unopened; call ``await store.open()``."""
    if url.startswith("sqlite:///"):
        from pulse.store.sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgres://")):
        from pulse.store.postgres import PostgresStore

        return PostgresStore(url, max_size=connections)
    from pulse.errors import InvalidInputError

    raise InvalidInputError(
        "PULSE_DATABASE_URL", f"{url!r} is neither sqlite:///PATH nor postgresql://…"
    )
