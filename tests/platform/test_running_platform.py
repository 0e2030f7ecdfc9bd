"""A started platform: every service answers, S3 wants the generated keys; `env` and `status`."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import uuid

import boto3
import httpx
import psutil
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from support.local_platform import JUKEBOX, jukebox

from jukebox_workshop.clients import s3_client
from jukebox_workshop.local import lifecycle
from jukebox_workshop.settings import BUCKETS, S3_VARIABLES, state_dir

pytestmark = [pytest.mark.platform, pytest.mark.slow]


def test_every_service_answers(fresh_platform: dict[str, str]) -> None:
    assert lifecycle.is_running()
    assert httpx.get(f"{fresh_platform['MODEL_REGISTRY_URL']}/healthz").status_code == 200
    assert s3_client(fresh_platform).list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert httpx.get(f"{fresh_platform['MLFLOW_TRACKING_URI']}/health").text == "OK"


def test_buckets_exist(fresh_platform: dict[str, str]) -> None:
    names = {bucket["Name"] for bucket in s3_client(fresh_platform).list_buckets()["Buckets"]}
    assert set(BUCKETS) <= names


@pytest.mark.parametrize("bucket", BUCKETS)
def test_put_and_get_with_the_generated_keys(fresh_platform: dict[str, str], bucket: str) -> None:
    s3 = s3_client(fresh_platform)
    key = f"tests/{uuid.uuid4().hex}.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"la la la")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"la la la"


def test_anonymous_requests_are_refused(fresh_platform: dict[str, str]) -> None:
    anonymous = boto3.client(
        "s3",
        endpoint_url=fresh_platform["AWS_S3_ENDPOINT"],
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED),
    )
    for request in (
        anonymous.list_buckets,
        lambda: anonymous.get_object(Bucket="models", Key="anything"),
        lambda: anonymous.put_object(Bucket="models", Key="anonymous.txt", Body=b"x"),
    ):
        with pytest.raises(ClientError) as refused:
            request()
        assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_wrong_keys_are_refused(fresh_platform: dict[str, str]) -> None:
    wrong_secret = s3_client(
        fresh_platform,
        aws_access_key_id=fresh_platform["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key="wrong",
    )
    unknown_key = s3_client(
        fresh_platform, aws_access_key_id="JUKEBOXUNKNOWNKEY000", aws_secret_access_key="x" * 40
    )
    for client, code in (
        (wrong_secret, "SignatureDoesNotMatch"),
        (unknown_key, "InvalidAccessKeyId"),
    ):
        with pytest.raises(ClientError) as refused:
            client.put_object(Bucket="models", Key="intruder.txt", Body=b"x")
        assert refused.value.response["Error"]["Code"] == code


def test_credentials_are_private_files(fresh_platform: dict[str, str]) -> None:
    for name in ("s3-access-key", "s3-secret-key"):
        mode = (state_dir() / name).stat().st_mode
        assert stat.S_IMODE(mode) == 0o600, name
    assert fresh_platform["AWS_SECRET_ACCESS_KEY"] in (state_dir() / "s3-secret-key").read_text()


DEFAULT = [name for name, service in lifecycle.SERVICES.items() if not service.optional]


def running() -> list[lifecycle.ServiceStatus]:
    """The services that run: all but the optional model server."""
    services = [service for service in lifecycle.status() if service.running]
    assert [service.name for service in services] == DEFAULT
    return services


def test_services_listen_on_loopback_only(fresh_platform: dict[str, str]) -> None:
    for service in running():
        assert service.pid is not None
        process = psutil.Process(service.pid)
        addresses = {
            connection.laddr.ip
            for member in (process, *process.children(recursive=True))
            for connection in member.net_connections(kind="inet")
            if connection.status == psutil.CONN_LISTEN
        }
        assert addresses == {"127.0.0.1"}, service.title


def test_env_prints_every_variable_shell_quoted(fresh_platform: dict[str, str]) -> None:
    result = jukebox("env")
    assert result.returncode == 0, result.stderr
    exported = {}
    lines = result.stdout.splitlines()
    comments = [line for line in lines if line.startswith("# ")]
    assert len(comments) == 3  # the ports in use, one line per service
    for line in lines[: -len(comments)]:
        words = shlex.split(line)
        assert words[0] == "export" and len(words) == 2, line
        name, value = words[1].split("=", 1)
        exported[name] = value
    assert set(exported) == {*S3_VARIABLES, "MODEL_REGISTRY_URL", "MLFLOW_TRACKING_URI"}
    assert exported == fresh_platform
    ports = lifecycle.current_ports()
    assert exported["AWS_S3_ENDPOINT"] == f"http://127.0.0.1:{ports['s3']}"
    assert exported["MODEL_REGISTRY_URL"] == f"http://127.0.0.1:{ports['registry']}"
    assert exported["MLFLOW_TRACKING_URI"] == f"http://127.0.0.1:{ports['mlflow']}"
    assert f"S3 filer {ports['filer']}" in comments[0]
    assert exported["AWS_DEFAULT_REGION"] and exported["AWS_S3_BUCKET"] == "models"
    assert result.stderr == ""
    evaluated = subprocess.run(
        ["bash", "-c", 'eval "$(jukebox env)" && echo "$AWS_S3_ENDPOINT $MODEL_REGISTRY_URL"'],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{JUKEBOX.parent}:{os.environ['PATH']}"},
    )
    assert evaluated.stdout.split() == [exported["AWS_S3_ENDPOINT"], exported["MODEL_REGISTRY_URL"]]


def test_status_shows_pid_url_and_memory(fresh_platform: dict[str, str]) -> None:
    result = jukebox("status")
    assert result.returncode == 0, result.stderr
    for service in running():
        assert service.running and service.answering
        assert service.rss_bytes and service.rss_bytes > 10 * 1024 * 1024
        lines = result.stdout.splitlines()
        line = next(line for line in lines if service.title in line)
        assert "running" in line and f"pid {service.pid}" in line and service.url in line
        ports = lines[lines.index(line) + 1]
        assert ports.strip().startswith("ports: " + ", ".join(p.describe() for p in service.ports))
        assert "MiB" in line
    assert "(gRPC on each + 10000)" in result.stdout
    assert "optional: `jukebox up model-server` starts it" in result.stdout
    assert str(state_dir()) in result.stdout
    assert fresh_platform["AWS_SECRET_ACCESS_KEY"] not in result.stdout


def test_up_again_starts_nothing(fresh_platform: dict[str, str]) -> None:
    before = {service.name: service.pid for service in lifecycle.status()}
    result = jukebox("up")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("already running") == len(DEFAULT)
    assert fresh_platform["AWS_SECRET_ACCESS_KEY"] not in result.stdout + result.stderr
    assert {service.name: service.pid for service in lifecycle.status()} == before


def test_asking_for_a_token_while_running_without_one(fresh_platform: dict[str, str]) -> None:
    with pytest.raises(lifecycle.PlatformError, match="already running without a token"):
        lifecycle.start(registry_token=True)
    assert lifecycle.is_running()
