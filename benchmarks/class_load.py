"""A class at once: attendees upload and register a model version at the same moment.

After notebook 4, a class runs notebooks 5 and 6 together. Here each simulated attendee does
what those notebooks do, with the same libraries (boto3 and the `model-registry` client),
into one S3 server and one registry, all released at the same moment:

- connect: `head_bucket`;
- check: list the version's prefix (notebook 5 looks for stored checksums there);
- upload: the model files (the sizes of the workshop's model), each with its SHA-256;
- verify: read every object back and compare its SHA-256;
- connect registry: create the `ModelRegistry` client (it asks the registry once);
- register: the notebook's check, then `register_model` with the version's metrics;
- read back: the version and its artifact, whose URI must be the uploaded one.

Two rounds: each attendee under a model name of their own (`jukebox-<name>`), then all
under one shared name with versions of their own. Afterwards every version must be
registered exactly once, every object must hold what its attendee uploaded, and no request
may have had a 5xx answer. Under a shared name, the attendees who register the very first
version at the same moment race to create the model: the losers get a 409 from the client,
as they would from the real registry, and re-run the cell, as an attendee would; the
re-runs are counted.

Prints p50/p99 per step, the services' peak memory and the CPU time they used. The step
times include the clients' own work, which here shares the machine's CPUs with the servers
(the `model-registry` client builds a TLS context for every call, about 70 ms of CPU); in a
class each attendee's client runs on their own workbench.

    python benchmarks/class_load.py [--attendees 30] [--json benchmarks/results/class_load.json]

It starts its own platform in a temporary state dir on free ports, and runs each attendee
in a process of their own, as each attendee has a kernel of their own. The test suite runs
the same rounds with threads against its platform (tests/platform/test_class_load.py).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from jukebox_workshop import clients
from jukebox_workshop.settings import DEFAULT_BUCKET

STEPS = ("connect", "check", "upload", "verify", "connect registry", "register", "read back")
# The workshop model's files and their sizes in bytes (one `make workshop` run).
MODEL_FILES = {
    "1/model.onnx": 41926,
    "model.keras": 183315,
    "metrics.json": 723,
    "preprocessing.json": 2143,
    "training.json": 902,
}
MIB = 1024 * 1024
ROUND_TIMEOUT = 300


@dataclass
class Attendee:
    name: str
    model: str
    version: str
    timings: dict[str, float] = field(default_factory=dict)
    released: float = 0.0  # wall clock: comparable across processes
    finished: float = 0.0
    error: str | None = None
    reruns: int = 0
    server_errors: list[str] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"{self.model}/{self.version}"

    def content(self, path: str) -> bytes:
        """The attendee's own bytes for one model file: never the same as another's."""
        seed = hashlib.sha256(f"{self.prefix}/{path}".encode()).digest()
        return (seed * (MODEL_FILES[path] // len(seed) + 1))[: MODEL_FILES[path]]


def s3_client(environment: dict[str, str], server_errors: list[str]):
    """A client configured as notebook 5's, that also records every 5xx answer (retried or not)."""
    client = clients.s3_client(environment, read_timeout=60)

    def record(response=None, operation=None, **_) -> None:
        if response and response[0] is not None and response[0].status_code >= 500:
            server_errors.append(f"S3 {operation.name}: {response[0].status_code}")

    client.meta.events.register("needs-retry.s3", record)
    return client


def registry_client(environment: dict[str, str], author: str):
    # Quiet: not "User access token is missing" nor "port is not 80" for every attendee.
    return clients.registry_client(
        environment["MODEL_REGISTRY_URL"],
        author=author,
        token=environment.get("MODEL_REGISTRY_TOKEN"),
        quiet=True,
    )


