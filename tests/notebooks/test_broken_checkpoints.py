"""Checkpoints that fail on an attendee's mistake, with their message: each test makes the
mistake in a folder of its own (a copy of the notebooks, as in an attendee's clone) and runs
the notebooks there as `make workshop` does.

Notebook 7's two checkpoints need the platform: `tests/integration/test_refine.py` breaks them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from jukebox_workshop.notebooks import (
    QUICK_PARAMETERS,
    NotebookFailedError,
    copy_notebooks,
    run_notebook,
)
from jukebox_workshop.settings import DEFAULT_DATA_DIR

pytestmark = pytest.mark.slow


@pytest.fixture
def attendee(monkeypatch, tmp_path) -> Path:
    """A copy of the notebooks, with the shipped data and the quick settings."""
    for variable, value in QUICK_PARAMETERS.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("JUKEBOX_DATA_DIR", str(DEFAULT_DATA_DIR))
    monkeypatch.setenv("JUKEBOX_LEAK_DEMO_ROWS", "1000")
    monkeypatch.delenv("JUKEBOX_MODEL_VERSION", raising=False)
    return copy_notebooks(tmp_path)


def run(folder: Path, name: str, parameters: dict | None = None, **environment: str) -> None:
    run_notebook(
        folder / name,
        parameters,
        workdir=folder,
        executed_dir=folder / "executed",
        environment=environment,
        echo=False,
    )


def edit(path: Path, old: str, new: str) -> None:
    """Replace `old`, found in exactly one cell, by `new`: the attendee's edit."""
    notebook = json.loads(path.read_text())
    (cell,) = [c for c in notebook["cells"] if old in "".join(c["source"])]
    cell["source"] = "".join(cell["source"]).replace(old, new)
    path.write_text(json.dumps(notebook))


def test_a_scaler_fitted_on_all_the_examples_stops_notebook_2(attendee):
    prepare = attendee / "prepare.py"  # the preparation notebook 2 calls, beside it
    text = prepare.read_text()
    assert text.count('fit_scaler(splits["train"])') == 1
    prepare.write_text(text.replace('fit_scaler(splits["train"])', "fit_scaler(examples)"))
    with pytest.raises(NotebookFailedError) as stopped:
        run(attendee, "02-prepare.ipynb")
    assert stopped.value.evalue.startswith(
        "the scaler's means in preprocessing.json are not the training split's"
    )


def test_splits_changed_after_training_stop_notebook_4(attendee, prepared):
    shutil.copytree(prepared / "output" / "prepared", attendee / "output" / "prepared")
    # One model, briefly trained: which one does not matter to the check of the splits.
    run(attendee, "03-train.ipynb", {"HIDDEN_LAYERS": 2}, JUKEBOX_EPOCHS="4")
    run(attendee, "02-prepare.ipynb", JUKEBOX_SEED="7")  # another split, after training
    with pytest.raises(NotebookFailedError) as stopped:
        run(attendee, "04-evaluate.ipynb")
    assert "was trained on other splits than output/prepared/ holds now" in stopped.value.evalue
