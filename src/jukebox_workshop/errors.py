"""Turn the failures attendees meet with S3 and the Model Registry into messages that say what to do.

The notebooks call boto3 and the model-registry client directly; wrapping a call in
`explain_s3_errors` or `explain_registry_errors` only changes the message of what goes wrong.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version

import aiohttp
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from mr_openapi.exceptions import ForbiddenException, NotFoundException, UnauthorizedException

from jukebox_workshop.settings import REGISTRY_TOKEN_VARIABLE

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


class WorkshopError(RuntimeError):
    """Something went wrong that the attendee can fix; the message says how."""


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
    except aiohttp.ClientConnectorCertificateError:
        raise WorkshopError(
            f"The Model Registry at {url} has a TLS certificate this workbench does not trust. "
            "Ask your instructor for the cluster's CA bundle and pass it as `custom_ca=`, or "
            "set the client's `custom_ca_envvar`."
        ) from None
    except (aiohttp.ClientError, TimeoutError) as error:
        raise WorkshopError(
            f"Cannot reach the Model Registry at {url} ({type(error).__name__}). Check "
            f"MODEL_REGISTRY_URL (scheme, host and port). {LOCAL_HINT}"
        ) from None
    except (UnauthorizedException, ForbiddenException) as error:
        raise WorkshopError(registry_refusal(url, error)) from None
    except NotFoundException:
        pin = version("model-registry")
        raise WorkshopError(
            f"The Model Registry at {url} answered 404 for {client_api_prefix()}: the client "
            f"(model-registry=={pin}) and the server speak different API versions, or the URL "
            "points at something else. Check MODEL_REGISTRY_URL, and use the client release "
            "pinned in requirements.txt (0.3.14 speaks v1alpha3, which every registry serves)."
        ) from None
