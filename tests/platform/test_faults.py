"""The S3 server killed with SIGKILL in the middle of writes, then restarted: every write it had
acknowledged is there, whole, and whatever else is there is whole too."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import threading
import time

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError
from support.local_platform import down, up

from jukebox_workshop.clients import s3_client
from jukebox_workshop.local import lifecycle

pytestmark = [pytest.mark.platform, pytest.mark.slow]
MIB = 1024 * 1024
SMALL, LARGE = 64 * 1024, 6 * MIB  # LARGE goes up in two parts
MULTIPART = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)


def content(key: str, size: int) -> bytes:
    seed = hashlib.sha256(key.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def client(environment: dict[str, str], attempts: int):
    return s3_client(environment, read_timeout=10, attempts=attempts)


class Writer(threading.Thread):
    """Puts objects one after another, a multipart one now and then, until the server stops
    answering; remembers what the server acknowledged."""

    def __init__(self, environment: dict[str, str], prefix: str) -> None:
        super().__init__(daemon=True)
        self.s3 = client(environment, attempts=1)
        self.prefix = prefix
        self.acknowledged: dict[str, int] = {}
        self.failure: Exception | None = None

    def run(self) -> None:
        for number in range(1, 100_000):
            size = LARGE if number % 10 == 0 else SMALL
            key = f"{self.prefix}/{number:05d}.bin"
            body = io.BytesIO(content(key, size))
            try:
                self.s3.upload_fileobj(body, "models", key, Config=MULTIPART)
            except (BotoCoreError, ClientError) as error:
                self.failure = error
                return
            self.acknowledged[key] = size


def test_sigkill_mid_write_loses_nothing_acknowledged(isolated: dict[str, str]) -> None:
    environment = up()
    (s3_server,) = [service for service in lifecycle.status() if service.name == "s3"]
    writer = Writer(environment, f"faults/{time.time_ns()}")
    writer.start()
    deadline = time.monotonic() + 60
    while len(writer.acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(writer.acknowledged) >= 40, writer.failure
    os.kill(s3_server.pid, signal.SIGKILL)  # mid-write: the writer is sending the next object
    writer.join(30)
    assert not writer.is_alive() and writer.failure is not None

    assert up() == environment  # restarted on the same ports, with the same keys
    s3 = client(environment, attempts=3)
    for key, size in writer.acknowledged.items():
        assert s3.get_object(Bucket="models", Key=key)["Body"].read() == content(key, size), key
    listing = s3.list_objects_v2(Bucket="models", Prefix=writer.prefix + "/", MaxKeys=1000)
    stored = [item["Key"] for item in listing["Contents"]]
    assert set(writer.acknowledged) <= set(stored)
    for key in set(stored) - set(writer.acknowledged):  # in flight at the kill: whole or absent
        body = s3.get_object(Bucket="models", Key=key)["Body"].read()
        assert len(body) in (SMALL, LARGE) and body == content(key, len(body)), key
    # And the restarted server takes new writes.
    s3.put_object(Bucket="models", Key=f"{writer.prefix}/after", Body=b"after")
    down()
