"""What only PostgreSQL has to prove: several nodes at once on one database, row locks, lost
connections, and a schema that matches SQLite's."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from pulse.errors import StoreUnavailableError
from pulse.models import ExecutionStatus, Trigger
from pulse.store import open_store, queries
from pulse.store.base import DueSlot, FireOutcome, Firing
from pulse.store.postgres import PostgresStore
from pulse.store.sqlite import SQLiteStore
from tests.pg import PostgresDatabases, with_database
from tests.store import builders as b
from tests.store.builders import at

pytestmark = pytest.mark.postgres


@pytest.fixture
async def nodes(postgres_url: str) -> AsyncIterator[list[PostgresStore]]:
    """Two stores on one database: two nodes, each with its own pool."""
    stores = [PostgresStore(postgres_url), PostgresStore(postgres_url)]
    for store in stores:
        await store.open()
    yield stores
    for store in stores:
        await store.close()


@pytest.fixture
async def admin(postgres_url: str) -> AsyncIterator[psycopg.AsyncConnection[tuple[object, ...]]]:
    """A connection of the test's own, outside any store, to hold locks or kill sessions."""
    conn = await psycopg.AsyncConnection.connect(postgres_url, autocommit=True)
    yield conn
    await conn.close()


async def test_two_nodes_claiming_at_once_never_claim_the_same_request(
    nodes: list[PostgresStore],
) -> None:
    a = nodes[0]
    job = await a.create_job(b.job())
    for i in range(60):
        await a.enqueue(b.request(job.id, at(i), Trigger.MANUAL))

    # Twelve claims of four, six by each node, all at once.
    claims = [n.claim_run_requests(f"n{i}", 4, at(99)) for i, n in enumerate(nodes * 6)]
    batches = await asyncio.gather(*claims)

    claimed = [r.id for batch in batches for r in batch]
    assert len(claimed) == len(set(claimed)) == 48
    # And the oldest went first: what is left is the newest twelve.
    left = await a.claim_run_requests("x", 100, at(99))
    assert [r.created_at for r in left] == [at(i) for i in range(48, 60)]


async def test_a_claim_skips_requests_another_node_holds_instead_of_waiting(
    nodes: list[PostgresStore], admin: psycopg.AsyncConnection[tuple[object, ...]]
) -> None:
    store = nodes[0]
    job = await store.create_job(b.job())
    oldest = await store.enqueue(b.request(job.id, at(0), Trigger.MANUAL))
    newer = await store.enqueue(b.request(job.id, at(1), Trigger.MANUAL))

    async with admin.transaction():
        await admin.execute(
            "SELECT 1 FROM pulse_run_requests WHERE id = %s FOR UPDATE", (oldest.id,)
        )
        claimed = await asyncio.wait_for(store.claim_run_requests("n1", 10, at(2)), 5)

    assert claimed == [newer]
    assert await store.claim_run_requests("n1", 10, at(3)) == [oldest]


async def test_two_tickers_firing_one_slot_at_once_queue_it_once(
    nodes: list[PostgresStore],
) -> None:
    job = await nodes[0].create_job(b.job())

    outcomes = await asyncio.gather(*(n.fire([b.firing(job)]) for n in nodes))

    assert sorted(o[0] for o in outcomes) == sorted([FireOutcome.QUEUED, FireOutcome.LOST])
    assert len(await nodes[0].claim_run_requests("n1", 10, at(1))) == 1


async def test_a_ticker_does_not_wait_for_a_job_row_locked_elsewhere_and_the_slot_stays_due(
    nodes: list[PostgresStore], admin: psycopg.AsyncConnection[tuple[object, ...]]
) -> None:
    a = nodes[0]
    job = await a.create_job(b.job())

    async with admin.transaction():  # e.g. an edit of the job under way
        await admin.execute("SELECT 1 FROM scheduled_jobs WHERE id = %s FOR UPDATE", (job.id,))
        held = await asyncio.wait_for(
            asyncio.gather(*(n.fire([b.firing(job)]) for n in nodes)), timeout=5
        )
        assert [o[0] for o in held] == [FireOutcome.LOST, FireOutcome.LOST]

    assert (await a.get_job(job.id)).next_run_at == job.next_run_at  # still due
    assert await a.fire([b.firing(job)]) == [FireOutcome.QUEUED]
    assert len(await a.claim_run_requests("n1", 10, at(1))) == 1


