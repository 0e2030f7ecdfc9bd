"""The generator: reproducible files with the schema and the structure of real charts."""

import hashlib
import json
import string
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from jukebox_workshop.dataset import validate_dataset
from jukebox_workshop.dataset.build.generate import MIN_DAYS, build_dataset, generate
from jukebox_workshop.dataset.schema import (
    CHART_SIZE,
    COUNTRY_CODES,
    PROPERTIES_DTYPES,
    RANKINGS_DTYPES,
    arrow_schema,
)
from jukebox_workshop.settings import PROPERTIES_FILE, RANKINGS_FILE, REPORT_FILE

BASE62 = set(string.digits + string.ascii_letters)


def hashes(folder: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in (PROPERTIES_FILE, RANKINGS_FILE, REPORT_FILE)
    }


def test_same_seed_gives_identical_bytes(small_data_dir, small_days, tmp_path):
    generate(tmp_path, n_days=small_days)
    assert hashes(tmp_path) == hashes(small_data_dir)


def test_another_seed_gives_other_data(small_data_dir, small_days, tmp_path):
    generate(tmp_path, n_days=small_days, seed=1)
    ours, theirs = hashes(tmp_path), hashes(small_data_dir)
    assert all(ours[name] != theirs[name] for name in ours)


def test_files_have_the_schema_types(small_data_dir):
    # The Parquet types, not pandas dtypes: text reads back as object in pandas 2, str in 3.
    assert pq.read_schema(small_data_dir / PROPERTIES_FILE) == arrow_schema(PROPERTIES_DTYPES)
    assert pq.read_schema(small_data_dir / RANKINGS_FILE) == arrow_schema(RANKINGS_DTYPES)


def test_generated_data_passes_validation(small_data_dir):
    properties, rankings = validate_dataset(small_data_dir)
    assert set(rankings["spotify_id"]) == set(properties["spotify_id"])


def test_every_chart_has_50_songs_every_day(small_data_dir, small_days):
    rankings = pd.read_parquet(small_data_dir / RANKINGS_FILE)
    charts = rankings.groupby(["snapshot_date", "country"], dropna=False)
    assert len(charts) == small_days * (len(COUNTRY_CODES) + 1)
    assert (charts.size() == CHART_SIZE).all()
    assert all(sorted(ranks) == list(range(1, 51)) for _, ranks in charts["daily_rank"])
    assert set(rankings["country"].dropna()) == set(COUNTRY_CODES)
    assert rankings["country"].isna().sum() == small_days * CHART_SIZE  # the Global chart


def test_ids_look_like_spotify_ids(small_data_dir):
    ids = pd.read_parquet(small_data_dir / PROPERTIES_FILE)["spotify_id"]
    assert ids.is_unique
    assert ids.str.len().eq(22).all()
    assert all(set(spotify_id) <= BASE62 for spotify_id in ids)


def test_movements_follow_the_ranks(small_data_dir):
    rankings = pd.read_parquet(small_data_dir / RANKINGS_FILE)
    days = sorted(rankings["snapshot_date"].unique())
    charts = rankings.set_index(["country", "spotify_id", "snapshot_date"])["daily_rank"]
    today = rankings[rankings["snapshot_date"] == days[5]].set_index(["country", "spotify_id"])
    yesterday = charts.xs(days[4], level="snapshot_date")
    stayed = today.index.intersection(yesterday.index)
    expected = yesterday.loc[stayed] - today.loc[stayed, "daily_rank"]
    assert (today.loc[stayed, "daily_movement"] == expected).all()
    new = today.index.difference(yesterday.index)
    assert (today.loc[new, "daily_movement"] == 51 - today.loc[new, "daily_rank"]).all()


def test_release_dates_come_before_the_chart_dates(small_data_dir):
    rankings = pd.read_parquet(small_data_dir / RANKINGS_FILE)
    assert (rankings["album_release_date"] <= rankings["snapshot_date"]).all()


def test_properties_keep_the_last_chart_date(small_data_dir):
    properties = pd.read_parquet(small_data_dir / PROPERTIES_FILE).set_index("spotify_id")
    rankings = pd.read_parquet(small_data_dir / RANKINGS_FILE)
    last = rankings.groupby("spotify_id")["snapshot_date"].max()
    assert (properties["snapshot_date"] == last.loc[properties.index]).all()


def test_report_holds_parameters_counts_and_bayes(small_data_dir, small_days):
    report = json.loads((small_data_dir / REPORT_FILE).read_text())
    assert report["parameters"]["n_days"] == small_days
    assert report["counts"]["ranking_rows"] == small_days * 73 * CHART_SIZE
    bayes = report["bayes"]
    assert bayes["chance_top1"] < bayes["top1"] < bayes["top5"] <= 1
    assert bayes["expected_top1"] < bayes["expected_top5"]


def test_probabilities_are_per_song_and_sum_to_one():
    dataset = build_dataset(n_days=MIN_DAYS)
    assert list(dataset.probabilities.columns) == list(COUNTRY_CODES)
    assert dataset.probabilities.index.equals(pd.Index(dataset.properties["spotify_id"]))
    assert dataset.probabilities.sum(axis=1).round(9).eq(1).all()


def test_too_few_days_are_refused(tmp_path):
    with pytest.raises(ValueError, match="at least"):
        generate(tmp_path, n_days=MIN_DAYS - 1)
