"""The guide quotes notebook 3's choice of algorithm as `benchmarks/model_choice.py` measured it:
the table in docs/notebooks.md is the one the benchmark prints from its results file."""

from __future__ import annotations

import json
import sys

from jukebox_workshop.settings import REPO_ROOT

BENCHMARKS = REPO_ROOT / "benchmarks"


def test_the_guide_quotes_the_measured_choice():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from model_choice import RESULTS, markdown_table
    finally:
        sys.path.remove(str(BENCHMARKS))
    results = json.loads(RESULTS.read_text())
    guide = (REPO_ROOT / "docs" / "notebooks.md").read_text()
    assert markdown_table(results["datasets"]) in guide, (
        "docs/notebooks.md does not quote benchmarks/results/model_choice.json: paste the table "
        "`.venv/bin/python benchmarks/model_choice.py` prints"
    )
