"""Notebooks 5 to 8 as a workbench runs them: under a random user id without a passwd entry
(OpenShift's restricted security context); notebook 8 against a server that lists the
model's inputs in another order, and through a TLS route with a certificate of the cluster's
own and a token.

Each test works in a folder of its own where notebooks 2 to 4 ran, for a model of its own.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.model_versions import registry
from support.reverse_proxy import ReverseProxy, certificate_authority

from jukebox_workshop.local.deploy import deploy
from jukebox_workshop.local.services import model_server
from jukebox_workshop.notebooks import (
    QUICK_PARAMETERS,
    NotebookFailedError,
    copy_notebooks,
    run_notebook,
)
from jukebox_workshop.settings import DEFAULT_DATA_DIR, state_dir

pytestmark = [pytest.mark.platform, pytest.mark.slow]

TINY = {
    **QUICK_PARAMETERS,
    "JUKEBOX_EPOCHS": "4",
    "JUKEBOX_SEARCH_MINUTES": "5",
    "JUKEBOX_DATA_DIR": str(DEFAULT_DATA_DIR),
}

# Notebook 3 trains the network alone, as notebook 7 and the pipeline have it do: the comparison
# of candidates is notebook 3's own test (nbval), not what serving needs.
ONE_MODEL = {"HIDDEN_LAYERS": 2}


def unused_id() -> int:
    """A user and group id with no passwd or group entry, as OpenShift assigns."""
    for candidate in range(1_000_660_000, 1_000_670_000, 977):
        try:
            pwd.getpwuid(candidate)
        except KeyError:
            return candidate
    raise AssertionError("no unused uid found")


@pytest.fixture(scope="module")
def trained(running_platform: dict[str, str], prepared: Path) -> Iterator[Path]:
    """A folder where notebooks 2 to 4 ran (copy it, do not change it). In /tmp, not in pytest's
    own temporary folder, which other users cannot enter."""
    folder = Path(tempfile.mkdtemp(prefix="jukebox-serve-"))
    shutil.copytree(prepared / "output" / "prepared", folder / "output" / "prepared")
    for name, parameters in (("03-train.ipynb", ONE_MODEL), ("04-evaluate.ipynb", {})):
        run_notebook(
            name,
            parameters,
            workdir=folder,
            executed_dir=folder / "executed",
            environment=TINY,
            echo=False,
        )
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def attendee(trained: Path) -> Iterator[tuple[Path, str]]:
    """A copy of the trained folder, and a model name of this test's own."""
    folder = Path(tempfile.mkdtemp(prefix="jukebox-attendee-"))
    shutil.copytree(trained / "output", folder / "output")
    copy_notebooks(folder)  # notebook 7 runs notebook 3 from its own folder
    yield folder, f"serve-{secrets.token_hex(4)}"
    shutil.rmtree(folder, ignore_errors=True)


def readable_by_others(path: Path) -> bool:
    """Whether another user id can read the repository (its kernels import the package)."""
    return all(folder.stat().st_mode & 0o005 == 0o005 for folder in [path, *path.parents])


