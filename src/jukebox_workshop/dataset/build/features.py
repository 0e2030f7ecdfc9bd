"""Songs' audio features: a Gaussian copula calibrated to the real charts' marginals.

A correlated standard-normal vector is drawn per song and each component is mapped
through a quantile function through the real quantiles (min, 5%, 25%, median, 75%, 95%,
max, plus a few tail knots chosen so that means and standard deviations match too),
interpolated linearly in normal scores so the tails thin out like a normal's. Binary features are thresholds of their normal
component; `key` and `time_signature` are drawn from their own frequencies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

# Quantile knots (probability, value) per continuous feature.
QUANTILE_KNOTS: dict[str, tuple[tuple[float, float], ...]] = {
    "duration_ms": (
        (0, 33_986), (0.005, 90_000), (0.05, 126_266), (0.25, 161_240), (0.5, 187_200),
        (0.75, 219_680), (0.95, 272_333), (0.99, 340_000), (1, 641_941),
    ),
    "danceability": (
        (0, 0.173), (0.05, 0.336), (0.25, 0.559), (0.5, 0.681), (0.75, 0.781),
        (0.95, 0.881), (1, 0.974),
    ),
    "energy": (
        (0, 0.023), (0.01, 0.19), (0.05, 0.300), (0.25, 0.519), (0.5, 0.642),
        (0.75, 0.755), (0.95, 0.880), (1, 0.992),
    ),
    "loudness": (
        (0, -28.4), (0.005, -17.0), (0.05, -12.7), (0.25, -8.40), (0.5, -6.58),
        (0.75, -4.87), (0.95, -3.18), (0.995, -1.5), (1, 1.16),
    ),
    "speechiness": (
        (0, 0.023), (0.05, 0.029), (0.25, 0.037), (0.5, 0.054), (0.75, 0.104),
        (0.95, 0.298), (0.99, 0.42), (1, 0.619),
    ),
    "acousticness": (
        (0, 0.00001), (0.05, 0.007), (0.25, 0.093), (0.5, 0.235), (0.75, 0.526),
        (0.95, 0.871), (1, 0.995),
    ),
    "instrumentalness": (
        (0, 0), (0.58, 0), (0.75, 0.00003), (0.85, 0.0008), (0.95, 0.049),
        (0.98, 0.25), (0.995, 0.7), (1, 0.959),
    ),
    "liveness": (
        (0, 0.015), (0.05, 0.066), (0.25, 0.096), (0.5, 0.122), (0.75, 0.224),
        (0.95, 0.423), (0.99, 0.7), (1, 0.963),
    ),
    "valence": (
        (0, 0.037), (0.05, 0.182), (0.25, 0.378), (0.5, 0.559), (0.75, 0.751),
        (0.95, 0.934), (1, 0.978),
    ),
    "tempo": (
        (0, 46.7), (0.05, 79.9), (0.25, 99.0), (0.5, 119.7), (0.75, 144.0),
        (0.95, 176.1), (1, 209.8),
    ),
}  # fmt: skip

EXPLICIT_SHARE = 0.30
MAJOR_MODE_SHARE = 0.57
KEY_FREQUENCIES = (0.11, 0.12, 0.09, 0.03, 0.07, 0.07, 0.08, 0.10, 0.09, 0.08, 0.07, 0.09)
TIME_SIGNATURE_FREQUENCIES = {1: 0.01, 3: 0.08, 4: 0.89, 5: 0.02}

# Order of the copula's normal components.
COPULA_COMPONENTS = (
    "is_explicit", "duration_ms", "danceability", "energy", "loudness", "mode",
    "speechiness", "acousticness", "instrumentalness", "liveness", "valence", "tempo",
)  # fmt: skip

# Correlations of the normal components. They are larger than the targets (the measured
# Pearson correlations) where a threshold or a skewed marginal weakens them.
LATENT_CORRELATIONS: dict[tuple[str, str], float] = {
    ("energy", "loudness"): 0.80,
    ("energy", "acousticness"): -0.62,
    ("loudness", "acousticness"): -0.52,
    ("is_explicit", "danceability"): 0.50,
    ("is_explicit", "speechiness"): 0.52,
    ("danceability", "acousticness"): -0.34,
    ("danceability", "valence"): 0.33,
    ("mode", "danceability"): -0.37,
    ("energy", "valence"): 0.30,
    ("loudness", "valence"): 0.15,
    ("danceability", "speechiness"): 0.20,
    ("energy", "liveness"): 0.12,
    ("loudness", "instrumentalness"): -0.20,
    ("acousticness", "instrumentalness"): 0.10,
    ("duration_ms", "danceability"): -0.10,
    ("danceability", "tempo"): -0.08,
}

DECIMALS = {
    "danceability": 3, "energy": 3, "speechiness": 4, "acousticness": 4, "liveness": 4,
    "valence": 3, "loudness": 3, "tempo": 3,
}  # fmt: skip


def latent_correlation_matrix() -> np.ndarray:
    index = {name: i for i, name in enumerate(COPULA_COMPONENTS)}
    matrix = np.eye(len(COPULA_COMPONENTS))
    for (a, b), value in LATENT_CORRELATIONS.items():
        matrix[index[a], index[b]] = matrix[index[b], index[a]] = value
    return matrix


# Normal score given to the minimum and maximum (0 and 1 in the knots): about 1 in 20,000,
# the size of the sample the real quantiles come from.
EXTREME_SCORE = 3.9


def quantile_map(scores: np.ndarray, knots: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Values at normal `scores` of the quantile function through `knots`."""
    levels, values = zip(*knots, strict=True)
    knot_scores = np.clip(ndtri(np.array(levels)), -EXTREME_SCORE, EXTREME_SCORE)
    return np.interp(scores, knot_scores, values)


