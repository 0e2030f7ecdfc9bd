"""The generated data looks like the real charts (figures from the 6-day Kaggle sample)."""

import pandas as pd
import pytest

from jukebox_workshop.dataset.schema import CHART_SIZE, COUNTRY_CODES

# feature: (real median, tolerance), measured on chart rows
MEDIANS = {
    "danceability": (0.681, 0.03),
    "energy": (0.642, 0.03),
    "acousticness": (0.235, 0.05),
    "valence": (0.559, 0.04),
    "speechiness": (0.054, 0.008),
    "liveness": (0.122, 0.015),
    "loudness": (-6.58, 0.5),
    "tempo": (119.7, 5),
    "duration_ms": (187_200, 8_000),
}
MEANS = {
    "is_explicit": (0.30, 0.05),
    "mode": (0.57, 0.05),
    "danceability": (0.663, 0.02),
    "energy": (0.627, 0.02),
    "instrumentalness": (0.015, 0.01),
    "key": (5.35, 0.4),
    "time_signature": (3.88, 0.1),
    "popularity": (78.5, 2),
}
CORRELATIONS = {
    ("energy", "loudness"): 0.77,
    ("energy", "acousticness"): -0.61,
    ("loudness", "acousticness"): -0.52,
    ("is_explicit", "danceability"): 0.38,
    ("is_explicit", "speechiness"): 0.34,
    ("danceability", "acousticness"): -0.34,
    ("danceability", "valence"): 0.31,
    ("mode", "danceability"): -0.29,
}
# Spread of the 72 countries' means (real sample), for the features with a regional taste.
COUNTRY_SPREADS = {
    "danceability": 0.070,
    "energy": 0.067,
    "acousticness": 0.091,
    "valence": 0.059,
    "speechiness": 0.032,
    "tempo": 5.9,
    "is_explicit": 0.20,
}


@pytest.fixture(scope="module")
def rows(default_dataset) -> pd.DataFrame:
    """Chart rows with the song's features, as the real CSV has them."""
    features = default_dataset.properties.drop(columns=["name", "artists", "snapshot_date"])
    return default_dataset.rankings.merge(features, on="spotify_id")


@pytest.fixture(scope="module")
def country_rows(rows) -> pd.DataFrame:
    return rows.dropna(subset=["country"])


@pytest.mark.parametrize(("feature", "expected"), MEDIANS.items())
def test_medians_match_the_real_charts(rows, feature, expected):
    real, tolerance = expected
    assert rows[feature].median() == pytest.approx(real, abs=tolerance)


@pytest.mark.parametrize(("feature", "expected"), MEANS.items())
def test_means_match_the_real_charts(rows, feature, expected):
    real, tolerance = expected
    assert rows[feature].astype(float).mean() == pytest.approx(real, abs=tolerance)


@pytest.mark.parametrize(("pair", "real"), CORRELATIONS.items())
def test_main_correlations_match_the_real_charts(rows, pair, real):
    first, second = pair
    measured = rows[first].astype(float).corr(rows[second].astype(float))
    assert measured == pytest.approx(real, abs=0.08)


def test_binary_and_integer_features_keep_their_values(default_dataset):
    songs = default_dataset.properties
    assert set(songs["mode"]) == {0, 1}
    assert set(songs["key"]) == set(range(12))
    assert set(songs["time_signature"]) <= {1, 3, 4, 5}
    assert songs["duration_ms"].between(30_000, 700_000).all()


def test_most_songs_chart_in_one_country_and_hits_in_many(country_rows):
    countries = country_rows.groupby("spotify_id")["country"].nunique()
    assert (countries == 1).mean() == pytest.approx(0.80, abs=0.03)
    assert countries.quantile(0.9) <= 4
    assert 12 <= countries.quantile(0.99) <= 30
    assert 30 <= countries.max() <= 40


def test_the_global_chart_holds_the_widest_hits(rows, country_rows):
    countries = country_rows.groupby("spotify_id")["country"].nunique()
    global_songs = rows.loc[rows["country"].isna(), "spotify_id"].unique()
    assert countries.loc[global_songs].median() >= 10


def test_all_72_countries_have_songs_every_day(country_rows, default_dataset):
    days = default_dataset.report["counts"]["days"]
    per_chart = country_rows.groupby(["snapshot_date", "country"]).size()
    assert len(per_chart) == days * len(COUNTRY_CODES)
    assert (per_chart == CHART_SIZE).all()


def test_a_six_day_window_sees_about_as_many_songs_as_the_real_sample(country_rows):
    days = sorted(country_rows["snapshot_date"].unique())[30:36]
    window = country_rows[country_rows["snapshot_date"].isin(days)]
    songs_per_country = window.groupby("country")["spotify_id"].nunique()
    # Real sample: 51 to 78 songs, median 59. The generated charts turn over a little faster.
    assert 55 <= songs_per_country.median() <= 75
    assert songs_per_country.min() >= 50
    assert songs_per_country.max() <= 90


@pytest.mark.parametrize(("feature", "real"), COUNTRY_SPREADS.items())
def test_countries_differ_about_as_much_as_in_the_real_charts(country_rows, feature, real):
    means = country_rows.groupby("country")[feature].mean()
    assert real / 2 <= means.std() <= real * 2


def test_no_country_is_far_from_the_overall_mean(country_rows):
    features = ["danceability", "energy", "acousticness", "valence", "tempo", "is_explicit"]
    values = country_rows[features].astype(float)
    shifts = (values.groupby(country_rows["country"]).mean() - values.mean()) / values.std()
    assert shifts.abs().max().max() <= 1.25  # the real sample's largest: about 0.95
    assert (shifts.abs() <= 0.5).to_numpy().mean() >= 0.8


def test_the_country_is_weakly_predictable(default_dataset):
    bayes = default_dataset.report["bayes"]
    assert 0.08 <= bayes["top1"] <= 0.14
    assert 0.25 <= bayes["top5"] <= 0.35
