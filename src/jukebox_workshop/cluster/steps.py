"""What each step of the training pipeline does: run one workshop notebook, between artifact folders.

A step lays its input artifacts out as the notebooks expect them (`output/prepared/`,
`output/runs/<version>/`, see runs.py) in a folder of its own, runs its notebook with
`steps.run_notebook`, and copies what the notebook wrote into its output artifact folders.
So the pipeline runs the notebooks themselves, and a step shares no folder with another:
everything between steps travels as an artifact (copied by kfp.local on a laptop, through
the pipeline server's S3 bucket on a cluster). A failing checkpoint cell fails its step, and
the steps after it do not run: a model that fails notebook 3's or 4's checkpoints is never
uploaded.

Model artifacts hold a run folder (`model/` and the records the notebooks add to it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jukebox_workshop.clients import s3_client
from jukebox_workshop.errors import WorkshopError
from jukebox_workshop.explain import explain_s3_errors
from jukebox_workshop.notebooks import run_notebook
from jukebox_workshop.runs import Run, Workspace
from jukebox_workshop.settings import (
    DATA_FILES,
    REGISTRY_AUTHOR_VARIABLE,
    REGISTRY_URL_VARIABLE,
    REPO_ROOT,
    REPORT_FILE,
    S3_VARIABLES,
    data_dir,
    require,
)

NOTEBOOKS = PREPARE, TRAIN, EVALUATE, UPLOAD, REGISTER = (
    "02-prepare.ipynb",
    "03-train.ipynb",
    "04-evaluate.ipynb",
    "05-upload.ipynb",
    "06-register.ipynb",
)


def fetch_dataset(data: str, into: Path) -> None:
    """Copy the dataset from a folder, or from s3://bucket/prefix with the data connection's keys.

    An empty `data` means the workshop's own dataset (JUKEBOX_DATA_DIR, else jukebox/data).
    """
    into.mkdir(parents=True, exist_ok=True)
    if data.startswith("s3://"):
        found = _download(data, into)
    else:
        folder = Path(data) if data else data_dir()
        found = [name for name in (*DATA_FILES, REPORT_FILE) if (folder / name).is_file()]
        for name in found:
            shutil.copy2(folder / name, into / name)
    missing = [name for name in DATA_FILES if name not in found]
    if missing:
        raise WorkshopError(
            f"No {' or '.join(missing)} in {data or data_dir()}. Give the pipeline's `data` "
            "parameter a folder, or an s3://bucket/prefix, that holds song_properties.parquet "
            "and song_rankings.parquet (leave it empty for the workshop's dataset)."
        )


def _download(uri: str, into: Path) -> list[str]:
    connection = require(S3_VARIABLES)
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    prefix = prefix.strip("/")
    s3 = s3_client(connection)
    with explain_s3_errors(connection["AWS_S3_ENDPOINT"], bucket):
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/" if prefix else "")
        stored = {item["Key"] for item in listed.get("Contents", [])}
        found = []
        for name in (*DATA_FILES, REPORT_FILE):
            key = f"{prefix}/{name}" if prefix else name
            if key in stored:
                s3.download_file(bucket, key, str(into / name))
                found.append(name)
    return found


@contextmanager
def _notebook_folder() -> Iterator[Workspace]:
    """A fresh folder to run notebooks in; yields the Workspace of its `output/`."""
    with tempfile.TemporaryDirectory(prefix="jukebox-step-") as folder:
        yield Workspace(Path(folder) / "output")


def _run(
    workspace: Workspace,
    name: str,
    executed_dir: Path,
    parameters: Mapping[str, Any] | None = None,
    environment: Mapping[str, str] | None = None,
) -> None:
    # The notebooks record the git commit of the code; the step's folder is not in the repository.
    git = {"GIT_DIR": str(REPO_ROOT / ".git")} if (REPO_ROOT / ".git").exists() else {}
    run_notebook(
        name,
        parameters or {},
        workdir=workspace.root.parent,
        executed_dir=executed_dir,
        environment={**git, **(environment or {})},
    )


def _stage_prepared(prepared: Path, workspace: Workspace) -> None:
    shutil.copytree(prepared, workspace.prepared_dir)


def _stage_run(model: Path, workspace: Workspace) -> Run:
    """Lay a model artifact out as the run folder of its version, and mark it the latest."""
    version = Run(model).training()["version"]
    run = Run(workspace.runs_dir / version)
    shutil.copytree(model, run.folder)
    workspace.mark_latest(run)
    return run


def prepare(data: str, dataset: Path, prepared: Path, executed_dir: Path) -> None:
    """Notebook 2: validate the dataset, split it by song, fit the scaler."""
    fetch_dataset(data, dataset)
    with _notebook_folder() as workspace:
        _run(workspace, PREPARE, executed_dir, environment={"JUKEBOX_DATA_DIR": str(dataset)})
        shutil.copytree(workspace.prepared_dir, prepared)


def train(
    prepared: Path, parameters: Mapping[str, Any], model: Path, executed_dir: Path
) -> dict[str, float]:
    """Notebook 3 with `parameters` (EPOCHS, HIDDEN_UNITS, ...); returns the validation metrics."""
    with _notebook_folder() as workspace:
        _stage_prepared(prepared, workspace)
        _run(workspace, TRAIN, executed_dir, parameters)
        run = workspace.run()
        shutil.copytree(run.folder, model)
        return run.training()["validation"]


def evaluate(
    dataset: Path, prepared: Path, model: Path, evaluated: Path, executed_dir: Path
) -> dict[str, float]:
    """Notebook 4: test metrics and baselines; its checkpoint stops a model no better than them."""
    with _notebook_folder() as workspace:
        _stage_prepared(prepared, workspace)
        run = _stage_run(model, workspace)
        _run(workspace, EVALUATE, executed_dir, environment={"JUKEBOX_DATA_DIR": str(dataset)})
        shutil.copytree(run.folder, evaluated)
        return run.metrics()["model"]


def upload(model: Path, model_name: str, uploaded: Path, executed_dir: Path) -> str:
    """Notebook 5: store the version in the data connection's bucket; returns its URI."""
    with _notebook_folder() as workspace:
        run = _stage_run(model, workspace)
        _run(workspace, UPLOAD, executed_dir, {"MODEL_NAME": model_name})
        shutil.copytree(run.folder, uploaded)
        return run.upload()["uri"]


def register(
    model: Path,
    model_name: str,
    data_connection: str,
    registry_url: str,
    pipeline: Mapping[str, str],
    registered: Path,
    executed_dir: Path,
) -> dict[str, Any]:
    """Notebook 6, recording `pipeline` (its name and run) with the version; returns the ids.

    `registry_url`, when not empty, replaces MODEL_REGISTRY_URL.
    """
    environment = {
        "JUKEBOX_DATA_CONNECTION": data_connection,
        # The version's author: the pipeline, unless one is set (a pod's user has no name).
        REGISTRY_AUTHOR_VARIABLE: os.environ.get(REGISTRY_AUTHOR_VARIABLE) or pipeline["name"],
    }
    if registry_url:
        environment[REGISTRY_URL_VARIABLE] = registry_url
    with _notebook_folder() as workspace:
        run = _stage_run(model, workspace)
        _run(
            workspace,
            REGISTER,
            executed_dir,
            {"MODEL_NAME": model_name, "PIPELINE": dict(pipeline)},
            environment,
        )
        shutil.copytree(run.folder, registered)
        return {"version": run.version, **run.registration()}
