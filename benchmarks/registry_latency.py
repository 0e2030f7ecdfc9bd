"""Latency of the local Model Registry on loopback, and its memory.

Starts `python -m jukebox_workshop.local.registry_server` on a free port with a fresh database, then times
a few hundred requests of each kind over one keep-alive connection:

- register: POST a model version with custom properties
- get: GET a model version by id
- find: GET a model version by name and registered model (what the client does most)

Prints p50/p99 in milliseconds and the server's resident memory (VmRSS). Target: p50 < 5 ms.

    python benchmarks/registry_latency.py [--requests 300]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from jukebox_workshop.local.ports import free_port

API = "/api/model_registry/v1alpha3"
PROPERTIES = {
    "accuracy": {"metadataType": "MetadataDoubleValue", "double_value": 0.9812},
    "epochs": {"metadataType": "MetadataIntValue", "int_value": "5"},
    "framework": {"metadataType": "MetadataStringValue", "string_value": "tensorflow"},
    "quantized": {"metadataType": "MetadataBoolValue", "bool_value": False},
}


def resident_memory_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None  # not Linux
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def wait_until_ready(url: str, server: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("the registry exited during startup")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    sys.exit("the registry did not become ready")


def timed(requests: int, send: Callable[[int], httpx.Response]) -> list[float]:
    """Milliseconds per request; any response that is not a success stops the benchmark."""
    latencies = []
    for i in range(requests):
        start = time.perf_counter()
        response = send(i)
        latencies.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return latencies


def measure(requests: int = 300) -> dict[str, float | None]:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            sys.executable,
            "-m",
            "jukebox_workshop.local.registry_server",
            "--port",
            str(port),
        ]
        command += ["--database", str(Path(tmp) / "registry.db")]
        with (Path(tmp) / "registry.log").open("wb") as log:
            server = subprocess.Popen(command, stdout=log, stderr=log)
        try:
            wait_until_ready(url, server)
            with httpx.Client(base_url=url) as http:
                model = http.post(f"{API}/registered_models", json={"name": "jukebox"}).json()
                for _ in range(20):  # warm up connections, caches and code paths
                    http.get(f"{API}/registered_models/{model['id']}")

                def register(i: int) -> httpx.Response:
                    body = {"name": f"1.0.{i}", "registeredModelId": model["id"], "author": "bench"}
                    return http.post(
                        f"{API}/model_versions", json={**body, "customProperties": PROPERTIES}
                    )

                register_ms = timed(requests, register)
                versions = http.get(f"{API}/registered_models/{model['id']}/versions?pageSize=1000")
                ids = [item["id"] for item in versions.json()["items"]]

                def get(i: int) -> httpx.Response:
                    return http.get(f"{API}/model_versions/{ids[i % len(ids)]}")

                def find(i: int) -> httpx.Response:
                    params = {"name": f"1.0.{i % requests}", "parentResourceId": model["id"]}
                    return http.get(f"{API}/model_version", params=params)

                get_ms = timed(requests, get)
                find_ms = timed(requests, find)
            memory = resident_memory_mb(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(10)

    results: dict[str, float | None] = {"requests": requests, "rss_mb": memory}
    for name, latencies in (("register", register_ms), ("get", get_ms), ("find", find_ms)):
        percentiles = statistics.quantiles(latencies, n=100)
        results[f"{name}_p50_ms"] = statistics.median(latencies)
        results[f"{name}_p99_ms"] = percentiles[98]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind")
    results = measure(parser.parse_args().requests)
    print(f"Model Registry latency on loopback, {results['requests']} requests each")
    print(f"{'request':<10}{'p50 ms':>9}{'p99 ms':>9}")
    for name in ("register", "get", "find"):
        print(f"{name:<10}{results[f'{name}_p50_ms']:>9.2f}{results[f'{name}_p99_ms']:>9.2f}")
    rss = results["rss_mb"]
    print(f"server resident memory: {rss:.1f} MB" if rss is not None else "server memory: n/a")
    worst_p50 = max(results[f"{name}_p50_ms"] for name in ("register", "get", "find"))
    print(f"target p50 < 5 ms: {'met' if worst_p50 < 5 else 'MISSED'}")


if __name__ == "__main__":
    main()
