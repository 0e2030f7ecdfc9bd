"""Where things live and how they are configured, read from the environment.

Every setting has a workshop default and an environment variable to override it, so the
same code runs on a laptop (local platform) and in an OpenShift AI workbench (cluster
services, configured by the workbench's data connection).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

from jukebox_workshop.errors import MissingSettingsError

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO_ROOT / "jukebox"
DEFAULT_DATA_DIR = NOTEBOOK_DIR / "data"
OUTPUT_DIR = NOTEBOOK_DIR / "output"
# The dataset's files, in DEFAULT_DATA_DIR (their columns: dataset/schema.py).
PROPERTIES_FILE = "song_properties.parquet"
RANKINGS_FILE = "song_rankings.parquet"
REPORT_FILE = "generator_report.json"
DATA_FILES = (PROPERTIES_FILE, RANKINGS_FILE)
FEATURE_REPO = NOTEBOOK_DIR / "feature_repo"

# The data-connection variables OpenShift AI injects into a workbench.
S3_VARIABLES = (
    "AWS_S3_ENDPOINT",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_S3_BUCKET",
)
REGISTRY_URL_VARIABLE = "MODEL_REGISTRY_URL"
REGISTRY_TOKEN_VARIABLE = "MODEL_REGISTRY_TOKEN"
REGISTRY_VARIABLES = (REGISTRY_URL_VARIABLE,)
# The author the registry records with a version (notebooks 6 and 7); else the user's name.
REGISTRY_AUTHOR_VARIABLE = "MODEL_REGISTRY_AUTHOR"
# The local model server's base URL (`make -s env`, once it runs); the V2 paths hang under it.
MODEL_SERVER_URL_VARIABLE = "MODEL_SERVER_URL"
# Feast's feature server (`feast serve`), for notebook 9; in OpenShift AI the FeatureStore's
# online service. FEAST_FS_YAML_FILE_PATH is Feast's own: the client configuration to use.
FEATURE_SERVER_URL_VARIABLE = "FEAST_FEATURE_SERVER_URL"
FEATURE_STORE_YAML_VARIABLE = "FEAST_FS_YAML_FILE_PATH"
# Files of certificate authorities to trust, for servers whose certificate the cluster signed.
# boto3 reads AWS_CA_BUNDLE itself; notebook 6 gives the registry client the other one.
S3_CA_BUNDLE_VARIABLE = "AWS_CA_BUNDLE"
REGISTRY_CA_BUNDLE_VARIABLE = "MODEL_REGISTRY_CA_BUNDLE"
# Notebook 8 gives `requests` this one for the deployment's inference endpoint; MLflow reads
# its own, MLFLOW_TRACKING_SERVER_CERT_PATH.
INFERENCE_CA_BUNDLE_VARIABLE = "INFERENCE_CA_BUNDLE"
TRACKING_CA_BUNDLE_VARIABLE = "MLFLOW_TRACKING_SERVER_CERT_PATH"

MODEL_NAME_VARIABLE = "JUKEBOX_MODEL_NAME"
DEFAULT_MODEL_NAME = "jukebox"
# Notebook 3's default number of epochs (its JUKEBOX_EPOCHS), for the pipeline and Katib runs.
DEFAULT_EPOCHS = 200
# Notebook 3's choices in its parameters cell, named as notebook 7 searches them: the defaults of
# the pipeline's hyperparameters.
DEFAULT_HYPERPARAMETERS = {
    "hidden_units": 64,
    "hidden_layers": 2,
    "dropout": 0.2,
    "learning_rate": 1e-3,
    "batch_size": 128,
}
# Valid as a registered model's name, an S3 prefix and a Kubernetes resource name.
_MODEL_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
# Set in OpenShift AI when the cluster runs MLflow; notebook 7 keeps a local store without it.
TRACKING_URI_VARIABLE = "MLFLOW_TRACKING_URI"

BUCKETS = ("models", "pipeline", "data")
DEFAULT_BUCKET = "models"
# Non-empty on purpose: a data connection with an empty region cannot deploy a model.
DEFAULT_REGION = "us-east-1"
LOOPBACK = "127.0.0.1"

# Environment variables of the local platform (besides the JUKEBOX_*_PORT ones, which each
# service's description names).
WEED_BINARY_VARIABLE = "JUKEBOX_WEED_BINARY"
REGISTRY_AUTH_VARIABLE = "JUKEBOX_REGISTRY_AUTH"
# The feature repository the local feature server serves (default: jukebox/feature_repo).
FEATURE_REPO_VARIABLE = "JUKEBOX_FEATURE_REPO"


def data_dir() -> Path:
    """The folder holding song_properties.parquet and song_rankings.parquet."""
    return Path(os.environ.get("JUKEBOX_DATA_DIR") or DEFAULT_DATA_DIR)


def state_dir() -> Path:
    """Where the local platform keeps its data, credentials, pid files and logs (git-ignored)."""
    return Path(os.environ.get("JUKEBOX_STATE_DIR") or REPO_ROOT / ".jukebox")


def explicit_port(variable: str) -> int | None:
    """The port a JUKEBOX_..._PORT variable sets, or None when it is unset or empty."""
    value = os.environ.get(variable)
    if not value:
        return None
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise MissingSettingsError(f"{variable}={value!r} is not a port number.")
    return port


def registry_auth_requested() -> bool:
    """True when JUKEBOX_REGISTRY_AUTH asks for a registry that requires a bearer token."""
    return os.environ.get(REGISTRY_AUTH_VARIABLE, "").strip().lower() in {"1", "true", "yes", "on"}


def workbench_user() -> str | None:
    """The user the workbench belongs to; None outside a workbench (a laptop, CI).

    JupyterHub sets JUPYTERHUB_USER. OpenShift AI's dashboard sets no such variable: it
    writes the user into NOTEBOOK_ARGS (`"user":"<name>"`), escaped for Kubernetes names
    (`-` followed by the hex code of each character other than a letter or digit).
    """
    if user := os.environ.get("JUPYTERHUB_USER", "").strip():
        return user
    found = re.search(r'"user"\s*:\s*"([^"]+)"', os.environ.get("NOTEBOOK_ARGS", ""))
    return unquote(found.group(1).replace("-", "%")) if found else None


def model_name() -> str:
    """The registered model's name, which is also the first folder of its S3 prefix.

    JUKEBOX_MODEL_NAME if set; else `jukebox-<user>` in a workbench, so that attendees who
    share a registry and a bucket each get their own model; else `jukebox`.
    """
    chosen = os.environ.get(MODEL_NAME_VARIABLE, "").strip()
    if chosen:
        if not _MODEL_NAME.fullmatch(chosen):
            raise MissingSettingsError(
                f"{MODEL_NAME_VARIABLE}={chosen!r} is not a valid model name: use up to 63 "
                "lower-case letters, digits and dashes, starting and ending with a letter or "
                f"digit (for example '{DEFAULT_MODEL_NAME}-ada')."
            )
        return chosen
    user = re.sub(r"[^a-z0-9]+", "-", (workbench_user() or "").lower()).strip("-")
    if not user:
        return DEFAULT_MODEL_NAME
    return f"{DEFAULT_MODEL_NAME}-{user}"[:63].rstrip("-")


# Where each group of variables comes from, for the message when some are missing.
_ORIGINS = {
    "AWS_": "In an OpenShift AI workbench they come from the data connection attached to the "
    "workbench.",
    "MODEL_REGISTRY_": "In OpenShift AI, ask your instructor for the Model Registry's REST "
    "address (https://<registry>-rest.<apps domain>) and set it, e.g. with `%env` in a cell.",
}


def require(
    names: tuple[str, ...] | list[str], environment: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return the named variables of `environment` (by default the process's), or raise one
    error listing every missing or empty one."""
    environment = os.environ if environment is None else environment
    missing = [name for name in names if not environment.get(name)]
    if missing:
        origins = [
            text for prefix, text in _ORIGINS.items() if any(n.startswith(prefix) for n in missing)
        ]
        raise MissingSettingsError(
            f"Missing environment variables: {', '.join(missing)}. {' '.join(origins)} "
            "On a laptop, start JupyterLab with `make lab`, which sets them, or run "
            '`eval "$(make -s env)"` before starting it.'
        )
    return {name: environment[name] for name in names}


@contextmanager
def temporary_environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set these variables while the block runs (processes it starts inherit them), then restore."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
