"""Busy default ports: the platform takes free ones, remembers them and shows them."""

from __future__ import annotations

import dataclasses
import json
import socket
import uuid
from pathlib import Path

import httpx
import pytest
from support.local_platform import BASICS, down, free_port, held, jukebox, up

from jukebox_workshop.clients import s3_client
from jukebox_workshop.local import lifecycle
from jukebox_workshop.settings import state_dir

pytestmark = [pytest.mark.platform, pytest.mark.slow]


def busy(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def test_up_when_9000_and_8080_are_taken(
    isolated: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The laptop case: another dev server holds 8080, a MinIO 9000."""
    monkeypatch.delenv("JUKEBOX_S3_PORT")
    monkeypatch.delenv("JUKEBOX_REGISTRY_PORT")
    ours = [port for port in (9000, 8080) if not busy(port)]  # the others are busy already
    with held(*ours):
        result = jukebox("up", *BASICS)
        assert result.returncode == 0, result.stderr
        environment = up()

        s3_port = int(environment["AWS_S3_ENDPOINT"].rsplit(":", 1)[1])
        registry_port = int(environment["MODEL_REGISTRY_URL"].rsplit(":", 1)[1])
        assert s3_port != 9000 and registry_port != 8080
        assert f"S3 API {s3_port} (instead of 9000)" in result.stdout
        assert f"Model Registry {registry_port} (instead of 8080)" in result.stdout
        status = jukebox("status").stdout
        assert f"S3 API {s3_port} (instead of 9000)" in status
        assert f"Model Registry {registry_port} (instead of 8080)" in status
        assert (
            f"# S3 (SeaweedFS): ports: S3 API {s3_port} (instead of 9000)" in jukebox("env").stdout
        )
        recorded = json.loads((state_dir() / "ports.json").read_text())
        assert (recorded["s3"], recorded["registry"]) == (s3_port, registry_port)

        key = f"moved/{uuid.uuid4().hex}"
        s3_client(environment).put_object(Bucket="models", Key=key, Body=b"x")
        assert httpx.get(environment["MODEL_REGISTRY_URL"] + "/healthz").status_code == 200

        down()
    # The defaults are free again (if they were ours), but the addresses stay the same, so a
    # notebook kernel started with the old settings keeps working.
    assert up() == environment
    assert s3_client(environment).get_object(Bucket="models", Key=key)["Body"].read() == b"x"


def test_a_second_platform_beside_a_running_one(
    isolated: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What `make test` does next to the platform of `make workshop`: another state dir, and
    free ports where the first platform holds the defaults."""
    first = up()
    # The second platform's defaults are the ports the first one runs on.
    in_use = lifecycle.current_ports()
    moved = {
        name: dataclasses.replace(
            service,
            ports=tuple(dataclasses.replace(p, default=in_use[p.key]) for p in service.ports),
        )
        for name, service in lifecycle.SERVICES.items()
    }
    monkeypatch.setattr(lifecycle, "SERVICES", moved)
    for service in moved.values():
        for port in service.ports:
            monkeypatch.delenv(port.variable)
    monkeypatch.setenv("JUKEBOX_STATE_DIR", str(tmp_path / "second"))
    try:
        assert lifecycle.start(BASICS) == list(BASICS)
        second = lifecycle.environment()
        assert second["AWS_S3_ENDPOINT"] != first["AWS_S3_ENDPOINT"]
        assert second["MODEL_REGISTRY_URL"] != first["MODEL_REGISTRY_URL"]
        s3_client(second).put_object(Bucket="models", Key="second-only", Body=b"2")
    finally:
        lifecycle.stop(grace=1)
    monkeypatch.setenv("JUKEBOX_STATE_DIR", isolated["JUKEBOX_STATE_DIR"])
    # The first one was not touched.
    assert all(s.answering for s in lifecycle.status() if s.name in BASICS)
    listing = s3_client(first).list_objects_v2(Bucket="models", Prefix="second-only")
    assert listing["KeyCount"] == 0


def test_a_busy_grpc_twin_moves_the_port(
    isolated: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SeaweedFS also listens on each port + 10000: a busy twin moves the port as well.
    (With a default of the test's own, free with its neighbour, so that other test runs on
    the machine do not race for 9888.)"""
    default = free_port((1, 10000, 10001))
    s3 = lifecycle.SERVICES["s3"]
    ports = tuple(
        dataclasses.replace(port, default=default) if port.key == "filer" else port
        for port in s3.ports
    )
    monkeypatch.setitem(lifecycle.SERVICES, "s3", dataclasses.replace(s3, ports=ports))
    monkeypatch.delenv("JUKEBOX_S3_FILER_PORT")
    with held(default + 10000):
        lifecycle.start()
    assert lifecycle.current_ports()["filer"] == default + 1
    assert busy(default + 10001)  # weed listens on the new twin
    assert s3_client(lifecycle.environment()).list_buckets()["Buckets"]
