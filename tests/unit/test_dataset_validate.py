"""Validation names the file, the column and the problem, and says what to do."""

from collections.abc import Callable

import pandas as pd
import pytest

from jukebox_workshop.dataset import (
    PROPERTIES_SCHEMA,
    RANKINGS_SCHEMA,
    rankings_schema,
    validate_dataset,
    validate_table,
)
from jukebox_workshop.errors import DatasetNotFoundError, DataValidationError
from jukebox_workshop.settings import PROPERTIES_FILE, RANKINGS_FILE


@pytest.fixture
def properties(small_data_dir) -> pd.DataFrame:
    return pd.read_parquet(small_data_dir / PROPERTIES_FILE)


@pytest.fixture
def rankings(small_data_dir) -> pd.DataFrame:
    return pd.read_parquet(small_data_dir / RANKINGS_FILE)


def set_values(column: str, values: list[object]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[: len(values) - 1, column] = values
        return frame

    return change


PROPERTY_PROBLEMS = {
    "danceability above 1": (
        set_values("danceability", [1.7, 1.2, 3.0]),
        ["danceability", "3 values outside [0, 1]", "e.g. 1.7"],
    ),
    "key 12": (set_values("key", [12]), ["'key'", "outside [0, 11]"]),
    "mode 2": (set_values("mode", [2]), ["'mode'", "outside [0, 1]"]),
    "tempo 0": (set_values("tempo", [0.0]), ["'tempo'", "outside (0, 300]"]),
    "empty energy": (set_values("energy", [float("nan")] * 2), ["'energy'", "2 empty values"]),
    "missing column": (lambda f: f.drop(columns=["valence"]), ["missing columns 'valence'"]),
    "extra column": (lambda f: f.assign(genre="pop"), ["unexpected columns 'genre'"]),
    "text in a numeric column": (
        lambda f: f.assign(loudness=f["loudness"].astype(str)),
        ["'loudness'", "expected float64 values, found"],
    ),
    "repeated song": (
        lambda f: pd.concat([f, f.head(2)]),
        ["'spotify_id'", "2 values appear more than once"],
    ),
}
RANKING_PROBLEMS = {
    "rank 51": (set_values("daily_rank", [51]), ["'daily_rank'", "outside [1, 50]"]),
    "popularity 101": (set_values("popularity", [101]), ["'popularity'", "outside [0, 100]"]),
    "unknown country": (
        set_values("country", ["XX", "ZZ"]),
        ["'country'", "2 values not one of the 72 country codes", "XX"],
    ),
    "empty date": (
        lambda f: f.assign(snapshot_date=f["snapshot_date"].where(f.index > 0)),
        ["'snapshot_date'", "1 empty values"],
    ),
    "repeated chart row": (
        lambda f: pd.concat([f, f.tail(1)], ignore_index=True),
        ["spotify_id, country, snapshot_date: 1 rows repeat"],
    ),
}


@pytest.mark.parametrize("problem", PROPERTY_PROBLEMS)
def test_properties_problems_are_named(properties, problem):
    change, expected = PROPERTY_PROBLEMS[problem]
    with pytest.raises(DataValidationError) as error:
        validate_table(change(properties), PROPERTIES_SCHEMA)
    message = str(error.value)
    assert PROPERTIES_FILE in message
    assert "make data" in message
    for part in expected:
        assert part in message


@pytest.mark.parametrize("problem", RANKING_PROBLEMS)
def test_rankings_problems_are_named(rankings, problem):
    change, expected = RANKING_PROBLEMS[problem]
    with pytest.raises(DataValidationError) as error:
        validate_table(change(rankings), RANKINGS_SCHEMA)
    message = str(error.value)
    assert RANKINGS_FILE in message
    for part in expected:
        assert part in message


def test_valid_frames_pass(properties, rankings):
    validate_table(properties, PROPERTIES_SCHEMA)
    validate_table(rankings, rankings_schema(properties["spotify_id"]))


def test_rankings_of_songs_without_properties_are_caught(properties, rankings):
    with pytest.raises(DataValidationError, match="a song with no row in song_properties.parquet"):
        validate_table(rankings, rankings_schema(properties["spotify_id"].iloc[3:]))


def test_every_problem_is_listed_at_once(properties):
    broken = set_values("danceability", [2.0])(set_values("key", [-1])(properties))
    with pytest.raises(DataValidationError) as error:
        validate_table(broken, PROPERTIES_SCHEMA)
    assert len(error.value.problems) == 2


def test_broken_files_are_named_when_reading_a_folder(properties, rankings, tmp_path):
    set_values("danceability", [1.5])(properties).to_parquet(tmp_path / PROPERTIES_FILE)
    rankings.to_parquet(tmp_path / RANKINGS_FILE)
    with pytest.raises(DataValidationError, match="song_properties.parquet, column 'danceability'"):
        validate_dataset(tmp_path)


def test_missing_files_name_the_folder_and_the_variable(tmp_path):
    with pytest.raises(DatasetNotFoundError) as error:
        validate_dataset(tmp_path)
    assert str(tmp_path) in str(error.value)
    assert "JUKEBOX_DATA_DIR" in str(error.value)


def test_reads_the_folder_of_jukebox_data_dir(small_data_dir, monkeypatch):
    monkeypatch.setenv("JUKEBOX_DATA_DIR", str(small_data_dir))
    properties, rankings = validate_dataset()
    assert len(properties) and len(rankings)
