"""Which registered version to deploy, wherever it is deployed (the local model server, or an
InferenceService in a cluster): the one the registered model's `deploy_version` names (notebook 7
records it), else the newest."""

from __future__ import annotations

from typing import Any

from jukebox_workshop.errors import WorkshopError

DEPLOY_VERSION_PROPERTY = "deploy_version"  # set on the registered model by notebook 7


class DeployError(WorkshopError):
    """The version cannot be deployed; the message says why and what to do."""


def version_to_deploy(registry: Any, model_name: str) -> str:
    """The version the registered model's `deploy_version` names, else the newest one."""
    model = registry.get_registered_model(model_name)
    if model is None:
        raise DeployError(
            f"No model '{model_name}' in the Model Registry: register a version first "
            "(notebooks 5 and 6)."
        )
    chosen = (model.custom_properties or {}).get(DEPLOY_VERSION_PROPERTY)
    if chosen:
        return str(chosen)
    newest = registry.get_model_versions(model_name).order_by_creation_time().descending()
    for version in newest:
        return version.name
    raise DeployError(f"The model '{model_name}' has no version in the Model Registry.")
