"""The committed notebooks follow the workshop's conventions (no outputs, structure, accessibility)."""

import re
import subprocess
import sys

import nbformat
import pytest

from jukebox_workshop.notebooks import workshop_notebooks
from jukebox_workshop.settings import NOTEBOOK_DIR

NOTEBOOKS = workshop_notebooks()
IDS = [path.name for path in NOTEBOOKS]


def markdown(notebook) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_the_stages_are_there_in_order():
    assert [name.split("-")[0] for name in IDS] == [f"{n:02d}" for n in range(1, 11)]


def test_committed_without_outputs():
    result = subprocess.run(
        [sys.executable, "-m", "nbstripout", "--verify", *map(str, NOTEBOOKS)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (
        f"strip outputs with `nbstripout jukebox/*.ipynb`:\n{result.stdout}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_structure(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    text = markdown(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    assert len(re.findall(r"(?m)^# ", text)) == 1, "exactly one H1 title"
    assert notebook.cells[0].source.startswith("# "), "the title comes first"
    assert "**What you will learn**" in text and "**Steps**" in text
    assert "## Summary" in text
    parameters = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1, "one parameters cell"
    assert any("Checkpoint passed" in c.source for c in notebook.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS[:-1], ids=IDS[:-1])
def test_links_to_the_next_notebook(path):
    following = NOTEBOOKS[NOTEBOOKS.index(path) + 1].name
    assert f"]({following})" in markdown(nbformat.read(path, as_version=4))


def test_the_last_notebook_links_to_scaling_out_in_the_guide():
    text = markdown(nbformat.read(NOTEBOOKS[-1], as_version=4))
    assert "](../docs/scaling-out.md" in text
    assert (NOTEBOOK_DIR.parent / "docs" / "scaling-out.md").exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_images_have_alt_text_and_colourmaps_are_colour_blind_safe(path):
    notebook = nbformat.read(path, as_version=4)
    for alt in re.findall(r"!\[([^\]]*)\]\(", markdown(notebook)):
        assert alt.strip(), "every image needs alt text"
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    for colormap in re.findall(r"cmap=\"([^\"]+)\"", code):
        assert colormap in {"cividis", "viridis", "PuOr", "PuOr_r"}, colormap


def test_relative_links_between_notebooks_resolve():
    for path in NOTEBOOKS:
        for target in re.findall(
            r"\]\(([^):#]+\.ipynb)\)", markdown(nbformat.read(path, as_version=4))
        ):
            assert (NOTEBOOK_DIR / target).exists(), f"{path.name} links to missing {target}"
