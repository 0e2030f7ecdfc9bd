"""Helpers for tests that run a real local platform: free ports, a state dir, the `jukebox` command.

Under pytest-xdist each worker takes its ports from a range of its own, so two workers never
pick the same free port at the same moment.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from jukebox_workshop.local import lifecycle, ports
from jukebox_workshop.settings import FEATURE_REPO_VARIABLE

JUKEBOX = Path(sys.executable).parent / "jukebox"
# What the tests of the platform's own behaviour start: the MLflow server takes the longest by
# far to start, and tests/platform/test_mlflow_server.py tests it.
BASICS = ("s3", "registry")
# Variables that change how the platform starts; tests unset them unless they test them.
UNSET = ("JUKEBOX_WEED_BINARY", "JUKEBOX_REGISTRY_AUTH", "JUKEBOX_FEATURE_REPO")


def worker_ports() -> dict[str, int]:
    """This test worker's port range: gw0 and gw1 (and a run without workers) never overlap."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    span = 2500
    return {"low": 12000 + span * (int(worker) % 4 if worker.isdigit() else 0), "span": span}


def free_port(offsets: tuple[int, ...] = ()) -> int:
    """A free port (with its twins at `offsets`), from this worker's range."""
    return ports.free_port(offsets, **worker_ports())


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
    """A state dir of its own and free ports for every service, in this worker's range."""
    return lifecycle.isolated_environment(state, **worker_ports())


def jukebox(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed `jukebox` command with this process's environment. Unless the test
    names a feature repository, one that is not applied: a plain `jukebox up` then starts what
    it starts on a fresh clone, whatever notebook 9 left in jukebox/output/."""
    unapplied = Path(tempfile.gettempdir()) / "jukebox-no-feature-repo"
    return subprocess.run(
        [str(JUKEBOX), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={FEATURE_REPO_VARIABLE: str(unapplied), **os.environ},
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
