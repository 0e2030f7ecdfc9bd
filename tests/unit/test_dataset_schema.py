"""The column lists, types and codes the data files and the notebooks agree on."""

import nbformat
import pandas as pd
import pandera.pandas as pa
import pytest

from jukebox_workshop.columns import FEATURES, TARGET
from jukebox_workshop.dataset import schema
from jukebox_workshop.settings import NOTEBOOK_DIR


def test_there_are_72_distinct_country_codes():
    assert len(schema.COUNTRY_CODES) == 72
    assert len(set(schema.COUNTRY_CODES)) == 72
    assert all(len(code) == 2 and code.isupper() for code in schema.COUNTRY_CODES)


def test_the_13_features_are_song_properties():
    assert len(FEATURES) == 13
    assert set(FEATURES) <= set(schema.PROPERTIES_COLUMNS)
    assert TARGET in schema.RANKINGS_COLUMNS


def test_the_two_files_split_the_kaggle_columns():
    both = set(schema.PROPERTIES_COLUMNS) | set(schema.RANKINGS_COLUMNS)
    assert both == set(schema.CSV_COLUMNS)
    shared = set(schema.PROPERTIES_COLUMNS) & set(schema.RANKINGS_COLUMNS)
    assert shared == {"spotify_id", "name", "artists", "snapshot_date"}


def notebook_2s_properties_schema() -> pa.DataFrameSchema:
    """The schema notebook 2 writes in a cell for song_properties.parquet."""
    notebook = nbformat.read(NOTEBOOK_DIR / "02-prepare.ipynb", as_version=4)
    (cell,) = [c for c in notebook.cells if "properties_schema = pa.DataFrameSchema(" in c.source]
    namespace = {"pa": pa}
    exec(cell.source, namespace)
    return namespace["properties_schema"]


def what_it_requires(frame_schema: pa.DataFrameSchema) -> dict:
    """Everything a schema checks; the wording of its errors aside."""
    return {
        "name": frame_schema.name,
        "strict": frame_schema.strict,
        "unique": frame_schema.unique,
        "columns": [
            (name, str(c.dtype), c.nullable, c.unique, c.required)
            + tuple((check.name, check.statistics) for check in c.checks)
            for name, c in frame_schema.columns.items()
        ],
    }


def test_notebook_2_writes_the_packages_properties_schema():
    written = what_it_requires(notebook_2s_properties_schema())
    assert written == what_it_requires(schema.PROPERTIES_SCHEMA), (
        "notebook 2's properties_schema and PROPERTIES_SCHEMA in dataset/schema.py differ: "
        "change both"
    )


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
