"""Detached service processes of one state dir: launch, recognise, and wait for them to end.

Each process is recorded in `<state>/run/<name>.json` with its pid, start times and command
line, and logs to `<state>/logs/<name>.log`. A recorded pid counts as ours only while the
process behind it still has that start time and command line, so a process this module did
not start is never touched, even when its pid is a recycled one.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psutil

from jukebox_workshop.settings import LOOPBACK, state_dir


def record_file(name: str) -> Path:
    return state_dir() / "run" / f"{name}.json"


def log_file(name: str) -> Path:
    return state_dir() / "logs" / f"{name}.log"


def read_record(name: str) -> dict[str, Any] | None:
    try:
        return json.loads(record_file(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def our_process(record: dict[str, Any] | None) -> psutil.Process | None:
    """The live process the record describes; None if it is gone or its pid now names another."""
    if not record:
        return None
    process = ending_process(record)
    try:
        # argv[0] is left out: some Python builds re-exec the interpreter under another path.
        if (
            process is not None
            and process.cmdline()[1:] == record["command"][1:]
            and process.status() != psutil.STATUS_ZOMBIE
        ):
            return process
    except (psutil.Error, KeyError, TypeError):
        pass
    return None


def start_times(pid: int) -> dict[str, float]:
    """When the process started: `create_time`, psutil's wall-clock time, and
    `started_after_boot`, in seconds since the machine booted. On Linux psutil adds the boot
    time, which /proc/stat gives in whole seconds of the adjusted clock: it moves by a second
    whenever that clock drifts past a second against the time since boot, and only the time
    since boot stays put. On macOS the wall-clock time is the one fixed at the start."""
    created = psutil.Process(pid).create_time()
    return {"create_time": created, "started_after_boot": created - psutil.boot_time()}


def ending_process(record: dict[str, Any]) -> psutil.Process | None:
    """The process the record describes, even a zombie still ending; None once gone or its pid
    names another (an older or newer start time)."""
    try:
        process = psutil.Process(record["pid"])
        now = start_times(process.pid)
        if any(abs(now[key] - record[key]) < 1.0 for key in now if record.get(key) is not None):
            return process
    except (psutil.Error, KeyError, TypeError):
        pass
    return None


def running(name: str) -> tuple[dict[str, Any], psutil.Process] | None:
    record = read_record(name)
    process = our_process(record)
    return (record, process) if record and process else None


def forget(name: str) -> None:
    record_file(name).unlink(missing_ok=True)


@contextmanager
def locked() -> Iterator[Path]:
    """Serialise start and stop of one state dir (two `make up` at once, a test and a shell)."""
    state = state_dir()
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(state / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield state


def log_tail(name: str, lines: int = 20) -> str:
    try:
        text = log_file(name).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "    (no log)"
    tail = text.splitlines()[-lines:] or ["(the log is empty)"]
    return "\n".join(f"    {line}" for line in tail)


def previous_log_file(name: str) -> Path:
    return log_file(name).with_suffix(".previous.log")


def launch(
    name: str,
    command: list[str],
    cwd: Path,
    record: dict[str, Any],
    environment: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start `command` detached, logging to its log file; record it as ours."""
    log = log_file(name)
    log.parent.mkdir(parents=True, exist_ok=True)
    if log.exists():
        log.replace(previous_log_file(name))
    cwd.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **(environment or {}), "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as output:
        # A session of its own: Ctrl-C in the terminal that ran `make up` must not reach it.
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        started = start_times(process.pid)
    except psutil.Error:  # already gone: the readiness wait reports it with the log
        started = {"create_time": 0.0}
    path = record_file(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": process.pid, **started, "command": command, **record}))
    return process


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return True
    # Binding can succeed next to a listener on 0.0.0.0 on some systems; a connection cannot lie.
    return listening(port)


def listening(port: int) -> bool:
    """True when a program accepts connections on the port."""
    with suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.2):
        return True
    return False


def gone(process: psutil.Process) -> bool:
    try:
        # A child of this process: gone once reaped. (Its status says "zombie" as soon as the
        # main thread ends, while the other threads may still hold its sockets.)
        return os.waitpid(process.pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        pass
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_gone(process: psutil.Process, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not gone(process):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
