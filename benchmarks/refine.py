"""Notebook 7 in workshop mode: trials per minute, the best validation top-5 against the
hand-picked configuration, both on fresh seeds, the decision, and the notebook's time.

    .venv/bin/python benchmarks/refine.py [--repeat 1]

Each repeat runs in a temporary folder against a local platform of its own (temporary state
dir, free ports), so that the workshop's study, runs and registry are left alone: notebooks
2 to 6 make the version to beat with their workshop settings, then notebook 7 runs with its
own defaults in a fresh kernel. Its peak memory is that kernel's (notebooks 3 to 6, which it
runs as steps, have kernels of their own). Prints each repeat and the medians; writes
benchmarks/results/refine.json, and the 07-refine.ipynb entry of notebooks.json that the
guide quotes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import optuna

from jukebox_workshop.local import lifecycle
from jukebox_workshop.notebooks import QUICK_PARAMETERS, copy_notebooks
from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import DEFAULT_DATA_DIR

sys.path.insert(0, str(Path(__file__).parent))
from notebooks import RESULTS, measure  # noqa: E402 (a script beside this one)
from platform_start import isolate  # noqa: E402
from recording import read_results, write_results  # noqa: E402

REFINE_RESULTS = RESULTS.parent / "refine.json"
HAND_PICKED = {
    "hidden_units": 64,
    "hidden_layers": 2,
    "dropout": 0.2,
    "learning_rate": 1e-3,
    "batch_size": 128,
}


def start_platform(state: Path) -> None:
    isolate(state)
    lifecycle.start()
    os.environ.update(lifecycle.environment())


def study_figures(workspace: Workspace) -> dict:
    """What the study and the decision say, from the files notebook 7 left."""
    (candidate,) = [run for run in workspace.runs() if run.refinement()]
    record = candidate.refinement()
    study = optuna.load_study(study_name=record["study_name"], storage=workspace.optuna_storage)
    finished = study.get_trials(
        deepcopy=False,
        states=(optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED),
    )
    completed = [t for t in finished if t.state == optuna.trial.TrialState.COMPLETE]
    searched = max(t.datetime_complete for t in finished) - min(t.datetime_start for t in finished)
    (hand_picked,) = [t for t in completed if t.params == HAND_PICKED]
    seeds = json.loads(record["parent_seed_validation_top5"])  # the parent's fresh seeds
    parent = workspace.run(record["parent_version"]).metrics()
    return {
        "trials": len(finished),
        "pruned": len(finished) - len(completed),
        "search_minutes": round(searched.total_seconds() / 60, 2),
        "trials_per_minute": round(len(finished) / (searched.total_seconds() / 60), 2),
        "best_validation_top5": round(study.best_value, 4),
        "best_params": study.best_params,
        "hand_picked_validation_top5": round(hand_picked.value, 4),
        "gain_points": round((study.best_value - hand_picked.value) * 100, 2),
        "promotion_seeds": json.loads(record["promotion_seeds"]),
        "candidate_seed_validation_top5": json.loads(record["candidate_seed_validation_top5"]),
        "seed_validation_top5": seeds,
        "seed_standard_deviation_points": round(statistics.stdev(seeds) * 100, 2),
        "promotion_margin_points": round(record["promotion_margin"] * 100, 2),
        "promoted": record["promoted"],
        "promotion_reason": record["promotion_reason"],
        "parent_test_top5": parent["model"]["top5_accuracy"],
        "candidate_test_top5": candidate.metrics()["model"]["top5_accuracy"],
        "bayes_test_top5": (parent.get("bayes") or {}).get("top5"),
    }


def run_once(folder: Path) -> dict:
    start_platform(folder / "state")
    try:
        copy_notebooks(folder)  # notebook 7 runs notebook 3 from its own folder
        for name in ("02-prepare", "03-train", "04-evaluate", "05-upload", "06-register"):
            measure(folder / f"{name}.ipynb")
        seconds, peak_mib = measure(folder / "07-refine.ipynb")
        return {
            "seconds": round(seconds, 1),
            "peak_mib": round(peak_mib),
            **study_figures(Workspace(folder / "output")),
        }
    finally:
        lifecycle.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    for name in QUICK_PARAMETERS:  # workshop mode: the notebooks' own defaults
        os.environ.pop(name, None)
    os.environ.pop("MLFLOW_TRACKING_URI", None)  # the benchmark's own platform sets it
    os.environ["JUKEBOX_DATA_DIR"] = str(DEFAULT_DATA_DIR)

    runs = []
    for number in range(1, args.repeat + 1):
        with tempfile.TemporaryDirectory(prefix="jukebox-refine-") as folder:
            run = run_once(Path(folder))
        runs.append(run)
        print(
            f"run {number}: notebook 7 {run['seconds']:.0f} s, {run['peak_mib']} MiB peak; "
            f"{run['trials']} trials ({run['pruned']} pruned) in {run['search_minutes']:.1f} min = "
            f"{run['trials_per_minute']:.1f} per minute; best validation top-5 "
            f"{run['best_validation_top5']:.2%} vs {run['hand_picked_validation_top5']:.2%} "
            f"hand-picked ({run['gain_points']:+.2f} points); on fresh seeds, standard deviation "
            f"{run['seed_standard_deviation_points']:.2f} points, margin "
            f"{run['promotion_margin_points']:.2f} points; "
            f"{'promoted' if run['promoted'] else 'not promoted'}",
            flush=True,
        )

    median = {
        key: statistics.median(run[key] for run in runs)
        for key in ("seconds", "peak_mib", "trials_per_minute", "gain_points")
    }
    print(
        f"median of {len(runs)}: notebook 7 {median['seconds']:.0f} s, "
        f"{median['trials_per_minute']:.1f} trials per minute, "
        f"best minus hand-picked {median['gain_points']:+.2f} points of validation top-5"
    )
    machine = {
        "cpus": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_results(REFINE_RESULTS, {"runs": runs, "median": median, "machine": machine})
    recorded = read_results(RESULTS)
    recorded.setdefault("notebooks", {})["07-refine.ipynb"] = {
        "median_seconds": round(median["seconds"], 1),
        "median_peak_mib": round(median["peak_mib"]),
        "runs": [{"seconds": r["seconds"], "peak_mib": r["peak_mib"]} for r in runs],
    }
    write_results(RESULTS, recorded)
    print(f"Recorded in {REFINE_RESULTS} and {RESULTS}")


if __name__ == "__main__":
    main()
