"""A recorded service is recognised by its pid and start time, whatever the system clock did."""

from __future__ import annotations

import subprocess

import psutil

from jukebox_workshop.local import processes


def test_a_service_stays_ours_when_the_clock_moves_the_boot_time() -> None:
    """psutil's create_time adds the boot time, which moves by a whole second each time the
    adjusted system clock drifts past one: the time since boot in the record still names the
    process, so a running platform is not taken for a dead one (and started again on its own
    ports)."""
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        process = psutil.Process(sleeper.pid)
        started = processes.start_times(sleeper.pid)
        record = {"pid": sleeper.pid, "command": process.cmdline(), **started}
        assert processes.our_process(record) is not None
        for moved in (-1.0, 1.0):  # recorded when the boot time read a second more, or less
            at_launch = {**record, "create_time": started["create_time"] + moved}
            assert processes.our_process(at_launch) is not None, f"boot time moved {moved} s"
        # A recycled pid: the process behind it started at another time, by either clock.
        another = {key: value - 100 for key, value in started.items()}
        assert processes.our_process({**record, **another}) is None
        # A record written before both times were kept: the wall-clock time alone decides.
        assert processes.our_process({**record, "started_after_boot": None}) is not None
    finally:
        sleeper.kill()
