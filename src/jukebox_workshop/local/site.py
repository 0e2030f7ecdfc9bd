"""`make site`: the guide as a static site, every notebook shown with the outputs of a real run.

    python -m jukebox_workshop.local.site [--executed DIR] [--out DIR] [--allow-missing]

1. stage: the guide's pages, the figures and the notebooks into build/site-src/, laid out as
   in the repository (so that every link works as on GitHub). Each notebook gets the outputs
   of its executed copy from `make workshop` (build/executed/), which must hold the same code
   cells: a copy that is missing, older than the notebook or stopped by an error is refused.
2. `mkdocs build --strict` (mkdocs.yml): a broken link or anchor fails the build. Nothing is
   executed: the outputs are the workshop run's.
3. every internal link and anchor of the built HTML is checked (external links are not
   fetched).
"""

from __future__ import annotations

import argparse
import os
import posixpath
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat

from jukebox_workshop.errors import WorkshopError
from jukebox_workshop.local.workshop import EXECUTED_DIR  # where `make workshop` keeps them
from jukebox_workshop.notebooks import workshop_notebooks
from jukebox_workshop.settings import REPO_ROOT

STAGE_DIR = REPO_ROOT / "build" / "site-src"  # mkdocs.yml's docs_dir
SITE_DIR = REPO_ROOT / "build" / "site"  # mkdocs.yml's site_dir
CONFIG = REPO_ROOT / "mkdocs.yml"
PAGES = ("README.md", "docs/*.md", "jukebox/data/DATASET.md", "images/*.png", "images/*.svg")
INJECTED = "injected-parameters"  # the tag of the cell papermill adds after `parameters`


class ExecutedCopiesError(WorkshopError):
    """Some notebooks have no executed copy that fits them: the site would show no outputs."""


class SiteBuildError(WorkshopError):
    """mkdocs refused the guide, or the built site has a link that leads nowhere."""


def _code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [
        cell
        for cell in notebook.cells
        if cell.cell_type == "code" and INJECTED not in cell.metadata.get("tags", [])
    ]


def currency_problem(notebook: Path, executed: Path) -> str | None:
    """Why the executed copy cannot give `notebook` its outputs, or None if it can."""
    if not executed.is_file():
        return f"{notebook.name}: no executed copy in {executed.parent}/"
    ours = [cell.source for cell in _code_cells(nbformat.read(notebook, as_version=4))]
    copy = nbformat.read(executed, as_version=4)
    theirs = [cell.source for cell in _code_cells(copy)]
    if ours != theirs:
        differ = next(
            (n for n, (a, b) in enumerate(zip(ours, theirs, strict=False), 1) if a != b),
            min(len(ours), len(theirs)) + 1,
        )
        return (
            f"{notebook.name}: the executed copy ran other code (code cell {differ} differs): "
            "the notebook changed since"
        )
    for number, cell in enumerate(_code_cells(copy), 1):
        if any(output.output_type == "error" for output in cell.get("outputs", [])):
            return f"{notebook.name}: the executed copy stopped with an error in code cell {number}"
    return None


def with_outputs(notebook: Path, executed: Path) -> nbformat.NotebookNode:
    """The committed notebook (its text as it is now) with the executed copy's outputs, and the
    cell papermill added with the run's parameters, if it added one."""
    merged = nbformat.read(notebook, as_version=4)
    copy = nbformat.read(executed, as_version=4)
    for cell, ran in zip(_code_cells(merged), _code_cells(copy), strict=True):
        cell.outputs, cell.execution_count = ran.outputs, ran.execution_count
    injected = [c for c in copy.cells if INJECTED in c.metadata.get("tags", [])]
    parameters = [
        n for n, c in enumerate(merged.cells) if "parameters" in c.metadata.get("tags", [])
    ]
    if injected and parameters:
        merged.cells.insert(parameters[0] + 1, injected[0])
    merged.metadata.update({k: v for k, v in copy.metadata.items() if k == "language_info"})
    return merged


