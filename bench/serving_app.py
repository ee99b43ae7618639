"""The floor of ``bench/serving.py``: a trivial FastAPI endpoint served by uvicorn as ``pulse
serve`` serves Pulse (the same ``uvicorn.Config`` options, uvloop and httptools when installed,
no access log), in its own process.

    .venv/bin/python bench/serving_app.py --port 8123   # GET /hello answers {"hello": "world"}
"""

from __future__ import annotations

import argparse
import asyncio
import logging

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)
    # The options of pulse.cli.cmd_serve, less the WebSocket ones (no WebSocket here).
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="info",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=3,
    )
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(uvicorn.Server(config).serve())


if __name__ == "__main__":
    main()
