"""Check, before the workshop, that a workbench (or a laptop) has what the notebooks need.

    python -m jukebox_workshop.preflight

One line per check: `ok`, `warn` (works, but look at it), `skip` (an earlier check failed)
or `FAIL` (with what to do).
The exit status is 1 if any check failed.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from jukebox_workshop.clients import registry_client, s3_client
from jukebox_workshop.errors import MissingSettingsError, WorkshopError
from jukebox_workshop.explain import client_api_prefix
from jukebox_workshop.settings import (
    DATA_FILES,
    DEFAULT_BUCKET,
    MODEL_NAME_VARIABLE,
    REGISTRY_TOKEN_VARIABLE,
    REGISTRY_URL_VARIABLE,
    REPO_ROOT,
    S3_VARIABLES,
    TRACKING_URI_VARIABLE,
    data_dir,
    model_name,
    require,
    workbench_user,
)

GIB = 1024**3
MEMORY_WARNING = 3 * GIB
WORKBENCH_REQUIREMENTS = REPO_ROOT / "requirements-workbench.txt"
TESTED_PYTHONS = ((3, 11), (3, 12))  # the TensorFlow workbench images 2025.1 and 2026
STACK = ("tensorflow", "keras", "pandas", "numpy", "protobuf")  # shown, from the image


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok", "warn", "skip" or "FAIL"
    detail: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.name:<16} {self.detail}"


def check_python() -> Check:
    found = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info < (3, 11):  # noqa: UP036 - an older workbench image may run it
        return Check(
            "python",
            "FAIL",
            f"Python {found}; the workshop needs 3.11 or 3.12 (pick the TensorFlow "
            "workbench image, or set PYTHON=/path/to/python3.11 for make).",
        )
    if sys.version_info[:2] not in TESTED_PYTHONS:
        return Check(
            "python", "warn", f"Python {found}; the workshop is tested on Python 3.11 and 3.12."
        )
    return Check("python", "ok", f"Python {found}")


def _requirements(path: Path) -> list[Requirement]:
    """The package requirements of a requirements file (not its options, nor `-e .`)."""
    lines = (re.sub(r"(^|\s)#.*$", "", line).strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def check_packages(requirements: Path = WORKBENCH_REQUIREMENTS) -> Check:
    """What the notebooks add to the image, in the accepted ranges (the laptop's pins are too)."""
    if not requirements.exists():
        return Check("packages", "warn", f"{requirements} not found: versions not compared.")
    # A package listed twice, for two images (markers), is fine in either of its ranges.
    ranges: dict[str, list[SpecifierSet]] = {}
    for requirement in _requirements(requirements):
        if requirement.marker is None:  # a line for one image only is that install's business
            ranges.setdefault(requirement.name, []).append(requirement.specifier)
    found, wrong = [], []
    for name, specifiers in ranges.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            wrong.append(f"{name} missing")
            continue
        if any(specifier.contains(installed, prereleases=True) for specifier in specifiers):
            found.append(f"{name} {installed}")
        else:
            needs = " or ".join(str(specifier) for specifier in specifiers)
            wrong.append(f"{name} {installed} (needs {needs})")
    if wrong:
        shown = ", ".join(wrong[:4]) + (f" and {len(wrong) - 4} more" if len(wrong) > 4 else "")
        return Check(
            "packages",
            "FAIL",
            f"{shown}. Run `pip install -r requirements-workbench.txt` in the repository "
            "folder, then restart the kernel (on a laptop: `make install`).",
        )
    stack = []
    for name in STACK:
        try:
            stack.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            stack.append(f"no {name}")
    return Check("packages", "ok", f"{', '.join(found)}; {', '.join(stack)}")


def check_dataset() -> Check:
    folder = data_dir()
    missing = [name for name in DATA_FILES if not (folder / name).exists()]
    if missing:
        return Check(
            "dataset",
            "FAIL",
            f"{', '.join(missing)} missing in {folder}. Check "
            "JUKEBOX_DATA_DIR, or run `make data` to regenerate it.",
        )
    return Check("dataset", "ok", str(folder))


def check_data_connection() -> Check:
    try:
        values = require(S3_VARIABLES)
    except MissingSettingsError as error:
        return Check("data connection", "FAIL", str(error))
    return Check(
        "data connection",
        "ok",
        f"endpoint {values['AWS_S3_ENDPOINT']}, bucket "
        f"{values['AWS_S3_BUCKET']}, region "
        f"{values['AWS_DEFAULT_REGION']}",
    )


def check_s3() -> list[Check]:
    from botocore.exceptions import BotoCoreError, ClientError

    from jukebox_workshop.explain import explain_s3_errors

    try:
        values = require(S3_VARIABLES)
    except MissingSettingsError:
        return [Check("s3 bucket", "skip", "set the data-connection variables first.")]
    endpoint, bucket = values["AWS_S3_ENDPOINT"], values["AWS_S3_BUCKET"]
    s3 = s3_client(values, read_timeout=20)  # notebook 5's client, quicker to give up
    try:
        with explain_s3_errors(endpoint, bucket):
            s3.head_bucket(Bucket=bucket)
    except WorkshopError as error:
        return [Check("s3 bucket", "FAIL", str(error))]
    except (BotoCoreError, ClientError) as error:
        return [Check("s3 bucket", "FAIL", f"{type(error).__name__}: {error}")]
    checks = [Check("s3 bucket", "ok", f"s3://{bucket} at {endpoint} answers with these keys")]
    if bucket != DEFAULT_BUCKET:
        checks.append(
            Check(
                "s3 bucket",
                "warn",
                f"the bucket is '{bucket}'; the guide and the instructor's setup expect 'models'.",
            )
        )
    try:
        names = {item["Name"] for item in s3.list_buckets().get("Buckets", [])}
    except (BotoCoreError, ClientError):
        return [*checks, Check("s3 pipeline", "ok", "skipped: these keys may not list buckets.")]
    if "pipeline" in names:
        checks.append(Check("s3 pipeline", "ok", "the 'pipeline' bucket exists"))
    else:
        checks.append(
            Check(
                "s3 pipeline",
                "warn",
                "no 'pipeline' bucket: the notebooks do not need it, a pipeline server does.",
            )
        )
    return checks


def check_registry() -> Check:
    from model_registry.exceptions import StoreError

    from jukebox_workshop.explain import explain_registry_errors

    address = os.environ.get(REGISTRY_URL_VARIABLE)
    if not address:
        return Check(
            "model registry",
            "FAIL",
            f"{REGISTRY_URL_VARIABLE} is not set. In OpenShift "
            "AI: the registry's REST route, e.g. "
            "https://<registry>-rest.<apps domain>. "
            'Locally: `eval "$(make -s env)"`.',
        )
    url = urlsplit(address)
    secure = url.scheme == "https"
    port = url.port or (443 if secure else 80)
    try:
        socket.create_connection((url.hostname or "", port), timeout=5).close()
    except OSError as error:
        return Check(
            "model registry",
            "FAIL",
            f"Cannot reach {url.hostname}:{port} ({error}). "
            f"Check {REGISTRY_URL_VARIABLE} (scheme, host, port).",
        )
    try:
        with explain_registry_errors(address):
            registry_client(address, author="preflight", quiet=True)
    except WorkshopError as error:
        return Check("model registry", "FAIL", str(error))
    except StoreError as error:
        return Check(
            "model registry",
            "FAIL",
            f"{error}: set {REGISTRY_TOKEN_VARIABLE} (for "
            "example to the output of `oc whoami -t`).",
        )
    return Check(
        "model registry",
        "ok",
        f"{address} answers {client_api_prefix()} (model-registry {version('model-registry')})",
    )


def check_model_name() -> Check:
    try:
        name = model_name()
    except MissingSettingsError as error:
        return Check("model name", "FAIL", str(error))
    if os.environ.get(MODEL_NAME_VARIABLE):
        source = f"from {MODEL_NAME_VARIABLE}"
    elif user := workbench_user():
        source = f"from the workbench user {user}; {MODEL_NAME_VARIABLE} changes it"
    else:
        source = f"no workbench user found; {MODEL_NAME_VARIABLE} changes it"
    return Check("model name", "ok", f"{name} ({source})")


def check_mlflow() -> Check:
    from jukebox_workshop.refine.tracking import check_server

    uri = os.environ.get(TRACKING_URI_VARIABLE)
    if not uri:
        return Check(
            "mlflow",
            "ok",
            f"{TRACKING_URI_VARIABLE} is not set: notebook 7 keeps its runs in a local store "
            "in jukebox/output/refine/.",
        )
    try:
        check_server(uri)
    except WorkshopError as error:
        return Check("mlflow", "FAIL", str(error))
    return Check("mlflow", "ok", f"{uri} answers")


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_memory() -> tuple[int, int | None]:
    """Bytes available to this process, and the container's memory limit if it has one."""
    meminfo = Path("/proc/meminfo").read_text()
    available = int(re.search(r"MemAvailable:\s+(\d+) kB", meminfo).group(1)) * 1024
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        limit = _read_int(limit_file)
        if limit and limit < available * 64:  # cgroup v1 reports "no limit" as a huge number
            return min(available, limit - (_read_int(usage_file) or 0)), limit
    return available, None


def check_memory() -> Check:
    try:
        available, limit = available_memory()
    except (OSError, AttributeError):
        return Check("memory", "warn", "could not read /proc/meminfo: check the workbench size.")
    text = f"{available / GIB:.1f} GiB available" + (
        f" (limit {limit / GIB:.1f} GiB)" if limit else ""
    )
    if available < MEMORY_WARNING:
        return Check(
            "memory",
            "warn",
            f"{text}; under 3 GiB the training kernel may die. Stop other "
            "kernels, or pick a larger workbench size.",
        )
    return Check("memory", "ok", text)


CHECKS: tuple[Callable[[], Check | list[Check]], ...] = (
    check_python,
    check_packages,
    check_dataset,
    check_memory,
    check_data_connection,
    check_s3,
    check_registry,
    check_model_name,
    check_mlflow,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    failed = 0
    for check in CHECKS:
        outcome = check()
        for result in outcome if isinstance(outcome, list) else [outcome]:
            print(result.line(), flush=True)
            failed += result.status == "FAIL"
    print(f"\n{failed} check(s) failed." if failed else "\nReady for the workshop.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
