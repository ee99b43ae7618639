"""What keeps any request from breaking the API, as two ASGI middlewares and a JSON reader.

* :class:`GuardMiddleware`, outermost: an unexpected exception becomes a JSON 500 (the traceback
  goes to the log, never to the client), and ``HEAD`` is answered wherever ``GET`` is.
* :class:`BodyMiddleware`, behind the security checks: API request bodies are at most
  :data:`MAX_BODY_BYTES` (413, whether or not a ``Content-Length`` says so: the count is kept
  while the body streams in), and JSON bodies are read strictly by :func:`strict_loads`
  before any route sees them (422 naming the field at fault).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pulse.api.errors import error_bytes
from pulse.errors import InvalidInputError
from pulse.jobs import check_json

log = logging.getLogger("pulse.api")

MAX_BODY_BYTES = 1024 * 1024
"""The largest request body the API reads; a job's fields fit well within it."""

MAX_JSON_DEPTH = 64
"""The deepest nesting of a JSON body or WebSocket message (a payload may nest 32 levels)."""


def _refuse_constant(name: str) -> Any:
    raise InvalidInputError("body", f"{name} is not JSON: numbers must be finite")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise InvalidInputError("body", f"the number {text[:40]} is too large")
    return value


def strict_loads(raw: str | bytes, what: str = "body", max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON as the RFC has it, not as Python's ``json`` allows: ``NaN`` and ``Infinity``
    are refused, as are numbers too large for a float, nesting beyond ``max_depth``, and texts
    that could not be stored (NUL, lone surrogates written as ``\\ud800`` escapes). Every problem
    is an :class:`InvalidInputError` naming the path of the value at fault, or ``what`` (the
    body, a message) when the fault is in the whole document."""
    try:
        return _strict_loads(raw, what, max_depth)
    except InvalidInputError as e:
        if e.field == "body" and what != "body":
            raise InvalidInputError(what, e.reason) from None
        raise


def _strict_loads(raw: str | bytes, field: str, max_depth: int) -> Any:
    try:
        value = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except InvalidInputError:
        raise
    except json.JSONDecodeError as e:
        raise InvalidInputError(field, f"malformed JSON: {e.msg} at character {e.pos}") from None
    except RecursionError:
        raise InvalidInputError(field, f"nested deeper than {max_depth} levels") from None
    except UnicodeDecodeError:
        raise InvalidInputError(field, "must be UTF-8") from None
    except ValueError as e:  # e.g. an integer of more than 4,300 digits
        raise InvalidInputError(field, f"cannot be read: {e}") from None
    check_json("", value, max_depth)
    return value


async def _answer(send: Send, status: int, body: bytes, head: bool = False) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head else body})


class GuardMiddleware:
    """JSON 500s for unexpected exceptions, and ``HEAD`` as ``GET`` without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            # Routes are declared for GET; HEAD is the same answer less the body (RFC 9110).
            scope = {**scope, "method": "GET"}
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            elif head and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # swallowed: the client asked for the headers only
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except Exception:
            log.exception("unexpected error answering %s %s", scope["method"], scope["path"])
            if not started:
                body = error_bytes("internal error; details are in the server log")
                await _answer(send, 500, body, head)
            # A response already under way cannot change its status: it ends short, and the
            # client sees a broken body rather than a wrong one.


class BodyMiddleware:
    """Bounded, strictly parsed API request bodies."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._too_big = error_bytes(
            f"body: must be at most {max_bytes} bytes",
            [{"field": "body", "message": f"must be at most {max_bytes} bytes"}],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in ("GET", "HEAD")  # no endpoint reads the body of a read
            or not scope["path"].startswith("/api/")
        ):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        too_big = self._too_big
        declared = headers.get(b"content-length", b"").decode("latin-1").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _answer(send, 413, too_big)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _answer(send, 413, too_big)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if body and (ctype == b"application/json" or ctype.endswith(b"+json")):
            try:
                strict_loads(body)
            except InvalidInputError as e:
                errors = [{"field": e.field, "message": e.reason}]
                await _answer(send, 422, error_bytes(str(e), errors))
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: the disconnect, whenever it comes

        await self.app(scope, replay, send)
