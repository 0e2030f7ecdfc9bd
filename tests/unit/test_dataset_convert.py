"""Converting the real Kaggle CSV: same files as the generator, latest snapshot, clear errors."""

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from jukebox_workshop.dataset import (
    DatasetExistsError,
    DatasetNotFoundError,
    DataValidationError,
    convert,
    validate_dataset,
)
from jukebox_workshop.dataset.schema import (
    CSV_COLUMNS,
    PROPERTIES_DTYPES,
    PROPERTIES_FILE,
    RANKINGS_DTYPES,
    RANKINGS_FILE,
    arrow_schema,
)

SONG = {
    "name": "Song",
    "artists": "Artist",
    "daily_rank": 1,
    "daily_movement": 0,
    "weekly_movement": 0,
    "country": "",
    "snapshot_date": "2023-10-18",
    "popularity": 90,
    "is_explicit": "False",
    "duration_ms": 200000,
    "album_name": "Album",
    "album_release_date": "2023-10-13",
    "danceability": 0.7,
    "energy": 0.6,
    "key": 5,
    "loudness": -6.0,
    "mode": 1,
    "speechiness": 0.05,
    "acousticness": 0.2,
    "instrumentalness": 0.0,
    "liveness": 0.1,
    "valence": 0.5,
    "tempo": 120.0,
    "time_signature": 4,
}


def row(spotify_id: str, **changes: object) -> dict[str, object]:
    return {"spotify_id": spotify_id, **SONG, **changes}


def write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    pd.DataFrame(rows, columns=list(CSV_COLUMNS)).to_csv(path, index=False)
    return path


@pytest.fixture
def kaggle_csv(tmp_path) -> Path:
    a, b, c = "a" * 22, "b" * 22, "c" * 22
    return write_csv(
        tmp_path / "universal_top_spotify_songs.csv",
        [
            # The latest snapshot first, as in the real file.
            row(a, snapshot_date="2023-10-19", danceability=0.8, country="", daily_rank=1),
            row(a, snapshot_date="2023-10-19", danceability=0.8, country="MX", daily_rank=2),
            row(b, snapshot_date="2023-10-19", name="NA", country="MX", daily_rank=1),
            row(a, snapshot_date="2023-10-18", danceability=0.6, country="MX", daily_rank=1),
            row(a, snapshot_date="2023-10-18", danceability=0.6, country="MX", daily_rank=1),
            row(b, snapshot_date="2023-10-18", country="", is_explicit="True", daily_rank=2),
            row(b, snapshot_date="2023-10-18", country="XX", daily_rank=3),
            row(c, snapshot_date="2023-10-18", country="JP", danceability=""),
        ],
    )


def test_converts_to_the_generator_schema(kaggle_csv, tmp_path):
    summary = convert(kaggle_csv, tmp_path / "out")
    assert pq.read_schema(tmp_path / "out" / PROPERTIES_FILE) == arrow_schema(PROPERTIES_DTYPES)
    assert pq.read_schema(tmp_path / "out" / RANKINGS_FILE) == arrow_schema(RANKINGS_DTYPES)
    rankings = pd.read_parquet(tmp_path / "out" / RANKINGS_FILE)
    assert summary["songs"] == 2
    assert summary["ranking_rows"] == len(rankings) == 5
    validate_dataset(tmp_path / "out")


def test_keeps_the_latest_snapshot_of_each_song(kaggle_csv, tmp_path):
    convert(kaggle_csv, tmp_path)
    properties = pd.read_parquet(tmp_path / PROPERTIES_FILE).set_index("spotify_id")
    assert properties.loc["a" * 22, "danceability"] == 0.8
    assert properties.loc["a" * 22, "snapshot_date"] == pd.Timestamp("2023-10-19")
    assert properties.loc["b" * 22, "name"] == "NA"  # a title, not a missing value


def test_global_rows_keep_an_empty_country(kaggle_csv, tmp_path):
    summary = convert(kaggle_csv, tmp_path)
    rankings = pd.read_parquet(tmp_path / RANKINGS_FILE)
    assert rankings["country"].isna().sum() == summary["global_rows"] == 2
    assert set(rankings["country"].dropna()) == {"MX"}


def test_counts_what_it_drops(kaggle_csv, tmp_path):
    dropped = convert(kaggle_csv, tmp_path)["dropped"]
    assert dropped["rows_of_other_countries"] == 1
    assert dropped["ranking_rows_repeated"] == 1
    assert dropped["songs_with_unusable_features"] == 1


def test_round_trip_of_generated_data(small_data_dir, tmp_path):
    properties = pd.read_parquet(small_data_dir / PROPERTIES_FILE)
    rankings = pd.read_parquet(small_data_dir / RANKINGS_FILE)
    features = properties.drop(columns=["name", "artists", "snapshot_date"])
    csv = rankings.merge(features, on="spotify_id")[list(CSV_COLUMNS)]
    csv.to_csv(tmp_path / "charts.csv", index=False)

    convert(tmp_path / "charts.csv", tmp_path / "out")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / PROPERTIES_FILE), properties)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / RANKINGS_FILE), rankings)


def test_a_csv_of_another_shape_is_refused_with_the_missing_columns(tmp_path):
    other = tmp_path / "songs.csv"
    other.write_text("spotify_id,name,artists\nabc,Song,Artist\n")
    with pytest.raises(DataValidationError) as error:
        convert(other, tmp_path / "out")
    message = str(error.value)
    assert str(other) in message
    assert "daily_rank" in message and "tempo" in message
    assert not (tmp_path / "out").exists()


def test_a_missing_csv_is_named(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="nothing.csv"):
        convert(tmp_path / "nothing.csv", tmp_path / "out")


def test_does_not_overwrite_unless_asked(kaggle_csv, tmp_path):
    convert(kaggle_csv, tmp_path)
    before = (tmp_path / RANKINGS_FILE).read_bytes()
    with pytest.raises(DatasetExistsError, match="overwrite"):
        convert(kaggle_csv, tmp_path)
    assert (tmp_path / RANKINGS_FILE).read_bytes() == before
    convert(kaggle_csv, tmp_path, overwrite=True)
