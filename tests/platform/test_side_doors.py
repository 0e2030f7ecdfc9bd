"""Only the S3 API, with the platform's keys, reads or writes objects: SeaweedFS's other ports
(master, volume, filer, and their gRPC twins) are shut, and no port allows every origin."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re
import socket
import ssl
import subprocess
import time
import tomllib
import uuid
from pathlib import Path

import httpx
import psutil
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from support.local_platform import up

from jukebox_workshop.clients import s3_client
from jukebox_workshop.local import lifecycle
from jukebox_workshop.local.services import s3
from jukebox_workshop.settings import state_dir

pytestmark = [pytest.mark.platform, pytest.mark.slow]
EVIL = "http://evil.example"


def config_dir() -> Path:
    return s3.data_dir(state_dir()) / "config"


def url(key: str, path: str = "/") -> str:
    return f"http://127.0.0.1:{lifecycle.current_ports()[key]}{path}"


@pytest.fixture(scope="module")
def stored(fresh_platform: dict[str, str]) -> tuple[str, bytes]:
    """An object put through the S3 API, and its content."""
    key, body = f"doors/{uuid.uuid4().hex}/model.onnx", b"weights " + uuid.uuid4().bytes
    s3_client(fresh_platform).put_object(Bucket="models", Key=key, Body=body)
    return key, body


def unchanged(environment: dict[str, str], key: str, body: bytes) -> bool:
    return s3_client(environment).get_object(Bucket="models", Key=key)["Body"].read() == body


def chunk_id(key: str) -> str:
    """The volume file id of the object's chunk, asked the way an administrator would: with
    `weed shell`, which finds the platform's certificates in the configuration folder."""
    command = [str(s3.find_weed()), "shell"]
    command += [f"-master=127.0.0.1:{lifecycle.current_ports()['master']}"]
    command += [f"-filer=127.0.0.1:{lifecycle.current_ports()['filer']}"]
    shell = subprocess.run(
        command,
        input=f"fs.meta.cat /buckets/models/{key}\n",
        cwd=config_dir(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return re.search(r'"fileId":\s*"([^"]+)"', shell.stdout).group(1)


def token(key: str, claims: dict) -> str:
    """An HS256 JSON web token, as SeaweedFS signs them."""

    def encoded(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = encoded(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signed = f"{header}.{encoded(json.dumps(claims).encode())}"
    signature = hmac.new(key.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{encoded(signature)}"


def test_only_the_described_ports_listen(fresh_platform: dict[str, str]) -> None:
    (s3,) = [service for service in lifecycle.status() if service.name == "s3"]
    listening = {
        connection.laddr.port
        for connection in psutil.Process(s3.pid).net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN
    }
    described = {n for shown in s3.ports for n in shown.port.numbers(shown.number)}
    assert listening == described


def test_the_filer_http_api_is_off(fresh_platform: dict[str, str], stored) -> None:
    key, body = stored
    filer = url("filer", f"/buckets/models/{key}")
    folder = url("filer", f"/buckets/models/{key.rsplit('/', 1)[0]}/")
    attempts = [
        httpx.get(url("filer", "/buckets/models/"), headers={"Accept": "application/json"}),
        httpx.get(filer),
        httpx.post(folder, files={"file": ("intruder.txt", b"x")}),
        httpx.put(filer, content=b"overwritten"),
        httpx.delete(filer),
        httpx.delete(folder, params={"recursive": "true"}),
    ]
    assert [answer.status_code for answer in attempts] == [404] * len(attempts)
    assert unchanged(fresh_platform, key, body)
    prefix = key.rsplit("/", 1)[0]
    listing = s3_client(fresh_platform).list_objects_v2(Bucket="models", Prefix=prefix)
    assert [item["Key"] for item in listing["Contents"]] == [key]


def test_the_master_hands_out_no_tokens(fresh_platform: dict[str, str], stored) -> None:
    fid = chunk_id(stored[0])
    for path in (
        "/dir/assign",
        f"/dir/lookup?fileId={fid}",
        "/dir/status",
        "/vol/status",
        f"/{fid}",
    ):
        answer = httpx.get(url("master", path))
        assert answer.status_code == 404, path
        assert "authorization" not in answer.headers
    assert httpx.post(url("master", "/submit"), files={"file": ("x", b"x")}).status_code == 404
    # What is left: a read-only status page and the health checks.
    assert httpx.get(url("master", "/")).status_code == 200


def test_the_volume_server_serves_no_chunk_without_a_token(
    fresh_platform: dict[str, str], stored
) -> None:
    key, body = stored
    fid = chunk_id(key)
    chunk = url("volume", f"/{fid}")
    assert httpx.get(chunk).status_code == 401
    assert httpx.post(chunk, files={"file": ("x", b"overwritten")}).status_code == 401
    assert httpx.delete(chunk).status_code == 401
    forged = token("guessed-key", {"fid": fid, "exp": int(time.time()) + 60})
    assert httpx.get(chunk, headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert unchanged(fresh_platform, key, body)
    # With a token signed by the platform's own read key, the same request is served: it is
    # the token that is missing, not the chunk.
    read_key = tomllib.loads((config_dir() / "security.toml").read_text())["jwt"]["signing"]["read"]
    signed = token(read_key["key"], {"fid": fid, "exp": int(time.time()) + 60})
    assert httpx.get(chunk, headers={"Authorization": f"Bearer {signed}"}).content == body


def handshake(port: int, certificate: tuple[Path, Path] | None = None) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    if certificate:
        context.load_cert_chain(*certificate)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw) as tls:
            tls.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
            tls.recv(9)  # the server's SETTINGS frame, or the TLS alert


def test_grpc_ports_want_the_platforms_client_certificate(fresh_platform: dict[str, str]) -> None:
    (s3,) = [service for service in lifecycle.status() if service.name == "s3"]
    grpc_ports = [shown.number + 10000 for shown in s3.ports]
    tls = config_dir() / "tls"
    for port in grpc_ports:
        with pytest.raises(ssl.SSLError, match="CERTIFICATE_REQUIRED"):
            handshake(port)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as plain:
            plain.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
            plain.settimeout(5)
            assert not plain.recv(9).startswith(b"\x00\x00")  # no HTTP/2 frame: a TLS alert
        handshake(port, (tls / "weed.crt", tls / "weed.key"))  # the platform's own: accepted


def test_no_port_lets_another_origin_read(fresh_platform: dict[str, str], stored) -> None:
    key, _ = stored
    fid = chunk_id(key)
    for port, path in [
        ("s3", f"/models/{key}"),
        ("master", f"/{fid}"),
        ("filer", f"/buckets/models/{key}"),
        ("volume", f"/{fid}"),
    ]:
        for method in ("GET", "OPTIONS"):
            answer = httpx.request(
                method,
                url(port, path),
                headers={"Origin": EVIL, "Access-Control-Request-Method": "GET"},
            )
            allowed = answer.headers.get("access-control-allow-origin")
            if port == "volume":
                # SeaweedFS's volume server always answers "*" (no setting changes it), but
                # without a token there is nothing to read.
                assert allowed == "*" and httpx.get(url(port, path)).status_code == 401
            else:
                assert allowed in (None, url("s3", "").rstrip("/")), (port, method, allowed)


def test_weeds_secrets_are_private_and_new_at_each_start(fresh_platform: dict[str, str]) -> None:
    for path in [config_dir() / "security.toml", *(config_dir() / "tls").iterdir()]:
        assert path.stat().st_mode & 0o077 == 0, path
    assert not list((config_dir() / "tls").glob("ca.key"))  # the CA's key is not kept


def test_boto3_with_the_keys_does_everything_the_notebooks_do(
    fresh_platform: dict[str, str],
) -> None:
    s3 = s3_client(fresh_platform)
    prefix = f"doors/{uuid.uuid4().hex}"
    big = bytes(range(256)) * (7 * 4096)  # 7 MiB: a multipart upload with the transfer manager
    config = TransferConfig(
        multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024
    )
    s3.upload_fileobj(io.BytesIO(big), "models", f"{prefix}/big.bin", Config=config)
    assert s3.get_object(Bucket="models", Key=f"{prefix}/big.bin")["Body"].read() == big
    s3.copy_object(
        Bucket="models",
        Key=f"{prefix}/copy.bin",
        CopySource={"Bucket": "models", "Key": f"{prefix}/big.bin"},
    )
    assert s3.head_object(Bucket="models", Key=f"{prefix}/copy.bin")["ContentLength"] == len(big)
    listed = s3.list_objects_v2(Bucket="models", Prefix=prefix)["Contents"]
    assert sorted(item["Key"] for item in listed) == [f"{prefix}/big.bin", f"{prefix}/copy.bin"]
    s3.delete_objects(
        Bucket="models", Delete={"Objects": [{"Key": item["Key"]} for item in listed]}
    )
    assert s3.list_objects_v2(Bucket="models", Prefix=prefix)["KeyCount"] == 0


def test_aws_keys_in_the_environment_open_nothing(
    isolated: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """weed would make AWS keys found in its environment an admin identity: a user's real AWS
    keys, or the keys of another state dir left in the shell by `eval "$(make -s env)"`."""
    shell_keys = {"aws_access_key_id": "JUKEBOXFROMTHESHELL0", "aws_secret_access_key": "s" * 40}
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", shell_keys["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", shell_keys["aws_secret_access_key"])
    environment = up()
    assert environment["AWS_ACCESS_KEY_ID"] != shell_keys["aws_access_key_id"]
    with pytest.raises(ClientError) as refused:
        s3_client(environment, **shell_keys).list_buckets()
    assert refused.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    assert s3_client(environment).list_buckets()["Buckets"]
