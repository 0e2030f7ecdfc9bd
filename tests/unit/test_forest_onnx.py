"""The forest compiler of notebook 3's random forest: ONNX Runtime gives scikit-learn's own
probabilities, with a column for every country, also those missing from the training split."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from jukebox_workshop.forest_onnx import OUTPUT, at_most, forest_to_onnx

FEATURES = ["tempo", "energy", "loudness"]


def test_onnx_answers_as_the_forest_for_every_class(tmp_path):
    rng = np.random.default_rng(0)
    # Values on a coarse float32 grid, so that many lie exactly on either side of a split
    rows = pd.DataFrame(rng.integers(0, 40, (600, 3)) / np.float32(7), columns=FEATURES)
    labels = (rows["tempo"] + rng.normal(0, 1, 600)).round().clip(0, 5).astype(int)
    labels[labels == 2] = 3  # class 2 of 6 never appears in training
    forest = RandomForestClassifier(n_estimators=15, min_samples_leaf=3, random_state=0)
    forest.fit(rows, labels)

    path = tmp_path / "forest.onnx"
    onnx.save(forest_to_onnx(forest, FEATURES, n_classes=6), path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    test = pd.DataFrame(rng.integers(0, 40, (300, 3)) / np.float32(7), columns=FEATURES)
    feeds = {name: test[[name]].to_numpy(dtype="float32") for name in FEATURES}
    (answered,) = session.run([OUTPUT], feeds)

    expected = np.zeros((len(test), 6))
    expected[:, forest.classes_] = forest.predict_proba(test.astype("float32"))
    assert answered.shape == (300, 6)
    assert np.abs(answered - expected).max() < 1e-6
    assert (answered[:, 2] == 0).all()


def test_thresholds_round_down_to_the_float32_that_splits_the_same_way():
    thresholds = np.random.default_rng(1).normal(0, 100, 10_000)
    rounded = at_most(thresholds)
    assert rounded.dtype == np.float32
    assert (rounded.astype(np.float64) <= thresholds).all()
    above = np.nextafter(rounded, np.float32(np.inf)).astype(np.float64)
    assert (above > thresholds).all()  # no float32 lies between the two
