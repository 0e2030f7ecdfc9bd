"""The REST endpoints, built once per API prefix (v1alpha3 and v1 share everything but a few
output details)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Row

from .errors import ApiError, BadRequest
from .paging import Page
from .schemas import (
    AnyArtifact,
    ArtifactType,
    ModelArtifactBody,
    ModelVersionCreate,
    ModelVersionUpdate,
    NestedModelVersionCreate,
    OrderBy,
    RegisteredModelCreate,
    RegisteredModelUpdate,
    SortOrder,
)
from .store import ARTIFACT, MODEL_VERSION, REGISTERED_MODEL, Store

PREFIXES = {"v1alpha3": "/api/model_registry/v1alpha3", "v1": "/api/model_registry/v1"}
ID_PATTERN = re.compile(r"[1-9][0-9]{0,17}")
MODEL_ARTIFACT = ArtifactType.MODEL.value
NOT_SERVED = ("serving_environment", "inference_service", "experiment")


def parse_id(value: str, what: str) -> int:
    if not ID_PATTERN.fullmatch(value):
        raise BadRequest(f"invalid {what} {value!r}: ids are positive integers")
    return int(value)


def optional_id(value: str | None, what: str) -> int | None:
    return None if value is None or value == "" else parse_id(value, what)


def document(row: Row, api_version: str) -> dict[str, Any]:
    """The JSON form of a stored entity."""
    doc: dict[str, Any] = {
        "id": str(row.id),
        "name": row.name,
        "state": row.state,
        "customProperties": row.custom_properties,
        "createTimeSinceEpoch": str(row.create_time),
        "lastUpdateTimeSinceEpoch": str(row.update_time),
        **row.attributes,
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


def fields_of(body: BaseModel) -> dict[str, Any]:
    """The fields a client sent, keyed by their JSON names (read-only ones dropped)."""
    return body.model_dump(
        by_alias=True, exclude_unset=True, mode="json", exclude={"id", "artifact_type"}
    )


def page_options(
    page_size: Annotated[str | None, Query(alias="pageSize")] = None,
    order_by: Annotated[OrderBy | None, Query(alias="orderBy")] = None,
    sort_order: Annotated[SortOrder | None, Query(alias="sortOrder")] = None,
    next_page_token: Annotated[str | None, Query(alias="nextPageToken")] = None,
    filter_query: Annotated[str | None, Query(alias="filterQuery")] = None,
) -> Page:
    if filter_query:
        raise ApiError(
            501,
            "filterQuery is not supported by this local registry: list without it and filter the items",
        )
    return Page.from_query(page_size, order_by, sort_order, next_page_token)


PageOptions = Annotated[Page, Depends(page_options)]
Name = Annotated[str | None, Query()]
ExternalId = Annotated[str | None, Query(alias="externalId")]
ParentId = Annotated[str | None, Query(alias="parentResourceId")]
ArtifactTypeFilter = Annotated[ArtifactType | None, Query(alias="artifactType")]


def get_store(request: Request) -> Store:
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]


def api_router(api_version: str) -> APIRouter:
    """Every implemented endpoint of one API version."""
    router = APIRouter(prefix=PREFIXES[api_version])

    def one(row: Row, status: int = 200) -> JSONResponse:
        return JSONResponse(document(row, api_version), status)

    def many(rows: list[Row], token: str, page: Page) -> JSONResponse:
        items = [document(row, api_version) for row in rows]
        return JSONResponse(
            {"items": items, "nextPageToken": token, "pageSize": page.size, "size": len(items)}
        )

    # Registered models

    @router.get("/registered_models")
    def list_registered_models(store: StoreDep, page: PageOptions) -> JSONResponse:
        return many(*store.list(REGISTERED_MODEL, page), page)

    @router.post("/registered_models")
    def create_registered_model(store: StoreDep, body: RegisteredModelCreate) -> JSONResponse:
        return one(store.create(REGISTERED_MODEL, fields_of(body)), 201)

    @router.get("/registered_models/{model_id}")
    def get_registered_model(store: StoreDep, model_id: str) -> JSONResponse:
        return one(store.get(REGISTERED_MODEL, parse_id(model_id, "registered model id")))

    @router.patch("/registered_models/{model_id}")
    def update_registered_model(
        store: StoreDep, model_id: str, body: RegisteredModelUpdate
    ) -> JSONResponse:
        entity_id = parse_id(model_id, "registered model id")
        return one(store.update(REGISTERED_MODEL, entity_id, fields_of(body)))

    @router.get("/registered_model")
    def find_registered_model(
        store: StoreDep, name: Name = None, external_id: ExternalId = None
    ) -> JSONResponse:
        return one(store.find(REGISTERED_MODEL, name=name, external_id=external_id))

    @router.get("/registered_models/{model_id}/versions")
    def list_registered_model_versions(
        store: StoreDep,
        model_id: str,
        page: PageOptions,
        name: Name = None,
        external_id: ExternalId = None,
    ) -> JSONResponse:
        parent_id = parse_id(model_id, "registered model id")
        rows, token = store.list(
            MODEL_VERSION, page, parent_id=parent_id, name=name, external_id=external_id
        )
        return many(rows, token, page)

    @router.post("/registered_models/{model_id}/versions")
    def create_registered_model_version(
        store: StoreDep, model_id: str, body: NestedModelVersionCreate
    ) -> JSONResponse:
        parent_id = parse_id(model_id, "registered model id")
        fields = fields_of(body)
        if fields.pop("registeredModelId", model_id) != model_id:
            raise BadRequest(
                f"registeredModelId does not match registered model {model_id} in the path"
            )
        return one(store.create(MODEL_VERSION, fields, parent_id=parent_id), 201)

    # Model versions

    @router.get("/model_versions")
    def list_model_versions(store: StoreDep, page: PageOptions) -> JSONResponse:
        return many(*store.list(MODEL_VERSION, page), page)

    @router.post("/model_versions")
    def create_model_version(store: StoreDep, body: ModelVersionCreate) -> JSONResponse:
        fields = fields_of(body)
        parent_id = parse_id(fields.pop("registeredModelId"), "registeredModelId")
        return one(store.create(MODEL_VERSION, fields, parent_id=parent_id), 201)

    @router.get("/model_versions/{version_id}")
    def get_model_version(store: StoreDep, version_id: str) -> JSONResponse:
        return one(store.get(MODEL_VERSION, parse_id(version_id, "model version id")))

    @router.patch("/model_versions/{version_id}")
    def update_model_version(
        store: StoreDep, version_id: str, body: ModelVersionUpdate
    ) -> JSONResponse:
        entity_id = parse_id(version_id, "model version id")
        return one(store.update(MODEL_VERSION, entity_id, fields_of(body)))

    @router.get("/model_version")
    def find_model_version(
        store: StoreDep,
        name: Name = None,
        external_id: ExternalId = None,
        parent_resource_id: ParentId = None,
    ) -> JSONResponse:
        parent_id = optional_id(parent_resource_id, "parentResourceId")
        return one(
            store.find(MODEL_VERSION, name=name, external_id=external_id, parent_id=parent_id)
        )

    @router.get("/model_versions/{version_id}/artifacts")
    def list_model_version_artifacts(
        store: StoreDep,
        version_id: str,
        page: PageOptions,
        name: Name = None,
        external_id: ExternalId = None,
        artifact_type: ArtifactTypeFilter = None,
    ) -> JSONResponse:
        parent_id = parse_id(version_id, "model version id")
        rows, token = store.list(
            ARTIFACT,
            page,
            parent_id=parent_id,
            name=name,
            external_id=external_id,
            artifact_type=artifact_type,
        )
        return many(rows, token, page)

    @router.post("/model_versions/{version_id}/artifacts")
    def upsert_model_version_artifact(
        store: StoreDep, version_id: str, body: AnyArtifact
    ) -> JSONResponse:
        parent_id = parse_id(version_id, "model version id")
        artifact_id = optional_id(body.id, "artifact id")
        row, created = store.upsert_version_artifact(
            parent_id, artifact_id, fields_of(body), body.artifact_type
        )
        return one(row, 201 if created else 200)

    # Model artifacts

    @router.get("/model_artifacts")
    def list_model_artifacts(store: StoreDep, page: PageOptions) -> JSONResponse:
        return many(*store.list(ARTIFACT, page, artifact_type=MODEL_ARTIFACT), page)

    @router.post("/model_artifacts")
    def create_model_artifact(store: StoreDep, body: ModelArtifactBody) -> JSONResponse:
        return one(store.create(ARTIFACT, fields_of(body), artifact_type=MODEL_ARTIFACT), 201)

    @router.get("/model_artifacts/{artifact_id}")
    def get_model_artifact(store: StoreDep, artifact_id: str) -> JSONResponse:
        entity_id = parse_id(artifact_id, "model artifact id")
        return one(store.get(ARTIFACT, entity_id, artifact_type=MODEL_ARTIFACT))

    @router.patch("/model_artifacts/{artifact_id}")
    def update_model_artifact(
        store: StoreDep, artifact_id: str, body: ModelArtifactBody
    ) -> JSONResponse:
        entity_id = parse_id(artifact_id, "model artifact id")
        return one(store.update(ARTIFACT, entity_id, fields_of(body), artifact_type=MODEL_ARTIFACT))

    @router.get("/model_artifact")
    def find_model_artifact(
        store: StoreDep,
        name: Name = None,
        external_id: ExternalId = None,
        parent_resource_id: ParentId = None,
    ) -> JSONResponse:
        parent_id = optional_id(parent_resource_id, "parentResourceId")
        row = store.find(
            ARTIFACT,
            name=name,
            external_id=external_id,
            parent_id=parent_id,
            artifact_type=MODEL_ARTIFACT,
        )
        return one(row)

    # Artifacts of any type

    @router.get("/artifacts")
    def list_artifacts(
        store: StoreDep, page: PageOptions, artifact_type: ArtifactTypeFilter = None
    ) -> JSONResponse:
        return many(*store.list(ARTIFACT, page, artifact_type=artifact_type), page)

    @router.post("/artifacts")
    def create_artifact(store: StoreDep, body: AnyArtifact) -> JSONResponse:
        return one(store.create(ARTIFACT, fields_of(body), artifact_type=body.artifact_type), 201)

    @router.get("/artifacts/{artifact_id}")
    def get_artifact(store: StoreDep, artifact_id: str) -> JSONResponse:
        return one(store.get(ARTIFACT, parse_id(artifact_id, "artifact id")))

    @router.patch("/artifacts/{artifact_id}")
    def update_artifact(store: StoreDep, artifact_id: str, body: AnyArtifact) -> JSONResponse:
        entity_id = parse_id(artifact_id, "artifact id")
        stored_type = store.get(ARTIFACT, entity_id).artifact_type
        if stored_type != body.artifact_type:
            raise BadRequest(f"artifact {entity_id} is a {stored_type}, not a {body.artifact_type}")
        return one(store.update(ARTIFACT, entity_id, fields_of(body)))

    @router.get("/artifact")
    def find_artifact(
        store: StoreDep,
        name: Name = None,
        external_id: ExternalId = None,
        parent_resource_id: ParentId = None,
    ) -> JSONResponse:
        parent_id = optional_id(parent_resource_id, "parentResourceId")
        return one(store.find(ARTIFACT, name=name, external_id=external_id, parent_id=parent_id))

    # Serving environments, inference services and experiments are not part of the workshop.

    for resource in NOT_SERVED:

        @router.api_route(f"/{resource}{{rest:path}}", methods=["GET", "POST", "PATCH"])
        def not_served(request: Request, rest: str) -> JSONResponse:
            raise ApiError(
                501,
                f"{request.url.path} is not served by this local registry: it keeps registered "
                "models, model versions and artifacts only",
            )

    return router
