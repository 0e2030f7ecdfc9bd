"""Check the two data files before a notebook trusts them, and say what is wrong.

`properties, rankings = validate_dataset()` reads JUKEBOX_DATA_DIR (or jukebox/data when
it is not set) and returns both frames once they pass. Every problem found is listed in one `DataValidationError`, each line naming the file,
the column and what is wrong, e.g. "song_properties.parquet, column 'danceability':
3 values outside [0, 1] (e.g. 1.7)."
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..settings import data_dir as default_data_dir
from .errors import DatasetNotFoundError, DataValidationError
from .parquet import read_parquet
from .schema import (
    COUNTRY_CODES,
    PROPERTIES_DTYPES,
    PROPERTIES_FILE,
    PROPERTIES_NULLABLE,
    PROPERTIES_RANGES,
    RANKINGS_DTYPES,
    RANKINGS_FILE,
    RANKINGS_NULLABLE,
    RANKINGS_RANGES,
    STRING,
    Range,
)

FIX_HINT = "Fix the data, or regenerate it with `make data` (convert the real CSV with `jukebox data convert`)."
EXAMPLES = 3


def validate_dataset(data_dir: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and check song_properties.parquet and song_rankings.parquet; return both frames.

    `data_dir` defaults to JUKEBOX_DATA_DIR, or jukebox/data when that is not set.
    """
    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    missing = [name for name in (PROPERTIES_FILE, RANKINGS_FILE) if not (folder / name).is_file()]
    if missing:
        raise DatasetNotFoundError(
            f"No {' or '.join(missing)} in {folder}. Generate the data with `make data`, "
            "or set JUKEBOX_DATA_DIR to the folder holding song_properties.parquet and "
            "song_rankings.parquet."
        )
    properties = read_parquet(folder / PROPERTIES_FILE)
    rankings = read_parquet(folder / RANKINGS_FILE)
    problems = properties_problems(properties) + rankings_problems(rankings, properties)
    _raise_if_any(problems)
    return properties, rankings


def validate_properties(properties: pd.DataFrame, file_name: str = PROPERTIES_FILE) -> None:
    """Raise `DataValidationError` unless `properties` is a valid song-properties table."""
    _raise_if_any(properties_problems(properties, file_name))


def validate_rankings(
    rankings: pd.DataFrame,
    properties: pd.DataFrame | None = None,
    file_name: str = RANKINGS_FILE,
) -> None:
    """Raise `DataValidationError` unless `rankings` is a valid rankings table.

    With `properties`, also check that every ranked song has properties.
    """
    _raise_if_any(rankings_problems(rankings, properties, file_name))


def properties_problems(properties: pd.DataFrame, file_name: str = PROPERTIES_FILE) -> list[str]:
    """Every problem of a song-properties table, one line each (empty when valid)."""
    problems = _table_problems(
        properties, file_name, PROPERTIES_DTYPES, PROPERTIES_NULLABLE, PROPERTIES_RANGES
    )
    if "spotify_id" in properties:
        duplicated = properties["spotify_id"][properties["spotify_id"].duplicated()].dropna()
        if len(duplicated):
            problems.append(
                f"{file_name}, column 'spotify_id': {duplicated.nunique()} songs appear more "
                f"than once (e.g. {_examples(duplicated.unique())}); keep one row per song."
            )
    return problems


def rankings_problems(
    rankings: pd.DataFrame,
    properties: pd.DataFrame | None = None,
    file_name: str = RANKINGS_FILE,
) -> list[str]:
    """Every problem of a rankings table, one line each (empty when valid)."""
    problems = _table_problems(
        rankings, file_name, RANKINGS_DTYPES, RANKINGS_NULLABLE, RANKINGS_RANGES
    )
    if "country" in rankings:
        codes = rankings["country"].dropna()
        unknown = codes[~codes.isin(COUNTRY_CODES)].unique()
        if len(unknown):
            problems.append(
                f"{file_name}, column 'country': {len(unknown)} unknown country codes "
                f"(e.g. {_examples(unknown)}); expected one of the 72 ISO codes in "
                "COUNTRY_CODES, or empty for the Global chart."
            )
    key = ["spotify_id", "country", "snapshot_date"]
    if set(key) <= set(rankings.columns):
        repeated = rankings.duplicated(key)
        if repeated.any():
            problems.append(
                f"{file_name}, columns {', '.join(key)}: {int(repeated.sum())} rows repeat "
                f"a song on the same chart and day (e.g. {_examples(rankings.loc[repeated, 'spotify_id'])})."
            )
    if properties is not None and "spotify_id" in rankings and "spotify_id" in properties:
        ranked = pd.Series(rankings["spotify_id"].dropna().unique())
        orphans = ranked[~ranked.isin(properties["spotify_id"])]
        if len(orphans):
            problems.append(
                f"{file_name}, column 'spotify_id': {len(orphans)} songs have no row in "
                f"{PROPERTIES_FILE} (e.g. {_examples(orphans)})."
            )
    return problems


def _table_problems(
    frame: pd.DataFrame,
    file_name: str,
    dtypes: dict[str, str],
    nullable: frozenset[str],
    ranges: dict[str, Range],
) -> list[str]:
    problems: list[str] = []
    missing = [name for name in dtypes if name not in frame.columns]
    extra = [str(name) for name in frame.columns if name not in dtypes]
    if missing:
        problems.append(f"{file_name}: missing columns {', '.join(map(repr, missing))}.")
    if extra:
        problems.append(f"{file_name}: unexpected columns {', '.join(map(repr, extra))}.")
    for name, dtype in dtypes.items():
        if name not in frame.columns:
            continue
        column = frame[name]
        where = f"{file_name}, column '{name}'"
        if not _has_kind(column, dtype):
            problems.append(f"{where}: expected {_describe(dtype)} values, found {column.dtype}.")
            continue
        nulls = int(column.isna().sum())
        if nulls and name not in nullable:
            problems.append(f"{where}: {nulls} empty values; every row needs one.")
        if name in ranges:
            values = column.dropna()
            outside = values[~ranges[name].contains(values)]
            if len(outside):
                problems.append(
                    f"{where}: {len(outside)} values outside {ranges[name]} (e.g. {_examples(outside)})."
                )
    return problems


def _has_kind(column: pd.Series, dtype: str) -> bool:
    if dtype == STRING:
        return pd.api.types.infer_dtype(column, skipna=True) in {"string", "empty"}
    if dtype == "bool":
        return pd.api.types.is_bool_dtype(column)
    if dtype == "int64":
        return pd.api.types.is_integer_dtype(column)
    if dtype == "float64":
        return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    return pd.api.types.is_datetime64_any_dtype(column)


def _describe(dtype: str) -> str:
    return {
        STRING: "text",
        "bool": "true/false",
        "int64": "integer",
        "float64": "numeric",
    }.get(dtype, "date")


def _examples(values: Iterable[object]) -> str:
    shown = []
    for value in values:
        shown.append(f"{value:g}" if isinstance(value, float) else str(value))
        if len(shown) == EXAMPLES:
            break
    return ", ".join(shown)


def _raise_if_any(problems: list[str]) -> None:
    if problems:
        raise DataValidationError("\n".join([*problems, FIX_HINT]), problems)
