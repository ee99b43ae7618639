"""The store under test, once per backend: every test of ``test_contract.py`` runs on SQLite
and on PostgreSQL (marked ``postgres``)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from pulse.store.base import Store
from pulse.store.postgres import PostgresStore
from pulse.store.sqlite import SQLiteStore

OpenStore = Callable[[], Awaitable[Store]]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the store lives: a file path for SQLite, a fresh database URL for PostgreSQL."""
    if backend == "sqlite":
        return str(tmp_path / "pulse.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def open_store(backend: str, database: str) -> AsyncIterator[OpenStore]:
    """Opens a store on the test's database; several calls are several nodes sharing it.
    Every store opened is closed after the test."""
    opened: list[Store] = []

    async def open_() -> Store:
        store: Store = SQLiteStore(database) if backend == "sqlite" else PostgresStore(database)
        await store.open()
        opened.append(store)
        return store

    yield open_
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_store: OpenStore) -> Store:
    return await open_store()


RawQuery = Callable[[str, tuple[object, ...]], list[tuple[object, ...]]]


@pytest.fixture
def raw_query(backend: str, database: str) -> RawQuery:
    """Runs SQL straight on the test's database, for what the Store interface does not show
    (the seed's ``logs`` column, the migrations table). ``?`` marks parameters."""

    def run(query: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        if backend == "sqlite":
            with closing(sqlite3.connect(database)) as conn, conn:
                return [tuple(r) for r in conn.execute(query, params).fetchall()]
        with psycopg.connect(database, autocommit=True) as pg:
            cur = pg.execute(query.replace("?", "%s"), params)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []

    return run
