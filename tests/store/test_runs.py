"""Every run across jobs (``Store.search_executions``, ``Store.iter_executions``), on every
backend: the order, each filter, keyset pages while the history changes under them, and
full-text search of error messages and result summaries, kept through ends, prunes and
deletions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pulse.errors import InvalidInputError
from pulse.models import Execution, ExecutionStatus, Trigger
from pulse.retention import RetentionPolicy
from pulse.search import ExecutionFilter, Position, search_words
from pulse.store import search
from pulse.store.base import ExecutionEnd, Store
from tests.store import builders as b
from tests.store.builders import T0, at
from tests.store.conftest import OpenStore, RawQuery

COMPLETED = ExecutionStatus.COMPLETED
FAILED = ExecutionStatus.FAILED
RUNNING = ExecutionStatus.RUNNING


@dataclass(frozen=True, slots=True)
class Spec:
    """One execution to record: when it started (seconds after T0), how it ended (None: still
    running), what started it, on which node, and its texts."""

    started: float
    status: ExecutionStatus | None = COMPLETED
    trigger: Trigger = Trigger.SCHEDULE
    node: str = "n1"
    summary: str | None = None
    error: str | None = None


async def record(store: Store, job_id: str, *specs: Spec) -> list[str]:
    """Record ``specs`` as workers would (queue, claim by their node, start, finish); returns
    the execution ids in the order of ``specs``."""
    ids: dict[int, str] = {}
    for node in dict.fromkeys(s.node for s in specs):
        group = [(i, s) for i, s in enumerate(specs) if s.node == node]
        reqs = [await store.enqueue(b.request(job_id, at(s.started), s.trigger)) for _, s in group]
        claimed = await store.claim_run_requests(node, len(reqs), T0)
        assert {c.id for c in claimed} == {r.id for r in reqs}
        runs = [b.execution(r, at(s.started), node) for r, (_, s) in zip(reqs, group, strict=True)]
        assert len(await b.start_executions(store, runs)) == len(runs)
        ends = [
            ExecutionEnd(
                r.execution_id,
                b.result(
                    s.status, at(s.started + 1), result_summary=s.summary, error_message=s.error
                ),
            )
            for r, (_, s) in zip(reqs, group, strict=True)
            if s.status is not None
        ]
        if ends:
            assert all(await store.finish_executions(ends))
        ids.update({i: r.execution_id for r, (i, _) in zip(reqs, group, strict=True)})
    return [ids[i] for i in range(len(specs))]


async def new_job(store: Store, *specs: Spec) -> tuple[str, list[str]]:
    job = await store.create_job(b.job())
    return job.id, await record(store, job.id, *specs)


ANY = ExecutionFilter()


async def everything(
    store: Store, where: ExecutionFilter = ANY, limit: int = 500
) -> list[Execution]:
    """Every execution the search finds, page after page."""
    out: list[Execution] = []
    after: Position | None = None
    while True:
        items, after = await store.search_executions(where, limit, after)
        out.extend(items)
        if after is None:
            return out


def newest_first(executions: list[Execution]) -> list[str]:
    return [e.id for e in sorted(executions, key=lambda e: (e.started_at, e.id), reverse=True)]


async def found(store: Store, query: str, **filters: object) -> set[str]:
    """The ids a full-text search for ``query`` finds."""
    where = ExecutionFilter(words=search_words(query), **filters)  # type: ignore[arg-type]
    return {e.id for e in await everything(store, where)}


# -- order and filters ------------------------------------------------------------------------


async def test_it_lists_every_jobs_runs_newest_first_by_start_then_id(store: Store) -> None:
    _, a = await new_job(store, Spec(0), Spec(5), Spec(5), Spec(9, status=None))
    _, c = await new_job(store, Spec(5), Spec(2, status=FAILED, error="boom"), Spec(5))

    listed = await everything(store)

    assert [e.id for e in listed] == newest_first(listed)
    assert {e.id for e in listed} == {*a, *c}
    assert listed[0].id == a[3] and listed[0].status is RUNNING
    # Ties at 5 s are broken by id, descending.
    tied = [e.id for e in listed if e.started_at == at(5)]
    assert tied == sorted(tied, reverse=True) and len(tied) == 4


async def test_a_page_holds_each_execution_as_it_is_stored(store: Store) -> None:
    _, x = await new_job(
        store,
        Spec(0, status=FAILED, error="boom", trigger=Trigger.RETRY, node="n2"),
        Spec(1, status=None),
        Spec(2, summary="fine"),
    )

    listed = await everything(store)
    rows, _ = await store.search_execution_rows(ANY, 10)

    assert listed == [await store.get_execution(i) for i in x[::-1]]
    assert [dict(zip(search.FIELDS, r, strict=True))["id"] for r in rows] == x[::-1]
    assert rows[2][search.FIELDS.index("started_at")] == "2025-12-06T02:00:00.000Z"


async def test_each_filter_keeps_only_its_executions(store: Store) -> None:
    job_a, a = await new_job(
        store,
        Spec(0),
        Spec(1, status=FAILED, error="x"),
        Spec(2, status=None),
        Spec(3, trigger=Trigger.MANUAL),
        Spec(4, trigger=Trigger.RETRY, status=FAILED, error="x"),
        Spec(5, node="n2"),
    )
    job_b, c = await new_job(
        store,
        Spec(6, trigger=Trigger.RERUN, node="n2"),
        Spec(7, status=FAILED, error="x", node="n2"),
        Spec(8),
    )

    async def ids(**filters: object) -> list[str]:
        return [e.id for e in await everything(store, ExecutionFilter(**filters))]  # type: ignore[arg-type]

    assert await ids(job_id=job_b) == c[::-1]
    assert await ids(job_id="SPJ_nosuchjob") == []
    assert await ids(status=FAILED) == [c[1], a[4], a[1]]
    assert await ids(status=RUNNING) == [a[2]]
    assert await ids(job_id=job_a, status=FAILED) == [a[4], a[1]]
    assert await ids(trigger=Trigger.MANUAL) == [a[3]]
    assert await ids(trigger=Trigger.RERUN) == [c[0]]
    assert await ids(trigger=Trigger.RETRY, status=FAILED) == [a[4]]
    assert await ids(trigger=Trigger.SCHEDULE) == [c[2], c[1], a[5], a[2], a[1], a[0]]
    assert await ids(node_id="n2") == [c[1], c[0], a[5]]
    assert await ids(node_id="n2", job_id=job_a) == [a[5]]
    assert await ids(node_id="elsewhere") == []


async def test_a_window_of_start_times_includes_its_start_and_excludes_its_end(
    store: Store,
) -> None:
    _, x = await new_job(store, *(Spec(s) for s in (0, 10, 20, 30, 40)))

    async def ids(**filters: object) -> list[str]:
        return [e.id for e in await everything(store, ExecutionFilter(**filters))]  # type: ignore[arg-type]

    assert await ids(started_after=at(10), started_before=at(30)) == [x[2], x[1]]
    assert await ids(started_after=at(10.001)) == [x[4], x[3], x[2]]
    assert await ids(started_before=at(10)) == [x[0]]
    assert await ids(started_after=at(30), started_before=at(10)) == []


async def test_pages_of_a_window_read_within_it(store: Store) -> None:
    _, x = await new_job(store, *(Spec(s) for s in range(20)))
    where = ExecutionFilter(started_after=at(3), started_before=at(15))
    pages = []
    after: Position | None = None
    while True:
        items, after = await store.search_executions(where, 5, after)
        pages.append([e.id for e in items])
        if after is None:
            break
    assert pages == [x[14:9:-1], x[9:4:-1], x[4:2:-1]]


# -- keyset pages ------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 3, 7, 50])
async def test_pages_cover_the_history_once_and_say_when_it_ends(store: Store, limit: int) -> None:
    _, a = await new_job(store, *(Spec(s // 3) for s in range(20)))  # three runs per instant
    _, c = await new_job(store, *(Spec(s // 2, status=FAILED, error="e") for s in range(15)))

    pages: list[list[Execution]] = []
    after: Position | None = None
    while True:
        items, after = await store.search_executions(ExecutionFilter(), limit, after)
        pages.append(items)
        if after is None:
            break
        assert len(items) == limit and after == Position(items[-1].started_at, items[-1].id)

    listed = [e for p in pages for e in p]
    assert [e.id for e in listed] == newest_first(listed)
    assert sorted(e.id for e in listed) == sorted([*a, *c])
    assert 0 < len(pages[-1]) <= limit  # no empty last page: the page before knew it was last


async def test_pages_read_while_runs_start_and_go_miss_and_repeat_nothing(store: Store) -> None:
    job_a, a = await new_job(store, *(Spec(s // 2) for s in range(40)))
    job_b, c = await new_job(store, *(Spec(s, status=FAILED, error="e") for s in range(0, 40, 3)))
    job_d, d = await new_job(store, *(Spec(s + 0.5) for s in range(12)))
    there_all_along = set(a) | set(c)

    pages: list[list[str]] = []
    newer: list[str] = []
    items, after = await store.search_executions(ExecutionFilter(), 6)
    pages.append([e.id for e in items])
    while after is not None:
        # Between pages: new runs start (after everything listed so far), another starts at the
        # very instant the last page ended (a node whose clock is behind), and once a whole job
        # goes with its history.
        newer += await record(store, job_a, Spec(100 + len(pages)), Spec(100 + len(pages)))
        await record(store, job_b, Spec((after.started_at - T0).total_seconds()))
        if len(pages) == 2:
            await store.delete_job(job_d)
        items, after = await store.search_executions(ExecutionFilter(), 6, after)
        pages.append([e.id for e in items])

    seen = [i for p in pages for i in p]
    assert len(seen) == len(set(seen)), "an execution was listed twice"
    assert there_all_along <= set(seen), "an execution there all along was missed"
    assert not set(newer) & set(seen), "new runs belong on a new first page"
    assert not set(d) & {i for p in pages[3:] for i in p}, "a deleted run was listed"


async def test_iterating_reads_every_match_in_batches(store: Store) -> None:
    _, x = await new_job(store, *(Spec(s, status=FAILED, error="e") for s in range(23)))
    await new_job(store, *(Spec(s) for s in range(5)))

    where = ExecutionFilter(status=FAILED)
    listed = [e.id async for e in store.iter_executions(where, batch=4)]

    assert listed == x[::-1]
    assert [e.id async for e in store.iter_executions(ExecutionFilter(job_id="SPJ_none"))] == []


# -- full-text search --------------------------------------------------------------------------


async def test_words_match_the_error_message_or_the_result_summary(store: Store) -> None:
    _, [x, y, z, w] = await new_job(
        store,
        Spec(0, summary="Processed 42 rows into the warehouse"),
        Spec(1, status=FAILED, error="Connection refused by db-7.internal:5432"),
        Spec(2, status=FAILED, error="disk full", summary="processed nothing"),
        Spec(3, status=None),
    )

    assert await found(store, "processed") == {x, z}
    assert await found(store, "PROCESSED rows") == {x}  # every word, any case
    assert await found(store, "rows processed") == {x}  # in any order
    assert await found(store, "disk processed") == {z}  # across both texts
    assert await found(store, "refused") == {y}
    assert await found(store, "db 7 internal 5432") == {y}  # a host's words
    assert await found(store, "db-7.internal:5432") == {y}  # or the host as written
    assert await found(store, "warehouse refused") == set()
    assert w not in await found(store, "e")


async def test_the_last_word_matches_as_a_prefix_the_others_whole(store: Store) -> None:
    _, [x, y] = await new_job(
        store,
        Spec(0, status=FAILED, error="connection refused"),
        Spec(1, status=FAILED, error="connecting to the replica"),
    )

    assert await found(store, "conn") == {x, y}
    assert await found(store, "connection ref") == {x}
    assert await found(store, "conn refused") == set()  # only the last word is a prefix
    assert await found(store, "replic") == {y}
    assert await found(store, "eplica") == set()  # a prefix, not any substring


async def test_words_are_letters_and_digits_whatever_separates_them(store: Store) -> None:
    _, [x, y, z] = await new_job(
        store,
        Spec(0, status=FAILED, error="KeyError: 'customer_id' in /srv/app/sync_users.py"),
        Spec(1, summary="uploaded backup-2025.tar.gz (3.5 GiB) to s3://bucket/nightly"),
        Spec(2, summary="Übel: École fermée, naïve café"),
    )

    assert await found(store, "customer") == {x}
    assert await found(store, "customer_id") == {x}
    assert await found(store, "sync users py") == {x}
    assert await found(store, "/srv/app/") == {x}
    assert await found(store, "backup 2025 tar gz") == {y}
    assert await found(store, "s3 bucket nightly") == {y}
    assert await found(store, "3 5 gib") == {y}
    assert await found(store, "école") == {z}  # case-insensitive beyond ASCII
    assert await found(store, "ÜBEL") == {z}
    assert await found(store, "ecole") == set()  # accents count
    assert await found(store, "naïve caf") == {z}


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced',
        "a*b*",
        "NEAR(a b)",
        "error_message: boom",
        "boom AND OR NOT",
        "boom -x +y",
        "'; DROP TABLE pulse_executions; --",
        "(boom) | !x & y:* <-> z",
        "^boom\\",
        "{boom}",
        "boom'' ''",
    ],
)
async def test_search_syntax_in_a_query_is_read_as_words(store: Store, query: str) -> None:
    _, [x, _y] = await new_job(
        store,
        Spec(0, status=FAILED, error="boom near error message and or not drop table"),
        Spec(1, summary="quiet"),
    )
    words = search_words(query)
    result = await found(store, query)
    # Whatever the query spells, it is words to match: the one run holding them all, or none.
    assert result <= {x}
    assert (result == {x}) == all(
        any(w.startswith(p) if i == len(words) - 1 else w == p for w in _words_of_x())
        for i, p in enumerate(words)
    )


def _words_of_x() -> list[str]:
    return ["boom", "near", "error", "message", "and", "or", "not", "drop", "table"]


def test_a_query_without_any_word_is_refused_and_a_blank_one_is_no_search() -> None:
    assert search_words("   ") == ()
    assert search_words(None) == ()
    with pytest.raises(InvalidInputError) as e:
        search_words("*** ?? ---")
    assert e.value.field == "q"


async def test_the_index_follows_ends_prunes_and_deleted_jobs(
    store: Store, raw_query: RawQuery, backend: str
) -> None:
    job_id, [old, recent] = await new_job(
        store,
        Spec(0, status=FAILED, error="timeout talking to payments"),
        Spec(86400 * 10, status=FAILED, error="timeout talking to ledger"),
    )
    [running] = await record(store, job_id, Spec(86400 * 10 + 5, status=None))
    other_id, [other] = await new_job(store, Spec(1, summary="payments settled"))
    assert await found(store, "payments") == {old, other}

    # A run's end indexes its texts.
    assert running not in await found(store, "timeout")
    await store.finish_execution(
        running, b.result(FAILED, at(86400 * 10 + 6), error_message="timeout again")
    )
    assert await found(store, "timeout") == {old, recent, running}

    # A prune deletes the old run; its words go with it.
    policy = RetentionPolicy(keep_days={"completed": 5, "failed": 5}, keep_max=None, keep_min=0)
    assert await store.prune_executions({job_id: policy}, at(86400 * 11)) == {job_id: 1}
    assert await found(store, "timeout") == {recent, running}
    assert await found(store, "payments") == {other}

    # So does deleting a job.
    await store.delete_job(other_id)
    assert await found(store, "payments") == set()
    assert await found(store, "talking") == {recent}

    if backend == "sqlite":
        # The external-content index agrees with the table it indexes (raises otherwise).
        raw_query(
            "INSERT INTO pulse_executions_fts(pulse_executions_fts, rank)"
            " VALUES ('integrity-check', 1)",
            (),
        )


async def test_words_combine_with_the_other_filters_and_with_pages(store: Store) -> None:
    job_id, x = await new_job(
        store, *(Spec(s, status=FAILED, error=f"timeout after {s} s") for s in range(12))
    )
    _, y = await new_job(store, *(Spec(s, status=FAILED, error="timeout") for s in range(3)))

    where = ExecutionFilter(job_id=job_id, words=search_words("timeout after"))
    assert [e.id for e in await everything(store, where, limit=5)] == x[::-1]
    where = ExecutionFilter(words=search_words("timeout"), started_before=at(2))
    listed = await everything(store, where, limit=1)
    assert [e.id for e in listed] == newest_first(listed)
    assert {e.id for e in listed} == {x[0], x[1], y[0], y[1]}


async def test_common_and_rare_words_find_the_same_pages(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each backend searches common words another way than rare ones (pulse.store.search):
    the pages are the same either way."""
    _, x = await new_job(
        store,
        *(
            Spec(s, status=FAILED, error="disk quota" if s % 3 == 0 else "disk full")
            for s in range(60)
        ),
    )
    common = ExecutionFilter(words=search_words("disk"))
    rare = ExecutionFilter(words=search_words("quota"))
    for thresholds in [(10_000, 5_000), (1, 4)]:
        monkeypatch.setattr(search, "COMMON_WORDS", thresholds[0])
        monkeypatch.setattr(search, "RECENT_WINDOW", thresholds[1])
        assert [e.id for e in await everything(store, common, limit=7)] == x[::-1]
        assert [e.id for e in await everything(store, rare, limit=3)] == x[57::-3]


