"""Generate the workshop's song dataset: realistic, seeded, and with a known best score.

`generate("jukebox/data")` is what `make data` runs. The songs' audio features follow
the real charts' distributions and correlations (`features`); every country has a weak
taste, so each song has a true p(country | features) (`taste`); each song's countries
are drawn from it, and the songs are laid out in daily top-50 charts (`charts`) with
made-up names (`names`). Because p is known, the generator reports the Bayes accuracy:
the best top-1 and top-5 any model can reach.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from jukebox_workshop.dataset.build import charts, names, taste
from jukebox_workshop.dataset.build.features import quantile_map, sample_features
from jukebox_workshop.dataset.parquet import write_parquet
from jukebox_workshop.dataset.schema import CHART_SIZE, COUNTRY_CODES, PROPERTIES_DTYPES, RANKINGS_DTYPES, conform
from jukebox_workshop.settings import PROPERTIES_FILE, RANKINGS_FILE, REPORT_FILE

DEFAULT_SEED = 2025
DEFAULT_N_DAYS = 120
DEFAULT_START_DATE = "2024-04-01"
DEFAULT_TASTE_STRENGTH = 1.6
MIN_DAYS = 8  # weekly movements need a week of history

GLOBAL_CHART = len(COUNTRY_CODES)  # chart index of the Global top 50

# Popularity of chart rows (quantile knots, as in `features`).
POPULARITY_KNOTS = (
    (0, 0), (0.003, 15), (0.01, 38), (0.05, 53), (0.25, 67), (0.5, 83), (0.75, 90),
    (0.95, 97), (1, 100),
)  # fmt: skip


@dataclass(frozen=True)
class GeneratedDataset:
    """The two tables, each song's true p(country | features), and the report."""

    properties: pd.DataFrame
    rankings: pd.DataFrame
    probabilities: pd.DataFrame  # index spotify_id, one column per country code
    report: dict[str, Any]