def _round_significant(values: np.ndarray, digits: int) -> np.ndarray:
    magnitude = np.floor(np.log10(np.where(values > 0, values, 1.0)))
    scale = 10.0 ** (digits - 1 - magnitude)
    return np.where(values > 0, np.round(values * scale) / scale, 0.0)


def sample_features(n_songs: int, rng: np.random.Generator) -> pd.DataFrame:
    """Audio features of `n_songs` songs (columns of `FEATURES` plus `time_signature`)."""
    normal = rng.standard_normal((n_songs, len(COPULA_COMPONENTS)))
    correlated = normal @ np.linalg.cholesky(latent_correlation_matrix()).T
    column = {name: correlated[:, i] for i, name in enumerate(COPULA_COMPONENTS)}

    songs: dict[str, np.ndarray] = {}
    songs["is_explicit"] = column["is_explicit"] > ndtri(1 - EXPLICIT_SHARE)
    songs["duration_ms"] = np.round(
        quantile_map(column["duration_ms"], QUANTILE_KNOTS["duration_ms"])
    ).astype(np.int64)
    for name in ("danceability", "energy"):
        songs[name] = quantile_map(column[name], QUANTILE_KNOTS[name])
    songs["key"] = rng.choice(12, size=n_songs, p=np.array(KEY_FREQUENCIES) / sum(KEY_FREQUENCIES))
    songs["loudness"] = quantile_map(column["loudness"], QUANTILE_KNOTS["loudness"])
    songs["mode"] = (column["mode"] > ndtri(1 - MAJOR_MODE_SHARE)).astype(np.int64)
    for name in ("speechiness", "acousticness", "instrumentalness", "liveness", "valence", "tempo"):
        songs[name] = quantile_map(column[name], QUANTILE_KNOTS[name])
    signatures = list(TIME_SIGNATURE_FREQUENCIES)
    songs["time_signature"] = rng.choice(
        signatures, size=n_songs, p=list(TIME_SIGNATURE_FREQUENCIES.values())
    )

    for name, decimals in DECIMALS.items():
        songs[name] = np.round(songs[name], decimals)
    # Spotify reports instrumentalness with three significant digits (e.g. 1.23e-05).
    songs["instrumentalness"] = _round_significant(songs["instrumentalness"], 3)
    frame = pd.DataFrame(songs)
    frame["key"] = frame["key"].astype(np.int64)
    frame["time_signature"] = frame["time_signature"].astype(np.int64)
    return frame
