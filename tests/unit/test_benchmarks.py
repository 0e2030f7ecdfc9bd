"""Every benchmark script loads: they run by hand, so nothing else notices a name they import
that moved."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jukebox_workshop.settings import REPO_ROOT

BENCHMARKS = REPO_ROOT / "benchmarks"


@pytest.mark.parametrize("script", sorted(p.stem for p in BENCHMARKS.glob("*.py")))
def test_the_benchmark_script_imports(script):
    loaded = subprocess.run(
        [sys.executable, "-c", f"import {script}"], cwd=BENCHMARKS, capture_output=True, text=True
    )
    assert loaded.returncode == 0, loaded.stderr
