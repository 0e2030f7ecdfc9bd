"""Notebook 7 against a real local platform (S3, registry, MLflow): the promotion rule both ways,
resuming, servers that are down, and MLflow behind a TLS route and an auth proxy, as in
OpenShift AI 3.x.

Each test runs the real notebook (papermill, a fresh kernel, tiny settings) in a folder of its
own that holds the notebooks and notebook 2's prepared data, for a model of its own. The version to beat is
registered by the test itself, with a configuration chosen for the outcome: one that barely
learns in 4 epochs (the best trial beats it on the fresh seeds: promoted), or one that learns
fast (the best trial is that configuration itself, so it cannot beat itself: not promoted).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from model_registry import ModelRegistry
from sklearn.metrics import top_k_accuracy_score
from support.local_platform import free_port
from support.reverse_proxy import ReverseProxy, certificate_authority

from jukebox_workshop.clients import registry_client, s3_client
from jukebox_workshop.errors import WorkshopError
from jukebox_workshop.notebooks import NotebookFailedError, copy_notebooks, run_notebook
from jukebox_workshop.refine.tracking import check_server
from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import DEFAULT_DATA_DIR, NOTEBOOK_DIR

pytestmark = [pytest.mark.platform, pytest.mark.slow]

TINY = {
    "JUKEBOX_EPOCHS": "4",
    "JUKEBOX_TRIALS": "2",
    "JUKEBOX_SEARCH_MINUTES": "5",
    "JUKEBOX_NOISE_SEEDS": "2",
    "JUKEBOX_TREES": "20",
    "JUKEBOX_DATA_DIR": str(DEFAULT_DATA_DIR),
}
HAND_PICKED = {
    "param_hidden_units": 64,
    "param_hidden_layers": 2,
    "param_dropout": 0.2,
    "param_learning_rate": 0.001,
    "param_batch_size": 128,
}
# Within the search space: the smallest, slowest-learning network, and a fast-learning one.
WEAK = {
    "param_hidden_units": 16,
    "param_hidden_layers": 1,
    "param_dropout": 0.5,
    "param_learning_rate": 0.0003,
    "param_batch_size": 512,
}
STRONG = {
    "param_hidden_units": 256,
    "param_hidden_layers": 2,
    "param_dropout": 0.0,
    "param_learning_rate": 0.01,
    "param_batch_size": 128,
}
# Notebook 3 may keep its random forest: a forest version to beat, with few trees.
FOREST = {"param_algorithm": "forest", "param_trees": 20, "param_seed": 42}
FRESH_SEEDS = "[43, 44]"  # JUKEBOX_SEED 42 + 1 and + 2, for JUKEBOX_NOISE_SEEDS 2


@pytest.fixture
def attendee(running_platform, prepared, tmp_path, monkeypatch) -> tuple[Path, dict[str, str]]:
    """A folder of one's own with the notebooks and the prepared data, and the environment
    `make lab` gives."""
    for name, value in running_platform.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("JUKEBOX_MODEL_VERSION", raising=False)
    copy_notebooks(tmp_path)
    shutil.copytree(prepared / "output" / "prepared", tmp_path / "output" / "prepared")
    return tmp_path, dict(running_platform)


def registry(environment: dict[str, str]) -> ModelRegistry:
    return registry_client(environment["MODEL_REGISTRY_URL"], author="test", quiet=True)


def register_parent(
    environment: dict[str, str],
    validation_top5: float,
    *,
    uploaded: bool = True,
    configuration: dict = HAND_PICKED,
) -> tuple[str, str]:
    """A model of its own with one version to beat, its ONNX file in the bucket unless not
    `uploaded` (a stand-in: notebook 7 never loads it); (model name, version name)."""
    name, version = f"refine-{secrets.token_hex(4)}", "parent"
    if uploaded:
        s3_client(environment).put_object(
            Bucket="models", Key=f"{name}/{version}/1/model.onnx", Body=b"stand-in"
        )
    registry(environment).register_model(
        name,
        f"s3://models/{name}/{version}",
        version=version,
        model_format_name="onnx",
        model_format_version="1",
        metadata={
            **configuration,
            "validation_top5_accuracy": validation_top5,
            "test_top5_accuracy": 0.28,
        },
    )
    return name, version


def refine(folder: Path, model: str, **settings: str) -> str:
    """Run notebook 7; what it printed."""
    executed = folder / "executed"
    run_notebook(
        "07-refine.ipynb",
        {"MODEL_NAME": model},
        workdir=folder,
        executed_dir=executed,
        environment={**TINY, **settings},
    )
    return printed(executed / "07-refine.ipynb")


def printed(path: Path) -> str:
    notebook = json.loads(path.read_text())
    return "".join(
        "".join(output.get("text", ""))
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
    )


def versions(environment: dict[str, str], model: str) -> dict[str, dict]:
    return {
        v.name: dict(v.custom_properties or {})
        for v in registry(environment).get_model_versions(model)
    }


def deploy_version(environment: dict[str, str], model: str) -> str | None:
    properties = registry(environment).get_registered_model(model).custom_properties or {}
    return properties.get("deploy_version")


def test_a_better_candidate_is_promoted_and_s3_down_leaves_nothing_half_registered(attendee):
    folder, environment = attendee
    # Its registered validation top-5 is high: the rule compares trainings on fresh seeds.
    model, parent = register_parent(environment, validation_top5=0.99, configuration=WEAK)
    # In 4 epochs the best trial is still short of what notebook 4 checks; in 15 it is not.
    longer = {"JUKEBOX_EPOCHS": "15"}

    # S3 is down when notebook 5 uploads: the candidate is trained and evaluated, not registered.
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(WorkshopError) as stopped:
        refine(folder, model, AWS_S3_ENDPOINT=dead, **longer)
    assert "05-upload.ipynb stopped with WorkshopError" in str(stopped.value)
    assert f"Cannot reach the S3 server at {dead}" in str(stopped.value)
    assert list(versions(environment, model)) == [parent]
    assert deploy_version(environment, model) == parent  # named before the candidate was
    (candidate,) = [run for run in Workspace(folder / "output").runs() if run.refinement()]

    # Run again with S3 up: the same study and the same candidate, now registered and promoted.
    output = refine(folder, model, **longer)
    assert "Resuming study" in output and "nothing to add" in output
    assert f"was trained before, as version {candidate.version}" in output
    registered = versions(environment, model)
    assert list(registered) == [parent, candidate.version]
    properties = registered[candidate.version]
    assert properties["promoted"] is True and properties["parent_version"] == parent
    assert properties["promotion_reason"].startswith(
        f"Over seeds 43, 44, version {candidate.version}'s configuration has mean validation top-5"
    )
    assert properties["promotion_seeds"] == FRESH_SEEDS
    assert len(json.loads(properties["candidate_seed_validation_top5"])) == 2
    gain = properties["candidate_mean_validation_top5"] - properties["parent_mean_validation_top5"]
    assert gain > properties["promotion_margin"] > 0
    assert deploy_version(environment, model) == candidate.version
    assert "Promoted. " in output

    # Every trial and every training on a fresh seed (both configurations) is an MLflow run;
    # the candidate's trial names its version.
    tracking = MlflowClient(environment["MLFLOW_TRACKING_URI"])
    experiment = tracking.get_experiment_by_name(properties["study_name"])
    runs = tracking.search_runs([experiment.experiment_id])
    assert sorted(run.info.run_name for run in runs) == sorted(
        ["trial 0", "trial 1"]
        + [f"version {v}, seed {seed}" for v in (parent, candidate.version) for seed in (43, 44)]
    )
    best = tracking.get_run(properties["mlflow_run_id"])
    assert best.data.tags["registered_version"] == candidate.version
    assert "val_top5_accuracy" in best.data.metrics
    assert len(tracking.get_metric_history(best.info.run_id, "epoch_val_top5_accuracy")) >= 1
    stored = s3_client(environment).list_objects_v2(Bucket="models", Prefix=f"{model}/")
    assert f"{model}/{candidate.version}/1/model.onnx" in [o["Key"] for o in stored["Contents"]]


def test_a_candidate_within_the_noise_is_not_promoted_and_the_study_resumes(attendee, tmp_path):
    """Also, on the way (one search serves the three): MLflow behind a TLS route that asks for
    a bearer token, as in OpenShift AI 3.x; and a version to deploy whose file is missing
    from the bucket, which fails the last checkpoint."""
    folder, environment = attendee
    # Registered with a low validation top-5: the rule compares trainings on fresh seeds.
    model, parent = register_parent(
        environment, validation_top5=0.01, uploaded=False, configuration=STRONG
    )
    certificates = certificate_authority(tmp_path)
    token = secrets.token_hex(16)
    with ReverseProxy(
        environment["MLFLOW_TRACKING_URI"],
        certificates=certificates,
        tokens={token: True},
        upstream_host=True,
    ) as route:
        with pytest.raises(NotebookFailedError) as stopped:
            refine(
                folder,
                model,
                MLFLOW_TRACKING_URI=route.url,
                MLFLOW_TRACKING_TOKEN=token,
                MLFLOW_TRACKING_SERVER_CERT_PATH=str(certificates.ca),
            )
    assert f"version {parent}'s model is not in the bucket" in stopped.value.evalue
    assert f"s3://models/{model}/{parent}/1/model.onnx is missing" in stopped.value.evalue
    output = printed(folder / "executed" / "07-refine.ipynb")
    assert "New study" in output and "Not promoted. " in output
    assert f"Nothing found beats version {parent}" in output
    registered = versions(environment, model)
    (candidate,) = [name for name in registered if name != parent]
    assert registered[candidate]["promoted"] is False
    assert registered[candidate]["promotion_reason"].endswith(
        f"Version {parent} stays the one to deploy."
    )
    assert deploy_version(environment, model) == parent
    # The runs went through the route to the same server.
    tracking = MlflowClient(environment["MLFLOW_TRACKING_URI"])
    run = tracking.get_run(registered[candidate]["mlflow_run_id"])
    assert run.data.tags["registered_version"] == candidate

    # With the file in the bucket, one more trial: the study continues, nothing is registered
    # twice, and the last checkpoint passes.
    s3_client(environment).put_object(
        Bucket="models", Key=f"{model}/{parent}/1/model.onnx", Body=b"stand-in"
    )
    output = refine(folder, model, JUKEBOX_TRIALS="3")
    assert "Resuming study" in output and "2 trials so far" in output
    assert "3 trials in the study" in output
    registered = versions(environment, model)
    trials = [p["best_trial"] for name, p in registered.items() if name != parent]
    assert len(trials) == len(set(trials))
    assert deploy_version(environment, model) == parent


def forest_validation_top5(folder: Path, trees: int, seed: int) -> float:
    """Notebook 3's forest fitted here on the attendee's splits: its validation top-5."""
    sys.path.insert(0, str(NOTEBOOK_DIR))
    try:
        from model import build_forest
    finally:
        sys.path.remove(str(NOTEBOOK_DIR))
    splits = Workspace(folder / "output")
    features = splits.preprocessing()["features"]
    train = pd.read_parquet(splits.split_file("train"))
    validation = pd.read_parquet(splits.split_file("validation"))
    forest = build_forest(trees=trees, seed=seed).fit(train[features], train["label"])
    countries = len(splits.preprocessing()["countries"])
    probabilities = np.zeros((len(validation), countries))
    probabilities[:, forest.classes_] = forest.predict_proba(validation[features])
    return top_k_accuracy_score(validation["label"], probabilities, k=5, labels=range(countries))


def test_a_forest_to_beat_is_fitted_again_on_the_fresh_seeds_and_never_searched(attendee):
    folder, environment = attendee
    model, parent = register_parent(environment, validation_top5=0.3, configuration=FOREST)
    output = refine(folder, model, JUKEBOX_EPOCHS="15")
    assert f"Version to beat: {parent} (the newest" in output
    assert "a forest: {'trees': 20}" in output
    registered = versions(environment, model)
    (candidate,) = [name for name in registered if name != parent]
    properties = registered[candidate]
    assert properties["param_algorithm"] == "network"  # the search tunes networks only
    # The rule's figures for the parent are the forest's, fitted with each fresh seed
    expected = [forest_validation_top5(folder, trees=20, seed=seed) for seed in (43, 44)]
    assert json.loads(properties["parent_seed_validation_top5"]) == pytest.approx(
        expected, abs=1e-5
    )
    assert properties["promoted"] is (
        properties["candidate_mean_validation_top5"] - properties["parent_mean_validation_top5"]
        > properties["promotion_margin"]
    )
    # The forest was not enqueued as a trial: the study holds the sampler's two trials only,
    # and the parent's trainings are forest runs in MLflow.
    tracking = MlflowClient(environment["MLFLOW_TRACKING_URI"])
    experiment = tracking.get_experiment_by_name(properties["study_name"])
    runs = {run.info.run_name: run for run in tracking.search_runs([experiment.experiment_id])}
    assert {name for name in runs if name.startswith("trial")} == {"trial 0", "trial 1"}
    for seed in (43, 44):
        assert runs[f"version {parent}, seed {seed}"].data.params["algorithm"] == "forest"
    assert runs[f"version {candidate}, seed 43"].data.params["algorithm"] == "network"


def test_a_notebook_3_that_ignores_papermills_values_fails_the_checkpoint(attendee):
    """Right after notebook 3's run: nothing is evaluated, uploaded or registered."""
    folder, environment = attendee
    model, parent = register_parent(environment, validation_top5=0.99)
    # An attendee's edit: a value set again in a cell after notebook 3's parameters cell,
    # which papermill's values do not reach.
    notebook = nbformat.read(folder / "03-train.ipynb", as_version=4)
    (at,) = [i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", [])]
    edit = nbformat.v4.new_code_cell("HIDDEN_UNITS = 300  # outside the search space")
    notebook.cells.insert(at + 1, edit)
    nbformat.write(notebook, folder / "03-train.ipynb")
    with pytest.raises(NotebookFailedError) as stopped:
        refine(folder, model)
    assert "'hidden_units': 300" in stopped.value.evalue
    assert "notebook 3 ignores the values papermill sets" in stopped.value.evalue
    assert list(versions(environment, model)) == [parent]
    (candidate,) = [run for run in Workspace(folder / "output").runs() if run.version != parent]
    assert not candidate.metrics_file.exists() and not candidate.refinement_file.exists()
    stored = s3_client(environment).list_objects_v2(Bucket="models", Prefix=f"{model}/")
    assert [o["Key"] for o in stored["Contents"]] == [f"{model}/{parent}/1/model.onnx"]


def test_mlflow_down_stops_before_the_search(attendee):
    folder, environment = attendee
    model, parent = register_parent(environment, validation_top5=0.3)
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(WorkshopError) as stopped:
        refine(folder, model, MLFLOW_TRACKING_URI=dead)
    assert f"Cannot reach the MLflow tracking server at {dead}" in str(stopped.value)
    assert "MLFLOW_TRACKING_URI" in str(stopped.value) and "make up" in str(stopped.value)
    assert not (folder / "output" / "refine" / "optuna.db").exists()
    assert list(versions(environment, model)) == [parent]


def test_registry_down_stops_before_anything_is_tracked(attendee):
    folder, environment = attendee
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(WorkshopError) as stopped:
        refine(folder, "jukebox", MODEL_REGISTRY_URL=dead)
    assert f"Cannot reach the Model Registry at {dead}" in str(stopped.value)
    assert not (folder / "output" / "refine").exists()


def test_mlflow_behind_tls_with_a_bearer_token(running_platform, monkeypatch, tmp_path):
    """The route's certificate is signed by the cluster's own authority (MLflow reads
    MLFLOW_TRACKING_SERVER_CERT_PATH), and the auth proxy wants MLFLOW_TRACKING_TOKEN. Notebook 7
    runs through such a route in the test above."""
    environment = running_platform
    certificates = certificate_authority(tmp_path)
    token, refused = secrets.token_hex(16), secrets.token_hex(16)
    with ReverseProxy(
        environment["MLFLOW_TRACKING_URI"],
        certificates=certificates,
        tokens={token: True, refused: False},
        upstream_host=True,
    ) as route:
        with pytest.raises(WorkshopError) as untrusted:
            check_server(route.url)
        assert str(untrusted.value).startswith(
            f"The MLflow tracking server at {route.url} has a TLS certificate this workbench "
            "does not trust (certificate verify failed: "
        )
        assert "Set MLFLOW_TRACKING_SERVER_CERT_PATH to the path of a file" in str(untrusted.value)
        monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(tmp_path / "nothing.pem"))
        with pytest.raises(WorkshopError, match="MLFLOW_TRACKING_SERVER_CERT_PATH='.*' is not a"):
            check_server(route.url)

        monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(certificates.ca))
        with pytest.raises(WorkshopError, match=r"refused the request \(UNAUTHENTICATED\)"):
            check_server(route.url)
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", refused)
        with pytest.raises(WorkshopError, match=r"refused the request \(PERMISSION_DENIED\)"):
            check_server(route.url)

        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
        check_server(route.url)


