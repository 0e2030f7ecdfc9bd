"""Notebook 2's preparation: one function, two engines.

`prepare(data, out, engine="pandas")` reads the two data files, keeps one example per song
and country, encodes the country as a label, splits the examples by song into training,
validation and test sets, computes the scaler's statistics on the training split, and writes
`train.parquet`, `validation.parquet`, `test.parquet` and `preprocessing.json` into `out`.

- `engine="pandas"` does it in this process's memory: what notebook 2 shows step by step.
- `engine="spark"` does the same with PySpark: in `local[2]` on a laptop, or spread over a
  cluster's executors when the Spark Operator runs this file (cluster/spark-prepare.yaml),
  reading and writing `s3a://` paths.

Both engines write the same splits: the same songs in each, the same rows, the same values
(the scaler's statistics equal within float rounding). The one step they share is
`assign_splits`, which deals the songs (not the rows) to the splits: the list of songs is
small next to the chart entries, so the Spark engine collects it, deals it here, and joins
the result back.

Run it outside a notebook with `jukebox prepare --engine pandas|spark --out DIR`, or
`python prepare.py --data DIR --out DIR --engine spark` (what the SparkApplication runs).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit
from sklearn.preprocessing import LabelEncoder, StandardScaler

# Light modules only: the Spark image installs the package without its dependencies.
from jukebox_workshop import columns
from jukebox_workshop.runs import PREPROCESSING_FILE, SPLITS
from jukebox_workshop.settings import DATA_FILES

ENGINES = ("pandas", "spark")
FEATURES = list(columns.FEATURES)  # the model's 13 inputs; pandas selects columns by a list


@dataclass(frozen=True)
class SplitPlan:
    """How the songs are dealt to the splits: the shares of the test and validation sets."""

    seed: int = 42
    test_share: float = 0.15
    validation_share: float = 0.15


# The steps, on pandas tables: notebook 2 runs them one by one.


def chart_entries(rankings: pd.DataFrame) -> pd.DataFrame:
    """The chart entries of the 72 countries: the Global chart has no country, and goes."""
    kept = [c for c in ("spotify_id", "country", "snapshot_date") if c in rankings.columns]
    return rankings.dropna(subset=["country"])[kept]


def build_examples(properties: pd.DataFrame, rankings: pd.DataFrame) -> pd.DataFrame:
    """One row per song and country it charted in, with the song's 13 features as float32."""
    pairs = chart_entries(rankings).drop_duplicates(["spotify_id", "country"])
    examples = pairs[["spotify_id", "country"]].merge(
        properties[["spotify_id", *FEATURES]], on="spotify_id", validate="many_to_one"
    )
    examples[FEATURES] = examples[FEATURES].astype("float32")
    return examples.sort_values(["spotify_id", "country"], ignore_index=True)


