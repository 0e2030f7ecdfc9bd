"""What the two data files hold: one pandera schema per file, and the model's features.

`song_properties.parquet` has one row per song (its audio features, latest snapshot);
`song_rankings.parquet` has one row per song, chart and day (the daily top 50 of 72
countries plus the Global chart). Global rows have a null `country` (NaN once read by
pandas), exactly as pandas reads the empty `country` field of the Kaggle CSV.

`PROPERTIES_SCHEMA` and `RANKINGS_SCHEMA` are the one definition of the columns, their
types, which may be empty, and the values allowed. The converter, `validate_dataset`,
notebook 2 and the tests all check data against them.
"""

from __future__ import annotations

import pandas as pd
import pandera.dtypes
import pandera.pandas as pa
import pyarrow as pa_arrow

from jukebox_workshop.settings import PROPERTIES_FILE, RANKINGS_FILE

CHART_SIZE = 50

# The 72 countries with a daily top 50 (ISO 3166-1 alpha-2). The Global chart has no code.
COUNTRY_CODES: tuple[str, ...] = (
    "AE", "AR", "AT", "AU", "BE", "BG", "BO", "BR", "BY", "CA", "CH", "CL", "CO", "CR",
    "CZ", "DE", "DK", "DO", "EC", "EE", "EG", "ES", "FI", "FR", "GB", "GR", "GT", "HK",
    "HN", "HU", "ID", "IE", "IL", "IN", "IS", "IT", "JP", "KR", "KZ", "LT", "LU", "LV",
    "MA", "MX", "MY", "NG", "NI", "NL", "NO", "NZ", "PA", "PE", "PH", "PK", "PL", "PT",
    "PY", "RO", "SA", "SE", "SG", "SK", "SV", "TH", "TR", "TW", "UA", "US", "UY", "VE",
    "VN", "ZA",
)  # fmt: skip


DATE = "datetime64[us]"


def within(low: float, high: float, *, low_open: bool = False) -> pa.Check:
    """Values in [low, high], or in (low, high] when `low_open`; the error names the interval."""
    interval = f"{'(' if low_open else '['}{low:g}, {high:g}]"
    return pa.Check.in_range(low, high, include_min=not low_open, error=f"outside {interval}")


UNIT = within(0, 1)

PROPERTIES_SCHEMA = pa.DataFrameSchema(
    {
        "spotify_id": pa.Column(str, unique=True),
        "name": pa.Column(str, nullable=True),
        "artists": pa.Column(str, nullable=True),
        "snapshot_date": pa.Column(DATE),
        "is_explicit": pa.Column(bool),
        "duration_ms": pa.Column(int, within(0, 3_600_000, low_open=True)),
        "danceability": pa.Column(float, UNIT),
        "energy": pa.Column(float, UNIT),
        "key": pa.Column(int, within(0, 11)),
        "loudness": pa.Column(float, within(-60, 5)),
        "mode": pa.Column(int, within(0, 1)),
        "speechiness": pa.Column(float, UNIT),
        "acousticness": pa.Column(float, UNIT),
        "instrumentalness": pa.Column(float, UNIT),
        "liveness": pa.Column(float, UNIT),
        "valence": pa.Column(float, UNIT),
        "tempo": pa.Column(float, within(0, 300, low_open=True)),
        "time_signature": pa.Column(int, within(0, 7)),
    },
    strict=True,
    name=PROPERTIES_FILE,
)

RANKINGS_SCHEMA = pa.DataFrameSchema(
    {
        "spotify_id": pa.Column(str),
        "name": pa.Column(str, nullable=True),
        "artists": pa.Column(str, nullable=True),
        "popularity": pa.Column(int, within(0, 100)),
        "daily_rank": pa.Column(int, within(1, CHART_SIZE)),
        "daily_movement": pa.Column(int),
        "weekly_movement": pa.Column(int),
        "country": pa.Column(
            str,
            pa.Check.isin(COUNTRY_CODES, error="not one of the 72 country codes"),
            nullable=True,  # the Global chart
        ),
        "snapshot_date": pa.Column(DATE),
        "album_name": pa.Column(str, nullable=True),
        "album_release_date": pa.Column(DATE, nullable=True),
    },
    # A song is on a chart at most once a day; the first of any repeats is not reported.
    unique=["spotify_id", "country", "snapshot_date"],
    report_duplicates="exclude_first",
    strict=True,
    name=RANKINGS_FILE,
)


def rankings_schema(known_songs: pd.Series) -> pa.DataFrameSchema:
    """RANKINGS_SCHEMA plus the check across the two files: every song has properties."""
    known = pa.Check.isin(known_songs, error=f"a song with no row in {PROPERTIES_FILE}")
    return RANKINGS_SCHEMA.update_column("spotify_id", checks=[known])


# The kind of each column as pandas holds it. Text reads back as `object` in pandas 2 and as
# `str` in pandas 3; STRING stands for both.
STRING = "str"


def _pandas_dtype(column: pa.Column) -> str:
    kinds = (
        (pandera.dtypes.is_string, STRING),
        (pandera.dtypes.is_bool, "bool"),
        (pandera.dtypes.is_int, "int64"),
        (pandera.dtypes.is_float, "float64"),
        (pandera.dtypes.is_datetime, DATE),
    )
    return next(dtype for test, dtype in kinds if test(column.dtype))


PROPERTIES_DTYPES: dict[str, str] = {
    name: _pandas_dtype(column) for name, column in PROPERTIES_SCHEMA.columns.items()
}
RANKINGS_DTYPES: dict[str, str] = {
    name: _pandas_dtype(column) for name, column in RANKINGS_SCHEMA.columns.items()
}
PROPERTIES_COLUMNS: tuple[str, ...] = tuple(PROPERTIES_DTYPES)
RANKINGS_COLUMNS: tuple[str, ...] = tuple(RANKINGS_DTYPES)

# Columns of the Kaggle file `universal_top_spotify_songs.csv`.
CSV_COLUMNS: tuple[str, ...] = (
    "spotify_id", "name", "artists", "daily_rank", "daily_movement", "weekly_movement",
    "country", "snapshot_date", "popularity", "is_explicit", "duration_ms", "album_name",
    "album_release_date", "danceability", "energy", "key", "loudness", "mode",
    "speechiness", "acousticness", "instrumentalness", "liveness", "valence", "tempo",
    "time_signature",
)  # fmt: skip


def arrow_schema(dtypes: dict[str, str]) -> pa_arrow.Schema:
    """The Parquet schema of a file whose pandas dtypes are `dtypes`."""
    arrow_types = {
        STRING: pa_arrow.string(),
        DATE: pa_arrow.timestamp("us"),
        "bool": pa_arrow.bool_(),
        "int64": pa_arrow.int64(),
        "float64": pa_arrow.float64(),
    }
    return pa_arrow.schema([(name, arrow_types[dtype]) for name, dtype in dtypes.items()])


def as_text(values: pd.Series) -> pd.Series:
    """Python strings with None where a value is missing, the same in pandas 2 and 3.

    (`astype("str")` in pandas 2 turns a missing value into the text "nan".)
    """
    return pd.Series(
        [None if pd.isna(value) else str(value) for value in values],
        index=values.index,
        dtype=object,
    )


def conform(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """The columns of `dtypes`, in that order, cast to those dtypes (a new frame)."""
    return pd.DataFrame(
        {
            name: as_text(frame[name]) if dtype == STRING else frame[name].astype(dtype)
            for name, dtype in dtypes.items()
        }
    )
