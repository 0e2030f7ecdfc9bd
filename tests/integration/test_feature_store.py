"""The feature repository of notebook 9 with the real Feast: it applies, joins at the right time,
builds notebook 2's examples, materializes, and is served by the local feature server; and its
failures (nothing applied, nothing materialized, an unknown song, no server) say what to do.

Each test works on a copy of jukebox/feature_repo in its own folder, beside the tables
notebook 9 writes (output/features/), so that it never meets the notebooks' own store.
"""

from __future__ import annotations

import importlib.util
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from feast import FeatureStore
from feast.errors import FeatureServiceNotFoundException
from feast.infra.online_stores import sqlite as feast_sqlite
from support.local_platform import exported, jukebox

from jukebox_workshop.dataset import FEATURES
from jukebox_workshop.dataset.feature_tables import chart_entities, popularity_table, song_table
from jukebox_workshop.errors import FeatureStoreError
from jukebox_workshop.local import lifecycle
from jukebox_workshop.online_features import read_online
from jukebox_workshop.runs import SPLITS, Workspace
from jukebox_workshop.settings import DEFAULT_DATA_DIR, FEATURE_REPO

pytestmark = [pytest.mark.slow]

FEAST = Path(sys.executable).parent / "feast"
START, END = datetime(1990, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    return (
        pd.read_parquet(DEFAULT_DATA_DIR / "song_properties.parquet"),
        pd.read_parquet(DEFAULT_DATA_DIR / "song_rankings.parquet"),
    )


@pytest.fixture(scope="module")
def tables(tmp_path_factory, data) -> Path:
    """The two source tables, as notebook 9 writes them."""
    folder = tmp_path_factory.mktemp("features")
    song_table(*data).to_parquet(folder / "songs.parquet", index=False)
    popularity_table(data[1]).to_parquet(folder / "popularity.parquet", index=False)
    return folder


def copy_repo(root: Path, tables: Path) -> Path:
    """A copy of the feature repository whose ../output/ is `root`'s, with the tables in it."""
    repo = root / "feature_repo"
    shutil.copytree(FEATURE_REPO, repo, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "output").mkdir()
    (root / "output" / "features").symlink_to(tables)
    return repo


def definitions(repo: Path) -> list:
    """What the repository's features.py defines, imported as notebook 9 imports it."""
    spec = importlib.util.spec_from_file_location(
        f"features_{abs(hash(repo))}", repo / "features.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [module.song, module.song_audio, module.song_popularity, module.model_inputs]


@pytest.fixture(scope="module")
def store(tmp_path_factory, tables) -> FeatureStore:
    """A repository applied with `feast apply`, as from a terminal, and materialized."""
    repo = copy_repo(tmp_path_factory.mktemp("applied"), tables)
    result = subprocess.run(
        [sys.executable, str(FEAST), "--chdir", str(repo), "apply"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    applied = FeatureStore(repo_path=str(repo))
    applied.materialize(START, END)
    return applied


def test_the_repository_applies_with_the_models_inputs(store: FeatureStore) -> None:
    assert {view.name for view in store.list_feature_views()} == {"song_audio", "song_popularity"}
    (projection,) = store.get_feature_service("model_inputs").feature_view_projections
    assert [feature.name for feature in projection.features] == list(FEATURES)


def test_the_point_in_time_join_gives_the_days_value_where_the_latest_one_leaks(
    store: FeatureStore, data
) -> None:
    rankings = data[1]
    popularity = popularity_table(rankings)
    entries = rankings.dropna(subset=["country"])[["spotify_id", "snapshot_date"]]
    entries = entries.drop_duplicates().rename(columns={"snapshot_date": "event_timestamp"})
    entries["event_timestamp"] = entries["event_timestamp"].dt.tz_localize("UTC")
    in_time = store.get_historical_features(
        entity_df=entries, features=["song_popularity:popularity"]
    ).to_df()
    assert len(in_time) == len(entries)

    that_day = popularity.rename(columns={"day": "event_timestamp", "popularity": "true"})
    joined = in_time.merge(that_day, on=["spotify_id", "event_timestamp"], validate="one_to_one")
    assert (joined["popularity"] == joined["true"]).all()

    latest = popularity.sort_values("day").groupby("spotify_id")["popularity"].last()
    naive = joined["spotify_id"].map(latest)
    leaked = (naive != joined["true"]).mean()
    assert 0.1 < leaked < 1, f"the naive join is wrong for {leaked:.1%} of the rows"


@pytest.fixture(scope="module")
def splits(prepared: Path) -> Workspace:
    """Notebook 2's splits (the worker's run of it)."""
    # papermill imports IPython, whose history module replaces the "timestamp" converter of
    # sqlite3 that Feast's SQLite online store registers (ISO text instead of epoch seconds).
    sqlite3.register_converter("timestamp", feast_sqlite.convert_timestamp)
    return Workspace(prepared / "output")


def test_feast_builds_notebook_2s_examples_value_for_value(
    store: FeatureStore, data, splits: Workspace
) -> None:
    labels = chart_entities(data[1])
    asked = labels[["spotify_id", "event_timestamp"]].drop_duplicates()
    found = store.get_historical_features(
        entity_df=asked, features=store.get_feature_service("model_inputs")
    ).to_df()
    training = labels.merge(found, on=["spotify_id", "event_timestamp"], validate="many_to_one")
    for split in SPLITS:
        expected = pd.read_parquet(splits.split_file(split))
        rows = training.merge(expected[["spotify_id", "country"]], on=["spotify_id", "country"])
        rows = rows.sort_values(["spotify_id", "country"], ignore_index=True)
        expected = expected.sort_values(["spotify_id", "country"], ignore_index=True)
        assert len(rows) == len(expected)
        pd.testing.assert_frame_equal(rows[list(FEATURES)], expected[list(FEATURES)])
    assert len(training) == sum(splits.preprocessing()["split"]["examples"].values())


def test_online_reads_give_each_songs_features_and_nothing_for_an_unknown_song(
    store: FeatureStore, data
) -> None:
    songs = song_table(*data).set_index("spotify_id")
    some = songs.index[[0, 7, 4242]].tolist()
    online = store.get_online_features(
        features=store.get_feature_service("model_inputs"),
        entity_rows=[{"spotify_id": song} for song in [*some, "no-such-song"]],
    ).to_df()
    values = online[list(FEATURES)].to_numpy(dtype="float64")
    np.testing.assert_array_equal(values[:3], songs.loc[some, list(FEATURES)].to_numpy())
    assert np.isnan(values[3]).all()


def test_a_repository_never_applied_knows_no_features(tmp_path, tables) -> None:
    unapplied = FeatureStore(repo_path=str(copy_repo(tmp_path, tables)))
    with pytest.raises(FeatureServiceNotFoundException):
        unapplied.get_feature_service("model_inputs")


def test_a_store_never_materialized_has_no_values(tmp_path, tables, data) -> None:
    repo = copy_repo(tmp_path, tables)
    fresh = FeatureStore(repo_path=str(repo))
    fresh.apply(definitions(repo))
    song = data[0]["spotify_id"].iloc[0]
    online = fresh.get_online_features(
        features=fresh.get_feature_service("model_inputs"), entity_rows=[{"spotify_id": song}]
    ).to_dict()
    assert all(online[name] == [None] for name in FEATURES)


# The local feature server


@pytest.mark.platform
def test_the_feature_server_serves_the_repository_and_says_what_is_wrong(
    isolated: dict[str, str], store: FeatureStore, data, monkeypatch
) -> None:
    monkeypatch.setenv("JUKEBOX_FEATURE_REPO", str(store.repo_path))
    lifecycle.start(["s3"])  # what `jukebox env` needs
    assert "FEAST_FEATURE_SERVER_URL" not in lifecycle.environment()
    assert lifecycle.start(["feature-server"]) == ["feature-server"]
    url = lifecycle.environment()["FEAST_FEATURE_SERVER_URL"]
    assert url == f"http://127.0.0.1:{isolated['JUKEBOX_FEAST_PORT']}"
    assert exported(jukebox("env").stdout)["FEAST_FEATURE_SERVER_URL"] == url
    assert "Feature server (Feast)  running" in jukebox("status").stdout

    songs = song_table(*data).set_index("spotify_id")
    some = songs.index[:3].tolist()
    table = read_online(url, some)
    np.testing.assert_array_equal(
        table.loc[some, list(FEATURES)].to_numpy(dtype="float32"),
        songs.loc[some, list(FEATURES)].to_numpy(),
    )
    with pytest.raises(FeatureStoreError, match="no features for 1 song"):
        read_online(url, [some[0], "no-such-song"])
    with pytest.raises(FeatureStoreError, match="knows no feature service 'no_such_service'"):
        read_online(url, some, feature_service="no_such_service")

    lifecycle.stop(grace=1)
    with pytest.raises(FeatureStoreError, match=f"The feature server at {url} does not answer"):
        read_online(url, some)
    assert "FEAST_FEATURE_SERVER_URL" not in lifecycle.environment()


@pytest.mark.platform
def test_the_feature_server_will_not_start_on_a_repository_not_applied(
    isolated: dict[str, str], tmp_path, tables, monkeypatch
) -> None:
    monkeypatch.setenv("JUKEBOX_FEATURE_REPO", str(copy_repo(tmp_path, tables)))
    with pytest.raises(lifecycle.PlatformError, match="is not applied yet"):
        lifecycle.start(["feature-server"])
    monkeypatch.setenv("JUKEBOX_FEATURE_REPO", str(tmp_path))
    with pytest.raises(lifecycle.PlatformError, match="no feature_store.yaml"):
        lifecycle.start(["feature-server"])
    assert not any(service.running for service in lifecycle.status())
