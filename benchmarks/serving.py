"""Latency of the local model server on loopback, against ONNX Runtime and OpenVINO in this
process, and how far OpenVINO's answers move in f32 and bf16.

Starts the local platform (with the model server) in a temporary state dir on free ports,
uploads the newest trained version (`jukebox/output/runs/LATEST`: run `make workshop` first)
to its S3 server and registers it, as notebooks 5 and 6 do, and deploys it with
`jukebox_workshop.local.deploy`. Then it times the same KServe V2 request, sent over one
keep-alive connection (encode, send, receive, decode), for one song and for a batch of 64
test songs, and the same inputs through ONNX Runtime and OpenVINO (f32) in this process: the
ratio to beat. Prints p50/p99 in milliseconds and throughput (medians over rounds), the largest
difference between the answers, and the model server's resident memory. Then, on every test
song, OpenVINO's answers at INFERENCE_PRECISION_HINT f32 and bf16 against ONNX Runtime's
(largest difference, songs whose top country or top-5 set changes); bf16 only where the CPU
computes it (OpenVINO's OPTIMIZATION_CAPABILITIES lists BF16), else it says so.
Targets: p50 < 10 ms for one song, < 30 ms for 64.

    python benchmarks/serving.py [--requests 500] [--repeat 3] [--json results.json]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import onnxruntime as ort
import openvino as ov
import pandas as pd
from platform_start import isolate  # scripts beside this one
from recording import write_results

from jukebox_workshop.clients import registry_client, s3_client
from jukebox_workshop.local import lifecycle
from jukebox_workshop.local.deploy import deploy
from jukebox_workshop.runs import Run, Workspace
from jukebox_workshop.settings import (
    DEFAULT_BUCKET,
    DEFAULT_MODEL_NAME,
    OUTPUT_DIR,
    REGISTRY_TOKEN_VARIABLE,
    REGISTRY_URL_VARIABLE,
)

MODEL_NAME = DEFAULT_MODEL_NAME
TARGETS_MS = {1: 10.0, 64: 30.0}
MIB = 1024 * 1024
WHERE = ("server", "onnx_runtime", "openvino_f32")
OUTPUT = "country_probabilities"


def upload_and_register(run: Run, environment: dict[str, str]) -> None:
    """What notebooks 5 and 6 do, in short: the run's model folder to S3, then the registry."""
    s3 = s3_client(environment)
    prefix = f"{MODEL_NAME}/{run.version}"
    for path in sorted(run.model_dir.rglob("*")):
        if path.is_file():
            body = path.read_bytes()
            s3.put_object(
                Bucket=DEFAULT_BUCKET,
                Key=f"{prefix}/{path.relative_to(run.model_dir).as_posix()}",
                Body=body,
                Metadata={"sha256": hashlib.sha256(body).hexdigest()},
            )
    registry = registry_client(
        environment[REGISTRY_URL_VARIABLE],
        token=environment.get(REGISTRY_TOKEN_VARIABLE),
        quiet=True,
    )
    registry.register_model(
        MODEL_NAME,
        f"s3://{DEFAULT_BUCKET}/{prefix}?endpoint={environment['AWS_S3_ENDPOINT']}"
        f"&defaultRegion={environment['AWS_DEFAULT_REGION']}",
        version=run.version,
        model_format_name="onnx",
        model_format_version="1",
        storage_key=DEFAULT_BUCKET,
        storage_path=prefix,
    )


def v2_request(songs: pd.DataFrame, features: list[str]) -> dict:
    return {
        "inputs": [
            {
                "name": name,
                "datatype": "FP32",
                "shape": [len(songs), 1],
                "data": songs[name].astype(float).tolist(),
            }
            for name in features
        ]
    }


def timed(requests: int, send: Callable[[], object]) -> list[float]:
    """Milliseconds per call, after a warm-up."""
    for _ in range(20):
        send()
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        send()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def summary(latencies: list[float], songs: int) -> dict[str, float]:
    p50 = statistics.median(latencies)
    return {
        "p50_ms": p50,
        "p99_ms": statistics.quantiles(latencies, n=100)[98],
        "songs_per_second": songs * 1000 / statistics.fmean(latencies),
    }


