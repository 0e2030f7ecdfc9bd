"""The package's layout is a contract: what a workbench imports never reaches `local/` (the
laptop's platform extra), and every error the project raises derives from one root.

docs/development.md describes the folders; these tests keep them honest.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import jukebox_workshop
from jukebox_workshop.errors import JukeboxError
from jukebox_workshop.settings import NOTEBOOK_DIR, REPO_ROOT

PACKAGE = Path(jukebox_workshop.__file__).parent
LOCAL = "jukebox_workshop.local"
SERVING_PYTHON = REPO_ROOT / ".venv-serving" / "bin" / "python"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(relative.parts).removesuffix(".__init__")


def workbench_modules() -> list[Path]:
    """Every module outside local/: the top level, dataset/, refine/, cluster/."""
    return [path for path in sorted(PACKAGE.rglob("*.py")) if "local" not in path.parts]


def module_level_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, module) of the imports a module makes when it is imported: its top-level
    statements and the bodies of top-level `if`/`try` blocks, but not `if TYPE_CHECKING:`."""
    found = []
    statements = list(tree.body)
    while statements:
        node = statements.pop(0)
        if isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                statements += [*node.body, *node.orelse]
        elif isinstance(node, ast.Try):
            statements += [*node.body, *node.orelse, *node.finalbody]
            statements += [statement for handler in node.handlers for statement in handler.body]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def local_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(REPO_ROOT)}:{line} imports {module}"
        for line, module in module_level_imports(tree)
        if module == LOCAL or module.startswith(f"{LOCAL}.")
    ]


def test_no_workbench_module_imports_local_at_module_level():
    offenders = [found for path in workbench_modules() for found in local_imports(path)]
    assert not offenders, "a workbench would import the platform extra:\n" + "\n".join(offenders)


def test_the_contract_test_sees_a_module_level_import(tmp_path: Path):
    """The check itself fails on the mistake it guards against (and not on a lazy import)."""
    bad = PACKAGE / "settings.py"
    source = bad.read_text(encoding="utf-8")
    copy = tmp_path / "settings.py"
    copy.write_text(source + "\nfrom jukebox_workshop.local import lifecycle\n")
    tree = ast.parse(copy.read_text(encoding="utf-8"))
    assert ("jukebox_workshop.local.lifecycle") in {m for _, m in module_level_imports(tree)}
    lazy = ast.parse("def f():\n    from jukebox_workshop.local import lifecycle\n")
    assert module_level_imports(lazy) == []


def test_notebooks_import_local_only_where_a_laptop_runs_them():
    """A notebook may use the local platform only inside a branch (the laptop's), never in its
    imports cell, which a workbench runs too."""
    offenders = []
    for notebook in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]-*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            for line in "".join(cell["source"]).splitlines():
                if line.startswith((f"from {LOCAL}", f"import {LOCAL}")):
                    offenders.append(f"{notebook.name}: {line}")
    assert not offenders, offenders


def test_importing_the_workbench_modules_loads_nothing_of_local():
    names = [module_name(path) for path in workbench_modules() if path.name != "__main__.py"]
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({LOCAL!r}))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def project_exceptions() -> list[type[BaseException]]:
    """Every exception class defined in the package (the model server's runtime needs MLServer,
    which has an environment of its own: see the next test)."""
    found = []
    for info in pkgutil.walk_packages(jukebox_workshop.__path__, "jukebox_workshop."):
        if info.name.endswith(("__main__", "local.model_runtime")):
            continue
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == info.name:
                found.append(value)
    return found


def test_every_project_error_derives_from_the_one_root():
    errors = project_exceptions()
    assert len(errors) > 20
    strays = [f"{error.__module__}.{error.__qualname__}" for error in errors]
    strays = [
        name
        for name, error in zip(strays, errors, strict=True)
        if not issubclass(error, JukeboxError)
    ]
    assert not strays, f"derive these from jukebox_workshop.errors.JukeboxError: {strays}"


@pytest.mark.skipif(not SERVING_PYTHON.is_file(), reason="no .venv-serving (make install)")
def test_the_model_servers_runtime_errors_derive_from_the_root_too():
    code = (
        "import inspect, jukebox_workshop.local.model_runtime as m\n"
        "from jukebox_workshop.errors import JukeboxError\n"
        "bad = [n for n, c in inspect.getmembers(m, inspect.isclass)\n"
        "       if issubclass(c, BaseException) and c.__module__ == m.__name__\n"
        "       and not issubclass(c, JukeboxError)]\n"
        "print(bad)"
    )
    result = subprocess.run(
        [str(SERVING_PYTHON), "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(PACKAGE.parent)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_errors_module_imports_only_the_standard_library():
    tree = ast.parse((PACKAGE / "errors.py").read_text(encoding="utf-8"))
    imported = {module.split(".")[0] for _, module in module_level_imports(tree)}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
