"""`jukebox prepare`: notebook 2's preparation (jukebox/prepare.py, beside the notebooks) outside
a notebook, with either engine.

The function lives beside the notebooks, as jukebox/model.py does, because an attendee reads
and changes it there; this module loads that very file, so the command, the tests and the
benchmark run the notebook's code, not a copy.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

from jukebox_workshop.errors import DatasetNotFoundError
from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import DATA_FILES, DEFAULT_DATA_DIR, NOTEBOOK_DIR, data_dir

PREPARE_FILE = NOTEBOOK_DIR / "prepare.py"


def prepare_module(path: Path = PREPARE_FILE) -> ModuleType:
    """jukebox/prepare.py as a module (the one a notebook imports as `prepare`)."""
    if "prepare" in sys.modules and Path(sys.modules["prepare"].__file__ or "") == path:
        return sys.modules["prepare"]
    spec = importlib.util.spec_from_file_location("prepare", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["prepare"] = module
    spec.loader.exec_module(module)
    return module


def run_prepare(data: Path | None, out: Path, engine: str, seed: int) -> int:
    """Prepare `data` (default: the workshop's dataset) into `out`; print what was written."""
    data = data or data_dir()
    missing = [name for name in DATA_FILES if not (data / name).is_file()]
    if missing:
        raise DatasetNotFoundError(
            f"No {' or '.join(missing)} in {data}. Give --data a folder holding "
            "song_properties.parquet and song_rankings.parquet (`jukebox data generate --out "
            "DIR` makes one)."
        )
    prepare = prepare_module()
    started = time.perf_counter()
    record = prepare.prepare(data, out, engine, prepare.SplitPlan(seed=seed))
    counts = ", ".join(f"{name} {count:,}" for name, count in record["split"]["examples"].items())
    print(
        f"Prepared {data} with {engine} in {time.perf_counter() - started:.1f} s: {counts} "
        f"examples of {len(record['countries'])} countries in {out}/"
    )
    return 0


def prepared_workspace(folder: Path) -> Workspace:
    """A workspace in `folder` holding notebook 2's splits of the shipped data, as notebook 2
    writes them at its defaults (for the tests and benchmarks that train on them)."""
    workspace = Workspace(folder / "output")
    prepare_module().prepare(DEFAULT_DATA_DIR, workspace.prepared_dir)
    return workspace
