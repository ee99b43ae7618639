"""Answers of the hottest reads (a page of history, a job), kept as bytes while the database is
unchanged.

A dashboard polls the same few pages, and most polls find nothing new: building the page again
(reading 50 rows, turning them into objects and then into JSON) costs ten times more than
serving the request itself. The store says when anything at all was committed since
(:meth:`pulse.store.base.Store.read_version`, SQLite's ``data_version``: any write by any
connection, a heartbeat included, changes it), so a kept answer is served only while it is
exactly what a fresh read would give. Where the store cannot tell (PostgreSQL, where other nodes
write), nothing is kept.

Answers are kept per path and query string, in a small LRU. A kept answer is sent by
:class:`PagesMiddleware` before the request is routed at all (routing and validating the query
string cost as much as the rest); the security checks run before it, so a kept answer only ever
reaches a caller who may read it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from pulse.store.base import Store

MAX_PAGES = 256


def json_bytes(value: Any) -> bytes:
    """Compact JSON, as UTF-8: the body FastAPI would send for ``value``."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class PageCache:
    def __init__(self, store_of: Callable[[], Store], size: int = MAX_PAGES) -> None:
        self._store_of = store_of  # the node's store, looked up when a request first comes
        self._size = size
        self._pages: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def answer(
        self, request: Request, build: Callable[[], Awaitable[bytes]], *, moment: str = ""
    ) -> Response:
        """The kept answer to ``request`` if nothing changed since it was built, else a new
        one from ``build`` (kept for next time when the store can tell changes). An answer that
        also depends on the time (a window ending now) names its ``moment`` (e.g. the current
        hour): it is kept for that moment only, and never sent before routing."""
        key = _key(request.scope) + ("#" + moment if moment else "")
        version = self._store_of().read_version()
        kept = self.kept(key, version)
        if kept is not None:
            return _response(kept)
        self.misses += 1
        body = await build()
        if version is not None:
            self._pages[key] = (version, body)
            self._pages.move_to_end(key)
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)
        return _response(body)

    def kept(self, key: str, version: int | None) -> bytes | None:
        """The answer kept under ``key`` if it was built at ``version``."""
        if version is None:
            return None
        kept = self._pages.get(key)
        if kept is None or kept[0] != version:
            return None
        self._pages.move_to_end(key)
        self.hits += 1
        return kept[1]

    def lookup(self, scope: Scope) -> bytes | None:
        if not self._pages:
            return None
        return self.kept(_key(scope), self._store_of().read_version())


class PagesMiddleware:
    """Sends a kept answer to a ``GET`` without routing it (see the module docstring)."""

    def __init__(self, app: ASGIApp, cache: PageCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            body = self.cache.lookup(scope)
            if body is not None:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def _key(scope: Scope) -> str:
    return str(scope["path"]) + "?" + bytes(scope.get("query_string", b"")).decode("latin-1")


def _response(body: bytes) -> Response:
    return Response(body, media_type="application/json")


async def _cache(request: Request) -> PageCache:
    cache: PageCache = request.app.state.pages
    return cache


PagesDep = Annotated[PageCache, Depends(_cache)]
