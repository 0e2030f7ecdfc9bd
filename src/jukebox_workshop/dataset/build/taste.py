"""Countries' musical taste: the true p(country | audio features) of every song.

Each country scores a song with a logit: its region's liking for each standardised
feature, a small country-specific deviation, and a few nonlinear preferences (a
preferred tempo, a liking for long tracks, interactions such as danceable-and-explicit),
all multiplied by `taste_strength`. The softmax over the 72 countries is p(country |
features); intercepts are set so the countries get the numbers of songs asked for.

The logits are functions of the stored feature values only, so a model that sees the
13 features can in principle learn p exactly: the Bayes figures computed from it are the
best any model can score on this data.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.special import log_softmax

from jukebox_workshop.dataset.schema import COUNTRY_CODES

# Standardised coordinates the tastes are written in (about mean 0, standard deviation 1).
COORDINATES = (
    "dance", "energy", "acoustic", "valence", "speech", "tempo", "duration", "loudness",
    "explicit", "mode",
)  # fmt: skip


def taste_coordinates(songs: pd.DataFrame) -> np.ndarray:
    """The songs' standardised coordinates, shape (songs, len(COORDINATES)), clipped to ±3."""
    columns = [
        (songs["danceability"] - 0.663) / 0.154,
        (songs["energy"] - 0.627) / 0.174,
        (songs["acousticness"] - 0.325) / 0.273,
        (songs["valence"] - 0.561) / 0.231,
        (np.log(songs["speechiness"].clip(lower=0.01)) - np.log(0.054)) / 0.75,
        (songs["tempo"] - 123.1) / 30.3,
        (np.log(songs["duration_ms"].clip(lower=10_000)) - np.log(187_200)) / 0.25,
        (songs["loudness"] + 6.93) / 2.94,
        (songs["is_explicit"].astype(float) - 0.30) / 0.46,
        (songs["mode"] - 0.57) / 0.49,
    ]
    return np.clip(np.column_stack([np.asarray(c, dtype=float) for c in columns]), -3, 3)


@dataclass(frozen=True)
class Region:
    """A group of countries sharing a taste: linear likings plus nonlinear preferences."""

    countries: tuple[str, ...]
    likes: dict[str, float]
    # (coordinate, preferred value, pickiness): a bump-shaped liking around the value.
    bumps: tuple[tuple[str, float, float], ...] = ()
    # (coordinate, coordinate, weight): liking for songs high (or low) on both.
    interactions: tuple[tuple[str, str, float], ...] = ()
    long_tracks: float = 0.0  # liking for tracks longer than about 4 minutes


