"""What notebook 3's training takes and where it reads and writes, for `jukebox/train.py`.

`train(params)` in `jukebox/train.py` is the one training code: notebook 3 calls it, the
pipeline runs notebook 3, and a Kubeflow Trainer job (`cluster/trainjob.yaml`) runs the file
as a command. `params` is one dict, as the Kubeflow SDK hands a training function its
`func_args`: `DEFAULTS` and `PLACES` name its keys, `checked` refuses a bad one with a message.

On the command line, `workspace` and `prepared` may also be an `s3://bucket/prefix`, read and
written with the data connection's keys (`AWS_*`): `main` copies the prepared splits from
there, trains in a local folder, and uploads the run folder back (`<prefix>/runs/<version>/`,
and `<prefix>/runs/LATEST`), the layout of `runs.py` under another root.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jukebox_workshop.errors import JukeboxError, NoRunError, WorkshopError
from jukebox_workshop.runs import PREPROCESSING_FILE, Run, Workspace
from jukebox_workshop.settings import DEFAULT_EPOCHS, S3_VARIABLES, require

ALGORITHMS = ("network", "forest")  # build_model and build_forest in jukebox/model.py
# Notebook 3's parameters cell, in lower case (tests/unit/test_trainjob.py checks they agree);
# `algorithm` is what notebook 3's comparison chooses. A forest uses `trees` and `seed` only.
DEFAULTS: dict[str, Any] = {
    "algorithm": ALGORITHMS[0],
    "trees": 300,
    "epochs": DEFAULT_EPOCHS,
    "batch_size": 128,
    "learning_rate": 1e-3,
    "hidden_units": 64,
    "hidden_layers": 2,
    "dropout": 0.2,
    "patience": 15,
    "seed": 42,
}
_NETWORK_ONLY = set(DEFAULTS) - {"algorithm", "trees", "seed"}
# Where a run reads and writes: the notebooks' `output/` (runs.py); `prepared` empty means
# `<workspace>/prepared`.
PLACES: dict[str, str] = {"workspace": "output", "prepared": ""}
# What notebook 3 reads from notebook 2's folder.
PREPARED_FILES = ("train.parquet", "validation.parquet", PREPROCESSING_FILE)
# Notebook 4 reads the test split; a copied prepared folder keeps it when there is one.
OPTIONAL_FILES = ("test.parquet",)


def used(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters the chosen algorithm uses (what `training.json` records)."""
    unused = {"trees"} if params["algorithm"] == "network" else _NETWORK_ONLY
    return {name: params[name] for name in DEFAULTS if name not in unused}


class TrainingParameterError(WorkshopError, ValueError):
    """A training parameter is unknown, or its value is of the wrong type or out of range."""


# name -> (kind, lowest allowed, what it is, for the message)
_RULES: dict[str, tuple[type, float, str]] = {
    "trees": (int, 1, "a whole number of at least 1"),
    "epochs": (int, 1, "a whole number of at least 1"),
    "batch_size": (int, 1, "a whole number of at least 1"),
    "learning_rate": (float, 0, "a number above 0"),
    "hidden_units": (int, 1, "a whole number of at least 1"),
    "hidden_layers": (int, 0, "a whole number of at least 0 (0: logistic regression)"),
    "dropout": (float, 0, "a number from 0 to below 1"),
    "patience": (int, 1, "a whole number of at least 1"),
    "seed": (int, 0, "a whole number of at least 0"),
}


def _number(name: str, value: Any) -> int | float:
    kind, lowest, rule = _RULES[name]
    number: Any = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    valid = isinstance(number, int | float) and not isinstance(number, bool)
    valid = valid and math.isfinite(number) and (kind is float or float(number).is_integer())
    if valid:
        number = kind(number)
        valid = number > lowest if kind is float and name == "learning_rate" else number >= lowest
        valid = valid and not (name == "dropout" and number >= 1)
    if not valid:
        raise TrainingParameterError(
            f"Training parameter {name}={value!r} is not {rule} "
            f"(notebook 3's default: {DEFAULTS[name]!r}). Correct it and train again."
        )
    return number


def checked(params: Any) -> dict[str, Any]:
    """`params` with the defaults filled in and every value converted (a command line and a
    Katib trial give text); raises TrainingParameterError naming the first bad one."""
    if not isinstance(params, Mapping):
        raise TrainingParameterError(
            f"train() takes one dict of parameters (as the Kubeflow SDK's func_args), not "
            f"{type(params).__name__}: for example train({{'epochs': 40}})."
        )
    unknown = sorted(set(params) - set(DEFAULTS) - set(PLACES))
    if unknown:
        raise TrainingParameterError(
            f"Unknown training parameter {', '.join(map(repr, unknown))}: train() takes "
            f"{', '.join((*PLACES, *DEFAULTS))}."
        )
    values = {**PLACES, **DEFAULTS, **params}
    if values["algorithm"] not in ALGORITHMS:
        raise TrainingParameterError(
            f"Training parameter algorithm={values['algorithm']!r} is not one of "
            f"{', '.join(map(repr, ALGORITHMS))} (notebook 3's default: {ALGORITHMS[0]!r}). "
            "Correct it and train again."
        )
    for name in _RULES:
        values[name] = _number(name, values[name])
    for name in PLACES:
        values[name] = str(values[name] or "")
    if not values["workspace"]:
        raise TrainingParameterError(
            "Training parameter workspace is empty: give the folder that holds prepared/ and "
            "receives runs/ (notebook 3's: 'output')."
        )
    return values


