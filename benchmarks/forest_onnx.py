"""Can OpenShift AI's OpenVINO serve notebook 4's random forest? Measured here.

OpenVINO reads ONNX's standard operators only, and skl2onnx writes trees with the `ai.onnx.ml`
domain's TreeEnsemble operators, which it cannot read: that is why notebook 3 compares Keras
models only. A forest is also a set of index lookups, though. This script compiles a fitted
scikit-learn forest into standard operators (Gather, GatherElements, LessOrEqual, Where,
ReduceMean: one step down every tree per level), then checks, on the shipped data and on a
look-alike real copy, that ONNX Runtime and OpenVINO (f32, as the workshop's serving runtime
sets) give the forest's own probabilities, and how large the file is.

    .venv/bin/python benchmarks/forest_onnx.py [--trees 300] [--copy 23]

Prints a table and writes benchmarks/results/forest_onnx.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import openvino as ov
import pandas as pd
from model_choice import real_copy  # a script beside this one
from onnx import TensorProto, helper, numpy_helper
from recording import stamp, write_results
from sklearn.ensemble import RandomForestClassifier

from jukebox_workshop.notebooks import run_notebook
from jukebox_workshop.settings import DEFAULT_DATA_DIR

RESULTS = Path(__file__).parent / "results" / "forest_onnx.json"
OUTPUT = "country_probabilities"


def at_most(thresholds: np.ndarray) -> np.ndarray:
    """The largest float32 at or below each float64 threshold: for a float32 x, x <= t holds
    exactly when x <= at_most(t), as scikit-learn compares (float32 inputs, float64 splits)."""
    rounded = thresholds.astype(np.float32)
    above = rounded.astype(np.float64) > thresholds
    rounded[above] = np.nextafter(rounded[above], np.float32(-np.inf))
    return rounded


def tree_tables(forest: RandomForestClassifier, n_classes: int) -> dict[str, Any]:
    """Every tree's nodes in one flat index space (tree t's node i at t * nodes + i): the
    feature and threshold each node tests, its two children (a leaf loops to itself), its
    leaf number, each leaf's class probabilities, and the depth of the deepest tree."""
    trees = [estimator.tree_ for estimator in forest.estimators_]
    nodes, leaves = max(t.node_count for t in trees), max(t.n_leaves for t in trees)
    table = {
        "feature": np.zeros((len(trees), nodes), np.int64),
        "threshold": np.zeros((len(trees), nodes), np.float32),
        "left": np.zeros((len(trees), nodes), np.int64),
        "right": np.zeros((len(trees), nodes), np.int64),
        "leaf": np.zeros((len(trees), nodes), np.int64),
        "values": np.zeros((len(trees), leaves, n_classes), np.float32),
    }
    for t, tree in enumerate(trees):
        n, own = tree.node_count, np.arange(nodes)
        is_leaf = np.ones(nodes, bool)
        is_leaf[:n] = tree.children_left == -1
        table["feature"][t, :n] = np.where(is_leaf[:n], 0, tree.feature)
        table["threshold"][t, :n] = at_most(np.where(is_leaf[:n], 0.0, tree.threshold))
        table["left"][t] = t * nodes + np.where(
            is_leaf, own, np.pad(tree.children_left, (0, nodes - n))
        )
        table["right"][t] = t * nodes + np.where(
            is_leaf, own, np.pad(tree.children_right, (0, nodes - n))
        )
        leaf_nodes = np.flatnonzero(is_leaf[:n])
        table["leaf"][t, leaf_nodes] = t * leaves + np.arange(len(leaf_nodes))
        counts = tree.value[leaf_nodes, 0, :]
        table["values"][t, : len(leaf_nodes)][:, forest.classes_] = counts / counts.sum(
            1, keepdims=True
        )
    table["depth"] = max(estimator.get_depth() for estimator in forest.estimators_)
    return table


def forest_to_onnx(
    forest: RandomForestClassifier, features: list[str], n_classes: int
) -> onnx.ModelProto:
    """The forest as an ONNX model of standard operators: one [n, 1] float input per feature,
    as the model server sends them, and `country_probabilities` [n, n_classes]."""
    table = tree_tables(forest, n_classes)
    trees, nodes = table["feature"].shape
    constants = {
        "feature": table["feature"].ravel(),
        "threshold": table["threshold"].ravel(),
        "left": table["left"].ravel(),
        "right": table["right"].ravel(),
        "leaf": table["leaf"].ravel(),
        "values": table["values"].reshape(-1, n_classes),
        "roots": (np.arange(trees, dtype=np.int64) * nodes)[None, :],
        "trees": np.array([trees], np.int64),
    }
    initializers = [numpy_helper.from_array(value, name) for name, value in constants.items()]
    steps = [
        helper.make_node("Concat", features, ["x"], axis=1),
        helper.make_node("Shape", ["x"], ["rows"], start=0, end=1),
        helper.make_node("Concat", ["rows", "trees"], ["rows_by_trees"], axis=0),
        helper.make_node("Expand", ["roots", "rows_by_trees"], ["at_0"]),
    ]
    for level in range(table["depth"]):
        at, n = f"at_{level}", f"_{level}"
        steps += [
            helper.make_node("Gather", ["feature", at], ["feature" + n]),
            helper.make_node("Gather", ["threshold", at], ["threshold" + n]),
            helper.make_node("GatherElements", ["x", "feature" + n], ["value" + n], axis=1),
            helper.make_node("LessOrEqual", ["value" + n, "threshold" + n], ["go_left" + n]),
            helper.make_node("Gather", ["left", at], ["left" + n]),
            helper.make_node("Gather", ["right", at], ["right" + n]),
            helper.make_node(
                "Where", ["go_left" + n, "left" + n, "right" + n], [f"at_{level + 1}"]
            ),
        ]
    steps += [
        helper.make_node("Gather", ["leaf", f"at_{table['depth']}"], ["leaf_index"]),
        helper.make_node("Gather", ["values", "leaf_index"], ["tree_probabilities"]),
        helper.make_node("ReduceMean", ["tree_probabilities"], [OUTPUT], axes=[1], keepdims=0),
    ]
    graph = helper.make_graph(
        steps,
        "random_forest",
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, 1]) for name in features],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, [None, n_classes])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


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
    """Notebook 4's forest on these splits, compiled; how its ONNX file answers."""
    preprocessing = json.loads((splits / "preprocessing.json").read_text())
    features, n_classes = preprocessing["features"], len(preprocessing["countries"])
    train = pd.read_parquet(splits / "train.parquet")
    test = pd.read_parquet(splits / "test.parquet")
    forest = RandomForestClassifier(
        n_estimators=trees, min_samples_leaf=5, n_jobs=-1, random_state=42
    )
    forest.fit(train[features], train["label"])
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
