"""Deploying from the registry, as KServe does: the registry names the files, S3 holds them,
the server names the version it serves, and a new version replaces the old one without a gap."""

from __future__ import annotations

import json
import threading
from itertools import groupby

import httpx
import numpy as np
import onnxruntime as ort
import psutil
import pytest
import yaml
from support import kserve
from support.model_versions import (
    SONG,
    Served,
    forest_model,
    onnx_model,
    registry,
    songs_near,
    upload_and_register,
    v2_request,
)

from jukebox_workshop import cli
from jukebox_workshop.clients import s3_client
from jukebox_workshop.columns import FEATURES
from jukebox_workshop.local import lifecycle
from jukebox_workshop.local.deploy import DeployError, deploy, version_to_deploy
from jukebox_workshop.local.services import model_server
from jukebox_workshop.settings import state_dir

pytestmark = [pytest.mark.platform, pytest.mark.slow]


def local_answer(onnx: bytes, songs: list[dict]) -> np.ndarray:
    session = ort.InferenceSession(onnx, providers=["CPUExecutionProvider"])
    feeds = {
        name: np.array([[song[name]] for song in songs], dtype=np.float32) for name in FEATURES
    }
    return session.run(None, feeds)[0]


def served_answer(served: Served, songs: list[dict]) -> tuple[str, np.ndarray]:
    response = httpx.post(f"{served.model_url}/infer", json=v2_request(songs), timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    (output,) = body["outputs"]
    assert output["name"] == "country_probabilities" and output["datatype"] == "FP32"
    return body["model_version"], np.array(output["data"]).reshape(output["shape"])


def server_pid() -> int:
    (status,) = [service for service in lifecycle.status() if service.name == "model-server"]
    assert status.pid is not None
    return status.pid


def test_deploy_serves_the_registered_version_from_s3(serving: Served) -> None:
    first = serving.versions[0]
    deployment = deploy(serving.model_name, first, report=None)
    assert (deployment.version, deployment.url) == (first, serving.url)
    assert deployment.source.startswith(f"s3://models/{serving.model_name}/{first}?endpoint=")

    metadata = httpx.get(serving.model_url).json()
    assert metadata["name"] == serving.model_name and metadata["versions"] == [first]
    assert [item["name"] for item in metadata["inputs"]] == list(FEATURES)
    assert all(
        item["datatype"] == "FP32" and item["shape"] == [-1, 1] for item in metadata["inputs"]
    )
    assert metadata["outputs"] == [
        {"name": "country_probabilities", "datatype": "FP32", "shape": [-1, 72]}
    ]
    assert httpx.get(f"{serving.model_url}/ready").status_code == 200

    # The files the server loaded are the ones in S3, downloaded into its own folder.
    served_file = (
        model_server.folder(state_dir()) / "artifacts" / serving.model_name / first / "1/model.onnx"
    )
    assert served_file.read_bytes() == serving.onnx[first]

    songs = [SONG, {**SONG, "tempo": 90.0, "energy": 0.2}, {**SONG, "is_explicit": 1}]
    version, probabilities = served_answer(serving, songs)
    assert version == first and probabilities.shape == (3, 72)
    assert np.abs(probabilities - local_answer(serving.onnx[first], songs)).max() <= 1e-6


def test_deploying_the_served_version_again_changes_nothing(serving: Served) -> None:
    first = serving.versions[0]
    deploy(serving.model_name, first, report=None)
    pid = server_pid()
    said: list[str] = []
    deploy(serving.model_name, first, report=said.append)
    assert said == [
        f"Version {first} of '{serving.model_name}' is already served at {serving.url}."
    ]
    assert server_pid() == pid


def test_a_new_version_replaces_the_served_one_without_a_gap(serving: Served) -> None:
    first, second = serving.versions
    deploy(serving.model_name, first, report=None)
    answers: list[tuple[int, str | None, int]] = []
    stop = threading.Event()

    def ask() -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                infer = client.post(f"{serving.model_url}/infer", json=v2_request([SONG]))
                ready = client.get(f"{serving.model_url}/ready")
                answers.append(
                    (infer.status_code, infer.json().get("model_version"), ready.status_code)
                )

    asking = threading.Thread(target=ask)
    asking.start()
    try:
        deploy(serving.model_name, second, report=None)
        after = len(answers)
    finally:
        stop.set()
        asking.join()

    assert answers and all(infer == 200 and ready == 200 for infer, _, ready in answers)
    # The first version answers until the second one does; after that only the second.
    assert [version for version, _ in groupby(version for _, version, _ in answers)] in (
        [first, second],
        [second],
    )
    assert all(version == second for _, version, _ in answers[after:])
    assert httpx.get(serving.model_url).json()["versions"] == [second]
    version, probabilities = served_answer(serving, [SONG])
    assert version == second
    assert np.abs(probabilities - local_answer(serving.onnx[second], [SONG])).max() <= 1e-6

    # An older version can be deployed again; the files of the one replaced are removed.
    deploy(serving.model_name, first, report=None)
    assert served_answer(serving, [SONG])[0] == first
    artifacts = model_server.folder(state_dir()) / "artifacts" / serving.model_name
    assert [path.name for path in artifacts.iterdir()] == [first]


def test_a_forest_is_served_as_scikit_learn_answers(serving: Served) -> None:
    """Notebook 3 may keep its random forest: compiled to ONNX's standard operators, the model
    server loads it like a network and answers with the forest's own probabilities."""
    model, version = f"{serving.model_name}-forest", "20260105-000000"
    forest, onnx_file = forest_model(seed=7)
    upload_and_register(serving.environment, model, version, seed=7, onnx_file=onnx_file)
    deploy(model, version, report=None)
    try:
        songs = songs_near(SONG, 20, seed=8)
        response = httpx.post(
            f"{serving.url}/v2/models/{model}/infer",
            json=v2_request(songs.to_dict("records")),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        (output,) = response.json()["outputs"]
        served = np.array(output["data"]).reshape(output["shape"])
        expected = np.zeros((len(songs), 72))
        expected[:, forest.classes_] = forest.predict_proba(songs)
        assert np.abs(served - expected).max() < 1e-6
    finally:
        deploy(serving.model_name, serving.versions[0], report=None)


def test_the_version_to_deploy_is_deploy_version_else_the_newest(serving: Served) -> None:
    first, second = serving.versions
    client = registry(serving.environment)
    assert version_to_deploy(client, serving.model_name) == second  # registered last
    model = client.get_registered_model(serving.model_name)
    model.custom_properties = {"deploy_version": first}
    client.update(model)
    try:
        assert version_to_deploy(client, serving.model_name) == first
        assert deploy(serving.model_name, report=None).version == first
    finally:
        model = client.get_registered_model(serving.model_name)
        model.custom_properties = {}
        client.update(model)


def test_what_cannot_be_deployed_says_why_and_leaves_the_served_version(serving: Served) -> None:
    first = serving.versions[0]
    deploy(serving.model_name, first, report=None)
    with pytest.raises(
        DeployError, match=f"No version 1999 of '{serving.model_name}' in the Model Registry"
    ):
        deploy(serving.model_name, "1999", report=None)
    with pytest.raises(DeployError, match="No model 'nobody' in the Model Registry"):
        deploy("nobody", "1", report=None)

    # An object changed in the bucket after it was uploaded: its SHA-256 no longer matches.
    damaged = "20260103-000000"
    upload_and_register(serving.environment, serving.model_name, damaged, seed=3)
    s3 = s3_client(serving.environment)
    key = f"{serving.model_name}/{damaged}/1/model.onnx"
    stored = s3.head_object(Bucket="models", Key=key)["Metadata"]
    s3.put_object(Bucket="models", Key=key, Body=onnx_model(seed=4), Metadata=stored)
    with pytest.raises(DeployError, match="does not match the SHA-256 stored with it"):
        deploy(serving.model_name, damaged, report=None)

    # A file that is not an ONNX model; through all of this the old version stays.
    broken = "20260104-000000"
    upload_and_register(serving.environment, serving.model_name, broken, seed=5)
    body = b"not an onnx model"
    s3.put_object(
        Bucket="models",
        Key=f"{serving.model_name}/{broken}/1/model.onnx",
        Body=body,
        Metadata={},
    )
    with pytest.raises(DeployError, match="is not a model ONNX Runtime can load"):
        deploy(serving.model_name, broken, report=None)

    assert served_answer(serving, [SONG])[0] == first
    folder = model_server.folder(state_dir())
    settings_file = folder / "models" / serving.model_name / "model-settings.json"
    assert json.loads(settings_file.read_text())["versions"] == [first]
    artifacts = folder / "artifacts" / serving.model_name
    assert [path.name for path in artifacts.iterdir()] == [first]  # nothing left of the failures
    assert psutil.pid_exists(server_pid())


def test_the_manifest_for_a_cluster_deploys_what_the_registry_recorded(serving, capsys):
    first = serving.versions[0]
    assert cli.main(["deploy", "--manifest", "--model", serving.model_name, first]) == 0
    service = yaml.safe_load(capsys.readouterr().out)
    kserve.validator("inferenceservice-v1beta1").validate(service)
    assert service["metadata"]["name"] == serving.model_name
    assert service["spec"]["predictor"]["model"]["storage"] == {
        "key": "models",
        "path": f"{serving.model_name}/{first}/",
    }
    client = registry(serving.environment)
    labels = service["metadata"]["labels"]
    assert labels["modelregistry.opendatahub.io/model-version-id"] == (
        client.get_model_version(serving.model_name, first).id
    )

    # No version given: the one to deploy, as `jukebox deploy` chooses it.
    assert cli.main(["deploy", "--manifest", "--model", serving.model_name]) == 0
    service = yaml.safe_load(capsys.readouterr().out)
    chosen = version_to_deploy(client, serving.model_name)
    assert service["spec"]["predictor"]["model"]["storage"]["path"].endswith(f"/{chosen}/")

    assert cli.main(["deploy", "--manifest", "--model", serving.model_name, "1999"]) == 1
    assert f"No version 1999 of '{serving.model_name}'" in capsys.readouterr().err
