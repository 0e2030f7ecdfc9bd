"""Start, stop, show and clean the local platform: its services on 127.0.0.1.

    from jukebox_workshop.local import lifecycle

    started = lifecycle.start()          # the services it started; [] if all were running
    os.environ.update(lifecycle.environment())
    ...
    if started:
        lifecycle.stop()

Each service is described once (`SERVICES`; see `services.Service`) and handled the same way.
Each runs detached, logs to `<state>/logs/<name>.log` and is recorded so that `stop` signals
only processes this module started (see `processes`). Its ports are chosen as `ports` says.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

# The platform's errors, for callers to catch as lifecycle.<name>.
from jukebox_workshop.errors import (
    JukeboxError,
    PlatformError,
    ServiceExitedError,
    ServiceFailedError,
)
from jukebox_workshop.local import ports, processes
from jukebox_workshop.local.processes import log_file
from jukebox_workshop.local.service import Context, Port, Service
from jukebox_workshop.local.services import feature_server, mlflow, model_server, registry, s3
from jukebox_workshop.settings import explicit_port, registry_auth_requested, state_dir

# Started in this order; optional services only when named.
SERVICES: dict[str, Service] = {
    service.name: service
    for service in (
        s3.SERVICE,
        registry.SERVICE,
        mlflow.SERVICE,
        model_server.SERVICE,
        feature_server.SERVICE,
    )
}
# The MLflow server's imports take most of a start: 9 s for the whole platform on a quiet
# 2-CPU machine (benchmarks/platform_start.py), but close to a minute on a busy one.
DEFAULT_TIMEOUT = 120.0
# Another program can take a port between its choice and the service's bind (two platforms
# starting at once): the start then chooses again, this many times in all.
START_ATTEMPTS = 3


@dataclass(frozen=True)
class PortNumber:
    port: Port
    number: int

    def describe(self) -> str:
        """The port for people; with "(instead of 9000)" when the default was busy."""
        chosen = self.number not in (self.port.default, explicit_port(self.port.variable))
        return f"{self.port.what} {self.number}" + (
            f" (instead of {self.port.default})" if chosen else ""
        )


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
    ports: tuple[PortNumber, ...]
    optional: bool


def token_file() -> Path:
    return registry.token_file(state_dir())


# Ports and contexts ------------------------------------------------------------------------

Running = dict[str, tuple[dict[str, Any], psutil.Process] | None]


def _running() -> Running:
    return {name: processes.running(name) for name in SERVICES}


def _ports(running: Running) -> dict[str, int]:
    """Every port by key: where each service runs, or would run if started now (with no busy
    default)."""
    last = ports.remembered()
    numbers = {}
    for name, service in SERVICES.items():
        recorded = running[name][0].get("ports", {}) if running[name] else {}
        for port in service.ports:
            numbers[port.key] = recorded.get(port.key) or ports.planned(port, last)
    return numbers


def _context(running: Running, chosen: Mapping[str, int] | None = None, **options: Any) -> Context:
    return Context(state_dir(), {**_ports(running), **(chosen or {})}, options)


# Starting ----------------------------------------------------------------------------------


def _known(names: Iterable[str] | None) -> list[str]:
    """The names given (all services if None), each checked."""
    names = list(SERVICES if names is None else names)
    for name in names:
        if name not in SERVICES:
            known = ", ".join(SERVICES)
            raise PlatformError(f"There is no service {name!r} in the local platform ({known}).")
    return names


def _with_needs(names: Iterable[str]) -> list[str]:
    """The named services and those they need, in the order of SERVICES."""
    wanted: set[str] = set()
    pending = _known(names)
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending.extend(SERVICES[name].needs)
    return [name for name in SERVICES if name in wanted]


def _waves(names: list[str]) -> list[list[str]]:
    """The services in groups: each group needs only services of the groups before it."""
    waves: list[list[str]] = []
    placed: set[str] = set()
    while len(placed) < len(names):
        wave = [
            name
            for name in names
            if name not in placed
            and all(n in placed or n not in names for n in SERVICES[name].needs)
        ]
        if not wave:
            # A mistake in the services' descriptions, not something a user can fix.
            raise RuntimeError(f"The services {names} need each other in a circle.")
        waves.append(wave)
        placed.update(wave)
    return waves


def _ended(name: str, launched: Mapping[str, subprocess.Popen[bytes]]) -> str | None:
    """How the service ended, or None while it runs."""
    process = launched.get(name)
    if process is None:  # started before this call
        return None if processes.running(name) else "it exited"
    code = process.poll()
    if code is None:
        return None
    return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


def _wait_until_ready(
    names: list[str],
    launched: Mapping[str, subprocess.Popen[bytes]],
    context: Context,
    deadline: float,
    timeout: float,
) -> None:
    pending = list(names)
    while pending:
        for name in list(pending):
            service = SERVICES[name]
            if service.ready(context):
                pending.remove(name)
            elif ended := _ended(name, launched):
                raise ServiceExitedError(
                    f"The {service.title} stopped while starting ({ended}). The end of "
                    f"its log, {log_file(name)}:\n{processes.log_tail(name)}\n"
                    "Fix what the log says, then run `make up` again."
                )
        if pending and time.monotonic() > deadline:
            service = SERVICES[pending[0]]
            if service.name in launched:
                advice = "With no error in the log, it may be a slow machine: try --timeout 180."
            else:
                advice = "It was running before this start: `make down`, then `make up`."
            raise ServiceFailedError(
                f"The {service.title} did not answer at {service.url(context)} within "
                f"{timeout:.0f} s. The end of its log, {log_file(service.name)}:\n"
                f"{processes.log_tail(service.name)}\n{advice}"
            )
        if pending:
            time.sleep(0.1)


def _launch(service: Service, context: Context, command: list[str]) -> subprocess.Popen[bytes]:
    service.prepare(context)
    record = {
        "url": service.url(context),
        "ports": {port.key: context.port(port.key) for port in service.ports},
        "options": service.options(context),
    }
    workdir = context.state / service.workdir
    environment = service.process_environment(context)
    return processes.launch(service.name, command, workdir, record, environment)


def _refuse_conflicts(names: list[str], running: Running, context: Context) -> None:
    for name in names:
        entry = running[name]
        if entry and (message := SERVICES[name].conflict(entry[0], context)):
            raise PlatformError(message)


def _taken_meanwhile(to_start: list[str], context: Context) -> bool:
    """True when a port this start chose itself (no variable names it) is held now that the
    services it launched are stopped: another program took it between the choice and the bind."""
    return any(
        processes.port_in_use(number)
        for name in to_start
        for port in SERVICES[name].ports
        if explicit_port(port.variable) is None
        for number in port.numbers(context.port(port.key))
    )


class _PortTaken(JukeboxError):
    """A chosen port was taken by another program before the service could bind it."""


def _launch_all(
    wanted: list[str], to_start: list[str], context: Context, timeout: float, retry: bool
) -> list[str]:
    """Launch the services to start, wave after wave, each once the ones it needs answer.

    On failure, stop what was launched; raise _PortTaken if `retry` and a service exited
    because another program took one of its ports meanwhile, else a PlatformError."""
    commands = {name: SERVICES[name].command(context) for name in to_start}
    launched: dict[str, subprocess.Popen[bytes]] = {}
    deadline = time.monotonic() + timeout
    try:
        for wave in _waves(wanted):
            for name in wave:
                if name in commands:
                    launched[name] = _launch(SERVICES[name], context, commands[name])
            _wait_until_ready(wave, launched, context, deadline, timeout)
            for name in wave:
                SERVICES[name].after_ready(context)
    except BaseException as error:
        stopped = _stop_launched(launched)
        if retry and isinstance(error, ServiceExitedError) and _taken_meanwhile(to_start, context):
            raise _PortTaken from error
        if isinstance(error, PlatformError) and stopped:
            titles = " and the ".join(SERVICES[name].title for name in stopped)
            raise type(error)(f"{error}\nStopped the {titles} this start had started.") from None
        raise
    return list(launched)


def started_by_up() -> list[str]:
    """What a plain `jukebox up` (`make up`) starts: every service that is not optional, and
    the optional ones that can run now."""
    return [n for n, s in SERVICES.items() if not s.optional or s.start_by_default()]


def start(
    names: Iterable[str] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    registry_token: bool | None = None,
) -> list[str]:
    """Start the services that are not running; wait until all answer; return the names started.

    `names`: the services to start (and those they need); by default all that are not optional.
    `registry_token=True` makes the registry require a bearer token (also JUKEBOX_REGISTRY_AUTH=1);
    None takes the registry as it runs, or starts it without one. If anything fails, whatever
    this call started is stopped again and a PlatformError says why.
    """
    if registry_token is None and registry_auth_requested():
        registry_token = True
    if names is None:
        names = [name for name, service in SERVICES.items() if not service.optional]
    wanted = _with_needs(names)
    with processes.locked():
        running = _running()
        _refuse_conflicts(wanted, running, _context(running, registry_token=registry_token))
        to_start = [name for name in wanted if running[name] is None]
        for name in to_start:
            _wait_released(name)
            _forget_and_tidy(name)
        in_use = [
            (port, number)
            for name, entry in running.items()
            if entry
            for port in SERVICES[name].ports
            if (number := entry[0].get("ports", {}).get(port.key))
        ]
        attempt = 1
        while True:
            chosen = ports.choose([port for n in to_start for port in SERVICES[n].ports], in_use)
            context = _context(running, chosen, registry_token=bool(registry_token))
            try:
                launched = _launch_all(
                    wanted, to_start, context, timeout, retry=attempt < START_ATTEMPTS
                )
            except _PortTaken:
                attempt += 1  # choose again: the port taken is not free any more
                continue
            ports.remember(chosen)
            return launched


# Stopping ----------------------------------------------------------------------------------


def _stop_launched(launched: Mapping[str, subprocess.Popen[bytes]]) -> list[str]:
    """Stop what this process launched, through its own handles: a child that has not been
    waited for keeps its pid, so no identity check is needed (or possible, for a wrapper script)."""
    alive = {name: process for name, process in launched.items() if process.poll() is None}
    for process in alive.values():
        process.terminate()
    for name, process in alive.items():
        try:
            process.wait(SERVICES[name].stop_grace)
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
        if not processes.wait_gone(process, SERVICES[name].stop_grace if grace is None else grace):
            with suppress(psutil.NoSuchProcess):
                process.kill()
            if not processes.wait_gone(process, 5):
                raise PlatformError(
                    f"Could not stop the {SERVICES[name].title} (pid {process.pid})."
                )
    for name in signalled:
        _wait_ports_closed(name)
    for name in names:
        _forget_and_tidy(name)
    return list(signalled)


def _recorded_context(name: str) -> Context | None:
    """The context of the service's last record: its own ports only."""
    record = processes.read_record(name)
    if not record or not isinstance(record.get("ports"), dict):
        return None
    return Context(state_dir(), record["ports"], record.get("options", {}))


