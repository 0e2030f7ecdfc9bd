"""filterQuery, with the cases of upstream's own tests (kubeflow/model-registry:
internal/db/filter/parser_test.go, internal/core/registered_model_test.go and
model_version_test.go, TestGet...WithFilterQuery): same data, same queries, same answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.registry_process import RegistryProcess

from jukebox_workshop.local.registry_server import filtering
from jukebox_workshop.local.registry_server.errors import BadRequest

from .test_http import PREFIXES, created, error


def string(value: str) -> dict:
    return {"metadataType": "MetadataStringValue", "string_value": value}


def double(value: float) -> dict:
    return {"metadataType": "MetadataDoubleValue", "double_value": value}


def integer(value: int) -> dict:
    return {"metadataType": "MetadataIntValue", "int_value": str(value)}


def boolean(value: bool) -> dict:
    return {"metadataType": "MetadataBoolValue", "bool_value": value}


REGISTERED_MODELS = [
    {
        "name": "pytorch-model-v1",
        "description": "PyTorch model for image classification",
        "externalId": "ext-pytorch-001",
        "state": "LIVE",
        "customProperties": {
            "framework": string("pytorch"),
            "accuracy": double(0.95),
            "version": integer(1),
        },
    },
    {
        "name": "tensorflow-model-v2",
        "description": "TensorFlow model for NLP",
        "externalId": "ext-tf-002",
        "state": "ARCHIVED",
        "customProperties": {
            "framework": string("tensorflow"),
            "accuracy": double(0.87),
            "version": integer(2),
        },
    },
    {
        "name": "pytorch-model-v2",
        "description": "PyTorch model for object detection",
        "externalId": "ext-pytorch-003",
        "customProperties": {
            "framework": string("pytorch"),
            "accuracy": double(0.92),
            "version": integer(2),
        },
    },
    {
        "name": "sklearn-model",
        "description": "Scikit-learn model for regression",
        "externalId": "ext-sklearn-004",
        "customProperties": {"framework": string("sklearn"), "accuracy": double(0.89)},
    },
]
MODEL_VERSIONS = [
    {
        "name": "v1.0.0",
        "description": "Initial release version",
        "externalId": "ext-v1-001",
        "author": "alice",
        "state": "LIVE",
        "customProperties": {
            "stage": string("production"),
            "accuracy": double(0.95),
            "batch_size": integer(32),
        },
    },
    {
        "name": "v2.0.0",
        "description": "Major update with improvements",
        "externalId": "ext-v2-002",
        "author": "bob",
        "state": "ARCHIVED",
        "customProperties": {
            "stage": string("staging"),
            "accuracy": double(0.87),
            "batch_size": integer(64),
        },
    },
    {
        "name": "v1.1.0",
        "description": "Minor update with bug fixes",
        "externalId": "ext-v1-1-003",
        "author": "alice",
        "customProperties": {
            "stage": string("production"),
            "accuracy": double(0.96),
            "batch_size": integer(32),
            "experimental": boolean(True),
        },
    },
    {
        "name": "v3.0.0-beta",
        "description": "Beta version for testing",
        "externalId": "ext-v3-beta-004",
        "author": "charlie",
        "customProperties": {"stage": string("development"), "accuracy": double(0.92)},
    },
]


@pytest.fixture(scope="module")
def filtered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str]]:
    """A registry of its own holding upstream's test data; yields a client and the model id."""
    server = RegistryProcess(tmp_path_factory.mktemp("filter") / "registry.db").start()
    api = PREFIXES[0]
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for model in REGISTERED_MODELS:
            created(http.post(f"{api}/registered_models", json=model))
        parent = created(http.post(f"{api}/registered_models", json={"name": "versions"}))
        for version in MODEL_VERSIONS:
            body = {**version, "registeredModelId": parent["id"]}
            created(http.post(f"{api}/model_versions", json=body))
        yield http, parent["id"]
    server.kill()


@pytest.fixture(params=PREFIXES, ids=["v1alpha3", "v1"])
def api(request: pytest.FixtureRequest) -> str:
    return request.param


