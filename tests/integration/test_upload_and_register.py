"""Notebooks 5 and 6 against a real local platform: the errors attendees meet, and re-runs.

Each test runs the real notebooks (nbclient, a fresh kernel) in a temporary folder holding
one small model run, with the environment an attendee would have, then changes one thing.
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import nbformat
import pytest
from local_platform import s3_client
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from jukebox_workshop.runs import Workspace
from jukebox_workshop.settings import NOTEBOOK_DIR

pytestmark = pytest.mark.platform

UPLOAD, REGISTER = "05-upload.ipynb", "06-register.ipynb"


def run_notebook(name: str, folder: Path) -> str:
    """Execute a notebook in `folder`; return its printed output, or raise CellExecutionError."""
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    return "\n".join(
        output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", [])
    )


def failure(name: str, folder: Path) -> str:
    with pytest.raises(CellExecutionError) as error:
        run_notebook(name, folder)
    return str(error.value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def run_folder(tmp_path: Path) -> tuple[Path, str]:
    """A folder laid out as notebooks 3 and 4 leave it, with a small model run."""
    version = f"test-{secrets.token_hex(4)}"
    workspace = Workspace(tmp_path / "output")
    run = workspace.new_run(version)
    run.onnx_file.write_bytes(secrets.token_bytes(2048))
    run.preprocessing_file.write_text(json.dumps({"features": ["tempo"], "countries": ["NO"]}))
    run.training_file.write_text(
        json.dumps(
            {
                "version": version,
                "trained_at": "2026-01-01T00:00:00+00:00",
                "training_seconds": 1.5,
                "parameters": {"epochs": 2, "seed": 42},
                "epochs_run": 2,
                "validation": {"accuracy": 0.1, "top5_accuracy": 0.3, "loss": 4.1},
                "git_commit": "unknown",
                "dataset_sha256": {
                    "song_properties.parquet": "a" * 64,
                    "song_rankings.parquet": "b" * 64,
                },
                "software": {"python": "3.11"},
            }
        )
    )
    run.metrics_file.write_text(
        json.dumps(
            {
                "version": version,
                "test_examples": 10,
                "test_songs": 8,
                "model": {"accuracy": 0.1, "top5_accuracy": 0.3, "macro_f1": 0.05},
                "baselines": {"random forest": {"top5_accuracy": 0.2}},
                "bayes": None,
            }
        )
    )
    workspace.mark_latest(run)
    return tmp_path, version


@pytest.fixture
def attendee(running_platform: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment `make lab` gives: the platform's variables, no notebook overrides."""
    for name, value in running_platform.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("JUKEBOX_MODEL_VERSION", raising=False)
    return dict(running_platform)


def stored_keys(env: dict[str, str], version: str) -> list[str]:
    listing = s3_client(env).list_objects_v2(
        Bucket=env["AWS_S3_BUCKET"], Prefix=f"jukebox/{version}/"
    )
    return sorted(item["Key"] for item in listing.get("Contents", []))


def registered_versions(env: dict[str, str]) -> list[str]:
    base = f"{env['MODEL_REGISTRY_URL']}/api/model_registry/v1alpha3"
    found = httpx.get(f"{base}/registered_model", params={"name": "jukebox"})
    if found.status_code == 404:
        return []
    versions = httpx.get(f"{base}/registered_models/{found.json()['id']}/versions").json()
    return [item["name"] for item in versions["items"]]


def test_upload_then_register_then_rerun_both(attendee, run_folder):
    folder, version = run_folder
    printed = run_notebook(UPLOAD, folder)
    assert "Checkpoint passed" in printed
    assert stored_keys(attendee, version) == sorted(
        f"jukebox/{version}/{name}"
        for name in ("1/model.onnx", "metrics.json", "preprocessing.json", "training.json")
    )
    assert "already stored" in run_notebook(UPLOAD, folder)

    assert f"Registered version {version}" in run_notebook(REGISTER, folder)
    assert "already registered" in run_notebook(REGISTER, folder)
    assert registered_versions(attendee).count(version) == 1
    record = Workspace(folder / "output").run(version).registration()
    assert record["model_version_id"]


