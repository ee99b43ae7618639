"""A bounded property-based run over the OpenAPI document: for requests generated from it, valid
and invalid, the API never answers 5xx and every answer is one the document describes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pulse.api.openapi import document
from tests.conftest import free_port

PULSE = str(Path(sys.executable).parent / "pulse")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Valid and invalid requests (both generation modes), in every phase (the document's examples,
# boundary values of every limit, then random ones), the same every run.
CONFIG = schemathesis.Config.from_dict({"seed": 8, "generation": {"deterministic": True}})
schema = schemathesis.openapi.from_dict(document(), config=CONFIG)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``pulse serve`` process: requests go over HTTP as a client's would."""
    data = tmp_path_factory.mktemp("schemathesis")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_API_TOKEN")}
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen(
        [PULSE, "serve", "--port", str(port), "--data-dir", str(data), "--workers", "2"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (data / "server.log").read_text()
            assert time.monotonic() < deadline, "server did not start"
            try:
                if httpx.get(f"{url}/api/pulse/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        # Something to find: ids the generated requests may hit.
        httpx.post(
            f"{url}/api/pulse/jobs",
            json={"name": "seed", "command": "echo hi", "interval_seconds": 3600},
            timeout=5,
        ).raise_for_status()
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        log.close()
        text = (data / "server.log").read_text()
        # No request failed inside the API (the jobs' own failures are data, not errors here).
        assert "unexpected error answering" not in text, text
        assert "Exception in ASGI application" not in text, text


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_documented(case: schemathesis.Case, server: str) -> None:
    if isinstance(case.body, dict) and isinstance(case.body.get("command"), str):
        # The server runs what it accepts: a generated command becomes a shell comment, so that
        # no random text is ever executed (its validation is what is under test, not its run).
        case.body["command"] = "true #" + case.body["command"].replace("\n", " ")
    case.call_and_validate(base_url=server, checks=CHECKS, timeout=10)
