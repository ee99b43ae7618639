"""Settings, read from the environment (``PULSE_*``) and overridable by CLI flags."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pulse.errors import InvalidInputError

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

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from ``PULSE_*`` variables (and ``PORT``), then ``overrides`` (non-None)."""
        env = os.environ
        values: dict[str, Any] = {
            "host": env.get("PULSE_HOST", "127.0.0.1"),
            "port": _int("PORT", _int("PULSE_PORT", 8000)),
            "data_dir": Path(env.get("PULSE_DATA_DIR", "data")),
            "database_url": env.get("PULSE_DATABASE_URL") or None,
            "api_token": env.get("PULSE_API_TOKEN") or None,
            "workers": _int("PULSE_WORKERS", 8),
            "log_cap_bytes": _int("PULSE_LOG_CAP_BYTES", 10 * 1024 * 1024),
            "shutdown_grace_seconds": _float("PULSE_SHUTDOWN_GRACE", 10.0),
            "lease_seconds": _float("PULSE_LEASE_SECONDS", 30.0),
            "heartbeat_seconds": _float("PULSE_HEARTBEAT_SECONDS", 5.0),
            "allowed_hosts": tuple(
                h.strip() for h in env.get("PULSE_ALLOWED_HOSTS", "").split(",") if h.strip()
            ),
        }
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
