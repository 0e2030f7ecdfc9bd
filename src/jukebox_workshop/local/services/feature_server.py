"""Feast's feature server as a platform service: `feast serve` on 127.0.0.1, for notebook 9.

It serves the online store of a feature repository (jukebox/feature_repo, or the folder
JUKEBOX_FEATURE_REPO names) over HTTP, as the FeatureStore's online service does in OpenShift
AI. It is optional: `feast serve` stops at once while the repository has no registry yet, so
it starts when named (`jukebox up feature-server`), which notebook 9 does after `apply`, and
with the others (`make up`) once the repository is applied. It
re-reads the registry every few seconds: what a later `apply` or `materialize` adds shows up.

The repository's registry and online store are files the notebook writes (its
feature_store.yaml says where); the platform keeps nothing of its own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

from jukebox_workshop.errors import PlatformError
from jukebox_workshop.local import probe
from jukebox_workshop.local.service import Context, Port, Service
from jukebox_workshop.settings import (
    FEATURE_REPO,
    FEATURE_REPO_VARIABLE,
    FEATURE_SERVER_URL_VARIABLE,
    LOOPBACK,
)

PORT = Port("feature-server", "feature server", "JUKEBOX_FEAST_PORT", 6566)
REGISTRY_TTL_SECONDS = 5


def repository() -> Path:
    return Path(os.environ.get(FEATURE_REPO_VARIABLE) or FEATURE_REPO).resolve()


def registry_file(repo: Path) -> Path:
    """Where the repository's feature_store.yaml keeps its registry (relative to the repo)."""
    config = yaml.safe_load((repo / "feature_store.yaml").read_text(encoding="utf-8"))
    registry = config["registry"]
    path = Path(registry["path"] if isinstance(registry, dict) else registry)
    return path if path.is_absolute() else repo / path


def url(context: Context) -> str:
    return f"http://{LOOPBACK}:{context.port(PORT.key)}"


def command(context: Context) -> list[str]:
    repo = repository()
    if not (repo / "feature_store.yaml").is_file():
        raise PlatformError(
            f"No feature repository in {repo} (no feature_store.yaml): set "
            f"{FEATURE_REPO_VARIABLE} to the folder of one, or unset it for jukebox/feature_repo."
        )
    if not registry_file(repo).is_file():
        raise PlatformError(
            f"The feature repository {repo} is not applied yet ({registry_file(repo).resolve()} is "
            "missing): run notebook 9 up to its apply step (or `feast apply` in that folder), "
            "then start the feature server."
        )
    feast = Path(sys.executable).parent / "feast"
    return [
        *(sys.executable, str(feast), "--chdir", str(repo), "serve"),
        *("--host", LOOPBACK, "--port", str(context.port(PORT.key))),
        *("--registry_ttl_sec", str(REGISTRY_TTL_SECONDS), "--workers", "1"),
    ]


def is_applied() -> bool:
    """Whether the repository has a registry: `feast serve` can run."""
    repo = repository()
    try:
        return registry_file(repo).is_file()
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return False  # no repository, or not one Feast reads: `command` says what is wrong


def answers(context: Context) -> bool:
    return probe.answers(f"{url(context)}/health")


SERVICE = Service(
    name="feature-server",
    title="Feature server (Feast)",
    ports=(PORT,),
    command=command,
    url=url,
    ready=answers,
    environment=lambda context: {FEATURE_SERVER_URL_VARIABLE: url(context)},
    # gunicorn stops its worker on SIGTERM within a second or two.
    stop_grace=5.0,
    process_environment=lambda context: {"FEAST_USAGE": "False"},
    optional=True,
    start_by_default=is_applied,
)