def prepared_dir(params: Mapping[str, Any]) -> Path:
    """The folder with notebook 2's splits; raises NoRunError if one of them is missing."""
    folder = Path(params["prepared"] or Workspace(params["workspace"]).prepared_dir)
    missing = [name for name in PREPARED_FILES if not (folder / name).is_file()]
    if missing:
        raise NoRunError(
            f"No {', '.join(missing)} in {folder}/: run notebook 2 (preparation) first, or give "
            "`prepared` a folder (on the command line also an s3://bucket/prefix) that holds "
            f"{', '.join(PREPARED_FILES)}."
        )
    return folder


# On the command line: folders or S3 -----------------------------------------------------


def _bucket_and_prefix(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix.strip("/")


def _s3(uri: str) -> tuple[Any, str, str, Any]:
    """An S3 client from the data connection's variables, the bucket, the prefix, and the
    context that turns S3 failures into messages."""
    from jukebox_workshop.clients import s3_client
    from jukebox_workshop.explain import explain_s3_errors

    connection = require(S3_VARIABLES)
    bucket, prefix = _bucket_and_prefix(uri)
    return (
        s3_client(connection),
        bucket,
        prefix,
        explain_s3_errors(connection["AWS_S3_ENDPOINT"], bucket),
    )


def fetch_prepared(source: str, into: Path) -> Path:
    """Copy the prepared splits from an s3://bucket/prefix into `into`; returns `into`."""
    s3, bucket, prefix, explained = _s3(source)
    into.mkdir(parents=True, exist_ok=True)
    with explained:
        for name in (*PREPARED_FILES, *OPTIONAL_FILES):
            key = f"{prefix}/{name}" if prefix else name
            if s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0):
                s3.download_file(bucket, key, str(into / name))
    return into


def publish_run(run: Run, workspace: str) -> str:
    """Upload a run folder to `<workspace>/runs/<version>/` in S3 and name it in
    `<workspace>/runs/LATEST`; returns where it went."""
    s3, bucket, prefix, explained = _s3(workspace)
    runs = f"{prefix}/runs" if prefix else "runs"
    with explained:
        for path in sorted(run.folder.rglob("*")):
            if path.is_file():
                key = f"{runs}/{run.version}/{path.relative_to(run.folder).as_posix()}"
                s3.upload_file(str(path), bucket, key)
        s3.put_object(Bucket=bucket, Key=f"{runs}/LATEST", Body=run.version.encode())
    return f"s3://{bucket}/{runs}/{run.version}/"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python jukebox/train.py",
        description="Notebook 3's training, as a command (what a Kubeflow Trainer job runs).",
    )
    parser.add_argument(
        "--workspace",
        default=PLACES["workspace"],
        help="a folder or s3://bucket/prefix holding prepared/; the run is written to its "
        "runs/<version>/ (default: %(default)s)",
    )
    parser.add_argument(
        "--prepared",
        default=PLACES["prepared"],
        help="a folder or s3://bucket/prefix with notebook 2's splits (default: <workspace>/prepared)",
    )
    for name, default in DEFAULTS.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}", dest=name, default=default, help=f"default: {default}"
        )
    return parser


def main(train: Callable[[dict[str, Any]], dict[str, Any]], argv: list[str] | None = None) -> int:
    """Run `train` with the command line's values; S3 places are copied in and out."""
    params = vars(parser().parse_args(argv))
    try:
        params = checked(params)
        with tempfile.TemporaryDirectory(prefix="jukebox-train-") as folder:
            remote = params["workspace"] if params["workspace"].startswith("s3://") else None
            if remote:
                params["workspace"] = str(Path(folder) / "output")
            source = params["prepared"] or (f"{remote.rstrip('/')}/prepared" if remote else "")
            if source.startswith("s3://"):
                params["prepared"] = str(fetch_prepared(source, Path(folder) / "prepared"))
            result = train(params)
            where = publish_run(result["run"], remote) if remote else f"{result['run'].folder}/"
    except JukeboxError as error:
        print(f"Training failed: {error}", file=sys.stderr)
        return 1
    validation = result["training"]["validation"]
    print(f"val_top5_accuracy={validation['top5_accuracy']:.6f}")
    print(f"Model version {result['run'].version} written to {where}")
    return 0
