"""How hard is the shipped dataset? Baselines next to the best achievable (Bayes) score.

The workshop's question is "which countries will like a new song?", so models are
scored on songs they never saw: distinct (song, country) pairs are split by song
(GroupShuffleSplit, 70/15/15). An sklearn MLP stands in for the notebooks' Keras model:
13 standardised features, two hidden layers of 64, early stopping on the validation
songs' loss with the best weights kept (what Keras' EarlyStopping does). The last lines
show how a random split of the day-level rows flatters the score: the same song sits on
both sides and the model recognises it instead of generalising.

    .venv/bin/python benchmarks/dataset_difficulty.py [--data-dir DIR] [--check]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, top_k_accuracy_score
from sklearn.model_selection import GroupShuffleSplit, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from jukebox_workshop.columns import FEATURES
from jukebox_workshop.dataset import validate_dataset
from jukebox_workshop.dataset.build.generate import build_dataset
from jukebox_workshop.dataset.schema import COUNTRY_CODES
from jukebox_workshop.settings import DEFAULT_DATA_DIR, REPORT_FILE

SEED = 0
LABELS = np.arange(len(COUNTRY_CODES))
LEAKY_ROWS = 60_000  # day-level rows used for the random-split comparison (keeps it quick)
BAYES = "Bayes (true p, test songs)"
MLP = "MLP (Keras stand-in)"


def baselines() -> dict[str, ClassifierMixin | Pipeline]:
    return {
        "logistic regression": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=2000, random_state=SEED)
        ),
        "random forest": RandomForestClassifier(
            n_estimators=300, min_samples_leaf=5, n_jobs=-1, random_state=SEED
        ),
        "gradient boosting": HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=300,
            max_leaf_nodes=15,
            early_stopping=True,
            random_state=SEED,
        ),
    }


def fit_mlp(
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_val: pd.DataFrame,
    y_val: np.ndarray,
    patience: int = 10,
    max_epochs: int = 300,
) -> Pipeline:
    """A 64-64 MLP trained epoch by epoch; the epoch with the lowest validation loss wins."""
    scaler = StandardScaler().fit(X_train)
    train, val = scaler.transform(X_train), scaler.transform(X_val)
    mlp = MLPClassifier(hidden_layer_sizes=(64, 64), alpha=0.3, random_state=SEED)
    best, best_loss, waited = mlp, np.inf, 0
    for _ in range(max_epochs):
        mlp.partial_fit(train, y_train, classes=LABELS)
        loss = log_loss(y_val, mlp.predict_proba(val), labels=LABELS)
        if loss < best_loss - 1e-4:
            best, best_loss, waited = copy.deepcopy(mlp), loss, 0
        else:
            waited += 1
            if waited == patience:
                break
    return make_pipeline(scaler, best)


def top_k(y: np.ndarray, probabilities: np.ndarray, k: int) -> float:
    return float(top_k_accuracy_score(y, probabilities, k=k, labels=LABELS))


def full_probabilities(model: ClassifierMixin | Pipeline, X: pd.DataFrame) -> np.ndarray:
    """predict_proba with a column for every country, even ones missing from training."""
    out = np.zeros((len(X), len(LABELS)))
    out[:, model.classes_] = model.predict_proba(X)
    return out


def chart_rows(data_dir: Path) -> pd.DataFrame:
    """Country chart rows (Global dropped) with the song's features and a numeric label."""
    properties, rankings = validate_dataset(data_dir)
    rows = rankings.dropna(subset=["country"]).merge(
        properties[["spotify_id", *FEATURES]], on="spotify_id"
    )
    rows["label"] = rows["country"].map({code: i for i, code in enumerate(COUNTRY_CODES)})
    return rows


def true_probabilities(data_dir: Path, song_ids: pd.Series) -> pd.DataFrame:
    """p(country | features) of every song, regenerated from the report's seed."""
    report = json.loads((data_dir / REPORT_FILE).read_text())
    truth = build_dataset(seed=report["seed"], **report["parameters"]).probabilities
    if set(truth.index) != set(song_ids):
        raise SystemExit("The data is not what its report's seed generates: no Bayes figures.")
    return truth


