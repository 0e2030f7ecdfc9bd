"""The workshop's training: notebook 3 calls `train(params)`, and so does a Kubeflow Trainer job.

`params` is one dict (the Kubeflow SDK hands a training function its `func_args` that way):
`workspace`, the folder that holds notebook 2's `prepared/` and receives `runs/<version>/`,
and notebook 3's parameters in lower case (`epochs`, `batch_size`, `learning_rate`,
`hidden_units`, `hidden_layers`, `dropout`, `patience`, `seed`); what is left out takes
notebook 3's default. As a command, which is what `cluster/trainjob.yaml` runs:

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

import keras
import numpy as np
import onnx
import pandas as pd
import sklearn
import tensorflow as tf
import tf2onnx
from model import build_model  # model.py, next to this file

from jukebox_workshop import training
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


def export_onnx(model, features, path):
    """Save the model as ONNX, one named input per feature, as a model server sends them."""
    signature = [tf.TensorSpec((None, 1), tf.float32, name=name) for name in features]
    onnx_model, _ = tf2onnx.convert.from_keras(model, input_signature=signature, opset=17)
    onnx.save(onnx_model, path)


def git_commit():
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def train(params):
    """Train the model on notebook 2's splits with early stopping, export it to ONNX and
    Keras, and record the run. Returns the run folder, the model, the training curves and
    the training record (what `training.json` holds)."""
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
    x_train, y_train = as_inputs(train_rows, features), train_rows["label"].to_numpy()
    x_validation = as_inputs(validation_rows, features)
    y_validation = validation_rows["label"].to_numpy()

    model = build_model(
        preprocessing,
        hidden_units=params["hidden_units"],
        hidden_layers=params["hidden_layers"],
        dropout=params["dropout"],
        learning_rate=params["learning_rate"],
    )
    print(f"{model.count_params():,} parameters")

    started = time.perf_counter()
    curves = fit_with_early_stopping(model, x_train, y_train, (x_validation, y_validation), params)
    training_seconds = time.perf_counter() - started
    epochs_run = len(curves["loss"])
    best = int(np.argmin(curves["val_loss"]))  # the epoch whose weights early stopping kept
    print(f"Trained {epochs_run} epochs in {training_seconds:.0f} s; best epoch: {best + 1}")

    # A new version, named after the time training finished: an earlier one is never replaced
    version = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run = workspace.new_run(version)
    model.save(run.keras_file)
    export_onnx(model, features, run.onnx_file)

    record = {
        "version": version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_seconds": round(training_seconds, 1),
        "parameters": {name: params[name] for name in training.DEFAULTS},
        "epochs_run": epochs_run,
        "best_epoch": best + 1,
        "validation": {
            "accuracy": float(curves["val_accuracy"][best]),
            "top5_accuracy": float(curves["val_top5_accuracy"][best]),
            "loss": float(curves["val_loss"][best]),
        },
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
