"""The workshop's training: notebook 3 calls `train(params)`, and so does a Kubeflow Trainer job.

`params` is one dict (the Kubeflow SDK hands a training function its `func_args` that way):
`workspace`, the folder that holds notebook 2's `prepared/` and receives `runs/<version>/`,
`algorithm` (`network`, the default, or `forest`), and notebook 3's parameters in lower case
(`epochs`, `batch_size`, `learning_rate`, `hidden_units`, `hidden_layers`, `dropout`,
`patience`, `seed`; a forest takes `trees` and `seed`); what is left out takes notebook 3's
default. As a command, which is what `cluster/trainjob.yaml` runs:

    python jukebox/train.py --workspace output --epochs 40
    python jukebox/train.py --workspace s3://data/jukebox     # with the data connection's keys

Edit the training here: notebook 3, the pipeline and the Trainer job all run this file.
"""

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's C++ start-up messages

import joblib
import keras
import numpy as np
import onnx
import pandas as pd
import sklearn
import tensorflow as tf
import tf2onnx
from model import build_forest, build_model  # model.py, next to this file
from sklearn.metrics import accuracy_score, log_loss, top_k_accuracy_score

from jukebox_workshop import training
from jukebox_workshop.forest_onnx import forest_to_onnx
from jukebox_workshop.runs import Workspace


def as_inputs(rows, features):
    """The model's inputs: one column per named feature, as a model server sends them."""
    return {name: rows[[name]].to_numpy(dtype="float32") for name in features}


class ProgressLine(keras.callbacks.Callback):
    """A line after the first epoch, then at most one every few seconds."""

    def __init__(self, every_seconds=3):
        super().__init__()
        self.every_seconds, self.shown = every_seconds, 0.0

    def on_epoch_end(self, epoch, logs=None):
        if epoch and time.perf_counter() - self.shown < self.every_seconds:
            return
        self.shown = time.perf_counter()
        print(
            f"epoch {epoch + 1:>3}: loss {logs['loss']:.3f}, "
            f"validation loss {logs['val_loss']:.3f}, "
            f"validation top-5 {logs['val_top5_accuracy']:.1%}",
            flush=True,
        )


def fit_with_early_stopping(model, x_train, y_train, validation, params):
    """Fit until the validation loss has not improved for `patience` epochs; keep the best."""
    stop = keras.callbacks.EarlyStopping(patience=params["patience"], restore_best_weights=True)
    history = model.fit(
        x_train,
        y_train,
        validation_data=validation,  # early stopping watches its loss, val_loss
        epochs=params["epochs"],
        batch_size=params["batch_size"],
        callbacks=[stop, ProgressLine()],  # ProgressLine: a line every few seconds
        verbose=0,
    )
    return history.history


def export_onnx(model, preprocessing, path):
    """Save the model as ONNX, one named input per feature, as a model server sends them,
    and one probability per country out."""
    features, countries = preprocessing["features"], len(preprocessing["countries"])
    if isinstance(model, keras.Model):
        signature = [tf.TensorSpec((None, 1), tf.float32, name=name) for name in features]
        onnx_model, _ = tf2onnx.convert.from_keras(model, input_signature=signature, opset=17)
    else:  # a forest, in ONNX's standard operators: OpenVINO does not read skl2onnx's trees
        onnx_model = forest_to_onnx(model, features, n_classes=countries)
    onnx.save(onnx_model, path)


def predict(model, rows, preprocessing):
    """Each row's probability per country, from either algorithm."""
    features, countries = preprocessing["features"], len(preprocessing["countries"])
    if isinstance(model, keras.Model):
        return model.predict(as_inputs(rows, features), verbose=0)
    probabilities = np.zeros((len(rows), countries), dtype="float32")
    probabilities[:, model.classes_] = model.predict_proba(rows[features])  # seen countries
    return probabilities