async def test_tickers_firing_overlapping_sets_of_slots_fire_each_once(
    nodes: list[PostgresStore],
) -> None:
    a, c = nodes
    jobs = [await a.create_job(b.job()) for _ in range(30)]
    # The same slots, read in opposite orders: locking in read order could deadlock.
    forward = [b.firing(j) for j in jobs]
    backward = [b.firing(j) for j in reversed(jobs)]

    results = await asyncio.gather(*(n.fire(f) for n, f in [(a, forward), (c, backward)] * 3))

    wins = [o for outcomes in results for o in outcomes if o is FireOutcome.QUEUED]
    assert len(wins) == 30
    assert len(await a.claim_run_requests("n1", 100, at(1))) == 30


async def test_a_ticker_neither_reads_nor_fires_due_jobs_another_one_holds(
    nodes: list[PostgresStore], admin: psycopg.AsyncConnection[tuple[object, ...]]
) -> None:
    a, c = nodes
    jobs = {j.id: j for j in [await a.create_job(b.job(next_run_at=at(0))) for _ in range(10)]}

    def plan(due: list[DueSlot]) -> list[Firing]:
        return [b.firing(jobs[slot.job_id]) for slot in due]

    held = sorted(jobs)[:4]
    async with admin.transaction():  # another ticker holding four of the due jobs
        await admin.execute("SELECT 1 FROM scheduled_jobs WHERE id = ANY(%s) FOR UPDATE", (held,))
        n_due, fired = await asyncio.wait_for(c.fire_due(at(1), 100, plan), timeout=5)

    assert n_due == 6  # the four held elsewhere were not read at all
    assert sorted(f.job_id for f, _ in fired) == sorted(set(jobs) - set(held))
    assert {o for _, o in fired} == {FireOutcome.QUEUED}
    # Released, they are fired by the next tick, and nothing fires twice.
    n_due, fired = await a.fire_due(at(1), 100, plan)
    assert n_due == 4 and {o for _, o in fired} == {FireOutcome.QUEUED}
    assert await a.fire_due(at(1), 100, plan) == (0, [])
    assert len(await a.claim_run_requests("n1", 100, at(2))) == 10


async def test_the_store_recovers_after_the_server_kills_its_connections(
    postgres_url: str, admin: psycopg.AsyncConnection[tuple[object, ...]]
) -> None:
    store = PostgresStore(postgres_url, min_size=3)
    await store.open()
    try:
        job = await store.create_job(b.job())
        await asyncio.gather(*(store.get_job(job.id) for _ in range(6)))  # several connections

        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )

        try:
            await store.get_job(job.id)
        except StoreUnavailableError as e:
            assert isinstance(e.__cause__, psycopg.OperationalError)
        assert (await store.get_job(job.id)).id == job.id
        assert len(await store.list_jobs()) == 1
    finally:
        await store.close()


async def test_an_unreachable_server_raises_store_unavailable() -> None:
    store = PostgresStore("postgresql://postgres@127.0.0.1:1/nothing", timeout=0.5)
    with pytest.raises(StoreUnavailableError) as caught:
        await store.open()
    assert isinstance(caught.value.__cause__, psycopg.OperationalError)


async def test_a_missing_database_is_named_in_the_error(postgres_server: str) -> None:
    store = PostgresStore(with_database(postgres_server, "pulse_no_such_db"), timeout=0.5)
    with pytest.raises(StoreUnavailableError, match="pulse_no_such_db"):
        await store.open()


async def test_nodes_starting_together_migrate_an_empty_database_once(
    postgres_databases: PostgresDatabases,
) -> None:
    url = postgres_databases.create(empty=True)
    stores = [PostgresStore(url) for _ in range(4)]
    try:
        await asyncio.gather(*(s.open() for s in stores))
        job = await stores[0].create_job(b.job())
        assert (await stores[3].get_job(job.id)).id == job.id
        async with await psycopg.AsyncConnection.connect(url) as conn:
            cur = await conn.execute("SELECT version FROM pulse_schema_migrations ORDER BY 1")
            expected = [(v,) for v, _, _ in queries.migrations("postgres")]
            assert await cur.fetchall() == expected
    finally:
        for s in stores:
            await s.close()
        postgres_databases.drop(url)


