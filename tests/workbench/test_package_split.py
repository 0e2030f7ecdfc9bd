"""The package's two audiences: without the `platform` extra the `jukebox` command says what to
install, and the laptop's requirements.txt pins everything both need.

(tests/unit/test_layout.py keeps the workbench's modules away from `local/`; `make
test-workbench` imports them in a real environment without the extra.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

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
