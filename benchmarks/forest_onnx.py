"""Does OpenShift AI's OpenVINO serve the workshop's random forest as scikit-learn answers? Measured.

OpenVINO reads ONNX's standard operators only, and skl2onnx writes trees with the `ai.onnx.ml`
domain's TreeEnsemble operators, which it cannot read. `jukebox_workshop.forest_onnx` compiles
a fitted forest into standard operators instead (Gather, GatherElements, LessOrEqual, Where,
ReduceMean: one step down every tree per level); notebook 3 exports its forest candidate with
it. This script fits the forest of `model.py` (notebook 3's candidate, notebook 4's baseline)
on the shipped data and on a look-alike real copy, and checks that ONNX Runtime and OpenVINO
(f32, as the workshop's serving runtime sets) give the forest's own probabilities, and how
large the file is.

    .venv/bin/python benchmarks/forest_onnx.py [--trees 300] [--copy 23]

Prints a table and writes benchmarks/results/forest_onnx.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import openvino as ov
import pandas as pd
from model_choice import real_copy  # a script beside this one
from recording import stamp, write_results
from sklearn.base import clone

from jukebox_workshop.forest_onnx import OUTPUT, forest_to_onnx
from jukebox_workshop.notebooks import run_notebook
from jukebox_workshop.settings import DEFAULT_DATA_DIR, REPO_ROOT

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # model.py imports Keras: a quiet start
sys.path.insert(0, str(REPO_ROOT / "jukebox"))
from model import build_forest  # noqa: E402  notebook 3's candidate, notebook 4's baseline

RESULTS = Path(__file__).parent / "results" / "forest_onnx.json"


def prepared(data_dir: Path, folder: Path) -> Path:
    """Notebook 2 on `data_dir`, in `folder`; its output/prepared folder."""
    run_notebook(
        "02-prepare.ipynb",
        workdir=folder,
        executed_dir=folder / "executed",
        environment={"JUKEBOX_DATA_DIR": str(data_dir)},
        echo=False,
        kernel_log=folder / "kernel.log",
    )
    return folder / "output" / "prepared"


def measure(splits: Path, trees: int, folder: Path) -> dict:
    """Notebook 3's forest on these splits, compiled; how its ONNX file answers, and how large
    its trees would grow with 5 songs per leaf instead of 0.5% of the training songs."""
    preprocessing = json.loads((splits / "preprocessing.json").read_text())
    features, n_classes = preprocessing["features"], len(preprocessing["countries"])
    train = pd.read_parquet(splits / "train.parquet")
    test = pd.read_parquet(splits / "test.parquet")
    forest = build_forest(trees=trees, seed=42)
    forest.fit(train[features], train["label"])
    five_songs = clone(forest).set_params(min_samples_leaf=5).fit(train[features], train["label"])
    expected = np.zeros((len(test), n_classes))
    expected[:, forest.classes_] = forest.predict_proba(test[features])

    started = time.perf_counter()
    path = folder / "forest.onnx"
    onnx.save(forest_to_onnx(forest, features, n_classes), path)
    compile_seconds = time.perf_counter() - started
    domains = {node.domain or "ai.onnx" for node in onnx.load(path).graph.node}

    feeds = {name: test[[name]].to_numpy(dtype="float32") for name in features}
    by_runtime = {}
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    by_runtime["ONNX Runtime"] = session.run([OUTPUT], feeds)[0]
    compiled = ov.Core().compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    by_runtime["OpenVINO (f32)"] = compiled(feeds)[compiled.output(OUTPUT)]

    top5 = np.argsort(expected, axis=1)[:, -5:]
    result = {
        "train_examples": len(train),
        "test_examples": len(test),
        "trees": trees,
        "deepest_tree": int(max(e.get_depth() for e in forest.estimators_)),
        "largest_leaf_count": int(max(e.tree_.n_leaves for e in forest.estimators_)),
        "largest_leaf_count_with_5_songs_per_leaf": int(
            max(e.tree_.n_leaves for e in five_songs.estimators_)
        ),
        "onnx_megabytes": round(path.stat().st_size / 2**20, 1),
        "operator_domains": sorted(domains),
        "compile_seconds": round(compile_seconds, 1),
        "runtimes": {},
    }
    for runtime, answered in by_runtime.items():
        same_top5 = (np.sort(np.argsort(answered, axis=1)[:, -5:]) == np.sort(top5)).all(axis=1)
        result["runtimes"][runtime] = {
            "largest_difference": float(np.abs(answered - expected).max()),
            "same_top5_share": float(same_top5.mean()),
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", type=int, default=300, help="notebook 4's default: 300")
    parser.add_argument("--copy", type=int, default=23, help="the look-alike real copy's seed")
    args = parser.parse_args(argv)
    results = {"command": "benchmarks/forest_onnx.py", "datasets": {}}
    with tempfile.TemporaryDirectory() as scratch:
        for name, data_dir in (
            ("shipped data", DEFAULT_DATA_DIR),
            (f"real copy (seed {args.copy})", None),
        ):
            folder = Path(scratch) / name.split()[0]
            folder.mkdir()
            data_dir = data_dir or real_copy(args.copy, folder)
            results["datasets"][name] = measured = measure(
                prepared(data_dir, folder), args.trees, folder
            )
            print(f"{name}: {json.dumps(measured)}", flush=True)
    write_results(RESULTS, stamp(results))
    print(f"Written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