class Session:
    """One attendee's notebooks 5 and 6."""

    def __init__(self, attendee: Attendee, environment: dict[str, str]) -> None:
        from model_registry.utils import s3_uri_from

        self.attendee, self.environment = attendee, environment
        self.bucket = environment["AWS_S3_BUCKET"]
        self.s3 = s3_client(environment, attendee.server_errors)
        self.files = {f"{attendee.prefix}/{path}": attendee.content(path) for path in MODEL_FILES}
        self.checksums = {key: hashlib.sha256(body).hexdigest() for key, body in self.files.items()}
        self.uri = s3_uri_from(
            attendee.prefix,
            self.bucket,
            endpoint=environment["AWS_S3_ENDPOINT"],
            region=environment["AWS_DEFAULT_REGION"],
        )

    def connect(self) -> None:
        self.s3.head_bucket(Bucket=self.bucket)

    def check(self) -> None:
        listing = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=self.attendee.prefix + "/")
        if listing.get("Contents"):
            raise AssertionError(f"{self.attendee.prefix} holds objects before the upload")

    def upload(self) -> None:
        for key, body in self.files.items():
            extra = {"Metadata": {"sha256": self.checksums[key]}}
            self.s3.upload_fileobj(io.BytesIO(body), self.bucket, key, ExtraArgs=extra)

    def verify(self) -> None:
        for key in self.files:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            if hashlib.sha256(body).hexdigest() != self.checksums[key]:
                raise AssertionError(f"{key} does not hold what was uploaded")

    def connect_registry(self) -> None:
        self.registry = registry_client(self.environment, self.attendee.name)

    def register(self) -> None:
        from mr_openapi.exceptions import ConflictException

        attendee, registry = self.attendee, self.registry
        if registry.get_registered_model(attendee.model) and registry.get_model_version(
            attendee.model, attendee.version
        ):
            raise AssertionError(f"{attendee.prefix} is registered before its registration")
        arguments = {
            "version": attendee.version,
            "model_format_name": "onnx",
            "model_format_version": "1",
            "storage_key": DEFAULT_BUCKET,
            "storage_path": attendee.prefix,
            "metadata": {"test_top5_accuracy": 0.29, "attendee": attendee.name},
        }
        try:
            registry.register_model(attendee.model, self.uri, **arguments)
        except ConflictException as error:
            if "registered model" not in str(error.body) or attendee.reruns:
                raise
            attendee.reruns += 1  # another attendee created the model a moment before: re-run
            registry.register_model(attendee.model, self.uri, **arguments)

    def read_back(self) -> None:
        registry = self.registry
        artifact = registry.get_model_artifact(self.attendee.model, self.attendee.version)
        version = registry.get_model_version(self.attendee.model, self.attendee.version)
        if artifact.uri != self.uri or version.custom_properties["attendee"] != self.attendee.name:
            raise AssertionError(f"{self.attendee.prefix} is registered with another's data")


def attend(attendee: Attendee, environment: dict[str, str], start) -> Attendee:
    """Notebooks 5 and 6 for one attendee, released with the others by `start`, step by step."""
    try:
        session = Session(attendee, environment)
        start.wait(timeout=ROUND_TIMEOUT)
        attendee.released = time.time()
        for step in STEPS:
            began = time.perf_counter()
            getattr(session, step.replace(" ", "_"))()
            attendee.timings[step] = time.perf_counter() - began
    except Exception as error:  # reported per attendee; the round goes on
        attendee.error = f"{type(error).__name__}: {str(error).splitlines()[0]}"
    attendee.finished = time.time()
    return attendee


def _attend_in_process(attendee: Attendee, environment, start, results) -> None:
    results.put(attend(attendee, environment, start))


class ServiceWatch:
    """Peak resident memory and CPU time of the platform's services while a round runs."""

    def __init__(self, pids: dict[str, int], interval: float = 0.1) -> None:
        import psutil

        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.cpu = {name: sum(p.cpu_times()[:2]) for name, p in self.processes.items()}
        self.peak = {name: 0.0 for name in pids}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self.thread.start()

    def _run(self, interval: float) -> None:
        while not self.stopped.is_set():
            for name, process in self.processes.items():
                try:
                    self.peak[name] = max(self.peak[name], process.memory_info().rss / MIB)
                except Exception:  # a process that ended: its peak so far stands
                    pass
            self.stopped.wait(interval)

    def stop(self) -> tuple[dict[str, float], dict[str, float]]:
        """Peak memory in MiB and CPU seconds used, by service."""
        self.stopped.set()
        self.thread.join()
        cpu = {name: sum(p.cpu_times()[:2]) - self.cpu[name] for name, p in self.processes.items()}
        return self.peak, cpu


