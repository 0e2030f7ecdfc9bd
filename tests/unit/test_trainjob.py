"""Notebook 3's training as a Kubeflow Trainer job: the parameters `train(params)` takes, and
`cluster/trainjob.yaml`, checked with Kubeflow Trainer's own API models (kubeflow-trainer-api,
generated from the TrainJob CRD's OpenAPI definitions) without a cluster.

Running train.py itself: tests/integration/test_train_script.py.
"""

from __future__ import annotations

import ast
import json
import re

import pydantic
import pytest
import yaml
from kubeflow_trainer_api.models import TrainerV1alpha1TrainJob

from jukebox_workshop import training
from jukebox_workshop.cluster import manifests, pipeline, trainjob
from jukebox_workshop.errors import JukeboxError, NoRunError
from jukebox_workshop.settings import NOTEBOOK_DIR, REPO_ROOT, S3_VARIABLES

GIB = 2**30


def committed() -> dict:
    return yaml.safe_load((manifests.CLUSTER_DIR / manifests.TRAINJOB_FILE).read_text())


# The parameters


def notebook_defaults() -> dict:
    """Notebook 3's parameters cell, read as written: the default of each `NAME = ...`."""
    notebook = json.loads((NOTEBOOK_DIR / "03-train.ipynb").read_text())
    (cell,) = [c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", [])]
    defaults = {}
    for statement in ast.parse("".join(cell["source"])).body:
        (target,) = statement.targets
        value = statement.value
        if isinstance(value, ast.Call) and ast.unparse(value.func) == "int":  # int(env.get(.., d))
            value = value.args[0].args[1]
        if target.id.isupper():
            defaults[target.id.lower()] = ast.literal_eval(value)
    return defaults


def test_the_defaults_are_notebook_3s():
    """Notebook 3's HIDDEN_LAYERS = None lets its comparison choose the algorithm and the
    network; train() trains one model, by default the network with two hidden layers."""
    defaults = {name: value for name, value in training.DEFAULTS.items() if name != "algorithm"}
    assert notebook_defaults() == {**defaults, "hidden_layers": None}
    assert training.DEFAULTS["algorithm"] == "network"


def test_a_forest_records_only_what_it_uses():
    assert training.used(training.checked({"algorithm": "forest", "trees": "20"})) == {
        "algorithm": "forest",
        "trees": 20,
        "seed": 42,
    }
    assert "trees" not in training.used(training.checked({}))


def test_the_defaults_fill_what_is_left_out():
    assert training.checked({"epochs": 3}) == {
        **training.PLACES,
        **training.DEFAULTS,
        "epochs": 3,
    }


def test_text_is_read_as_a_command_line_or_katib_gives_it():
    values = training.checked({"epochs": "40", "dropout": "0.25", "hidden_units": 64.0})
    assert (values["epochs"], values["dropout"], values["hidden_units"]) == (40, 0.25, 64)
    assert type(values["hidden_units"]) is int and type(values["dropout"]) is float


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"epoch": 3}, "Unknown training parameter 'epoch': train() takes workspace, prepared, "),
        ({"epochs": 0}, "Training parameter epochs=0 is not a whole number of at least 1"),
        ({"epochs": 2.5}, "Training parameter epochs=2.5 is not a whole number"),
        ({"epochs": True}, "Training parameter epochs=True is not a whole number"),
        ({"dropout": 1}, "Training parameter dropout=1 is not a number from 0 to below 1"),
        (
            {"hidden_layers": -1},
            "Training parameter hidden_layers=-1 is not a whole number of at least 0",
        ),
        ({"hidden_layers": None}, "Training parameter hidden_layers=None is not a whole number"),
        ({"learning_rate": "fast"}, "Training parameter learning_rate='fast' is not a number"),
        ({"learning_rate": 0}, "Training parameter learning_rate=0 is not a number above 0"),
        ({"batch_size": float("nan")}, "Training parameter batch_size=nan is not"),
        ({"workspace": ""}, "Training parameter workspace is empty"),
    ],
)
def test_a_bad_parameter_is_refused_with_what_to_do(params, message):
    with pytest.raises(training.TrainingParameterError) as refused:
        training.checked(params)
    assert str(refused.value).startswith(message)
    assert isinstance(refused.value, JukeboxError)


def test_no_hidden_layer_is_a_logistic_regression():
    assert training.checked({"hidden_layers": "0"})["hidden_layers"] == 0


