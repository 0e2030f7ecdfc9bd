"""Figures the README quotes are the ones the benchmarks measured, not typed in."""

from __future__ import annotations

import json
import re

from jukebox_workshop.settings import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "benchmarks" / "results" / "notebooks.json"


def test_the_readme_quotes_the_measured_model_quality():
    quality = json.loads(NOTEBOOKS.read_text())["model_quality"]
    readme = " ".join((REPO_ROOT / "README.md").read_text().split())
    quoted = re.search(
        r"reaches (\d+)% of the best achievable top-5 accuracy on unseen songs "
        r"\(([\d.]+)% against ([\d.]+)%; a random forest gets ([\d.]+)%\)",
        readme,
    )
    assert quoted, "the README no longer quotes the model's quality in the expected sentence"
    measured = (
        f"{quality['share_of_bayes_top5']:.0%}",
        f"{quality['top5_accuracy']:.1%}",
        f"{quality['bayes_top5_accuracy']:.1%}",
        f"{quality['random_forest_top5_accuracy']:.1%}",
    )
    assert tuple(f"{figure}%" for figure in quoted.groups()) == measured, (
        f"the README quotes {quoted.group(0)!r}; benchmarks/results/notebooks.json has "
        f"{measured}: copy the measured figures"
    )
