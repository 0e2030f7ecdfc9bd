"""`make benchmark`: every benchmark in turn, each printing its own figures.

Notebook figures are recorded in benchmarks/results/notebooks.json and, for the simulated
workbench images, in benchmarks/results/workbench.json (the guide quotes both); platform
start figures in benchmarks/results/platform.json, model server latency in
benchmarks/results/serving.json (serving.py needs a trained model: run `make workshop` first),
a class at once in benchmarks/results/class_load.json;
the notebooks against the pipeline in benchmarks/results/pipeline.json (docs/scaling-out.md quotes
them).
Notebook 3's choice of algorithm, on the shipped data and real copies, is in
benchmarks/results/model_choice.json, notebook 4's forest compiled to standard ONNX operators
in benchmarks/results/forest_onnx.json; notebook 7's search figures in
benchmarks/results/refine.json, its promotion rule's decisions on the shipped data and a
look-alike real copy in benchmarks/results/promotion.json; notebook 2's preparation with
pandas against Spark in benchmarks/results/prepare_engines.json.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
RUNS = [
    ["notebooks.py", "--repeat", "3", "--only", "01", "02", "03", "04"],
    ["notebooks.py", "--repeat", "1", "--only", "05", "06", "08"],
    ["refine.py", "--repeat", "1"],
    ["promotion.py"],
    ["platform_start.py", "--runs", "5", "--json", str(HERE / "results" / "platform.json")],
    ["registry_latency.py"],
    ["serving.py", "--json", str(HERE / "results" / "serving.json")],
    ["feature_store.py"],
    ["class_load.py", "--json", str(HERE / "results" / "class_load.json")],
    ["dataset_difficulty.py", "--check"],
    ["model_choice.py"],
    ["forest_onnx.py"],
    ["workbench.py"],
    ["pipeline.py", "--repeat", "3"],
    ["prepare_engines.py", "--repeat", "3"],
]


def main() -> int:
    failed = []
    for script, *arguments in RUNS:
        print(f"\n== {script} {' '.join(arguments)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / script), *arguments]).returncode:
            failed.append(script)
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
