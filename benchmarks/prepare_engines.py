"""Notebook 2's preparation with pandas against Spark (local[2]), at 1x, 10x and 100x the data.

Each run is `jukebox prepare --engine ENGINE --data DIR --out TMP` in a process of its own:
its wall time (the Python start, and Spark's JVM start, included), the preparation's own
time (what the command prints), the CPU time of the process and its children (which a
machine shared with other work inflates less than wall time), and the peak resident memory of the process with its
children (Spark's JVM) summed, sampled every 50 ms. The datasets:
- 1x: the shipped dataset, jukebox/data (438,000 chart rows);
- 10x: `jukebox data generate --days 1200`, into build/prepare-data/10x (4.38 M rows);
- 100x: the generator holds a whole dataset in memory (3.2 GB at 10x), so 100x would need
  about 30 GB; instead, ten copies of the 10x dataset, each copy's songs renamed, into
  build/prepare-data/100x (43.8 M rows).
Then, from pandas' peak memory at the measured sizes (a straight line through them), the
size at which pandas would exhaust a Small workbench (8 GiB).

    python benchmarks/prepare_engines.py [--scales 1 10 100] [--repeat 3]

Records benchmarks/results/prepare_engines.json.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from recording import write_results  # a script beside this one

from jukebox_workshop.dataset.build.generate import DEFAULT_N_DAYS, generate
from jukebox_workshop.settings import DEFAULT_DATA_DIR, REPO_ROOT

RESULTS = Path(__file__).parent / "results" / "prepare_engines.json"
BUILD = REPO_ROOT / "build" / "prepare-data"
SMALL_WORKBENCH = 8 * 2**30  # OpenShift AI's Small container size: 2 CPUs, 8 GiB
GIB = 2**30
JUKEBOX = Path(sys.executable).parent / "jukebox"


def dataset(scale: int) -> Path:
    if scale == 1:
        return DEFAULT_DATA_DIR
    folder = BUILD / f"{scale}x"
    if (folder / "song_rankings.parquet").is_file():
        return folder
    if scale == 10:
        print("Generating 10x (jukebox data generate --days 1200) ...", flush=True)
        generate(folder, n_days=10 * DEFAULT_N_DAYS)
    elif scale == 100:
        print("Writing 100x: ten renamed copies of 10x ...", flush=True)
        tile(dataset(10), folder, copies=10)
    else:
        raise SystemExit(f"scale {scale}: 1, 10 or 100")
    return folder


def tile(source: Path, folder: Path, copies: int) -> None:
    """`copies` copies of a dataset, the songs of copy k renamed `<id>k` (both files)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("song_properties.parquet", "song_rankings.parquet"):
        table = pq.read_table(source / name)
        column = table.schema.get_field_index("spotify_id")
        with pq.ParquetWriter(folder / name, table.schema, compression="zstd") as writer:
            for copy in range(copies):
                renamed = pc.binary_join_element_wise(
                    table["spotify_id"], pa.scalar(f"{copy}"), pa.scalar("")
                )
                writer.write_table(table.set_column(column, "spotify_id", renamed))


def run_once(engine: str, data: Path) -> dict:
    """One `jukebox prepare` run: wall time, its own time, peak RSS of it and its children."""
    with tempfile.TemporaryDirectory(prefix="prepare-bench-") as out:
        started = time.perf_counter()
        process = psutil.Popen(
            [JUKEBOX, "prepare", "--engine", engine, "--data", data, "--out", out],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        peak, cpu = 0, {}
        while process.poll() is None:
            try:
                tree = [process, *process.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
                for member in tree:
                    times = member.cpu_times()
                    cpu[member.pid] = times.user + times.system
            except psutil.Error:
                pass
            time.sleep(0.05)
        wall = time.perf_counter() - started
        printed = process.stdout.read()
        if process.returncode:
            raise SystemExit(f"jukebox prepare --engine {engine} failed on {data}")
    inside = float(re.search(r" in ([\d.]+) s:", printed).group(1))
    return {
        "wall_s": round(wall, 2),
        "prepare_s": inside,
        "cpu_s": round(sum(cpu.values()), 1),
        "peak_rss_bytes": peak,
    }


def rows_of(data: Path) -> int:
    return pq.ParquetFile(data / "song_rankings.parquet").metadata.num_rows


def measure(scales: list[int], repeat: int) -> dict:
    results: dict = {
        "command": "python benchmarks/prepare_engines.py " + " ".join(sys.argv[1:]),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 1) for x in os.getloadavg()],
        "spark": "local[2], pyspark 4.0.4, driver memory 1g",
        "scales": {},
    }
    for scale in scales:
        data = dataset(scale)
        entry = {"chart_rows": rows_of(data)}
        runs = repeat if scale < 100 else 1
        for engine in ("pandas", "spark"):
            measured = []
            for _ in range(runs):
                measured.append(run_once(engine, data))
                print(f"{scale}x {engine}: {measured[-1]}", flush=True)
            entry[engine] = {
                "runs": measured,
                "median_wall_s": statistics.median(m["wall_s"] for m in measured),
                "median_prepare_s": statistics.median(m["prepare_s"] for m in measured),
                "median_cpu_s": statistics.median(m["cpu_s"] for m in measured),
                "median_peak_rss_gib": round(
                    statistics.median(m["peak_rss_bytes"] for m in measured) / GIB, 2
                ),
            }
        results["scales"][f"{scale}x"] = entry
    results["pandas_on_a_small_workbench"] = small_workbench_limit(results["scales"])
    return results


def small_workbench_limit(scales: dict) -> dict:
    """Where pandas' peak memory, a straight line through the measured sizes, reaches 8 GiB."""
    rows = np.array([entry["chart_rows"] for entry in scales.values()], dtype=float)
    peak = np.array([entry["pandas"]["median_peak_rss_gib"] for entry in scales.values()]) * GIB
    per_row, base = np.polyfit(rows, peak, 1)
    limit = (SMALL_WORKBENCH - base) / per_row
    shipped = 438_000
    return {
        "memory_limit_gib": SMALL_WORKBENCH / GIB,
        "bytes_per_chart_row": round(per_row, 1),
        "fixed_bytes": round(base),
        "chart_rows_at_the_limit": int(limit),
        "times_the_shipped_data": round(limit / shipped, 1),
        "note": "a straight line through pandas' measured peaks; the kernel's other "
        "notebooks and the rest of notebook 2 (validation, the leak demo) need room too",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine below 100x")
    args = parser.parse_args()
    results = measure(args.scales, args.repeat)
    write_results(RESULTS, results)
    limit = results["pandas_on_a_small_workbench"]
    print(
        f"pandas would exhaust a Small workbench (8 GiB) at about {limit['chart_rows_at_the_limit']:,} "
        f"chart rows ({limit['times_the_shipped_data']}x the shipped data). Recorded {RESULTS}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
