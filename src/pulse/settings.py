"""Settings, read from the environment (``PULSE_*``) and overridable by CLI flags."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pulse.errors import InvalidInputError
from pulse.jobs import check_user

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidInputError(name, f"must be an integer, not {raw!r}") from None


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise InvalidInputError(name, f"must be a number, not {raw!r}") from None


def _token_problem(token: str) -> str | None:
    """Why ``token`` cannot be an API token, or None. A token is sent in an HTTP header and
    compared byte for byte, so it is printable ASCII without spaces (as RFC 6750 has it); a
    blank one would protect nothing."""
    if not token.strip():
        return "is set but blank: give a token, or unset it"
    if not all("!" <= c <= "~" for c in token):
        return "must be printable ASCII without spaces"
    return None


def api_token_from_env(env: Mapping[str, str]) -> str | None:
    """The API token from ``PULSE_API_TOKEN``, or read from the file ``PULSE_API_TOKEN_FILE``
    names (its trailing newline dropped), or None when neither is set. Refuses both at once,
    a blank token and a file that cannot be read, each with an :class:`InvalidInputError`
    naming the variable."""
    direct = env.get("PULSE_API_TOKEN")
    path = env.get("PULSE_API_TOKEN_FILE")
    if direct is not None and path is not None:
        raise InvalidInputError(
            "PULSE_API_TOKEN_FILE", "give PULSE_API_TOKEN or PULSE_API_TOKEN_FILE, not both"
        )
    if direct is not None:
        problem = _token_problem(direct)
        if problem:
            raise InvalidInputError("PULSE_API_TOKEN", problem)
        return direct
    if path is None:
        return None
    if not path.strip():
        raise InvalidInputError("PULSE_API_TOKEN_FILE", "is set but blank: name a file")
    try:
        with open(path, "rb") as f:
            raw = f.read(4097)
    except OSError as e:
        raise InvalidInputError(
            "PULSE_API_TOKEN_FILE", f"cannot read {path!r}: {e.strerror or e}"
        ) from None
    if len(raw) > 4096:
        raise InvalidInputError("PULSE_API_TOKEN_FILE", f"{path!r} is larger than 4096 bytes")
    try:
        token = raw.decode("ascii").rstrip("\r\n")
    except UnicodeDecodeError:
        raise InvalidInputError(
            "PULSE_API_TOKEN_FILE", f"{path!r} must hold the token in ASCII"
        ) from None
    if not token.strip():
        raise InvalidInputError("PULSE_API_TOKEN_FILE", f"{path!r} holds no token")
    problem = _token_problem(token)
    if problem:
        raise InvalidInputError("PULSE_API_TOKEN_FILE", f"the token in {path!r} {problem}")
    return token


def default_node_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("data")
    database_url: str | None = None  # default: sqlite:///<data_dir>/pulse.db
    api_token: str | None = field(default=None, repr=False)
    workers: int = 8  # executions run at once by this node
    log_cap_bytes: int = 10 * 1024 * 1024
    shutdown_grace_seconds: float = 10.0
    node_id: str = field(default_factory=default_node_id)
    heartbeat_seconds: float = 5.0
    lease_seconds: float = 30.0
    allowed_hosts: tuple[str, ...] = ()
    poll_seconds: float = 1.0  # how often workers look for run requests queued elsewhere
    run_as: str | None = None  # the user commands run as when their job names none
    # Retention: how often a node prunes history (0: never by itself), and how (see
    # pulse.store.pruning): batches of at most ``prune_batch`` executions, sized so that each
    # holds the writer a few tens of milliseconds, each followed by a pause at least as long
    # as it took (and at least ``prune_pause_seconds``), so that the scheduler keeps at least
    # half of the writer's time.
    prune_interval_seconds: float = 600.0
    prune_batch: int = 5000
    prune_pause_seconds: float = 0.0

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from ``PULSE_*`` variables (and ``PORT``), then ``overrides`` (non-None)."""
        env = os.environ
        values: dict[str, Any] = {
            "host": env.get("PULSE_HOST", "127.0.0.1"),
            "port": _int("PORT", _int("PULSE_PORT", 8000)),
            "data_dir": Path(env.get("PULSE_DATA_DIR", "data")),
            "database_url": env.get("PULSE_DATABASE_URL") or None,
            "api_token": api_token_from_env(env),
            "workers": _int("PULSE_WORKERS", 8),
            "log_cap_bytes": _int("PULSE_LOG_CAP_BYTES", 10 * 1024 * 1024),
            "shutdown_grace_seconds": _float("PULSE_SHUTDOWN_GRACE", 10.0),
            "lease_seconds": _float("PULSE_LEASE_SECONDS", 30.0),
            "heartbeat_seconds": _float("PULSE_HEARTBEAT_SECONDS", 5.0),
            "prune_interval_seconds": _float("PULSE_PRUNE_INTERVAL", 600.0),
            "allowed_hosts": tuple(
                h.strip() for h in env.get("PULSE_ALLOWED_HOSTS", "").split(",") if h.strip()
            ),
        }
        if env.get("PULSE_RUN_AS"):
            values["run_as"] = env["PULSE_RUN_AS"]
        if env.get("PULSE_NODE_ID"):
            values["node_id"] = env["PULSE_NODE_ID"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values).validated()

    def validated(self) -> Settings:
        if self.workers < 1:
            raise InvalidInputError("workers", "must be at least 1")
        if not 1 <= self.port <= 65535:
            raise InvalidInputError("port", "must be between 1 and 65535")
        if self.log_cap_bytes < 1024:
            raise InvalidInputError("log_cap_bytes", "must be at least 1024")
        if not self.lease_seconds > 0 or not self.heartbeat_seconds > 0:
            raise InvalidInputError(
                "PULSE_LEASE_SECONDS", "the lease and the heartbeat must be positive seconds"
            )
        if self.heartbeat_seconds * 3 > self.lease_seconds:
            # A node stops its runs when it has not renewed its lease for 2/3 of it: it needs
            # room for at least two heartbeats before that.
            raise InvalidInputError(
                "PULSE_HEARTBEAT_SECONDS",
                f"must be at most a third of PULSE_LEASE_SECONDS ({self.lease_seconds:g} s),"
                f" not {self.heartbeat_seconds:g} s",
            )
        if self.prune_interval_seconds < 0:
            raise InvalidInputError("PULSE_PRUNE_INTERVAL", "must not be negative (0: never)")
        if self.prune_batch < 1 or self.prune_pause_seconds < 0:
            raise InvalidInputError("prune_batch", "batches need at least one execution")
        if self.shutdown_grace_seconds < 0:
            raise InvalidInputError("PULSE_SHUTDOWN_GRACE", "must not be negative")
        if self.run_as is not None:
            check_user("PULSE_RUN_AS", self.run_as)
        if self.api_token is not None:
            problem = _token_problem(self.api_token)
            if problem:
                raise InvalidInputError("PULSE_API_TOKEN", problem)
        if self.host not in LOOPBACK and not self.api_token:
            raise InvalidInputError(
                "host",
                f"binding {self.host} exposes a remote shell: set PULSE_API_TOKEN to do so",
            )
        return self

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'pulse.db'}"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)
