"""The dataset's column names every part agrees on, importable without pandera.

`jukebox/prepare.py` runs in the Spark image, which installs this package without its
dependencies: it reads the features from here. `dataset.schema` builds its pandera schemas
on them.
"""

# The model's inputs, in this order. The target is `country`.
FEATURES: tuple[str, ...] = (
    "is_explicit", "duration_ms", "danceability", "energy", "key", "loudness", "mode",
    "speechiness", "acousticness", "instrumentalness", "liveness", "valence", "tempo",
)  # fmt: skip
TARGET = "country"
