"""Wall time and peak memory of each notebook in workshop mode (the notebooks' own defaults).

    .venv/bin/python benchmarks/notebooks.py [--repeat 3] [--only 01 02 03 04]

Each notebook runs in a fresh kernel; peak memory is the kernel's peak resident set size
(VmHWM), read by one extra cell appended to an in-memory copy. Notebooks 5, 6, 8, 9 and 10 use
the local platform (started if it is not running; notebook 8 starts the model server). Notebook 7
is measured by benchmarks/refine.py: run here, it would resume the study it already ran.
Prints medians and writes them to benchmarks/results/notebooks.json, the figures the guide
quotes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from recording import read_results, stamp, write_results  # a script beside this one

from jukebox_workshop.errors import NoRunError
from jukebox_workshop.notebooks import QUICK_PARAMETERS, workshop_notebooks
from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import OUTPUT_DIR

RESULTS = Path(__file__).parent / "results" / "notebooks.json"
PEAK_MEMORY_CELL = (
    "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM')))"
)


def measure(
    path: Path, *, workdir: Path | None = None, kernel_name: str = "python3"
) -> tuple[float, float]:
    """Run one notebook in a fresh kernel, in `workdir` (its own folder by default); return
    (seconds, peak resident memory in MiB)."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_CELL))
    client = NotebookClient(
        notebook,
        timeout=3600,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(workdir or path.parent)}},
    )
    started = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - started
    peak_kib = int(notebook.cells[-1].outputs[0]["text"].strip())
    return seconds, peak_kib / 1024


def model_quality() -> dict[str, float] | None:
    """The last evaluated run's test top-5 against the best achievable and the forest baseline."""
    workspace = Workspace(OUTPUT_DIR)
    if not workspace.latest_version():
        return None
    try:
        metrics = workspace.run().metrics()
    except NoRunError:
        return None
    top5 = metrics["model"]["top5_accuracy"]
    forest = metrics["baselines"]["random forest"]["top5_accuracy"]
    quality = {
        "top5_accuracy": top5,
        "random_forest_top5_accuracy": forest,
        "ratio_to_forest": round(top5 / forest, 3),
    }
    if metrics.get("bayes"):
        quality["bayes_top5_accuracy"] = metrics["bayes"]["top5"]
        quality["share_of_bayes_top5"] = round(top5 / metrics["bayes"]["top5"], 3)
    return quality


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only",
        nargs="*",
        default=["01", "02", "03", "04"],
        help="notebook numbers (default: 01-04, which need no platform)",
    )
    args = parser.parse_args()
    if "07" in args.only:
        parser.error("notebook 7 is measured by benchmarks/refine.py")
    for name in QUICK_PARAMETERS:  # workshop mode: the notebooks' own defaults
        os.environ.pop(name, None)
    if any(number in args.only for number in ("05", "06", "08", "09", "10")):
        from jukebox_workshop.local import lifecycle as local_platform

        local_platform.start()
        os.environ.update(local_platform.environment())

    results = {}
    for path in workshop_notebooks():
        if path.name[:2] not in args.only:
            continue
        runs = [measure(path) for _ in range(args.repeat)]
        results[path.name] = {
            "median_seconds": round(statistics.median(s for s, _ in runs), 1),
            "median_peak_mib": round(statistics.median(m for _, m in runs)),
            "runs": [{"seconds": round(s, 1), "peak_mib": round(m)} for s, m in runs],
        }
        print(
            f"{path.name:<22} {results[path.name]['median_seconds']:7.1f} s  "
            f"{results[path.name]['median_peak_mib']:6d} MiB peak  (median of {args.repeat})"
        )
    total = sum(r["median_seconds"] for r in results.values())
    print(f"{'total':<22} {total:7.1f} s")
    quality = model_quality()
    if quality:
        print(
            f"model quality (last run): test top-5 {quality['top5_accuracy']:.1%} = "
            f"{quality['share_of_bayes_top5']:.0%} of the best achievable; random forest "
            f"{quality['random_forest_top5_accuracy']:.1%} (ratio {quality['ratio_to_forest']:.2f})"
        )

    recorded = read_results(RESULTS)
    recorded.setdefault("notebooks", {}).update(results)
    if quality:
        recorded["model_quality"] = quality
    write_results(RESULTS, stamp(recorded))
    print(f"Recorded in {RESULTS}")


if __name__ == "__main__":
    main()
