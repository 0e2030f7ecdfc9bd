"""Shared fixtures of the unit tests: generated datasets, made once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from jukebox_workshop.dataset.build.generate import GeneratedDataset, build_dataset, generate

SMALL_DAYS = 10  # enough for weekly movements, quick to generate


@pytest.fixture(scope="session")
def default_dataset() -> GeneratedDataset:
    """The dataset `make data` ships (default seed and size), in memory."""
    return build_dataset()


@pytest.fixture(scope="session")
def small_days() -> int:
    return SMALL_DAYS


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a small generated dataset (read it, do not change it)."""
    folder = tmp_path_factory.mktemp("small-dataset")
    generate(folder, n_days=SMALL_DAYS)
    return folder
