"""The inner loop as a Kubeflow Pipeline: prepare, train, evaluate, upload, register.

Each component runs one workshop notebook (`cluster.steps`), so the notebooks stay the one
source of each step's code, as with Elyra or Kale. The same definition runs on a laptop with
`kfp.local` (`make pipeline`, against the local platform) and compiles to the IR YAML that
Data Science Pipelines imports (`make manifests` writes cluster/pipeline.yaml).

On a cluster every step runs in `IMAGE` (cluster/Containerfile: the TensorFlow workbench image
with the workshop installed), reads the S3 keys from the data connection's Secret and the
registry's address from a run parameter. Locally the steps run as subprocesses of this Python,
with the local platform's variables.
"""

# No `from __future__ import annotations`: KFP reads the components' type annotations.
import contextlib
import io
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from kfp import compiler, dsl, local
from kfp.dsl import Artifact, Dataset, Input, Metrics, Model, Output

from jukebox_workshop.errors import WorkshopError
from jukebox_workshop.settings import (
    DEFAULT_BUCKET,
    DEFAULT_EPOCHS,
    DEFAULT_HYPERPARAMETERS,
    DEFAULT_MODEL_NAME,
    REGISTRY_URL_VARIABLE,
    REPO_ROOT,
    S3_VARIABLES,
    require,
)

PIPELINE_NAME = "jukebox-training"
# Built from cluster/Containerfile into the OpenShift internal registry of the project `jukebox`
# (docs/scaling-out.md); `jukebox manifests --image` compiles for another.
IMAGE = "image-registry.openshift-image-registry.svc:5000/jukebox/jukebox-pipeline:latest"
LOCAL_ROOT = REPO_ROOT / "build" / "pipeline"


@dsl.component(base_image=IMAGE, install_kfp_package=False)
def prepare(
    data: str, dataset: Output[Dataset], prepared: Output[Dataset], notebook: Output[Artifact]
):
    """02-prepare.ipynb: validate the dataset, split it by song, fit the scaler."""
    from pathlib import Path

    from jukebox_workshop.cluster import steps

    steps.prepare(data, Path(dataset.path), Path(prepared.path), Path(notebook.path))


@dsl.component(base_image=IMAGE, install_kfp_package=False)
def train(
    prepared: Input[Dataset],
    epochs: int,
    hidden_units: int,
    hidden_layers: int,
    dropout: float,
    learning_rate: float,
    batch_size: int,
    model: Output[Model],
    validation: Output[Metrics],
    notebook: Output[Artifact],
):
    """03-train.ipynb with these values: train with early stopping, export to ONNX; its
    checkpoints are gates."""
    from pathlib import Path

    from jukebox_workshop.cluster import steps

    values = {
        "EPOCHS": epochs,
        "HIDDEN_UNITS": hidden_units,
        "HIDDEN_LAYERS": hidden_layers,
        "DROPOUT": dropout,
        "LEARNING_RATE": learning_rate,
        "BATCH_SIZE": batch_size,
    }
    metrics = steps.train(Path(prepared.path), values, Path(model.path), Path(notebook.path))
    for name, value in metrics.items():
        validation.log_metric(f"validation_{name}", value)


@dsl.component(base_image=IMAGE, install_kfp_package=False)
def evaluate(
    dataset: Input[Dataset],
    prepared: Input[Dataset],
    model: Input[Model],
    evaluated: Output[Model],
    test: Output[Metrics],
    notebook: Output[Artifact],
):
    """04-evaluate.ipynb: test metrics and baselines; a model that fails its checkpoint stops here."""
    from pathlib import Path

    from jukebox_workshop.cluster import steps

    metrics = steps.evaluate(
        Path(dataset.path),
        Path(prepared.path),
        Path(model.path),
        Path(evaluated.path),
        Path(notebook.path),
    )
    for name, value in metrics.items():
        test.log_metric(f"test_{name}", value)