def measure(run: Run, workspace: Workspace, requests: int, repeat: int) -> dict:
    preprocessing = run.preprocessing()
    features = preprocessing["features"]
    test = pd.read_parquet(workspace.split_file("test")).drop_duplicates("spotify_id")
    session = ort.InferenceSession(str(run.onnx_file), providers=["CPUExecutionProvider"])

    lifecycle.start(["model-server"])  # with S3 and the registry
    environment = lifecycle.environment()
    upload_and_register(run, environment)
    deployment = deploy(MODEL_NAME, run.version, report=None)
    address = urlsplit(deployment.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    path = f"/v2/models/{MODEL_NAME}/infer"

    def served(songs: pd.DataFrame) -> np.ndarray:
        body = json.dumps(v2_request(songs, features))
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = json.loads(response.read())
        if response.status != 200:
            sys.exit(f"the model server answered {response.status}: {answer}")
        (output,) = answer["outputs"]
        return np.array(output["data"], dtype=np.float32).reshape(output["shape"])

    def feeds(songs: pd.DataFrame) -> dict[str, np.ndarray]:
        return {name: songs[[name]].to_numpy(np.float32) for name in features}

    def in_process(songs: pd.DataFrame) -> np.ndarray:
        return session.run([OUTPUT], feeds(songs))[0]

    openvino = compiled(run, "f32")

    def in_openvino(songs: pd.DataFrame) -> np.ndarray:
        return openvino(feeds(songs))[openvino.output(OUTPUT)]

    cases = {count: test.sample(n=count, random_state=42) for count in TARGETS_MS}
    rounds: list[dict] = []
    for _ in range(repeat):
        measured = {}
        for count, songs in cases.items():
            measured[count] = {}
            for where, call in zip(WHERE, (served, in_process, in_openvino), strict=True):
                connection.close()  # the server drops a connection idle for a few seconds
                latencies = timed(requests, lambda songs=songs, call=call: call(songs))
                measured[count][where] = summary(latencies, count)
        rounds.append(measured)
    connection.close()

    results: dict = {"version": run.version, "requests": requests, "rounds": rounds}
    results["median"] = {
        count: {
            where: {
                key: statistics.median(r[count][where][key] for r in rounds)
                for key in rounds[0][count][where]
            }
            for where in WHERE
        }
        for count in cases
    }
    results["largest_difference"] = max(
        float(np.abs(served(songs) - in_process(songs)).max()) for songs in cases.values()
    )
    (status,) = [s for s in lifecycle.status() if s.name == "model-server"]
    results["server_rss_mib"] = (status.rss_bytes or 0) / MIB
    results["precision"] = precision(run, test[features], in_process(test))
    return results


def compiled(run: Run, hint: str) -> ov.CompiledModel:
    return ov.Core().compile_model(run.onnx_file, "CPU", {"INFERENCE_PRECISION_HINT": hint})


def precision(run: Run, songs: pd.DataFrame, reference: np.ndarray) -> dict:
    """OpenVINO's answers on every test song, per precision, against ONNX Runtime's."""
    has_bf16 = "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    top5 = np.sort(np.argsort(reference, axis=1)[:, -5:], axis=1)
    results: dict = {"songs": len(songs), "cpu_computes_bf16": has_bf16}
    for hint in ("f32", "bf16") if has_bf16 else ("f32",):
        model = compiled(run, hint)
        answer = model({name: songs[[name]].to_numpy(np.float32) for name in songs})[
            model.output(OUTPUT)
        ]
        results[hint] = {
            "computed_in": model.get_property("INFERENCE_PRECISION_HINT").get_type_name(),
            "largest_difference": float(np.abs(answer - reference).max()),
            "top_country_changed": int((answer.argmax(1) != reference.argmax(1)).sum()),
            "top5_changed": int(
                (np.sort(np.argsort(answer, axis=1)[:, -5:], axis=1) != top5).any(1).sum()
            ),
        }
    return results


def report(results: dict) -> None:
    print(
        f"Model server latency on loopback, version {results['version']}: medians of "
        f"{len(results['rounds'])} rounds of {results['requests']} requests"
    )
    print(f"{'songs':>5} {'where':<13}{'p50 ms':>8}{'p99 ms':>8}{'songs/s':>10}")
    for count, case in results["median"].items():
        for where in WHERE:
            row = case[where]
            print(
                f"{count:>5} {where.replace('_', ' '):<13}{row['p50_ms']:>8.2f}"
                f"{row['p99_ms']:>8.2f}{row['songs_per_second']:>10.0f}"
            )
        ratio = case["server"]["p50_ms"] / case["onnx_runtime"]["p50_ms"]
        met = "met" if case["server"]["p50_ms"] < TARGETS_MS[count] else "MISSED"
        print(
            f"      server / in-process p50: {ratio:.1f}x; "
            f"target p50 < {TARGETS_MS[count]:.0f} ms: {met}"
        )
    print(f"largest difference from ONNX Runtime: {results['largest_difference']:.1e}")
    print(f"model server resident memory: {results['server_rss_mib']:.0f} MiB")
    found = results["precision"]
    print(f"OpenVINO against ONNX Runtime on {found['songs']} test songs:")
    for hint in ("f32", "bf16"):
        if hint not in found:
            print(f"  {hint}: not measured, this CPU does not compute in bf16")
            continue
        row = found[hint]
        print(
            f"  {hint} (computed in {row['computed_in']}): largest difference "
            f"{row['largest_difference']:.1e}, top country changed for "
            f"{row['top_country_changed']}, top-5 set for {row['top5_changed']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="timed requests per case")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    workspace = Workspace(OUTPUT_DIR)
    if not workspace.latest_version():
        sys.exit(f"No trained model in {workspace.runs_dir}/: run `make workshop` first.")
    run = workspace.run(workspace.latest_version())

    with tempfile.TemporaryDirectory(prefix="jukebox-serving-") as state:
        isolate(state)
        try:
            results = measure(run, workspace, args.requests, args.repeat)
        finally:
            lifecycle.stop()
    report(results)
    if args.json:
        write_results(args.json, results)


if __name__ == "__main__":
    main()
