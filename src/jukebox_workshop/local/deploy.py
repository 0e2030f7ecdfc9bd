"""Deploy a registered model version to the local model server, as KServe does in a cluster.

    from jukebox_workshop.local.deploy import deploy

    deployment = deploy("jukebox", "20261201-101500")   # or no version: see deployment.py
    deployment.url, deployment.model_name, deployment.version

Deploying version V of a model:
1. looks V up in the Model Registry and reads its model artifact: format and S3 URI;
2. downloads the objects under that URI (never the local training folder) into the model
   server's folder, checking each against the SHA-256 notebook 5 stored with it;
3. writes the model's settings and asks the server to load it. A version already served
   keeps answering until the new one is loaded; then the new one replaces it, so no
   request in between fails;
4. checks that the server names V and answers a request.

Everything comes from the local platform (started if it is not running, with the model
server): its registry, its S3 server and credentials. `jukebox deploy` calls this.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jukebox_workshop.clients import registry_client, s3_client
from jukebox_workshop.deployment import DeployError, version_to_deploy
from jukebox_workshop.explain import explain_registry_errors, explain_s3_errors
from jukebox_workshop.local.services import model_server
from jukebox_workshop.settings import (
    MODEL_SERVER_URL_VARIABLE,
    REGISTRY_TOKEN_VARIABLE,
    REGISTRY_URL_VARIABLE,
    state_dir,
)

ONNX_FILE = "1/model.onnx"
LOAD_TIMEOUT = 120.0


@dataclass(frozen=True)
class Deployment:
    model_name: str
    version: str
    url: str  # the model server's base URL: the V2 paths hang under it
    source: str  # the S3 URI the files came from

    @property
    def model_url(self) -> str:
        return f"{self.url}/v2/models/{self.model_name}"


# The registry -------------------------------------------------------------------------------


def connect(registry_url: str, token: str | None = None) -> Any:
    """A `model_registry.ModelRegistry` client for the registry at `registry_url`."""
    # It warns about a missing token and an http:// port other than 80: both normal here.
    with explain_registry_errors(registry_url):
        return registry_client(registry_url, token=token, quiet=True)


def registered_artifact(registry: Any, model_name: str, version: str) -> Any:
    """The version's model artifact, checked to be an ONNX model stored in S3."""
    if registry.get_registered_model(model_name) is None:
        raise DeployError(f"No model '{model_name}' in the Model Registry: run notebook 6 first.")
    if registry.get_model_version(model_name, version) is None:
        raise DeployError(
            f"No version {version} of '{model_name}' in the Model Registry: register it with "
            "notebook 6, or deploy one of the registered versions."
        )
    artifact = registry.get_model_artifact(model_name, version)
    if artifact is None or not artifact.uri:
        raise DeployError(f"Version {version} of '{model_name}' has no model artifact to deploy.")
    if (artifact.model_format_name or "").lower() != "onnx":
        raise DeployError(
            f"Version {version} of '{model_name}' is a '{artifact.model_format_name}' model; "
            "the local model server serves ONNX models."
        )
    if not artifact.uri.startswith("s3://"):
        raise DeployError(f"Version {version} is stored at {artifact.uri}, not in S3.")
    return artifact


# Object storage ----------------------------------------------------------------------------


def _s3_location(uri: str, fallback_endpoint: str) -> tuple[str, str, str, str | None]:
    """Bucket, prefix, endpoint and region of an `s3://bucket/prefix?endpoint=...` URI."""
    parts = urlsplit(uri)
    query = parse_qs(parts.query)
    endpoint = query.get("endpoint", [fallback_endpoint])[0]
    region = query.get("defaultRegion", [None])[0]
    return parts.netloc, parts.path.strip("/"), endpoint, region


def download(uri: str, destination: Path, environment: dict[str, str]) -> list[str]:
    """Download every object under the URI into `destination`; return their relative paths."""
    bucket, prefix, endpoint, region = _s3_location(uri, environment["AWS_S3_ENDPOINT"])
    s3 = s3_client(environment, endpoint_url=endpoint, region_name=region)
    shutil.rmtree(destination, ignore_errors=True)  # what a failed deployment left
    names = []
    with explain_s3_errors(endpoint, bucket):
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
        keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
        for key in keys:
            name = key.removeprefix(prefix + "/")
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            stored = s3.get_object(Bucket=bucket, Key=key)
            digest = hashlib.sha256()
            with open(target, "wb") as file:
                for block in stored["Body"].iter_chunks(1 << 20):
                    digest.update(block)
                    file.write(block)
            expected = stored.get("Metadata", {}).get("sha256")
            if expected and expected != digest.hexdigest():
                raise DeployError(
                    f"s3://{bucket}/{key} does not match the SHA-256 stored with it: the object "
                    "changed or was damaged. Upload the version again (notebook 5)."
                )
            names.append(name)
    if ONNX_FILE not in names:
        found = f"only {', '.join(sorted(names))}" if names else "nothing"
        raise DeployError(
            f"{uri} holds {found}, no {ONNX_FILE}: upload the version with notebook 5."
        )
    return names


# The model server --------------------------------------------------------------------------


def _request(method: str, url: str, timeout: float = 10) -> tuple[int, Any]:
    """(status, decoded JSON body or None) of a request with no body."""
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    try:
        return status, json.loads(body) if body else None
    except ValueError:
        return status, body.decode(errors="replace")


