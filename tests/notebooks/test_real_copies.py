"""Notebooks 1-4 on a converted copy shaped like a real one, as an instructor would run them.

The copy mimics a cut of the real Kaggle file (one day, 72 countries + Global, a sample of
each chart with 2 or 3 songs in some countries, saved by a spreadsheet without the song and
album names): it goes through `jukebox data convert`, then JUKEBOX_DATA_DIR points the notebooks
at it. Their checkpoints must hold there, and still stop a copy whose countries were
shuffled between the songs, which leaves nothing to learn.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from support.chart_copies import realistic_rows, write_copy

from jukebox_workshop.dataset.build.commands import main as dataset_main
from jukebox_workshop.notebooks import QUICK_PARAMETERS, NotebookFailedError, run_notebook
from jukebox_workshop.settings import NOTEBOOK_DIR

pytestmark = pytest.mark.slow

NOTEBOOKS = ("01-explore.ipynb", "02-prepare.ipynb", "03-train.ipynb", "04-evaluate.ipynb")


def convert_copy(rows: pd.DataFrame, folder: Path) -> Path:
    csv = write_copy(
        rows,
        folder / "universal_top_spotify_songs.csv",
        dates="month first",
        booleans="TRUE",
        without=("name", "album_name"),
    )
    assert dataset_main(["convert", str(csv), "--out", str(folder / "data")]) == 0
    return folder / "data"


def execute(name: str, workdir: Path) -> list[str]:
    """Run a notebook in `workdir` (where it writes output/); return the lines it printed."""
    executed = run_notebook(name, workdir=workdir, executed_dir=workdir / "executed", echo=False)
    return executed.printed().splitlines()


def checkpoints(name: str) -> int:
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    return sum("Checkpoint passed" in cell.source for cell in notebook.cells)


@pytest.fixture
def notebook_environment(monkeypatch, tmp_path):
    for variable, value in QUICK_PARAMETERS.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("JUKEBOX_MODEL_VERSION", raising=False)
    return tmp_path


def test_checkpoints_hold_on_a_real_copy(notebook_environment, monkeypatch, capsys):
    workdir = notebook_environment
    rows = realistic_rows()
    assert rows.groupby("country")["spotify_id"].nunique().min() <= 3
    data_dir = convert_copy(rows, workdir)
    assert "Kept" in capsys.readouterr().out
    monkeypatch.setenv("JUKEBOX_DATA_DIR", str(data_dir))

    printed = {name: execute(name, workdir) for name in NOTEBOOKS}

    for name, lines in printed.items():
        passed = [line for line in lines if line.startswith("Checkpoint passed")]
        assert len(passed) == checkpoints(name), f"{name}: {passed}"
    assert any(
        re.match(r"\d+ rows without a country, on 1 days", line) for line in printed[NOTEBOOKS[0]]
    )
    assert "This is not the generated dataset" in "\n".join(printed["04-evaluate.ipynb"])


def test_checkpoints_stop_a_copy_with_nothing_to_learn(notebook_environment, monkeypatch):
    workdir = notebook_environment
    rows = realistic_rows()
    charted = rows["country"].notna()
    shuffled = np.random.default_rng(0).permutation(rows.loc[charted, "country"].to_numpy())
    rows.loc[charted, "country"] = shuffled
    rows = rows.drop_duplicates(["spotify_id", "country", "snapshot_date"])
    monkeypatch.setenv("JUKEBOX_DATA_DIR", str(convert_copy(rows, workdir)))

    with pytest.raises(NotebookFailedError, match="countries explain no more"):
        execute("01-explore.ipynb", workdir)
    execute("02-prepare.ipynb", workdir)
    with pytest.raises(NotebookFailedError, match="not clearly better than guessing"):
        execute("03-train.ipynb", workdir)
