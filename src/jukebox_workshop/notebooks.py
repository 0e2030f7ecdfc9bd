"""Run a workshop notebook as a step, with parameters: how notebook 7 reuses notebooks 3 to 6.

papermill executes the notebook in a kernel of its own, with the given values assigned in a
cell it adds after the notebook's `parameters` cell. The step's printed output appears as it
comes, and the executed copy, with every output, is kept.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jukebox_workshop.errors import WorkshopError
from jukebox_workshop.settings import NOTEBOOK_DIR, temporary_environment


def run_notebook(
    name: str,
    parameters: Mapping[str, Any],
    *,
    workdir: Path,
    executed_dir: Path,
    environment: Mapping[str, str] | None = None,
) -> Path:
    """Execute `jukebox/<name>` in `workdir` (where its `output/` folder is); return its copy.

    `environment`: variables for the step's kernel only. A failing cell raises a WorkshopError
    with the step's own error message and where its executed copy is.
    """
    import papermill  # takes a second to import; only the notebooks that run steps need it

    executed_dir.mkdir(parents=True, exist_ok=True)
    executed = executed_dir / name
    shown = ", ".join(f"{key}={value!r}" for key, value in parameters.items()) or "its defaults"
    print(f"\n--- {name} with {shown}", flush=True)
    started = time.perf_counter()
    try:
        with temporary_environment(environment or {}):
            papermill.execute_notebook(
                NOTEBOOK_DIR / name,
                executed,
                parameters=dict(parameters),
                cwd=str(workdir),
                kernel_name="python3",
                progress_bar=False,
                stdout_file=sys.stdout,  # the step's printed lines, as they come
            )
    except papermill.PapermillExecutionError as error:
        raise WorkshopError(
            f"{name} stopped with {error.ename}: {error.evalue}\n"
            f"Nothing after it ran. Its executed copy, with the error, is {executed}."
        ) from None
    print(f"--- {name} done in {time.perf_counter() - started:.0f} s", flush=True)
    return executed
