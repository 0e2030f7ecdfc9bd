"""The workbench install and the notebooks in simulated OpenShift AI TensorFlow images.

    .venv/bin/python benchmarks/workbench.py [--images tensorflow-2025.1 tensorflow-2026]
                                             [--repeat 1] [--cold]

For each image (the environments of `make test-workbench`, tests/workbench/simulate.py):
- the environment: how long it took to build from the image's package list (cold; `--cold`
  builds it again) and to copy from the cache (warm);
- the README's workbench install, as a workbench runs it: pip's cache off, PyPI the only
  index; its time, and the sizes pip reports downloading;
- each notebook in workshop mode (its own defaults), in a fresh kernel of the image's Python,
  against the local platform: wall time and peak memory.
Prints the figures and writes them to benchmarks/results/workbench.json, which the guide quotes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

from notebooks import measure  # scripts beside this one
from recording import read_results, write_results

from jukebox_workshop.local import lifecycle as local_platform
from jukebox_workshop.notebooks import QUICK_PARAMETERS, workshop_notebooks
from jukebox_workshop.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests" / "workbench"))
import simulate  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "workbench.json"
UNITS = {"kB": 1e3, "MB": 1e6, "GB": 1e9}
MIB = 1024 * 1024


def cold_pip() -> dict[str, str]:
    """This environment, with pip as a workbench has it: no cache, no local index or wheels."""
    variables = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    variables |= {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_CACHE_DIR": "1"}
    for kept in ("PIP_CERT", "PIP_DEFAULT_TIMEOUT"):
        if kept in os.environ:
            variables[kept] = os.environ[kept]
    return variables


def downloaded_mib(pip_output: str) -> float:
    """The sum of the sizes in pip's `Downloading <file> (<size>)` lines."""
    sizes = re.findall(r"Downloading \S+ \(([\d.]+) (kB|MB|GB)\)", pip_output)
    return sum(float(value) * UNITS[unit] for value, unit in sizes) / MIB


def measure_notebooks(kernel: str, repeat: int) -> dict[str, dict[str, float]]:
    results = {}
    for path in workshop_notebooks():
        runs = [measure(path, kernel_name=kernel) for _ in range(repeat)]
        results[path.name] = {
            "median_seconds": round(statistics.median(s for s, _ in runs), 1),
            "median_peak_mib": round(statistics.median(m for _, m in runs)),
        }
        print(f"  {path.name:<22} {results[path.name]['median_seconds']:7.1f} s", flush=True)
    return results


def measure_image(image: str, cold: bool, repeat: int) -> dict:
    outcome = simulate.Outcome(image)
    python = next(filter(None, map(simulate.find_python, simulate.PYTHONS[image])))
    with simulate.locked(image):
        if cold:
            shutil.rmtree(simulate.cache_dir() / image, ignore_errors=True)
        env = simulate.build_image(image, python, outcome)
        built = json.loads((env / "built.json").read_text())["seconds"]
        copy = simulate.fresh_copy(env, outcome)
        simulate.apply_install(copy, outcome, cold_pip())
        if outcome.problems:
            raise SystemExit(f"{image}: " + "\n".join(outcome.problems))
        kernel, data = simulate.kernel_spec(copy, image)
        os.environ["JUPYTER_PATH"] = str(data)
        results = measure_notebooks(kernel, repeat)
    return {
        "python": outcome.python,
        "environment_seconds": {"cold": built, "warm": outcome.seconds["copy"]},
        "install": {
            "seconds": outcome.seconds["install"],
            "download_mib": round(downloaded_mib(outcome.output), 1),
            "changed": {
                name: f"{old or '-'} -> {new or '-'}"
                for name, (old, new) in outcome.changed.items()
            },
        },
        "notebooks": results,
        "notebooks_total_seconds": round(sum(r["median_seconds"] for r in results.values()), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    images = [image for image in simulate.IMAGES if image.startswith("tensorflow-")]
    parser.add_argument("--images", nargs="*", choices=images, default=images)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--cold", action="store_true", help="build the environments again")
    args = parser.parse_args()
    for name in QUICK_PARAMETERS:  # workshop mode: the notebooks' own defaults
        os.environ.pop(name, None)
    started = local_platform.start()
    os.environ.update(local_platform.environment())
    recorded = read_results(RESULTS)
    try:
        for image in args.images:
            print(f"== {image}", flush=True)
            figures = measure_image(image, args.cold, args.repeat)
            recorded.setdefault("images", {})[image] = figures
            print(
                f"  environment {figures['environment_seconds']['cold']:.0f} s cold, "
                f"{figures['environment_seconds']['warm']:.0f} s from the cache; install "
                f"{figures['install']['seconds']:.0f} s, {figures['install']['download_mib']:.1f}"
                f" MiB downloaded; notebooks {figures['notebooks_total_seconds']:.0f} s in total"
            )
    finally:
        if started:
            local_platform.stop()
    recorded["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_end": [round(load, 2) for load in os.getloadavg()],  # a shared machine?
    }
    recorded["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_results(RESULTS, recorded)
    print(f"Recorded in {RESULTS}")


if __name__ == "__main__":
    main()
