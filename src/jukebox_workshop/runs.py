"""The one definition of what the notebooks write, and where.

    output/
      prepared/                 notebook 2: train/validation/test.parquet, preprocessing.json
      runs/
        LATEST                  the newest trained version (notebook 3)
        <version>/
          model/                what is uploaded: 1/model.onnx, model.keras (or
                                model.joblib for a forest),
                                preprocessing.json, training.json, metrics.json
          upload.json           notebook 5: where the model is stored, with checksums
          registration.json     notebook 6: the registry's ids for this version
          refinement.json       notebook 7: the search it came from and the promotion
                                decision (notebook 6 registers them with the version)
      serving.json              notebook 8: the version served, where, and one song's answer
      refine/
        optuna.db               notebook 7: its Optuna studies, so that a search resumes
        mlflow.db, mlflow/      notebook 7 without MLFLOW_TRACKING_URI: a local MLflow store
        executed/<study>/trial-<n>/
                                notebooks 3-6 as notebook 7 ran them for that trial's candidate

The notebooks, the `jukebox` command, the benchmarks, the image script and the tests all
find these files through `Workspace` and `Run`, so the layout changes in one place only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jukebox_workshop.errors import NoRunError

VERSION_VARIABLE = "JUKEBOX_MODEL_VERSION"
SPLITS = ("train", "validation", "test")
PREPROCESSING_FILE = "preprocessing.json"  # the features, the scaler's statistics, the countries


def _read_json(path: Path, written_by: str, note: str = "") -> dict[str, Any]:
    if not path.is_file():
        raise NoRunError(f"{path} is missing: run {written_by} first.{note}")
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Run:
    """One trained model version and the records the later notebooks add to it."""

    folder: Path

    @property
    def version(self) -> str:
        return self.folder.name

    @property
    def model_dir(self) -> Path:
        return self.folder / "model"

    @property
    def onnx_file(self) -> Path:
        # `<version number>/model.onnx`: the layout OpenVINO Model Server and KServe load.
        return self.model_dir / "1" / "model.onnx"

    @property
    def keras_file(self) -> Path:  # a network's
        return self.model_dir / "model.keras"

    @property
    def joblib_file(self) -> Path:  # a forest's, as scikit-learn saves it
        return self.model_dir / "model.joblib"

    @property
    def preprocessing_file(self) -> Path:
        return self.model_dir / PREPROCESSING_FILE

    @property
    def training_file(self) -> Path:
        return self.model_dir / "training.json"

    @property
    def metrics_file(self) -> Path:
        return self.model_dir / "metrics.json"

    @property
    def upload_file(self) -> Path:
        return self.folder / "upload.json"

    @property
    def registration_file(self) -> Path:
        return self.folder / "registration.json"

    @property
    def refinement_file(self) -> Path:
        return self.folder / "refinement.json"

    def training(self) -> dict[str, Any]:
        return _read_json(self.training_file, "notebook 3 (training)")

    def preprocessing(self) -> dict[str, Any]:
        return _read_json(self.preprocessing_file, "notebook 3 (training)")

    def metrics(self) -> dict[str, Any]:
        return _read_json(self.metrics_file, "notebook 4 (evaluation)")

    def upload(self) -> dict[str, Any]:
        return _read_json(self.upload_file, "notebook 5 (upload)", " Nothing was registered.")

    def registration(self) -> dict[str, Any]:
        return _read_json(self.registration_file, "notebook 6 (registration)")

    def refinement(self) -> dict[str, Any] | None:
        """The search and decision behind a version notebook 7 trained; None for the others."""
        if not self.refinement_file.is_file():
            return None
        return json.loads(self.refinement_file.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Workspace:
    """The notebooks' output folder: `Workspace("output")` from inside `jukebox/`."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def prepared_dir(self) -> Path:
        return self.root / "prepared"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def latest_file(self) -> Path:
        return self.runs_dir / "LATEST"

    def split_file(self, name: str) -> Path:
        return self.prepared_dir / f"{name}.parquet"

    @property
    def preprocessing_file(self) -> Path:
        return self.prepared_dir / PREPROCESSING_FILE

    def preprocessing(self) -> dict[str, Any]:
        return _read_json(self.preprocessing_file, "notebook 2 (preparation)")

    @property
    def serving_file(self) -> Path:
        return self.root / "serving.json"

    @property
    def feature_store_file(self) -> Path:
        """Notebook 9's measured online reads."""
        return self.root / "feature_store.json"

    @property
    def refine_dir(self) -> Path:
        return self.root / "refine"

    @property
    def optuna_storage(self) -> str:
        """The Optuna storage URL of notebook 7's studies (an SQLite file), its folder made."""
        self.refine_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.refine_dir / 'optuna.db').resolve()}"

    @property
    def local_tracking_uri(self) -> str:
        """A local MLflow store, for notebook 7 when no MLFLOW_TRACKING_URI is set."""
        self.refine_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.refine_dir / 'mlflow.db').resolve()}"

    @property
    def local_artifacts_dir(self) -> Path:
        """Where the local MLflow store keeps run artifacts (a server keeps its own)."""
        return self.refine_dir / "mlflow"

    def executed_dir(self, study: str, trial: int) -> Path:
        """Where notebook 7 keeps the notebooks it ran for one trial's candidate."""
        return self.refine_dir / "executed" / study / f"trial-{trial}"

    def new_run(self, version: str) -> Run:
        """A new, empty run folder; an existing version is never reused."""
        run = Run(self.runs_dir / version)
        run.onnx_file.parent.mkdir(parents=True, exist_ok=False)
        return run

    def mark_latest(self, run: Run) -> None:
        self.latest_file.write_text(run.version, encoding="utf-8")

    def latest_version(self) -> str | None:
        try:
            return self.latest_file.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def runs(self) -> list[Run]:
        """Every trained version, oldest first."""
        if not self.runs_dir.is_dir():
            return []
        return [Run(path) for path in sorted(self.runs_dir.iterdir()) if (path / "model").is_dir()]

    def run(self, version: str | None = None) -> Run:
        """The run to work on: `version`, else JUKEBOX_MODEL_VERSION, else the latest one."""
        version = version or os.environ.get(VERSION_VARIABLE) or self.latest_version()
        if not version:
            raise NoRunError(f"No trained model in {self.runs_dir}/: run notebook 3 first.")
        run = Run(self.runs_dir / version)
        if not run.model_dir.is_dir():
            raise NoRunError(
                f"No model version {version} in {self.runs_dir}/: check {VERSION_VARIABLE}, "
                "or run notebook 3 to train one."
            )
        return run