def by_song_split(groups: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    index = np.arange(len(groups))
    first = GroupShuffleSplit(n_splits=1, test_size=0.30, random_state=SEED)
    train, rest = next(first.split(index, groups=groups))
    second = GroupShuffleSplit(n_splits=1, test_size=0.50, random_state=SEED)
    validation, test = next(second.split(rest, groups=groups.iloc[rest]))
    return train, rest[validation], rest[test]


def score_by_song(
    pairs: pd.DataFrame, truth: pd.DataFrame
) -> dict[str, tuple[float, float, float]]:
    """Top-1, top-5 and seconds of each model on the test songs' (song, country) pairs."""
    X, y = pairs[list(FEATURES)].astype(float), pairs["label"].to_numpy()
    train, validation, test = by_song_split(pairs["spotify_id"])
    print(
        f"{len(pairs):,} distinct (song, country) pairs of {pairs['spotify_id'].nunique():,} "
        f"songs; by-song split: {len(train):,} train / {len(validation):,} validation / "
        f"{len(test):,} test pairs"
    )
    scores = {}

    def score(name: str, probabilities: np.ndarray, started: float) -> None:
        seconds = time.perf_counter() - started
        scores[name] = (top_k(y[test], probabilities, 1), top_k(y[test], probabilities, 5), seconds)

    score(BAYES, truth.loc[pairs["spotify_id"].iloc[test]].to_numpy(), time.perf_counter())
    majority = np.zeros((len(test), len(LABELS)))
    most_common = np.bincount(y[train], minlength=len(LABELS)).argsort()[::-1][:5]
    majority[:, most_common] = [5, 4, 3, 2, 1]
    score("majority class", majority, time.perf_counter())
    for name, model in baselines().items():
        started = time.perf_counter()
        model.fit(X.iloc[train], y[train])
        score(name, full_probabilities(model, X.iloc[test]), started)
    started = time.perf_counter()
    mlp = fit_mlp(X.iloc[train], y[train], X.iloc[validation], y[validation])
    score(MLP, full_probabilities(mlp, X.iloc[test]), started)
    return scores


def score_leaky_split(rows: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """The same forest on day-level rows, split at random versus by song."""
    sample = rows.sample(n=min(LEAKY_ROWS, len(rows)), random_state=SEED).reset_index(drop=True)
    X, y = sample[list(FEATURES)].astype(float), sample["label"].to_numpy()
    by_song = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=SEED)
    splits = {
        "random rows": train_test_split(np.arange(len(sample)), test_size=0.2, random_state=SEED),
        "song": next(by_song.split(X, groups=sample["spotify_id"])),
    }
    scores = {}
    for name, (train, test) in splits.items():
        forest = RandomForestClassifier(n_estimators=100, n_jobs=-1, random_state=SEED)
        forest.fit(X.iloc[train], y[train])
        probabilities = full_probabilities(forest, X.iloc[test])
        scores[name] = (top_k(y[test], probabilities, 1), top_k(y[test], probabilities, 5))
        print(
            f"random forest on {len(sample):,} day-level rows, split by {name}: "
            f"top-1 {scores[name][0]:.1%}, top-5 {scores[name][1]:.1%}"
        )
    return scores


def failed_checks(
    scores: dict[str, tuple[float, float, float]], leaky: dict[str, tuple[float, float]]
) -> list[str]:
    mlp, bayes = scores[MLP][1], scores[BAYES][1]
    trees = max(scores["random forest"][1], scores["gradient boosting"][1])
    checks = {
        "the MLP is below 90% of the Bayes top-5": mlp >= 0.9 * bayes,
        "the MLP is below the tree models in top-5": mlp >= trees,
        "the random split flatters little": leaky["random rows"][0] >= 2 * leaky["song"][0],
    }
    return [problem for problem, ok in checks.items() if not ok]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 unless the MLP reaches 90%% of Bayes top-5, matches the tree models "
        "in top-5 and the random-row split visibly flatters",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()

    rows = chart_rows(args.data_dir)
    pairs = rows.drop_duplicates(["spotify_id", "country"]).reset_index(drop=True)
    scores = score_by_song(pairs, true_probabilities(args.data_dir, rows["spotify_id"]))
    bayes_top5 = scores[BAYES][1]
    print(f"\n{'model':28s} {'top-1':>7s} {'top-5':>7s} {'of Bayes top-5':>15s} {'seconds':>8s}")
    for name, (top1, top5, seconds) in scores.items():
        print(f"{name:28s} {top1:7.1%} {top5:7.1%} {top5 / bayes_top5:15.0%} {seconds:8.1f}")
    bayes = json.loads((args.data_dir / REPORT_FILE).read_text())["bayes"]
    print(
        f"\nBayes over all songs (report): top-1 {bayes['top1']:.1%}, top-5 {bayes['top5']:.1%}; "
        f"expected {bayes['expected_top1']:.1%} / {bayes['expected_top5']:.1%}; "
        f"chance {bayes['chance_top1']:.1%} / {bayes['chance_top5']:.1%}\n"
    )
    leaky = score_leaky_split(rows)
    print(f"\nwall time {time.perf_counter() - started:.0f} s")

    if args.check:
        failures = failed_checks(scores, leaky)
        for problem in failures:
            print(f"CHECK FAILED: {problem}", file=sys.stderr)
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
