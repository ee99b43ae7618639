"""What request handlers need of the node that serves them, and how they get it.

The API sees a node through :class:`Node` only, never through :class:`pulse.Pulse` itself:
``pulse.app`` builds the API, so the API must not import it back. ``Pulse`` satisfies
:class:`Node` as it is.
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request, WebSocket

from pulse.service import JobService
from pulse.settings import Settings


class Node(Protocol):
    """The running Pulse, as the API sees it."""

    @property
    def settings(self) -> Settings:
        """Its settings (the API reads the security ones: host, token, allowed hosts)."""
        ...

    @property
    def service(self) -> JobService:
        """Every operation on jobs and their history."""
        ...

    @property
    def node_id(self) -> str:
        """This node's id, which ``/health``, ``/ready`` and the WebSocket's hello name."""
        ...

    async def start(self) -> None:
        """Start the node (the app's lifespan calls it when it manages the node's lifecycle)."""
        ...

    async def stop(self) -> None:
        """Stop the node."""
        ...

    async def check_ready(self) -> None:
        """Return if the node can do its work now, or raise the StoreError that says why."""
        ...


# Dependencies are coroutines: FastAPI runs a plain function in a worker thread, which costs
# more than the whole of some answers.
async def _node(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


async def _service(request: Request) -> JobService:
    node: Node = request.app.state.node
    return node.service


def node_of_ws(websocket: WebSocket) -> Node:
    """The node serving a WebSocket (dependencies are not used for WebSockets here)."""
    node: Node = websocket.app.state.node
    return node


NodeDep = Annotated[Node, Depends(_node)]
ServiceDep = Annotated[JobService, Depends(_service)]
