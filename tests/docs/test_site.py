"""`make site`: the guide built as a static site, with a notebook's outputs from a real run,
its links checked, and a notebook page opened in headless Chromium.

To stay quick, the build takes one real run of notebook 1 (the cheapest) with the CI values;
the other notebooks are shown as committed (`allow_missing`), which `make site` itself refuses.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from jukebox_workshop.notebooks import QUICK_PARAMETERS, run_notebook, workshop_notebooks
from jukebox_workshop.settings import NOTEBOOK_DIR

CHROMIUM = os.environ.get("JUKEBOX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
EXPLORE = NOTEBOOK_DIR / "01-explore.ipynb"
PRINTED = "Checkpoint passed: both tables are loaded and consistent."


def site_module():
    from jukebox_workshop.local import site  # the laptop's tools: imported where used

    return site


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The site, built from a real run of notebook 1; returns its folder."""
    folder = tmp_path_factory.mktemp("site")
    run_notebook(
        EXPLORE,
        workdir=NOTEBOOK_DIR,
        executed_dir=folder / "executed",
        environment=QUICK_PARAMETERS,
        echo=False,
    )
    without_outputs = site_module().build(
        executed_dir=folder / "executed",
        site_dir=folder / "site",
        stage_dir=folder / "site-src",
        allow_missing=True,
    )
    shown_without = {line.split(":")[0] for line in without_outputs}
    assert shown_without == {path.name for path in workshop_notebooks()} - {EXPLORE.name}
    return folder / "site"


@pytest.mark.slow
def test_the_site_has_every_page_and_no_link_that_leads_nowhere(built: Path):
    home = (built / "index.html").read_text()
    assert "The workshop: once around the inner loop" in home
    # "Open `jukebox/01-explore.ipynb`" in the chapter leads to the page with the outputs.
    assert '<a href="jukebox/01-explore.html"><code>jukebox/01-explore.ipynb</code></a>' in home
    for notebook in workshop_notebooks():
        assert (built / "jukebox" / notebook.with_suffix(".html").name).is_file()
    for page in ("getting-started", "instructor-guide", "troubleshooting"):
        assert (built / "docs" / f"{page}.html").is_file()
    assert site_module().broken_links(built) == []
    # The notebooks' links to each other lead to their pages in the site.
    assert 'href="02-prepare.html"' in (built / "jukebox" / "01-explore.html").read_text()


@pytest.mark.slow
def test_a_notebook_page_shows_its_outputs_in_a_browser(built: Path):
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; or set "
            "JUKEBOX_CHROMIUM): Playwright's own browser download is not used"
        )
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            # From the disk, as an instructor opens it: no server.
            page.goto((built / "jukebox" / "01-explore.html").as_uri())
            printed = page.locator(".jp-OutputArea-output pre", has_text=PRINTED)
            expect(printed).to_be_visible()
            figure = page.locator(".jp-OutputArea-output img").first
            figure.scroll_into_view_if_needed()
            expect(figure).to_be_visible()
            assert figure.evaluate("image => image.complete && image.naturalWidth > 100")
            # The navigation leads from the notebook to the chapter, the site's home page.
            page.get_by_role("link", name="The workshop").first.click()
            expect(page.locator("h1")).to_contain_text("The workshop: once around the inner loop")
        finally:
            browser.close()


def test_a_missing_executed_copy_says_to_run_the_workshop_first(tmp_path: Path):
    site = site_module()
    with pytest.raises(site.ExecutedCopiesError) as raised:
        site.stage(tmp_path / "executed", tmp_path / "site-src")
    message = str(raised.value)
    assert "Run `make workshop` first" in message
    assert f"{EXPLORE.name}: no executed copy in {tmp_path / 'executed'}/" in message
    assert not (tmp_path / "site-src").exists()


def test_an_executed_copy_of_other_code_is_refused(tmp_path: Path):
    notebook = nbformat.read(EXPLORE, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    code[2].source += "\nprint('an edit made after the run')"
    nbformat.write(notebook, tmp_path / EXPLORE.name)
    problem = site_module().currency_problem(EXPLORE, tmp_path / EXPLORE.name)
    assert problem == (
        f"{EXPLORE.name}: the executed copy ran other code (code cell 3 differs): "
        "the notebook changed since"
    )


def test_an_executed_copy_that_stopped_with_an_error_is_refused(tmp_path: Path):
    notebook = nbformat.read(EXPLORE, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    code[1].outputs = [
        nbformat.v4.new_output("error", ename="AssertionError", evalue="no", traceback=[])
    ]
    nbformat.write(notebook, tmp_path / EXPLORE.name)
    problem = site_module().currency_problem(EXPLORE, tmp_path / EXPLORE.name)
    assert problem == f"{EXPLORE.name}: the executed copy stopped with an error in code cell 2"


def test_the_outputs_go_into_the_notebook_as_it_is_now(tmp_path: Path):
    """The page shows the committed notebook's text with the run's outputs, and the run's
    parameters in the cell papermill added."""
    run = nbformat.read(EXPLORE, as_version=4)
    for number, cell in enumerate(c for c in run.cells if c.cell_type == "code"):
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"cell {number}\n")]
    where = next(n for n, c in enumerate(run.cells) if "parameters" in c.metadata.get("tags", []))
    injected = nbformat.v4.new_code_cell('JUKEBOX_EPOCHS = "40"')
    injected.metadata["tags"] = ["injected-parameters"]
    run.cells.insert(where + 1, injected)
    nbformat.write(run, tmp_path / EXPLORE.name)

    site = site_module()
    assert site.currency_problem(EXPLORE, tmp_path / EXPLORE.name) is None
    merged = site.with_outputs(EXPLORE, tmp_path / EXPLORE.name)
    assert merged.cells[where + 1].source == 'JUKEBOX_EPOCHS = "40"'
    code = [cell for cell in merged.cells if cell.cell_type == "code"]
    assert code[0].outputs[0].text == "cell 0\n"
    committed = nbformat.read(EXPLORE, as_version=4)
    assert [c.source for c in merged.cells if c.cell_type == "markdown"] == [
        c.source for c in committed.cells if c.cell_type == "markdown"
    ]
