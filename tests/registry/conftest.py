"""Fixtures: the registry as a real subprocess on a free loopback port, and clients for it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from model_registry import ModelRegistry
from support.registry_process import RegistryProcess, connect


@pytest.fixture
def start_registry(tmp_path: Path) -> Iterator[Callable[..., RegistryProcess]]:
    """Start servers of one's own (faults, auth); all are killed at the end of the test."""
    started: list[RegistryProcess] = []

    def start(database: Path | None = None, **options: Any) -> RegistryProcess:
        server = RegistryProcess(database or tmp_path / "registry.db", **options)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.kill()


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    server = RegistryProcess(tmp_path_factory.mktemp("registry") / "registry.db").start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def http(registry: RegistryProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=registry.url, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def client(registry: RegistryProcess) -> ModelRegistry:
    return connect(registry.url)


@pytest.fixture
def unique() -> str:
    """A fresh name, so tests sharing the session's server do not collide."""
    return f"model-{uuid.uuid4().hex[:8]}"
