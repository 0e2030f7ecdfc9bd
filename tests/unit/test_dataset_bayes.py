"""The best achievable accuracy, recomputed from the generator for given test rows."""

import shutil

import pandas as pd

from jukebox_workshop.dataset.bayes import bayes_accuracy, true_probabilities


def pairs(data_dir):
    rankings = pd.read_parquet(data_dir / "song_rankings.parquet").dropna(subset=["country"])
    return rankings.drop_duplicates(["spotify_id", "country"])[["spotify_id", "country"]]


def test_probabilities_of_generated_data_sum_to_one(small_data_dir):
    probabilities = true_probabilities(small_data_dir)
    assert probabilities.shape[1] == 72
    assert abs(probabilities.sum(axis=1) - 1).max() < 1e-6


def test_bayes_accuracy_matches_the_generator_report(small_data_dir):
    import json

    report = json.loads((small_data_dir / "generator_report.json").read_text())["bayes"]
    accuracy = bayes_accuracy(pairs(small_data_dir), small_data_dir)
    assert abs(accuracy["top1"] - report["top1"]) < 1e-3
    assert abs(accuracy["top5"] - report["top5"]) < 1e-3
    assert report["chance_top5"] < accuracy["top5"] < 1


def test_unknown_for_data_the_generator_did_not_make(small_data_dir, tmp_path):
    for name in ("song_properties.parquet", "song_rankings.parquet"):
        shutil.copy(small_data_dir / name, tmp_path / name)
    assert bayes_accuracy(pairs(tmp_path), tmp_path) is None  # no report: real data

    shutil.copy(small_data_dir / "generator_report.json", tmp_path)
    edited = pd.read_parquet(tmp_path / "song_properties.parquet")
    edited.loc[0, "tempo"] += 1
    edited.to_parquet(tmp_path / "song_properties.parquet")
    assert bayes_accuracy(pairs(tmp_path), tmp_path) is None
