"""Fixtures shared by the test folders: a real local platform on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from local_platform import UNSET, platform_settings

from jukebox_workshop.local import lifecycle


@pytest.fixture(scope="module")
def running_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The whole platform, as `make up` starts it, shared by a module's tests (a start costs
    seconds): its environment()."""
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
