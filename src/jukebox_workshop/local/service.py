"""What a description of a local platform service holds: `Service`, its `Port`s, its `Context`.

A service is a program the platform runs detached on 127.0.0.1. Its `Service` description
holds everything `platform` needs to start, check, stop, show and clean it, so that every
service is handled the same way: adding a service is adding a description (a module with a
`SERVICE`, listed in `platform.SERVICES`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, without a moment where others could."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    path.chmod(0o600)  # in case the file existed with wider permissions


@dataclass(frozen=True)
class Port:
    """A port a service listens on.

    Set by `variable` when it is exported (then a busy port is an error); otherwise the port
    last used by this state dir, else `default`, else the next free port above it.
    """

    key: str  # its name in Context.ports and in the state dir's ports.json
    what: str  # for people: "S3 API"
    variable: str  # JUKEBOX_..._PORT
    default: int
    # More ports the service opens at fixed offsets: SeaweedFS's gRPC, (("gRPC", 10000),).
    twins: tuple[tuple[str, int], ...] = ()

    def numbers(self, port: int) -> list[int]:
        """The port and its twins."""
        return [port, *(port + offset for _, offset in self.twins)]


@dataclass(frozen=True)
class Context:
    """What a service's description is called with: where its state is, its ports, its options."""

    state: Path
    ports: Mapping[str, int]
    options: Mapping[str, Any]

    def port(self, key: str) -> int:
        return self.ports[key]


def _nothing(context: Context) -> None:
    return None


def _no_variables(context: Context) -> dict[str, str]:
    return {}


def _no_options(context: Context) -> dict[str, Any]:
    return {}


def _never() -> bool:
    return False


def _no_conflict(record: Mapping[str, Any], context: Context) -> str | None:
    return None


@dataclass(frozen=True)
class Service:
    name: str  # in commands (`jukebox up NAME`), record and log file names
    title: str  # for people: "S3 (SeaweedFS)"
    ports: tuple[Port, ...]
    # The command line. Raises PlatformError when a program or prepared environment it needs
    # is missing, with what to do: it is called for every service before any is launched.
    command: Callable[[Context], list[str]]
    url: Callable[[Context], str]
    # True once it serves requests (polled while starting). `answers` is a cheaper check
    # for `status`; by default the same.
    ready: Callable[[Context], bool]
    # The variables it gives the notebooks, named as on a cluster (`jukebox env`).
    environment: Callable[[Context], dict[str, str]]
    # SIGTERM, then SIGKILL after this many seconds.
    stop_grace: float
    # Files and folders under the state dir that it keeps across restarts: `clean` removes them.
    data: tuple[str, ...] = ()
    answers: Callable[[Context], bool] | None = None
    # Before launch: configuration files, keys. After ready: buckets and the like.
    prepare: Callable[[Context], None] = _nothing
    after_ready: Callable[[Context], None] = _nothing
    # After it stopped: remove what it leaves outside the state dir when killed.
    tidy: Callable[[Context], None] = _nothing
    # Extra variables for its own process (added to the environment of `jukebox up`).
    process_environment: Callable[[Context], dict[str, str]] = _no_variables
    # Options recorded with the running process, and a message when it runs with others
    # than asked for (the registry with or without a token).
    options: Callable[[Context], dict[str, Any]] = _no_options
    conflict: Callable[[Mapping[str, Any], Context], str | None] = _no_conflict
    workdir: str = ""  # under the state dir
    # Started only when named (`jukebox up NAME`), or by a plain `jukebox up` once
    # `start_by_default` says it can run (the feature server: once its repository is applied).
    optional: bool = False
    start_by_default: Callable[[], bool] = _never
    # Services that must answer before this one is launched; started with it.
    needs: tuple[str, ...] = ()

    def is_answering(self, context: Context) -> bool:
        return (self.answers or self.ready)(context)
