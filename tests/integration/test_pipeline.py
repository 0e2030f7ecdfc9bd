"""The training pipeline run by kfp.local against a real local platform, as `make pipeline` runs it
(`jukebox pipeline`).

One small run (the quick epochs of the test suite, enough to pass notebook 4's checkpoints; a
small leakage demo and forest) is shared by the module's tests; the failures run their own.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from model_registry import ModelRegistry

from jukebox_workshop import cli
from jukebox_workshop.clients import registry_client, s3_client
from jukebox_workshop.cluster import pipeline, steps
from jukebox_workshop.errors import WorkshopError
from jukebox_workshop.notebooks import QUICK_PARAMETERS
from jukebox_workshop.runs import Run
from jukebox_workshop.settings import data_dir

pytestmark = [pytest.mark.platform, pytest.mark.slow]

MODEL = "jukebox-pipeline-test"
SMALL = {"JUKEBOX_LEAK_DEMO_ROWS": "2000", "JUKEBOX_TREES": "20"}
EPOCHS = int(QUICK_PARAMETERS["JUKEBOX_EPOCHS"])


@pytest.fixture(scope="module")
def environment(running_platform: dict[str, str]) -> Iterator[dict[str, str]]:
    """The worker's platform (the pipeline needs S3 and the registry), and the steps' settings."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SMALL.items():
            patch.setenv(name, value)
        yield running_platform


@pytest.fixture(scope="module")
def finished(environment, tmp_path_factory) -> tuple[dict, Path]:
    """A whole run of `jukebox pipeline`: the registered artifact's metadata, and the run's
    folder of step folders."""
    root = tmp_path_factory.mktemp("pipeline-root")
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.setattr(pipeline, "LOCAL_ROOT", root)
        assert cli.main(["pipeline", "--epochs", str(EPOCHS), "--model-name", MODEL]) == 0
    summary = re.search(
        r"Pipeline jukebox-training, run (\S+) \(id (\S+)\): registered version (\S+) of "
        rf"'{MODEL}' \(model version id \S+\) at http://127\.0\.0\.1:\d+\.\n"
        r"Its artifacts and executed notebooks: (\S+)/$",
        printed.getvalue().strip(),
    )
    assert summary, printed.getvalue()[-2000:]
    assert "Got executor_input" not in printed.getvalue()
    run = root / summary[1]
    assert Path(summary[4]) == run
    output = json.loads((run / "register" / "executor_output.json").read_text())
    (registered,) = output["artifacts"]["registered"]["artifacts"]
    assert registered["metadata"]["pipeline"]["run_id"] == summary[2]
    assert registered["metadata"]["version"] == summary[3]
    return registered["metadata"], run


def registry(environment: dict[str, str]) -> ModelRegistry:
    return registry_client(environment["MODEL_REGISTRY_URL"], author="test", quiet=True)


def test_a_version_is_registered_with_the_pipeline_and_its_run(environment, finished):
    record, _ = finished
    version = registry(environment).get_model_version(MODEL, record["version"])
    assert version.author == pipeline.PIPELINE_NAME
    properties = version.custom_properties
    assert properties["pipeline_name"] == pipeline.PIPELINE_NAME == record["pipeline"]["name"]
    assert properties["pipeline_run_id"] == record["pipeline"]["run_id"]
    assert properties["pipeline_run_name"] == record["pipeline"]["run_name"]
    assert record["pipeline"]["run_name"].startswith(f"{pipeline.PIPELINE_NAME}-")
    assert properties["param_epochs"] == EPOCHS
    assert (
        properties["test_top5_accuracy"] > properties["baseline_most_common_country_top5_accuracy"]
    )


def test_the_version_is_stored_in_the_bucket(environment, finished):
    record, _ = finished
    listing = s3_client(environment).list_objects_v2(
        Bucket=environment["AWS_S3_BUCKET"], Prefix=f"{MODEL}/{record['version']}/"
    )
    stored = {item["Key"].split("/", 2)[2] for item in listing["Contents"]}
    assert {"1/model.onnx", "metrics.json", "training.json"} <= stored


def test_each_step_hands_on_artifacts_of_its_own(finished):
    record, run = finished
    names = ["prepare", "train", "evaluate", "upload", "register"]
    assert sorted(path.name for path in run.iterdir()) == sorted(names)
    for step, notebook in zip(names, steps.NOTEBOOKS, strict=True):
        executed = json.loads((run / step / "notebook" / notebook).read_text())
        printed = [o for cell in executed["cells"] for o in cell.get("outputs", [])]
        assert printed, f"{notebook} ran with outputs in {step}'s artifact"
    # Each step adds its record to a copy: earlier artifacts are not changed by later steps.
    trained, evaluated = Run(run / "train" / "model"), Run(run / "evaluate" / "evaluated")
    assert not trained.metrics_file.exists() and evaluated.metrics_file.exists()
    assert (
        not evaluated.upload_file.exists() and Run(run / "upload" / "uploaded").upload_file.exists()
    )
    registered = Run(run / "register" / "registered").registration()
    assert registered["model_version_id"] == record["model_version_id"]
    assert Run(run / "train" / "model").training()["version"] == record["version"]


