"""A Katib trial, run as the Experiment's trial template runs it: its objective reaches Katib."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml

from jukebox_workshop.cluster import manifests
from jukebox_workshop.refine.search_space import OBJECTIVE
from jukebox_workshop.settings import REPO_ROOT

# Katib's StdOut collector reads `name=value` with this pattern (kubeflow/katib v0.19.0,
# pkg/metricscollector/v1beta1/common/const.go, DefaultFilter), keeping the objective's name.
KATIB_DEFAULT_FILTER = r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"


def documented_values() -> dict[str, str]:
    """The values of the trial the guide runs (docs/scaling-out.md), notebook 3's own."""
    page = (REPO_ROOT / "docs" / "scaling-out.md").read_text()
    line = re.search(r"^\.venv/bin/python -m jukebox_workshop\.cluster\.katib (.*)$", page, re.M)[1]
    return dict(re.findall(r"--(\w+)=(\S+)", line))


def trial_command(values: dict[str, str]) -> list[str]:
    """The committed manifest's container command with Katib's substitutions made."""
    experiment = yaml.safe_load((manifests.CLUSTER_DIR / manifests.EXPERIMENT_FILE).read_text())
    (container,) = experiment["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
        "containers"
    ]
    command = [
        re.sub(r"\$\{trialParameters\.(\w+)\}", lambda match: values[match[1]], part)
        for part in container["command"]
    ]
    assert command[0] == "python"
    return [sys.executable, *command[1:]]


@pytest.mark.slow
def test_a_trial_prints_its_objective_for_katibs_metrics_collector():
    values = documented_values()
    epochs = values.pop("epochs")
    environment = {**os.environ, "JUKEBOX_LEAK_DEMO_ROWS": "2000"}
    result = subprocess.run(
        [*trial_command(values), f"--epochs={epochs}"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    observed = [
        float(value)
        for line in (result.stdout + result.stderr).splitlines()
        if OBJECTIVE.metric in line  # the collector skips the other lines
        for name, value, *_ in re.findall(KATIB_DEFAULT_FILTER, line)
        if name == OBJECTIVE.metric
    ]
    assert len(observed) == 1 and 0 < observed[0] <= 1, observed


def test_a_value_outside_the_space_fails_the_trial_with_a_message():
    result = subprocess.run(
        trial_command({**documented_values(), "batch_size": "64"}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "--batch_size=64 is outside the search space: one of 128, 256, 512." in result.stderr
