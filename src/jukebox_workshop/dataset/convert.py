"""Turn the real Kaggle CSV into the two Parquet files the notebooks read.

`convert("universal_top_spotify_songs.csv", "real-data")`, then JUKEBOX_DATA_DIR=real-data
for the notebooks to use it. The source is "Top Spotify Songs in 73 Countries (Daily Updated)" on Kaggle. Properties
keep each song's latest snapshot; rankings keep one row per song, chart and day, with an
empty country for the Global chart. Rows the workshop cannot use (no id or date, audio
features missing or out of range, a country outside the 72) are dropped and counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .errors import DatasetExistsError, DatasetNotFoundError, DataValidationError
from .parquet import write_parquet
from .schema import (
    COUNTRY_CODES,
    CSV_COLUMNS,
    DATA_FILES,
    PROPERTIES_DTYPES,
    PROPERTIES_FILE,
    PROPERTIES_NULLABLE,
    PROPERTIES_RANGES,
    RANKINGS_DTYPES,
    RANKINGS_FILE,
    RANKINGS_NULLABLE,
    as_text,
    conform,
)
from .validate import properties_problems, rankings_problems

TEXT_COLUMNS = ("spotify_id", "name", "artists", "country", "album_name")
DATE_COLUMNS = ("snapshot_date", "album_release_date")
TRUE_FALSE = {"true": True, "false": False, "1": True, "0": False}


def convert(
    csv_path: str | Path, out_dir: str | Path, *, overwrite: bool = False
) -> dict[str, Any]:
    """Write song_properties.parquet and song_rankings.parquet from the Kaggle CSV.

    Refuses to replace existing files in `out_dir` unless `overwrite=True`. Returns a
    summary: counts of songs, rows, days and countries, and of what was dropped.
    """
    source, out = Path(csv_path), Path(out_dir)
    if not source.is_file():
        raise DatasetNotFoundError(f"{source} does not exist or is not a file.")
    _check_columns(source)
    existing = [name for name in DATA_FILES if (out / name).exists()]
    if existing and not overwrite:
        raise DatasetExistsError(
            f"{out} already holds {' and '.join(existing)}; pass overwrite=True "
            "(`--overwrite` on the command line) to replace them."
        )

    rows = _read(source)
    dropped: dict[str, int] = {}
    usable = rows["spotify_id"].notna() & rows["snapshot_date"].notna()
    dropped["rows_without_id_or_date"] = int((~usable).sum())
    rows = rows[usable]
    unknown = rows["country"].notna() & ~rows["country"].isin(COUNTRY_CODES)
    dropped["rows_of_other_countries"] = int(unknown.sum())
    rows = rows[~unknown]

    latest = rows.sort_values("snapshot_date", kind="stable").drop_duplicates(
        "spotify_id", keep="last"
    )
    properties = latest[list(PROPERTIES_DTYPES)]
    good = _complete(properties, PROPERTIES_NULLABLE) & _in_range(properties)
    dropped["songs_with_unusable_features"] = int((~good).sum())
    properties = properties[good]

    rankings = rows[rows["spotify_id"].isin(properties["spotify_id"])]
    complete = _complete(rankings[list(RANKINGS_DTYPES)], RANKINGS_NULLABLE)
    dropped["ranking_rows_incomplete"] = int((~complete).sum())
    rankings = rankings[complete]
    repeated = rankings.duplicated(["spotify_id", "country", "snapshot_date"])
    dropped["ranking_rows_repeated"] = int(repeated.sum())
    rankings = rankings[~repeated]

    properties = conform(properties, PROPERTIES_DTYPES).sort_values("spotify_id", ignore_index=True)
    rankings = conform(
        rankings.sort_values(["snapshot_date", "country", "daily_rank"], na_position="first"),
        RANKINGS_DTYPES,
    ).reset_index(drop=True)
    problems = properties_problems(properties) + rankings_problems(rankings, properties)
    if problems:
        raise DataValidationError(
            f"Converting {source} gave invalid data:\n" + "\n".join(problems), problems
        )

    out.mkdir(parents=True, exist_ok=True)
    write_parquet(properties, out / PROPERTIES_FILE, PROPERTIES_DTYPES)
    write_parquet(rankings, out / RANKINGS_FILE, RANKINGS_DTYPES)
    return {
        "csv": str(source),
        "out_dir": str(out),
        "songs": len(properties),
        "ranking_rows": len(rankings),
        "global_rows": int(rankings["country"].isna().sum()),
        "days": int(rankings["snapshot_date"].nunique()),
        "countries": int(rankings["country"].nunique()),
        "dropped": dropped,
    }


def _check_columns(source: Path) -> None:
    try:
        header = pd.read_csv(source, nrows=0)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataValidationError(
            f"{source} is not a readable CSV file ({error}). Expected the Kaggle file "
            "universal_top_spotify_songs.csv."
        ) from error
    missing = [name for name in CSV_COLUMNS if name not in header.columns]
    if missing:
        raise DataValidationError(
            f"{source} does not look like universal_top_spotify_songs.csv from the Kaggle "
            f"dataset 'Top Spotify Songs in 73 Countries (Daily Updated)': missing columns "
            f"{', '.join(missing)}."
        )


def _read(source: Path) -> pd.DataFrame:
    # Only empty fields are missing values: "NA" or "None" can be song titles.
    rows = pd.read_csv(
        source,
        usecols=list(CSV_COLUMNS),
        dtype=str,
        keep_default_na=False,
        na_values=[""],
    )
    for name in TEXT_COLUMNS:
        rows[name] = as_text(rows[name].str.strip().replace("", None))
    for name in DATE_COLUMNS:
        rows[name] = pd.to_datetime(rows[name], format="ISO8601", errors="coerce").astype(
            "datetime64[us]"
        )
    rows["is_explicit"] = rows["is_explicit"].str.strip().str.lower().map(TRUE_FALSE)
    numeric = [
        name for name in CSV_COLUMNS if name not in (*TEXT_COLUMNS, *DATE_COLUMNS, "is_explicit")
    ]
    for name in numeric:
        rows[name] = pd.to_numeric(rows[name], errors="coerce")
    return rows


def _complete(frame: pd.DataFrame, nullable: frozenset[str]) -> pd.Series:
    required = [name for name in frame.columns if name not in nullable]
    return frame[required].notna().all(axis=1)


def _in_range(properties: pd.DataFrame) -> pd.Series:
    inside = pd.Series(True, index=properties.index)
    for name, allowed in PROPERTIES_RANGES.items():
        inside &= allowed.contains(properties[name]).fillna(False)
    return inside
