"""One local platform per test worker: started when a test or the first notebook needs it,
stopped when the worker's session ends.

Its variables go into this process's environment, so the `jukebox` command, papermill and the
notebook kernels that tests start all see it.

The worker that runs the notebooks (they are its first unit of work, see conftest.py) keeps
its platform's data from one session to the next, in `build/test-platform/notebooks/`, on the
same ports where they are free: the notebooks' own outputs in `jukebox/output/` also last, and
name what that platform holds (registered versions, MLflow runs). Every other worker's
platform starts fresh each session.
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


def state_dir(for_notebooks: bool = False) -> Path:
    return REPO_ROOT / "build" / "test-platform" / ("notebooks" if for_notebooks else worker())


def use_quick_parameters() -> None:
    """The small values CI runs the notebooks with (a value already exported wins)."""
    for name, value in QUICK_PARAMETERS.items():
        os.environ.setdefault(name, value)


def start(for_notebooks: bool = False) -> dict[str, str]:
    """The platform's variables (as `jukebox env` prints them), started on first call: the
    notebooks' lasting platform if that call is for a notebook, else a fresh one."""
    if _environment:
        return _environment
    from jukebox_workshop.local import lifecycle

    state = state_dir(for_notebooks)
    os.environ["JUKEBOX_STATE_DIR"] = str(state)
    lifecycle.stop(grace=1)  # a platform an interrupted run left behind
    if not for_notebooks:
        shutil.rmtree(state, ignore_errors=True)
    for name in UNSET:
        os.environ.pop(name, None)
    os.environ.update(_ports_of(state))
    lifecycle.start()
    _environment.update(lifecycle.environment())
    os.environ.update(_environment)
    return _environment


def _ports_of(state: Path) -> dict[str, str]:
    """Free ports from the worker's range, but those the state dir used last where still free."""
    from jukebox_workshop.local import lifecycle, ports

    fresh = platform_settings(state)
    settings, last = dict(fresh), ports.remembered()
    for service in lifecycle.SERVICES.values():
        for port in service.ports:
            number = last.get(port.key)
            if number and not any(map(ports.port_in_use, port.numbers(number))):
                settings[port.variable] = str(number)
    numbers = [value for name, value in settings.items() if name.endswith("_PORT")]
    return settings if len(set(numbers)) == len(numbers) else fresh


def stop() -> None:
    if _environment:
        from jukebox_workshop.local import lifecycle

        lifecycle.stop(grace=1)
        _environment.clear()
