"""The guide stays true to the repository: paths, commands, links, images and quoted timings.

Timing convention: a figure written "about 40 s", "about 3 min" or "about 900 MiB" belongs to
the notebook named on the same line, else to the notebook named in the closest heading above;
on a line that says "in total" it is the sum over the notebooks. It must be within half of
the median recorded in benchmarks/results/notebooks.json. A line that names a simulated
workbench image ("TensorFlow 2025.1", "TensorFlow 2026") quotes benchmarks/results/workbench.json
for that image instead: a size is what the workbench install downloads, a time is the install's,
or the notebooks' on a line that says "in total".
"""

from __future__ import annotations

import argparse
import json
import re
from functools import cache
from pathlib import Path

import pytest

from jukebox_workshop.settings import NOTEBOOK_DIR, REPO_ROOT

DOCS_DIR = REPO_ROOT / "docs"
IMAGES_DIR = REPO_ROOT / "images"
PAGES = [REPO_ROOT / "README.md", *sorted(DOCS_DIR.glob("*.md"))]
IDS = [str(page.relative_to(REPO_ROOT)) for page in PAGES]
IMAGE_SUFFIXES = {".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp"}
GENERATED = (
    "jukebox/output/",
    "output/",
    "build/",
    ".jukebox/",
    ".venv/",
    ".venv-serving/",
    "benchmarks/results/",
)
INSIDE_A_VERSION = ("1/", "model/")  # paths relative to a model version's folder
BENCHMARKS = REPO_ROOT / "benchmarks" / "results" / "notebooks.json"
WORKBENCH_BENCHMARKS = REPO_ROOT / "benchmarks" / "results" / "workbench.json"

FENCE = re.compile(r"^```.*?^```", re.M | re.S)
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
NOTEBOOK = re.compile(r"\b(\d\d-[a-z]+(?:-[a-z]+)*)(?:\.ipynb)?\b")
FIGURE = re.compile(r"\babout (\d+(?:\.\d+)?) ?(s|min|MiB|GiB)\b")
IMAGE = re.compile(r"\bTensorFlow (2025\.1|2026)\b")


def prose(page: Path) -> str:
    """The page without its fenced code blocks."""
    return FENCE.sub("", page.read_text())