REGIONS: dict[str, Region] = {
    "latin": Region(
        ("AR", "BO", "CL", "CO", "CR", "DO", "EC", "GT", "HN", "MX", "NI", "PA", "PE",
         "PY", "SV", "UY", "VE"),
        {"dance": 0.4, "valence": 0.3, "explicit": 0.4, "acoustic": -0.2, "speech": 0.2,
         "mode": -0.2},
        bumps=(("tempo", -0.2, 0.6),),
        interactions=(("dance", "explicit", 0.5),),
    ),
    "brazil": Region(
        ("BR",),
        {"energy": 0.4, "tempo": 0.2, "valence": 0.2},
        bumps=(("tempo", 0.3, 0.4), ("duration", -0.3, 0.4)),
    ),
    "iberia": Region(
        ("ES", "PT"),
        {"dance": 0.3, "explicit": 0.2, "speech": 0.2},
        bumps=(("tempo", 0.0, 0.4),),
        interactions=(("dance", "explicit", 0.3),),
    ),
    "anglo": Region(
        ("US", "CA", "AU", "NZ", "GB", "IE"),
        {"dance": -0.3, "energy": -0.4, "acoustic": 0.25, "tempo": 0.1},
        bumps=(("dance", 0.0, 0.4), ("valence", 0.0, 0.3)),
        long_tracks=-0.6,
    ),
    "western_europe": Region(
        ("AT", "BE", "CH", "DE", "FR", "IT", "LU", "NL"),
        {"speech": 0.3, "explicit": 0.2},
        bumps=(("tempo", 0.0, -0.3),),
        interactions=(("speech", "explicit", 0.4),),
    ),
    "nordic": Region(
        ("DK", "FI", "IS", "NO", "SE"),
        {"dance": -0.4, "energy": -0.3, "acoustic": 0.3, "valence": -0.2},
        bumps=(("valence", -0.2, 0.4),),
        interactions=(("acoustic", "valence", -0.4),),
    ),
    "eastern_europe": Region(
        ("BG", "BY", "CZ", "EE", "GR", "HU", "KZ", "LT", "LV", "PL", "RO", "SK", "UA"),
        {"energy": 0.2, "dance": 0.2, "valence": -0.2, "mode": -0.2},
        bumps=(("energy", 0.5, 0.4), ("tempo", 0.0, -0.3)),
    ),
    "middle_east": Region(
        ("AE", "EG", "IL", "MA", "SA", "TR"),
        {"mode": -0.4, "valence": -0.2, "explicit": -0.3},
        bumps=(("tempo", -0.2, 0.4),),
        interactions=(("mode", "valence", 0.3),),
    ),
    "east_asia": Region(
        ("HK", "JP", "KR", "TW"),
        {"dance": -0.4, "energy": 0.4, "acoustic": -0.3, "explicit": -0.5},
        bumps=(("valence", 0.3, 0.4),),
        interactions=(("energy", "acoustic", -0.3),),
        long_tracks=0.5,
    ),
    "south_asia": Region(
        ("ID", "IN", "MY", "PH", "PK", "SG", "TH", "VN"),
        {"dance": -0.4, "energy": -0.3, "acoustic": 0.3, "valence": -0.3, "explicit": -0.5},
        bumps=(("tempo", -0.2, 0.5), ("acoustic", 0.0, -0.3)),
        long_tracks=0.5,
    ),
    "africa": Region(
        ("NG", "ZA"),
        {"dance": 0.5, "acoustic": -0.3},
        bumps=(("tempo", -0.2, 0.8),),
    ),
}  # fmt: skip

# Countries whose taste stands out in the real charts (from their mean features).
COUNTRY_LIKES: dict[str, dict[str, float]] = {
    "ZA": {"explicit": -0.3, "valence": -0.3, "energy": -0.2},
    "MX": {"energy": 0.2, "valence": 0.3, "explicit": 0.3},
    "CO": {"dance": 0.2, "explicit": 0.2},
    "BR": {"tempo": 0.1, "acoustic": 0.2},
    "JP": {"energy": 0.3, "explicit": -0.2, "duration": 0.3},
    "IN": {"tempo": -0.2, "explicit": -0.2, "duration": 0.2},
    "US": {"energy": -0.2, "tempo": 0.1},
    "NO": {"dance": -0.3, "energy": -0.2},
    "ID": {"valence": -0.4, "dance": -0.3, "duration": 0.3},
    "NG": {"dance": 0.2, "duration": -0.3, "valence": 0.2},
}
COUNTRY_LONG_TRACKS: dict[str, float] = {"ZA": 1.5, "JP": 0.3}

COUNTRY_DEVIATION = 0.1  # standard deviation of each country's own twist on its region

# How much of the taste is linear in the coordinates and how much is not, tuned with
# benchmarks/dataset_difficulty.py so that a logistic regression stays around 80% of the
# Bayes top-5 while a small neural network gets past 90%.
LINEAR_SCALE = 0.7
NONLINEAR_SCALE = 1.5


