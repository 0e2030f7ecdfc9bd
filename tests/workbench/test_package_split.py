"""The package's two audiences: what the notebooks import needs none of the `platform` extra,
and the laptop's requirements.txt pins everything both need.

(`make test-workbench` checks the same in a real environment without the extra.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions

import simulate

from jukebox_workshop.settings import REPO_ROOT

# Makes every module of the given top-level packages unimportable, then imports the modules.
WITHOUT = """
import importlib, importlib.abc, json, sys
blocked, modules = json.loads(sys.argv[1])
class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
sys.meta_path.insert(0, Blocked())
for module in modules:
    importlib.import_module(module)
"""


def test_notebook_modules_import_without_the_platform_extra():
    extra = set(simulate.platform_only())
    blocked = sorted(
        module
        for module, distributions in packages_distributions().items()
        if extra & set(simulate.requirement_names(distributions))
    )
    assert {"psutil", "kfp"} <= set(blocked)
    modules = simulate.notebook_modules()
    assert "jukebox_workshop.dataset" in modules and "jukebox_workshop.errors" in modules
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT, json.dumps([blocked, modules])],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_cli_says_what_to_install_without_the_extra():
    code = WITHOUT + "from jukebox_workshop.cli import main; sys.exit(main(['status']))"
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps([["psutil"], []])], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "needs the package psutil," in result.stderr and "make install" in result.stderr
    assert "Traceback" not in result.stderr


def test_requirements_txt_pins_the_package_and_its_extra():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    lines = (REPO_ROOT / "requirements.txt").read_text().splitlines()
    pinned = set(simulate.requirement_names([line for line in lines if "==" in line]))
    wanted = set(simulate.requirement_names(project["dependencies"]))
    assert wanted | set(simulate.platform_extra()) <= pinned
