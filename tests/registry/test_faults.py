"""Crashes, restarts, races and startup failures."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path

import httpx
from support.registry_process import RegistryProcess, free_port

API = "/api/model_registry/v1alpha3"


def test_kill_9_mid_run_loses_nothing(start_registry: Callable[..., RegistryProcess]) -> None:
    """Creates, artifact upserts and updates run until SIGKILL: every acknowledged write is
    there after a restart, as acknowledged."""
    server = start_registry()
    model = httpx.post(f"{server.url}{API}/registered_models", json={"name": "crash"}).json()
    acknowledged: dict[str, dict[str, str]] = {}  # version id -> what the server confirmed

    def write_until_the_server_dies() -> None:
        with httpx.Client(base_url=server.url, timeout=5) as http:
            for i in range(10_000):
                try:
                    body = {"name": f"v{i}", "registeredModelId": model["id"]}
                    version = http.post(f"{API}/model_versions", json=body).json()
                    acknowledged[version["id"]] = {"name": version["name"]}
                    artifact = {"artifactType": "model-artifact", "uri": f"s3://m/{i}"}
                    http.post(f"{API}/model_versions/{version['id']}/artifacts", json=artifact)
                    acknowledged[version["id"]]["uri"] = artifact["uri"]
                    patch = {"description": f"tuned {i}"}
                    http.patch(f"{API}/model_versions/{version['id']}", json=patch)
                    acknowledged[version["id"]]["description"] = patch["description"]
                except httpx.TransportError:
                    return

    writer = threading.Thread(target=write_until_the_server_dies)
    writer.start()
    while len(acknowledged) < 30:
        time.sleep(0.005)
    server.kill()  # SIGKILL while the writer is still sending
    writer.join(10)

    with sqlite3.connect(server.database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    restarted = start_registry(server.database)
    with httpx.Client(base_url=restarted.url) as http:
        for version_id, confirmed in acknowledged.items():
            version = http.get(f"{API}/model_versions/{version_id}").json()
            assert version["name"] == confirmed["name"]
            assert version.get("description") == confirmed.get(
                "description", version.get("description")
            )
            artifacts = http.get(f"{API}/model_versions/{version_id}/artifacts").json()["items"]
            if "uri" in confirmed:
                assert [a["uri"] for a in artifacts] == [confirmed["uri"]]
        newest = http.post(f"{API}/registered_models", json={"name": "after-crash"}).json()
    assert int(newest["id"]) > max(int(i) for i in acknowledged)


def test_a_500_leaves_the_connection_usable(start_registry: Callable[..., RegistryProcess]) -> None:
    """An unexpected error answers a JSON 500 and keeps the keep-alive connection open: the
    next request on it must not meet a reset connection."""
    server = start_registry()
    model = httpx.post(f"{server.url}{API}/registered_models", json={"name": "broken"}).json()
    with sqlite3.connect(server.database) as db:  # a row no version of the server wrote
        db.execute("UPDATE registered_models SET attributes = '[1]' WHERE id = ?", (model["id"],))
    connection = HTTPConnection("127.0.0.1", server.port, timeout=5)
    for _ in range(20):
        connection.request("GET", f"{API}/registered_models/{model['id']}")
        broken = connection.getresponse()
        body = json.loads(broken.read())
        assert broken.status == 500 and body["code"] == "Internal Server Error"
        socket_used = connection.sock
        connection.request("GET", "/healthz")
        healthy = connection.getresponse()
        assert healthy.status == 200 and json.loads(healthy.read()) == {"status": "ok"}
        assert connection.sock is socket_used  # the same connection, not a new one
    connection.close()


def test_ids_keep_growing_across_restarts(start_registry: Callable[..., RegistryProcess]) -> None:
    server = start_registry()

    def add(i: int) -> tuple[int, int]:
        with httpx.Client(base_url=server.url) as http:
            model = http.post(f"{API}/registered_models", json={"name": f"m{i}"}).json()
            version = http.post(
                f"{API}/model_versions", json={"name": "1", "registeredModelId": model["id"]}
            ).json()
            body = {"artifactType": "model-artifact", "name": "a", "uri": "s3://x"}
            artifact = http.post(
                f"{API}/model_versions/{version['id']}/artifacts", json=body
            ).json()
        return int(version["id"]), int(artifact["id"])

    before = add(1)
    assert server.stop() == 0
    server = start_registry(server.database)
    after = add(2)
    assert after[0] > before[0] and after[1] > before[1]
    names = [m["name"] for m in httpx.get(f"{server.url}{API}/registered_models").json()["items"]]
    assert names == ["m1", "m2"]


def test_concurrent_creates_have_one_winner(registry: RegistryProcess, unique: str) -> None:
    model = httpx.post(f"{registry.url}{API}/registered_models", json={"name": unique}).json()
    start = threading.Barrier(16)

    def create(path: str, body: dict) -> int:
        with httpx.Client(base_url=registry.url, timeout=20) as http:
            start.wait()
            return http.post(f"{API}/{path}", json=body).status_code

    for path, body in (
        ("model_versions", {"name": "1", "registeredModelId": model["id"]}),
        ("registered_models", {"name": f"{unique}-race"}),
    ):
        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(create, [path] * 16, [body] * 16))
        assert sorted(statuses) == [201] + [409] * 15


def test_stops_cleanly_on_sigterm_and_sigint(
    start_registry: Callable[..., RegistryProcess],
) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        server = start_registry()
        with httpx.Client(base_url=server.url) as http:  # an idle keep-alive connection
            http.get("/healthz")
            started = time.monotonic()
            server.process.send_signal(sig)
            assert server.process.wait(5) == 0
        assert time.monotonic() - started < 2.5


def run_expecting_failure(*args: str) -> str:
    """Run the server with bad settings; return its single line of complaint."""
    command = [sys.executable, "-m", "jukebox_workshop.local.registry_server", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = run_expecting_failure("--port", str(port), "--database", str(tmp_path / "r.db"))
    assert f"port {port} on 127.0.0.1 is already in use" in message


def test_unusable_database_or_token(tmp_path: Path) -> None:
    port = str(free_port())
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("this is not SQLite " * 100)
    message = run_expecting_failure("--port", port, "--database", str(not_a_database))
    assert "cannot open registry database" in message and "not a database" in message
    message = run_expecting_failure("--port", port, "--database", str(tmp_path))  # a directory
    assert "cannot open registry database" in message
    empty = tmp_path / "token"
    empty.write_text("\n")
    message = run_expecting_failure(
        "--port", port, "--database", str(tmp_path / "r.db"), "--token-file", str(empty)
    )
    assert "is empty" in message