def kubeconfig(folder: Path, token: str, namespace: str | None) -> Path:
    """What `oc login` writes: a context with a user's token and, unless None, a namespace."""
    context = {"cluster": "cluster", "user": "attendee"}
    if namespace:
        context["namespace"] = namespace
    path = folder / "kubeconfig"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "cluster", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "attendee", "user": {"token": token}}],
                "contexts": [{"name": "attendee", "context": context}],
                "current-context": "attendee",
            }
        )
    )
    return path


def check_in_a_new_kernel(uri: str, environment: dict[str, str]) -> str:
    """check_server in a fresh interpreter, as a notebook's kernel runs it: the kubernetes
    package reads KUBECONFIG once, when imported, and mlflow keeps the workspace it found for
    the whole process. What it printed: "ok", or the message."""
    code = (
        "import sys\n"
        "from jukebox_workshop.errors import WorkshopError\n"
        "from jukebox_workshop.refine.tracking import check_server\n"
        "try:\n"
        "    check_server(sys.argv[1])\n"
        "    print('ok')\n"
        "except WorkshopError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, uri],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.mark.parametrize("namespace", ["team-a", None])
def test_mlflow_with_openshift_ais_kubernetes_auth(running_platform, tmp_path, namespace):
    """MLFLOW_TRACKING_AUTH=kubernetes-namespaced (mlflow[kubernetes]), as OpenShift AI 3.x's
    MLflow wants: the token and the workspace (the project) come from the pod's service
    account, or from a kubeconfig as here."""
    token = secrets.token_hex(16)
    environment = {
        "KUBECONFIG": str(kubeconfig(tmp_path, token, namespace)),
        "MLFLOW_TRACKING_AUTH": "kubernetes-namespaced",
        "MLFLOW_TRACKING_TOKEN": "",
    }
    # The local server has no workspaces: the route records the header, and drops it.
    with ReverseProxy(
        running_platform["MLFLOW_TRACKING_URI"],
        tokens={token: True},
        upstream_host=True,
        drop=("X-MLFLOW-WORKSPACE",),
    ) as route:
        printed = check_in_a_new_kernel(route.url, environment)
    if namespace is None:
        assert printed.startswith(
            "MLFLOW_TRACKING_AUTH=kubernetes-namespaced found no project to use as MLflow's "
            f"workspace for {route.url}"
        )
        return
    assert printed == "ok"
    assert route.seen[-1]["Authorization"] == f"Bearer {token}"
    assert route.seen[-1]["X-MLFLOW-WORKSPACE"] == namespace
