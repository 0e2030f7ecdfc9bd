"""The dataset in the layout a feature store reads: one row per value, stamped with when it was true.

Notebook 9 writes these tables as the sources of jukebox/feature_repo/features.py:

- `song_table`: one row per song, its 13 audio features as float32 (what the model takes),
  stamped `released` (the album's release date: the day the audio is known);
- `popularity_table`: one row per song and day it charted, its popularity that day, stamped `day`;
- `chart_entities`: the label side of a training set, one row per song and country it charted
  in, stamped with its first chart day there (`event_timestamp`), as notebook 2 keeps them.

Timestamps are in UTC, as Feast stores them.
"""

from __future__ import annotations

import pandas as pd

from jukebox_workshop.columns import FEATURES


def _utc(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column).dt.tz_localize("UTC")


def song_table(properties: pd.DataFrame, rankings: pd.DataFrame) -> pd.DataFrame:
    released = rankings.groupby("spotify_id", as_index=False)["album_release_date"].min()
    songs = properties[["spotify_id", *FEATURES]].merge(
        released, on="spotify_id", validate="one_to_one"
    )
    songs[list(FEATURES)] = songs[list(FEATURES)].astype("float32")
    songs["released"] = _utc(songs.pop("album_release_date"))
    return songs.sort_values("spotify_id", ignore_index=True)


def popularity_table(rankings: pd.DataFrame) -> pd.DataFrame:
    daily = rankings.drop_duplicates(["spotify_id", "snapshot_date"])
    daily = daily[["spotify_id", "snapshot_date", "popularity"]].rename(
        columns={"snapshot_date": "day"}
    )
    daily["day"] = _utc(daily["day"])
    return daily.sort_values(["spotify_id", "day"], ignore_index=True)


def chart_entities(rankings: pd.DataFrame) -> pd.DataFrame:
    charted = rankings.dropna(subset=["country"])
    first = charted.groupby(["spotify_id", "country"], as_index=False)["snapshot_date"].min()
    first["event_timestamp"] = _utc(first.pop("snapshot_date"))
    return first