def stage(executed_dir: Path, stage_dir: Path, allow_missing: bool = False) -> list[str]:
    """Lay out the site's sources in `stage_dir`; returns the notebooks shown without outputs
    (only with `allow_missing`, otherwise they stop the build)."""
    problems = {
        path: currency_problem(path, executed_dir / path.name) for path in workshop_notebooks()
    }
    problems = {path: problem for path, problem in problems.items() if problem}
    if problems and not allow_missing:
        listing = "\n".join(f"  {problem}" for problem in problems.values())
        raise ExecutedCopiesError(
            "The site shows every notebook with the outputs of a real run, and these have no "
            f"run that fits:\n{listing}\nRun `make workshop` first (it runs every notebook and "
            f"keeps the executed copies in {executed_dir}/), then `make site` again."
        )
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    for pattern in PAGES:
        for path in sorted(REPO_ROOT.glob(pattern)):
            target = stage_dir / path.relative_to(REPO_ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    (stage_dir / "jukebox").mkdir(parents=True, exist_ok=True)
    for path in workshop_notebooks():
        target = stage_dir / "jukebox" / path.name
        if path in problems:
            shutil.copy2(path, target)
        else:
            nbformat.write(with_outputs(path, executed_dir / path.name), target)
    return [problem for problem in problems.values()]


class _Page(HTMLParser):
    """The ids of one HTML page and the links it makes."""

    LINKING = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src"}

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name"):
            if values.get(key) and (key == "id" or tag == "a"):
                self.ids.add(values[key])
        target = values.get(self.LINKING.get(tag, ""))
        if target:
            self.links.append(target)


def broken_links(site_dir: Path) -> list[str]:
    """Every link of the built site to a file or an anchor that is not there. External links
    (with a scheme, or starting with //) are not followed."""
    pages: dict[Path, _Page] = {}
    for path in sorted(site_dir.rglob("*.html")):
        page = _Page()
        page.feed(path.read_text(encoding="utf-8"))
        pages[path] = page
    broken = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue
            if parts.path:
                # 404.html, which a web server shows for any address, links from the root.
                folder = site_dir if parts.path.startswith("/") else path.parent
                relative = posixpath.normpath(folder.as_posix() + "/" + parts.path)
                target = Path(unquote(relative))
                if target.is_dir():
                    target = target / "index.html"
            else:
                target = path
            where = f"{path.relative_to(site_dir)}: {link}"
            if not target.is_file():
                broken.append(f"{where} (no file {os.path.relpath(target, site_dir)})")
            elif parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in pages[target].ids:
                    broken.append(f"{where} (no anchor #{parts.fragment})")
    return broken


def build(
    executed_dir: Path = EXECUTED_DIR,
    site_dir: Path = SITE_DIR,
    stage_dir: Path = STAGE_DIR,
    allow_missing: bool = False,
) -> list[str]:
    """Stage, build with mkdocs and check the links; returns the notebooks left without outputs."""
    without_outputs = stage(executed_dir, stage_dir, allow_missing)
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "--clean",
        "--config-file",
        str(CONFIG),
        "--site-dir",
        str(site_dir),
    ]
    # mkdocs.yml reads the staged folder from this variable (build/site-src/ without it).
    environment = {**os.environ, "JUKEBOX_SITE_SOURCES": str(stage_dir)}
    result = subprocess.run(command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise SiteBuildError(
            f"mkdocs build --strict refused the guide (exit status {result.returncode}):\n"
            f"{result.stderr.strip()[-4000:]}\nFix the links or pages it names, then `make site` "
            "again."
        )
    broken = broken_links(site_dir)
    if broken:
        listing = "\n".join(f"  {line}" for line in broken[:40])
        raise SiteBuildError(
            f"The built site has {len(broken)} links that lead nowhere:\n{listing}\nFix the "
            "links in the pages or notebooks they come from, then `make site` again."
        )
    return without_outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executed", type=Path, default=EXECUTED_DIR)
    parser.add_argument("--out", type=Path, default=SITE_DIR)
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="show notebooks without a fitting executed copy as committed, without outputs",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        without_outputs = build(args.executed, args.out.resolve(), allow_missing=args.allow_missing)
    except WorkshopError as error:
        print(error, file=sys.stderr)
        return 1
    for problem in without_outputs:
        print(f"shown without outputs: {problem}")
    print(
        f"Built the site in {time.perf_counter() - started:.0f} s: open "
        f"{(args.out / 'index.html').resolve()} in a browser (no server needed)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
