"""Request bodies of the Model Registry REST API, decoded as the real (Go) server decodes them.

Field names follow the OpenAPI specs (camelCase on the wire) and JSON types are strict: a
string is not a number, `"true"` is not a boolean, NaN and Infinity are not numbers.
Registered models, model versions and `/model_artifacts` bodies refuse unknown fields, as the
Go server's decoder does (`DisallowUnknownFields`). The generic artifact bodies (`artifactType`
picks the schema) and custom property values ignore unknown fields: upstream decodes those
one-of types with a plain `json.Unmarshal`, which drops them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
INTEGER = re.compile(r"[+-]?[0-9]+")  # what Go's strconv.ParseInt reads in base 10

NonEmpty = Annotated[str, Field(min_length=1)]
Int64String = Annotated[str, Field(pattern=r"^[+-]?[0-9]+$")]
ModelState = Literal["LIVE", "ARCHIVED"]
ArtifactState = Literal[
    "UNKNOWN", "PENDING", "LIVE", "MARKED_FOR_DELETION", "DELETED", "ABANDONED", "REFERENCE"
]
ARTIFACT_TYPES = ("model-artifact", "doc-artifact", "dataset-artifact", "metric", "parameter")
ArtifactType = Literal["model-artifact", "doc-artifact", "dataset-artifact", "metric", "parameter"]


def int_in(value: str, bounds: tuple[int, int], what: str) -> int:
    number = int(value)
    if not bounds[0] <= number <= bounds[1]:
        raise ValueError(f"{what} {value} is out of range ({bounds[0]} to {bounds[1]})")
    return number


# Custom property values. Their JSON keys are snake_case in the spec, hence no aliases.
class Value(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False)


class MetadataIntValue(Value):
    metadataType: Literal["MetadataIntValue"]
    int_value: Int64String

    @field_validator("int_value")
    @classmethod
    def _int32(cls, value: str) -> str:
        # Upstream stores custom integers as int32.
        return str(int_in(value, INT32, "int_value"))


class MetadataDoubleValue(Value):
    metadataType: Literal["MetadataDoubleValue"]
    double_value: float


class MetadataStringValue(Value):
    metadataType: Literal["MetadataStringValue"]
    string_value: str


class MetadataBoolValue(Value):
    metadataType: Literal["MetadataBoolValue"]
    bool_value: bool


class MetadataStructValue(Value):
    metadataType: Literal["MetadataStructValue"]
    struct_value: str  # base64 of a JSON object

    @field_validator("struct_value")
    @classmethod
    def _json_object(cls, value: str) -> str:
        try:
            decoded = json.loads(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            raise ValueError("struct_value must be the base64 of a JSON object") from None
        if not isinstance(decoded, dict):
            raise ValueError("struct_value must be the base64 of a JSON object")
        return value


class MetadataProtoValue(Value):
    metadataType: Literal["MetadataProtoValue"]
    type: str
    proto_value: str

    @field_validator("metadataType")
    @classmethod
    def _not_stored(cls, value: str) -> str:
        raise ValueError("MetadataProtoValue is in the spec but the server does not store it")


MetadataValue = Annotated[
    MetadataIntValue
    | MetadataDoubleValue
    | MetadataStringValue
    | MetadataBoolValue
    | MetadataStructValue
    | MetadataProtoValue,
    Field(discriminator="metadataType"),
]
CustomProperties = dict[str, MetadataValue]


class Strict(BaseModel):
    """A body whose unknown fields are refused (400), as upstream's structs."""

    model_config = ConfigDict(
        alias_generator=to_camel, strict=True, extra="forbid", allow_inf_nan=False
    )


class Lax(Strict):
    """A member of an artifact one-of body: unknown fields are ignored, as upstream."""

    model_config = ConfigDict(extra="ignore")


# Registered models


class RegisteredModelUpdate(Strict):
    custom_properties: CustomProperties | None = None
    description: str | None = None
    external_id: str | None = None
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


# Model versions


class ModelVersionUpdate(Strict):
    custom_properties: CustomProperties | None = None
    description: str | None = None
    external_id: str | None = None
    state: ModelState | None = None
    author: str | None = None


class ModelVersionCreate(ModelVersionUpdate):
    name: NonEmpty
    registered_model_id: NonEmpty


class ModelVersion(ModelVersionCreate):
    """The body of POST /registered_models/{id}/versions: the full schema, read-only fields too."""

    id: str | None = None
    create_time_since_epoch: str | None = None
    last_update_time_since_epoch: str | None = None


# Model artifacts (/model_artifacts: refuses unknown fields)


class ModelArtifactUpdate(Strict):
    artifact_type: Literal["model-artifact"] = "model-artifact"
    custom_properties: CustomProperties | None = None
    description: str | None = None
    external_id: str | None = None
    state: ArtifactState | None = None
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


class ModelArtifactCreate(ModelArtifactUpdate):
    name: str | None = None


# Artifacts of any type (/artifacts and /model_versions/{id}/artifacts): one-of by artifactType.
# One schema per type serves create, update and upsert: `name` is only used on create, `id` only
# on upsert (attach an existing artifact to a version); what an endpoint does not use is ignored.


class ArtifactFields(Lax):
    id: str | None = None
    name: str | None = None
    custom_properties: CustomProperties | None = None
    description: str | None = None
    external_id: str | None = None
    state: ArtifactState | None = None
    experiment_id: str | None = None
    experiment_run_id: str | None = None


class ModelArtifactBody(ArtifactFields, ModelArtifactUpdate):
    model_config = ConfigDict(extra="ignore")


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
    timestamp: Int64String | None = None
    # An integer in v1alpha3 and a string in v1: both are accepted on both prefixes.
    step: int | Int64String | None = None

    @field_validator("step")
    @classmethod
    def _int64(cls, value: int | str | None) -> int | None:
        return None if value is None else int_in(str(value), INT64, "step")


class ParameterBody(ArtifactFields):
    artifact_type: Literal["parameter"]
    value: str | None = None
    parameter_type: Literal["string", "number", "boolean", "object"] | None = None


AnyArtifact = Annotated[
    ModelArtifactBody | DocArtifactBody | DataSetBody | MetricBody | ParameterBody,
    Field(discriminator="artifact_type"),
]
