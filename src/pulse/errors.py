"""Errors raised by Pulse.

Every error Pulse raises derives from :class:`PulseError`::

    PulseError
    ├── NotFoundError          an id names nothing (job, execution, run request)
    ├── InvalidInputError      a field has a value Pulse cannot accept
    ├── ConflictError          the request is valid but clashes with the current state
    └── StoreError             the store failed; the driver's exception is the cause
        ├── StoreUnavailableError   the database cannot be reached or written right now
        │   └── StoreFullError      the disk (or the database's quota) is full
        └── StoreCorruptError       the database file is damaged; Pulse refuses to start on it

A user's job failing is not an error of Pulse: it is recorded as a ``failed`` execution.
"""

from __future__ import annotations


class PulseError(Exception):
    """Root of every exception Pulse raises."""


class NotFoundError(PulseError):
    """The id names nothing that exists."""

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(f"{kind} {id!r} not found")
        self.kind = kind
        self.id = id


class InvalidInputError(PulseError):
    """A field holds a value that Pulse cannot accept; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class ConflictError(PulseError):
    """The request clashes with the current state (e.g. editing a deleted job)."""


class StoreError(PulseError):
    """The store failed. The driver's exception is kept as ``__cause__``."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached; the operation may succeed later."""


class StoreFullError(StoreUnavailableError):
    """The disk holding the database is full: writes fail until space is freed, reads still
    work. Like an outage, it passes by itself once space returns."""


class StoreCorruptError(StoreError):
    """The database is damaged (its integrity check fails); Pulse will not serve from it."""