def test_the_steps_log_their_metrics(finished):
    _, run = finished
    logged = {}
    for step, name in (("train", "validation"), ("evaluate", "test")):
        output = json.loads((run / step / "executor_output.json").read_text())
        (artifact,) = output["artifacts"][name]["artifacts"]
        logged.update(artifact["metadata"])
    assert 0 < logged["validation_top5_accuracy"] <= 1 and 0 < logged["test_top5_accuracy"] <= 1


def test_a_failing_step_stops_the_run_before_anything_is_stored(environment, tmp_path):
    """Data from a bucket that fails notebook 2's validation: the run ends at prepare."""
    broken = tmp_path / "song_properties.parquet"
    properties = pd.read_parquet(data_dir() / "song_properties.parquet")
    properties.loc[properties.index[:3], "danceability"] = 1.7
    properties.to_parquet(broken)
    s3 = s3_client(environment)
    s3.upload_file(str(broken), "data", "broken/song_properties.parquet")
    s3.upload_file(
        str(data_dir() / "song_rankings.parquet"), "data", "broken/song_rankings.parquet"
    )
    before = s3.list_objects_v2(Bucket=environment["AWS_S3_BUCKET"]).get("Contents")

    with pytest.raises(WorkshopError, match="Inner task failed: 'prepare'") as error:
        pipeline.run_locally("s3://data/broken", 2, "never", tmp_path / "root")
    assert "Nothing after that step ran" in str(error.value)
    (run,) = (tmp_path / "root").iterdir()
    assert [path.name for path in run.iterdir()] == ["prepare"]
    executed = (run / "prepare" / "notebook" / "02-prepare.ipynb").read_text()
    assert "in_range(0, 1)" in executed  # notebook 2's own schema
    assert s3.list_objects_v2(Bucket=environment["AWS_S3_BUCKET"]).get("Contents") == before


def constant_model(path: Path, features: list[str], favoured: list[int], classes: int) -> None:
    """An ONNX model with notebook 3's inputs that always ranks the `favoured` classes first."""
    import onnx
    from onnx import TensorProto, helper

    inputs = [
        helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, 1]) for name in features
    ]
    output = helper.make_tensor_value_info(
        "country_probabilities", TensorProto.FLOAT, [None, classes]
    )
    weights = helper.make_tensor(
        "weights", TensorProto.FLOAT, [len(features), classes], [0.0] * (len(features) * classes)
    )
    bias = helper.make_tensor(
        "bias",
        TensorProto.FLOAT,
        [classes],
        [10.0 if i in favoured else 0.0 for i in range(classes)],
    )
    nodes = [
        helper.make_node("Concat", features, ["features"], axis=1),
        helper.make_node("MatMul", ["features", "weights"], ["zeros"]),
        helper.make_node("Add", ["zeros", "bias"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["country_probabilities"], axis=1),
    ]
    graph = helper.make_graph(nodes, "constant", inputs, [output], initializer=[weights, bias])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)


def test_the_evaluation_stops_a_model_that_does_not_beat_the_baseline(finished, tmp_path):
    """The gate before the upload: notebook 4's checkpoint fails the evaluate step."""
    _, run = finished
    model = tmp_path / "model"
    model.mkdir()
    trained = Run(run / "train" / "model")
    for path in trained.folder.rglob("*"):
        if path.is_file():
            (model / path.relative_to(trained.folder)).parent.mkdir(parents=True, exist_ok=True)
            (model / path.relative_to(trained.folder)).write_bytes(path.read_bytes())
    preprocessing = trained.preprocessing()
    counts = pd.read_parquet(run / "prepare" / "prepared" / "train.parquet")["label"].value_counts()
    rarest = [int(label) for label in counts.index[-5:]]
    constant_model(
        Run(model).onnx_file, preprocessing["features"], rarest, len(preprocessing["countries"])
    )

    with pytest.raises(WorkshopError, match="not clearly better than guessing the most common"):
        steps.evaluate(
            run / "prepare" / "dataset",
            run / "prepare" / "prepared",
            model,
            tmp_path / "evaluated",
            tmp_path / "notebooks",
        )
    assert not (tmp_path / "evaluated").exists()


def test_the_dataset_can_come_from_a_bucket(environment, tmp_path):
    s3 = s3_client(environment)
    for name in ("song_properties.parquet", "song_rankings.parquet"):
        s3.upload_file(str(data_dir() / name), "data", f"charts/week-48/{name}")
    steps.fetch_dataset("s3://data/charts/week-48", tmp_path / "fetched")
    assert sorted(path.name for path in (tmp_path / "fetched").iterdir()) == [
        "song_properties.parquet",
        "song_rankings.parquet",
    ]
    with pytest.raises(
        WorkshopError,
        match="No song_properties.parquet or song_rankings.parquet in s3://data/charts/week-47",
    ):
        steps.fetch_dataset("s3://data/charts/week-47", tmp_path / "missing")
