"""Notebook 7's promotion rule on the shipped data and on a look-alike real chart copy.

    .venv/bin/python benchmarks/promotion.py [--data shipped real-copy] [--refine-runs 2] [--quick]

For each dataset, notebooks 1 to 7 run at workshop defaults (`--quick`: CI's small values,
to try the script) in a temporary folder against a local platform of its own, as
benchmarks/refine.py does; then notebook 7 runs again (`--refine-runs` in all), as an
attendee who runs it twice: the study resumes, and a new best trial is a new candidate,
decided against the version to deploy. The real copy is the one tests/notebooks/test_real_copies.py
uses (`realistic_rows`, saved as a spreadsheet would, through `jukebox data convert`).
Prints, per dataset and decision: promoted or not, the candidate's and the parent's mean validation top-5
over the fresh seeds and the margin, and both versions' test top-5 from notebook 4's
metrics. A promoted candidate must not be worse on the test split than its parent: the
script says so when one is, and exits with 1. Writes benchmarks/results/promotion.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from jukebox_workshop.dataset.build.commands import main as dataset_main
from jukebox_workshop.local import lifecycle
from jukebox_workshop.notebooks import QUICK_PARAMETERS, copy_notebooks, workshop_notebooks
from jukebox_workshop.runs import Run, Workspace
from jukebox_workshop.settings import DEFAULT_DATA_DIR, REPO_ROOT

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(REPO_ROOT / "tests"))
from notebooks import RESULTS, measure  # noqa: E402 (a script beside this one)
from recording import read_results, write_results  # noqa: E402
from refine import start_platform  # noqa: E402
from support.chart_copies import realistic_rows, write_copy  # noqa: E402

PROMOTION_RESULTS = RESULTS.parent / "promotion.json"
DATASETS = ("shipped", "real-copy")
UP_TO = "07"


def real_copy(folder: Path) -> Path:
    """The look-alike real copy, converted: the folder to give JUKEBOX_DATA_DIR."""
    csv = write_copy(
        realistic_rows(),
        folder / "universal_top_spotify_songs.csv",
        dates="month first",
        booleans="TRUE",
        without=("name", "album_name"),
    )
    if dataset_main(["convert", str(csv), "--out", str(folder / "data")]):
        raise SystemExit("jukebox data convert failed on the look-alike copy")
    return folder / "data"


def decisions(workspace: Workspace) -> list[dict]:
    """Each decision and both versions' test top-5, from the files notebooks 4 and 7 left."""
    return [figures(workspace, run) for run in workspace.runs() if run.refinement()]


def figures(workspace: Workspace, candidate: Run) -> dict:
    record = candidate.refinement()
    parent = workspace.run(record["parent_version"])
    candidate_test = candidate.metrics()["model"]["top5_accuracy"]
    parent_test = parent.metrics()["model"]["top5_accuracy"]
    return {
        "candidate": candidate.version,
        "parent": parent.version,
        "study_trials": record["study_trials"],
        "best_trial": record["best_trial"],
        "candidate_params": candidate.training()["parameters"],
        "promotion_seeds": json.loads(record["promotion_seeds"]),
        "candidate_seed_validation_top5": json.loads(record["candidate_seed_validation_top5"]),
        "parent_seed_validation_top5": json.loads(record["parent_seed_validation_top5"]),
        "candidate_mean_validation_top5": record["candidate_mean_validation_top5"],
        "parent_mean_validation_top5": record["parent_mean_validation_top5"],
        "promotion_margin": record["promotion_margin"],
        "promoted": record["promoted"],
        "promotion_reason": record["promotion_reason"],
        "candidate_test_top5": candidate_test,
        "parent_test_top5": parent_test,
        "test_gain_points": round((candidate_test - parent_test) * 100, 2),
    }


def run_once(dataset: str, folder: Path, refine_runs: int) -> dict:
    data_dir = DEFAULT_DATA_DIR if dataset == "shipped" else real_copy(folder)
    os.environ["JUKEBOX_DATA_DIR"] = str(data_dir)
    start_platform(folder / "state")
    try:
        copy_notebooks(folder)  # notebook 7 runs notebook 3 from its own folder
        seconds = {}
        for path in workshop_notebooks():
            if path.name[:2] <= UP_TO:
                seconds[path.name], _ = measure(folder / path.name)
                print(f"  {dataset}: {path.name} {seconds[path.name]:.0f} s", flush=True)
        again = []
        for _ in range(refine_runs - 1):  # resumes the study
            again.append(round(measure(folder / "07-refine.ipynb")[0], 1))
            print(f"  {dataset}: 07-refine.ipynb again {again[-1]:.0f} s", flush=True)
        return {
            "notebook_seconds": {name: round(value, 1) for name, value in seconds.items()},
            "refine_again_seconds": again,
            "decisions": decisions(Workspace(folder / "output")),
        }
    finally:
        lifecycle.stop()


def summary(dataset: str, run: dict) -> str:
    decision = "promoted" if run["promoted"] else "not promoted"
    return (
        f"{dataset}: trial {run['best_trial']} of {run['study_trials']}, version "
        f"{run['candidate']} against {run['parent']}: {decision}; mean validation top-5 over "
        f"seeds {run['promotion_seeds']}: "
        f"candidate {run['candidate_mean_validation_top5']:.2%}, parent "
        f"{run['parent_mean_validation_top5']:.2%} (margin "
        f"{run['promotion_margin'] * 100:.2f} points); test top-5: candidate "
        f"{run['candidate_test_top5']:.2%}, parent {run['parent_test_top5']:.2%} "
        f"({run['test_gain_points']:+.2f} points)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="*", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--refine-runs", type=int, default=2, help="runs of notebook 7")
    parser.add_argument("--quick", action="store_true", help="CI's small values, to try it")
    args = parser.parse_args()
    for name in QUICK_PARAMETERS:  # workshop mode: the notebooks' own defaults
        os.environ.pop(name, None)
    if args.quick:
        os.environ.update(QUICK_PARAMETERS)
    os.environ.pop("MLFLOW_TRACKING_URI", None)  # the benchmark's own platform sets it
    os.environ.pop("JUKEBOX_MODEL_VERSION", None)

    runs = {}
    for dataset in args.data:
        with tempfile.TemporaryDirectory(prefix=f"jukebox-promotion-{dataset}-") as folder:
            runs[dataset] = run_once(dataset, Path(folder), args.refine_runs)
        print(f"{dataset}: notebook 7 {runs[dataset]['notebook_seconds']['07-refine.ipynb']:.0f} s")
        for decision in runs[dataset]["decisions"]:
            print(summary(dataset, decision), flush=True)
    worse = [
        f"{name}: version {decision['candidate']}"
        for name, run in runs.items()
        for decision in run["decisions"]
        if decision["promoted"] and decision["test_gain_points"] < 0
    ]
    for name in worse:
        print(f"{name} was promoted and is worse on the test split than its parent")
    if not args.quick:  # a try with small values does not replace the recorded figures
        measured_at = datetime.now(UTC).isoformat(timespec="seconds")
        recorded = read_results(PROMOTION_RESULTS)
        recorded["settings"] = "workshop defaults"
        recorded.setdefault("runs", {}).update(
            {name: {**run, "measured_at": measured_at} for name, run in runs.items()}
        )
        recorded["machine"] = {"cpus": os.cpu_count()}
        write_results(PROMOTION_RESULTS, recorded)
        print(f"Recorded in {PROMOTION_RESULTS}")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
