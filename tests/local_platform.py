"""Helpers for tests that run a real local platform: free ports, a state dir, the `jukebox` command.

(tests/ and tests/platform/ have no __init__.py on purpose: as a package, tests/platform
would be named `platform` and hide the standard library module of that name.)
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import boto3
from botocore.config import Config

from jukebox_workshop.local import lifecycle
from jukebox_workshop.local.lifecycle import SERVICES

JUKEBOX = Path(sys.executable).parent / "jukebox"
# What the tests of the platform's own behaviour start: the MLflow server takes the longest by
# far to start, and tests/platform/test_mlflow_server.py tests it.
BASICS = ("s3", "registry")
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


def free_port(offsets: tuple[int, ...] = ()) -> int:
    """A free port whose twins at `offsets` are free too, not handed out before in this run.

    Below 32768, where Linux picks the local ports of outgoing connections.
    """
    low, span = 12000, 10000
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = low + probe.getsockname()[1] % span  # a different start for each call
    while True:
        numbers = [port, *(port + offset for offset in offsets)]
        if not _taken.intersection(numbers) and all(_free(number) for number in numbers):
            _taken.update(numbers)
            return port
        port = low + (port - low + 7) % span


def free_ports() -> dict[str, str]:
    """A JUKEBOX_*_PORT value for every port of every service, free with its twins."""
    return {
        port.variable: str(free_port(tuple(offset for _, offset in port.twins)))
        for service in SERVICES.values()
        for port in service.ports
    }


@contextmanager
def held(*ports: int) -> Iterator[None]:
    """Listen on these loopback ports while the block runs, as another program would."""
    with ExitStack() as stack:
        for port in ports:
            holder = stack.enter_context(socket.socket())
            holder.bind(("127.0.0.1", port))
            holder.listen()
        yield


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


def exported(output: str) -> dict[str, str]:
    """The variables of `jukebox env`'s export lines."""
    lines = [line for line in output.splitlines() if line.startswith("export ")]
    return dict(shlex.split(line)[1].split("=", 1) for line in lines)


def up(*options: str) -> dict[str, str]:
    """`jukebox up s3 registry`, then the variables `jukebox env` exports."""
    result = jukebox("up", *BASICS, *options)
    assert result.returncode == 0, result.stderr
    environment = jukebox("env")
    assert environment.returncode == 0, environment.stderr
    return exported(environment.stdout)


def down() -> list[int]:
    """`jukebox down`, which must stop the two services `up` starts; the pids they had."""
    pids = [service.pid for service in lifecycle.status() if service.pid]
    result = jukebox("down")
    assert result.returncode == 0, result.stderr
    assert "Stopped the S3 (SeaweedFS) and the Model Registry." in result.stdout
    return pids