def names(http: httpx.Client, url: str, query: str, **params: str) -> list[str]:
    response = http.get(url, params={"filterQuery": query, **params})
    assert response.status_code == 200, response.text
    return sorted(item["name"] for item in response.json()["items"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name = 'pytorch-model-v1'", ["pytorch-model-v1"]),
        ("name LIKE 'pytorch-%'", ["pytorch-model-v1", "pytorch-model-v2"]),
        ("description LIKE '%NLP%'", ["tensorflow-model-v2"]),
        ("externalId = 'ext-pytorch-001'", ["pytorch-model-v1"]),
        ("state = 'ARCHIVED'", ["tensorflow-model-v2"]),
        ("framework = 'pytorch'", ["pytorch-model-v1", "pytorch-model-v2"]),
        ("accuracy > 0.9", ["pytorch-model-v1", "pytorch-model-v2"]),
        ("version = 2", ["pytorch-model-v2", "tensorflow-model-v2"]),
        ("framework = 'pytorch' AND accuracy > 0.93", ["pytorch-model-v1"]),
        (
            "framework = 'tensorflow' OR framework = 'sklearn'",
            ["sklearn-model", "tensorflow-model-v2"],
        ),
        (
            "(framework = 'pytorch' OR framework = 'tensorflow') AND accuracy < 0.9",
            ["tensorflow-model-v2"],
        ),
        ("name ILIKE '%PYTORCH%'", ["pytorch-model-v1", "pytorch-model-v2"]),
        (
            "framework != 'sklearn'",
            ["pytorch-model-v1", "pytorch-model-v2", "tensorflow-model-v2"],
        ),
        ("framework = 'nonexistent'", []),
    ],
)
def test_registered_models(
    filtered: tuple[httpx.Client, str], api: str, query: str, expected: list[str]
) -> None:
    http, _ = filtered
    assert names(http, f"{api}/registered_models", query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name = 'v1.0.0'", ["v1.0.0"]),
        ("state = 'ARCHIVED'", ["v2.0.0"]),
        ("stage = 'production'", ["v1.0.0", "v1.1.0"]),
        ("name='v1.0.0' AND state='LIVE'", ["v1.0.0"]),
        ("accuracy > 0.94", ["v1.0.0", "v1.1.0"]),
        ("batch_size = 32", ["v1.0.0", "v1.1.0"]),
        ("experimental = true", ["v1.1.0"]),
        ("stage = 'production' AND accuracy > 0.95", ["v1.1.0"]),
        ("author = 'alice' OR author = 'charlie'", ["v1.0.0", "v1.1.0", "v3.0.0-beta"]),
        ("(stage = 'production' OR stage = 'staging') AND accuracy < 0.95", ["v2.0.0"]),
        ("name ILIKE '%BETA%'", ["v3.0.0-beta"]),
        ("stage != 'development'", ["v1.0.0", "v1.1.0", "v2.0.0"]),
        ("name LIKE '%-beta'", ["v3.0.0-beta"]),
        ("stage = 'nonexistent'", []),
    ],
)
def test_model_versions(
    filtered: tuple[httpx.Client, str], api: str, query: str, expected: list[str]
) -> None:
    http, parent = filtered
    assert names(http, f"{api}/registered_models/{parent}/versions", query) == expected
    assert names(http, f"{api}/model_versions", query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Typed access: a suffix picks the value type, so an integer no longer matches doubles.
        ("accuracy.double_value > 0.95", ["v1.1.0"]),
        ("batch_size.int_value >= 64", ["v2.0.0"]),
        ("batch_size.double_value = 32", []),
        ("stage.string_value = 'staging'", ["v2.0.0"]),
        ("experimental.bool_value = TRUE", ["v1.1.0"]),
        # An integer literal matches integer and double values; a decimal only doubles.
        ("accuracy < 1", ["v1.0.0", "v1.1.0", "v2.0.0", "v3.0.0-beta"]),
        ("batch_size = 32.0", []),
        # A quoted number is a string: it does not match a number.
        ("batch_size = '32'", []),
        ("author IN ('bob', 'charlie')", ["v2.0.0", "v3.0.0-beta"]),
        ("batch_size IN (64)", ["v2.0.0"]),
        ("stage IN ()", []),
        ("author <> 'alice'", ["v2.0.0", "v3.0.0-beta"]),
        ('author = "bob" -- a comment', ["v2.0.0"]),
        ("author = 'bob' or author = 'alice' and stage = 'staging'", ["v2.0.0"]),
        ("`stage` = 'staging'", ["v2.0.0"]),
        ("description LIKE '%update%'", ["v1.1.0", "v2.0.0"]),
        ("missing = 'x' OR missing != 'x'", []),
    ],
)
def test_typed_values_and_operators(
    filtered: tuple[httpx.Client, str], query: str, expected: list[str]
) -> None:
    http, parent = filtered
    url = f"{PREFIXES[0]}/registered_models/{parent}/versions"
    assert names(http, url, query) == expected


def test_own_fields_by_id_and_time(filtered: tuple[httpx.Client, str]) -> None:
    http, parent = filtered
    url = f"{PREFIXES[1]}/model_versions"
    versions = http.get(url, params={"orderBy": "ID"}).json()["items"]
    first, second = versions[0], versions[1]
    assert names(http, url, f"id = {first['id']}") == [first["name"]]
    assert names(http, url, f"id IN ({first['id']}, {second['id']})") == sorted(
        [first["name"], second["name"]]
    )
    assert names(http, url, f"id = '{first['id']}'") == [first["name"]]  # coerced, as MySQL
    created_at = first["createTimeSinceEpoch"]
    assert first["name"] in names(http, url, f"createTimeSinceEpoch <= {created_at}")
    assert len(names(http, url, f"registeredModelId = {parent}")) == len(MODEL_VERSIONS)


