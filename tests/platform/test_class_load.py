"""A class at once, bounded: 30 attendees upload and register at the same moment, with boto3 and
the real registry client (benchmarks/class_load.py, in threads here), into one lifecycle."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from jukebox_workshop.local import lifecycle
from jukebox_workshop.settings import REPO_ROOT

pytestmark = [pytest.mark.platform, pytest.mark.slow]
ATTENDEES = 30


def class_load():
    spec = importlib.util.spec_from_file_location(
        "class_load", REPO_ROOT / "benchmarks" / "class_load.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["class_load"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_class_uploads_and_registers_at_once(running_platform: dict[str, str]) -> None:
    load = class_load()
    pids = {service.name: service.pid for service in lifecycle.status()}
    own, shared = load.class_rounds(running_platform, pids, ATTENDEES)
    print(load.report([own, shared]))
    for round_ in (own, shared):
        # Every version registered exactly once, every object holds its attendee's bytes.
        assert round_.problems == []
        assert round_.server_errors == []  # no 5xx, not even one that a retry hid
        assert len(round_.attendees) == ATTENDEES
        assert all(set(a.timings) == set(load.STEPS) for a in round_.attendees)
    assert own.reruns == 0
    # Under one shared name, the first registrations race to create the model: the real
    # registry answers 409 to all but one, and so does this one; a re-run registers the version.
    assert shared.reruns < ATTENDEES
    assert lifecycle.is_running()
