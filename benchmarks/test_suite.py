"""How long the test lanes take: `make check`, the pytest of `make test`, `make test-workbench`,
and `.ci/run` as CI runs it.

Each lane runs in a fresh clone of the committed HEAD (no jukebox/output/, no build/, as CI
has it). `check`, `test` and `test-workbench` link this checkout's virtual environments in, so
what they measure is the tests, not pip; `ci` runs `.ci/run` in the clone as CI does, creating
the environments from pip's cache. The figures go to benchmarks/results/test_suite.json, one
entry per lane with its seconds, pytest's closing lines and the slowest tests, added to what
earlier runs recorded.

    .venv/bin/python benchmarks/test_suite.py                 # check and ci
    .venv/bin/python benchmarks/test_suite.py --lanes test    # one of them

The simulated images' environments stay cached in ~/.cache/jukebox-workbench: a lane that
runs them twice shows the warm figure after a cold one.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from recording import read_results, write_results

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "test_suite.json"
LOGS = ROOT / "build" / "test-suite"  # each lane's whole output
PYTEST = [".venv/bin/python", "-m", "pytest", "-p", "no:cacheprovider"]
LANES = {
    "check": [*PYTEST, "-n", "2", "-m", "not slow", "tests"],
    "test": [*PYTEST, "-n", "2"],
    "test-workbench": [".venv/bin/python", "tests/workbench/simulate.py"],
    "ci": ["bash", ".ci/run"],
}
LINKED = ("check", "test", "test-workbench")
SUMMARY = re.compile(r"=+ (.*\d+ (passed|failed).*) in ([\d.]+)s")
IMAGE_STEPS = re.compile(r"^== (\S+) \(Python [\d.]+\): (.+)$", re.M)  # simulate.py's report
SLOWEST = re.compile(r"^([\d.]+)s (call|setup|teardown)\s+(.+)$", re.M)


def fresh_clone(folder: Path, linked: bool) -> Path:
    folder.chmod(0o755)  # as a clone's folder usually is: the random-uid test reads it
    clone = folder / ("linked" if linked else "ci")
    if not clone.exists():
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        for venv in (".venv", ".venv-serving") if linked else ():
            (clone / venv).symlink_to(ROOT / venv)
    return clone


def run_lane(name: str, folder: Path) -> dict:
    print(f"== {name}: {' '.join(LANES[name])}", flush=True)
    clone = fresh_clone(folder, name in LINKED)
    environment = {**os.environ, "CI": "true"}
    if name in LINKED:  # the linked environment installed this checkout's package
        environment["PYTHONPATH"] = str(clone / "src")
    started = time.perf_counter()
    result = subprocess.run(
        LANES[name],
        cwd=clone,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    output = result.stdout + result.stderr
    (LOGS / f"{name}.log").write_text(output)
    print(output[-3000:], flush=True)
    counts = [match[0] for match in SUMMARY.findall(output)]
    return {
        "seconds": round(seconds, 1),
        "exit_code": result.returncode,
        "pytest_summaries": counts,
        "workbench_images": dict(IMAGE_STEPS.findall(output)),
        "slowest": [
            {"seconds": float(s), "phase": phase, "test": test}
            for s, phase, test in SLOWEST.findall(output)[:10]
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lanes", nargs="+", choices=list(LANES), default=["check", "ci"])
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    recorded = read_results(RESULTS)
    LOGS.mkdir(parents=True, exist_ok=True)
    failed = False
    with tempfile.TemporaryDirectory(prefix="jukebox-test-suite-") as folder:
        for name in args.lanes:
            figures = run_lane(name, Path(folder))
            failed |= figures["exit_code"] != 0
            figures |= {
                "commit": commit,
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            }
            recorded.setdefault(name, []).append(figures)
            print(f"{name}: {figures['seconds']:.0f} s, {figures['pytest_summaries']}")
    write_results(RESULTS, recorded)
    print(f"Recorded in {RESULTS.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