def test_filter_with_paging_and_name(filtered: tuple[httpx.Client, str]) -> None:
    http, parent = filtered
    url = f"{PREFIXES[0]}/registered_models"
    params = {"filterQuery": "framework = 'pytorch'", "pageSize": "1"}
    first = http.get(url, params=params).json()
    assert first["size"] == 1 and first["nextPageToken"]
    second = http.get(url, params={**params, "nextPageToken": first["nextPageToken"]}).json()
    assert second["size"] == 1 and second["items"][0]["id"] != first["items"][0]["id"]
    assert second["nextPageToken"] == ""
    # The name parameter of nested lists narrows a filterQuery, as upstream.
    versions = f"{PREFIXES[0]}/registered_models/{parent}/versions"
    assert names(http, versions, "stage = 'production'", name="v1.1.0") == ["v1.1.0"]


def test_artifacts_by_type(http: httpx.Client, unique: str) -> None:
    api = PREFIXES[1]
    model = created(http.post(f"{api}/registered_models", json={"name": unique}))
    body = {"name": "1", "registeredModelId": model["id"]}
    version = created(http.post(f"{api}/model_versions", json=body))
    url = f"{api}/model_versions/{version['id']}/artifacts"
    uri = f"s3://models/{unique}"
    for artifact in (
        {
            "artifactType": "model-artifact",
            "name": unique,
            "uri": uri,
            "modelFormatName": "onnx",
        },
        {"artifactType": "metric", "name": "loss", "value": 0.25, "step": 3},
        {"artifactType": "metric", "name": "accuracy", "value": 0.9, "step": 3},
    ):
        http.post(url, json=artifact).raise_for_status()
    assert names(http, url, "modelFormatName = 'onnx'") == [unique]
    # With artifactType=metric, value is the metric's own value.
    assert names(http, url, "value > 0.5", artifactType="metric") == ["accuracy"]
    assert names(http, url, "step = 3 AND name LIKE 'l%'", artifactType="metric") == ["loss"]
    query = f"uri = '{uri}' AND modelFormatName = 'onnx'"
    assert names(http, f"{api}/model_artifacts", query) == [unique]


@pytest.mark.parametrize(
    "query",
    [
        "name = ",
        'name "test"',
        '(name = "test"',
        'name === "test"',
        "invalid <<< syntax",
        "name = 'x' AND",
        "name = ('a', 'b')",
        "name = 99999999999999999999",
        "accuracy > 1e999",
        "name = 'x' extra",
        "name = #",
    ],
)
def test_syntax_errors_are_bad_requests(http: httpx.Client, query: str) -> None:
    response = http.get(f"{PREFIXES[1]}/registered_models", params={"filterQuery": query})
    assert "invalid filter query syntax" in error(response, 400)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('name = "test"', "name = test"),
        ("accuracy > 0.95", "accuracy > 0.95"),
        ("enabled = true", "enabled = True"),
        ('status != "inactive"', "status != inactive"),
        ('name ILIKE "%Test%"', "name ILIKE %Test%"),
        ("version >= 1.0", "version >= 1.0"),
        ('name = "test" AND version > 1.0', "(name = test AND version > 1.0)"),
        (
            'status = "active" OR status = "pending" OR status = "reviewing"',
            "((status = active OR status = pending) OR status = reviewing)",
        ),
        (
            'name = "test" AND (version > 1.0 OR version < 0.5)',
            "(name = test AND (version > 1.0 OR version < 0.5))",
        ),
        ("budget.double_value > 12000", "budget[double_value] > 12000"),
        ('`mlflow.source.type` = "notebook"', "mlflow.source.type = notebook"),
        ("`custom-metric` > 0.8", "custom-metric > 0.8"),
        ("mlflow.source.type = 'x'", "mlflow.source.type = x"),
        ("id IN (200, 201)", "id IN [200, 201]"),
        ('name in ("model-a", "model-b")', "name IN ['model-a', 'model-b']"),
        (r"name = 'it\'s'", "name = it's"),
        ("n = -5 and m = +2.5e3", "(n = -5 AND m = 2500.0)"),
    ],
)
def test_parser(query: str, expected: str) -> None:
    def show(node: filtering.Expression) -> str:
        if isinstance(node, filtering.Logical):
            return f"({show(node.left)} {node.operator} {show(node.right)})"
        name = f"{node.name}[{node.value_type}]" if node.value_type else node.name
        return f"{name} {node.operator} {node.value}"

    tree = filtering.parse(query)
    assert tree is not None and show(tree) == expected


def test_blank_query_is_no_filter() -> None:
    assert filtering.parse("  ") is None
    with pytest.raises(BadRequest):
        filtering.parse("-- only a comment")


def test_stored_fields_are_read_by_type(tmp_path: Path) -> None:
    document = '{"a": {"metadataType": "MetadataIntValue", "int_value": "7"}, "d": NaN}'
    read = filtering.property_value
    assert read(document, "a", filtering.INT, filtering.CUSTOM) == 7
    assert read(document, "a", filtering.DOUBLE, filtering.CUSTOM) is None
    assert read(document, "d", filtering.DOUBLE, filtering.PLAIN) is None  # NaN: no value
    assert read("not json", "a", filtering.STRING, filtering.PLAIN) is None
    assert read('{"t": "1700000000000"}', "t", filtering.INT, filtering.DECLARED) == 1700000000000