def encode_countries(examples: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Add `label`, the country's number in alphabetical order; return the country list too."""
    encoder = LabelEncoder()
    labelled = examples.assign(label=encoder.fit_transform(examples["country"]))
    return labelled, encoder.classes_.tolist()


def assign_splits(songs, plan: SplitPlan) -> pd.Series:
    """Deal the songs to the splits: a Series from song id to "train", "validation" or "test".
    The deal depends on the seed and the set of songs only: both engines get the same."""
    songs = pd.DataFrame({"spotify_id": np.unique(np.asarray(songs, dtype=object))})
    outer = GroupShuffleSplit(n_splits=1, test_size=plan.test_share, random_state=plan.seed)
    rest_index, test_index = next(outer.split(songs, groups=songs["spotify_id"]))
    rest = songs.iloc[rest_index]
    inner = GroupShuffleSplit(
        n_splits=1,
        test_size=plan.validation_share / (1 - plan.test_share),
        random_state=plan.seed,
    )
    train_index, validation_index = next(inner.split(rest, groups=rest["spotify_id"]))
    split = pd.Series("train", index=songs["spotify_id"], name="split")
    split.iloc[test_index] = "test"
    split.loc[rest["spotify_id"].iloc[validation_index]] = "validation"
    return split


def split_by_song(examples: pd.DataFrame, plan: SplitPlan) -> dict[str, pd.DataFrame]:
    """The examples of each split, in the examples' order: all rows of a song in one split."""
    split = examples["spotify_id"].map(assign_splits(examples["spotify_id"], plan))
    return {name: examples[split == name].reset_index(drop=True) for name in SPLITS}


def fit_scaler(train: pd.DataFrame) -> StandardScaler:
    """The scaler's statistics, from the training split only."""
    return StandardScaler().fit(train[FEATURES])


def preprocessing_record(
    countries: list[str],
    mean: list[float],
    scale: list[float],
    plan: SplitPlan,
    counts: dict[str, int],
    dataset_sha256: dict[str, str],
) -> dict:
    """What preprocessing.json holds: it travels with the model."""
    return {
        "features": FEATURES,
        "scaler": {"mean": mean, "scale": scale},
        "countries": countries,
        "split": {
            "by": "spotify_id",
            "seed": plan.seed,
            "test_share": plan.test_share,
            "validation_share": plan.validation_share,
            "examples": counts,
        },
        "dataset_sha256": dataset_sha256,
    }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# The two engines


def prepare_with_pandas(data: Path, out: Path, plan: SplitPlan) -> dict:
    """The steps above, in this process's memory."""
    # Only the columns the steps use: the chart entries' names and dates stay on disk.
    properties = pd.read_parquet(data / DATA_FILES[0], columns=["spotify_id", *FEATURES])
    rankings = pd.read_parquet(data / DATA_FILES[1], columns=["spotify_id", "country"])
    examples, countries = encode_countries(build_examples(properties, rankings))
    splits = split_by_song(examples, plan)
    scaler = fit_scaler(splits["train"])
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in splits.items():
        rows.to_parquet(out / f"{name}.parquet", index=False)
    record = preprocessing_record(
        countries,
        scaler.mean_.tolist(),
        scaler.scale_.tolist(),
        plan,
        {name: len(rows) for name, rows in splits.items()},
        {name: sha256_of(data / name) for name in DATA_FILES},
    )
    (out / PREPROCESSING_FILE).write_text(json.dumps(record, indent=2))
    return record


def prepare_with_spark(spark, data: str, out: str, plan: SplitPlan) -> dict:
    """The same steps as Spark DataFrame operations; `data` and `out` are folders or URIs
    (s3a://bucket/prefix on a cluster)."""
    from pyspark.sql import functions as F

    from jukebox_workshop.preparation.spark_files import (
        read_parquet,
        sha256_of_file,
        write_split,
        write_text,
    )

    properties = read_parquet(spark, f"{data}/{DATA_FILES[0]}")
    rankings = read_parquet(spark, f"{data}/{DATA_FILES[1]}")
    pairs = rankings.where(F.col("country").isNotNull()).select("spotify_id", "country")
    examples = (
        pairs.dropDuplicates(["spotify_id", "country"])
        .join(properties.select("spotify_id", *FEATURES), on="spotify_id")
        .select("spotify_id", "country", *[F.col(f).cast("float").alias(f) for f in FEATURES])
    )
    countries = sorted(row[0] for row in examples.select("country").distinct().collect())
    songs = [row[0] for row in examples.select("spotify_id").distinct().collect()]
    deal = assign_splits(songs, plan).reset_index()
    examples = (
        examples.withColumn(
            "label", F.array_position(F.array(*map(F.lit, countries)), F.col("country")) - 1
        )
        .join(F.broadcast(spark.createDataFrame(deal)), on="spotify_id")
        .cache()
    )
    train = examples.where(F.col("split") == "train")
    moments = train.agg(
        *[F.avg(f).alias(f"mean_{f}") for f in FEATURES],
        *[F.stddev_pop(f).alias(f"std_{f}") for f in FEATURES],
    ).first()
    counts = dict(examples.groupBy("split").count().collect())
    for name in SPLITS:
        rows = examples.where(F.col("split") == name).drop("split")
        write_split(rows, ["spotify_id", "country"], f"{out}/{name}.parquet")
    examples.unpersist()
    record = preprocessing_record(
        countries,
        [moments[f"mean_{f}"] for f in FEATURES],
        # as StandardScaler: a feature that does not vary is divided by 1
        [moments[f"std_{f}"] or 1.0 for f in FEATURES],
        plan,
        {name: counts.get(name, 0) for name in SPLITS},
        {name: sha256_of_file(spark, f"{data}/{name}") for name in DATA_FILES},
    )
    write_text(spark, f"{out}/{PREPROCESSING_FILE}", json.dumps(record, indent=2))
    return record


def prepare(
    data: str | Path, out: str | Path, engine: str = "pandas", plan: SplitPlan | None = None
) -> dict:
    """Prepare the dataset in `data` into `out` with `engine`; returns preprocessing.json's record.

    The Spark engine uses the active Spark session, else starts a local one (and stops it
    at the end).
    """
    plan = plan or SplitPlan()
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "pandas":
        return prepare_with_pandas(Path(data), Path(out), plan)
    from pyspark.sql import SparkSession

    from jukebox_workshop.preparation.spark import session

    started = SparkSession.getActiveSession() is None
    spark = session()
    try:
        return prepare_with_spark(spark, str(data).rstrip("/"), str(out).rstrip("/"), plan)
    finally:
        if started:
            spark.stop()


def main(argv: list[str] | None = None) -> int:
    """`python prepare.py --data DIR --out DIR [--engine spark]`: what the SparkApplication runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder or s3a:// URI of the data files")
    parser.add_argument("--out", required=True, help="folder or s3a:// URI for the splits")
    parser.add_argument("--engine", choices=ENGINES, default="spark")
    parser.add_argument("--seed", type=int, default=SplitPlan.seed)
    args = parser.parse_args(argv)
    record = prepare(args.data, args.out, args.engine, SplitPlan(seed=args.seed))
    print(f"Wrote {record['split']['examples']} examples to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