def _wait_ports_closed(name: str, timeout: float = 5) -> None:
    """Wait until the ports of a stopped service are closed, so that a start right after works."""
    context = _recorded_context(name)
    if context is None:
        return
    numbers = [
        number
        for port in SERVICES[name].ports
        if port.key in context.ports
        for number in port.numbers(context.port(port.key))
    ]
    deadline = time.monotonic() + timeout
    while any(processes.port_in_use(n) for n in numbers) and time.monotonic() < deadline:
        time.sleep(0.05)


def _wait_released(name: str) -> None:
    """A recorded process that died (killed, crashed) may still be ending: its threads can hold
    its ports for a moment after it shows as a zombie. Wait for it and its ports, so that the
    start that follows gets the same ports back."""
    record = processes.read_record(name)
    if record is None:
        return
    ending = processes.ending_process(record)
    if ending is not None:
        processes.wait_gone(ending, 5)
        _wait_ports_closed(name)


def _forget_and_tidy(name: str) -> None:
    context = _recorded_context(name)
    if context is not None:
        with suppress(KeyError, OSError):
            SERVICES[name].tidy(context)
    processes.forget(name)


def stop(grace: float | None = None) -> list[str]:
    """Stop the services this state dir started (SIGTERM, then SIGKILL after their grace, or
    after `grace` seconds). Returns the names stopped; records of processes gone are removed."""
    with processes.locked():
        return _stop(list(SERVICES), grace)