def test_parameters_come_as_one_dict():
    with pytest.raises(
        training.TrainingParameterError, match=r"one dict of parameters .* not list"
    ):
        training.checked([("epochs", 3)])


def test_missing_splits_name_notebook_2(tmp_path):
    (tmp_path / "prepared").mkdir()
    (tmp_path / "prepared" / "train.parquet").write_bytes(b"")
    with pytest.raises(
        NoRunError,
        match=r"No validation.parquet, preprocessing.json in .*prepared/: run notebook 2",
    ):
        training.prepared_dir(training.checked({"workspace": str(tmp_path)}))


def test_the_command_line_refuses_a_bad_value_before_training(capsys):
    def train(params):
        raise AssertionError("trained with a bad value")

    assert training.main(train, ["--workspace", "output", "--dropout", "1.5"]) == 1
    assert capsys.readouterr().err == (
        "Training failed: Training parameter dropout='1.5' is not a number from 0 to below 1 "
        "(notebook 3's default: 0.2). Correct it and train again.\n"
    )


# The TrainJob


def test_the_trainjob_is_valid_for_kubeflow_trainers_api_models():
    document = committed()
    job = TrainerV1alpha1TrainJob.from_dict(document)
    # from_dict drops what the models do not know: a misspelt field would vanish silently
    assert job.to_dict() == document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda spec: spec["trainer"].update(numNodes="one"),
            "for TrainerV1alpha1Trainer\nnumNodes\n  Input should be a valid integer",
        ),
        (
            lambda spec: spec["trainer"].update(args="--epochs 200"),
            "for TrainerV1alpha1Trainer\nargs\n  Input should be a valid list",
        ),
        (
            lambda spec: spec["trainer"]["env"][0].update(value=1),
            "for IoK8sApiCoreV1EnvVar\nvalue\n  Input should be a valid string",
        ),
        (
            lambda spec: spec["runtimeRef"].pop("name"),
            "for TrainerV1alpha1RuntimeRef\nname\n  Input should be a valid string",
        ),
    ],
    ids=["number of nodes as text", "args as one string", "env value a number", "no runtime"],
)
def test_a_bad_value_is_refused_naming_the_object_and_field(change, message):
    document = committed()
    change(document["spec"])
    with pytest.raises(pydantic.ValidationError) as refused:
        TrainerV1alpha1TrainJob.from_dict(document)
    assert message in str(refused.value)


def test_a_misspelt_field_is_caught():
    document = committed()
    document["spec"]["trainer"]["numNode"] = document["spec"]["trainer"].pop("numNodes")
    assert TrainerV1alpha1TrainJob.from_dict(document).to_dict() != document


def test_the_job_runs_train_py_with_notebook_3s_parameters():
    trainer = committed()["spec"]["trainer"]
    assert trainer["image"] == pipeline.IMAGE
    python, script = trainer["command"]
    workdir = re.search(
        r"^WORKDIR (\S+)$", (REPO_ROOT / "cluster" / "Containerfile").read_text(), re.M
    )
    assert (python, script) == ("python", f"{workdir[1]}/jukebox/train.py")
    params = vars(training.parser().parse_args(trainer["args"]))
    assert training.checked(params) == {
        **training.DEFAULTS,
        "workspace": trainjob.WORKSPACE,
        "prepared": "",
    }


def quantity(text: str) -> float:
    units = {"Gi": GIB, "Mi": 2**20, "m": 1e-3, "": 1}
    number, unit = re.fullmatch(r"([\d.]+)(Gi|Mi|m|)", text).groups()
    return float(number) * units[unit]


def test_the_job_gets_more_than_a_small_workbench():
    """A Small workbench in OpenShift AI: at most 2 CPUs and 8 GiB."""
    trainer = committed()["spec"]["trainer"]
    assert trainer["numNodes"] == 1
    requests = trainer["resourcesPerNode"]["requests"]
    assert quantity(requests["cpu"]) > 2 and quantity(requests["memory"]) > 8 * GIB


def test_the_job_reads_s3_with_the_data_connections_keys():
    runtime, trainer = committed()["spec"]["runtimeRef"], committed()["spec"]["trainer"]
    assert runtime == {"name": "torch-distributed"}
    assert [item["name"] for item in trainer["env"]] == list(S3_VARIABLES)
    assert {item["valueFrom"]["secretKeyRef"]["name"] for item in trainer["env"]} == {"models"}
