"""One local platform per test worker: started when a test or the first notebook needs it,
stopped when the worker's session ends.

Its variables go into this process's environment, so the `jukebox` command, papermill and the
notebook kernels that tests start all see it. It starts fresh each session: what an earlier
run left in the worker's state dir is stopped and removed first.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from jukebox_workshop.notebooks import QUICK_PARAMETERS
from jukebox_workshop.settings import REPO_ROOT
from support.local_platform import UNSET, platform_settings

_environment: dict[str, str] = {}


def worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def state_dir() -> Path:
    return REPO_ROOT / "build" / "test-platform" / worker()


def use_quick_parameters() -> None:
    """The small values CI runs the notebooks with (a value already exported wins)."""
    for name, value in QUICK_PARAMETERS.items():
        os.environ.setdefault(name, value)


def start() -> dict[str, str]:
    """The platform's variables (as `jukebox env` prints them), started on first call."""
    if _environment:
        return _environment
    from jukebox_workshop.local import lifecycle

    state = state_dir()
    os.environ["JUKEBOX_STATE_DIR"] = str(state)
    lifecycle.stop(grace=1)  # a platform an interrupted run left behind
    shutil.rmtree(state, ignore_errors=True)
    for name in UNSET:
        os.environ.pop(name, None)
    os.environ.update(platform_settings(state))
    lifecycle.start()
    _environment.update(lifecycle.environment())
    os.environ.update(_environment)
    return _environment


def stop() -> None:
    if _environment:
        from jukebox_workshop.local import lifecycle

        lifecycle.stop(grace=1)
        _environment.clear()
