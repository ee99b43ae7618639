"""A private PostgreSQL cluster to break, and real ``pulse serve`` nodes to run against it.

The cluster is this session's own (``initdb`` + ``pg_ctl`` from PostgreSQL 15, run as the
``postgres`` user, on a free port of 127.0.0.1, trust authentication), never the shared server:
the tests crash it, stop it and cut nodes off it.

How a node is told apart from the others: every node connects as a role of its own (a superuser
named after the node), so ``pg_stat_activity.usename`` names the node for each of its connections,
the pool's and the event listener's alike, and a partition can refuse its new connections at login
(``ALTER ROLE … NOLOGIN``) on top of terminating the ones it has. ``application_name`` carries the
node's name too, for whoever reads ``pg_stat_activity`` by hand.
"""

from __future__ import annotations

import contextlib
import math
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from tests.conftest import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PULSE = str(Path(sys.executable).parent / "pulse")
# The connections of the tests themselves, never terminated by a partition.
TEST_APP = "pulse-fault-tests"


def available() -> str | None:
    """Why the cluster cannot run here, or None."""
    if not (PG_BIN / "initdb").exists():
        return f"no PostgreSQL 15 binaries in {PG_BIN}"
    if os.geteuid() != 0:
        return "the private cluster runs as the postgres user: the tests must run as root"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres user"
    return None


def _as_postgres(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def process_exists(pid: int) -> bool:
    """Whether ``pid`` is a process that is not a zombie."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :][:1] not in (b"Z", b"X")


def wait_until(what: str, check: Callable[[], Any], timeout: float, interval: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy; that value. Fails naming ``what``
    (and the last value seen) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} ({last!r})")
        time.sleep(interval)


class PostgresCluster:
    """One PostgreSQL cluster in a temporary directory owned by ``postgres``."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pulse-faults-pg-"))
        self.data = self.root / "data"
        self.logfile = self.root / "postgres.log"
        self.port = free_port()
        self._initialised = False
        self._partitions: list[Partition] = []
        pw = pwd.getpwnam("postgres")
        os.chown(self.root, pw.pw_uid, pw.pw_gid)
        # The tests (root) read the server log; the job lock files live elsewhere.
        self.root.chmod(0o755)

    # -- life ---------------------------------------------------------------------------------
    def url(self, dbname: str = "postgres", user: str = "postgres", app: str = TEST_APP) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}?application_name={app}"

    def _init(self) -> None:
        r = _as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{r.stdout}\n{r.stderr}")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": "300",
            "shared_buffers": "32MB",
            # Speed: the tests crash the server, never the machine, so the page cache survives
            # and crash recovery still has every WAL record it needs. (synchronous_commit stays
            # on: off, a crash would lose commits the nodes were told had happened.)
            "fsync": "off",
            "log_min_messages": "warning",
        }
        with (self.data / "postgresql.conf").open("a") as f:
            f.write("\n# pulse fault tests\n")
            for key, value in settings.items():
                f.write(f"{key} = {value}\n")
        self._initialised = True

    def start(self) -> None:
        if not self._initialised:
            self._init()
        r = _as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-w",
            "-t", "90", "start",
        )  # fmt: skip
        if r.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed:\n{r.stdout}\n{r.stderr}\n{self.log_tail()}")

    def stop(self) -> None:
        """A fast shutdown: clients are disconnected, the server stops cleanly."""
        r = _as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop"
        )
        if r.returncode != 0 and self.postmaster_pid() is not None:
            raise RuntimeError(f"pg_ctl stop failed:\n{r.stdout}\n{r.stderr}")

    def postmaster_pid(self) -> int | None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        return pid if process_exists(pid) else None

    def crash(self, down_for: float = 0.0) -> None:
        """Crash the server as the out-of-memory killer would: SIGKILL to the postmaster and
        every process of it, no clean-up of any kind; ``down_for`` seconds later, start it
        again, which runs crash recovery."""
        pid = self.postmaster_pid()
        assert pid is not None, "the cluster is not running"
        # Frozen first, so that it forks no new backend while its children are collected.
        os.kill(pid, signal.SIGSTOP)
        children = _children(pid)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        os.kill(pid, signal.SIGKILL)
        # Gone for good, reaped too: the next postmaster reads a pid that still answers
        # kill(pid, 0), a zombie included, as a server running in its directory.
        wait_until(
            "the crashed server's processes to be reaped",
            lambda: not any(Path(f"/proc/{p}").exists() for p in [pid, *children]),
            timeout=30,
            interval=0.05,
        )
        time.sleep(down_for)
        self.start()

    def recovered_from_crash(self) -> bool:
        """Whether the server log shows a crash recovery."""
        return "automatic recovery in progress" in self.logfile.read_text(errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def destroy(self) -> None:
        """Stop everything and remove the directory, whatever state it is in."""
        for p in self._partitions:
            p.heal()
        pid = self.postmaster_pid()
        if pid is not None:
            with contextlib.suppress(Exception):
                _as_postgres(
                    str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop",
                    timeout=30,
                )  # fmt: skip
            if self.postmaster_pid() is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
                    for child in _children(pid):
                        os.kill(child, signal.SIGKILL)
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    # -- administration -----------------------------------------------------------------------
    def admin(self, dbname: str = "postgres") -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=10)

    def create_database(self, name: str) -> str:
        with self.admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def ensure_role(self, role: str) -> None:
        """A login role for one node (a superuser: it migrates and owns nothing apart)."""
        with self.admin() as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(sql.SQL(verb + " ROLE {} LOGIN SUPERUSER").format(sql.Identifier(role)))

    def terminate(self, role: str) -> int:
        """Terminate every connection of ``role``; how many there were."""
        with self.admin() as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE usename = %s AND pid <> pg_backend_pid()",
                (role,),
            ).fetchall()
        return len(rows)

    def partition(self, role: str) -> Partition:
        p = Partition(self, role)
        self._partitions.append(p)
        return p


