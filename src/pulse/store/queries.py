"""Load named SQL blocks (``-- name: NAME``) from the ``.sql`` files beside this module."""

from __future__ import annotations

import re
from importlib import resources

# The migration that added roll-ups (pulse.stats): history recorded before it is rolled up in
# the same transaction, by the store's ``rebuild_stats`` queries.
ROLLUPS_VERSION = 5

_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


def load(filename: str) -> dict[str, str]:
    """Every named block of ``sql/<filename>``, keyed by name, comments kept."""
    text = resources.files("pulse.store").joinpath("sql", filename).read_text(encoding="utf-8")
    parts = _NAME.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def migrations(backend: str) -> list[tuple[int, str, str]]:
    """The numbered migration files of ``backend`` as (version, name, sql), in order."""
    folder = resources.files("pulse.store").joinpath("migrations", backend)
    found = []
    for entry in folder.iterdir():
        m = re.match(r"^(\d+)_(\w+)\.sql$", entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)
