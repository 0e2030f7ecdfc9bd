"""Settings for running the notebooks under nbval (`pytest --nbval-lax`).

The notebook kernels inherit this process's environment when they start, so the small CI
parameters and the local platform's settings are put into os.environ here, before any
notebook runs. The platform is started only if it is not running, and stopped at the end
only if this run started it.

The tests' platform has a state dir of its own, `build/test-platform/`: a platform that
`make workshop` or `make up` started (state in `.jukebox/`) is never used, stopped or written
to by the tests, and where it holds the default ports the tests' platform takes free ones.
"""

import os

from jukebox_workshop.settings import REPO_ROOT

TEST_STATE_DIR = REPO_ROOT / "build" / "test-platform"

_started_platform = False
_notebooks_prepared = False


def pytest_configure(config):
    """The tests' own platform state. A kernel named with `--nbval-kernel-name`
    (make test-workbench) replaces the default `--nbval-current-env` of pyproject.toml."""
    os.environ["JUKEBOX_STATE_DIR"] = str(TEST_STATE_DIR)
    if getattr(config.option, "nbval_kernel_name", None):
        config.option.nbval_current_env = False


def pytest_collectstart(collector):
    """Before the first notebook: set parameters and start the platform; skip volatile outputs."""
    global _started_platform, _notebooks_prepared
    if not str(getattr(collector, "path", "")).endswith(".ipynb"):
        return
    if hasattr(collector, "skip_compare"):
        collector.skip_compare += ("stderr", "text/html", "image/png", "application/javascript")
    if _notebooks_prepared:
        return
    _notebooks_prepared = True
    from jukebox_workshop.local import lifecycle
    from jukebox_workshop.local.workshop import QUICK_PARAMETERS

    for name, value in QUICK_PARAMETERS.items():
        os.environ.setdefault(name, value)
    _started_platform = bool(lifecycle.start())
    os.environ.update(lifecycle.environment())


def pytest_collection_modifyitems(items):
    """Run the tests marked after_notebooks last, so that they see the notebooks' outputs."""
    items.sort(key=lambda item: item.get_closest_marker("after_notebooks") is not None)


def pytest_unconfigure(config):
    if _started_platform:
        from jukebox_workshop.local import lifecycle

        lifecycle.stop()
