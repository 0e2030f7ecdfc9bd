"""The time estimates the guide quotes are what `benchmarks/reading_time.py` prints today."""

from __future__ import annotations

import re
import subprocess
import sys

from jukebox_workshop.settings import REPO_ROOT


def estimate() -> str:
    printed = subprocess.run(
        [sys.executable, "benchmarks/reading_time.py"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return printed.stdout


def test_the_instructor_guide_quotes_the_estimate():
    guide = (REPO_ROOT / "docs" / "instructor-guide.md").read_text()
    assert f"```text\n{estimate()}```" in guide, (
        "copy the output of `.venv/bin/python benchmarks/reading_time.py` into "
        "docs/instructor-guide.md"
    )


def test_the_workshop_time_boxes_are_the_estimate():
    totals = {
        int(number): int(minutes)
        for number, minutes in re.findall(r"(?m)^(\d\d)-\S+(?:\s+\S+ m)+?\s+(\d+) m$", estimate())
    }
    page = (REPO_ROOT / "docs" / "workshop.md").read_text()
    boxes = {
        int(number): int(minutes)
        for number, minutes in re.findall(r"(?ms)^## (\d+)\. .*?^Time box: (\d+) minutes", page)
    }
    assert boxes == totals
    total = re.search(r"(\d+) minutes$", estimate().strip())[1]
    assert f"Together they make {total} minutes" in page
