"""Fixtures: a real local platform on free ports in a temporary state dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from local_platform import UNSET, platform_settings

from jukebox_workshop.local import lifecycle


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
