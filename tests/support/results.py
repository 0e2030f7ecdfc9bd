"""The figures the benchmarks recorded in benchmarks/results/, which the guide quotes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jukebox_workshop.settings import REPO_ROOT


def recorded(name: str) -> Any:
    """benchmarks/results/<name>.json, read; the test is skipped until benchmarks/<name>.py
    has recorded it."""
    path = REPO_ROOT / "benchmarks" / "results" / f"{name}.json"
    if not path.exists():
        pytest.skip(f"{path.relative_to(REPO_ROOT)} not recorded yet (benchmarks/{name}.py)")
    return json.loads(path.read_text())