class Partition:
    """Cut one node (its role) off the database: new connections refused at login, and every
    connection it has (or manages to open) terminated every 100 ms until healed."""

    def __init__(self, cluster: PostgresCluster, role: str) -> None:
        self.cluster = cluster
        self.role = role
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.terminated = 0

    def begin(self) -> None:
        with self.cluster.admin() as conn:
            conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(self.role)))
        self.terminated += self.cluster.terminate(self.role)
        self._thread = threading.Thread(target=self._run, name=f"partition-{self.role}")
        self._thread.start()

    def _run(self) -> None:
        with self.cluster.admin() as conn:
            while not self._stop.wait(0.1):
                rows = conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE usename = %s AND pid <> pg_backend_pid()",
                    (self.role,),
                ).fetchall()
                self.terminated += len(rows)

    def heal(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(10)
        self._thread = None
        with contextlib.suppress(psycopg.Error), self.cluster.admin() as conn:
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(self.role)))


# -- nodes ----------------------------------------------------------------------------------------
class Node:
    """One ``pulse serve`` process (restartable), on a free port."""

    def __init__(self, name: str, database_url: str, workdir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.database_url = database_url
        self.workdir = workdir
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log = workdir / f"{name}.log"
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/pulse"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 40) -> Node:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
        env.update(self.env)
        env["PULSE_DATABASE_URL"] = self.database_url
        with self.log.open("ab") as out:
            out.write(f"--- start {datetime.now(UTC).isoformat()} ---\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                [
                    PULSE, "serve", "--port", str(self.port), "--node-id", self.name,
                    "--data-dir", str(self.workdir / "data"),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited at start:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not start:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self, wait: float = 60) -> int:
        """SIGTERM, and wait for the process to end; its exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(wait)

    def kill(self) -> None:
        """kill -9."""
        if self.alive():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait(30)

    def api(self, method: str, path: str, timeout: float = 30, **kw: Any) -> Any:
        """Call the API, retrying while it answers 503 (the database is away)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                r = httpx.request(method, self.base + path, timeout=10, **kw)
                if r.status_code != 503:
                    r.raise_for_status()
                    return r.json() if r.content else None
            except httpx.TransportError:
                pass
            if time.monotonic() >= deadline:
                raise AssertionError(f"{method} {path} on {self.name} kept failing")
            time.sleep(0.3)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# -- what the operating system sees ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class JobProcess:
    pid: int
    execution_id: str


def job_processes(mark: str) -> list[JobProcess]:
    """Live processes of jobs that carry ``FAULTS_MARK=mark`` in their environment (every job of
    one test's nodes does), with the execution each serves."""
    needle = f"FAULTS_MARK={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        items = environ.split(b"\0")
        if needle not in items:
            continue
        eid = next((i[19:] for i in items if i.startswith(b"PULSE_EXECUTION_ID=")), None)
        if eid is None:  # a node itself
            continue
        pid = int(entry.name)
        if process_exists(pid):
            found.append(JobProcess(pid, eid.decode()))
    return found


def kill_job_processes(mark: str) -> None:
    for p in job_processes(mark):
        with contextlib.suppress(OSError):
            os.killpg(os.getpgid(p.pid), signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(p.pid, signal.SIGKILL)


# -- the record -----------------------------------------------------------------------------------
def parse_ts(value: str) -> float:
    """A stored time stamp (ISO 8601, UTC) as a POSIX time."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


@contextlib.contextmanager
def pg_rows(url: str) -> Iterator[psycopg.Connection[Any]]:
    from psycopg.rows import dict_row

    with psycopg.connect(url, autocommit=True, connect_timeout=10, row_factory=dict_row) as c:
        yield c


# -- one test's deployment ------------------------------------------------------------------------
# The job under the at-most-one check. The lock is the operating system's: a second copy that
# starts while any process of another (its shell, its sleep) still holds it exits 99 and says so.
# SIGTERM is written down, so that a test sees which runs were stopped and when.
FLOCK_COMMAND = """\
exec 9>>{lock}
if ! flock -n 9; then echo "busy $PULSE_EXECUTION_ID $(date +%s.%N)" >> {log}; exit 99; fi
echo "start $PULSE_EXECUTION_ID $(date +%s.%N)" >> {log}
trap 'echo "term $PULSE_EXECUTION_ID $(date +%s.%N)" >> {log}; exit 143' TERM
sleep {seconds} & wait
echo "end $PULSE_EXECUTION_ID $(date +%s.%N)" >> {log}
"""
BUSY_EXIT = 99


@dataclass(frozen=True, slots=True)
class LockEvent:
    kind: str  # start, term, end, busy
    execution_id: str
    at: float


class Deployment:
    """Nodes of one test on one database, what their jobs wrote, and what the database says."""

    def __init__(
        self, database_url: str, workdir: Path, mark: str, cluster: PostgresCluster | None
    ) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.mark = mark
        self.cluster = cluster
        self.nodes: dict[str, Node] = {}
        self.lock_log = workdir / "lock.log"
        self.env = {
            "PULSE_LEASE_SECONDS": "6",
            "PULSE_HEARTBEAT_SECONDS": "1",
            "PULSE_SHUTDOWN_GRACE": "3",
            "PULSE_WORKERS": "32",
            "FAULTS_MARK": mark,
        }

    @property
    def lease(self) -> float:
        return float(self.env["PULSE_LEASE_SECONDS"])

    def node(self, name: str, *, start: bool = True) -> Node:
        """A node named ``name`` (its role on PostgreSQL too), started unless told not to."""
        url = self.database_url
        if self.cluster is not None:
            self.cluster.ensure_role(name)
            dbname = url.rsplit("/", 1)[1].split("?", 1)[0]
            url = self.cluster.url(dbname, user=name, app=name)
        node = Node(name, url, self.workdir / name, self.env)
        self.nodes[name] = node
        return node.start() if start else node

    def any_node(self) -> Node:
        return next(n for n in self.nodes.values() if n.alive())

    def close(self) -> None:
        for node in self.nodes.values():
            node.kill()
        kill_job_processes(self.mark)

    # -- jobs -----------------------------------------------------------------------------------
    def flock_job(self, name: str, seconds: float, interval: int = 1) -> str:
        command = FLOCK_COMMAND.format(
            lock=self.workdir / f"{name}.lock", log=self.lock_log, seconds=seconds
        )
        return self.create_job(name, command, interval)

    def create_job(self, name: str, command: str, interval: int = 1, **extra: Any) -> str:
        body = {"name": name, "command": command, "interval_seconds": interval, **extra}
        job = self.any_node().api("POST", "/jobs", json=body)
        return str(job["id"])

    def lock_events(self) -> list[LockEvent]:
        if not self.lock_log.exists():
            return []
        events = []
        for line in self.lock_log.read_text().splitlines():
            # A SIGTERM to the job's process group can kill `date` in the middle of a line's
            # command substitution: the line then has no time (NaN), but still its kind.
            kind, eid, *at = line.split()
            events.append(LockEvent(kind, eid, float(at[0]) if at else math.nan))
        return events

    # -- the record -----------------------------------------------------------------------------
    def _query(self, query: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        if self.database_url.startswith("sqlite:///"):
            import sqlite3

            path = self.database_url.removeprefix("sqlite:///")
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as c:
                c.row_factory = sqlite3.Row
                c.execute("PRAGMA busy_timeout = 10000")
                return [dict(r) for r in c.execute(query.replace("%s", "?"), params)]
        assert self.cluster is not None
        dbname = self.database_url.rsplit("/", 1)[1].split("?", 1)[0]
        with pg_rows(self.cluster.url(dbname)) as c:
            return list(c.execute(query, params).fetchall())

    def executions(self) -> list[dict[str, Any]]:
        return self._query(
            "SELECT id, scheduled_job_id, status, started_at, completed_at, error_message,"
            " exit_code, node_id FROM pulse_executions ORDER BY started_at, id"
        )

    def execution(self, execution_id: str) -> dict[str, Any] | None:
        rows = self._query(
            "SELECT id, scheduled_job_id, status, started_at, completed_at, error_message,"
            " exit_code, node_id FROM pulse_executions WHERE id = %s",
            (execution_id,),
        )
        return rows[0] if rows else None

    def run_requests(self) -> list[dict[str, Any]]:
        return self._query("SELECT id, scheduled_job_id, status, node_id FROM pulse_run_requests")

    def job_ids(self) -> list[str]:
        return [r["id"] for r in self._query("SELECT id FROM scheduled_jobs ORDER BY id")]

    def running_execution(self, job_id: str) -> dict[str, Any] | None:
        rows = [
            e
            for e in self.executions()
            if e["scheduled_job_id"] == job_id and e["status"] == "running"
        ]
        return rows[-1] if rows else None

    # -- checks ---------------------------------------------------------------------------------
    def wait_every_job_ran_after(self, since: float, timeout: float) -> None:
        """Liveness: every job has a run that started after ``since`` (POSIX time) and ended
        completed, within ``timeout`` seconds."""
        jobs = set(self.job_ids())

        def lagging() -> set[str]:
            ran = {
                e["scheduled_job_id"]
                for e in self.executions()
                if parse_ts(e["started_at"]) > since and e["status"] == "completed"
            }
            return jobs - ran

        wait_until("every job to run again", lambda: not lagging() or None, timeout)

    def quiesce(self, timeout: float = 60) -> None:
        """Pause every job, then wait until nothing of any job runs or waits: no execution
        recorded running, no run request left (claimed or not), no job process on this host."""
        node = self.any_node()
        for job_id in self.job_ids():
            node.api("POST", f"/jobs/{job_id}/pause")
        wait_until(
            "no execution recorded running",
            lambda: not [e for e in self.executions() if e["status"] == "running"] or None,
            timeout,
        )
        wait_until("no run request left", lambda: not self.run_requests() or None, timeout)
        wait_until("no job process left", lambda: not job_processes(self.mark) or None, 15)

    def assert_at_most_one(self) -> None:
        """No copy of a ``forbid`` job ever found the lock of another one held."""
        busy = [e for e in self.lock_events() if e.kind == "busy"]
        assert not busy, f"two copies of one job ran at once: {busy}"
        loud = [e for e in self.executions() if e["exit_code"] == BUSY_EXIT]
        assert not loud, f"runs found the job's lock taken: {loud}"
