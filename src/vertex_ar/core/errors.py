"""One error shape for every failure: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

log = structlog.get_logger(__name__)

# How long a client should wait before retrying when the database is unreachable or locked.
DATABASE_RETRY_SECONDS = 5


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        details: Any = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}
        if code:
            self.code = code


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"


class RequestTimeout(AppError):
    status_code = 408
    code = "request_timeout"


class UnsupportedMedia(AppError):
    status_code = 415
    code = "unsupported_media_type"


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"


def invalid_input(
    errors: Iterable[Mapping[str, Any]], *, prefix: Sequence[str] = (), what: str = "input"
) -> InvalidInput:
    """A pydantic validation failure as a 422: field paths and messages only (pydantic's own
    text would echo the input, which may be a secret). `body` is the request, not a field."""
    errors = list(errors)
    for err in errors:
        if err.get("type") == "json_invalid":
            # Its location is ("body", <character offset>): the offset is no field name.
            reason = (err.get("ctx") or {}).get("error", "not JSON")
            where = err["loc"][-1] if len(err["loc"]) > 1 else 0
            message = f"the request body is not valid JSON: {reason} (at character {where})"
            return InvalidInput(message, details=[{"field": "body", "message": message}])
    details = [
        {
            "field": ".".join([*prefix, *(str(p) for p in err["loc"] if p != "body")]),
            "message": err["msg"],
        }
        for err in errors
    ]
    fields = ", ".join(d["field"] or "body" for d in details)
    return InvalidInput(f"Invalid {what}: {fields}", details=details)


# SQLite's "database is locked" family (extended codes such as BUSY_SNAPSHOT share the low byte).
_SQLITE_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
RETRY_AFTER_LOCKED_SECONDS = 1


def database_busy(exc: OperationalError) -> bool:
    """Another connection held SQLite's lock past the busy timeout: a wait, not a fault."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _SQLITE_BUSY_CODES


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def app_error_response(exc: AppError) -> JSONResponse:
    """The answer to an AppError (the exception handler's, and the viewer's scan path's)."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details),
        exc.status_code,
        headers={**headers, **exc.headers},
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return app_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        error = invalid_input(exc.errors())
        return JSONResponse(error_body(error.code, error.message, error.details), 422)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_request: Request, _exc: Exception) -> JSONResponse:
        # A value the database cannot hold (an id beyond SQLite's 64 or PostgreSQL's 32 bits, a
        # text longer than its column) names no row and can be no row: the input is wrong.
        message = "a value in the request is out of range for what it names"
        return JSONResponse(error_body("invalid_input", message), 422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database_unavailable(request: Request, exc: DBAPIError) -> JSONResponse:
        # SQLite held by another connection past the busy timeout: a wait, said as such. Else the
        # connection was lost (the server restarted, the backend was terminated): the transaction
        # was rolled back, nothing of it stays, and the same request may succeed in a moment.
        # The statement and its parameters are not logged (they may hold a password hash).
        if isinstance(exc, OperationalError) and database_busy(exc):
            return JSONResponse(
                error_body("database_busy", "the database is busy; try again in a moment"),
                503,
                headers={"Retry-After": str(RETRY_AFTER_LOCKED_SECONDS)},
            )
        log.warning(
            "database.unavailable",
            path=request.url.path,
            error=exc.orig.__class__.__name__ if exc.orig is not None else exc.__class__.__name__,
            invalidated=exc.connection_invalidated,
        )
        message = "the database is unavailable; nothing was saved, try again shortly"
        return JSONResponse(
            error_body("database_unavailable", message),
            503,
            headers={"Retry-After": str(DATABASE_RETRY_SECONDS)},
        )

    @app.exception_handler(ClientDisconnect)
    async def _gone(_request: Request, _exc: ClientDisconnect) -> JSONResponse:
        # The client left mid-body (a page closed while its beacon was sent): nobody reads the
        # answer, and it is not our failure to count as a 500.
        return JSONResponse(error_body("client_disconnected", "the request body was cut off"), 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            404: "not_found",
            405: "method_not_allowed",
            401: "unauthorized",
            413: "payload_too_large",
        }.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)