# Cleaning ----------------------------------------------------------------------------------


def leftovers(names: Iterable[str] | None = None) -> list[Path]:
    """What the services leave in the state dir: data, keys, logs (those that exist)."""
    found = []
    for name in _known(names):
        service = SERVICES[name]
        paths = [state_dir() / item for item in service.data]
        paths += [log_file(name), processes.previous_log_file(name)]
        found += [path for path in paths if path.exists()]
    return found


def clean(names: Iterable[str] | None = None) -> list[Path]:
    """Remove what the stopped services left in the state dir; return what was removed."""
    names = _known(names)
    with processes.locked():
        running = [SERVICES[name].title for name in names if processes.running(name)]
        if running:
            verb = "are" if len(running) > 1 else "is"
            raise PlatformError(
                f"The {' and the '.join(running)} {verb} still running: stop the platform with "
                "`make down` first."
            )
        removed = leftovers(names)
        for path in removed:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        ports.forget([port.key for name in names for port in SERVICES[name].ports])
    return removed


# Looking -----------------------------------------------------------------------------------


def status() -> list[ServiceStatus]:
    """Each service: running or not, pid, URL, ports, resident memory, log file."""
    running = _running()
    context = _context(running)
    statuses = []
    for name, service in SERVICES.items():
        entry = running[name]
        rss = None
        if entry:
            with suppress(psutil.Error):
                # With its children: `mlflow server` runs the web server as one.
                family = [entry[1], *entry[1].children(recursive=True)]
                rss = sum(process.memory_info().rss for process in family)
        statuses.append(
            ServiceStatus(
                name=name,
                title=service.title,
                running=entry is not None,
                answering=entry is not None and service.is_answering(context),
                pid=entry[1].pid if entry else None,
                url=service.url(context),
                rss_bytes=rss,
                log=log_file(name),
                ports=tuple(PortNumber(port, context.port(port.key)) for port in service.ports),
                optional=service.optional,
            )
        )
    return statuses


def current_ports() -> dict[str, int]:
    """Every port by key ("s3", "filer", "registry", ...): where each service runs, or would."""
    return _ports(_running())


def is_running() -> bool:
    """True when every service that is not optional runs (from this state dir) and answers."""
    return all(s.running and s.answering for s in status() if not s.optional)


def environment() -> dict[str, str]:
    """The variables the notebooks read, named as an OpenShift AI data connection names them:
    those of every service that is not optional, and of the optional ones that run."""
    running = _running()
    context = _context(running)
    variables: dict[str, str] = {}
    for name, service in SERVICES.items():
        if not service.optional or running[name]:
            variables.update(service.environment(context))
    return variables


def isolated_environment(state: Path, **port_range: int) -> dict[str, str]:
    """The variables that give a platform a state dir of its own and free ports for every port
    of every service, so that it never meets the platform of `make up` (tests, benchmarks)."""
    variables = {"JUKEBOX_STATE_DIR": str(state)}
    for service in SERVICES.values():
        for port in service.ports:
            offsets = [offset for _, offset in port.twins]
            variables[port.variable] = str(ports.free_port(offsets, **port_range))
    return variables