def served_version(url: str, model_name: str) -> str | None:
    """The version the server serves under that name and answers ready for, or None."""
    status, metadata = _request("GET", f"{url}/v2/models/{model_name}")
    versions = metadata.get("versions") if status == 200 and isinstance(metadata, dict) else None
    if not versions or _request("GET", f"{url}/v2/models/{model_name}/ready")[0] != 200:
        return None
    return versions[0]


def model_settings(model_name: str, version: str, folder: Path) -> dict[str, Any]:
    """MLServer's settings for one model version: the runtime, where its files are, and the
    inputs and output of its ONNX file (shown by the V2 metadata)."""
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(str(folder / ONNX_FILE), providers=["CPUExecutionProvider"])
    except Exception as error:  # ONNX Runtime raises its own exception types
        raise DeployError(
            f"The {ONNX_FILE} of version {version} is not a model ONNX Runtime can load "
            f"({str(error).splitlines()[0]}). Upload the version again (notebook 5)."
        ) from None

    def tensors(items: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": item.name,
                "datatype": "FP32",
                "shape": [dim if isinstance(dim, int) else -1 for dim in item.shape],
            }
            for item in items
        ]

    return {
        "name": model_name,
        "implementation": "jukebox_workshop.local.model_runtime.OnnxModel",
        "platform": "onnxruntime",
        "versions": [version],
        "inputs": tensors(session.get_inputs()),
        "outputs": tensors(session.get_outputs()),
        "parameters": {"uri": str(folder)},
    }


def _load(url: str, model_name: str, settings_file: Path, settings: dict[str, Any]) -> None:
    """Write the settings and have the server load them; put the old settings back on failure."""
    previous = settings_file.read_text(encoding="utf-8") if settings_file.is_file() else None
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text(json.dumps(settings, indent=2), encoding="utf-8")
    status, body = _request("POST", f"{url}/v2/repository/models/{model_name}/load", LOAD_TIMEOUT)
    if status == 200:
        return
    if previous is None:
        settings_file.unlink()
    else:
        settings_file.write_text(previous, encoding="utf-8")
    reason = body.get("error") if isinstance(body, dict) else body
    from jukebox_workshop.local import processes

    raise DeployError(
        f"The model server could not load version {settings['versions'][0]} of '{model_name}' "
        f"({status}: {reason or 'no reason given'}). Its log: "
        f"{processes.log_file(model_server.SERVICE.name)}."
    )


def _check_answers(deployment: Deployment, inputs: list[dict[str, Any]]) -> None:
    """One request with a row of zeros: the server must answer it with the deployed version."""
    body = {
        "inputs": [
            {"name": item["name"], "datatype": "FP32", "shape": [1, 1], "data": [0.0]}
            for item in inputs
        ]
    }
    request = urllib.request.Request(
        f"{deployment.model_url}/infer",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answered = json.load(response).get("model_version")
    except (OSError, ValueError) as error:
        raise DeployError(
            f"The model server loaded the model but did not answer: {error}"
        ) from None
    if answered != deployment.version:
        raise DeployError(
            f"The model server answered with version {answered}, not {deployment.version}: "
            "another deployment ran at the same time? Deploy again."
        )


# Deploying ---------------------------------------------------------------------------------


def deploy(
    model_name: str,
    version: str | None = None,
    *,
    report: Callable[[str], None] | None = print,
) -> Deployment:
    """Deploy a registered version (by default `version_to_deploy`) to the local model server."""
    from jukebox_workshop.local import (  # the platform extra, which notebook 8 needs only here
        lifecycle,
        processes,
    )

    say = report or (lambda message: None)
    started = lifecycle.start([model_server.SERVICE.name])
    if started:
        titles = ", ".join(lifecycle.SERVICES[name].title for name in started)
        say(f"Started the {titles} (stop with `make down`).")
    environment = lifecycle.environment()
    registry_url = environment[REGISTRY_URL_VARIABLE]
    registry = connect(registry_url, environment.get(REGISTRY_TOKEN_VARIABLE))
    with explain_registry_errors(registry_url):
        version = version or version_to_deploy(registry, model_name)
        artifact = registered_artifact(registry, model_name, version)
    url = environment[MODEL_SERVER_URL_VARIABLE]
    deployment = Deployment(model_name, version, url, artifact.uri)

    with processes.locked():
        if served_version(url, model_name) == version:
            say(f"Version {version} of '{model_name}' is already served at {url}.")
            return deployment
        root = model_server.folder(state_dir())
        artifacts = root / "artifacts" / model_name
        target = artifacts / version
        say(f"Downloading version {version} of '{model_name}' from {artifact.uri}")
        try:
            names = download(artifact.uri, target, environment)
            say(f"  {len(names)} files, checked by SHA-256")
            say(f"Loading it into the model server at {url}")
            settings = model_settings(model_name, version, target)
            _load(url, model_name, root / "models" / model_name / "model-settings.json", settings)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)  # the version served keeps its own files
            raise
        _check_answers(deployment, settings["inputs"])
        for old in artifacts.iterdir():  # the versions no longer served
            if old != target:
                shutil.rmtree(old, ignore_errors=True)
    say(f"Serving version {version} of '{model_name}' at {deployment.model_url}")
    return deployment
