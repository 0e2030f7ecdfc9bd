"""The notebooks by hand against `make pipeline`: wall time on the same data, and what each keeps.

    .venv/bin/python benchmarks/pipeline.py [--repeat 3]

Both run notebooks 2 to 6 in workshop mode (the notebooks' own defaults, the shipped dataset)
against the local platform (started if it is not running), and register a version of `jukebox`:

- notebooks: one kernel per notebook in one folder, as an attendee runs them (nbclient, as
  `make workshop` does);
- pipeline: `jukebox pipeline`'s code, kfp.local running each step as a subprocess with a
  kernel of its own, artifacts copied between steps.

Per run it records the wall time, the time inside the notebooks (the rest is what the engine
costs), and what is kept: files and bytes on disk, and the registry properties of the version.
Prints medians and writes benchmarks/results/pipeline.json. The machine is shared with other
work, so the figures vary from run to run; compare the two paths measured together.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from recording import stamp, write_results  # a script beside this one

from jukebox_workshop.clients import registry_client
from jukebox_workshop.cluster import pipeline
from jukebox_workshop.cluster.steps import NOTEBOOKS
from jukebox_workshop.notebooks import QUICK_PARAMETERS
from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import DEFAULT_DATA_DIR, NOTEBOOK_DIR

RESULTS = Path(__file__).parent / "results" / "pipeline.json"


def kept(folder: Path) -> dict[str, int]:
    files = [path for path in folder.rglob("*") if path.is_file()]
    return {"files": len(files), "bytes": sum(path.stat().st_size for path in files)}


def registered_properties(version: str) -> list[str]:
    registry = registry_client(author="benchmark")  # MODEL_REGISTRY_URL, set by main()
    return sorted(registry.get_model_version("jukebox", version).custom_properties)


def by_hand() -> dict:
    """Notebooks 2 to 6 in one folder, one fresh kernel each."""
    with tempfile.TemporaryDirectory(prefix="jukebox-by-hand-") as folder:
        inside = 0.0
        started = time.perf_counter()
        for name in NOTEBOOKS:
            notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
            client = NotebookClient(
                notebook,
                timeout=3600,
                kernel_name="python3",
                resources={"metadata": {"path": folder}},
            )
            began = time.perf_counter()
            client.execute()
            inside += time.perf_counter() - began
        seconds = time.perf_counter() - started
        workspace = Workspace(Path(folder) / "output")
        return {
            "seconds": round(seconds, 1),
            "notebook_seconds": round(inside, 1),
            "kept": kept(workspace.root),
            "properties": registered_properties(workspace.latest_version()),
        }


def as_a_pipeline(root: Path) -> dict:
    started = time.perf_counter()
    registered = pipeline.run_locally(root=root)
    seconds = time.perf_counter() - started
    run = root / registered.metadata["pipeline"]["run_name"]
    inside = sum(
        nbformat.read(path, as_version=4).metadata["papermill"]["duration"]
        for path in run.glob("*/notebook/*.ipynb")
    )
    return {
        "seconds": round(seconds, 1),
        "notebook_seconds": round(inside, 1),
        "kept": kept(run),
        "properties": registered_properties(registered.metadata["version"]),
    }


def summary(runs: list[dict]) -> dict:
    return {
        "median_seconds": round(statistics.median(r["seconds"] for r in runs), 1),
        "median_notebook_seconds": round(statistics.median(r["notebook_seconds"] for r in runs), 1),
        "kept": runs[-1]["kept"],
        "registry_properties": len(runs[-1]["properties"]),
        "runs": [
            {"seconds": r["seconds"], "notebook_seconds": r["notebook_seconds"]} for r in runs
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from jukebox_workshop.local import lifecycle as local_platform

    for name in QUICK_PARAMETERS:  # workshop mode: the notebooks' own defaults
        os.environ.pop(name, None)
    os.environ["JUKEBOX_DATA_DIR"] = str(DEFAULT_DATA_DIR)
    local_platform.start(["s3", "registry"])
    os.environ.update(local_platform.environment())

    hand, piped = [], []
    with tempfile.TemporaryDirectory(prefix="jukebox-pipeline-benchmark-") as root:
        for _ in range(args.repeat):  # alternate, so that both meet the same load
            hand.append(by_hand())
            piped.append(as_a_pipeline(Path(root)))
    results = {"notebooks": summary(hand), "pipeline": summary(piped)}
    results["pipeline"]["extra_properties"] = sorted(
        set(piped[-1]["properties"]) - set(hand[-1]["properties"])
    )
    for path, figures in results.items():
        print(
            f"{path:<10} {figures['median_seconds']:6.1f} s wall, "
            f"{figures['median_notebook_seconds']:6.1f} s in the notebooks "
            f"(median of {args.repeat}); keeps {figures['kept']['files']} files, "
            f"{figures['kept']['bytes'] / 2**20:.1f} MiB; {figures['registry_properties']} "
            "registry properties"
        )
    write_results(RESULTS, stamp(results, shared=True))
    print(f"Recorded in {RESULTS}")


if __name__ == "__main__":
    main()