@pytest.mark.skipif(
    not readable_by_others(Path(__file__).resolve().parent),
    reason="the repository's folder is not readable by other user ids here",
)
def test_notebooks_5_to_8_run_under_a_uid_without_a_passwd_entry(running_platform, attendee):
    folder, model = attendee
    uid = unused_id()
    home = folder / "home"
    # The kernels' interpreter: the system's Python of the same minor version with this
    # environment's packages, as this environment's own may live where another uid cannot
    # execute it (a pyenv Python in root's home); this one where there is no system Python.
    kernels = home / ".local" / "share" / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    launcher = (
        "import site, sys; site.addsitedir(sys.argv.pop(1)); "
        "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
    )
    (kernels / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    str(system) if system.is_file() else sys.executable,
                    "-c",
                    launcher,
                    sysconfig.get_paths()["purelib"],
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "Python 3",
                "language": "python",
            }
        )
    )
    shutil.chown(folder, uid, uid)
    for path in folder.rglob("*"):
        shutil.chown(path, uid, uid)
    # What a workbench pod has: the platform's settings, a HOME, no USER or LOGNAME.
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        **running_platform,
        **TINY,
        "JUKEBOX_MODEL_NAME": model,
    }
    runner = (
        "import sys; from pathlib import Path; from jukebox_workshop.notebooks import run_notebook\n"
        "for name in sys.argv[1:]:\n"
        "    run_notebook(name, workdir=Path.cwd(), executed_dir=Path.cwd() / 'executed', "
        "echo=False)\n"
    )

    def as_the_uid(*notebooks: str, **extra: str) -> None:
        done = subprocess.run(
            ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
            + [sys.executable, "-c", runner, *notebooks],
            cwd=folder,
            env={**environment, **extra},
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    as_the_uid("05-upload.ipynb", "06-register.ipynb", "07-refine.ipynb")
    versions = list(registry(running_platform).get_model_versions(model))
    assert versions and {version.author for version in versions} == {"jukebox"}

    # Notebook 8 in a workbench calls a deployment made outside it (here, by this process).
    deployment = deploy(model, report=None)
    as_the_uid("08-serve.ipynb", INFERENCE_ENDPOINT=deployment.url, DEPLOYED_MODEL_NAME=model)
    served = json.loads((folder / "output" / "serving.json").read_text())
    assert served["version"] == deployment.version
    assert served["largest_difference"] <= 1e-5


def test_notebook_8_matches_inputs_by_name_whatever_the_servers_order(running_platform, attendee):
    folder, model = attendee
    environment = {**TINY, "JUKEBOX_MODEL_NAME": model}
    for name in ("05-upload.ipynb", "06-register.ipynb"):
        run_notebook(
            name, workdir=folder, executed_dir=folder / "executed", environment=environment
        )
    deployment = deploy(model, report=None)

    # The server lists the model's inputs backwards (MLServer reads them from model-settings.json).
    settings_file = model_server.folder(state_dir()) / "models" / model / "model-settings.json"
    settings = json.loads(settings_file.read_text())
    features = [item["name"] for item in settings["inputs"]]
    settings["inputs"].reverse()
    settings_file.write_text(json.dumps(settings))
    load = f"{deployment.url}/v2/repository/models/{model}/load"
    urllib.request.urlopen(urllib.request.Request(load, data=b"", method="POST"), timeout=60)
    with urllib.request.urlopen(deployment.model_url, timeout=10) as response:
        listed = [item["name"] for item in json.load(response)["inputs"]]
    assert listed == features[::-1] != features

    run_notebook(
        "08-serve.ipynb", workdir=folder, executed_dir=folder / "executed", environment=environment
    )
    served = json.loads((folder / "output" / "serving.json").read_text())
    assert served["version"] == deployment.version and served["largest_difference"] <= 1e-5


def test_notebook_8_through_a_tls_route_that_asks_for_a_token(running_platform, attendee, tmp_path):
    folder, model = attendee
    environment = {**TINY, "JUKEBOX_MODEL_NAME": model}
    for name in ("05-upload.ipynb", "06-register.ipynb"):
        run_notebook(
            name, workdir=folder, executed_dir=folder / "executed", environment=environment
        )
    deployment = deploy(model, report=None)
    certificates = certificate_authority(tmp_path)
    token = secrets.token_hex(16)
    with ReverseProxy(deployment.url, certificates=certificates, tokens={token: True}) as route:
        environment |= {
            "INFERENCE_ENDPOINT": route.url,
            "DEPLOYED_MODEL_NAME": model,
            "INFERENCE_TOKEN": token,
        }

        def failure(**extra: str) -> str:
            with pytest.raises(NotebookFailedError) as failed:
                run_notebook(
                    "08-serve.ipynb",
                    workdir=folder,
                    executed_dir=folder / "executed",
                    environment={**environment, **extra},
                    echo=False,
                )
            return str(failed.value)

        message = failure()
        assert (
            f"The model server at {route.url} has a TLS certificate this workbench does not "
            in (message)
        )
        assert "Set INFERENCE_CA_BUNDLE to the path of a file" in message
        missing = tmp_path / "nothing.pem"
        assert f"INFERENCE_CA_BUNDLE='{missing}' is not a file" in failure(
            INFERENCE_CA_BUNDLE=str(missing)
        )
        run_notebook(
            "08-serve.ipynb",
            workdir=folder,
            executed_dir=folder / "executed",
            environment={**environment, "INFERENCE_CA_BUNDLE": str(certificates.ca)},
        )
    served = json.loads((folder / "output" / "serving.json").read_text())
    assert served["model_url"] == f"{route.url}/v2/models/{model}"
