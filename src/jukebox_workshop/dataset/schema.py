"""What the two data files hold: columns, types, allowed values, the model's features.

`song_properties.parquet` has one row per song (its audio features, latest snapshot);
`song_rankings.parquet` has one row per song, chart and day (the daily top 50 of 72
countries plus the Global chart). Global rows have a null `country` (NaN once read by
pandas), exactly as pandas reads the empty `country` field of the Kaggle CSV.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

PROPERTIES_FILE = "song_properties.parquet"
RANKINGS_FILE = "song_rankings.parquet"
REPORT_FILE = "generator_report.json"
DATA_FILES = (PROPERTIES_FILE, RANKINGS_FILE)

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

# The model's inputs, in this order. The target is `country`.
FEATURES: tuple[str, ...] = (
    "is_explicit", "duration_ms", "danceability", "energy", "key", "loudness", "mode",
    "speechiness", "acousticness", "instrumentalness", "liveness", "valence", "tempo",
)  # fmt: skip
TARGET = "country"

# The kind of each column. Text reads back as `object` in pandas 2 and as `str` in pandas 3.
STRING = "str"
DATE = "datetime64[us]"

PROPERTIES_DTYPES: dict[str, str] = {
    "spotify_id": STRING,
    "name": STRING,
    "artists": STRING,
    "snapshot_date": DATE,
    "is_explicit": "bool",
    "duration_ms": "int64",
    "danceability": "float64",
    "energy": "float64",
    "key": "int64",
    "loudness": "float64",
    "mode": "int64",
    "speechiness": "float64",
    "acousticness": "float64",
    "instrumentalness": "float64",
    "liveness": "float64",
    "valence": "float64",
    "tempo": "float64",
    "time_signature": "int64",
}

RANKINGS_DTYPES: dict[str, str] = {
    "spotify_id": STRING,
    "name": STRING,
    "artists": STRING,
    "popularity": "int64",
    "daily_rank": "int64",
    "daily_movement": "int64",
    "weekly_movement": "int64",
    "country": STRING,
    "snapshot_date": DATE,
    "album_name": STRING,
    "album_release_date": DATE,
}

PROPERTIES_COLUMNS: tuple[str, ...] = tuple(PROPERTIES_DTYPES)
RANKINGS_COLUMNS: tuple[str, ...] = tuple(RANKINGS_DTYPES)

# Columns that may be empty. Everything else must be filled in.
PROPERTIES_NULLABLE = frozenset({"name", "artists"})
RANKINGS_NULLABLE = frozenset({"name", "artists", "country", "album_name", "album_release_date"})

# Columns of the Kaggle file `universal_top_spotify_songs.csv`.
CSV_COLUMNS: tuple[str, ...] = (
    "spotify_id", "name", "artists", "daily_rank", "daily_movement", "weekly_movement",
    "country", "snapshot_date", "popularity", "is_explicit", "duration_ms", "album_name",
    "album_release_date", "danceability", "energy", "key", "loudness", "mode",
    "speechiness", "acousticness", "instrumentalness", "liveness", "valence", "tempo",
    "time_signature",
)  # fmt: skip


@dataclass(frozen=True)
class Range:
    """Allowed values of a numeric column: [low, high], or (low, high] when low_open."""

    low: float
    high: float
    low_open: bool = False

    def contains(self, values: pd.Series) -> pd.Series:
        above = values > self.low if self.low_open else values >= self.low
        return above & (values <= self.high)

    def __str__(self) -> str:
        return f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"


UNIT = Range(0, 1)
PROPERTIES_RANGES: dict[str, Range] = {
    "duration_ms": Range(0, 3_600_000, low_open=True),
    "danceability": UNIT,
    "energy": UNIT,
    "key": Range(0, 11),
    "loudness": Range(-60, 5),
    "mode": Range(0, 1),
    "speechiness": UNIT,
    "acousticness": UNIT,
    "instrumentalness": UNIT,
    "liveness": UNIT,
    "valence": UNIT,
    "tempo": Range(0, 300, low_open=True),
    "time_signature": Range(0, 7),
}
RANKINGS_RANGES: dict[str, Range] = {
    "popularity": Range(0, 100),
    "daily_rank": Range(1, CHART_SIZE),
}


def arrow_schema(dtypes: dict[str, str]) -> pa.Schema:
    """The Parquet schema of a file whose pandas dtypes are `dtypes`."""
    arrow_types = {
        STRING: pa.string(),
        DATE: pa.timestamp("us"),
        "bool": pa.bool_(),
        "int64": pa.int64(),
        "float64": pa.float64(),
    }
    return pa.schema([(name, arrow_types[dtype]) for name, dtype in dtypes.items()])


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
