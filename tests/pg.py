"""PostgreSQL test databases, as a pytest plugin (registered in ``tests/conftest.py``).

The session migrates one uniquely named template database once; each test that asks for
``postgres_url`` gets a fresh database cloned from it (``CREATE DATABASE … TEMPLATE``, a file
copy: much faster than migrating again) and dropped afterwards. Names carry a random session
prefix, so sessions running side by side on one server never touch each other's databases.

The server comes from ``PULSE_TEST_POSTGRES_URL`` (default: the local server). When it cannot be
reached the tests that need it skip with the reason, except under CI (``CI`` set), where they
fail: a CI run that silently skipped the PostgreSQL suite would prove nothing.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from pulse.store.postgres import PostgresStore

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Databases cloned ahead of the tests that will use them.
_SPARES = 2


def server_url() -> str:
    return os.environ.get("PULSE_TEST_POSTGRES_URL") or DEFAULT_SERVER_URL


def with_database(url: str, dbname: str) -> str:
    """``url`` pointing at database ``dbname`` instead."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


class PostgresDatabases:
    """Creates and drops this session's databases on one server."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.prefix = f"pulse_test_{secrets.token_hex(4)}"
        self.template = f"{self.prefix}_tpl"
        self._created: list[str] = []
        self._lock = threading.Lock()
        self._workers = ThreadPoolExecutor(max_workers=_SPARES, thread_name_prefix="pulse-test-db")
        self._spares: deque[Future[str]] = deque()

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.server, autocommit=True, connect_timeout=5)

    def create_template(self) -> None:
        """Create the template and migrate it with the store itself, so the schema under test
        is the one ``open()`` produces."""
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.template)))
        self._created.append(self.template)

        async def migrate() -> None:
            store = PostgresStore(with_database(self.server, self.template))
            await store.open()
            await store.close()  # a template must have no connections when it is cloned

        # In a thread of its own: this may be called while a test's event loop is running.
        errors: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(migrate())
            except BaseException as e:
                errors.append(e)

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        if errors:
            raise errors[0]

    def _clone(self, template: str) -> str:
        with self._lock:
            name = f"{self.prefix}_{len(self._created)}"
            self._created.append(name)
        with self._admin() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        return with_database(self.server, name)

    def create(self, *, empty: bool = False) -> str:
        """A new database (migrated, or ``empty``); returns its URL.

        A clone takes a few hundred milliseconds (the server copies and syncs the files), longer
        than most tests: the next clones are made in the background while a test runs."""
        if empty:
            return self._clone("template0")
        while len(self._spares) < _SPARES + 1:
            self._spares.append(self._workers.submit(self._clone, self.template))
        return self._spares.popleft().result()

    def drop(self, url: str) -> None:
        """Drop one database, in the background: nothing waits for it but the session's end."""
        self._workers.submit(self._drop, urlsplit(url).path.lstrip("/"))

    def _drop(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def drop_all(self) -> None:
        """Drop every database of this session, spares and template included."""
        self._workers.shutdown(wait=True, cancel_futures=True)
        for name in reversed(self._created):
            self._drop(name)
        self._created.clear()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of a reachable PostgreSQL server (its maintenance database)."""
    url = server_url()
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as e:
        reason = f"PostgreSQL is not reachable at {url} (PULSE_TEST_POSTGRES_URL): {e}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def postgres_databases(postgres_server: str) -> Iterator[PostgresDatabases]:
    """This session's databases; the template is migrated once, on first use."""
    databases = PostgresDatabases(postgres_server)
    try:
        databases.create_template()
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """A fresh, migrated database of its own for one test, dropped afterwards."""
    url = postgres_databases.create()
    yield url
    postgres_databases.drop(url)
