"""The package's two audiences: what the notebooks import needs none of the `platform` extra,
and the laptop's requirements.txt pins everything both need.

(`make test-workbench` checks the same in a real environment without the extra.)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions

from jukebox_workshop.settings import NOTEBOOK_DIR, REPO_ROOT

PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]

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


def name_of(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement)[0].lower().replace("_", "-")


def notebook_modules() -> list[str]:
    found = {"jukebox_workshop.cli", "jukebox_workshop.preflight"}
    for notebook in NOTEBOOK_DIR.glob("*.ipynb"):
        found |= set(re.findall(r"from (jukebox_workshop[\w.]*) import", notebook.read_text()))
    return sorted(found)


def test_notebook_modules_import_without_the_platform_extra():
    extra = {name_of(item) for item in PROJECT["optional-dependencies"]["platform"]}
    blocked = sorted(
        module
        for module, distributions in packages_distributions().items()
        if any(name_of(distribution) in extra for distribution in distributions)
    )
    assert {"psutil", "fastapi", "sqlalchemy", "nbclient"} <= set(blocked)
    modules = notebook_modules()
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
    pinned = {
        name_of(line)
        for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    wanted = {name_of(item) for item in PROJECT["dependencies"]}
    wanted |= {name_of(item) for item in PROJECT["optional-dependencies"]["platform"]}
    assert wanted - pinned == set()
