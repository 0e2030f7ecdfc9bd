"""A fitted scikit-learn random forest as an ONNX model of standard operators, for a model server.

OpenShift AI's OpenVINO reads ONNX's standard operators only, and skl2onnx writes trees with
the `ai.onnx.ml` domain's TreeEnsemble operators, which it cannot read. A forest is also a set
of index lookups, though: `forest_to_onnx` walks every tree one level per step (Gather,
GatherElements, LessOrEqual, Where) and averages the leaves' class probabilities (ReduceMean).
ONNX Runtime and OpenVINO (f32) give the forest's own `predict_proba` with it
(`benchmarks/forest_onnx.py` measures how closely, and how large the file grows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestClassifier

OUTPUT = "country_probabilities"  # the output name a Keras export of model.py has too


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
