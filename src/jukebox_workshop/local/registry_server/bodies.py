"""Reading a request body: strict JSON (no NaN or Infinity), then the schema of `schemas.py`.

Errors follow the real server: anything it cannot decode is a 400; a required top-level field
that is absent or empty is a 422 ("required field 'name' is zero value.").
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Request
from pydantic import BaseModel, TypeAdapter, ValidationError

from jukebox_workshop.local.registry_server.errors import BadRequest, MissingField
from jukebox_workshop.local.registry_server.schemas import ARTIFACT_TYPES

MISSING = {"missing", "string_too_short"}
# Server-assigned fields a body may carry but a write does not take from it.
READ_ONLY = {"id", "artifact_type", "create_time_since_epoch", "last_update_time_since_epoch"}


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise BadRequest("request body is not UTF-8 JSON") from None
    except ValueError as exc:  # JSONDecodeError is a ValueError too
        raise BadRequest(f"request body is not valid JSON: {exc}") from None


def validation_error(exc: ValidationError) -> BadRequest | MissingField:
    errors = exc.errors(include_url=False)
    missing = [error for error in errors if error["type"] in MISSING and len(error["loc"]) == 1]
    if len(missing) == len(errors):
        return MissingField(str(missing[0]["loc"][0]))
    return BadRequest("; ".join(_describe(error) for error in errors if error not in missing))


def _describe(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return f'unknown field "{error["loc"][-1]}"'
    # Drop pydantic's names of one-of members: the artifact type, the metadata value type.
    location = [str(part) for part in error["loc"]]
    if location and location[0] in ARTIFACT_TYPES:
        location = location[1:]
    location = [
        part
        for index, part in enumerate(location)
        if not (index >= 2 and location[index - 2] == "customProperties")
    ]
    message = error["msg"]
    if error["type"] == "union_tag_not_found":
        location.append(error["ctx"]["discriminator"].strip("'"))
        message = "Field required"
    elif error["type"] == "value_error":
        message = message.removeprefix("Value error, ")
    return f"{'.'.join(location) or 'body'}: {message}"


def json_body(schema: Any) -> Any:
    """A FastAPI dependency that returns the request body validated against `schema`."""
    adapter = TypeAdapter(schema)

    async def read(request: Request) -> Any:
        data = parse_json(await request.body())
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            raise validation_error(exc) from None

    return Depends(read)


def fields_of(body: BaseModel, *also_ignored: str) -> dict[str, Any]:
    """The fields a client sent, keyed by their JSON names; null means "not given"."""
    return body.model_dump(
        by_alias=True,
        exclude_unset=True,
        exclude_none=True,
        mode="json",
        exclude=READ_ONLY | set(also_ignored),
    )
