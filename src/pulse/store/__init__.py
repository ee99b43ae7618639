"""Storage backends behind one interface (:class:`pulse.store.base.Store`)."""

from __future__ import annotations

from pulse.store.base import FireOutcome, Firing, NodeInfo, Store

__all__ = ["FireOutcome", "Firing", "NodeInfo", "Store", "open_store"]


def open_store(url: str) -> Store:
    """The store a database URL names: ``sqlite:///path/to/file.db`` or ``postgresql://…``.

    The store is returned unopened; call ``await store.open()``."""
    if url.startswith("sqlite:///"):
        from pulse.store.sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from pulse.store.postgres import PostgresStore  # type: ignore[import-not-found]
        except ImportError as e:  # pragma: no cover - until the backend lands
            from pulse.errors import InvalidInputError

            raise InvalidInputError("PULSE_DATABASE_URL", "PostgreSQL is not supported yet") from e
        return PostgresStore(url)  # type: ignore[no-any-return]
    from pulse.errors import InvalidInputError

    raise InvalidInputError(
        "PULSE_DATABASE_URL", f"{url!r} is neither sqlite:///PATH nor postgresql://…"
    )
