"""The best achievable accuracy on given songs, for data this package generated.

The generator knows each song's true p(country | features). Regenerating the dataset from the
parameters in generator_report.json gives those probabilities back, so the evaluation can
compare a model with the best possible score on exactly its own test songs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from jukebox_workshop.dataset.build.generate import build_dataset
from jukebox_workshop.settings import PROPERTIES_FILE

REPORT_FILE = "generator_report.json"


def true_probabilities(data_dir: str | Path) -> pd.DataFrame | None:
    """p(country | features) per song (index spotify_id), or None if `data_dir` was not generated.

    None too when the files differ from what the report's parameters generate (edited or
    converted data): then nobody knows the best achievable score.
    """
    data_dir = Path(data_dir)
    report_path = data_dir / REPORT_FILE
    if not report_path.exists():
        return None
    report = json.loads(report_path.read_text())
    generated = build_dataset(seed=report["seed"], **report["parameters"])
    stored = pd.read_parquet(data_dir / PROPERTIES_FILE)
    if not generated.properties.reset_index(drop=True).equals(stored.reset_index(drop=True)):
        return None
    return generated.probabilities


def bayes_accuracy(rows: pd.DataFrame, data_dir: str | Path) -> dict[str, float] | None:
    """Top-1 and top-5 accuracy of the true probabilities on `rows` (spotify_id, country)."""
    probabilities = true_probabilities(data_dir)
    if probabilities is None:
        return None
    table = probabilities.loc[rows["spotify_id"]].to_numpy()
    countries = probabilities.columns.to_numpy()
    ranked = countries[np.argsort(-table, axis=1, kind="stable")]
    actual = rows["country"].to_numpy()[:, None]
    return {
        "top1": float((ranked[:, :1] == actual).any(axis=1).mean()),
        "top5": float((ranked[:, :5] == actual).any(axis=1).mean()),
    }
