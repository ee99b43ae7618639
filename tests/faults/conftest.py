"""Fixtures of the fault tests: one private PostgreSQL cluster for the session, a database of its
own for each test, and the test's nodes, all cleaned up whatever happens."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.cluster import Deployment, PostgresCluster, available


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_FAILED] = report.failed


_FAILED = pytest.StashKey[bool]()


def _close(d: Deployment, request: pytest.FixtureRequest) -> None:
    """Kill what the test left; after a failure, print what the nodes and jobs said (the
    temporary directory may be gone by the time someone looks)."""
    if request.node.stash.get(_FAILED, False):
        for node in d.nodes.values():
            print(f"--- {node.name} ---\n{node.log_tail(80)}")
        if d.lock_log.exists():
            print(f"--- lock log ---\n{d.lock_log.read_text()[-4000:]}")
        with contextlib.suppress(Exception):
            for e in d.executions()[-40:]:
                print(e)
    d.close()


@pytest.fixture(scope="session")
def pg_cluster(request: pytest.FixtureRequest) -> PostgresCluster:
    """This session's own PostgreSQL cluster, started once (it takes seconds); stopped and
    removed at the end of the session, even when a test failed or the start did."""
    reason = available()
    if reason:
        pytest.skip(reason)
    cluster = PostgresCluster()
    request.addfinalizer(cluster.destroy)
    cluster.start()
    return cluster


@pytest.fixture
def pg_database(pg_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh database in the cluster (the nodes migrate it); dropped after the test."""
    name = pg_cluster.create_database(f"faults_{secrets.token_hex(4)}")
    try:
        yield name
    finally:
        if pg_cluster.postmaster_pid() is None:  # a test left it down
            pg_cluster.start()
        pg_cluster.drop_database(name)


@pytest.fixture
def pg_deployment(
    pg_cluster: PostgresCluster, pg_database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Deployment]:
    """Nodes on the test's PostgreSQL database; every node and job process killed at the end."""
    d = Deployment(pg_cluster.url(pg_database), tmp_path, secrets.token_hex(8), pg_cluster)
    try:
        yield d
    finally:
        _close(d, request)


@pytest.fixture
def sqlite_deployment(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Deployment]:
    """A node (or its successive processes) on a SQLite file."""
    url = f"sqlite:///{tmp_path / 'pulse.db'}"
    d = Deployment(url, tmp_path, secrets.token_hex(8), None)
    try:
        yield d
    finally:
        _close(d, request)
