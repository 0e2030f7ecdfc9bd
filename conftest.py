"""How the whole suite runs: the notebooks under nbval, and two pytest-xdist workers.

- The notebooks depend on each other (notebook 3 trains on notebook 2's splits, ...): all of
  them, and the tests marked `after_notebooks`, form one unit of work that one worker runs in
  order, first, while the other worker takes the other test modules one by one.
- Each worker has a platform of its own (tests/support/session_platform.py), started when a test
  or the first notebook needs it; the notebook kernels inherit its variables, and the small CI
  parameters, from this process's environment.
- A platform that `make workshop` or `make up` started (state in `.jukebox/`) is never used,
  stopped or written to by the tests: theirs live in `build/test-platform/<worker>/`, on ports
  from the worker's own range.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "tests"))  # the `support` package

from support import session_platform  # noqa: E402

NOTEBOOKS = "notebooks"
# The modules of the tests marked `after_notebooks` (xdist's scheduler sees test ids, no marks).
AFTER_NOTEBOOKS = ("tests/docs/test_examples.py",)


def is_notebook(nodeid: str) -> bool:
    return ".ipynb::" in nodeid


def runs_with_the_notebooks(nodeid: str) -> bool:
    return is_notebook(nodeid) or nodeid.split("::")[0] in AFTER_NOTEBOOKS


def pytest_configure(config):
    """The tests' own state dir. A kernel named with `--nbval-kernel-name` (make
    test-workbench) replaces the default `--nbval-current-env` of pyproject.toml."""
    os.environ["JUKEBOX_STATE_DIR"] = str(session_platform.state_dir())
    if getattr(config.option, "nbval_kernel_name", None):
        config.option.nbval_current_env = False


def pytest_collectstart(collector):
    if hasattr(collector, "skip_compare"):  # a notebook: outputs that vary from run to run
        collector.skip_compare += ("stderr", "text/html", "image/png", "application/javascript")


def pytest_collection_modifyitems(config, items):
    """Notebooks first, then the tests that read what they wrote, then the rest; the same
    order on every worker, as xdist requires."""

    def rank(item) -> int:
        if is_notebook(item.nodeid):
            return 0
        return 1 if item.get_closest_marker("after_notebooks") else 2

    items.sort(key=rank)
    for item in items:
        if item.get_closest_marker("after_notebooks") and not runs_with_the_notebooks(item.nodeid):
            raise pytest.UsageError(
                f"{item.nodeid} is marked after_notebooks: list its module in AFTER_NOTEBOOKS"
            )
    if any(is_notebook(item.nodeid) for item in items):
        session_platform.use_quick_parameters()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a notebook's kernel starts (in the setup of its first cell): the platform."""
    if is_notebook(item.nodeid):
        session_platform.start(for_notebooks=True)


def pytest_sessionfinish(session):
    session_platform.stop()


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class NotebooksTogether(LoadScopeScheduling):
        """Units of work: the notebooks with their `after_notebooks` tests, and each test module."""

        def _split_scope(self, nodeid: str) -> str:
            if runs_with_the_notebooks(nodeid):
                return NOTEBOOKS
            return super()._split_scope(nodeid)

    config.option.loadscopereorder = False  # keep the collection's order: the notebooks first
    return NotebooksTogether(config, log)
