"""With --token-file, every API request needs `Authorization: Bearer <token>`."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from mr_openapi.exceptions import UnauthorizedException

from .registry_process import RegistryProcess, connect

TOKEN = secrets.token_urlsafe(16)  # made per run: no token is written in the repository


@pytest.fixture
def secured(start_registry: Callable[..., RegistryProcess], tmp_path: Path) -> RegistryProcess:
    token_file = tmp_path / "token"
    token_file.write_text(f"{TOKEN}\n")  # surrounding whitespace is stripped
    return start_registry(token_file=token_file)


def test_requests_need_the_token(secured: RegistryProcess) -> None:
    url = f"{secured.url}/api/model_registry/v1/registered_models"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = httpx.get(url, headers=headers)
        assert response.status_code == 401
        assert set(response.json()) == {"code", "message"}
        assert response.headers["www-authenticate"] == "Bearer"
    assert httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    # The overview page and the readiness probe stay open.
    assert httpx.get(f"{secured.url}/healthz").status_code == 200
    assert httpx.get(f"{secured.url}/").status_code == 200


def test_client_with_and_without_token(secured: RegistryProcess) -> None:
    with pytest.raises(UnauthorizedException):
        connect(secured.url)
    client = connect(secured.url, user_token=TOKEN)
    client.register_model(
        "secured", "s3://m/1", version="1", model_format_name="onnx", model_format_version="1"
    )
    assert client.get_registered_model("secured") is not None
