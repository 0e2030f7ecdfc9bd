"""The Jukebox feature repository: what a song is, where its features come from, which ones the
model takes. `store.apply(...)` in notebook 9 (or `feast apply` in this folder) registers them.

Notebook 9 writes the two tables below (one row per value, stamped with the time it became
true) into ../output/features/. In OpenShift AI it copies them to the data connection's bucket
and sets JUKEBOX_FEATURE_DATA=s3://<bucket>/<folder>, a place the cluster's servers can read.
"""

import os
from datetime import timedelta

from feast import Entity, FeatureService, FeatureView, Field, FileSource
from feast.types import Float32, Int64

TABLES = os.environ.get("JUKEBOX_FEATURE_DATA", "../output/features")
S3_ENDPOINT = os.environ.get("AWS_S3_ENDPOINT") if TABLES.startswith("s3://") else None

# The model's 13 inputs, in its order (jukebox_workshop.dataset.schema.FEATURES).
AUDIO_FEATURES = [
    "is_explicit",
    "duration_ms",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
]

song = Entity(name="song", join_keys=["spotify_id"], description="A song, by its Spotify id")

song_audio = FeatureView(
    name="song_audio",
    description="A song's audio features, known from its release on",
    entities=[song],
    ttl=timedelta(0),  # never stale: a song's audio does not change
    schema=[Field(name=name, dtype=Float32) for name in AUDIO_FEATURES],
    source=FileSource(
        name="songs",
        path=f"{TABLES}/songs.parquet",
        timestamp_field="released",
        s3_endpoint_override=S3_ENDPOINT,
    ),
)

song_popularity = FeatureView(
    name="song_popularity",
    description="A song's Spotify popularity (0-100), day by day while it charts",
    entities=[song],
    ttl=timedelta(days=1),  # a popularity is the day's: older ones are no answer
    schema=[Field(name="popularity", dtype=Int64)],
    source=FileSource(
        name="popularity",
        path=f"{TABLES}/popularity.parquet",
        timestamp_field="day",
        s3_endpoint_override=S3_ENDPOINT,
    ),
)

# What the model takes, by one name: training and serving ask for the same features.
model_inputs = FeatureService(name="model_inputs", features=[song_audio])
