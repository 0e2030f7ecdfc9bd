"""MLflow for notebook 7: where the runs go, and a clear message when the server fails.

The notebook calls mlflow directly; `tracking_uri` only chooses the store, and wrapping a call
in `explain_mlflow_errors` only changes the message of what goes wrong.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from jukebox_workshop.errors import WorkshopError
from jukebox_workshop.explain import LOCAL_HINT, MLFLOW, tls_problem
from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import TRACKING_URI_VARIABLE, temporary_environment

_REFUSED = {"UNAUTHENTICATED", "PERMISSION_DENIED"}
# Read by mlflow at each request: one attempt, ten seconds, for the first contact only.
_ONE_QUICK_TRY = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}


def tracking_uri(workspace: Workspace) -> str:
    """MLFLOW_TRACKING_URI (a cluster's or the local platform's server), else a local store."""
    return os.environ.get(TRACKING_URI_VARIABLE) or workspace.local_tracking_uri


def is_server(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


@contextmanager
def explain_mlflow_errors(uri: str) -> Iterator[None]:
    """Re-raise MLflow's failures to reach or use the tracking server as a WorkshopError."""
    try:
        yield
    except MlflowException as error:
        text = str(error)
        if error.error_code in _REFUSED:
            raise WorkshopError(
                f"The MLflow tracking server at {uri} refused the request ({error.error_code}). "
                "Set MLFLOW_TRACKING_TOKEN (for example to the output of `oc whoami -t`), or ask "
                "your instructor for access to MLflow."
            ) from None
        if problem := _kubernetes_auth_problem(uri, text):
            raise WorkshopError(problem) from None
        if "[SSL:" in text or "CA certificate bundle" in text:
            raise WorkshopError(tls_problem(MLFLOW, uri, text)) from None
        if "failed with exception" in text or "error code 404" in text:
            reason = "it answered 404" if "error code 404" in text else "no connection"
            raise WorkshopError(
                f"Cannot reach the MLflow tracking server at {uri} ({reason}). Check "
                f"{TRACKING_URI_VARIABLE} (scheme, host and port), or unset it to keep the runs "
                f"in a local store under output/refine/. {LOCAL_HINT}"
            ) from None
        raise


def _kubernetes_auth_problem(uri: str, text: str) -> str | None:
    """What to do when MLFLOW_TRACKING_AUTH=kubernetes[-namespaced] (OpenShift AI's MLflow)
    finds no project, no token or no kubernetes package; None for any other failure."""
    auth = f"MLFLOW_TRACKING_AUTH={os.environ.get('MLFLOW_TRACKING_AUTH', '')}"
    if "Could not determine Kubernetes namespace" in text:
        return (
            f"{auth} found no project to use as MLflow's workspace for {uri}. A workbench's "
            "service account gives it; elsewhere, choose your project with `oc project "
            "<your project>` after `oc login`."
        )
    if "Could not determine Kubernetes credentials" in text:
        return (
            f"{auth} found no token for {uri}. A workbench's service account gives it; "
            "elsewhere, run `oc login`, or unset MLFLOW_TRACKING_AUTH and set "
            "MLFLOW_TRACKING_TOKEN (for example to the output of `oc whoami -t`)."
        )
    if "pip install mlflow[kubernetes]" in text:
        return (
            f"{auth} needs the kubernetes package: run `pip install -r "
            "requirements-workbench.txt` in the repository folder, then restart the kernel."
        )
    return None


def check_server(uri: str) -> None:
    """One quick request, so that a server that is down is reported before the search starts."""
    if not is_server(uri):
        return
    with temporary_environment(_ONE_QUICK_TRY), explain_mlflow_errors(uri):
        MlflowClient(tracking_uri=uri).search_experiments(max_results=1)


def use_experiment(uri: str, name: str, workspace: Workspace) -> mlflow.entities.Experiment:
    """Make `name` the active MLflow experiment, created if new: a server keeps its artifacts
    where it was told to (S3 here), a local store in the workspace."""
    with explain_mlflow_errors(uri):
        if mlflow.get_experiment_by_name(name) is None:
            artifacts = None if is_server(uri) else workspace.local_artifacts_dir.as_uri()
            mlflow.create_experiment(name, artifact_location=artifacts)
        return mlflow.set_experiment(name)
