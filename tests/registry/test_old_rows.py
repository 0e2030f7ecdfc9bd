"""Rows an older version of this server stored keep reading: a NaN or infinite number (which it
accepted and wrote into the database as a bare `NaN`) must not make every read answer 500."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import httpx
from support.registry_process import RegistryProcess, connect

from .test_http import PREFIXES

API = PREFIXES[0]


def store_like_the_old_server(
    server: RegistryProcess, table: str, column: str, row_id: str, value: dict
) -> None:
    """Write a JSON column as the older server did: Python's json, which writes NaN bare."""
    with sqlite3.connect(server.database) as db:
        db.execute(
            f"UPDATE {table} SET {column} = ? WHERE id = ?", (json.dumps(value), int(row_id))
        )


def test_non_finite_numbers_stored_earlier_read_back(
    start_registry: Callable[..., RegistryProcess],
) -> None:
    server = start_registry()
    client = connect(server.url)
    client.register_model(
        "old", "s3://models/old/1", version="1", model_format_name="onnx", model_format_version="1"
    )
    http = httpx.Client(base_url=server.url, timeout=10)
    model = http.get(f"{API}/registered_model", params={"name": "old"}).json()
    version = http.get(
        f"{API}/model_version", params={"name": "1", "parentResourceId": model["id"]}
    ).json()
    metric = {"artifactType": "metric", "name": "loss", "value": 0.5}
    metric = http.post(f"{API}/model_versions/{version['id']}/artifacts", json=metric).json()
    properties = {
        "accuracy": {"metadataType": "MetadataDoubleValue", "double_value": float("nan")},
        "loss": {"metadataType": "MetadataDoubleValue", "double_value": float("-inf")},
        "epochs": {"metadataType": "MetadataIntValue", "int_value": "5"},
    }
    store_like_the_old_server(
        server, "model_versions", "custom_properties", version["id"], properties
    )
    store_like_the_old_server(
        server, "artifacts", "attributes", metric["id"], {"value": float("inf")}
    )

    for prefix in PREFIXES:
        read = http.get(f"{prefix}/model_versions/{version['id']}")
        assert read.status_code == 200, read.text
        assert read.json()["customProperties"] == {
            "accuracy": {"metadataType": "MetadataStringValue", "string_value": "NaN"},
            "loss": {"metadataType": "MetadataStringValue", "string_value": "-Infinity"},
            "epochs": {"metadataType": "MetadataIntValue", "int_value": "5"},
        }
        for url in (
            f"{prefix}/model_versions",
            f"{prefix}/registered_models/{model['id']}/versions",
            f"{prefix}/model_versions/{version['id']}/artifacts",
            f"{prefix}/artifacts?artifactType=metric",
        ):
            assert http.get(url).status_code == 200, url
        assert "value" not in http.get(f"{prefix}/artifacts/{metric['id']}").json()
        # Filters skip the unreadable value and still read the others.
        found = http.get(f"{prefix}/model_versions", params={"filterQuery": "accuracy > 0"})
        assert found.json()["items"] == []
        found = http.get(f"{prefix}/model_versions", params={"filterQuery": "epochs = 5"})
        assert [item["id"] for item in found.json()["items"]] == [version["id"]]

    # The real client reads it, its pager too, and so does the page.
    assert client.get_model_version("old", "1").custom_properties["accuracy"] == "NaN"
    assert [v.name for v in client.get_model_versions("old")] == ["1"]
    assert http.get("/").status_code == 200
    http.close()


def test_a_version_with_a_nan_metric_is_not_half_registered(
    start_registry: Callable[..., RegistryProcess],
) -> None:
    """register_model with a NaN metric fails at the version, with a 400 that names the
    problem: no version is left without its artifact, and a retry with a number works. The
    registered model itself stays (the client creates it first), as with the real server."""
    server = start_registry()
    client = connect(server.url)

    def register(accuracy: float) -> None:
        client.register_model(
            "diverged",
            "s3://models/diverged/1",
            version="1",
            model_format_name="onnx",
            model_format_version="1",
            metadata={"accuracy": accuracy, "epochs": 3},
        )

    try:
        register(float("nan"))
    except Exception as exc:  # the client's own exception types vary between releases
        assert "400" in str(exc) and "NaN" in str(exc), exc
    else:
        raise AssertionError("a NaN metric was accepted")
    assert client.get_registered_model("diverged") is not None
    assert client.get_model_version("diverged", "1") is None
    register(0.5)
    assert client.get_model_version("diverged", "1").custom_properties["accuracy"] == 0.5
    assert client.get_model_artifact("diverged", "1").uri == "s3://models/diverged/1"
