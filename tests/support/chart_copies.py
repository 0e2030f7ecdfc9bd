"""Copies of the Kaggle chart file as instructors have them, made from generated data.

The real file cannot be committed, so the tests write look-alikes: the generated charts in
the Kaggle columns, then saved the ways real copies come (a spreadsheet's dates and
booleans, `;` and decimal commas, no album columns) and cut the way real copies are cut
(one day, a sample of each chart: a few songs per country, some countries with 2 or 3).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from jukebox_workshop.dataset.build.generate import MIN_DAYS, build_dataset
from jukebox_workshop.dataset.schema import CHART_SIZE, CSV_COLUMNS

DATE_LAYOUTS = {"iso": "%Y-%m-%d", "month first": "%-m/%-d/%Y", "day first": "%-d/%-m/%Y"}
BOOLEANS = {"True": ("True", "False"), "TRUE": ("TRUE", "FALSE"), "1": ("1", "0")}


def kaggle_rows(properties: pd.DataFrame, rankings: pd.DataFrame) -> pd.DataFrame:
    """The two tables joined back into the Kaggle file's rows and columns."""
    features = properties.drop(columns=["name", "artists", "snapshot_date"])
    return rankings.merge(features, on="spotify_id", validate="many_to_one")[list(CSV_COLUMNS)]


def write_copy(
    rows: pd.DataFrame,
    path: Path,
    *,
    dates: str = "iso",
    booleans: str = "True",
    separator: str = ",",
    without: tuple[str, ...] = (),
) -> Path:
    """Save `rows` as a CSV the way a copy of the Kaggle file may be written.

    `separator=";"` writes decimal commas and a byte-order mark, as a spreadsheet set to a
    European language does.
    """
    text = rows.drop(columns=list(without)).copy()
    for name in ("snapshot_date", "album_release_date"):
        if name in text:
            text[name] = text[name].dt.strftime(DATE_LAYOUTS[dates])
    yes, no = BOOLEANS[booleans]
    text["is_explicit"] = np.where(text["is_explicit"].astype(bool), yes, no)
    european = separator == ";"
    text.to_csv(
        path,
        index=False,
        sep=separator,
        decimal="," if european else ".",
        encoding="utf-8-sig" if european else "utf-8",
    )
    return path


def realistic_rows(seed: int = 7, thin_countries: int = 6) -> pd.DataFrame:
    """One day of charts, 72 countries + Global, each chart a sample: like a real cut copy.

    Most countries keep between 4 and 50 of their day's 50 songs; `thin_countries` keep
    only 2 or 3. The Global chart is complete.
    """
    dataset = build_dataset(seed=seed, n_days=MIN_DAYS)
    rows = kaggle_rows(dataset.properties, dataset.rankings)
    day = rows[rows["snapshot_date"] == rows["snapshot_date"].max()]
    rng = np.random.default_rng(seed)
    countries = day["country"].dropna().unique()
    keep = dict(zip(countries, rng.integers(4, CHART_SIZE + 1, len(countries)), strict=True))
    for country in rng.choice(countries, thin_countries, replace=False):
        keep[country] = int(rng.integers(2, 4))
    parts = [day[day["country"].isna()]]
    for country, count in keep.items():
        chart = day[day["country"] == country]
        parts.append(chart.sample(n=int(count), random_state=seed))
    return pd.concat(parts).sort_index(ignore_index=True)
