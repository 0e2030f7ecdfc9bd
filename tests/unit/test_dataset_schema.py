"""The column lists, types and codes the data files and the notebooks agree on."""

import pandas as pd
import pandera.pandas as pa
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
        (schema.within(0, 1), [0, 0.5, 1], [-0.1, 1.1]),
        (schema.within(0, 300, low_open=True), [1, 300], [0]),
    ],
)
def test_ranges_include_their_bounds_unless_open(allowed, inside, outside):
    column = pa.DataFrameSchema({"value": pa.Column(float, allowed)})
    column.validate(pd.DataFrame({"value": [float(v) for v in inside]}))
    for value in outside:
        with pytest.raises(pa.errors.SchemaError):
            column.validate(pd.DataFrame({"value": [float(value)]}))


def test_ranges_say_their_interval():
    assert schema.within(0, 1).error == "outside [0, 1]"
    assert schema.within(0, 300, low_open=True).error == "outside (0, 300]"


def test_the_file_types_come_from_the_schemas():
    assert schema.PROPERTIES_DTYPES["spotify_id"] == schema.STRING
    assert schema.PROPERTIES_DTYPES["snapshot_date"] == schema.DATE
    assert schema.PROPERTIES_DTYPES["is_explicit"] == "bool"
    assert schema.RANKINGS_DTYPES["daily_rank"] == "int64"
    assert schema.PROPERTIES_DTYPES["tempo"] == "float64"