def test_a_stored_version_is_never_overwritten(attendee, run_folder):
    folder, version = run_folder
    run_notebook(UPLOAD, folder)
    key = f"jukebox/{version}/metrics.json"
    before = s3_client(attendee).get_object(Bucket="models", Key=key)["Body"].read()

    metrics = Workspace(folder / "output").run(version).metrics_file
    metrics.write_text(metrics.read_text().replace("0.3", "0.4"))
    message = failure(UPLOAD, folder)
    assert "already holds a different model" in message and "never overwritten" in message
    assert s3_client(attendee).get_object(Bucket="models", Key=key)["Body"].read() == before


def test_missing_variables_are_all_named(attendee, run_folder, monkeypatch):
    monkeypatch.delenv("AWS_S3_BUCKET")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    message = failure(UPLOAD, run_folder[0])
    assert "AWS_S3_BUCKET" in message and "AWS_SECRET_ACCESS_KEY" in message
    assert "data connection" in message and "make -s env" in message


def test_wrong_keys_are_refused_and_the_secret_is_not_shown(attendee, run_folder, monkeypatch):
    wrong = secrets.token_hex(16)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    message = failure(UPLOAD, run_folder[0])
    assert "refused the credentials" in message
    assert wrong not in message and attendee["AWS_SECRET_ACCESS_KEY"] not in message


def test_missing_bucket(attendee, run_folder, monkeypatch):
    monkeypatch.setenv("AWS_S3_BUCKET", "no-such-bucket")
    assert "bucket 'no-such-bucket' does not exist" in failure(UPLOAD, run_folder[0])


def test_s3_down_means_nothing_is_registered(attendee, run_folder, monkeypatch):
    folder, version = run_folder
    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_S3_ENDPOINT", endpoint)
    assert f"Cannot reach the S3 server at {endpoint}" in failure(UPLOAD, folder)
    assert "run notebook 5 (upload) first. Nothing was registered." in failure(REGISTER, folder)
    assert version not in registered_versions(attendee)


def test_registry_down_after_upload_registers_on_rerun_without_uploading(
    attendee, run_folder, monkeypatch
):
    folder, version = run_folder
    run_notebook(UPLOAD, folder)
    objects = stored_keys(attendee, version)

    down = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MODEL_REGISTRY_URL", down)
    assert f"Cannot reach the Model Registry at {down}" in failure(REGISTER, folder)

    monkeypatch.setenv("MODEL_REGISTRY_URL", attendee["MODEL_REGISTRY_URL"])
    assert f"Registered version {version}" in run_notebook(REGISTER, folder)
    assert stored_keys(attendee, version) == objects


def test_registry_token_refused(attendee, run_folder, monkeypatch, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(secrets.token_urlsafe(16))
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jukebox_workshop.registry",
            "--port",
            str(port),
            "--database",
            str(tmp_path / "secured.db"),
            "--token-file",
            str(token_file),
        ],
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                threading.Event().wait(0.05)
        monkeypatch.setenv("MODEL_REGISTRY_URL", f"http://127.0.0.1:{port}")
        monkeypatch.delenv("MODEL_REGISTRY_TOKEN", raising=False)
        message = failure(REGISTER, run_folder[0])
        assert "refused the request (401" in message and "MODEL_REGISTRY_TOKEN" in message
    finally:
        server.terminate()
        server.wait(10)


def test_api_version_mismatch_names_the_pin(attendee, run_folder, monkeypatch):
    class OnlyV1(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"404 page not found")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), OnlyV1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("MODEL_REGISTRY_URL", f"http://127.0.0.1:{server.server_port}")
        message = failure(REGISTER, run_folder[0])
        assert "answered 404 for /api/model_registry/v1alpha3/" in message
        assert "model-registry==0.3.14" in message
    finally:
        server.shutdown()
