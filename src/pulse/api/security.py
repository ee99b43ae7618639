"""The security baseline, as one ASGI middleware in front of everything.

A job can run shell commands, so whoever can drive the API has a shell. The middleware refuses:

* requests whose ``Host`` is not one this server answers to (DNS rebinding: a hostile page on a
  name that resolves to 127.0.0.1 would otherwise be "same origin" with us);
* requests a browser sends from another origin (``Origin`` that is not ours; CSRF);
* API bodies that are not JSON (a cross-site HTML form can only send form encodings);
* API and WebSocket calls without the API token, when one is set.

A token given in a WebSocket URL (``?token=``, as browsers cannot set headers there) would be
written to the server's log with the path; :func:`redact_tokens_in_server_logs` hides it.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from pulse.api.errors import error_bytes
from pulse.settings import LOOPBACK, Settings

_BODY_METHODS = {"POST", "PUT", "PATCH"}
_TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&\s\"']*", re.IGNORECASE)
# uvicorn logs WebSocket handshakes on its error logger and HTTP requests on its access logger,
# each with the path and query string.
_SERVER_LOGGERS = ("uvicorn.error", "uvicorn.access")


def redact_token(text: str) -> str:
    """``text`` with the value of any ``token=`` query parameter replaced by ``[redacted]``."""
    return _TOKEN_IN_QUERY.sub(r"\1[redacted]", text)


class TokenRedactingFilter(logging.Filter):
    """Rewrites log records so that a URL's ``?token=`` never reaches a log handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_token(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_token(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact_token(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def redact_tokens_in_server_logs() -> None:
    """Install :class:`TokenRedactingFilter` on uvicorn's loggers, once. Logger filters
    survive uvicorn's own logging set-up, which replaces handlers but keeps filters."""
    for name in _SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenRedactingFilter) for f in logger.filters):
            logger.addFilter(TokenRedactingFilter())


def _hostname(hostport: str) -> str:
    """``example.com`` from ``example.com:8000``, ``::1`` from ``[::1]:8000``."""
    if hostport.startswith("["):
        return hostport[1 : hostport.find("]")] if "]" in hostport else hostport
    return hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 else hostport


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.token = settings.api_token
        self.any_host = settings.host in ("0.0.0.0", "::") and not settings.allowed_hosts
        self.hosts = {h.lower() for h in LOOPBACK | set(settings.allowed_hosts)}
        if settings.host not in ("0.0.0.0", "::"):
            self.hosts.add(settings.host.lower())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        problem = self._check(scope, headers)
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, detail = problem
        if scope["type"] == "websocket":
            # Closing before accepting refuses the handshake (the client sees HTTP 403).
            await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})
            return
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")]
                + ([(b"www-authenticate", b"Bearer")] if status == 401 else []),
            }
        )
        await send({"type": "http.response.body", "body": _body(detail)})

    def _check(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        host = headers.get("host", "")
        if not self.any_host and _hostname(host).lower() not in self.hosts:
            return 421, f"Host {host!r} is not served here (set PULSE_ALLOWED_HOSTS to allow it)"
        origin = headers.get("origin")
        if origin is not None and origin != "null":
            if urlsplit(origin).netloc.lower() != host.lower():
                return 403, f"requests from origin {origin!r} are refused"
        elif origin == "null":
            return 403, "requests from an opaque origin are refused"
        if headers.get("sec-fetch-site") == "cross-site":
            return 403, "cross-site requests are refused"
        path: str = scope["path"]
        if not path.startswith("/api/"):
            return None
        if self.token is not None and not self._authorised(scope, headers):
            return 401, "missing or wrong API token (Authorization: Bearer <token>)"
        if scope["type"] == "http" and scope["method"] in _BODY_METHODS:
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            length = headers.get("content-length")
            has_body = (
                ctype != ""
                or (length is not None and length != "0")
                or ("transfer-encoding" in headers)
            )
            if has_body and ctype != "application/json":
                return 422, (f"content-type: must be application/json, not {ctype or 'missing'!r}")
        return None

    def _authorised(self, scope: Scope, headers: dict[str, str]) -> bool:
        assert self.token is not None
        given = ""
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        elif scope["type"] == "websocket":
            # Browsers cannot set headers on a WebSocket; the token comes in the query string.
            query: dict[str, Any] = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            given = (query.get("token") or [""])[0]
        return hmac.compare_digest(given.encode(), self.token.encode())


def _body(detail: str) -> bytes:
    field = detail.split(":", 1)[0] if detail.startswith("content-type:") else None
    errors = [{"field": field, "message": detail.split(": ", 1)[1]}] if field else []
    return error_bytes(detail, errors)
