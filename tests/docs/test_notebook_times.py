"""The guide's table of notebook times and memory is what `benchmarks/notebooks.py` and
`benchmarks/refine.py` measured (benchmarks/results/notebooks.json), not typed in."""

from __future__ import annotations

import json
import re

from jukebox_workshop.settings import REPO_ROOT

RESULTS = REPO_ROOT / "benchmarks" / "results" / "notebooks.json"


def as_quoted(seconds: float, mib: float) -> tuple[str, str]:
    time = f"about {seconds:.0f} s" if seconds < 90 else f"about {seconds / 60:.0f} min"
    return time, f"about {round(mib, -1):.0f} MiB"


def test_the_notebooks_page_quotes_the_measured_times():
    measured = json.loads(RESULTS.read_text())["notebooks"]
    page = (REPO_ROOT / "docs" / "notebooks.md").read_text()
    quoted = {
        name: (time, memory)
        for name, time, memory in re.findall(
            r"(?m)^\| `(\d\d-\S+\.ipynb)` \| ([^|]+?) \| ([^|]+?) \|$", page
        )
    }
    expected = {
        name: as_quoted(figures["median_seconds"], figures["median_peak_mib"])
        for name, figures in measured.items()
    }
    assert quoted == expected, (
        f"docs/notebooks.md's table differs from benchmarks/results/notebooks.json: copy {expected}"
    )
