"""Stored rows as the JSON of one API version (v1alpha3 and v1 differ in two details)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Row

from jukebox_workshop.local.registry_server.paging import Page

PREFIXES = {"v1alpha3": "/api/model_registry/v1alpha3", "v1": "/api/model_registry/v1"}


def document(row: Row, api_version: str) -> dict[str, Any]:
    """The JSON form of a stored entity."""
    doc: dict[str, Any] = {
        "id": str(row.id),
        "name": row.name,
        "state": row.state,
        "customProperties": readable_properties(row.custom_properties),
        "createTimeSinceEpoch": str(row.create_time),
        "lastUpdateTimeSinceEpoch": str(row.update_time),
        **{key: value for key, value in row.attributes.items() if is_json(value)},
    }
    if row.external_id is not None:
        doc["externalId"] = row.external_id
    fields = row._mapping
    if "registered_model_id" in fields:
        doc["registeredModelId"] = str(row.registered_model_id)
    if "artifact_type" in fields:
        doc["artifactType"] = row.artifact_type
        if api_version == "v1":
            # v1 has no experiments and types a metric's step as a string.
            doc.pop("experimentId", None)
            doc.pop("experimentRunId", None)
            if "step" in doc:
                doc["step"] = str(doc["step"])
    return doc


def is_json(value: Any) -> bool:
    """False for a NaN or infinite number, which an older server version could store."""
    return not isinstance(value, float) or math.isfinite(value)


def readable_properties(properties: dict[str, Any]) -> dict[str, Any]:
    """Custom properties; a non-finite double stored by an older version reads as a string."""
    readable = {}
    for key, value in properties.items():
        number = value.get("double_value") if isinstance(value, dict) else None
        if not is_json(number):
            value = {"metadataType": "MetadataStringValue", "string_value": json.dumps(number)}
        readable[key] = value
    return readable


@dataclass(frozen=True)
class Output:
    """Writes stored rows as the JSON of the request's API version."""

    api_version: str

    def one(self, row: Row, status: int = 200) -> JSONResponse:
        return JSONResponse(document(row, self.api_version), status)

    def many(self, rows: list[Row], token: str, page: Page) -> JSONResponse:
        items = [document(row, self.api_version) for row in rows]
        body = {"items": items, "nextPageToken": token, "pageSize": page.requested_size}
        return JSONResponse({**body, "size": len(items)})


def output(request: Request) -> Output:
    v1 = request.scope["path"].startswith(PREFIXES["v1"] + "/")
    return Output("v1" if v1 else "v1alpha3")


Out = Annotated[Output, Depends(output)]
