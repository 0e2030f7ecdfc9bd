"""What a cluster imports is current, and valid: the pipeline's IR YAML, the Katib Experiment,
the OpenVINO Model Server runtime, an InferenceService as `jukebox deploy --manifest` writes it,
and the Feast FeatureStore.

The Katib SDK (kubeflow-katib) does not install beside our pins: every release since 0.17 needs
protobuf<5, the 2026 image ships protobuf 6. So the Experiment is checked against Katib's own
OpenAPI definitions (tests/schemas/, vendored from kubeflow/katib), strictly: a field Katib does
not know fails the test. Katib's generated models (kubeflow-katib-api, which needs only pydantic
2: a dev requirement) check it too: they refuse a wrong type and drop a field they do not know. The trial's Job is checked with the kubernetes client's models, and the
rules Katib's admission webhook adds are restated below. The ServingRuntime and the
InferenceService are checked against KServe's CRD schemas (openAPIV3Schema, tests/schemas/),
strictly too.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
import yaml
from kubernetes.client import ApiClient
from support import kserve

from jukebox_workshop.cluster import feature_store, katib, manifests, pipeline, serving
from jukebox_workshop.errors import WorkshopError
from jukebox_workshop.refine.search_space import OBJECTIVE, PARAMETERS
from jukebox_workshop.settings import DEFAULT_HYPERPARAMETERS, FEATURE_REPO

SCHEMAS = Path(__file__).parents[1] / "schemas"
# Kubernetes types the Katib definitions refer to but do not contain.
KUBERNETES_TYPES = {
    "v1.ObjectMeta": {"type": "object"},
    "v1.ListMeta": {"type": "object"},
    "v1.Time": {"type": "string"},
    "v1.Container": {"type": "object"},
    "v1.HTTPGetAction": {"type": "object"},
    "v1.unstructured.Unstructured": {"type": "object"},
}


def committed(name: str) -> dict:
    return yaml.safe_load((manifests.CLUSTER_DIR / name).read_text())


def test_the_committed_manifests_are_what_the_code_generates():
    assert manifests.stale() == [], "run `make manifests` and commit cluster/"


def test_compiling_twice_gives_the_same_file():
    assert pipeline.compiled() == pipeline.compiled()


def test_another_image_changes_only_the_images(tmp_path):
    image = "quay.io/example/jukebox-pipeline:1"
    written = manifests.write(tmp_path, image)
    for path in written:
        text = path.read_text()
        default = (manifests.CLUSTER_DIR / path.name).read_text()
        assert text == default.replace(pipeline.IMAGE, image)
        # The model server and Spark have images of their own; the FeatureStore names none.
        if path.name not in (
            manifests.RUNTIME_FILE,
            manifests.FEATURE_STORE_FILE,
            manifests.SPARK_FILE,  # Spark's image (cluster/Containerfile.spark)
        ):
            assert pipeline.IMAGE not in text and image in text


# The pipeline


def pipeline_spec() -> tuple[dict, dict]:
    spec, platform = yaml.safe_load_all(
        (manifests.CLUSTER_DIR / manifests.PIPELINE_FILE).read_text()
    )
    return spec, platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]


def test_the_steps_are_the_notebooks_in_order():
    spec, _ = pipeline_spec()
    tasks = spec["root"]["dag"]["tasks"]
    assert list(spec["root"]["inputDefinitions"]["parameters"]) == [
        "batch_size",
        "data",
        "data_connection",
        "dropout",
        "epochs",
        "hidden_layers",
        "hidden_units",
        "learning_rate",
        "model_name",
        "registry_url",
    ]
    order = ["prepare", "train", "evaluate", "upload", "register"]
    assert set(tasks) == set(order)
    for before, after in zip(order, order[1:], strict=False):
        assert before in tasks[after]["dependentTasks"]
    for name in order:
        source = spec["deploymentSpec"]["executors"][f"exec-{name}"]["container"]["command"][-1]
        assert f"steps.{name}(" in source, "each step calls the notebook runner"
        assert spec["deploymentSpec"]["executors"][f"exec-{name}"]["container"]["image"] == (
            pipeline.IMAGE
        )
        assert not tasks[name]["cachingOptions"].get("enableCaching"), "a weekly run retrains"


def test_the_upload_takes_only_what_the_evaluation_passed_on():
    spec, _ = pipeline_spec()
    (source,) = spec["root"]["dag"]["tasks"]["upload"]["inputs"]["artifacts"].values()
    assert source["taskOutputArtifact"]["producerTask"] == "evaluate"


def test_steps_that_use_s3_read_the_data_connection_named_by_a_parameter():
    _, executors = pipeline_spec()
    assert set(executors) == {"exec-prepare", "exec-upload", "exec-register"}
    for executor in executors.values():
        (secret,) = executor["secretAsEnv"]
        assert secret["secretNameParameter"] == {"componentInputParameter": "data_connection"}
        assert {item["envVar"] for item in secret["keyToEnv"]} == {
            "AWS_S3_ENDPOINT",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
            "AWS_S3_BUCKET",
        }


def test_the_register_step_records_the_pipeline_and_its_run():
    spec, _ = pipeline_spec()
    parameters = spec["root"]["dag"]["tasks"]["register"]["inputs"]["parameters"]
    assert parameters["pipeline_name"]["runtimeValue"]["constant"] == pipeline.PIPELINE_NAME
    assert parameters["run_name"]["runtimeValue"]["constant"] == "{{$.pipeline_job_name}}"
    assert parameters["run_id"]["runtimeValue"]["constant"] == "{{$.pipeline_job_uuid}}"


def test_the_hyperparameters_default_to_notebook_3s_and_reach_its_train_step():
    spec, _ = pipeline_spec()
    inputs = spec["root"]["inputDefinitions"]["parameters"]
    train = spec["root"]["dag"]["tasks"]["train"]["inputs"]["parameters"]
    for parameter in PARAMETERS:
        assert inputs[parameter.name]["defaultValue"] == DEFAULT_HYPERPARAMETERS[parameter.name]
        assert train[parameter.name] == {"componentInputParameter": parameter.name}


# The Katib Experiment


def strict(schema: dict) -> dict:
    """The definitions with unknown fields refused, as a typo in a manifest would be silently
    dropped by the cluster (the CRD keeps unknown fields, the controller ignores them)."""
    schema = copy.deepcopy(schema)
    for definition in schema.values():
        if "properties" in definition:
            definition["additionalProperties"] = False
    return schema


def test_the_experiment_matches_katibs_openapi_definitions():
    swagger = json.loads((SCHEMAS / "katib-v1beta1-swagger.json").read_text())
    definitions = strict({**swagger["definitions"], **KUBERNETES_TYPES})
    schema = {"$ref": "#/definitions/v1beta1.Experiment", "definitions": definitions}
    jsonschema.Draft4Validator(schema).validate(committed(manifests.EXPERIMENT_FILE))


def test_a_misspelt_field_would_be_caught():
    swagger = json.loads((SCHEMAS / "katib-v1beta1-swagger.json").read_text())
    definitions = strict({**swagger["definitions"], **KUBERNETES_TYPES})
    schema = {"$ref": "#/definitions/v1beta1.Experiment", "definitions": definitions}
    experiment = committed(manifests.EXPERIMENT_FILE)
    experiment["spec"]["parallelTrialsCount"] = experiment["spec"].pop("parallelTrialCount")
    with pytest.raises(jsonschema.ValidationError, match="parallelTrialsCount"):
        jsonschema.Draft4Validator(schema).validate(experiment)


def test_katibs_own_models_read_the_experiment_whole():
    from kubeflow_katib_api.models import V1beta1Experiment

    experiment = committed(manifests.EXPERIMENT_FILE)
    read = V1beta1Experiment.from_dict(experiment)
    assert read.spec.max_trial_count == katib.MAX_TRIALS
    assert read.to_dict() == experiment, "a field Katib's models do not know was dropped"


def test_katibs_own_models_refuse_a_wrong_type_and_drop_a_misspelt_field():
    from kubeflow_katib_api.models import V1beta1Experiment
    from pydantic import ValidationError

    experiment = committed(manifests.EXPERIMENT_FILE)
    experiment["spec"]["parallelTrialCount"] = "four"
    with pytest.raises(ValidationError, match="parallelTrialCount"):
        V1beta1Experiment.from_dict(experiment)
    experiment["spec"]["parallelTrialsCount"] = experiment["spec"].pop("parallelTrialCount")
    assert V1beta1Experiment.from_dict(experiment).to_dict() != experiment


def test_the_trial_is_a_valid_kubernetes_job():
    """Katib converts the trial template to a batch/v1 Job and refuses what does not convert."""
    job = committed(manifests.EXPERIMENT_FILE)["spec"]["trialTemplate"]["trialSpec"]
    client = ApiClient()
    model = client._ApiClient__deserialize(job, "V1Job")  # the models' own (private) reader
    assert client.sanitize_for_serialization(model) == job, "a field the Job model does not know"


def test_the_rules_katibs_admission_webhook_applies():
    """Restated from kubeflow/katib v0.19.0, pkg/webhook/v1beta1/experiment/validator."""
    experiment = committed(manifests.EXPERIMENT_FILE)
    spec = experiment["spec"]
    name = experiment["metadata"]["name"]
    assert re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", name) and len(name) <= 40
    assert 0 < spec["parallelTrialCount"] <= spec["maxTrialCount"]
    assert 0 <= spec["maxFailedTrialCount"] <= spec["maxTrialCount"]
    assert spec["objective"]["type"] in ("minimize", "maximize")
    assert spec["algorithm"]["algorithmName"] == "tpe"
    assert {s["name"] for s in spec["algorithm"]["algorithmSettings"]} <= {
        "gamma",
        "prior_weight",
        "n_EI_candidates",
        "random_state",
    }
    for parameter in spec["parameters"]:
        space = parameter["feasibleSpace"]
        assert space.get("distribution", "uniform") in ("uniform", "logUniform")
        if parameter["parameterType"] in ("int", "double"):
            assert float(space["min"]) < float(space["max"]) and "list" not in space
        else:
            assert parameter["parameterType"] == "categorical" and space["list"]
    template = spec["trialTemplate"]
    assert template["successCondition"] and template["failureCondition"]
    job = template["trialSpec"]
    containers = job["spec"]["template"]["spec"]["containers"]
    assert template["primaryContainerName"] in [c["name"] for c in containers]
    assert "name" not in job.get("metadata", {}) and "namespace" not in job.get("metadata", {})
    text = json.dumps(job)
    names = {p["name"] for p in template["trialParameters"]}
    assert {p["reference"] for p in template["trialParameters"]} == {
        p["name"] for p in spec["parameters"]
    }
    for name in names:
        assert f"${{trialParameters.{name}}}" in text
    assert set(re.findall(r"\$\{trialParameters\.(.+?)\}", text)) == names
    assert spec["metricsCollectorSpec"]["collector"]["kind"] == "StdOut"


def test_the_experiment_searches_notebook_7s_space_for_its_objective():
    spec = committed(manifests.EXPERIMENT_FILE)["spec"]
    assert spec["objective"] == {"type": OBJECTIVE.goal, "objectiveMetricName": OBJECTIVE.metric}
    searched = {p["name"]: p for p in spec["parameters"]}
    assert list(searched) == [p.name for p in PARAMETERS]
    for parameter in PARAMETERS:
        space = searched[parameter.name]["feasibleSpace"]
        if parameter.kind == "categorical":
            assert space["list"] == [str(choice) for choice in parameter.choices]
        else:
            assert (float(space["min"]), float(space["max"])) == (parameter.low, parameter.high)
            assert (space.get("distribution") == "logUniform") == parameter.log


@pytest.mark.parametrize(
    ("parameter", "text", "value"),
    [("hidden_units", "37", 37), ("dropout", "0.25", 0.25), ("batch_size", "256", 256)],
)
def test_a_trial_reads_katibs_values_as_notebook_3_takes_them(parameter, text, value):
    (found,) = [p for p in PARAMETERS if p.name == parameter]
    assert katib._value(found, text) == value
    assert type(katib._value(found, text)) is type(value)


@pytest.mark.parametrize(
    ("parameter", "text"),
    [("hidden_units", "1000"), ("hidden_layers", "1.5"), ("batch_size", "64")],
)
def test_a_value_outside_the_space_is_refused(parameter, text):
    (found,) = [p for p in PARAMETERS if p.name == parameter]
    with pytest.raises(WorkshopError, match="outside the search space"):
        katib._value(found, text)


# The model server: KServe's ServingRuntime and InferenceService


@dataclass
class Registered:
    """What the registry client returns, with the fields the manifest reads."""

    id: str = "7"
    name: str = "20261201-101500"
    model_format_name: str = "onnx"
    storage_key: str | None = "models"
    storage_path: str | None = "jukebox/20261201-101500"


def an_inference_service() -> dict:
    registered = Registered()
    return serving.inference_service("jukebox", registered, registered, Registered(id="3"))


def test_the_runtime_matches_kserves_crd():
    runtime = committed(manifests.RUNTIME_FILE)
    kserve.validator("servingruntime-v1alpha1").validate(runtime)
    (container,) = runtime["spec"]["containers"]
    assert "--model_name={{.Name}}" in container["args"]
    assert f"--rest_port={serving.REST_PORT}" in container["args"]
    assert container["ports"] == [{"containerPort": 8888, "protocol": "TCP"}]
    (plugin,) = [arg for arg in container["args"] if arg.startswith("--plugin_config=")]
    assert json.loads(plugin.partition("=")[2]) == {"INFERENCE_PRECISION_HINT": "f32"}
    assert "v2" in runtime["spec"]["protocolVersions"]
    assert {"name": "onnx", "version": "1", "autoSelect": True} in runtime["spec"][
        "supportedModelFormats"
    ]


def test_the_inference_service_matches_kserves_crd():
    service = an_inference_service()
    kserve.validator("inferenceservice-v1beta1").validate(service)
    assert service["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == (
        "RawDeployment"
    )
    assert service["spec"]["predictor"]["model"] == {
        "modelFormat": {"name": "onnx", "version": "1"},
        "runtime": committed(manifests.RUNTIME_FILE)["metadata"]["name"],
        "storage": {"key": "models", "path": "jukebox/20261201-101500/"},
    }


@pytest.mark.parametrize(
    ("schema", "manifest", "change", "error"),
    [
        ("servingruntime-v1alpha1", "runtime", lambda r: r["spec"].pop("containers"), "containers"),
        (
            "servingruntime-v1alpha1",
            "runtime",
            lambda r: r["spec"].update(protocolVersion=["v2"]),
            "protocolVersion",
        ),
        ("inferenceservice-v1beta1", "service", lambda s: s["spec"].pop("predictor"), "predictor"),
        (
            "inferenceservice-v1beta1",
            "service",
            lambda s: s["spec"]["predictor"]["model"]["modelFormat"].pop("name"),
            "name",
        ),
        (
            "inferenceservice-v1beta1",
            "service",
            lambda s: s["spec"]["predictor"]["model"]["storage"].update(bucket="models"),
            "bucket",
        ),
    ],
    ids=[
        "runtime without containers",
        "runtime misspelt field",
        "service without predictor",
        "model format without name",
        "storage unknown field",
    ],
)
def test_a_missing_or_unknown_field_is_refused(schema, manifest, change, error):
    document = (
        committed(manifests.RUNTIME_FILE) if manifest == "runtime" else an_inference_service()
    )
    change(document)
    with pytest.raises(jsonschema.ValidationError, match=error):
        kserve.validator(schema).validate(document)


def test_a_version_without_storage_or_of_another_format_is_refused():
    registered = Registered(storage_key=None)
    with pytest.raises(WorkshopError, match="records no data connection"):
        serving.inference_service("jukebox", registered, registered, registered)
    registered = Registered(model_format_name="tensorflow")
    with pytest.raises(WorkshopError, match="is a 'tensorflow' model"):
        serving.inference_service("jukebox", registered, registered, registered)


# The Feast FeatureStore


def closed(schema):
    """The CRD's schema with unknown fields refused: the API server would prune a misspelt
    field silently (structural schemas drop what they do not declare)."""
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: closed(value) for key, value in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema:
        schema["additionalProperties"] = False
    return schema


@pytest.fixture(scope="module")
def feature_store_schema() -> dict:
    return closed(json.loads((SCHEMAS / "feast-featurestore-v1.json").read_text()))


def test_the_feature_store_matches_the_operators_crd(feature_store_schema):
    jsonschema.Draft7Validator(feature_store_schema).validate(
        committed(manifests.FEATURE_STORE_FILE)
    )


def test_a_misspelt_feature_store_field_would_be_caught(feature_store_schema):
    store = committed(manifests.FEATURE_STORE_FILE)
    store["spec"]["services"]["onlineStore"]["servers"] = store["spec"]["services"][
        "onlineStore"
    ].pop("server")
    with pytest.raises(jsonschema.ValidationError, match="servers"):
        jsonschema.Draft7Validator(feature_store_schema).validate(store)


def test_the_cluster_client_configuration_names_the_operators_services():
    """The operator names its services feast-<name>-<service> and serves them on port 80
    (feast-dev/feast v0.65.0, infra/feast-operator/internal/controller/services)."""
    client = yaml.safe_load((FEATURE_REPO / "feature_store.cluster.yaml").read_text())
    laptop = yaml.safe_load((FEATURE_REPO / "feature_store.yaml").read_text())
    prefix = f"feast-{feature_store.NAME}"
    assert client["project"] == laptop["project"] == feature_store.PROJECT
    assert client["registry"] == {"registry_type": "remote", "path": f"{prefix}-registry:80"}
    assert client["online_store"] == {"type": "remote", "path": f"http://{prefix}-online:80"}
    assert client["offline_store"] == {"type": "remote", "host": f"{prefix}-offline", "port": 80}
