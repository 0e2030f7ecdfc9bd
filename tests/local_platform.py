"""Helpers for tests that run a real local platform: free ports, a state dir, the `jukebox` command.

(tests/ and tests/platform/ have no __init__.py on purpose: as a package, tests/platform
would be named `platform` and hide the standard library module of that name.)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import boto3
from botocore.config import Config

from jukebox_workshop.s3_server import GRPC_OFFSET
from jukebox_workshop.settings import PORT_VARIABLES

JUKEBOX = Path(sys.executable).parent / "jukebox"
_taken: set[int] = set()
# Variables that change how the platform starts; tests unset them unless they test them.
UNSET = ("JUKEBOX_WEED_BINARY", "JUKEBOX_REGISTRY_AUTH")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports() -> dict[str, str]:
    """JUKEBOX_*_PORT values on free ports whose gRPC twins (+10000) are free too.

    All below 32768, where Linux picks the local ports of outgoing connections.
    """
    low, span = 12000, 10000
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = low + probe.getsockname()[1] % span  # a different start for each run
    chosen: dict[str, str] = {}
    for variable, _ in PORT_VARIABLES.values():
        while port in _taken or not (_free(port) and _free(port + GRPC_OFFSET)):
            port = low + (port - low + 7) % span
        _taken.update({port, port + GRPC_OFFSET})
        chosen[variable] = str(port)
    return chosen


def platform_settings(state: Path) -> dict[str, str]:
    return {"JUKEBOX_STATE_DIR": str(state), **free_ports()}


def jukebox(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed `jukebox` command with this process's environment."""
    return subprocess.run(
        [str(JUKEBOX), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
    )


def s3_client(environment: dict[str, str], **credentials: str):
    """A boto3 S3 client for the platform's `environment()`; keyword arguments replace the keys."""
    keys = credentials or {
        "aws_access_key_id": environment["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": environment["AWS_SECRET_ACCESS_KEY"],
    }
    return boto3.client(
        "s3",
        endpoint_url=environment["AWS_S3_ENDPOINT"],
        region_name=environment["AWS_DEFAULT_REGION"],
        config=Config(s3={"addressing_style": "path"}),
        **keys,
    )
