"""Notebook 3's training as a Kubeflow Trainer job would run it, on this machine: how long, and
what the Kubeflow SDK's local process backend costs.

    .venv/bin/python benchmarks/trainer.py [--epochs N] [--no-trainer-client]

On notebook 2's splits of the shipped data (prepared once, in a temporary folder), with notebook
3's parameters (workshop mode unless --epochs):

- process: `python jukebox/train.py --workspace DIR`, the command cluster/trainjob.yaml runs;
- trainer_client: the same train(params) through the Kubeflow SDK's TrainerClient and its local
  process backend (runtime torch-distributed): a fresh virtual environment, pip installing
  torch and the packages train.py imports, then torchrun. torch is pinned to the CPU build this
  machine keeps on disk (pip's find-links); a laptop gets one from PyTorch's CPU index instead
  (`pip_index_urls`);
- cuda_torch: what `pip install torch` from PyPI alone would download on Linux x86_64 (a CUDA
  build): pip's resolution (`--dry-run --report`) and each file's size from PyPI's index.

Writes benchmarks/results/trainer.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from recording import stamp, write_results  # a script beside this one

from jukebox_workshop.preparation import prepared_workspace
from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import NOTEBOOK_DIR, REPO_ROOT

RESULTS = Path(__file__).parent / "results" / "trainer.json"
TORCH = "torch==2.13.0"  # the CPU build this machine keeps on disk (python.md)
# What train.py imports, at requirements.txt's pins (pandas reads Parquet with pyarrow).
IMPORTED = ("tensorflow", "keras", "numpy", "pandas", "pyarrow", "onnx", "tf2onnx", "scikit-learn")
MIB = 2**20


def pins(names: tuple[str, ...]) -> list[str]:
    text = (REPO_ROOT / "requirements.txt").read_text()
    found = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M))
    return [f"{name}=={found[name]}" for name in names]


def as_a_process(prepared: Workspace, epochs: int | None) -> dict:
    workspace = Workspace(Path(tempfile.mkdtemp(prefix="jukebox-train-process-")) / "output")
    shutil.copytree(prepared.prepared_dir, workspace.prepared_dir)
    command = [sys.executable, str(NOTEBOOK_DIR / "train.py"), "--workspace", str(workspace.root)]
    command += ["--epochs", str(epochs)] if epochs else []
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    record = workspace.run().training()
    shutil.rmtree(workspace.root.parent)
    return {
        "command": " ".join(["python", "jukebox/train.py", *command[2:]]),
        "seconds": round(seconds, 1),
        "training_seconds": record["training_seconds"],
        "epochs_run": record["epochs_run"],
        "validation_top5_accuracy": round(record["validation"]["top5_accuracy"], 4),
    }


def jukebox_train_job(params):
    """What the SDK runs: it copies this function's source into a file of its own and calls it
    with func_args, so the function imports the workshop's train.py from the repository."""
    import sys

    sys.path[:0] = [params.pop("notebooks"), params.pop("package")]
    from train import train

    train(params)


def with_trainer_client(prepared: Workspace, epochs: int | None) -> dict:
    from kubeflow.trainer import CustomTrainer, LocalProcessBackendConfig, TrainerClient

    workspace = Workspace(Path(tempfile.mkdtemp(prefix="jukebox-train-sdk-")) / "output")
    shutil.copytree(prepared.prepared_dir, workspace.prepared_dir)
    params = {
        "notebooks": str(NOTEBOOK_DIR),
        "package": str(REPO_ROOT / "src"),
        "workspace": str(workspace.root),
        **({"epochs": epochs} if epochs else {}),
    }
    # The job's environment is only what is given here: PATH, and HOME for pip's cache and
    # configuration (this machine's find-links to the CPU build of torch).
    environment = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    environment |= {k: v for k, v in os.environ.items() if k.startswith("PIP_")}
    client = TrainerClient(backend_config=LocalProcessBackendConfig(cleanup_venv=False))
    started = time.perf_counter()
    name = client.train(
        runtime=client.get_runtime("torch-distributed"),
        trainer=CustomTrainer(
            func=jukebox_train_job,
            func_args=params,
            packages_to_install=[TORCH, *pins(IMPORTED)],
            env=environment,
        ),
    )
    job = client.wait_for_job_status(name, status={"Complete", "Failed"}, timeout=3600)
    seconds = time.perf_counter() - started
    logs = "\n".join(client.get_job_logs(name))
    venvs = [Path(p) for p in re.findall(r"Operating inside (\S+)", logs)]
    venv_bytes = sum(f.stat().st_size for v in venvs for f in v.rglob("*") if f.is_file())
    torch_wheels = sorted(set(re.findall(r"(torch-[^\s/]+\.whl)", logs)))
    for venv in venvs:
        shutil.rmtree(venv, ignore_errors=True)
    if job.status != "Complete":
        raise SystemExit(f"The TrainerClient job {name} ended {job.status}:\n{logs[-4000:]}")
    record = workspace.run().training()
    shutil.rmtree(workspace.root.parent)
    return {
        "runtime": "torch-distributed",
        "packages_to_install": [TORCH, *pins(IMPORTED)],
        "seconds": round(seconds, 1),
        "training_seconds": record["training_seconds"],
        "epochs_run": record["epochs_run"],
        "validation_top5_accuracy": round(record["validation"]["top5_accuracy"], 4),
        "venv_mib": round(venv_bytes / MIB),
        "torch_wheels": {
            wheel: round(sum(p.stat().st_size for p in Path("/").glob(f"opt/*/{wheel}")) / MIB)
            for wheel in torch_wheels
        },
    }


def file_size(url: str) -> int:
    """The size of the file pip would download, from the index's answer to a HEAD request."""
    with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=60) as answer:
        return int(answer.headers["Content-Length"])


def cuda_torch_cost() -> dict:
    """What `pip install torch==2.13.0` takes from PyPI alone: pip's default index, without this
    machine's configuration (no find-links, no constraints)."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--isolated", "--dry-run", "--quiet"]
            + ["--ignore-installed", "--report", str(report), TORCH],
            check=True,
        )
        installs = json.loads(report.read_text())["install"]
    files = {item["metadata"]["name"]: file_size(item["download_info"]["url"]) for item in installs}
    nvidia = sum(size for name, size in files.items() if name.startswith("nvidia"))
    return {
        "requirement": TORCH,
        "packages": len(files),
        "download_mib": round(sum(files.values()) / MIB),
        "torch_mib": round(files["torch"] / MIB),
        "nvidia_mib": round(nvidia / MIB),
        "files_mib": {name: round(size / MIB) for name, size in sorted(files.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, help="default: notebook 3's")
    parser.add_argument("--no-trainer-client", action="store_true")
    args = parser.parse_args()
    results: dict = {"cuda_torch": cuda_torch_cost()}
    print(f"CUDA torch from PyPI: {results['cuda_torch']['download_mib']} MiB to download")
    with tempfile.TemporaryDirectory(prefix="jukebox-trainer-benchmark-") as folder:
        prepared = prepared_workspace(Path(folder))
        results["process"] = as_a_process(prepared, args.epochs)
        print(f"python jukebox/train.py: {results['process']['seconds']} s")
        if not args.no_trainer_client:
            results["trainer_client"] = with_trainer_client(prepared, args.epochs)
            print(f"TrainerClient, local process: {results['trainer_client']['seconds']} s")
    write_results(RESULTS, stamp(results, shared=True))
    print(f"Recorded in {RESULTS}")


if __name__ == "__main__":
    main()
