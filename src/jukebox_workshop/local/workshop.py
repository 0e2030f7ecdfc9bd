"""`make workshop`: run every notebook in order on the local platform, then summarise what each produced."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from jukebox_workshop.local import lifecycle
from jukebox_workshop.notebooks import NotebookFailedError, run_notebook, workshop_notebooks
from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import (
    DEFAULT_MODEL_NAME,
    NOTEBOOK_DIR,
    OUTPUT_DIR,
    REPO_ROOT,
    model_name,
)

EXECUTED_DIR = REPO_ROOT / "build" / "executed"


def _read(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def summary(output_dir: Path = OUTPUT_DIR) -> list[str]:
    """One line per stage, from the files the notebooks wrote."""
    workspace = Workspace(output_dir)
    version = workspace.latest_version()
    if not version:
        return [f"No training run found in {workspace.runs_dir}/."]
    run = workspace.run(version)
    return [
        *_prepared_lines(_read(workspace.preprocessing_file)),
        *_trained_lines(version, _read(run.training_file)),
        *_evaluated_lines(_read(run.metrics_file)),
        *_stored_lines(_read(run.upload_file), _read(run.registration_file)),
        *refinement_lines(workspace),
        *_served_lines(_read(workspace.serving_file)),
        *_feature_lines(_read(workspace.feature_store_file)),
    ]


def _prepared_lines(prepared: dict) -> list[str]:
    if not prepared:
        return []
    sizes = prepared["split"]["examples"]
    return [
        f"prepared   {sizes['train']:,} train / {sizes['validation']:,} validation / "
        f"{sizes['test']:,} test examples, split by song"
    ]


def _trained_lines(version: str, training: dict) -> list[str]:
    if not training:
        return []
    fitted = f"{training['epochs_run']} epochs" if "epochs_run" in training else "a forest"
    return [f"trained    version {version}: {fitted} in {training['training_seconds']:.0f} s"]


def _evaluated_lines(metrics: dict) -> list[str]:
    if not metrics:
        return []
    model = metrics["model"]
    forest = metrics["baselines"].get("random forest", {})
    line = (
        f"evaluated  test top-1 {model['accuracy']:.1%}, top-5 {model['top5_accuracy']:.1%}, "
        f"macro F1 {model['macro_f1']:.1%}"
    )
    if forest:
        line += f" (random forest top-5 {forest['top5_accuracy']:.1%})"
    if metrics.get("bayes"):
        line += f" (best achievable top-5 {metrics['bayes']['top5']:.1%})"
    return [line]


def _stored_lines(upload: dict, registration: dict) -> list[str]:
    lines = []
    if upload:
        lines.append(f"uploaded   {len(upload['objects'])} objects to {upload['uri']}")
    if registration:
        # Records written before models were named per attendee have no name: it was jukebox.
        name = registration.get("model_name", DEFAULT_MODEL_NAME)
        lines.append(
            f"registered model '{name}' (id {registration['registered_model_id']}), version "
            f"{registration['model_version_id']}, artifact {registration['model_artifact_id']} "
            f"at {registration['registry_url']}"
        )
    return lines


def _served_lines(serving: dict) -> list[str]:
    if not serving:
        return []
    example = serving["example"]
    top = ", ".join(f"{country} {p:.1%}" for country, p in example["top_countries"])
    return [
        f"served     model '{serving['model_name']}' version {serving['version']} at "
        f"{serving['model_url']}",
        f"           {example['song']}: {top}",
    ]


def refinement_lines(workspace: Workspace) -> list[str]:
    """The newest search's result and promotion decision (notebook 7), if there was one."""
    refined = [run for run in workspace.runs() if run.refinement_file.is_file()]
    if not refined:
        return []
    run, record = refined[-1], refined[-1].refinement()
    if record["promoted"]:
        decision = "promoted: it is the version to deploy"
    else:
        decision = f"not promoted: version {record['parent_version']} stays the one to deploy"
    return [
        f"refined    {record['study_trials']} trials in study {record['study_name']}; the best, "
        f"trial {record['best_trial']}, is version {run.version}, {decision}",
        f"           {record['promotion_reason']}",
    ]


def _feature_lines(measured: dict) -> list[str]:
    if not measured:
        return []
    reads = measured["online_read_ms"]
    return [
        f"features   online read p50 {reads['in_process']:.1f} ms in process, "
        f"{reads['feature_server']:.1f} ms through the feature server; song id to top 5 "
        f"countries in {measured['song_id_to_top5_ms']:.1f} ms"
    ]


def main() -> int:
    name = model_name()  # an invalid JUKEBOX_MODEL_NAME stops here, before any notebook runs
    started = lifecycle.start()
    os.environ.update(lifecycle.environment())
    if started:
        print("Started the local platform (stop it with `make down`).")

    print(f"Model name: {name} (JUKEBOX_MODEL_NAME changes it)")
    timings = []
    for path in workshop_notebooks():
        print(f"Running {path.name} ...", flush=True)
        try:
            executed = run_notebook(
                path,
                workdir=NOTEBOOK_DIR,
                executed_dir=EXECUTED_DIR,
                echo=False,
                kernel_log=EXECUTED_DIR / f"{path.stem}.kernel.log",
            )
        except NotebookFailedError as error:
            print(f"\n{error}", file=sys.stderr)
            return 1
        timings.append((path.name, executed.seconds))
        print(f"  done in {executed.seconds:.0f} s")

    print("\nWorkshop summary")
    for name, seconds in timings:
        print(f"  {name:<22} {seconds:6.1f} s")
    for line in summary():
        print(f"  {line}")
    print(f"\nExecuted notebooks (with outputs): {EXECUTED_DIR}")
    return 0
