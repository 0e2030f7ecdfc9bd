"""The optional model server is started, shown, stopped and cleaned like the other services."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
from support.local_platform import exported, jukebox

from jukebox_workshop.local import lifecycle, processes
from jukebox_workshop.local.services import model_server
from jukebox_workshop.settings import state_dir

pytestmark = [pytest.mark.platform, pytest.mark.slow]


def model_server_status() -> lifecycle.ServiceStatus:
    (status,) = [service for service in lifecycle.status() if service.name == "model-server"]
    return status


def test_up_shows_and_down_stops_the_model_server(isolated: dict[str, str]) -> None:
    result = jukebox("up", "model-server")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("started (pid") == 3  # with S3 and the registry it needs
    status = model_server_status()
    assert status.running and status.answering
    url = f"http://127.0.0.1:{isolated['JUKEBOX_MODEL_SERVER_PORT']}"
    assert status.url == url
    assert httpx.get(f"{url}/v2/health/ready").status_code == 200
    assert httpx.post(f"{url}/v2/repository/index", json={}).json() == []  # nothing deployed

    shown = jukebox("status").stdout
    assert f"Model server (MLServer) running  pid {status.pid}" in shown
    assert f"model server {isolated['JUKEBOX_MODEL_SERVER_PORT']} (gRPC on " in shown
    assert exported(jukebox("env").stdout)["MODEL_SERVER_URL"] == url

    result = jukebox("down")
    assert result.returncode == 0, result.stderr
    assert "the Model server (MLServer)." in result.stdout
    assert not psutil.pid_exists(status.pid)
    assert "MODEL_SERVER_URL" not in exported(jukebox("env").stdout)
    assert "optional: `jukebox up model-server` starts it" in jukebox("status").stdout


def test_a_killed_model_server_is_noticed_and_started_again(isolated: dict[str, str]) -> None:
    lifecycle.start(["model-server"])
    killed = model_server_status().pid
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while model_server_status().running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not model_server_status().running
    assert "MODEL_SERVER_URL" not in lifecycle.environment()

    assert lifecycle.start(["model-server"]) == ["model-server"]
    status = model_server_status()
    assert status.running and status.pid != killed
    assert status.url.endswith(f":{isolated['JUKEBOX_MODEL_SERVER_PORT']}")


def test_a_start_waits_for_a_dead_server_that_still_holds_its_port(
    isolated: dict[str, str],
) -> None:
    """A SIGKILLed server shows as a zombie while its threads still end and hold its ports."""
    port = int(isolated["JUKEBOX_MODEL_SERVER_PORT"])
    # Stands for the server's last moments: its port still open, its record still there.
    ending = subprocess.Popen(
        [sys.executable, "-c", HOLD_FOR_A_SECOND, str(port)], stdout=subprocess.PIPE
    )
    assert ending.stdout is not None and ending.stdout.readline() == b"listening\n"
    record = {
        "pid": ending.pid,
        "create_time": psutil.Process(ending.pid).create_time(),
        "command": ["python", "mlserver", "start", "elsewhere"],
        "ports": {"model-server": port},
    }
    processes.record_file("model-server").parent.mkdir(parents=True)
    processes.record_file("model-server").write_text(json.dumps(record))

    assert "model-server" in lifecycle.start(["model-server"])
    assert ending.poll() is not None
    assert model_server_status().url.endswith(f":{port}")


HOLD_FOR_A_SECOND = """
import socket, sys, time
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("listening", flush=True)
time.sleep(1)
"""


def test_a_missing_serving_environment_says_what_to_do(
    isolated: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(model_server, "VENV", tmp_path / "no-venv")
    with pytest.raises(lifecycle.PlatformError, match="run `make install`, which creates"):
        lifecycle.start(["model-server"])
    assert not any(service.running for service in lifecycle.status())


def test_clean_removes_its_folder(isolated: dict[str, str]) -> None:
    lifecycle.start(["model-server"])
    assert (model_server.folder(state_dir()) / "settings.json").is_file()
    lifecycle.stop(grace=1)
    lifecycle.clean(["model-server"])
    assert not model_server.folder(state_dir()).exists()
