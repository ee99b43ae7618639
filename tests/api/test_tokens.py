"""The API token: never blank, readable from a file, and never written to a log."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets

from pulse import Settings
from pulse.api.security import TokenRedactingFilter, redact_token
from pulse.errors import InvalidInputError
from tests.conftest import free_port

PULSE = str(Path(sys.executable).parent / "pulse")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("PULSE_API_TOKEN", raising=False)
    monkeypatch.delenv("PULSE_API_TOKEN_FILE", raising=False)
    return monkeypatch


@pytest.mark.parametrize("blank", ["", " ", "\t\n", "   \n"])
def test_a_blank_token_is_refused_at_start(env: pytest.MonkeyPatch, blank: str) -> None:
    env.setenv("PULSE_API_TOKEN", blank)
    with pytest.raises(InvalidInputError) as e:
        Settings.from_env()
    assert e.value.field == "PULSE_API_TOKEN" and "blank" in str(e.value)
    with pytest.raises(InvalidInputError):
        Settings(api_token=blank).validated()


def test_a_token_with_spaces_or_control_characters_is_refused(env: pytest.MonkeyPatch) -> None:
    for token in ("two words", "tab\there", " lead", "trail\n", "nul\x00", "caf\u00e9"):
        with pytest.raises(InvalidInputError, match="PULSE_API_TOKEN: must be printable"):
            Settings(api_token=token).validated()
    env.setenv("PULSE_API_TOKEN", "two words")
    with pytest.raises(InvalidInputError, match="printable"):
        Settings.from_env()
    env.setenv("PULSE_API_TOKEN", "s3cret-token_1")
    assert Settings.from_env().api_token == "s3cret-token_1"


def test_the_token_can_come_from_a_file(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("s3cret-from-file\n")
    env.setenv("PULSE_API_TOKEN_FILE", str(path))
    assert Settings.from_env().api_token == "s3cret-from-file"
    path.write_text("s3cret-crlf\r\n")
    assert Settings.from_env().api_token == "s3cret-crlf"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "cannot read"),
        ("", "holds no token"),
        ("\n", "holds no token"),
        ("  \n", "holds no token"),
        ("two words\n", "printable ASCII"),
        ("x" * 5000, "larger than 4096 bytes"),
    ],
)
def test_a_token_file_that_gives_no_token_is_refused(
    env: pytest.MonkeyPatch, tmp_path: Path, content: str | None, words: str
) -> None:
    path = tmp_path / "token"
    if content is not None:
        path.write_text(content)
    env.setenv("PULSE_API_TOKEN_FILE", str(path))
    with pytest.raises(InvalidInputError) as e:
        Settings.from_env()
    assert e.value.field == "PULSE_API_TOKEN_FILE" and words in str(e.value)


def test_a_directory_is_not_a_token_file(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env.setenv("PULSE_API_TOKEN_FILE", str(tmp_path))
    with pytest.raises(InvalidInputError, match="cannot read"):
        Settings.from_env()


def test_a_token_and_a_token_file_together_are_refused(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "token").write_text("one\n")
    env.setenv("PULSE_API_TOKEN_FILE", str(tmp_path / "token"))
    env.setenv("PULSE_API_TOKEN", "two")
    with pytest.raises(InvalidInputError, match="not both"):
        Settings.from_env()


def test_the_log_filter_hides_tokens_in_urls() -> None:
    assert redact_token("/api/pulse/ws?token=abc") == "/api/pulse/ws?token=[redacted]"
    assert redact_token("/ws?a=1&TOKEN=abc&b=2") == "/ws?a=1&TOKEN=[redacted]&b=2"
    assert redact_token("/ws?notatoken=1") == "/ws?notatoken=1"
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:5000", "/api/pulse/ws?token=s3cret"),
        None,
    )
    TokenRedactingFilter().filter(record)
    assert "s3cret" not in record.getMessage() and "[redacted]" in record.getMessage()


@pytest.mark.slow
async def test_a_websocket_token_never_reaches_the_server_log(tmp_path: Path) -> None:
    token = "s3cret-in-the-url"
    (tmp_path / "token").write_text(token + "\n")
    port = free_port()
    log_path = tmp_path / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_API_TOKEN")}
    env["PULSE_API_TOKEN_FILE"] = str(tmp_path / "token")
    with log_path.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *[PULSE, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        headers = {"authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}/api/pulse") as http:
            while True:
                assert proc.returncode is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                try:
                    if (await http.get("/health", headers=headers)).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            assert (await http.get("/jobs")).status_code == 401  # the file's token is in force
        url = f"ws://127.0.0.1:{port}/api/pulse/ws?token={token}"
        async with websockets.connect(url) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
    text = log_path.read_text()
    assert "WebSocket /api/pulse/ws?token=[redacted]" in text, text
    assert token not in text


def test_a_heartbeat_too_slow_for_the_lease_is_refused(env: pytest.MonkeyPatch) -> None:
    env.setenv("PULSE_LEASE_SECONDS", "30")
    env.setenv("PULSE_HEARTBEAT_SECONDS", "15")
    with pytest.raises(InvalidInputError, match="PULSE_HEARTBEAT_SECONDS: must be at most a third"):
        Settings.from_env()
    env.setenv("PULSE_HEARTBEAT_SECONDS", "10")
    assert Settings.from_env().heartbeat_seconds == 10
