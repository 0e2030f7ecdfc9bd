"""The server's doors: only its own Host names (no DNS rebinding), and a body size limit
that answers 413 without keeping the body."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from support.registry_process import RegistryProcess

from jukebox_workshop.local.registry_server.middleware import MAX_BODY_BYTES

from .test_http import PREFIXES

API = PREFIXES[0]
MiB = 1024 * 1024


def peak_rss(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def test_only_the_servers_own_host_names(start_registry: Callable[..., RegistryProcess]) -> None:
    server = start_registry(extra_args=["--allowed-host", "registry.example:8443"])
    port = server.port
    good = (f"127.0.0.1:{port}", f"localhost:{port}", "registry.example:8443", f"LOCALHOST:{port}")
    bad = ("evil.example", f"evil.example:{port}", "127.0.0.1", "localhost:1", "")
    with httpx.Client(base_url=server.url) as http:
        for host in good:
            response = http.get(f"{API}/registered_models", headers={"Host": host})
            assert response.status_code == 200, host
        for host in bad:
            for path in ("/", "/healthz", f"{API}/registered_models"):
                response = http.get(path, headers={"Host": host})
                assert response.status_code == 400, (host, path)
                assert response.json()["code"] == "Bad Request"
                assert "not a name of this registry" in response.json()["message"]


def chunks(total: int, size: int = MiB) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        chunk = min(size, total - sent)
        yield b" " * chunk
        sent += chunk


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_large_bodies_get_413_and_are_not_kept(
    start_registry: Callable[..., RegistryProcess], declared: bool
) -> None:
    server = start_registry()
    pid = server.process.pid
    total = 100 * MiB
    headers = {"content-type": "application/json"}
    if declared:
        headers["content-length"] = str(total)
    before = peak_rss(pid)
    with httpx.Client(base_url=server.url, timeout=60) as http:
        response = http.post(f"{API}/registered_models", content=chunks(total), headers=headers)
        assert response.status_code == 413
        assert response.json() == {
            "code": "Request Entity Too Large",
            "message": f"the request body is larger than {MAX_BODY_BYTES} bytes, the registry's limit",
        }
        # The same connection serves the next request, and nothing was stored.
        assert http.get(f"{API}/registered_models").json()["items"] == []
    assert peak_rss(pid) - before < 20 * MiB


def test_bodies_up_to_the_limit_are_fine(http: httpx.Client, unique: str) -> None:
    body = json.dumps({"name": unique, "readme": "x" * (MAX_BODY_BYTES - 200)})
    response = http.post(
        f"{API}/registered_models", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201
    assert len(response.json()["readme"]) == MAX_BODY_BYTES - 200
