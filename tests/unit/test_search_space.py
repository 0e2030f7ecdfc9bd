"""The search space is one definition that notebook 3, notebook 7 and a Katib generator agree on."""

from __future__ import annotations

import json

import nbformat
import optuna
import pytest

from jukebox_workshop.refine import search_space
from jukebox_workshop.refine.search_space import OBJECTIVE, PARAMETERS, Parameter
from jukebox_workshop.settings import NOTEBOOK_DIR


def parameters_cell(name: str) -> str:
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    (cell,) = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    return cell.source


def test_every_parameter_is_set_in_notebook_3s_parameters_cell() -> None:
    source = parameters_cell("03-train.ipynb")
    for parameter in PARAMETERS:
        assert f"\n{parameter.notebook_name} = " in f"\n{source}", parameter.notebook_name


def test_the_objective_is_a_metric_keras_reports_on_the_validation_split() -> None:
    assert OBJECTIVE.metric == "val_top5_accuracy" and OBJECTIVE.goal == "maximize"
    assert "validation" in OBJECTIVE.description and "never the test" in OBJECTIVE.description


NOTEBOOK_3 = {"hidden_units": 64, "hidden_layers": 2, "dropout": 0.2}
NOTEBOOK_3 |= {"learning_rate": 1e-3, "batch_size": 128}


def notebook_7s_suggest():
    """The `suggest` function notebook 7 writes in a cell, over this search space."""
    notebook = nbformat.read(NOTEBOOK_DIR / "07-refine.ipynb", as_version=4)
    (cell,) = [c for c in notebook.cells if "def suggest(trial)" in c.source]
    namespace = {"search_space": search_space, "optuna": optuna, "current_params": NOTEBOOK_3}
    exec(cell.source, namespace)
    return namespace["suggest"]


def test_notebook_7_samples_only_inside_the_space() -> None:
    suggest = notebook_7s_suggest()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(30):
        trial = study.ask()
        values = suggest(trial)
        study.tell(trial, 0.0)
        assert set(values) == set(search_space.names())
        for parameter in PARAMETERS:
            assert parameter.contains(values[parameter.name]), (parameter.name, values)


def test_a_fixed_trial_gives_back_its_values() -> None:
    assert notebook_7s_suggest()(optuna.trial.FixedTrial(NOTEBOOK_3)) == NOTEBOOK_3


def test_what_a_manifest_generator_reads_is_json() -> None:
    described = json.loads(json.dumps(search_space.as_dict()))
    assert [p["name"] for p in described["parameters"]] == search_space.names()
    dropout = next(p for p in described["parameters"] if p["name"] == "dropout")
    assert dropout == {"name": "dropout", "kind": "float", "low": 0.0, "high": 0.5, "log": False}
    batch = next(p for p in described["parameters"] if p["name"] == "batch_size")
    assert batch == {"name": "batch_size", "kind": "categorical", "choices": [128, 256, 512]}
    assert described["objective"]["metric"] == "val_top5_accuracy"


def test_describe_for_people() -> None:
    by_name = {p.name: p for p in PARAMETERS}
    assert by_name["learning_rate"].describe() == "float from 0.0003 to 0.01 (log scale)"
    assert by_name["batch_size"].describe() == "one of 128, 256, 512"


def test_contains() -> None:
    units = Parameter("hidden_units", "int", 16, 256, log=True)
    assert units.contains(16) and units.contains(256) and not units.contains(300)
    assert not units.contains(64.5) and not units.contains(True) and not units.contains("64")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kind": "bool"}, "is not one of"),
        ({"kind": "categorical"}, "needs choices"),
        ({"kind": "int", "low": 1}, "needs low and high"),
    ],
)
def test_a_malformed_parameter_is_refused(arguments, message) -> None:
    with pytest.raises(ValueError, match=message):
        Parameter("x", **arguments)


def test_configuration_from_registry_properties() -> None:
    properties = {
        "param_hidden_units": 64,
        "param_hidden_layers": 3,
        "param_dropout": 0.2,
        "param_learning_rate": 0.001,
        "param_batch_size": 128,
        "param_epochs": 200,
    }
    assert search_space.configuration(properties) == {
        "hidden_units": 64,
        "hidden_layers": 3,
        "dropout": 0.2,
        "learning_rate": 0.001,
        "batch_size": 128,
    }
    del properties["param_hidden_layers"]  # registered before HIDDEN_LAYERS existed
    assert search_space.configuration(properties)["hidden_layers"] == 2
    del properties["param_dropout"]
    with pytest.raises(KeyError, match="param_dropout"):
        search_space.configuration(properties)