@dsl.component(base_image=IMAGE, install_kfp_package=False)
def upload(
    model: Input[Model], model_name: str, uploaded: Output[Model], notebook: Output[Artifact]
):
    """05-upload.ipynb: store the version in the data connection's bucket, verified by SHA-256."""
    from pathlib import Path

    from jukebox_workshop.cluster import steps

    uploaded.metadata["uri"] = steps.upload(
        Path(model.path), model_name, Path(uploaded.path), Path(notebook.path)
    )


@dsl.component(base_image=IMAGE, install_kfp_package=False)
def register(
    model: Input[Model],
    model_name: str,
    data_connection: str,
    registry_url: str,
    pipeline_name: str,
    run_name: str,
    run_id: str,
    registered: Output[Model],
    notebook: Output[Artifact],
):
    """06-register.ipynb: a new model version, whose properties name this pipeline and run."""
    from pathlib import Path

    from jukebox_workshop.cluster import steps

    pipeline = {"name": pipeline_name, "run_name": run_name, "run_id": run_id}
    record = steps.register(
        Path(model.path),
        model_name,
        data_connection,
        registry_url,
        pipeline,
        Path(registered.path),
        Path(notebook.path),
    )
    registered.metadata.update({"model_name": model_name, **record, "pipeline": pipeline})


def _steps_read_the_data_connection(task: dsl.PipelineTask, secret: str) -> None:
    # kfp-kubernetes: in the TensorFlow images, and in requirements-nodeps.txt on a laptop (not a
    # dependency of the package, as its protobuf requirement cannot be met beside the pins).
    from kfp import kubernetes

    kubernetes.use_secret_as_env(
        task, secret_name=secret, secret_key_to_env={name: name for name in S3_VARIABLES}
    )


@dsl.pipeline(
    name=PIPELINE_NAME,
    description="The Jukebox workshop's notebooks 2 to 6 as steps: prepare, train, evaluate "
    "(its checkpoints are gates), upload to the models bucket, register in the Model Registry.",
)
def training_pipeline(
    registry_url: str,
    data: str = "",
    epochs: int = DEFAULT_EPOCHS,
    model_name: str = DEFAULT_MODEL_NAME,
    data_connection: str = DEFAULT_BUCKET,
    hidden_units: int = DEFAULT_HYPERPARAMETERS["hidden_units"],
    hidden_layers: int = DEFAULT_HYPERPARAMETERS["hidden_layers"],
    dropout: float = DEFAULT_HYPERPARAMETERS["dropout"],
    learning_rate: float = DEFAULT_HYPERPARAMETERS["learning_rate"],
    batch_size: int = DEFAULT_HYPERPARAMETERS["batch_size"],
) -> Model:
    """Notebooks 2 to 6 in order; a failing checkpoint stops the run.

    Args:
        registry_url: The Model Registry's REST address, e.g.
            http://<registry>.<namespace>.svc.cluster.local:8080 inside the cluster.
        data: A folder or s3://bucket/prefix holding song_properties.parquet and
            song_rankings.parquet; empty for the dataset shipped with the workshop.
        epochs: The most epochs notebook 3 trains (early stopping usually ends sooner).
        model_name: The registered model, and the prefix of the version in the bucket.
        data_connection: The Secret of the project's data connection, with the S3 keys and
            the bucket the model is uploaded to.
        hidden_units, hidden_layers, dropout, learning_rate, batch_size: Notebook 3's
            hyperparameters (its defaults), for example the best notebook 7 found.
    """
    prepared = prepare(data=data)
    trained = train(
        prepared=prepared.outputs["prepared"],
        epochs=epochs,
        hidden_units=hidden_units,
        hidden_layers=hidden_layers,
        dropout=dropout,
        learning_rate=learning_rate,
        batch_size=batch_size,
    )
    evaluated = evaluate(
        dataset=prepared.outputs["dataset"],
        prepared=prepared.outputs["prepared"],
        model=trained.outputs["model"],
    )
    uploaded = upload(model=evaluated.outputs["evaluated"], model_name=model_name)
    registered = register(
        model=uploaded.outputs["uploaded"],
        model_name=model_name,
        data_connection=data_connection,
        registry_url=registry_url,
        pipeline_name=PIPELINE_NAME,
        run_name=dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
        run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER,
    )
    for task in (prepared, trained, evaluated, uploaded, registered):
        # Every run trains anew: a weekly run reads new data under the same parameters.
        task.set_caching_options(False)
        task.set_cpu_request("1").set_memory_request("2Gi").set_memory_limit("4Gi")
    for task in (prepared, uploaded, registered):  # register checks the bucket holds the model
        _steps_read_the_data_connection(task, data_connection)
    return registered.outputs["registered"]


