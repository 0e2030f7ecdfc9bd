"""Converting copies of the real Kaggle CSV: every usual format works, the rest is refused clearly."""

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from support.chart_copies import kaggle_rows, realistic_rows, write_copy

from jukebox_workshop.dataset import validate_dataset
from jukebox_workshop.dataset.build.convert import MIN_SONGS, convert
from jukebox_workshop.dataset.schema import PROPERTIES_DTYPES, RANKINGS_DTYPES, arrow_schema
from jukebox_workshop.errors import DatasetExistsError, DatasetNotFoundError, DataValidationError
from jukebox_workshop.settings import PROPERTIES_FILE, RANKINGS_FILE

A, B, C = "a" * 22, "b" * 22, "c" * 22


@pytest.fixture(scope="module")
def generated_rows(small_data_dir) -> pd.DataFrame:
    """The small generated dataset as the Kaggle file's rows (10 days)."""
    return kaggle_rows(
        pd.read_parquet(small_data_dir / PROPERTIES_FILE),
        pd.read_parquet(small_data_dir / RANKINGS_FILE),
    )


@pytest.fixture(scope="module")
def one_day(generated_rows) -> pd.DataFrame:
    return generated_rows[generated_rows["snapshot_date"] == generated_rows["snapshot_date"].min()]


@pytest.fixture
def kaggle_csv(one_day, tmp_path) -> Path:
    """One day of charts plus a few rows that test one rule each."""
    template = one_day.iloc[0].to_dict()

    def row(spotify_id: str, **changes: object) -> dict[str, object]:
        return {**template, "spotify_id": spotify_id, "daily_rank": 1, **changes}

    first, second = pd.Timestamp("2023-10-18"), pd.Timestamp("2023-10-19")
    special = pd.DataFrame(
        [
            # The latest snapshot first, as in the real file.
            row(A, snapshot_date=second, danceability=0.8, country=None),
            row(A, snapshot_date=second, danceability=0.8, country="MX", daily_rank=2),
            row(B, snapshot_date=second, name="NA", country="MX"),
            row(A, snapshot_date=first, danceability=0.6, country="MX"),
            row(A, snapshot_date=first, danceability=0.6, country="MX"),
            row(B, snapshot_date=first, country=None, daily_rank=2),
            row(B, snapshot_date=first, country="XX", daily_rank=3),
            row(C, snapshot_date=first, country="JP", danceability=None),
        ]
    )
    rows = pd.concat([special, one_day], ignore_index=True)
    return write_copy(rows, tmp_path / "universal_top_spotify_songs.csv")


def test_converts_to_the_generator_schema(kaggle_csv, one_day, tmp_path):
    summary = convert(kaggle_csv, tmp_path / "out")
    assert pq.read_schema(tmp_path / "out" / PROPERTIES_FILE) == arrow_schema(PROPERTIES_DTYPES)
    assert pq.read_schema(tmp_path / "out" / RANKINGS_FILE) == arrow_schema(RANKINGS_DTYPES)
    rankings = pd.read_parquet(tmp_path / "out" / RANKINGS_FILE)
    assert summary["rows_read"] == len(one_day) + 8
    assert summary["ranking_rows"] == len(rankings) == len(one_day) + 5
    assert summary["songs"] == one_day["spotify_id"].nunique() + 2
    validate_dataset(tmp_path / "out")


def test_keeps_the_latest_snapshot_of_each_song(kaggle_csv, tmp_path):
    convert(kaggle_csv, tmp_path)
    properties = pd.read_parquet(tmp_path / PROPERTIES_FILE).set_index("spotify_id")
    assert properties.loc[A, "danceability"] == 0.8
    assert properties.loc[A, "snapshot_date"] == pd.Timestamp("2023-10-19")
    assert properties.loc[B, "name"] == "NA"  # a title, not a missing value


def test_global_rows_keep_an_empty_country(kaggle_csv, one_day, tmp_path):
    summary = convert(kaggle_csv, tmp_path)
    rankings = pd.read_parquet(tmp_path / RANKINGS_FILE)
    assert rankings["country"].isna().sum() == summary["global_rows"]
    assert summary["global_rows"] == one_day["country"].isna().sum() + 2


def test_counts_each_dropped_row_under_its_reason(kaggle_csv, tmp_path):
    dropped = convert(kaggle_csv, tmp_path)["dropped"]
    assert dropped == {
        "country not one of the 72 country codes": 1,
        "repeats the spotify_id, country, snapshot_date of an earlier row": 1,
        "song's no danceability": 1,
    }