async def test_the_migration_indexes_the_history_recorded_before_it(
    store: Store, open_store: OpenStore, raw_query: RawQuery, backend: str
) -> None:
    _, [x, y] = await new_job(
        store, Spec(0, status=FAILED, error="segfault in worker"), Spec(1, summary="ok")
    )
    await store.close()
    # Back to the schema before migration 6, with the history in it.
    if backend == "sqlite":
        undo = [
            "DROP TABLE pulse_executions_fts",
            "DROP TRIGGER pulse_executions_fts_insert",
            "DROP TRIGGER pulse_executions_fts_update",
            "DROP TRIGGER pulse_executions_fts_delete",
        ]
    else:
        undo = [
            "ALTER TABLE pulse_executions DROP COLUMN search",
            "DROP FUNCTION pulse_search_vector",
        ]
    undo += [
        "DROP INDEX idx_pulse_executions_node_started",
        "DROP INDEX idx_pulse_executions_trigger_started",
        "DROP INDEX idx_pulse_executions_started",
        "CREATE INDEX idx_pulse_executions_started ON pulse_executions(started_at)",
        "DELETE FROM pulse_schema_migrations WHERE version = 6",
    ]
    for statement in undo:
        raw_query(statement, ())

    again = await open_store()

    assert await found(again, "segfault") == {x}
    assert await found(again, "ok") == {y}
