"""The README's workbench install, tried in simulated OpenShift AI TensorFlow workbench images.

    .venv/bin/python tests/workbench/simulate.py [light] [tensorflow-2025.1] [tensorflow-2026]
                                                 [pandas-3]

`make test-workbench` runs all four. `pandas-3` is no image: the 2026 image's packages with
pandas 3, so that the notebooks are proven on pandas 3 before an image ships it. For each image: a virtual environment with the image's
package set (`tests/workbench/<image>.txt`, built once and cached, keyed by a hash of the list
and the Python it runs on), copied fresh; `pip list` and `pip check`; the install command
taken from the README and run as written; then the checks: no core package changed, no
requirement that held before broke (but the conflicts the README names); then every notebook
under nbval, with that environment's Python as the kernel, against the local platform (which
runs from this Python's environment). `light` is the package alone, without its `platform`
extra: the modules the notebooks import load, and nothing of the local platform is installed.
"""

from __future__ import annotations

import argparse
import fcntl
import glob
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
README = REPO_ROOT / "README.md"
NOTEBOOK_DIR = REPO_ROOT / "jukebox"

# The image's packages that the workbench install must leave as they are.
CORE = (
    "tensorflow", "keras", "pandas", "numpy", "protobuf", "pyarrow", "scikit-learn", "matplotlib",
    "jupyterlab", "jupyter-server", "ipykernel", "tornado", "kfp", "boto3", "requests", "urllib3",
)  # fmt: skip
# Requirements the install breaks knowingly, each named in the README: (package, requirement).
KNOWN_CONFLICTS = {
    # model-registry needs pydantic 2; codeflare-sdk 0.30 pins pydantic<2.
    "tensorflow-2025.1": {("codeflare-sdk", "pydantic")},
}
# The Python each image runs; where it is missing here, the nearest (the list has markers).
PYTHONS = {
    "light": ("3.11",),
    "tensorflow-2025.1": ("3.11",),
    "tensorflow-2026": ("3.12", "3.11"),
    "pandas-3": ("3.12", "3.11"),
}
IMAGES = tuple(PYTHONS)
# Notebooks an environment cannot run, or that add nothing there: every Feast release requires
# pandas < 3, so the feature store (notebook 9) waits for a Feast that accepts pandas 3. The
# pipeline notebook (10) re-runs notebooks 2 to 6 as steps, with kfp: it runs where kfp differs
# from the laptop's pin (2.12 in the 2025.1 image); the 2026 images have the pinned 2.17.
LEFT_OUT = {
    "tensorflow-2026": ("10-pipeline.ipynb",),
    "pandas-3": ("09-feature-store.ipynb", "10-pipeline.ipynb"),
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get("JUKEBOX_WORKBENCH_CACHE") or Path(base) / "jukebox-workbench")


def find_python(version: str) -> str | None:
    """An interpreter of that version: on PATH, else one pyenv installed."""
    pyenv = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(f"{pyenv}/versions/{version}.*/bin/python{version}"))
    for candidate in filter(None, candidates):
        found = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if found.returncode == 0 and found.stdout.strip() == version:
            return candidate
    return None


def run(command: list[str], **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **options)


def packages(python: Path) -> dict[str, str]:
    """{canonical name: version} of everything installed, pip included."""
    listed = run([str(python), "-m", "pip", "list", "--format=json"], check=True).stdout
    return {canonical(item["name"]): item["version"] for item in json.loads(listed)}


def broken_requirements(python: Path) -> dict[tuple[str, str], str]:
    """`pip check`'s complaints: {(package, requirement): the line}."""
    lines = run([str(python), "-m", "pip", "check"]).stdout.splitlines()
    return parse_pip_check(lines)


def parse_pip_check(lines: list[str]) -> dict[tuple[str, str], str]:
    broken = {}
    for line in lines:
        match = re.match(r"^(\S+) \S+ (?:has requirement|requires) ([A-Za-z0-9_.-]+)", line)
        if match:
            broken[canonical(match.group(1)), canonical(match.group(2))] = line.strip()
    return broken