def test_round_trip_of_generated_data(generated_rows, small_data_dir, tmp_path):
    write_copy(generated_rows, tmp_path / "charts.csv")
    convert(tmp_path / "charts.csv", tmp_path / "out")
    for name in (PROPERTIES_FILE, RANKINGS_FILE):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "out" / name), pd.read_parquet(small_data_dir / name)
        )


# One day of charts saved as the Kaggle download, a spreadsheet, or a sample without names.
COPIES = {
    "spreadsheet, month first": {"dates": "month first", "booleans": "TRUE"},
    "spreadsheet, day first": {"dates": "day first", "booleans": "TRUE"},
    "spreadsheet, ';' and decimal commas": {"separator": ";", "dates": "day first"},
    "booleans as 1 and 0": {"booleans": "1"},
    "without name and album columns": {"without": ("name", "artists", "album_name")},
}


@pytest.mark.parametrize("copy", COPIES)
def test_every_usual_copy_gives_the_same_data(copy, one_day, tmp_path):
    convert(write_copy(one_day, tmp_path / "download.csv"), tmp_path / "download")
    options = COPIES[copy]
    summary = convert(write_copy(one_day, tmp_path / "copy.csv", **options), tmp_path / "copy")
    assert summary["ranking_rows"] == len(one_day) and not summary["dropped"]
    for name in (PROPERTIES_FILE, RANKINGS_FILE):
        expected = pd.read_parquet(tmp_path / "download" / name)
        converted = pd.read_parquet(tmp_path / "copy" / name)
        for column in options.get("without", ()):
            if column in expected:
                assert converted[column].isna().all()
                expected[column] = converted[column]
        pd.testing.assert_frame_equal(converted, expected)


def test_a_realistic_cut_copy_converts(tmp_path):
    rows = realistic_rows()
    csv = write_copy(rows, tmp_path / "sample.csv", dates="month first", booleans="TRUE")
    summary = convert(csv, tmp_path / "out")
    assert summary["ranking_rows"] == len(rows)
    assert summary["days"] == 1 and summary["countries"] == 72
    songs_per_country = rows.groupby("country")["spotify_id"].nunique()
    assert songs_per_country.min() == 2


def test_dates_that_read_both_ways_are_refused(one_day, tmp_path):
    rows = one_day.assign(
        snapshot_date=pd.Timestamp("2025-02-12"), album_release_date=pd.Timestamp("2025-01-05")
    )
    csv = write_copy(rows, tmp_path / "copy.csv", dates="month first")
    with pytest.raises(DataValidationError, match="'2/12/2025'.*month/day/year or as day/month"):
        convert(csv, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    convert(csv, tmp_path / "out", dates="month-first")
    rankings = pd.read_parquet(tmp_path / "out" / RANKINGS_FILE)
    assert set(rankings["snapshot_date"]) == {pd.Timestamp("2025-02-12")}


def test_a_column_in_an_unknown_format_is_named_with_examples(one_day, tmp_path):
    csv = write_copy(one_day, tmp_path / "copy.csv")
    text = csv.read_text().replace("2024-04-01", "01.04.2024")
    csv.write_text(text)
    with pytest.raises(DataValidationError) as error:
        convert(csv, tmp_path / "out")
    message = str(error.value)
    assert "column 'snapshot_date'" in message and "'01.04.2024'" in message
    assert "are not dates" in message


def test_a_mostly_dropped_file_is_refused_with_the_reasons(one_day, tmp_path):
    songs = one_day["spotify_id"].unique()
    rows = one_day.copy()
    rows.loc[rows["spotify_id"].isin(songs[: len(songs) * 4 // 5]), "danceability"] = 1.7
    with pytest.raises(DataValidationError) as error:
        convert(write_copy(rows, tmp_path / "copy.csv"), tmp_path / "out")
    message = str(error.value)
    assert f"of {len(rows):,} rows are usable, so nothing was written" in message
    assert "song's danceability outside [0, 1]" in message
    assert not (tmp_path / "out").exists()


def test_too_few_songs_are_refused(one_day, tmp_path):
    rows = one_day.dropna(subset=["country"]).drop_duplicates("spotify_id").head(MIN_SONGS - 1)
    with pytest.raises(DataValidationError, match=f"only {MIN_SONGS - 1} songs"):
        convert(write_copy(rows, tmp_path / "copy.csv"), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_csv_of_another_shape_is_refused_with_the_missing_columns(tmp_path):
    other = tmp_path / "songs.csv"
    other.write_text("spotify_id,name,artists\nabc,Song,Artist\n")
    with pytest.raises(DataValidationError) as error:
        convert(other, tmp_path / "out")
    message = str(error.value)
    assert str(other) in message
    assert "daily_rank" in message and "tempo" in message
    assert "album_name" not in message  # optional
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
