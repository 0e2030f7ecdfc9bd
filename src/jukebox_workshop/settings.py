"""Where things live and how they are configured, read from the environment.

Every setting has a workshop default and an environment variable to override it, so the
same code runs on a laptop (local platform) and in an OpenShift AI workbench (cluster
services, configured by the workbench's data connection).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO_ROOT / "jukebox"
DEFAULT_DATA_DIR = NOTEBOOK_DIR / "data"
OUTPUT_DIR = NOTEBOOK_DIR / "output"

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

BUCKETS = ("models", "pipeline", "data")


class MissingSettingsError(RuntimeError):
    """Raised when required environment variables are not set."""


def data_dir() -> Path:
    """The folder holding song_properties.parquet and song_rankings.parquet."""
    return Path(os.environ.get("JUKEBOX_DATA_DIR") or DEFAULT_DATA_DIR)


def state_dir() -> Path:
    """Where the local platform keeps its data, credentials, pid files and logs (git-ignored)."""
    return Path(os.environ.get("JUKEBOX_STATE_DIR") or REPO_ROOT / ".jukebox")


def _port(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise MissingSettingsError(f"{name}={value!r} is not a port number.") from None


@dataclass(frozen=True)
class LocalPorts:
    """Ports of the local platform on 127.0.0.1 (override with JUKEBOX_*_PORT)."""

    s3: int
    registry: int
    master: int
    volume: int
    filer: int

    @classmethod
    def from_env(cls) -> LocalPorts:
        return cls(
            s3=_port("JUKEBOX_S3_PORT", 9000),
            registry=_port("JUKEBOX_REGISTRY_PORT", 8080),
            master=_port("JUKEBOX_S3_MASTER_PORT", 9333),
            volume=_port("JUKEBOX_S3_VOLUME_PORT", 9380),
            filer=_port("JUKEBOX_S3_FILER_PORT", 9888),
        )


def require(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Return the named environment variables, or raise one error listing every missing one."""
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        raise MissingSettingsError(
            "Missing environment variables: "
            + ", ".join(missing)
            + ". In an OpenShift AI workbench they come from the data connection attached to "
            "the workbench; on a laptop run `eval \"$(make -s env)\"` (or start JupyterLab "
            "with `make lab`)."
        )
    return {name: os.environ[name] for name in names}
