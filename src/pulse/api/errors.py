"""Mapping of errors to HTTP responses, in one place. Every error answer, whatever its status, is
``{"detail": "<field>: <reason>", "errors": [{"field": …, "message": …}]}``.

=====================================  ======
error                                  status
=====================================  ======
``NotFoundError``, unknown path        404
``InvalidInputError``, bad request     422
``ConflictError``                      409
``StoreFullError``                     507
``StoreUnavailableError``              503
``StoreCorruptError``, other store     503
anything unexpected                    500 (logged with its traceback, never sent)
=====================================  ======

Security refusals (401, 403, 421) come from :mod:`pulse.api.security`; 413 and malformed JSON
from :mod:`pulse.api.guard`.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from pulse.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PulseError,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreUnavailableError,
)
from pulse.jobs import ENV_NAME_RULE

log = logging.getLogger("pulse.api")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """``text`` safe to encode as UTF-8: lone surrogates (which a client can smuggle in through
    JSON escapes, e.g. in a field name) become U+FFFD, so that rendering an error never fails."""
    return _SURROGATE.sub("\ufffd", text)


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {
        "detail": clean(detail),
        "errors": [{k: clean(v) for k, v in e.items()} for e in errors or []],
    }


def error_bytes(detail: str, errors: list[dict[str, str]] | None = None) -> bytes:
    """The error body encoded, for middleware that answers without a response class."""
    return json.dumps(error_body(detail, errors), ensure_ascii=False).encode()


def field_errors(field: str | None, detail: str) -> list[dict[str, str]]:
    return [{"field": field, "message": detail.removeprefix(f"{field}: ")}] if field else []


def error_response(
    status: int, detail: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        error_body(detail, field_errors(field, detail)), status_code=status, headers=headers
    )


def store_error_response(exc: StoreError) -> JSONResponse:
    """503 or 507 for a failing store, naming the cause but not the driver's message (which can
    quote data or connection details); the whole error goes to the server log."""
    if isinstance(exc, StoreFullError):
        log.warning("store full: %s", exc)
        return error_response(
            507, "the disk holding the database is full: free space, then try again"
        )
    retry = {"retry-after": "5"}
    if isinstance(exc, StoreUnavailableError):
        log.warning("store unavailable: %s", exc)
        return error_response(503, "the database is unavailable, try again shortly", None, retry)
    if isinstance(exc, StoreCorruptError):
        log.error("store corrupt: %s", exc, exc_info=exc)
        return error_response(503, "the database is damaged: restore it or start on a new one")
    log.error("store failed: %s", exc, exc_info=exc)
    return error_response(503, "the database failed; details are in the server log", None, retry)


def internal_error_response() -> JSONResponse:
    return error_response(500, "internal error; details are in the server log")


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation_message(err: dict[str, Any]) -> tuple[str, str]:
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    if len(loc) >= 2 and loc[-1] == "[key]":
        # A bad key of an object (env names): the object is the field, the key is quoted.
        field, key = _field_of(loc[:-2]), str(loc[-2])
        if field == "env" and kind in ("string_pattern_mismatch", "string_too_short"):
            return field, f"{key[:60]!r} is not a valid variable name ({ENV_NAME_RULE})"
        message = str(err.get("msg", "is invalid")).replace("Input should be", "must be", 1)
        return field, f"key {key[:60]!r}: {message.replace('String should', 'must', 1)}"
    field = _field_of(loc)
    if kind == "json_invalid":
        return "body", f"malformed JSON: {err.get('ctx', {}).get('error', 'cannot parse')}"
    if kind == "extra_forbidden":
        return field, "unknown field"
    if kind == "missing":
        return field, "is required"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return field, f"must be one of {expected}"
    if kind in ("model_attributes_type", "dict_type") and field == "body":
        return "body", "must be a JSON object"
    if kind == "string_pattern_mismatch" and field in ("job_id", "execution_id"):
        return field, "must be an id: letters, digits and _, at most 64 characters"
    message = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
    return field, message.replace("Input should be", "must be", 1).replace(
        "String should", "must", 1
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            dict(zip(("field", "message"), _validation_message(e), strict=True))
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid input"
        return JSONResponse(error_body(detail, errors), status_code=422)

    @app.exception_handler(NotFoundError)
    async def _not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return error_response(404, str(exc))

    @app.exception_handler(InvalidInputError)
    async def _bad_input(_: Request, exc: InvalidInputError) -> JSONResponse:
        return error_response(422, str(exc), exc.field)

    @app.exception_handler(ConflictError)
    async def _conflict(_: Request, exc: ConflictError) -> JSONResponse:
        return error_response(409, str(exc))

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JSONResponse:
        return store_error_response(exc)

    @app.exception_handler(PulseError)
    async def _pulse_error(_: Request, exc: PulseError) -> JSONResponse:
        log.error("request failed: %s", exc, exc_info=exc)
        return internal_error_response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such endpoint"
        elif exc.status_code == 405 and detail == "Method Not Allowed":
            detail = "this endpoint does not answer that method"
        return JSONResponse(error_body(detail), status_code=exc.status_code, headers=exc.headers)
