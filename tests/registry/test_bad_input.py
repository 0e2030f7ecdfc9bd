"""Bodies the real server refuses are refused here too, with 400 and nothing stored.

Upstream (kubeflow/model-registry, internal/server/openapi/api_model_registry_service.go)
decodes registered model, model version and model artifact bodies with Go's json decoder and
`DisallowUnknownFields`: wrong JSON types, unknown fields and NaN (not JSON) are 400. Custom
integers are stored as int32 (400 beyond). The update schemas have no `name` or ids.
"""

from __future__ import annotations

import httpx
import pytest

from .test_http import PREFIXES, created, error

V1ALPHA3 = PREFIXES[0]


@pytest.fixture(params=PREFIXES, ids=["v1alpha3", "v1"])
def api(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def version(http: httpx.Client, api: str, unique: str) -> dict:
    model = created(http.post(f"{api}/registered_models", json={"name": unique}))
    body = {"name": "1", "registeredModelId": model["id"]}
    return created(http.post(f"{api}/model_versions", json=body))


def raw_post(http: httpx.Client, url: str, text: str) -> httpx.Response:
    return http.post(url, content=text.encode(), headers={"content-type": "application/json"})


def double(value: str) -> str:
    return f'{{"metadataType": "MetadataDoubleValue", "double_value": {value}}}'


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused(
    http: httpx.Client, api: str, version: dict, number: str
) -> None:
    versions_url = f"{api}/registered_models/{version['registeredModelId']}/versions"
    before = http.get(versions_url).json()
    body = (
        f'{{"name": "nan", "registeredModelId": "{version["registeredModelId"]}", '
        f'"customProperties": {{"accuracy": {double(number)}}}}}'
    )
    error(raw_post(http, f"{api}/model_versions", body), 400)
    patch = f'{{"customProperties": {{"accuracy": {double(number)}}}}}'
    error(
        http.patch(
            f"{api}/model_versions/{version['id']}",
            content=patch.encode(),
            headers={"content-type": "application/json"},
        ),
        400,
    )
    metric = f'{{"artifactType": "metric", "name": "loss", "value": {number}}}'
    error(raw_post(http, f"{api}/model_versions/{version['id']}/artifacts", metric), 400)
    # Nothing was stored: the version is unchanged and has no sibling and no artifact.
    assert http.get(versions_url).json() == before
    assert http.get(f"{api}/model_versions/{version['id']}").json() == version
    assert http.get(f"{api}/model_versions/{version['id']}/artifacts").json()["items"] == []


def test_unknown_fields_are_refused(http: httpx.Client, api: str, version: dict) -> None:
    model_id = version["registeredModelId"]
    writes = [
        ("POST", "registered_models", {"name": "x", "colour": "red"}),
        ("PATCH", f"registered_models/{model_id}", {"colour": "red"}),
        ("POST", "model_versions", {"name": "x", "registeredModelId": model_id, "stage": "p"}),
        ("PATCH", f"model_versions/{version['id']}", {"stage": "p"}),
        ("POST", f"registered_models/{model_id}/versions", {"name": "x", "stage": "p"}),
        ("POST", "model_artifacts", {"uri": "s3://b/k", "format": "onnx"}),
        # JSON names only: the Python spelling of a field is an unknown field.
        ("PATCH", f"model_versions/{version['id']}", {"custom_properties": {}}),
    ]
    for method, path, body in writes:
        message = error(http.request(method, f"{api}/{path}", json=body), 400)
        assert message.startswith("unknown field"), message


def test_artifact_bodies_and_values_ignore_unknown_fields(
    http: httpx.Client, api: str, version: dict
) -> None:
    """Upstream decodes these one-of types with a plain json.Unmarshal, which drops unknown
    fields (pkg/openapi/model_artifact.go, model_metadata_value.go)."""
    value = {"metadataType": "MetadataStringValue", "string_value": "a", "note": "x"}
    body = {"artifactType": "doc-artifact", "uri": "u", "colour": "red"}
    doc = created(http.post(f"{api}/artifacts", json={**body, "customProperties": {"k": value}}))
    assert "colour" not in doc
    assert doc["customProperties"] == {
        "k": {"metadataType": "MetadataStringValue", "string_value": "a"}
    }
    patched = http.patch(f"{api}/artifacts/{doc['id']}", json={**body, "name": "renamed"})
    assert patched.status_code == 200 and patched.json()["name"] == doc["name"]


def test_custom_integers_are_int32(http: httpx.Client, api: str, version: dict) -> None:
    url = f"{api}/model_versions/{version['id']}"

    def set_int(text: str) -> httpx.Response:
        value = {"metadataType": "MetadataIntValue", "int_value": text}
        return http.patch(url, json={"customProperties": {"n": value}})

    for too_big in ("2147483648", "-2147483649", "99999999999999999999"):
        assert "int_value" in error(set_int(too_big), 400)
    for text, stored in (("2147483647", "2147483647"), ("-2147483648", "-2147483648"), ("+5", "5")):
        response = set_int(text)
        assert response.status_code == 200
        assert response.json()["customProperties"]["n"]["int_value"] == stored


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"metadataType": "MetadataBoolValue", "bool_value": "true"}, "bool_value"),
        ({"metadataType": "MetadataBoolValue", "bool_value": 1}, "bool_value"),
        ({"metadataType": "MetadataDoubleValue", "double_value": "0.5"}, "double_value"),
        ({"metadataType": "MetadataIntValue", "int_value": 5}, "int_value"),
        ({"metadataType": "MetadataStringValue", "string_value": 5}, "string_value"),
        ({"metadataType": "MetadataStructValue", "struct_value": "not base64"}, "struct_value"),
        ({"metadataType": "MetadataStructValue", "struct_value": "WzFd"}, "struct_value"),  # [1]
        # In the spec, but upstream's converter has no case for it: "metadataType not found".
        (
            {"metadataType": "MetadataProtoValue", "type": "t", "proto_value": "CgJoaQ=="},
            "metadataType",
        ),
        ({"metadataType": "MetadataTextValue", "text_value": "x"}, ":"),
    ],
)
def test_wrong_value_types_are_refused(
    http: httpx.Client, api: str, version: dict, value: dict, field: str
) -> None:
    url = f"{api}/model_versions/{version['id']}"
    message = error(http.patch(url, json={"customProperties": {"p": value}}), 400)
    assert f"customProperties.p{field if field == ':' else '.' + field}" in message
    assert http.get(url).json()["customProperties"] == {}


