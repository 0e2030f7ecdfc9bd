"""Turn the failures attendees meet with S3 and the Model Registry into messages that say what to do.

The notebooks call boto3 and the model-registry client directly; wrapping a call in
`explain_s3_errors` or `explain_registry_errors` only changes the message of what goes wrong.
(This module imports boto3, aiohttp and the registry client: the error classes themselves are
in `errors`, which imports nothing.)
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import aiohttp
import requests
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
    SSLError,
)
from mr_openapi.exceptions import (
    BadRequestException,
    ConflictException,
    ForbiddenException,
    NotFoundException,
    UnauthorizedException,
)

from jukebox_workshop.errors import WorkshopError
from jukebox_workshop.settings import (
    INFERENCE_CA_BUNDLE_VARIABLE,
    REGISTRY_CA_BUNDLE_VARIABLE,
    REGISTRY_TOKEN_VARIABLE,
    S3_CA_BUNDLE_VARIABLE,
    TRACKING_CA_BUNDLE_VARIABLE,
    TRACKING_URI_VARIABLE,
)

LOCAL_HINT = "On a laptop, `make up` starts the local platform and `make status` shows it."
USER_TOKEN = (
    "your own user token (`oc whoami -t` in a terminal after `oc login`, or the token that the "
    'OpenShift console\'s "Copy login command" shows)'
)
GRANT = (
    "OpenShift AI dashboard: Settings > Model registry settings > the registry > Manage permissions"
)

# The REST prefix each client release speaks (see docs/instructor-guide.md, "Check the Model Registry").
V1ALPHA3_CLIENTS = {f"0.3.{n}" for n in (*range(0, 12), 14)}


_BAD_KEYS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "InvalidToken"}
_NO_BUCKET = {"NoSuchBucket", "404"}


@contextmanager
def explain_s3_errors(endpoint: str, bucket: str) -> Iterator[None]:
    """Re-raise S3 failures as a WorkshopError naming the endpoint or bucket and the fix."""
    try:
        yield
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as error:
        raise WorkshopError(
            f"Cannot reach the S3 server at {endpoint} ({type(error).__name__}). Check "
            f"AWS_S3_ENDPOINT: in OpenShift AI it comes from the workbench's data connection. "
            f"{LOCAL_HINT}"
        ) from None
    except SSLError as error:
        raise WorkshopError(tls_problem(S3, endpoint, str(error))) from None
    except NoCredentialsError:
        raise WorkshopError(
            "No S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the data "
            "connection sets them in OpenShift AI; `make -s env` prints them locally)."
        ) from None
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in _BAD_KEYS:
            raise WorkshopError(
                f"The S3 server at {endpoint} refused the credentials ({code}). Check "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY against the data connection, and "
                f"that they may use the bucket '{bucket}'. Locally, `eval \"$(make -s env)\"` "
                "sets the right ones."
            ) from None
        if code in _NO_BUCKET:
            raise WorkshopError(
                f"The bucket '{bucket}' does not exist at {endpoint}. Check AWS_S3_BUCKET, or "
                "ask your instructor to create it (the MinIO console, or `mc mb`). Locally, "
                "`make up` creates the buckets models, pipeline and data."
            ) from None
        raise


@dataclass(frozen=True)
class Server:
    """A server the notebooks reach over TLS, and the variables that configure it."""

    name: str
    address_variable: str
    ca_variable: str
    in_cluster: str | None  # its address inside the cluster, without TLS, if it has one


S3 = Server(
    "S3 server",
    "AWS_S3_ENDPOINT",
    S3_CA_BUNDLE_VARIABLE,
    "http://<service>.<namespace>.svc.cluster.local:<port>",
)
REGISTRY = Server(
    "Model Registry",
    "MODEL_REGISTRY_URL",
    REGISTRY_CA_BUNDLE_VARIABLE,
    "http://<registry>.<namespace>.svc.cluster.local:8080",
)
INFERENCE = Server(
    "model server",
    "INFERENCE_ENDPOINT",
    INFERENCE_CA_BUNDLE_VARIABLE,
    "the internal endpoint the dashboard shows for the deployment",
)
# OpenShift AI 3.x serves MLflow behind the dashboard's own route only.
MLFLOW = Server("MLflow tracking server", TRACKING_URI_VARIABLE, TRACKING_CA_BUNDLE_VARIABLE, None)


def missing_ca_bundle(server: Server) -> str | None:
    """The message for a CA-bundle variable naming no file, or None if it is unset or fine."""
    bundle = os.environ.get(server.ca_variable, "")
    if not bundle or Path(bundle).is_file():
        return None
    return (
        f"{server.ca_variable}={bundle!r} is not a file. Set it to the path of the file holding "
        "your cluster's CA certificate (PEM), or unset it."
    )


def tls_problem(server: Server, address: str, reason: str) -> str:
    """What to do when the TLS handshake with a server fails, from OpenSSL's reason."""
    if missing := missing_ca_bundle(server):
        return missing
    found = re.search(r"\[SSL: (\w+)\] ([^(\]]+)", reason)
    code, text = (found.group(1), found.group(2).strip()) if found else ("", reason.strip())
    if code != "CERTIFICATE_VERIFY_FAILED":
        return (
            f"The TLS connection to the {server.name} at {address} failed ({text}). If the "
            f"server speaks plain HTTP, write http://, not https://, in {server.address_variable}."
        )
    bundle = os.environ.get(server.ca_variable)
    fix = (
        f"The file in {server.ca_variable}, {bundle}, does not hold that authority: ask your "
        "instructor for the right one."
        if bundle
        else f"Set {server.ca_variable} to the path of a file holding that authority's "
        "certificate (PEM; ask your instructor)."
    )
    in_cluster = (
        f" Or set {server.address_variable} to the server's in-cluster address, without TLS: "
        f"{server.in_cluster}."
        if server.in_cluster
        else ""
    )
    message = (
        f"The {server.name} at {address} has a TLS certificate this workbench does not trust "
        f"({text}): the cluster signed it with a certificate authority of its own. {fix}"
        f"{in_cluster} Then run the notebook again."
    )
    # OpenShift AI points SSL_CERT_FILE at the cluster's CA bundle when the administrator set
    # one up: the registry client reads it, boto3 does not.
    system_bundle = os.environ.get("SSL_CERT_FILE", "")
    if server is S3 and not bundle and Path(system_bundle).is_file():
        message += (
            f" This workbench has a CA bundle at {system_bundle} (SSL_CERT_FILE), which boto3 "
            f"does not read: try `%env {server.ca_variable}={system_bundle}` first."
        )
    return message


