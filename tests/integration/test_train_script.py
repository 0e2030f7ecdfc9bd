"""jukebox/train.py run as a Kubeflow Trainer job runs it: a command in a process of its own,
with the arguments of cluster/trainjob.yaml, on splits notebook 2 prepared; from a folder, and
from and to S3 with the data connection's keys (the worker's local platform)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import joblib
import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest
import yaml
from sklearn.metrics import top_k_accuracy_score

from jukebox_workshop import training
from jukebox_workshop.clients import s3_client
from jukebox_workshop.cluster import manifests, trainjob
from jukebox_workshop.preparation import prepared_workspace
from jukebox_workshop.runs import Run, Workspace
from jukebox_workshop.settings import NOTEBOOK_DIR

pytestmark = pytest.mark.slow
SCRIPT = NOTEBOOK_DIR / "train.py"
EPOCHS = 3


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Workspace:
    """A workspace with notebook 2's splits of the shipped data (read it, do not change it)."""
    return prepared_workspace(tmp_path_factory.mktemp("prepared-workspace"))


def job_arguments(workspace: str) -> list[str]:
    """The committed TrainJob's arguments, with another workspace and few epochs."""
    job = yaml.safe_load((manifests.CLUSTER_DIR / manifests.TRAINJOB_FILE).read_text())
    arguments = list(job["spec"]["trainer"]["args"])
    arguments[arguments.index("--workspace") + 1] = workspace
    arguments[arguments.index("--epochs") + 1] = str(EPOCHS)
    return arguments


def train_py(*arguments: str, environment: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, **(environment or {})},
        timeout=600,
    )


def test_the_script_trains_from_a_folder_as_the_job_would(prepared, tmp_path):
    workspace = Workspace(tmp_path / "output")
    workspace.root.mkdir()
    workspace.prepared_dir.symlink_to(prepared.prepared_dir.resolve())
    result = train_py(*job_arguments(str(workspace.root)))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "epoch   1: loss " in result.stdout, "a progress line per epoch"
    run = workspace.run()
    record = run.training()
    assert record["parameters"] == training.used({**training.DEFAULTS, "epochs": EPOCHS})
    assert record["parameters"]["algorithm"] == "network" and "trees" not in record["parameters"]
    assert record["epochs_run"] <= EPOCHS
    assert run.onnx_file.stat().st_size > 10_000 and run.keras_file.is_file()
    assert run.preprocessing() == prepared.preprocessing()
    assert f"val_top5_accuracy={record['validation']['top5_accuracy']:.6f}" in result.stdout
    assert f"Model version {run.version} written to {run.folder}/" in result.stdout


def test_a_forest_is_exported_to_onnx_that_answers_as_scikit_learn(prepared, tmp_path):
    """In standard operators only, which OpenVINO reads, with scikit-learn's probabilities."""
    workspace = Workspace(tmp_path / "output")
    workspace.root.mkdir()
    workspace.prepared_dir.symlink_to(prepared.prepared_dir.resolve())
    result = train_py("--workspace", str(workspace.root), "--algorithm", "forest", "--trees", "20")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Fitting 20 trees ..." in result.stdout
    run = workspace.run()
    record = run.training()
    assert record["parameters"] == {"algorithm": "forest", "trees": 20, "seed": 42}
    assert "epochs_run" not in record and not run.keras_file.exists()

    forest = joblib.load(run.joblib_file)
    preprocessing = prepared.preprocessing()
    features, countries = preprocessing["features"], len(preprocessing["countries"])
    validation = pd.read_parquet(prepared.split_file("validation"))
    expected = np.zeros((len(validation), countries))
    expected[:, forest.classes_] = forest.predict_proba(validation[features])
    model = onnx.load(run.onnx_file)
    assert {node.domain for node in model.graph.node} == {""}, "no ai.onnx.ml operators"
    session = ort.InferenceSession(str(run.onnx_file), providers=["CPUExecutionProvider"])
    feeds = {name: validation[[name]].to_numpy(dtype="float32") for name in features}
    (answered,) = session.run(["country_probabilities"], feeds)
    assert np.abs(answered - expected).max() < 1e-5
    top5 = top_k_accuracy_score(validation["label"], expected, k=5, labels=range(countries))
    assert record["validation"]["top5_accuracy"] == pytest.approx(top5)


def test_an_unknown_algorithm_is_refused_with_the_choices(tmp_path):
    result = train_py("--workspace", str(tmp_path), "--algorithm", "boosting")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "Training failed: Training parameter algorithm='boosting' is not one of 'network', "
        "'forest' (notebook 3's default: 'network'). Correct it and train again."
    )


def test_a_run_ending_in_the_same_second_as_the_last_gets_the_next_second(tmp_path):
    """A forest fits in under a second on a small copy: its version must not be the last's."""
    sys.path.insert(0, str(NOTEBOOK_DIR))
    try:
        from train import new_version
    finally:
        sys.path.remove(str(NOTEBOOK_DIR))
    workspace = Workspace(tmp_path)
    taken = workspace.new_run(new_version(workspace)).version
    following = new_version(workspace)
    assert following > taken and not (workspace.runs_dir / following).exists()


def test_missing_splits_stop_it_with_what_to_do(tmp_path):
    result = train_py("--workspace", str(tmp_path))
    assert result.returncode == 1
    # (TensorFlow may log its start-up on stderr before)
    assert result.stderr.splitlines()[-1] == (
        f"Training failed: No train.parquet, validation.parquet, preprocessing.json in "
        f"{tmp_path}/prepared/: run notebook 2 (preparation) first, or give `prepared` a folder "
        "(on the command line also an s3://bucket/prefix) that holds train.parquet, "
        "validation.parquet, preprocessing.json."
    )


@pytest.mark.platform
def test_the_script_reads_and_writes_s3_with_the_data_connection(prepared, running_platform):
    s3 = s3_client(running_platform)
    prefix = f"trainjob-test-{uuid.uuid4().hex[:8]}"
    for name in (*training.PREPARED_FILES, "test.parquet"):
        s3.upload_file(str(prepared.prepared_dir / name), "data", f"{prefix}/prepared/{name}")
    result = train_py(*job_arguments(f"s3://data/{prefix}"), environment=running_platform)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    version = s3.get_object(Bucket="data", Key=f"{prefix}/runs/LATEST")["Body"].read().decode()
    assert f"Model version {version} written to s3://data/{prefix}/runs/{version}/" in (
        result.stdout
    )
    stored = {
        item["Key"].removeprefix(f"{prefix}/runs/{version}/")
        for item in s3.list_objects_v2(Bucket="data", Prefix=f"{prefix}/runs/{version}/")[
            "Contents"
        ]
    }
    run = Run(Path(version))
    written = (run.onnx_file, run.keras_file, run.training_file, run.preprocessing_file)
    assert stored == {str(path.relative_to(run.folder)) for path in written}


def test_the_trainjob_names_this_script():
    assert trainjob.SCRIPT.endswith("/" + str(SCRIPT.relative_to(NOTEBOOK_DIR.parent)))
