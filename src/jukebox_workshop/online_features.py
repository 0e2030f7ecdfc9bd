"""Read a song's features from a Feast feature server, as a table: notebook 9 and the benchmarks.

`POST /get-online-features` answers one list per feature, each with a status per entity:
`read_online` turns that into one row per song and one column per feature, and its failures
(no server, nothing applied, a song the online store does not hold) into messages that say
what to do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import requests

from jukebox_workshop.errors import FeatureStoreError
from jukebox_workshop.settings import FEATURE_SERVER_URL_VARIABLE

FEATURE_SERVICE = "model_inputs"
START_IT = (
    "On a laptop, notebook 9 starts it after its apply step (`.venv/bin/jukebox up "
    "feature-server`); in OpenShift AI, check the FeatureStore's online service "
    f"(`oc get feast`) and {FEATURE_SERVER_URL_VARIABLE}."
)


def read_online(
    url: str,
    song_ids: Sequence[str],
    feature_service: str = FEATURE_SERVICE,
    headers: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per song id (the index), one column per feature of `feature_service`."""
    request = {"feature_service": feature_service, "entities": {"spotify_id": list(song_ids)}}
    try:
        response = requests.post(
            f"{url.rstrip('/')}/get-online-features", json=request, headers=headers, timeout=30
        )
    except requests.ConnectionError as error:
        raise FeatureStoreError(
            f"The feature server at {url} does not answer ({type(error).__name__}). {START_IT}"
        ) from None
    if response.status_code == 404 and "FeatureServiceNotFound" in response.text:
        raise FeatureStoreError(
            f"The feature server knows no feature service '{feature_service}': apply the "
            "feature repository (notebook 9, step 3), then wait a few seconds for the server "
            "to read its registry again."
        )
    if not response.ok:
        raise FeatureStoreError(
            f"The feature server at {url} answered {response.status_code}: {response.text[:300]}"
        )
    answer = response.json()
    names = answer["metadata"]["feature_names"]
    table = pd.DataFrame(
        {name: result["values"] for name, result in zip(names, answer["results"], strict=True)}
    ).set_index("spotify_id")
    found = pd.DataFrame(
        {
            name: [s == "PRESENT" for s in r["statuses"]]
            for name, r in zip(names, answer["results"], strict=True)
        }
    ).drop(columns="spotify_id")
    missing = [song for song, row in zip(song_ids, found.all(axis=1), strict=True) if not row]
    if missing:
        raise FeatureStoreError(
            f"The online store has no features for {len(missing)} song(s): {', '.join(missing[:5])}. "
            "Check the ids (a spotify_id of song_properties.parquet); if no song has any, "
            "materialize first (notebook 9, step 6)."
        )
    return table