@dataclass(frozen=True)
class TasteModel:
    """Parameters of p(country | features) for `COUNTRY_CODES`, in that order."""

    linear: np.ndarray  # (countries, coordinates)
    bump_center: np.ndarray  # (countries, coordinates)
    bump_pickiness: np.ndarray  # (countries, coordinates)
    interaction: np.ndarray  # (countries, coordinates, coordinates)
    long_tracks: np.ndarray  # (countries,)
    strength: float
    intercepts: np.ndarray  # (countries,)

    def taste(self, songs: pd.DataFrame) -> np.ndarray:
        """How much each country likes each song, before intercepts: (songs, countries)."""
        x = taste_coordinates(songs)
        n_songs, n_coordinates = x.shape
        pairs = (x[:, :, None] * x[:, None, :]).reshape(n_songs, n_coordinates**2)
        duration = x[:, COORDINATES.index("duration"), None]
        nonlinear = (
            2 * x @ (self.bump_pickiness * self.bump_center).T - x**2 @ self.bump_pickiness.T
        )
        nonlinear += pairs @ self.interaction.reshape(len(self.interaction), -1).T
        nonlinear += self.long_tracks * np.maximum(duration - 1.0, 0.0)
        linear = x @ self.linear.T
        return self.strength * (LINEAR_SCALE * linear + NONLINEAR_SCALE * nonlinear)

    def probabilities(self, songs: pd.DataFrame) -> np.ndarray:
        """p(country | features), shape (songs, countries); rows sum to 1."""
        return _softmax(self.intercepts + self.taste(songs))


def _softmax(logits: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(logits, axis=1))


def build_taste_model(strength: float, rng: np.random.Generator) -> TasteModel:
    """Region tastes plus seeded country deviations; intercepts start at zero."""
    n_countries, n_coordinates = len(COUNTRY_CODES), len(COORDINATES)
    linear = np.zeros((n_countries, n_coordinates))
    bump_center = np.zeros((n_countries, n_coordinates))
    bump_pickiness = np.zeros((n_countries, n_coordinates))
    interaction = np.zeros((n_countries, n_coordinates, n_coordinates))
    long_tracks = np.zeros(n_countries)
    for region in REGIONS.values():
        for code in region.countries:
            c = COUNTRY_CODES.index(code)
            for name, value in [*region.likes.items(), *COUNTRY_LIKES.get(code, {}).items()]:
                linear[c, COORDINATES.index(name)] += value
            for name, center, pickiness in region.bumps:
                bump_center[c, COORDINATES.index(name)] = center
                bump_pickiness[c, COORDINATES.index(name)] = pickiness
            for first, second, weight in region.interactions:
                interaction[c, COORDINATES.index(first), COORDINATES.index(second)] = weight
            long_tracks[c] = region.long_tracks + COUNTRY_LONG_TRACKS.get(code, 0.0)
    linear += COUNTRY_DEVIATION * rng.standard_normal((n_countries, n_coordinates))
    bump_center += 1.5 * COUNTRY_DEVIATION * rng.standard_normal((n_countries, n_coordinates))
    return TasteModel(
        linear,
        bump_center,
        bump_pickiness,
        interaction,
        long_tracks,
        strength,
        np.zeros(n_countries),
    )


def calibrate_intercepts(
    model: TasteModel, songs: pd.DataFrame, reach: np.ndarray, targets: np.ndarray
) -> TasteModel:
    """Intercepts such that each country's expected number of songs is about `targets`.

    A song reaching k countries is counted k·p(country) times (its countries are drawn
    without replacement, so this is only approximate for the few very wide hits).
    """
    taste = model.taste(songs)
    intercepts = model.intercepts
    for _ in range(30):
        expected = (reach[:, None] * _softmax(intercepts + taste)).sum(axis=0)
        intercepts = intercepts + np.log(targets / expected)
        intercepts -= intercepts.mean()
    return replace(model, intercepts=intercepts)


def draw_countries(
    probabilities: np.ndarray, reach: np.ndarray, rng: np.random.Generator
) -> list[np.ndarray]:
    """For each song, `reach` distinct countries drawn one after another from p(country|features)."""
    gumbel = rng.gumbel(size=probabilities.shape)
    order = np.argsort(-(np.log(probabilities) + gumbel), axis=1, kind="stable")
    return [order[i, :k] for i, k in enumerate(reach)]


def bayes_accuracy(
    probabilities: np.ndarray, song_index: np.ndarray, country_index: np.ndarray, k: int
) -> float:
    """Share of (song, country) pairs whose country is among the song's k most likely."""
    top = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    return float((top[song_index] == country_index[:, None]).any(axis=1).mean())


def expected_bayes_accuracy(probabilities: np.ndarray, k: int) -> float:
    """Mean over songs of the summed probability of the k most likely countries."""
    return float(np.sort(probabilities, axis=1)[:, -k:].sum(axis=1).mean())
