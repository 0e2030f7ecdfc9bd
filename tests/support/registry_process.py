"""A registry server in a subprocess, and the real client connected to it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from model_registry import ModelRegistry

from support.local_platform import free_port


@dataclass
class RegistryProcess:
    """One `python -m jukebox_workshop.local.registry_server` process; start() waits for /healthz."""

    database: Path
    port: int = field(default_factory=free_port)
    token_file: Path | None = None
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "jukebox_workshop.local.registry_server",
            "--host",
            "127.0.0.1",
        ]
        command += ["--port", str(self.port), "--database", str(self.database)]
        if self.token_file is not None:
            command += ["--token-file", str(self.token_file)]
        return command + self.extra_args

    def start(self, timeout: float = 15) -> RegistryProcess:
        self.log = self.database.with_suffix(f".{uuid.uuid4().hex[:6]}.log")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"registry exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"registry did not become ready:\n{self.log.read_text()}")

    def stop(self, timeout: float = 5) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def connect(url: str, user_token: str | None = None) -> ModelRegistry:
    """The real Kubeflow client, created the way a workshop notebook does."""
    host, port = url.rsplit(":", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "User access token is missing" when there is none
        return ModelRegistry(
            server_address=host,
            port=int(port),
            author="test",
            is_secure=False,
            user_token=user_token,
        )
