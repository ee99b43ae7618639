"""Print the OpenAPI document: ``python -m pulse.api.openapi > web/openapi.json``."""

from __future__ import annotations

import json
import sys
from typing import NoReturn

from pulse.api.app import create_app
from pulse.service import JobService
from pulse.settings import Settings


class _NoNode:
    """The document comes from the routes alone: the app is built, never started or called,
    so no store or engine is made for it."""

    def __init__(self) -> None:
        self.settings = Settings()

    @property
    def service(self) -> JobService:
        self._unused()

    @property
    def node_id(self) -> str:
        self._unused()

    async def start(self) -> None:
        self._unused()

    async def stop(self) -> None:
        self._unused()

    async def check_ready(self) -> None:
        self._unused()

    def _unused(self) -> NoReturn:
        raise RuntimeError("the app built for the OpenAPI document serves no request")


def document() -> dict[str, object]:
    app = create_app(_NoNode(), manage_lifecycle=False)
    return app.openapi()


if __name__ == "__main__":
    json.dump(document(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