def registry_refusal(url: str, error: UnauthorizedException | ForbiddenException) -> str:
    """What to do when the registry (or the auth proxy in front of it) answers 401 or 403."""
    refused = f"The Model Registry at {url} refused the request ({error.status} {error.reason})"
    user_token_set = bool(os.environ.get(REGISTRY_TOKEN_VARIABLE))
    if error.status == 401 and user_token_set:
        return (
            f"{refused}: the token in {REGISTRY_TOKEN_VARIABLE} is wrong or has expired (they "
            f"usually last a day). Set {REGISTRY_TOKEN_VARIABLE} to a fresh one: {USER_TOKEN}."
        )
    if error.status == 401:
        return (
            f"{refused}: it needs a token and got none it accepts. Set "
            f"{REGISTRY_TOKEN_VARIABLE} to {USER_TOKEN}. Locally, `make -s env` prints the "
            "token of a registry started with one."
        )
    if user_token_set:
        return (
            f"{refused}: the user whose token is in {REGISTRY_TOKEN_VARIABLE} has no access to "
            f"this registry. Ask your instructor to give your user access ({GRANT}, Users "
            f"tab), or to give your project's service accounts access (Projects tab) and then "
            f"unset {REGISTRY_TOKEN_VARIABLE}."
        )
    return (
        f"{refused}: with {REGISTRY_TOKEN_VARIABLE} unset, the client sends this workbench's "
        "service-account token, which the registry accepts only if your project's service "
        f"accounts were given access. Either ask your instructor to give them access ({GRANT}, "
        f"Projects tab, your project), or set {REGISTRY_TOKEN_VARIABLE} to {USER_TOKEN}. Then "
        "run the notebook again."
    )


