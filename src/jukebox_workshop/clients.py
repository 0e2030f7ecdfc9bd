"""The clients of the S3 server and of the Model Registry, built the same way everywhere.

    from jukebox_workshop.clients import registry_client, s3_client

    s3 = s3_client()              # the data connection's variables (AWS_S3_ENDPOINT, ...)
    registry = registry_client()  # MODEL_REGISTRY_URL, MODEL_REGISTRY_TOKEN

`s3_client` configures boto3 as notebook 5 does: path-style addresses, checksums only where
the server requires them. `registry_client` connects as notebook 6 does: scheme and port
from the URL, the token if one is set, the CA bundle of MODEL_REGISTRY_CA_BUNDLE. A missing
variable raises MissingSettingsError, which names it. To turn the failures of the calls into
messages that say what to do, wrap them in `explain.explain_s3_errors` or
`explain.explain_registry_errors`.

A workbench imports this module: boto3 and the registry client are imported only when a
client is built, and nothing comes from `jukebox_workshop.local`.
"""

from __future__ import annotations

import getpass
import logging
import os
import warnings
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any
from urllib.parse import urlsplit

from jukebox_workshop.settings import (
    REGISTRY_AUTHOR_VARIABLE,
    REGISTRY_CA_BUNDLE_VARIABLE,
    REGISTRY_TOKEN_VARIABLE,
    REGISTRY_URL_VARIABLE,
    S3_CA_BUNDLE_VARIABLE,
    require,
    workbench_user,
)

# The data-connection variables a client needs (the bucket is the caller's business).
S3_CLIENT_VARIABLES = (
    "AWS_S3_ENDPOINT",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
)
# The author recorded when neither MODEL_REGISTRY_AUTHOR, a workbench user nor a login name
# is found (a container running under a random uid has no passwd entry).
FALLBACK_AUTHOR = "jukebox"
# Notebook 5's timeouts, and those of a readiness check, which must not wait for long
# (botocore's legacy `max_attempts` counts the retries after the first attempt).
_TIMEOUTS = {"connect_timeout": 5, "retries": {"max_attempts": 2}}
_FAIL_FAST_TIMEOUTS = {"connect_timeout": 1, "read_timeout": 5, "retries": {"max_attempts": 1}}


def s3_client(
    environment: Mapping[str, str] | None = None,
    *,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    fail_fast: bool = False,
    read_timeout: float | None = None,
    attempts: int | None = None,
) -> Any:
    """A boto3 S3 client for a data connection, configured like notebook 5's.

    The endpoint, region and keys come from the keyword arguments given, the rest from
    `environment`'s AWS_S3_ENDPOINT, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY (by default the process's environment); a missing one raises
    MissingSettingsError. boto3 reads AWS_CA_BUNDLE from the process's environment itself;
    an `environment` given that sets it is passed on as `verify`.

    `fail_fast` is for readiness checks: 1 s to connect, 5 s to read, one retry (botocore's
    `max_attempts` counts the retries); otherwise 5 s to connect and two retries, as notebook 5.
    `read_timeout` replaces the read timeout (boto3's default is 60 s), `attempts` the number
    of retries.
    """
    chosen = {
        "AWS_S3_ENDPOINT": endpoint_url,
        "AWS_DEFAULT_REGION": region_name,
        "AWS_ACCESS_KEY_ID": aws_access_key_id,
        "AWS_SECRET_ACCESS_KEY": aws_secret_access_key,
    }
    values = require([name for name in S3_CLIENT_VARIABLES if not chosen[name]], environment)
    values.update({name: value for name, value in chosen.items() if value})
    timeouts = dict(_FAIL_FAST_TIMEOUTS if fail_fast else _TIMEOUTS)
    if read_timeout is not None:
        timeouts["read_timeout"] = read_timeout
    if attempts is not None:
        timeouts["retries"] = {"max_attempts": attempts}
    extra = {}
    if environment is not None and environment.get(S3_CA_BUNDLE_VARIABLE):
        extra["verify"] = environment[S3_CA_BUNDLE_VARIABLE]

    import boto3  # boto3 takes a while to import: only when a client is built
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=values["AWS_S3_ENDPOINT"],
        region_name=values["AWS_DEFAULT_REGION"],
        aws_access_key_id=values["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=values["AWS_SECRET_ACCESS_KEY"],
        config=Config(
            s3={"addressing_style": "path"},
            # Newer boto3 releases add checksums that some S3-compatible stores refuse.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            **timeouts,
        ),
        **extra,
    )


def default_author() -> str:
    """The author the registry records: MODEL_REGISTRY_AUTHOR if set, else the workbench's
    user, else the login name, else "jukebox". Never raises."""
    chosen = os.environ.get(REGISTRY_AUTHOR_VARIABLE, "").strip() or workbench_user()
    if chosen:
        return chosen
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a uid without a passwd entry, and no LOGNAME or USER
        return FALLBACK_AUTHOR


def registry_client(
    url: str | None = None,
    *,
    author: str | None = None,
    token: str | None = None,
    quiet: bool = False,
) -> Any:
    """A `model_registry.ModelRegistry` client connected as notebook 6 connects.

    `url` defaults to MODEL_REGISTRY_URL (MissingSettingsError when it is unset); its scheme
    says whether to use TLS, and its port defaults to 443 or 80. `token` defaults to
    MODEL_REGISTRY_TOKEN, if set; without one the client looks for the service-account token of a
    workbench. An https registry's certificate authority is read from MODEL_REGISTRY_CA_BUNDLE.
    `author` defaults to `default_author()`. `quiet` silences the client's warnings about a
    missing token and an unusual port.

    Building the client asks the registry once, so it raises what a request raises.
    """
    address = url or require((REGISTRY_URL_VARIABLE,))[REGISTRY_URL_VARIABLE]
    token = token or os.environ.get(REGISTRY_TOKEN_VARIABLE) or None
    parts = urlsplit(address)
    secure = parts.scheme == "https"

    from model_registry import ModelRegistry  # imported only when a client is built

    with warnings.catch_warnings(action="ignore") if quiet else nullcontext():
        return ModelRegistry(
            f"{parts.scheme}://{parts.hostname}",
            parts.port or (443 if secure else 80),
            author=author or default_author(),
            is_secure=secure,
            user_token=token,
            custom_ca_envvar=REGISTRY_CA_BUNDLE_VARIABLE,
            log_level=logging.ERROR if quiet else logging.WARNING,
        )
