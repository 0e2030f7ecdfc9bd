"""Errors leave the server as `{"code": "<status text>", "message": "..."}`, as the real
server's do: `code` is Go's `http.StatusText` of the status ("Not Found", "Bad Request", ...)."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from jukebox_workshop.errors import JukeboxError

log = logging.getLogger(__name__)


class ApiError(JukeboxError):
    """An error the API answers with its HTTP status and message."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or HTTPStatus(status).phrase


class NotFound(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(404, message)


class BadRequest(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class Conflict(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(409, message)


class MissingField(ApiError):
    """A required field is absent or empty: 422, with the code "Bad Request" as upstream."""

    def __init__(self, field: str) -> None:
        super().__init__(422, f"required field '{field}' is zero value.", code="Bad Request")


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, code: str | None = None
) -> JSONResponse:
    body = {"code": code or HTTPStatus(status).phrase, "message": message}
    return JSONResponse(body, status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Handlers for the errors endpoints raise; unexpected ones are `middleware.CatchAll`'s."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, code=exc.code)

    @app.exception_handler(RequestValidationError)
    async def _invalid_query(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Bodies are validated by `bodies.py`; what is left are query and path parameters.
        problems = [
            f"{'.'.join(str(part) for part in error['loc'][1:])}: {error['msg']}"
            for error in exc.errors()
        ]
        return error_response(400, "; ".join(problems))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        message = str(exc.detail)
        if exc.status_code == 404:
            message = f"no such endpoint: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        return error_response(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    async def _database_busy(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database error on %s %s: %s", request.method, request.url.path, exc.orig)
        return error_response(503, f"database unavailable: {exc.orig}")
