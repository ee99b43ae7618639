"""Access to the running Pulse from request handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request, WebSocket

if TYPE_CHECKING:
    from pulse.app import Pulse


def _pulse(request: Request) -> Pulse:
    pulse: Pulse = request.app.state.pulse
    return pulse


def pulse_of_ws(websocket: WebSocket) -> Pulse:
    pulse: Pulse = websocket.app.state.pulse
    return pulse


PulseDep = Annotated["Pulse", Depends(_pulse)]