def _run_attendees(attendees: list[Attendee], environment, processes: bool) -> list[Attendee]:
    if not processes:
        start = threading.Barrier(len(attendees))
        done: list[Attendee] = []
        threads = [
            threading.Thread(target=lambda a=a: done.append(attend(a, environment, start)))
            for a in attendees
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=ROUND_TIMEOUT)
        return done
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(len(attendees)), context.Queue()
    workers = [
        context.Process(target=_attend_in_process, args=(a, environment, start, results))
        for a in attendees
    ]
    for worker in workers:
        worker.start()
    done = [results.get(timeout=ROUND_TIMEOUT) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    return done


@dataclass
class Round:
    label: str
    attendees: list[Attendee]
    seconds: float
    peak_rss_mib: dict[str, float]
    cpu_seconds: dict[str, float]
    problems: list[str]

    @property
    def server_errors(self) -> list[str]:
        return [error for attendee in self.attendees for error in attendee.server_errors]

    @property
    def reruns(self) -> int:
        return sum(attendee.reruns for attendee in self.attendees)

    def percentiles(self) -> dict[str, dict[str, float]]:
        table = {}
        for step in STEPS:
            times = sorted(a.timings[step] * 1000 for a in self.attendees if step in a.timings)
            if times:
                p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
                table[step] = {"p50_ms": statistics.median(times), "p99_ms": p99}
        return table

    def summary(self) -> dict:
        return {
            "attendees": len(self.attendees),
            "seconds": self.seconds,
            "steps": self.percentiles(),
            "server_errors": self.server_errors,
            "reruns_after_409": self.reruns,
            "peak_rss_mib": self.peak_rss_mib,
            "cpu_seconds": self.cpu_seconds,
            "problems": self.problems,
        }


def final_state(environment: dict[str, str], attendees: list[Attendee]) -> list[str]:
    """What is wrong in the bucket and the registry once everyone is done."""
    problems = []
    s3 = s3_client(environment, [])
    registry = registry_client(environment, "checker")
    for model in sorted({a.model for a in attendees}):
        names = sorted(v.name for v in registry.get_model_versions(model))
        expected = sorted(a.version for a in attendees if a.model == model)
        if names != expected:
            missing, extra = sorted(set(expected) - set(names)), sorted(set(names) - set(expected))
            problems.append(f"{model}: {len(names)} versions; missing {missing}, extra {extra}")
    for attendee in attendees:
        for path in MODEL_FILES:
            key = f"{attendee.prefix}/{path}"
            body = s3.get_object(Bucket=environment["AWS_S3_BUCKET"], Key=key)["Body"].read()
            if body != attendee.content(path):
                problems.append(f"{key} does not hold {attendee.name}'s file")
    return problems


def run_round(
    environment: dict[str, str],
    attendees: list[Attendee],
    label: str,
    service_pids: dict[str, int],
    processes: bool = False,
) -> Round:
    watch = ServiceWatch(service_pids)
    done = _run_attendees(attendees, environment, processes)
    peak, cpu = watch.stop()
    released = [a.released for a in done if a.released]
    seconds = max(a.finished for a in done) - min(released) if released else 0.0
    problems = [f"{a.name}: {a.error}" for a in done if a.error]
    if len(done) < len(attendees):
        problems.append(f"{len(attendees) - len(done)} attendees did not finish")
    problems += final_state(environment, attendees)
    return Round(label, done, seconds, peak, cpu, problems)


def class_rounds(
    environment: dict[str, str],
    service_pids: dict[str, int],
    attendees: int = 30,
    processes: bool = False,
) -> list[Round]:
    """Both rounds: a model name per attendee, then one shared name."""
    run = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    names = [f"attendee{number:02d}-{run}" for number in range(1, attendees + 1)]
    version = "20261201-151654"  # trained in the same minute: the same version name for all
    own = [Attendee(name, f"jukebox-{name}", version) for name in names]
    shared_model = f"jukebox-{run}"  # "jukebox" in class; a new name here, for repeated runs
    shared = [Attendee(name, shared_model, f"{version}-{i:02d}") for i, name in enumerate(names)]
    return [
        run_round(environment, own, "a model name per attendee", service_pids, processes),
        run_round(environment, shared, "one shared model name", service_pids, processes),
    ]


def report(rounds: list[Round]) -> str:
    lines = []
    for round_ in rounds:
        lines.append(
            f"{round_.label}: {len(round_.attendees)} attendees at once, all done "
            f"{round_.seconds:.1f} s after the start"
        )
        lines.append(f"  {'step':<18}{'p50 ms':>9}{'p99 ms':>9}")
        for step, values in round_.percentiles().items():
            lines.append(f"  {step:<18}{values['p50_ms']:>9.0f}{values['p99_ms']:>9.0f}")
        for name in round_.peak_rss_mib:
            lines.append(
                f"  {name:<10} peak {round_.peak_rss_mib[name]:.0f} MiB, "
                f"CPU {round_.cpu_seconds[name]:.1f} s"
            )
        lines.append(
            f"  5xx answers: {len(round_.server_errors)}; re-runs after a 409: {round_.reruns}; "
            f"problems: {len(round_.problems)}"
        )
        lines += [f"    {problem}" for problem in round_.problems[:10]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=30)
    parser.add_argument(
        "--threads", action="store_true", help="attendees in threads, not processes"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    from platform_start import isolate
    from recording import write_results

    from jukebox_workshop.local import lifecycle

    with tempfile.TemporaryDirectory(prefix="jukebox-class-") as state:
        isolate(state)
        lifecycle.start()
        try:
            pids = {s.name: s.pid for s in lifecycle.status() if s.pid}
            environment = lifecycle.environment()
            rounds = class_rounds(environment, pids, args.attendees, not args.threads)
        finally:
            lifecycle.stop()
    print(report(rounds))
    how = "threads" if args.threads else "processes"
    print(f"(attendees in {how}; {os.cpu_count()} CPUs, shared by clients, servers and other work)")
    if args.json:
        results = {
            "rounds": {r.label: r.summary() for r in rounds},
            "attendees_in": how,
            "cpus": os.cpu_count(),
        }
        write_results(args.json, results)
    return 1 if any(r.problems or r.server_errors for r in rounds) else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
