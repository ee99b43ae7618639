"""Print the OpenAPI document: ``python -m pulse.api.openapi > web/openapi.json``."""

from __future__ import annotations

import json
import sys

from pulse.api.app import create_app
from pulse.app import Pulse
from pulse.settings import Settings


def document() -> dict[str, object]:
    app = create_app(Pulse(Settings()), manage_lifecycle=False)
    return app.openapi()


if __name__ == "__main__":
    json.dump(document(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