def bad_request(url: str, reason: str) -> str:
    """What to do when the registry refuses a request as malformed."""
    refused = f"The Model Registry at {url} refused what was sent (400 Bad Request): {reason}."
    if "NaN" in reason or "Infinity" in reason:
        return (
            f"{refused} It refuses a metric or parameter that is NaN or infinite, as the real "
            "registry does: a diverged training run gives one. Train again (notebook 3), then "
            "run notebooks 4, 5 and 6; this version was not registered."
        )
    return f"{refused} Check MODEL_REGISTRY_URL; nothing was registered by this request."


def _server_message(error: BadRequestException | ConflictException) -> str:
    """The `message` of the server's JSON error body, else the raw body."""
    try:
        return str(json.loads(error.body)["message"]).rstrip(".")
    except (TypeError, ValueError, KeyError):
        return str(error.body or error.reason)


def client_api_prefix() -> str:
    """The REST prefix the installed model-registry client speaks."""
    release = version("model-registry")
    name = "v1alpha3" if release in V1ALPHA3_CLIENTS else "v1"
    return f"/api/model_registry/{name}/"


@contextmanager
def explain_registry_errors(url: str) -> Iterator[None]:
    """Re-raise Model Registry failures as a WorkshopError naming the URL and the fix."""
    try:
        yield
    except aiohttp.ClientSSLError as error:
        raise WorkshopError(tls_problem(REGISTRY, url, str(error))) from None
    except FileNotFoundError:
        # The client opens the CA bundle file only when it connects.
        if missing := missing_ca_bundle(REGISTRY):
            raise WorkshopError(missing) from None
        raise
    except (aiohttp.ClientError, TimeoutError) as error:
        raise WorkshopError(
            f"Cannot reach the Model Registry at {url} ({type(error).__name__}). Check "
            f"MODEL_REGISTRY_URL (scheme, host and port). {LOCAL_HINT}"
        ) from None
    except (UnauthorizedException, ForbiddenException) as error:
        raise WorkshopError(registry_refusal(url, error)) from None
    except BadRequestException as error:
        raise WorkshopError(bad_request(url, _server_message(error))) from None
    except ConflictException as error:
        raise WorkshopError(
            f"The Model Registry at {url} answered 409 Conflict ({_server_message(error)}): "
            "someone registered the same model or version at the same moment, which happens "
            "when a class shares one model name. Run this cell again: it finds what was "
            "registered and goes on."
        ) from None
    except NotFoundException:
        pin = version("model-registry")
        raise WorkshopError(
            f"The Model Registry at {url} answered 404 for {client_api_prefix()}: the client "
            f"(model-registry=={pin}) and the server speak different API versions, or the URL "
            "points at something else. Check MODEL_REGISTRY_URL, and use the client release the "
            "workshop pins in requirements-workbench.txt and requirements.txt (0.3.14 speaks "
            "v1alpha3, which every registry serves)."
        ) from None


@contextmanager
def explain_inference_errors(url: str) -> Iterator[None]:
    """Re-raise a failed TLS handshake with the model server as a WorkshopError saying what to do
    (waiting does not cure it; the other failures of a server still loading do go away)."""
    try:
        yield
    except requests.exceptions.SSLError as error:
        raise WorkshopError(tls_problem(INFERENCE, url, str(error))) from None
    except OSError:
        # requests checks the CA bundle file only when it connects.
        if missing := missing_ca_bundle(INFERENCE):
            raise WorkshopError(missing) from None
        raise
