"""Files for the preparation's Spark engine, in a local folder or behind a URI (s3a://).

A local folder gets what the pandas engine writes: one Parquet file per split, so the later
notebooks read either engine's output the same way. A URI gets Spark's own layout: a folder
of part files per split, which pandas and pyarrow read as one table too.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from jukebox_workshop.preparation.spark import SparkSetupError

# What Spark says about a Parquet file with nanosecond timestamps (pandas' default unit).
_NANOSECONDS = ("TIMESTAMP(NANOS", "PARQUET_TYPE_ILLEGAL")


def is_local(path: str) -> bool:
    return urlparse(path).scheme in ("", "file")


def local_path(path: str) -> Path:
    return Path(urlparse(path).path if path.startswith("file:") else path)


def read_parquet(spark, path: str):
    """A Spark DataFrame of a Parquet file; a clear message for nanosecond timestamps."""
    from pyspark.errors import AnalysisException

    try:
        return spark.read.parquet(path)
    except AnalysisException as error:
        if any(mark in str(error) for mark in _NANOSECONDS):
            raise SparkSetupError(
                f"Spark cannot read {path}: it has nanosecond timestamps, which Spark refuses. "
                "Write it with microseconds, as `jukebox data` does: "
                "`frame.to_parquet(path, coerce_timestamps='us', allow_truncated_timestamps=True)`."
            ) from error
        raise


def write_split(rows, order: list[str], path: str) -> None:
    """Write one split sorted by `order`: a single file in a local folder, part files elsewhere."""
    if not is_local(path):
        rows.orderBy(*order).write.mode("overwrite").parquet(path)
        return
    target = local_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".spark-", dir=target.parent) as folder:
        written = Path(folder) / "split"
        rows.coalesce(1).sortWithinPartitions(*order).write.parquet(str(written))
        (part,) = written.glob("part-*.parquet")
        if target.is_dir():
            shutil.rmtree(target)
        part.replace(target)


def sha256_of_file(spark, path: str) -> str:
    """The SHA-256 of a file, read here when local, by an executor otherwise."""
    if is_local(path):
        digest = hashlib.sha256()
        with open(local_path(path), "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    ((_, content),) = spark.sparkContext.binaryFiles(path).collect()
    return hashlib.sha256(content).hexdigest()


def write_text(spark, path: str, text: str) -> None:
    """Write a small text file: directly when local, through Hadoop's file system otherwise."""
    if is_local(path):
        local_path(path).write_text(text, encoding="utf-8")
        return
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(path)
    system = target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    stream = system.create(target, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