def compiled(image: str = IMAGE) -> str:
    """The pipeline's IR YAML, as Data Science Pipelines imports it, for steps run in `image`."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pipeline.yaml"
        compiler.Compiler().compile(training_pipeline, str(path))
        text = path.read_text(encoding="utf-8")
    header = "# Generated by `make manifests` from src/jukebox_workshop/cluster/pipeline.py: do not edit.\n"
    return header + text.replace(IMAGE, image)


class _WithoutExecutorInput(io.TextIOBase):
    """Passes the steps' output on without the executor input KFP prints first (~60 lines of JSON)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.skipping = False
        self.partial = ""  # kfp.local writes a line's indentation and its text separately

    def write(self, text: str) -> int:
        lines = (self.partial + text).splitlines(keepends=True)
        self.partial = lines.pop() if lines and not lines[-1].endswith("\n") else ""
        for line in lines:
            if "Got executor_input:" in line:
                self.skipping = True
                continue
            if self.skipping:
                if line.rstrip() == "    }":  # the JSON's last line, indented by kfp.local
                    self.skipping = False
                    continue
                if "[KFP Executor" not in line:  # the next log record ends it too
                    continue
                self.skipping = False
            self.out.write(line)
        return len(text)

    def flush(self) -> None:
        self.out.flush()


@contextlib.contextmanager
def readable_local_run(root: Path) -> Iterator[None]:
    """Around a kfp.local run of the pipeline: the steps' output without the executor input KFP
    prints first, without the warnings that concern a cluster only, and a failed step as a
    WorkshopError that names it and where its executed notebook is (`root`: the pipeline root)."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(_WithoutExecutorInput(sys.stdout)):
        # The subprocess runner uses this Python, not IMAGE; it warns that IMAGE lacks "python".
        warnings.filterwarnings("ignore", "You may be attemping", RuntimeWarning)
        # Resource requests are for the cluster; the local runner says it ignores them.
        warnings.filterwarnings("ignore", ".* have no effect in the current local runner")
        try:
            yield
        except RuntimeError as error:
            if "finished with status FAILURE" not in _plain(str(error)):
                raise
            raise WorkshopError(
                f"{_plain(str(error))} Nothing after that step ran: its message is above, and "
                f"the executed notebooks (with their errors) are under {root}/."
            ) from None


def run_locally(
    data: str = "",
    epochs: int = DEFAULT_EPOCHS,
    model_name: str = DEFAULT_MODEL_NAME,
    root: Path = LOCAL_ROOT,
    hyperparameters: Mapping[str, Any] | None = None,
) -> dsl.Model:
    """Run the pipeline with kfp.local, each step a subprocess of this Python, against the platform
    in this process's environment (S3 variables, MODEL_REGISTRY_URL); return its registered Model
    artifact (metadata: version, registry ids, pipeline name and run). `hyperparameters`: some
    of DEFAULT_HYPERPARAMETERS' names, with other values."""
    environment = require([*S3_VARIABLES, REGISTRY_URL_VARIABLE])
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root))
    with readable_local_run(root):
        task = training_pipeline(
            registry_url=environment[REGISTRY_URL_VARIABLE],
            data=data,
            epochs=epochs,
            model_name=model_name,
            **{**DEFAULT_HYPERPARAMETERS, **(hyperparameters or {})},
        )
    return task.output


def _plain(text: str) -> str:
    """Without the terminal colours kfp.local puts in its messages."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
