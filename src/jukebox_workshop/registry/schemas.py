"""Request bodies of the Model Registry REST API, as pydantic models.

Field names follow the OpenAPI specs (camelCase on the wire). Unknown fields are ignored, so
read-only fields a client echoes back (`id`, `createTimeSinceEpoch`, ...) do no harm.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

NonEmpty = Annotated[str, Field(min_length=1)]


class ModelState(StrEnum):
    """State of a registered model or a model version."""

    LIVE = "LIVE"
    ARCHIVED = "ARCHIVED"


class ArtifactState(StrEnum):
    UNKNOWN = "UNKNOWN"
    PENDING = "PENDING"
    LIVE = "LIVE"
    MARKED_FOR_DELETION = "MARKED_FOR_DELETION"
    DELETED = "DELETED"
    ABANDONED = "ABANDONED"
    REFERENCE = "REFERENCE"


class OrderBy(StrEnum):
    ID = "ID"
    CREATE_TIME = "CREATE_TIME"
    LAST_UPDATE_TIME = "LAST_UPDATE_TIME"


class SortOrder(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


class ArtifactType(StrEnum):
    MODEL = "model-artifact"
    DOC = "doc-artifact"
    DATASET = "dataset-artifact"
    METRIC = "metric"
    PARAMETER = "parameter"


# Custom property values. The JSON keys are snake_case in the spec, so no alias generator here.
class MetadataIntValue(BaseModel):
    metadataType: Literal["MetadataIntValue"]
    int_value: Annotated[str, Field(pattern=r"^-?[0-9]+$")]

    @field_validator("int_value")
    @classmethod
    def _canonical(cls, value: str) -> str:
        return str(int(value))


class MetadataDoubleValue(BaseModel):
    metadataType: Literal["MetadataDoubleValue"]
    double_value: float


class MetadataStringValue(BaseModel):
    metadataType: Literal["MetadataStringValue"]
    string_value: str


class MetadataBoolValue(BaseModel):
    metadataType: Literal["MetadataBoolValue"]
    bool_value: bool


class MetadataStructValue(BaseModel):
    metadataType: Literal["MetadataStructValue"]
    struct_value: str  # base64-encoded bytes


class MetadataProtoValue(BaseModel):
    metadataType: Literal["MetadataProtoValue"]
    type: str
    proto_value: str  # base64-encoded bytes


MetadataValue = Annotated[
    MetadataIntValue
    | MetadataDoubleValue
    | MetadataStringValue
    | MetadataBoolValue
    | MetadataStructValue
    | MetadataProtoValue,
    Field(discriminator="metadataType"),
]


class Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class ResourceUpdate(Body):
    custom_properties: dict[str, MetadataValue] | None = None
    description: str | None = None
    external_id: str | None = None


class RegisteredModelUpdate(ResourceUpdate):
    owner: str | None = None
    state: ModelState | None = None
    readme: str | None = None
    maturity: str | None = None
    language: list[str] | None = None
    tasks: list[str] | None = None
    provider: str | None = None
    logo: str | None = None
    license: str | None = None
    license_link: str | None = None
    library_name: str | None = None


class RegisteredModelCreate(RegisteredModelUpdate):
    name: NonEmpty


class ModelVersionUpdate(ResourceUpdate):
    state: ModelState | None = None
    author: str | None = None


class NestedModelVersionCreate(ModelVersionUpdate):
    """A version posted under /registered_models/{id}/versions: the path names the model."""

    name: NonEmpty
    registered_model_id: str | None = None


class ModelVersionCreate(ModelVersionUpdate):
    name: NonEmpty
    registered_model_id: NonEmpty


class ArtifactFields(ResourceUpdate):
    # The spec uses one schema per artifact type for create, update and upsert: `name` only
    # matters on create, `id` only on upsert (an existing artifact to attach to a version).
    id: str | None = None
    name: NonEmpty | None = None
    state: ArtifactState | None = None
    experiment_id: str | None = None
    experiment_run_id: str | None = None


class ModelArtifactBody(ArtifactFields):
    artifact_type: Literal["model-artifact"] = "model-artifact"
    uri: str | None = None
    model_format_name: str | None = None
    model_format_version: str | None = None
    storage_key: str | None = None
    storage_path: str | None = None
    service_account_name: str | None = None
    model_source_kind: str | None = None
    model_source_class: str | None = None
    model_source_group: str | None = None
    model_source_id: str | None = None
    model_source_name: str | None = None


class DocArtifactBody(ArtifactFields):
    artifact_type: Literal["doc-artifact"]
    uri: str | None = None


class DataSetBody(ArtifactFields):
    artifact_type: Literal["dataset-artifact"]
    uri: str | None = None
    digest: str | None = None
    source_type: str | None = None
    source: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    profile: str | None = None


class MetricBody(ArtifactFields):
    artifact_type: Literal["metric"]
    value: float | None = None
    timestamp: Annotated[str, Field(pattern=r"^-?[0-9]+$")] | None = None
    # An integer in v1alpha3 and a string in v1: accept both, store an int.
    step: int | None = None


class ParameterBody(ArtifactFields):
    artifact_type: Literal["parameter"]
    value: str | None = None
    parameter_type: Literal["string", "number", "boolean", "object"] | None = None


# Generic artifact bodies: the artifactType field picks the schema (a discriminated union).
AnyArtifact = Annotated[
    ModelArtifactBody | DocArtifactBody | DataSetBody | MetricBody | ParameterBody,
    Field(discriminator="artifact_type"),
]
