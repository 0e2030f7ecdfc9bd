"""Turn the failures attendees meet with S3 and the Model Registry into messages that say what to do.

The notebooks call boto3 and the model-registry client directly; wrapping a call in
`explain_s3_errors` or `explain_registry_errors` only changes the message of what goes wrong.
"""

from __future__ import annotations

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

LOCAL_HINT = "On a laptop, `make up` starts the local platform and `make status` shows it."

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
        raise WorkshopError(
            f"The Model Registry at {url} refused the request ({error.status} {error.reason}). "
            "The token is missing, expired or lacks access: set MODEL_REGISTRY_TOKEN (for "
            "example to the output of `oc whoami -t`), or ask your instructor to give your user "
            "access to the registry. Locally: `make -s env` prints the token of a registry "
            "started with one."
        ) from None
    except NotFoundException:
        pin = version("model-registry")
        raise WorkshopError(
            f"The Model Registry at {url} answered 404 for {client_api_prefix()}: the client "
            f"(model-registry=={pin}) and the server speak different API versions, or the URL "
            "points at something else. Check MODEL_REGISTRY_URL, and use the client release "
            "pinned in requirements.txt (0.3.14 speaks v1alpha3, which every registry serves)."
        ) from None
