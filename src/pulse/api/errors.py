"""Mapping of errors to HTTP responses, in one place. Bodies are
``{"detail": "<field>: <reason>", "errors": [{"field": …, "message": …}]}``."""

from __future__ import annotations

import logging
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
    StoreUnavailableError,
)

log = logging.getLogger("pulse.api")


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


def error_response(status: int, detail: str, field: str | None = None) -> JSONResponse:
    errors = [{"field": field, "message": detail.removeprefix(f"{field}: ")}] if field else []
    return JSONResponse(error_body(detail, errors), status_code=status)


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation_message(err: dict[str, Any]) -> tuple[str, str]:
    field = _field_of(tuple(err.get("loc", ())))
    kind = err.get("type", "")
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
    return field, str(err.get("msg", "is invalid")).removeprefix("Value error, ")


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

    @app.exception_handler(StoreUnavailableError)
    async def _unavailable(_: Request, exc: StoreUnavailableError) -> JSONResponse:
        return error_response(503, f"the database is unavailable, try again shortly ({exc})")

    @app.exception_handler(PulseError)
    async def _pulse_error(_: Request, exc: PulseError) -> JSONResponse:
        log.error("request failed: %s", exc, exc_info=exc)
        return error_response(500, f"internal error: {exc}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such endpoint"
        return JSONResponse(error_body(detail), status_code=exc.status_code, headers=exc.headers)
