"""What notebook 7 searches, and what it optimises: the one definition.

Notebook 7 samples `PARAMETERS` with Optuna (its `suggest` calls `trial.suggest_*` with each
parameter's name and range) and maximises `OBJECTIVE`; a Katib Experiment
generated from the same two names searches the same space for the same metric. Each
parameter is one of notebook 3's: upper case in its parameters cell (`HIDDEN_UNITS`), lower
case in `training.json` and, as `param_<name>`, in the Model Registry.

Only the standard library is imported here, so that a manifest generator or a test reads the
space without TensorFlow or Optuna.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("int", "float", "categorical")


@dataclass(frozen=True)
class Parameter:
    """One dimension: an int or float range (log scale or not), or a list of choices."""

    name: str
    kind: str  # one of KINDS; Katib calls "float" "double"
    low: float | None = None
    high: float | None = None
    log: bool = False  # sample evenly on a log scale (Katib: distribution logUniform)
    choices: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind {self.kind!r} is not one of {KINDS}")
        if self.kind == "categorical" and not self.choices:
            raise ValueError(f"{self.name}: a categorical parameter needs choices")
        if self.kind != "categorical" and not (self.low is not None and self.high is not None):
            raise ValueError(f"{self.name}: a range needs low and high")

    @property
    def notebook_name(self) -> str:
        """Its name in notebook 3's parameters cell (what papermill or a Katib trial sets)."""
        return self.name.upper()

    def contains(self, value: Any) -> bool:
        if self.kind == "categorical":
            return value in self.choices
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            return False
        if self.kind == "int" and int(value) != value:
            return False
        return self.low <= value <= self.high

    def describe(self) -> str:
        """For people: "16 to 256 (log scale)", "one of 128, 256, 512"."""
        if self.kind == "categorical":
            return "one of " + ", ".join(str(choice) for choice in self.choices)
        scale = " (log scale)" if self.log else ""
        return f"{self.kind} from {self.low:g} to {self.high:g}{scale}"


@dataclass(frozen=True)
class Objective:
    metric: str  # as Keras names it in the training history, and MLflow in each trial's run
    goal: str  # "maximize" or "minimize"
    description: str


PARAMETERS = (
    Parameter("hidden_units", "int", 16, 256, log=True),
    Parameter("hidden_layers", "int", 0, 3),  # 0: logistic regression (notebook 3)
    Parameter("dropout", "float", 0.0, 0.5),
    Parameter("learning_rate", "float", 3e-4, 1e-2, log=True),
    Parameter("batch_size", "categorical", choices=(128, 256, 512)),
)
OBJECTIVE = Objective(
    metric="val_top5_accuracy",
    goal="maximize",
    description="top-5 accuracy on the validation split, at the epoch of lowest validation "
    "loss (the weights early stopping keeps); never the test split",
)
# Versions trained before notebook 3 had HIDDEN_LAYERS were built with two hidden layers.
_BEFORE_IT_WAS_A_PARAMETER = {"hidden_layers": 2}


def names() -> list[str]:
    return [parameter.name for parameter in PARAMETERS]


def as_dict() -> dict[str, Any]:
    """The space and the objective as JSON-ready data (recorded with every candidate)."""
    return {
        "parameters": [
            {"name": p.name, "kind": p.kind, "choices": list(p.choices)}
            if p.kind == "categorical"
            else {"name": p.name, "kind": p.kind, "low": p.low, "high": p.high, "log": p.log}
            for p in PARAMETERS
        ],
        "objective": asdict(OBJECTIVE),
    }


def configuration(properties: Mapping[str, Any]) -> dict[str, Any]:
    """A registered version's values of the searched parameters, from its `param_*` properties.

    Raises KeyError with the name of the first property missing.
    """
    values = {}
    for parameter in PARAMETERS:
        key = f"param_{parameter.name}"
        if key in properties:
            values[parameter.name] = properties[key]
        elif parameter.name in _BEFORE_IT_WAS_A_PARAMETER:
            values[parameter.name] = _BEFORE_IT_WAS_A_PARAMETER[parameter.name]
        else:
            raise KeyError(key)
        if parameter.kind == "int" and isinstance(values[parameter.name], float):
            values[parameter.name] = int(values[parameter.name])
    return values


def study_name(model_name: str, preprocessing: Mapping[str, Any], training: Mapping) -> str:
    """`<model name>-<fingerprint>`: the fingerprint of everything a trial depends on (the
    prepared data and its split, the training settings, this search space). The same name
    means the study's earlier trials still count; change any of them and a new study starts."""
    depends_on = {
        "data": preprocessing["dataset_sha256"],
        "split": preprocessing["split"],
        "training": dict(training),
        "search space": as_dict(),
    }
    fingerprint = hashlib.sha256(json.dumps(depends_on, sort_keys=True).encode())
    return f"{model_name}-{fingerprint.hexdigest()[:8]}"
