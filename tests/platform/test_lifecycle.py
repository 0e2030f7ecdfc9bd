"""`jukebox up` and `jukebox down` from the command line: data survives, only our processes stop."""

from __future__ import annotations

import json
import stat
import subprocess
import time

import httpx
import psutil
import pytest
from support.local_platform import down, jukebox, up

from jukebox_workshop.clients import s3_client
from jukebox_workshop.local import lifecycle
from jukebox_workshop.settings import state_dir

pytestmark = [pytest.mark.platform, pytest.mark.slow]
REGISTERED_MODELS = "/api/model_registry/v1alpha3/registered_models"


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE  # exited, not yet reaped
    except psutil.NoSuchProcess:
        return True


def test_objects_survive_down_and_up(isolated: dict[str, str]) -> None:
    first = up()
    s3 = s3_client(first)
    s3.put_object(Bucket="models", Key="jukebox/1/model.onnx", Body=b"weights")

    pids = down()
    assert len(pids) == 2 and all(gone(pid) for pid in pids)
    assert not list((state_dir() / "run").glob("*.json"))
    assert not lifecycle.is_running()
    assert "Nothing to stop" in jukebox("down").stdout

    second = up()
    assert second == first  # the same keys and addresses after a restart
    assert s3.get_object(Bucket="models", Key="jukebox/1/model.onnx")["Body"].read() == b"weights"


def test_registry_token_mode(isolated: dict[str, str]) -> None:
    environment = up("--registry-token")
    url, token = environment["MODEL_REGISTRY_URL"], environment["MODEL_REGISTRY_TOKEN"]
    assert stat.S_IMODE(lifecycle.token_file().stat().st_mode) == 0o600
    assert httpx.get(url + REGISTERED_MODELS).status_code == 401
    assert (
        httpx.get(url + REGISTERED_MODELS, headers={"Authorization": "Bearer wrong"}).status_code
        == 401
    )
    assert (
        httpx.get(url + REGISTERED_MODELS, headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )

    down()
    environment = up()  # the default: no token
    assert "MODEL_REGISTRY_TOKEN" not in environment
    assert httpx.get(environment["MODEL_REGISTRY_URL"] + REGISTERED_MODELS).status_code == 200


def test_down_stops_only_processes_it_started(isolated: dict[str, str]) -> None:
    """Records whose pid now belongs to another program (a recycled pid) are dropped, not obeyed."""
    bystander = subprocess.Popen(["sleep", "300"])
    try:
        process = psutil.Process(bystander.pid)
        records = {
            # the pid with another start time: the process it named is gone, the pid was reused
            "s3": {
                "pid": bystander.pid,
                "create_time": process.create_time() - 100,
                "command": process.cmdline(),
                "url": "http://127.0.0.1:1",
            },
            # the right start time, but another command line
            "registry": {
                "pid": bystander.pid,
                "create_time": process.create_time(),
                "command": ["python", "-m", "jukebox_workshop.local.registry_server"],
                "url": "http://127.0.0.1:2",
            },
        }
        run = state_dir() / "run"
        run.mkdir(parents=True)
        for name, record in records.items():
            (run / f"{name}.json").write_text(json.dumps(record))

        assert not any(service.running for service in lifecycle.status())
        result = jukebox("down")
        assert result.returncode == 0, result.stderr
        assert "Nothing to stop" in result.stdout
        time.sleep(0.2)
        assert bystander.poll() is None
        assert not list(run.glob("*.json"))
    finally:
        bystander.kill()
        bystander.wait()
