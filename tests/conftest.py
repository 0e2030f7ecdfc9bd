"""Fixtures shared by the test folders: the worker's platform, and platforms of one's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import session_platform
from support.local_platform import UNSET, platform_settings

from jukebox_workshop.local import lifecycle
from jukebox_workshop.notebooks import QUICK_PARAMETERS, run_notebook
from jukebox_workshop.settings import DEFAULT_DATA_DIR


@pytest.fixture(scope="session")
def running_platform() -> dict[str, str]:
    """The worker's platform, as `make up` starts it (S3, registry, MLflow), shared by every test
    that only uses it: its environment(). A test that changes the platform itself (stops it,
    restarts it, holds its ports) takes `isolated` instead."""
    return dict(session_platform.start())


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A fresh state dir and free ports for one test; whatever it started is stopped after."""
    settings = platform_settings(tmp_path / "state")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    yield settings
    lifecycle.stop(grace=1)


@pytest.fixture(scope="module")
def fresh_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A platform of the module's own, just as `make up` starts it (no model server, nothing
    stored), for the tests of the platform's own shape: its environment()."""
    settings = platform_settings(tmp_path_factory.mktemp("platform") / "state")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.items():
            patch.setenv(name, value)
        for name in UNSET:
            patch.delenv(name, raising=False)
        default = [name for name, service in lifecycle.SERVICES.items() if not service.optional]
        assert lifecycle.start() == default
        try:
            yield lifecycle.environment()
        finally:
            lifecycle.stop(grace=1)


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where notebook 2 ran on the shipped data with the tests' small settings, made
    once per worker for every test that starts from its splits: copy its `output/prepared/`,
    never change it."""
    folder = tmp_path_factory.mktemp("prepared")
    run_notebook(
        "02-prepare.ipynb",
        workdir=folder,
        executed_dir=folder / "executed",
        environment={**QUICK_PARAMETERS, "JUKEBOX_DATA_DIR": str(DEFAULT_DATA_DIR)},
        echo=False,
    )
    return folder
