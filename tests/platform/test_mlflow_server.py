"""The MLflow tracking server of the local platform: runs in its SQLite file, artifacts in S3."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from mlflow import MlflowClient
from support.local_platform import jukebox

from jukebox_workshop.clients import s3_client
from jukebox_workshop.local import lifecycle
from jukebox_workshop.local.services import mlflow as mlflow_service
from jukebox_workshop.settings import state_dir

pytestmark = [pytest.mark.platform, pytest.mark.slow]


def test_runs_and_artifacts_survive_a_restart(isolated: dict[str, str]) -> None:
    assert lifecycle.start() == ["s3", "registry", "mlflow"]
    environment = lifecycle.environment()
    uri = environment["MLFLOW_TRACKING_URI"]
    assert uri == f"http://127.0.0.1:{isolated['JUKEBOX_MLFLOW_PORT']}"
    assert httpx.get(f"{uri}/health").text == "OK"

    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment(f"test-{uuid.uuid4().hex}")
    run = client.create_run(experiment).info.run_id
    for epoch, value in enumerate([0.20, 0.25, 0.28], start=1):
        client.log_metric(run, "epoch_val_top5_accuracy", value, step=epoch)
    client.log_dict(run, {"epochs": 3}, "history.json")
    client.set_terminated(run)

    # The server proxies artifacts into its own bucket: the notebook needs no S3 keys for them.
    keys = [
        item["Key"]
        for item in s3_client(environment).list_objects_v2(Bucket=mlflow_service.BUCKET)["Contents"]
    ]
    assert f"{experiment}/{run}/artifacts/history.json" in keys
    assert (state_dir() / mlflow_service.DATABASE).is_file()

    status = jukebox("status").stdout
    assert "MLflow server" in status and f"MLflow {isolated['JUKEBOX_MLFLOW_PORT']}" in status
    assert f"export MLFLOW_TRACKING_URI={uri}" in jukebox("env").stdout

    assert sorted(lifecycle.stop()) == ["mlflow", "registry", "s3"]
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{uri}/health")

    lifecycle.start()
    history = MlflowClient(tracking_uri=uri).get_metric_history(run, "epoch_val_top5_accuracy")
    assert [(m.step, m.value) for m in history] == [(1, 0.20), (2, 0.25), (3, 0.28)]
    artifact = MlflowClient(tracking_uri=uri).download_artifacts(run, "history.json")
    assert json.loads(Path(artifact).read_text()) == {"epochs": 3}


def test_up_mlflow_starts_the_s3_server_it_needs(isolated: dict[str, str]) -> None:
    result = jukebox("up", "mlflow")
    assert result.returncode == 0, result.stderr
    assert {s.name for s in lifecycle.status() if s.running} == {"s3", "mlflow"}
    buckets = {b["Name"] for b in s3_client(lifecycle.environment()).list_buckets()["Buckets"]}
    assert mlflow_service.BUCKET in buckets
