"""Every error leaves the server as `{"code": "<status>", "message": "..."}`, as in the spec."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

log = logging.getLogger(__name__)

# Validation errors that mean "a required field is absent" (422); any other problem with a
# request (wrong type, bad enum value, malformed JSON) is a bad request (400), as in the
# reference server.
MISSING_ERROR_TYPES = {"missing", "union_tag_not_found"}
ARTIFACT_TYPES = {"model-artifact", "doc-artifact", "dataset-artifact", "metric", "parameter"}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class NotFound(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(404, message)


class BadRequest(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class Conflict(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(409, message)


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"code": str(status), "message": message}, status, headers=headers)


def describe_validation_error(exc: RequestValidationError) -> tuple[int, str]:
    errors = exc.errors()
    if any(error["type"] == "json_invalid" for error in errors):
        return 400, "request body is not valid JSON"
    status = 422 if all(error["type"] in MISSING_ERROR_TYPES for error in errors) else 400
    return status, "; ".join(_describe(error) for error in errors)


def _describe(error: dict[str, Any]) -> str:
    # Drop FastAPI's leading "body"/"query" and pydantic's names of union members.
    location = [str(part) for part in error["loc"][1:]]
    if location and location[0] in ARTIFACT_TYPES:
        location = location[1:]
    location = [
        part
        for index, part in enumerate(location)
        if not (
            index >= 2 and location[index - 2] == "customProperties" and part.startswith("Metadata")
        )
    ]
    message = error["msg"].replace("'artifact_type' | ", "")
    if error["type"] == "union_tag_not_found":
        # The discriminator comes as "'artifact_type' | 'artifactType'": keep the JSON name.
        location.append(error["ctx"]["discriminator"].split("|")[-1].strip(" '"))
        message = "Field required"
    return f"{'.'.join(location) or 'body'}: {message}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(*describe_validation_error(exc))

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

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, f"internal error: {type(exc).__name__}: {exc}")
