"""Turn a copy of the real Kaggle CSV into the two Parquet files the notebooks read.

`convert("universal_top_spotify_songs.csv", "real-data")`, then JUKEBOX_DATA_DIR=real-data
for the notebooks to use it. The source is "Top Spotify Songs in 73 Countries (Daily
Updated)" on Kaggle. Properties keep each song's latest snapshot; rankings keep one row per
song, chart and day, with an empty country for the Global chart.

The schemas decide what is usable: a row needs a song id and a date; a song whose latest
snapshot breaks PROPERTIES_SCHEMA (an audio feature missing or out of range) loses all its
rows; a chart row that breaks RANKINGS_SCHEMA (a country outside the 72, a repeat) is
dropped. Each dropped row is counted under its reason. A file of which less than half is
usable, or that leaves too few songs for the notebooks, is refused: nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from jukebox_workshop.errors import DatasetExistsError, DatasetNotFoundError, DataValidationError
from jukebox_workshop.dataset.build.kaggle_csv import read_chart_file
from jukebox_workshop.dataset.parquet import write_parquet
from jukebox_workshop.dataset.schema import PROPERTIES_DTYPES, PROPERTIES_SCHEMA, RANKINGS_DTYPES, RANKINGS_SCHEMA, conform, rankings_schema
from jukebox_workshop.settings import DATA_FILES, PROPERTIES_FILE, RANKINGS_FILE
from jukebox_workshop.dataset.validate import failures, problems, raise_problems, reason

MIN_USABLE_SHARE = 0.5  # a file mostly dropped was misread, not merely untidy
MIN_SONGS = 800  # with fewer, a test set of 15% of the songs cannot tell a model from a guess


def convert(
    csv_path: str | Path,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    dates: str | None = None,
) -> dict[str, Any]:
    """Write song_properties.parquet and song_rankings.parquet from a copy of the Kaggle CSV.

    Refuses to replace existing files in `out_dir` unless `overwrite=True`. `dates`
    ("month-first" or "day-first") says how to read dates like 2/12/2025 when the file does
    not tell (the release dates usually do). Returns a
    summary: rows read and kept, songs, days and countries, and how many rows were dropped
    for which reason.
    """
    source, out = Path(csv_path), Path(out_dir)
    if not source.is_file():
        raise DatasetNotFoundError(f"{source} does not exist or is not a file.")
    chart_file = read_chart_file(source, dates)
    existing = [name for name in DATA_FILES if (out / name).exists()]
    if existing and not overwrite:
        raise DatasetExistsError(
            f"{out} already holds {' and '.join(existing)}; pass overwrite=True "
            "(`--overwrite` on the command line) to replace them."
        )

    rows = chart_file.rows
    why = pd.Series(None, index=rows.index, dtype=object)  # why each row was dropped
    for column in ("spotify_id", "snapshot_date"):
        why = why.where(why.notna() | rows[column].notna(), f"no {column}")
    properties = _usable_songs(rows[why.isna()], why)
    of_usable_songs = why.isna() & rows["spotify_id"].isin(properties["spotify_id"])
    rankings = _usable_chart_rows(rows[of_usable_songs], why)
    properties = properties[properties["spotify_id"].isin(rankings["spotify_id"])]
    summary = {
        "csv": str(source),
        "out_dir": str(out),
        "rows_read": len(rows),
        "ranking_rows": len(rankings),
        "songs": len(properties),
        "global_rows": int(rankings["country"].isna().sum()),
        "days": int(rankings["snapshot_date"].nunique()),
        "countries": int(rankings["country"].nunique()),
        "dropped": {str(k): int(v) for k, v in why.value_counts().items()},
        "unreadable": chart_file.unreadable,
        "notes": chart_file.notes,
    }
    _refuse_too_little(source, summary, rankings)

    properties = properties.sort_values("spotify_id", ignore_index=True)
    rankings = rankings.sort_values(
        ["snapshot_date", "country", "daily_rank"], na_position="first", ignore_index=True
    )
    raise_problems(
        problems(properties, PROPERTIES_SCHEMA)
        + problems(rankings, rankings_schema(properties["spotify_id"]))
    )
    out.mkdir(parents=True, exist_ok=True)
    write_parquet(properties, out / PROPERTIES_FILE, PROPERTIES_DTYPES)
    write_parquet(rankings, out / RANKINGS_FILE, RANKINGS_DTYPES)
    return summary


def _usable_songs(rows: pd.DataFrame, why: pd.Series) -> pd.DataFrame:
    """Each song's latest snapshot, if it passes PROPERTIES_SCHEMA; marks the others' rows."""
    latest = rows.sort_values("snapshot_date", kind="stable").drop_duplicates(
        "spotify_id", keep="last"
    )
    rejected = _rejected(latest, PROPERTIES_SCHEMA, PROPERTIES_DTYPES)
    song_reasons = pd.Series(
        [f"song's {text}" for text in rejected],
        index=latest.loc[rejected.index, "spotify_id"],
        dtype=object,
    )
    of_rejected = rows["spotify_id"].map(song_reasons).dropna()
    why.loc[of_rejected.index] = of_rejected
    return conform(latest.drop(index=rejected.index), PROPERTIES_DTYPES)


def _usable_chart_rows(rows: pd.DataFrame, why: pd.Series) -> pd.DataFrame:
    """The rows that pass RANKINGS_SCHEMA; marks the others."""
    rejected = _rejected(rows, RANKINGS_SCHEMA, RANKINGS_DTYPES)
    why.loc[rejected.index] = rejected
    return conform(rows.drop(index=rejected.index), RANKINGS_DTYPES)


def _rejected(rows: pd.DataFrame, schema: pa.DataFrameSchema, dtypes: dict[str, str]) -> pd.Series:
    """Why each row that breaks `schema` does (index: the row's), in words."""
    why = pd.Series(None, index=rows.index, dtype=object)
    for name, column in schema.columns.items():
        if not column.nullable:
            why = why.where(why.notna() | rows[name].notna(), reason(schema, name, "not_nullable"))
    complete = conform(rows[why.isna()], dtypes)
    cases = failures(complete, schema)
    if cases["index"].isna().any():  # a whole column is wrong: a bug here, not in the file
        raise_problems(problems(complete, schema))
    for (column, check), group in cases.groupby(["column", "check"], sort=False):
        why.loc[group["index"].astype(rows.index.dtype)] = reason(schema, column, check)
    return why.dropna()


def _refuse_too_little(source: Path, summary: dict[str, Any], rankings: pd.DataFrame) -> None:
    read, kept = summary["rows_read"], summary["ranking_rows"]
    dropped = "; ".join(f"{k}: {v:,}" for k, v in summary["dropped"].items())
    if kept < MIN_USABLE_SHARE * read:
        raise DataValidationError(
            f"{source}: only {kept:,} of {read:,} rows are usable, so nothing was written. "
            f"Rows dropped, by reason: {dropped}. Check the columns named there, or use the "
            "file as downloaded from Kaggle."
        )
    songs = rankings.dropna(subset=["country"])["spotify_id"].nunique()
    if songs < MIN_SONGS:
        raise DataValidationError(
            f"{source}: only {songs} songs are on a country's chart, so nothing was written. "
            f"The notebooks need at least {MIN_SONGS}: they keep 15% of the songs to test the "
            "model, and fewer test songs cannot tell a trained model from a guess. Use a "
            "larger part of the Kaggle file, for example whole days of charts."
        )
