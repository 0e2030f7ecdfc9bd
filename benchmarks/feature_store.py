"""Notebook 9's feature store, timed: the historical join, materialization, online reads.

In a temporary folder: a copy of jukebox/feature_repo with the feature tables written from the
shipped dataset, applied. Then it times, as notebook 9 does them:
- `get_historical_features` for the full training set (every song and country of the charts);
- `materialize` of both feature views into the SQLite online store;
- one song's `get_online_features` in this process, and through the local feature server;
- a song id to its top 5 countries: the feature server, then the model server (the newest
  trained version, `jukebox/output/runs/LATEST`: run `make workshop` first), uploaded,
  registered and deployed on a platform of its own, as benchmarks/serving.py does.
Prints the figures and records them in benchmarks/results/feature_store.json.

    python benchmarks/feature_store.py [--reads 300]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import feast
import numpy as np
import pandas as pd
import requests
from feast import FeatureStore
from platform_start import isolate  # scripts beside this one
from recording import write_results
from serving import MODEL_NAME, upload_and_register, v2_request

from jukebox_workshop.dataset.feature_tables import chart_entities, popularity_table, song_table
from jukebox_workshop.local import lifecycle
from jukebox_workshop.local.deploy import deploy
from jukebox_workshop.online_features import read_online
from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import DEFAULT_DATA_DIR, FEATURE_REPO, OUTPUT_DIR

RESULTS = Path(__file__).parent / "results" / "feature_store.json"
MIB = 1024 * 1024


def p50_ms(reads: int, call) -> float:
    for _ in range(10):  # warm-up
        call()
    durations = []
    for _ in range(reads):
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations) * 1000


def prepared_store(root: Path) -> FeatureStore:
    """The repository copied into `root`, its tables written, its definitions applied."""
    properties = pd.read_parquet(DEFAULT_DATA_DIR / "song_properties.parquet")
    rankings = pd.read_parquet(DEFAULT_DATA_DIR / "song_rankings.parquet")
    tables = root / "output" / "features"
    tables.mkdir(parents=True)
    song_table(properties, rankings).to_parquet(tables / "songs.parquet", index=False)
    popularity_table(rankings).to_parquet(tables / "popularity.parquet", index=False)
    repo = root / "feature_repo"
    shutil.copytree(FEATURE_REPO, repo, ignore=shutil.ignore_patterns("__pycache__"))
    spec = importlib.util.spec_from_file_location("features", repo / "features.py")
    features = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(features)
    store = FeatureStore(repo_path=str(repo))
    store.apply(
        [features.song, features.song_audio, features.song_popularity, features.model_inputs]
    )
    return store


def measure(reads: int) -> dict:
    results: dict = {"reads": reads}
    with tempfile.TemporaryDirectory(prefix="jukebox-feast-") as folder:
        root = Path(folder)
        isolate(root / "state")
        store = prepared_store(root)
        service = store.get_feature_service("model_inputs")
        rankings = pd.read_parquet(DEFAULT_DATA_DIR / "song_rankings.parquet")
        labels = chart_entities(rankings)
        asked = labels[["spotify_id", "event_timestamp"]].drop_duplicates()

        started = time.perf_counter()
        store.get_historical_features(entity_df=asked, features=service).to_df()
        results["historical_seconds"] = time.perf_counter() - started
        results["training_rows"] = len(labels)

        started = time.perf_counter()
        store.materialize(datetime(1990, 1, 1, tzinfo=UTC), datetime.now(UTC))
        results["materialize_seconds"] = time.perf_counter() - started

        songs = labels["spotify_id"].drop_duplicates().sample(n=5, random_state=42).tolist()
        rows = [{"spotify_id": songs[0]}]
        results["online_in_process_p50_ms"] = p50_ms(
            reads, lambda: store.get_online_features(features=service, entity_rows=rows)
        )

        os.environ["JUKEBOX_FEATURE_REPO"] = str(store.repo_path)
        lifecycle.start(["model-server"])  # with S3 and the registry
        started = time.perf_counter()
        lifecycle.start(["feature-server"])
        results["feature_server_start_seconds"] = time.perf_counter() - started
        try:
            results.update(through_the_servers(reads, songs))
        finally:
            lifecycle.stop()
    return results


def through_the_servers(reads: int, songs: list[str]) -> dict:
    url = lifecycle.environment()["FEAST_FEATURE_SERVER_URL"]
    results = {
        "feature_server_p50_ms": p50_ms(reads, lambda: read_online(url, songs[:1])),
    }
    (status,) = [s for s in lifecycle.status() if s.name == "feature-server"]
    results["feature_server_rss_mib"] = (status.rss_bytes or 0) / MIB

    workspace = Workspace(OUTPUT_DIR)
    run = workspace.run()
    features = run.preprocessing()["features"]
    upload_and_register(run, lifecycle.environment())
    deployment = deploy(MODEL_NAME, run.version, report=None)
    session = requests.Session()

    def top5() -> np.ndarray:
        table = read_online(url, songs[:1])
        response = session.post(
            f"{deployment.url}/v2/models/{MODEL_NAME}/infer",
            json=v2_request(table.loc[songs[:1]], features),
            timeout=30,
        )
        response.raise_for_status()
        (output,) = response.json()["outputs"]
        return np.argsort(output["data"])[::-1][:5]

    results["song_id_to_top5_p50_ms"] = p50_ms(reads, top5)
    results["model_version"] = run.version
    return results


def report(results: dict) -> None:
    print(f"Feast {results['feast']}, shipped dataset, medians of {results['reads']} reads")
    print(
        f"historical join, full training set ({results['training_rows']:,} rows): "
        f"{results['historical_seconds']:.2f} s"
    )
    print(f"materialize (both views):            {results['materialize_seconds']:.2f} s")
    print(f"online read, in process, p50:        {results['online_in_process_p50_ms']:.2f} ms")
    print(f"feature server start:                {results['feature_server_start_seconds']:.1f} s")
    print(f"online read, feature server, p50:    {results['feature_server_p50_ms']:.2f} ms")
    print(f"song id -> top 5 (features + model): {results['song_id_to_top5_p50_ms']:.2f} ms")
    print(f"feature server resident memory:      {results['feature_server_rss_mib']:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=300, help="timed reads per case")
    args = parser.parse_args()
    results = {"feast": feast.__version__, **measure(args.reads)}
    report(results)
    write_results(RESULTS, results)
    print(f"Recorded in {RESULTS}")


if __name__ == "__main__":
    main()
