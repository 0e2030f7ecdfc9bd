"""A read-only HTML view of the registry, like the Model Registry page of the OpenShift AI
dashboard: one table of versions per registered model. Jinja2 autoescapes all user data."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader
from sqlalchemy import Row

from jukebox_workshop.local.registry_server.store import Store

templates = Environment(
    loader=PackageLoader("jukebox_workshop.local.registry_server", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class VersionView:
    row: Row
    artifacts: list[Row] = field(default_factory=list)


@dataclass
class ModelView:
    row: Row
    versions: list[VersionView] = field(default_factory=list)


def format_value(value: dict[str, Any]) -> str:
    """A custom property value as a person reads it (metrics to 4 significant digits)."""
    kind = value.get("metadataType")
    if kind == "MetadataDoubleValue":
        number = value["double_value"]
        return format(number, ".4g") if math.isfinite(number) else str(number)
    if kind == "MetadataIntValue":
        return str(value["int_value"])
    if kind == "MetadataBoolValue":
        return "true" if value["bool_value"] else "false"
    if kind == "MetadataStringValue":
        return value["string_value"]
    if kind == "MetadataProtoValue":
        return f"(protobuf {value.get('type', '')})"
    return "(struct)"


def format_time(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


templates.filters["metadata_value"] = format_value
templates.filters["time"] = format_time


def overview(store: Store) -> list[ModelView]:
    models, versions, artifacts = store.snapshot()
    version_views = {row.id: VersionView(row) for row in versions}
    for artifact in artifacts:
        if artifact.model_version_id in version_views:
            version_views[artifact.model_version_id].artifacts.append(artifact)
    model_views = {row.id: ModelView(row) for row in models}
    for view in version_views.values():
        model_views[view.row.registered_model_id].versions.append(view)
    return list(model_views.values())


def pages_router() -> APIRouter:
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        models = overview(request.app.state.store)
        html = templates.get_template("index.html").render(models=models)
        return HTMLResponse(html)

    return router