def workbench_install_command(readme: Path = README) -> str:
    """The one `pip install` line of the README's OpenShift AI section."""
    section = readme.read_text().split("## In an OpenShift AI workbench", 1)[1].split("\n## ")[0]
    commands = [
        line.split("#")[0].strip()
        for line in section.splitlines()
        if line.strip().startswith("pip install")
    ]
    assert len(commands) == 1, f"expected one `pip install` line in the README, found {commands}"
    return commands[0]


@dataclass
class Outcome:
    """What one simulated image showed: timings in seconds, and the problems found."""

    image: str
    python: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    changed: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    output: str = ""  # what the install printed

    def timed(self, step: str, started: float) -> None:
        self.seconds[step] = round(time.perf_counter() - started, 1)


def image_list(image: str) -> Path:
    return HERE / f"{image}.txt"


def build_image(image: str, python: str, outcome: Outcome) -> Path:
    """The image's environment, from the cache when its list and Python have not changed."""
    version = run([python, "-c", "import platform; print(platform.python_version())"]).stdout
    outcome.python = version.strip()
    key = hashlib.sha256(image_list(image).read_bytes() + version.encode()).hexdigest()[:12]
    home = cache_dir() / image
    env = home / key
    if (env / "built.json").exists():
        outcome.seconds["build"] = 0.0
        return env
    shutil.rmtree(home, ignore_errors=True)  # older keys: another list or Python
    started = time.perf_counter()
    run([python, "-m", "venv", str(env)], check=True)
    pip = [str(env / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps"]
    built = run([*pip, "-r", str(image_list(image))])
    if built.returncode:
        raise SystemExit(f"{image}: the image's package set did not install:\n{built.stderr}")
    outcome.timed("build", started)
    (env / "built.json").write_text(json.dumps({"seconds": outcome.seconds["build"]}))
    return env


def fresh_copy(env: Path, outcome: Outcome) -> Path:
    """A copy of the image's environment to install into, its files hard links to the cached
    one's: pip unlinks a file before it replaces it, so the cached environment stays as built."""
    started = time.perf_counter()
    copy = env.parent / "workbench"
    run(["rm", "-rf", str(copy)], check=True)
    run(["cp", "-al", str(env), str(copy)], check=True)
    old, new = f"#!{env}/".encode(), f"#!{copy}/".encode()
    for script in (copy / "bin").iterdir():  # `pip` and the rest start the copy's Python
        if script.is_file() and not script.is_symlink() and script.read_bytes().startswith(old):
            text = script.read_bytes().replace(old, new, 1)
            script.unlink()  # a new file, not the cached one's
            script.write_bytes(text)
            script.chmod(0o755)
    outcome.timed("copy", started)
    return copy


def apply_install(env: Path, outcome: Outcome, variables: dict[str, str] | None = None) -> None:
    """Run the README's command in the repository folder, with the environment's pip first
    (and these environment variables, e.g. pip settings)."""
    python = env / "bin" / "python"
    before, broken_before = packages(python), broken_requirements(python)
    started = time.perf_counter()
    variables = {
        **(variables or os.environ),
        "PATH": f"{env / 'bin'}:{os.environ['PATH']}",
        "VIRTUAL_ENV": str(env),
    }
    command = workbench_install_command()
    installed = run(["bash", "-c", command], cwd=REPO_ROOT, env=variables)
    outcome.timed("install", started)
    outcome.output = installed.stdout
    if installed.returncode:
        outcome.problems.append(f"`{command}` failed:\n{installed.stdout}{installed.stderr}")
        return
    after, broken_after = packages(python), broken_requirements(python)
    outcome.changed = {
        name: (before.get(name), after.get(name))
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    }
    outcome.problems += compare(outcome.image, before, after, broken_before, broken_after)


def compare(
    image: str,
    before: dict[str, str],
    after: dict[str, str],
    broken_before: dict[tuple[str, str], str],
    broken_after: dict[tuple[str, str], str],
) -> list[str]:
    """The install's faults: a core package changed, or a requirement that held broke."""
    problems = [
        f"core package {name} changed: {before.get(name)} -> {after.get(name)}"
        for name in CORE
        if before.get(name) != after.get(name)
    ]
    accepted = KNOWN_CONFLICTS.get(image, set())
    problems += [
        f"requirement broken by the install: {line}"
        for pair, line in sorted(broken_after.items())
        if pair not in broken_before and pair not in accepted
    ]
    return problems


def kernel_spec(env: Path, image: str) -> tuple[str, Path]:
    """A kernel running the environment's Python, in a Jupyter data folder of its own."""
    name = f"jukebox-{image}"
    data = env.parent / "jupyter"
    spec = data / "kernels" / name
    spec.mkdir(parents=True, exist_ok=True)
    argv = [str(env / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec_json = {"argv": argv, "display_name": f"Python ({image})", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(spec_json))
    return name, data


def run_notebooks(env: Path, outcome: Outcome) -> None:
    """Every notebook under nbval (the settings of `make test`), in the image's kernel."""
    name, data = kernel_spec(env, outcome.image)
    started = time.perf_counter()
    tested = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", str(NOTEBOOK_DIR), f"--nbval-kernel-name={name}"),
            *(
                f"--ignore={NOTEBOOK_DIR / notebook}"
                for notebook in LEFT_OUT.get(outcome.image, ())
            ),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "JUPYTER_PATH": str(data)},
    )
    outcome.timed("notebooks", started)
    if tested.returncode:
        outcome.problems.append(f"the notebooks failed in the {outcome.image} kernel (above)")


# Run in the light environment: import the modules, then print what of the extra is installed
# that no other installed package needs (mlflow, for one, brings fastapi and SQLAlchemy).
LIGHT_CHECK = """
import importlib, json, re, sys
from importlib.metadata import distributions
modules, extra = json.loads(sys.argv[1])
for module in modules:
    importlib.import_module(module)
def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()
installed, needed = {}, set()
for dist in distributions():
    name = canonical(dist.metadata["Name"])
    installed[name] = dist.version
    if name != "jukebox-workshop":
        needed |= {
            canonical(re.split(r"[<>=!~\\[ ;(]", r)[0])
            for r in dist.requires or []
            if "extra ==" not in r
        }
print(json.dumps([f"{n} {installed[n]}" for n in extra if n in installed and n not in needed]))
"""


def notebook_modules() -> list[str]:
    """The jukebox_workshop modules the notebooks import, with the command-line entry point."""
    found = {"jukebox_workshop.cli", "jukebox_workshop.preflight"}
    for notebook in NOTEBOOK_DIR.glob("*.ipynb"):
        found |= set(re.findall(r"from (jukebox_workshop[\w.]*) import", notebook.read_text()))
    # A notebook imports the local platform only in its laptop branch.
    return sorted(name for name in found if not name.startswith("jukebox_workshop.local"))


def requirement_names(requirements: list[str]) -> list[str]:
    return [canonical(re.split(r"[<>=!~\[ ;]", item)[0]) for item in requirements]


def platform_extra() -> list[str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return requirement_names(project["optional-dependencies"]["platform"])


def platform_only() -> list[str]:
    """The extra's packages that the base dependencies do not bring (with this interpreter's
    installed metadata): what a workbench must not get."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    needed, todo = set(), requirement_names(project["dependencies"])
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        todo += requirement_names([r for r in requires if "extra ==" not in r])
    return [name for name in platform_extra() if name not in needed]


# What the notebooks import that the package does not name, as every image ships it (pyproject).
SHIPPED_BY_THE_IMAGES = ("kfp",)


def light_env(outcome: Outcome) -> Path | None:
    """`pip install -e .`, with what the images ship that the notebooks import, in a new
    environment (kept while pyproject.toml does not change)."""
    python = find_python(PYTHONS["light"][0]) or sys.executable
    key = hashlib.sha256(
        (REPO_ROOT / "pyproject.toml").read_bytes()
        + str(REPO_ROOT).encode()
        + " ".join(SHIPPED_BY_THE_IMAGES).encode()
    )
    env = cache_dir() / "light" / key.hexdigest()[:12]
    outcome.seconds["install"] = 0.0
    if not (env / "built.json").exists():
        shutil.rmtree(env.parent, ignore_errors=True)
        started = time.perf_counter()
        run([python, "-m", "venv", str(env)], check=True)
        pip = [str(env / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        installed = run([*pip, "-e", str(REPO_ROOT), *SHIPPED_BY_THE_IMAGES])
        outcome.timed("install", started)
        if installed.returncode:
            outcome.problems.append(f"pip install -e . failed:\n{installed.stderr}")
            return None
        (env / "built.json").write_text(json.dumps({"seconds": outcome.seconds["install"]}))
    outcome.python = run([str(env / "bin" / "python"), "--version"]).stdout.split()[-1]
    return env


def check_light(outcome: Outcome) -> None:
    """The package without its extra: what the notebooks import loads, no platform installed."""
    env = light_env(outcome)
    if env is None:
        return
    argument = json.dumps([notebook_modules(), platform_extra()])
    checked = run([str(env / "bin" / "python"), "-c", LIGHT_CHECK, argument])
    if checked.returncode:
        outcome.problems.append(f"a notebook module does not import:\n{checked.stderr}")
        return
    installed = json.loads(checked.stdout)
    outcome.problems += [f"installed without the extra: {item}" for item in installed]
    if (env / "bin" / "weed").exists():
        outcome.problems.append("the weed binary was installed without the extra")
    up = run([str(env / "bin" / "jukebox"), "up"])
    if up.returncode != 1 or "platform extra" not in up.stderr:
        outcome.problems.append(f"`jukebox up` without the extra: {up.stderr or up.stdout}")


@contextmanager
def locked(image: str) -> Iterator[None]:
    """One run at a time per image on this machine: they share the cached environments."""
    lock = cache_dir() / f"{image}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"Waiting for another run that uses {lock.parent / image}", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def simulate(image: str, notebooks: bool = True) -> Outcome:
    outcome = Outcome(image)
    if image == "light":
        with locked(image):
            check_light(outcome)
        return outcome
    python = next(filter(None, map(find_python, PYTHONS[image])), None)
    if python is None:
        raise SystemExit(f"{image}: no Python {' or '.join(PYTHONS[image])} found")
    with locked(image):
        env = fresh_copy(build_image(image, python, outcome), outcome)
        apply_install(env, outcome)
        if notebooks and not outcome.problems:
            run_notebooks(env, outcome)
    return outcome


OK = (
    "no core package changed, no requirement that held broke",
    "the notebooks' modules import without the platform extra, which is not installed",
)


def report(outcome: Outcome) -> None:
    steps = ", ".join(
        f"{step} {'cached' if seconds == 0 else f'{seconds:.0f} s'}"
        for step, seconds in outcome.seconds.items()
    )
    print(f"\n== {outcome.image} (Python {outcome.python}): {steps}")
    for name, (old, new) in outcome.changed.items():
        print(f"   {name}: {old or '-'} -> {new or '-'}")
    for problem in outcome.problems:
        print(f"   FAIL {problem}")
    if not outcome.problems:
        print(f"   ok: {OK[outcome.image == 'light']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", metavar="image", help=f"{', '.join(IMAGES)} (all)")
    parser.add_argument("--no-notebooks", action="store_true", help="only the install checks")
    args = parser.parse_args(argv)
    if set(args.images) - set(IMAGES):
        parser.error(f"unknown image: {', '.join(sorted(set(args.images) - set(IMAGES)))}")
    outcomes = []
    for image in args.images or IMAGES:
        print(f"== {image}", flush=True)
        outcomes.append(simulate(image, notebooks=not args.no_notebooks))
        report(outcomes[-1])
    failed = [outcome.image for outcome in outcomes if outcome.problems]
    print(f"\nFailed: {', '.join(failed)}" if failed else "\nThe workbench install passed.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
