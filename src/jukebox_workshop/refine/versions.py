"""Notebook 7's registry look-ups: the version to beat, and a candidate trained before.

The version to beat is the one the registered model's `deploy_version` property names (notebook
7 records it), else the newest version; its algorithm and parameters are its `param_*`
properties (notebook 6 registers them): a network's searched values, or a forest's trees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from jukebox_workshop.deployment import DEPLOY_VERSION_PROPERTY, version_to_deploy
from jukebox_workshop.errors import WorkshopError
from jukebox_workshop.explain import explain_registry_errors
from jukebox_workshop.refine import search_space
from jukebox_workshop.runs import Run, Workspace


@dataclass(frozen=True)
class VersionToBeat:
    name: str
    algorithm: str  # "network" (its values are searched) or "forest" (notebook 3's choice)
    params: dict[str, Any]  # a network's values of the searched parameters; a forest's trees
    validation_top5: float | None  # as registered by notebook 6 (None before it recorded it)
    why: str  # why this one: deploy_version names it, or it is the newest


def find_version_to_beat(registry: Any, model_name: str, registry_url: str) -> VersionToBeat:
    with explain_registry_errors(registry_url):
        registered_model = registry.get_registered_model(model_name)
        versions = list(registry.get_model_versions(model_name)) if registered_model else []
        if not versions:
            raise WorkshopError(
                f"'{model_name}' has no registered version in the registry at {registry_url}: "
                "run notebooks 3 to 6 first. This notebook refines a registered model."
            )
        name = version_to_deploy(registry, model_name)  # deploy_version, else the newest
    current = next((v for v in versions if v.name == name), None)
    deploy_version = (registered_model.custom_properties or {}).get(DEPLOY_VERSION_PROPERTY)
    if current is None:
        raise WorkshopError(
            f"deploy_version names version {deploy_version}, which '{model_name}' does not "
            "have. Correct the property in the registry, or remove it to use the newest version."
        )
    properties = current.custom_properties or {}
    algorithm = properties.get("param_algorithm", "network")  # versions from before forests
    try:
        if algorithm == "forest":
            params = {"trees": int(properties["param_trees"])}
        else:
            params = search_space.configuration(properties)
    except KeyError as missing:
        raise WorkshopError(
            f"Version {current.name} has no property {missing.args[0]}: notebook 6 did not "
            "register it. Register a version with notebooks 3 to 6, or name one in "
            "deploy_version."
        ) from None
    why = "deploy_version names it" if deploy_version else "the newest; no deploy_version yet"
    top5 = properties.get("validation_top5_accuracy")
    return VersionToBeat(
        current.name, algorithm, params, top5, f"{why}; {len(versions)} registered"
    )


def trained_before(workspace: Workspace, study_name: str, trial: int) -> Run | None:
    """The run notebook 3 made for this trial of this study in an earlier run, if any."""
    for run in workspace.runs():
        record = run.refinement() or {}
        if record.get("study_name") == study_name and record.get("best_trial") == trial:
            return run
    return None


def keep_deploy_version(registry: Any, model_name: str, version: str, registry_url: str) -> bool:
    """Name `version` in the registered model's `deploy_version` unless it names one already,
    so that whoever deploys the newest version never takes a candidate that was not promoted;
    whether it was set."""
    with explain_registry_errors(registry_url):
        registered_model = registry.get_registered_model(model_name)
        properties = registered_model.custom_properties or {}
        if properties.get(DEPLOY_VERSION_PROPERTY):
            return False
        registered_model.custom_properties = {**properties, DEPLOY_VERSION_PROPERTY: version}
        registry.update(registered_model)
    return True


def onnx_location(
    registry: Any, model_name: str, version: str, registry_url: str
) -> tuple[str, str]:
    """(bucket, key) of the ONNX file of `version`, where its registered artifact points:
    s3://<bucket>/<model name>/<version>?endpoint=... holds 1/model.onnx."""
    with explain_registry_errors(registry_url):
        artifact = registry.get_model_artifact(model_name, version)
    stored = urlsplit(artifact.uri)
    return stored.netloc, f"{stored.path.strip('/')}/1/model.onnx"