async def test_the_schema_has_the_same_tables_and_columns_as_sqlite(
    postgres_url: str, tmp_path: Path
) -> None:
    sqlite_path = tmp_path / "pulse.db"
    lite = SQLiteStore(sqlite_path)
    await lite.open()
    await lite.close()
    with closing(sqlite3.connect(sqlite_path)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        in_sqlite = {t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")} for t in tables}

    async with await psycopg.AsyncConnection.connect(postgres_url) as pg:
        cur = await pg.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        )
        in_postgres: dict[str, set[str]] = {}
        for table, column in await cur.fetchall():
            in_postgres.setdefault(table, set()).add(column)

    # PostgreSQL's one extra column orders the queue where created_at ties.
    in_postgres["pulse_run_requests"].discard("queue_seq")
    # The full-text index of executions: a search column on PostgreSQL, an FTS5 table (and its
    # shadow tables) on SQLite.
    in_postgres["pulse_executions"].discard("search")
    for table in [t for t in in_sqlite if t.startswith("pulse_executions_fts")]:
        del in_sqlite[table]
    assert in_postgres == in_sqlite


async def test_nul_characters_in_output_are_replaced_not_fatal(nodes: list[PostgresStore]) -> None:
    store = nodes[0]
    job = await store.create_job(b.job())
    req = await store.enqueue(b.request(job.id, at(0), Trigger.MANUAL))
    await store.claim_run_requests("n1", 1, at(0))
    await b.start_execution(store, b.execution(req))

    await store.append_logs(req.execution_id, b.chunks(["a\x00b\n"]))
    await store.append_logs(req.execution_id, b.chunks([f"{i}\x00\n" for i in range(70)], 2))
    finished = await store.finish_execution(
        req.execution_id,
        b.result(ExecutionStatus.FAILED, at(1), error_message="bad\x00byte", result_summary="\x00"),
    )

    chunks = await store.read_logs(req.execution_id, 0, 2)
    assert [c.text for c in chunks] == ["a\ufffdb\n", "0\ufffd\n"]
    assert finished is not None
    assert (finished.error_message, finished.result_summary) == ("bad\ufffdbyte", "\ufffd")


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
async def test_a_postgresql_url_opens_the_postgresql_store(postgres_url: str, scheme: str) -> None:
    store = open_store(postgres_url.replace("postgresql", scheme, 1))
    assert isinstance(store, PostgresStore)
    await store.open()
    try:
        assert await store.list_jobs() == []
    finally:
        await store.close()


async def test_a_node_without_a_row_starts_nothing_until_it_registers_again(
    nodes: list[PostgresStore],
) -> None:
    # Fencing between nodes: peers removed its row when they declared it lost.
    store = nodes[0]
    j = await store.create_job(b.job())
    req = await store.enqueue(b.request(j.id, at(1)))
    await store.claim_run_requests("n1", 10, at(2))

    assert await store.start_executions([b.execution(req, at(3))]) == []
    assert await store.running_executions() == []
    # Once registered again, it may.
    assert await b.start_executions(store, [b.execution(req, at(4))]) != []


async def test_a_prune_and_a_write_holding_a_counter_do_not_deadlock(
    nodes: list[PostgresStore], admin: psycopg.AsyncConnection[tuple[object, ...]]
) -> None:
    # A prune's batch updates the counters of every job it deletes from; a node's write (one
    # statement ending runs of several jobs) locks their counters in key order. Here the write
    # holds the first job's counter and then takes the last one's while the prune waits: the
    # prune must wait for the first without holding any other.
    from pulse.retention import RetentionPolicy

    store = nodes[0]
    jobs = sorted([(await store.create_job(b.job())).id for _ in range(40)])
    for job in reversed(jobs):  # the counters lie in the table in reverse key order
        await b.record_runs(store, job, [b.Run(at(i)) for i in range(30)])
    lock = "UPDATE pulse_execution_counts SET n = n WHERE scheduled_job_id = %s"
    policy = RetentionPolicy({"completed": 1})
    await admin.execute("BEGIN")
    await admin.execute(lock, (jobs[0],))

    prune = asyncio.create_task(
        nodes[1].prune_executions({j: policy for j in jobs}, at(86_400 * 2), batch=5000)
    )
    await asyncio.sleep(1.0)  # the prune's batch is under way, waiting for the first counter
    assert not prune.done()
    await admin.execute("SET statement_timeout = '10s'")
    await admin.execute(lock, (jobs[-1],))  # a deadlock would fail this, or the prune
    await admin.execute("COMMIT")

    assert await asyncio.wait_for(prune, 30) == {j: 30 for j in jobs}
    for job in jobs:
        assert (await store.list_executions(job, 10, 0)).total == 0
