"""The REST API over raw HTTP: both prefixes, every resource, and the error contract."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

PREFIXES = ["/api/model_registry/v1alpha3", "/api/model_registry/v1"]
# The `code` of an error body is Go's http.StatusText; a missing required field is a 422 whose
# code says "Bad Request", as the real server answers.
CODES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Bad Request",
    501: "Not Implemented",
}

ALL_VALUE_TYPES = {
    "accuracy": {"metadataType": "MetadataDoubleValue", "double_value": 0.98},
    "epochs": {"metadataType": "MetadataIntValue", "int_value": "5"},
    "framework": {"metadataType": "MetadataStringValue", "string_value": "keras"},
    "quantized": {"metadataType": "MetadataBoolValue", "bool_value": True},
    "layout": {"metadataType": "MetadataStructValue", "struct_value": "eyJhIjogMX0="},
}


@pytest.fixture(params=PREFIXES, ids=["v1alpha3", "v1"])
def api(request: pytest.FixtureRequest) -> str:
    return request.param


def created(response: httpx.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message"} and body["message"]
    assert body["code"] == CODES[status]
    return body["message"]


def make_version(http: httpx.Client, api: str, name: str) -> tuple[dict, dict]:
    model = created(http.post(f"{api}/registered_models", json={"name": name, "owner": "ada"}))
    version = created(
        http.post(
            f"{api}/model_versions",
            json={
                "name": "1",
                "registeredModelId": model["id"],
                "customProperties": ALL_VALUE_TYPES,
            },
        )
    )
    return model, version


def test_full_flow(http: httpx.Client, api: str, unique: str) -> None:
    model, version = make_version(http, api, unique)
    assert model["state"] == "LIVE" and model["customProperties"] == {}
    assert version["customProperties"] == ALL_VALUE_TYPES
    assert version["registeredModelId"] == model["id"]
    for key in ("createTimeSinceEpoch", "lastUpdateTimeSinceEpoch"):
        assert version[key].isdigit()

    artifact_body = {
        "name": unique,
        "artifactType": "model-artifact",
        "modelFormatName": "onnx",
        "modelFormatVersion": "1",
        "storageKey": "models",
        "storagePath": f"{unique}/1",
        "uri": f"s3://models/{unique}/1",
        "state": "UNKNOWN",
        "serviceAccountName": "sa",
        "modelSourceKind": "notebook",
        "modelSourceName": "train.ipynb",
    }
    artifact = created(
        http.post(f"{api}/model_versions/{version['id']}/artifacts", json=artifact_body)
    )
    assert {key: artifact[key] for key in artifact_body} == artifact_body

    assert http.get(f"{api}/registered_models/{model['id']}").json() == model
    assert http.get(f"{api}/model_versions/{version['id']}").json() == version
    assert http.get(f"{api}/model_artifacts/{artifact['id']}").json() == artifact
    assert http.get(f"{api}/artifacts/{artifact['id']}").json() == artifact

    found = http.get(f"{api}/registered_model", params={"name": unique})
    assert found.json() == model
    params = {"name": "1", "parentResourceId": model["id"]}
    assert http.get(f"{api}/model_version", params=params).json() == version
    params = {"name": unique, "parentResourceId": version["id"]}
    assert http.get(f"{api}/model_artifact", params=params).json() == artifact
    assert http.get(f"{api}/artifact", params=params).json() == artifact

    versions = http.get(f"{api}/registered_models/{model['id']}/versions").json()
    # No pageSize: every item, and pageSize 0 in the answer.
    assert versions == {"items": [version], "nextPageToken": "", "pageSize": 0, "size": 1}
    artifacts = http.get(f"{api}/model_versions/{version['id']}/artifacts").json()
    assert artifacts["items"] == [artifact]


def test_patch_semantics(http: httpx.Client, api: str, unique: str) -> None:
    _, version = make_version(http, api, unique)
    url = f"{api}/model_versions/{version['id']}"

    kept = http.patch(url, json={"description": "tuned"}).json()
    assert kept["customProperties"] == ALL_VALUE_TYPES and kept["description"] == "tuned"
    assert kept["name"] == "1" and kept["createTimeSinceEpoch"] == version["createTimeSinceEpoch"]

    replaced = http.patch(
        url, json={"customProperties": {"f1": ALL_VALUE_TYPES["accuracy"]}}
    ).json()
    assert replaced["customProperties"] == {"f1": ALL_VALUE_TYPES["accuracy"]}
    assert replaced["description"] == "tuned"

    cleared = http.patch(url, json={"customProperties": {}, "state": "ARCHIVED"}).json()
    assert cleared["customProperties"] == {} and cleared["state"] == "ARCHIVED"
    assert http.get(url).json() == cleared


def test_nested_version_create_and_model_fields(http: httpx.Client, api: str, unique: str) -> None:
    fields = {
        "name": unique,
        "externalId": f"ext-{unique}",
        "description": "d",
        "readme": "# Jukebox",
        "maturity": "Tech preview",
        "language": ["en"],
        "tasks": ["ranking"],
        "provider": "workshop",
        "logo": "https://example.com/logo.png",
        "license": "apache-2.0",
        "licenseLink": "https://www.apache.org/licenses/LICENSE-2.0",
        "libraryName": "keras",
    }
    model = created(http.post(f"{api}/registered_models", json=fields))
    assert {key: model[key] for key in fields} == fields
    found = http.get(f"{api}/registered_model", params={"externalId": f"ext-{unique}"})
    assert found.json()["id"] == model["id"]

    # The body is a whole ModelVersion: registeredModelId is required there too.
    url = f"{api}/registered_models/{model['id']}/versions"
    body = {"name": "v1", "author": "bo", "registeredModelId": model["id"]}
    version = created(http.post(url, json=body))
    assert version["registeredModelId"] == model["id"] and version["author"] == "bo"
    assert "registeredModelId" in error(http.post(url, json={"name": "v2"}), 422)
    mismatch = {"name": "v2", "registeredModelId": str(int(model["id"]) + 1000)}
    error(http.post(url, json=mismatch), 400)
    error(http.post(url, json={**body, "name": "v3", "id": version["id"]}), 400)


def test_other_artifact_types(http: httpx.Client, api: str, unique: str) -> None:
    _, version = make_version(http, api, unique)
    bodies = [
        {"artifactType": "doc-artifact", "name": "readme", "uri": "https://example.com/r.md"},
        {
            "artifactType": "dataset-artifact",
            "name": "songs",
            "uri": "s3://data/songs.parquet",
            "digest": "sha256:abc",
            "sourceType": "s3",
            "source": "s3://data",
            "schema": "{}",
            "profile": "p",
        },
        {
            "artifactType": "metric",
            "name": "loss",
            "value": 0.25,
            "timestamp": "1700000000000",
            "step": 3,
        },
        {"artifactType": "parameter", "name": "lr", "value": "0.001", "parameterType": "number"},
    ]
    for body in bodies:
        response = http.post(f"{api}/model_versions/{version['id']}/artifacts", json=body)
        # As upstream: 201 when a model or doc artifact is created here, 200 for the others.
        assert response.status_code == (201 if body["artifactType"] == "doc-artifact" else 200)
        artifact = response.json()
        expected = dict(body)
        if body["artifactType"] == "metric" and api.endswith("/v1"):
            expected["step"] = "3"  # a string in v1, an integer in v1alpha3
        assert {key: artifact[key] for key in body} == expected

    listed = http.get(
        f"{api}/model_versions/{version['id']}/artifacts", params={"artifactType": "metric"}
    )
    assert [a["name"] for a in listed.json()["items"]] == ["loss"]
    # /model_artifacts shows model artifacts only.
    doc_id = http.get(
        f"{api}/artifact", params={"name": "readme", "parentResourceId": version["id"]}
    ).json()["id"]
    error(http.get(f"{api}/model_artifacts/{doc_id}"), 404)

    standalone = created(
        http.post(f"{api}/artifacts", json={"artifactType": "doc-artifact", "uri": "u"})
    )
    assert standalone["name"]  # generated when absent
    patched = http.patch(
        f"{api}/artifacts/{standalone['id']}", json={"artifactType": "doc-artifact", "uri": "v"}
    )
    assert patched.json()["uri"] == "v"
    error(
        http.patch(
            f"{api}/artifacts/{standalone['id']}", json={"artifactType": "metric", "value": 1}
        ),
        400,
    )

    # Upserting an existing artifact by id attaches it to the version (200, not 201).
    attach = {"id": standalone["id"], "artifactType": "doc-artifact", "description": "attached"}
    attached = http.post(f"{api}/model_versions/{version['id']}/artifacts", json=attach)
    assert attached.status_code == 200 and attached.json()["description"] == "attached"
    names = [
        a["name"]
        for a in http.get(f"{api}/model_versions/{version['id']}/artifacts").json()["items"]
    ]
    assert standalone["name"] in names


def test_paging_tokens(http: httpx.Client, api: str, unique: str) -> None:
    model = created(http.post(f"{api}/registered_models", json={"name": unique}))
    url = f"{api}/registered_models/{model['id']}/versions"
    for i in range(5):
        created(http.post(url, json={"name": f"v{i}", "registeredModelId": model["id"]}))

    for order in ("ID", "CREATE_TIME", "LAST_UPDATE_TIME"):
        for sort in ("ASC", "DESC"):
            names, token = [], None
            while True:
                params = {"pageSize": "2", "orderBy": order, "sortOrder": sort}
                if token:
                    params["nextPageToken"] = token
                page = http.get(url, params=params).json()
                assert page["pageSize"] == 2 and page["size"] == len(page["items"]) <= 2
                names += [item["name"] for item in page["items"]]
                token = page["nextPageToken"]
                if not token:
                    break
            expected = [f"v{i}" for i in range(5)]
            assert names == (expected if sort == "ASC" else expected[::-1])

    first = http.get(url, params={"pageSize": "2"}).json()
    again = http.get(url, params={"pageSize": "2", "nextPageToken": ""}).json()
    assert again == first  # an empty token means the first page

    assert "nextPageToken" in error(http.get(url, params={"nextPageToken": "not-a-token"}), 400)
    other_order = {
        "pageSize": "2",
        "orderBy": "CREATE_TIME",
        "nextPageToken": first["nextPageToken"],
    }
    error(http.get(url, params=other_order), 400)
    for bad in ({"pageSize": "ten"}, {"pageSize": "2147483648"}, {"pageSize": "1.5"}):
        assert "pageSize" in error(http.get(url, params=bad), 400)


def test_paging_defaults_as_upstream(http: httpx.Client, api: str, unique: str) -> None:
    model = created(http.post(f"{api}/registered_models", json={"name": unique}))
    url = f"{api}/registered_models/{model['id']}/versions"
    for i in range(3):
        created(http.post(url, json={"name": f"v{i}", "registeredModelId": model["id"]}))
    everything = [f"v{i}" for i in range(3)]

    # pageSize 0 or less means all items; the answer echoes the pageSize asked for.
    for size in ("0", "-5"):
        page = http.get(url, params={"pageSize": size}).json()
        assert [v["name"] for v in page["items"]] == everything
        assert (page["pageSize"], page["size"], page["nextPageToken"]) == (int(size), 3, "")
    # An unknown orderBy sorts by ID, an unknown sortOrder is ascending.
    page = http.get(url, params={"orderBy": "NAME", "sortOrder": "UP"}).json()
    assert [v["name"] for v in page["items"]] == everything
    page = http.get(url, params={"orderBy": "id", "sortOrder": "DESC"}).json()
    assert [v["name"] for v in page["items"]] == everything[::-1]


@pytest.mark.parametrize("value", [10**30, -(10**30), 2**63])
def test_forged_page_token_is_a_bad_request(http: httpx.Client, api: str, value: int) -> None:
    forged = json.dumps(["ID", "ASC", value, value]).encode()
    token = base64.urlsafe_b64encode(forged).decode().rstrip("=")
    response = http.get(
        f"{api}/registered_models", params={"pageSize": "1", "nextPageToken": token}
    )
    assert "nextPageToken" in error(response, 400)


def test_errors(http: httpx.Client, api: str, unique: str) -> None:
    model, version = make_version(http, api, unique)

    # 409: duplicate names, in their scope.
    assert "already exists" in error(
        http.post(f"{api}/registered_models", json={"name": unique}), 409
    )
    duplicate = {"name": "1", "registeredModelId": model["id"]}
    error(http.post(f"{api}/model_versions", json=duplicate), 409)
    artifact = {"artifactType": "model-artifact", "name": "a", "uri": "s3://x"}
    created(http.post(f"{api}/model_versions/{version['id']}/artifacts", json=artifact))
    error(http.post(f"{api}/model_versions/{version['id']}/artifacts", json=artifact), 409)
    other = created(http.post(f"{api}/registered_models", json={"name": f"{unique}-other"}))
    other_version = {"name": "1", "registeredModelId": other["id"]}
    other_version = created(http.post(f"{api}/model_versions", json=other_version))
    artifact["name"] = f"{unique}-a"
    for version_id in (version["id"], other_version["id"]):  # same name, other version: fine
        created(http.post(f"{api}/model_versions/{version_id}/artifacts", json=artifact))

    # 404: missing entities, finds that match nothing.
    error(http.get(f"{api}/registered_models/999999999"), 404)
    error(http.get(f"{api}/model_versions/999999999"), 404)
    error(http.get(f"{api}/model_artifacts/999999999"), 404)
    error(http.get(f"{api}/model_artifacts/-1"), 404)  # a valid int32, as upstream
    error(http.get(f"{api}/registered_model", params={"name": f"{unique}-missing"}), 404)
    params = {"name": "nope", "parentResourceId": model["id"]}
    assert "no model versions found" in error(http.get(f"{api}/model_version", params=params), 404)
    error(http.patch(f"{api}/model_versions/999999999", json={"description": "x"}), 404)
    orphan = {"name": "x", "registeredModelId": "999999999"}
    error(http.post(f"{api}/model_versions", json=orphan), 404)

    # As upstream, a parent that does not exist has no children (not a 404).
    for url in (
        f"{api}/registered_models/999999999/versions",
        f"{api}/model_versions/999999999/artifacts",
    ):
        assert http.get(url).json() == {"items": [], "nextPageToken": "", "pageSize": 0, "size": 0}

    # 400: finds need (name and parentResourceId) or externalId below registered models.
    for path in ("model_version", "model_artifact", "artifact"):
        message = error(http.get(f"{api}/{path}", params={"name": "1"}), 400)
        assert "parentResourceId" in message
    error(http.get(f"{api}/registered_model"), 400)  # neither name nor externalId

    # 400: bad ids, bad values, malformed JSON.
    for url in (
        f"{api}/registered_models/abc",
        f"{api}/model_versions/1.5",
        f"{api}/model_artifacts/2147483648",  # beyond int32
    ):
        assert "invalid" in error(http.get(url), 400)
    error(http.get(f"{api}/model_version", params={"name": "1", "parentResourceId": "x"}), 400)
    error(http.post(f"{api}/model_versions", json={"name": "y", "registeredModelId": "abc"}), 400)
    malformed = http.post(
        f"{api}/registered_models",
        content=b'{"name": ',
        headers={"content-type": "application/json"},
    )
    assert "JSON" in error(malformed, 400)
    error(http.patch(f"{api}/model_versions/{version['id']}", json={"state": "DELETED"}), 400)
    bad_int = {"customProperties": {"n": {"metadataType": "MetadataIntValue", "int_value": "five"}}}
    error(http.patch(f"{api}/model_versions/{version['id']}", json=bad_int), 400)
    assert "artifactType" in error(http.post(f"{api}/artifacts", json={"name": "z"}), 400)
    no_type = {"customProperties": {"n": {"int_value": "5"}}}
    assert "metadataType" in error(
        http.patch(f"{api}/model_versions/{version['id']}", json=no_type), 400
    )
    error(http.get(f"{api}/artifacts", params={"artifactType": "model"}), 400)

    # 422: a required field is absent or empty.
    for body in ({"owner": "ada"}, {"name": ""}):
        message = error(http.post(f"{api}/registered_models", json=body), 422)
        assert message == "required field 'name' is zero value."
    assert "registeredModelId" in error(http.post(f"{api}/model_versions", json={"name": "z"}), 422)

    # Unknown paths and methods, and the parts of the API this registry leaves out.
    error(http.get(f"{api}/no_such_thing"), 404)
    error(http.delete(f"{api}/registered_models/{model['id']}"), 405)
    assert "not served" in error(http.get(f"{api}/serving_environments"), 501)
    error(http.post(f"{api}/inference_services", json={}), 501)


def test_external_ids_are_unique(http: httpx.Client, api: str, unique: str) -> None:
    created(http.post(f"{api}/registered_models", json={"name": unique, "externalId": unique}))
    clash = {"name": f"{unique}-2", "externalId": unique}
    assert "externalId" in error(http.post(f"{api}/registered_models", json=clash), 409)


def test_health_and_page_open(http: httpx.Client) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}
    assert http.get("/").headers["content-type"].startswith("text/html")
