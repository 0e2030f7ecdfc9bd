"""How long the core path takes an attendee: per notebook, reading time plus run time.

Reading time is estimated from the notebook itself: the words of its markdown cells at
READING_WORDS_PER_MINUTE, plus the lines of its code cells at CODE_LINES_PER_MINUTE (code is
read more slowly than prose), with the functions of jukebox/*.py that a cell shows in its
output (`inspect.getsource`), which the attendee reads there. Sections whose `##` title starts with "Optional" are counted
apart: an attendee runs them but may leave reading them for later. Run time is the median
measured at workshop defaults, from benchmarks/results/notebooks.json (`benchmarks/notebooks.py`,
`benchmarks/refine.py`).

    .venv/bin/python benchmarks/reading_time.py
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import nbformat

from jukebox_workshop.notebooks import workshop_notebooks
from jukebox_workshop.settings import NOTEBOOK_DIR, REPO_ROOT

READING_WORDS_PER_MINUTE = 150  # technical prose, read to be understood
CODE_LINES_PER_MINUTE = 10  # code read line by line, before running it
RESULTS = REPO_ROOT / "benchmarks" / "results" / "notebooks.json"
CORE = 8  # notebooks 1 to 8 are the core path; the later ones are optional chapters


OPTIONAL = re.compile(r"(?m)^## Optional\b")
SECTION = re.compile(r"(?m)^## ")


# A function's code shown in the output: inspect.getsource(train), show(prepare.fit_scaler).
SHOWN = re.compile(r"(?:inspect\.getsource|\bshow)\((?:\w+\.)?(\w+)\)")


def code_lines(text: str) -> int:
    return len([line for line in text.splitlines() if line.strip()])


def shown_lines(name: str) -> int:
    """The lines of the function `name` defined in one of jukebox/*.py (0 for another name,
    such as the parameter of a helper that shows functions)."""
    for script in sorted(NOTEBOOK_DIR.glob("*.py")):
        source = script.read_text()
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return code_lines(ast.get_source_segment(source, node))
    return 0


def cell_minutes(cell) -> float:
    if cell.cell_type == "markdown":
        return len(re.findall(r"\w+", cell.source)) / READING_WORDS_PER_MINUTE
    shown = sum(shown_lines(name) for name in SHOWN.findall(cell.source))
    return (code_lines(cell.source) + shown) / CODE_LINES_PER_MINUTE


def reading_minutes(path: Path) -> tuple[float, float]:
    """(core reading minutes, optional reading minutes)."""
    core = optional = 0.0
    in_optional = False
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown" and SECTION.search(cell.source):
            in_optional = bool(OPTIONAL.search(cell.source))
        if in_optional:
            optional += cell_minutes(cell)
        else:
            core += cell_minutes(cell)
    return core, optional


def estimate() -> dict[str, tuple[float, float, float]]:
    """{notebook: (reading minutes, optional reading minutes, run minutes)}."""
    measured = json.loads(RESULTS.read_text())["notebooks"]
    return {
        path.name: (*reading_minutes(path), measured[path.name]["median_seconds"] / 60)
        for path in workshop_notebooks()
    }


def report(estimates: dict[str, tuple[float, float, float]]) -> str:
    lines = [
        f"Reading at {READING_WORDS_PER_MINUTE} words of markdown and {CODE_LINES_PER_MINUTE} "
        "lines of code a minute; run time measured at workshop defaults; optional sections "
        "are read later, not in the total.",
        f"{'notebook':<24} {'reading':>8} {'optional':>8} {'running':>8} {'total':>8}",
    ]
    for name, (reading, optional, running) in estimates.items():
        lines.append(
            f"{name:<24} {reading:>6.0f} m {optional:>6.0f} m {running:>6.1f} m "
            f"{reading + running:>6.0f} m"
        )
    total = sum(
        reading + running
        for name, (reading, _, running) in estimates.items()
        if int(name[:2]) <= CORE
    )
    lines.append(f"Core path, notebooks 1 to {CORE}: {total:.0f} minutes")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(report(estimate()) + "\n")
