"""Notebook 3's choice of algorithm, measured: on the shipped data and on look-alike real copies.

For each dataset it runs notebooks 2, 3 and 4 as an attendee does (workshop defaults, or the
tests' quick values with --quick) in a folder of its own, then reports what notebook 3
compared on the validation split (each candidate's validation top-5, gradient boosting as the
reference), the candidate it kept, and, from notebook 4's metrics of the same run, the kept
model's test top-5 against notebook 4's random forest. Nothing is chosen on the test split:
it is only read here, after the choice.

A real copy is what tests/notebooks/test_real_copies.py uses: one day of charts, 72
countries + Global, a sample of each chart (tests/support/chart_copies.py, `realistic_rows`
with a seed), written like a spreadsheet export and converted with `jukebox data convert`.

    .venv/bin/python benchmarks/model_choice.py [--copies 7 11 23] [--quick] [--no-shipped]

Prints a table and writes benchmarks/results/model_choice.json (docs/notebooks.md quotes it).
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from recording import write_results  # a script beside this one

from jukebox_workshop.dataset.build.commands import main as dataset_main
from jukebox_workshop.notebooks import QUICK_PARAMETERS, run_notebook
from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import DEFAULT_DATA_DIR, REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests"))
from support.chart_copies import realistic_rows, write_copy  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "model_choice.json"
NOTEBOOKS = ("02-prepare.ipynb", "03-train.ipynb", "04-evaluate.ipynb")
# Notebook 3 prints its comparison as `<candidate>   <validation top-5>%`, then `Kept: <name>, ...`
COMPARED = re.compile(r"^(?P<name>[a-z].*?)\s{2,}(?P<top5>\d+\.\d)%$", re.MULTILINE)
KEPT = re.compile(r"^Kept: (?P<name>.+?), version (?P<version>\S+)$", re.MULTILINE)
# Notebook 4 prints the forest's lead over the model with its standard error
FOREST_LEAD = re.compile(
    r"random forest - our model:\s+(?P<lead>[+-]?\d+\.\d)% \(standard error (?P<se>\d+\.\d)%\)"
)


def real_copy(seed: int, folder: Path) -> Path:
    """A look-alike of a cut real copy, converted as an instructor would; returns its data folder."""
    csv = write_copy(
        realistic_rows(seed=seed),
        folder / "universal_top_spotify_songs.csv",
        dates="month first",
        booleans="TRUE",
        without=("name", "album_name"),
    )
    if dataset_main(["convert", str(csv), "--out", str(folder / "data")]) != 0:
        raise SystemExit(f"jukebox data convert failed on the copy of seed {seed}")
    return folder / "data"


def measure(data_dir: Path, folder: Path, quick: bool) -> dict:
    """Notebooks 2-4 on `data_dir` in `folder`; what notebook 3 compared and kept, and the test
    top-5 of the kept model and of the random forest."""
    environment = {**(QUICK_PARAMETERS if quick else {}), "JUKEBOX_DATA_DIR": str(data_dir)}
    printed, seconds = {}, {}
    for name in NOTEBOOKS:
        started = time.perf_counter()
        executed = run_notebook(
            name,
            workdir=folder,
            executed_dir=folder / "executed",
            environment=environment,
            echo=False,
            kernel_log=folder / "kernel.log",
        )
        seconds[name] = round(time.perf_counter() - started, 1)
        printed[name] = executed.printed()
        print(f"  {name}: {seconds[name]:.0f} s", flush=True)
    compared = {
        m["name"]: float(m["top5"]) / 100 for m in COMPARED.finditer(printed["03-train.ipynb"])
    }
    kept = KEPT.search(printed["03-train.ipynb"])
    if not compared or not kept:
        raise SystemExit(f"Notebook 3 printed no comparison: see {folder / 'executed'}")
    run = Workspace(folder / "output").run()
    metrics = run.metrics()
    lead = FOREST_LEAD.search(printed["04-evaluate.ipynb"])
    return {
        "validation_top5": compared,
        "kept": kept["name"],
        "kept_parameters": run.training()["parameters"],
        "test_top5": {
            "kept model": metrics["model"]["top5_accuracy"],
            "random forest": metrics["baselines"]["random forest"]["top5_accuracy"],
        },
        "test_examples": metrics["test_examples"],
        "forest_lead_standard_error": float(lead["se"]) / 100 if lead else None,
        "notebook_seconds": seconds,
    }


def report(results: dict[str, dict]) -> str:
    lines = []
    for dataset, result in results.items():
        lines.append(f"\n{dataset}: validation top-5 of the candidates (notebook 3)")
        for name, top5 in sorted(result["validation_top5"].items(), key=lambda item: -item[1]):
            mark = "  <- kept" if name == result["kept"] else ""
            lines.append(f"  {name:<32} {top5:6.1%}{mark}")
        test = result["test_top5"]
        lead = test["random forest"] - test["kept model"]
        error = result["forest_lead_standard_error"]
        noise = f" (standard error {error:.1%})" if error is not None else ""
        lines.append(
            f"  test top-5 ({result['test_examples']:,} examples): kept model "
            f"{test['kept model']:.1%}, random forest {test['random forest']:.1%}; "
            f"forest - kept {lead:+.1%}{noise}"
        )
    return "\n".join(lines)


CANDIDATES = (
    "logistic regression",
    "network",
    "regularised network",
    "random forest",
    "gradient boosting (reference)",
)


def markdown_table(results: dict[str, dict]) -> str:
    """The figures as docs/notebooks.md quotes them (tests/docs/test_model_choice.py checks)."""
    head = ["data", *(f"{name}, validation" for name in CANDIDATES), "kept"]
    head += ["kept model, test", "random forest, test"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for dataset, result in results.items():
        validation = [f"{result['validation_top5'][name]:.1%}" for name in CANDIDATES]
        test = [f"{result['test_top5'][name]:.1%}" for name in ("kept model", "random forest")]
        lines.append("| " + " | ".join([dataset, *validation, result["kept"], *test]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--copies", type=int, nargs="*", default=[7, 11, 23], help="seeds of real copies"
    )
    parser.add_argument("--quick", action="store_true", help="the tests' small values")
    parser.add_argument("--no-shipped", action="store_true", help="only the real copies")
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    results = {}
    with tempfile.TemporaryDirectory(prefix="jukebox-model-choice-") as scratch:
        datasets = {} if args.no_shipped else {"shipped data": DEFAULT_DATA_DIR}
        for seed in args.copies:
            folder = Path(scratch) / f"copy-{seed}"
            folder.mkdir()
            datasets[f"real copy (seed {seed})"] = real_copy(seed, folder)
        for dataset, data_dir in datasets.items():
            print(f"{dataset}: notebooks 2-4", flush=True)
            folder = Path(scratch) / re.sub(r"\W+", "-", dataset)
            folder.mkdir(exist_ok=True)
            results[dataset] = measure(data_dir, folder, args.quick)
    print(report(results))
    print(f"\nFor docs/notebooks.md:\n{markdown_table(results)}")
    write_results(
        args.json,
        {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, Python {platform.python_version()}",
            "command": "benchmarks/model_choice.py" + (" --quick" if args.quick else ""),
            "settings": "tests' quick values" if args.quick else "workshop defaults",
            "datasets": results,
        },
    )
    print(f"\nWritten to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
