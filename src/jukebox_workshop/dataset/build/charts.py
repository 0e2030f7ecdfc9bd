"""Daily top-50 charts: which songs are on which chart on which day, at which rank.

Every chart is 50 "lanes"; a lane holds one song at a time and hands over to the next
song when the current one drops out, so each chart has exactly 50 songs every day. The
first song of a lane started before the first day and the last one stays after the last
day: they get virtual days outside the window so ranks and movements look settled from
day one. Stronger songs stay longer and rank higher; songs slide down as they age.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jukebox_workshop.dataset.schema import CHART_SIZE

SONGS_PER_DAY = 4.0  # new songs per day on a country chart (real: median 1.8, up to about 5)
GLOBAL_SONGS_PER_DAY = 1.0  # the Global chart changes more slowly
SINGLE_COUNTRY_SHARE = 0.80
MAX_REACH = 40
REACH_EXPONENT = 1.9  # P(k countries) ∝ k^-1.9 for songs in more than one country
NEW_ENTRY_PREVIOUS_RANK = CHART_SIZE + 1  # a song new to a chart counts as coming from rank 51


def draw_reach(n_songs: int, rng: np.random.Generator) -> np.ndarray:
    """How many countries each song charts in: 80% one, a heavy tail up to 40."""
    wide = np.arange(2, MAX_REACH + 1)
    weights = wide.astype(float) ** -REACH_EXPONENT
    multi = rng.choice(wide, size=n_songs, p=weights / weights.sum())
    return np.where(rng.random(n_songs) < SINGLE_COUNTRY_SHARE, 1, multi)


def songs_per_chart(n_charts: int, n_days: int, rng: np.random.Generator) -> np.ndarray:
    """Distinct songs each country's chart sees in `n_days`: 50 plus the new entries."""
    churn = SONGS_PER_DAY * np.exp(0.2 * rng.standard_normal(n_charts))
    return CHART_SIZE + churn * (n_days - 1)


@dataclass(frozen=True)
class ChartEntries:
    """One row per (chart, song): its visible days [start, end) and virtual extent."""

    chart: np.ndarray
    song: np.ndarray
    start: np.ndarray
    end: np.ndarray
    virtual_start: np.ndarray
    virtual_end: np.ndarray


def _lane_cuts(weights: np.ndarray, n_days: int) -> np.ndarray:
    """Integer boundaries 0 = b0 < b1 < ... < bm = n_days, proportional to `weights`."""
    m = len(weights)
    cuts = np.round(np.cumsum(weights) / weights.sum() * n_days).astype(np.int64)
    cuts = np.concatenate([[0], cuts[:-1], [n_days]])
    for i in range(1, m):
        cuts[i] = max(cuts[i], cuts[i - 1] + 1)
    for i in range(m - 1, 0, -1):
        cuts[i] = min(cuts[i], cuts[i + 1] - 1)
    return cuts


def schedule(
    chart_songs: list[np.ndarray],
    release_order: np.ndarray,
    staying_power: np.ndarray,
    n_days: int,
    rng: np.random.Generator,
) -> ChartEntries:
    """Place every chart's songs in its 50 lanes, in release order, with tenures ∝ staying power."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in ChartEntries.__annotations__}
    for chart, songs in enumerate(chart_songs):
        if not CHART_SIZE <= len(songs) <= CHART_SIZE * n_days:
            raise ValueError(f"chart {chart} has {len(songs)} songs for {n_days} days")
        songs = songs[np.argsort(release_order[songs], kind="stable")]
        for lane in range(CHART_SIZE):
            lane_songs = songs[lane::CHART_SIZE]
            weights = staying_power[lane_songs] * rng.gamma(4.0, 0.25, size=len(lane_songs))
            # Only part of the first and last songs' stays falls inside the window.
            seen = rng.uniform(0.15, 1.0, size=2)
            weights[0] *= seen[0]
            weights[-1] *= seen[1]
            cuts = _lane_cuts(weights, n_days)
            start, end = cuts[:-1], cuts[1:]
            virtual_start, virtual_end = start.astype(float), end.astype(float)
            virtual_start[0] -= (end[0] - start[0]) * (1 / seen[0] - 1)
            virtual_end[-1] += (end[-1] - start[-1]) * (1 / seen[1] - 1)
            for name, value in (
                ("chart", np.full(len(lane_songs), chart)),
                ("song", lane_songs),
                ("start", start),
                ("end", end),
                ("virtual_start", virtual_start),
                ("virtual_end", virtual_end),
            ):
                parts[name].append(value)
    return ChartEntries(**{name: np.concatenate(values) for name, values in parts.items()})


@dataclass(frozen=True)
class ChartRows:
    """One row per chart, day and song, sorted by chart, day and rank."""

    chart: np.ndarray
    day: np.ndarray
    song: np.ndarray
    daily_rank: np.ndarray
    daily_movement: np.ndarray
    weekly_movement: np.ndarray


def _score(
    entries: ChartEntries,
    entry: np.ndarray,
    day: np.ndarray,
    base: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """How well a song does on a day: its base appeal minus how far through its stay it is."""
    span = entries.virtual_end[entry] - entries.virtual_start[entry]
    progress = (day + 0.5 - entries.virtual_start[entry]) / span
    return base[entry] - 2.0 * progress + 0.05 * rng.standard_normal(len(entry))


def daily_rows(
    entries: ChartEntries, appeal: np.ndarray, n_days: int, rng: np.random.Generator
) -> ChartRows:
    """Rank each chart's 50 songs every day and work out daily and weekly movements.

    `appeal` is each entry's base score (song strength plus its appeal in that chart).
    """
    lengths = entries.end - entries.start
    entry = np.repeat(np.arange(len(lengths)), lengths)
    offsets = np.arange(len(entry)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    day = entries.start[entry] + offsets
    chart = entries.chart[entry]
    score = _score(entries, entry, day, appeal, rng)

    order = np.lexsort((-score, day, chart))
    entry, day, chart, score = entry[order], day[order], chart[order], score[order]
    rank = np.tile(np.arange(1, CHART_SIZE + 1), len(entry) // CHART_SIZE)
    day_scores = score.reshape(-1, CHART_SIZE)  # one row per chart and day
    keys = entry * n_days + day
    by_key = np.argsort(keys)

    def previous_rank(days_back: int) -> np.ndarray:
        before = day - days_back
        result = np.full(len(entry), NEW_ENTRY_PREVIOUS_RANK)
        seen = (before >= 0) & (before >= entries.start[entry])
        found = by_key[np.searchsorted(keys, entry[seen] * n_days + before[seen], sorter=by_key)]
        result[seen] = rank[found]
        # Before the first day: where the song would have stood among today's songs.
        virtual = np.flatnonzero((before < 0) & (before >= entries.virtual_start[entry]))
        earlier = _score(entries, entry[virtual], before[virtual], appeal, rng)
        ahead = (day_scores[virtual // CHART_SIZE] > earlier[:, None]).sum(axis=1)
        ahead -= score[virtual] > earlier  # the song itself, today
        result[virtual] = np.clip(ahead + 1, 1, CHART_SIZE)
        return result

    return ChartRows(
        chart=chart,
        day=day,
        song=entries.song[entry],
        daily_rank=rank,
        daily_movement=previous_rank(1) - rank,
        weekly_movement=previous_rank(7) - rank,
    )