def generate(
    out_dir: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    n_days: int = DEFAULT_N_DAYS,
    start_date: str = DEFAULT_START_DATE,
    taste_strength: float = DEFAULT_TASTE_STRENGTH,
) -> dict[str, Any]:
    """Write song_properties.parquet, song_rankings.parquet and generator_report.json.

    Existing files in `out_dir` are replaced. The same arguments give the same bytes.
    Returns the report (also written to generator_report.json).
    """
    dataset = build_dataset(
        seed=seed, n_days=n_days, start_date=start_date, taste_strength=taste_strength
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_parquet(dataset.properties, out / PROPERTIES_FILE, PROPERTIES_DTYPES)
    write_parquet(dataset.rankings, out / RANKINGS_FILE, RANKINGS_DTYPES)
    (out / REPORT_FILE).write_text(json.dumps(dataset.report, indent=2) + "\n")
    return dataset.report


def build_dataset(
    *,
    seed: int = DEFAULT_SEED,
    n_days: int = DEFAULT_N_DAYS,
    start_date: str = DEFAULT_START_DATE,
    taste_strength: float = DEFAULT_TASTE_STRENGTH,
) -> GeneratedDataset:
    """Generate the dataset in memory (see `generate`)."""
    if n_days < MIN_DAYS:
        raise ValueError(f"n_days must be at least {MIN_DAYS}, got {n_days}")
    rng = {
        stage: np.random.default_rng([seed, i])
        for i, stage in enumerate(
            ("reach", "features", "taste", "countries", "charts", "popularity", "names")
        )
    }

    # Songs, their true p(country | features), and the countries each one charts in.
    targets = charts.songs_per_chart(len(COUNTRY_CODES), n_days, rng["reach"])
    reach = _reach_for_pairs(targets.sum(), rng["reach"])
    songs = sample_features(len(reach), rng["features"])
    model = taste.build_taste_model(taste_strength, rng["taste"])
    model = taste.calibrate_intercepts(model, songs, reach, targets)
    probabilities = model.probabilities(songs)
    song_countries = taste.draw_countries(probabilities, reach, rng["countries"])
    chart_songs, topped_up = _country_charts(song_countries, probabilities, rng["countries"])
    reach = np.bincount(np.concatenate(chart_songs), minlength=len(songs))

    # The Global chart takes the widest hits; then every chart is laid out day by day.
    strength = 0.5 * np.log(reach) + 0.8 * rng["charts"].standard_normal(len(songs))
    n_global = round(CHART_SIZE + charts.GLOBAL_SONGS_PER_DAY * (n_days - 1))
    global_score = np.log(reach) + 0.5 * strength
    chart_songs.append(np.sort(np.argsort(-global_score, kind="stable")[:n_global]))
    release_order = rng["charts"].random(len(songs))
    entries = charts.schedule(
        chart_songs, release_order, np.exp(0.4 * strength), n_days, rng["charts"]
    )
    appeal = strength[entries.song] + 0.6 * rng["charts"].standard_normal(len(entries.song))
    rows = charts.daily_rows(entries, appeal, n_days, rng["charts"])
    popularity = _popularity(rows, entries, strength, rng["popularity"])

    first_day = np.full(len(songs), np.inf)
    np.minimum.at(first_day, entries.song, entries.virtual_start)
    main_market = np.array([countries[0] for countries in song_countries])
    labels = _labels(main_market, np.floor(first_day).astype(np.int64), rng["names"])
    last_day = np.zeros(len(songs), dtype=np.int64)
    np.maximum.at(last_day, entries.song, entries.end - 1)

    start = pd.Timestamp(start_date)
    properties, rankings = _tables(songs, labels, last_day, rows, popularity, start)
    probability_table = pd.DataFrame(
        probabilities,
        index=pd.Index(labels["spotify_id"], name="spotify_id"),
        columns=list(COUNTRY_CODES),
    ).loc[properties["spotify_id"]]
    report = {
        "generator": "jukebox_workshop.dataset.build.generate",
        "seed": seed,
        "parameters": {
            "n_days": n_days,
            "start_date": start_date,
            "taste_strength": taste_strength,
        },
        "counts": _counts(chart_songs, reach, rankings, n_days, topped_up),
        "countries_per_song": _countries_per_song(reach),
        "bayes": _bayes(probabilities, chart_songs),
    }
    return GeneratedDataset(properties, rankings, probability_table, report)


def _tables(
    songs: pd.DataFrame,
    labels: dict[str, np.ndarray],
    last_day: np.ndarray,
    rows: charts.ChartRows,
    popularity: np.ndarray,
    start: pd.Timestamp,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The song-properties and rankings tables, in the schema's columns and types."""
    properties = songs.assign(
        spotify_id=labels["spotify_id"],
        name=labels["name"],
        artists=labels["artists"],
        snapshot_date=start + pd.to_timedelta(last_day, unit="D"),
    )
    song = rows.song
    rankings = pd.DataFrame(
        {
            "spotify_id": labels["spotify_id"][song],
            "name": labels["name"][song],
            "artists": labels["artists"][song],
            "popularity": popularity,
            "daily_rank": rows.daily_rank,
            "daily_movement": rows.daily_movement,
            "weekly_movement": rows.weekly_movement,
            "country": np.array([*COUNTRY_CODES, None], dtype=object)[rows.chart],
            "snapshot_date": start + pd.to_timedelta(rows.day, unit="D"),
            "album_name": labels["album_name"][song],
            "album_release_date": start
            + pd.to_timedelta(labels["album_release_day"][song], unit="D"),
        }
    )
    # Day by day, the Global chart first, then the countries, each by rank.
    chart_order = (rows.chart + 1) % (GLOBAL_CHART + 1)
    order = np.lexsort((rows.daily_rank, chart_order, rows.day))
    return (
        conform(properties, PROPERTIES_DTYPES).sort_values("spotify_id", ignore_index=True),
        conform(rankings.iloc[order], RANKINGS_DTYPES).reset_index(drop=True),
    )


def _reach_for_pairs(n_pairs: float, rng: np.random.Generator) -> np.ndarray:
    """Reach of just enough songs for `n_pairs` (song, country) pairs."""
    reach = charts.draw_reach(int(n_pairs), rng)
    return reach[: int(np.searchsorted(np.cumsum(reach), n_pairs)) + 1]


def _country_charts(
    song_countries: list[np.ndarray], probabilities: np.ndarray, rng: np.random.Generator
) -> tuple[list[np.ndarray], int]:
    """Each country's songs; a country short of 50 songs is topped up from p(country|features).

    Returns the charts and how many (song, country) pairs were added that way (0 unless
    the dataset is very short).
    """
    song = np.repeat(np.arange(len(song_countries)), [len(c) for c in song_countries])
    country = np.concatenate(song_countries)
    chart_songs = [np.sort(song[country == c]) for c in range(len(COUNTRY_CODES))]
    added = 0
    for c, members in enumerate(chart_songs):
        missing = CHART_SIZE - len(members)
        if missing > 0:
            weights = np.log(probabilities[:, c]) + rng.gumbel(size=len(probabilities))
            weights[members] = -np.inf
            extra = np.argsort(-weights, kind="stable")[:missing]
            chart_songs[c] = np.sort(np.concatenate([members, extra]))
            added += missing
    return chart_songs, added


def _popularity(
    rows: charts.ChartRows,
    entries: charts.ChartEntries,
    strength: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Spotify popularity per row: one value per song and day, high for strong, fresh songs."""
    n_songs = len(strength)
    first = np.full(n_songs, np.inf)
    last = np.full(n_songs, -np.inf)
    np.minimum.at(first, entries.song, entries.virtual_start)
    np.maximum.at(last, entries.song, entries.virtual_end)
    progress = (rows.day - first[rows.song]) / (last[rows.song] - first[rows.song])
    own = rng.standard_normal(n_songs)
    latent = 0.7 * strength[rows.song] + 0.6 * own[rows.song] - 0.6 * progress
    # Map the rows' ranks onto the real distribution (ties, the same song and day, stay tied).
    ranks = pd.Series(latent).rank(method="average").to_numpy()
    scores = ndtri((ranks - 0.5) / len(ranks))
    return np.round(quantile_map(scores, POPULARITY_KNOTS)).astype(np.int64)


def _labels(
    main_market: np.ndarray, first_day: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Ids, titles, artists, albums and album release dates of every song."""
    n_songs = len(main_market)
    language = np.array(
        [names.LANGUAGE_OF_COUNTRY.get(COUNTRY_CODES[c], "en") for c in main_market]
    )
    ids = names.spotify_ids(n_songs, rng)
    titles = np.array([names.song_title(lang, rng) for lang in language], dtype=object)

    pool = names.artist_names(n_songs * 2 // 5, rng)
    weights = 1.0 / (np.arange(len(pool)) + 100.0)  # a few artists with many songs
    main = rng.choice(len(pool), size=n_songs, p=weights / weights.sum())
    guest = rng.choice(len(pool), size=n_songs, p=weights / weights.sum())
    featured = (rng.random(n_songs) < 0.22) & (guest != main)
    artists = np.array(
        [
            f"{pool[m]}, {pool[g]}" if f else pool[m]
            for m, g, f in zip(main, guest, featured, strict=True)
        ],
        dtype=object,
    )

    # Half the songs are singles (album named after the song); the rest come from one of
    # their main artist's two albums, released before its first song charted.
    album_slot = np.where(rng.random(n_songs) < 0.5, -1, rng.integers(0, 2, size=n_songs))
    lag_days = np.where(
        rng.random(n_songs) < 0.05,
        rng.uniform(365, 25 * 365, size=n_songs),  # catalogue songs coming back
        rng.lognormal(np.log(20), 1.0, size=n_songs),
    ).astype(np.int64)
    album_key = np.where(album_slot < 0, -1 - np.arange(n_songs), main * 2 + album_slot)
    earliest = pd.Series(first_day - lag_days).groupby(album_key).min()
    release_day = pd.Series(album_key).map(earliest).to_numpy()
    album_names: dict[int, str] = {}
    for i, key in enumerate(album_key):
        if key >= 0 and key not in album_names:
            album_names[key] = names.album_title(language[i], rng)
    album = np.array(
        [titles[i] if key < 0 else album_names[key] for i, key in enumerate(album_key)],
        dtype=object,
    )
    return {
        "spotify_id": ids,
        "name": titles,
        "artists": artists,
        "album_name": album,
        "album_release_day": release_day,
    }


def _figure(value: float) -> float:
    return round(float(value), 4)


def _pairs(chart_songs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(song, country) of every pair that charted in a country."""
    country_charts = chart_songs[:GLOBAL_CHART]
    pair_song = np.concatenate(country_charts)
    pair_country = np.repeat(np.arange(GLOBAL_CHART), [len(s) for s in country_charts])
    return pair_song, pair_country


def _counts(
    chart_songs: list[np.ndarray],
    reach: np.ndarray,
    rankings: pd.DataFrame,
    n_days: int,
    topped_up: int,
) -> dict[str, Any]:
    per_country = np.array([len(s) for s in chart_songs[:GLOBAL_CHART]])
    return {
        "songs": len(reach),
        "ranking_rows": len(rankings),
        "global_rows": int(rankings["country"].isna().sum()),
        "days": n_days,
        "countries": len(COUNTRY_CODES),
        "song_country_pairs": int(per_country.sum()),
        "songs_on_global_chart": len(chart_songs[GLOBAL_CHART]),
        "songs_per_country": {
            "min": int(per_country.min()),
            "median": _figure(np.median(per_country)),
            "max": int(per_country.max()),
        },
        "pairs_added_to_fill_charts": topped_up,
    }


def _countries_per_song(reach: np.ndarray) -> dict[str, Any]:
    return {
        "one_country_share": _figure((reach == 1).mean()),
        "p90": _figure(np.percentile(reach, 90)),
        "p99": _figure(np.percentile(reach, 99)),
        "max": int(reach.max()),
    }


def _bayes(probabilities: np.ndarray, chart_songs: list[np.ndarray]) -> dict[str, Any]:
    pair_song, pair_country = _pairs(chart_songs)
    n_countries = len(COUNTRY_CODES)
    return {
        "description": (
            "Best achievable accuracy of predicting the country from the 13 features, "
            "from the true p(country | features). top1/top5: share of distinct (song, "
            "country) pairs whose country is among the song's 1 or 5 most likely; "
            "expected_*: mean over songs of the summed probability of those countries."
        ),
        "top1": _figure(taste.bayes_accuracy(probabilities, pair_song, pair_country, 1)),
        "top5": _figure(taste.bayes_accuracy(probabilities, pair_song, pair_country, 5)),
        "expected_top1": _figure(taste.expected_bayes_accuracy(probabilities, 1)),
        "expected_top5": _figure(taste.expected_bayes_accuracy(probabilities, 5)),
        "chance_top1": _figure(1 / n_countries),
        "chance_top5": _figure(5 / n_countries),
    }
