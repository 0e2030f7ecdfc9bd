"""Start time and memory of the local platform (SeaweedFS S3 server, Model Registry, MLflow).

Starts the platform N times from stopped, in a temporary state dir on free ports (the first
start on a fresh state dir, the others warm, with the data of the previous ones), and times
`lifecycle.start()` until every service answers and the buckets exist. After each start it
reads the resident memory (VmRSS) of each service (with its children) and times the first
small upload, then stops the lifecycle. Prints each run and the medians. Target: median start
< 15 s (the MLflow server's imports take most of it).

    python benchmarks/platform_start.py [--runs 5] [--json results.json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from recording import write_results  # a script beside this one

from jukebox_workshop.clients import s3_client
from jukebox_workshop.local import lifecycle

TARGET_SECONDS = 15
MIB = 1024 * 1024


def isolate(state: str | Path) -> None:
    """Point the platform at a state folder of its own and free ports for every service, so a
    benchmark never meets the platform of `make up` or of the tests."""
    os.environ.pop("JUKEBOX_REGISTRY_AUTH", None)
    os.environ.update(lifecycle.isolated_environment(Path(state)))


def first_upload_seconds(environment: dict[str, str]) -> float:
    s3 = s3_client(environment)  # configured as notebook 5's
    started = time.perf_counter()
    s3.put_object(Bucket="models", Key=f"benchmark/{time.time_ns()}", Body=b"x" * 1024)
    return time.perf_counter() - started


def run_once() -> dict[str, float]:
    started = time.perf_counter()
    lifecycle.start()
    start_seconds = time.perf_counter() - started
    memory = {
        f"{s.name}_rss_mib": (s.rss_bytes or 0) / MIB for s in lifecycle.status() if s.running
    }
    upload_seconds = first_upload_seconds(lifecycle.environment())
    started = time.perf_counter()
    lifecycle.stop()
    stop_seconds = time.perf_counter() - started
    return {
        "start_seconds": start_seconds,
        "first_upload_seconds": upload_seconds,
        "stop_seconds": stop_seconds,
        **memory,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="jukebox-benchmark-") as state:
        isolate(state)
        runs = []
        try:
            for number in range(1, args.runs + 1):
                run = run_once()
                runs.append(run)
                kind = "fresh" if number == 1 else "warm"
                print(
                    f"run {number} ({kind}): start {run['start_seconds']:5.2f} s, "
                    f"S3 {run['s3_rss_mib']:4.0f} MiB, "
                    f"registry {run['registry_rss_mib']:4.0f} MiB, "
                    f"MLflow {run['mlflow_rss_mib']:4.0f} MiB, "
                    f"first upload {run['first_upload_seconds'] * 1000:4.0f} ms, "
                    f"stop {run['stop_seconds']:4.1f} s",
                    flush=True,
                )
        finally:
            lifecycle.stop()

    medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    met = "met" if medians["start_seconds"] < TARGET_SECONDS else "MISSED"
    print(
        f"median of {len(runs)}: start {medians['start_seconds']:.2f} s "
        f"(target < {TARGET_SECONDS} s: {met}); resident memory: "
        f"S3 server {medians['s3_rss_mib']:.0f} MiB, "
        f"Model Registry {medians['registry_rss_mib']:.0f} MiB, "
        f"MLflow server {medians['mlflow_rss_mib']:.0f} MiB"
    )
    if args.json:
        write_results(args.json, {"runs": runs, "median": medians})


if __name__ == "__main__":
    main()
