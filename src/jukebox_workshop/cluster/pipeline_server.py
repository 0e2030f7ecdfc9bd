"""Talking to a pipeline server (Data Science Pipelines in OpenShift AI) with `kfp.Client`:
the token a workbench has, and the client's failures as messages that say what to do.

Notebook 10 calls kfp.Client itself, inside `explain_pipeline_server_errors`:

    with explain_pipeline_server_errors(KFP_HOST):
        client = kfp.Client(host=KFP_HOST, existing_token=KFP_TOKEN, namespace=KFP_NAMESPACE)
        experiment = client.create_experiment("jukebox")
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import kfp_server_api
import urllib3

from jukebox_workshop.errors import WorkshopError

# What Kubernetes mounts in every pod, a workbench's included.
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
# How long a connection may take before the server counts as unreachable (kfp sets no limit).
CONNECT_SECONDS = 15


def service_account_file(name: str, folder: Path = SERVICE_ACCOUNT_DIR) -> str:
    """The pod's `token` or `namespace`, or "" outside a pod."""
    path = folder / name
    return path.read_text(encoding="utf-8").strip() if path.is_file() else ""


@contextmanager
def explain_pipeline_server_errors(host: str) -> Iterator[None]:
    """Turn kfp.Client's failures against `host` into WorkshopErrors that say what to do; a
    server that does not accept the connection fails within CONNECT_SECONDS."""
    saved = socket.getdefaulttimeout()
    socket.setdefaulttimeout(CONNECT_SECONDS)  # urllib3, under kfp's client, takes it
    try:
        yield
    except TimeoutError as error:
        if "healthz" not in str(error):
            raise
        raise WorkshopError(
            f"The pipeline server at {host} did not answer its health check in 5 attempts (it "
            "refuses the token, or is starting): set KFP_NAMESPACE to your project so that the "
            "client reports the refusal at once, or check that the pipeline server is running."
        ) from None
    except (urllib3.exceptions.HTTPError, ConnectionError) as error:
        reason = getattr(error, "reason", None) or error
        raise WorkshopError(
            f"No pipeline server answers at {host} ({type(reason).__name__}): check KFP_HOST, "
            "the address of your project's pipeline server (in OpenShift AI: Data science "
            "pipelines > Pipelines, the server's route, https://...), or unset it to skip the "
            "cluster run."
        ) from None
    except kfp_server_api.ApiException as error:
        raise WorkshopError(_refusal(host, error)) from None
    finally:
        socket.setdefaulttimeout(saved)


def _refusal(host: str, error: kfp_server_api.ApiException) -> str:
    if error.status == 401:
        return (
            f"The pipeline server at {host} refused the token (401 Unauthorized): set KFP_TOKEN "
            "to a valid one (`oc whoami --show-token`), or in a workbench unset it to use the "
            "workbench's service account token."
        )
    if error.status == 403:
        return (
            f"The pipeline server at {host} refused access (403 Forbidden): the token's user or "
            "service account may not use this project's pipelines. Ask for edit access to the "
            "project, or set KFP_TOKEN to your own token (`oc whoami --show-token`)."
        )
    if not error.status:  # TLS and connection failures, as kfp_server_api reports them
        return (
            f"No pipeline server answers at {host}: {error.reason}. Check KFP_HOST; for a "
            "certificate the workbench does not trust, give kfp.Client ssl_ca_cert=<CA file>."
        )
    body = (error.body or b"").decode() if isinstance(error.body, bytes) else error.body or ""
    return (
        f"The pipeline server at {host} answered {error.status} {error.reason}: "
        f"{body.strip()[:300]}. Check the pipeline's arguments and KFP_HOST."
    )