def test_wrong_field_types_are_refused(http: httpx.Client, api: str, version: dict) -> None:
    model_id = version["registeredModelId"]
    for body in ({"name": 5}, {"name": "x", "language": "en"}, {"name": "x", "state": "live"}):
        error(http.post(f"{api}/registered_models", json=body), 400)
    for body in ({"description": 1}, {"author": None, "state": True}):
        error(http.patch(f"{api}/model_versions/{version['id']}", json=body), 400)
    error(http.post(f"{api}/model_versions", json={"name": "x", "registeredModelId": 1}), 400)
    metric = {"artifactType": "metric", "name": "m", "value": "0.5"}
    error(http.post(f"{api}/model_versions/{version['id']}/artifacts", json=metric), 400)
    for text in ("[]", '"name"', "", "{"):
        error(raw_post(http, f"{api}/registered_models/{model_id}/versions", text), 400)


def test_names_and_ids_cannot_be_patched(http: httpx.Client, api: str, version: dict) -> None:
    model_id = version["registeredModelId"]
    artifact = created(http.post(f"{api}/model_artifacts", json={"uri": "s3://b/k"}))
    for url in (
        f"{api}/registered_models/{model_id}",
        f"{api}/model_versions/{version['id']}",
        f"{api}/model_artifacts/{artifact['id']}",
    ):
        before = http.get(url).json()
        for body in (
            {"name": "renamed"},
            {"id": "1"},
            {"registeredModelId": model_id},
            {"createTimeSinceEpoch": "1"},
        ):
            assert "unknown field" in error(http.patch(url, json=body), 400)
        assert http.get(url).json() == before


def test_null_means_not_given(http: httpx.Client, api: str, version: dict) -> None:
    url = f"{api}/model_versions/{version['id']}"
    http.patch(url, json={"description": "kept", "author": "ada"})
    patched = http.patch(url, json={"description": None, "customProperties": None}).json()
    assert (patched["description"], patched["author"]) == ("kept", "ada")
