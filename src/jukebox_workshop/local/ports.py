"""Which ports the local platform listens on, remembered in `<state>/ports.json`.

Each port of a service about to start is, in this order:
- its JUKEBOX_..._PORT variable when that is set: then a busy port is an error that says so;
- the port this state dir used last time, if it is free: addresses stay the same across
  restarts, so the settings in a running notebook kernel keep working;
- its default, if free;
- the next free port above the default, as Jupyter does when 8888 is taken.
A port counts as free when its twins (SeaweedFS's gRPC ports) are free too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from jukebox_workshop.errors import PlatformError, PortInUseError
from jukebox_workshop.local.processes import listening, port_in_use
from jukebox_workshop.local.service import Port
from jukebox_workshop.settings import LOOPBACK, explicit_port, state_dir

HIGHEST = 65535
SEARCH = 100  # ports tried above a busy default


def ports_file() -> Path:
    return state_dir() / "ports.json"


def remembered() -> dict[str, int]:
    """The ports this state dir used last, by key."""
    try:
        stored = json.loads(ports_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {key: value for key, value in stored.items() if isinstance(value, int)}


def _write(ports: Mapping[str, int]) -> None:
    path = ports_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(ports), indent=2, sort_keys=True) + "\n")


def remember(ports: Mapping[str, int]) -> None:
    _write({**remembered(), **ports})


def forget(keys: Iterable[str]) -> None:
    kept = {key: port for key, port in remembered().items() if key not in set(keys)}
    if kept:
        _write(kept)
    else:
        ports_file().unlink(missing_ok=True)


def planned(port: Port, last: Mapping[str, int]) -> int:
    """The port a stopped service would use: its variable, else the `last` one, else the default."""
    return explicit_port(port.variable) or last.get(port.key) or port.default


def _labelled(port: Port, number: int) -> list[tuple[str, int]]:
    """(what, number) for the port and each of its twins."""
    twins = [
        (f"{port.what} {label}, {port.variable} + {offset}", number + offset)
        for label, offset in port.twins
    ]
    return [(port.what, number), *twins]


def _busy_message(what: str, number: int, variable: str) -> str:
    if not listening(number):  # bound by a connection, not by a server
        return (
            f"Port {number} on {LOOPBACK} ({what}) cannot be used right now, although no "
            "program listens on it: a connection that ended less than a minute ago still holds "
            "it (the system lends ports above 32767 to outgoing connections). Wait a minute, "
            f"or give the local platform a port below 32768: export {variable}=<free port>."
        )
    return (
        f"Port {number} on {LOOPBACK} ({what}) is already in use. See what holds it with "
        f"`lsof -nP -iTCP:{number} -sTCP:LISTEN` (or `ss -ltnp 'sport = :{number}'`); stop that "
        f"program, or give the local platform another port: export {variable}=<free port>."
    )


def _take_explicit(port: Port, number: int, taken: dict[int, str]) -> None:
    for what, candidate in _labelled(port, number):
        if candidate > HIGHEST:
            raise PlatformError(
                f"The {what} port would be {candidate}, above {HIGHEST}: set {port.variable} lower."
            )
        if candidate in taken:
            raise PlatformError(
                f"The {taken[candidate]} and the {what} would both use port {candidate}: "
                f"change {port.variable}."
            )
        taken[candidate] = what
    for what, candidate in _labelled(port, number):
        if port_in_use(candidate):
            raise PortInUseError(_busy_message(what, candidate, port.variable))


def _free(port: Port, number: int, taken: Mapping[int, str]) -> bool:
    return all(
        candidate <= HIGHEST and candidate not in taken and not port_in_use(candidate)
        for _, candidate in _labelled(port, number)
    )


def choose(to_start: Iterable[Port], running: Iterable[tuple[Port, int]]) -> dict[str, int]:
    """The numbers, by key, of the ports of the services about to start.

    `running`: the ports of this platform's services that already run, with their numbers.
    """
    to_start = list(to_start)
    taken = {
        candidate: what for port, number in running for what, candidate in _labelled(port, number)
    }
    chosen: dict[str, int] = {}
    # Explicit ports first, so that no automatic choice takes a port a variable names.
    for port in to_start:
        number = explicit_port(port.variable)
        if number is not None:
            _take_explicit(port, number, taken)
            chosen[port.key] = number
    last = remembered()
    for port in to_start:
        if port.key in chosen:
            continue
        candidates = [last.get(port.key), *range(port.default, port.default + SEARCH)]
        number = next((c for c in candidates if c and _free(port, c, taken)), None)
        if number is None:
            raise PortInUseError(
                f"No free port for the {port.what} between {port.default} and "
                f"{port.default + SEARCH - 1}: export {port.variable}=<free port>."
            )
        taken.update({candidate: what for what, candidate in _labelled(port, number)})
        chosen[port.key] = number
    return chosen


# Platforms of their own (tests, benchmarks, screenshots) --------------------------------------

_handed_out: set[int] = set()


def free_port(offsets: Iterable[int] = (), *, low: int = 12000, span: int = 10000) -> int:
    """A free loopback port in [low, low + span) whose twins at `offsets` are free too, and not
    handed out before by this process. Below 32768, where Linux picks the ports of outgoing
    connections, so that none of those can take it between now and the bind."""
    offsets = tuple(offsets)
    start = low + (os.getpid() * 7919 + len(_handed_out)) % span  # differs per process and call
    for step in range(span):
        port = low + (start - low + step) % span
        numbers = [port, *(port + offset for offset in offsets)]
        if not _handed_out.intersection(numbers) and not any(map(port_in_use, numbers)):
            _handed_out.update(numbers)
            return port
    raise PortInUseError(f"No free port between {low} and {low + span - 1}.")