def fit_network(params, preprocessing, train_rows, validation_rows):
    """`build_model`'s network, fitted with early stopping: the model, its curves per epoch
    and what `training.json` records of the fit."""
    features = preprocessing["features"]
    model = build_model(
        preprocessing,
        hidden_units=params["hidden_units"],
        hidden_layers=params["hidden_layers"],
        dropout=params["dropout"],
        learning_rate=params["learning_rate"],
    )
    print(f"{model.count_params():,} parameters")
    x_train, y_train = as_inputs(train_rows, features), train_rows["label"].to_numpy()
    watched = (as_inputs(validation_rows, features), validation_rows["label"].to_numpy())
    curves = fit_with_early_stopping(model, x_train, y_train, watched, params)
    best = int(np.argmin(curves["val_loss"]))  # the epoch whose weights early stopping kept
    print(f"Trained {len(curves['loss'])} epochs; best epoch: {best + 1}")
    validation = {
        "accuracy": float(curves["val_accuracy"][best]),
        "top5_accuracy": float(curves["val_top5_accuracy"][best]),
        "loss": float(curves["val_loss"][best]),
    }
    record = {"epochs_run": len(curves["loss"]), "best_epoch": best + 1, "validation": validation}
    return model, curves, record


def fit_forest(params, preprocessing, train_rows, validation_rows):
    """`build_forest`'s random forest, fitted on the training split (no epochs, no curves)."""
    features, countries = preprocessing["features"], range(len(preprocessing["countries"]))
    forest = build_forest(trees=params["trees"], seed=params["seed"])
    print(f"Fitting {params['trees']} trees ...", flush=True)
    forest.fit(train_rows[features], train_rows["label"])
    probabilities = predict(forest, validation_rows, preprocessing)
    labels = validation_rows["label"].to_numpy()
    leaves = max(tree.get_n_leaves() for tree in forest.estimators_)
    print(f"Fitted {params['trees']} trees of at most {leaves} leaves")
    validation = {
        "accuracy": accuracy_score(labels, probabilities.argmax(axis=1)),
        "top5_accuracy": top_k_accuracy_score(labels, probabilities, k=5, labels=countries),
        "loss": log_loss(labels, probabilities, labels=countries),
    }
    return forest, None, {"validation": validation}


def git_commit():
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def new_version(workspace):
    """A version name from the time now (UTC) that no earlier run has: an earlier version is
    never replaced, and a run that ends in the same second as the last waits for the next."""
    while True:
        version = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        if not (workspace.runs_dir / version).exists():
            return version
        time.sleep(0.1)


def train(params):
    """Fit the chosen algorithm on notebook 2's splits, export it to ONNX (and Keras or
    joblib), and record the run. Returns the run folder, the model, the training curves (a
    network's; None for a forest) and the training record (what `training.json` holds)."""
    params = training.checked(params)  # defaults filled in; a bad value is refused here
    workspace = Workspace(params["workspace"])
    prepared = training.prepared_dir(params)  # written by notebook 2

    # Seeds and deterministic operations: the same run on the same machine gives the same model
    keras.utils.set_random_seed(params["seed"])
    tf.config.experimental.enable_op_determinism()

    preprocessing = json.loads((prepared / "preprocessing.json").read_text())
    features = preprocessing["features"]
    train_rows = pd.read_parquet(prepared / "train.parquet")
    validation_rows = pd.read_parquet(prepared / "validation.parquet")
    print(
        f"{len(train_rows):,} training and {len(validation_rows):,} validation examples, "
        f"{len(features)} features, {len(preprocessing['countries'])} countries"
    )
    fit = fit_network if params["algorithm"] == "network" else fit_forest
    started = time.perf_counter()
    model, curves, results = fit(params, preprocessing, train_rows, validation_rows)
    training_seconds = time.perf_counter() - started
    print(f"Training took {training_seconds:.0f} s")

    version = new_version(workspace)  # named after the time training finished
    run = workspace.new_run(version)
    if isinstance(model, keras.Model):
        model.save(run.keras_file)
    else:
        joblib.dump(model, run.joblib_file, compress=3)
    export_onnx(model, preprocessing, run.onnx_file)

    record = {
        "version": version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_seconds": round(training_seconds, 1),
        "parameters": training.used(params),
        **results,  # the validation figures; a network's epochs too
        "git_commit": git_commit(),
        "dataset_sha256": preprocessing["dataset_sha256"],
        "software": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "tf2onnx": tf2onnx.__version__,
            "onnx": onnx.__version__,
            "scikit-learn": sklearn.__version__,
        },
    }
    run.training_file.write_text(json.dumps(record, indent=2))
    run.preprocessing_file.write_text(json.dumps(preprocessing, indent=2))
    workspace.mark_latest(run)
    print(f"Version {version} saved in {run.folder}")
    return {"run": run, "model": model, "curves": curves, "training": record}


if __name__ == "__main__":
    sys.exit(training.main(train))
