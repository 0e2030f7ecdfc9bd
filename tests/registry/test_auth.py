"""With --token-file, every request but the readiness probe needs the token: the API as
`Authorization: Bearer <token>`, the HTML page also through a cookie set by `/?token=`."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from mr_openapi.exceptions import UnauthorizedException
from support.registry_process import RegistryProcess, connect

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
    # Only the readiness probe stays open.
    assert httpx.get(f"{secured.url}/healthz").status_code == 200


def test_the_page_needs_the_token_too(secured: RegistryProcess) -> None:
    connect(secured.url, user_token=TOKEN).register_model(
        "secret-model", "s3://m/1", version="1", model_format_name="onnx", model_format_version="1"
    )
    page = f"{secured.url}/"
    for params in ({}, {"token": "wrong"}):
        response = httpx.get(page, params=params)
        assert response.status_code == 401 and "secret-model" not in response.text
        assert "/?token=" in response.json()["message"]
    assert "secret-model" in httpx.get(page, headers={"Authorization": f"Bearer {TOKEN}"}).text

    # A browser opens /?token=... once: a cookie for the page, then the page without the token.
    with httpx.Client(base_url=secured.url) as browser:
        opened = browser.get("/", params={"token": TOKEN})
        assert opened.status_code == 303 and opened.headers["location"] == "/"
        cookie = opened.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
        assert "secret-model" in browser.get("/").text
        # The cookie opens the page only, never the API.
        assert browser.get("/api/model_registry/v1alpha3/registered_models").status_code == 401
    forged = httpx.get(page, cookies={"jukebox_registry": "0" * 64})
    assert forged.status_code == 401


def test_client_with_and_without_token(secured: RegistryProcess) -> None:
    with pytest.raises(UnauthorizedException):
        connect(secured.url)
    client = connect(secured.url, user_token=TOKEN)
    client.register_model(
        "secured", "s3://m/1", version="1", model_format_name="onnx", model_format_version="1"
    )
    assert client.get_registered_model("secured") is not None
