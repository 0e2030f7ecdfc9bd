"""cluster/spark-prepare.yaml, the SparkApplication that runs notebook 2's preparation on a
cluster, is valid for the Kubeflow Spark Operator: checked against the openAPIV3Schema of its
SparkApplication CRD (v1beta2, vendored in tests/schemas/ from kubeflow/spark-operator v2.5.2),
strictly (a field the CRD does not declare is an error: the API server would drop it silently).
That the committed file is current is checked with the other manifests
(tests/unit/test_cluster_manifests.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from support.kserve import _closed

from jukebox_workshop.cluster import manifests, spark_prepare
from jukebox_workshop.preparation import PREPARE_FILE

SCHEMA = (
    Path(__file__).parents[1] / "schemas" / "spark-operator-v2.5.2-sparkapplication-v1beta2.json"
)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text())
    _closed(schema)
    return jsonschema.Draft7Validator(schema)


def committed() -> dict:
    return yaml.safe_load((manifests.CLUSTER_DIR / manifests.SPARK_FILE).read_text())


def test_the_spark_application_matches_the_operators_crd(validator):
    validator.validate(committed())


def test_it_runs_notebook_2s_preparation_with_spark_on_s3(validator):
    spec = committed()["spec"]
    assert spec["type"] == "Python" and spec["mode"] == "cluster"
    assert spec["mainApplicationFile"].endswith("/jukebox/prepare.py") and PREPARE_FILE.is_file()
    assert "--engine=spark" in spec["arguments"]
    assert all(
        a.split("=", 1)[1].startswith("s3a://")
        for a in spec["arguments"]
        if "-data" in a or "-out" in a
    )
    for pod in (spec["driver"], spec["executor"]):
        assert pod["envFrom"] == [{"secretRef": {"name": "models"}}], "the data connection's keys"
    assert spec["sparkVersion"].startswith("4.")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda s: s.update(type="python"), "'python' is not one of"),
        (lambda s: s["driver"].update(cores="one"), "'one' is not of type 'integer'"),
        (lambda s: s.update(executors={"instances": 2}), "executors"),
        (lambda s: s.pop("mainApplicationFile"), "mainApplicationFile"),
        (lambda s: s["restartPolicy"].update(type="Sometimes"), "'Sometimes' is not one of"),
    ],
    ids=["type in lower case", "cores as text", "misspelt field", "no application", "bad policy"],
)
def test_a_bad_value_is_refused(validator, change, error):
    application = committed()
    change(application["spec"])
    with pytest.raises(jsonschema.ValidationError, match=error):
        validator.validate(application)


def test_another_image_changes_only_the_image():
    image = "quay.io/example/jukebox-spark:1"
    assert spark_prepare.text(image) == spark_prepare.text().replace(
        spark_prepare.SPARK_IMAGE, image
    )
