"""The REST endpoints, one function each, mounted under both API prefixes by `api_router`.

`ROUTES` lists them in the order of the OpenAPI spec's paths.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from jukebox_workshop.local.registry_server.bodies import fields_of, json_body
from jukebox_workshop.local.registry_server.errors import ApiError, BadRequest
from jukebox_workshop.local.registry_server.parameters import (
    ArtifactTypeFilter,
    ExternalId,
    Lists,
    Name,
    ParentId,
    StoreDep,
    optional_id,
    parse_id,
)
from jukebox_workshop.local.registry_server.responses import PREFIXES, Out
from jukebox_workshop.local.registry_server.schemas import (
    AnyArtifact,
    ModelArtifactCreate,
    ModelArtifactUpdate,
    ModelVersion,
    ModelVersionCreate,
    ModelVersionUpdate,
    RegisteredModelCreate,
    RegisteredModelUpdate,
)
from jukebox_workshop.local.registry_server.store import ARTIFACT, MODEL_VERSION, REGISTERED_MODEL

MODEL_ARTIFACT = "model-artifact"
NOT_SERVED = ("serving_environment", "inference_service", "experiment")


# Registered models


def list_registered_models(store: StoreDep, out: Out, lists: Lists) -> JSONResponse:
    where = lists.where(REGISTERED_MODEL, "registered-model")
    return out.many(*store.list(REGISTERED_MODEL, lists.page, where=where), lists.page)


def create_registered_model(
    store: StoreDep,
    out: Out,
    body: Annotated[RegisteredModelCreate, json_body(RegisteredModelCreate)],
) -> JSONResponse:
    return out.one(store.create(REGISTERED_MODEL, fields_of(body)), 201)


def get_registered_model(store: StoreDep, out: Out, model_id: str) -> JSONResponse:
    return out.one(store.get(REGISTERED_MODEL, parse_id(model_id, "registered model")))


def update_registered_model(
    store: StoreDep,
    out: Out,
    model_id: str,
    body: Annotated[RegisteredModelUpdate, json_body(RegisteredModelUpdate)],
) -> JSONResponse:
    entity_id = parse_id(model_id, "registered model")
    return out.one(store.update(REGISTERED_MODEL, entity_id, fields_of(body)))


def find_registered_model(
    store: StoreDep, out: Out, name: Name = None, external_id: ExternalId = None
) -> JSONResponse:
    return out.one(store.find(REGISTERED_MODEL, name=name, external_id=external_id))


def list_registered_model_versions(
    store: StoreDep,
    out: Out,
    lists: Lists,
    model_id: str,
    name: Name = None,
    external_id: ExternalId = None,
) -> JSONResponse:
    rows, token = store.list(
        MODEL_VERSION,
        lists.page,
        parent_id=parse_id(model_id, "registered model"),
        name=name,
        external_id=external_id,
        where=lists.where(MODEL_VERSION, "model-version"),
    )
    return out.many(rows, token, lists.page)


def create_registered_model_version(
    store: StoreDep, out: Out, model_id: str, body: Annotated[ModelVersion, json_body(ModelVersion)]
) -> JSONResponse:
    parent_id = parse_id(model_id, "registered model")
    if body.id is not None:
        raise BadRequest("id is assigned by the server: leave it out to create a model version")
    if body.registered_model_id != model_id:
        raise BadRequest(
            f"registeredModelId {body.registered_model_id!r} does not match registered model "
            f"{model_id} in the path"
        )
    fields = fields_of(body, "registered_model_id")
    return out.one(store.create(MODEL_VERSION, fields, parent_id=parent_id), 201)


# Model versions


def list_model_versions(store: StoreDep, out: Out, lists: Lists) -> JSONResponse:
    where = lists.where(MODEL_VERSION, "model-version")
    return out.many(*store.list(MODEL_VERSION, lists.page, where=where), lists.page)


def create_model_version(
    store: StoreDep, out: Out, body: Annotated[ModelVersionCreate, json_body(ModelVersionCreate)]
) -> JSONResponse:
    parent_id = parse_id(body.registered_model_id, "registered model")
    fields = fields_of(body, "registered_model_id")
    return out.one(store.create(MODEL_VERSION, fields, parent_id=parent_id), 201)


def get_model_version(store: StoreDep, out: Out, version_id: str) -> JSONResponse:
    return out.one(store.get(MODEL_VERSION, parse_id(version_id, "model version")))


def update_model_version(
    store: StoreDep,
    out: Out,
    version_id: str,
    body: Annotated[ModelVersionUpdate, json_body(ModelVersionUpdate)],
) -> JSONResponse:
    entity_id = parse_id(version_id, "model version")
    return out.one(store.update(MODEL_VERSION, entity_id, fields_of(body)))


def find_model_version(
    store: StoreDep,
    out: Out,
    name: Name = None,
    external_id: ExternalId = None,
    parent_resource_id: ParentId = None,
) -> JSONResponse:
    parent_id = optional_id(parent_resource_id, "parentResourceId")
    row = store.find(MODEL_VERSION, name=name, external_id=external_id, parent_id=parent_id)
    return out.one(row)


def list_model_version_artifacts(
    store: StoreDep,
    out: Out,
    lists: Lists,
    version_id: str,
    artifact_type: ArtifactTypeFilter,
    name: Name = None,
    external_id: ExternalId = None,
) -> JSONResponse:
    rows, token = store.list(
        ARTIFACT,
        lists.page,
        parent_id=parse_id(version_id, "model version"),
        name=name,
        external_id=external_id,
        artifact_type=artifact_type,
        where=lists.where(ARTIFACT, artifact_type or MODEL_ARTIFACT),
    )
    return out.many(rows, token, lists.page)


def upsert_model_version_artifact(
    store: StoreDep, out: Out, version_id: str, body: Annotated[Any, json_body(AnyArtifact)]
) -> JSONResponse:
    """Create an artifact in the version, or attach (and update) an existing one by id."""
    parent_id = parse_id(version_id, "model version")
    artifact_id = optional_id(body.id, "artifact")
    fields = fields_of(body, "experiment_id", "experiment_run_id")
    row, created = store.upsert_version_artifact(parent_id, artifact_id, fields, body.artifact_type)
    # As upstream: 201 only for a model or doc artifact created here, else 200.
    return out.one(
        row, 201 if created and body.artifact_type in ("model-artifact", "doc-artifact") else 200
    )


# Model artifacts


def list_model_artifacts(store: StoreDep, out: Out, lists: Lists) -> JSONResponse:
    where = lists.where(ARTIFACT, MODEL_ARTIFACT)
    rows, token = store.list(ARTIFACT, lists.page, artifact_type=MODEL_ARTIFACT, where=where)
    return out.many(rows, token, lists.page)


def create_model_artifact(
    store: StoreDep, out: Out, body: Annotated[ModelArtifactCreate, json_body(ModelArtifactCreate)]
) -> JSONResponse:
    return out.one(store.create(ARTIFACT, fields_of(body), artifact_type=MODEL_ARTIFACT), 201)


def get_model_artifact(store: StoreDep, out: Out, artifact_id: str) -> JSONResponse:
    entity_id = parse_id(artifact_id, "model artifact")
    return out.one(store.get(ARTIFACT, entity_id, artifact_type=MODEL_ARTIFACT))


def update_model_artifact(
    store: StoreDep,
    out: Out,
    artifact_id: str,
    body: Annotated[ModelArtifactUpdate, json_body(ModelArtifactUpdate)],
) -> JSONResponse:
    entity_id = parse_id(artifact_id, "model artifact")
    row = store.update(ARTIFACT, entity_id, fields_of(body), artifact_type=MODEL_ARTIFACT)
    return out.one(row)


def find_model_artifact(
    store: StoreDep,
    out: Out,
    name: Name = None,
    external_id: ExternalId = None,
    parent_resource_id: ParentId = None,
) -> JSONResponse:
    row = store.find(
        ARTIFACT,
        name=name,
        external_id=external_id,
        parent_id=optional_id(parent_resource_id, "parentResourceId"),
        artifact_type=MODEL_ARTIFACT,
    )
    return out.one(row)


# Artifacts of any type


def list_artifacts(
    store: StoreDep, out: Out, lists: Lists, artifact_type: ArtifactTypeFilter
) -> JSONResponse:
    where = lists.where(ARTIFACT, artifact_type or MODEL_ARTIFACT)
    rows, token = store.list(ARTIFACT, lists.page, artifact_type=artifact_type, where=where)
    return out.many(rows, token, lists.page)


def create_artifact(
    store: StoreDep, out: Out, body: Annotated[Any, json_body(AnyArtifact)]
) -> JSONResponse:
    fields = fields_of(body, "experiment_id", "experiment_run_id")
    return out.one(store.create(ARTIFACT, fields, artifact_type=body.artifact_type), 201)


def get_artifact(store: StoreDep, out: Out, artifact_id: str) -> JSONResponse:
    return out.one(store.get(ARTIFACT, parse_id(artifact_id, "artifact")))


def update_artifact(
    store: StoreDep, out: Out, artifact_id: str, body: Annotated[Any, json_body(AnyArtifact)]
) -> JSONResponse:
    entity_id = parse_id(artifact_id, "artifact")
    stored_type = store.get(ARTIFACT, entity_id).artifact_type
    if stored_type != body.artifact_type:
        raise BadRequest(f"artifact {entity_id} is a {stored_type}, not a {body.artifact_type}")
    fields = fields_of(body, "name", "experiment_id", "experiment_run_id")
    return out.one(store.update(ARTIFACT, entity_id, fields))


def find_artifact(
    store: StoreDep,
    out: Out,
    name: Name = None,
    external_id: ExternalId = None,
    parent_resource_id: ParentId = None,
) -> JSONResponse:
    parent_id = optional_id(parent_resource_id, "parentResourceId")
    return out.one(store.find(ARTIFACT, name=name, external_id=external_id, parent_id=parent_id))


def not_served(request: Request, rest: str) -> JSONResponse:
    """Serving environments, inference services and experiments are not part of the workshop."""
    raise ApiError(
        501,
        f"{request.url.path} is not served by this local registry: it keeps registered "
        "models, model versions and artifacts only",
    )


Endpoint = Callable[..., JSONResponse]
ROUTES: list[tuple[str, str, Endpoint]] = [
    ("GET", "/artifact", find_artifact),
    ("GET", "/artifacts", list_artifacts),
    ("POST", "/artifacts", create_artifact),
    ("GET", "/artifacts/{artifact_id}", get_artifact),
    ("PATCH", "/artifacts/{artifact_id}", update_artifact),
    ("GET", "/model_artifact", find_model_artifact),
    ("GET", "/model_artifacts", list_model_artifacts),
    ("POST", "/model_artifacts", create_model_artifact),
    ("GET", "/model_artifacts/{artifact_id}", get_model_artifact),
    ("PATCH", "/model_artifacts/{artifact_id}", update_model_artifact),
    ("GET", "/model_version", find_model_version),
    ("GET", "/model_versions", list_model_versions),
    ("POST", "/model_versions", create_model_version),
    ("GET", "/model_versions/{version_id}", get_model_version),
    ("PATCH", "/model_versions/{version_id}", update_model_version),
    ("GET", "/model_versions/{version_id}/artifacts", list_model_version_artifacts),
    ("POST", "/model_versions/{version_id}/artifacts", upsert_model_version_artifact),
    ("GET", "/registered_model", find_registered_model),
    ("GET", "/registered_models", list_registered_models),
    ("POST", "/registered_models", create_registered_model),
    ("GET", "/registered_models/{model_id}", get_registered_model),
    ("PATCH", "/registered_models/{model_id}", update_registered_model),
    ("GET", "/registered_models/{model_id}/versions", list_registered_model_versions),
    ("POST", "/registered_models/{model_id}/versions", create_registered_model_version),
]


def api_router(api_version: str) -> APIRouter:
    """Every endpoint of one API version."""
    router = APIRouter(prefix=PREFIXES[api_version])
    for method, path, endpoint in ROUTES:
        router.add_api_route(path, endpoint, methods=[method])
    for resource in NOT_SERVED:
        router.add_api_route(
            f"/{resource}{{rest:path}}", not_served, methods=["GET", "POST", "PATCH"]
        )
    return router
