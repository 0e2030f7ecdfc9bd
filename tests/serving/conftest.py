"""Fixtures: the worker's platform with the model server, and two registered model versions."""

from __future__ import annotations

import secrets

import pytest
from support.model_versions import Served, upload_and_register

from jukebox_workshop.local import lifecycle

MODEL = "jukebox-test"
VERSIONS = {"20260101-000000": 1, "20260102-000000": 2}  # version: seed, registered in this order


@pytest.fixture(scope="module")
def serving(running_platform: dict[str, str], request: pytest.FixtureRequest) -> Served:
    """The worker's platform with the model server, and a model of this module's own
    registered twice (`jukebox-test-<module>-<random>`), so that modules never see each other's,
    nor a later session those of an earlier one on the notebooks' lasting platform."""
    lifecycle.start(["model-server"])
    environment = lifecycle.environment()
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    model = f"{MODEL}-{module}-{secrets.token_hex(3)}"
    onnx = {
        version: upload_and_register(environment, model, version, seed)
        for version, seed in VERSIONS.items()
    }
    return Served(environment, model, onnx)
