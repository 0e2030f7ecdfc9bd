"""Small real model versions for the serving tests: an ONNX file the tests write, uploaded to
the platform's S3 server and registered in its Model Registry, as notebooks 5 and 6 do.

The model has the workshop's interface (one FP32 input of shape [n, 1] per feature, one
output `country_probabilities` of shape [n, 72]) and random weights from a seed, so that two
versions give different answers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import onnx
import pandas as pd
from model_registry import ModelRegistry
from onnx import TensorProto, helper, numpy_helper
from sklearn.ensemble import RandomForestClassifier

from jukebox_workshop.clients import registry_client, s3_client
from jukebox_workshop.columns import FEATURES
from jukebox_workshop.dataset.schema import COUNTRY_CODES
from jukebox_workshop.forest_onnx import forest_to_onnx

OUTPUT = "country_probabilities"
SONG = {
    "is_explicit": 0,
    "duration_ms": 200_000,
    "danceability": 0.70,
    "energy": 0.65,
    "key": 5,
    "loudness": -6.0,
    "mode": 1,
    "speechiness": 0.05,
    "acousticness": 0.20,
    "instrumentalness": 0.0,
    "liveness": 0.12,
    "valence": 0.55,
    "tempo": 120.0,
}
SCALE = {name: max(abs(float(value)), 1.0) for name, value in SONG.items()}


@dataclass(frozen=True)
class Served:
    """A platform with the model server, and the versions registered in it (oldest first)."""

    environment: dict[str, str]
    model_name: str
    onnx: dict[str, bytes]  # the ONNX file of each version

    @property
    def versions(self) -> list[str]:
        return list(self.onnx)

    @property
    def url(self) -> str:
        return self.environment["MODEL_SERVER_URL"]

    @property
    def model_url(self) -> str:
        return f"{self.url}/v2/models/{self.model_name}"


def onnx_model(seed: int) -> bytes:
    """Scale each feature, then one dense layer and a softmax over the 72 countries."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(len(FEATURES), len(COUNTRY_CODES))).astype(np.float32)
    scale = np.array([1 / SCALE[name] for name in FEATURES], dtype=np.float32)
    nodes = [
        helper.make_node("Concat", list(FEATURES), ["features"], axis=1),
        helper.make_node("Mul", ["features", "scale"], ["scaled"]),
        helper.make_node("MatMul", ["scaled", "weights"], ["logits"]),
        helper.make_node("Softmax", ["logits"], [OUTPUT], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "jukebox-test",
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["n", 1]) for name in FEATURES],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["n", len(COUNTRY_CODES)])],
        [numpy_helper.from_array(scale, "scale"), numpy_helper.from_array(weights, "weights")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def songs_near(song: dict[str, float], count: int, seed: int) -> pd.DataFrame:
    """`count` songs around `song`, each feature moved by up to its own scale."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {name: song[name] + rng.uniform(-1, 1, count) * SCALE[name] for name in FEATURES}
    ).astype("float32")


def forest_model(seed: int) -> tuple[RandomForestClassifier, bytes]:
    """A small random forest fitted on songs around SONG, and its ONNX file as notebook 3
    exports a forest (standard operators only)."""
    songs = songs_near(SONG, 2_000, seed)
    labels = ((songs["tempo"] - SONG["tempo"]) / SCALE["tempo"] * 36 + 36).astype(int) % 72
    forest = RandomForestClassifier(n_estimators=10, min_samples_leaf=5, random_state=seed)
    forest.fit(songs, labels)
    model = forest_to_onnx(forest, list(FEATURES), n_classes=len(COUNTRY_CODES))
    return forest, model.SerializeToString()


def registry(environment: dict[str, str]) -> ModelRegistry:
    return registry_client(environment["MODEL_REGISTRY_URL"], author="test", quiet=True)


def upload_and_register(
    environment: dict[str, str],
    model_name: str,
    version: str,
    seed: int,
    onnx_file: bytes | None = None,
) -> bytes:
    """Store the version's files under `<model>/<version>/` with their SHA-256, register it;
    return the ONNX file's bytes (`onnx_file`, else `onnx_model(seed)`)."""
    s3 = s3_client(environment)
    bucket, prefix = environment["AWS_S3_BUCKET"], f"{model_name}/{version}"
    files = {
        "1/model.onnx": onnx_file or onnx_model(seed),
        "preprocessing.json": json.dumps(
            {"features": list(FEATURES), "countries": list(COUNTRY_CODES)}
        ).encode(),
    }
    for name, body in files.items():
        s3.put_object(
            Bucket=bucket,
            Key=f"{prefix}/{name}",
            Body=body,
            Metadata={"sha256": hashlib.sha256(body).hexdigest()},
        )
    uri = (
        f"s3://{bucket}/{prefix}?endpoint={environment['AWS_S3_ENDPOINT']}"
        f"&defaultRegion={environment['AWS_DEFAULT_REGION']}"
    )
    registry(environment).register_model(
        model_name,
        uri,
        version=version,
        model_format_name="onnx",
        model_format_version="1",
        storage_key="models",
        storage_path=prefix,
    )
    return files["1/model.onnx"]


def v2_request(songs: list[dict[str, float]]) -> dict:
    """One FP32 input of shape [n, 1] per feature."""
    return {
        "inputs": [
            {
                "name": name,
                "datatype": "FP32",
                "shape": [len(songs), 1],
                "data": [float(song[name]) for song in songs],
            }
            for name in FEATURES
        ]
    }