def commands(page: Path) -> list[str]:
    """Inline code and the lines of fenced code blocks: where commands are written."""
    text = page.read_text()
    blocks = [line for block in FENCE.findall(text) for line in block.splitlines()[1:-1]]
    return CODE.findall(prose(page)) + blocks


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@cache
def anchors(page: Path) -> set[str]:
    found, counts = set(), {}
    for heading in re.findall(r"^#{1,6} (.+)$", prose(page), re.M):
        base = slug(heading)
        count = counts.get(base, 0)
        counts[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[tuple[bool, str, str]]:
    return [(bool(bang), text, target) for bang, text, target in LINK.findall(prose(page))]


def is_external(target: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", target))


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_relative_links_and_anchors_resolve(page):
    for _, text, target in links(page):
        if is_external(target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.exists(), f"{page.name}: link [{text}]({target}) points at nothing"
        if anchor and resolved.suffix == ".md":
            assert anchor in anchors(resolved), (
                f"{page.name}: no heading for #{anchor} in {path or page.name}"
            )


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_link_text_is_descriptive(page):
    for image, text, target in links(page):
        assert text.strip(), f"{page.name}: empty {'alt' if image else 'link'} text for {target}"
        if not image:
            assert text.strip().lower() not in {"here", "click here", "this", "link"}, target


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_images_exist_and_have_alt_text(page):
    for image, text, target in links(page):
        if image:
            assert not is_external(target), f"{page.name}: keep images in images/ ({target})"
            assert (page.parent / target).exists(), f"{page.name}: missing image {target}"
            assert len(text.split()) >= 3, f"{page.name}: say what {target} shows in its alt text"


def test_every_image_is_used():
    used = {
        (page.parent / target).resolve()
        for page in PAGES
        for _, _, target in links(page)
        if not is_external(target)
    }
    orphans = [
        p.name
        for p in IMAGES_DIR.iterdir()
        if p.suffix in IMAGE_SUFFIXES and p.resolve() not in used
    ]
    assert not orphans, f"images nothing links to: {orphans}"


def looks_like_path(token: str) -> bool:
    if " " in token or "<" in token or "*" in token or "$" in token or "=" in token:
        return False
    if token.startswith(("/", "~", "-", "http", "s3:", "--")) or "://" in token:
        return False
    return "/" in token or bool(re.search(r"\.(md|ipynb|py|txt|toml|cfg|dot)$", token))


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_paths_in_backticks_exist(page):
    for token in CODE.findall(prose(page)):
        if not looks_like_path(token) or token.startswith(GENERATED + INSIDE_A_VERSION):
            continue
        bases = (REPO_ROOT, page.parent, NOTEBOOK_DIR)
        assert any((base / token).exists() for base in bases), (
            f"{page.name}: `{token}` does not exist"
        )


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_notebook_names_exist(page):
    text = page.read_text()
    for name in set(re.findall(r"\b\d\d-[a-z]+(?:-[a-z]+)*\.ipynb\b", text)) | {
        f"{m}.ipynb" for token in CODE.findall(text) for m in NOTEBOOK.findall(token)
    }:
        assert (NOTEBOOK_DIR / name).exists(), f"{page.name}: no notebook {name}"


@cache
def make_targets() -> set[str]:
    text = (REPO_ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.M))


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_make_targets_exist(page):
    for line in commands(page):
        for target in re.findall(r"\bmake (?:-s )?([a-z][\w-]*)", line):
            assert target in make_targets(), (
                f"{page.name}: `make {target}` is not a Makefile target"
            )


@cache
def cli_subcommands() -> set[str]:
    from jukebox_workshop.cli import build_parser

    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(actions[0].choices)


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_cli_subcommands_exist(page):
    for line in commands(page):
        for command in re.findall(r"(?:^|[\s/(])jukebox ([a-z][\w-]*)", line):
            assert command in cli_subcommands(), (
                f"{page.name}: `jukebox {command}` is not a subcommand"
            )


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_no_placeholders_left(page):
    text = page.read_text()
    found = [m.group(0) for m in re.finditer(r"\b(TODO|TBD|FIXME|XXX)\b", text)]
    assert not found, f"{page.name}: unfinished text {found}"
    if BENCHMARKS.exists():
        assert "not measured yet" not in text, (
            f"{page.name}: copy the medians of {BENCHMARKS.relative_to(REPO_ROOT)} into the page"
        )


def quoted_figures(page: Path) -> list[tuple[str, float, str, str]]:
    """(owner, value, unit, line) for every figure quoted on the page; the owner is a notebook,
    "total", or a simulated workbench image ("tensorflow-2026")."""
    figures, heading_notebook = [], None
    for line in prose(page).splitlines():
        named, image = NOTEBOOK.findall(line), IMAGE.search(line)
        if line.startswith("#"):
            heading_notebook = named[0] if len(named) == 1 else None
        for value, unit in FIGURE.findall(line):
            if image:
                owner = f"tensorflow-{image.group(1)}"
            elif "in total" in line:
                owner = "total"
            else:
                owner = named[0] if len(named) == 1 else heading_notebook
            figures.append((owner, float(value), unit, line.strip()))
    return figures


def measured(owner: str, unit: str, line: str) -> float:
    """The recorded figure a quoted one stands for: seconds, or MiB (see the convention)."""
    if owner.startswith("tensorflow-"):
        image = json.loads(WORKBENCH_BENCHMARKS.read_text())["images"][owner]
        if unit in ("MiB", "GiB"):
            return image["install"]["download_mib"]
        return (
            image["notebooks_total_seconds"] if "in total" in line else image["install"]["seconds"]
        )
    notebooks = json.loads(BENCHMARKS.read_text())["notebooks"]
    rows = list(notebooks.values()) if owner == "total" else [notebooks.get(f"{owner}.ipynb")]
    assert all(rows), f"no benchmark for {owner}: {line!r}"
    key = "median_seconds" if unit in ("s", "min") else "median_peak_mib"
    return sum(row[key] for row in rows)


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_quoted_timings_match_the_benchmarks(page):
    figures = quoted_figures(page)
    if not figures:
        return
    if not BENCHMARKS.exists():
        pytest.skip(
            f"{BENCHMARKS.relative_to(REPO_ROOT)} not recorded yet (benchmarks/notebooks.py)"
        )
    for owner, value, unit, line in figures:
        assert owner, f"{page.name}: a figure with no notebook to compare it with: {line!r}"
        expected = measured(owner, unit, line)
        quoted = value * {"s": 1, "min": 60, "MiB": 1, "GiB": 1024}[unit]
        assert abs(quoted - expected) <= expected / 2, (
            f"{page.name}: {line!r} quotes {value} {unit}; the benchmark says {expected:.0f}"
        )


def test_the_figure_convention(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "## 3. Train the model (`03-train.ipynb`)\n\nTraining takes about 2 min.\n\n"
        "| `01-explore.ipynb` | about 12 s | about 800 MiB |\n\n"
        "The six take about 4 min in total.\n\n## Elsewhere\n\nabout 3 GiB\n"
        "In the TensorFlow 2026 image: about 20 MiB, about 30 s; about 2 min in total.\n"
    )
    assert [(owner, value, unit) for owner, value, unit, _ in quoted_figures(page)] == [
        ("03-train", 2, "min"),
        ("01-explore", 12, "s"),
        ("01-explore", 800, "MiB"),
        ("total", 4, "min"),
        (None, 3, "GiB"),
        ("tensorflow-2026", 20, "MiB"),
        ("tensorflow-2026", 30, "s"),
        ("tensorflow-2026", 2, "min"),
    ]
