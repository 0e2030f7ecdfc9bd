"""The one way the project runs a workshop notebook outside JupyterLab: `make workshop`, the
pipeline's steps, the tests and notebook 7 (for notebooks 4 to 6) call `run_notebook`.

papermill executes the notebook in a kernel of its own, in a folder of one's choosing (where
its `output/` is), with the given values assigned in a cell it adds after the notebook's
`parameters` cell. The executed copy, with every output, is kept.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jukebox_workshop.errors import WorkshopError
from jukebox_workshop.settings import NOTEBOOK_DIR, temporary_environment

# Small values so that CI and the tests run the notebooks quickly; the notebooks' own defaults
# are for class.
QUICK_PARAMETERS = {
    "JUKEBOX_EPOCHS": "15",
    "JUKEBOX_LEAK_DEMO_ROWS": "5000",
    "JUKEBOX_TREES": "100",
    "JUKEBOX_TRIALS": "2",
    "JUKEBOX_SEARCH_MINUTES": "2",
    "JUKEBOX_NOISE_SEEDS": "2",
    "JUKEBOX_LOOKUPS": "50",
}


def workshop_notebooks() -> list[Path]:
    """The workshop notebooks, in order (their names start with their number)."""
    return sorted(NOTEBOOK_DIR.glob("[0-9][0-9]-*.ipynb"))


def copy_notebooks(into: Path) -> Path:
    """The notebooks and the modules beside them (`model.py`, `train.py`, `prepare.py`) copied
    into `into`, as in an attendee's clone (notebook 7 runs notebook 3 from its own folder);
    returns `into`."""
    into.mkdir(parents=True, exist_ok=True)
    for path in (*workshop_notebooks(), *sorted(NOTEBOOK_DIR.glob("*.py"))):
        shutil.copy2(path, into / path.name)
    return into


class NotebookFailedError(WorkshopError):
    """A cell of a notebook run by `run_notebook` raised: its error, and the executed copy."""

    def __init__(self, message: str, ename: str, evalue: str, executed: Path) -> None:
        super().__init__(message)
        self.ename, self.evalue, self.executed = ename, evalue, executed


@contextmanager
def _stderr_to(path: Path | None) -> Iterator[None]:
    """Send this process's stderr, which a kernel it starts inherits, to `path` meanwhile."""
    if path is None:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with path.open("w") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


@dataclass(frozen=True)
class Executed:
    path: Path  # the executed copy, with every output
    seconds: float

    def printed(self) -> str:
        """What the notebook's cells printed, in order."""
        cells = json.loads(self.path.read_text(encoding="utf-8"))["cells"]
        return "".join(
            "".join(output.get("text", ""))
            for cell in cells
            for output in cell.get("outputs", [])
            if output.get("name") == "stdout"
        )


def run_notebook(
    notebook: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    workdir: Path,
    executed_dir: Path,
    environment: Mapping[str, str] | None = None,
    echo: bool = True,
    kernel_log: Path | None = None,
) -> Executed:
    """Execute `notebook` (a name in jukebox/, or a path) in `workdir`; keep its executed copy in
    `executed_dir`. `environment`: variables for its kernel only. `echo`: show what its cells
    print as they print it. `kernel_log`: a file for what the kernel process itself writes to
    stderr (TensorFlow's start-up lines), instead of the terminal. A failing cell raises
    NotebookFailedError."""
    import papermill  # takes a second to import; only what runs notebooks needs it

    source = Path(notebook) if Path(notebook).is_absolute() else NOTEBOOK_DIR / notebook
    executed_dir.mkdir(parents=True, exist_ok=True)
    executed = executed_dir / source.name
    if echo:
        shown = ", ".join(f"{k}={v!r}" for k, v in (parameters or {}).items()) or "its defaults"
        print(f"\n--- {source.name} with {shown}", flush=True)
    # The notebooks import model.py from their folder, also when they run in another one.
    path = os.pathsep.join(filter(None, (str(source.parent), os.environ.get("PYTHONPATH"))))
    started = time.perf_counter()
    try:
        with (
            temporary_environment({"PYTHONPATH": path, **(environment or {})}),
            _stderr_to(kernel_log),
        ):
            papermill.execute_notebook(
                source,
                executed,
                parameters=dict(parameters or {}),
                cwd=str(workdir),
                kernel_name="python3",
                progress_bar=False,
                stdout_file=sys.stdout if echo else None,
            )
    except papermill.PapermillExecutionError as error:
        raise NotebookFailedError(
            f"{source.name} stopped with {error.ename}: {error.evalue}\n"
            f"Nothing after it ran. Its executed copy, with the error, is {executed}.",
            error.ename,
            error.evalue,
            executed,
        ) from None
    seconds = time.perf_counter() - started
    if echo:
        print(f"--- {source.name} done in {seconds:.0f} s", flush=True)
    return Executed(executed, seconds)
