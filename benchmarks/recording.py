"""Reading and writing the benchmarks' JSON results (benchmarks/results/, or a --json file)."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def read_results(path: Path) -> dict[str, Any]:
    """What an earlier run recorded in the file, to add to; empty if there is no file yet."""
    return json.loads(path.read_text()) if path.exists() else {}


def write_results(path: Path, results: Any) -> None:
    """Write the results as indented JSON, creating the file's folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def stamp(results: dict[str, Any], *, shared: bool = False) -> dict[str, Any]:
    """Add the machine and the time of the measurement to the results, and return them."""
    results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    if shared:
        results["machine"]["shared"] = "yes: other work ran on the same CPUs"
    results["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results
