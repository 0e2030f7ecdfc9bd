"""Fixtures: a real local platform with the model server, and two registered model versions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from local_platform import UNSET, platform_settings
from model_versions import Served, upload_and_register

from jukebox_workshop.local import lifecycle

MODEL = "jukebox-test"
VERSIONS = {"20260101-000000": 1, "20260102-000000": 2}  # version: seed, registered in this order


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """S3, the registry and the model server on free ports, `jukebox-test` registered twice."""
    settings = platform_settings(tmp_path_factory.mktemp("serving") / "state")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.items():
            patch.setenv(name, value)
        for name in UNSET:
            patch.delenv(name, raising=False)
        assert lifecycle.start(["model-server"]) == ["s3", "registry", "model-server"]
        try:
            environment = lifecycle.environment()
            onnx = {
                version: upload_and_register(environment, MODEL, version, seed)
                for version, seed in VERSIONS.items()
            }
            yield Served(environment, MODEL, onnx)
        finally:
            lifecycle.stop(grace=1)
