"""The column lists, types and codes the data files and the notebooks agree on."""

import pandas as pd
import pytest

from jukebox_workshop.dataset import schema


def test_there_are_72_distinct_country_codes():
    assert len(schema.COUNTRY_CODES) == 72
    assert len(set(schema.COUNTRY_CODES)) == 72
    assert all(len(code) == 2 and code.isupper() for code in schema.COUNTRY_CODES)


def test_the_13_features_are_song_properties():
    assert len(schema.FEATURES) == 13
    assert set(schema.FEATURES) <= set(schema.PROPERTIES_COLUMNS)
    assert schema.TARGET in schema.RANKINGS_COLUMNS


def test_the_two_files_split_the_kaggle_columns():
    both = set(schema.PROPERTIES_COLUMNS) | set(schema.RANKINGS_COLUMNS)
    assert both == set(schema.CSV_COLUMNS)
    shared = set(schema.PROPERTIES_COLUMNS) & set(schema.RANKINGS_COLUMNS)
    assert shared == {"spotify_id", "name", "artists", "snapshot_date"}


def test_every_column_has_a_parquet_type():
    for dtypes in (schema.PROPERTIES_DTYPES, schema.RANKINGS_DTYPES):
        assert schema.arrow_schema(dtypes).names == list(dtypes)


@pytest.mark.parametrize(
    ("allowed", "inside", "outside"),
    [
        (schema.Range(0, 1), [0, 0.5, 1], [-0.1, 1.1]),
        (schema.Range(0, 300, low_open=True), [1], [0]),
    ],
)
def test_ranges_include_their_bounds_unless_open(allowed, inside, outside):
    assert allowed.contains(pd.Series(inside)).all()
    assert not allowed.contains(pd.Series(outside)).any()


def test_ranges_print_like_intervals():
    assert str(schema.Range(0, 1)) == "[0, 1]"
    assert str(schema.Range(0, 300, low_open=True)) == "(0, 300]"
